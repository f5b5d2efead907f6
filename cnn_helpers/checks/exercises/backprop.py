"""Checkers for chapter 6, backpropagation through convolution and pooling."""

from __future__ import annotations

import numpy as np

from ...conv import conv1d, conv1d_backward
from ...padding import pad
from ...pooling import max_pool2d_backward
from ..functions import check_function
from ..running import guarded
from ..values import check_array
from ._common import with_cases

# The exercise's signal, kernel and upstream gradient.
BY_HAND = (np.array([1.0, 2, 3, 4]), np.array([1.0, -1]), np.array([1.0, 0, 2]))


def _no_flip(grad_out, w):
    """The input gradient with the kernel used as it is (a usual mistake)."""
    k = len(w)
    return conv1d(pad(np.asarray(grad_out, float), (k - 1, k - 1)), np.asarray(w, float))


def check_grad_w_by_hand(fn, **kw):
    """dL/dw of the exercise, worked out by hand."""
    x, w, g = BY_HAND
    return check_array(fn, conv1d_backward(g, x, w)[1], name="grad_w_by_hand", mistakes={
        "It looks like the order is reversed: which x meets g[0] for w[0]?":
            lambda: conv1d_backward(g, x, w)[1][::-1],
    }, **kw)


def check_grad_x_by_hand(fn, **kw):
    """dL/dx of the exercise, worked out by hand."""
    x, w, g = BY_HAND
    return check_array(fn, conv1d_backward(g, x, w)[0], name="grad_x_by_hand", mistakes={
        "It looks like the kernel was used the wrong way round.": lambda: _no_flip(g, w),
    }, **kw)


def _weight_cases():
    rng = np.random.default_rng(7)
    return [(rng.standard_normal(n), rng.standard_normal(n - k + 1))
            for n, k in [(6, 3), (9, 4), (5, 1)]]


def _weight_reference(x, g):
    return conv1d_backward(g, x, np.zeros(len(x) - len(g) + 1))[1]


@guarded
def check_weight_grad(fn, *, cases=None):
    """``weight_grad(x, grad_out)``: dL/dw of ``conv1d(x, w)``."""
    return check_function.__wrapped__(
        fn, _weight_reference, with_cases(_weight_cases(), cases), name="weight_grad",
        arg_names=("x", "grad_out"), mistakes={
            "It looks like the result is reversed.":
                lambda x, g: _weight_reference(x, g)[::-1],
        })


def _input_cases():
    rng = np.random.default_rng(8)
    cases = [(rng.standard_normal(m), np.array([1.0, 2.0, -1.0])) for m in (4, 6)]
    cases.append((rng.standard_normal(5), rng.standard_normal(2)))
    return cases


def _input_reference(g, w):
    return conv1d_backward(g, np.zeros(len(g) + len(w) - 1), w)[0]


def _no_padding(g, w):
    return conv1d(np.asarray(g, float), np.asarray(w, float)[::-1]) if len(g) >= len(w) else None


@guarded
def check_input_grad(fn, *, cases=None):
    """``input_grad(grad_out, w)``: dL/dx of ``conv1d(x, w)``."""
    return check_function.__wrapped__(
        fn, _input_reference, with_cases(_input_cases(), cases), name="input_grad",
        arg_names=("grad_out", "w"), mistakes={
            "It looks like the kernel was used the wrong way round.": _no_flip,
            "It looks like the padding is missing: the first and last inputs "
            "also receive a gradient.": _no_padding,
        })


def _pool_cases():
    rng = np.random.default_rng(3)
    return [(rng.standard_normal((h // k, w // k)), rng.standard_normal((h, w)), k)
            for h, w, k in [(4, 4, 2), (6, 9, 3), (4, 6, 2)]]


@guarded
def check_my_max_pool_backward(fn, *, cases=None):
    """``my_max_pool_backward(grad_out, x, k)`` for a plain (H, W) image."""
    return check_function.__wrapped__(
        fn, lambda g, x, k: max_pool2d_backward(g, x, k), with_cases(_pool_cases(), cases),
        name="my_max_pool_backward", arg_names=("grad_out", "x", "k"), mistakes={
            "Every input of a window got the gradient.":
                lambda g, x, k: np.kron(g, np.ones((k, k))),
            "That is average pooling's backward pass.":
                lambda g, x, k: np.kron(g, np.ones((k, k))) / k**2,
        })
