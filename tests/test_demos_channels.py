"""Tests for cnn_helpers.demos.channels, the figures and counts of chapter 4."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnn_helpers as ch  # noqa: E402
from cnn_helpers.demos import channels as demo  # noqa: E402
from cnn_helpers.widgets import render_frame  # noqa: E402


@pytest.fixture(scope="module")
def rgb():
    return demo.small_rgb(factor=6)


def test_small_rgb_is_channels_first_block_mean(rgb):
    full = ch.data.load_sample_image().astype(float)
    assert rgb.shape == (3, 100, 85)
    assert rgb[2, 5, 7] == pytest.approx(full[30:36, 42:48, 2].mean())


def test_filter_bank_shapes_and_meaning(rgb):
    weight, bias = demo.filter_bank()
    assert weight.shape == (4, 3, 3, 3) and bias.shape == (4,)
    assert len(demo.FILTER_BANK_NAMES) == 4
    maps = ch.conv2d(rgb, weight, bias)
    inner = (slice(1, -1), slice(1, -1))
    # filter 1 is red minus green, pixel by pixel
    np.testing.assert_allclose(maps[1], rgb[0][inner] - rgb[1][inner], atol=1e-12)
    # filter 2 sees only the blue channel
    assert not weight[2, :2].any() and weight[2, 2].any()
    # filter 3 is a box blur of red shifted by -0.5
    blur = ch.conv2d(rgb[0], np.full((3, 3), 1 / 9)) - 0.5
    np.testing.assert_allclose(maps[3], blur, atol=1e-12)
    # filter 0 gives 0 on a grey (equal-channel) flat image
    flat = np.full((3, 5, 5), 0.7)
    np.testing.assert_allclose(ch.conv2d(flat, weight[:1])[0], 0.0, atol=1e-12)


def test_time_ms_returns_mean_and_spread_and_calls_f():
    calls = []
    t = demo.time_ms(calls.append, 1, repeats=5)
    assert len(calls) == 6  # one warm-up call, then the timed ones
    assert 0 <= t["best"] <= t["mean"] and t["sd"] >= 0


def test_luminance_mix_is_the_grey_photo():
    weights = np.array(demo.MIXES["luminance (0.299, 0.587, 0.114)"])
    rgb_hwc = ch.data.load_sample_image()
    grey = ch.conv2d(np.moveaxis(rgb_hwc, -1, 0), weights.astype(np.float32).reshape(1, 3, 1, 1))[0]
    np.testing.assert_allclose(grey, ch.data.load_sample_image(grey=True), rtol=1e-5, atol=1e-6)


def _frame_ok(fig):
    png = render_frame(fig)
    assert png.startswith(b"\x89PNG")
    assert len(png) <= 20_000
    assert not plt.get_fignums()


@pytest.mark.parametrize("name", ["plain mean", "red - blue"])
def test_mix_frames(rgb, name):
    _frame_ok(demo.draw_mix(rgb, name))


@pytest.mark.parametrize("k, part", [(0, "red"), (2, "blue"), (3, "sum")])
def test_filter_part_frames(rgb, k, part):
    fig = demo.draw_filter_part(rgb, k, part)
    titles = [ax.get_title() for ax in fig.axes]
    assert (f"feature map {k}" in titles) == (part == "sum")
    _frame_ok(fig)


def test_im2col_frame_outlines_the_window_column():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(1, 3, 4, 4)).astype(float)
    w = rng.integers(-1, 2, size=(2, 3, 2, 2)).astype(float)
    fig = demo.draw_im2col_step(x, w, 4)
    titles = [ax.get_title() for ax in fig.axes]
    assert "patches as columns (12, 9)" in titles
    assert "filters x patches (2, 9)" in titles
    _frame_ok(fig)


def test_draw_channels(rgb):
    fig = demo.draw_channels(rgb)
    assert [ax.get_title() for ax in fig.axes][1:] == ["red channel", "green channel", "blue channel"]
    plt.close(fig)
