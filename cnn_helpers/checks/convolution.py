"""Checkers for the convolution and pooling exercises: :func:`check_conv` and :func:`check_pool`.

Each checks either a result for given inputs or the reader's function on
built-in test cases chosen to tell the known mistakes apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .compare import RTOL
from .functions import check_function
from .mistakes import conv_mistakes, pool_mistakes
from .references import reference_conv, reference_pool
from .results import CheckResult
from .running import DEFAULT_TIMEOUT, guarded
from .values import value_check

_SIZE_HINT = "The output size along an axis is (n + 2*padding - kernel) // stride + 1."


def _default_conv_cases() -> list[tuple]:
    """Cases that tell the usual mistakes apart: asymmetric kernels, non-square
    inputs, several channels, non-zero bias, stride and padding."""
    rng = np.random.default_rng(0)
    x1 = np.arange(25.0).reshape(1, 5, 5)
    w1 = np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [0.5, 1.0, 0.0]]]])
    x2 = rng.normal(size=(2, 6, 7))
    w2 = rng.normal(size=(3, 2, 3, 2))
    b2 = np.array([0.5, -1.0, 2.0])
    x3 = rng.normal(size=(2, 8, 7))
    w3 = rng.normal(size=(2, 2, 3, 3))
    b3 = np.array([1.0, -0.5])
    return [(x1, w1), (x2, w2, b2), (x2, w2, b2, 1, 1), (x3, w3, b3, 2, 0), (x3, w3, b3, 2, 1)]


def _default_pool_cases() -> list[tuple]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 8))
    y = rng.normal(size=(3, 7, 5)) - 1.0  # mostly negative: exposes zero padding in max pooling
    return [(x, 2), (y, 3, 2), (x, 3, 1), (y, 2, 2, 1)]


_CONV_ARGS = ("x", "weight", "bias", "stride", "padding")
_POOL_ARGS = ("x", "kernel_size", "stride", "padding")


def _check_op_function(fn, reference, mistakes, cases, arg_names, name, timeout) -> CheckResult:
    """The reader's convolution or pooling function, on test cases."""
    return check_function.__wrapped__(fn, reference, cases, name=name, mistakes=mistakes,
                                      arg_names=arg_names, timeout=timeout, hint=_SIZE_HINT)


def _check_op_result(answer, reference, mistakes, args, name, timeout) -> CheckResult:
    """The reader's result of a convolution or pooling for the inputs ``args``."""
    expected = reference(*args)
    bound = {m: (lambda f=f: f(*args)) for m, f in mistakes.items()}
    return value_check(answer, expected, name, bound, RTOL, None, timeout, _SIZE_HINT)


@guarded
def check_conv(answer: Any, x: Any = None, weight: Any = None, bias: Any = None, stride: Any = 1,
               padding: Any = 0, *, name: str | None = None, cases: Sequence[Any] | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a convolution (cross-correlation, channels first, 1-d or 2-d).

    Two uses:

    * ``check_conv(result, x, weight, bias, stride, padding)`` -- the reader's
      result array for these inputs;
    * ``check_conv(my_conv2d)`` -- the reader's function, called like
      ``my_conv2d(x, weight, bias, stride, padding)`` on built-in test cases
      (or on ``cases``).
    """
    mistakes = conv_mistakes()
    if x is None:
        return _check_op_function(answer, reference_conv, mistakes,
                                  cases or _default_conv_cases(), _CONV_ARGS, name, timeout)
    return _check_op_result(answer, reference_conv, mistakes, (x, weight, bias, stride, padding),
                            name or "your convolution", timeout)


@guarded
def check_pool(answer: Any, x: Any = None, kernel_size: Any = 2, stride: Any = None,
               padding: Any = 0, *, mode: str = "max", name: str | None = None,
               cases: Sequence[Any] | None = None,
               timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check 2-d max (``mode="max"``) or average (``mode="avg"``) pooling.

    ``check_pool(result, x, kernel_size, stride, padding)`` checks a result;
    ``check_pool(my_pool)`` checks a function called like
    ``my_pool(x, kernel_size, stride, padding)`` (stride defaults to the kernel size).
    """
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    mistakes = pool_mistakes(mode)

    def reference(x, k, s=None, p=0):
        return reference_pool(x, k, s, p, mode)

    if x is None:
        return _check_op_function(answer, reference, mistakes, cases or _default_pool_cases(),
                                  _POOL_ARGS, name, timeout)
    return _check_op_result(answer, reference, mistakes, (x, kernel_size, stride, padding),
                            name or "your pooling", timeout)

