"""The nbgrader course, end to end: nbgrader releases, autogrades and exports real grades.

Two chapters go through nbgrader's own ``generate_assignment``, ``autograde``
and ``export`` with simulated submissions: the untouched release, the full
solutions, exactly one answer wrong, and check cells edited by the student.
Every other chapter's full solutions are autograded too, so nbgrader grades
every exercise of the book.
The other tests look at the source notebooks of all nine chapters.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import pytest

from cnn_helpers.assignments import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    directives,
    grade_cells,
    release,
    run_nbgrader,
    start_nbgrader,
    to_source,
    write_course,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COURSE_BUILD = ROOT / "_build" / "nbgrader"

# One wrong answer per graded chapter: the answer cell's grade id, a wrong
# version of its code, and the grade cells that must then fail. The wrong
# my_conv1d passes every visible case and fails only the hidden test, which
# shows that nbgrader runs the hidden tests; the wrong my_max_pool2d makes a
# mistake the visible check names.
WRONG = {
    "02_conv1d": ("ex-conv1d-loop-answer", '''\
def my_conv1d(x, w, b=0.0, stride=1, padding=0):
    x = np.asarray(x, dtype=float)[:12]  # only the first 12 samples
    return ch.conv1d(x, w, b, stride, padding)
''', {"ex-conv1d-loop"}),
    "05_pooling": ("ex-pooling-implement-answer", '''\
def my_max_pool2d(x, kernel_size, stride=None, padding=0):
    # zero padding, which can beat negative values
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    return ch.max_pool2d(x, kernel_size, stride)
''', {"ex-pooling-implement"}),
}
HIDDEN_ONLY = "02_conv1d"  # its wrong answer fails only the hidden test
GRADED = sorted(WRONG)
EDITED = "05_pooling"  # its notebook with one wrong answer also edits every check cell


def read(path: Path):
    return nbformat.read(path, as_version=4)


def cells_by_grade_id(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


# ---------------------------------------------------------------------------
# Source notebooks: nbgrader's metadata, and nothing of the written solutions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_source_marks_answers_and_checks(path):
    book = read(path)
    source = to_source(book)
    labels = re.findall(r"^:label:\s*(ex-\S+)", "\n".join(
        c.source for c in book.cells if c.cell_type == "markdown"), re.MULTILINE)
    answers = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(answers) == len(labels) >= 1
    for cell in source.cells:
        if BEGIN_SOLUTION in cell.source:
            assert cell in answers and not cell.metadata["nbgrader"]["locked"]
        if cell.cell_type == "code" and re.search(r"^check_\w+\(", cell.source, re.MULTILINE):
            assert cell in graded, f"{cell.id}: a check cell without grading metadata"
        if BEGIN_HIDDEN in cell.source:
            assert cell in graded
        assert not {"solution-start", "solution-end", "solution"} & set(directives(cell.source))
    for cell in graded:
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] and meta["points"] > 0 and not meta["solution"]
        assert any(meta["grade_id"] == label or meta["grade_id"].startswith(label + "-")
                   for label in labels), meta["grade_id"]
    # Every exercise is graded, under its own label.
    for label in labels:
        assert any(c.metadata["nbgrader"]["grade_id"].startswith(label) for c in graded), label
    # The cells are the book's cells, with their ids, minus the written solutions.
    book_ids = [c.id for c in book.cells]
    kept = [c.id for c in source.cells]
    assert kept == [i for i in book_ids if i in set(kept)]
    dropped = [c for c in book.cells if c.id not in set(kept)]
    assert all(c.cell_type == "markdown" or BEGIN_SOLUTION not in c.source for c in dropped)
    assert sum(c.source.count("{solution-start}") for c in dropped) == len(labels)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_release_by_nbgrader_has_no_solution(path):
    book = read(path)
    student = release(to_source(book))
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False


def test_make_assignments_wrote_every_chapter():
    """`make test` runs `make assignments` first; on its own this test is skipped."""
    if not (COURSE_BUILD / "nbgrader_config.py").exists():
        pytest.skip(f"{COURSE_BUILD} is absent: run `make assignments` (`make test` does)")
    for path in CHAPTERS:
        assert (COURSE_BUILD / "source" / path.stem / path.name).exists()
        released = COURSE_BUILD / "release" / path.stem / path.name
        assert released.exists(), f"{released} was not generated"
        assert grade_cells(read(COURSE_BUILD / "source" / path.stem / path.name))


# ---------------------------------------------------------------------------
# Grading, end to end
# ---------------------------------------------------------------------------


def submit(course: Path, student: str, chapter: str, nb) -> None:
    folder = course / "submitted" / student / chapter
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{chapter}.ipynb")


def solved(released, source):
    """The release with every answer cell filled in from the source."""
    nb = nbformat.from_dict(released)
    answers = cells_by_grade_id(source)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]].source
    return nb


def with_cells(nb, changes: dict):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in changes:
            cell.source = changes[grade_id]
    return nb


def autograde_and_export(courses: dict) -> dict:
    """Autograde every chapter's course side by side; return each one's exported rows."""
    running = [start_nbgrader("autograde", chapter, "--force", course=course)
               for chapter, course in courses.items()]
    for process in running:
        _, err = process.communicate()
        assert process.returncode == 0, err
    grades = {}
    for chapter, course in courses.items():
        run_nbgrader("export", course=course)
        with open(course / "grades.csv", newline="") as f:
            grades[chapter] = list(csv.DictReader(f))
    return grades


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """Two chapters, three submissions each, autograded and exported by nbgrader.

    Each chapter is a course of its own, so that the two autogrades run side by
    side. The notebook with one wrong answer of 05_pooling also has every check
    cell replaced by ``pass``: nbgrader must put the checks back.
    """
    courses, expected = {}, {}
    for chapter in GRADED:
        course = tmp_path_factory.mktemp(chapter)
        write_course(ROOT / "notebooks", course, [chapter])
        source = read(course / "source" / chapter / f"{chapter}.ipynb")
        released = read(course / "release" / chapter / f"{chapter}.ipynb")
        points = dict(grade_cells(source))
        total = sum(points.values())
        answer_id, wrong_code, failing = WRONG[chapter]
        full = solved(released, source)
        one_wrong = with_cells(full, {answer_id: wrong_code})
        if chapter == EDITED:
            one_wrong = with_cells(one_wrong, {grade_id: "pass" for grade_id in points})
        lost = sum(points[g] for g in failing)
        subs = {"untouched": (released, 0), "full": (full, total),
                "one-wrong": (one_wrong, total - lost)}
        for student, (nb, score) in subs.items():
            submit(course, student, chapter, nb)
            expected[(student, chapter)] = (score, total)
        courses[chapter] = course
    grades = autograde_and_export(courses)
    rows = [row for chapter_rows in grades.values() for row in chapter_rows]
    print("".join(f"\n{r['assignment']},{r['student_id']},{r['score']},{r['max_score']}"
                  for r in rows))
    return courses, rows, expected


def test_export_holds_every_submission(graded_course):
    _, rows, expected = graded_course
    assert {(r["student_id"], r["assignment"]) for r in rows} == set(expected)


@pytest.mark.parametrize("chapter", GRADED)
@pytest.mark.parametrize("student", ["untouched", "full", "one-wrong"])
def test_nbgrader_scores(graded_course, student, chapter):
    _, rows, expected = graded_course
    row = next(r for r in rows if r["student_id"] == student and r["assignment"] == chapter)
    score, total = expected[(student, chapter)]
    assert float(row["max_score"]) == total > 0
    assert float(row["score"]) == score, f"{student} on {chapter}: {row}"


@pytest.mark.parametrize("chapter", GRADED)
def test_autograded_feedback_names_the_mistake(graded_course, chapter):
    """In the autograded notebook only the wrong answer's check fails, and says why."""
    courses, _, _ = graded_course
    nb = read(courses[chapter] / "autograded" / "one-wrong" / chapter / f"{chapter}.ipynb")
    failing = WRONG[chapter][2]
    for grade_id, cell in cells_by_grade_id(nb).items():
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if grade_id in failing:
            assert errors and errors[0].ename == "AssertionError", grade_id
            assert errors[0].evalue.startswith("❌")
            printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            if chapter == HIDDEN_ONLY:  # the visible check passed, the hidden test did not
                assert printed.startswith("✅") and "test case 1 of 1" in errors[0].evalue
            else:
                assert "It looks like" in errors[0].evalue
        elif cell.metadata["nbgrader"].get("grade"):
            assert not errors, f"{grade_id}: {errors}"


