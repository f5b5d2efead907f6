"""Small helpers shared by the chapters' checkers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def with_cases(default: list, given: Sequence[Any] | None) -> list:
    """The built-in test cases, or the ones given (hidden tests pass their own)."""
    return list(given) if given is not None else default
