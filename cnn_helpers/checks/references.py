"""The right answers for convolution and pooling exercises, computed by the library's own ops.

:func:`reference_conv` picks ``conv1d`` or ``conv2d`` from the weight's shape, and
:func:`reference_pool` runs ``max_pool2d`` or ``avg_pool2d``; both always compute in
float64. Their extra arguments (padding on one side only, a different pad value)
model the known mistakes of :mod:`.mistakes`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..conv import conv1d, conv2d
from ..pooling import avg_pool2d, max_pool2d

_CONVS = {1: conv1d, 2: conv2d}


def pair(value: Any, n: int) -> tuple[int, ...]:
    """An int (or a sequence of ints) as a tuple of ``n`` ints."""
    if np.ndim(value) == 0:
        return (int(value),) * n
    return tuple(int(v) for v in value)


def spatial_dims(weight: np.ndarray) -> int:
    """1 for a conv1d weight (out, in, k), 2 for a conv2d weight (out, in, kh, kw)."""
    return weight.ndim - 2


def _pad(x: np.ndarray, pads: tuple[int, ...], both_sides: bool = True,
         value: float = 0.0) -> np.ndarray:
    """Pad the last ``len(pads)`` axes of ``x`` by ``pads``, on both sides or at the start only."""
    widths = [(0, 0)] * (x.ndim - len(pads)) + [(p, p if both_sides else 0) for p in pads]
    return np.pad(x, widths, constant_values=value)


def reference_conv(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                   pad_sides: str = "both") -> np.ndarray:
    """Cross-correlation like ``torch.nn.functional.conv1d``/``conv2d`` (channels first).

    ``x`` is (C, L) / (N, C, L) for 1-d or (C, H, W) / (N, C, H, W) for 2-d;
    ``weight`` is (O, C, k) or (O, C, kh, kw).  ``pad_sides="before"`` pads
    only at the start of each axis (used to model a mistake).
    """
    w = np.asarray(weight, dtype=float)
    dims = spatial_dims(w)
    if dims not in _CONVS:
        raise ValueError("reference_conv: weight must be (O, C, k) or (O, C, kh, kw), "
                         f"got shape {w.shape}")
    xp = _pad(np.asarray(x, dtype=float), pair(padding, dims), both_sides=pad_sides == "both")
    b = None if bias is None else np.asarray(bias, dtype=float).reshape(-1)
    return _CONVS[dims](xp, w, b, pair(stride, dims))


def reference_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                   mode: str = "max", pad_value: float | None = None) -> np.ndarray:
    """2-d max or average pooling over the last two axes (like torch's max_pool2d/avg_pool2d).

    Max pooling pads with -inf; average pooling pads with zeros and counts them.
    ``pad_value`` pads with another value instead (used to model a mistake).
    """
    ks = pair(kernel_size, 2)
    strides = pair(ks if stride is None else stride, 2)
    if pad_value is None:
        pad_value = -np.inf if mode == "max" else 0.0
    xp = _pad(np.asarray(x, dtype=float), pair(padding, 2), value=pad_value)
    pool = max_pool2d if mode == "max" else avg_pool2d
    # Any leading axes are pooled alike: stack them as the channels of one image.
    out = pool(xp.reshape((-1,) + xp.shape[-2:]), ks, strides)
    return out.reshape(xp.shape[:-2] + out.shape[-2:])
