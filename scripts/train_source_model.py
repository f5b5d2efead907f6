"""Train chapter 8's source models on rendered letters; write them to cnn_helpers/weights/.

The source task is 52,000 letters A-Z and a-z drawn from the fonts matplotlib ships and
distorted like handwriting (``cnn_helpers.letters``), processed like the UCI digits. This
script is how the shipped weights were made:

    python scripts/train_source_model.py              # writes both shipped files
    python scripts/train_source_model.py --out-dir /tmp/weights
    python scripts/train_source_model.py --first-steps 5   # replay the first 5 steps only
    python scripts/train_source_model.py --measure         # rescore the shipped models
    python scripts/train_source_model.py --curve           # record the full source's
                                                           # learning curve

It trains two models with the recipes in ``cnn_helpers.demos.transfer``: the full source
(``SOURCE_RECIPE``) and a truncated one on the first 1,040 letters (``TRUNCATED_RECIPE``),
which stops early on 1,040 other letters (``--only truncated`` retrains it alone).
Everything is seeded and BLAS runs on one thread, so on the same machine and numpy a run
reproduces the shipped weights bit for bit. Each file also records a SHA-256 digest of the
weights after the first few steps and of the images those steps used; ``--first-steps``
recomputes them from scratch in seconds, and ``tests/test_transfer.py`` compares.
"""

import os

# One BLAS thread: faster for these small matrices on a shared machine, and one fixed
# order of summation.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from cnn_helpers import letters  # noqa: E402
from cnn_helpers.demos import transfer  # noqa: E402


def first_steps(recipe, steps):
    """The first ``steps`` training steps, made from only the images they use.

    ``train_steps`` draws one permutation of the training set before the first step, so
    the first ``steps`` batches are its first ``steps * batch_size`` indices; the other
    images are never read in those steps and stay zero here.
    """
    n, batch = recipe["n_train"], recipe["batch_size"]
    used = np.random.default_rng(recipe["seed"]).permutation(n)[:steps * batch]
    X = np.zeros((n, 1, 8, 8), dtype=np.float32)
    y = np.arange(n, dtype=np.int64) % len(letters.LETTERS)
    X[used], y_used = letters.letter_images(used, seed=recipe["data_seed"],
                                            elastic=recipe["elastic"])
    assert np.array_equal(y_used, y[used])
    data = (X, y, X[used[:1]], y[used[:1]])
    model = transfer.train_source_model(data, recipe, steps=steps)[0]
    return {"first_steps": steps,
            "first_images_digest": transfer._data_digest(X[used], y[used]),
            "first_steps_digest": transfer.weights_digest(model)}


class _Spy:
    """The source's augmentation, which also reads the model's accuracy before given steps.

    ``train_steps`` calls its ``augment`` once per step, before the forward pass; reading
    the accuracy there sees the weights after the steps taken so far and draws no random
    number, so the training run is the shipped one, step for step.
    """

    def __init__(self, model, at, sets):
        self.model, self.at, self.sets = model, set(at), sets
        self.step, self.curve = 0, []

    def read(self):
        self.curve.append((self.step, *(float(np.mean(transfer.predict(self.model, X) == y))
                                         for X, y in self.sets)))

    def __call__(self, x, rng):
        if self.step in self.at:
            self.read()
        self.step += 1
        return transfer.augmentation()(x, rng)


