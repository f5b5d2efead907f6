"""Train the book's source model and write cnn_helpers/weights/source_cnn.npz.

Chapter 8 transfers a small CNN trained on digits 0-4 (the source task) to digits 5-9 (the
target task). This script is how the shipped weights were made:

    python scripts/train_source_model.py            # writes the shipped file
    python scripts/train_source_model.py --out /tmp/source_cnn.npz

Everything is seeded (``SOURCE_RECIPE`` in ``cnn_helpers.demos.transfer``), so on the same
machine and numpy a run reproduces the shipped weights bit for bit; ``tests/test_transfer.py``
checks that. It takes a few seconds.
"""

import argparse
import sys
import time

import numpy as np

from cnn_helpers.demos import transfer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(transfer.WEIGHTS_PATH),
                        help="where to write the .npz (default: the shipped file)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model, accuracy = transfer.train_source_model()
    transfer.save_source_model(model, accuracy, args.out)
    seconds = time.perf_counter() - start
    print(f"source model: {model.num_parameters()} parameters, "
          f"accuracy on held-out digits 0-4 = {accuracy:.4f}, "
          f"trained in {seconds:.1f} s, numpy {np.__version__}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
