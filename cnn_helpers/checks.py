"""Automatic feedback for the exercises of the book.

Every checker compares a reader's answer with the expected one and prints a
one-line verdict in the notebook::

    ✅ conv_output_size: all 6 test cases pass.
    ❌ my_conv2d: wrong result for test case 2 of 5 (x: array of shape (2, 6, 7), ...).
       It looks like you flipped the kernel (true convolution). ...

Wrong answers are diagnosed by comparing them not only with the expected
result but also with *known wrong* alternatives computed from the same
inputs ("mistakes": flipped kernel, padding forgotten, bias left out, ...).
Authors can pass their own mistakes to every checker as a mapping
``{message: wrong_value}`` (or ``{message: wrong_function}`` for
:func:`check_function`).

Checkers never raise on a bad answer (``None``, lists, NaN, a function that
raises or loops forever, the ``NotImplementedError`` stub of the student
notebook) -- unless grading mode is on (environment variable
``CNN_HELPERS_GRADING=1`` or :func:`set_grading`), where a failing check
raises ``AssertionError`` so autograders (nbgrader, nbval, pytest) see it.

Every checker returns a :class:`CheckResult`, which is truthy when the answer
passed.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "GRADING_ENV",
    "CheckResult",
    "Conv",
    "Linear",
    "check_array",
    "check_conv",
    "check_count",
    "check_function",
    "check_pool",
    "check_shape",
    "check_value",
    "conv_mistakes",
    "is_grading",
    "output_size_mistakes",
    "pool_mistakes",
    "reference_conv",
    "reference_pool",
    "set_grading",
]

GRADING_ENV = "CNN_HELPERS_GRADING"
DEFAULT_TIMEOUT = 5.0
RTOL = 1e-5

_PASS, _FAIL, _TODO = "pass", "fail", "todo"
_SYMBOL = {_PASS: "✅", _FAIL: "❌", _TODO: "📝"}
_grading_override: bool | None = None


# ---------------------------------------------------------------------------
# Results, printing and grading mode
# ---------------------------------------------------------------------------


def set_grading(on: bool | None = True) -> None:
    """Switch grading mode on or off; ``None`` falls back to the environment."""
    global _grading_override
    _grading_override = on


def is_grading() -> bool:
    """Whether a failing check should raise ``AssertionError``."""
    if _grading_override is not None:
        return _grading_override
    return os.environ.get(GRADING_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class CheckResult:
    """The verdict of one check: truthy when the answer passed."""

    status: str
    name: str
    summary: str
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == _PASS

    @property
    def message(self) -> str:
        head = f"{_SYMBOL[self.status]} {self.name}: {self.summary}"
        return "\n".join([head, *(f"   {line}" for line in self.details)])

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        # The message is printed when the check runs; showing the returned
        # object again as the cell's value would only repeat it.
        return None


def _finish(result: CheckResult) -> CheckResult:
    """Print the verdict and, in grading mode, turn a failure into an AssertionError."""
    print(result.message)
    if not result.passed and is_grading():
        raise AssertionError(result.message)
    return result


def _todo(name: str) -> CheckResult:
    return CheckResult(
        _TODO,
        name,
        "not yet implemented. Replace `raise NotImplementedError()` with your code, "
        "run that cell, then run this check again.",
    )


def _guarded(checker: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Run a checker so that a bug in the diagnosis never crashes a notebook."""

    def run(*args: Any, **kwargs: Any) -> CheckResult:
        try:
            result = checker(*args, **kwargs)
        except _TimeoutExpired:
            result = CheckResult(_FAIL, kwargs.get("name") or "check", "the check timed out.")
        except Exception as exc:  # a bug in the checker itself: report, don't crash
            result = CheckResult(
                _FAIL,
                kwargs.get("name") or "check",
                "the check itself failed -- please tell your instructor.",
                [f"{type(exc).__name__}: {exc}"],
            )
        return _finish(result)

    run.__name__ = checker.__name__
    run.__doc__ = checker.__doc__
    run.__wrapped__ = checker
    return run


# ---------------------------------------------------------------------------
# Calling the reader's code safely
# ---------------------------------------------------------------------------


class _TimeoutExpired(BaseException):
    """Raised inside the reader's code when it runs too long.

    A BaseException, so that an ``except Exception`` in the reader's code
    cannot swallow it.
    """


