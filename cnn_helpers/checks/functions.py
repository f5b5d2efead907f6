"""Checking a function the reader wrote against a reference on test cases (:func:`check_function`).

When the reader's outputs are wrong, the known mistakes that explain *every*
case are preferred, and a function that changes its input in place fails.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compare import RTOL, compare
from .results import FAIL, PASS, CheckResult, todo
from .running import DEFAULT_TIMEOUT, Outcome, call, guarded, outcome_failure, type_name


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


def _compare_output(got: Any, want: Any, mistakes, rtol, atol, hint,
                    reveal: bool = True) -> list[str] | None:
    """Compare one return value; tuples of arrays are compared item by item."""
    if isinstance(want, tuple) and any(isinstance(w, np.ndarray) for w in want):
        if not isinstance(got, tuple | list) or len(got) != len(want):
            return [f"Expected a tuple of {len(want)} results, got {_describe(got)}."]
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            lines = compare(g, w, None, rtol, atol, hint, reveal=reveal)
            if lines:
                return [f"Result number {i + 1} is wrong: {lines[0]}", *lines[1:]]
        return None
    return compare(got, want, mistakes, rtol, atol, hint, reveal=reveal)


@dataclass
class _Run:
    """One test case: its inputs, the expected output and what the reader's function did."""

    args: tuple
    kwargs: dict
    label: str
    inputs: str
    want: Any
    outcome: Outcome
    given_args: tuple


def _run_case(fn, reference, case, label, arg_names, timeout) -> _Run:
    args, kwargs = _split_case(case)
    want = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    given_args, given_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    outcome = call(fn, given_args, given_kwargs, timeout)
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


def _judge(run: _Run, name, mistakes, rtol, atol, hint, reveal=True) -> CheckResult | None:
    """The failure to report for one case, or ``None`` if the case passed."""
    failure = outcome_failure(run.outcome, name, run.label, run.inputs)
    if failure is not None:
        return failure
    bound = {message: _bind(wrong, run) for message, wrong in mistakes.items()}
    lines = _compare_output(run.outcome.value, run.want, bound, rtol, atol, hint, reveal)
    if lines:
        return CheckResult(FAIL, name, lines[0], [*lines[1:], f"This was {run.label}: {run.inputs}."])
    if not all(_unchanged(a, b) for a, b in zip(run.args, run.given_args, strict=True)):
        return CheckResult(FAIL, name, f"your function changed its input in place on {run.label}.", [
            "Work on a copy (e.g. `x = x.copy()` or `np.pad`) instead of writing into the input."])
    return None


@guarded
def check_function(fn: Any, reference: Callable[..., Any], cases: Sequence[Any], *,
                   name: str | None = None, mistakes: Mapping[str, Callable[..., Any]] | None = None,
                   arg_names: Sequence[str] | None = None, rtol: float = RTOL,
                   atol: float | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                   hint: str = "", reveal: bool = True) -> CheckResult:
    """Check a function the reader wrote against a reference on test cases.

    Each case is a tuple of positional arguments, a dict of keyword arguments,
    or ``(args, kwargs)``.  ``mistakes`` maps a message to a *wrong* function
    with the reference's signature; when the reader's outputs match one, its
    message is shown.  ``arg_names`` label the arguments when a case is
    described.  The first failing case is reported.  With ``reveal=False`` no
    message states an expected value (where one output value would give the answer away).
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        problem = ("you gave None, not a function." if fn is None
                   else f"expected a function, got {type_name(fn)}.")
        return CheckResult(FAIL, name, problem)
    runs = []
    for index, case in enumerate(cases):
        run = _run_case(fn, reference, case, f"test case {index + 1} of {len(cases)}", arg_names, timeout)
        if run.outcome.kind == "todo":
            return todo(name)
        runs.append(run)
        if run.outcome.kind != "ok":
            break  # an error or a timeout: later cases would likely repeat it
    known = None
    for run in runs:
        if known is None and run.outcome.kind == "ok" and _judge(run, name, {}, rtol, atol, hint, reveal) is not None:
            known = _consistent(mistakes, runs, rtol, atol)  # only worth it once something fails
        failure = _judge(run, name, known or {}, rtol, atol, hint, reveal)
        if failure is not None:
            return failure
    return CheckResult(PASS, name, f"all {len(cases)} test cases pass.")
