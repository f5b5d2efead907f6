"""The book's layout and settings: what `make book` and the readers rely on."""

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    "01_motivation",
    "02_conv1d",
    "03_conv2d",
    "04_channels_tensors",
    "05_pooling",
    "06_backprop",
    "07_architectures",
    "08_transfer_learning",
    "09_inside_and_attacks",
]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def _toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def _notebook(name):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def test_toc_lists_every_chapter_in_order():
    chapters = [f for f in _toc_files(TOC) if f.startswith("notebooks/")]
    assert chapters == [f"notebooks/{name}" for name in CHAPTERS]
    for page in ["book/how_to_use", "book/notation", "book/instructors", "book/references"]:
        assert page in list(_toc_files(TOC)), f"{page} missing from _toc.yml"
    assert TOC["root"] == "book/intro"


def test_build_is_strict_and_cached():
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["raise_on_error"] is True
    makefile = (ROOT / "Makefile").read_text()
    assert "jupyter-book build . -W -n --keep-going" in makefile


@pytest.mark.parametrize("name", CHAPTERS)
def test_notebook_is_committed_without_outputs(name):
    nb = _notebook(name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: a code cell has stored outputs"
            assert cell.execution_count is None, f"{name}: a code cell has an execution count"


@pytest.mark.parametrize("name", CHAPTERS)
def test_notebook_opens_with_title_and_objectives(name):
    first = _notebook(name).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), f"{name}: the first cell must be the title"
    assert "learning objectives" in first.source.lower()


@pytest.mark.parametrize("name", CHAPTERS)
def test_first_code_cell_installs_the_package_from_the_configured_repository(name):
    code = next(c for c in _notebook(name).cells if c.cell_type == "code")
    url = CONFIG["repository"]["url"]
    assert "import cnn_helpers" in code.source
    assert f"git+{url}" in code.source, (
        f"{name}: the Colab install cell must use repository.url from _config.yml ({url})"
    )
    assert "remove-cell" in code.metadata.get("tags", [])


def _requirement_lines(path):
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("-e", "-r", "-c")):
            yield line


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-dev.txt", "constraints.txt"])
def test_every_dependency_is_pinned_exactly(path):
    for line in _requirement_lines(path):
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line), (
            f"{path}: '{line}' is not pinned with =="
        )


def test_requirements_agree_with_constraints():
    pinned = dict(line.lower().replace("_", "-").split("==") for line in
                  _requirement_lines("constraints.txt"))
    for path in ["requirements.txt", "requirements-dev.txt"]:
        for line in _requirement_lines(path):
            name, version = line.lower().replace("_", "-").split("==")
            assert pinned.get(name) == version, f"{path} pins {line}, constraints.txt differs"


def test_javascript_is_pinned_with_a_lock_file():
    package = json.loads((ROOT / "package.json").read_text())
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly"
    assert package["dependencies"]["@jupyter-widgets/html-manager"] == "1.0.15"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == package["dependencies"]


def test_binder_runtime_is_python_311():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"


@pytest.mark.parametrize("name", CHAPTERS)
def test_cell_ids_are_unique(name):
    # Grading, the PyTorch tests and the student generator find cells by id; nbformat
    # silently renames a duplicate, so a clash would point them at the wrong cell.
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    ids = [cell.get("id") for cell in nb["cells"]]
    assert all(ids), f"{name}: a cell has no id"
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"{name}: cell ids used twice: {repeated}"
