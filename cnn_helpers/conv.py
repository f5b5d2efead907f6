"""Convolution (cross-correlation) forward and backward, vectorised with im2col.

"Convolution" here means cross-correlation, as in every deep learning library:
the kernel slides over the input without being flipped,

    out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[n, c, i*s + u*d, j*s + v*d].

``true_conv1d`` / ``true_conv2d`` flip the kernel first and so compute the
convolution of signal processing.

Output size along each spatial dim (n input, k kernel, p padding per side,
s stride, d dilation):

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1,   which for d = 1 is (n + 2p - k) // s + 1.

Input forms (as ``torch.nn.functional`` plus a teaching form torch lacks):

============  ==================  ========================  =====================
form          conv2d input        conv2d weight             output
============  ==================  ========================  =====================
batched       (N, C_in, H, W)     (C_out, C_in, KH, KW)     (N, C_out, OH, OW)
unbatched     (C_in, H, W)        (C_out, C_in, KH, KW)     (C_out, OH, OW)
plain         (H, W)              (KH, KW)                  (OH, OW)
============  ==================  ========================  =====================

and likewise for conv1d with ``(N, C_in, L)``, ``(C_in, L)`` or ``(L,)`` inputs and
``(C_out, C_in, K)`` or ``(K,)`` kernels. The bias has shape ``(C_out,)``; in the
plain form it is a scalar or shape ``(1,)``.

Dtypes: float32 stays float32 and float64 stays float64; integer or bool inputs
(the notes' 0/1 images) are computed in float64 unless another argument is
float32 (see ``cnn_helpers._validate``).

How it runs: every form is reshaped to the batched 2D form (a 1D signal is an
image of height 1), the padded input is unfolded into columns (im2col), and
the convolution becomes one matrix product for the whole batch (the batch is
folded into the columns, so BLAS sees one large product rather than N tiny
ones). The backward reuses the columns: ``grad_w`` is a matrix product with
them, and ``grad_x`` is the column gradient folded back (col2im) with one
strided add per kernel offset.
"""

from __future__ import annotations

import ctypes
from typing import NamedTuple

import numpy as np

from ._validate import (
    as_array,
    as_float_arrays,
    check_grad_shape,
    check_ndim,
    conv_padding,
    int_tuple,
    output_length,
)
from .padding import zero_pad2d


