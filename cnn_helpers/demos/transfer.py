"""Chapter 8, transfer learning: a letters source model, the digits target, the experiment.

The story of the chapter in code:

* a **source task**: 52,000 letters A-Z and a-z rendered from fonts and distorted
  (:mod:`cnn_helpers.letters`), 52 classes, made like the UCI digits; a small CNN trained on
  them once (``scripts/train_source_model.py``), whose weights ship in
  ``cnn_helpers/weights/letters_cnn.npz``;
* a **target task**: scikit-learn's handwritten digits, 10 classes, with 1 to 50 labelled
  images per class, a validation set for every choice and a test set used once;
* five ways to learn the target: **scratch**, **linear probe** on frozen features,
  **fine-tune** every layer, **linear probe then fine-tune** (Kumar et al., 2022), and a
  control, a linear probe on frozen **random** features; and three ablations: the probe and
  fine-tuning on a source **truncated** to 1,040 letters, and a probe on the features of
  the source's first block.

Each strategy picks its learning rate and number of steps (scratch also whether to augment)
on the validation images, from the same number of trials. :func:`run_cell` runs every strategy for one budget and one seed;
``scripts/transfer_experiment.py`` runs the whole grid and writes the results as JSON, and
the chapter reads the copy shipped in ``cnn_helpers/weights/transfer_results.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .. import augment as aug
from ..data import load_digits
from ..losses import cross_entropy, cross_entropy_backward
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..optim import Adam
from ..training import predict

__all__ = [
    "WEIGHTS_DIR",
    "WEIGHTS_PATH",
    "TRUNCATED_PATH",
    "RESULTS_PATH",
    "SOURCE_RECIPE",
    "TRUNCATED_RECIPE",
    "STRATEGIES",
    "ABLATIONS",
    "ABLATION_BUDGETS",
    "runs_at",
    "pooled_difference",
    "BUDGETS",
    "SEEDS",
    "SEARCH",
    "PATIENCE",
    "SD_FLOOR",
    "runs_of",
    "n_trials",
    "grid_edges",
    "describe_edges",
    "source_cnn",
    "augmentation",
    "letter_task",
    "train_steps",
    "train_source_model",
    "case_folded_accuracy",
    "weights_digest",
    "save_source_model",
    "load_source_model",
    "sample_per_class",
    "digit_split",
    "features_of",
    "linear_probe",
    "fine_tune",
    "scratch",
    "select",
    "run_cell",
    "collect",
    "load_results",
    "paired_differences",
    "summary_table",
    "plot_results",
    "plot_differences",
    "AUGMENT_LEVELS",
    "make_augmentation",
    "draw_augmented",
    "show_flips",
    "show_letters",
    "show_filters",
    "show_maps",
]

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
WEIGHTS_PATH = WEIGHTS_DIR / "letters_cnn.npz"
TRUNCATED_PATH = WEIGHTS_DIR / "letters_cnn_truncated.npz"
RESULTS_PATH = WEIGHTS_DIR / "transfer_results.json"
META_PREFIX = "meta."

# How the shipped source models were trained (scripts/train_source_model.py reads these).
# The full source takes 4,000 steps of 128 letters, about 10 epochs. The truncated source
# sees only the first 1,040 letters (20 per class); the same 4,000 steps would be about
# 490 epochs of them, so it stops early: every ``val_every`` steps it reads its accuracy
# on ``n_val`` other letters (drawn with ``val_seed``) and keeps the best weights.
SOURCE_RECIPE = dict(n_train=52_000, n_test=5_200, data_seed=0, test_seed=1, seed=0,
                     steps=4_000, batch_size=128, lr=3e-3, elastic=True)
TRUNCATED_RECIPE = {**SOURCE_RECIPE, "n_train": 1_040, "val_every": 100, "n_val": 1_040,
                    "val_seed": 2}
# Steps whose weights the script records as a digest, for the test that replays them.
FIRST_STEPS = 5

STRATEGIES = ("scratch", "linear_probe", "fine_tune", "lp_ft", "random_features")
# The ablations: the source truncated to 1,040 letters, probed and fine-tuned; and a probe on
# the full source's first block alone (``source[:3]``, 256 features), earlier and more
# general features than the 128 of the last block.
ABLATIONS = ("linear_probe_truncated", "fine_tune_truncated", "linear_probe_block1")
BUDGETS = (1, 2, 5, 10, 20, 50)
# Fine-tuning from the truncated source runs at the three smallest budgets only, where
# fine-tuning gains most over scratch: at every budget it would cost as much as fine-tuning
# itself and push the whole experiment past 15 minutes on two cores.
ABLATION_BUDGETS = {"fine_tune_truncated": (1, 2, 5)}


def runs_at(per_class, strategies=STRATEGIES + ABLATIONS):
    """The strategies that run at ``per_class`` labels per class (see ABLATION_BUDGETS)."""
    return tuple(s for s in strategies if per_class in ABLATION_BUDGETS.get(s, BUDGETS))
SEEDS = (0, 1, 2, 3, 4)
VAL_PER_CLASS = 30

# The search every strategy gets: the same number of trials, 96, each a setting whose
# validation accuracy is read. A run trains at one learning rate (with or without the
# augmentation) and reads the validation accuracy at each of its 12 step counts, so one
# run gives 12 trials; a run that trains a network stops early once ``PATIENCE``
# readings in a row have not beaten its best (early stopping on validation), which saves
# most of the time of runs that have stopped improving; the linear probes, cheap to
# train, read every step count. Every strategy has 8 runs. The grids reach past every value an
# earlier, narrower search chose: a network from random weights needs more steps than
# one that starts pretrained, and pretrained convolutions take smaller steps. Scratch
# also tries training without the shifts, at the two learning rates that won without
# them before (with few labels, shifts may hurt as much as help); the learners that start
# pretrained keep the shifts their source was trained with. Every linear probe
# standardises its features (see :func:`linear_probe`), so one grid serves them all.
_LONG = (50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2000, 2400, 3200)
_SHORT = (25, 50, 100, 150, 200, 300, 400, 600, 800, 1000, 1200, 1600)
_PROBE = {"augment": (False,),
          "lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
          "steps": (5, 10, 25, 50, 100, 200, 300, 400, 600, 800, 1200, 1600)}
_FINE_TUNE = {"augment": (True,),
              "lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
              "steps": _SHORT}
SEARCH = {
    "scratch": {"augment": (True, False),
                "lr": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1),
                "runs": ((True, 1e-3), (True, 3e-3), (True, 1e-2), (True, 3e-2),
                         (True, 1e-1), (True, 3e-1), (False, 3e-3), (False, 1e-2)),
                "steps": _LONG},
    "linear_probe": _PROBE,
    "random_features": _PROBE,
    "fine_tune": _FINE_TUNE,
    "lp_ft": {"augment": (True,),
              "lr": (3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
              "steps": _SHORT},
}
# A linear probe standardises each feature by its standard deviation on the labelled
# images, but never by less than this fraction of the median standard deviation: with
# few labels, a feature that barely varies on them would otherwise be blown up on others.
SD_FLOOR = 0.1
PATIENCE = 3


def runs_of(search):
    """The ``(augment, lr)`` pairs a search trains: ``search['runs']`` if given,
    else every augmentation with every learning rate."""
    if "runs" in search:
        return [(bool(a), float(lr)) for a, lr in search["runs"]]
    return [(a, lr) for a in search["augment"] for lr in search["lr"]]


def n_trials(search):
    """How many settings a search tries: runs x step counts."""
    return len(runs_of(search)) * len(search["steps"])


BATCH_SIZE = 32


# --------------------------------------------------------------------------
# The network, the augmentation and the two tasks
# --------------------------------------------------------------------------

def source_cnn(seed=0, n_classes=52):
    """The chapter's CNN: two conv blocks and a linear classifier, for 8x8 images.

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


