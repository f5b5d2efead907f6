"""The verdict of a check (:class:`CheckResult`), how it is printed, and grading mode."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

GRADING_ENV = "CNN_HELPERS_GRADING"
# nbgrader sets this in the kernel it runs: "autograde" while grading submissions.
NBGRADER_ENV = "NBGRADER_EXECUTION"

PASS, FAIL, TODO = "pass", "fail", "todo"
_SYMBOL = {PASS: "✅", FAIL: "❌", TODO: "📝"}
_grading_override: bool | None = None


def set_grading(on: bool | None = True) -> None:
    """Switch grading mode on or off; ``None`` falls back to the environment."""
    global _grading_override
    _grading_override = on


def is_grading() -> bool:
    """Whether a failing check should raise ``AssertionError``.

    On under nbgrader's autograder and with ``CNN_HELPERS_GRADING=1``, unless
    :func:`set_grading` said otherwise.
    """
    if _grading_override is not None:
        return _grading_override
    if os.environ.get(NBGRADER_ENV, "").strip().lower() == "autograde":
        return True
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
        return self.status == PASS

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


def finish(result: CheckResult, quiet: bool = False) -> CheckResult:
    """Print the verdict and, in grading mode, turn a failure into an AssertionError.

    ``quiet`` prints only a failure (for hidden tests, whose success need not show).
    """
    if not (quiet and result.passed):
        print(result.message)
    if not result.passed and is_grading():
        raise AssertionError(result.message)
    return result


def todo(name: str) -> CheckResult:
    """The verdict for an exercise still holding its ``NotImplementedError`` stub."""
    return CheckResult(
        TODO,
        name,
        "not yet implemented. Replace `raise NotImplementedError()` with your code, "
        "run that cell, then run this check again.",
    )
