"""Randomness and initialisation, like ``torch.manual_seed`` and ``torch.nn.init``.

Layers draw their weights from ``rng``: a ``np.random.Generator``, an integer
seed, or ``None`` for the module-wide generator that :func:`manual_seed` resets.
"""

import math

import numpy as np

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


def torch_default_uniform(shape, fan_in, rng=None, dtype=np.float32):
    """Torch's default layer initialisation: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    Variance ``1 / (3 fan_in)``. Torch's ``nn.Linear`` and ``nn.Conv2d`` get it by
    calling ``torch.nn.init.kaiming_uniform_`` with ``a = sqrt(5)``: the bound
    ``sqrt(6 / ((1 + a**2) * fan_in))`` simplifies to ``1 / sqrt(fan_in)``. With its
    default ``a = 0``, ``kaiming_uniform_`` is He-uniform instead (variance
    ``2 / fan_in``), which this function is not. Torch draws biases from the same range.
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _get_rng(rng).uniform(-bound, bound, size=shape).astype(dtype)



def kaiming_normal(shape, fan_in, gain=None, rng=None, dtype=np.float32):
    """He et al.'s (2015) initialisation: ``N(0, gain**2 / fan_in)``, like ``torch.nn.init.kaiming_normal_``.

    With the default gain (``None``: ``sqrt(2)``, for ReLU) a ``Linear -> ReLU`` layer
    keeps the second moment of its input: the weights give the pre-activation
    ``fan_in * 2 / fan_in = 2`` times the input's second moment, and the ReLU
    keeps half of it. Torch's default, :func:`torch_default_uniform`, has variance
    ``1 / (3 fan_in)`` instead and shrinks the second moment by 6 per layer.
    """
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive, got {fan_in} for shape {shape}")
    std = (math.sqrt(2.0) if gain is None else gain) / math.sqrt(fan_in)
    return (_get_rng(rng).standard_normal(size=shape) * std).astype(dtype)