def augmentation():
    """The random change applied to every training batch of a network whose convolutions
    learn, on the source and on the target alike: a shift by up to one pixel in each
    direction. (The letters' other variations, rotation, shear, stroke width, elastic
    distortion and noise, are part of how the source images are drawn.)"""
    return aug.RandomShift(1)


def letter_task(recipe=None, jobs=1, progress=False):
    """The source task: ``(X_train, y_train, X_test, y_test)`` of rendered letters.

    Training images are ``0 .. n_train-1`` of the set drawn with ``data_seed``; test
    images are ``0 .. n_test-1`` of a set drawn with ``test_seed`` (same fonts, other random
    distortions). ``jobs > 1`` renders in that many processes; the images do not change.
    """
    recipe = {**SOURCE_RECIPE, **(recipe or {})}
    train = _letters(range(recipe["n_train"]), recipe["data_seed"], recipe["elastic"], jobs,
                     progress)
    test = _letters(range(recipe["n_test"]), recipe["test_seed"], recipe["elastic"], jobs,
                    progress)
    return (*train, *test)


def _letters_chunk(args):
    from ..letters import letter_images

    indices, seed, elastic = args
    return letter_images(indices, seed=seed, elastic=elastic)


def _letters(indices, seed, elastic, jobs, progress):
    from ..letters import letter_images

    indices = list(indices)
    if jobs <= 1:
        return letter_images(indices, seed=seed, elastic=elastic, progress=progress)
    from concurrent.futures import ProcessPoolExecutor

    chunks = [(indices[k:k + 2_000], seed, elastic) for k in range(0, len(indices), 2_000)]
    with ProcessPoolExecutor(jobs) as pool:
        parts = pool.map(_letters_chunk, chunks)
        if progress:
            from tqdm.auto import tqdm

            parts = tqdm(parts, total=len(chunks), desc=f"letters (seed {seed})",
                         unit="chunk")
        parts = list(parts)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def sample_per_class(y, per_class, seed, exclude=None):
    """Indices of ``per_class`` random examples of every class in ``y`` (without replacement),
    never one of the indices in ``exclude``."""
    rng = np.random.default_rng(seed)
    allowed = np.ones(len(y), dtype=bool)
    if exclude is not None:
        allowed[np.asarray(exclude)] = False
    picks = [rng.choice(np.flatnonzero((y == c) & allowed), per_class, replace=False)
             for c in np.unique(y)]
    return np.concatenate(picks)


