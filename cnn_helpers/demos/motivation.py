"""Chapter 1, Motivation: parameter counts, the pixel-permutation and column-order experiments.

Everything the chapter computes or draws, so that its notebook stays short:

* parameter counts of dense and convolutional layers (:func:`dense_params`, :func:`conv_params`,
  :func:`mlp_params`);
* one fixed shuffle of the pixels (:func:`pixel_permutation`, :func:`permute_pixels`,
  :func:`partial_permutation`) and a few hundred training digits per seed
  (:func:`training_subset`); the models and the training loops are on the chapter's page;
* a locally connected layer (:class:`LocallyConnected2d`): a convolution without weight
  sharing, which separates the locality prior from the sharing prior;
* a synthetic voter table whose column order means nothing, and the experiment that shows a 1D
  CNN over its columns depends on that order while a dense net does not
  (:func:`column_order_experiment`);
* the chapter's figures and slider frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from .. import nn, optim, plotting, training
from ..conv import conv_output_size, fold, unfold

__all__ = [
    "VOTER_COLUMNS",
    "ColumnOrderResult",
    "GlobalMaxPool2d",
    "LocallyConnected2d",
    "Unflatten",
    "place_digits",
    "column_order_experiment",
    "conv_params",
    "dense_params",
    "format_table",
    "make_voter_table",
    "mlp_params",
    "partial_permutation",
    "permute_pixels",
    "pixel_permutation",
    "touching_pairs_kept",
    "plot_connectivity",
    "plot_param_counts",
    "plot_partial_shuffle",
    "mosaic",
    "show_digits",
    "show_shuffled_digits",
    "plot_accuracies",
    "plot_column_orders",
    "mean_sd",
    "pairs_within_reach",
    "VOTER_INTERACTIONS",
    "table_cnn",
    "table_dense_net",
    "train_and_score",
    "training_subset",
]


# --------------------------------------------------------------------------
# Counting parameters
# --------------------------------------------------------------------------

def dense_params(n_inputs: int, units: int) -> int:
    """Weights and biases of a dense layer: one weight per (input, unit) pair, one bias per unit."""
    return int(n_inputs) * int(units) + int(units)


def mlp_params(sizes) -> int:
    """Parameters of a stack of dense layers with the given layer widths, input first."""
    sizes = [int(s) for s in sizes]
    return sum(dense_params(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def conv_params(in_channels: int, out_channels: int, kernel_size: int, ndim: int = 2) -> int:
    """Weights and biases of a convolutional layer with square (or 1D) kernels.

    The count does not depend on the size of the image: that is the whole point.
    """
    return int(out_channels) * int(in_channels) * int(kernel_size) ** ndim + int(out_channels)


# --------------------------------------------------------------------------
# Shuffling pixels
# --------------------------------------------------------------------------

def pixel_permutation(n_pixels: int = 64, seed: int = 0) -> np.ndarray:
    """One fixed random order of ``n_pixels`` positions, the same every time for a seed."""
    return np.random.default_rng(seed).permutation(n_pixels)


def permute_pixels(images, perm) -> np.ndarray:
    """Move the pixels of every image by the same permutation.

    ``images`` has shape ``(..., H, W)``; pixel ``perm[k]`` of the flattened image becomes
    pixel ``k``. The shape is kept, so the result still looks like (scrambled) images.
    """
    images = np.asarray(images)
    h, w = images.shape[-2:]
    perm = np.asarray(perm)
    if sorted(perm.tolist()) != list(range(h * w)):
        raise ValueError(f"perm must be a permutation of range({h * w})")
    flat = images.reshape(*images.shape[:-2], h * w)
    return flat[..., perm].reshape(images.shape)


def partial_permutation(n_pixels: int, fraction: float, seed: int = 0) -> np.ndarray:
    """A permutation that moves about ``fraction`` of the positions and leaves the rest.

    The moved positions are the first ones of a fixed random ranking, so a larger fraction
    moves a superset of the pixels a smaller one moved: a slider over ``fraction`` shuffles an
    image gradually. The chosen positions are rotated by one place among themselves, so every
    chosen pixel really moves.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must lie in [0, 1]")
    rng = np.random.default_rng(seed)
    ranking = rng.permutation(n_pixels)
    k = int(round(fraction * n_pixels))
    perm = np.arange(n_pixels)
    if k >= 2:
        chosen = ranking[:k]
        perm[chosen] = np.roll(chosen, 1)
    return perm


