"""Comparing an answer with the expected value, with a tolerance, and explaining the difference.

Known wrong answers ("mistakes") are tried first; otherwise the difference is
diagnosed from the answer itself (shape, dtype, NaN, a constant factor, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .running import type_name

RTOL = 1e-5

def _as_array(value: Any, scalar: bool) -> tuple[np.ndarray | None, str]:
    """Turn an answer into a numeric array, or explain why that is impossible."""
    what = "a number" if scalar else "an array"
    if value is None:
        return None, f"you gave None instead of {what} -- a missing `return`?"
    if isinstance(value, str | bytes | dict | set):
        return None, f"expected {what}, got {type_name(value)}: {value!r:.60}"
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        return None, f"your {type(value).__name__} could not be turned into an array ({exc})."
    if array.dtype.kind not in "biufc":
        return None, (
            f"expected {what} of numbers, got {type_name(value)} whose entries "
            f"are not all numbers (dtype {array.dtype})."
        )
    return array, ""


def _tolerance(expected: np.ndarray, atol: float | None) -> float:
    if atol is not None:
        return atol
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    return 1e-6 * max(1.0, scale if math.isfinite(scale) else 1.0)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Whole-array comparison with a tolerance; shapes must match exactly."""
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _candidates(mistakes: Mapping[str, Any] | None, expected: np.ndarray, rtol: float, atol: float):
    """Yield (message, array) for each known mistake that differs from the right answer.

    A mistake's value may be a zero-argument function; one that fails or gives
    ``None`` is skipped.  A mistake equal to the right answer (e.g. the flipped
    result of a symmetric kernel) could not be told apart, so it is skipped too.
    """
    for message, value in (mistakes or {}).items():
        try:
            value = value() if callable(value) else value
            if value is None:
                continue
            array = np.asarray(value, dtype=float)
        except Exception:  # a mistake that does not apply to these inputs
            continue
        if not _close(array, expected, rtol, atol):
            yield message, array


def shape_problem(got: tuple, want: tuple, hint: str, reveal: bool = True) -> list[str]:
    """Explain a shape mismatch in the reader's terms.

    With ``reveal=False`` the expected shape is not named (when the shape is
    itself the answer).
    """
    expected = f"expected {want}" if reveal else "which is not the expected shape"
    lines = [f"Your result has shape {got}, {expected}."]
    if len(got) == len(want) + 1 and got[0] == 1 and got[1:] == want:
        lines.append("There is an extra leading axis of length 1 (a batch axis?); drop it with [0].")
    elif len(got) + 1 == len(want) and want[0] == 1 and want[1:] == got:
        lines.append("The leading axis of length 1 (the batch axis) is missing.")
    elif len(got) == len(want) >= 3 and got == want[:-3] + want[-2:] + want[-3:-2]:
        lines.append(
            "It looks channels-last (H, W, C); this book puts channels first: (C, H, W)."
        )
    elif len(got) == len(want) >= 2 and got == want[:-2] + want[-2:][::-1]:
        lines.append("Rows and columns are swapped: the result looks transposed.")
    elif len(got) == len(want) and sorted(got) == sorted(want):
        lines.append("The sizes are right but the axes are in a different order.")
    elif len(got) == len(want) and all(abs(g - w) <= 1 for g, w in zip(got, want, strict=True)):
        lines.append("The size is off by one." + (f" {hint}" if hint else ""))
    elif math.prod(got) == math.prod(want):
        lines.append("The number of values is right but the shape is not: a reshape gone wrong?")
    elif len(got) != len(want):
        lines.append(f"Expected {len(want)} axes, got {len(got)}.")
    return lines


def _fmt(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float | np.floating) else str(x)


def _value_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
                   reveal: bool = True) -> list[str]:
    """Explain why two arrays of the same shape differ (generic diagnoses).

    With ``reveal=False`` no diagnosis states an expected value, a factor or
    an offset from which the expected values could be worked out.
    """
    finite = np.isfinite(want)
    bad = ~np.isfinite(got) & finite
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        return [f"Your result contains NaN or inf in {int(bad.sum())} place(s), first at index {where}."]
    fractional = finite & (np.abs(want - np.round(want)) > atol)
    if fractional.any() and _close(got.astype(float), np.floor(want), rtol, atol):
        if got.dtype.kind in "iub":
            return ["Your result has an integer dtype, so fractions were cut off: "
                    "make the output a float array (e.g. np.zeros(shape) rather than an int array)."]
        return ["Your values look rounded down to whole numbers: did you use integer division `//` "
                "where `/` was meant?"]
    whole = np.all(np.abs(want - np.round(want)) <= atol)
    if whole and got.dtype.kind in "fc" and _close(np.floor(got.real), want, rtol, atol):
        return ["Your result has fractions where whole numbers are expected: "
                "use integer division `//` instead of `/`."]
    if fractional.any() and got.dtype.kind in "iub":
        return ["Your result has an integer dtype, so fractions were lost: use a float array."]
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and _close(got, np.swapaxes(want, -1, -2), rtol, atol):
        return ["Rows and columns are swapped: your result is the transpose of the right one."]
    if want.size and np.any(want != 0) and not np.any(got):
        return ["Your result is all zeros: is the output ever filled in?"]
    return (_ratio_problem(got, want, rtol, atol, reveal)
            or _partial_problem(got, want, rtol, atol, reveal))


