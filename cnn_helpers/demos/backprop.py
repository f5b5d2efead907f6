"""Figures and experiments of chapter 6, Backpropagation through convolutions.

The derivations, their checks and the kernel-learning loop stay in the notebook; this module
holds what would clutter it: the photo patches, the timing helper, deliberately buggy backward passes for the
gradient-checking demonstration, and the drawing code of the sliders.
"""

from __future__ import annotations

import statistics
import time
from typing import NamedTuple

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from .. import conv1d, conv2d, conv2d_backward, pad, unfold
from ..data import load_sample_image
from ..plotting import show_matrix, subplots
from ..pooling import avg_pool2d

__all__ = [
    "SOBEL_X",
    "photo_patches",
    "KernelFit",
    "draw_kernel_step",
    "draw_gradient_routing",
    "run_times",
    "median_time",
    "conv_timings",
    "shift_add_timings",
    "conv1d_backward_no_flip",
    "conv1d_backward_wrong_sign",
]

# The Sobel filter for horizontal changes (it responds to vertical edges).
SOBEL_X = np.array([[-1.0, 0.0, 1.0],
                    [-2.0, 0.0, 2.0],
                    [-1.0, 0.0, 1.0]])


def photo_patches(n=8, size=24, seed=0):
    """``n`` random grey ``size`` x ``size`` patches of the sample photograph, ``(n, 1, size, size)``.

    The photo is first shrunk 4x by averaging, so each patch holds edges of several sizes;
    each patch is standardised (zero mean, unit variance), which keeps gradient descent on
    the kernel well conditioned.
    """
    grey = avg_pool2d(load_sample_image(grey=True).astype(np.float64), 4)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, grey.shape[0] - size, n)
    cols = rng.integers(0, grey.shape[1] - size, n)
    patches = np.stack([grey[r : r + size, c : c + size] for r, c in zip(rows, cols, strict=True)])
    patches = (patches - patches.mean(axis=(1, 2), keepdims=True)) / (
        patches.std(axis=(1, 2), keepdims=True) + 1e-8)
    return patches[:, None]


class KernelFit(NamedTuple):
    """The record of the kernel-learning loop of chapter 6: the kernel and the loss before every step."""

    kernels: np.ndarray  # (steps + 1, KH, KW)
    losses: np.ndarray  # (steps + 1,)


def draw_kernel_step(fit, step, target):
    """One frame of the kernel-learning slider: the kernel at ``step``, the target, the loss."""
    fig, axes = subplots(1, 3, height=2.5, width=7.0,
                         gridspec_kw={"width_ratios": [1, 1, 1.6], "wspace": 0.45})
    bound = np.abs(target).max()
    show_matrix(fit.kernels[step], ax=axes[0], fmt="{:.2f}", title=f"kernel after {step} steps")
    axes[0].images[0].set_clim(-bound, bound)
    show_matrix(target, ax=axes[1], title="hidden Sobel kernel")
    ax = axes[2]
    ax.semilogy(fit.losses, color="0.55", lw=1)
    ax.semilogy([step], [fit.losses[step]], "o", color="C3")
    # Plain-number tick labels: mathtext labels (10^-4) would triple the time per frame.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set(xlabel="gradient step", title=f"mean squared error {fit.losses[step]:.2g}")
    fig.subplots_adjust(left=0.01, right=0.98, bottom=0.2, top=0.86, wspace=0.35)
    return fig


