"""Tests for cnn_helpers.demos.backprop: photo patches, timing helper, buggy backwards, figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnn_helpers as ch  # noqa: E402
from cnn_helpers.demos import backprop  # noqa: E402


def test_sobel_is_the_classic_kernel():
    np.testing.assert_array_equal(backprop.SOBEL_X, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def test_photo_patches_are_standardised():
    p = backprop.photo_patches(n=3, size=16, seed=1)
    assert p.shape == (3, 1, 16, 16)
    np.testing.assert_allclose(p.mean(axis=(1, 2, 3)), 0, atol=1e-9)
    np.testing.assert_allclose(p.std(axis=(1, 2, 3)), 1, atol=1e-5)  # up to the 1e-8 guard


def test_buggy_backwards_are_wrong_only_where_they_should_be():
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal(8), rng.standard_normal(6)
    asym = np.array([1.0, 2.0, -1.0])
    sym = np.array([-1.0, 1.0, -1.0])
    right_x, right_w, _ = ch.conv1d_backward(g, x, asym)
    assert not np.allclose(backprop.conv1d_backward_no_flip(g, x, asym), right_x)
    np.testing.assert_allclose(backprop.conv1d_backward_no_flip(g, x, sym),
                               ch.conv1d_backward(g, x, sym)[0])
    np.testing.assert_allclose(backprop.conv1d_backward_wrong_sign(g, x, asym), -right_w)
    with pytest.raises(AssertionError):
        ch.gradcheck(lambda _: np.sum(ch.conv1d(x, asym) * g), x,
                     backprop.conv1d_backward_no_flip(g, x, asym))


def test_median_time_and_conv_timings():
    calls = []
    assert backprop.median_time(lambda: calls.append(1), repeats=3) >= 0
    assert len(calls) == 3
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    times = backprop.conv_timings(x, w, ch.reference.conv2d, loop_repeats=1, fast_repeats=2)
    assert set(times) == {"loop", "loop_runs", "fast", "unfold", "matmul"}
    assert all(times[key] > 0 for key in ["loop", "fast", "unfold", "matmul"])
    assert len(times["loop_runs"]) == 1 and times["loop"] == times["loop_runs"][0]


def test_shift_add_timings_time_both_functions_on_the_same_input():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    seen = []
    times = backprop.shift_add_timings(x, w, lambda a, b: seen.append((a, b)), repeats=2)
    assert set(times) == {"shift_add", "im2col"} and all(t > 0 for t in times.values())
    assert len(seen) == 2 and all(a is x and b is w for a, b in seen)


def test_draw_functions_return_figures():
    kernels = np.stack([t * backprop.SOBEL_X for t in np.linspace(0, 1, 4)])
    fit = backprop.KernelFit(kernels, np.array([4.0, 1.0, 0.25, 0.0625]))
    small = np.arange(36.0).reshape(6, 6) % 7
    for fig in [backprop.draw_kernel_step(fit, 2, backprop.SOBEL_X),
                backprop.draw_gradient_routing(small, backprop.SOBEL_X, (3, 1))]:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
