"""Tests for chapter 8's source models, its scripts and cnn_helpers.demos.transfer."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from scipy import stats

from cnn_helpers import letters, nn
from cnn_helpers.data import load_digits
from cnn_helpers.demos import transfer
from cnn_helpers.optim import Adam

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
SOURCE_SCRIPT = ROOT / "scripts" / "train_source_model.py"
ONE_THREAD = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def shipped():
    return {"full": transfer.load_source_model(transfer.WEIGHTS_PATH),
            "truncated": transfer.load_source_model(transfer.TRUNCATED_PATH)}


@pytest.fixture(scope="module")
def results():
    return transfer.load_results()


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_script_replays_the_first_training_steps_exactly(shipped):
    """Render the letters the first steps use and take those steps again, from nothing."""
    done = subprocess.run([sys.executable, str(SOURCE_SCRIPT), "--first-steps",
                           str(transfer.FIRST_STEPS)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=ONE_THREAD)
    assert done.returncode == 0, done.stderr
    printed = dict(line.split(" = ") for line in done.stdout.strip().splitlines())
    for name, (_, meta) in shipped.items():
        assert int(printed[f"{name}.first_steps"]) == meta["first_steps"]
        # The images are integer counts: they must match on any machine.
        assert printed[f"{name}.first_images_digest"] == meta["first_images_digest"], name
        if meta["numpy"] == np.__version__ and meta["machine"] == platform.machine():
            assert printed[f"{name}.first_steps_digest"] == meta["first_steps_digest"], name


def test_shipped_weights_are_small_float32_and_recorded(shipped):
    size = sum(p.stat().st_size for p in transfer.WEIGHTS_DIR.iterdir())
    assert size < 1_000_000
    for name, recipe in (("full", transfer.SOURCE_RECIPE),
                         ("truncated", transfer.TRUNCATED_RECIPE)):
        model, meta = shipped[name]
        assert meta["n_parameters"] == 160 + 4640 + 128 * 52 + 52
        assert all(p.dtype == np.float32 for p in model.parameters())
        assert meta["recipe"] == recipe
    # The source is at least 20 times the largest target training set (50 per class).
    assert transfer.SOURCE_RECIPE["n_train"] >= 20 * 50 * 10
    assert shipped["full"][1]["source_accuracy"] > shipped["truncated"][1]["source_accuracy"]
    for _, meta in shipped.values():
        assert meta["case_folded_accuracy"] >= meta["source_accuracy"]
    # The small source stopped early, at a reading of its validation letters.
    kept, recipe = shipped["truncated"][1]["steps_kept"], transfer.TRUNCATED_RECIPE
    assert 0 < kept <= recipe["steps"] and kept % recipe["val_every"] == 0


def test_source_training_keeps_the_best_weights_on_validation_letters():
    X, y = letters.letter_images(range(104), seed=0)
    X_val, y_val = letters.letter_images(range(52), seed=2)
    recipe = {**transfer.TRUNCATED_RECIPE, "n_train": 104, "steps": 30, "val_every": 10}
    seen = []
    accuracy = transfer._accuracy

    def spy(model, X_, y_):
        value = accuracy(model, X_, y_)
        if len(y_) == 52:
            seen.append((value, model.state_dict()))
        return value

    transfer._accuracy = spy
    try:
        model, _, kept = transfer.train_source_model((X, y, X[:1], y[:1]), recipe,
                                                     val=(X_val, y_val))
    finally:
        transfer._accuracy = accuracy
    assert len(seen) == 3
    best = int(np.argmax([v for v, _ in seen]))
    assert kept == 10 * (best + 1)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, seen[best][1][name])


def test_shipped_model_reads_fresh_held_out_letters(shipped):
    model, meta = shipped["full"]
    X, y = letters.letter_images(range(520), seed=transfer.SOURCE_RECIPE["test_seed"])
    accuracy = np.mean(model(X).argmax(axis=1) == y)
    # 520 of the 5,200 held-out letters: within a few binomial standard errors.
    assert abs(accuracy - meta["source_accuracy"]) < 0.07


def test_load_gives_independent_copies(shipped):
    a, _ = transfer.load_source_model()
    b, _ = transfer.load_source_model()
    a[0].weight.data += 1.0
    np.testing.assert_array_equal(b[0].weight.data, shipped["full"][0][0].weight.data)


def test_digit_split_keeps_validation_apart_and_balanced(digits):
    X, y, X_val, y_val = transfer.digit_split(5, seed=2, digits=digits)
    assert X.shape == (50, 1, 8, 8) and X_val.shape == (300, 1, 8, 8)
    np.testing.assert_array_equal(np.bincount(y), [5] * 10)
    np.testing.assert_array_equal(np.bincount(y_val), [30] * 10)
    rows = {x.tobytes() for x in X}
    assert not rows & {x.tobytes() for x in X_val}
    assert not rows & {x.tobytes() for x in digits.X_test}
    np.testing.assert_array_equal(X, transfer.digit_split(5, seed=2, digits=digits)[0])
    # The validation set does not depend on the budget.
    np.testing.assert_array_equal(X_val, transfer.digit_split(20, seed=2, digits=digits)[2])


def test_sample_per_class_respects_exclude():
    y = np.repeat(np.arange(3), 10)
    idx = transfer.sample_per_class(y, 4, seed=0, exclude=np.arange(0, 30, 2))
    assert np.all(idx % 2 == 1)
    np.testing.assert_array_equal(np.bincount(y[idx]), [4, 4, 4])


class _Spy(nn.Module):
    """Records whether it was in training mode at each forward pass."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return x

    def backward(self, grad_out):
        return grad_out


