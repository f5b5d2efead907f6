"""Tests for the exercise scheme: student notebooks, solutions, checks and the built book.

Parametrised over every chapter notebook and over an example notebook in
tests/fixtures that uses every part of the scheme, so the tests mean
something while the chapters are still skeletons.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_cache import get_cache

from cnn_helpers import checks
from cnn_helpers.student import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    STUB,
    AuthoringError,
    directives,
    main,
    make_student,
    strip_code,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "exercises_example.ipynb"
NOTEBOOKS = [*sorted((ROOT / "notebooks").glob("*.ipynb")), FIXTURE]
EXT_DIR = ROOT / "book" / "_ext"
SITE = ROOT / "_build" / "html"
CHECK_CALL = re.compile(r"^\s*check_\w+\(", re.MULTILINE)
MARKERS = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")

nb_params = pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(ROOT).as_posix()) for p in NOTEBOOKS])


def read(path: Path):
    return nbformat.read(path, as_version=4)


def solution_regions(nb) -> list[list[str]]:
    """The lines of every solution region of a source notebook."""
    regions = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        current = None
        for line in cell.source.splitlines():
            if line.strip() == BEGIN_SOLUTION:
                current = []
            elif line.strip() == END_SOLUTION:
                regions.append(current)
                current = None
            elif current is not None:
                current.append(line)
    return regions


def has_exercises(nb) -> bool:
    return bool(solution_regions(nb))


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(CHECK_CALL.search(cell.source))


def execute(nb, path: Path, allow_errors: bool):
    """Run a notebook top to bottom in a fresh kernel, from its own folder."""
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


# ---------------------------------------------------------------------------
# The generator on its own
# ---------------------------------------------------------------------------


def test_stub_keeps_the_indentation_of_the_region():
    source = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    # nbgrader's ClearSolutions keeps the line break that ended the region.
    assert strip_code(source) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")


def test_hidden_tests_are_removed_and_the_rest_kept():
    source = "check(f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 1\n### END HIDDEN TESTS\nprint('ok')"
    assert strip_code(source) == "check(f)\nprint('ok')"


@pytest.mark.parametrize("source", [
    "### BEGIN SOLUTION\nx = 1",
    "x = 1\n### END SOLUTION",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    "### BEGIN SOLUTION\nx = 1\n### END HIDDEN TESTS",
    "## BEGIN SOLUTION\nx = 1\n## END SOLUTION",
    "# begin solution\nx = 1",
], ids=["unclosed", "no-begin", "nested", "mismatched", "misspelt", "lowercase"])
def test_malformed_markers_are_errors(source):
    with pytest.raises(AuthoringError):
        strip_code(source)


def markdown(text, **meta):
    return nbformat.v4.new_markdown_cell(text, metadata=meta)


def code(text, **meta):
    return nbformat.v4.new_code_cell(text, metadata=meta)


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_gated_solution_keeps_only_the_stubbed_code():
    nb = notebook(
        markdown("```{exercise} E\n:label: ex\nDo it.\n```"),
        markdown("```{solution-start} ex\n:class: dropdown\n```"),
        code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        markdown("Why it works."),
        code("print(f())"),
        markdown("```{solution-end}\n```"),
        code("check_value(f, 1)"),
        code("assert f() == 1", tags=["remove-cell", "hidden-check"]),
        code("import numpy", tags=["remove-cell"]),
    )
    student = make_student(nb)
    sources = [cell.source for cell in student.cells]
    assert sources == [
        "```{exercise} E\n:label: ex\nDo it.\n```",
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        "check_value(f, 1)",
        "import numpy",
    ]
    assert len(nb.cells) == 9, "the source notebook must be left as it was"


def test_plain_solution_directive_is_dropped():
    nb = notebook(markdown(":::{solution} ex\nThe answer is 42.\n:::"), markdown("Text."))
    assert [c.source for c in make_student(nb).cells] == ["Text."]


@pytest.mark.parametrize("cells", [
    [markdown("```{exercise} E\n:label: ex\n```\n```{solution-start} ex\n```")],
    [markdown("```{solution-start} ex\n```")],
    [markdown("```{solution-end}\n```")],
    [markdown("```{solution-start} a\n```"), markdown("```{solution-start} b\n```")],
], ids=["mixed-cell", "unclosed", "end-without-start", "nested"])
def test_malformed_gated_solutions_are_errors(cells):
    with pytest.raises(AuthoringError):
        make_student(notebook(*cells))


def test_outputs_and_counts_are_cleared():
    cell = code("1 + 1")
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)]
    student = make_student(notebook(cell))
    assert student.cells[0].outputs == []
    assert student.cells[0].execution_count is None


def test_command_line_writes_one_notebook_per_chapter(tmp_path, capsys):
    src = tmp_path / "src"
    (src / "part").mkdir(parents=True)
    shutil.copy(FIXTURE, src / "a.ipynb")
    shutil.copy(FIXTURE, src / "part" / "b.ipynb")
    assert main([str(src), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "a.ipynb").exists()
    assert (tmp_path / "out" / "part" / "b.ipynb").exists()
    assert "3 exercise stubs" in capsys.readouterr().out


def test_command_line_reports_authoring_errors(tmp_path, capsys):
    nbformat.write(notebook(code("### BEGIN SOLUTION\nx = 1")), tmp_path / "bad.ipynb")
    assert main([str(tmp_path / "bad.ipynb"), str(tmp_path / "out")]) == 1
    assert "bad.ipynb: cell 0" in capsys.readouterr().err


def test_module_runs_as_a_script(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "cnn_helpers.student", str(FIXTURE), str(tmp_path)],
        capture_output=True, text=True, check=True)
    assert "1 student notebook(s) written" in done.stdout


# ---------------------------------------------------------------------------
# Every notebook: structure, student version, solutions
# ---------------------------------------------------------------------------


@nb_params
def test_exercises_follow_the_scheme(path):
    """Each solution region sits in a function inside a gated dropdown, with a visible check next."""
    nb = read(path)
    cells = nb.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or BEGIN_SOLUTION not in cell.source:
            continue
        begin = next(line for line in cell.source.splitlines() if line.strip() == BEGIN_SOLUTION)
        assert begin.startswith((" ", "\t")), (
            f"cell {index}: put the solution inside a function body, so the student "
            "notebook still runs")
        before = [c for c in cells[:index] if c.cell_type == "markdown"]
        assert before and "solution-start" in directives(before[-1].source), (
            f"cell {index}: a {{solution-start}} markdown cell must come just before")
        assert ":class: dropdown" in before[-1].source, f"cell {index}: the solution needs :class: dropdown"
        following = [c for c in cells[index + 1:] if c.cell_type == "code"]
        assert following and is_check_cell(following[0]), (
            f"cell {index}: the next code cell must call a check_ function")
        assert "remove-cell" not in following[0].metadata.get("tags", []), "the check cell must be visible"
    labels = re.findall(r"^:label:\s*(\S+)", "\n".join(
        c.source for c in cells if c.cell_type == "markdown" and "exercise" in directives(c.source)),
        re.MULTILINE)
    exercises = sum(directives(c.source).count("exercise") for c in cells if c.cell_type == "markdown")
    assert len(labels) == exercises, "every {exercise} needs a :label:"


@nb_params
def test_no_solution_survives_in_the_student_notebook(path):
    source = read(path)
    student = make_student(source)
    nbformat.validate(student)
    text = "\n".join(cell.source for cell in student.cells)
    assert not MARKERS.search(text)
    for cell in student.cells:
        assert not {"solution", "solution-start", "solution-end"} & set(directives(cell.source))
        assert "hidden-check" not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    regions = solution_regions(source)
    assert text.count(STUB[1]) == len(regions)
    for region in regions:
        telling = [line.strip() for line in region if len(line.strip()) > 12]
        for line in telling:
            assert line not in text, f"solution line leaked: {line!r}"


@nb_params
def test_student_notebook_fails_only_at_the_stubs(path, monkeypatch):
    source = read(path)
    if not has_exercises(source):
        pytest.skip("no exercises in this notebook yet (nbval runs it in `make test`)")
    # As a student runs it: `make test` grades, but a student's kernel only gives feedback.
    monkeypatch.delenv(checks.GRADING_ENV, raising=False)
    student = execute(make_student(source), path, allow_errors=True)
    for index, cell in enumerate(student.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for error in errors:
            assert error.ename == "NotImplementedError" and STUB[1] in cell.source, (
                f"cell {index} failed with {error.ename}: {error.evalue} -- later cells must "
                "not depend on exercise results")
        if is_check_cell(cell):
            out = stdout(cell)
            assert "not yet implemented" in out, f"cell {index}: {out!r}"
            assert "Traceback" not in out and not errors


BUILD_CACHE = ROOT / "_build" / ".jupyter_cache"
REQUIRE_SITE = os.environ.get("CNN_BOOK_REQUIRE_SITE") == "1"


def executed_source(path: Path, monkeypatch):
    """The source notebook with every solution run.

    A chapter was already executed by the book build (`make test` builds first), so its
    outputs are taken from the build's execution cache instead of running it a second time;
    the cache only matches a notebook whose code is unchanged since. The fixture, which is
    not in the book, is run here in grading mode, where a failing check raises.
    """
    if path != FIXTURE:
        reason = (f"{path.name} has no up-to-date run in {BUILD_CACHE}: "
                  "build the book first (`make book`); `make test` does")
        if BUILD_CACHE.is_dir():  # get_cache would create an empty cache otherwise
            try:
                return get_cache(str(BUILD_CACHE)).merge_match_into_notebook(read(path))[1]
            except KeyError:
                pass  # no run of this version of the notebook: the reason above holds
        if REQUIRE_SITE:
            pytest.fail(reason)
        pytest.skip(reason)
    monkeypatch.setenv(checks.GRADING_ENV, "1")
    return execute(read(path), path, allow_errors=False)


@nb_params
def test_every_solution_passes_its_checks(path, monkeypatch):
    if not has_exercises(read(path)):
        pytest.skip("no exercises in this notebook yet (nbval runs it in `make test`)")
    done = executed_source(path, monkeypatch)
    checked = 0
    for index, cell in enumerate(done.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"cell {index} raised {errors[0].ename}"
        if is_check_cell(cell):
            out = stdout(cell)
            assert out.startswith("✅") and "❌" not in out and "📝" not in out, f"cell {index}: {out!r}"
            checked += 1
    assert checked >= 1


# ---------------------------------------------------------------------------
# The book: markers hidden, solutions in collapsed dropdowns
# ---------------------------------------------------------------------------


class _SolutionText(html.parser.HTMLParser):
    """Collects the text inside and outside `div.solution.dropdown` blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.inside: list[str] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            classes = (dict(attrs).get("class") or "").split()
            self.stack.append("solution" in classes and "dropdown" in classes)

    def handle_endtag(self, tag):
        if tag == "div" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        (self.inside if any(self.stack) else self.outside).append(data)


