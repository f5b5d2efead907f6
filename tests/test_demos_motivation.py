"""Tests for cnn_helpers.demos.motivation: counts, permutations, the voter table, figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_helpers import gradcheck, nn, training  # noqa: E402
from cnn_helpers.data import load_digits  # noqa: E402
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


def _dense_net(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 12, rng=rng), nn.ReLU(),
                         nn.Linear(12, 10, rng=rng))


def _permute_first_layer(model, perm):
    # The chapter defines this on its page; the tests use the same three lines.
    first = next(layer for layer in model if isinstance(layer, nn.Linear))
    first.weight.data = first.weight.data[:, perm].copy()
    return model


def test_table_models_have_the_documented_shapes():
    rows = np.zeros((4, 8), dtype=np.float32)
    assert m.table_dense_net(0)(rows).shape == (4, 2)
    assert m.table_cnn(0)(rows[:, None, :]).shape == (4, 2)


def test_dense_training_is_blind_to_a_pixel_shuffle():
    # A short run: the same start, permuted, gives the same predictions.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 60)
    perm = m.pixel_permutation(64, 1)
    a, b = _dense_net(1), _permute_first_layer(_dense_net(1), perm)
    m.train_and_score(a, X, y, X, y, epochs=3, batch_size=20)
    m.train_and_score(b, m.permute_pixels(X, perm), y, m.permute_pixels(X, perm), y, epochs=3,
                      batch_size=20)
    np.testing.assert_array_equal(training.predict(a, X),
                                  training.predict(b, m.permute_pixels(X, perm)))


def test_training_subset_is_seeded_and_sized():
    data = load_digits()
    X, y = m.training_subset(data, 50, seed=3)
    X2, y2 = m.training_subset(data, 50, seed=3)
    assert X.shape == (50, 1, 8, 8) and y.shape == (50,)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(y, m.training_subset(data, 50, seed=4)[1])


def test_mean_sd_uses_the_sample_standard_deviation():
    assert m.mean_sd([0.5, 0.7]) == f"0.600 ± {np.std([0.5, 0.7], ddof=1):.3f}"
    assert m.mean_sd([0.25]) == "0.250 ± 0.000"


def test_locally_connected_with_tied_weights_is_a_convolution():
    # Independent oracle: the library's Conv2d, with every position given its filter.
    rng = np.random.default_rng(0)
    lc = m.LocallyConnected2d(2, 3, (5, 6), 3, padding=1, rng=0, dtype=np.float64)
    conv = nn.Conv2d(2, 3, 3, padding=1, rng=1, dtype=np.float64)
    lc.weight.data[:] = conv.weight.data.reshape(3, -1)[:, :, None]
    lc.bias.data[:] = conv.bias.data[:, None]
    x = rng.normal(size=(4, 2, 5, 6))
    np.testing.assert_allclose(lc(x), conv(x), atol=1e-12)


def test_locally_connected_unshared_weights_by_loops():
    # Oracle: the defining sum, one filter per output position.
    rng = np.random.default_rng(1)
    lc = m.LocallyConnected2d(2, 2, (4, 5), 3, rng=2, dtype=np.float64)
    x = rng.normal(size=(3, 2, 4, 5))
    out = lc(x)
    assert out.shape == (3, 2, 2, 3)
    w = lc.weight.data.reshape(2, 2, 3, 3, 2, 3)   # (C_out, C_in, K, K, H_out, W_out)
    b = lc.bias.data.reshape(2, 2, 3)
    for i in range(2):
        for j in range(3):
            window = x[:, :, i:i + 3, j:j + 3]
            expected = np.einsum("ncuv,ocuv->no", window, w[..., i, j]) + b[:, i, j]
            np.testing.assert_allclose(out[:, :, i, j], expected, atol=1e-12)


def test_locally_connected_parameter_count():
    lc = m.LocallyConnected2d(1, 16, (8, 16), 5, padding=2)
    assert lc.num_parameters() == (5 * 5 + 1) * 16 * 8 * 16


def test_locally_connected_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    lc = m.LocallyConnected2d(2, 3, (4, 5), 3, padding=1, rng=3, dtype=np.float64)
    x = rng.normal(size=(2, 2, 4, 5))
    g = rng.normal(size=(2, 3, 4, 5))
    lc(x)
    grad_x = lc.backward(g)
    gradcheck(lambda v: np.sum(lc(v) * g), x, grad_x)
    for param in (lc.weight, lc.bias):
        lc.zero_grad()
        lc(x)
        lc.backward(g)
        analytic = param.grad.copy()

        def loss(values, param=param):
            saved = param.data.copy()
            param.data[...] = values
            try:
                return np.sum(lc(x) * g)
            finally:
                param.data[...] = saved

        gradcheck(loss, param.data.copy(), analytic)


def test_locally_connected_rejects_the_wrong_input_shape():
    lc = m.LocallyConnected2d(1, 2, (8, 8), 3)
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        lc(np.zeros((2, 1, 8, 9), dtype=np.float32))


def test_global_max_pool_and_its_gradient():
    rng = np.random.default_rng(4)
    pool = m.GlobalMaxPool2d()
    x = rng.normal(size=(3, 2, 4, 5))
    np.testing.assert_allclose(pool(x), x.reshape(3, 2, -1).max(axis=2))
    g = rng.normal(size=(3, 2))
    gradcheck(lambda v: np.sum(pool(v) * g), x, pool.backward(g))
    with pytest.raises(ValueError):
        pool(np.zeros((3, 4)))


def test_unflatten_round_trip():
    layer = m.Unflatten((2, 3, 4))
    x = np.arange(2 * 24, dtype=float).reshape(2, 24)
    out = layer(x)
    assert out.shape == (2, 2, 3, 4)
    np.testing.assert_array_equal(layer.backward(out), x)
    with pytest.raises(ValueError):
        layer(np.zeros((2, 23)))


def test_place_digits_puts_each_digit_where_asked():
    digits = np.random.default_rng(5).random((3, 1, 8, 8)).astype(np.float32)
    canvas = m.place_digits(digits, left=8)
    assert canvas.shape == (3, 1, 8, 16) and canvas.dtype == np.float32
    np.testing.assert_array_equal(canvas[..., 8:], digits)
    assert not canvas[..., :8].any()
    with pytest.raises(ValueError):
        m.place_digits(digits, left=9)


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


def test_voter_label_depends_on_interactions_only():
    # Every pair in the listed order is beyond a filter of 3; the label is built from
    # products, so no single column predicts it.
    assert m.pairs_within_reach(list(m.VOTER_COLUMNS)) == 0
    _, X, y = m.make_voter_table(n=4000, seed=1)
    for column in X.T:
        assert abs(np.corrcoef(column, y)[0, 1]) < 0.1


def test_pairs_within_reach_counts_neighbouring_pairs():
    order = ["age", "urban", "income", "sex", "children", "hours", "education", "married"]
    # age-urban 1 apart, income-children 2, sex-hours 2, education-married 1
    assert m.pairs_within_reach(order) == 4
    assert m.pairs_within_reach(order, reach=1) == 2


def test_column_order_experiment_keeps_the_dense_net_fixed():
    result = m.column_order_experiment(_permute_first_layer, n_orders=2, n=300, n_train=200,
                                       epochs=3, seed=0)
    assert len(result.orders) == 3
    assert result.orders[0] == list(m.VOTER_COLUMNS)
    assert sorted(result.orders[1]) == sorted(m.VOTER_COLUMNS)
    assert all(result.dense_same_predictions)
    assert result.dense_accuracy[0] == result.dense_accuracy[1] == result.dense_accuracy[2]
    assert all(0 <= a <= 1 for a in result.cnn_accuracy)
    assert result.reachable_pairs[0] == 0


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
        (m.plot_accuracies({("dense", "original"): [0.9, 0.91], ("dense", "shuffled"): [0.9, 0.91],
                            ("cnn", "original"): [0.95, 0.94],
                            ("cnn", "shuffled"): [0.85, 0.86]}), 72),
        (m.plot_column_orders(m.ColumnOrderResult(
            orders=[list(m.VOTER_COLUMNS)] * 3, dense_accuracy=[0.9] * 3,
            cnn_accuracy=[0.5, 0.7, 0.8], dense_same_predictions=[True] * 3,
            reachable_pairs=[0, 1, 2])), 72),
        (m.show_digits(m.place_digits(digits, 4)), 72),
    ]
    for fig, dpi in figures:
        assert len(render_frame(fig, dpi=dpi)) < 20_000


def test_touching_pairs_kept_counts_pairs_that_still_share_an_edge():
    grid = np.arange(16).reshape(4, 4)
    assert m.touching_pairs_kept(grid.ravel(), 4) == (24, 24)
    assert m.touching_pairs_kept(np.rot90(grid).ravel(), 4) == (24, 24)
    # Pixels 1 and 3 of a 2 x 2 image swap places: the pairs (0, 1) and (2, 3)
    # become diagonal, (0, 2) and (1, 3) still touch.
    two = np.array([0, 3, 2, 1])
    assert m.touching_pairs_kept(two, 2) == (2, 4)
    # Against a count by brute force over every pair, for a random shuffle.
    perm = m.pixel_permutation(25, 2)
    where = {int(p): divmod(k, 5) for k, p in enumerate(perm)}
    before = [(a, b) for a in range(25) for b in range(a + 1, 25)
              if abs(a // 5 - b // 5) + abs(a % 5 - b % 5) == 1]
    after = sum(abs(where[a][0] - where[b][0]) + abs(where[a][1] - where[b][1]) == 1
                for a, b in before)
    assert m.touching_pairs_kept(perm, 5) == (after, len(before)) == (after, 40)