def digit_split(per_class, seed, digits=None):
    """The target data of one run: ``(X, y, X_val, y_val)`` from the digits' training pool.

    ``VAL_PER_CLASS`` validation images per class are drawn first (from ``seed``), then
    ``per_class`` labelled images per class from the rest. The test set,
    ``digits.X_test``, is not touched here.
    """
    digits = digits or load_digits()
    val = sample_per_class(digits.y_train, VAL_PER_CLASS, seed=[seed, 0])
    idx = sample_per_class(digits.y_train, per_class, seed=[seed, per_class], exclude=val)
    return (digits.X_train[idx], digits.y_train[idx], digits.X_train[val],
            digits.y_train[val])


# --------------------------------------------------------------------------
# Training in steps
# --------------------------------------------------------------------------

def train_steps(model, optimizer, X, y, steps, batch_size, seed=0, augment=None,
                frozen=None):
    """Take ``steps`` optimiser steps on mini-batches of ``(X, y)``; returns the last loss.

    Batches run through a fresh random permutation of the data each epoch; a training set
    smaller than ``batch_size`` is used whole at every step. ``augment(x, rng)``, if given,
    transforms each batch. ``frozen``, a part of ``model`` that must not change, is put back
    in evaluation mode after ``model.train()``: that keeps BatchNorm statistics and dropout
    of frozen layers fixed. ``seed`` may be a ``np.random.Generator``, to continue a run.
    """
    rng = np.random.default_rng(seed)
    n = len(X)
    batch_size = min(batch_size, n)
    model.train()
    if frozen is not None:
        frozen.eval()
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

def train_source_model(data, recipe=None, steps=None, val=None):
    """Train :func:`source_cnn` on the letters ``data = (X, y, X_test, y_test)``.

    Returns ``(model, accuracy, steps_kept)``, the accuracy on the held-out letters.
    ``steps`` overrides the recipe's number of steps (the test replays the first few).
    With ``val = (X_val, y_val)`` and a recipe with ``val_every``, the weights kept are
    those of the step count (a multiple of ``val_every``) with the best accuracy on
    ``val``: early stopping.
    """
    recipe = {**SOURCE_RECIPE, **(recipe or {})}
    X, y, X_test, y_test = data
    model = source_cnn(recipe["seed"], n_classes=int(y.max()) + 1)
    optimizer = Adam(model.parameters(), lr=recipe["lr"])
    steps = recipe["steps"] if steps is None else steps
    every = recipe.get("val_every") if val is not None else None
    rng = np.random.default_rng(recipe["seed"])
    best, done = (-1.0, None, steps), 0
    while done < steps:
        chunk = min(every or steps, steps - done)
        train_steps(model, optimizer, X, y, chunk, recipe["batch_size"], seed=rng,
                    augment=augmentation())
        done += chunk
        if every:
            val_acc = _accuracy(model, *val)
            if val_acc > best[0]:
                best = (val_acc, model.state_dict(), done)
    if every:
        model.load_state_dict(best[1])
        model.eval()
    return model, _accuracy(model, X_test, y_test), best[2]


def case_folded_accuracy(model, X, y):
    """Accuracy on letters when a letter counts as right in either case (``k`` and
    ``k + 26`` are the capital and small forms of one letter)."""
    return float(np.mean(predict(model, X) % 26 == np.asarray(y) % 26))


def weights_digest(model):
    """SHA-256 of a model's parameters (names, shapes and float32 bytes), in a fixed order."""
    h = hashlib.sha256()
    for name, value in model.state_dict().items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(value, dtype=np.float32).tobytes())
    return h.hexdigest()


