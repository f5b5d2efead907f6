"""Figures and experiments of chapter 5, Pooling.

The notebook keeps the narrative and the checked numbers; this module holds the drawing code
for its sliders and the small shift-invariance experiment, so both can be tested.
"""

from __future__ import annotations

import numpy as np

from .. import conv2d, max_pool2d, relu
from ..data import load_digits, load_sample_image
from ..plotting import show_image, show_matrix, subplots
from ..pooling import avg_pool2d, avg_pool2d_backward, lp_pool2d, max_pool2d_backward

__all__ = [
    "worked_relu_map",
    "window_at",
    "draw_pool_window",
    "draw_three_poolings",
    "face_crop",
    "draw_image_pooling",
    "big_digits",
    "shift_right",
    "edge_kernels",
    "conv_features",
    "draw_shift",
    "draw_change_curves",
    "oriented_filters",
    "bar_images",
    "draw_tuning",
    "draw_maxpool_gradient",
]


def worked_relu_map():
    """The worked example's 6x6 ReLU output: zeros with ones at (1, 4) and (3, 1)."""
    x = np.zeros((6, 6))
    x[1, 4] = x[3, 1] = 1
    return x


def window_at(step, n_steps, out_shape):
    """The output cell (row, col) shown at slider step ``step`` of ``n_steps``.

    Sliders for different strides share one step axis, but a stride-3 pooling has fewer
    windows than a stride-1 one, so the steps are spread evenly over that pooling's windows.
    """
    rows, cols = out_shape
    index = step * (rows * cols) // n_steps
    return divmod(index, cols)


def draw_pool_window(x, kernel_size, stride, step, n_steps=16):
    """The input with one pooling window outlined, beside the max-pooled output.

    Only the non-zero input cells carry their number: a slider renders this figure dozens of
    times, and text is what makes matplotlib slow.
    """
    pooled = max_pool2d(x, kernel_size, stride)
    row, col = window_at(step, n_steps, pooled.shape)
    fig, (left, right) = subplots(1, 2, height=2.4, width=5.6)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.88, wspace=0.1)
    show_matrix(x, ax=left, annotate=False,
                title=f"input, {kernel_size}x{kernel_size} window, stride {stride}")
    for (i, j), value in np.ndenumerate(x):
        if value:
            left.text(j, i, f"{value:g}", ha="center", va="center", fontsize=11)
    show_matrix(pooled, ax=right, title=f"output {pooled.shape[0]}x{pooled.shape[1]}: "
                f"max = {pooled[row, col]:g}")
    # Draw the output with cells as large as the input's, centred, so sizes compare at a glance.
    margin = (x.shape[0] - pooled.shape[0]) / 2
    right.set_xlim(-0.5 - margin, pooled.shape[1] - 0.5 + margin)
    right.set_ylim(pooled.shape[0] - 0.5 + margin, -0.5 - margin)
    left.add_patch(_box(row * stride, col * stride, kernel_size))
    right.add_patch(_box(row, col, 1))
    return fig


def _box(top, left, size, color="#f0a000"):
    from matplotlib.patches import Rectangle

    return Rectangle((left - 0.5, top - 0.5), size, size, fill=False, edgecolor=color,
                     linewidth=2.5)


def draw_three_poolings(x, kernel_size=2, stride=None):
    """A small map and its max, average and L2 (root of the sum of squares) pooling.

    All four panels share one grey scale, so that equal shades are equal values.
    """
    results = {
        "max": max_pool2d(x, kernel_size, stride),
        "average": avg_pool2d(x, kernel_size, stride),
        "L2": lp_pool2d(x, 2, kernel_size, stride),
    }
    fig, axes = subplots(1, 4, height=2.0, gridspec_kw={"width_ratios": [2, 1, 1, 1]})
    top = max(float(np.max(x)), *(float(np.max(v)) for v in results.values()))
    show_matrix(x, ax=axes[0], title="feature map", vmax=top)
    step = kernel_size if stride is None else stride
    if step == kernel_size:  # the windows tile the map: draw their borders
        for edge in range(kernel_size, x.shape[0], kernel_size):
            axes[0].axhline(edge - 0.5, color="#f0a000", lw=2)
        for edge in range(kernel_size, x.shape[1], kernel_size):
            axes[0].axvline(edge - 0.5, color="#f0a000", lw=2)
    for ax, (name, value) in zip(axes[1:], results.items(), strict=True):
        show_matrix(value, ax=ax, title=f"{name} pooling", fmt="{:.3g}", vmax=top)
        ax.set_xlim(-0.5, value.shape[1] - 0.5)
    fig.tight_layout()
    return fig


