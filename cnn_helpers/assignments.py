"""The chapter notebooks as an nbgrader course, and what nbgrader cannot do for it.

Usage::

    python -m cnn_helpers.assignments NOTEBOOKS COURSE

writes a complete nbgrader course to ``COURSE`` (``make assignments`` uses
``_build/nbgrader``): ``nbgrader_config.py``, ``source/<chapter>/<chapter>.ipynb``
for every chapter, and ``release/<chapter>/``, made by nbgrader's own
``nbgrader generate_assignment``.

The book's notebooks stay the only source. They carry nbgrader's markers
(``### BEGIN SOLUTION`` ... and ``### BEGIN HIDDEN TESTS`` ...) but not its
cell metadata; :func:`to_source` adds it, which nbgrader cannot do from the
book's layout of an exercise:

* the ``{exercise}`` cell gives the label, e.g. ``ex-pooling-by-hand``;
* the code cell with the solution region, inside ``{solution-start}`` ...
  ``{solution-end}``, becomes an "autograded answer" cell;
* every check cell that follows it (a code cell calling a ``check_`` function)
  becomes a locked "autograder tests" cell whose ``grade_id`` is the label
  (``<label>-<function>`` when the exercise has several check cells) and whose
  points are the cell's ``points`` metadata (1 when absent);
* a cell tagged ``hidden-check`` joins the check cell before it as a hidden
  test region;
* the ``{solution-start}``/``{solution-end}`` cells, and everything between
  them but the answer cell (the written solution), are dropped.

Taking the solutions out is then nbgrader's job (:func:`release`, which runs
its ``ClearSolutions``, ``ClearHiddenTests``, ``LockCells`` and ``ClearOutput``);
``python -m cnn_helpers.student`` runs the same two steps without a course.
Cell ids are kept throughout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
HIDDEN_CHECK_TAG = "hidden-check"
COURSE_ID = "cnn-course-book"

# A line opening a MyST directive: ```{name} or :::{name}, possibly indented.
_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\s*\{(?P<name>[\w-]+)\}", re.MULTILINE)
_SOLUTION_DIRECTIVES = {"solution", "solution-start", "solution-end"}
_LABEL = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)
# Anything that looks like a marker but is not spelled exactly like one:
# it would silently leak the solution, so it is an error.
_MARKER_LIKE = re.compile(r"(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS)", re.IGNORECASE)
CHECK_CALL = re.compile(r"^check_\w+\(\s*(?P<answer>\w+)?", re.MULTILINE)


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


def has_hidden_region(source: str) -> bool:
    return any(line.strip() == BEGIN_HIDDEN for line in source.splitlines())


def check_markers(source: str) -> None:
    """Raise :class:`AuthoringError` on a misspelt, unclosed or nested marker.

    nbgrader matches its markers anywhere in a line and says nothing about a
    near miss such as ``## BEGIN SOLUTION``, which would hand out a solution.
    """
    region: str | None = None  # None, "solution" or "hidden"
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if region:
                raise AuthoringError(f"line {number}: {marker!r} inside another region")
            region = "solution" if marker == BEGIN_SOLUTION else "hidden"
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
    if region:
        raise AuthoringError(f"a {region} region is never closed")


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


def _nbgrader(grade_id: str, *, solution: bool, points: float | None = None) -> dict:
    """nbgrader's cell metadata (schema 3) for an answer or a tests cell."""
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _points(cell) -> float:
    points = cell.metadata.get("points", 1)
    if not isinstance(points, int | float) or isinstance(points, bool) or points <= 0:
        raise AuthoringError(f"the metadata 'points' must be a positive number, got {points!r}")
    return points


def _grade_ids(label: str, checks: list) -> list[str]:
    """One grade id per check cell: the label, or label-<function> when there are several."""
    if len(checks) == 1:
        return [label]
    ids = []
    for cell in checks:
        match = CHECK_CALL.search(_source(cell))
        answer = match["answer"] if match and match["answer"] else str(len(ids) + 1)
        ids.append(f"{label}-{answer.replace('_', '-')}")
    if len(set(ids)) != len(ids):
        raise AuthoringError(f"{label}: two check cells test the same answer")
    return ids