def _keep_freed_memory_mapped():
    """Stop glibc from handing freed heap memory straight back to the kernel.

    A conv call allocates a few arrays of a few MB and frees them on return. With
    glibc's defaults, each free above ~2-4 MB unmaps or trims that memory, so the
    next call page-faults every 4 KB page again (in a VM about 3 us each): at
    the digits shapes that was 4 of 5 ms of a forward pass. Raising the two
    thresholds keeps such blocks in the heap for reuse. It is a process-wide
    allocator setting, so it is skipped quietly where glibc is absent.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mmap_threshold, trim_threshold = -3, -1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD in malloc.h
        libc.mallopt(mmap_threshold, 64 << 20)
        libc.mallopt(trim_threshold, 128 << 20)
    except (OSError, AttributeError):
        pass


_keep_freed_memory_mapped()

__all__ = [
    "conv1d",
    "conv2d",
    "conv1d_backward",
    "conv2d_backward",
    "true_conv1d",
    "true_conv2d",
    "unfold",
    "fold",
    "conv_output_size",
]


# ---------------------------------------------------------------------------
# im2col / col2im on the batched 2D form
# ---------------------------------------------------------------------------


def _im2col(xp, kernel, stride, dilation, out_hw):
    """Columns of a padded (N, C, Hp, Wp) input, shape (N, C*KH*KW, OH*OW), torch's unfold layout.

    One strided copy per kernel offset: each copy moves a whole (N, C, OH, OW)
    block, so the Python loop runs KH*KW times, never over pixels.
    """
    n, c = xp.shape[:2]
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=xp.dtype)
    for u in range(kh):
        for v in range(kw):
            r, q = u * dh, v * dw
            cols[:, :, u, v] = xp[:, :, r : r + sh * (oh - 1) + 1 : sh, q : q + sw * (ow - 1) + 1 : sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _col2im(cols, padded_shape, kernel, stride, dilation, out_hw):
    """Adjoint of ``_im2col``: sum every column entry back to the pixel it was copied from."""
    n, c, hp, wp = padded_shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            r, q = u * dh, v * dw
            xp[:, :, r : r + sh * (oh - 1) + 1 : sh, q : q + sw * (ow - 1) + 1 : sw] += cols[:, :, u, v]
    return xp


def _im2col_rows(x4, pads, kernel, dilation, out_h):
    """Stride-1 im2col that reads each padded channel as one long row.

    Window (i, j) at kernel offset (u, v) reads flat index (i + u*dh)*Wp + j + v*dw,
    so each offset is one contiguous slice of length OH*Wp: long, cheap copies
    instead of OH short ones. Each output row then has Wp entries, of which the
    last Wp - OW are junk (windows wrapping into the next row) that callers drop.

    The batch sits inside each row, giving columns (C*KH*KW, N*OH*Wp): the whole
    convolution is then one big matrix product, where a (N, ...) stack would be
    N tiny ones with an inner size of only C*KH*KW (9 for a 3x3 grey image).
    Returns the columns and Wp.
    """
    n, c, h, w = x4.shape
    (kh, kw), (dh, dw) = kernel, dilation
    (t, b), (left, r) = pads
    hp, wp = h + t + b, w + left + r
    length = out_h * wp
    # The tail lets the last offsets' slices run past the final row's end.
    flat = np.zeros((c, n, hp * wp + dw * (kw - 1)), dtype=x4.dtype)
    padded = flat[:, :, : hp * wp].reshape(c, n, hp, wp)
    padded[:, :, t : t + h, left : left + w] = x4.transpose(1, 0, 2, 3)
    cols = np.empty((c, kh, kw, n, length), dtype=x4.dtype)
    for u in range(kh):
        for v in range(kw):
            start = u * dh * wp + v * dw
            cols[:, u, v] = flat[:, :, start : start + length]
    return cols.reshape(c * kh * kw, n * length), wp


def _col2im_rows(cols, x_shape, pads, kernel, dilation, out_h):
    """Adjoint of ``_im2col_rows`` (junk columns must hold zeros); returns the (N, C, H, W) gradient."""
    n, c, h, w = x_shape
    (kh, kw), (dh, dw) = kernel, dilation
    (t, b), (left, r) = pads
    hp, wp = h + t + b, w + left + r
    length = out_h * wp
    cols = cols.reshape(c, kh, kw, n, length)
    flat = np.zeros((c, n, hp * wp + dw * (kw - 1)), dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            start = u * dh * wp + v * dw
            flat[:, :, start : start + length] += cols[:, u, v]
    padded = flat[:, :, : hp * wp].reshape(c, n, hp, wp)
    return padded[:, :, t : t + h, left : left + w].transpose(1, 0, 2, 3)


def _crop(xp, pads):
    (t, b), (left, r) = pads
    return xp[:, :, t : xp.shape[2] - b, left : xp.shape[3] - r]


def _columns(call):
    """im2col for a conv call: columns (C*KH*KW, N*OH*R) and the row length R (OW, or Wp when stride is 1)."""
    kernel = call.w4.shape[2:]
    if call.stride == (1, 1):
        return _im2col_rows(call.x4, call.pads, kernel, call.dilation, call.out_hw[0])
    xp = zero_pad2d(call.x4, call.pads)
    cols = _im2col(xp, kernel, call.stride, call.dilation, call.out_hw)
    # Batch into the rows, as _im2col_rows lays them out (this strided path is rare).
    return cols.transpose(1, 0, 2).reshape(cols.shape[1], -1), call.out_hw[1]


def _uncolumns(cols, call):
    """col2im for a conv call, the adjoint of ``_columns``: returns the (N, C, H, W) input gradient."""
    kernel = call.w4.shape[2:]
    if call.stride == (1, 1):
        return _col2im_rows(cols, call.x4.shape, call.pads, kernel, call.dilation, call.out_hw[0])
    n, c, h, w = call.x4.shape
    padded = (n, c, h + sum(call.pads[0]), w + sum(call.pads[1]))
    cols = cols.reshape(cols.shape[0], n, -1).transpose(1, 0, 2)
    return _crop(_col2im(cols, padded, kernel, call.stride, call.dilation, call.out_hw), call.pads)


# ---------------------------------------------------------------------------
# Argument handling shared by forward and backward
# ---------------------------------------------------------------------------


class _ConvCall(NamedTuple):
    x4: np.ndarray  # (N, C_in, H, W)
    w4: np.ndarray  # (C_out, C_in, KH, KW)
    b: np.ndarray | None  # (C_out,)
    stride: tuple
    dilation: tuple
    pads: tuple  # ((top, bottom), (left, right))
    out_hw: tuple
    out_shape: tuple  # output shape in the caller's form
    groups: int  # input and output channels split into this many independent groups


_FORMS = {
    # nd: {weight ndim: (allowed input ndims, weight description)}
    1: {3: ((3, 2), "(C_out, C_in, K)"), 1: ((1,), "(K,) for a plain signal")},
    2: {4: ((4, 3), "(C_out, C_in, KH, KW)"), 2: ((2,), "(KH, KW) for a plain image")},
}
_INPUT_DESC = {
    (1, 3): "(N, C_in, L)",
    (1, 2): "(C_in, L)",
    (1, 1): "(L,) for a plain signal",
    (2, 4): "(N, C_in, H, W)",
    (2, 3): "(C_in, H, W)",
    (2, 2): "(H, W) for a plain image",
}


def _check_forms(op, nd, x, w):
    """The input's number of dims must fit the weight's: batched/unbatched, or plain."""
    forms = _FORMS[nd]
    if w.ndim not in forms:
        allowed = " or ".join(f"{k}-D {desc}" for k, (_, desc) in forms.items())
        raise ValueError(f"{op}: weight must be {allowed}, got shape {w.shape}")
    x_ndims, _ = forms[w.ndim]
    if x.ndim not in x_ndims:
        allowed = " or ".join(_INPUT_DESC[(nd, k)] for k in x_ndims)
        raise ValueError(
            f"{op}: with weight of shape {w.shape} the input must be {allowed}, "
            f"got shape {x.shape}"
        )
    if min(w.shape[-nd:]) < 1:
        raise ValueError(f"{op}: kernel size must be positive, got weight shape {w.shape}")


def _check_bias(op, b, w, c_out, plain):
    """Return the bias as shape (C_out,), or raise if it does not match the weight."""
    if b is None:
        return None
    if plain and b.shape in ((), (1,)):
        return b.reshape(1)
    if plain or b.shape != (c_out,):
        want = "a scalar or shape (1,)" if plain else f"shape ({c_out},)"
        raise ValueError(
            f"{op}: bias must be {want} to match weight shape {w.shape}, got shape {b.shape}"
        )
    return b


def _geometry(op, nd, x, w, stride, padding, dilation):
    """Per spatial dim: stride, dilation, (before, after) padding and output size."""
    kernel = w.shape[-nd:]
    stride_t = int_tuple(stride, nd, "stride", op)
    dilation_t = int_tuple(dilation, nd, "dilation", op)
    pads = conv_padding(padding, kernel, stride_t, dilation_t, op)
    if min(x.shape[-nd:]) < 1:
        raise ValueError(f"{op}: input has an empty spatial dimension (shape {x.shape})")
    out_sp = []
    for n_in, k, s, (p0, p1), d in zip(x.shape[-nd:], kernel, stride_t, pads, dilation_t, strict=True):
        if d * (k - 1) + 1 > n_in + p0 + p1:
            raise ValueError(
                f"{op}: kernel (size {k}, dilation {d}, so spanning {d * (k - 1) + 1}) is larger "
                f"than the padded input (size {n_in} + padding {p0 + p1}) "
                f"(input shape {x.shape}, weight shape {w.shape}, padding {padding!r})"
            )
        out_sp.append(output_length(n_in, k, s, p0, p1, d))
    return stride_t, dilation_t, pads, tuple(out_sp)


def _check_groups(op, groups, x, w, c_in_x, c_in_w, c_out):
    """``groups`` splits the channels: C_in = groups * weight's C_in, C_out divisible by it."""
    (groups,) = int_tuple(groups, 1, "groups", op)
    if c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the {c_out} output channels "
            f"(weight shape {w.shape})"
        )
    if c_in_x != c_in_w * groups:
        if groups == 1:
            raise ValueError(
                f"{op}: input has {c_in_x} channels but weight expects {c_in_w} "
                f"(input shape {x.shape}, weight shape {w.shape})"
            )
        raise ValueError(
            f"{op}: with groups={groups} the input must have groups * {c_in_w} = "
            f"{groups * c_in_w} channels (weight shape {w.shape} holds {c_in_w} input "
            f"channels per group), got {c_in_x} (input shape {x.shape})"
        )
    return groups