def face_crop():
    """A grey 100x100 crop of Grace Hopper's head, shrunk from 300x300 by 3x3 averaging."""
    grey = load_sample_image(grey=True)
    return avg_pool2d(grey[30:330, 110:410], 3)


def draw_image_pooling(image, size):
    """The photograph beside its ``size`` x ``size`` max and average pooling (stride = size)."""
    fig, axes = subplots(1, 3, height=2.1, width=5.7)
    show_image(image, ax=axes[0], title=f"input {image.shape[0]}x{image.shape[1]}")
    for ax, name, op in zip(axes[1:], ("max", "average"), (max_pool2d, avg_pool2d), strict=True):
        pooled = op(image, size)
        show_image(pooled, ax=ax, title=f"{name} pool {size}x{size}: {pooled.shape[0]}x"
                   f"{pooled.shape[1]}")
    for ax in axes:
        ax.images[0].set_clim(0, 1)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.88, wspace=0.08)
    return fig


# ---------------------------------------------------------------------------
# Shift invariance, measured
# ---------------------------------------------------------------------------


def big_digits(n=40, factor=3, margin=6, seed=0):
    """``n`` test digits blown up ``factor`` times (each pixel a block) with a blank margin.

    The 8x8 digits have almost no room to move; at 24x24 in a 36x36 frame a shift of a
    few pixels is a small, realistic wobble. Returns ``(n, 1, H, W)`` float64.
    """
    data = load_digits(seed=seed)
    x = data.X_test[:n].astype(np.float64)
    x = np.kron(x, np.ones((1, 1, factor, factor)))
    return np.pad(x, ((0, 0), (0, 0), (margin, margin), (margin, margin)))


def shift_right(x, pixels):
    """Move images ``(..., H, W)`` right by ``pixels``; zeros come in from the left."""
    if pixels == 0:
        return x.copy()
    out = np.zeros_like(x)
    out[..., pixels:] = x[..., :-pixels]
    return out


def edge_kernels():
    """Four 3x3 edge detectors (vertical, horizontal, two diagonals) as a ``(4, 1, 3, 3)`` bank."""
    vertical = np.array([[-1.0, 0.0, 1.0]] * 3)
    diagonal = np.array([[0.0, 1.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, -1.0, 0.0]])
    return np.stack([vertical, vertical.T, diagonal, diagonal[:, ::-1]])[:, None]


def conv_features(x, kernels=None):
    """ReLU of a same-size convolution with the edge bank: ``(N, 4, H, W)`` feature maps."""
    kernels = edge_kernels() if kernels is None else kernels
    return relu(conv2d(x, kernels, padding=1))


def draw_shift(image, shift, shifts, conv_change, pool_change, pool_size=4, channel=0):
    """One frame of the shift slider: the shifted digit, one conv map, its pooled map, the curves."""
    x = shift_right(image[None], shift)
    maps = conv_features(x)[0, channel]
    pooled = max_pool2d(maps, pool_size)
    maps0 = conv_features(image[None])[0, channel]
    fig, axes = subplots(1, 4, height=2.1, gridspec_kw={"width_ratios": [1, 1, 1, 1.5]})
    show_image(x[0, 0], ax=axes[0], title=f"digit moved {shift} px")
    show_matrix(maps, ax=axes[1], annotate=False, title="conv + ReLU map")
    axes[1].images[0].set_clim(0, maps0.max())
    show_matrix(pooled, ax=axes[2], annotate=False, title=f"after {pool_size}x{pool_size} max pool")
    axes[2].images[0].set_clim(0, maps0.max())
    ax = axes[3]
    ax.plot(shifts, conv_change, "o-", ms=3, label="conv map")
    ax.plot(shifts, pool_change, "s-", ms=3, label="conv + pool")
    ax.axvline(shift, color="0.6", lw=1)
    ax.set(xlabel="shift (pixels)", ylabel="relative change", ylim=(0, None))
    ax.legend(fontsize=11, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.22, top=0.88, wspace=0.7)
    return fig


