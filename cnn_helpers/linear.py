"""Fully connected (dense) layer, as ``torch.nn.functional.linear``."""

from __future__ import annotations

from ._validate import as_float_arrays, check_grad_shape, check_ndim

__all__ = ["linear", "linear_backward"]


def _check(op, x, weight, bias=None):
    check_ndim(weight, (2,), "weight", op, "(out_features, in_features)")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"{op}: input has {x.shape[-1] if x.ndim else 'no'} features but weight expects "
            f"{weight.shape[1]} (input shape {x.shape}, weight shape {weight.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"{op}: bias must have shape ({weight.shape[0]},) to match weight shape "
            f"{weight.shape}, got shape {bias.shape}"
        )


def linear(x, weight, bias=None):
    """Affine map ``x @ weight.T + bias``.

    x : (N, in_features), (in_features,) or any (..., in_features).
    weight : (out_features, in_features), as torch stores it.
    bias : (out_features,) or None.

    Returns (..., out_features). Parameter count: ``out*in + out``.
    """
    op = "linear"
    x, weight, bias = as_float_arrays(op, input=x, weight=weight, bias=bias)
    _check(op, x, weight, bias)
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out


def linear_backward(grad_out, x, weight):
    """Gradients of ``linear``.

    grad_out : (..., out_features), the shape of ``linear(x, weight)``.
    x, weight : as passed to ``linear``.

    Returns ``(grad_x, grad_w, grad_b)`` shaped like ``x``, ``weight`` and
    ``(out_features,)``; the weight and bias gradients sum over all leading dims.
    """
    op = "linear_backward"
    g, x, weight = as_float_arrays(op, grad_out=grad_out, input=x, weight=weight)
    _check(op, x, weight)
    check_grad_shape(g, x.shape[:-1] + (weight.shape[0],), op)
    g2 = g.reshape(-1, weight.shape[0])
    grad_w = g2.T @ x.reshape(-1, weight.shape[1])
    return g @ weight, grad_w, g2.sum(axis=0)