def draw_gradient_routing(x, w, position):
    """Where the gradient of one output value goes in a 2D convolution (one channel).

    With ``grad_out`` one-hot at ``position``, the input gradient is the kernel placed on that
    output's window, and the kernel gradient is the input window itself.
    """
    out_shape = conv2d(x, w).shape
    grad_out = np.zeros(out_shape)
    grad_out[position] = 1.0
    grad_x, grad_w, _ = conv2d_backward(grad_out, x, w)
    i, j = position
    kh, kw = w.shape
    fig, axes = subplots(1, 4, height=2.1, width=7.0,
                         gridspec_kw={"width_ratios": [x.shape[1], out_shape[1], x.shape[1], kw]})
    show_matrix(x, ax=axes[0], title="input x", fmt="{:.0f}")
    # Only the non-zero gradients carry numbers: fewer texts keep the slider quick to render.
    for ax, array, title in [(axes[1], grad_out, "grad of output"), (axes[2], grad_x, "grad of x")]:
        show_matrix(array, ax=ax, title=title, signed=True, annotate=False)
        for (r, c), value in np.ndenumerate(array):
            if value:
                ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=11,
                        color="white" if abs(value) > 0.6 * np.abs(array).max() else "black")
    show_matrix(grad_w, ax=axes[3], title="grad of w", fmt="{:.0f}")
    for ax, (top, left, h, wd) in zip(axes[:3], [(i, j, kh, kw), (i, j, 1, 1), (i, j, kh, kw)],
                                      strict=True):
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), wd, h, fill=False, edgecolor="#f0a000",
                               linewidth=2.5))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.86, wspace=0.12)
    return fig


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def run_times(fn, repeats=5):
    """Wall-clock seconds of ``repeats`` calls of ``fn()`` (``time.perf_counter``), in call order."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_time(fn, repeats=5):
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls (``time.perf_counter``).

    The median, not the mean: on a shared machine a single slow call says more about the
    neighbours than about the code.
    """
    return statistics.median(run_times(fn, repeats))


def conv_timings(x, w, loop_conv, loop_repeats=3, fast_repeats=30):
    """Time a loop convolution against im2col + one matrix product, and the two fast steps.

    Returns ``{"loop", "fast", "unfold", "matmul"}`` in seconds (medians), and
    ``"loop_runs"``, the loop's ``loop_repeats`` times (for their spread). ``fast`` is
    :func:`cnn_helpers.conv2d`; ``unfold`` and ``matmul`` time the same two steps done by
    hand: :func:`cnn_helpers.unfold`, then the weight matrix times the columns.
    """
    c_out = w.shape[0]
    w_rows = w.reshape(c_out, -1)
    cols = unfold(x, w.shape[2:])
    loop_runs = run_times(lambda: loop_conv(x, w), loop_repeats)
    return {
        "loop": statistics.median(loop_runs),
        "loop_runs": loop_runs,
        "fast": median_time(lambda: conv2d(x, w), fast_repeats),
        "unfold": median_time(lambda: unfold(x, w.shape[2:]), fast_repeats),
        "matmul": median_time(lambda: w_rows @ cols, fast_repeats),
    }


def shift_add_timings(x, w, shift_add, repeats=7):
    """Time a shift-and-add convolution against im2col (unfold, then one matrix product).

    Returns ``{"shift_add", "im2col"}`` in seconds (medians); both are computed with
    stride 1 and no padding, on the same ``x`` and ``w``.
    """
    c_out, kernel = w.shape[0], w.shape[2:]
    w_rows = w.reshape(c_out, -1)
    return {
        "shift_add": median_time(lambda: shift_add(x, w), repeats),
        "im2col": median_time(lambda: w_rows @ unfold(x, kernel), repeats),
    }


# ---------------------------------------------------------------------------
# Two hand-written backward passes with a bug each (for the gradient-check demonstration)
# ---------------------------------------------------------------------------


def conv1d_backward_no_flip(grad_out, x, w):
    """A buggy input gradient of ``conv1d`` for plain signals: the kernel is not flipped.

    Correct is the full correlation of ``grad_out`` with the *reversed* kernel.
    """
    k = len(w)
    return conv1d(pad(grad_out, (k - 1, k - 1)), w)


def conv1d_backward_wrong_sign(grad_out, x, w):
    """A buggy kernel gradient of ``conv1d`` for plain signals: its sign is flipped."""
    return -conv1d(x, grad_out)