def _data_digest(X, y):
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def save_source_model(model, accuracy, path=WEIGHTS_PATH, recipe=None, extra=None):
    """Write the weights (float32) and, beside them in the same .npz, ``meta.*`` entries:
    the held-out accuracy, the recipe, where they were made and ``extra`` (digests)."""
    import platform

    recipe = {**SOURCE_RECIPE, **(recipe or {})}
    meta = {f"{META_PREFIX}source_accuracy": np.float64(accuracy),
            f"{META_PREFIX}numpy": np.asarray(np.__version__),
            f"{META_PREFIX}machine": np.asarray(platform.machine())}
    meta.update({f"{META_PREFIX}recipe.{k}": np.asarray(v) for k, v in recipe.items()})
    meta.update({f"{META_PREFIX}{k}": np.asarray(v) for k, v in (extra or {}).items()})
    state = {k: v.astype(np.float32) for k, v in model.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **state, **meta)


def load_source_model(path=WEIGHTS_PATH):
    """The pretrained source model and its metadata: ``(model, meta)``.

    ``meta['source_accuracy']`` is the accuracy on the held-out letters when the weights
    were made, ``meta['recipe']`` how they were trained; the full source's file also
    holds its learning curve (``meta['curve_steps']``, ``'curve_train_accuracy'``,
    ``'curve_test_accuracy'``). Each call builds a fresh copy, so
    fine-tuning one copy leaves the others untouched.
    """
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    state = {k: v for k, v in arrays.items() if not k.startswith(META_PREFIX)}
    recipe = {k[len(META_PREFIX + "recipe."):]: v.item() for k, v in arrays.items()
              if k.startswith(META_PREFIX + "recipe.")}
    model = source_cnn(0, n_classes=state["7.weight"].shape[0])
    model.load_state_dict(state)
    model.eval()
    meta = {k[len(META_PREFIX):]: v.item() if v.ndim == 0 else v.tolist()
            for k, v in arrays.items()
            if k.startswith(META_PREFIX) and not k.startswith(META_PREFIX + "recipe.")}
    meta.update(recipe=recipe, n_parameters=model.num_parameters())
    return model, meta


# --------------------------------------------------------------------------
# The strategies
# --------------------------------------------------------------------------

def features_of(body, X, batch_size=256):
    """What a frozen ``body`` outputs for ``X``, computed once, in evaluation mode."""
    body.eval()
    return np.concatenate([body(X[k:k + batch_size]) for k in range(0, len(X), batch_size)])


def select(build, X, y, X_val, y_val, search, seed, batch_size=BATCH_SIZE,
           patience=PATIENCE):
    """Train ``build()`` with each setting of ``search``; keep the best on
    validation.

    ``build()`` returns ``(model, trainable_parameters, frozen_part)``, the
    last ``None`` when nothing is frozen. ``search`` holds the learning rates
    and augmentations to try (:func:`runs_of`) and the ``'steps'``. Each run
    reads the validation accuracy at each step count, and stops after
    ``patience`` readings without a new best. Returns ``(model, chosen)``.
    """
    best_val, best = -1.0, None
    for k, (augmented, lr) in enumerate(runs_of(search)):
        model, params, frozen = build()
        optimizer = Adam(params, lr=lr)
        augment = augmentation() if augmented else None
        rng = np.random.default_rng([seed, k])
        done, run_best, since = 0, -1.0, 0
        for steps in search["steps"]:
            train_steps(model, optimizer, X, y, steps - done, batch_size,
                        seed=rng, augment=augment, frozen=frozen)
            done = steps
            val = _accuracy(model, X_val, y_val)
            if val > best_val:  # the earliest of equal readings wins
                chosen = dict(lr=lr, steps=steps, augment=augmented, val=val)
                best_val, best = val, (model.state_dict(), chosen)
            since = 0 if val > run_best else since + 1
            run_best = max(run_best, val)
            if patience and since >= patience:
                break  # early stopping: no new best in `patience` readings
    model = build()[0]
    model.load_state_dict(best[0])
    model.eval()
    return model, best[1]


def linear_probe(F, y, F_val, y_val, seed, search=SEARCH["linear_probe"]):
    """A new linear classifier on fixed features ``F``, chosen on validation.

    The features are standardised with the mean and standard deviation of
    the labelled ``F`` alone, each deviation floored at ``SD_FLOOR`` times
    their median, so that a feature nearly constant on a few labelled images
    is not blown up on the others. The head starts at zero, like logistic
    regression, so a feature that never varies on the labelled images keeps
    a zero weight. The head returned takes raw features (the scaling is
    folded into its weights and bias). A probe trains in a blink, so every
    run reads all its step counts: no early stopping.
    """
    mean, std = F.mean(axis=0), F.std(axis=0)
    median = np.median(std)
    floor = SD_FLOOR * median if median > 0 else 1.0
    std = np.maximum(std, floor).astype(F.dtype)

    def build():
        head = Linear(F.shape[1], int(y.max()) + 1, rng=0)
        head.weight.data[...] = 0
        head.bias.data[...] = 0
        return head, head.parameters(), None

    grid = {**search, "augment": (False,)}
    head, chosen = select(build, (F - mean) / std, y, (F_val - mean) / std,
                          y_val, grid, seed, batch_size=len(y), patience=None)
    head.weight.data = head.weight.data / std  # W (x - mean) / std + b
    head.bias.data = head.bias.data - head.weight.data @ mean
    return head, chosen


