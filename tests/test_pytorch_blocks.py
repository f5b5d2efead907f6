"""Every PyTorch and Keras block the book shows runs, and prints what the chapter computes.

Each block runs in a fresh interpreter (PyTorch on the CPU, Keras 3 on the torch backend). Its
printed numbers are compared with the numbers the chapter computes with cnn_helpers, obtained
by running the chapter's own code cells, so that a change of a chapter's result fails here
until its PyTorch block agrees again. The full-scale sketches of chapters 8 and 9 need
pretrained ImageNet weights or a trained network; they run with random weights instead, and
their shapes and counts are checked, as the names of their tests say.
"""

import json

import numpy as np
import pytest
from pytorch_blocks import (
    DEEP_LEARNING_IMPORT,
    FENCE,
    NOTEBOOKS,
    TAGS,
    TORCHVISION_ON_CPU_TORCH,
    block,
    cell_tags,
    chapter,
    chapter_constant,
    notebook_cells,
    notebook_names,
    one,
    printed,
    run,
    shown_blocks,
)

from cnn_helpers import architectures as arch
from cnn_helpers import nn as ch_nn
from cnn_helpers import optim

# Each block the book shows, and the test that runs it.
CHECKED = {
    "c02-torch": "test_conv1d_block_gives_the_worked_example",
    "c03-torch": "test_conv2d_block_gives_the_guide_output_and_the_stride_formula",
    "c04-torch": "test_layer_block_counts_parameters_and_macs_as_conv_cost",
    "c05-torch": "test_pooling_block_gives_the_worked_example_and_shapes",
    "c06-torch": "test_autograd_block_equals_conv2d_backward",
    "c07-torch": "test_basic_block_has_the_shape_and_parameters_of_its_resnet18_row",
    "c08-torch": "test_freezing_block_counts_as_cnn_helpers_freeze_and_param_groups",
    "c08-torch-resnet18": "test_resnet18_sketch_with_random_weights_shapes_and_counts_checked",
    "c08-keras-resnet50": "test_keras_resnet50_sketch_with_random_weights_shapes_and_counts_checked",
    "c09-torch": "test_fgsm_block_equals_inside_fgsm",
    "c09-torch-sketch": "test_attack_sketch_with_untrained_digits_cnn_equals_inside",
}
SKETCHES = ("c08-torch-resnet18", "c08-keras-resnet50", "c09-torch-sketch")
SHORT = [cell_id for cell_id in CHECKED if cell_id not in SKETCHES]


def close(actual, expected, atol=1e-9):
    np.testing.assert_allclose(actual, np.ravel(np.asarray(expected, dtype=float)), atol=atol)


def both(values, what, expected, atol=1e-9):
    """The torch line and the cnn_helpers line of ``what`` both show ``expected``."""
    for library in ("torch", "cnn_helpers"):
        close(one(values, f"{what}, {library}"), expected, atol)


# --------------------------------------------------------------------------
# The blocks are shown, never run by the book, and every one is checked
# --------------------------------------------------------------------------

def test_every_shown_block_is_checked_by_a_test():
    shown = {b.cell_id for b in shown_blocks()}
    assert shown == set(CHECKED)
    names = {name for name, value in globals().items() if callable(value)}
    assert set(CHECKED.values()) <= names


def test_every_chapter_from_2_to_9_has_a_short_block():
    chapters = {b.notebook[:2] for b in shown_blocks() if b.cell_id in SHORT}
    assert chapters == {f"0{n}" for n in range(2, 10)}


@pytest.mark.parametrize("cell_id", SHORT)
def test_short_block_is_20_lines_or_fewer(cell_id):
    lines = block(cell_id).code_lines()
    assert len(lines) <= 20, f"{cell_id}: {len(lines)} lines of code"


