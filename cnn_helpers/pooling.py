"""Pooling forward and backward: max, average and power-average (Lp) pooling.

Input forms, as for convolution:

* 2D pooling: batched ``(N, C, H, W)``, unbatched ``(C, H, W)``, or a plain image ``(H, W)``.
* 1D pooling: batched ``(N, C, L)``, unbatched ``(C, L)``, or a plain signal ``(L,)``.

Each channel is pooled on its own, so the output keeps the input's form with
every spatial size ``n`` replaced by

    out = (n + 2p - k) // s + 1

(kernel ``k``, stride ``s`` defaulting to ``k``, padding ``p`` with
``p <= k / 2`` as torch requires). Max pooling pads with -inf, so padding is
never chosen; average pooling pads with zeros.

The loops below run over the KH*KW kernel offsets, each step handling a
whole strided slice of the input, never over pixels or the batch.

Gradient routing in max pooling: when several entries of a window tie for the
maximum, the whole gradient goes to the first of them in row-major window
order, as PyTorch does on CPU. Overlapping windows (stride < kernel) add their
contributions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_float_arrays, check_grad_shape, int_tuple, output_length
from .padding import zero_pad2d

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "lp_pool2d",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
]


class _PoolCall(NamedTuple):
    x4: np.ndarray  # (N, C, H, W)
    kernel: tuple
    stride: tuple
    pads: tuple  # ((top, bottom), (left, right))
    out_hw: tuple
    out_shape: tuple  # output shape in the caller's form


def _geometry(op, nd, x, kernel_size, stride, padding):
    """Per spatial dim: kernel, stride, padding and output size, checked as torch does."""
    kernel = int_tuple(kernel_size, nd, "kernel_size", op)
    stride_t = kernel if stride is None else int_tuple(stride, nd, "stride", op)
    pad_t = int_tuple(padding, nd, "padding", op, minimum=0)
    if min(x.shape[-nd:]) < 1:
        raise ValueError(f"{op}: input has an empty spatial dimension (shape {x.shape})")
    out_sp = []
    for n_in, k, s, p in zip(x.shape[-nd:], kernel, stride_t, pad_t, strict=True):
        if 2 * p > k:
            raise ValueError(
                f"{op}: padding should be at most half of kernel_size, got padding {padding!r} "
                f"with kernel_size {kernel_size!r}"
            )
        if k > n_in + 2 * p:
            raise ValueError(
                f"{op}: kernel_size {kernel_size!r} is larger than the padded input "
                f"(input shape {x.shape}, padding {padding!r})"
            )
        out_sp.append(output_length(n_in, k, s, p, p, 1))
    return kernel, stride_t, pad_t, tuple(out_sp)


def _setup(op, nd, x, kernel_size, stride, padding, grad_out=None):
    """Validate a pooling call and reshape it to the batched 2D form."""
    x, g = as_float_arrays(op, input=x, grad_out=grad_out)
    if x.ndim not in (nd, nd + 1, nd + 2):
        forms = "(N, C, L), (C, L) or (L,)" if nd == 1 else "(N, C, H, W), (C, H, W) or (H, W)"
        raise ValueError(f"{op}: input must be {forms}, got shape {x.shape}")
    kernel, stride_t, pad_t, out_sp = _geometry(op, nd, x, kernel_size, stride, padding)
    x4 = x.reshape((1,) * (nd + 2 - x.ndim) + x.shape)
    x4 = x4[:, :, None, :] if nd == 1 else x4
    pads = tuple((p, p) for p in pad_t)
    if nd == 1:
        kernel, stride_t, pads = (1, *kernel), (1, *stride_t), ((0, 0), *pads)
        out_hw = (1, *out_sp)
    else:
        out_hw = out_sp
    out_shape = x.shape[:-nd] + out_sp
    if g is not None:
        check_grad_shape(g, out_shape, op)
        g = g.reshape(x4.shape[:2] + out_hw)
    return _PoolCall(x4, kernel, stride_t, pads, out_hw, out_shape), g


def _windows(xp, call):
    """Yield ``(offset index, (N, C, OH, OW) slice)`` for every kernel offset."""
    (kh, kw), (sh, sw), (oh, ow) = call.kernel, call.stride, call.out_hw
    for u in range(kh):
        for v in range(kw):
            yield u * kw + v, (slice(None), slice(None), slice(u, u + sh * (oh - 1) + 1, sh),
                               slice(v, v + sw * (ow - 1) + 1, sw))


def _max_and_argmax(call):
    """Window maxima and the offset of the first maximum in each window."""
    xp = zero_pad2d(call.x4, call.pads, fill=-np.inf)
    best = np.full(call.x4.shape[:2] + call.out_hw, -np.inf, dtype=call.x4.dtype)
    arg = np.zeros(best.shape, dtype=np.intp)
    for k, idx in _windows(xp, call):
        v = xp[idx]
        # Strict '>' keeps the first maximum; NaN always wins, as in torch.
        better = (v > best) | np.isnan(v)
        np.copyto(best, v, where=better)
        np.copyto(arg, k, where=better)
    return best, arg


def _max(call):
    """Window maxima alone: the forward needs no argmax. NaN propagates, as in torch."""
    xp = zero_pad2d(call.x4, call.pads, fill=-np.inf)
    windows = _windows(xp, call)
    _, idx = next(windows)
    best = xp[idx].copy()
    for _, idx in windows:
        np.maximum(best, xp[idx], out=best)
    return best


def _window_sum(xp, call):
    total = np.zeros(call.x4.shape[:2] + call.out_hw, dtype=call.x4.dtype)
    for _, idx in _windows(xp, call):
        total += xp[idx]
    return total


def _avg_divisor(call, count_include_pad):
    """Number each window sum is divided by: the full window, or its non-padding part."""
    kh, kw = call.kernel
    if count_include_pad or not any(p for pair in call.pads for p in pair):
        return kh * kw
    ones = np.ones((1, 1) + call.x4.shape[2:], dtype=call.x4.dtype)
    return _window_sum(zero_pad2d(ones, call.pads), call._replace(x4=ones))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """2D max pooling, as ``torch.nn.functional.max_pool2d``.

    x : (N, C, H, W), (C, H, W) or (H, W). kernel_size, stride, padding: int or pair;
    stride defaults to kernel_size; padding (at most kernel_size / 2) is -inf.

    Returns (N, C, OH, OW) (same form as ``x``), ``OH = (H + 2*ph - KH) // sh + 1``.
    """
    call, _ = _setup("max_pool2d", 2, x, kernel_size, stride, padding)
    return _max(call).reshape(call.out_shape)


def max_pool1d(x, kernel_size, stride=None, padding=0):
    """1D max pooling, as ``torch.nn.functional.max_pool1d``.

    x : (N, C, L), (C, L) or (L,). Returns the same form with
    ``L_out = (L + 2*padding - kernel_size) // stride + 1``.
    """
    call, _ = _setup("max_pool1d", 1, x, kernel_size, stride, padding)
    return _max(call).reshape(call.out_shape)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """2D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Zero padding; with ``count_include_pad=False`` the padded zeros are left out
    of each window's count. Shapes as ``max_pool2d``.
    """
    call, _ = _setup("avg_pool2d", 2, x, kernel_size, stride, padding)
    total = _window_sum(zero_pad2d(call.x4, call.pads), call)
    return (total / _avg_divisor(call, count_include_pad)).astype(total.dtype, copy=False).reshape(
        call.out_shape
    )


def avg_pool1d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """1D average pooling, as ``torch.nn.functional.avg_pool1d``. Shapes as ``max_pool1d``."""
    call, _ = _setup("avg_pool1d", 1, x, kernel_size, stride, padding)
    total = _window_sum(zero_pad2d(call.x4, call.pads), call)
    return (total / _avg_divisor(call, count_include_pad)).astype(total.dtype, copy=False).reshape(
        call.out_shape
    )


def lp_pool2d(x, norm_type, kernel_size, stride=None):
    """Power-average pooling, as ``torch.nn.functional.lp_pool2d``: ``(sum over window of x**p)**(1/p)``.

    ``norm_type=2`` is L2 pooling, the root of the sum of squares; large ``p``
    approaches max pooling of non-negative inputs. As in torch, ``x`` is raised
    to ``p`` without taking absolute values, and there is no padding.
    Shapes as ``max_pool2d``.
    """
    op = "lp_pool2d"
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or norm_type <= 0:
        raise ValueError(f"{op}: norm_type must be a positive number, got {norm_type!r}")
    call, _ = _setup(op, 2, x, kernel_size, stride, 0)
    total = _window_sum(call.x4**norm_type, call)
    return (total ** (1.0 / norm_type)).astype(total.dtype, copy=False).reshape(call.out_shape)


def _max_backward(call, g):
    _, arg = _max_and_argmax(call)
    dxp = _padded_zeros(call)
    for k, idx in _windows(dxp, call):
        dxp[idx] += np.where(arg == k, g, 0)
    return _crop(dxp, call.pads)


def _avg_backward(call, g, count_include_pad):
    g = g / _avg_divisor(call, count_include_pad)
    dxp = _padded_zeros(call)
    for _, idx in _windows(dxp, call):
        dxp[idx] += g
    return _crop(dxp, call.pads)


def _padded_zeros(call):
    n, c, h, w = call.x4.shape
    (t, b), (left, r) = call.pads
    return np.zeros((n, c, h + t + b, w + left + r), dtype=call.x4.dtype)


def _crop(xp, pads):
    (t, b), (left, r) = pads
    return xp[:, :, t : xp.shape[2] - b, left : xp.shape[3] - r]


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool2d`` with respect to ``x`` (shape of ``x``).

    Each window's gradient goes to its maximum (the first one, on ties).
    """
    call, g = _setup("max_pool2d_backward", 2, x, kernel_size, stride, padding, grad_out)
    return _max_backward(call, g).reshape(np.shape(x))


def max_pool1d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool1d`` with respect to ``x`` (shape of ``x``); ties as ``max_pool2d_backward``."""
    call, g = _setup("max_pool1d_backward", 1, x, kernel_size, stride, padding, grad_out)
    return _max_backward(call, g).reshape(np.shape(x))


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Gradient of ``avg_pool2d`` with respect to ``x``: each window spreads its
    gradient evenly over its entries (shape of ``x``)."""
    call, g = _setup("avg_pool2d_backward", 2, x, kernel_size, stride, padding, grad_out)
    return _avg_backward(call, g, count_include_pad).reshape(np.shape(x))


def avg_pool1d_backward(grad_out, x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Gradient of ``avg_pool1d`` with respect to ``x`` (shape of ``x``)."""
    call, g = _setup("avg_pool1d_backward", 1, x, kernel_size, stride, padding, grad_out)
    return _avg_backward(call, g, count_include_pad).reshape(np.shape(x))
