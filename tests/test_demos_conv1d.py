"""Tests for cnn_helpers.demos.conv1d: the worked example, Toeplitz matrices, filters, helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnn_helpers as ch  # noqa: E402
from cnn_helpers.demos import conv1d as c  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_worked_example_of_the_notes():
    y = ch.conv1d(c.EXAMPLE_SIGNAL, c.EXAMPLE_FILTER)
    np.testing.assert_allclose(y, [-1, 0, -1, 0, -2, 1, -1, 0])
    np.testing.assert_allclose(ch.relu(y), [0, 0, 0, 0, 0, 1, 0, 0])


def test_dilation_frame_and_its_limits():
    fig = c.plot_dilation(3, n=15)
    assert "spans 3·(3 − 1) + 1 = 7 inputs" in fig.axes[0].get_title()
    assert "9 outputs" in fig.axes[0].get_title()
    assert ch.conv_output_size(15, 3, dilation=3) == 9
    with pytest.raises(ValueError):
        c.plot_dilation(8, n=15)


def test_frequency_responses_of_the_smoothers():
    # An averaging filter passes a constant (gain 1 at frequency 0).
    fig = c.plot_frequency_responses({"box": c.box_filter(5), "Gaussian": c.gaussian_filter(2)})
    for line in fig.axes[0].get_lines():
        assert abs(line.get_ydata()[0] - 1.0) < 1e-9


def test_smoothing_filters_average():
    for width in (1, 4, 21):
        w = c.box_filter(width)
        assert w.shape == (width,)
        np.testing.assert_allclose(w.sum(), 1.0)
    g = c.gaussian_filter(2.0)
    assert g.shape == (2 * 6 + 1,)
    np.testing.assert_allclose(g.sum(), 1.0)
    np.testing.assert_allclose(g, g[::-1])
    assert g.argmax() == 6
    with pytest.raises(ValueError):
        c.box_filter(0)
    with pytest.raises(ValueError):
        c.gaussian_filter(0.0)


def test_one_hot_dna_and_motif_filter():
    x = c.one_hot_dna("acgtA")
    np.testing.assert_array_equal(x, [[1, 0, 0, 0, 1], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0],
                                      [0, 0, 0, 1, 0]])
    w = c.motif_filter("GTA")
    assert w.shape == (1, 4, 3)
    np.testing.assert_allclose(ch.conv1d(x, w)[0], [0, 0, 3])
    with pytest.raises(ValueError):
        c.one_hot_dna("ACGU")






def test_figures_render_small():
    from cnn_helpers.widgets import render_frame

    t = np.arange(200) * 0.01
    v = np.sin(t * 3) + 0.1 * np.random.default_rng(0).normal(size=200)
    figures = [
        c.plot_sliding_step(c.EXAMPLE_SIGNAL, c.EXAMPLE_FILTER, 7, bias=1.0),
        c.plot_bias_rows(c.EXAMPLE_SIGNAL, c.EXAMPLE_FILTER, [1.0, 0.0, -1.0]),
        c.plot_padding_stride(3, 3),
        c.plot_toeplitz(np.eye(8, 10) - np.eye(8, 10, 1), c.EXAMPLE_SIGNAL),
        c.plot_dilation(2),
        c.plot_frequency_responses({"box": c.box_filter(21)}),
        c.plot_smoothing(t, v, 9, window=slice(0, 150), max_width=21),
        c.plot_signal_filters(t, v, {"smooth": ch.conv1d(v, c.box_filter(5), padding="same")}),
        c.plot_motif_scan("ACGTATAAGC", "TATAA"),
    ]
    for fig in figures:  # the chapter's sliders render at 100 dpi
        assert len(render_frame(fig, dpi=100)) < 20_000
