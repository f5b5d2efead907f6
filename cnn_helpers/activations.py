"""Elementwise and normalising activations: ReLU, softmax, log-softmax, with backwards.

All keep the input dtype (float32/float64); integer input is computed in float64.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_arrays, check_grad_shape

__all__ = [
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
]


def relu(x):
    """ReLU, ``max(x, 0)`` elementwise. Any shape in, same shape out."""
    (x,) = as_float_arrays("relu", input=x)
    return np.maximum(x, 0)


def relu_backward(grad_out, x):
    """Gradient of ``relu``: ``grad_out`` where ``x > 0``, else 0 (also at exactly 0, as torch).

    grad_out, x : same shape. Returns grad_x of that shape.
    """
    op = "relu_backward"
    g, x = as_float_arrays(op, grad_out=grad_out, input=x)
    check_grad_shape(g, x.shape, op)
    return np.where(x > 0, g, 0).astype(g.dtype, copy=False)


def _axis(dim, x, op):
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for input of shape {x.shape}")
    return int(dim)


def softmax(x, dim=-1):
    """Softmax along ``dim``: ``exp(x) / sum(exp(x))``, each slice summing to 1.

    Subtracting the slice maximum first keeps ``exp`` from overflowing without
    changing the result. Any shape in, same shape out.
    """
    op = "softmax"
    (x,) = as_float_arrays(op, input=x)
    axis = _axis(dim, x, op)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, dim=-1):
    """Log of the softmax along ``dim``, computed as ``x - max - log(sum(exp(x - max)))``
    so that neither overflow nor ``log(0)`` occur. Same shape as ``x``."""
    op = "log_softmax"
    (x,) = as_float_arrays(op, input=x)
    axis = _axis(dim, x, op)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_backward(grad_out, x, dim=-1):
    """Gradient of ``softmax`` w.r.t. ``x``: ``s * (grad_out - sum(grad_out * s))`` with ``s = softmax(x)``.

    grad_out, x : same shape; ``dim`` as passed to ``softmax``. Returns grad_x.
    """
    op = "softmax_backward"
    g, x = as_float_arrays(op, grad_out=grad_out, input=x)
    check_grad_shape(g, x.shape, op)
    axis = _axis(dim, x, op)
    s = softmax(x, axis)
    return s * (g - (g * s).sum(axis=axis, keepdims=True))


def log_softmax_backward(grad_out, x, dim=-1):
    """Gradient of ``log_softmax`` w.r.t. ``x``: ``grad_out - softmax(x) * sum(grad_out)``.

    grad_out, x : same shape; ``dim`` as passed to ``log_softmax``. Returns grad_x.
    """
    op = "log_softmax_backward"
    g, x = as_float_arrays(op, grad_out=grad_out, input=x)
    check_grad_shape(g, x.shape, op)
    axis = _axis(dim, x, op)
    return g - softmax(x, axis) * g.sum(axis=axis, keepdims=True)
