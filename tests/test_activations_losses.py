"""ReLU, softmax, log-softmax, linear and cross-entropy: values, stability, dtypes."""

import numpy as np
import pytest

from cnn_helpers import (
    conv1d,
    cross_entropy,
    cross_entropy_backward,
    linear,
    linear_backward,
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    softmax,
    softmax_backward,
)


def test_relu_and_its_gradient():
    x = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 0.5, 3])
    np.testing.assert_array_equal(relu_backward(np.full(5, 7.0), x), [0, 0, 0, 7, 7])


def test_softmax_sums_to_one_along_dim_and_is_stable():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    s = softmax(x)
    np.testing.assert_allclose(s.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(s[0], softmax(np.array([0.0, 1.0, 2.0])))
    np.testing.assert_allclose(s[1], np.full(3, 1 / 3))
    np.testing.assert_allclose(softmax(x, dim=0).sum(axis=0), np.ones(3))
    ls = log_softmax(x)
    assert np.isfinite(ls).all()
    np.testing.assert_allclose(ls, np.log(s), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(np.array([0.0, -1e4])), [0.0, -1e4])


def test_linear_matches_matrix_formula_and_torch_weight_layout():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    np.testing.assert_allclose(linear(x, w, b), x @ w.T + b)
    np.testing.assert_allclose(linear(x[0], w), w @ x[0])
    x3 = rng.standard_normal((5, 4, 3))
    np.testing.assert_allclose(linear(x3, w, b), x3 @ w.T + b)
    gx, gw, gb = linear_backward(np.ones((5, 4, 2)), x3, w)
    assert (gx.shape, gw.shape, gb.shape) == ((5, 4, 3), (2, 3), (2,))
    np.testing.assert_allclose(gb, [20.0, 20.0])


def test_cross_entropy_values_and_reductions():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    target = np.array([0, 2])
    per = np.array([-np.log(np.e**2 / (np.e**2 + 2)), np.log(3.0)])
    np.testing.assert_allclose(cross_entropy(logits, target, "none"), per)
    np.testing.assert_allclose(cross_entropy(logits, target, "sum"), per.sum())
    np.testing.assert_allclose(cross_entropy(logits, target), per.mean())
    np.testing.assert_allclose(cross_entropy(logits[1], np.int64(2)), np.log(3.0))
    # Huge logits stay finite.
    np.testing.assert_allclose(cross_entropy(np.array([[1e4, 0.0]]), np.array([1])), 1e4)


def test_cross_entropy_backward_is_softmax_minus_onehot():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    target = np.array([2, 0])
    onehot = np.eye(3)[target]
    np.testing.assert_allclose(cross_entropy_backward(logits, target, "sum"), softmax(logits) - onehot)
    np.testing.assert_allclose(cross_entropy_backward(logits, target), (softmax(logits) - onehot) / 2)
    np.testing.assert_allclose(
        cross_entropy_backward(logits, target, "none", np.array([1.0, 3.0])),
        (softmax(logits) - onehot) * [[1.0], [3.0]],
    )


@pytest.mark.parametrize(
    "op",
    [
        lambda x: relu(x),
        lambda x: relu_backward(x, x),
        lambda x: softmax(x),
        lambda x: log_softmax(x, dim=0),
        lambda x: softmax_backward(x, x),
        lambda x: log_softmax_backward(x, x),
        lambda x: linear(x, x[:2], x[0, :2]),
        lambda x: linear_backward(x[:, :2], x, x[:2])[0],
        lambda x: linear_backward(x[:, :2], x, x[:2])[1],
        lambda x: cross_entropy(x, np.array([0, 1, 1])),
        lambda x: cross_entropy(x, np.array([0, 1, 1]), "none"),
        lambda x: cross_entropy_backward(x, np.array([0, 1, 1])),
    ],
)
def test_float32_stays_float32(op):
    x = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    assert op(x).dtype == np.float32
    assert op(x.astype(np.float64)).dtype == np.float64


def test_parameter_counts():
    # Dense 10 -> 10: a 10x10 weight matrix plus 10 biases.
    w, b = np.zeros((10, 10)), np.zeros(10)
    assert w.size + b.size == 110
    assert linear(np.zeros(10), w, b).shape == (10,)
    # A conv1d with one 3-tap filter: 3 weights + 1 bias, however long the signal.
    k, bias = np.zeros((1, 1, 3)), np.zeros(1)
    assert k.size + bias.size == 4
    assert conv1d(np.zeros((1, 1, 100)), k, bias).shape == (1, 1, 98)