# --------------------------------------------------------------------------
# The digits experiment
# --------------------------------------------------------------------------

def touching_pairs_kept(perm, side: int = 8) -> tuple[int, int]:
    """How many of the pixel pairs that share an edge in a ``side`` x ``side`` image
    still share one after ``perm`` (pixel ``perm[k]`` becomes pixel ``k``), and of how many.
    """
    place = np.empty(side * side, dtype=int)
    place[np.asarray(perm)] = np.arange(side * side)  # where each pixel went
    row, col = place // side, place % side
    index = np.arange(side * side).reshape(side, side)
    pairs = [(index[:, :-1].ravel(), index[:, 1:].ravel()),
             (index[:-1, :].ravel(), index[1:, :].ravel())]
    kept = sum(int(np.sum(np.abs(row[a] - row[b]) + np.abs(col[a] - col[b]) == 1))
               for a, b in pairs)
    return kept, sum(len(a) for a, _ in pairs)


def train_and_score(model, X_train, y_train, X_test, y_test, epochs=30, batch_size=64, lr=1e-2,
                    seed=0) -> float:
    """Train with Adam and return the accuracy on the test set."""
    opt = optim.Adam(model.parameters(), lr=lr)
    training.fit(model, opt, X_train, y_train, epochs=epochs, batch_size=batch_size, seed=seed,
                 progress=False)
    return training.evaluate(model, X_test, y_test)["accuracy"]


def training_subset(data, n_train: int, seed: int):
    """``n_train`` training digits drawn at random (seeded) from ``data``, as ``(X, y)``."""
    pick = np.random.default_rng(seed).permutation(len(data.X_train))[:n_train]
    return data.X_train[pick], data.y_train[pick]


def mean_sd(values) -> str:
    """``"0.912 ± 0.011"``: the mean and the sample standard deviation of a list of scores."""
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if values.size > 1 else 0.0
    return f"{values.mean():.3f} ± {sd:.3f}"


# --------------------------------------------------------------------------
# A locally connected layer: local windows, no sharing
# --------------------------------------------------------------------------

