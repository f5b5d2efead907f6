"""Padding, following ``torch.nn.functional.pad``."""

from __future__ import annotations

import numpy as np

from ._validate import _is_int, as_array

_NUMPY_MODES = {
    "zeros": "constant",
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


def pad(x, pad, mode="zeros", value=0.0):
    """Pad the trailing dimensions of ``x``, as ``torch.nn.functional.pad`` does.

    Parameters
    ----------
    x : array of any shape; its dtype is kept.
    pad : tuple of non-negative ints, read from the last dimension backwards:
        ``(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the
        last two, and so on. A plain int ``p`` is a shorthand for ``p`` on every
        side of the last two dims, or of the only dim when ``x`` is 1-D (for a
        ``(N, C, L)`` signal pass ``(p, p)``).
    mode : ``'zeros'`` (alias ``'constant'``) fills with ``value``;
        ``'reflect'`` mirrors without repeating the edge (needs pad < size);
        ``'replicate'`` repeats the edge; ``'circular'`` wraps around
        (needs pad <= size).
    value : fill value for ``'zeros'``/``'constant'``.

    Returns
    -------
    Array whose padded dims grow from ``n`` to ``n + before + after``.

    Unlike torch, negative padding (cropping) is rejected.
    """
    op = "pad"
    x = as_array(x, "x", op)
    if mode not in _NUMPY_MODES:
        raise ValueError(
            f"{op}: mode must be one of {sorted(_NUMPY_MODES)}, got {mode!r}"
        )
    widths = _parse_pad(pad, x.shape, op)
    for axis, (before, after) in enumerate(widths):
        size = x.shape[axis]
        if before == after == 0:
            continue
        if mode == "reflect" and max(before, after) >= size:
            raise ValueError(
                f"{op}: reflect padding must be smaller than the padded dimension; "
                f"got pad ({before}, {after}) on dim {axis} of size {size} (input shape {x.shape})"
            )
        if mode == "circular" and max(before, after) > size:
            raise ValueError(
                f"{op}: circular padding can be at most the padded dimension; "
                f"got pad ({before}, {after}) on dim {axis} of size {size} (input shape {x.shape})"
            )
        if mode == "replicate" and size == 0:
            raise ValueError(f"{op}: cannot replicate-pad an empty dim {axis} (shape {x.shape})")
    np_mode = _NUMPY_MODES[mode]
    if np_mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=np_mode)


def _parse_pad(pad, shape, op):
    """Turn torch's flat, last-dim-first pad tuple into numpy's per-axis pairs."""
    ndim = len(shape)
    if _is_int(pad):
        n_dims = 1 if ndim == 1 else 2
        flat = (int(pad),) * (2 * n_dims)
    elif isinstance(pad, (tuple, list)) and all(_is_int(p) for p in pad):
        flat = tuple(int(p) for p in pad)
    else:
        raise TypeError(f"{op}: pad must be an int or a tuple of ints, got {pad!r}")
    if len(flat) % 2 or not flat:
        raise ValueError(f"{op}: pad needs an even number of entries, got {pad!r}")
    if len(flat) // 2 > ndim:
        raise ValueError(
            f"{op}: pad {pad!r} covers {len(flat) // 2} dims but the input has shape {shape}"
        )
    if any(p < 0 for p in flat):
        raise ValueError(f"{op}: pad must be non-negative (no cropping), got {pad!r}")
    widths = [(0, 0)] * ndim
    for i in range(len(flat) // 2):
        widths[ndim - 1 - i] = (flat[2 * i], flat[2 * i + 1])
    return widths


def zero_pad2d(x, pads, fill=0.0):
    """Pad the last two dims of a 4-D array with ``fill``; ``pads`` is ((top, bottom), (left, right)).

    Internal fast path: one allocation and one copy, no mode handling.
    """
    (t, b), (left, r) = pads
    if t == b == left == r == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + t + b, w + left + r), fill, dtype=x.dtype)
    out[:, :, t : t + h, left : left + w] = x
    return out
