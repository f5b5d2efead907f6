"""Make student notebooks: the chapter notebooks with their solutions taken out.

Usage::

    python -m cnn_helpers.student SRC OUT

``SRC`` is a notebook or a folder of notebooks (searched recursively);
the student versions are written under ``OUT`` with the same relative paths.

What changes (the authoring scheme is described on the book's
"For instructors" page):

* every solution region -- the lines from ``### BEGIN SOLUTION`` to
  ``### END SOLUTION`` -- becomes nbgrader's stub, indented like the region::

      # YOUR CODE HERE
      raise NotImplementedError()

* every hidden-test region (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``)
  is removed;
* markdown cells holding a sphinx-exercise ``{solution}``, ``{solution-start}``
  or ``{solution-end}`` directive are dropped, and so is every cell between a
  ``{solution-start}`` and its ``{solution-end}`` except code cells with a
  solution region (those are kept, stubbed, so the student has a place to
  write the answer);
* cells tagged ``hidden-check`` are dropped;
* outputs and execution counts are cleared.

Only nbformat is needed: the markers are nbgrader's, but nbgrader itself
(with its server and database) is not.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
HIDDEN_CHECK_TAG = "hidden-check"

# A line opening a MyST directive: ```{name} or :::{name}, possibly indented.
_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\s*\{(?P<name>[\w-]+)\}", re.MULTILINE)
_SOLUTION_DIRECTIVES = {"solution", "solution-start", "solution-end"}
# Anything that looks like a marker but is not spelled exactly like one:
# it would silently leak the solution, so it is an error.
_MARKER_LIKE = re.compile(r"(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS)", re.IGNORECASE)


class AuthoringError(ValueError):
    """A source notebook does not follow the exercise scheme."""


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def directives(text: str) -> list[str]:
    """Names of the MyST directives opened in a markdown text."""
    return [match["name"] for match in _DIRECTIVE.finditer(text)]


def has_solution_region(source: str) -> bool:
    return any(line.strip() == BEGIN_SOLUTION for line in source.splitlines())


def strip_code(source: str) -> str:
    """Replace solution regions with the stub and remove hidden-test regions."""
    out: list[str] = []
    region: str | None = None  # None, "solution" or "hidden"
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if region:
                raise AuthoringError(f"line {number}: {marker!r} inside another region")
            region = "solution" if marker == BEGIN_SOLUTION else "hidden"
            if region == "solution":
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(indent + stub for stub in STUB)
        elif marker in (END_SOLUTION, END_HIDDEN):
            expected = END_SOLUTION if region == "solution" else END_HIDDEN
            if marker != expected:
                raise AuthoringError(f"line {number}: {marker!r} without its BEGIN marker")
            region = None
        elif _MARKER_LIKE.search(line):
            raise AuthoringError(
                f"line {number}: {line.strip()!r} looks like a marker but is not spelled "
                f"exactly {BEGIN_SOLUTION!r} / {END_SOLUTION!r} (or the HIDDEN TESTS pair)"
            )
        elif region is None:
            out.append(line)
    if region:
        raise AuthoringError(f"a {region} region is never closed")
    return "\n".join(out)


def _markdown_role(cell) -> str | None:
    """'start', 'end' or 'solution' for a markdown cell holding a solution directive."""
    names = directives(_source(cell))
    found = _SOLUTION_DIRECTIVES.intersection(names)
    if not found:
        return None
    if len(names) > 1:
        raise AuthoringError(
            f"a markdown cell mixes {', '.join(names)}: put each solution directive "
            "in a markdown cell of its own"
        )
    return {"solution-start": "start", "solution-end": "end", "solution": "solution"}[found.pop()]


def _clean(cell) -> None:
    """Clear what running the notebook left in a code cell."""
    cell["outputs"] = []
    cell["execution_count"] = None
    cell.get("metadata", {}).pop("execution", None)


def make_student(nb):
    """Return a student version of the notebook ``nb`` (which is left unchanged)."""
    nb = nbformat.from_dict(nbformat.from_dict(nb))  # a deep copy
    kept = []
    inside = False  # between {solution-start} and {solution-end}
    for index, cell in enumerate(nb.cells):
        try:
            keep, inside = _student_cell(cell, inside)
        except AuthoringError as err:
            raise AuthoringError(f"cell {index}: {err}") from None
        if keep:
            kept.append(cell)
    if inside:
        raise AuthoringError("a {solution-start} has no matching {solution-end}")
    nb.cells = kept
    _assert_no_solution_left(nb)
    return nb


def _student_cell(cell, inside: bool) -> tuple[bool, bool]:
    """Transform one cell in place; return (keep it?, inside a gated solution after it?)."""
    if HIDDEN_CHECK_TAG in cell.get("metadata", {}).get("tags", []):
        return False, inside
    if cell.cell_type == "markdown":
        role = _markdown_role(cell)
        if role == "start":
            if inside:
                raise AuthoringError("{solution-start} inside another gated solution")
            return False, True
        if role == "end":
            if not inside:
                raise AuthoringError("{solution-end} without a {solution-start}")
            return False, False
        return role is None and not inside, inside
    source = _source(cell)
    if cell.cell_type == "code":
        if inside and not has_solution_region(source):
            return False, inside  # solution-only code (a demo of the answer)
        cell.source = strip_code(source)
        _clean(cell)
        return True, inside
    return not inside, inside  # raw cells


def _assert_no_solution_left(nb) -> None:
    """A last safety net: nothing marked as solution may reach students."""
    for index, cell in enumerate(nb.cells):
        source = _source(cell)
        if _MARKER_LIKE.search(source) or _SOLUTION_DIRECTIVES.intersection(directives(source)):
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
    return sum(_source(cell).count(STUB[1]) for cell in student.cells if cell.cell_type == "code")


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
