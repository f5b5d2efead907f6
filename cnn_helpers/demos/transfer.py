"""Chapter 8, transfer learning: the source model, the few-label experiment and its figures.

The story of the chapter in code:

* a **source task**, digits 0-4 of scikit-learn's 8x8 digits, on which the project trained a
  small CNN once (``scripts/train_source_model.py``; the weights ship in
  ``cnn_helpers/weights/source_cnn.npz``);
* a **target task**, digits 5-9, with only a handful of labelled images per class;
* three ways to learn the target task: **from scratch**, **frozen features** plus a new linear
  classifier, and **fine-tuning** the deepest convolution with a smaller learning rate; plus a
  control, frozen *random* features, that shows what the source training itself bought.

Every number is measured by :func:`run_experiment`, seeded, so the same call gives the same
table. Training is a plain loop of mini-batch steps (:func:`train_steps`), the loop of
:func:`cnn_helpers.training.fit` counted in steps instead of epochs, so that small and large
training sets get the same budget.
"""

from __future__ import annotations

import time
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import augment as aug
from ..data import DataSplit, load_digits
from ..losses import cross_entropy, cross_entropy_backward
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..optim import Adam
from ..training import predict

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "WEIGHTS_PATH",
    "SOURCE_RECIPE",
    "TARGET_RECIPE",
    "STRATEGIES",
    "source_cnn",
    "digit_tasks",
    "train_steps",
    "train_source_model",
    "save_source_model",
    "load_source_model",
    "sample_per_class",
    "frozen_model",
    "finetune_optimizer",
    "Results",
    "run_experiment",
    "run_augmentation_experiment",
    "cut_experiment",
    "plot_results",
    "draw_seeds",
    "AUGMENT_LEVELS",
    "make_augmentation",
    "draw_augmented",
    "show_flips",
    "plot_cuts",
]

SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "weights" / "source_cnn.npz"
META_PREFIX = "meta."

# How the shipped source model was trained (scripts/train_source_model.py reads this).
SOURCE_RECIPE = dict(seed=0, steps=630, batch_size=32, lr=3e-3, max_shift=1)

# How each strategy learns the target task. Every strategy gets the same number of
# mini-batch steps, whatever the number of labels.
TARGET_RECIPE = dict(
    steps=100,           # mini-batch steps for scratch and for fine-tuning
    batch_size=25,       # at most; smaller training sets are used whole
    lr=1e-2,             # Adam, for everything that starts from random weights
    finetune_lr=1e-3,    # the pretrained convolution moves ten times more gently
    probe_steps=100,     # full-batch steps of a linear classifier on frozen features
    finetune_steps=50,   # steps of fine-tuning, after the probe has trained the new head
)

STRATEGIES = ("scratch", "frozen", "fine-tuned", "frozen random")
STRATEGY_COLOURS = {"scratch": "#7f7f7f", "frozen": "#1f77b4", "fine-tuned": "#d62728",
                    "frozen random": "#bcbd22", "scratch + augmentation": "#2ca02c"}


# --------------------------------------------------------------------------
# The network and the two tasks
# --------------------------------------------------------------------------

def source_cnn(seed=0, n_classes=5):
    """The chapter's CNN: two conv blocks and a linear classifier, for 8x8 digits.

    ``conv 3x3 (16) → ReLU → maxpool 2 → conv 3x3 (32) → ReLU → maxpool 2 →
    flatten → linear``. Indices into the Sequential: ``[0:3]`` is block 1, ``[3:6]``
    block 2, ``[6]`` flatten (128 features), ``[7]`` the classifier. Weights come from
    ``seed``; the same seed gives the same network.
    """
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 16, 3, padding=1, rng=rng),    # (N, 16, 8, 8)
        ReLU(),
        MaxPool2d(2),                            # (N, 16, 4, 4)
        Conv2d(16, 32, 3, padding=1, rng=rng),   # (N, 32, 4, 4)
        ReLU(),
        MaxPool2d(2),                            # (N, 32, 2, 2)
        Flatten(),                               # (N, 128)
        Linear(128, n_classes, rng=rng),         # (N, n_classes)
    )


Tasks = namedtuple("Tasks", ["source", "target"])
Tasks.__doc__ = "Two DataSplits: digits 0-4 (source) and 5-9 (target), labels 0..4 in both."


