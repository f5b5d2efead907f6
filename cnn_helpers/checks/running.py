"""Calling the reader's code safely: timeouts, exceptions and stubs become outcomes.

Also :func:`guarded`, the decorator every checker wears, so that neither the
reader's code nor a bug in a checker ever crashes a notebook.
"""

from __future__ import annotations

import copy
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .results import FAIL, CheckResult, finish, todo

DEFAULT_TIMEOUT = 5.0

# Every frame inside the package (the checks and their exercises, the layers
# they call) is the book's code, not the reader's.
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class TimeoutExpired(BaseException):
    """Raised inside the reader's code when it runs too long.

    A BaseException, so that an ``except Exception`` in the reader's code
    cannot swallow it.
    """


@dataclass
class Outcome:
    """What calling the reader's code gave: a value, or how it went wrong."""

    kind: str  # "ok", "todo", "error", "timeout"
    value: Any = None
    error: str = ""


def _call_with_alarm(fn: Callable[[], Any], timeout: float) -> Any:
    """Run ``fn`` and interrupt it with SIGALRM after ``timeout`` seconds."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutExpired

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
        raise TimeoutExpired
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
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not Path(frame.filename).resolve().is_relative_to(_PACKAGE_DIR)
        and "site-packages" not in frame.filename
        and "/lib/python" not in frame.filename
    ]
    if not frames:
        return ""
    last = frames[-1]
    code = f": `{last.line.strip()}`" if last.line else ""
    return f" (line {last.lineno} of your code{code})"


def type_name(value: Any) -> str:
    """The type of ``value`` with its article, for messages: "an int", "a list"."""
    word = type(value).__name__
    article = "an" if word[:1].lower() in "aeiou" or word == "ndarray" else "a"
    return f"{article} {word}"


def call(fn: Callable[..., Any], args: Sequence, kwargs: Mapping, timeout: float | None) -> Outcome:
    """Call the reader's function, turning every way it can go wrong into an outcome."""
    try:
        value = _run_limited(lambda: fn(*args, **kwargs), timeout)
    except NotImplementedError:
        return Outcome("todo")
    except TimeoutExpired:
        return Outcome("timeout", error=f"It did not finish within {timeout:g} s -- an endless loop?")
    except RecursionError:
        return Outcome("error", error="RecursionError: it calls itself without end.")
    except NameError as exc:
        return Outcome("error", error=f"NameError: {exc}{_where(exc)} -- did you run all cells above?")
    except Exception as exc:  # the reader's code raised: report it instead of a traceback
        return Outcome("error", error=f"{type(exc).__name__}: {exc}{_where(exc)}")
    return Outcome("ok", value)


def _same(got: Any, want: Any) -> bool:
    try:
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want))


def _arguments(case: Any) -> tuple[tuple, dict]:
    if (isinstance(case, tuple) and len(case) == 2 and isinstance(case[0], tuple)
            and isinstance(case[1], Mapping)):
        return case[0], dict(case[1])
    return (tuple(case) if isinstance(case, tuple) else (case,)), {}


def mistakes_explaining_all(fn: Callable[..., Any], reference: Callable[..., Any],
                            cases: Sequence[Any], mistakes: Mapping[str, Callable[..., Any]],
                            timeout: float | None = DEFAULT_TIMEOUT) -> dict:
    """The mistakes that give the reader's output on every case, and only those.

    When an answer has few possible values (True or False, a small whole number)
    a mistake agrees with a wrong answer on one case by chance; its message
    explains the answer only if it agrees on all of them.  A case is a tuple of
    positional arguments or a pair ``(args, kwargs)``; a mistake that gives
    ``None`` (or fails) on a case does not change the right answer there.  If the reader's code fails on a
    case, no mistake is kept.
    """
    outputs = []
    for case in cases:
        args, kwargs = _arguments(case)
        outcome = call(fn, copy.deepcopy(args), copy.deepcopy(kwargs), timeout)
        if outcome.kind != "ok":
            return {}
        outputs.append(outcome.value)

    def gives(wrong: Callable[..., Any], case: Any) -> Any:
        args, kwargs = _arguments(case)
        try:
            value = wrong(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except Exception:  # the mistake does not apply to this case
            value = None
        return reference(*copy.deepcopy(args), **copy.deepcopy(kwargs)) if value is None else value

    return {message: wrong for message, wrong in mistakes.items()
            if all(_same(got, gives(wrong, case)) for case, got in zip(cases, outputs, strict=True))}


def check_explained(fn: Any, reference: Callable[..., Any], cases: Sequence[Any],
                    mistakes: Mapping[str, Callable[..., Any]], **kwargs: Any) -> CheckResult:
    """``check_function`` that names a catalogued mistake only when it explains
    every case (see :func:`mistakes_explaining_all`).

    The reader's code runs a second time only when its answers are wrong.
    """
    from .functions import check_function  # it imports this module

    result = check_function.__wrapped__(fn, reference, cases, **kwargs)
    if (result.status != FAIL or not callable(fn) or not mistakes
            or "raised an error" in result.summary or "too long" in result.summary):
        return result
    explaining = mistakes_explaining_all(fn, reference, cases, mistakes)
    if not explaining:
        return result
    return check_function.__wrapped__(fn, reference, cases, mistakes=explaining, **kwargs)


def resolve(answer: Any, timeout: float | None) -> Outcome:
    """An answer may be given directly or as a zero-argument function returning it."""
    if callable(answer) and not isinstance(answer, np.ndarray):
        return call(answer, (), {}, timeout)
    return Outcome("ok", answer)


def outcome_failure(outcome: Outcome, name: str, case: str = "", inputs: str = "") -> CheckResult | None:
    """The result to report when the reader's code did not produce a value.

    ``case`` names the test case ("test case 2 of 5") and ``inputs`` describes
    its arguments, when a function is being tested.
    """
    if outcome.kind == "todo":
        return todo(name)
    if outcome.kind == "ok":
        return None
    what = "your function" if case else "your code"
    on = f" on {case}" if case else ""
    extra = [f"Inputs: {inputs}."] if inputs else []
    if outcome.kind == "timeout":
        return CheckResult(FAIL, name, f"{what} took too long{on}.", [outcome.error, *extra])
    return CheckResult(FAIL, name, f"{what} raised an error{on}.", [outcome.error, *extra])


def guarded(checker: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Run a checker so that a bug in the diagnosis never crashes a notebook.

    Every checker so wrapped also takes ``quiet=True``: print only a failure.
    """

    def run(*args: Any, quiet: bool = False, **kwargs: Any) -> CheckResult:
        try:
            result = checker(*args, **kwargs)
        except TimeoutExpired:
            result = CheckResult(FAIL, kwargs.get("name") or "check", "the check timed out.")
        except Exception as exc:  # a bug in the checker itself: report, don't crash
            result = CheckResult(
                FAIL,
                kwargs.get("name") or "check",
                "the check itself failed -- please tell your instructor.",
                [f"{type(exc).__name__}: {exc}"],
            )
        return finish(result, quiet)

    run.__name__ = checker.__name__
    run.__doc__ = checker.__doc__
    run.__wrapped__ = checker
    return run
