"""Calling the reader's code: which line is blamed, and which mistakes explain an answer."""

from __future__ import annotations

import numpy as np

from cnn_helpers import checks
from cnn_helpers.checks import running


def test_an_error_in_the_readers_code_names_the_readers_line():
    def reader(x):
        return x + "one"  # the reader's bug

    outcome = running.call(reader, (1,), {}, timeout=None)
    assert outcome.kind == "error"
    assert "of your code" in outcome.error and 'x + "one"' in outcome.error


def test_an_error_raised_by_a_checker_is_not_blamed_on_the_reader():
    """A frame in cnn_helpers/checks/exercises (or anywhere in the package) is not
    the reader's code, even though it is not directly in cnn_helpers/checks."""
    checks.set_grading(False)  # the failure is the point; grading mode would raise it
    try:
        message = checks.check_tolerant_bias(lambda n, m=1: "x", quiet=True).message
    finally:
        checks.set_grading(None)
    assert "TypeError" in message and "not a str" in message
    assert "of your code" not in message


def test_type_names_take_the_right_article():
    assert running.type_name(3) == "an int"
    assert running.type_name(np.zeros(2)) == "an ndarray"
    assert running.type_name("s") == "a str"
    assert running.type_name([]) == "a list"


def test_only_mistakes_that_explain_every_case_are_kept():
    def reference(n):
        return n % 2 == 0

    mistakes = {"always true": lambda n: True, "odd": lambda n: n % 2 == 1,
                "not applicable": lambda n: None}
    cases = [(1,), (2,), (3,)]
    # True everywhere: "always true" explains every case; "odd" only the odd ones.
    kept = running.mistakes_explaining_all(lambda n: True, reference, cases, mistakes)
    assert list(kept) == ["always true"]
    # A mistake that never applies gives the right answer, so it explains a right answer only.
    assert list(running.mistakes_explaining_all(reference, reference, cases, mistakes)) == [
        "not applicable"]
    # Code that fails on a case: nothing is claimed about it.
    assert running.mistakes_explaining_all(lambda n: 1 / 0, reference, cases, mistakes) == {}
