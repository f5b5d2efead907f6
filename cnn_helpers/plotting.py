"""Plotting helpers shared by every chapter: one look for grids, kernels and feature maps.

Conventions the book keeps everywhere:

* signed arrays (kernels, feature maps, gradients) use a diverging colormap centred on zero,
  so white always means 0, red positive and blue negative;
* images use grey (or their own colours for RGB);
* small grids carry their numbers, so a figure can be checked against the text.

Nothing here touches the network: the style is set from local rcParams only.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

__all__ = [
    "BOOK_WIDTH",
    "DIVERGING",
    "book_style",
    "sharp_inline_figures",
    "full_size_log_labels",
    "highlight",
    "show_feature_maps",
    "show_image",
    "show_matrix",
    "subplots",
]

# Inches: figures at this width fill the book's text column at 100 % zoom.
BOOK_WIDTH = 7.0
DIVERGING = "RdBu_r"

_STYLE = {
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    # Figures go out as SVG with their text kept as text: sharp on any screen, selectable,
    # and the same bytes on every run (fixed ids).
    "svg.fonttype": "none",
    "svg.hashsalt": "cnn-book",
    # Text reads at least as large as the page's small print (0.9 rem, 14.4 CSS px) at book
    # width: a figure inch is shown 96 CSS px wide, so 11 pt is 14.7 px. No figure text is
    # smaller than this (tick labels and legends are "medium", the base size), and a figure
    # wider than the column (7.1 in) is scaled down, so it must not be.
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.interpolation": "none",
}


def book_style() -> None:
    """Apply the book's matplotlib style (local settings only)."""
    plt.rcParams.update(_STYLE)
    sharp_inline_figures()


def _figure_svg(fig: Figure) -> str | None:
    if not fig.axes and not fig.texts:
        return None
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cnn-book"}):
        # A bitmap inside (an image, a heat map) is embedded at twice the shown resolution.
        fig.savefig(buffer, format="svg", dpi=2 * fig.dpi, bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


def sharp_inline_figures() -> None:
    """In Jupyter, show figures as SVG rather than 72-dpi PNG (outside IPython: nothing).

    The text stays text, so figures are sharp on HiDPI screens, at any zoom, and in the book.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: figures are not displayed inline
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    formatters["image/png"].pop(Figure, None)
    formatters["image/svg+xml"].for_type(Figure, _figure_svg)
    formatters["image/svg+xml"].enabled = True


def subplots(nrows: int = 1, ncols: int = 1, height: float = 2.6, width: float = BOOK_WIDTH,
             **kwargs) -> tuple[Figure, np.ndarray | Axes]:
    """``plt.subplots`` at book width with the book's style applied."""
    book_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
    # The first figure of a session starts Jupyter's inline backend, which sets its PNG
    # display again: the figures go back to SVG.
    sharp_inline_figures()
    return fig, axes


def full_size_log_labels(axis) -> None:
    """Label a log axis ``1e-05`` rather than with a power of ten.

    A power's exponent is drawn at 70 % of the text size, below the page's small print.
    """
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _is_signed(a: np.ndarray) -> bool:
    return bool(np.nanmin(a) < 0)


def _signed_norm(a: np.ndarray) -> Normalize:
    bound = float(np.nanmax(np.abs(a))) or 1.0
    return Normalize(vmin=-bound, vmax=bound)


def show_matrix(a, ax: Axes | None = None, title: str | None = None, annotate: bool = True,
                signed: bool | None = None, fmt: str = "{:g}", cmap: str | None = None,
                vmax: float | None = None) -> Axes:
    """Draw a 1D or 2D array as a grid of cells, optionally with its numbers.

    Signed data (or ``signed=True``) gets the diverging colormap centred on zero; otherwise
    grey from black (0) to white (max), the way the notes draw images. ``vmax`` fixes the
    white end of the grey scale, so that several unsigned panels can share one scale.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"show_matrix draws 1D or 2D arrays, got shape {a.shape}")
    if ax is None:
        _, ax = subplots(height=max(1.2, 0.4 * a.shape[0] + 0.6))
    signed = _is_signed(a) if signed is None else signed
    if signed:
        norm, cmap = _signed_norm(a), cmap or DIVERGING
    else:
        top = float(np.nanmax(a)) if vmax is None else float(vmax)
        norm, cmap = Normalize(vmin=0, vmax=top or 1.0), cmap or "gray"
    ax.imshow(a, cmap=cmap, norm=norm)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if annotate:
        for (i, j), value in np.ndenumerate(a):
            if np.isnan(value):  # a cell not computed yet (a slider filling in) stays blank
                continue
            # White text on cells darker than a grey of 0.46, where white and black text
            # have the same contrast.
            shade = abs(norm(value) - 0.5) > 0.35 if signed else norm(value) < 0.46
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=11,
                    color="white" if shade else "black")
    if title:
        ax.set_title(title)
    return ax


def highlight(ax: Axes, top: int, left: int, height: int, width: int,
              color: str = "#f0a000") -> None:
    """Outline the cells ``[top:top+height, left:left+width]`` of a grid drawn by imshow."""
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False,
                           edgecolor=color, linewidth=2.5))


def show_image(img, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Show a grey ``(H, W)`` or colour ``(H, W, 3)`` image without axes."""
    img = np.asarray(img)
    if ax is None:
        _, ax = subplots(height=3)
    if img.ndim == 2:
        ax.imshow(img, cmap="gray")
    elif img.ndim == 3 and img.shape[-1] in (3, 4):
        ax.imshow(img)
    else:
        raise ValueError(f"show_image takes (H, W) or (H, W, 3) arrays, got shape {img.shape}")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_feature_maps(maps, titles=None, ncols: int = 4, signed: bool = True,
                      height_per_row: float = 1.8) -> Figure:
    """Show a stack of maps ``(C, H, W)`` side by side, signed maps centred on zero."""
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps takes (C, H, W) arrays, got shape {maps.shape}")
    count = maps.shape[0]
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    fig, axes = subplots(nrows, ncols, height=height_per_row * nrows, squeeze=False)
    norm = _signed_norm(maps) if signed else None
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= count:
            continue
        ax.imshow(maps[k], cmap=DIVERGING if signed else "gray", norm=norm)
        if titles is not None:
            ax.set_title(titles[k])
    return fig