def _subset(split, classes):
    classes = np.asarray(classes)
    keep_train = np.isin(split.y_train, classes)
    keep_test = np.isin(split.y_test, classes)
    # Labels become 0..len(classes)-1 in the order given.
    relabel = {c: i for i, c in enumerate(classes.tolist())}
    return DataSplit(split.X_train[keep_train],
                     np.array([relabel[c] for c in split.y_train[keep_train]], dtype=np.int64),
                     split.X_test[keep_test],
                     np.array([relabel[c] for c in split.y_test[keep_test]], dtype=np.int64))


def digit_tasks():
    """The source task (digits 0-4) and the target task (digits 5-9).

    Both come from :func:`cnn_helpers.data.load_digits`'s fixed split, so no image is
    shared between the two tasks or between training and test. Target label ``i`` is the
    digit ``5 + i``.
    """
    digits = load_digits()
    return Tasks(_subset(digits, SOURCE_CLASSES), _subset(digits, TARGET_CLASSES))


# --------------------------------------------------------------------------
# Training in steps
# --------------------------------------------------------------------------

def train_steps(model, optimizer, X, y, steps, batch_size, seed=0, augment=None):
    """Take ``steps`` Adam/SGD steps on mini-batches of ``(X, y)``; returns the last loss.

    Batches run through a fresh random permutation of the data each epoch; a training set
    smaller than ``batch_size`` is used whole at every step. ``augment(x, rng)``, if
    given, transforms each batch. Everything random comes from ``seed``.
    """
    rng = np.random.default_rng(seed)
    n = len(X)
    batch_size = min(batch_size, n)
    model.train()
    order, start, loss = rng.permutation(n), 0, float("nan")
    for _ in range(steps):
        if start + batch_size > n:
            order, start = rng.permutation(n), 0
        idx = order[start:start + batch_size]
        start += batch_size
        xb = X[idx] if augment is None else augment(X[idx], rng)
        logits = model(xb)
        loss = float(cross_entropy(logits, y[idx]))
        optimizer.zero_grad()
        model.backward(cross_entropy_backward(logits, y[idx]))
        optimizer.step()
    model.eval()
    return loss


def _accuracy(model, X, y):
    return float(np.mean(predict(model, X) == y))


# --------------------------------------------------------------------------
# The source model: training, saving, loading
# --------------------------------------------------------------------------

def train_source_model(recipe=None, tasks=None):
    """Train :func:`source_cnn` on digits 0-4 with random shifts; returns ``(model, accuracy)``.

    The accuracy is measured on the source task's held-out test images. With the default
    ``SOURCE_RECIPE`` this is exactly how the shipped weights were made.
    """
    recipe = {**SOURCE_RECIPE, **(recipe or {})}
    tasks = tasks or digit_tasks()
    source = tasks.source
    model = source_cnn(recipe["seed"])
    optimizer = Adam(model.parameters(), lr=recipe["lr"])
    shift = aug.RandomShift(recipe["max_shift"])
    train_steps(model, optimizer, source.X_train, source.y_train, recipe["steps"],
                recipe["batch_size"], seed=recipe["seed"], augment=shift)
    return model, _accuracy(model, source.X_test, source.y_test)


def save_source_model(model, accuracy, path=WEIGHTS_PATH, recipe=None):
    """Write the weights (float32) and, beside them in the same .npz, the source accuracy,
    the recipe and where they were made (numpy version, machine) as ``meta.*`` entries."""
    import platform

    recipe = {**SOURCE_RECIPE, **(recipe or {})}
    meta = {f"{META_PREFIX}source_accuracy": np.float64(accuracy),
            f"{META_PREFIX}numpy": np.asarray(np.__version__),
            f"{META_PREFIX}machine": np.asarray(platform.machine())}
    meta.update({f"{META_PREFIX}recipe.{k}": np.asarray(v) for k, v in recipe.items()})
    state = {k: v.astype(np.float32) for k, v in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **state, **meta)


