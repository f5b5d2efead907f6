"""Chapter 2, Convolution in 1D: the worked example, the Toeplitz view, filters on a real signal.

What the chapter's notebook computes and draws, kept here so the notebook stays short:

* the lecture notes' example (:data:`EXAMPLE_SIGNAL`, :data:`EXAMPLE_FILTER`) and a picture
  of the filter sliding along it, step by step (:func:`plot_sliding_step`);
* padding and stride drawn as the windows they produce (:func:`plot_padding_stride`);
* dilation drawn as the taps it spreads (:func:`plot_dilation`);
* convolution as a sparse, weight-tied matrix, drawn (:func:`plot_toeplitz`; the chapter
  builds the matrix on its page);
* smoothing and difference filters (:func:`box_filter`, :func:`gaussian_filter`,
  :data:`DIFFERENCE_FILTER`), their effect on a recording (:func:`plot_smoothing`) and their
  frequency responses (:func:`plot_frequency_responses`);
* one-hot DNA and a motif detector (:func:`one_hot_dna`, :func:`motif_filter`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from .. import plotting
from ..conv import conv1d

__all__ = [
    "DIFFERENCE_FILTER",
    "DNA_BASES",
    "EXAMPLE_FILTER",
    "EXAMPLE_SIGNAL",
    "box_filter",
    "draw_cells",
    "gaussian_filter",
    "motif_filter",
    "one_hot_dna",
    "plot_bias_rows",
    "plot_dilation",
    "plot_frequency_responses",
    "plot_motif_scan",
    "plot_padding_stride",
    "plot_signal_filters",
    "plot_sliding_step",
    "plot_smoothing",
    "plot_toeplitz",
]

# The worked example: a 1D "image" of ten pixels and a three-tap filter.
EXAMPLE_SIGNAL = np.array([0, 0, 1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
EXAMPLE_FILTER = np.array([-1, 1, -1], dtype=float)

# y[i] = x[i + 1] - x[i]: large where the signal rises, negative where it falls.
DIFFERENCE_FILTER = np.array([-1.0, 1.0])

DNA_BASES = "ACGT"

_GREY = "0.55"
_ACCENT = "#f0a000"


# --------------------------------------------------------------------------
# Drawing rows of numbered cells
# --------------------------------------------------------------------------

def draw_cells(ax, values, row, start=0, signed=True, bound=None, fmt="{:g}", edge="0.75",
               hatch_mask=None):
    """Draw ``values`` as a row of square cells with their numbers, at height ``row``.

    Cell ``i`` is centred at ``x = start + i``. NaN values leave their cell out. Signed rows
    use the book's diverging map centred on zero (``bound`` sets the scale, shared between
    rows); unsigned rows are grey with black for 0, like images. ``hatch_mask`` marks cells
    drawn as padding.
    """
    values = np.asarray(values, dtype=float)
    if bound is None:
        bound = float(np.nanmax(np.abs(values))) if np.any(np.isfinite(values)) else 1.0
    bound = bound or 1.0
    if signed:
        norm, cmap = Normalize(-bound, bound), plotting.plt.get_cmap(plotting.DIVERGING)
    else:
        norm, cmap = Normalize(0, bound), plotting.plt.get_cmap("gray")
    for i, v in enumerate(values):
        if not np.isfinite(v):
            continue
        padded = hatch_mask is not None and hatch_mask[i]
        face = "white" if padded else cmap(norm(v))
        ax.add_patch(Rectangle((start + i - 0.5, row - 0.5), 1, 1, facecolor=face,
                               edgecolor=edge, hatch="///" if padded else None, lw=1))
        if signed:
            dark = abs(norm(v) - 0.5) > 0.3
        else:
            dark = norm(v) < 0.5
        colour = _GREY if padded else ("white" if dark and not padded else "black")
        ax.text(start + i, row, fmt.format(v), ha="center", va="center", fontsize=11, color=colour)


def _full_width(ax):
    """Let a grid of cells use the whole figure: cells are square, so width sets their size."""
    ax.figure.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.88)


def _frame(ax, n_cols, rows, labels, left_margin=2.6):
    """Set limits so cells are square, and write a label left of each row."""
    _full_width(ax)
    ax.set_xlim(-left_margin, n_cols - 0.3)
    ax.set_ylim(min(rows) - 0.7, max(rows) + 0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    for row, label in zip(rows, labels, strict=True):
        ax.text(-0.8, row, label, ha="right", va="center", fontsize=11)


# --------------------------------------------------------------------------
# The sliding filter, step by step
# --------------------------------------------------------------------------

def plot_sliding_step(signal, kernel, position, bias=0.0):
    """Slider frame: the filter at ``position``, its products, and the output so far.

    Rows, top to bottom: the signal with the window outlined; the filter under the window;
    the element-wise products; the output, filled in up to this position.
    """
    signal = np.asarray(signal, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    k, n = len(kernel), len(signal)
    output = conv1d(signal, kernel, bias)
    window = signal[position:position + k]
    products = window * kernel + 0.0  # + 0.0 turns -0 into 0 for display
    bound = max(1.0, float(np.max(np.abs(output))), float(np.max(np.abs(kernel))))

    fig, ax = plotting.subplots(height=2.7)
    rows = [3, 2, 1, 0]
    draw_cells(ax, signal, rows[0], signed=False, bound=max(1.0, signal.max()))
    under = np.full(n, np.nan)
    under[position:position + k] = kernel
    draw_cells(ax, under, rows[1], bound=bound)
    prod = np.full(n, np.nan)
    prod[position:position + k] = products
    draw_cells(ax, prod, rows[2], bound=bound)
    # Output i sits under the centre of its window.
    centre = (k - 1) / 2
    so_far = np.where(np.arange(len(output)) <= position, output, np.nan)
    draw_cells(ax, so_far, rows[3], start=centre, bound=bound)
    ax.add_patch(Rectangle((position + centre - 0.5, rows[3] - 0.5), 1, 1, fill=False,
                           edgecolor=_ACCENT, lw=2.5))
    ax.add_patch(Rectangle((position - 0.5, rows[0] - 0.5), k, 1, fill=False, edgecolor=_ACCENT,
                           lw=2.5))
    _frame(ax, n, rows, ["signal x", "filter w", "products", "output y"])
    terms = " + ".join(f"({a:g})({b:g})" for a, b in zip(window, kernel, strict=True))
    extra = f" + ({bias:g})" if bias else ""
    ax.set_title(f"y[{position}] = {terms}{extra} = {output[position]:g}", fontsize=11)
    return fig


def plot_bias_rows(signal, kernel, biases):
    """The signal, then ``relu(conv1d(signal, kernel) + b)`` for each bias ``b``, one row each."""
    signal = np.asarray(signal, dtype=float)
    outputs = [np.maximum(conv1d(signal, kernel, b), 0) for b in biases]
    bound = max(1.0, max(float(o.max()) for o in outputs))
    rows = list(range(len(biases), -1, -1))
    fig, ax = plotting.subplots(height=0.45 * (len(biases) + 1) + 0.5)
    draw_cells(ax, signal, rows[0], signed=False, bound=1.0)
    k = len(kernel)
    for row, out in zip(rows[1:], outputs, strict=True):
        # Output i belongs to the window starting at i; centre it under the window.
        draw_cells(ax, out, row, start=(k - 1) / 2, bound=bound)
    labels = ["signal x"] + [f"ReLU, b = {b:g}" for b in biases]
    _frame(ax, len(signal), rows, labels, left_margin=3.4)
    return fig


# --------------------------------------------------------------------------
# Padding and stride
# --------------------------------------------------------------------------

def plot_padding_stride(padding, stride, signal=EXAMPLE_SIGNAL, kernel=EXAMPLE_FILTER):
    """Slider frame: the padded signal, the windows a stride picks, and the output they make."""
    signal = np.asarray(signal, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    n, k = len(signal), len(kernel)
    padded = np.pad(signal, padding)
    mask = np.zeros(len(padded), dtype=bool)
    mask[:padding] = True
    mask[len(padded) - padding:] = True
    output = conv1d(signal, kernel, stride=stride, padding=padding)
    n_out = len(output)

    fig, ax = plotting.subplots(height=2.6)
    width = len(padded)
    draw_cells(ax, padded, 0, signed=False, bound=1.0, hatch_mask=mask)
    # One bar per window above the signal, staggered so overlapping windows stay visible.
    levels = max(1, -(-k // stride))
    for j in range(n_out):
        left = j * stride
        y = 0.75 + 0.8 * (j % levels)
        ax.plot([left - 0.35, left + k - 0.65], [y, y], color=f"C{j % 10}", lw=3,
                solid_capstyle="butt")
        ax.text(left - 0.35, y + 0.12, str(j), ha="left", va="bottom", fontsize=11,
                color=f"C{j % 10}")
    # The outputs, centred under the padded signal.
    start = (width - n_out) / 2
    draw_cells(ax, output, -1.6, start=start, bound=2.0)
    _full_width(ax)
    ax.set_xlim(-2.8, max(width, 16) - 0.3)
    ax.set_ylim(-2.3, 0.75 + 0.8 * levels + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.text(-0.8, 0, "input", ha="right", va="center", fontsize=11)
    ax.text(min(start, 0) - 0.8, -1.6, "output", ha="right", va="center", fontsize=11)
    ax.set_title(f"L={n}, K={k}, padding P={padding}, stride S={stride}: "
                 f"⌊({n} + 2·{padding} − {k}) / {stride}⌋ + 1 = {n_out} outputs", fontsize=11)
    return fig


def plot_dilation(dilation, n=15, kernel_size=3, position=0):
    """Slider frame: the taps of one output of a dilated filter, and every window's span.

    Top row: the input, with the ``kernel_size`` cells that output ``position`` reads marked;
    they sit ``dilation`` places apart. Bars above it: the span of each output's window,
    ``dilation * (kernel_size - 1) + 1`` inputs wide. The title works out the span and the
    output length.
    """
    span = dilation * (kernel_size - 1) + 1
    if span > n:
        raise ValueError(f"a filter of {kernel_size} taps at dilation {dilation} spans {span} "
                         f"inputs, more than the {n} of the input")
    n_out = n - span + 1
    fig, ax = plotting.subplots(height=2.4)
    values = np.zeros(n)
    taps = position + dilation * np.arange(kernel_size)
    values[taps] = 1.0
    draw_cells(ax, values, 0, signed=False, bound=1.6, fmt="")
    for u, tap in enumerate(taps):
        ax.add_patch(Rectangle((tap - 0.5, -0.5), 1, 1, fill=False, edgecolor=_ACCENT, lw=2.5))
        ax.text(tap, 0, f"w{u}", ha="center", va="center", fontsize=11, color="black")
    levels = min(n_out, 4)
    for j in range(n_out):
        y = 0.75 + 0.28 * (j % levels)
        ax.plot([j - 0.35, j + span - 0.65], [y, y], color=f"C{j % 10}", lw=3,
                solid_capstyle="butt", alpha=1.0 if j == position else 0.35)
    _full_width(ax)
    ax.set_xlim(-2.8, n - 0.3)
    ax.set_ylim(-0.7, 0.75 + 0.28 * levels + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.text(-0.8, 0, "input", ha="right", va="center", fontsize=11)
    ax.set_title(f"K={kernel_size}, dilation D={dilation}: taps {dilation} apart, each window "
                 f"spans {dilation}·({kernel_size} − 1) + 1 = {span} inputs;\n"
                 f"{n_out} outputs from {n}", fontsize=11)
    return fig


# --------------------------------------------------------------------------
# The Toeplitz matrix
# --------------------------------------------------------------------------

def plot_toeplitz(T, x=None, title=None):
    """Draw a convolution matrix (zeros white); with ``x``, draw ``T @ x = y`` beside it."""
    T = np.asarray(T, dtype=float)
    rows = T.shape[0] if x is None else max(T.shape[0], len(x))
    fig, ax = plotting.subplots(height=0.3 * rows + 0.6)
    bound = float(np.max(np.abs(T))) or 1.0
    for i in range(T.shape[0]):
        row = np.where(T[i] != 0, T[i], np.nan)
        draw_cells(ax, row, -i, bound=bound, edge="0.85")
        for j in np.flatnonzero(T[i] == 0):
            ax.add_patch(Rectangle((j - 0.5, -i - 0.5), 1, 1, facecolor="white", edgecolor="0.92"))
    right = T.shape[1]
    if x is not None:
        x = np.asarray(x, dtype=float)
        y = T @ x
        off = right + 1
        ax.text(right, -(T.shape[0] - 1) / 2, "×", ha="center", va="center", fontsize=14)
        top = (len(x) - T.shape[0]) / 2
        for j, v in enumerate(x):
            _cell_text(ax, off, -j + top, v)
        ax.text(off + 1.2, -(T.shape[0] - 1) / 2, "=", ha="center", va="center", fontsize=14)
        for i, v in enumerate(y):
            _cell_text(ax, off + 2.4, -i, v, signed=True, bound=max(1.0, np.max(np.abs(y))))
        right = off + 3.2
    _full_width(ax)
    ax.set_xlim(-0.7, right + 0.3)
    if x is None:
        ax.set_ylim(-T.shape[0] + 0.3, 0.7)
    else:
        top = (len(x) - T.shape[0]) / 2
        ax.set_ylim(-len(x) + top + 0.3, top + 0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def _cell_text(ax, x, y, v, signed=False, bound=1.0):
    norm = Normalize(-bound, bound) if signed else Normalize(0, max(bound, 1.0))
    cmap = plotting.plt.get_cmap(plotting.DIVERGING if signed else "gray")
    ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=cmap(norm(v)), edgecolor="0.75"))
    dark = abs(norm(v) - 0.5) > 0.3 if signed else norm(v) < 0.5
    ax.text(x, y, f"{v:g}", ha="center", va="center", fontsize=11, color="white" if dark else "black")


# --------------------------------------------------------------------------
# Filters for a real signal
# --------------------------------------------------------------------------

def box_filter(width):
    """A moving average over ``width`` samples: ``width`` equal weights that sum to 1."""
    if width < 1:
        raise ValueError("width must be at least 1")
    return np.full(int(width), 1.0 / int(width))


def gaussian_filter(sigma, radius=None):
    """Gaussian weights over ``-radius..radius`` (default ``3 * sigma``), normalised to sum 1."""
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    radius = int(np.ceil(3 * sigma)) if radius is None else int(radius)
    u = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * (u / sigma) ** 2)
    return w / w.sum()


def plot_frequency_responses(filters, n_fft=2048):
    """The magnitude of each filter's frequency response, ``|sum_u w[u] exp(-2 pi i f u)|``.

    ``filters`` maps a label to a 1D filter. The x-axis is the frequency in cycles per sample
    (0 to 0.5), the y-axis the gain on a log scale: 1 lets a frequency through unchanged,
    small values remove it. A box filter's gain falls to zero and rises again in side lobes;
    a Gaussian's falls smoothly.
    """
    fig, ax = plotting.subplots(height=2.6, width=5.5)
    freqs = np.fft.rfftfreq(n_fft)
    for (label, w), colour in zip(filters.items(), ["C0", "C3", "C2", "C4"], strict=False):
        gain = np.abs(np.fft.rfft(np.asarray(w, dtype=float), n_fft))
        ax.semilogy(freqs, np.maximum(gain, 1e-6), color=colour, lw=1.2, label=label)
    plotting.full_size_log_labels(ax.yaxis)
    ax.set(xlabel="frequency (cycles per sample)", ylabel="gain", xlim=(0, 0.5),
           ylim=(1e-5, 2))
    ax.legend(fontsize=11, frameon=False, loc="upper right")
    return fig


def plot_signal_filters(t, x, outputs, window=None):
    """Stacked plots: the signal, then one output per named filter, on a shared time axis.

    ``outputs`` maps a label to an array computed with ``padding='same'``, so every output
    lines up with the signal sample for sample.
    """
    n = 1 + len(outputs)
    fig, axes = plotting.subplots(n, 1, height=1.25 * n + 0.4, width=6.2, sharex=True)
    sl = slice(None) if window is None else window
    axes[0].plot(t[sl], x[sl], color="0.35", lw=0.8)
    axes[0].set_ylabel("signal", fontsize=11, rotation=0, ha="right", va="center")
    for ax, (label, y), colour in zip(axes[1:], outputs.items(), ["C0", "C3", "C2", "C4"],
                                      strict=False):
        ax.plot(t[sl], y[sl], color=colour, lw=0.9)
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.set_ylabel(label, fontsize=11, rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time (s)")
    fig.align_ylabels(axes)
    return fig


def plot_smoothing(t, x, width, window=None, ylim=None, max_width=31):
    """Slider frame: the signal and its moving average over ``width`` samples.

    The small panel on the right draws the filter itself, on a fixed axis of ``max_width``
    taps, so that the frames of a slider compare at a glance.
    """
    sl = slice(None) if window is None else window
    smooth = conv1d(x, box_filter(width), padding="same")
    fig, (ax, ax_k) = plotting.subplots(1, 2, height=2.5,
                                        gridspec_kw={"width_ratios": [4, 1], "wspace": 0.3})
    ax.plot(t[sl], x[sl], color="0.75", lw=0.8, label="signal")
    ax.plot(t[sl], smooth[sl], color="C0", lw=1.6, label=f"box filter, width {width}")
    ax.set_xlabel("time (s)")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(loc="upper left", fontsize=11, frameon=False)
    # The filter as one filled step curve (one artist renders faster than a bar per tap).
    edges = np.arange(width + 1) - width / 2
    heights = np.r_[box_filter(width), 0.0]
    ax_k.fill_between(edges, heights, step="post", color="C0", lw=0)
    ax_k.set_xlim(-(max_width + 1) / 2, (max_width + 1) / 2)
    ax_k.set_ylim(0, 1.05)
    ax_k.set_title(f"the filter: {width} × 1/{width}", fontsize=11)
    ax_k.set_yticks([0, 0.5, 1])
    ax_k.set_xlabel("tap")
    return fig


# --------------------------------------------------------------------------
# DNA
# --------------------------------------------------------------------------

def one_hot_dna(sequence):
    """A DNA string as a ``(4, L)`` array: one channel per base A, C, G, T."""
    sequence = sequence.upper()
    bad = set(sequence) - set(DNA_BASES)
    if bad:
        raise ValueError(f"not DNA bases: {sorted(bad)}")
    codes = np.array([DNA_BASES.index(b) for b in sequence])
    return (codes[None, :] == np.arange(4)[:, None]).astype(float)


def motif_filter(motif):
    """A ``(1, 4, len(motif))`` filter that scores +1 per matching base: a perfect match
    scores ``len(motif)``. It is the one-hot motif itself."""
    return one_hot_dna(motif)[None]


def plot_motif_scan(sequence, motif):
    """The one-hot sequence and the motif filter's score at every position."""
    x = one_hot_dna(sequence)
    w = motif_filter(motif)
    score = conv1d(x, w)[0]
    fig, (ax, ax_s) = plotting.subplots(2, 1, height=3.0, sharex=True,
                                        gridspec_kw={"height_ratios": [1.4, 1]})
    ax.imshow(x, cmap="Greys", aspect="auto", vmin=0, vmax=1.6)
    ax.set_yticks(range(4))
    ax.set_yticklabels(list(DNA_BASES))
    for j, b in enumerate(sequence):
        ax.text(j, DNA_BASES.index(b), b, ha="center", va="center", fontsize=11, color="white")
    ax.set_title(f"one-hot DNA (4 channels) and the score of the motif {motif}")
    hits = np.flatnonzero(score == len(motif))
    for h in hits:
        ax.add_patch(Rectangle((h - 0.5, -0.5), len(motif), 4, fill=False, edgecolor=_ACCENT,
                               lw=2))
    ax_s.bar(np.arange(len(score)), score, color=np.where(score == len(motif), "C3", "0.6"))
    ax_s.set_ylabel("score")
    ax_s.set_xlabel("position")
    ax_s.set_ylim(0, len(motif) + 0.5)
    fig.tight_layout()
    return fig
