"""Pooling forward against scipy.ndimage / brute force, backward routing, forms and dtypes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from cnn_helpers import (
    avg_pool1d,
    avg_pool2d,
    avg_pool2d_backward,
    lp_pool2d,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
    reference,
)


def ndimage_pool(x, kernel, stride, padding, kind):
    """Oracle: scipy's sliding max/mean filter on the padded map, sampled at window starts.

    For a window of size k, ndimage centres output index c on the window that
    starts at c - k // 2, so the window starting at i*s sits at c = i*s + k // 2.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    filt = ndimage.maximum_filter if kind == "max" else ndimage.uniform_filter
    full = filt(xp, size=(1, 1, kh, kw), mode="constant", cval=fill)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    return full[:, :, kh // 2 :: sh, kw // 2 :: sw][:, :, :oh, :ow]


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    h = draw(st.integers(max(1, kh - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, kw - 2 * padding[1]), 9))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = np.random.default_rng(draw(st.integers(0, 2**16))).standard_normal((n, c, h, w))
    return x, (kh, kw), stride, padding


@settings(max_examples=200)
@given(pool_case())
def test_max_pool2d_matches_ndimage(case):
    x, kernel, stride, padding = case
    np.testing.assert_array_equal(
        max_pool2d(x, kernel, stride, padding), ndimage_pool(x, kernel, stride, padding, "max")
    )


@settings(max_examples=200)
@given(pool_case())
def test_avg_pool2d_matches_ndimage(case):
    x, kernel, stride, padding = case
    np.testing.assert_allclose(
        avg_pool2d(x, kernel, stride, padding),
        ndimage_pool(x, kernel, stride, padding, "avg"),
        rtol=1e-10,
        atol=1e-12,
    )


@settings(max_examples=60)
@given(pool_case())
def test_pooling_agrees_with_reference(case):
    x, kernel, stride, padding = case
    np.testing.assert_array_equal(
        max_pool2d(x, kernel, stride, padding), reference.max_pool2d(x, kernel, stride, padding)
    )
    for include in (True, False):
        np.testing.assert_allclose(
            avg_pool2d(x, kernel, stride, padding, include),
            reference.avg_pool2d(x, kernel, stride, padding, include),
            rtol=1e-12,
        )


def test_avg_pool_count_include_pad_false_divides_by_real_pixels():
    x = np.ones((1, 1, 4, 4))
    np.testing.assert_array_equal(avg_pool2d(x, 3, 1, 1, count_include_pad=False), np.ones((1, 1, 4, 4)))
    corner = avg_pool2d(x, 3, 1, 1, count_include_pad=True)[0, 0, 0, 0]
    np.testing.assert_allclose(corner, 4 / 9)


def test_pool1d_is_pool2d_of_height_one():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 11))
    np.testing.assert_array_equal(max_pool1d(x, 3, 2, 1), max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0])
    np.testing.assert_allclose(avg_pool1d(x, 4, 3, 2), avg_pool2d(x[:, :, None], (1, 4), (1, 3), (0, 2))[:, :, 0])


def test_input_forms_agree():
    rng = np.random.default_rng(1)
    img = rng.standard_normal((6, 7))
    np.testing.assert_array_equal(max_pool2d(img, 2), max_pool2d(img[None, None], 2)[0, 0])
    np.testing.assert_array_equal(max_pool2d(img[None], 2), max_pool2d(img[None, None], 2)[0])
    sig = rng.standard_normal(9)
    np.testing.assert_array_equal(max_pool1d(sig, 3), max_pool1d(sig[None, None], 3)[0, 0])
    np.testing.assert_array_equal(max_pool1d(sig[None], 3), max_pool1d(sig[None, None], 3)[0])
    g = rng.standard_normal((3, 3))
    np.testing.assert_array_equal(max_pool2d_backward(g, img, 2), max_pool2d_backward(g[None, None], img[None, None], 2)[0, 0])


def test_stride_defaults_to_kernel_size():
    x = np.arange(36.0).reshape(6, 6)
    np.testing.assert_array_equal(max_pool2d(x, 2), max_pool2d(x, 2, stride=2))
    assert max_pool2d(x, 3).shape == (2, 2)


def test_max_pool_tie_sends_gradient_to_first_maximum():
    x = np.array([[1.0, 3.0], [3.0, 3.0]])
    np.testing.assert_array_equal(max_pool2d_backward(np.array([[5.0]]), x, 2), [[0, 5], [0, 0]])
    # A window of equal values (e.g. a ReLU's zeros) gives everything to its top-left entry.
    np.testing.assert_array_equal(max_pool2d_backward(np.array([[1.0]]), np.zeros((2, 2)), 2), [[1, 0], [0, 0]])
    np.testing.assert_array_equal(max_pool1d_backward(np.array([2.0]), np.array([0.0, 4.0, 4.0]), 3), [0, 2, 0])


def test_overlapping_windows_accumulate_gradient():
    x = np.array([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]])
    # All four 2x2 windows of stride 1 share the centre maximum.
    np.testing.assert_array_equal(max_pool2d_backward(np.ones((2, 2)), x, 2, 1)[1, 1], 4.0)
    g = avg_pool2d_backward(np.ones((2, 2)), x, 2, 1)
    np.testing.assert_allclose(g, [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_max_pool_padding_is_never_chosen():
    x = -np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(max_pool2d(x, 3, 1, 1), -np.ones((1, 1, 3, 3)))


def test_lp_pool2d_is_root_sum_of_powers():
    rng = np.random.default_rng(2)
    x = rng.random((2, 3, 6, 6))
    expected = np.sqrt(avg_pool2d(x**2, 2) * 4)
    np.testing.assert_allclose(lp_pool2d(x, 2, 2), expected, rtol=1e-12)
    np.testing.assert_allclose(lp_pool2d(x, 1, 3, 1), avg_pool2d(x, 3, 1) * 9, rtol=1e-12)
    # A large power approaches the max of non-negative inputs.
    np.testing.assert_allclose(lp_pool2d(x, 200, 2), max_pool2d(x, 2), rtol=0.01)


@pytest.mark.parametrize(
    "op",
    [
        lambda x: max_pool2d(x, 2),
        lambda x: avg_pool2d(x, 3, 1, 1),
        lambda x: lp_pool2d(x, 2, 2),
        lambda x: max_pool1d(x[0], 2),
        lambda x: avg_pool1d(x[0], 2),
        lambda x: max_pool2d_backward(np.ones((2, 3, 3), dtype=x.dtype), x, 2),
        lambda x: avg_pool2d_backward(np.ones((2, 3, 3), dtype=x.dtype), x, 2),
    ],
)
def test_float32_stays_float32(op):
    x = np.random.default_rng(3).random((2, 6, 6)).astype(np.float32)
    assert op(x).dtype == np.float32
    assert op(x.astype(np.float64)).dtype == np.float64


def test_integer_map_is_pooled_in_float64():
    x = np.array([[0, 1], [2, 3]])
    out = max_pool2d(x, 2)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[3.0]])


def test_max_pool_propagates_nan_like_torch():
    x = np.array([[np.nan, 1.0], [0.0, 2.0]])
    assert np.isnan(max_pool2d(x, 2)[0, 0])
    np.testing.assert_array_equal(max_pool2d_backward(np.ones((1, 1)), x, 2), [[1, 0], [0, 0]])
