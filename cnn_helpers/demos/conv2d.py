"""Figures, sliders and measurements for chapter 3, *Convolution in 2D*.

The notebook keeps the narrative and the worked numbers; this module keeps the drawing and
the small experiments, so that each can be tested on its own. Everything is channels-free
here: plain ``(H, W)`` images and ``(KH, KW)`` kernels, the teaching form of
:func:`cnn_helpers.conv2d`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import conv2d as _conv2d
from ..data import load_sample_image
from ..padding import pad as _pad
from ..plotting import DIVERGING, highlight, show_image, show_matrix, subplots

__all__ = [
    "CLASSIC_KERNELS",
    "PAD_MODES",
    "draw_equivariance",
    "draw_kernel_on_photo",
    "draw_pad_modes",
    "draw_photo_patch",
    "draw_stride_padding",
    "draw_strided_shift",
    "draw_window",
    "filter_photo",
    "gaussian_kernel",
    "plot_shift_gaps",
    "relative_difference",
    "rescale_gap",
    "rotation_gap",
    "small_photo",
    "visited",
]

PAD_MODES = ("zeros", "reflect", "replicate", "circular")


def gaussian_kernel(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """A ``size x size`` Gaussian blur kernel whose weights sum to 1."""
    offsets = np.arange(size) - (size - 1) / 2
    bump = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel = np.outer(bump, bump)
    return kernel / kernel.sum()


# The classic hand-made kernels of image processing. Blurs sum to 1 (they keep the
# brightness), edge detectors sum to 0 (a flat region gives 0), sharpen sums to 1.
CLASSIC_KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": gaussian_kernel(5, 1.0),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "Sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "Sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
}


def small_photo(factor: int = 4) -> np.ndarray:
    """The grey Grace Hopper portrait, shrunk by averaging ``factor x factor`` blocks.

    At ``factor=4`` it is 150 x 128: big enough to recognise, small enough that a slider's
    frames stay a few kilobytes and every convolution takes milliseconds.
    """
    grey = load_sample_image(grey=True).astype(float)
    h, w = (s // factor * factor for s in grey.shape)
    blocks = grey[:h, :w].reshape(h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(1, 3))


def filter_photo(photo: np.ndarray, kernel: np.ndarray, mode: str = "replicate") -> np.ndarray:
    """Convolve a photo with a kernel and keep its size, padding the border with ``mode``.

    ``replicate`` is the default because it invents no dark frame around the picture
    (zero padding would), so what you see is the kernel's effect on the photo itself.
    """
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = _pad(photo, (left, kw - 1 - left, top, kh - 1 - top), mode=mode)
    return _conv2d(padded, kernel)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def draw_photo_patch(photo: np.ndarray, top: int, left: int, size: int = 8,
                     levels: int = 255) -> Figure:
    """The photo with a small square outlined, and that square's pixel values 0..levels."""
    fig, (ax_photo, ax_patch) = subplots(1, 2, height=4.4, gridspec_kw={"width_ratios": [1, 1.25]})
    show_image(photo, ax=ax_photo, title=f"{photo.shape[0]} x {photo.shape[1]} pixels")
    ax_photo.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False,
                                 edgecolor="#f0a000", linewidth=2))
    patch = np.round(photo[top:top + size, left:left + size] * levels)
    show_matrix(patch, ax=ax_patch, fmt="{:.0f}",
                title=f"the outlined {size} x {size} patch, 0 = black ... {levels} = white")
    for text in ax_patch.texts:
        text.set_fontsize(11)
    return fig