@dataclass
class _Outcome:
    kind: str  # "ok", "todo", "error", "timeout"
    value: Any = None
    error: str = ""


def _call_with_alarm(fn: Callable[[], Any], timeout: float) -> Any:
    """Run ``fn`` and interrupt it with SIGALRM after ``timeout`` seconds."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise _TimeoutExpired

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.monotonic()
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # someone else's timer was running: give it back
            left = max(previous_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _call_in_thread(fn: Callable[[], Any], timeout: float) -> Any:
    """Fallback off the main thread: wait for ``fn`` in a daemon thread.

    The thread cannot be stopped; it is left to finish in the background.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _TimeoutExpired
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _run_limited(fn: Callable[[], Any], timeout: float | None) -> Any:
    if not timeout:
        return fn()
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and hasattr(signal, "setitimer"):
        return _call_with_alarm(fn, timeout)
    return _call_in_thread(fn, timeout)


def _where(exc: BaseException) -> str:
    """The line of the reader's own code where ``exc`` was raised, if any."""
    here = Path(__file__).resolve()
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve() != here
        and "site-packages" not in frame.filename
        and "/lib/python" not in frame.filename
    ]
    if not frames:
        return ""
    last = frames[-1]
    code = f": `{last.line.strip()}`" if last.line else ""
    return f" (line {last.lineno} of your code{code})"


def _call(fn: Callable[..., Any], args: Sequence, kwargs: Mapping, timeout: float | None) -> _Outcome:
    """Call the reader's function, turning every way it can go wrong into an outcome."""
    try:
        value = _run_limited(lambda: fn(*args, **kwargs), timeout)
    except NotImplementedError:
        return _Outcome("todo")
    except _TimeoutExpired:
        return _Outcome("timeout", error=f"It did not finish within {timeout:g} s -- an endless loop?")
    except RecursionError:
        return _Outcome("error", error="RecursionError: it calls itself without end.")
    except NameError as exc:
        return _Outcome("error", error=f"NameError: {exc}{_where(exc)} -- did you run all cells above?")
    except Exception as exc:  # the reader's code raised: report it instead of a traceback
        return _Outcome("error", error=f"{type(exc).__name__}: {exc}{_where(exc)}")
    return _Outcome("ok", value)


def _resolve(answer: Any, timeout: float | None) -> _Outcome:
    """An answer may be given directly or as a zero-argument function returning it."""
    if callable(answer) and not isinstance(answer, np.ndarray):
        return _call(answer, (), {}, timeout)
    return _Outcome("ok", answer)


def _outcome_failure(outcome: _Outcome, name: str, case: str = "", inputs: str = "") -> CheckResult | None:
    """The result to report when the reader's code did not produce a value.

    ``case`` names the test case ("test case 2 of 5") and ``inputs`` describes
    its arguments, when a function is being tested.
    """
    if outcome.kind == "todo":
        return _todo(name)
    if outcome.kind == "ok":
        return None
    what = "your function" if case else "your code"
    on = f" on {case}" if case else ""
    extra = [f"Inputs: {inputs}."] if inputs else []
    if outcome.kind == "timeout":
        return CheckResult(_FAIL, name, f"{what} took too long{on}.", [outcome.error, *extra])
    return CheckResult(_FAIL, name, f"{what} raised an error{on}.", [outcome.error, *extra])


# ---------------------------------------------------------------------------
# Comparing arrays and diagnosing the difference
# ---------------------------------------------------------------------------