def test_train_steps_keeps_frozen_parts_in_eval_mode():
    spy = _Spy()
    model = nn.Sequential(spy, nn.Flatten(), nn.Linear(64, 2, rng=0))
    X = np.random.default_rng(0).random((8, 1, 8, 8)).astype(np.float32)
    y = np.arange(8) % 2
    transfer.train_steps(model, Adam(model[2].parameters(), lr=0.1), X, y, 3, 4, frozen=spy)
    assert spy.modes == [False] * 3
    transfer.train_steps(model, Adam(model[2].parameters(), lr=0.1), X, y, 2, 4)
    assert spy.modes[3:] == [True] * 2


def test_select_keeps_the_best_checkpoint_on_validation():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(40, 5)).astype(np.float32)
    y = (F[:, 0] > 0).astype(np.int64)
    model, chosen = transfer.linear_probe(F[:20], y[:20], F[20:], y[20:], seed=0)
    val = np.mean(model(F[20:]).argmax(axis=1) == y[20:])
    assert chosen["val"] == pytest.approx(val)
    grid = transfer.SEARCH["linear_probe"]
    assert chosen["lr"] in grid["lr"] and chosen["steps"] in grid["steps"]
    assert chosen["augment"] is False  # fixed features: nothing to augment
    again = transfer.linear_probe(F[:20], y[:20], F[20:], y[20:], seed=0)[0]
    np.testing.assert_array_equal(model.weight.data, again.weight.data)


