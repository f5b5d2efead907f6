"""Checkers for a single answer: a number (:func:`check_value`), an array
(:func:`check_array`) or a shape (:func:`check_shape`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .compare import RTOL, compare, shape_problem
from .results import FAIL, PASS, CheckResult
from .running import DEFAULT_TIMEOUT, guarded, outcome_failure, resolve, type_name


def value_check(answer, expected, name, mistakes, rtol, atol, timeout, hint="") -> CheckResult:
    """Resolve the answer and compare it with ``expected``: the body of every value checker."""
    outcome = resolve(answer, timeout)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    # The expected value is the answer itself: no message may state it.
    lines = compare(outcome.value, expected, mistakes, rtol, atol, hint, reveal=False)
    if lines is None:
        return CheckResult(PASS, name, "correct.")
    return CheckResult(FAIL, name, lines[0], lines[1:])


@guarded
def check_value(answer: Any, expected: Any, *, name: str = "your answer",
                mistakes: Mapping[str, Any] | None = None, rtol: float = RTOL,
                atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a single number (never revealing the right one).

    ``answer`` may be the number or a zero-argument function returning it.
    ``mistakes`` maps a message to a known wrong value.
    """
    if np.ndim(expected) != 0:
        raise ValueError("check_value expects a single number; use check_array for arrays")
    return value_check(answer, expected, name, mistakes, rtol, atol, timeout)


@guarded
def check_array(answer: Any, expected: Any, *, name: str = "your answer",
                mistakes: Mapping[str, Any] | None = None, rtol: float = RTOL,
                atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check an array: the shape must match and every value within tolerance.

    ``answer`` may be the array (or a nested list) or a zero-argument function
    returning it.  ``mistakes`` maps a message to a known wrong array (or a
    zero-argument function computing it).
    """
    return value_check(answer, expected, name, mistakes, rtol, atol, timeout)


def _as_shape(value: Any) -> tuple[tuple[int, ...] | None, str]:
    """Turn a shape answer into a tuple of ints, or explain why that is impossible."""
    if value is None:
        return None, "you gave None instead of a shape -- a missing `return`?"
    if isinstance(value, int | np.integer):
        return None, f"expected a shape tuple like (C, H, W), got the single number {value}."
    if isinstance(value, np.ndarray) and value.ndim > 1:
        return None, "expected a shape tuple, got an array: use `x.shape`, not `x`."
    try:
        items = list(value)
    except TypeError:
        return None, f"expected a shape tuple, got {type_name(value)}."
    if any(isinstance(item, float | np.floating) for item in items):
        return None, (f"sizes must be whole numbers, but your shape {tuple(items)} contains "
                      "floats: use integer division `//` (or int()) where you used `/`.")
    if not all(isinstance(item, int | np.integer) for item in items):
        return None, f"every entry of a shape must be an int, got {tuple(items)!r:.60}."
    return tuple(int(item) for item in items), ""


@guarded
def check_shape(answer: Any, expected: Sequence[int], *, name: str = "your shape",
                mistakes: Mapping[str, Any] | None = None, hint: str = "",
                timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a shape (a tuple of ints).

    ``mistakes`` maps a message to a known wrong shape; ``hint`` is added to
    an off-by-one diagnosis (e.g. the output-size formula).
    """
    outcome = resolve(answer, timeout)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    got, problem = _as_shape(outcome.value)
    if got is None:
        return CheckResult(FAIL, name, problem)
    want = tuple(int(n) for n in expected)
    if got == want:
        return CheckResult(PASS, name, "correct.")
    for message, wrong in (mistakes or {}).items():
        if tuple(wrong) == got and tuple(wrong) != want:
            return CheckResult(FAIL, name, message, [f"Your shape is {got}."])
    lines = shape_problem(got, want, hint, reveal=False)
    shape_line = lines[0].replace("Your result has shape", "Your shape is")
    if len(lines) == 1:
        return CheckResult(FAIL, name, shape_line)
    return CheckResult(FAIL, name, lines[1], [shape_line])