def load_source_model(path=WEIGHTS_PATH):
    """The pretrained source model and its metadata: ``(model, meta)``.

    ``meta['source_accuracy']`` is the accuracy measured on digits 0-4 when the weights
    were made; ``meta['recipe']`` how they were trained. Each call builds a fresh copy,
    so fine-tuning one copy leaves the others untouched.
    """
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    state = {k: v for k, v in arrays.items() if not k.startswith(META_PREFIX)}
    recipe = {k[len(META_PREFIX + "recipe."):]: v.item() for k, v in arrays.items()
              if k.startswith(META_PREFIX + "recipe.")}
    model = source_cnn(0)
    model.load_state_dict(state)
    model.eval()
    meta = {"source_accuracy": float(arrays[META_PREFIX + "source_accuracy"]),
            "recipe": recipe, "n_parameters": model.num_parameters(),
            "numpy": str(arrays[META_PREFIX + "numpy"]),
            "machine": str(arrays[META_PREFIX + "machine"])}
    return model, meta


# --------------------------------------------------------------------------
# The three strategies
# --------------------------------------------------------------------------

def sample_per_class(y, per_class, seed):
    """Indices of ``per_class`` random examples of every class in ``y`` (without replacement)."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(y == c), per_class, replace=False)
             for c in np.unique(y)]
    return np.concatenate(picks)


def frozen_model(source, n_classes=5, seed=0):
    """Feature extraction: ``source`` without its classifier, frozen, plus a new linear layer.

    ``source[:-1]`` is the source network up to its 128 flattened features (the modules are
    shared, not copied); ``freeze()`` stops their parameters from learning.
    """
    features = source[:-1].freeze()
    head = Linear(128, n_classes, rng=np.random.default_rng(seed))
    return Sequential(features, head)


def finetune_optimizer(block, head, lr, finetune_lr):
    """Adam with two parameter groups: the pretrained block at ``finetune_lr``, the head at ``lr``."""
    return Adam([{"params": block.parameters(), "lr": finetune_lr},
                 {"params": head.parameters()}], lr=lr)


def _probe(features, y, features_test, y_test, seed, recipe):
    """Train a linear classifier on fixed features; returns ``(head, accuracy)``."""
    head = Linear(features.shape[1], 5, rng=np.random.default_rng(1000 + seed))
    # A linear layer on fixed features is cheap: train it on the whole set at every step.
    train_steps(head, Adam(head.parameters(), lr=recipe["lr"]), features, y,
                recipe["probe_steps"], len(y), seed=seed)
    return head, _accuracy(head, features_test, y_test)


@dataclass
class _Features:
    """What a frozen front of a network outputs on the target pool and test set, once."""

    train: np.ndarray
    test: np.ndarray

    @classmethod
    def of(cls, front, target):
        front.eval()
        return cls(front(target.X_train), front(target.X_test))


def _run_scratch(target, idx, seed, recipe, augment=None):
    model = source_cnn(seed=1000 + seed)
    optimizer = Adam(model.parameters(), lr=recipe["lr"])
    train_steps(model, optimizer, target.X_train[idx], target.y_train[idx], recipe["steps"],
                recipe["batch_size"], seed=seed, augment=augment)
    return _accuracy(model, target.X_test, target.y_test)


def _run_finetune(block1_out, target, idx, seed, recipe, path):
    """Block 1 stays frozen (its outputs are cached); block 2 and a new head are trained.

    The head starts from a linear probe on the frozen features (as the notes advise:
    first train the new classifier, then fine-tune); block 2 starts from the source
    weights and learns ``finetune_lr / lr`` times more slowly than the head.
    """
    source, _ = load_source_model(path)
    block2 = source[3:7]                     # conv, ReLU, pool, flatten
    y, y_test = target.y_train[idx], target.y_test
    f_train, f_test = block2(block1_out.train[idx]), block2(block1_out.test)
    head, _ = _probe(f_train, y, f_test, y_test, seed, recipe)
    tail = Sequential(block2, head)
    optimizer = finetune_optimizer(block2, head, recipe["lr"], recipe["finetune_lr"])
    train_steps(tail, optimizer, block1_out.train[idx], y, recipe["finetune_steps"],
                recipe["batch_size"], seed=seed)
    return _accuracy(tail, block1_out.test, y_test)


@dataclass
class Results:
    """Accuracies on the target test set: ``accuracy[strategy]`` has shape (sizes, seeds)."""

    sizes: tuple
    seeds: tuple
    accuracy: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    n_test: int = 0

    def mean(self, strategy):
        return self.accuracy[strategy].mean(axis=1)

    def std(self, strategy):
        return self.accuracy[strategy].std(axis=1)

    def at(self, strategy, per_class):
        """The per-seed accuracies of ``strategy`` with ``per_class`` labels per class."""
        return self.accuracy[strategy][self.sizes.index(per_class)]

    def table(self):
        """A plain-text table: mean ± std over seeds, one row per strategy."""
        head = "labels per class".ljust(18) + "".join(f"{n:>14}" for n in self.sizes)
        rows = [head]
        for name in self.accuracy:
            cells = "".join(f"{m:>8.3f} ±{s:.3f}" for m, s in zip(self.mean(name), self.std(name),
                                                                    strict=True))
            rows.append(name.ljust(18) + cells)
        return "\n".join(rows)


def run_experiment(sizes=(1, 2, 5, 10, 20, 50), seeds=(0, 1, 2, 3), recipe=None,
                   strategies=STRATEGIES, path=WEIGHTS_PATH, tasks=None):
    """Every strategy at every number of labels per class, once per seed.

    For seed ``s`` and size ``n`` all strategies see the same ``n`` labelled images per
    class (drawn with :func:`sample_per_class`), and are scored on all of the target's test
    images. Frozen parts of a network never change, so their outputs are computed once for
    the whole target set and reused: that is what makes feature extraction cheap.
    """
    recipe = {**TARGET_RECIPE, **(recipe or {})}
    target = (tasks or digit_tasks()).target
    sizes, seeds = tuple(sizes), tuple(seeds)
    results = Results(sizes, seeds, n_test=len(target.y_test))
    source, _ = load_source_model(path)
    block1_out = _Features.of(source[:3], target)
    pretrained = _Features.of(source[:-1], target)

    for name in strategies:
        acc = np.zeros((len(sizes), len(seeds)))
        start = time.perf_counter()
        for j, seed in enumerate(seeds):
            if name == "frozen random":
                features = _Features.of(source_cnn(seed=1000 + seed)[:-1], target)
            for i, n in enumerate(sizes):
                idx = sample_per_class(target.y_train, n, seed)
                if name == "scratch":
                    acc[i, j] = _run_scratch(target, idx, seed, recipe)
                elif name == "frozen":
                    acc[i, j] = _probe(pretrained.train[idx], target.y_train[idx],
                                       pretrained.test, target.y_test, seed, recipe)[1]
                elif name == "frozen random":
                    acc[i, j] = _probe(features.train[idx], target.y_train[idx],
                                       features.test, target.y_test, seed, recipe)[1]
                elif name == "fine-tuned":
                    acc[i, j] = _run_finetune(block1_out, target, idx, seed, recipe, path)
                else:
                    raise ValueError(f"unknown strategy {name!r}; choose from {STRATEGIES}")
        results.accuracy[name] = acc
        results.seconds[name] = time.perf_counter() - start
    return results


def run_augmentation_experiment(augment, sizes=(5,), seeds=(0, 1, 2, 3), recipe=None,
                                tasks=None):
    """Training from scratch with and without ``augment``, same labels, same seeds.

    Returns a :class:`Results` with strategies ``'scratch'`` and ``'scratch + augmentation'``.
    """
    recipe = {**TARGET_RECIPE, **(recipe or {})}
    target = (tasks or digit_tasks()).target
    results = Results(tuple(sizes), tuple(seeds), n_test=len(target.y_test))
    for name, transform in (("scratch", None), ("scratch + augmentation", augment)):
        acc = np.zeros((len(sizes), len(seeds)))
        start = time.perf_counter()
        for j, seed in enumerate(seeds):
            for i, n in enumerate(sizes):
                idx = sample_per_class(target.y_train, n, seed)
                acc[i, j] = _run_scratch(target, idx, seed, recipe, augment=transform)
        results.accuracy[name] = acc
        results.seconds[name] = time.perf_counter() - start
    return results


def cut_experiment(per_class=20, seeds=(0, 1, 2, 3), recipe=None, path=WEIGHTS_PATH,
                   tasks=None):
    """Linear probes on the features after block 1 and after block 2, pretrained and random.

    Returns ``{(weights, block): accuracies over seeds}`` with ``weights`` in
    ``('pretrained', 'random')`` and ``block`` in ``(1, 2)``.
    """
    recipe = {**TARGET_RECIPE, **(recipe or {})}
    target = (tasks or digit_tasks()).target
    source, _ = load_source_model(path)
    out = {}
    for weights in ("pretrained", "random"):
        for block, stop in ((1, 3), (2, 6)):
            accs = []
            for seed in seeds:
                net = source if weights == "pretrained" else source_cnn(seed=1000 + seed)
                feats = _Features.of(Sequential(*net[:stop], Flatten()), target)
                idx = sample_per_class(target.y_train, per_class, seed)
                accs.append(_probe(feats.train[idx], target.y_train[idx], feats.test,
                                   target.y_test, seed, recipe)[1])
            out[(weights, block)] = np.array(accs)
    return out


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def plot_results(results, ax=None, title=None):
    """Accuracy against labels per class: mean over seeds, band from min to max."""
    from .. import plotting

    if ax is None:
        fig, ax = plotting.subplots(height=3.4)
    else:
        fig = ax.figure
    x = np.asarray(results.sizes)
    for name, acc in results.accuracy.items():
        colour = STRATEGY_COLOURS.get(name)
        style = "--" if name == "frozen random" else "-"
        ax.plot(x, acc.mean(axis=1), style, marker="o", ms=4, color=colour, label=name)
        ax.fill_between(x, acc.min(axis=1), acc.max(axis=1), color=colour, alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_xticks(x, [str(n) for n in x])
    ax.minorticks_off()
    ax.set_xlabel("labelled images per class (log scale)")
    ax.set_ylabel("target test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_seeds(results, per_class, examples=None):
    """One slider frame: the curves with ``per_class`` marked, and every seed's accuracy there.

    ``examples`` may be the labelled images of seed 0 at that size, ``(n, 1, 8, 8)`` in the
    class-by-class order of :func:`sample_per_class`; up to five per class are shown as a
    strip underneath, so the reader sees how little the learners get.
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    fig = plotting.subplots(height=3.2)[0]
    fig.clf()
    grid = fig.add_gridspec(2 if examples is not None else 1, 2, width_ratios=(1.25, 1),
                            height_ratios=(4, 1) if examples is not None else None)
    left, right = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    plot_results(results, ax=left)
    left.axvline(per_class, color="k", lw=1, alpha=0.5)
    left.legend().remove()
    lo = min(acc.min() for acc in results.accuracy.values())
    for k, (name, acc) in enumerate(results.accuracy.items()):
        row = acc[results.sizes.index(per_class)]
        right.scatter(row, np.full(len(row), k), color=STRATEGY_COLOURS.get(name), s=22)
        right.plot([row.mean()] * 2, [k - 0.3, k + 0.3], color="k", lw=1.5)
    right.set_yticks(range(len(results.accuracy)), list(results.accuracy))
    right.set_xlim(max(0.0, lo - 0.03), 1.0)
    right.invert_yaxis()
    right.set_xlabel("accuracy (dots: seeds, bar: mean)")
    right.set_title(f"{per_class} label{'s' if per_class > 1 else ''} per class")
    right.grid(alpha=0.3, axis="x")
    if examples is not None:
        # At most five images of each class, taken from the class-by-class order.
        n_classes = len(examples) // per_class
        keep = min(per_class, 5)
        picks = [c * per_class + k for c in range(n_classes) for k in range(keep)]
        strip = fig.add_subplot(grid[1, :])
        strip.imshow(_strip(examples[picks, 0], value=np.nan),
                     cmap=plt.get_cmap("gray").with_extremes(bad="white"), vmin=0, vmax=1)
        strip.set_axis_off()
        what = (f"all {len(examples)} labelled images" if keep == per_class
                else f"{keep} of the {per_class} labelled images per class")
        strip.set_title(f"{what} (seed 0)", fontsize=9)
    fig.tight_layout()
    return fig