def draw_window(image: np.ndarray, kernel: np.ndarray, step: int, padding: int = 0) -> Figure:
    """One step of the sliding window: the window on the input, the products, the output so far.

    ``step`` counts output cells in reading order. The middle panel shows the element-wise
    products of the window and the kernel; their sum is the output cell being filled in.
    """
    padded = np.pad(image, padding)
    out = _conv2d(image, kernel, padding=padding)
    kh, kw = kernel.shape
    row, col = divmod(step, out.shape[1])
    products = padded[row:row + kh, col:col + kw] * kernel + 0.0  # + 0.0 turns -0 into 0
    fig, (ax_in, ax_prod, ax_out) = subplots(
        1, 3, height=2.6, gridspec_kw={"width_ratios": [padded.shape[1], kw + 1.5, out.shape[1]]})
    show_matrix(padded, ax=ax_in, title="input and window", signed=False)
    if padding:
        n = image.shape[0]
        ax_in.add_patch(Rectangle((padding - 0.5, padding - 0.5), image.shape[1], n, fill=False,
                                  edgecolor="#444444", linewidth=1, linestyle="--"))
    highlight(ax_in, row, col, kh, kw)
    show_matrix(products, ax=ax_prod, signed=True, title=f"window x kernel, sum {products.sum():g}")
    shown = np.full(out.shape, np.nan)
    shown.flat[: step + 1] = out.flat[: step + 1]
    show_matrix(shown, ax=ax_out, signed=True, title=f"output[{row}, {col}] = {out[row, col]:g}")
    ax_out.set_xlim(-0.5, out.shape[1] - 0.5)
    ax_out.set_ylim(out.shape[0] - 0.5, -0.5)
    highlight(ax_out, row, col, 1, 1)
    return fig


def draw_kernel_on_photo(photo: np.ndarray, name: str) -> Figure:
    """A classic kernel (with its numbers) beside what it does to the photo.

    Blurs and sharpen give an image again, drawn in grey; edge detectors (kernels summing
    to 0) give signed maps, drawn with the diverging colours centred on zero. Signed maps
    are scaled to their 99th percentile so that faint edges stay visible.
    """
    kernel = CLASSIC_KERNELS[name]
    result = filter_photo(photo, kernel)
    fig, (ax_k, ax_out) = subplots(1, 2, height=2.8, gridspec_kw={"width_ratios": [1.3, 1]})
    fmt = "{:g}" if np.allclose(kernel, np.round(kernel)) else "{:.2f}"
    show_matrix(kernel, ax=ax_k, signed=True, fmt=fmt, title=f"{name} kernel")
    for text in ax_k.texts:
        text.set_fontsize(11)
    if np.isclose(kernel.sum(), 0.0):
        bound = float(np.percentile(np.abs(result), 99))
        ax_out.imshow(result, cmap=DIVERGING, vmin=-bound, vmax=bound)
        ax_out.set_title("output: red > 0, blue < 0")
    else:
        ax_out.imshow(np.clip(result, 0, 1), cmap="gray", vmin=0, vmax=1)
        ax_out.set_title("output")
    ax_out.set_axis_off()
    return fig


def draw_pad_modes(image: np.ndarray, width: int) -> Figure:
    """``image`` padded by ``width`` in every mode of :func:`cnn_helpers.pad`, original outlined."""
    fig, axes = subplots(1, len(PAD_MODES), height=2.3)
    h, w = image.shape
    for ax, mode in zip(axes, PAD_MODES, strict=True):
        show_matrix(_pad(image, width, mode=mode), ax=ax, signed=False, title=mode)
        ax.add_patch(Rectangle((width - 0.5, width - 0.5), w, h, fill=False,
                               edgecolor="#f0a000", linewidth=2))
    return fig


def visited(n: int, kernel_size: int, stride: int, padding: int) -> np.ndarray:
    """How many windows cover each cell of the padded input (length ``n + 2 * padding``).

    Returned as a 1D count per position; the 2D coverage of a square input and kernel is
    the outer product of two of them. A 0 marks a position no window ever reaches.
    """
    size = n + 2 * padding
    counts = np.zeros(size, dtype=int)
    n_out = (size - kernel_size) // stride + 1
    for i in range(n_out):
        counts[i * stride:i * stride + kernel_size] += 1
    return counts


