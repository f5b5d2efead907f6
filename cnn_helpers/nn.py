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

Randomness: weights are drawn with Kaiming-uniform initialisation, as torch
does by default, from ``rng``, which may be a ``np.random.Generator``, an
integer seed, or ``None`` for the module-wide generator that
:func:`manual_seed` resets (like ``torch.manual_seed``). Build a whole model
from one ``np.random.default_rng(seed)`` and the same seed gives the same model.
"""

import math
import os
from collections import OrderedDict

import numpy as np

from .activations import relu, relu_backward
from .conv import conv1d, conv1d_backward, conv2d, conv2d_backward
from .linear import linear, linear_backward
from .pooling import (
    avg_pool1d,
    avg_pool1d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
)

__all__ = [
    "manual_seed",
    "kaiming_uniform",
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
    "BatchNorm2d",
    "ResidualBlock",
]


# --------------------------------------------------------------------------
# Randomness and initialisation
# --------------------------------------------------------------------------

_default_rng = np.random.default_rng(0)


def manual_seed(seed):
    """Reset the generator that layers use when they are given no ``rng``."""
    global _default_rng
    _default_rng = np.random.default_rng(seed)


def _get_rng(rng):
    if rng is None:
        return _default_rng
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def kaiming_uniform(shape, fan_in, rng=None, dtype=np.float32):
    """Torch's default layer initialisation: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    This is Kaiming-uniform with ``a = sqrt(5)``: the bound
    ``sqrt(6 / ((1 + a**2) * fan_in))`` simplifies to ``1 / sqrt(fan_in)``.
    Torch draws biases from the same range.
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _get_rng(rng).uniform(-bound, bound, size=shape).astype(dtype)


# --------------------------------------------------------------------------
# Parameter and Module
# --------------------------------------------------------------------------

class Parameter:
    """A trainable array: ``data``, its gradient ``grad`` and ``requires_grad``.

    ``grad`` is ``None`` until a backward pass adds to it; backward passes
    accumulate, so call ``zero_grad()`` between steps, as in PyTorch.
    A parameter with ``requires_grad=False`` (a frozen one) collects no gradient.
    """

    __slots__ = ("data", "grad", "requires_grad")

    def __init__(self, data, requires_grad=True):
        self.data = np.asarray(data)
        self.grad = None
        self.requires_grad = requires_grad

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def accumulate_grad(self, grad):
        """Add ``grad`` to ``.grad`` (nothing happens when frozen)."""
        if not self.requires_grad:
            return
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient of shape {grad.shape} for a parameter of shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad += grad

    def __repr__(self):
        frozen = "" if self.requires_grad else ", requires_grad=False"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"