# Strength levels of the augmentation slider: level 0 is "no change" for every kind.
AUGMENT_LEVELS = {
    "shift": (0, 1, 2, 3, 4, 5),                  # largest shift, pixels
    "rotation": (0, 10, 20, 45, 90, 180),         # largest angle, degrees
    "noise": (0, 0.05, 0.1, 0.2, 0.3, 0.5),       # standard deviation
    "RandAugment": (0, 2, 4, 6, 8, 10),           # magnitude, 2 operations each
}
_AUGMENT_TITLES = {"shift": "shift up to {:g} px", "rotation": "rotation up to {:g}°",
                   "noise": "noise of std {:g}", "RandAugment": "RandAugment, magnitude {:g}"}


def make_augmentation(kind, strength):
    """The random transform behind one slider frame (``kind`` from ``AUGMENT_LEVELS``)."""
    return {"shift": lambda s: aug.RandomShift(int(s)),
            "rotation": lambda s: aug.RandomRotation(s),
            "noise": lambda s: aug.GaussianNoise(s),
            "RandAugment": lambda s: aug.RandAugment(num_ops=2, magnitude=s)}[kind](strength)


def _strip(images, gap=1, value=1.0):
    """Images ``(n, H, W)`` side by side, separated by ``gap`` columns of ``value``."""
    h = images.shape[1]
    parts = []
    for k, image in enumerate(images):
        if k:
            parts.append(np.full((h, gap), value))
        parts.append(image)
    return np.concatenate(parts, axis=1)


