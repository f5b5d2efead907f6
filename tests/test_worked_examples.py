"""The lecture notes' worked examples, reproduced exactly (all values are small integers)."""

import numpy as np
import pytest

from cnn_helpers import conv1d, conv2d, conv_output_size, linear, max_pool2d, relu


def rows(*lines):
    """Build a 0/1 (or digit) image from strings such as '10100'."""
    return np.array([[int(ch) for ch in line] for line in lines])


SIGNAL = np.array([0, 0, 1, 1, 1, 0, 1, 0, 0, 0])
EDGE_1D = np.array([-1, 1, -1])

IMAGE = rows("10100", "10101", "11100", "10101", "10101")
CENTRE = -np.ones((3, 3), dtype=int)
CENTRE[1, 1] = 1


def test_1d_signal_with_edge_filter_then_relu():
    out = conv1d(SIGNAL, EDGE_1D)
    np.testing.assert_array_equal(out, [-1, 0, -1, 0, -2, 1, -1, 0])
    np.testing.assert_array_equal(relu(out), [0, 0, 0, 0, 0, 1, 0, 0])
    # The same in torch's batched layout.
    np.testing.assert_array_equal(conv1d(SIGNAL[None, None], EDGE_1D[None, None])[0, 0], out)


def test_2d_image_valid():
    np.testing.assert_array_equal(conv2d(IMAGE, CENTRE), [[-7, -2, -4], [-5, -2, -5], [-7, -2, -5]])
    assert conv_output_size(5, 3) == 3


def test_2d_image_padding_one_then_relu():
    expected = [
        [0, -4, 0, -3, -1],
        [-2, -7, -2, -4, 1],
        [-2, -5, -2, -5, -2],
        [-2, -7, -2, -5, 0],
        [0, -4, 0, -4, 0],
    ]
    out = conv2d(IMAGE, CENTRE, padding=1)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(conv2d(IMAGE, CENTRE, padding="same"), expected)
    single = np.zeros((5, 5))
    single[1, 4] = 1
    np.testing.assert_array_equal(relu(out), single)


def test_convolution_arithmetic_example():
    image = rows("33210", "00131", "31223", "20022", "20001")
    kernel = rows("012", "220", "012")
    expected = [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    np.testing.assert_array_equal(conv2d(image, kernel), expected)
    np.testing.assert_array_equal(conv2d(image.astype(np.float32), kernel.astype(np.float32)), expected)


STRIPES = np.tile([1, 1, 0, 0, 0, 0, 1, 1], (8, 1))


def test_vertical_stripes_with_horizontal_difference_filter():
    out = conv2d(STRIPES, np.array([[1, -1]]))
    assert out.shape == (8, 7)
    np.testing.assert_array_equal(out, np.tile([0, 1, 0, 0, 0, -1, 0], (8, 1)))


def test_vertical_stripes_with_vertical_difference_filter():
    out = conv2d(STRIPES, np.array([[1], [-1]]))
    assert out.shape == (7, 8)
    np.testing.assert_array_equal(out, np.zeros((7, 8)))


@pytest.fixture
def two_ones():
    fmap = np.zeros((6, 6))
    fmap[1, 4] = 1
    fmap[3, 1] = 1
    return fmap


def test_max_pooling_stride_one(two_ones):
    np.testing.assert_array_equal(
        max_pool2d(two_ones, 3, stride=1), rows("0011", "1111", "1100", "1100")
    )


def test_max_pooling_stride_three(two_ones):
    np.testing.assert_array_equal(max_pool2d(two_ones, 3, stride=3), rows("01", "10"))
    np.testing.assert_array_equal(max_pool2d(two_ones, 3), rows("01", "10"))  # stride defaults to 3


def test_parameter_counts():
    # A conv1d layer with one 3-tap filter and a bias has 4 parameters ...
    w, b = np.array([[[-1.0, 1.0, -1.0]]]), np.zeros(1)
    assert w.size + b.size == 4
    np.testing.assert_array_equal(conv1d(SIGNAL[None, None], w, b)[0, 0], conv1d(SIGNAL, EDGE_1D))
    # ... while a dense layer from 10 inputs to 10 outputs has 10*10 + 10 = 110.
    dense_w, dense_b = np.ones((10, 10)), np.ones(10)
    assert dense_w.size + dense_b.size == 110
    np.testing.assert_array_equal(linear(SIGNAL, dense_w, dense_b), np.full(10, 5.0))
