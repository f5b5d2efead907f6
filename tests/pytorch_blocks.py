"""Find, run and read the PyTorch and Keras code the book shows but does not run.

The book shows such code in markdown cells tagged ``pytorch`` or ``keras``, each holding exactly
one fenced ``python`` block, so that neither the build nor a reader's kernel ever imports torch.
The tests run every block in a fresh interpreter and compare what it prints with what the
chapter computes with cnn_helpers, computed here by running the chapter's own code cells.
"""

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAGS = ("pytorch", "keras")
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
# A fenced block that uses one of these libraries must sit in a tagged cell.
DEEP_LEARNING_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:torch|torchvision|keras|tensorflow)\b", re.M
)

# torchvision's PyPI wheel carries compiled operators built against the CUDA build of torch;
# beside the CPU build they cannot load, and `import torchvision` then fails while registering
# a fake kernel for the two detection operators below (it guards all the others). Declaring
# their schemas first lets the pure-Python models and transforms import and run; the detection
# operators themselves stay unavailable, and no block of the book uses them.
TORCHVISION_ON_CPU_TORCH = """\
import torch
for _op in ("nms", "qnms"):
    torch.library.define(
        f"torchvision::{_op}",
        "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    )
"""


@dataclass(frozen=True)
class Block:
    notebook: str
    cell_id: str
    tag: str
    code: str

    def code_lines(self):
        """Lines that are neither blank nor only a comment."""
        return [
            line
            for line in self.code.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]


def notebook_cells(name):
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())["cells"]


def notebook_names():
    return sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def cell_tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def shown_blocks():
    """Every tagged block of every notebook, in book order."""
    blocks = []
    for name in notebook_names():
        for cell in notebook_cells(name):
            tags = cell_tags(cell) & set(TAGS)
            if not tags:
                continue
            (tag,) = tags
            fences = FENCE.findall("".join(cell["source"]))
            if len(fences) != 1:
                raise ValueError(
                    f"{name} cell {cell['id']}: a {tag} cell holds one fenced python block, "
                    f"not {len(fences)}"
                )
            blocks.append(Block(name, cell["id"], tag, fences[0]))
    return blocks


def block(cell_id):
    (found,) = [b for b in shown_blocks() if b.cell_id == cell_id]
    return found


def run(code, tmp_path, timeout=900):
    """Run ``code`` in a fresh interpreter, in an empty folder; return what it printed."""
    env = dict(
        os.environ,
        KERAS_BACKEND="torch",
        KERAS_HOME=str(tmp_path / "keras"),
        TORCH_HOME=str(tmp_path / "torch"),
        MPLBACKEND="Agg",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    script = tmp_path / "block.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"the block failed:\n{code}\n--- stderr ---\n{done.stderr}")
    return done.stdout


def printed(stdout):
    """``label: numbers`` lines as ``{label: [array, ...]}``, one array per line with that label."""
    values = {}
    for line in stdout.splitlines():
        label, colon, rest = line.partition(":")
        if colon:
            numbers = [float(n) for n in NUMBER.findall(rest)]
            values.setdefault(label.strip(), []).append(np.array(numbers))
    return values


def one(values, label):
    """The numbers of the one line printed with ``label``."""
    if label not in values:
        raise AssertionError(f"no line {label!r} in the output; labels: {sorted(values)}")
    (numbers,) = values[label]
    return numbers


def chapter(name, *cell_ids):
    """Run the given code cells of a chapter, in order, and return their variables.

    This is how the chapter computes its numbers, so a change there reaches the test.
    """
    import matplotlib

    matplotlib.use("Agg")
    cells = {cell.get("id"): cell for cell in notebook_cells(name)}
    namespace = {"__name__": f"chapter_{name}"}
    for cell_id in cell_ids:
        cell = cells[cell_id]
        if cell["cell_type"] != "code":
            raise ValueError(f"{name} cell {cell_id} is not a code cell")
        exec(compile("".join(cell["source"]), f"{name}:{cell_id}", "exec"), namespace)
    return namespace


def chapter_constant(name, cell_id, variable):
    """The value of a literal assignment to ``variable`` in a chapter's code cell.

    Both ``eps = 0.1`` and ``N, C = 2, 3`` count.
    """
    cells = {cell.get("id"): cell for cell in notebook_cells(name)}
    tree = ast.parse("".join(cells[cell_id]["source"]))
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        (target,) = node.targets
        if isinstance(target, ast.Name) and target.id == variable:
            return ast.literal_eval(node.value)
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            for t, v in zip(target.elts, node.value.elts, strict=True):
                if isinstance(t, ast.Name) and t.id == variable:
                    return ast.literal_eval(v)
    raise ValueError(f"{name} cell {cell_id} assigns no literal {variable}")
