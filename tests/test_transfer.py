"""Tests for chapter 8's source model, its training script and cnn_helpers.demos.transfer."""

import platform
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from cnn_helpers import nn
from cnn_helpers.demos import transfer
from cnn_helpers.optim import Adam

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "train_source_model.py"


@pytest.fixture(scope="module")
def tasks():
    return transfer.digit_tasks()


@pytest.fixture(scope="module")
def shipped():
    return transfer.load_source_model()


def test_script_reproduces_the_shipped_weights(tmp_path, shipped):
    """Run the real script; same numpy on the same kind of machine: identical bits."""
    out = tmp_path / "source_cnn.npz"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "accuracy on held-out digits 0-4" in done.stdout
    _, meta = shipped
    with np.load(transfer.WEIGHTS_PATH) as a, np.load(out) as b:
        assert a.files == b.files
        same_platform = meta["numpy"] == np.__version__ and meta["machine"] == platform.machine()
        for name in a.files:
            if same_platform or name.startswith(transfer.META_PREFIX + "recipe."):
                np.testing.assert_array_equal(a[name], b[name], err_msg=name)
            elif not name.startswith(transfer.META_PREFIX):
                # Elsewhere floating-point sums may round differently; the model must still match.
                np.testing.assert_allclose(a[name], b[name], atol=1e-3, err_msg=name)
        assert abs(float(a["meta.source_accuracy"]) - float(b["meta.source_accuracy"])) <= 0.01


def test_shipped_weights_are_small_float32_and_accurate(shipped):
    model, meta = shipped
    assert transfer.WEIGHTS_PATH.stat().st_size < 1_000_000
    assert meta["n_parameters"] == 5445 == 160 + 4640 + 645
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert meta["source_accuracy"] > 0.97
    assert meta["recipe"] == transfer.SOURCE_RECIPE


def test_shipped_accuracy_is_what_the_model_scores(shipped, tasks):
    model, meta = shipped
    predicted = model(tasks.source.X_test).argmax(axis=1)
    assert np.mean(predicted == tasks.source.y_test) == pytest.approx(meta["source_accuracy"])


def test_load_gives_independent_copies(shipped):
    a, _ = transfer.load_source_model()
    b, _ = transfer.load_source_model()
    a[0].weight.data += 1.0
    np.testing.assert_array_equal(b[0].weight.data, shipped[0][0].weight.data)


def test_digit_tasks_split_classes_and_relabel(tasks):
    src, tgt = tasks
    for split in (src, tgt):
        assert set(np.unique(split.y_train)) == set(range(5)) == set(np.unique(split.y_test))
        assert split.X_train.shape[1:] == (1, 8, 8)
    assert len(src.y_train) + len(tgt.y_train) + len(src.y_test) + len(tgt.y_test) == 1797
    # Target label 0 is the digit 5: the images match scikit-learn's 5s.
    from cnn_helpers.data import load_digits

    d = load_digits()
    np.testing.assert_array_equal(tgt.X_test[tgt.y_test == 0], d.X_test[d.y_test == 5])


def test_sample_per_class_is_balanced_distinct_and_seeded(tasks):
    y = tasks.target.y_train
    idx = transfer.sample_per_class(y, 7, seed=3)
    assert len(idx) == 35 and len(set(idx.tolist())) == 35
    np.testing.assert_array_equal(np.bincount(y[idx]), [7] * 5)
    np.testing.assert_array_equal(idx, transfer.sample_per_class(y, 7, seed=3))
    assert not np.array_equal(idx, transfer.sample_per_class(y, 7, seed=4))


def test_frozen_model_trains_only_its_head(tasks):
    source, _ = transfer.load_source_model()
    model = transfer.frozen_model(source)
    assert model.num_parameters(trainable_only=True) == 128 * 5 + 5
    assert model.num_parameters() == 5445 - 645 + 645
    body_before = [p.data.copy() for p in model[0].parameters()]
    head_before = model[1].weight.data.copy()
    idx = transfer.sample_per_class(tasks.target.y_train, 2, 0)
    opt = Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    transfer.train_steps(model, opt, tasks.target.X_train[idx], tasks.target.y_train[idx], 5, 10)
    for before, p in zip(body_before, model[0].parameters(), strict=True):
        np.testing.assert_array_equal(p.data, before)
    assert not np.allclose(model[1].weight.data, head_before)