class LocallyConnected2d(nn.Module):
    """A convolution whose weights are *not* shared: every output position has its own filter.

    Input ``(N, C_in, H, W)``, output ``(N, C_out, H_out, W_out)`` as for ``nn.Conv2d``.
    Weight ``(C_out, C_in * K * K, H_out * W_out)``: one ``C_in x K x K`` filter per output
    channel *and* position, so ``(C_in K^2 + 1) C_out H_out W_out`` parameters with one bias per
    output value (Goodfellow et al., 2016, section 9.5). With all positions' filters equal it
    computes exactly what ``nn.Conv2d`` computes.

    The forward pass lays the windows out as columns (:func:`cnn_helpers.unfold`) and takes,
    at every position, the dot product of that position's filters with its window.
    """

    def __init__(self, in_channels, out_channels, input_size, kernel_size, padding=0, *,
                 rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.input_size = (int(input_size), int(input_size)) if np.isscalar(input_size) \
            else tuple(int(v) for v in input_size)
        self.kernel_size, self.padding = int(kernel_size), int(padding)
        self.output_size = tuple(conv_output_size(n, self.kernel_size, padding=self.padding)
                                 for n in self.input_size)
        positions = self.output_size[0] * self.output_size[1]
        fan_in = self.in_channels * self.kernel_size**2
        rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        self.weight = nn.Parameter(nn.torch_default_uniform(
            (self.out_channels, fan_in, positions), fan_in, rng, dtype))
        self.bias = nn.Parameter(nn.torch_default_uniform(
            (self.out_channels, positions), fan_in, rng, dtype))

    def _unfold(self, x):
        return unfold(x, self.kernel_size, padding=self.padding)

    def forward(self, x):
        expected = (self.in_channels, *self.input_size)
        if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[1:] != expected:
            shape = getattr(x, "shape", type(x).__name__)
            raise ValueError(f"LocallyConnected2d expects input of shape (N, "
                             f"{', '.join(map(str, expected))}), got {shape}")
        # One small matrix product per position: (positions, N, C_in K K) @ (positions, C_in K K,
        # C_out), batched by np.matmul.
        cols = self._unfold(x).transpose(2, 0, 1)                 # (positions, N, C_in K K)
        self._cache = (x.shape, cols)
        out = np.matmul(cols, self.weight.data.transpose(2, 1, 0))  # (positions, N, C_out)
        out = out.transpose(1, 2, 0) + self.bias.data
        return out.reshape(len(x), self.out_channels, *self.output_size).astype(x.dtype)

    def backward(self, grad_out):
        x_shape, cols = self._saved()
        g = grad_out.reshape(len(grad_out), self.out_channels, -1)
        g_pos = g.transpose(2, 0, 1)                              # (positions, N, C_out)
        grad_w = np.matmul(g_pos.transpose(0, 2, 1), cols)       # (positions, C_out, C_in K K)
        self.weight.accumulate_grad(grad_w.transpose(1, 2, 0))
        self.bias.accumulate_grad(g.sum(axis=0))
        grad_cols = np.matmul(g_pos, self.weight.data.transpose(2, 0, 1))  # (positions, N, CKK)
        grad_x = fold(grad_cols.transpose(1, 2, 0), self.input_size, self.kernel_size,
                      padding=self.padding)
        return grad_x.astype(grad_out.dtype).reshape(x_shape)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, padding={self.padding}")


class GlobalMaxPool2d(nn.Module):
    """The largest value of each feature map: ``(N, C, H, W)`` to ``(N, C)``.

    It keeps *whether* a feature was found and forgets *where*. The backward pass sends the
    gradient to the maximum (shared equally among ties).
    """

    def forward(self, x):
        if not isinstance(x, np.ndarray) or x.ndim != 4:
            raise ValueError(f"GlobalMaxPool2d expects input of shape (N, C, H, W), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        self._cache = x
        return x.max(axis=(2, 3))

    def backward(self, grad_out):
        x = self._saved()
        at_max = x == x.max(axis=(2, 3), keepdims=True)
        share = at_max / at_max.sum(axis=(2, 3), keepdims=True)
        return (share * grad_out[:, :, None, None]).astype(grad_out.dtype)


class Unflatten(nn.Module):
    """Reshape ``(N, prod(shape))`` to ``(N, *shape)``, so a dense layer's units can be read as
    feature maps; the backward pass flattens the gradient back."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(v) for v in shape)

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != int(np.prod(self.shape)):
            raise ValueError(f"Unflatten{self.shape} expects input of shape "
                             f"(N, {int(np.prod(self.shape))}), got {x.shape}")
        return x.reshape(len(x), *self.shape)

    def backward(self, grad_out):
        return grad_out.reshape(len(grad_out), -1)


def place_digits(images, left: int, width: int = 16) -> np.ndarray:
    """Put ``(N, 1, 8, 8)`` digits on a black canvas ``width`` pixels wide, ``left`` pixels
    from its left edge: ``(N, 1, 8, width)``."""
    images = np.asarray(images)
    h, w = images.shape[-2:]
    if not 0 <= left <= width - w:
        raise ValueError(f"a digit {w} wide at left={left} does not fit a canvas {width} wide")
    canvas = np.zeros((*images.shape[:-1], width), dtype=images.dtype)
    canvas[..., left:left + w] = images
    return canvas


# --------------------------------------------------------------------------
# The voter table: data where column order means nothing
# --------------------------------------------------------------------------

VOTER_COLUMNS = ("sex", "age", "income", "education", "hours", "urban", "married", "children")

# The vote is a sign of a weighted sum of *products* of two columns, plus noise; no column
# matters on its own. In the listed order every pair sits 3 to 5 columns apart.
VOTER_INTERACTIONS = (("age", "urban", 1.5), ("income", "children", -1.2),
                      ("sex", "hours", 1.0), ("education", "married", 0.8))


def make_voter_table(n: int = 1000, seed: int = 0):
    """A synthetic survey: one row per voter, eight columns, and the candidate they chose.

    Columns: sex (0/1), age (years), income (thousands), education (years), hours worked per
    week, urban (0/1), married (0/1), children (count), drawn independently. The choice (0 or
    1) is the sign of ``sum(weight * z[a] * z[b]) + 0.3 * noise`` over the pairs ``(a, b,
    weight)`` of :data:`VOTER_INTERACTIONS`, with ``z`` the standardised columns: the label
    depends only on pairwise interactions, never on one column alone. In the listed column
    order every interacting pair is 3 to 5 columns apart, out of reach of a filter of 3.

    Returns ``(raw, X, y)``: the raw table ``(n, 8)``, the standardised features ``(n, 8)``
    float32 and the labels ``(n,)`` int64.
    """
    rng = np.random.default_rng(seed)
    sex = rng.integers(0, 2, n)
    age = rng.integers(18, 90, n)
    income = np.round(np.exp(rng.normal(np.log(55), 0.5, n)))
    education = rng.integers(8, 21, n)
    hours = np.clip(np.round(rng.normal(38, 10, n)), 0, 80)
    urban = rng.integers(0, 2, n)
    married = rng.integers(0, 2, n)
    children = rng.poisson(1.2, n)
    raw = np.stack([sex, age, income, education, hours, urban, married, children], axis=1)
    raw = raw.astype(np.float64)
    X = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    z = dict(zip(VOTER_COLUMNS, X.T, strict=True))
    score = sum(weight * z[a] * z[b] for a, b, weight in VOTER_INTERACTIONS)
    score = score + 0.3 * rng.normal(size=n)
    y = (score > 0).astype(np.int64)
    return raw, X.astype(np.float32), y


def pairs_within_reach(order, reach: int = 2) -> int:
    """How many interacting pairs of :data:`VOTER_INTERACTIONS` sit at most ``reach`` columns
    apart in ``order`` (a list of column names), so that one filter of ``reach + 1`` sees both."""
    where = {name: i for i, name in enumerate(order)}
    return sum(abs(where[a] - where[b]) <= reach for a, b, _ in VOTER_INTERACTIONS)


def table_dense_net(seed: int = 0, n_features: int = 8, hidden: int = 32) -> nn.Sequential:
    """A dense net for table rows ``(N, n_features)``."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(n_features, hidden, rng=rng), nn.ReLU(),
                         nn.Linear(hidden, 2, rng=rng))


def table_cnn(seed: int = 0, n_features: int = 8, filters: int = 8,
              kernel_size: int = 3) -> nn.Sequential:
    """A 1D CNN that slides a filter along the columns of a row, taken as a signal ``(N, 1, L)``."""
    rng = np.random.default_rng(seed)
    length = n_features - kernel_size + 1
    return nn.Sequential(nn.Conv1d(1, filters, kernel_size, rng=rng), nn.ReLU(), nn.Flatten(),
                         nn.Linear(filters * length, 2, rng=rng))


@dataclass
class ColumnOrderResult:
    """What :func:`column_order_experiment` measured, one entry per column order.

    Entry 0 is the table's listed order; the others are seeded random orders.
    """

    orders: list
    dense_accuracy: list
    cnn_accuracy: list
    dense_same_predictions: list  # True where the dense net predicts exactly as in the first order
    reachable_pairs: list         # interacting pairs a filter of 3 can see, per order


def column_order_experiment(permute_first_layer, n_orders: int = 20, n: int = 1000,
                            n_train: int = 600, epochs: int = 25, batch_size: int = 200,
                            lr: float = 3e-2, seed: int = 0) -> ColumnOrderResult:
    """Train a dense net and a 1D CNN on the voter table, in its listed column order and in
    ``n_orders`` seeded random orders.

    ``permute_first_layer(model, order)`` reorders the input columns of the dense net's first
    layer (the chapter defines it). Each dense net starts from the same weights with its input
    columns reordered like the data, so it is the same model in every order; the CNN cannot be
    reordered like that, because its filter only looks at neighbouring columns. Every model
    trains with the same seed, data split and budget.
    """
    _, X, y = make_voter_table(n, seed)
    rng = np.random.default_rng(seed + 1)
    orders = [np.arange(X.shape[1])] + [rng.permutation(X.shape[1]) for _ in range(n_orders)]
    result = ColumnOrderResult([], [], [], [], [])
    first_predictions = None
    for order in orders:
        Xo = X[:, order]
        Xtr, Xte, ytr, yte = Xo[:n_train], Xo[n_train:], y[:n_train], y[n_train:]
        dense = permute_first_layer(table_dense_net(seed, X.shape[1]), order)
        acc_dense = train_and_score(dense, Xtr, ytr, Xte, yte, epochs=epochs,
                                    batch_size=batch_size, lr=lr, seed=seed)
        predictions = training.predict(dense, Xte)
        if first_predictions is None:
            first_predictions = predictions
        cnn = table_cnn(seed, X.shape[1])
        acc_cnn = train_and_score(cnn, Xtr[:, None, :], ytr, Xte[:, None, :], yte,
                                  epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
        names = [VOTER_COLUMNS[i] for i in order]
        result.orders.append(names)
        result.dense_accuracy.append(acc_dense)
        result.cnn_accuracy.append(acc_cnn)
        result.dense_same_predictions.append(bool(np.array_equal(predictions, first_predictions)))
        result.reachable_pairs.append(pairs_within_reach(names))
    return result


def format_table(rows, header, formats=None) -> str:
    """A plain-text table with aligned columns (the book has no pandas)."""
    formats = formats or ["{}"] * len(header)
    cells = [[str(h) for h in header]]
    cells += [[f.format(v) for f, v in zip(formats, row, strict=True)] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def mosaic(images, gap=1, fill=np.nan):
    """Lay out ``(rows, cols, H, W)`` images in one array with ``gap`` pixels between them.

    One array drawn by one ``imshow`` renders far faster than one axes per image.
    """
    images = np.asarray(images, dtype=float)
    rows, cols, h, w = images.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), fill)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[r, c]
    return out


def _show_mosaic(ax, grid):
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1)
    ax.set_axis_off()