def to_source(nb):
    """The nbgrader source version of a book notebook (which is left unchanged)."""
    nb = nbformat.from_dict(nbformat.from_dict(nb))  # a deep copy
    kept: list = []
    label = None  # the label of the last {exercise}
    inside = False  # between {solution-start} and {solution-end}
    answered = False  # an answer cell was seen and its checks are being collected
    checks: list = []
    seen_ids: set[str] = set()

    def close_exercise():
        nonlocal checks, answered
        if answered and not checks:
            raise AuthoringError(f"exercise {label}: no check cell follows the solution")
        for cell, grade_id in zip(checks, _grade_ids(label, checks), strict=True):
            if grade_id in seen_ids:
                raise AuthoringError(f"the grade id {grade_id!r} is used twice")
            seen_ids.add(grade_id)
            cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=False, points=_points(cell))
        checks, answered = [], False

    for index, cell in enumerate(nb.cells):
        source = _source(cell)
        try:
            if cell.cell_type == "code":
                check_markers(source)
            tags = cell.metadata.get("tags", [])
            if HIDDEN_CHECK_TAG in tags:
                if not checks:
                    raise AuthoringError("a hidden-check cell must follow a check cell")
                last = checks[-1]
                last.source = f"{_source(last)}\n{BEGIN_HIDDEN}\n{source}\n{END_HIDDEN}"
                continue
            if cell.cell_type == "markdown":
                role = _markdown_role(cell)
                if role == "start":
                    if inside:
                        raise AuthoringError("{solution-start} inside another gated solution")
                    close_exercise()
                    inside = True
                    continue
                if role == "end":
                    if not inside:
                        raise AuthoringError("{solution-end} without a {solution-start}")
                    inside = False
                    continue
                if role == "solution" or inside:
                    continue  # a written solution
                if answered and checks:
                    close_exercise()
                if "exercise" in directives(source):
                    close_exercise()
                    found = _LABEL.search(source)
                    label = found[1] if found else None
                kept.append(cell)
                continue
            if cell.cell_type != "code":
                if not inside:
                    kept.append(cell)
                continue
            if has_solution_region(source):
                if label is None:
                    raise AuthoringError("a solution region outside an {exercise} with a :label:")
                if answered:
                    raise AuthoringError(f"exercise {label}: put its answers in one code cell")
                cell.metadata["nbgrader"] = _nbgrader(f"{label}-answer", solution=True)
                answered = True
            elif inside:
                continue  # code that only shows the solution at work
            elif answered and CHECK_CALL.search(source):
                checks.append(cell)
            elif answered:
                close_exercise()
            if has_hidden_region(source) and not (checks and checks[-1] is cell):
                raise AuthoringError("hidden tests belong in a check cell, after its check_ call")
            kept.append(cell)
        except AuthoringError as err:
            raise AuthoringError(f"cell {index}: {err}") from None
    if inside:
        raise AuthoringError("a {solution-start} has no matching {solution-end}")
    close_exercise()
    nb.cells = kept
    return nb


def release(source_nb):
    """The student version of an nbgrader source notebook, made by nbgrader's preprocessors:
    solutions replaced by the stub, hidden tests removed, tests cells locked, outputs cleared."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, LockCells

    nb = nbformat.from_dict(nbformat.from_dict(source_nb))
    resources: dict = {}
    for step in (ClearSolutions(), ClearHiddenTests(), LockCells(), ClearOutput()):
        nb, resources = step.preprocess(nb, resources)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def stub_count(nb) -> int:
    return sum(_source(c).count(STUB[1]) for c in nb.cells if c.cell_type == "code")


def grade_cells(nb) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograder tests cell of a source notebook."""
    return [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"])
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


CONFIG = '''\
# nbgrader's settings for this course, written by `make assignments`.
c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "{course_id}"
# Some chapters train small networks: give each cell time to finish.
c.Execute.timeout = 600
'''


def _nbgrader_call(args: tuple[str, ...], course: Path) -> dict:
    """How to run this environment's nbgrader in ``course``.

    nbgrader calls ``alembic`` (and its kernels) by name, so this
    environment's scripts come first on the PATH.
    """
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}
    return {"args": [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
            "cwd": course, "env": env, "text": True}


def run_nbgrader(*args: str, course: Path) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in ``course`` and wait for it; fail if it fails."""
    return subprocess.run(**_nbgrader_call(args, course), check=True, capture_output=True)


def start_nbgrader(*args: str, course: Path) -> subprocess.Popen:
    """Start ``nbgrader *args`` in ``course`` without waiting for it."""
    return subprocess.Popen(**_nbgrader_call(args, course), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def write_course(src: Path, course: Path, chapters: list[str] | None = None) -> list[str]:
    """Write the course to ``course`` and let nbgrader release every chapter; return them."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(course_id=COURSE_ID))
    paths = sorted(p for p in src.glob("*.ipynb") if chapters is None or p.stem in chapters)
    if not paths:
        raise AuthoringError(f"no notebooks in {src}")
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        try:
            source = to_source(nb)
        except AuthoringError as err:
            raise AuthoringError(f"{path}: {err}") from None
        nbformat.validate(source)
        folder = course / "source" / path.stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(source, folder / path.name)
    names = [path.stem for path in paths]
    generate_assignments(course, names)
    return names


def generate_assignments(course: Path, names: list[str]) -> None:
    """What ``nbgrader generate_assignment NAME --force`` does, for every name, in this
    process: nbgrader is imported once rather than once per chapter."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course.resolve())
    config.CourseDirectory.course_id = COURSE_ID
    config.Application.log_level = "WARN"
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([scripts, path])  # nbgrader calls alembic by name
    try:
        for name in names:
            coursedir = CourseDirectory(config=config)
            coursedir.assignment_id = name
            app = GenerateAssignment(coursedir=coursedir, config=config)
            app.force = True
            app.start()
    finally:
        os.environ["PATH"] = path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnn_helpers.assignments",
        description="Write the nbgrader course: source notebooks with grading metadata, "
                    "and the release nbgrader generates from them.")
    parser.add_argument("src", type=Path, help="the folder of chapter notebooks")
    parser.add_argument("course", type=Path, help="the course folder to write")
    args = parser.parse_args(argv)
    try:
        names = write_course(args.src, args.course)
    except AuthoringError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name in names:
        source = nbformat.read(args.course / "source" / name / f"{name}.ipynb", as_version=4)
        cells = grade_cells(source)
        print(f"{name}: {len(cells)} graded cells, {sum(p for _, p in cells):g} points")
    print(f"{len(names)} assignments released in {args.course / 'release'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
