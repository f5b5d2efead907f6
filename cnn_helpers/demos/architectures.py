"""Figures, sliders and experiments of chapter 7, CNN architectures.

What lives here:

* the ImageNet (ILSVRC) top-5 error of the winning entries by year, with sources;
* receptive fields measured as the support of an input gradient, for the slider;
* where VGG-16 keeps its parameters and spends its multiply-accumulates;
* the digits comparison: a LeNet-style CNN, a dense net and logistic regression,
  on the test digits and on the same digits shifted by one pixel;
* the learned filters and feature maps of the CNN;
* for the plain-against-residual experiment: per-layer gradient norms and the figures.
"""

from __future__ import annotations

import numpy as np

from .. import architectures as arch
from .. import avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward, nn, plotting
from ..losses import cross_entropy_backward

__all__ = [
    "ILSVRC_TOP5",
    "HUMAN_TOP5",
    "plot_imagenet_errors",
    "receptive_field_stacks",
    "influence_map",
    "draw_receptive_field",
    "plot_params_and_macs",
    "shift_images",
    "ONE_PIXEL_SHIFTS",
    "shifted_accuracy",
    "plot_accuracies",
    "layer_gradient_norms",
    "plot_layer_moments",
    "plot_degradation",
]


# --------------------------------------------------------------------------
# ImageNet top-5 error by year
# --------------------------------------------------------------------------

# (year, top-5 error in %, winning entry, where the number is reported).
# Classification error of the ILSVRC winners as listed by Russakovsky et al. (2015) for
# 2010-2014 and by the challenge's result pages afterwards. AlexNet's 16.4 % is the entry
# trained on the challenge data alone (with extra ImageNet data it reached 15.3 %).
ILSVRC_TOP5 = (
    (2010, 28.2, "NEC-UIUC", "Lin et al. 2011; Russakovsky et al. 2015"),
    (2011, 25.8, "XRCE", "Sánchez & Perronnin 2011; Russakovsky et al. 2015"),
    (2012, 16.4, "AlexNet", "Krizhevsky et al. 2012"),
    (2013, 11.7, "Clarifai", "Zeiler & Fergus 2014"),
    (2014, 6.7, "GoogLeNet", "Szegedy et al. 2015 (VGG second, 7.3)"),
    (2015, 3.57, "ResNet", "He et al. 2016"),
    (2016, 2.99, "Trimps-Soushen", "ILSVRC 2016 results"),
    (2017, 2.25, "SENet", "Hu et al. 2018"),
)
# One trained annotator's top-5 error on 1,500 validation images (Russakovsky et al. 2015).
HUMAN_TOP5 = 5.1
_CNN_FROM = 2012


def plot_imagenet_errors():
    """Bar chart of the winners' top-5 error, CNNs in colour, with the human estimate."""
    fig, ax = plotting.subplots(height=3.0)
    years = [row[0] for row in ILSVRC_TOP5]
    errors = [row[1] for row in ILSVRC_TOP5]
    colours = ["#b0b0b0" if y < _CNN_FROM else "#2a6fb0" for y in years]
    bars = ax.bar(years, errors, color=colours, width=0.7)
    for bar, err in zip(bars, errors, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, err + 0.5, f"{err:g}", ha="center",
                va="bottom", fontsize=11)
    ax.axhline(HUMAN_TOP5, color="#c03030", ls="--", lw=1)
    ax.text(years[-1] + 0.45, HUMAN_TOP5 + 4.5, f"one human: {HUMAN_TOP5:g}", color="#c03030",
            fontsize=11, ha="right")
    # the entry's name under its year, hyphenated names on two lines
    labels = [f"{row[0]}\n" + row[2].replace("-", "-\n") for row in ILSVRC_TOP5]
    ax.set_xticks(years, labels, fontsize=11)
    ax.set_ylabel("top-5 error (%)")
    ax.set_ylim(0, 32)
    ax.set_title("ImageNet classification (ILSVRC), winning entry per year; blue = a CNN")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Receptive fields
# --------------------------------------------------------------------------

def receptive_field_stacks(depth):
    """Two stacks of ``depth`` layers on one channel, as architecture specs.

    ``plain``: 3x3 convolutions with padding 1. ``pooled``: each 3x3
    convolution followed by a 2x2 pooling of stride 2 (drawn as average
    pooling, so that every pixel of a window counts).
    """
    plain = [arch.Conv2d(1, 1, 3, padding=1) for _ in range(depth)]
    pooled = []
    for _ in range(depth):
        pooled += [arch.Conv2d(1, 1, 3, padding=1), arch.AvgPool2d(2)]
    return plain, pooled


