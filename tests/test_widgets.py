"""Sliders built from precomputed frames and linked in the browser."""

import ipywidgets as widgets
import matplotlib
from ipywidgets.widgets.widget_link import Link

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_helpers import plotting  # noqa: E402
from cnn_helpers.widgets import (  # noqa: E402
    frame_slider,
    frame_slider_2d,
    render_frame,
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
    assert box.stats.max_bytes <= 20_000


def test_frame_slider_links_slider_index_to_the_stack():
    box = frame_slider(_draw, [0.5, 1.0, 1.5], description="f", start=1)
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider)
    assert isinstance(stack, widgets.Stack)
    assert [label for label, _ in slider.options] == ["0.5", "1", "1.5"]
    assert len(stack.children) == 3
    assert all(isinstance(c, widgets.Image) for c in stack.children)
    assert slider.index == stack.selected_index == 1
    (link,) = box.links
    assert isinstance(link, Link)
    assert link.source == (slider, "index")
    assert link.target == (stack, "selected_index")
    frames = [c.value for c in stack.children]
    assert len(set(frames)) == 3, "every value must get its own picture"
    assert box.stats.count == 3
    assert box.stats.max_bytes == max(len(f) for f in frames)
    assert box.stats.total_bytes == sum(len(f) for f in frames)
    assert box.stats.seconds > 0


def test_frame_slider_2d_nests_one_stack_per_first_value():
    box = frame_slider_2d(_draw, [0, 1], [0, 1, 2], descriptions=("a", "b"))
    sliders, outer = box.children
    slider_a, slider_b = sliders.children
    assert len(outer.children) == 2
    assert all(len(inner.children) == 3 for inner in outer.children)
    targets = {link.target[0] for link in box.links}
    assert targets == {outer, *outer.children}
    sources = {link.source[0] for link in box.links}
    assert sources == {slider_a, slider_b}
    assert box.stats.count == 6


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="empty"):
        frame_slider(_draw, [])
    with pytest.raises(TypeError, match="Figure"):
        render_frame("not a figure")


def test_show_matrix_leaves_uncomputed_cells_blank():
    grid = np.array([[1.0, -2.0], [np.nan, np.nan]])
    ax = plotting.show_matrix(grid)
    assert sorted(t.get_text() for t in ax.texts) == ["-2", "1"]
    plt.close(ax.figure)
