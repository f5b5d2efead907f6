"""Figures, sliders and counts for chapter 4, *Channels and tensors*.

Arrays are channels-first, ``(C, H, W)`` for one image and ``(N, C, H, W)`` for a batch,
as everywhere in the book; the photograph from :func:`cnn_helpers.data.load_sample_image`
arrives channels-last ``(H, W, 3)`` and is converted here once.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import conv2d as _conv2d
from ..data import load_sample_image
from ..plotting import DIVERGING, highlight, show_matrix, subplots

__all__ = [
    "FILTER_BANK_NAMES",
    "MIXES",
    "draw_channels",
    "draw_filter_part",
    "draw_im2col_step",
    "draw_mix",
    "filter_bank",
    "small_rgb",
    "time_ms",
]

# Channel mixes for the 1 x 1 convolution slider: weights on (red, green, blue).
MIXES: dict[str, tuple[float, float, float]] = {
    "luminance (0.299, 0.587, 0.114)": (0.299, 0.587, 0.114),
    "plain mean": (1 / 3, 1 / 3, 1 / 3),
    "red only": (1.0, 0.0, 0.0),
    "green only": (0.0, 1.0, 0.0),
    "blue only": (0.0, 0.0, 1.0),
    "red - blue": (1.0, 0.0, -1.0),
    "green - (red + blue) / 2": (-0.5, 1.0, -0.5),
}

FILTER_BANK_NAMES = ("vertical edges (Sobel x), all channels", "red minus green",
                     "blue, horizontal edges",
                     "red, blurred")


def small_rgb(factor: int = 4) -> np.ndarray:
    """The colour portrait, shrunk by averaging ``factor x factor`` blocks, channels-first ``(3, H, W)``."""
    rgb = load_sample_image().astype(float)
    h, w = (s // factor * factor for s in rgb.shape[:2])
    blocks = rgb[:h, :w].reshape(h // factor, factor, w // factor, factor, 3)
    return np.moveaxis(blocks.mean(axis=(1, 3)), -1, 0)


def filter_bank() -> tuple[np.ndarray, np.ndarray]:
    """Four hand-made 3 x 3 filters for a 3-channel input: weights ``(4, 3, 3, 3)``, biases ``(4,)``.

    Each shows a different way a filter can use its channels: the same edge detector on all
    three, a contrast between two channels, one channel only, a blur of one channel.
    """
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    weight = np.zeros((4, 3, 3, 3))
    weight[0] = sobel_x / 3                      # the same kernel on R, G and B, averaged
    weight[1, 0], weight[1, 1] = centre, -centre  # red minus green, pixel by pixel
    weight[2, 2] = sobel_x.T                      # Sobel y on the blue channel only
    weight[3, 0] = np.full((3, 3), 1 / 9)         # box blur of the red channel
    bias = np.array([0.0, 0.0, 0.0, -0.5])        # the blur is shifted down by 0.5
    return weight, bias


def time_ms(f, *args, repeats: int = 20) -> dict[str, float]:
    """Run times of ``f(*args)`` in milliseconds: ``best``, ``mean`` and ``sd`` of ``repeats`` runs.

    One call first warms caches and the allocator. The timings are wall-clock
    (``time.perf_counter``), so they depend on the machine and its load; other work
    on the machine only ever adds time, which makes ``best`` the steadiest of the three.
    """
    import time

    f(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - start)
    times = 1e3 * np.array(times)
    return {"best": float(times.min()), "mean": float(times.mean()), "sd": float(times.std())}


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

_TINTS = ("Reds", "Greens", "Blues")
_NAMES = ("red", "green", "blue")


def draw_channels(rgb_chw: np.ndarray) -> Figure:
    """A colour image and its three channels, each a grey-level array drawn in its own tint."""
    fig, axes = subplots(1, 4, height=2.3)
    axes[0].imshow(np.clip(np.moveaxis(rgb_chw, 0, -1), 0, 1))
    axes[0].set_title(f"colour, {rgb_chw.shape[1]} x {rgb_chw.shape[2]} x 3")
    for ax, channel, tint, name in zip(axes[1:], rgb_chw, _TINTS, _NAMES, strict=True):
        ax.imshow(channel, cmap=tint + "_r", vmin=0, vmax=1)
        ax.set_title(f"{name} channel")
    for ax in axes:
        ax.set_axis_off()
    return fig


def draw_mix(rgb_chw: np.ndarray, name: str) -> Figure:
    """A 1 x 1 convolution with the weights ``MIXES[name]``: the weights, and the mixed image."""
    weights = np.array(MIXES[name])
    mixed = _conv2d(rgb_chw, weights.reshape(1, 3, 1, 1))[0]
    fig, (ax_w, ax_out) = subplots(1, 2, height=2.6, gridspec_kw={"width_ratios": [1, 1.4]})
    show_matrix(weights, ax=ax_w, signed=True, fmt="{:.3g}", title="1 x 1 filter: weights on R, G, B")
    ax_w.set_xticks([0, 1, 2], ["R", "G", "B"])
    if weights.min() < 0:
        bound = float(np.abs(mixed).max()) or 1.0
        ax_out.imshow(mixed, cmap=DIVERGING, vmin=-bound, vmax=bound)
        ax_out.set_title("output (signed)")
    else:
        ax_out.imshow(mixed, cmap="gray", vmin=0, vmax=1)
        ax_out.set_title("output")
    ax_out.set_axis_off()
    return fig


def draw_filter_part(rgb_chw: np.ndarray, k: int, part: str) -> Figure:
    """One filter of :func:`filter_bank` split by input channel.

    ``part`` is ``"red"``, ``"green"`` or ``"blue"`` (that channel, the filter's slice for it,
    and what that slice contributes) or ``"sum"`` (the colour input and the feature map: the
    three contributions added, plus the bias).
    """
    weight, bias = filter_bank()
    parts = [_conv2d(rgb_chw[c], weight[k, c]) for c in range(3)]
    fig, (ax_in, ax_w, ax_out) = subplots(1, 3, height=2.3,
                                          gridspec_kw={"width_ratios": [1, 1, 1]})
    feature = sum(parts) + bias[k]
    if part == "sum":
        ax_in.imshow(np.clip(np.moveaxis(rgb_chw, 0, -1), 0, 1))
        ax_in.set_title("input: all 3 channels")
        ax_w.text(0.5, 0.5, f"red part\n+ green part\n+ blue part\n+ bias ({bias[k]:g})",
                  ha="center", va="center", fontsize=11, transform=ax_w.transAxes)
        ax_w.set_axis_off()
        shown, title = feature, f"feature map {k}"
    else:
        c = _NAMES.index(part)
        ax_in.imshow(rgb_chw[c], cmap="gray", vmin=0, vmax=1)
        ax_in.set_title(f"{part} channel")
        show_matrix(weight[k, c], ax=ax_w, signed=True, fmt="{:.2g}",
                    title=f"filter {k}, {part} slice")
        shown, title = parts[c], f"{part} part"
    # The 99th percentile keeps faint edges visible; white is always 0.
    bound = float(np.percentile(np.abs(shown), 99)) or 1.0
    ax_in.set_axis_off()
    ax_out.imshow(shown, cmap=DIVERGING, vmin=-bound, vmax=bound)
    ax_out.set_title(title)
    ax_out.set_axis_off()
    fig.suptitle(FILTER_BANK_NAMES[k], fontsize=11, y=1.02)
    return fig


def draw_im2col_step(x: np.ndarray, weight: np.ndarray, column: int) -> Figure:
    """im2col of a tiny ``(1, C, H, W)`` input: the window, its column, and the product.

    Left, the input's channels with the window of output position ``column`` outlined;
    middle, the patch matrix ``unfold(x)`` with that column outlined; right, the filters as
    rows times the patch matrix, one output value per filter in that column.
    """
    from .. import unfold

    c, h, w = x.shape[1:]
    kh, kw = weight.shape[2:]
    ow = w - kw + 1
    cols = unfold(x, (kh, kw))[0]
    product = weight.reshape(weight.shape[0], -1) @ cols
    row, col = divmod(column, ow)
    fig = subplots(1, 1, height=3.6)[0]
    fig.clf()
    grid = fig.add_gridspec(c, 3, width_ratios=[1, 2, 2.6], hspace=0.3, wspace=0.25, left=0.05,
                            right=0.88)
    for ch in range(c):
        ax = fig.add_subplot(grid[ch, 0])
        show_matrix(x[0, ch], ax=ax, signed=False)
        ax.set_ylabel(f"channel {ch}")
        highlight(ax, row, col, kh, kw)
        for text in ax.texts:
            text.set_fontsize(11)
        if ch == 0:
            ax.set_title(f"window {column}", fontsize=11)
    ax_cols = fig.add_subplot(grid[:, 1])
    show_matrix(cols, ax=ax_cols, signed=False, title=f"patches as columns {cols.shape}")
    for text in ax_cols.texts:
        text.set_fontsize(11)
    highlight(ax_cols, 0, column, cols.shape[0], 1)
    ax_prod = fig.add_subplot(grid[:, 2])
    shown = np.full(product.shape, np.nan)
    shown[:, : column + 1] = product[:, : column + 1]
    show_matrix(shown, ax=ax_prod, signed=True, title=f"filters x patches {product.shape}")
    ax_prod.set_xlim(-0.5, product.shape[1] - 0.5)
    ax_prod.set_ylim(product.shape[0] - 0.5, -0.5)
    ax_prod.yaxis.tick_right()
    ax_prod.set_yticks(range(product.shape[0]), [f"filter {i}" for i in range(product.shape[0])])
    highlight(ax_prod, 0, column, product.shape[0], 1)
    return fig
