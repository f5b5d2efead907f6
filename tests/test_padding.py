"""pad: torch F.pad conventions, each mode checked on small arrays written out by hand."""

import numpy as np
import pytest

from cnn_helpers import pad


def test_zeros_pad_tuple_reads_from_last_dim():
    x = np.ones((1, 2, 3))
    out = pad(x, (1, 2, 3, 0))  # last dim: 1 left, 2 right; second last: 3 top, 0 bottom
    assert out.shape == (1, 5, 6)
    np.testing.assert_array_equal(out[0, 3:, 1:4], np.ones((2, 3)))
    assert out.sum() == 6


def test_int_pad_pads_last_two_dims_or_the_only_dim():
    assert pad(np.ones((2, 3, 4, 5)), 1).shape == (2, 3, 6, 7)
    assert pad(np.ones(5), 2).shape == (9,)
    np.testing.assert_array_equal(pad(np.array([1, 2]), 1, value=7), [7, 1, 2, 7])


def test_modes_on_a_signal():
    x = np.array([1, 2, 3, 4])
    np.testing.assert_array_equal(pad(x, (2, 1)), [0, 0, 1, 2, 3, 4, 0])
    np.testing.assert_array_equal(pad(x, (2, 1), mode="constant", value=-1), [-1, -1, 1, 2, 3, 4, -1])
    np.testing.assert_array_equal(pad(x, (2, 1), mode="reflect"), [3, 2, 1, 2, 3, 4, 3])
    np.testing.assert_array_equal(pad(x, (2, 1), mode="replicate"), [1, 1, 1, 2, 3, 4, 4])
    np.testing.assert_array_equal(pad(x, (2, 1), mode="circular"), [3, 4, 1, 2, 3, 4, 1])


def test_modes_on_an_image():
    x = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(pad(x, 1, mode="replicate"), [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    np.testing.assert_array_equal(pad(x, 1, mode="reflect"), [[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]])
    np.testing.assert_array_equal(pad(x, (0, 0, 1, 0), mode="circular"), [[3, 4], [1, 2], [3, 4]])


def test_dtype_is_kept():
    assert pad(np.ones((2, 2), dtype=np.float32), 1).dtype == np.float32
    assert pad(np.ones((2, 2), dtype=np.int64), 1).dtype == np.int64


def test_minus_infinity_fill_for_max_pooling():
    out = pad(np.zeros((1, 1, 2, 2)), 1, value=-np.inf)
    assert np.isneginf(out).sum() == 12


@pytest.mark.parametrize(
    ("x", "p", "mode", "err", "match"),
    [
        (np.ones(3), (1, 1), "mirror", ValueError, "mode must be one of"),
        (np.ones(3), (3, 0), "reflect", ValueError, r"reflect padding must be smaller.*size 3"),
        (np.ones(3), (4, 0), "circular", ValueError, r"circular padding.*size 3"),
        (np.ones(3), (1, 1, 1), "zeros", ValueError, "even number"),
        (np.ones(3), (1, 1, 1, 1), "zeros", ValueError, r"covers 2 dims.*shape \(3,\)"),
        (np.ones(3), (-1, 1), "zeros", ValueError, "non-negative"),
        (np.ones(3), 1.5, "zeros", TypeError, "pad must be an int"),
        (np.array(["a", "b"]), 1, "zeros", TypeError, "real numbers"),
    ],
)
def test_bad_pad_arguments(x, p, mode, err, match):
    with pytest.raises(err, match=match):
        pad(x, p, mode=mode)