def _as_array(value: Any, scalar: bool) -> tuple[np.ndarray | None, str]:
    """Turn an answer into a numeric array, or explain why that is impossible."""
    what = "a number" if scalar else "an array"
    if value is None:
        return None, f"you gave None instead of {what} -- a missing `return`?"
    if isinstance(value, str | bytes | dict | set):
        return None, f"expected {what}, got a {type(value).__name__}: {value!r:.60}"
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        return None, f"your {type(value).__name__} could not be turned into an array ({exc})."
    if array.dtype.kind not in "biufc":
        return None, (
            f"expected {what} of numbers, got a {type(value).__name__} whose entries "
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


def _shape_problem(got: tuple, want: tuple, hint: str) -> list[str]:
    """Explain a shape mismatch in the reader's terms."""
    lines = [f"Your result has shape {got}, expected {want}."]
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


def _value_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> list[str]:
    """Explain why two arrays of the same shape differ (generic diagnoses)."""
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
    return _ratio_problem(got, want, rtol, atol) or _partial_problem(got, want, rtol, atol)


def _ratio_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> list[str]:
    """Diagnose a result that is off by a constant factor or a constant offset."""
    with np.errstate(all="ignore"):
        nonzero = np.abs(want) > atol
        if nonzero.any():
            factor = float(np.median(got[nonzero] / want[nonzero]))
            if math.isfinite(factor) and factor != 0 and _close(got, factor * want, rtol, atol):
                if abs(factor + 1) < 1e-6:
                    return ["Every value has the wrong sign."]
                return [f"Every value is {_fmt(factor)} times the right one: "
                        "a wrong normalisation or a sum where a mean was meant?"]
        offset = float(np.median(got - want))
        if math.isfinite(offset) and offset != 0 and _close(got, want + offset, rtol, atol):
            return [f"Every value is off by the same amount ({_fmt(offset)}): an offset or bias term?"]
    return []


def _partial_problem(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> list[str]:
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    first = tuple(int(i) for i in np.argwhere(wrong)[0]) if got.ndim else ()
    count = int(wrong.sum())
    lines = [f"{count} of {want.size} values {'is' if count == 1 else 'are'} wrong."] if want.size > 1 else []
    if got.ndim:
        lines.append(f"First wrong value at index {first}: expected {_fmt(want[first].item())}, "
                     f"got {_fmt(got[first].item())}.")
    return lines


def _diagnose(got: np.ndarray, want: np.ndarray, mistakes, rtol, atol, hint="") -> list[str] | None:
    """``None`` if ``got`` is right, else lines explaining what is wrong."""
    if _close(got, want, rtol, atol):
        return None
    for message, wrong in _candidates(mistakes, want, rtol, atol):
        if _close(got, wrong, rtol, atol):
            return [message]
    if got.shape != want.shape:
        return _shape_problem(got.shape, want.shape, hint)
    return _value_problem(got, want, rtol, atol)


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
    lines = _value_problem(got, want, rtol, atol)
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


def _compare(answer: Any, expected: Any, mistakes, rtol, atol, hint="") -> list[str] | None:
    """Compare any answer with the expected value; ``None`` when right."""
    want = np.asarray(expected)
    scalar = want.ndim == 0
    got, problem = _as_array(answer, scalar)
    if got is None:
        return [problem]
    want = want.astype(float) if want.dtype.kind in "iub" else want
    tol = _tolerance(want, atol)
    if scalar:
        return _scalar_problem(got, want, mistakes, rtol, tol)
    return _diagnose(got, want, mistakes, rtol, tol, hint)


# ---------------------------------------------------------------------------
# Generic checkers
# ---------------------------------------------------------------------------


def _value_check(answer, expected, name, mistakes, rtol, atol, timeout, hint="") -> CheckResult:
    outcome = _resolve(answer, timeout)
    failure = _outcome_failure(outcome, name)
    if failure is not None:
        return failure
    lines = _compare(outcome.value, expected, mistakes, rtol, atol, hint)
    if lines is None:
        return CheckResult(_PASS, name, "correct.")
    return CheckResult(_FAIL, name, lines[0], lines[1:])


@_guarded
def check_value(answer: Any, expected: Any, *, name: str = "your answer",
                mistakes: Mapping[str, Any] | None = None, rtol: float = RTOL,
                atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a single number (never revealing the right one).

    ``answer`` may be the number or a zero-argument function returning it.
    ``mistakes`` maps a message to a known wrong value.
    """
    if np.ndim(expected) != 0:
        raise ValueError("check_value expects a single number; use check_array for arrays")
    return _value_check(answer, expected, name, mistakes, rtol, atol, timeout)


@_guarded
def check_array(answer: Any, expected: Any, *, name: str = "your answer",
                mistakes: Mapping[str, Any] | None = None, rtol: float = RTOL,
                atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check an array: the shape must match and every value within tolerance.

    ``answer`` may be the array (or a nested list) or a zero-argument function
    returning it.  ``mistakes`` maps a message to a known wrong array (or a
    zero-argument function computing it).
    """
    return _value_check(answer, expected, name, mistakes, rtol, atol, timeout)


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
        return None, f"expected a shape tuple, got a {type(value).__name__}."
    if any(isinstance(item, float | np.floating) for item in items):
        return None, (f"sizes must be whole numbers, but your shape {tuple(items)} contains "
                      "floats: use integer division `//` (or int()) where you used `/`.")
    if not all(isinstance(item, int | np.integer) for item in items):
        return None, f"every entry of a shape must be an int, got {tuple(items)!r:.60}."
    return tuple(int(item) for item in items), ""


@_guarded
def check_shape(answer: Any, expected: Sequence[int], *, name: str = "your shape",
                mistakes: Mapping[str, Any] | None = None, hint: str = "",
                timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a shape (a tuple of ints).

    ``mistakes`` maps a message to a known wrong shape; ``hint`` is added to
    an off-by-one diagnosis (e.g. the output-size formula).
    """
    outcome = _resolve(answer, timeout)
    failure = _outcome_failure(outcome, name)
    if failure is not None:
        return failure
    got, problem = _as_shape(outcome.value)
    if got is None:
        return CheckResult(_FAIL, name, problem)
    want = tuple(int(n) for n in expected)
    if got == want:
        return CheckResult(_PASS, name, "correct.")
    for message, wrong in (mistakes or {}).items():
        if tuple(wrong) == got and tuple(wrong) != want:
            return CheckResult(_FAIL, name, message, [f"Your shape is {got}."])
    lines = _shape_problem(got, want, hint)
    shape_line = lines[0].replace("Your result has shape", "Your shape is")
    if len(lines) == 1:
        return CheckResult(_FAIL, name, shape_line)
    return CheckResult(_FAIL, name, lines[1], [shape_line])


# ---------------------------------------------------------------------------
# Checking a function on test cases
# ---------------------------------------------------------------------------


def _split_case(case: Any) -> tuple[tuple, dict]:
    """A case is a tuple of positional arguments, a dict of keyword arguments,
    or a pair ``(args_tuple, kwargs_dict)``."""
    if isinstance(case, Mapping):
        return (), dict(case)
    if (isinstance(case, tuple) and len(case) == 2 and isinstance(case[0], tuple)
            and isinstance(case[1], Mapping)):
        return case[0], dict(case[1])
    if isinstance(case, tuple):
        return case, {}
    return (case,), {}


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, separator=", ")
        return f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe_case(args: tuple, kwargs: dict, names: Sequence[str] | None) -> str:
    labels = list(names or [])
    parts = []
    for i, arg in enumerate(args):
        label = f"{labels[i]}=" if i < len(labels) else ""
        parts.append(label + _describe(arg))
    parts += [f"{key}={_describe(val)}" for key, val in kwargs.items()]
    return ", ".join(parts)


def _unchanged(before: Any, after: Any) -> bool:
    """Whether the reader's function left an argument as it was."""
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and after.shape == before.shape and bool(
            np.array_equal(after, before, equal_nan=True))
    return True


def _compare_output(got: Any, want: Any, mistakes, rtol, atol, hint) -> list[str] | None:
    """Compare one return value; tuples of arrays are compared item by item."""
    if isinstance(want, tuple) and any(isinstance(w, np.ndarray) for w in want):
        if not isinstance(got, tuple | list) or len(got) != len(want):
            return [f"Expected a tuple of {len(want)} results, got {_describe(got)}."]
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            lines = _compare(g, w, None, rtol, atol, hint)
            if lines:
                return [f"Result number {i + 1} is wrong: {lines[0]}", *lines[1:]]
        return None
    return _compare(got, want, mistakes, rtol, atol, hint)


@dataclass
class _Run:
    """One test case: its inputs, the expected output and what the reader's function did."""

    args: tuple
    kwargs: dict
    label: str
    inputs: str
    want: Any
    outcome: _Outcome
    given_args: tuple


def _run_case(fn, reference, case, label, arg_names, timeout) -> _Run:
    args, kwargs = _split_case(case)
    want = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    given_args, given_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    outcome = _call(fn, given_args, given_kwargs, timeout)
    return _Run(args, kwargs, label, _describe_case(args, kwargs, arg_names), want, outcome, given_args)


def _bind(wrong: Callable[..., Any], run: _Run) -> Callable[[], Any]:
    """A mistake function applied to (fresh copies of) one case's arguments."""
    return lambda: wrong(*copy.deepcopy(run.args), **copy.deepcopy(run.kwargs))


def _agrees(run: _Run, wrong: Callable[..., Any], rtol, atol) -> bool:
    """Whether the reader's output on ``run`` is what mistake ``wrong`` would give."""
    try:
        value = _bind(wrong, run)()
    except Exception:  # the mistake does not apply to this case
        return True
    if value is None:
        return True
    with np.errstate(all="ignore"):
        return _compare_output(run.outcome.value, value, None, rtol, atol, "") is None


def _consistent(mistakes, runs: list[_Run], rtol, atol) -> dict:
    """The mistakes that explain the reader's outputs on *every* case.

    Several mistakes can give the same wrong output on one case (no padding and
    no "+ 1" agree on some sizes); the other cases tell them apart.  If none
    explains everything, all are kept as hints.
    """
    done = [run for run in runs if run.outcome.kind == "ok"]
    kept = {m: f for m, f in (mistakes or {}).items() if all(_agrees(r, f, rtol, atol) for r in done)}
    return kept or dict(mistakes or {})


def _judge(run: _Run, name, mistakes, rtol, atol, hint) -> CheckResult | None:
    """The failure to report for one case, or ``None`` if the case passed."""
    failure = _outcome_failure(run.outcome, name, run.label, run.inputs)
    if failure is not None:
        return failure
    bound = {message: _bind(wrong, run) for message, wrong in mistakes.items()}
    lines = _compare_output(run.outcome.value, run.want, bound, rtol, atol, hint)
    if lines:
        return CheckResult(_FAIL, name, lines[0], [*lines[1:], f"This was {run.label}: {run.inputs}."])
    if not all(_unchanged(a, b) for a, b in zip(run.args, run.given_args, strict=True)):
        return CheckResult(_FAIL, name, f"your function changed its input in place on {run.label}.", [
            "Work on a copy (e.g. `x = x.copy()` or `np.pad`) instead of writing into the input."])
    return None


@_guarded
def check_function(fn: Any, reference: Callable[..., Any], cases: Sequence[Any], *,
                   name: str | None = None, mistakes: Mapping[str, Callable[..., Any]] | None = None,
                   arg_names: Sequence[str] | None = None, rtol: float = RTOL,
                   atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                   hint: str = "") -> CheckResult:
    """Check a function the reader wrote against a reference on test cases.

    Each case is a tuple of positional arguments, a dict of keyword arguments,
    or ``(args, kwargs)``.  ``mistakes`` maps a message to a *wrong* function
    with the reference's signature; when the reader's outputs match one, its
    message is shown.  ``arg_names`` label the arguments when a case is
    described.  The first failing case is reported.
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        problem = ("you gave None, not a function." if fn is None
                   else f"expected a function, got a {type(fn).__name__}.")
        return CheckResult(_FAIL, name, problem)
    runs = []
    for index, case in enumerate(cases):
        run = _run_case(fn, reference, case, f"test case {index + 1} of {len(cases)}", arg_names, timeout)
        if run.outcome.kind == "todo":
            return _todo(name)
        runs.append(run)
        if run.outcome.kind != "ok":
            break  # an error or a timeout: later cases would likely repeat it
    known = None
    for run in runs:
        if known is None and run.outcome.kind == "ok" and _judge(run, name, {}, rtol, atol, hint) is not None:
            known = _consistent(mistakes, runs, rtol, atol)  # only worth it once something fails
        failure = _judge(run, name, known or {}, rtol, atol, hint)
        if failure is not None:
            return failure
    return CheckResult(_PASS, name, f"all {len(cases)} test cases pass.")


# ---------------------------------------------------------------------------
# Convolution and pooling
# ---------------------------------------------------------------------------


def _pair(value: Any, n: int) -> tuple[int, ...]:
    if np.ndim(value) == 0:
        return (int(value),) * n
    return tuple(int(v) for v in value)


def _spatial_dims(weight: np.ndarray) -> int:
    """1 for a conv1d weight (out, in, k), 2 for a conv2d weight (out, in, kh, kw)."""
    return weight.ndim - 2


def reference_conv(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                   pad_sides: str = "both") -> np.ndarray:
    """Cross-correlation like ``torch.nn.functional.conv1d``/``conv2d`` (channels first).

    ``x`` is (C, L) / (N, C, L) for 1-d or (C, H, W) / (N, C, H, W) for 2-d;
    ``weight`` is (O, C, k) or (O, C, kh, kw).  ``pad_sides="before"`` pads
    only at the start of each axis (used to model a mistake).
    """
    w = np.asarray(weight, dtype=float)
    dims = _spatial_dims(w)
    x = np.asarray(x, dtype=float)
    batched = x.ndim == dims + 2
    xb = x if batched else x[None]
    strides, pads = _pair(stride, dims), _pair(padding, dims)
    widths = [(0, 0), (0, 0)] + [(p, p if pad_sides == "both" else 0) for p in pads]
    xp = np.pad(xb, widths)
    axes = tuple(range(2, 2 + dims))
    # windows: (N, C, *out_size, *kernel_size), taken every `stride` positions
    windows = sliding_window_view(xp, w.shape[2:], axis=axes)
    windows = windows[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    kernel_axes = list(range(2 + dims, 2 + 2 * dims))
    out = np.tensordot(windows, w, axes=([1, *kernel_axes], [1, *range(2, 2 + dims)]))
    out = np.moveaxis(out, -1, 1)
    if bias is not None:
        out = out + np.asarray(bias, dtype=float).reshape((1, -1) + (1,) * dims)
    return out if batched else out[0]


def reference_pool(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                   mode: str = "max", pad_value: float | None = None) -> np.ndarray:
    """2-d max or average pooling over the last two axes (like torch's max_pool2d/avg_pool2d).

    Max pooling pads with -inf; average pooling pads with zeros and counts them.
    """
    x = np.asarray(x, dtype=float)
    ks = _pair(kernel_size, 2)
    strides = _pair(ks if stride is None else stride, 2)
    pads = _pair(padding, 2)
    if pad_value is None:
        pad_value = -np.inf if mode == "max" else 0.0
    widths = [(0, 0)] * (x.ndim - 2) + [(p, p) for p in pads]
    xp = np.pad(x, widths, constant_values=pad_value)
    windows = sliding_window_view(xp, ks, axis=(-2, -1))[..., ::strides[0], ::strides[1], :, :]
    reduce = np.max if mode == "max" else np.mean
    return reduce(windows, axis=(-2, -1))


_SIZE_HINT = "The output size along an axis is (n + 2*padding - kernel) // stride + 1."


def _flip(w: np.ndarray) -> np.ndarray:
    dims = _spatial_dims(w)
    return np.flip(w, axis=tuple(range(2, 2 + dims)))


def conv_mistakes() -> dict[str, Callable[..., Any]]:
    """Known wrong convolutions, as functions of (x, weight, bias=None, stride=1, padding=0).

    Each returns the wrong result, or ``None`` when the mistake would not
    change anything for these arguments.
    """

    def some(condition: bool, compute: Callable[[], Any]) -> Any:
        return compute() if condition else None

    def ref(x, w, b, s, p, **kw):
        return reference_conv(x, w, b, s, p, **kw)

    def channels_last(x, w, b=None, s=1, p=0):
        out = ref(x, w, b, s, p)
        return np.moveaxis(out, -_spatial_dims(np.asarray(w)) - 1, -1)

    def only_first_channel(x, w, b=None, s=1, p=0):
        x, w = np.asarray(x), np.asarray(w)
        dims = _spatial_dims(w)
        return some(w.shape[1] > 1, lambda: ref(x[..., :1, :, :] if dims == 2 else x[..., :1, :],
                                                w[:, :1], b, s, p))

    return {
        "It looks like you flipped the kernel (a true convolution). In deep learning, "
        "'convolution' means cross-correlation: slide the kernel over the input without flipping it.":
            lambda x, w, b=None, s=1, p=0: ref(x, _flip(np.asarray(w)), b, s, p),
        "It looks like the padding was left out: pad the input with `padding` zeros on each side first.":
            lambda x, w, b=None, s=1, p=0: some(np.any(np.asarray(p) > 0), lambda: ref(x, w, b, s, 0)),
        "It looks like the padding was applied twice (2 * padding zeros on each side).":
            lambda x, w, b=None, s=1, p=0: some(np.any(np.asarray(p) > 0),
                                                lambda: ref(x, w, b, s, 2 * np.asarray(p))),
        "It looks like you padded only one side: `padding` zeros go on both sides of each axis.":
            lambda x, w, b=None, s=1, p=0: some(np.any(np.asarray(p) > 0),
                                                lambda: ref(x, w, b, s, p, pad_sides="before")),
        "It looks like the stride was ignored: you computed every position (stride 1).":
            lambda x, w, b=None, s=1, p=0: some(np.any(np.asarray(s) > 1), lambda: ref(x, w, b, 1, p)),
        "It looks like the bias is missing: add bias[o] to every value of output channel o.":
            lambda x, w, b=None, s=1, p=0: some(b is not None and np.any(np.asarray(b) != 0),
                                                lambda: ref(x, w, None, s, p)),
        "It looks like the kernel was transposed (its rows and columns swapped).":
            lambda x, w, b=None, s=1, p=0: some(np.asarray(w).ndim == 4,
                                                lambda: ref(x, np.swapaxes(np.asarray(w), -1, -2), b, s, p)),
        "Your output is transposed: rows and columns are swapped.":
            lambda x, w, b=None, s=1, p=0: some(np.asarray(w).ndim == 4,
                                                lambda: np.swapaxes(ref(x, w, b, s, p), -1, -2)),
        "Your output is channels-last (H, W, C); this book puts channels first: (C, H, W).":
            channels_last,
        "Only the first input channel was used: sum over all input channels.":
            only_first_channel,
    }


def pool_mistakes(mode: str = "max") -> dict[str, Callable[..., Any]]:
    """Known wrong poolings, as functions of (x, kernel_size, stride=None, padding=0)."""
    other = "avg" if mode == "max" else "max"
    names = {"max": "maximum", "avg": "average"}

    def some(condition: bool, compute: Callable[[], Any]) -> Any:
        return compute() if condition else None

    def effective(k, s):
        return k if s is None else s

    mistakes = {
        f"You took the {names[other]} of each window; this exercise wants the {names[mode]}.":
            lambda x, k, s=None, p=0: reference_pool(x, k, s, p, other),
        "It looks like the stride was ignored: you pooled at every position (stride 1).":
            lambda x, k, s=None, p=0: some(np.any(np.asarray(effective(k, s)) != 1),
                                           lambda: reference_pool(x, k, 1, p, mode)),
        "It looks like you used the kernel size as the stride; use the given stride.":
            lambda x, k, s=None, p=0: some(s is not None and np.any(np.asarray(s) != np.asarray(k)),
                                           lambda: reference_pool(x, k, None, p, mode)),
        "It looks like the padding was left out.":
            lambda x, k, s=None, p=0: some(np.any(np.asarray(p) > 0),
                                           lambda: reference_pool(x, k, s, 0, mode)),
        "Your output is transposed: rows and columns are swapped.":
            lambda x, k, s=None, p=0: np.swapaxes(reference_pool(x, k, s, p, mode), -1, -2),
        "Your output is channels-last (H, W, C); this book puts channels first: (C, H, W).":
            lambda x, k, s=None, p=0: some(np.ndim(x) >= 3, lambda: np.moveaxis(
                reference_pool(x, k, s, p, mode), -3, -1)),
    }
    if mode == "max":
        mistakes["It looks like you padded with zeros: for max pooling pad with -inf, "
                 "or a padded zero can beat negative values."] = (
            lambda x, k, s=None, p=0: some(np.any(np.asarray(p) > 0),
                                           lambda: reference_pool(x, k, s, p, mode, pad_value=0.0)))
    else:
        mistakes["You summed each window; average pooling divides the sum by the window size."] = (
            lambda x, k, s=None, p=0: reference_pool(x, k, s, p, mode) * math.prod(_pair(k, 2)))
    return mistakes


def output_size_mistakes() -> dict[str, Callable[..., Any]]:
    """Known wrong output-size formulas, as functions of (n, kernel_size, stride=1, padding=0)."""
    return {
        "It looks like you forgot the + 1: a kernel that fits exactly once gives one output.":
            lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
        "It looks like the padding was left out of the formula: add 2 * padding to n.":
            lambda n, k, s=1, p=0: (n - k) // s + 1,
        "It looks like the padding was counted once; it is added on both sides: n + 2 * padding.":
            lambda n, k, s=1, p=0: (n + p - k) // s + 1,
        "It looks like the stride was ignored: divide by the stride.":
            lambda n, k, s=1, p=0: n + 2 * p - k + 1,
        "It looks like you rounded up; the last window must fit entirely, so round down (//).":
            lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1,
    }


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


@_guarded
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
        return check_function.__wrapped__(
            answer, reference_conv, cases or _default_conv_cases(), name=name, mistakes=mistakes,
            arg_names=_CONV_ARGS, timeout=timeout, hint=_SIZE_HINT)
    expected = reference_conv(x, weight, bias, stride, padding)
    bound = {m: (lambda f=f: f(x, weight, bias, stride, padding)) for m, f in mistakes.items()}
    return _value_check(answer, expected, name or "your convolution", bound, RTOL, None, timeout,
                        _SIZE_HINT)


@_guarded
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
        return check_function.__wrapped__(
            answer, reference, cases or _default_pool_cases(), name=name, mistakes=mistakes,
            arg_names=_POOL_ARGS, timeout=timeout, hint=_SIZE_HINT)
    expected = reference(x, kernel_size, stride, padding)
    bound = {m: (lambda f=f: f(x, kernel_size, stride, padding)) for m, f in mistakes.items()}
    return _value_check(answer, expected, name or "your pooling", bound, RTOL, None, timeout,
                        _SIZE_HINT)


# ---------------------------------------------------------------------------
# Parameter counts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    """A convolution layer for :func:`check_count`; ``kernel_size`` an int (k x k) or a tuple."""

    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, ...]
    bias: bool = True

    def kernel_area(self) -> int:
        ks = self.kernel_size
        return ks * ks if isinstance(ks, int) else math.prod(ks)

    def weights(self) -> int:
        return self.out_channels * self.in_channels * self.kernel_area()

    def biases(self) -> int:
        return self.out_channels if self.bias else 0


@dataclass(frozen=True)
class Linear:
    """A fully connected layer for :func:`check_count`."""

    in_features: int
    out_features: int
    bias: bool = True

    def weights(self) -> int:
        return self.in_features * self.out_features

    def biases(self) -> int:
        return self.out_features if self.bias else 0


def _count_mistakes(layers: Sequence[Conv | Linear]) -> dict[str, int]:
    """Parameter counts that result from the usual counting mistakes."""
    total = sum(layer.weights() + layer.biases() for layer in layers)
    weights = sum(layer.weights() for layer in layers)
    mistakes: dict[str, int] = {
        "It looks like you forgot the biases: one per output channel (or output unit).":
            weights,
        "It looks like you counted one bias per layer; there is one per output channel.":
            weights + sum(1 for layer in layers if layer.biases()),
        "It looks like you counted one bias per weight; there is one per output channel.":
            2 * weights,
    }
    convs = [layer for layer in layers if isinstance(layer, Conv)]
    if convs:
        mistakes["It looks like you forgot the input channels: each filter has "
                 "in_channels x kh x kw weights."] = total - sum(
            c.weights() - c.out_channels * c.kernel_area() for c in convs)
        if len(convs) > 1:
            for i, layer in enumerate(layers):
                if isinstance(layer, Conv):
                    mistakes[f"It looks like you forgot the input channels of layer {i + 1} ({layer}): "
                             "each filter has in_channels x kh x kw weights."] = (
                        total - layer.weights() + layer.out_channels * layer.kernel_area())
        mistakes["It looks like you counted the kernel as k weights instead of k x k."] = total - sum(
            c.weights() - c.out_channels * c.in_channels * c.kernel_size
            for c in convs if isinstance(c.kernel_size, int))
    if len(layers) > 1:
        for i, layer in enumerate(layers):
            mistakes[f"It looks like you left out layer {i + 1} ({layer})."] = (
                total - layer.weights() - layer.biases())
        last = layers[-1]
        mistakes["It looks like you counted only the last layer."] = last.weights() + last.biases()
    return mistakes


@_guarded
def check_count(answer: Any, layers: int | Conv | Linear | Sequence[Conv | Linear], *,
                name: str = "your count", mistakes: Mapping[str, Any] | None = None,
                timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a number of parameters.

    ``layers`` is the network (a ``Conv``/``Linear`` or a list of them; the
    expected count and the usual mistakes are derived from it), or simply the
    expected count.
    """
    if isinstance(layers, Conv | Linear):
        layers = [layers]
    if isinstance(layers, int | np.integer):
        expected, known = int(layers), {}
    else:
        expected = sum(layer.weights() + layer.biases() for layer in layers)
        known = _count_mistakes(layers)
    known.update(mistakes or {})
    outcome = _resolve(answer, timeout)
    failure = _outcome_failure(outcome, name)
    if failure is not None:
        return failure
    value = outcome.value
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return CheckResult(_FAIL, name, f"a count is a whole number, got {value}: "
                           "is there a `/` that should be `//`?")
    return _value_check(value, expected, name, known, 0.0, 0.5, timeout)
