"""Tests for cnn_helpers.demos.pooling: the chapter 5 figures and the shift experiment."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnn_helpers as ch  # noqa: E402
from cnn_helpers.demos import pooling  # noqa: E402


def test_worked_map_and_its_poolings():
    x = pooling.worked_relu_map()
    assert x.shape == (6, 6) and x.sum() == 2 and x[1, 4] == x[3, 1] == 1
    np.testing.assert_array_equal(ch.max_pool2d(x, 3, 3), [[0, 1], [1, 0]])


@pytest.mark.parametrize("out_shape", [(4, 4), (2, 2), (3, 5)])
def test_window_at_visits_every_window_in_order(out_shape):
    cells = [pooling.window_at(step, 16, out_shape) for step in range(16)]
    assert cells[0] == (0, 0)
    flat = [r * out_shape[1] + c for r, c in cells]
    assert flat == sorted(flat)
    n = out_shape[0] * out_shape[1]
    if n <= 16:
        assert set(flat) == set(range(n))


def test_shift_right_moves_and_fills_with_zeros():
    x = np.arange(12.0).reshape(1, 3, 4)
    moved = pooling.shift_right(x, 1)
    np.testing.assert_array_equal(moved[..., 1:], x[..., :-1])
    np.testing.assert_array_equal(moved[..., 0], 0)
    np.testing.assert_array_equal(pooling.shift_right(x, 0), x)


def test_edge_kernels_sum_to_zero_and_are_distinct():
    k = pooling.edge_kernels()
    assert k.shape == (4, 1, 3, 3)
    np.testing.assert_allclose(k.sum(axis=(1, 2, 3)), 0)
    assert len({kk.tobytes() for kk in k}) == 4


def test_big_digits_have_a_blank_margin():
    d = pooling.big_digits(n=5, factor=3, margin=6)
    assert d.shape == (5, 1, 36, 36)
    assert np.all(d[..., :6, :] == 0) and np.all(d[..., :, -6:] == 0)


def test_conv_is_equivariant_and_a_shift_by_the_stride_moves_the_pooled_map_one_cell():
    digits = pooling.big_digits(n=10)
    maps = pooling.conv_features(digits)
    np.testing.assert_allclose(pooling.conv_features(pooling.shift_right(digits, 2)),
                               pooling.shift_right(maps, 2), atol=1e-12)
    moved = pooling.conv_features(pooling.shift_right(digits, 4))
    np.testing.assert_array_equal(ch.max_pool2d(moved, 4),
                                  pooling.shift_right(ch.max_pool2d(maps, 4), 1))


def test_oriented_filters_are_zero_mean_rotations():
    bank = pooling.oriented_filters([0, 45, 90])
    assert bank.shape == (3, 1, 15, 15)
    np.testing.assert_allclose(bank.sum(axis=(1, 2, 3)), 0, atol=1e-12)
    # 90 degrees apart: the same filter turned by a quarter (np.rot90 is exact on the grid).
    np.testing.assert_allclose(np.rot90(bank[0, 0]), bank[2, 0], atol=1e-12)


def test_bars_and_tuning():
    angles = np.arange(0, 181, 15)
    bars = pooling.bar_images(angles)
    assert bars.shape == (len(angles), 1, 15, 15)
    assert 0 <= bars.min() and bars.max() == 1
    np.testing.assert_allclose(bars[0], bars[-1], atol=1e-12)  # 0 and 180 degrees
    bank = pooling.oriented_filters(angles[:-1])
    r = ch.conv2d(bars, bank)[:, :, 0, 0]
    # Each detector answers its own orientation best.
    assert np.all(np.argmax(r[:-1], axis=0) == np.arange(len(angles) - 1))


def test_face_crop_is_grey_in_unit_range():
    face = pooling.face_crop()
    assert face.shape == (100, 100)
    assert 0 <= face.min() and face.max() <= 1


def test_draw_functions_return_figures():
    x = pooling.worked_relu_map()
    small = np.arange(16.0).reshape(4, 4)
    digits = pooling.big_digits(n=2)
    figs = [
        pooling.draw_pool_window(x, 3, 1, 5),
        pooling.draw_pool_window(x, 3, 3, 15),
        pooling.draw_three_poolings(small),
        pooling.draw_image_pooling(np.random.default_rng(0).random((20, 20)), 4),
        pooling.draw_shift(digits[0], 1, [0, 1], np.array([0, 1.0]), np.array([0, 0.5])),
        pooling.draw_maxpool_gradient(small, np.ones((2, 2))),
        pooling.draw_change_curves([0, 1], {"a": np.zeros((2, 3)), "b": np.ones((2, 3))}),
        pooling.draw_tuning(np.array([0, 90]), np.array([[1.0, 0.0], [0.0, 1.0]]), [0, 90]),
    ]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)


def test_three_poolings_share_one_grey_scale():
    """Equal values get equal shades in every panel of Figure 5.1."""
    small = np.array([[0, 2, 1, 0], [3, 1, 0, 4], [0, 0, 2, 2], [1, 0, 2, 0]], dtype=float)
    fig = pooling.draw_three_poolings(small)
    tops = [image.norm.vmax for ax in fig.axes for image in ax.get_images()]
    assert tops == [pytest.approx(np.sqrt(17))] * 4  # the largest value shown, an L2 cell
    plt.close(fig)