def draw_stride_padding(n: int, kernel_size: int, stride: int, padding: int) -> Figure:
    """The padded input shaded by how many windows cover each cell, and the output grid.

    Darker cells are covered by more windows, padding cells are grey, and cells that no
    window covers are red: when (n + 2P - K) is
    not a multiple of the stride, the last rows and columns are never visited. The first
    window is outlined in orange, the last one in green.
    """
    counts_1d = visited(n, kernel_size, stride, padding)
    coverage = np.outer(counts_1d, counts_1d)
    n_out = (n + 2 * padding - kernel_size) // stride + 1
    size = n + 2 * padding
    fig, (ax_in, ax_out) = subplots(1, 2, height=3.0,
                                    gridspec_kw={"width_ratios": [max(size, 7), 7]})
    inside = np.zeros((size, size), dtype=bool)
    inside[padding:padding + n, padding:padding + n] = True
    shade = 0.15 + 0.5 * coverage / coverage.max()
    ax_in.imshow(np.where(inside & (coverage > 0), shade, np.nan), cmap="Blues", vmin=0, vmax=1)
    ax_in.imshow(np.where(~inside & (coverage > 0), shade, np.nan), cmap="Greys", vmin=0, vmax=1.5)
    ax_in.imshow(np.where(coverage == 0, 1.0, np.nan), cmap="Reds", vmin=0, vmax=1.6)
    ax_in.add_patch(Rectangle((padding - 0.5, padding - 0.5), n, n, fill=False,
                              edgecolor="black", linewidth=1.2, linestyle="--"))
    highlight(ax_in, 0, 0, kernel_size, kernel_size)
    last = (n_out - 1) * stride
    highlight(ax_in, last, last, kernel_size, kernel_size, color="#2a9d2a")
    ax_in.set_xlim(-0.5, max(size, 7) - 0.5)
    ax_in.set_ylim(max(size, 7) - 0.5, -0.5)
    ax_in.set_axis_off()
    lost = int((counts_1d[padding:padding + n] == 0).sum())
    note = f"red: {lost} of the {n} input rows (and columns) never visited" if lost else \
        "every input pixel is visited"
    ax_in.set_title(f"{n}x{n} input, padding {padding} (grey), stride {stride}\n{note}",
                    fontsize=11)
    span = max(n_out, 7)
    edges = np.arange(n_out + 1) - 0.5
    ax_out.pcolormesh(edges, edges, np.ones((n_out, n_out)), cmap="Greens", vmin=0, vmax=2,
                      edgecolors="white", linewidth=1)
    ax_out.set_xlim(-0.5, span - 0.5)
    ax_out.set_ylim(span - 0.5, -0.5)
    ax_out.set_aspect("equal")
    ax_out.set_axis_off()
    exact = (n + 2 * padding - kernel_size) / stride + 1
    ax_out.set_title(f"output {n_out}x{n_out}\n({n} + 2·{padding} - {kernel_size}) / {stride} + 1"
                     f" = {exact:.3g}", fontsize=11)
    return fig