def show_digits(images, suptitle=None, height=1.5):
    """A row of small grey digits in one picture; returns the figure."""
    images = np.asarray(images)
    images = images.reshape(1, len(images), *images.shape[-2:])
    fig, ax = plotting.subplots(height=height)
    _show_mosaic(ax, mosaic(images))
    if suptitle:
        ax.set_title(suptitle)
    return fig


def plot_partial_shuffle(images, fraction, seed=0):
    """Slider frame: the same digits with ``fraction`` of their pixels moved."""
    images = np.asarray(images)
    perm = partial_permutation(images.shape[-1] * images.shape[-2], fraction, seed)
    moved = int(np.sum(perm != np.arange(perm.size)))
    return show_digits(permute_pixels(images, perm),
                       suptitle=f"{fraction:.0%} of the pixels chosen for shuffling "
                                f"({moved} of {perm.size} moved)", height=2.0)


def plot_param_counts(side, sides, units=1000, filters=32, kernel_size=3, image=None):
    """Slider frame: parameters of a dense and a conv layer against the side of a grey image.

    The dense layer's count grows with the number of pixels; the conv layer's stays fixed. When
    ``image`` is given, it is shown at this resolution on the left.
    """
    sides = np.asarray(sides)
    dense = np.array([dense_params(s * s, units) for s in sides], dtype=float)
    conv = conv_params(1, filters, kernel_size)
    if image is not None:
        fig, (ax_img, ax) = plotting.subplots(1, 2, height=2.8,
                                              gridspec_kw={"width_ratios": [1, 2.6], "wspace": 0.45})
        # Beyond ~160 pixels the screen cannot show more detail at this size; cap the work.
        shown = _resize(image, min(side, 160))
        plotting.show_image(shown, ax=ax_img, title=f"{side}x{side} pixels")
    else:
        fig, ax = plotting.subplots(height=2.8)
    ax.loglog(sides, dense, "o-", color="C3", ms=4, label=f"dense layer, {units} units")
    ax.loglog(sides, np.full(sides.shape, conv, dtype=float), "s-", color="C0", ms=4,
              label=f"conv layer, {filters} filters {kernel_size}x{kernel_size}")
    ax.plot([side], [dense_params(side * side, units)], "o", color="C3", ms=10, mfc="none")
    ax.axvline(side, color="0.6", linestyle=":")
    ax.set(xlabel="image side (pixels)", ylabel="parameters", ylim=(1e2, 3e12))
    ax.set_xticks(sides)
    ax.set_xticklabels([str(s) for s in sides])
    # Plain tick labels: the default 10^k labels need mathtext, which is slow to render.
    ax.set_yticks([1e2, 1e4, 1e6, 1e8, 1e10, 1e12])
    ax.set_yticklabels(["100", "10k", "1M", "100M", "10B", "1T"])
    ax.minorticks_off()
    ax.set_title(f"dense: {dense_params(side * side, units):,}   conv: {conv:,}")
    ax.legend(loc="upper left", fontsize=11, frameon=False)
    return fig


