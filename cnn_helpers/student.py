"""Make student notebooks: the chapter notebooks with their solutions taken out.

Usage::

    python -m cnn_helpers.student SRC OUT

``SRC`` is a notebook or a folder of notebooks (searched recursively);
the student versions are written under ``OUT`` with the same relative paths.

A student notebook is made in the same two steps as an nbgrader assignment
(:mod:`cnn_helpers.assignments`), without a course or its database:

1. :func:`cnn_helpers.assignments.to_source` does what only the book knows:
   it drops the ``{solution-start}``/``{solution-end}`` cells and the written
   solutions between them, folds ``hidden-check`` cells into their check
   cell, and gives answer and check cells nbgrader's metadata;
2. nbgrader's own preprocessors (:func:`cnn_helpers.assignments.release`)
   replace every solution region with nbgrader's stub, indented like the
   region::

      # YOUR CODE HERE
      raise NotImplementedError()

   remove the hidden tests, lock the check cells and clear the outputs.

The authoring scheme is described on the book's "For instructors" page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

from .assignments import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    HIDDEN_CHECK_TAG,
    STUB,
    AuthoringError,
    check_markers,
    directives,
    has_solution_region,
    release,
    stub_count,
    to_source,
)

__all__ = [
    "BEGIN_HIDDEN", "BEGIN_SOLUTION", "END_HIDDEN", "END_SOLUTION", "HIDDEN_CHECK_TAG",
    "STUB", "AuthoringError", "convert_file", "convert_tree", "directives",
    "has_solution_region", "main", "make_student", "strip_code",
]


def strip_code(source: str) -> str:
    """One cell's code as students get it: solution regions stubbed, hidden tests removed."""
    check_markers(source)
    cell = nbformat.v4.new_code_cell(source)
    if has_solution_region(source) or BEGIN_HIDDEN in source:
        cell.metadata["nbgrader"] = {
            "grade": True, "grade_id": "cell", "locked": False, "points": 1,
            "schema_version": 3, "solution": has_solution_region(source), "task": False}
    return release(nbformat.v4.new_notebook(cells=[cell])).cells[0].source


def make_student(nb):
    """Return a student version of the notebook ``nb`` (which is left unchanged)."""
    student = release(to_source(nb))
    _assert_no_solution_left(student)
    return student


def _assert_no_solution_left(nb) -> None:
    """A last safety net: nothing marked as solution may reach students."""
    for index, cell in enumerate(nb.cells):
        source = "".join(cell.source)
        if BEGIN_SOLUTION in source or END_SOLUTION in source or END_HIDDEN in source:
            raise AuthoringError(f"cell {index}: solution text survived")
        if {"solution", "solution-start", "solution-end"}.intersection(directives(source)):
            raise AuthoringError(f"cell {index}: solution text survived")


def convert_file(src: Path, dest: Path) -> int:
    """Write the student version of ``src`` to ``dest``; return its number of exercises."""
    nb = nbformat.read(src, as_version=4)
    try:
        student = make_student(nb)
    except AuthoringError as err:
        raise AuthoringError(f"{src}: {err}") from None
    nbformat.validate(student)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(student, dest)
    return stub_count(student)


def find_notebooks(src: Path) -> Iterable[Path]:
    if src.is_file():
        yield src
        return
    for path in sorted(src.rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts and "_build" not in path.parts:
            yield path


def convert_tree(src: Path, out: Path) -> list[tuple[Path, Path, int]]:
    """Convert every notebook under ``src``; return (source, student, stubs) triples."""
    done = []
    for path in find_notebooks(src):
        dest = out / (path.name if src.is_file() else path.relative_to(src))
        done.append((path, dest, convert_file(path, dest)))
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnn_helpers.student",
        description="Write student notebooks: solutions stubbed, hidden checks removed.",
    )
    parser.add_argument("src", type=Path, help="a notebook or a folder of notebooks")
    parser.add_argument("out", type=Path, help="folder for the student notebooks")
    args = parser.parse_args(argv)
    if not args.src.exists():
        parser.error(f"{args.src} does not exist")
    try:
        done = convert_tree(args.src, args.out)
    except AuthoringError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path, dest, stubs in done:
        print(f"{path} -> {dest} ({stubs} exercise stub{'s' if stubs != 1 else ''})")
    print(f"{len(done)} student notebook(s) written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