def influence_map(layers, size):
    """How strongly the centre output of a stack depends on each input pixel.

    The stack (a list of ``architectures.Conv2d``/``AvgPool2d`` specs on one
    channel, all kernels set to ones) runs forward on a ``size x size`` image;
    a gradient of 1 at the centre output then runs backward. The result, shape
    ``(size, size)``, is that gradient: non-zero exactly on the receptive field,
    and largest in its middle, where the most paths lead.
    """
    x = np.zeros((1, 1, size, size))
    inputs, h = [], x
    for layer in layers:
        inputs.append(h)
        if isinstance(layer, arch.Conv2d):
            h = conv2d(h, np.ones((1, 1, layer.kernel_size, layer.kernel_size)),
                       stride=layer.stride, padding=layer.padding)
        else:
            h = avg_pool2d(h, layer.kernel_size, layer.stride, layer.padding)
    g = np.zeros_like(h)
    g[0, 0, (h.shape[2] - 1) // 2, (h.shape[3] - 1) // 2] = 1.0
    for layer, inp in zip(reversed(layers), reversed(inputs), strict=True):
        if isinstance(layer, arch.Conv2d):
            k = layer.kernel_size
            g = conv2d_backward(g, inp, np.ones((1, 1, k, k)), stride=layer.stride,
                                padding=layer.padding)[0]
        else:
            g = avg_pool2d_backward(g, inp, layer.kernel_size, layer.stride, layer.padding)
    return g[0, 0]




def _extent(influence):
    rows = np.flatnonzero(influence.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def draw_receptive_field(depth, size=96):
    """Two panels: what one output of ``depth`` plain / pooled layers sees of the input."""
    fig, axes = plotting.subplots(1, 2, height=3.3)
    for ax, layers, label in zip(axes, receptive_field_stacks(depth),
                                 ("3x3 convolutions", "3x3 conv + 2x2 pooling"), strict=True):
        rf = arch.summarize(layers, (1, size, size)).top[-1].receptive_field if layers else 1
        infl = influence_map(layers, size)
        shown = infl / infl.max()
        ax.imshow(shown, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        seen = _extent(infl)
        rows = np.flatnonzero(infl.any(axis=1))
        cols = np.flatnonzero(infl.any(axis=0))
        plotting.highlight(ax, rows[0], cols[0], seen, cols[-1] - cols[0] + 1)
        clipped = " (whole image)" if rf > size else ""
        ax.set_title(f"{label}, depth {depth}\nreceptive field {rf}x{rf}{clipped}", fontsize=11)
        ax.set_xlabel(f"input {size}x{size}; {seen} pixels wide on this image", fontsize=11)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Where the parameters and the compute are
# --------------------------------------------------------------------------

def _layer_labels(table):
    """conv1_1, conv1_2, ..., fc6, fc7, fc8 for a VGG-style table."""
    labels, block, conv, fc = [], 1, 0, 5
    for row in table.top:
        if isinstance(row.layer, arch.Conv2d):
            conv += 1
            labels.append(f"conv{block}_{conv}")
        elif isinstance(row.layer, arch.MaxPool2d):
            block, conv = block + 1, 0
        elif isinstance(row.layer, arch.Linear):
            fc += 1
            labels.append(f"fc{fc}")
    return labels


def plot_params_and_macs(table):
    """Per weighted layer of a VGG-style table: parameters (top) and MACs (bottom), in millions."""
    rows = table.weighted()
    labels = _layer_labels(table)
    x = np.arange(len(rows))
    fig, (top, bottom) = plotting.subplots(2, 1, height=4.2, sharex=True)
    is_fc = [isinstance(r.layer, arch.Linear) for r in rows]
    colours = ["#c07020" if fc else "#2a6fb0" for fc in is_fc]
    top.bar(x, [r.params / 1e6 for r in rows], color=colours)
    top.set_ylabel("parameters (M)")
    bottom.bar(x, [r.macs / 1e6 for r in rows], color=colours)
    bottom.set_ylabel("MACs (M)")
    bottom.set_xticks(x, labels, rotation=60, fontsize=11)
    top.set_title(f"{table.title}: blue = convolution, orange = dense")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Digits: CNN against dense nets
# --------------------------------------------------------------------------

# The LeNet-style CNN that chapter 7 builds and trains, as layer specs:
# ``conv 3x3 (16), pad 1 -> ReLU -> max pool 2 -> conv 3x3 (32), pad 1 -> ReLU ->
# max pool 2 -> flatten (32*2*2) -> dense 64 -> ReLU -> dense 10``: 13,706 parameters.
LENET_STYLE_SPEC = [
    arch.Conv2d(1, 16, 3, padding=1), arch.ReLU(), arch.MaxPool2d(2),
    arch.Conv2d(16, 32, 3, padding=1), arch.ReLU(), arch.MaxPool2d(2),
    arch.Flatten(), arch.Linear(128, 64), arch.ReLU(), arch.Linear(64, 10),
]


ONE_PIXEL_SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def shift_images(X, dy, dx):
    """Shift a batch ``(N, C, H, W)`` by ``dy`` rows and ``dx`` columns, filling with 0."""
    out = np.zeros_like(X)
    h, w = X.shape[2:]
    out[:, :, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        X[:, :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def shifted_accuracy(model, X, y, shifts=ONE_PIXEL_SHIFTS):
    """Mean accuracy over copies of ``X`` shifted by each ``(dy, dx)`` in ``shifts``."""
    from ..training import evaluate

    return float(np.mean([evaluate(model, shift_images(X, dy, dx), y)["accuracy"]
                          for dy, dx in shifts]))


def plot_accuracies(results):
    """Grouped bars: accuracy on the digits and on the same digits shifted, per model.

    ``results`` maps a model name to ``{'val': accuracy, 'shifted': accuracy}``;
    each accuracy is a number, or an array of one accuracy per seed, drawn as
    its mean with an error bar of one standard deviation.
    """
    names = list(results)
    x = np.arange(len(names))
    fig, ax = plotting.subplots(height=2.8)
    for offset, key, colour, label in ((-0.2, "val", "#2a6fb0", "digits as they are"),
                                       (0.2, "shifted", "#c07020", "shifted by one pixel")):
        values = [np.atleast_1d(results[n][key]) for n in names]
        means = [float(v.mean()) for v in values]
        sds = [float(v.std(ddof=1)) if v.size > 1 else 0.0 for v in values]
        bars = ax.bar(x + offset, means, width=0.4, color=colour, label=label,
                      yerr=sds if any(sds) else None, capsize=3)
        for bar, m in zip(bars, means, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, m + 0.03, f"{m:.2f}", ha="center",
                    fontsize=11)
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("accuracy")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=11, ncols=2, frameon=False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Plain against residual
# --------------------------------------------------------------------------

def layer_gradient_norms(model, X, y):
    """The norm of the loss gradient for the weight matrix of each dense layer, input first."""
    was_training = model.training
    model.train()
    logits = model(X)
    model.zero_grad()
    model.backward(cross_entropy_backward(logits, y))
    norms = [float(np.linalg.norm(m.weight.grad)) for m in model.modules() if isinstance(m, nn.Linear)]
    model.zero_grad()
    model.train(was_training)
    return np.array(norms)


def plot_layer_moments(moments):
    """The mean square of the activations after each layer, on a log scale.

    ``moments`` maps a label to an array ``(depth + 1,)``, the input first.
    """
    fig, ax = plotting.subplots(height=2.8)
    for label, m in moments.items():
        ax.semilogy(np.arange(len(m)), m, "o-", ms=3, label=label)
    plotting.full_size_log_labels(ax.yaxis)
    ax.set_xlabel("layer (0 = the input)")
    ax.set_ylabel("mean square of the activations")
    ax.legend(fontsize=11)
    fig.tight_layout()
    return fig


def plot_degradation(losses, norms):
    """Training loss per epoch (left) and gradient norm per layer at initialisation (right).

    ``losses`` maps a label to an array ``(seeds, epochs)`` of training losses,
    ``norms`` to an array ``(seeds, layers)`` of gradient norms; both panels
    draw the mean over the seeds, the loss with a band of one standard deviation.
    """
    fig, (left, right) = plotting.subplots(1, 2, height=3.2)
    colours = {}
    for label, runs in losses.items():
        runs = np.asarray(runs)
        epochs = np.arange(1, runs.shape[1] + 1)
        mean, sd = runs.mean(axis=0), runs.std(axis=0, ddof=1)
        line, = left.plot(epochs, mean, "o-", ms=3, label=label)
        left.fill_between(epochs, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
        colours[label] = line.get_color()
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    left.axhline(np.log(10), color="grey", lw=0.8, ls=":")
    left.text(1, np.log(10) + 0.05, "chance, ln 10", fontsize=11, color="grey")
    # Below both panels: a figure legend, which tight_layout leaves where it is put.
    fig.legend(*left.get_legend_handles_labels(), fontsize=11, loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncols=2, frameon=False)
    for label, g in norms.items():
        g = np.asarray(g).mean(axis=0)
        right.semilogy(np.arange(1, len(g) + 1), g, "o-", ms=3, label=label,
                       color=colours.get(label))
    plotting.full_size_log_labels(right.yaxis)
    right.set_xlabel("dense layer (1 = next to the input)")
    right.set_ylabel("gradient norm at initialisation")
    fig.tight_layout()
    return fig