def _ratio_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
                   reveal: bool = True) -> list[str]:
    """Diagnose a result that is off by a constant factor or a constant offset."""
    with np.errstate(all="ignore"):
        nonzero = np.abs(want) > atol
        if nonzero.any():
            factor = float(np.median(got[nonzero] / want[nonzero]))
            if math.isfinite(factor) and factor != 0 and _close(got, factor * want, rtol, atol):
                if abs(factor + 1) < 1e-6:
                    return ["Every value has the wrong sign."]
                times = f"{_fmt(factor)} times" if reveal else "a constant factor times"
                return [f"Every value is {times} the right one: "
                        "a wrong normalisation or a sum where a mean was meant?"]
        offset = float(np.median(got - want))
        if math.isfinite(offset) and offset != 0 and _close(got, want + offset, rtol, atol):
            amount = f" ({_fmt(offset)})" if reveal else ""
            return [f"Every value is off by the same amount{amount}: an offset or bias term?"]
    return []


def _partial_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
                     reveal: bool = True) -> list[str]:
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    first = tuple(int(i) for i in np.argwhere(wrong)[0]) if got.ndim else ()
    count = int(wrong.sum())
    lines = [f"{count} of {want.size} values {'is' if count == 1 else 'are'} wrong."] if want.size > 1 else []
    if got.ndim and reveal:
        lines.append(f"First wrong value at index {first}: expected {_fmt(want[first].item())}, "
                     f"got {_fmt(got[first].item())}.")
    elif got.ndim:
        lines.append(f"The first wrong value is at index {first} (you gave "
                     f"{_fmt(got[first].item())}).")
    return lines


def _diagnose(got: np.ndarray, want: np.ndarray, mistakes, rtol, atol, hint="",
              reveal: bool = True) -> list[str] | None:
    """``None`` if ``got`` is right, else lines explaining what is wrong."""
    if _close(got, want, rtol, atol):
        return None
    for message, wrong in _candidates(mistakes, want, rtol, atol):
        if _close(got, wrong, rtol, atol):
            return [message]
    if got.shape != want.shape:
        return shape_problem(got.shape, want.shape, hint, reveal)
    return _value_problem(got, want, rtol, atol, reveal)


def _scalar_problem(got: np.ndarray, want: np.ndarray, mistakes, rtol, atol) -> list[str] | None:
    """Like :func:`_diagnose` for a single number, without giving the answer away."""
    if got.size != 1:
        return [f"Expected a single number, got an array of shape {got.shape}."]
    got = got.reshape(())
    if _close(got, want, rtol, atol):
        return None
    for message, wrong in _candidates(mistakes, want, rtol, atol):
        if wrong.size == 1 and _close(got, wrong.reshape(()), rtol, atol):
            return [message]
    if not np.isfinite(got):
        return [f"Your answer is {got.item()}, not a finite number."]
    if abs(float(got) - float(want)) == 1:
        return ["Your answer is off by one."]
    lines = _value_problem(got, want, rtol, atol, reveal=False)
    if lines and "times the right one" in lines[0] and not _simple_factor(float(got) / float(want)):
        lines = []  # any two numbers have a ratio: only a simple one is a diagnosis
    if lines and "off by the same amount" in lines[0]:
        lines = []
    return lines or [f"Your answer {_fmt(got.item())} is not right."]


def _simple_factor(factor: float) -> bool:
    """Whether ``factor`` is a whole number or one over a whole number (like 4 or 1/4)."""
    for value in (factor, 1 / factor if factor else 0.0):
        if abs(value) >= 2 and abs(value - round(value)) < 1e-9:
            return True
    return False


def compare(answer: Any, expected: Any, mistakes, rtol, atol, hint="",
            reveal: bool = True) -> list[str] | None:
    """Compare any answer with the expected value; ``None`` when right.

    ``reveal=False`` when the expected value is itself the answer (a number,
    an array or a shape worked out by hand): then no message states it.
    """
    want = np.asarray(expected)
    scalar = want.ndim == 0
    got, problem = _as_array(answer, scalar)
    if got is None:
        return [problem]
    want = want.astype(float) if want.dtype.kind in "iub" else want
    tol = _tolerance(want, atol)
    if scalar:
        return _scalar_problem(got, want, mistakes, rtol, tol)
    return _diagnose(got, want, mistakes, rtol, tol, hint, reveal)

