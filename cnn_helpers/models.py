"""The book's digits CNN, its augmentation and its training recipe.

One small network that every chapter can train in a few seconds on
scikit-learn's 8x8 digits (:func:`cnn_helpers.data.load_digits`)::

    model, history, scores = train_digits_cnn(seed=0)
    scores["accuracy"]        # about 0.99 on the 450 held-out digits

For comparison, logistic regression on the raw 64 pixels reaches about
96.7% on the same split; the convolutions, pooling and random shifts of the
training images are what earn the difference.
"""

import time

import numpy as np

from .augment import RandomShift
from .data import load_digits
from .nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
from .optim import Adam, CosineAnnealingLR
from .training import evaluate, fit

__all__ = ["digits_cnn", "train_digits_cnn", "DIGITS_RECIPE"]

# The training recipe, shared with the PyTorch twin in cnn_helpers.bench:
# Adam whose learning rate decays along a cosine to 0 over the epochs.
DIGITS_RECIPE = dict(epochs=20, batch_size=32, lr=3e-3, max_shift=1, cosine=True)


def digits_cnn(seed=0, dtype=np.float32):
    """A small CNN for ``(N, 1, 8, 8)`` digits → ``(N, 10)`` logits.

    ``conv 3x3 (16) → ReLU → conv 3x3 (32) → ReLU → maxpool 2 →
    conv 3x3 (64) → ReLU → maxpool 2 → flatten → dropout → linear 10``.
    Padding 1 keeps each convolution's output the size of its input, so the
    two poolings take 8x8 to 4x4 to 2x2. Weights come from ``seed``.
    """
    rng = np.random.default_rng(seed)
    kw = dict(rng=rng, dtype=dtype)
    return Sequential(
        Conv2d(1, 16, 3, padding=1, **kw),    # (N, 16, 8, 8)
        ReLU(),
        Conv2d(16, 32, 3, padding=1, **kw),   # (N, 32, 8, 8)
        ReLU(),
        MaxPool2d(2),                         # (N, 32, 4, 4)
        Conv2d(32, 64, 3, padding=1, **kw),   # (N, 64, 4, 4)
        ReLU(),
        MaxPool2d(2),                         # (N, 64, 2, 2)
        Flatten(),                            # (N, 256)
        Dropout(0.25, rng=rng),
        Linear(64 * 2 * 2, 10, **kw),         # (N, 10)
    )


def train_digits_cnn(seed=0, epochs=None, batch_size=None, lr=None, max_shift=None,
                     cosine=None, data=None, progress=False):
    """Build :func:`digits_cnn` from ``seed`` and train it with Adam and random shifts.

    With ``cosine`` the learning rate decays to 0 along a cosine
    (:class:`cnn_helpers.optim.CosineAnnealingLR`), which settles the
    weights at the end of training instead of leaving them jittering.

    Unset arguments take their values from ``DIGITS_RECIPE``; ``data`` defaults
    to ``load_digits()``.

    Returns:
        ``(model, history, scores)`` where ``scores`` has the test ``loss`` and
        ``accuracy`` and the training time in ``seconds``.
    """
    recipe = dict(DIGITS_RECIPE)
    given = dict(epochs=epochs, batch_size=batch_size, lr=lr, max_shift=max_shift, cosine=cosine)
    recipe.update({k: v for k, v in given.items() if v is not None})
    data = load_digits() if data is None else data

    model = digits_cnn(seed)
    optimizer = Adam(model.parameters(), lr=recipe["lr"])
    scheduler = CosineAnnealingLR(optimizer, T_max=recipe["epochs"]) if recipe["cosine"] else None
    augment = RandomShift(recipe["max_shift"]) if recipe["max_shift"] else None

    start = time.perf_counter()
    history = fit(model, optimizer, data.X_train, data.y_train, epochs=recipe["epochs"],
                  batch_size=recipe["batch_size"], seed=seed, augment=augment,
                  scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - start
    scores = evaluate(model, data.X_test, data.y_test)
    scores["seconds"] = seconds
    return model, history, scores