def test_linear_probe_standardises_on_the_labelled_features_alone():
    """The head works on raw features, and equals a zero-initialised head trained on
    features the labelled images standardised, each standard deviation floored at
    ``SD_FLOOR`` times their median (the validation features play no part in the scale)."""
    rng = np.random.default_rng(1)
    F = (rng.normal(size=(60, 6)) * [1, 10, 100, 0.1, 1, 1] + 5).astype(np.float32)
    F[:, 5] = 2.0  # a constant feature: no division by zero
    F[30:, 5] = 3.0  # ... which varies on the other images
    F[:30, 3] = 5 + rng.normal(size=30).astype(np.float32) * 1e-4  # nearly constant
    y = (F[:, 0] + F[:, 1] / 10 > 5).astype(np.int64)
    grid = {"augment": (False,), "lr": (1e-2,), "steps": (20, 40)}
    head, chosen = transfer.linear_probe(F[:30], y[:30], F[30:], y[30:], 0, grid)
    mean, std = F[:30].mean(axis=0), F[:30].std(axis=0)
    std = np.maximum(std, transfer.SD_FLOOR * np.median(std))
    assert std[3] > 100 * F[:30, 3].std()  # the floor acts here
    Z, Z_val = (F[:30] - mean) / std, (F[30:] - mean) / std
    # The same search by hand on the standardised features, from a zero head.
    def build():
        h = nn.Linear(6, 2, rng=0)
        h.weight.data[...] = 0
        h.bias.data[...] = 0
        return h, h.parameters(), None

    ref, ref_chosen = transfer.select(build, Z, y[:30], Z_val, y[30:], grid, 0,
                                      batch_size=30, patience=None)
    assert chosen == ref_chosen
    np.testing.assert_allclose(head(F[30:]), ref(Z_val), rtol=1e-4, atol=1e-4)
    # A feature constant on the labelled images gets no gradient: its weight stays 0.
    np.testing.assert_array_equal(head.weight.data[:, 5], 0)
    # Other validation features change nothing about the scaling.
    again, _ = transfer.linear_probe(F[:30], y[:30], F[30:] * 3, y[30:], 0,
                                     {**grid, "steps": (chosen["steps"],),
                                      "lr": (chosen["lr"],)})
    np.testing.assert_allclose(again(F[:30]), head(F[:30]), rtol=1e-4, atol=1e-4)


def test_select_stops_a_run_early_and_counts_its_trials():
    """A run whose validation accuracy stops improving ends after `patience` readings."""
    rng = np.random.default_rng(0)
    F = rng.normal(size=(40, 5)).astype(np.float32)
    y = (F[:, 0] > 0).astype(np.int64)
    seen = []

    class Counting(nn.Linear):
        def forward(self, x):
            if len(x) == 20 and not self.training:
                seen.append(1)  # one validation reading
            return super().forward(x)

    def build():
        head = Counting(5, 2, rng=0)
        return head, head.parameters(), None

    grid = {"augment": (False,), "lr": (0.0,), "steps": tuple(range(1, 21))}
    transfer.select(build, F[:20], y[:20], F[20:], y[20:], grid, 0, batch_size=20,
                    patience=3)
    assert len(seen) == 1 + 3  # lr 0: nothing improves after the first reading
    assert transfer.n_trials(grid) == 20
    scratch = transfer.SEARCH["scratch"]
    assert transfer.n_trials(scratch) == len(transfer.runs_of(scratch)) * 12


def test_every_grid_reaches_past_what_a_narrower_search_chose():
    """The narrower grids of the first version of the experiment had their choices pile
    up at their ends (in most seeds of a budget, or often across budgets); each widened
    grid holds those ends strictly inside."""
    old_ends = {"scratch": ([3e-3], 1600), "fine_tune": ([1e-2], 800),
                "lp_ft": ([1e-4, 3e-3], 800), "linear_probe": ([], 800),
                "random_features": ([], 800)}
    for name, (lrs, steps) in old_ends.items():
        grid = transfer.SEARCH[name]
        assert max(grid["steps"]) > steps, name
        for lr in lrs:
            assert min(grid["lr"]) < lr < max(grid["lr"]), (name, lr)


def test_fine_tune_changes_every_layer_and_leaves_the_source_alone(shipped, digits):
    source = shipped["full"][0]
    before = [p.data.copy() for p in source.parameters()]
    X, y, X_val, y_val = transfer.digit_split(1, seed=0, digits=digits)
    head = nn.Linear(128, 10, rng=0)
    model, chosen = transfer.fine_tune(source, head, X, y, X_val, y_val, seed=0,
                                       search={"augment": (True,), "lr": (1e-3,),
                                               "steps": (10, 20)})
    for old, p in zip(before, source.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, old)
    tuned = list(model.parameters())
    assert len(tuned) == 6
    for old, p in zip(before[:4], tuned[:4], strict=True):
        assert not np.array_equal(p.data, old)


