"""Sliders that keep working in the published book, where no Python kernel runs.

A plain ``interact`` callback needs a kernel: in a static page its slider moves and nothing
happens. These sliders instead render every frame up front, stack the frames in an
``ipywidgets.Stack`` and link the slider to the stack's ``selected_index`` with ``jslink``.
The link runs in the browser, so the same widget works in live Jupyter, on Binder or Colab,
and in the static HTML page.

Every frame is drawn sharp for any screen: as inline SVG with its text kept as text when
the figure is line art, numbers and grids, and otherwise as a PNG at twice the shown size.
Every frame carries a text alternative that names what it shows, and every slider a label,
so a screen reader announces both.
No frame shows text smaller than the page's small print: a frame whose smallest text
would be shown below ``MIN_TEXT_PX`` CSS px in the book's column is refused.

Typical use::

    def draw(shift):
        fig, ax = plt.subplots()
        ...
        return fig

    frame_slider(draw, range(0, 6), description="shift",
                 alt="The signal shifted by {value} samples")

Two parameters work as well: :func:`frame_slider_2d` nests one stack per value of the first
parameter inside an outer stack.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

__all__ = [
    "COLUMN_PX",
    "MAX_FRAME_BYTES",
    "MIN_TEXT_PX",
    "FrameStats",
    "frame_slider",
    "frame_slider_2d",
    "render_frame",
    "render_frames",
    "render_svg",
    "smallest_text_pt",
]

# CSS pixels per inch of figure: a figure BOOK_WIDTH (7 in) wide is shown 672 px wide.
DEFAULT_DPI = 96
# Bitmaps are drawn at this multiple of the shown size, so they stay sharp on HiDPI screens.
PIXEL_DENSITY = 2
PALETTE_COLOURS = 128
JPEG_QUALITY = 90
# render_frame's resolution when asked for a plain PNG.
PNG_DPI = 72
# Every frame is embedded in the page; this is the most one frame may weigh there.
MAX_FRAME_BYTES = 40_000
# The book's text column is this many CSS px wide in a 1280 px window; a wider frame is
# shown scaled down to it, and its text with it.
COLUMN_PX = 684
# The page's small print (the theme's 0.9 rem <small> text): no text in a frame may be
# shown smaller than this in the column.
MIN_TEXT_PX = 14.4

# matplotlib writes a `*{stroke-linejoin: round; stroke-linecap: butt}` style sheet into its
# SVG; inline in a page it would style every SVG there, so it moves onto the root element.
_SVG_ROOT_STYLE = "stroke-linejoin:round;stroke-linecap:butt;max-width:100%;height:auto"


@dataclass(frozen=True)
class FrameStats:
    """Sizes of the frames behind one slider, and the time it took to draw them.

    Sizes are the bytes each frame adds to the page, as written into its widget state.
    """

    count: int
    total_bytes: int
    max_bytes: int
    seconds: float = 0.0

    @classmethod
    def of(cls, frames: Sequence[bytes | str], seconds: float = 0.0) -> FrameStats:
        sizes = [_page_bytes(f) for f in frames]
        return cls(count=len(sizes), total_bytes=sum(sizes), max_bytes=max(sizes, default=0),
                   seconds=seconds)


def _page_bytes(frame: bytes | str) -> int:
    if isinstance(frame, bytes):
        return len(frame)
    return len(json.dumps(frame).encode("utf-8"))


def _check_figure(fig) -> None:
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")


def _png_bytes(fig: Figure, dpi: float) -> bytes:
    """Render to a palette PNG: crisp plots at a few kilobytes a frame."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB")
    paletted = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    paletted.save(out, format="png", optimize=True)
    return out.getvalue()


