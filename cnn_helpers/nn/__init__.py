"""Layers with a forward and a backward pass, named and used like ``torch.nn``.

Every layer is a :class:`Module`. Calling it runs ``forward(x)``, which keeps
what the backward pass will need; ``backward(grad_out)`` then returns the
gradient with respect to the input and adds the gradients of the layer's
parameters into their ``.grad``, the way ``loss.backward()`` does in PyTorch::

    model = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), Flatten(), Linear(8 * 8 * 8, 10))
    logits = model(x)                                  # x: (N, 1, 8, 8)
    model.zero_grad()
    model.backward(cross_entropy_backward(logits, y))  # fills p.grad for every p
    optimizer.step()

The arithmetic lives in the functional modules (:mod:`cnn_helpers.conv`,
:mod:`cnn_helpers.pooling`, ...); the classes here hold parameters, remember
inputs and chain the backward passes.

Layers take batched input only, ``(N, C, H, W)`` for 2D and ``(N, C, L)`` for
1D. Parameters are float32 unless ``dtype=np.float64`` is asked for, or the
model is cast with :meth:`Module.double` (what the gradient checks use).

Randomness: weights are drawn from torch's default initialisation,
``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (:func:`torch_default_uniform`), from
``rng``, which may be a ``np.random.Generator``, an integer seed, or
``None`` for the module-wide generator that
:func:`manual_seed` resets (like ``torch.manual_seed``). Build a whole model
from one ``np.random.default_rng(seed)`` and the same seed gives the same model.

Where each layer lives (as in ``torch/nn/modules``): :mod:`.module`
(Parameter, Module), :mod:`.init` (manual_seed, torch_default_uniform,
kaiming_normal), :mod:`.container` (Sequential), :mod:`.conv`, :mod:`.pooling`,
:mod:`.activation` (ReLU), :mod:`.flatten`, :mod:`.linear`, :mod:`.dropout`,
:mod:`.batchnorm` (BatchNorm1d, BatchNorm2d) and :mod:`.residual` (ResidualBlock).
"""

from .activation import ReLU
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .init import kaiming_normal, manual_seed, torch_default_uniform
from .linear import Linear
from .module import Module, Parameter
from .pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from .residual import ResidualBlock

__all__ = [
    "manual_seed",
    "torch_default_uniform",
    "kaiming_normal",
    "Parameter",
    "Module",
    "Sequential",
    "Conv1d",
    "Conv2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "ReLU",
    "Flatten",
    "Linear",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "ResidualBlock",
]