def _setup(op, nd, x, w, b, stride, padding, dilation, grad_out=None, flip=False, groups=1):
    """Validate a conv call and reshape it to the batched 2D form."""
    x, w, b, g = as_float_arrays(op, input=x, weight=w, bias=b, grad_out=grad_out)
    _check_forms(op, nd, x, w)
    if flip:
        w = np.flip(w, axis=tuple(range(-nd, 0)))
    plain = x.ndim == nd
    # Every form becomes (N, C, H, W) by adding axes of length 1 (pure reshapes);
    # a 1D signal is an image of height 1.
    w4 = w.reshape((1, 1) + w.shape) if plain else w
    x4 = x.reshape((1,) * (nd + 2 - x.ndim) + x.shape)
    if nd == 1:
        w4, x4 = w4[:, :, None, :], x4[:, :, None, :]
    c_out, c_in = w4.shape[:2]
    groups = _check_groups(op, groups, x, w, x4.shape[1], c_in, c_out)
    b = _check_bias(op, b, w, c_out, plain)
    stride_t, dilation_t, pads, out_sp = _geometry(op, nd, x, w, stride, padding, dilation)
    out_hw = out_sp
    if nd == 1:
        stride_t, dilation_t, pads, out_hw = (1, *stride_t), (1, *dilation_t), ((0, 0), *pads), (1, *out_sp)
    lead = () if plain else ((c_out,) if x.ndim == nd + 1 else (x.shape[0], c_out))
    call = _ConvCall(x4, w4, b, stride_t, dilation_t, pads, out_hw, lead + out_sp, groups)
    if g is not None:
        check_grad_shape(g, call.out_shape, op)
    return call, g


