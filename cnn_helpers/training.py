"""A small training loop for classifiers: :func:`fit`, :func:`evaluate`, :func:`predict`.

The loop is the one every PyTorch tutorial writes by hand, for models from
:mod:`cnn_helpers.nn` and the cross-entropy loss::

    for each epoch:
        shuffle the training set
        for each mini-batch:
            logits = model(x);  loss = cross_entropy(logits, y)
            optimizer.zero_grad();  model.backward(dloss/dlogits);  optimizer.step()

Shuffling and augmentation draw from a generator seeded with ``seed``;
dropout masks come from the model's own generator, fixed when the model was
built. So a model built from a fixed seed and trained with a fixed seed is
reproduced exactly.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from .losses import cross_entropy, cross_entropy_backward

__all__ = ["History", "fit", "evaluate", "predict", "predict_logits", "iterate_minibatches"]


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run.

    ``train_loss`` and ``train_accuracy`` are averaged over the epoch's
    mini-batches as they were trained (so with dropout and augmentation on);
    ``val_loss`` and ``val_accuracy`` are measured after each epoch in
    evaluation mode, and stay empty without validation data.
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)

    @property
    def epochs(self):
        return len(self.train_loss)

    def plot(self, title=None):
        """Loss and accuracy curves side by side; returns the matplotlib Figure."""
        from .plotting import subplots

        fig, (ax_loss, ax_acc) = subplots(1, 2, height=3.0)
        epochs = np.arange(1, self.epochs + 1)
        for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            ax.plot(epochs, getattr(self, f"train_{name}"), "o-", ms=3, label="train")
            val = getattr(self, f"val_{name}")
            if val:
                ax.plot(epochs[: len(val)], val, "o-", ms=3, label="validation")
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig


def _check_data(X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    if y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got X {X.shape} and y {y.shape}")
    return X, y


def iterate_minibatches(n, batch_size, rng=None):
    """Index arrays of consecutive mini-batches, shuffled when ``rng`` is given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def predict_logits(model, X, batch_size=256):
    """The model's outputs for all of ``X``, in evaluation mode and in batches."""
    was_training = model.training
    model.eval()
    try:
        outputs = [model(X[idx]) for idx in iterate_minibatches(len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outputs, axis=0)


def predict(model, X, batch_size=256):
    """Predicted class labels, ``argmax`` of the logits, shape ``(N,)``."""
    return predict_logits(model, X, batch_size).argmax(axis=1)


def evaluate(model, X, y, batch_size=256):
    """Mean cross-entropy and accuracy on ``(X, y)`` in evaluation mode.

    Returns ``{'loss': float, 'accuracy': float}``.
    """
    X, y = _check_data(X, y)
    logits = predict_logits(model, X, batch_size)
    loss = float(cross_entropy(logits, y))
    accuracy = float(np.mean(logits.argmax(axis=1) == y))
    return {"loss": loss, "accuracy": accuracy}


def _train_step(model, optimizer, xb, yb):
    logits = model(xb)
    loss = float(cross_entropy(logits, yb))
    optimizer.zero_grad()
    model.backward(cross_entropy_backward(logits, yb))
    optimizer.step()
    return loss, int(np.sum(logits.argmax(axis=1) == yb))


def fit(model, optimizer, X, y, epochs, batch_size=32, val_data=None, seed=0,
        augment=None, scheduler=None, progress=True):
    """Train ``model`` on ``(X, y)`` with cross-entropy and ``optimizer``.

    Args:
        model: a :class:`cnn_helpers.nn.Module` producing logits ``(N, classes)``.
        optimizer: e.g. ``cnn_helpers.optim.Adam(model.parameters())``.
        X, y: training inputs ``(N, ...)`` and integer labels ``(N,)``.
        epochs: passes over the training set.
        batch_size: examples per step; the last batch of an epoch may be smaller.
        val_data: optional ``(X_val, y_val)`` evaluated after every epoch.
        seed: seeds shuffling and ``augment``.
        augment: optional ``augment(x_batch, rng) -> x_batch``, applied to each
            training batch (e.g. :class:`cnn_helpers.augment.RandomShift`).
        scheduler: optional learning-rate schedule from :mod:`cnn_helpers.optim`
            (e.g. ``CosineAnnealingLR``), stepped once after every epoch.
        progress: show a progress bar over the epochs (tqdm).

    Returns:
        a :class:`History`. The model is left in training mode.
    """
    from tqdm.auto import tqdm

    X, y = _check_data(X, y)
    rng = np.random.default_rng(seed)
    history = History()
    model.train()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=True)
    for _ in bar:
        start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for idx in iterate_minibatches(len(X), batch_size, rng):
            xb = X[idx] if augment is None else augment(X[idx], rng)
            loss, hits = _train_step(model, optimizer, xb, y[idx])
            loss_sum += loss * len(idx)
            correct += hits
        history.train_loss.append(loss_sum / len(X))
        history.train_accuracy.append(correct / len(X))
        if val_data is not None:
            scores = evaluate(model, *val_data, batch_size=max(batch_size, 256))
            history.val_loss.append(scores["loss"])
            history.val_accuracy.append(scores["accuracy"])
        if scheduler is not None:
            scheduler.step()
        history.epoch_seconds.append(time.perf_counter() - start)
        bar.set_postfix(_postfix(history))
    bar.close()
    return history


def _postfix(history):
    shown = {"loss": f"{history.train_loss[-1]:.3f}", "acc": f"{history.train_accuracy[-1]:.3f}"}
    if history.val_accuracy:
        shown["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return shown