@pytest.fixture(scope="module")
def fully_solved():
    """Every other chapter's full solutions, autograded and exported by nbgrader.

    The two chapters above go through every kind of submission; here each of
    the rest is graded once, so that nbgrader has graded every exercise of the
    book. Returns (expected total, exported row) per chapter.
    """
    import tempfile

    others = [p.stem for p in CHAPTERS if p.stem not in GRADED]
    with tempfile.TemporaryDirectory() as tmp:
        courses, totals = {}, {}
        for chapter in others:
            course = Path(tmp) / chapter
            write_course(ROOT / "notebooks", course, [chapter])
            source = read(course / "source" / chapter / f"{chapter}.ipynb")
            released = read(course / "release" / chapter / f"{chapter}.ipynb")
            totals[chapter] = sum(p for _, p in grade_cells(source))
            submit(course, "full", chapter, solved(released, source))
            courses[chapter] = course
        grades = autograde_and_export(courses)
    return {chapter: (totals[chapter], grades[chapter][0]) for chapter in others}


@pytest.mark.parametrize("chapter", [p.stem for p in CHAPTERS if p.stem not in GRADED])
def test_nbgrader_gives_full_marks_to_every_solution(fully_solved, chapter):
    total, row = fully_solved[chapter]
    assert float(row["max_score"]) == total > 0
    assert float(row["score"]) == total, f"{chapter}: {row}"