# ---------------------------------------------------------------------------
# Equivariance and its limits
# ---------------------------------------------------------------------------


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / ||b||``: 0 when two feature maps agree, about 1 or more when unrelated."""
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def rotation_gap(image: np.ndarray, kernel: np.ndarray) -> float:
    """How far ``conv(rot90(x))`` is from ``rot90(conv(x))`` (relative difference)."""
    return relative_difference(_conv2d(np.rot90(image), kernel), np.rot90(_conv2d(image, kernel)))


def rescale_gap(image: np.ndarray, kernel: np.ndarray, factor: int = 2) -> float:
    """How far ``conv(upscale(x))`` is from ``upscale(conv(x))`` (relative difference).

    Upscaling repeats every pixel ``factor`` times along each axis. Both maps are cropped
    to the same size before comparing.
    """
    def up(a):
        return np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)

    after = _conv2d(up(image), kernel)
    before = up(_conv2d(image, kernel))
    h, w = min(after.shape[0], before.shape[0]), min(after.shape[1], before.shape[1])
    return relative_difference(after[:h, :w], before[:h, :w])


def draw_equivariance(first_shift: np.ndarray, first_conv: np.ndarray) -> Figure:
    """Shift-then-convolve, convolve-then-shift, and their difference, side by side.

    The chapter computes both maps on its page; this draws them on one colour scale.
    """
    fig, axes = subplots(1, 3, height=2.6)
    bound = float(np.percentile(np.abs(first_conv), 99))
    for ax, data, title in zip(axes, [first_shift, first_conv, first_shift - first_conv],
                               ["shift, then convolve", "convolve, then shift", "difference"],
                               strict=True):
        ax.imshow(data, cmap=DIVERGING, vmin=-bound, vmax=bound)
        ax.set_axis_off()
        ax.set_title(title)
    return fig


def plot_shift_gaps(shifts, gaps, stride: int) -> Figure:
    """Relative difference between a strided layer's output for a shifted input and its output
    for the original, moved by whole cells, against the shift; multiples of the stride marked."""
    shifts = np.asarray(shifts)
    gaps = np.asarray(gaps, dtype=float)
    fig, ax = subplots(height=2.5, width=5.0)
    on_grid = shifts % stride == 0
    ax.bar(shifts[~on_grid], gaps[~on_grid], color="C3", width=0.6,
           label="shift not a multiple of the stride")
    ax.bar(shifts[on_grid], np.maximum(gaps[on_grid], 0.005), color="C0", width=0.6,
           label="multiple of the stride: 0")
    ax.set_xticks(shifts)
    ax.set(xlabel="shift of the input (pixels)", ylabel="relative difference")
    ax.set_title(f"stride {stride}: the output depends on the shift modulo {stride}", fontsize=11)
    ax.legend(fontsize=11, frameon=False, loc="upper right")
    ax.set_ylim(0, max(1.0, float(gaps.max()) * 1.35))
    return fig


def draw_strided_shift(image: np.ndarray, kernel: np.ndarray, shift: int,
                       stride: int) -> Figure:
    """Slider frame: a strided convolution of an image shifted right by ``shift`` pixels.

    Panels: the shifted image (circular shift); the strided output (circular padding keeps
    the border out of the picture); the output for the unshifted image moved by
    ``shift // stride`` whole cells. They agree exactly when ``shift`` is a multiple of
    ``stride``; the title says whether they do.
    """
    pad = kernel.shape[0] // 2

    def strided(x):
        return _conv2d(_pad(x, pad, mode="circular"), kernel, stride=stride)

    moved = np.roll(image, shift, axis=1)
    out = strided(moved)
    expected = np.roll(strided(image), shift // stride, axis=1)
    same = np.allclose(out, expected)
    fig, (ax_in, ax_out, ax_exp) = subplots(
        1, 3, height=2.4, gridspec_kw={"width_ratios": [image.shape[1], out.shape[1] + 1,
                                                         out.shape[1] + 1]})
    show_matrix(moved, ax=ax_in, annotate=False, signed=False,
                title=f"input shifted by {shift}")
    bound = float(np.max(np.abs(expected))) or 1.0
    for ax, data, title in ((ax_out, out, f"output,\nstride {stride}"),
                            (ax_exp, expected, f"unshifted output,\nmoved {shift // stride} cells")):
        show_matrix(data, ax=ax, signed=True)
        ax.set_title(title, fontsize=11)
        for im in ax.get_images():
            im.set_clim(-bound, bound)
    verdict = "the same: a whole-cell move" if same else "different maps"
    fig.suptitle(f"shift {shift} = {shift // stride}·{stride} + {shift % stride}: {verdict}",
                 fontsize=11)
    return fig


def draw_edge_kernels(image: np.ndarray, across: np.ndarray, down: np.ndarray) -> Figure:
    """``image`` and its correlations with the 1 x 2 kernel ``[1, -1]`` and its 2 x 1 column.

    ``across`` and ``down`` are the two outputs, shown on a diverging scale.
    """
    fig, axes = subplots(1, 3, height=2.6)
    show_matrix(image, ax=axes[0], title="image")
    show_matrix(across, ax=axes[1], signed=True, title="kernel [1, -1]")
    show_matrix(down, ax=axes[2], signed=True, title="kernel [1, -1] as a column")
    return fig
