"""Tests of cnn_helpers.training: determinism, History, evaluate, predict."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_helpers.augment import RandomShift  # noqa: E402
from cnn_helpers.data import make_shapes  # noqa: E402
from cnn_helpers.losses import cross_entropy  # noqa: E402
from cnn_helpers.nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential  # noqa: E402
from cnn_helpers.optim import SGD, Adam, StepLR  # noqa: E402
from cnn_helpers.training import History, evaluate, fit, predict, predict_logits  # noqa: E402


def tiny_cnn(seed):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2d(1, 4, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Flatten(), Dropout(0.2, rng=rng), Linear(4 * 4 * 4, 3, rng=rng))


@pytest.fixture(scope="module")
def shapes():
    X, y = make_shapes(120, size=8, classes=("square", "circle", "line"), seed=0)
    return X[:90], y[:90], X[90:], y[90:]


def run(shapes, model_seed=0, fit_seed=0):
    X, y, Xv, yv = shapes
    model = tiny_cnn(model_seed)
    history = fit(model, Adam(model.parameters(), lr=0.01), X, y, epochs=3, batch_size=16,
                  val_data=(Xv, yv), seed=fit_seed, augment=RandomShift(1), progress=False)
    return model, history


def test_same_seeds_reproduce_history_and_weights_exactly(shapes):
    (m1, h1), (m2, h2) = run(shapes), run(shapes)
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert getattr(h1, name) == getattr(h2, name)
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert s1.keys() == s2.keys()
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key])
    _, h3 = run(shapes, fit_seed=1)
    assert h3.train_loss != h1.train_loss


def test_history_records_every_epoch_and_plots(shapes):
    _, history = run(shapes)
    assert history.epochs == 3
    assert len(history.val_accuracy) == 3 and len(history.epoch_seconds) == 3
    assert all(0.0 <= a <= 1.0 for a in history.train_accuracy)
    fig = history.plot(title="tiny")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    plt.close(fig)
    fig = History(train_loss=[1.0, 0.5], train_accuracy=[0.5, 0.8]).plot()
    assert len(fig.axes[0].lines) == 1  # no validation curve without validation data
    plt.close(fig)


def test_fit_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = Sequential(Linear(2, 2, rng=0))
    history = fit(model, SGD(model.parameters(), lr=0.5), X, y, epochs=20, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    assert evaluate(model, X, y)["accuracy"] > 0.95


def test_evaluate_and_predict_on_a_known_model():
    model = Sequential(Linear(2, 2, rng=0))
    model[0].weight.data[:] = [[1.0, 0.0], [0.0, 1.0]]
    model[0].bias.data[:] = 0.0
    X = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 0.5], [0.0, 1.0]], dtype=np.float32)
    y = np.array([0, 1, 1, 1])
    scores = evaluate(model, X, y, batch_size=3)
    assert scores["accuracy"] == 0.75
    assert scores["loss"] == pytest.approx(float(cross_entropy(X, y)), rel=1e-6)
    np.testing.assert_array_equal(predict(model, X, batch_size=3), [0, 1, 0, 1])
    np.testing.assert_allclose(predict_logits(model, X), X)


def test_evaluate_uses_eval_mode_and_restores_training_mode():
    model = Sequential(Dropout(0.9, rng=0), Flatten())
    X = np.ones((10, 3), dtype=np.float32)
    np.testing.assert_array_equal(predict_logits(model, X), X)  # dropout is off
    assert model.training and model[0].training
    model.eval()
    predict(model, X)
    assert not model.training


def test_fit_rejects_mismatched_data():
    model = Sequential(Linear(2, 2, rng=0))
    with pytest.raises(ValueError, match="same length"):
        fit(model, SGD(model.parameters(), lr=0.1), np.zeros((5, 2)), np.zeros(4, int),
            epochs=1, progress=False)


def test_fit_steps_the_scheduler_once_per_epoch():
    model = Sequential(Linear(2, 2, rng=0))
    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    X, y = np.zeros((8, 2), dtype=np.float32), np.zeros(8, dtype=np.int64)
    fit(model, opt, X, y, epochs=3, scheduler=sched, progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 8)


def test_fit_with_a_progress_bar(capsys):
    model = Sequential(Linear(2, 2, rng=0))
    X, y = np.zeros((8, 2), dtype=np.float32), np.zeros(8, dtype=np.int64)
    history = fit(model, SGD(model.parameters(), lr=0.1), X, y, epochs=2, progress=True)
    assert history.epochs == 2
    assert "training" in capsys.readouterr().err