def _resize(image, side):
    """Nearest-neighbour resampling of a grey image to ``side x side`` (crop to a square first)."""
    image = np.asarray(image, dtype=float)
    h, w = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = image[top:top + s, left:left + s]
    idx = (np.arange(side) + 0.5) * s / side
    idx = idx.astype(int)
    return square[np.ix_(idx, idx)]


def plot_connectivity(output_index, n_inputs=10, kernel_size=3):
    """Slider frame: which inputs one output unit reads, in a dense and in a conv layer.

    Left, a dense layer: the chosen unit has its own weight for every input. Right, a
    convolution: the unit reads only ``kernel_size`` neighbours, and every unit uses the same
    weights (the same colours).
    """
    from matplotlib.collections import LineCollection

    n_out_conv = n_inputs - kernel_size + 1
    tap_colours = ["C1", "C2", "C4", "C5", "C6"][:kernel_size]
    fig, axes = plotting.subplots(1, 2, height=2.5)
    for ax, kind in zip(axes, ("dense", "conv"), strict=True):
        n_out = n_inputs if kind == "dense" else n_out_conv
        xs_out = np.arange(n_out) + (n_inputs - n_out) / 2
        chosen = min(output_index, n_out - 1)
        faint, bold, faint_c, bold_c = [], [], [], []
        for o in range(n_out):
            sources = range(n_inputs) if kind == "dense" else range(o, o + kernel_size)
            for j, i in enumerate(sources):
                segment = [(i, 0), (xs_out[o], 1)]
                colour = "C3" if kind == "dense" else tap_colours[j]
                if o == chosen:
                    bold.append(segment)
                    bold_c.append(colour)
                else:
                    faint.append(segment)
                    faint_c.append("0.85" if kind == "dense" else colour)
        alpha = 1.0 if kind == "dense" else 0.5
        ax.add_collection(LineCollection(faint, colors=faint_c, linewidths=0.7, alpha=alpha))
        ax.add_collection(LineCollection(bold, colors=bold_c, linewidths=1.8, zorder=2))
        ax.scatter(np.arange(n_inputs), np.zeros(n_inputs), s=50, color="0.3", zorder=3)
        ax.scatter(xs_out, np.ones(n_out), s=50, color="0.3", zorder=3)
        ax.scatter([xs_out[chosen]], [1], s=110, color="C3" if kind == "dense" else "k",
                   zorder=4)
        ax.set_xlim(-2.2, n_inputs - 0.3)
        ax.set_ylim(-0.25, 1.25)
        ax.set_axis_off()
        if kind == "dense":
            title = (f"dense: unit {chosen} reads all {n_inputs} inputs\n"
                     f"{dense_params(n_inputs, n_out)} parameters in the layer")
        else:
            title = (f"conv: unit {chosen} reads inputs {chosen} to {chosen + kernel_size - 1}\n"
                     f"{conv_params(1, 1, kernel_size, ndim=1)} parameters in the layer")
        ax.set_title(title, fontsize=11)
        ax.text(-0.6, 0, "input", va="center", ha="right", fontsize=11)
        ax.text(-0.6, 1, "output", va="center", ha="right", fontsize=11)
    return fig