@pytest.mark.parametrize("name", notebook_names())
def test_no_code_cell_imports_a_deep_learning_library(name):
    """The book's build and a reader's kernel never need torch or keras."""
    for cell in notebook_cells(name):
        if cell["cell_type"] == "code":
            assert not DEEP_LEARNING_IMPORT.search("".join(cell["source"])), cell["id"]


@pytest.mark.parametrize("name", notebook_names())
def test_deep_learning_code_is_shown_only_in_tagged_cells(name):
    for cell in notebook_cells(name):
        source = "".join(cell["source"])
        tagged = cell_tags(cell) & set(TAGS)
        if cell["cell_type"] == "markdown" and not tagged:
            for code in FENCE.findall(source):
                assert not DEEP_LEARNING_IMPORT.search(code), cell["id"]
        if tagged:
            assert cell["cell_type"] == "markdown", cell["id"]


@pytest.mark.parametrize("name", notebook_names())
def test_student_notebook_keeps_the_blocks_as_markdown(name, tmp_path):
    from cnn_helpers import student

    dest = tmp_path / f"{name}.ipynb"
    student.convert_file(NOTEBOOKS / f"{name}.ipynb", dest)
    cells = json.loads(dest.read_text())["cells"]
    kept = {cell.get("id") for cell in cells if cell_tags(cell) & set(TAGS)}
    assert kept == {b.cell_id for b in shown_blocks() if b.notebook == name}
    for cell in cells:
        if cell["cell_type"] == "code":
            assert not DEEP_LEARNING_IMPORT.search("".join(cell["source"])), cell.get("id")


# --------------------------------------------------------------------------
# Chapters 2 to 7
# --------------------------------------------------------------------------

def test_conv1d_block_gives_the_worked_example(tmp_path):
    values = printed(run(block("c02-torch").code, tmp_path))
    ns = chapter("02_conv1d", "c02-002", "c02-004", "c02-033")
    ch = ns["ch"]
    both(values, "output", ns["y"])
    both(values, "stride 2, padding 1", ch.conv1d(ns["x"], ns["w"], stride=2, padding=1))
    both(values, "parameters", ns["conv_layer"].num_parameters())


def test_conv2d_block_gives_the_guide_output_and_the_stride_formula(tmp_path):
    values = printed(run(block("c03-torch").code, tmp_path))
    ns = chapter("03_conv2d", "c03-003", "c03-023")
    both(values, "output", ns["y_arith"])
    for stride in (2, 3):
        both(values, f"side, stride {stride}", ns["ch"].conv_output_size(7, 3, stride=stride))


def test_layer_block_counts_parameters_and_macs_as_conv_cost(tmp_path):
    values = printed(run(block("c04-torch").code, tmp_path))
    ns = chapter("04_channels_tensors", "c04-003", "c04-049")
    both(values, "parameters", ns["parameters"])
    both(values, "MACs", ns["macs"])


def test_pooling_block_gives_the_worked_example_and_shapes(tmp_path):
    values = printed(run(block("c05-torch").code, tmp_path))
    ns = chapter("05_pooling", "c05-003", "c05-008", "c05-013")
    both(values, "3x3 max, stride 1", ns["stride_1"])
    both(values, "3x3 max, stride 3", ns["stride_3"])
    both(values, "stem shape", ns["resnet_stem"].shape)
    both(values, "parameters", ch_nn.MaxPool2d(3, stride=2, padding=1).num_parameters())


def test_autograd_block_equals_conv2d_backward(tmp_path):
    code = block("c06-torch").code
    # The block takes the layer of the chapter's section on batches, stride and padding.
    n, c_in, c_out, h, w, k, s, p = (
        chapter_constant("06_backprop", "c06-014", name)
        for name in ("N", "C_in", "C_out", "H", "W", "K", "S", "P")
    )
    assert f"torch.randn({n}, {c_in}, {h}, {w}," in code
    assert f"torch.randn({c_out}, {c_in}, {k}, {k}," in code
    assert code.count(f"stride={s}, padding={p}") == 2
    values = printed(run(code, tmp_path))
    for name in ("grad_x", "grad_w", "grad_b"):
        assert one(values, f"{name}, largest difference")[0] < 1e-12


