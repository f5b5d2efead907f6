"""Naive loop versions of the core ops, written to be read.

Each function does exactly what its fast counterpart in ``cnn_helpers`` does,
with the same signature, but spells the computation out with explicit loops:
one output value at a time. They take the batched form only
(``(N, C, H, W)`` images, ``(N, C, L)`` signals) and an int or pair padding.
They are slow by design; chapter 6 times them against the vectorised versions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv1d", "conv2d", "conv2d_backward", "max_pool2d", "avg_pool2d"]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(n, k, s, p, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _pad_image(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """1D cross-correlation. x: (N, C_in, L), w: (C_out, C_in/groups, K) -> (N, C_out, L_out).

    With ``groups`` > 1, output channel o sees only the C_in/groups input channels of its group.
    """
    N, _, L = x.shape
    C_out, C_in, K = w.shape  # C_in: input channels per group
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    L_out = _out_size(L, K, stride, padding, dilation)
    out = np.zeros((N, C_out, L_out), dtype=np.result_type(x, w, np.float32))
    for n in range(N):
        for o in range(C_out):
            for i in range(L_out):
                start = i * stride
                total = 0.0
                first = (o // (C_out // groups)) * C_in  # this group's first input channel
                for c in range(C_in):
                    for k in range(K):
                        total += x[n, first + c, start + k * dilation] * w[o, c, k]
                out[n, o, i] = total + (b[o] if b is not None else 0.0)
    return out


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2D cross-correlation. x: (N, C_in, H, W), w: (C_out, C_in/groups, KH, KW) -> (N, C_out, OH, OW).

    out[n, o, i, j] = b[o] + sum over c, u, v of w[o, c, u, v] * x_padded[n, c, i*sh + u*dh, j*sw + v*dw]
    where, with ``groups`` > 1, c runs over the input channels of output channel o's group only.
    """
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, _, H, W = x.shape
    C_out, C_group, KH, KW = w.shape
    OH, OW = _out_size(H, KH, sh, ph, dh), _out_size(W, KW, sw, pw, dw)
    x = _pad_image(x, ph, pw)
    out = np.zeros((N, C_out, OH, OW), dtype=np.result_type(x, w, np.float32))
    for n in range(N):
        for o in range(C_out):
            first = (o // (C_out // groups)) * C_group  # this group's first input channel
            for i in range(OH):
                for j in range(OW):
                    # The window: every dh-th row and dw-th column from (i*sh, j*sw).
                    window = x[n, first : first + C_group, i * sh : i * sh + dh * (KH - 1) + 1 : dh,
                               j * sw : j * sw + dw * (KW - 1) + 1 : dw]
                    out[n, o, i, j] = np.sum(window * w[o])
            if b is not None:
                out[n, o] += b[o]
    return out


def conv2d_backward(grad_out, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of conv2d: returns (grad_x, grad_w, grad_b), shaped like x, w and (C_out,).

    Each output value used one window of x and all of w[o]; its gradient flows
    back along exactly those connections.
    """
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    N, _, H, W = x.shape
    C_out, C_group, KH, KW = w.shape
    _, _, OH, OW = grad_out.shape
    x_pad = _pad_image(x, ph, pw)
    grad_x_pad = np.zeros_like(x_pad)
    grad_w = np.zeros_like(w, dtype=grad_x_pad.dtype)
    for n in range(N):
        for o in range(C_out):
            chans = slice((o // (C_out // groups)) * C_group, (o // (C_out // groups) + 1) * C_group)
            for i in range(OH):
                for j in range(OW):
                    rows = slice(i * sh, i * sh + dh * (KH - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (KW - 1) + 1, dw)
                    g = grad_out[n, o, i, j]
                    grad_w[o] += g * x_pad[n, chans, rows, cols]
                    grad_x_pad[n, chans, rows, cols] += g * w[o]
    grad_x = grad_x_pad[:, :, ph : ph + H, pw : pw + W]
    grad_b = grad_out.sum(axis=(0, 2, 3))
    return grad_x, grad_w, grad_b


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """2D max pooling. x: (N, C, H, W) -> (N, C, OH, OW); padding counts as -inf."""
    KH, KW = _pair(kernel_size)
    sh, sw = _pair(stride) if stride is not None else (KH, KW)
    ph, pw = _pair(padding)
    N, C, H, W = x.shape
    OH, OW = _out_size(H, KH, sh, ph), _out_size(W, KW, sw, pw)
    x = _pad_image(x.astype(np.result_type(x, np.float32)), ph, pw, value=-np.inf)
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    out[n, c, i, j] = x[n, c, i * sh : i * sh + KH, j * sw : j * sw + KW].max()
    return out


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """2D average pooling. x: (N, C, H, W) -> (N, C, OH, OW); padding counts as 0."""
    KH, KW = _pair(kernel_size)
    sh, sw = _pair(stride) if stride is not None else (KH, KW)
    ph, pw = _pair(padding)
    N, C, H, W = x.shape
    OH, OW = _out_size(H, KH, sh, ph), _out_size(W, KW, sw, pw)
    x = _pad_image(x.astype(np.result_type(x, np.float32)), ph, pw)
    inside = _pad_image(np.ones((1, 1, H, W)), ph, pw)  # 1 on real pixels, 0 on padding
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    rows = slice(i * sh, i * sh + KH)
                    cols = slice(j * sw, j * sw + KW)
                    count = KH * KW if count_include_pad else inside[0, 0, rows, cols].sum()
                    out[n, c, i, j] = x[n, c, rows, cols].sum() / count
    return out
