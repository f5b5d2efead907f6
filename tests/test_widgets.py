"""Sliders built from precomputed frames and linked in the browser."""

import base64
import html
import io
import json
import re

import ipywidgets as widgets
import matplotlib
from ipywidgets.widgets.widget_link import Link

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cnn_helpers import plotting  # noqa: E402
from cnn_helpers.widgets import (  # noqa: E402
    COLUMN_PX,
    DEFAULT_DPI,
    MAX_FRAME_BYTES,
    MIN_TEXT_PX,
    frame_slider,
    frame_slider_2d,
    render_frame,
    smallest_text_pt,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _draw(value, other=0):
    fig, ax = plotting.subplots(height=2.4)
    grid = np.linspace(0, 1, 40)
    ax.plot(grid, np.sin(6 * grid * (1 + value)) + other)
    ax.set_title(f"value {value}, other {other}")
    return fig


def test_render_frame_gives_a_small_png_and_closes_the_figure():
    before = len(plt.get_fignums())
    png = render_frame(_draw(1))
    assert png.startswith(PNG_MAGIC)
    assert len(png) <= 20_000
    assert len(plt.get_fignums()) == before


def test_heat_map_frames_stay_under_the_size_budget():
    image = np.random.default_rng(0).normal(size=(28, 28))

    def draw(k):
        fig, axes = plotting.subplots(1, 2, height=2.6)
        plotting.show_matrix(image, ax=axes[0], annotate=False)
        plotting.show_matrix(np.roll(image, k, axis=1), ax=axes[1], annotate=False)
        return fig

    box = frame_slider(draw, range(3))
    assert box.stats.max_bytes <= MAX_FRAME_BYTES
    # The heat map is embedded at its own 28 x 28 resolution and drawn with crisp pixels.
    frame = box.children[1].children[0].value
    assert "<image" in frame and "image-rendering:pixelated" in frame


def test_frame_slider_links_slider_index_to_the_stack():
    box = frame_slider(_draw, [0.5, 1.0, 1.5], description="f", start=1,
                       alt="A sine at frequency {value}")
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider)
    assert isinstance(stack, widgets.Stack)
    assert [label for label, _ in slider.options] == ["0.5", "1", "1.5"]
    assert slider.description == "f"
    assert len(stack.children) == 3
    assert all(isinstance(c, widgets.HTML) for c in stack.children)
    assert slider.index == stack.selected_index == 1
    (link,) = box.links
    assert isinstance(link, Link)
    assert link.source == (slider, "index")
    assert link.target == (stack, "selected_index")
    frames = [c.value for c in stack.children]
    assert len(set(frames)) == 3, "every value must get its own picture"
    assert [_alt(f) for f in frames] == [f"A sine at frequency {v}" for v in ["0.5", "1", "1.5"]]
    assert box.stats.count == 3
    assert box.stats.max_bytes == max(len(json.dumps(f)) for f in frames)
    assert box.stats.total_bytes == sum(len(json.dumps(f)) for f in frames)
    assert box.stats.seconds > 0


def _alt(frame: str) -> str:
    match = re.search(r'(?:aria-label|alt)="([^"]*)"', frame)
    return html.unescape(match[1]) if match else ""


def test_line_art_frames_are_svg_with_their_text_as_text():
    frame = frame_slider(_draw, [2], description="f").children[1].children[0].value
    assert frame.startswith('<div class="cnn-frame tex2jax_ignore"><svg')
    assert re.search(r"<text[^>]*>value 2, other 0</text>", frame), "the title must stay text"
    assert 'role="img"' in frame
    # matplotlib's page-wide style sheet and its date stay out of the page.
    assert "<style" not in frame and "<metadata" not in frame and "<?xml" not in frame
    width = int(re.search(r'<svg[^>]* width="(\d+)"', frame)[1])
    assert width == pytest.approx(7.0 * DEFAULT_DPI, rel=0.15), "shown at the book's width"


def test_frames_of_one_page_do_not_share_ids():
    box = frame_slider(_draw, [0, 1])
    ids = [re.findall(r'\sid="([^"]+)"', c.value) for c in box.children[1].children]
    assert ids[0] and ids[1], "clip paths keep their ids"
    assert not set(ids[0]) & set(ids[1])
    for frame, own in zip((c.value for c in box.children[1].children), ids, strict=True):
        assert set(re.findall(r"url\(#([^)]+)\)", frame)) <= set(own), "a reference dangles"


def test_frames_are_the_same_on_every_run():
    first = frame_slider(_draw, [1]).children[1].children[0].value
    second = frame_slider(_draw, [1]).children[1].children[0].value
    assert first == second