def _forward(call):
    n = call.x4.shape[0]
    c_out = call.w4.shape[0]
    oh, ow = call.out_hw
    cols, row = _columns(call)
    # One product for the whole batch; its result is (C_out, N, OH, R).
    if call.groups == 1:
        out_rows = np.matmul(call.w4.reshape(c_out, -1), cols)
    else:
        # The columns' rows run channel by channel, so each group's rows are one
        # block: one product per group, all in one stacked matmul.
        groups = call.groups
        out_rows = np.matmul(call.w4.reshape(groups, c_out // groups, -1),
                             cols.reshape(groups, -1, cols.shape[1]))
    out_rows = out_rows.reshape(c_out, n, oh, row)
    out = np.empty((n, c_out, oh, ow), dtype=out_rows.dtype)
    # Moving the batch axis back to the front, dropping the junk columns and
    # adding the bias share one pass that writes a contiguous result.
    rows = out_rows[..., :ow].transpose(1, 0, 2, 3)
    if call.b is None:
        np.copyto(out, rows)
    else:
        np.add(rows, call.b[:, None, None], out=out)
    return out.reshape(call.out_shape)


def _backward(call, g, x_shape, w_shape, plain):
    n = call.x4.shape[0]
    c_out = call.w4.shape[0]
    oh, ow = call.out_hw
    cols, row = _columns(call)
    # The gradient in the columns' layout, (C_out, N*OH*R); junk columns get
    # zero gradient, so they add nothing below.
    shape = (c_out, n, oh, row)
    go = np.zeros(shape, dtype=g.dtype) if row != ow else np.empty(shape, dtype=g.dtype)
    go[..., :ow] = g.reshape(n, c_out, oh, ow).transpose(1, 0, 2, 3)
    go = go.reshape(c_out, -1)
    if call.groups == 1:
        # grad_w sums over the batch and every position in one product.
        grad_w = go @ cols.T
        # cols is no longer needed, so its memory takes the column gradient
        # (fresh large arrays cost page faults that rival the arithmetic here).
        dcols = np.matmul(call.w4.reshape(c_out, -1).T, go, out=cols)
    else:
        groups = call.groups
        go_g = go.reshape(groups, c_out // groups, -1)
        cols_g = cols.reshape(groups, -1, cols.shape[1])
        grad_w = go_g @ cols_g.transpose(0, 2, 1)
        w_g = call.w4.reshape(groups, c_out // groups, -1)
        dcols = np.matmul(w_g.transpose(0, 2, 1), go_g, out=cols_g).reshape(cols.shape)
    grad_x = _uncolumns(dcols, call)
    grad_b = g.reshape(n, c_out, oh, ow).sum(axis=(0, 2, 3))
    if plain:
        grad_b = grad_b.reshape(())
    return grad_x.reshape(x_shape), grad_w.reshape(w_shape), grad_b


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2D cross-correlation, as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : (N, C_in, H, W), (C_in, H, W) or a plain image (H, W).
    w : (C_out, C_in / groups, KH, KW), or (KH, KW) with a plain image.
    b : (C_out,) or None; a scalar or (1,) with a plain image.
    stride, dilation : int or (sh, sw) / (dh, dw), positive.
    padding : int, (ph, pw), ``'valid'`` or ``'same'`` (stride 1 only; an odd
        leftover goes to the bottom/right, as in torch). Zero padding.
    groups : positive int dividing C_in and C_out. The channels split into
        ``groups`` blocks; output block ``g`` sees only input block ``g``, with
        ``C_in / groups`` channels per filter. ``groups = C_in`` is a depthwise
        convolution.

    Returns
    -------
    out : (N, C_out, OH, OW), (C_out, OH, OW) or (OH, OW), with
        ``OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1`` and likewise ``OW``.
    """
    call, _ = _setup("conv2d", 2, x, w, b, stride, padding, dilation, groups=groups)
    return _forward(call)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """1D cross-correlation, as ``torch.nn.functional.conv1d``.

    Parameters
    ----------
    x : (N, C_in, L), (C_in, L) or a plain signal (L,).
    w : (C_out, C_in / groups, K), or (K,) with a plain signal.
    b : (C_out,) or None; a scalar or (1,) with a plain signal.
    stride, dilation : positive int. padding : int, ``'valid'`` or ``'same'``.
    groups : positive int dividing C_in and C_out, as in ``conv2d``.

    Returns
    -------
    out : (N, C_out, L_out), (C_out, L_out) or (L_out,),
        ``L_out = (L + 2*padding - dilation*(K - 1) - 1) // stride + 1``.
    """
    call, _ = _setup("conv1d", 1, x, w, b, stride, padding, dilation, groups=groups)
    return _forward(call)


def true_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """True (flipped-kernel) 2D convolution: ``conv2d`` with ``w`` rotated by 180 degrees.

    This is the convolution of mathematics and signal processing,
    ``out[i, j] = sum_{u, v} x[i - u, j - v] w[u, v]`` (for a 'valid' result,
    as ``scipy.signal.convolve2d(x, w, mode='valid')``). Deep learning layers
    compute ``conv2d`` instead; the two differ only by the flip, which a learned
    kernel absorbs. Same arguments, forms and output size as ``conv2d``.
    """
    call, _ = _setup("true_conv2d", 2, x, w, b, stride, padding, dilation, flip=True)
    return _forward(call)


def true_conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    """True (flipped-kernel) 1D convolution: ``conv1d`` with ``w`` reversed.

    ``out[i] = sum_u x[i - u] w[u]``, as ``np.convolve(x, w, mode='valid')``.
    Same arguments, forms and output size as ``conv1d``.
    """
    call, _ = _setup("true_conv1d", 1, x, w, b, stride, padding, dilation, flip=True)
    return _forward(call)


def conv2d_backward(grad_out, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of ``conv2d`` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_out : upstream gradient, the shape of ``conv2d(x, w, ...)``.
    x, w, stride, padding, dilation, groups : exactly as passed to ``conv2d``.

    Returns
    -------
    grad_x : shape of ``x``.
    grad_w : shape of ``w``.
    grad_b : (C_out,); a 0-d array for a plain image (whose bias is a scalar).
    """
    call, g = _setup("conv2d_backward", 2, x, w, None, stride, padding, dilation, grad_out,
                     groups=groups)
    return _backward(call, g, np.shape(x), np.shape(w), np.ndim(x) == 2)


def conv1d_backward(grad_out, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of ``conv1d``: returns ``(grad_x, grad_w, grad_b)`` shaped like ``x``, ``w``
    and ``(C_out,)`` (a 0-d array for a plain signal). Arguments as ``conv1d``."""
    call, g = _setup("conv1d_backward", 1, x, w, None, stride, padding, dilation, grad_out,
                     groups=groups)
    return _backward(call, g, np.shape(x), np.shape(w), np.ndim(x) == 1)


def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution or pooling output along one dim.

    ``floor((n + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``, which
    for ``dilation=1`` is the book's ``(n + 2p - k) // s + 1``.
    Raises ``ValueError`` if the kernel does not fit in the padded input.
    """
    op = "conv_output_size"
    (n,) = int_tuple(n, 1, "n", op)
    (k,) = int_tuple(kernel_size, 1, "kernel_size", op)
    (s,) = int_tuple(stride, 1, "stride", op)
    (p,) = int_tuple(padding, 1, "padding", op, minimum=0)
    (d,) = int_tuple(dilation, 1, "dilation", op)
    if d * (k - 1) + 1 > n + 2 * p:
        raise ValueError(
            f"{op}: kernel (size {kernel_size}, dilation {dilation}) does not fit in an input "
            f"of size {n} with padding {padding}"
        )
    return output_length(n, k, s, p, p, d)


def _unfold_setup(op, x, kernel_size, dilation, padding, stride):
    x = as_array(x, "input", op)
    check_ndim(x, (3, 4), "input", op, "(N, C, H, W) or (C, H, W)")
    kernel = int_tuple(kernel_size, 2, "kernel_size", op)
    dil = int_tuple(dilation, 2, "dilation", op)
    pads = tuple((p, p) for p in int_tuple(padding, 2, "padding", op, minimum=0))
    st = int_tuple(stride, 2, "stride", op)
    return x, kernel, dil, pads, st


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col, laid out exactly as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    x : (N, C, H, W) or unbatched (C, H, W). Integer input is computed in float64.
    kernel_size, dilation, padding, stride : int or pair.

    Returns
    -------
    cols : (N, C*KH*KW, L) or (C*KH*KW, L), with ``L = OH*OW`` the number of
        window positions (row-major) and rows ordered channel, then kernel row,
        then kernel column. So ``conv2d(x, w) ==
        (w.reshape(C_out, -1) @ unfold(x, (KH, KW))).reshape(N, C_out, OH, OW)``.
    """
    op = "unfold"
    x, kernel, dil, pads, st = _unfold_setup(op, x, kernel_size, dilation, padding, stride)
    (x,) = as_float_arrays(op, input=x)
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    out_hw = []
    for n_in, k, s, (p, _), d in zip(x.shape[-2:], kernel, st, pads, dil, strict=True):
        if d * (k - 1) + 1 > n_in + 2 * p:
            raise ValueError(
                f"{op}: kernel_size {kernel_size} (dilation {dilation}) is larger than the "
                f"padded input (input shape {x.shape}, padding {padding})"
            )
        out_hw.append(output_length(n_in, k, s, p, p, d))
    cols = _im2col(zero_pad2d(x4, pads), kernel, st, dil, tuple(out_hw))
    return cols if x.ndim == 4 else cols[0]


def fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``, as ``torch.nn.functional.fold``.

    Sums each column entry into the pixel it came from, so overlapping windows add up.

    Parameters
    ----------
    cols : (N, C*KH*KW, L) or (C*KH*KW, L), laid out as ``unfold`` returns.
    output_size : (H, W) of the (unpadded) image.

    Returns
    -------
    (N, C, H, W) or (C, H, W).
    """
    op = "fold"
    cols = as_array(cols, "input", op)
    check_ndim(cols, (2, 3), "input", op, "(N, C*KH*KW, L) or (C*KH*KW, L)")
    (cols,) = as_float_arrays(op, input=cols)
    size = int_tuple(output_size, 2, "output_size", op)
    kernel = int_tuple(kernel_size, 2, "kernel_size", op)
    dil = int_tuple(dilation, 2, "dilation", op)
    pads = tuple((p, p) for p in int_tuple(padding, 2, "padding", op, minimum=0))
    st = int_tuple(stride, 2, "stride", op)
    c3 = cols.reshape((1,) * (3 - cols.ndim) + cols.shape)
    n, ckk, length = c3.shape
    out_hw = tuple(
        output_length(n_in, k, s, p, p, d)
        for n_in, k, s, (p, _), d in zip(size, kernel, st, pads, dil, strict=True)
    )
    kk = kernel[0] * kernel[1]
    if ckk % kk or min(out_hw) < 1 or out_hw[0] * out_hw[1] != length:
        raise ValueError(
            f"{op}: input shape {cols.shape} does not match kernel_size {kernel_size} and "
            f"output_size {output_size} (expected (N, C*{kk}, {out_hw[0] * out_hw[1]}))"
        )
    padded = (n, ckk // kk, size[0] + 2 * pads[0][0], size[1] + 2 * pads[1][0])
    out = _crop(_col2im(c3, padded, kernel, st, dil, out_hw), pads)
    out = np.ascontiguousarray(out)
    return out if cols.ndim == 3 else out[0]
