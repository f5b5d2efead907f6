"""Checkers for chapter 5, pooling."""

from __future__ import annotations

import numpy as np

from ..convolution import check_pool
from ..results import FAIL, PASS, CheckResult
from ..running import DEFAULT_TIMEOUT, call, guarded, outcome_failure, resolve

# The exercise's 4 x 4 feature map.
BY_HAND = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [0, 2, 9, 7], [3, 1, 8, 4]], dtype=float)


def check_max_by_hand(fn, **kw):
    """2 x 2 max pooling, stride 2, of the exercise's map, by hand."""
    return check_pool(fn, BY_HAND, 2, mode="max", name="max_by_hand", **kw)


def check_avg_by_hand(fn, **kw):
    """2 x 2 average pooling, stride 2, of the exercise's map, by hand."""
    return check_pool(fn, BY_HAND, 2, mode="avg", name="avg_by_hand", **kw)


@guarded
def check_my_max_pool2d(fn, *, cases=None):
    """``my_max_pool2d(x, kernel_size, stride=None, padding=0)`` on (C, H, W) arrays."""
    return check_pool.__wrapped__(fn, cases=cases, name="my_max_pool2d")


def _pool2(x):
    """2 x 2 max pooling, stride 2, of an (H, W) map, by reshaping (no library call)."""
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def _as_map(value, name, shape=None):
    """A finite 2D float map, or the failure that says why the answer is not one."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, CheckResult(FAIL, name, "x must be an array of numbers, "
                                 f"got a {type(value).__name__}.")
    if shape is not None and x.shape != shape:
        return None, CheckResult(FAIL, name, f"expected a {shape[0]} x {shape[1]} map, "
                                 f"got an array of shape {x.shape}.")
    if x.ndim != 2 or min(x.shape) < 2:
        return None, CheckResult(FAIL, name, "x must be a 2D map of at least 2 x 2, "
                                 f"got an array of shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        return None, CheckResult(FAIL, name, "x contains NaN or inf.")
    return x, None


def _apply(f, x, name, what):
    """f(x) as a float array of x's shape, or the failure that says why not."""
    with np.errstate(all="ignore"):  # NaN or inf is diagnosed below
        outcome = call(f, (x.copy(),), {}, DEFAULT_TIMEOUT)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        failure.summary = f"calling f on {what}, " + failure.summary
        return None, failure
    try:
        fx = np.asarray(outcome.value, dtype=float)
    except (TypeError, ValueError):
        return None, CheckResult(FAIL, name, f"f returned a {type(outcome.value).__name__} "
                                 f"on {what}, not an array of numbers.")
    if fx.shape != x.shape:
        return None, CheckResult(FAIL, name, f"f turned {what} of shape {x.shape} into "
                                 f"shape {fx.shape}: an elementwise function returns one "
                                 "value per element.")
    if not np.all(np.isfinite(fx)):
        return None, CheckResult(FAIL, name, f"f gives NaN or inf on {what}: choose a "
                                 "function defined on every value of x.")
    return fx, None


@guarded
def check_non_commuting(fn):
    """``non_commuting() -> (f, x)``: an elementwise f and a map x for which 2 x 2 max
    pooling and f give different results in the two orders."""
    name = "non_commuting"
    outcome = resolve(fn, DEFAULT_TIMEOUT)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    answer = outcome.value
    if not isinstance(answer, tuple | list) or len(answer) != 2 or not callable(answer[0]):
        return CheckResult(FAIL, name, "expected a pair (f, x): a function and a 2D map.")
    f, x = answer
    x, failure = _as_map(x, name)
    if failure is not None:
        return failure
    fx, failure = _apply(f, x, name, "x")
    if failure is not None:
        return failure
    values = np.unique(x)
    one_by_one = []
    for v in values:
        fv, failure = _apply(f, np.array([v]), name, f"the single value {v:g}")
        if failure is not None:
            return failure
        one_by_one.append(fv[0])
    one_by_one = np.array(one_by_one)
    if not np.allclose(fx, one_by_one[np.searchsorted(values, x)], rtol=1e-9, atol=1e-12):
        return CheckResult(FAIL, name, "f is not elementwise: what it gives for one value "
                           "depends on the other values of x.", [
            "The question is about functions like ReLU, applied to each value on its own."])
    pooled, failure = _apply(f, _pool2(x), name, "the pooled map")
    if failure is not None:
        return failure
    if not np.allclose(_pool2(fx), pooled, rtol=1e-9, atol=1e-12):
        return CheckResult(PASS, name, "correct.")
    if np.all(np.diff(one_by_one) >= 0):
        return CheckResult(FAIL, name, "on the values of your x, f never puts two numbers "
                           "in the opposite order, so the largest value of every window is "
                           "still the largest after f, and the two orders agree.", [
            "Every non-decreasing function commutes with max pooling, as ReLU does. "
            "Which functions do not?"])
    return CheckResult(FAIL, name, "f does reverse the order of some values of x, but "
                       "never of two values in the same 2 x 2 window where it would change "
                       "which one is the largest.", [
        "The windows are x[0:2, 0:2], x[0:2, 2:4], and so on."])


ALIAS_SHAPE = (8, 8)


def _shifted(x, right=1, down=0):
    """x moved right (or down) by one pixel; zeros come in from the left (or top)."""
    out = np.zeros_like(x)
    h, w = x.shape
    out[down:, right:] = x[:h - down, :w - right]
    return out


def _unchanged_cells(x, **shift):
    return int(np.isclose(_pool2(x), _pool2(_shifted(x, **shift))).sum())


def _left(x):
    out = np.zeros_like(x)
    out[:, :-1] = x[:, 1:]
    return out


@guarded
def check_aliasing_map(fn):
    """``aliasing_map()``: an 8 x 8 map whose 2 x 2, stride-2 max pooling changes in
    every cell when the map moves one pixel to the right."""
    name = "aliasing_map"
    outcome = resolve(fn, DEFAULT_TIMEOUT)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    x, failure = _as_map(outcome.value, name, ALIAS_SHAPE)
    if failure is not None:
        return failure
    cells = _pool2(x).size
    same = _unchanged_cells(x)
    if same == 0:
        return CheckResult(PASS, name, "correct.")
    if not np.isclose(_pool2(x), _pool2(_left(x))).any():
        return CheckResult(FAIL, name, "your map changes completely when it moves one pixel "
                           "to the left; the exercise moves it to the right (zeros come "
                           "in from the left).")
    if _unchanged_cells(x, right=0, down=1) == 0:
        return CheckResult(FAIL, name, "your map changes completely when it moves one pixel "
                           "down; the exercise moves it to the right.")
    return CheckResult(FAIL, name, f"{same} of the {cells} pooled values stay the same "
                       "after the shift.", [
        "A pooled value changes only when the largest value of its window leaves the "
        "window, or a larger value comes in."])