def fine_tune(source, head, X, y, X_val, y_val, seed, search):
    """Every layer of ``source[:-1]`` and ``head`` trained together, chosen
    on validation. LP-FT passes the linear probe's head, fine-tune a new
    one."""
    def build():
        model = Sequential(_copy(source)[:-1], _copy(head))
        return model, model.parameters(), None

    return select(build, X, y, X_val, y_val, search, seed)


def scratch(X, y, X_val, y_val, seed, search, n_classes=10):
    """The source's architecture from random weights, every layer trained."""
    def build():
        model = source_cnn(seed=[seed, 2], n_classes=n_classes)
        return model, model.parameters(), None

    return select(build, X, y, X_val, y_val, search, seed)


def _copy(module):
    import copy

    return copy.deepcopy(module)


def run_cell(per_class, seed, strategies=STRATEGIES + ABLATIONS, digits=None,
             source=None, truncated=None, search=None):
    """Every strategy for one budget (labelled images per class) and one seed.

    All strategies see the same labelled and validation images; each is scored once on the
    full test set. ``search`` (default :data:`SEARCH`) maps each strategy to its grid.
    Returns ``{strategy: {'test', 'lr', 'steps', 'augment', 'val'}}``.
    """
    search = {**SEARCH, **(search or {})}
    digits = digits or load_digits()
    X, y, X_val, y_val = digit_split(per_class, seed, digits)
    X_test, y_test = digits.X_test, digits.y_test
    n_classes = int(digits.y_train.max()) + 1
    out = {}

    def score(name, model, chosen, inputs=X_test):
        out[name] = {"test": _accuracy(model, inputs, y_test), **chosen}

    if source is None and {"linear_probe", "fine_tune", "lp_ft",
                           "linear_probe_block1"} & set(strategies):
        source = load_source_model(WEIGHTS_PATH)[0]
    if truncated is None and any("truncated" in s for s in strategies):
        truncated = load_source_model(TRUNCATED_PATH)[0]

    probes = {}
    for name in strategies:
        if name in ("scratch", "scratch_no_augmentation"):
            grid = search["scratch"]
            if name == "scratch_no_augmentation":
                grid = _no_augmentation(grid)
            model, chosen = scratch(X, y, X_val, y_val, seed, grid, n_classes)
            score(name, model, chosen)
        elif name in ("linear_probe", "linear_probe_truncated", "random_features",
                      "linear_probe_block1"):
            net = {"linear_probe": source, "linear_probe_truncated": truncated,
                   "linear_probe_block1": source,
                   "random_features": source_cnn(seed=[seed, 3])}[name]
            # Block 1 (conv, ReLU, pool) gives 16 maps of 4x4: 256 features.
            body = Sequential(net[:3], Flatten()) if name.endswith("block1") else net[:-1]
            head, chosen = linear_probe(features_of(body, X), y, features_of(body, X_val),
                                        y_val, seed, search[_base(name)])
            probes[name] = head
            score(name, Sequential(body, head), chosen)
        elif name in ("fine_tune", "fine_tune_truncated"):
            head = Linear(128, n_classes, rng=np.random.default_rng([seed, 1]))
            net = truncated if name.endswith("truncated") else source
            model, chosen = fine_tune(net, head, X, y, X_val, y_val, seed,
                                      search[_base(name)])
            score(name, model, chosen)
        elif name == "lp_ft":
            # Start from the linear probe's head, as chosen on validation.
            if "linear_probe" not in probes:
                body = source[:-1]
                probes["linear_probe"] = linear_probe(
                    features_of(body, X), y, features_of(body, X_val), y_val, seed,
                    search["linear_probe"])[0]
            model, chosen = fine_tune(source, probes["linear_probe"], X, y, X_val, y_val,
                                      seed, search["lp_ft"])
            score(name, model, chosen)
        else:
            raise ValueError(f"unknown strategy {name!r}; choose from "
                             f"{STRATEGIES + ABLATIONS}")
    return out


# --------------------------------------------------------------------------
# The whole grid, its file, its summary
# --------------------------------------------------------------------------

