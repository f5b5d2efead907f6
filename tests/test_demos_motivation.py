"""Tests for cnn_helpers.demos.motivation: counts, permutations, the voter table, figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_helpers import nn, training  # noqa: E402
from cnn_helpers.demos import motivation as m  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_parameter_counts_of_the_notes():
    assert m.dense_params(640 * 480 * 3, 1000) == 921_601_000
    assert m.dense_params(10**6, 1000) == 1_000_001_000
    assert m.mlp_params([426 * 426, 16, 16, 10]) == 2_904_074
    assert m.mlp_params([784, 16, 16, 10]) == 13_002
    assert m.conv_params(1, 32, 3) == 320
    assert m.conv_params(3, 64, 3) == 1792
    assert m.conv_params(1, 1, 3, ndim=1) == 4


def test_counts_agree_with_the_layers():
    assert nn.Linear(50, 7).num_parameters() == m.dense_params(50, 7)
    assert nn.Conv2d(3, 5, 3).num_parameters() == m.conv_params(3, 5, 3)
    assert nn.Conv1d(2, 4, 5).num_parameters() == m.conv_params(2, 4, 5, ndim=1)


def test_permute_pixels_moves_pixel_perm_k_to_k():
    images = np.arange(2 * 1 * 2 * 3, dtype=float).reshape(2, 1, 2, 3)
    perm = np.array([5, 0, 1, 2, 3, 4])
    out = m.permute_pixels(images, perm)
    assert out.shape == images.shape
    np.testing.assert_array_equal(out[0, 0].ravel(), [5, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(out[1, 0].ravel(), [11, 6, 7, 8, 9, 10])
    # Undone by the inverse permutation.
    np.testing.assert_array_equal(m.permute_pixels(out, np.argsort(perm)), images)


def test_permute_pixels_rejects_a_non_permutation():
    with pytest.raises(ValueError):
        m.permute_pixels(np.zeros((1, 2, 2)), [0, 0, 1, 2])


def test_pixel_permutation_is_seeded():
    np.testing.assert_array_equal(m.pixel_permutation(64, 3), m.pixel_permutation(64, 3))
    assert sorted(m.pixel_permutation(64, 0)) == list(range(64))


def test_partial_permutation_moves_the_share_asked_for_and_grows():
    assert np.array_equal(m.partial_permutation(64, 0.0), np.arange(64))
    moved = [np.flatnonzero(m.partial_permutation(64, f, seed=1) != np.arange(64))
             for f in (0.25, 0.5, 1.0)]
    assert [len(x) for x in moved] == [16, 32, 64]
    assert set(moved[0]) <= set(moved[1]) <= set(moved[2])
    for f in (0.1, 0.6):
        assert sorted(m.partial_permutation(64, f)) == list(range(64))
    with pytest.raises(ValueError):
        m.partial_permutation(64, 1.5)


def test_permuted_first_layer_computes_the_same_function():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 1, 8, 8)).astype(np.float32)
    perm = m.pixel_permutation(64, 2)
    original = m.dense_net(seed=4)
    shuffled = m.permute_first_layer(m.dense_net(seed=4), perm)
    np.testing.assert_allclose(shuffled(m.permute_pixels(x, perm)), original(x), rtol=1e-5,
                               atol=1e-6)


def test_models_have_the_documented_shapes():
    x = np.zeros((3, 1, 8, 8), dtype=np.float32)
    assert m.dense_net(0)(x).shape == (3, 10)
    assert m.small_cnn(0)(x).shape == (3, 10)
    rows = np.zeros((4, 8), dtype=np.float32)
    assert m.table_dense_net(0)(rows).shape == (4, 2)
    assert m.table_cnn(0)(rows[:, None, :]).shape == (4, 2)


def test_dense_training_is_blind_to_a_pixel_shuffle():
    # A short run: the same start, permuted, gives the same predictions.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 60)
    perm = m.pixel_permutation(64, 1)
    a, b = m.dense_net(1), m.permute_first_layer(m.dense_net(1), perm)
    m.train_and_score(a, X, y, X, y, epochs=3, batch_size=20)
    m.train_and_score(b, m.permute_pixels(X, perm), y, m.permute_pixels(X, perm), y, epochs=3,
                      batch_size=20)
    np.testing.assert_array_equal(training.predict(a, X),
                                  training.predict(b, m.permute_pixels(X, perm)))


def test_voter_table_is_seeded_and_standardised():
    raw, X, y = m.make_voter_table(n=300, seed=0)
    raw2, X2, y2 = m.make_voter_table(n=300, seed=0)
    np.testing.assert_array_equal(raw, raw2)
    np.testing.assert_array_equal(y, y2)
    assert raw.shape == X.shape == (300, len(m.VOTER_COLUMNS))
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-4)
    assert set(np.unique(raw[:, 0])) == {0.0, 1.0}          # sex
    assert raw[:, 1].min() >= 18 and raw[:, 1].max() < 90   # age
    assert 0.3 < y.mean() < 0.7


def test_column_order_experiment_keeps_the_dense_net_fixed():
    result = m.column_order_experiment(n_orders=2, n=300, n_train=200, epochs=3, seed=0)
    assert len(result.orders) == 2
    assert result.orders[0] == list(m.VOTER_COLUMNS)
    assert sorted(result.orders[1]) == sorted(m.VOTER_COLUMNS)
    assert all(result.dense_same_predictions)
    assert result.dense_accuracy[0] == result.dense_accuracy[1]
    assert all(0 <= a <= 1 for a in result.cnn_accuracy)


def test_format_table_aligns_columns():
    text = m.format_table([(1, 2.5), (10, 0.25)], ["a", "bb"], ["{}", "{:.2f}"])
    lines = text.splitlines()
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1
    assert lines[2].split() == ["1", "2.50"]


def test_mosaic_places_images_with_gaps():
    images = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    grid = m.mosaic(images, gap=1)
    assert grid.shape == (2 * 2 + 1, 3 * 2 + 2)
    np.testing.assert_array_equal(grid[3:5, 6:8], images[1, 2])
    assert np.isnan(grid[2]).all()


def test_figures_draw():
    from cnn_helpers.widgets import render_frame

    rng = np.random.default_rng(0)
    digits = rng.random((4, 1, 8, 8))
    image = rng.random((30, 40))
    # At the resolutions the chapter's sliders use, frames stay under the book's 20 KB.
    figures = [
        (m.plot_param_counts(64, [8, 64, 512], image=image), 85),
        (m.plot_param_counts(8, [8, 64, 512]), 85),
        (m.plot_partial_shuffle(digits, 0.5), 100),
        (m.plot_connectivity(2), 80),
        (m.show_shuffled_digits(digits, m.pixel_permutation(64), labels=[1, 2, 3, 4]), 72),
        (m.plot_accuracies({"dense": {"original": 0.9, "shuffled": 0.9},
                            "cnn": {"original": 0.95, "shuffled": 0.85}}), 72),
    ]
    for fig, dpi in figures:
        assert len(render_frame(fig, dpi=dpi)) < 20_000