def draw_augmented(image, kind, strength, n=6, seed=0):
    """One slider frame: ``n`` augmented copies of ``image`` (H, W) for one kind and strength.

    ``kind`` is ``'shift'`` (pixels), ``'rotation'`` (degrees), ``'noise'`` (sigma) or
    ``'RandAugment'`` (magnitude 0..10). The same seed draws the same random numbers at every
    strength, so moving the slider changes only how strong the changes are. The original and
    the copies are drawn as one picture (one axes), which keeps every frame quick to render.
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    transform = make_augmentation(kind, strength)
    image = np.asarray(image, dtype=np.float32)
    batch = np.repeat(image[None, None], n, axis=0)
    copies = transform(batch, np.random.default_rng(seed))[:, 0]
    h, w = image.shape
    picture = np.concatenate([image, np.full((h, 3), np.nan), _strip(copies, value=np.nan)],
                             axis=1)
    fig, ax = plotting.subplots(height=1.7)
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(picture, cmap=cmap, vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"original  |  {n} random copies: " + _AUGMENT_TITLES[kind].format(strength),
                 fontsize=10)
    fig.tight_layout()
    return fig


def show_flips(X, y, digits=(2, 3, 5, 7)):
    """A digit of each kind in ``digits`` and its left-right and upside-down mirror images."""
    from .. import plotting

    fig, axes = plotting.subplots(3, len(digits), height=4.4)
    for col, digit in enumerate(digits):
        image = X[np.flatnonzero(y == digit)[0], 0]
        for row, (label, picture) in enumerate((("original", image),
                                                ("left-right flip", image[:, ::-1]),
                                                ("upside-down flip", image[::-1, :]))):
            plotting.show_matrix(picture, ax=axes[row, col], annotate=False, signed=False)
            if col == 0:
                axes[row, col].set_ylabel(label)
                axes[row, col].yaxis.set_visible(True)
                axes[row, col].set_yticks([])
        axes[0, col].set_title(f"a {digit}")
    fig.tight_layout()
    return fig


def plot_cuts(cuts, per_class=20):
    """Bars of :func:`cut_experiment`: probe accuracy after block 1 and block 2, pretrained
    against random weights; dots are the seeds."""
    from .. import plotting

    fig, ax = plotting.subplots(height=2.8, width=6.5)
    colours = {"pretrained": STRATEGY_COLOURS["frozen"], "random": STRATEGY_COLOURS["frozen random"]}
    for k, block in enumerate((1, 2)):
        for j, weights in enumerate(("pretrained", "random")):
            accs = cuts[(weights, block)]
            x = k + (j - 0.5) * 0.36
            ax.bar(x, accs.mean(), width=0.34, color=colours[weights], alpha=0.8,
                   label=f"{weights} weights" if k == 0 else None)
            ax.scatter(np.full(len(accs), x), accs, color="k", s=8, zorder=3)
    ax.set_xticks([0, 1], ["features after block 1\n(16x4x4 = 256)",
                           "features after block 2\n(32x2x2 = 128)"])
    low = min(a.min() for a in cuts.values())
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.set_ylabel("target test accuracy")
    ax.set_title(f"linear classifier on frozen features, {per_class} labels per class")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