class Module:
    """Base class of every layer and model.

    Subclasses set parameters, buffers (arrays saved with the model but not
    trained, such as BatchNorm's running statistics) and sub-modules as
    attributes in ``__init__``, and implement ``forward`` and ``backward``.
    """

    def __init__(self):
        object.__setattr__(self, "_param_names", [])
        object.__setattr__(self, "_buffer_names", [])
        object.__setattr__(self, "_module_names", [])
        object.__setattr__(self, "_cache", None)
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        # Remember attribute names by kind, in order, as torch's registries do.
        if "_param_names" not in self.__dict__:
            raise RuntimeError(f"call super().__init__() in {type(self).__name__}.__init__ first")
        if isinstance(value, Parameter):
            _append_once(self._param_names, name)
        elif isinstance(value, Module):
            _append_once(self._module_names, name)
        object.__setattr__(self, name, value)

    def register_buffer(self, name, array):
        """Keep ``array`` as attribute ``name``, saved in ``state_dict`` but not trained."""
        _append_once(self._buffer_names, name)
        object.__setattr__(self, name, array)

    # --- forward and backward ------------------------------------------------

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__} has no backward()")

    def __call__(self, x):
        return self.forward(x)

    def _saved(self):
        """What ``forward`` cached, or a clear error if there was no forward."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward()")
        return self._cache

    # --- walking the tree -----------------------------------------------------

    def named_children(self):
        for name in self._module_names:
            module = getattr(self, name)
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """This module and all below it, as ``(dotted name, module)``."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix=""):
        """``(dotted name, Parameter)`` for every parameter, e.g. ``'0.weight'``."""
        seen = set()
        for mod_name, module in self.named_modules(prefix):
            for name in module._param_names:
                param = getattr(module, name)
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{mod_name}.{name}" if mod_name else name), param

    def parameters(self):
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix=""):
        for mod_name, module in self.named_modules(prefix):
            for name in module._buffer_names:
                buf = getattr(module, name)
                if buf is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), buf

    def num_parameters(self, trainable_only=False):
        """How many numbers the model learns (only unfrozen ones if asked)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # --- modes -------------------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Forget accumulated gradients (``None`` by default, as in torch)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.fill(0)

    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode (Dropout is the identity, BatchNorm uses running statistics)."""
        return self.train(False)

    def freeze(self):
        """Stop training this module's parameters.

        Gradients still flow through it to earlier layers; only its own
        parameters stop collecting them, so optimisers leave them alone.
        BatchNorm running statistics still update in training mode, as in
        torch; call ``eval()`` on the module too to fix them.
        """
        for p in self.parameters():
            p.requires_grad = False
            p.grad = None
        return self

    def unfreeze(self):
        for p in self.parameters():
            p.requires_grad = True
        return self

    # --- dtype ---------------------------------------------------------------------

    def to(self, dtype):
        """Cast parameters, gradients and floating buffers to ``dtype`` in place."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        for module in self.modules():
            for name in module._buffer_names:
                buf = getattr(module, name)
                if buf is not None and np.issubdtype(buf.dtype, np.floating):
                    object.__setattr__(module, name, buf.astype(dtype))
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # --- saving --------------------------------------------------------------------

    def state_dict(self):
        """Copies of every parameter and buffer, by dotted name, as in torch."""
        state = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = p.data.copy()
        for name, buf in self.named_buffers():
            state[name] = np.array(buf, copy=True)
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        With ``strict=True`` the names must match exactly. Shapes must always
        match; values are cast to the module's dtypes.
        """
        own = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = set(own) | set(buffers)
        missing = sorted(expected - set(state_dict))
        unexpected = sorted(set(state_dict) - expected)
        if strict and (missing or unexpected):
            raise KeyError(f"state_dict does not fit {type(self).__name__}: "
                           f"missing {missing}, unexpected {unexpected}")
        for name, value in state_dict.items():
            value = np.asarray(value)
            target = own[name].data if name in own else buffers.get(name)
            if target is None:
                continue
            if value.shape != target.shape:
                raise ValueError(f"{name}: saved shape {value.shape} does not fit "
                                 f"the model's shape {target.shape}")
            target[...] = value  # in place, so optimisers keep their references
        return self

    def save(self, path):
        """Write ``state_dict()`` to an ``.npz`` file (numpy adds the suffix if missing)."""
        np.savez(path, **self.state_dict())

    def load(self, path, strict=True):
        """Read weights saved by :meth:`save` into this module; returns the module."""
        path = str(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        with np.load(path) as archive:
            return self.load_state_dict({k: archive[k] for k in archive.files}, strict=strict)

    # --- printing ------------------------------------------------------------------

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"


def _append_once(names, name):
    if name not in names:
        names.append(name)


# --------------------------------------------------------------------------
# Input checks with messages that name the layer and the shapes
# --------------------------------------------------------------------------

def _check_input(layer, x, dims, channels=None, channels_name="C"):
    """Raise TypeError/ValueError unless ``x`` is an array of ``len(dims)`` dims.

    ``dims`` names the expected axes, e.g. ``("N", "C", "H", "W")``; when
    ``channels`` is given, axis 1 must have that size.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array, got {type(x).__name__}")
    expected = list(dims)
    if channels is not None:
        expected[1] = str(channels)
    if x.ndim != len(dims) or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"{layer} expects input of shape ({', '.join(expected)}), "
                         f"got shape {x.shape}")


def _tuple(value, n):
    if isinstance(value, str):
        return value
    if np.isscalar(value):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"expected {n} values, got {value}")
    return value


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------

class Sequential(Module):
    """Modules applied one after another; backward runs them in reverse.

    ``model[i]`` is the i-th module and ``model[a:b]`` a new Sequential of the
    same (shared, not copied) modules, so ``model[:4]`` is the front of a
    trained network, ready to be reused as a feature extractor.
    """

    def __init__(self, *modules):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential holds Modules, got {type(module).__name__}")
        setattr(self, str(len(self._module_names)), module)
        return self

    def _layers(self):
        return [getattr(self, name) for name in self._module_names]

    def __getitem__(self, index):
        layers = self._layers()
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(self._layers())

    def forward(self, x):
        for layer in self._layers():
            x = layer(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self._layers()):
            grad_out = layer.backward(grad_out)
        return grad_out


# --------------------------------------------------------------------------
# Convolutions
# --------------------------------------------------------------------------

class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``_nd`` is 1 or 2."""

    _nd = 0
    _dims = ()

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, bias=True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _tuple(kernel_size, self._nd)
        self.stride = _tuple(stride, self._nd)
        self.padding = _tuple(padding, self._nd)
        self.dilation = _tuple(dilation, self._nd)
        rng = _get_rng(rng)
        fan_in = self.in_channels * math.prod(self.kernel_size)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(kaiming_uniform(shape, fan_in, rng, dtype))
        self.bias = Parameter(kaiming_uniform((self.out_channels,), fan_in, rng, dtype)) if bias else None

    def _args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def forward(self, x):
        _check_input(type(self).__name__, x, self._dims, self.in_channels)
        self._cache = x
        bias = None if self.bias is None else self.bias.data
        return self._conv(x, self.weight.data, bias, **self._args())

    def backward(self, grad_out):
        x = self._saved()
        grad_x, grad_w, grad_b = self._conv_backward(grad_out, x, self.weight.data, **self._args())
        self.weight.accumulate_grad(grad_w)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_b)
        return grad_x

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1D convolution (cross-correlation) over ``(N, C_in, L)`` → ``(N, C_out, L_out)``.

    Weight ``(out_channels, in_channels, kernel_size)``, bias ``(out_channels,)``.
    """

    _nd = 1
    _dims = ("N", "C", "L")
    _conv = staticmethod(conv1d)
    _conv_backward = staticmethod(conv1d_backward)


class Conv2d(_ConvNd):
    """2D convolution (cross-correlation) over ``(N, C_in, H, W)`` → ``(N, C_out, H_out, W_out)``.

    Weight ``(out_channels, in_channels, kH, kW)``, bias ``(out_channels,)``;
    ``H_out = (H + 2*padding - dilation*(kH - 1) - 1) // stride + 1``.
    """

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _conv = staticmethod(conv2d)
    _conv_backward = staticmethod(conv2d_backward)


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------

class _PoolNd(Module):
    _nd = 0
    _dims = ()

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self._nd)
        # torch's default: windows that do not overlap
        self.stride = self.kernel_size if stride is None else _tuple(stride, self._nd)
        self.padding = _tuple(padding, self._nd)

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)

    def forward(self, x):
        _check_input(type(self).__name__, x, self._dims)
        self._cache = x
        return self._pool(x, **self._args())

    def backward(self, grad_out):
        return self._pool_backward(grad_out, self._saved(), **self._args())

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_PoolNd):
    """Max over windows of ``(N, C, L)``; the gradient goes to each window's maximum."""

    _nd = 1
    _dims = ("N", "C", "L")
    _pool = staticmethod(max_pool1d)
    _pool_backward = staticmethod(max_pool1d_backward)