def test_basic_block_has_the_shape_and_parameters_of_its_resnet18_row(tmp_path):
    values = printed(run(block("c07-torch").code, tmp_path))
    blocks = chapter("07_architectures", "c07-003", "c07-044")["blocks"]
    opening = blocks[2]  # the first block of stage 2: 64 -> 128 channels, stride 2
    assert opening.layer.shortcut and opening.shape[0] == 128
    expected = [*opening.shape, opening.params]
    close(one(values, "torch"), expected)
    close(one(values, "cnn_helpers"), expected)


# --------------------------------------------------------------------------
# Chapter 8
# --------------------------------------------------------------------------

def test_freezing_block_counts_as_cnn_helpers_freeze_and_param_groups(tmp_path):
    """The block's small network, counted layer by layer with cnn_helpers.nn."""
    values = printed(run(block("c08-torch").code, tmp_path))
    ours = ch_nn.Sequential(
        ch_nn.Conv2d(1, 16, 3, padding=1), ch_nn.ReLU(), ch_nn.MaxPool2d(2),
        ch_nn.Conv2d(16, 32, 3, padding=1), ch_nn.ReLU(), ch_nn.MaxPool2d(2),
        ch_nn.Flatten(), ch_nn.Linear(128, 10),
    )
    ours[:3].freeze()
    both(values, "trainable", ours.num_parameters(trainable_only=True))
    optimizer = optim.Adam(
        [{"params": ours[3:7].parameters(), "lr": 1e-3}, {"params": ours[7].parameters()}],
        lr=1e-2,
    )
    groups = [(sum(p.size for p in g["params"]), g["lr"]) for g in optimizer.param_groups]
    close(np.ravel(values["group"]), groups)


def test_resnet18_sketch_with_random_weights_shapes_and_counts_checked(tmp_path):
    """torchvision's ResNet-18 with random weights instead of the ImageNet download."""
    sketch = block("c08-torch-resnet18").code
    assert "resnet18(weights=weights)" in sketch
    code = TORCHVISION_ON_CPU_TORCH + sketch.replace(
        "resnet18(weights=weights)", "resnet18(weights=None)"
    ) + """
torch.manual_seed(0)
out = model(torch.rand(2, 3, 224, 224))
print("output shape:", tuple(out.shape))
sizes = [sum(p.numel() for p in g["params"]) for g in optimizer.param_groups]
print("trainable per group:", *sizes)
print("learning rates:", *[g["lr"] for g in optimizer.param_groups])
print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad))
print("parameters:", sum(p.numel() for p in model.parameters()))
photo = torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8)
print("augmented shape:", tuple(train_transform(photo).shape))
print("preprocessed shape:", tuple(preprocess(photo).shape))
"""
    values = printed(run(code, tmp_path))
    num_classes = 5
    rows = arch.summarize("resnet18").top
    layer4 = sum(row.params for row in rows if isinstance(row.layer, arch.Residual)
                 and row.shape[0] == 512)
    head = ch_nn.Linear(512, num_classes).num_parameters()
    close(one(values, "output shape"), (2, num_classes))
    close(one(values, "trainable per group"), (layer4, head))
    close(one(values, "learning rates"), (1e-4, 1e-3))
    close(one(values, "trainable"), layer4 + head)
    close(one(values, "parameters"), arch.count_parameters(arch.resnet18(num_classes),
                                                           (3, 224, 224)))
    close(one(values, "augmented shape"), (3, 224, 224))
    close(one(values, "preprocessed shape"), (3, 224, 224))