def learning_curve(jobs, out_dir, every=250, n_train_scored=5_200):
    """Retrain the full source exactly as shipped, reading its accuracy every ``every``
    steps on its first ``n_train_scored`` training letters and on the held-out letters.

    The weights at the end must be the shipped ones, bit for bit (else it raises); the
    curve goes into the metadata (``meta.curve_*``) of a copy of the shipped file written
    to ``out_dir`` (by default over the shipped file itself).
    """
    recipe = transfer.SOURCE_RECIPE
    X, y, X_test, y_test = transfer.letter_task(jobs=jobs, progress=True)
    model = transfer.source_cnn(recipe["seed"], n_classes=int(y.max()) + 1)
    optimizer = transfer.Adam(model.parameters(), lr=recipe["lr"])
    sets = ((X[:n_train_scored], y[:n_train_scored]), (X_test, y_test))
    spy = _Spy(model, range(every, recipe["steps"], every), sets)
    transfer.train_steps(model, optimizer, X, y, recipe["steps"], recipe["batch_size"],
                         seed=np.random.default_rng(recipe["seed"]), augment=spy)
    spy.read()  # after the last step
    shipped = transfer.load_source_model()[0]
    if transfer.weights_digest(model) != transfer.weights_digest(shipped):
        raise RuntimeError("the replayed training did not give the shipped weights")
    steps, train, test = (np.asarray(v) for v in zip(*spy.curve, strict=True))
    path = transfer.WEIGHTS_PATH
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays.update({"meta.curve_steps": steps.astype(np.int64),
                   "meta.curve_train_accuracy": train,
                   "meta.curve_test_accuracy": test,
                   "meta.curve_n_train_scored": np.asarray(n_train_scored)})
    out = Path(out_dir) / path.name
    temporary = out.with_suffix(".tmp.npz")
    np.savez_compressed(temporary, **arrays)
    os.replace(temporary, out)
    for row in spy.curve:
        print("step {:>5}: training letters {:.4f}, held-out letters {:.4f}".format(*row))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(transfer.WEIGHTS_DIR),
                        help="where to write the .npz files (default: the shipped ones)")
    parser.add_argument("--first-steps", type=int, default=None,
                        help="only replay the first steps and print their digests")
    parser.add_argument("--jobs", type=int, default=2, help="processes rendering letters")
    parser.add_argument("--cache", default=None,
                        help="an .npz to keep the rendered letters in and reuse")
    parser.add_argument("--only", choices=("full", "truncated"), default=None,
                        help="train only one of the two source models")
    parser.add_argument("--measure", action="store_true",
                        help="train nothing: score the shipped models on the held-out "
                             "letters again and record it in their files")
    parser.add_argument("--curve", action="store_true",
                        help="train nothing new: replay the full source's training, "
                             "record its accuracy every 250 steps in its file")
    args = parser.parse_args(argv)

    if args.curve:
        return learning_curve(args.jobs, args.out_dir)

    if args.first_steps is not None:
        for name, recipe in (("full", transfer.SOURCE_RECIPE),
                             ("truncated", transfer.TRUNCATED_RECIPE)):
            for key, value in first_steps(recipe, args.first_steps).items():
                print(f"{name}.{key} = {value}")
        return 0

    if args.measure:
        X_test, y_test = transfer._letters(range(transfer.SOURCE_RECIPE["n_test"]),
                                           transfer.SOURCE_RECIPE["test_seed"],
                                           transfer.SOURCE_RECIPE["elastic"], args.jobs, True)
        for path in (transfer.WEIGHTS_PATH, transfer.TRUNCATED_PATH):
            with np.load(path) as archive:
                arrays = {k: archive[k] for k in archive.files}
            model = transfer.load_source_model(path)[0]
            arrays["meta.source_accuracy"] = np.float64(
                np.mean(transfer.predict(model, X_test) == y_test))
            arrays["meta.case_folded_accuracy"] = np.float64(
                transfer.case_folded_accuracy(model, X_test, y_test))
            # Written beside, then moved over: a reader never sees half a file.
            temporary = path.with_suffix(".tmp.npz")
            np.savez_compressed(temporary, **arrays)
            os.replace(temporary, path)
            print(f"{path.name}: accuracy {arrays['meta.source_accuracy']:.4f}, "
                  f"either case {arrays['meta.case_folded_accuracy']:.4f}")
        return 0

    start = time.perf_counter()
    n_train = (transfer.TRUNCATED_RECIPE if args.only == "truncated"
               else transfer.SOURCE_RECIPE)["n_train"]
    if args.cache and Path(args.cache).exists():
        with np.load(args.cache) as cached:
            X, y, X_test, y_test = (cached[k] for k in ("X", "y", "X_test", "y_test"))
    else:
        X, y, X_test, y_test = transfer.letter_task({"n_train": n_train}, jobs=args.jobs,
                                                    progress=True)
        if args.cache:
            np.savez_compressed(args.cache, X=X, y=y, X_test=X_test, y_test=y_test)
    print(f"rendered {len(y):,} training and {len(y_test):,} test letters "
          f"in {time.perf_counter() - start:.0f} s")
    out = Path(args.out_dir)
    for name, recipe, path in (
            ("full", transfer.SOURCE_RECIPE, transfer.WEIGHTS_PATH),
            ("truncated", transfer.TRUNCATED_RECIPE, transfer.TRUNCATED_PATH)):
        if args.only not in (None, name):
            continue
        start = time.perf_counter()
        n = recipe["n_train"]
        val = None
        if "val_every" in recipe:  # other letters, for early stopping
            val = transfer._letters(range(recipe["n_val"]), recipe["val_seed"],
                                    recipe["elastic"], args.jobs, False)
        model, accuracy, kept = transfer.train_source_model(
            (X[:n], y[:n], X_test, y_test), recipe, val=val)
        seconds = time.perf_counter() - start
        extra = first_steps(recipe, transfer.FIRST_STEPS)
        extra["train_seconds"] = round(seconds, 1)
        extra["steps_kept"] = kept
        extra["case_folded_accuracy"] = transfer.case_folded_accuracy(model, X_test, y_test)
        transfer.save_source_model(model, accuracy, out / path.name, recipe, extra)
        print(f"{name} source: {n:,} letters, {model.num_parameters():,} parameters, "
              f"kept the weights after {kept:,} steps ({kept * recipe['batch_size'] / n:.0f} "
              f"epochs), accuracy on {len(y_test):,} held-out letters = {accuracy:.4f}, "
              f"trained in {seconds:.0f} s, numpy {np.__version__}; wrote {out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