class MaxPool2d(_PoolNd):
    """Max over windows of ``(N, C, H, W)``; the gradient goes to each window's maximum.

    The common case of windows that tile the image (``stride == kernel_size``,
    no padding, sizes divisible) takes a shortcut: the maximum of the
    ``kH*kW`` strided sub-images, with the winning position of each window
    remembered for the backward pass instead of searched for again. For
    finite inputs it gives exactly what :func:`cnn_helpers.max_pool2d` and
    its backward give, including which element of a tie gets the gradient
    (the first); inputs with NaN take the general path.
    """

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _pool = staticmethod(max_pool2d)
    _pool_backward = staticmethod(max_pool2d_backward)

    def _tiles(self, x):
        kh, kw = self.kernel_size
        return (self.stride == self.kernel_size and self.padding == (0, 0)
                and x.shape[2] % kh == 0 and x.shape[3] % kw == 0)

    def forward(self, x):
        _check_input("MaxPool2d", x, self._dims)
        if (not self._tiles(x) or not np.issubdtype(x.dtype, np.floating)
                or np.isnan(x).any()):
            return super().forward(x)
        kh, kw = self.kernel_size
        offsets = [(u, v) for u in range(kh) for v in range(kw)]
        out = x[:, :, ::kh, ::kw].copy()
        for u, v in offsets[1:]:
            np.maximum(out, x[:, :, u::kh, v::kw], out=out)
        # One mask per offset, marking the windows whose first maximum sits there.
        taken = np.zeros(out.shape, dtype=bool)
        masks = []
        for u, v in offsets:
            hit = (x[:, :, u::kh, v::kw] == out) & ~taken
            taken |= hit
            masks.append(hit)
        self._cache = (x.shape, masks)
        return out

    def backward(self, grad_out):
        saved = self._saved()
        if isinstance(saved, np.ndarray):  # the general path cached the input
            return super().backward(grad_out)
        x_shape, masks = saved
        kh, kw = self.kernel_size
        grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
        for (u, v), hit in zip(((u, v) for u in range(kh) for v in range(kw)), masks, strict=True):
            np.multiply(grad_out, hit, out=grad_x[:, :, u::kh, v::kw])
        return grad_x