def test_alt_text_default_callable_and_two_parameters():
    box = frame_slider(_draw, [3, 4], description="shift")
    assert [_alt(c.value) for c in box.children[1].children] == [
        "Figure for shift = 3", "Figure for shift = 4"]
    box = frame_slider(_draw, [3], alt=lambda v: f"{v * 10} units")
    assert _alt(box.children[1].children[0].value) == "30 units"
    box = frame_slider_2d(_draw, [0, 1], [0.5, 2.0], descriptions=("a", "b"),
                          alt="a={a} & b={b}")
    inner = box.children[1].children[1]
    assert [_alt(c.value) for c in inner.children] == ["a=1 & b=0.5", "a=1 & b=2"]
    with pytest.raises(ValueError, match="alt text"):
        frame_slider(_draw, [1], alt=lambda v: "  ")


def test_a_frame_over_the_budget_is_refused():
    with pytest.raises(ValueError, match="max_frame_bytes=2000"):
        frame_slider(_draw, [1, 2], max_frame_bytes=2000)


def test_a_large_photo_is_embedded_at_twice_its_shown_size():
    # Far more pixels than the frame shows: the SVG keeps only what a HiDPI screen uses.
    noise = np.random.default_rng(0).random((600, 600))

    def draw(_):
        fig, ax = plotting.subplots(height=1.2, width=1.2)
        ax.imshow(noise, cmap="gray")
        return fig

    frame = frame_slider(draw, [0], alt="noise").children[1].children[0].value
    data = re.search(r"data:image/(?:png|jpeg);base64,([^\"]+)", frame)[1]
    pixels = Image.open(io.BytesIO(base64.b64decode(data))).size
    assert pixels[0] <= 2 * 1.2 * DEFAULT_DPI
    assert pixels[0] >= 1.5 * 0.8 * DEFAULT_DPI, "still sharp at twice the shown size"


def test_a_drawing_too_heavy_as_svg_goes_out_as_a_sharp_png():
    points = np.random.default_rng(0).random((2, 1500))

    def draw(_):
        fig, ax = plotting.subplots(height=2, width=3)
        ax.scatter(*points, s=2)
        return fig

    frame = frame_slider(draw, [0], alt="dots").children[1].children[0].value
    match = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="dots" '
                      r'width="(\d+)" height="(\d+)"', frame)
    assert match, frame[:200]
    pixels = Image.open(io.BytesIO(base64.b64decode(match[1]))).size
    assert pixels == pytest.approx((2 * int(match[2]), 2 * int(match[3])), abs=2)


def test_static_figures_are_svg_with_text_and_stable():
    fig, ax = plotting.subplots()
    ax.set_title("a title")
    ax.imshow(np.eye(3))
    first, second = plotting._figure_svg(fig), plotting._figure_svg(fig)
    plt.close(fig)
    assert first == second, "the same figure must give the same bytes"
    assert re.search(r"<text[^>]*>a title</text>", first)
    assert "image-rendering:pixelated" in first


def test_the_book_style_draws_text_at_least_as_large_as_the_small_print():
    # Tick labels, titles, legends and the numbers in grids, at the shown size of a figure
    # inch (DEFAULT_DPI CSS px), reach the page's small print.
    fig, axes = plotting.subplots(1, 2)
    axes[0].plot([0, 1], label="a line")
    axes[0].legend()
    axes[0].set_xlabel("x")
    plotting.show_matrix(np.arange(6).reshape(2, 3), ax=axes[1], title="a grid")
    fig.canvas.draw()
    smallest = smallest_text_pt(fig)
    plt.close(fig)
    assert smallest * DEFAULT_DPI / 72 >= MIN_TEXT_PX


def test_a_frame_with_text_below_the_small_print_is_refused():
    def draw(value):
        fig = _draw(value)
        fig.axes[0].set_xlabel("time", fontsize=8)
        return fig

    with pytest.raises(ValueError, match=r"'small' shows text at 10\.7 px.*min_text_px"):
        frame_slider(draw, [1], alt="small")
    assert frame_slider(_draw, [1]).stats.count == 1


def test_a_frame_wider_than_the_column_must_carry_larger_text():
    # Shown at COLUMN_PX, a frame 1.6 times as wide shows its 11 pt text at 9.2 px.
    def wide(_):
        fig, ax = plotting.subplots(width=1.6 * COLUMN_PX / DEFAULT_DPI, height=2)
        ax.plot([0, 1])
        return fig

    with pytest.raises(ValueError, match="min_text_px"):
        frame_slider(wide, [0], alt="wide")
    box = frame_slider(wide, [0], alt="wide", min_text_px=8)
    assert box.stats.count == 1


def test_a_bitmap_frame_says_how_large_its_text_is():
    # The browser cannot size text in a PNG, so the frame carries it: its smallest font,
    # at the frame's own width, in CSS px.
    points = np.random.default_rng(0).random((2, 1500))

    def draw(_):
        fig, ax = plotting.subplots(height=2, width=3)
        ax.scatter(*points, s=2)
        ax.tick_params(labelsize=12)
        ax.set_title("dots", fontsize=13)
        return fig

    frame = frame_slider(draw, [0], alt="dots").children[1].children[0].value
    assert "<img" in frame
    assert re.search(r'data-text-px="([\d.]+)"', frame)[1] == f"{12 * DEFAULT_DPI / 72:.2f}"
