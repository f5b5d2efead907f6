"""Every backward against central differences in float64, and gradcheck's own behaviour."""

import numpy as np
import pytest

import cnn_helpers as ch
from cnn_helpers import check_op_gradients, gradcheck, numerical_gradient


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "bias"),
    [(1, 0, 1, True), (2, 1, 1, True), (1, 2, 2, False), ((2, 1), (0, 1), (1, 2), True),
     (1, "same", 1, True), (3, 1, 2, True)],
)
def test_conv2d_gradients(stride, padding, dilation, bias):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((2, 3, 3, 2))
    b = rng.standard_normal(2)
    def fwd(x, w, b):
        return ch.conv2d(x, w, b if bias else None, stride, padding, dilation)
    def bwd(g, x, w, b):
        gx, gw, gb = ch.conv2d_backward(g, x, w, stride, padding, dilation)
        return gx, gw, gb if bias else None
    assert check_op_gradients(fwd, bwd, [x, w, b])


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (1, "same", 2), (3, 2, 2)])
def test_conv1d_gradients(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 11)), rng.standard_normal((2, 3, 3)), rng.standard_normal(2)
    assert check_op_gradients(
        lambda x, w, b: ch.conv1d(x, w, b, stride, padding, dilation),
        lambda g, x, w, b: ch.conv1d_backward(g, x, w, stride, padding, dilation),
        [x, w, b],
    )


def test_conv_gradients_plain_and_unbatched_forms():
    rng = np.random.default_rng(0)
    assert check_op_gradients(
        lambda x, w, b: ch.conv2d(x, w, b, padding=1),
        lambda g, x, w, b: ch.conv2d_backward(g, x, w, padding=1),
        [rng.standard_normal((5, 4)), rng.standard_normal((2, 3)), np.array(0.3)],
    )
    assert check_op_gradients(
        lambda x, w, b: ch.conv1d(x, w, b, stride=2),
        lambda g, x, w, b: ch.conv1d_backward(g, x, w, stride=2),
        [rng.standard_normal((2, 9)), rng.standard_normal((3, 2, 2)), rng.standard_normal(3)],
    )


def distinct(shape):
    """Random values spaced apart, so central differences never cross a max-pool tie."""
    rng = np.random.default_rng(0)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.1


@pytest.mark.parametrize(("k", "s", "p"), [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))])
def test_max_pool2d_gradient(k, s, p):
    assert check_op_gradients(
        lambda x: ch.max_pool2d(x, k, s, p), lambda g, x: ch.max_pool2d_backward(g, x, k, s, p), [distinct((2, 2, 6, 7))]
    )


def test_max_pool1d_gradient():
    assert check_op_gradients(
        lambda x: ch.max_pool1d(x, 3, 2, 1), lambda g, x: ch.max_pool1d_backward(g, x, 3, 2, 1), [distinct((2, 2, 9))]
    )


@pytest.mark.parametrize("include", [True, False])
@pytest.mark.parametrize(("k", "s", "p"), [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 1))])
def test_avg_pool_gradients(k, s, p, include):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 7))
    assert check_op_gradients(
        lambda x: ch.avg_pool2d(x, k, s, p, include),
        lambda g, x: ch.avg_pool2d_backward(g, x, k, s, p, include),
        [x],
    )
    k1, s1, p1 = (k if isinstance(k, int) else k[0]), (s if s is None or isinstance(s, int) else s[0]), (p if isinstance(p, int) else p[0])
    assert check_op_gradients(
        lambda x: ch.avg_pool1d(x, k1, s1, p1, include),
        lambda g, x: ch.avg_pool1d_backward(g, x, k1, s1, p1, include),
        [x[:, :, 0]],
    )


def test_relu_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kink
    assert check_op_gradients(ch.relu, ch.relu_backward, [x])


def test_linear_gradients():
    rng = np.random.default_rng(0)
    assert check_op_gradients(
        ch.linear,
        lambda g, x, w, b: ch.linear_backward(g, x, w),
        [rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)],
    )


@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_and_log_softmax_gradients(dim):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    assert check_op_gradients(lambda x: ch.softmax(x, dim), lambda g, x: ch.softmax_backward(g, x, dim), [x])
    assert check_op_gradients(lambda x: ch.log_softmax(x, dim), lambda g, x: ch.log_softmax_backward(g, x, dim), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient(reduction):
    rng = np.random.default_rng(0)
    target = np.array([0, 3, 1, 3, 2])
    assert check_op_gradients(
        lambda z: ch.cross_entropy(z, target, reduction),
        lambda g, z: ch.cross_entropy_backward(z, target, reduction, g),
        [rng.standard_normal((5, 4))],
    )
    z = rng.standard_normal((5, 4))
    assert gradcheck(lambda z: ch.cross_entropy(z, target, reduction).sum(), z,
                     ch.cross_entropy_backward(z, target, reduction))


def test_numerical_gradient_restores_input_and_reads_closures():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3))
    before = x.copy()
    params = {"w": x}
    num = numerical_gradient(lambda _: np.sum(params["w"] ** 3), x)
    np.testing.assert_allclose(num, 3 * before**2, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_input_when_f_raises():
    x = np.ones(3)
    def boom(_):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, np.ones(3))


def test_gradcheck_failure_message_names_worst_element():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    wrong = 2 * x
    wrong[1, 2] += 0.5
    wrong[2, 0] += 0.01
    with pytest.raises(AssertionError, match=r"2 of 12 elements differ; worst at index \(1, 2\): analytic .*, numerical"):
        gradcheck(lambda a: np.sum(a**2), x, wrong)
    assert gradcheck(lambda a: np.sum(a**2), x, 2 * x)


def test_gradcheck_catches_nan_in_analytic():
    x = np.ones(2)
    with pytest.raises(AssertionError, match="1 of 2 elements differ"):
        gradcheck(lambda a: np.sum(a), x, np.array([1.0, np.nan]))


def test_check_op_gradients_names_the_failing_input():
    rng = np.random.default_rng(0)
    def bad_backward(g, x, w):
        gx, gw, _ = ch.linear_backward(g, x, w)
        return gx, 1.01 * gw
    with pytest.raises(AssertionError, match=r"input 1 \(shape \(2, 3\)\)"):
        check_op_gradients(ch.linear, bad_backward, [rng.standard_normal((4, 3)), rng.standard_normal((2, 3))])


def test_reference_conv2d_backward_passes_gradcheck():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 3, 3))
    assert check_op_gradients(
        lambda x, w: ch.reference.conv2d(x, w, None, 2, 1),
        lambda g, x, w: ch.reference.conv2d_backward(g, x, w, 2, 1)[:2],
        [x, w],
    )


@pytest.mark.parametrize(("groups", "stride", "padding"), [(2, 1, 1), (3, 2, 0), (6, 1, 1)])
def test_grouped_conv2d_gradients(groups, stride, padding):
    rng = np.random.default_rng(groups)
    x, w = rng.standard_normal((2, 6, 6, 5)), rng.standard_normal((6, 6 // groups, 3, 2))
    b = rng.standard_normal(6)
    assert check_op_gradients(
        lambda x, w, b: ch.conv2d(x, w, b, stride, padding, groups=groups),
        lambda g, x, w, b: ch.conv2d_backward(g, x, w, stride, padding, groups=groups),
        [x, w, b],
    )


def test_grouped_conv1d_gradients():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    assert check_op_gradients(
        lambda x, w, b: ch.conv1d(x, w, b, 2, 1, groups=2),
        lambda g, x, w, b: ch.conv1d_backward(g, x, w, 2, 1, groups=2),
        [x, w, b],
    )
