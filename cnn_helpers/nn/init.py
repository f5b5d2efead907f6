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


def kaiming_uniform(shape, fan_in, rng=None, dtype=np.float32):
    """Torch's default layer initialisation: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    This is Kaiming-uniform with ``a = sqrt(5)``: the bound
    ``sqrt(6 / ((1 + a**2) * fan_in))`` simplifies to ``1 / sqrt(fan_in)``.
    Torch draws biases from the same range.
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _get_rng(rng).uniform(-bound, bound, size=shape).astype(dtype)