def test_results_file_has_the_documented_format(results):
    assert results["source"]["n_train"] == transfer.SOURCE_RECIPE["n_train"]
    assert results["source"]["classes"] == 52
    assert results["target"] == {"name": "digits", "classes": 10,
                                 "val_per_class": transfer.VAL_PER_CLASS}
    assert list(results["accuracy"]) == list(transfer.STRATEGIES)
    assert list(results["ablations"]) == list(transfer.ABLATIONS)
    n_test = 450
    for table in ("accuracy", "ablations"):
        for name, by_budget in results[table].items():
            budgets = transfer.ABLATION_BUDGETS.get(name, transfer.BUDGETS)
            assert list(by_budget) == [str(n) for n in budgets], name
            assert list(results["chosen"][name]) == list(by_budget), name
            for accs in by_budget.values():
                assert len(accs) == len(transfer.SEEDS) == len(results["seeds"]) >= 5
                counts = np.asarray(accs) * n_test
                np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)


def test_shipped_results_match_a_rerun_of_the_cheap_strategies(results, digits):
    """Seed 0 (the first in every list), 2 labels per class, the four linear probes."""
    names = ("linear_probe", "random_features", "linear_probe_truncated",
             "linear_probe_block1")
    out = transfer.run_cell(2, 0, strategies=names, digits=digits, search=results["search"])
    k = results["seeds"].index(0)
    for name in names:
        table = "accuracy" if name in results["accuracy"] else "ablations"
        assert out[name]["test"] == pytest.approx(results[table][name]["2"][k], abs=1e-12)
        assert [out[name]["lr"], out[name]["steps"]] == results["chosen"][name]["2"][k][:2]


def test_every_strategy_gets_the_same_number_of_trials(results):
    sizes = {name: transfer.n_trials(grid) for name, grid in transfer.SEARCH.items()}
    assert len(set(sizes.values())) == 1, sizes
    assert {a for a, _ in transfer.runs_of(transfer.SEARCH["scratch"])} == {True, False}
    assert results["trials"] == {name: transfer.n_trials(results["search"][name])
                                 for name in results["trials"]}
    assert len(set(results["trials"].values())) == 1


def test_select_searches_the_augmentation_and_grid_edges_are_found(digits):
    X, y, X_val, y_val = transfer.digit_split(1, seed=0, digits=digits)

    def build():
        model = transfer.source_cnn(seed=0, n_classes=10)
        return model, model.parameters(), None

    grid = {"augment": (True, False), "lr": (1e-2,), "steps": (2, 4)}
    model, chosen = transfer.select(build, X, y, X_val, y_val, grid, seed=0)
    assert chosen["augment"] in (True, False) and chosen["steps"] in (2, 4)
    assert chosen["val"] == pytest.approx(np.mean(model(X_val).argmax(axis=1) == y_val))
    fake = {"search": {"s": {"augment": [True], "lr": [1, 2, 3], "steps": [10, 20, 40]}},
            "chosen": {"s": {"5": [[2, 40, True]] * 3 + [[1, 20, True]] * 2,
                             "9": [[2, 20, True]] * 4 + [[3, 40, True]]}}}
    assert transfer.grid_edges(fake) == [("s", 5, "steps", 40, 3, 5)]
    assert transfer.describe_edges(fake) == ("s, its last reading, after 40 steps, with 5 "
                                             "labels per class (3 of 5 seeds)")
    fake["chosen"]["s"]["5"] = [[2, 20, True]] * 5
    assert transfer.describe_edges(fake) == "none"