def test_finetune_optimizer_has_two_learning_rates():
    source, _ = transfer.load_source_model()
    head = nn.Linear(128, 5, rng=0)
    opt = transfer.finetune_optimizer(source[3:7], head, lr=1e-2, finetune_lr=1e-3)
    assert [g["lr"] for g in opt.param_groups] == [1e-2 * 0.1, 1e-2]
    assert [len(g["params"]) for g in opt.param_groups] == [2, 2]


def test_train_steps_lowers_the_loss_and_is_seeded():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    def run():
        model = nn.Linear(3, 2, rng=1)
        first = transfer.train_steps(model, Adam(model.parameters(), lr=0.1), X, y, 1, 8)
        model = nn.Linear(3, 2, rng=1)
        last = transfer.train_steps(model, Adam(model.parameters(), lr=0.1), X, y, 60, 8)
        return first, last, model.weight.data

    first, last, w = run()
    assert last < first / 2
    np.testing.assert_array_equal(w, run()[2])


def test_small_experiment_has_the_right_shape_and_is_deterministic(tasks):
    kw = dict(sizes=(1, 3), seeds=(0, 1), recipe=dict(steps=4, probe_steps=10), tasks=tasks)
    a = transfer.run_experiment(**kw)
    b = transfer.run_experiment(**kw)
    assert list(a.accuracy) == list(transfer.STRATEGIES)
    for name in transfer.STRATEGIES:
        assert a.accuracy[name].shape == (2, 2)
        assert np.all((a.accuracy[name] >= 0) & (a.accuracy[name] <= 1))
        np.testing.assert_array_equal(a.accuracy[name], b.accuracy[name])
    # Accuracies are fractions of the target's test images.
    counts = a.accuracy["frozen"] * a.n_test
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    np.testing.assert_array_equal(a.at("scratch", 3), a.accuracy["scratch"][1])
    assert "labels per class" in a.table()


def test_augmentation_and_cut_experiments_run_small(tasks):
    from cnn_helpers import augment

    res = transfer.run_augmentation_experiment(augment.RandomShift(1), sizes=(2,), seeds=(0,),
                                               recipe=dict(steps=3), tasks=tasks)
    assert set(res.accuracy) == {"scratch", "scratch + augmentation"}
    cuts = transfer.cut_experiment(per_class=2, seeds=(0,), recipe=dict(probe_steps=5),
                                   tasks=tasks)
    assert set(cuts) == {(w, b) for w in ("pretrained", "random") for b in (1, 2)}


def test_figures_draw(tasks):
    from matplotlib.figure import Figure

    res = transfer.Results((1, 5), (0, 1), {"scratch": np.array([[0.5, 0.6], [0.8, 0.9]]),
                                            "frozen": np.array([[0.6, 0.7], [0.85, 0.9]])})
    assert isinstance(transfer.plot_results(res), Figure)
    idx = transfer.sample_per_class(tasks.target.y_train, 5, 0)
    assert isinstance(transfer.draw_seeds(res, 5, tasks.target.X_train[idx]), Figure)
    image = tasks.target.X_train[0, 0]
    for kind, levels in transfer.AUGMENT_LEVELS.items():
        assert isinstance(transfer.draw_augmented(image, kind, levels[-1]), Figure)
    cuts = {(w, b): np.array([0.9, 0.95]) for w in ("pretrained", "random") for b in (1, 2)}
    assert isinstance(transfer.plot_cuts(cuts), Figure)
    d = transfer.digit_tasks()
    assert isinstance(transfer.show_flips(d.source.X_train, d.source.y_train, digits=(2, 3)),
                      Figure)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_augmentation_level_zero_changes_nothing():
    x = np.random.default_rng(0).random((5, 1, 8, 8)).astype(np.float32)
    for kind, levels in transfer.AUGMENT_LEVELS.items():
        assert levels[0] == 0 and len(levels) == 6
        out = transfer.make_augmentation(kind, levels[0])(x, np.random.default_rng(1))
        np.testing.assert_allclose(out, x, atol=1e-6, err_msg=kind)
        strong = transfer.make_augmentation(kind, levels[-1])(x, np.random.default_rng(1))
        assert not np.allclose(strong, x), kind
