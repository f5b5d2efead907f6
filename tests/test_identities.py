"""Algebraic identities: linearity, translation equivariance, adjointness, dtype preservation."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnn_helpers as ch


@st.composite
def conv_args(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(6, 10)), draw(st.integers(6, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w))
    weight = rng.standard_normal((draw(st.integers(1, 3)), x.shape[1], *k))
    return x, weight, dict(stride=stride, padding=pad, dilation=dil), rng


@settings(max_examples=60)
@given(conv_args())
def test_linearity_in_input_and_weight(args):
    x, w, kw, rng = args
    y, v = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    a, b = 2.5, -0.7
    np.testing.assert_allclose(
        ch.conv2d(a * x + b * y, w, **kw), a * ch.conv2d(x, w, **kw) + b * ch.conv2d(y, w, **kw), atol=1e-10
    )
    np.testing.assert_allclose(
        ch.conv2d(x, a * w + b * v, **kw), a * ch.conv2d(x, w, **kw) + b * ch.conv2d(x, v, **kw), atol=1e-10
    )


@settings(max_examples=60)
@given(conv_args())
def test_adjoint_identities(args):
    """<conv(x, w), y> = <x, grad_x(y)> = <w, grad_w(y)>: the backward is the transpose."""
    x, w, kw, rng = args
    out = ch.conv2d(x, w, **kw)
    y = rng.standard_normal(out.shape)
    gx, gw, gb = ch.conv2d_backward(y, x, w, **kw)
    lhs = np.sum(out * y)
    np.testing.assert_allclose(lhs, np.sum(x * gx), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(lhs, np.sum(w * gw), rtol=1e-9, atol=1e-9)
    b = rng.standard_normal(w.shape[0])
    np.testing.assert_allclose(np.sum((ch.conv2d(x, w, b, **kw) - out) * y), np.sum(b * gb), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("shift", "k"), [((1, 2), 3), ((2, 0), 2), ((0, 3), 1)])
def test_translation_equivariance_away_from_border(shift, k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 12, 12))
    w = rng.standard_normal((3, 2, k, k))
    dy, dx = shift
    shifted = np.roll(x, shift, axis=(2, 3))
    a = ch.conv2d(shifted, w)
    b = np.roll(ch.conv2d(x, w), shift, axis=(2, 3))
    # Outputs whose windows never wrapped around the border agree.
    np.testing.assert_allclose(a[:, :, dy:, dx:], b[:, :, dy:, dx:], atol=1e-12)
    # The same for max pooling with stride 1.
    np.testing.assert_array_equal(
        ch.max_pool2d(shifted, 2, 1)[:, :, dy:, dx:], np.roll(ch.max_pool2d(x, 2, 1), shift, axis=(2, 3))[:, :, dy:, dx:]
    )


def test_translation_equivariance_1d():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(20), rng.standard_normal(4)
    np.testing.assert_allclose(ch.conv1d(np.roll(x, 3), w)[3:], ch.conv1d(x, w)[:-3], atol=1e-12)


def test_pooling_adjoint_identities():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 8))
    for k, s, p in [(2, None, 0), (3, 1, 1), (3, 2, 1)]:
        out = ch.avg_pool2d(x, k, s, p)
        y = rng.standard_normal(out.shape)
        np.testing.assert_allclose(np.sum(out * y), np.sum(x * ch.avg_pool2d_backward(y, x, k, s, p)))
        # Max pooling is linear in x once the winners are fixed.
        out = ch.max_pool2d(x, k, s, p)
        np.testing.assert_allclose(np.sum(out * y), np.sum(x * ch.max_pool2d_backward(y, x, k, s, p)))


FLOAT32_OPS = [
    lambda x, w: ch.conv2d(x, w, np.ones(2, np.float32), stride=2, padding=1),
    lambda x, w: ch.conv2d(x[0], w, padding="same"),
    lambda x, w: ch.true_conv2d(x, w),
    lambda x, w: ch.conv1d(x[:, :, 0], w[:, :, 0]),
    lambda x, w: ch.true_conv1d(x[:, :, 0], w[:, :, 0], padding=1),
    lambda x, w: ch.unfold(x, 3),
    lambda x, w: ch.fold(ch.unfold(x, 3), (6, 6), 3),
    lambda x, w: ch.pad(x, 1, mode="reflect"),
    lambda x, w: ch.max_pool2d(x, 2),
    lambda x, w: ch.reference.conv2d(x, w),
    lambda x, w: ch.reference.max_pool2d(x, 2),
    lambda x, w: ch.reference.avg_pool2d(x, 2),
    lambda x, w: ch.reference.conv1d(x[:, :, 0], w[:, :, 0]),
] + [
    partial(lambda x, w, i: ch.conv2d_backward(np.ones((2, 2, 4, 4), np.float32), x, w)[i], i=i)
    for i in range(3)
] + [
    partial(lambda x, w, i: ch.conv1d_backward(np.ones((2, 2, 4), np.float32), x[:, :, 0], w[:, :, 0])[i], i=i)
    for i in range(3)
]


@pytest.mark.parametrize("op", FLOAT32_OPS)
def test_float32_in_float32_out(op):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    assert op(x, w).dtype == np.float32
    assert op(x.astype(np.float64), w.astype(np.float64)).dtype == np.float64


def test_float32_results_close_to_float64():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
    out32 = ch.conv2d(x.astype(np.float32), w.astype(np.float32), padding=1)
    np.testing.assert_allclose(out32, ch.conv2d(x, w, padding=1), rtol=1e-4, atol=1e-5)