def test_the_ablations_run_and_share_their_strategies_grids(digits):
    """The truncated source's fine-tuning searches fine-tuning's grid, the block-1 probe
    the linear probe's; every ablation runs on a tiny grid."""
    assert transfer._grid(transfer.SEARCH, "fine_tune_truncated") == transfer.SEARCH["fine_tune"]
    assert (transfer._grid(transfer.SEARCH, "linear_probe_block1")
            == transfer.SEARCH["linear_probe"])
    tiny = {name: {"augment": grid["augment"][:1], "lr": grid["lr"][3:4],
                   "steps": grid["steps"][:2]}
            for name, grid in transfer.SEARCH.items()}
    out = transfer.run_cell(1, 0, strategies=transfer.ABLATIONS, digits=digits,
                            search=tiny)
    assert set(out) == set(transfer.ABLATIONS)
    for name, run in out.items():
        assert 0 <= run["test"] <= 1 and run["steps"] in tiny[transfer._base(name)]["steps"]


def test_paired_differences_match_a_hand_computed_t_interval():
    fake = {"accuracy": {"scratch": {"1": [0.5, 0.6, 0.7]}, "x": {"1": [0.6, 0.8, 0.75]}}}
    mean, low, high = transfer.paired_differences(fake, "x")[1]
    d = np.array([0.1, 0.2, 0.05])
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert mean == pytest.approx(d.mean())
    assert (low, high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert "minus scratch" in transfer.summary_table(fake)


def test_figures_draw(results, digits):
    from matplotlib.figure import Figure

    assert isinstance(transfer.plot_results(results), Figure)
    assert isinstance(transfer.plot_differences(results, ["linear_probe", "lp_ft"]), Figure)
    X, y = letters.letter_images(range(26))
    assert isinstance(transfer.show_letters(X, y), Figure)
    image = digits.X_train[0, 0]
    for kind, levels in transfer.AUGMENT_LEVELS.items():
        assert isinstance(transfer.draw_augmented(image, kind, levels[-1]), Figure)
    assert isinstance(transfer.show_flips(digits.X_train, digits.y_train, digits=(2, 3)),
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


def test_the_truncated_fine_tuning_runs_at_the_smallest_budgets_only():
    assert transfer.runs_at(5) == transfer.STRATEGIES + transfer.ABLATIONS
    assert "fine_tune_truncated" not in transfer.runs_at(10)
    assert transfer.runs_at(10, ("scratch", "fine_tune")) == ("scratch", "fine_tune")
    fake = {"accuracy": {"scratch": {"1": [0.5, 0.6, 0.7], "10": [0.8, 0.9, 0.9]},
                         "fine_tune": {"1": [0.6, 0.7, 0.7], "10": [0.9, 0.9, 0.9]}},
            "ablations": {"fine_tune_truncated": {"1": [0.6, 0.6, 0.7]}}}
    assert list(transfer.paired_differences(fake, "fine_tune", "fine_tune_truncated")) == [1]
    assert list(transfer.paired_differences(fake, "fine_tune_truncated",
                                            table="ablations")) == [1]


def test_pooled_difference_averages_each_seed_over_the_budgets_first():
    fake = {"accuracy": {"scratch": {"1": [0.5, 0.6, 0.7], "2": [0.7, 0.7, 0.8]},
                         "x": {"1": [0.6, 0.8, 0.75], "2": [0.7, 0.8, 0.8]}},
            "ablations": {}}
    per_seed = np.array([0.05, 0.15, 0.025])  # the mean of each seed's two differences
    half = stats.t.ppf(0.975, 2) * per_seed.std(ddof=1) / np.sqrt(3)
    np.testing.assert_allclose(transfer.pooled_difference(fake, "x"),
                               [per_seed.mean(), per_seed.mean() - half,
                                per_seed.mean() + half])
    np.testing.assert_allclose(transfer.pooled_difference(fake, "x", budgets=[1])[0], 0.35 / 3)