def assert_page_hides_solutions(page: Path, source_nb) -> None:
    text = page.read_text(encoding="utf-8")
    assert not MARKERS.search(text), f"{page.name}: marker comments are visible"
    parser = _SolutionText()
    parser.feed(text)
    inside, outside = "".join(parser.inside), "".join(parser.outside)
    for region in solution_regions(source_nb):
        body = max((line.strip() for line in region), key=len)
        assert body in inside, f"{page.name}: solution line not in a dropdown: {body!r}"
        assert body not in outside, f"{page.name}: solution line shown outside a dropdown: {body!r}"
    if solution_regions(source_nb):
        assert "togglebutton" in text, "sphinx-togglebutton collapses the dropdowns; it is missing"


def test_fixture_book_hides_markers_and_collapses_solutions(tmp_path):
    shutil.copy(FIXTURE, tmp_path / FIXTURE.name)
    (tmp_path / "_toc.yml").write_text(f"format: jb-book\nroot: {FIXTURE.stem}\n")
    (tmp_path / "_config.yml").write_text(
        "title: fixture\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: 'off'\n"
        "sphinx:\n  extra_extensions:\n    - sphinx_exercise\n"
        f"  local_extensions:\n    hide_markers: {EXT_DIR}\n")
    subprocess.run(
        [str(Path(sys.executable).with_name("jupyter-book")), "build", str(tmp_path), "-W", "-n", "-q"],
        check=True, capture_output=True, text=True)
    assert_page_hides_solutions(tmp_path / "_build" / "html" / f"{FIXTURE.stem}.html", read(FIXTURE))


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in NOTEBOOKS if p != FIXTURE])
def test_built_book_hides_markers_and_collapses_solutions(path):
    page = SITE / "notebooks" / f"{path.stem}.html"
    if not SITE.is_dir():
        pytest.skip(f"{SITE} is absent: build the book first (`make book`); `make test` does")
    assert page.exists(), f"{page} was not built"
    assert_page_hides_solutions(page, read(path))