def plot_accuracies(accuracy, ax=None):
    """Bar chart of test accuracies over seeds: the mean as a bar, the sd as an error bar and
    every seed as a dot.

    ``accuracy`` maps ``(model, version)`` to a list of scores, with model ``"dense"`` or
    ``"cnn"`` and version ``"original"`` or ``"shuffled"``.
    """
    if ax is None:
        fig, ax = plotting.subplots(height=2.6, width=5.0)
    else:
        fig = ax.figure
    labels, colours, scores = [], [], []
    for model, colour in (("dense", "C3"), ("cnn", "C0")):
        for version in ("original", "shuffled"):
            labels.append(f"{'dense net' if model == 'dense' else 'CNN'}\n{version}")
            scores.append(np.asarray(accuracy[model, version], dtype=float))
            colours.append(colour if version == "original" else _lighter(colour))
    means = [v.mean() for v in scores]
    sds = [v.std(ddof=1) if v.size > 1 else 0.0 for v in scores]
    ax.bar(range(4), means, yerr=sds, capsize=4, color=colours)
    for i, v in enumerate(scores):
        ax.plot(np.full(v.size, i) + np.linspace(-0.15, 0.15, v.size), v, "o", ms=3,
                color="0.2")
        ax.text(i, means[i] + sds[i] + 0.005, f"{means[i]:.3f}", ha="center", va="bottom",
                fontsize=11)
    ax.set_xticks(range(4))
    ax.set_xticklabels(labels)
    low = min(float(v.min()) for v in scores)
    ax.set_ylim(max(0.0, low - 0.1), 1.0)
    ax.set_ylabel("test accuracy")
    return fig


