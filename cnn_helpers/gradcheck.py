"""Numerical gradient checking by central differences.

Usage for an op with a backward function::

    gradcheck(lambda _: np.sum(conv2d(x, w) * g), x, conv2d_backward(g, x, w)[0])

and for a layer's parameter, pass the parameter array itself: ``f`` reads it
through the layer, so perturbing it in place changes what ``f`` computes::

    gradcheck(lambda _: loss_of(layer), layer.weight, layer_grad_of_weight)

Work in float64: with float32 the rounding error of ``f`` (about 1e-7 of its
value) divided by ``eps`` swamps the quantity being measured.
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "gradcheck", "check_op_gradients"]


def _scalar(value, where):
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"{where}: f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar ``f(x)`` with respect to the array ``x``.

    Each element of ``x`` is perturbed in place by ``+eps`` and ``-eps``, ``f(x)`` is
    evaluated (``f`` may ignore its argument and read ``x`` through a closure,
    e.g. a layer's parameter), and the element is restored, even if ``f`` raises.

    x : a writable float64 ndarray of any shape.
    Returns an array of the shape of ``x``: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.
    """
    op = "numerical_gradient"
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"{op}: x must be a float64 ndarray (perturbed in place), got {got}; "
            "use x.astype(np.float64) and compute f in float64"
        )
    if not x.flags.writeable:
        raise ValueError(f"{op}: x must be writable, since it is perturbed in place")
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            f_plus = _scalar(f(x), op)
            x[idx] = old - eps
            f_minus = _scalar(f(x), op)
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradcheck(f, x, analytic_grad, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Compare ``analytic_grad`` with the numerical gradient of the scalar ``f`` at ``x``.

    An element passes when ``|analytic - numerical| <= atol + rtol * |numerical|``
    (the ``np.isclose`` rule). Returns True when all pass; otherwise raises
    ``AssertionError`` naming the worst element, its index, both values, and
    how many elements fail.
    """
    analytic = np.asarray(analytic_grad, dtype=np.float64)
    if analytic.shape != np.shape(x):
        raise ValueError(
            f"gradcheck: analytic gradient has shape {analytic.shape} but x has shape {np.shape(x)}"
        )
    numeric = numerical_gradient(f, x, eps)
    err = np.abs(analytic - numeric)
    excess = err - (atol + rtol * np.abs(numeric))
    bad = excess > 0
    if not bad.any() and np.isfinite(analytic).all():
        return True
    excess = np.where(np.isfinite(excess), excess, np.inf)
    worst = np.unravel_index(np.argmax(excess), x.shape) if x.ndim else ()
    n_bad = int(np.count_nonzero(bad | ~np.isfinite(analytic)))
    raise AssertionError(
        f"gradcheck failed: {n_bad} of {x.size} elements differ; worst at index "
        f"{tuple(int(i) for i in worst)}: analytic {float(analytic[worst]):.10g}, numerical "
        f"{float(numeric[worst]):.10g} (abs error {err[worst]:.3g}, atol {atol}, rtol {rtol})"
    )


def check_op_gradients(forward, backward, inputs, seed=0, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Gradcheck every input of an op against its backward function.

    forward : called as ``forward(*inputs)``; returns an array.
    backward : called as ``backward(grad_out, *inputs)``; returns one gradient per
        input, in order (a tuple, or a single array for a single input). A
        ``None`` entry skips that input.
    inputs : sequence of float64 arrays.

    A random upstream gradient ``g`` of the output's shape turns the op into the
    scalar ``sum(forward(*inputs) * g)``, whose gradient the backward computes
    from ``g``. Returns True, or raises ``AssertionError`` naming the failing input.
    """
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    out = np.asarray(forward(*inputs))
    g = np.random.default_rng(seed).standard_normal(out.shape)
    grads = backward(g, *inputs)
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(inputs):
        raise ValueError(
            f"check_op_gradients: backward returned {len(grads)} gradients for {len(inputs)} inputs"
        )
    for i, (x, grad) in enumerate(zip(inputs, grads, strict=True)):
        if grad is None:
            continue
        try:
            gradcheck(lambda _: np.sum(forward(*inputs) * g), x, grad, eps, atol, rtol)
        except AssertionError as exc:
            raise AssertionError(f"input {i} (shape {x.shape}): {exc}") from None
    return True