def collect(cells, budgets, seeds, source_meta, search=None):
    """The JSON document of the experiment, from ``cells[(per_class, seed)] = run_cell(...)``.

    ``accuracy[strategy][str(per_class)]`` lists the test accuracies in the order of
    ``seeds``; ``chosen`` holds the ``[lr, steps, augment]`` each run picked on validation,
    ``search`` the grids they were picked from and ``trials`` their sizes.
    """
    search = {**SEARCH, **(search or {})}
    names = list(cells[(min(budgets), seeds[0])])  # the smallest budget runs every learner
    main = [s for s in STRATEGIES if s in names]
    extra = [s for s in names if s not in STRATEGIES]

    def table(strategies, key):
        return {s: {str(n): [cells[(n, seed)][s][key] for seed in seeds] for n in budgets
                    if s in cells[(n, seeds[0])]}
                for s in strategies}

    return {
        "source": {"name": "letters A-Z, a-z rendered from 22 fonts (cnn_helpers.letters)",
                   "n_train": int(source_meta["recipe"]["n_train"]), "classes": 52,
                   "test_accuracy": float(source_meta["source_accuracy"])},
        "target": {"name": "digits", "classes": 10, "val_per_class": VAL_PER_CLASS},
        "seeds": list(seeds),
        "accuracy": table(main, "test"),
        "ablations": table(extra, "test"),
        "chosen": {s: {str(n): [[cells[(n, seed)][s][k] for k in ("lr", "steps", "augment")]
                                for seed in seeds] for n in budgets
                       if s in cells[(n, seeds[0])]} for s in names},
        "search": {s: {k: list(v) for k, v in _grid(search, s).items()} for s in names},
        "trials": {s: n_trials(_grid(search, s)) for s in names},
    }


def _no_augmentation(grid):
    """Scratch's grid without the shifts: every learning rate, unaugmented."""
    grid = {k: v for k, v in grid.items() if k != "runs"}
    return {**grid, "augment": (False,)}


def _base(name):
    """The strategy whose grid an ablation shares: ``fine_tune_truncated`` searches
    ``fine_tune``'s, every probe ablation ``linear_probe``'s."""
    return name.replace("_truncated", "").replace("_block1", "")


def _grid(search, name):
    """The grid a strategy (or an ablation) searched."""
    if name == "scratch_no_augmentation":
        return _no_augmentation(search["scratch"])
    return search[_base(name)]


def grid_edges(results, min_share=0.5):
    """Chosen settings that sit at an end of their grid in more than ``min_share`` of the
    seeds of a budget, where the optimum may lie outside the grid.

    Looks at the learning rate and the number of steps (grids of three or more values).
    Returns a list of ``(strategy, per_class, 'lr' or 'steps', value, count, n_seeds)``.
    """
    found = []
    for name, by_budget in results["chosen"].items():
        grid = results["search"][name]
        for n, runs in by_budget.items():
            for k, key in enumerate(("lr", "steps")):
                values = grid[key]
                if len(values) < 3:
                    continue
                for end in (min(values), max(values)):
                    count = sum(run[k] == end for run in runs)
                    if count > min_share * len(runs):
                        found.append((name, int(n), key, end, count, len(runs)))
    return found


def describe_edges(results, min_share=0.5):
    """:func:`grid_edges` in words, scratch first: one phrase per learner and setting, e.g.
    "scratch, its largest learning rate, 0.3, with 1 label per class (3 of 5 seeds)
    and 2 (4 of 5)".
    Returns "none" when no end is chosen in most seeds of a budget."""
    groups = {}
    for name, n, key, value, count, seeds in grid_edges(results, min_share):
        grid = results["search"][name][key]
        end = "largest" if value == max(grid) else "smallest"
        what = (f"its {end} learning rate, {value:g}" if key == "lr" else
                f"its {'first' if end == 'smallest' else 'last'} reading, after "
                f"{value:,} steps")
        groups.setdefault((name, what), []).append((n, count, seeds))
    order = list(STRATEGIES + ABLATIONS)
    phrases = []
    for (name, what), cells in sorted(groups.items(), key=lambda g: order.index(g[0][0])
                                      if g[0][0] in order else len(order)):
        parts = [f"{n} ({count} of {seeds})" for n, count, seeds in cells]
        n, count, seeds = cells[0]
        parts[0] = (f"{n} label{'s' if n > 1 else ''} per class ({count} of {seeds} "
                    f"seeds)")
        budgets = parts[0] if len(parts) == 1 else (", ".join(parts[:-1]) + " and "
                                                    + parts[-1])
        phrases.append(f"{STRATEGY_LABELS.get(name, name)}, {what}, with {budgets}")
    return "; ".join(phrases) if phrases else "none"