class _AvgPoolNd(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def _args(self):
        return dict(super()._args(), count_include_pad=self.count_include_pad)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of ``(N, C, L)``; the gradient is shared equally."""

    _nd = 1
    _dims = ("N", "C", "L")
    _pool = staticmethod(avg_pool1d)
    _pool_backward = staticmethod(avg_pool1d_backward)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of ``(N, C, H, W)``; the gradient is shared equally."""

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _pool = staticmethod(avg_pool2d)
    _pool_backward = staticmethod(avg_pool2d_backward)


# --------------------------------------------------------------------------
# Element-wise and reshaping layers
# --------------------------------------------------------------------------

class ReLU(Module):
    """``max(0, x)``, any shape."""

    def forward(self, x):
        _check_array("ReLU", x)
        self._cache = x
        return relu(x)

    def backward(self, grad_out):
        return relu_backward(grad_out, self._saved())


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim``: ``(N, C, H, W)`` → ``(N, C*H*W)`` by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        _check_array("Flatten", x)
        self._cache = x.shape
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])

    def backward(self, grad_out):
        return grad_out.reshape(self._saved())

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _check_array(layer, x):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array, got {type(x).__name__}")


class Linear(Module):
    """Affine map ``x @ weight.T + bias`` over ``(N, in_features)`` → ``(N, out_features)``.

    Weight ``(out_features, in_features)`` as in torch; any leading dims are allowed.
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        rng = _get_rng(rng)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(kaiming_uniform(shape, self.in_features, rng, dtype))
        self.bias = (Parameter(kaiming_uniform((self.out_features,), self.in_features, rng, dtype))
                     if bias else None)

    def forward(self, x):
        _check_array("Linear", x)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expects input of shape (N, {self.in_features}), "
                             f"got shape {x.shape}")
        self._cache = x
        return linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, grad_out):
        grad_x, grad_w, grad_b = linear_backward(grad_out, self._saved(), self.weight.data)
        self.weight.accumulate_grad(grad_w)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_b)
        return grad_x

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    The scaling keeps the expected activation unchanged, so in evaluation
    mode the layer is simply the identity ("inverted dropout", as in torch).
    """

    def __init__(self, p=0.5, *, rng=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = float(p)
        self.rng = _get_rng(rng)

    def forward(self, x):
        _check_array("Dropout", x)
        if not self.training or self.p == 0.0:
            self._cache = 1.0
            return x
        keep = self.rng.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        mask = keep.astype(x.dtype) * x.dtype.type(scale)
        self._cache = mask
        return x * mask

    def backward(self, grad_out):
        return grad_out * self._saved()

    def extra_repr(self):
        return f"p={self.p}"


# --------------------------------------------------------------------------
# Batch normalisation
# --------------------------------------------------------------------------

class BatchNorm2d(Module):
    """Normalise each channel of ``(N, C, H, W)``, then scale and shift it.

    In training mode each channel is normalised with the mean and (biased)
    variance of the current batch over ``N, H, W``, and the running
    statistics move towards them: ``running = (1 - momentum) * running +
    momentum * batch`` (with the unbiased variance, as torch does). In
    evaluation mode the running statistics are used instead, so a single
    image gives the same answer as it would inside any batch.

    Parameters ``weight`` (γ, ones) and ``bias`` (β, zeros) of shape ``(C,)``;
    buffers ``running_mean``, ``running_var`` and ``num_batches_tracked``.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, dtype=np.float32):
        super().__init__()
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))

    @staticmethod
    def _per_channel(v):
        return v.reshape(1, -1, 1, 1)

    def forward(self, x):
        _check_input("BatchNorm2d", x, ("N", "C", "H", "W"), self.num_features)
        if self.training:
            mean = x.mean(axis=(0, 2, 3))
            var = x.var(axis=(0, 2, 3))
            self._update_running_stats(mean, var, x.size // self.num_features)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - self._per_channel(mean)) * self._per_channel(inv_std)
        self._cache = (x_hat, inv_std, self.training)
        return x_hat * self._per_channel(self.weight.data) + self._per_channel(self.bias.data)

    def _update_running_stats(self, mean, var, count):
        m = self.momentum
        unbiased = var * (count / max(count - 1, 1))
        self.running_mean *= 1 - m
        self.running_mean += m * mean.astype(self.running_mean.dtype)
        self.running_var *= 1 - m
        self.running_var += m * unbiased.astype(self.running_var.dtype)
        self.num_batches_tracked += 1

    def backward(self, grad_out):
        x_hat, inv_std, batch_stats = self._saved()
        axes = (0, 2, 3)
        self.weight.accumulate_grad((grad_out * x_hat).sum(axis=axes))
        self.bias.accumulate_grad(grad_out.sum(axis=axes))
        g = grad_out * self._per_channel(self.weight.data)
        if not batch_stats:
            # Running statistics are constants: a per-channel affine map.
            return g * self._per_channel(inv_std)
        # The batch mean and variance depend on every input, which adds two
        # terms: dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)).
        g_mean = g.mean(axis=axes, keepdims=True)
        gx_mean = (g * x_hat).mean(axis=axes, keepdims=True)
        return (g - g_mean - x_hat * gx_mean) * self._per_channel(inv_std)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


# --------------------------------------------------------------------------
# Residual block
# --------------------------------------------------------------------------

class ResidualBlock(Module):
    """The residual block of ResNet-18/34 (torchvision calls it ``BasicBlock``).

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` where both
    convolutions are 3x3 with padding 1 and no bias (BatchNorm supplies the
    shift), ``conv1`` carries the ``stride``, and the shortcut is the identity
    when the shape is unchanged, else a strided 1x1 convolution with
    BatchNorm (torchvision's ``downsample``). Input ``(N, in_channels, H, W)``,
    output ``(N, out_channels, H_out, W_out)`` with ``H_out = ceil(H / stride)``.
    """

    def __init__(self, in_channels, out_channels, stride=1, *, rng=None, dtype=np.float32):
        super().__init__()
        rng = _get_rng(rng)
        kw = dict(rng=rng, dtype=dtype)
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False, **kw)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=False, **kw)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu2 = ReLU()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False, **kw),
                BatchNorm2d(out_channels, dtype=dtype),
            )
        else:
            self.shortcut = None

    def _main_path(self):
        return (self.conv1, self.bn1, self.relu1, self.conv2, self.bn2)

    def forward(self, x):
        _check_input("ResidualBlock", x, ("N", "C", "H", "W"), self.conv1.in_channels)
        h = x
        for layer in self._main_path():
            h = layer(h)
        skip = x if self.shortcut is None else self.shortcut(x)
        self._cache = True
        return self.relu2(h + skip)

    def backward(self, grad_out):
        self._saved()
        g = self.relu2.backward(grad_out)
        # The sum sends the same gradient down both paths; their input
        # gradients add up where the paths meet again, at x.
        g_main = g
        for layer in reversed(self._main_path()):
            g_main = layer.backward(g_main)
        g_skip = g if self.shortcut is None else self.shortcut.backward(g)
        return g_main + g_skip

    def extra_repr(self):
        return f"{self.conv1.in_channels}, {self.conv1.out_channels}, stride={self.conv1.stride[0]}"