def plot_column_orders(result: ColumnOrderResult, ax=None):
    """CNN test accuracy against the number of interacting column pairs its filter can see,
    one dot per column order; the dense net's accuracy (the same in every order) as a line."""
    if ax is None:
        fig, ax = plotting.subplots(height=2.6, width=5.0)
    else:
        fig = ax.figure
    reach = np.asarray(result.reachable_pairs)
    acc = np.asarray(result.cnn_accuracy)
    jitter = np.linspace(-0.12, 0.12, len(acc))
    ax.plot(reach[1:] + jitter[1:], acc[1:], "o", color="C0", ms=5, label="1D CNN, random order")
    ax.plot(reach[:1], acc[:1], "D", color="C1", ms=7, label="1D CNN, listed order")
    ax.axhline(result.dense_accuracy[0], color="C3", lw=1.5, label="dense net, every order")
    ax.set_xticks(range(len(VOTER_INTERACTIONS) + 1))
    ax.set_xlabel("interacting pairs within the filter's reach (3 columns)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=11, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return fig


def _lighter(colour):
    rgb = np.array(plt.matplotlib.colors.to_rgb(colour))
    return tuple(rgb + (1 - rgb) * 0.5)


def show_shuffled_digits(images, perm, labels=None):
    """Two rows: digits as they are, and the same digits with one fixed pixel permutation."""
    images = np.asarray(images)
    images = images.reshape(len(images), *images.shape[-2:])
    shuffled = permute_pixels(images, perm)
    fig, ax = plotting.subplots(height=2.4)
    _show_mosaic(ax, mosaic(np.stack([images, shuffled])))
    h, w = images.shape[-2:]
    ax.text(-1.2, (h - 1) / 2, "original", rotation=90, ha="right", va="center", fontsize=11)
    ax.text(-1.2, h + 1 + (h - 1) / 2, "shuffled", rotation=90, ha="right", va="center",
            fontsize=11)
    if labels is not None:
        for k, label in enumerate(labels):
            ax.text(k * (w + 1) + (w - 1) / 2, -1.2, f"label {label}", ha="center",
                    va="bottom", fontsize=11)
    return fig