def test_instructors_page_lists_the_true_points():
    """The table of exercises and points on the instructors' page matches the notebooks."""
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    table = {m[1]: (int(m[2]), int(m[3]), float(m[4])) for m in re.finditer(
        r"^\| (\d\d_\w+) \| (\d+) \| (\d+) \| (\d+) \|$", page, re.MULTILINE)}
    actual = {}
    for path in CHAPTERS:
        book = read(path)
        exercises = sum(directives(c.source).count("exercise") for c in book.cells
                        if c.cell_type == "markdown")
        cells = grade_cells(to_source(book))
        actual[path.stem] = (exercises, len(cells), float(sum(p for _, p in cells)))
    assert table == actual


def test_instructors_page_names_the_jupyterhub_setting_and_its_placeholder():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    hub = config["launch_buttons"]["jupyterhub_url"]
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    assert "`launch_buttons.jupyterhub_url`" in page
    assert f"`{hub}`, is a placeholder" in page


def test_source_of_a_small_notebook():
    """Points from the cell's metadata, one grade id per check cell, hidden-check cells folded in."""
    new = nbformat.v4
    nb = new.new_notebook(cells=[
        new.new_markdown_cell("```{exercise} Two answers\n:label: ex-two\nDo it.\n```"),
        new.new_markdown_cell("```{solution-start} ex-two\n:class: dropdown\n```"),
        new.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n\n"
                          "def g():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
        new.new_markdown_cell("Why."),
        new.new_markdown_cell("```{solution-end}\n```"),
        new.new_code_cell("check_value(f, 1)", metadata={"points": 3}),
        new.new_code_cell("check_value(g, 2)"),
        new.new_code_cell("assert g() == 2", metadata={"tags": ["remove-cell", "hidden-check"]}),
        new.new_markdown_cell("Text."),
    ])
    source = to_source(nb)
    assert [c.source for c in source.cells if c.cell_type == "markdown"] == [
        nb.cells[0].source, "Text."]
    assert grade_cells(source) == [("ex-two-f", 3), ("ex-two-g", 1)]
    assert source.cells[-2].source == (
        "check_value(g, 2)\n### BEGIN HIDDEN TESTS\nassert g() == 2\n### END HIDDEN TESTS")
    assert [c.source for c in release(source).cells][-2] == "check_value(g, 2)"


@pytest.mark.parametrize("cells", [
    [("md", "```{exercise} E\n:label: ex\n```"), ("md", "```{solution-start} ex\n```"),
     ("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
     ("md", "```{solution-end}\n```"), ("code", "print(f())")],
    [("code", "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS")],
    [("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")],
], ids=["no-check-after-the-solution", "hidden-tests-outside-a-check", "no-exercise-label"])
def test_source_refuses_a_broken_layout(cells):
    from cnn_helpers.assignments import AuthoringError

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(s) if kind == "md" else nbformat.v4.new_code_cell(s)
        for kind, s in cells])
    with pytest.raises(AuthoringError):
        to_source(nb)
