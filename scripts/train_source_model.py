"""Train chapter 8's source models on rendered letters; write them to cnn_helpers/weights/.

The source task is 52,000 letters A-Z and a-z drawn from the fonts matplotlib ships and
distorted like handwriting (``cnn_helpers.letters``), processed like the UCI digits. This
script is how the shipped weights were made:

    python scripts/train_source_model.py              # writes both shipped files
    python scripts/train_source_model.py --out-dir /tmp/weights
    python scripts/train_source_model.py --first-steps 5   # replay the first 5 steps only

It trains two models with the recipes in ``cnn_helpers.demos.transfer``: the full source
(``SOURCE_RECIPE``) and a truncated one on the first 1,040 letters (``TRUNCATED_RECIPE``).
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
    model, _ = transfer.train_source_model(data, recipe, steps=steps)
    return {"first_steps": steps,
            "first_images_digest": transfer._data_digest(X[used], y[used]),
            "first_steps_digest": transfer.weights_digest(model)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(transfer.WEIGHTS_DIR),
                        help="where to write the .npz files (default: the shipped ones)")
    parser.add_argument("--first-steps", type=int, default=None,
                        help="only replay the first steps and print their digests")
    parser.add_argument("--jobs", type=int, default=2, help="processes rendering letters")
    parser.add_argument("--cache", default=None,
                        help="an .npz to keep the rendered letters in and reuse")
    args = parser.parse_args(argv)

    if args.first_steps is not None:
        for name, recipe in (("full", transfer.SOURCE_RECIPE),
                             ("truncated", transfer.TRUNCATED_RECIPE)):
            for key, value in first_steps(recipe, args.first_steps).items():
                print(f"{name}.{key} = {value}")
        return 0

    start = time.perf_counter()
    if args.cache and Path(args.cache).exists():
        with np.load(args.cache) as cached:
            X, y, X_test, y_test = (cached[k] for k in ("X", "y", "X_test", "y_test"))
    else:
        X, y, X_test, y_test = transfer.letter_task(jobs=args.jobs, progress=True)
        if args.cache:
            np.savez_compressed(args.cache, X=X, y=y, X_test=X_test, y_test=y_test)
    print(f"rendered {len(y):,} training and {len(y_test):,} test letters "
          f"in {time.perf_counter() - start:.0f} s")
    out = Path(args.out_dir)
    for name, recipe, path in (
            ("full", transfer.SOURCE_RECIPE, transfer.WEIGHTS_PATH),
            ("truncated", transfer.TRUNCATED_RECIPE, transfer.TRUNCATED_PATH)):
        start = time.perf_counter()
        n = recipe["n_train"]
        model, accuracy = transfer.train_source_model((X[:n], y[:n], X_test, y_test), recipe)
        seconds = time.perf_counter() - start
        extra = first_steps(recipe, transfer.FIRST_STEPS)
        extra["train_seconds"] = round(seconds, 1)
        transfer.save_source_model(model, accuracy, out / path.name, recipe, extra)
        print(f"{name} source: {n:,} letters, {model.num_parameters():,} parameters, "
              f"accuracy on {len(y_test):,} held-out letters = {accuracy:.4f}, "
              f"trained in {seconds:.0f} s, numpy {np.__version__}; wrote {out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