def render_frame(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """Render a matplotlib figure to compact PNG bytes at ``dpi`` and close it.

    The figure is quantised to a palette: it keeps plots crisp while making each frame a few
    kilobytes, which matters because every frame is embedded in the page.
    """
    _check_figure(fig)
    try:
        return _png_bytes(fig, dpi)
    finally:
        plt.close(fig)


def render_frames(
    draw: Callable[..., Figure], values: Iterable, dpi: int = PNG_DPI
) -> list[bytes]:
    """Call ``draw(value)`` for every value and render each figure to PNG bytes."""
    return [render_frame(draw(value), dpi=dpi) for value in values]


_SVG_FONT_FAMILY = re.compile(r"font-family: ([^;\"]+)(?:; |(?=\"))")
_SVG_ID = re.compile(r'\sid="([^"]*)"')
_SVG_REF = re.compile(r'(?:url\(#|xlink:href="#|href="#)([^)"]+)')


def _svg_text(fig: Figure, image_dpi: float) -> str:
    """matplotlib's SVG with the text kept as text, no date, and stable ids."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cnn-book"}):
        fig.savefig(buffer, format="svg", dpi=image_dpi,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


def render_svg(fig: Figure, width: float | None = None, alt: str | None = None,
               dpi: float = DEFAULT_DPI) -> str:
    """An ``<svg>`` element for inline use in a page, then close the figure.

    Text stays text (``svg.fonttype: none``), so it is sharp at any zoom and can be selected.
    The element is shown at ``dpi`` CSS pixels per figure inch and never wider than its
    container; ``alt`` becomes its accessible name. Ids are made unique to the drawing, so
    several figures can share a page.
    """
    _check_figure(fig)
    try:
        text = _svg_text(fig, PIXEL_DENSITY * dpi)
    finally:
        plt.close(fig)
    return _inline_svg(text, alt, dpi)


_SVG_IMAGE = re.compile(r"<image [^>]*>")
_SVG_IMAGE_DATA = re.compile(r"data:image/png;base64,\s*([A-Za-z0-9+/=\s]+)")
_SVG_IMAGE_SCALE = re.compile(r'width="([\d.]+)"[^>]*transform="matrix\(([-\d.e]+) ')


def _lighter_bitmap(tag: str, dpi: float) -> str:
    """An embedded bitmap at no more than twice its shown size, in a palette if smaller.

    matplotlib embeds an image drawn with ``interpolation="none"`` at its own resolution;
    a large photo shown small would carry pixels no screen shows.
    """
    data = _SVG_IMAGE_DATA.search(tag)
    if data is None:
        return tag
    png = base64.b64decode(data[1])
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = _SVG_IMAGE_SCALE.search(tag)
    if scale:
        shown = float(scale[1]) * abs(float(scale[2])) * dpi / 72
        most = max(1, round(PIXEL_DENSITY * shown))
        if image.width > most:
            height = max(1, round(image.height * most / image.width))
            image = image.resize((most, height), Image.Resampling.LANCZOS)
            png = b""
    candidates = [("png", png)] if png else []
    out = io.BytesIO()
    image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT).save(
        out, format="png", optimize=True)
    candidates.append(("png", out.getvalue()))
    if min(image.size) >= 64 and image.getcolors(PALETTE_COLOURS) is None:
        # A photograph: JPEG keeps its many shades at a fraction of a palette PNG's size.
        # (Small arrays are drawn magnified, where JPEG's blocks would show.)
        out = io.BytesIO()
        image.save(out, format="jpeg", quality=JPEG_QUALITY, optimize=True)
        candidates.append(("jpeg", out.getvalue()))
    kind, best = min(candidates, key=lambda c: len(c[1]))
    encoded = f"data:image/{kind};base64," + base64.b64encode(best).decode("ascii")
    return tag[: data.start()] + encoded + tag[data.end():]


def _inline_svg(text: str, alt: str | None, dpi: float) -> str:
    start = text.index("<svg")
    text = _SVG_IMAGE.sub(lambda m: _lighter_bitmap(m[0], dpi), text[start:])
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'<style type="text/css">\*\{[^}]*\}</style>\s*', "", text)
    text = re.sub(r"<defs>\s*</defs>\s*", "", text)
    # Every label repeats the same font list; it is said once, on the root, and inherited.
    root_style = _SVG_ROOT_STYLE
    families = set(_SVG_FONT_FAMILY.findall(text))
    if len(families) == 1:
        text = _SVG_FONT_FAMILY.sub("", text)
        root_style += f";font-family:{families.pop()}"
    text = re.sub(r' transform="rotate\(-0 [^"]*\)"', "", text)
    # Keep only the ids something refers to, and give those a prefix of this drawing's own.
    referenced = set(_SVG_REF.findall(text))
    prefix = "f" + hashlib.sha1(text.encode()).hexdigest()[:8] + "-"
    text = _SVG_ID.sub(lambda m: f' id="{prefix}{m[1]}"' if m[1] in referenced else "", text)
    text = _SVG_REF.sub(lambda m: m[0][: -len(m[1])] + prefix + m[1], text)
    head_end = text.index(">") + 1
    head = text[:head_end]
    points = {k: float(v) for k, v in re.findall(r'\s(width|height)="([\d.]+)pt"', head)}
    head = re.sub(r'\s(width|height)="[\d.]+pt"', "", head)
    head = re.sub(r'\sxmlns:xlink="[^"]*"', "", head) if "xlink:" not in text[head_end:] else head
    attributes = (
        f' width="{points["width"] * dpi / 72:.0f}" height="{points["height"] * dpi / 72:.0f}"'
        f' style="{html.escape(root_style, quote=False)}" focusable="false"'
    )
    if alt:
        attributes += f' role="img" aria-label="{html.escape(alt)}"'
    head = head[:-1] + attributes + ">"
    return head + text[head_end:].strip()


def smallest_text_pt(fig: Figure) -> float | None:
    """The font size, in points, of the smallest non-empty visible text in ``fig``.

    Call it after the figure has been drawn (saved), when its tick labels exist.
    """
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=None)


def _text_px(fig: Figure, dpi: float) -> float | None:
    """CSS px of a frame's smallest text at the frame's own size (None: no text)."""
    points = smallest_text_pt(fig)
    return None if points is None else points * dpi / 72


def _img_tag(png: bytes, alt: str, density: float, text_px: float | None) -> str:
    width, height = Image.open(io.BytesIO(png)).size
    data = base64.b64encode(png).decode("ascii")
    # The browser cannot read text in a bitmap: the frame says how large its smallest is.
    shown = "none" if text_px is None else f"{text_px:.2f}"
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
            f'width="{width / density:.0f}" height="{height / density:.0f}" '
            f'data-text-px="{shown}" style="max-width:100%;height:auto">')


def _svg_width_px(svg: str) -> float:
    return float(re.match(r'<svg[^>]*\swidth="([\d.]+)"', svg)[1])


def _frame_html(fig: Figure, alt: str, dpi: float, max_bytes: int = MAX_FRAME_BYTES,
                min_text_px: float = MIN_TEXT_PX) -> str:
    """One frame as HTML: inline SVG, or a 2x PNG where the SVG would exceed the budget.

    The SVG keeps numbers and labels as text and embeds each image at its own resolution,
    drawn with crisp pixels; the PNG is the fallback when that exceeds ``max_bytes``.
    A frame whose smallest text would show below ``min_text_px`` in the book's column
    raises ``ValueError``.
    """
    _check_figure(fig)
    try:
        text = _svg_text(fig, PIXEL_DENSITY * dpi)
        svg = _inline_svg(text, alt, dpi)
        text_px = _text_px(fig, dpi)
        # A frame wider than the column is shown scaled down to it, and its text with it.
        shown_px = None if text_px is None else text_px * min(
            1.0, COLUMN_PX / _svg_width_px(svg))
        if shown_px is not None and shown_px < min_text_px:
            raise ValueError(
                f"the frame {alt!r} shows text at {shown_px:.1f} px in the book's column, "
                f"below min_text_px={min_text_px}: use larger fonts or a narrower figure")
        if _page_bytes(svg) > max_bytes:
            img = _img_tag(_png_bytes(fig, PIXEL_DENSITY * dpi), alt, PIXEL_DENSITY, text_px)
            if _page_bytes(img) < _page_bytes(svg):
                return _wrap(img)
    finally:
        plt.close(fig)
    return _wrap(svg)


def _wrap(element: str) -> str:
    # tex2jax_ignore: MathJax must not look for formulas inside the drawings.
    return f'<div class="cnn-frame tex2jax_ignore">{element}</div>'


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


AltText = str | Callable[..., str] | None


def _alt_of(alt: AltText, default: str, *values) -> str:
    """The text alternative of one frame: a template, a function of the values, or a default.

    A template is formatted with ``value`` (one slider) or ``a`` and ``b`` (two sliders),
    each given as the label the slider shows.
    """
    labels = [_label(v) for v in values]
    if alt is None:
        alt = default
    if callable(alt):
        text = alt(*values)
    elif len(labels) == 1:
        text = alt.format(value=labels[0])
    else:
        text = alt.format(a=labels[0], b=labels[1])
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the alt text of the frame for {labels} is empty")
    return text


def _stack_of(frames: Sequence[str]) -> widgets.Stack:
    pictures = [widgets.HTML(value=frame) for frame in frames]
    return widgets.Stack(children=pictures, selected_index=0)


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
        layout=widgets.Layout(width="420px", max_width="100%"),
    )


def _check_values(values: Sequence, name: str) -> None:
    if len(values) == 0:
        raise ValueError(f"{name} is empty: a slider needs at least one value")


def _check_budget(frames: Sequence[str], labels: Sequence, max_bytes: int) -> None:
    for frame, label in zip(frames, labels, strict=True):
        size = _page_bytes(frame)
        if size > max_bytes:
            raise ValueError(
                f"the frame for {label} weighs {size} bytes in the page, more than "
                f"max_frame_bytes={max_bytes}: draw it smaller, with fewer pixels or colours"
            )


def _frames(draw: Callable[..., Figure], arguments: Sequence[tuple], alts: Sequence[str],
            dpi: float, max_bytes: int, min_text_px: float) -> list[str]:
    frames = [_frame_html(draw(*args), alt, dpi, max_bytes, min_text_px)
              for args, alt in zip(arguments, alts, strict=True)]
    _check_budget(frames, [tuple(_label(a) for a in args) for args in arguments], max_bytes)
    return frames


def frame_slider(
    draw: Callable[..., Figure],
    values: Iterable,
    description: str = "",
    start: int = 0,
    dpi: int = DEFAULT_DPI,
    alt: AltText = None,
    max_frame_bytes: int = MAX_FRAME_BYTES,
    min_text_px: float = MIN_TEXT_PX,
) -> widgets.VBox:
    """A slider over ``values`` that shows the figure ``draw(value)`` for each one.

    Parameters
    ----------
    draw : callable
        ``draw(value) -> matplotlib.figure.Figure``; called once per value, up front.
    values : iterable
        The parameter values the slider steps through.
    description : str
        The label shown beside the slider; it is also the slider's accessible name.
    start : int
        Index of the value shown first.
    dpi : int
        CSS pixels per inch of figure: the size the frames are shown at. Bitmaps are drawn
        at twice that.
    alt : str or callable, optional
        What each frame shows, for readers who cannot see it: a template such as
        ``"The filter at position {value}"`` or a function ``alt(value) -> str``.
        By default ``"Figure for <description> = <value>"``.
    max_frame_bytes : int
        The most one frame may add to the page; a heavier frame raises ``ValueError``.
    min_text_px : float
        The smallest text a frame may show, in CSS px, in the book's column (a frame wider
        than the column is scaled down to it); smaller text raises ``ValueError``.

    Returns
    -------
    ipywidgets.VBox
        The slider above the picture. ``box.stats`` holds the :class:`FrameStats`,
        ``box.links`` the browser-side link between slider and pictures.
    """
    values = list(values)
    _check_values(values, "values")
    default = f"Figure for {description or 'value'} = {{value}}"
    alts = [_alt_of(alt, default, v) for v in values]
    started = time.perf_counter()
    frames = _frames(draw, [(v,) for v in values], alts, dpi, max_frame_bytes,
                     min_text_px)
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
    alt: AltText = None,
    max_frame_bytes: int = MAX_FRAME_BYTES,
    min_text_px: float = MIN_TEXT_PX,
) -> widgets.VBox:
    """Two sliders over ``values_a`` x ``values_b`` showing ``draw(a, b)``.

    The outer stack holds one inner stack per value of ``a``; every inner stack is linked to
    the second slider, the outer one to the first. All frames are rendered up front, so keep
    the grid small (a few dozen frames). ``alt`` is a template with ``{a}`` and ``{b}`` or a
    function ``alt(a, b) -> str``; the other arguments are those of :func:`frame_slider`.
    """
    values_a, values_b = list(values_a), list(values_b)
    _check_values(values_a, "values_a")
    _check_values(values_b, "values_b")
    name_a, name_b = (d or f"value {k}" for k, d in zip("ab", descriptions, strict=True))
    default = f"Figure for {name_a} = {{a}}, {name_b} = {{b}}"
    slider_a = _slider(values_a, descriptions[0], start[0])
    slider_b = _slider(values_b, descriptions[1], start[1])
    inner_stacks, all_frames, links = [], [], []
    started = time.perf_counter()
    for a in values_a:
        alts = [_alt_of(alt, default, a, b) for b in values_b]
        frames = _frames(draw, [(a, b) for b in values_b], alts, dpi, max_frame_bytes,
                     min_text_px)
        all_frames.extend(frames)
        inner = _stack_of(frames)
        inner.selected_index = start[1]
        links.append(widgets.jslink((slider_b, "index"), (inner, "selected_index")))
        inner_stacks.append(inner)
    outer = widgets.Stack(children=inner_stacks, selected_index=start[0])
    links.append(widgets.jslink((slider_a, "index"), (outer, "selected_index")))
    sliders = widgets.HBox([slider_a, slider_b], layout=widgets.Layout(flex_flow="row wrap"))
    box = widgets.VBox([sliders, outer])
    box.stats = FrameStats.of(all_frames, time.perf_counter() - started)
    box.links = links
    return box