def test_keras_resnet50_sketch_with_random_weights_shapes_and_counts_checked(tmp_path):
    """Keras's ResNet50 with random weights, on two random images, one epoch per fit."""
    sketch = block("c08-keras-resnet50").code
    for original in ('weights="imagenet"', "epochs=5"):
        assert original in sketch
    code = """\
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
images = torch.from_numpy(rng.uniform(0, 255, (2, 224, 224, 3)).astype("float32"))
labels = torch.from_numpy(rng.integers(0, 5, 2))
# One batch of two images for training and validation: the run is about code, not accuracy.
train_ds = val_ds = DataLoader(TensorDataset(images, labels), batch_size=2)
""" + sketch.replace('weights="imagenet"', "weights=None").replace(
        "epochs=5", "epochs=1, verbose=0"
    ) + """
print("output shape:", tuple(model.predict(images[:2], verbose=0).shape))
print("features:", base.output_shape[-1])
print("head parameters:", model.layers[-1].count_params())
frozen = sum(not layer.trainable for layer in base.layers)
print("frozen base layers:", frozen, "of", len(base.layers))
"""
    values = printed(run(code, tmp_path))
    num_classes = 5
    features = arch.summarize("resnet50").top[-2].shape[0]  # after global average pooling
    close(one(values, "output shape"), (2, num_classes))
    close(one(values, "features"), features)
    close(one(values, "head parameters"), ch_nn.Linear(features, num_classes).num_parameters())
    frozen, total = one(values, "frozen base layers")
    assert frozen == total - 30


# --------------------------------------------------------------------------
# Chapter 9
# --------------------------------------------------------------------------

def test_fgsm_block_equals_inside_fgsm(tmp_path):
    values = printed(run(block("c09-torch").code, tmp_path))
    eps = chapter_constant("09_inside_and_attacks", "c09-033", "eps")
    both(values, "largest change", (eps, eps), atol=1e-6)
    close(one(values, "pixels that differ"), 0)


def test_attack_sketch_with_untrained_digits_cnn_equals_inside(tmp_path):
    """The sketch's fgsm, pgd and saliency on the untrained digits CNN and its torch twin."""
    eps = chapter_constant("09_inside_and_attacks", "c09-033", "eps")
    code = """\
import numpy as np
import torch

from cnn_helpers.bench import torch_digits_cnn
from cnn_helpers.data import load_digits
from cnn_helpers.demos import inside
from cnn_helpers.models import digits_cnn

ours = digits_cnn(seed=0).eval()
model = torch_digits_cnn(torch, seed=0)
data = load_digits()
X, Y = data.X_test[:60], data.y_test[:60]
c = int(Y[0])
x = torch.from_numpy(X[:1])
""" + block("c09-torch-sketch").code + f"""
eps, X_t, Y_t = {eps!r}, torch.from_numpy(X), torch.from_numpy(Y)
differ = fgsm(model, X_t, Y_t, eps).numpy() != inside.fgsm(ours, X, Y, eps)
print("fgsm pixels that differ:", differ.sum())
# inside.pgd's random start, drawn as it draws it (seed 0, one run)
noise = np.random.default_rng(0).uniform(-eps, eps, X.shape)
start = torch.from_numpy(np.clip(X + noise, 0, 1).astype(X.dtype))
adv_torch = pgd(model, X_t, Y_t, eps, start=start).numpy()
gap = np.abs(adv_torch - inside.pgd(ours, X, Y, eps, restarts=1, seed=0))
print("pgd largest gap:", gap.max())
ref = inside.saliency_map(ours, X[:1], np.array([c]))[0]
print("saliency shape:", *saliency.shape)
print("saliency largest difference:", np.abs(saliency.numpy() - ref).max() / ref.max())
"""
    values = printed(run(code, tmp_path))
    close(one(values, "fgsm pixels that differ"), 0)
    assert one(values, "pgd largest gap")[0] < 1e-5
    close(one(values, "saliency shape"), (8, 8))
    assert one(values, "saliency largest difference")[0] < 1e-5