def load_results(path=RESULTS_PATH):
    """The experiment's JSON document (the shipped copy by default)."""
    return json.loads(Path(path).read_text())


def paired_differences(results, strategy, baseline="scratch", table="accuracy"):
    """Per budget: mean and 95% interval of ``strategy - baseline`` over paired seeds.

    The interval is Student's t on the per-seed differences. Returns
    ``{per_class: (mean, low, high)}``.
    """
    from scipy import stats

    out = {}
    base_table = results["accuracy"] if baseline in results["accuracy"] else results["ablations"]
    for n, accs in results[table][strategy].items():
        if n not in base_table[baseline]:
            continue  # an ablation that did not run at this budget
        d = np.asarray(accs) - np.asarray(base_table[baseline][n])
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        out[int(n)] = (float(d.mean()), float(d.mean() - half), float(d.mean() + half))
    return out


def pooled_difference(results, strategy, baseline="scratch", budgets=None):
    """``strategy - baseline`` averaged over budgets seed by seed, with a 95% t-interval.

    Each seed's differences at the ``budgets`` (default: every budget both ran at) are
    averaged first, so the interval is over the seeds, which are independent, and one
    interval stands for the whole comparison instead of one per budget. Returns
    ``(mean, low, high)``.
    """
    from scipy import stats

    def table(name):
        return results["accuracy"] if name in results["accuracy"] else results["ablations"]

    a, b = table(strategy)[strategy], table(baseline)[baseline]
    budgets = [str(n) for n in (budgets or sorted({int(n) for n in a} & {int(n) for n in b}))]
    d = np.mean([np.asarray(a[n]) - np.asarray(b[n]) for n in budgets], axis=0)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def summary_table(results):
    """Plain text: per budget and strategy (then ablation), mean ± sd of test accuracy and
    the paired difference to scratch with its 95% interval (in points)."""
    lines = [f"{'labels':>6} {'learner':<22} {'accuracy':>13} "
             f"{'minus scratch [95% CI]':>26}",
             f"{'/class':>6} {'':<22} {'mean ± sd':>13} {'points':>26}"]
    tables = {s: "accuracy" for s in results["accuracy"]}
    tables.update({s: "ablations" for s in results.get("ablations", {})})
    for n in results["accuracy"]["scratch"]:
        for s, table in tables.items():
            if n not in results[table][s]:
                continue
            a = np.asarray(results[table][s][n])
            cell = f"{a.mean():.3f} ± {a.std(ddof=1):.3f}"
            diff = ""
            if s != "scratch":
                m, lo, hi = paired_differences(results, s, table=table)[int(n)]
                diff = f"{100 * m:+5.1f} [{100 * lo:+5.1f}, {100 * hi:+5.1f}]"
            lines.append(f"{n:>6} {s:<22} {cell:>13} {diff:>26}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

STRATEGY_COLOURS = {"scratch": "#7f7f7f", "linear_probe": "#1f77b4", "fine_tune": "#d62728",
                    "lp_ft": "#9467bd", "random_features": "#bcbd22",
                    "linear_probe_truncated": "#17becf",
                    "fine_tune_truncated": "#ff7f0e",
                    "linear_probe_block1": "#8c564b",
                    "scratch_no_augmentation": "#2ca02c"}
STRATEGY_LABELS = {"scratch": "scratch", "linear_probe": "linear probe",
                   "fine_tune": "fine-tune", "lp_ft": "linear probe, then fine-tune",
                   "random_features": "probe on random features",
                   "linear_probe_truncated": "linear probe, small source",
                   "fine_tune_truncated": "fine-tune, small source",
                   "linear_probe_block1": "linear probe on block 1",
                   "scratch_no_augmentation": "scratch, no augmentation"}


def _curves(results, strategies):
    merged = {**results["accuracy"], **results.get("ablations", {})}
    return {s: merged[s] for s in strategies}


def plot_results(results, strategies=STRATEGIES, ax=None, title=None):
    """Test accuracy against labels per class: mean over seeds, band from min to max."""
    from .. import plotting

    if ax is None:
        fig, ax = plotting.subplots(height=3.4)
    else:
        fig = ax.figure
    ticks = [int(n) for n in results["accuracy"]["scratch"]]
    for name, table in _curves(results, strategies).items():
        x = np.array([int(n) for n in table])
        acc = np.array(list(table.values()))
        colour = STRATEGY_COLOURS.get(name)
        style = "--" if name in ("random_features",) or "truncated" in name else "-"
        ax.plot(x, acc.mean(axis=1), style, marker="o", ms=4, color=colour,
                label=STRATEGY_LABELS.get(name, name))
        ax.fill_between(x, acc.min(axis=1), acc.max(axis=1), color=colour, alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("labelled images per class (log scale)")
    ax.set_ylabel("digits test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=11)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_differences(results, strategies, baseline="scratch", ax=None, title=None):
    """Paired differences to ``baseline`` (points) per budget, with 95% intervals."""
    from .. import plotting

    if ax is None:
        fig, ax = plotting.subplots(height=3.2 if len(strategies) <= 4 else 3.8)
    else:
        fig = ax.figure
    width = 0.8 / len(strategies)
    every = [int(n) for n in results["accuracy"]["scratch"]]
    for k, name in enumerate(strategies):
        table = "accuracy" if name in results["accuracy"] else "ablations"
        diffs = paired_differences(results, name, baseline, table)
        budgets = list(diffs)
        x = np.array([every.index(n) for n in budgets]) + (
            k - (len(strategies) - 1) / 2) * width
        mean = np.array([diffs[n][0] for n in budgets]) * 100
        low = np.array([diffs[n][1] for n in budgets]) * 100
        high = np.array([diffs[n][2] for n in budgets]) * 100
        ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="o", ms=4, capsize=2,
                    color=STRATEGY_COLOURS.get(name), label=STRATEGY_LABELS.get(name, name))
    ax.axhline(0, color="k", lw=1)
    ax.set_xticks(range(len(every)), [str(n) for n in every])
    ax.set_xlabel("labelled images per class")
    ax.set_ylabel(f"minus {STRATEGY_LABELS.get(baseline, baseline)} (points)")
    ax.grid(alpha=0.3, axis="y")
    if len(strategies) > 4:  # above the axes, clear of the bars
        ax.legend(fontsize=11, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    else:
        ax.legend(fontsize=11, loc="upper right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_filters(rows, ncols=8):
    """First-layer filters, one block of rows per network.

    ``rows`` maps a label to a weight array ``(C_out, 1, kh, kw)``. Each network's
    filters share one colour scale centred on zero (red positive, blue negative), so the
    patterns of two networks can be compared even when their weights differ in size.
    """
    from .. import plotting

    blocks = [(label, np.asarray(w, dtype=float)[:, 0]) for label, w in rows.items()]
    per_block = [-(-len(w) // ncols) for _, w in blocks]
    fig, axes = plotting.subplots(sum(per_block), ncols, height=0.8 * sum(per_block) + 0.4,
                                  squeeze=False)
    row = 0
    for (label, weights), n_rows in zip(blocks, per_block, strict=True):
        norm = plotting._signed_norm(weights)
        for k in range(n_rows * ncols):
            ax = axes[row + k // ncols, k % ncols]
            ax.set_axis_off()
            if k < len(weights):
                ax.imshow(weights[k], cmap=plotting.DIVERGING, norm=norm)
        axes[row, 0].set_title(label, loc="left", fontsize=11)
        row += n_rows
    fig.tight_layout()
    return fig


def show_maps(image, maps, label="the image", short="input"):
    """An image ``(1, H, W)`` (titled ``short``) and its feature maps ``(C, H, W)`` side by
    side, each map on its own grey scale (bright is a strong response)."""
    from .. import plotting

    fig = plotting.show_feature_maps(
        np.concatenate([image, maps]), ncols=9, signed=False,
        titles=[short] + [str(k) for k in range(1, len(maps) + 1)], height_per_row=1.1)
    fig.suptitle(f"{label} and its {len(maps)} feature maps (after ReLU)", y=1.02)
    return fig


def show_letters(X, y, n=26):
    """The first ``n`` letter images with their letters as titles."""
    from .. import plotting
    from ..letters import LETTERS

    fig = plotting.show_feature_maps(X[:n, 0], ncols=13, signed=False,
                                     titles=[LETTERS[k] for k in y[:n]], height_per_row=1.0)
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
                 fontsize=11)
    fig.tight_layout()
    return fig


def show_flips(X, y, digits=(2, 3, 5, 7)):
    """A digit of each kind in ``digits`` and its left-right and top-bottom mirror images."""
    from .. import plotting

    fig, axes = plotting.subplots(3, len(digits), height=4.4)
    for col, digit in enumerate(digits):
        image = X[np.flatnonzero(y == digit)[0], 0]
        for row, (label, picture) in enumerate((("original", image),
                                                ("left-right flip", image[:, ::-1]),
                                                ("top-bottom flip", image[::-1, :]))):
            plotting.show_matrix(picture, ax=axes[row, col], annotate=False, signed=False)
            if col == 0:
                axes[row, col].set_ylabel(label)
                axes[row, col].yaxis.set_visible(True)
                axes[row, col].set_yticks([])
        axes[0, col].set_title(f"a {digit}")
    fig.tight_layout()
    return fig