def draw_change_curves(shifts, curves, highlight=()):
    """Mean relative change against the shift, with a band of one standard deviation.

    ``curves`` maps a label to an array ``(len(shifts), N)`` of per-example changes.
    """
    fig, ax = subplots(1, 1, height=3.4, width=5.2)
    markers = "os^vDx"
    for k, (label, values) in enumerate(curves.items()):
        mean, sd = values.mean(axis=1), values.std(axis=1)
        style = "-" if label in highlight or not highlight else "--"
        ax.plot(shifts, mean, style, marker=markers[k % len(markers)], ms=3.5, label=label)
        ax.fill_between(shifts, mean - sd, mean + sd, alpha=0.15)
    ax.set(xlabel="shift (pixels)", ylabel="relative change", ylim=(0, None))
    ax.legend(fontsize=11, loc="lower right")
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.18, top=0.96)
    return fig


# ---------------------------------------------------------------------------
# Pooling across channels: an orientation-tolerant unit
# ---------------------------------------------------------------------------


def _across(size, angle_deg):
    """Signed distance of every pixel of a ``size`` x ``size`` grid from the line through
    its centre at ``angle_deg`` (0 = horizontal, counter-clockwise)."""
    r = (size - 1) / 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    t = np.deg2rad(angle_deg)
    return -x * np.sin(t) - y * np.cos(t)


def oriented_filters(angles_deg, size=15, sigma=4.0, width=1.0):
    """A bank of bar detectors, one per angle, as a ``(len(angles), 1, size, size)`` array.

    Each is a Gaussian-windowed bar minus its mean, so a flat patch gives 0 and the
    filters differ only by rotation.
    """
    r = (size - 1) / 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    window = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    bank = []
    for a in angles_deg:
        bar = np.exp(-_across(size, a) ** 2 / (2 * width**2))
        w = window * (bar - np.sum(window * bar) / np.sum(window))
        bank.append(w / np.abs(w).sum())
    return np.stack(bank)[:, None]


def bar_images(angles_deg, size=15, half_width=1.0):
    """Bright bars through the centre of a dark ``size`` x ``size`` image, one per angle,
    anti-aliased (a pixel is as bright as the bar covers it). ``(len(angles), 1, size, size)``."""
    bars = [np.clip(half_width + 0.5 - np.abs(_across(size, a)), 0, 1) for a in angles_deg]
    return np.stack(bars)[:, None]


def draw_tuning(angles_deg, responses, filter_angles):
    """Orientation tuning: one unit's response and the max over the bank, against the angle.

    ``responses`` is ``(len(angles), len(filter_angles))``; column 0 is drawn as the single
    unit; all curves are divided by the largest response.
    """
    fig, ax = subplots(1, 1, height=2.6, width=5.2)
    peak = responses.max()
    ax.plot(angles_deg, responses[:, 0] / peak, "o-", ms=3,
            label=f"one unit (filter at {filter_angles[0]:g}°)")
    ax.plot(angles_deg, responses.max(axis=1) / peak, "s-", ms=3,
            label=f"max over {len(filter_angles)} rotated filters")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="bar orientation (degrees)", ylabel="response / largest response",
           xticks=np.arange(0, 181, 30))
    ax.legend(fontsize=11, loc="center right")
    fig.subplots_adjust(left=0.13, right=0.98, bottom=0.18, top=0.96)
    return fig


def draw_maxpool_gradient(x, grad_out, kernel_size=2):
    """Where a max pooling sends its gradient: input, upstream gradient, input gradient."""
    grad_x = max_pool2d_backward(grad_out, x, kernel_size)
    avg_grad_x = avg_pool2d_backward(grad_out, x, kernel_size)
    fig, axes = subplots(1, 4, height=2.6, gridspec_kw={"width_ratios": [2, 1, 2, 2.6]})
    show_matrix(x, ax=axes[0], title="input x", fmt="{:.0f}")
    show_matrix(grad_out, ax=axes[1], title="grad of output")
    show_matrix(grad_x, ax=axes[2], title="max pool: grad of x", signed=True)
    show_matrix(avg_grad_x, ax=axes[3], title="average pool: grad of x", signed=True,
                fmt="{:.3g}")
    for ax in (axes[0], axes[2]):
        for (i, j), g in np.ndenumerate(grad_x):
            if g != 0:
                ax.add_patch(_box(i, j, 1, color="#2a9d2a"))
    fig.tight_layout()
    return fig

