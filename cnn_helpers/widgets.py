"""Sliders that keep working in the published book, where no Python kernel runs.

A plain ``interact`` callback needs a kernel: in a static page its slider moves and nothing
happens. These sliders instead render every frame up front (a matplotlib figure turned into a
small PNG), stack the frames in an ``ipywidgets.Stack`` and link the slider to the stack's
``selected_index`` with ``jslink``. The link runs in the browser, so the same widget works in
live Jupyter, on Binder or Colab, and in the static HTML page.

Typical use::

    def draw(shift):
        fig, ax = plt.subplots()
        ...
        return fig

    frame_slider(draw, range(0, 6), description="shift")

Two parameters work as well: :func:`frame_slider_2d` nests one stack per value of the first
parameter inside an outer stack.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["FrameStats", "frame_slider", "frame_slider_2d", "render_frame", "render_frames"]

# Palette PNGs of line art and heat maps stay well under 20 KB at book width.
DEFAULT_DPI = 72
PALETTE_COLOURS = 128


@dataclass(frozen=True)
class FrameStats:
    """Sizes of the frames behind one slider, and the time it took to draw them."""

    count: int
    total_bytes: int
    max_bytes: int
    seconds: float = 0.0

    @classmethod
    def of(cls, frames: Sequence[bytes], seconds: float = 0.0) -> FrameStats:
        sizes = [len(f) for f in frames]
        return cls(count=len(sizes), total_bytes=sum(sizes), max_bytes=max(sizes, default=0),
                   seconds=seconds)


def render_frame(fig: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """Render a matplotlib figure to compact PNG bytes and close it.

    The figure is quantised to a palette: it keeps plots crisp while making each frame a few
    kilobytes, which matters because every frame is embedded in the page.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB")
    paletted = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    paletted.save(out, format="png", optimize=True)
    return out.getvalue()


def render_frames(
    draw: Callable[..., Figure], values: Iterable, dpi: int = DEFAULT_DPI
) -> list[bytes]:
    """Call ``draw(value)`` for every value and render each figure to PNG bytes."""
    return [render_frame(draw(value), dpi=dpi) for value in values]


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _stack_of(frames: Sequence[bytes]) -> widgets.Stack:
    images = [widgets.Image(value=frame, format="png") for frame in frames]
    return widgets.Stack(children=images, selected_index=0)


def _slider(values: Sequence, description: str, start: int) -> widgets.SelectionSlider:
    # SelectionSlider shows the parameter's own value while its integer `index` trait drives
    # the stack, so parameters need not be 0, 1, 2, ...
    options = [(_label(v), i) for i, v in enumerate(values)]
    return widgets.SelectionSlider(
        options=options,
        index=start,
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="420px"),
    )


def _check_values(values: Sequence, name: str) -> None:
    if len(values) == 0:
        raise ValueError(f"{name} is empty: a slider needs at least one value")


def frame_slider(
    draw: Callable[..., Figure],
    values: Iterable,
    description: str = "",
    start: int = 0,
    dpi: int = DEFAULT_DPI,
) -> widgets.VBox:
    """A slider over ``values`` that shows the figure ``draw(value)`` for each one.

    Parameters
    ----------
    draw : callable
        ``draw(value) -> matplotlib.figure.Figure``; called once per value, up front.
    values : iterable
        The parameter values the slider steps through.
    description : str
        The label shown beside the slider.
    start : int
        Index of the value shown first.

    Returns
    -------
    ipywidgets.VBox
        The slider above the picture. ``box.stats`` holds the :class:`FrameStats`,
        ``box.links`` the browser-side link between slider and pictures.
    """
    values = list(values)
    _check_values(values, "values")
    started = time.perf_counter()
    frames = render_frames(draw, values, dpi=dpi)
    seconds = time.perf_counter() - started
    stack = _stack_of(frames)
    slider = _slider(values, description, start)
    stack.selected_index = start
    link = widgets.jslink((slider, "index"), (stack, "selected_index"))
    box = widgets.VBox([slider, stack])
    box.stats = FrameStats.of(frames, seconds)
    box.links = [link]
    return box


def frame_slider_2d(
    draw: Callable[..., Figure],
    values_a: Iterable,
    values_b: Iterable,
    descriptions: tuple[str, str] = ("", ""),
    start: tuple[int, int] = (0, 0),
    dpi: int = DEFAULT_DPI,
) -> widgets.VBox:
    """Two sliders over ``values_a`` x ``values_b`` showing ``draw(a, b)``.

    The outer stack holds one inner stack per value of ``a``; every inner stack is linked to
    the second slider, the outer one to the first. All frames are rendered up front, so keep
    the grid small (a few dozen frames).
    """
    values_a, values_b = list(values_a), list(values_b)
    _check_values(values_a, "values_a")
    _check_values(values_b, "values_b")
    slider_a = _slider(values_a, descriptions[0], start[0])
    slider_b = _slider(values_b, descriptions[1], start[1])
    inner_stacks, all_frames, links = [], [], []
    started = time.perf_counter()
    for a in values_a:
        frames = render_frames(lambda b, a=a: draw(a, b), values_b, dpi=dpi)
        all_frames.extend(frames)
        inner = _stack_of(frames)
        inner.selected_index = start[1]
        links.append(widgets.jslink((slider_b, "index"), (inner, "selected_index")))
        inner_stacks.append(inner)
    outer = widgets.Stack(children=inner_stacks, selected_index=start[0])
    links.append(widgets.jslink((slider_a, "index"), (outer, "selected_index")))
    box = widgets.VBox([widgets.HBox([slider_a, slider_b]), outer])
    box.stats = FrameStats.of(all_frames, time.perf_counter() - started)
    box.links = links
    return box
