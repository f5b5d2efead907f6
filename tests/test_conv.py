"""conv1d/conv2d/true_conv/unfold forward against scipy, over random shapes and arguments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cnn_helpers import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    fold,
    reference,
    true_conv1d,
    true_conv2d,
    unfold,
)


def dilate(k, d):
    """Kernel with d-1 zeros between taps, so scipy can do dilated correlation."""
    d = (d,) * k.ndim if np.isscalar(d) else d
    out = np.zeros([di * (n - 1) + 1 for n, di in zip(k.shape, d, strict=True)])
    out[tuple(slice(None, None, di) for di in d)] = k
    return out


def scipy_conv2d(x, w, b, stride, pads, dilation):
    """Independent oracle: per channel pair scipy correlate2d, summed, then subsampled."""
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    out = []
    for n in range(x.shape[0]):
        rows = []
        for o in range(w.shape[0]):
            acc = sum(
                signal.correlate2d(xp[n, c], dilate(w[o, c], dilation), mode="valid")
                for c in range(x.shape[1])
            )
            rows.append(acc[:: stride[0], :: stride[1]] + (b[o] if b is not None else 0))
        out.append(rows)
    return np.array(out)


def scipy_conv1d(x, w, b, stride, pads, dilation):
    xp = np.pad(x, ((0, 0), (0, 0), pads))
    out = np.zeros((x.shape[0], w.shape[0], 0)).tolist()
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            acc = sum(
                signal.correlate(xp[n, c], dilate(w[o, c], dilation), mode="valid")
                for c in range(x.shape[1])
            )
            out[n][o] = acc[::stride] + (b[o] if b is not None else 0)
    return np.array(out)


@st.composite
def conv2d_case(draw):
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    same = draw(st.booleans()) and draw(st.booleans())
    stride = (1, 1) if same else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = "same" if same else (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    # Input at least as large as the (dilated) kernel minus the padding.
    ph, pw = (0, 0) if same else pad
    h = draw(st.integers(max(1, dil[0] * (kh - 1) + 1 - 2 * ph), 10))
    w_ = draw(st.integers(max(1, dil[1] * (kw - 1) + 1 - 2 * pw), 10))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, h, w_))
    w = rng.standard_normal((c_out, c_in, kh, kw))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return x, w, b, stride, pad, dil


def same_pads(k, d):
    total = d * (k - 1)
    return (total // 2, total - total // 2)


@settings(max_examples=250)
@given(conv2d_case())
def test_conv2d_matches_scipy(case):
    x, w, b, stride, pad, dil = case
    if pad == "same":
        pads = (same_pads(w.shape[2], dil[0]), same_pads(w.shape[3], dil[1]))
    else:
        pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    out = conv2d(x, w, b, stride=stride, padding=pad, dilation=dil)
    np.testing.assert_allclose(out, scipy_conv2d(x, w, b, stride, pads, dil), rtol=1e-10, atol=1e-10)
    if pad == "same":
        assert out.shape[2:] == x.shape[2:]


@settings(max_examples=200)
@given(
    n=st.integers(1, 3), c_in=st.integers(1, 3), c_out=st.integers(1, 3), k=st.integers(1, 5),
    stride=st.integers(1, 3), pad=st.integers(0, 3), dil=st.integers(1, 3),
    extra=st.integers(0, 8), seed=st.integers(0, 2**16), same=st.booleans(),
)
def test_conv1d_matches_scipy(n, c_in, c_out, k, stride, pad, dil, extra, seed, same):
    rng = np.random.default_rng(seed)
    length = max(1, dil * (k - 1) + 1 - 2 * pad) + extra
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in, k))
    b = rng.standard_normal(c_out)
    if same:
        stride, padding, pads = 1, "same", same_pads(k, dil)
        length = max(length, dil * (k - 1) + 1)
        x = rng.standard_normal((n, c_in, length))
    else:
        padding, pads = pad, (pad, pad)
    out = conv1d(x, w, b, stride=stride, padding=padding, dilation=dil)
    np.testing.assert_allclose(out, scipy_conv1d(x, w, b, stride, pads, dil), rtol=1e-10, atol=1e-10)


@settings(max_examples=60)
@given(
    h=st.integers(3, 9), w=st.integers(3, 9), kh=st.integers(1, 3), kw=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_true_conv2d_matches_scipy_convolve2d(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    np.testing.assert_allclose(true_conv2d(x, k), signal.convolve2d(x, k, mode="valid"), atol=1e-12)


def test_true_conv1d_matches_numpy_convolve():
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal(12), rng.standard_normal(4)
    np.testing.assert_allclose(true_conv1d(x, k), np.convolve(x, k, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(true_conv1d(x, k, padding=3), np.convolve(x, k, mode="full"), atol=1e-12)


def test_true_conv_is_conv_with_flipped_kernel():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    np.testing.assert_allclose(
        true_conv2d(x, w, stride=2, padding=1), conv2d(x, w[:, :, ::-1, ::-1], stride=2, padding=1)
    )


@pytest.mark.parametrize(
    ("kernel", "dilation", "padding", "stride"),
    [((3, 3), 1, 1, 1), ((2, 3), (2, 1), (0, 2), (2, 1)), ((1, 1), 1, 0, 3)],
)
def test_conv2d_is_weight_matrix_times_unfold(kernel, dilation, padding, stride):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((5, 3, *kernel))
    out = conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    cols = unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    assert cols.shape == (2, 3 * kernel[0] * kernel[1], out.shape[2] * out.shape[3])
    np.testing.assert_allclose((w.reshape(5, -1) @ cols).reshape(out.shape), out, atol=1e-12)


def test_unfold_layout_is_channel_then_kernel_row_then_column():
    x = np.arange(2 * 4 * 5).reshape(1, 2, 4, 5)
    cols = unfold(x, (2, 3))
    # Column 0 is the top-left window; rows run over channel, kernel row, kernel column.
    np.testing.assert_array_equal(cols[0, :, 0], [0, 1, 2, 5, 6, 7, 20, 21, 22, 25, 26, 27])
    # Window positions run row-major: 3 per row, then the next row.
    np.testing.assert_array_equal(cols[0, 0, :], [0, 1, 2, 5, 6, 7, 10, 11, 12])
    np.testing.assert_array_equal(unfold(x[0], (2, 3)), cols[0])


def test_fold_is_adjoint_of_unfold():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 6))
    args = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    cols = unfold(x, **args)
    y = rng.standard_normal(cols.shape)
    np.testing.assert_allclose(np.sum(cols * y), np.sum(x * fold(y, (7, 6), **args)))
    # Fold of unfold counts how many windows cover each pixel.
    ones = np.ones((1, 1, 4, 4))
    counts = fold(unfold(ones, 3, padding=1), (4, 4), 3, padding=1)[0, 0]
    np.testing.assert_array_equal(counts, [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])


def test_input_forms_agree():
    rng = np.random.default_rng(5)
    img, k = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    batched = conv2d(img[None, None], k[None, None], np.array([0.5]), padding=1)
    np.testing.assert_allclose(conv2d(img, k, 0.5, padding=1), batched[0, 0])
    np.testing.assert_allclose(conv2d(img, k, np.array([0.5]), padding=1), batched[0, 0])
    np.testing.assert_allclose(conv2d(img[None], k[None, None], [0.5], padding=1), batched[0])
    sig, k1 = rng.standard_normal(9), rng.standard_normal(3)
    batched1 = conv1d(sig[None, None], k1[None, None], stride=2)
    np.testing.assert_allclose(conv1d(sig, k1, stride=2), batched1[0, 0])
    np.testing.assert_allclose(conv1d(sig[None], k1[None, None], stride=2), batched1[0])
    # conv1d is conv2d on an image of height 1.
    np.testing.assert_allclose(conv2d(sig[None, None, None], k1[None, None, None], stride=(1, 2))[:, :, 0], batched1)


def test_backward_forms_match_input_forms():
    rng = np.random.default_rng(6)
    img, k = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    g = rng.standard_normal((4, 6))
    gx, gw, gb = conv2d_backward(g, img, k)
    bx, bw, bb = conv2d_backward(g[None, None], img[None, None], k[None, None])
    np.testing.assert_allclose(gx, bx[0, 0])
    np.testing.assert_allclose(gw, bw[0, 0])
    assert gb.shape == () and bb.shape == (1,)
    np.testing.assert_allclose(gb, bb[0])
    gx, gw, gb = conv1d_backward(np.ones((2, 4)), rng.standard_normal((3, 6)), rng.standard_normal((2, 3, 3)))
    assert (gx.shape, gw.shape, gb.shape) == ((3, 6), (2, 3, 3), (2,))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("d", [1, 2])
def test_same_padding_puts_extra_at_the_end(k, d):
    x = np.arange(1.0, 10.0)
    w = np.zeros(k)
    w[0] = 1.0  # picks the first tap: output i reads padded input i
    out = conv1d(x, w, padding="same", dilation=d)
    left = d * (k - 1) // 2
    expected = np.concatenate([np.zeros(left), x])[: len(x)]
    np.testing.assert_array_equal(out, expected)


def test_integer_input_gives_float64_and_float32_is_kept():
    img = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    assert conv2d(img, np.ones((2, 2), dtype=int)).dtype == np.float64
    assert conv2d(img, np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    assert conv2d(img.astype(bool), np.ones((2, 2))).dtype == np.float64
    np.testing.assert_array_equal(conv2d(img, np.ones((2, 2), dtype=int)), [[2, 2], [2, 2]])


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d", "expected"),
    [(5, 3, 1, 0, 1, 3), (5, 3, 1, 1, 1, 5), (28, 5, 1, 0, 1, 24), (7, 3, 2, 1, 1, 4),
     (32, 3, 2, 0, 1, 15), (10, 3, 1, 0, 2, 6), (6, 6, 1, 0, 1, 1), (1, 3, 1, 1, 1, 1)],
)
def test_conv_output_size(n, k, s, p, d, expected):
    assert conv_output_size(n, k, s, p, d) == expected
    if d == 1:
        assert expected == (n + 2 * p - k) // s + 1  # the book's formula


@settings(max_examples=25)
@given(conv2d_case())
def test_reference_conv2d_agrees_with_fast(case):
    x, w, b, stride, pad, dil = case
    if pad == "same":
        return
    np.testing.assert_allclose(
        reference.conv2d(x, w, b, stride, pad, dil), conv2d(x, w, b, stride, pad, dil), atol=1e-12
    )
    g = np.random.default_rng(0).standard_normal(conv2d(x, w, b, stride, pad, dil).shape)
    for slow, fast in zip(
        reference.conv2d_backward(g, x, w, stride, pad, dil),
        conv2d_backward(g, x, w, stride, pad, dil),
        strict=True,
    ):
        np.testing.assert_allclose(slow, fast, atol=1e-12)


def test_reference_conv1d_agrees_with_fast():
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((2, 3, 11)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)]:
        np.testing.assert_allclose(
            reference.conv1d(x, w, b, stride, padding, dilation),
            conv1d(x, w, b, stride, padding, dilation),
            atol=1e-12,
        )


# --------------------------------------------------------------------------
# Groups: independent blocks of channels
# --------------------------------------------------------------------------


def scipy_grouped_conv2d(x, w, b, stride, pads, dilation, groups):
    """Independent oracle: split the channels into groups, run the scipy oracle per group."""
    c_in, c_out = w.shape[1], w.shape[0] // groups
    parts = [
        scipy_conv2d(x[:, g * c_in : (g + 1) * c_in], w[g * c_out : (g + 1) * c_out],
                     None if b is None else b[g * c_out : (g + 1) * c_out], stride, pads, dilation)
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=1)


@settings(max_examples=60)
@given(
    groups=st.integers(1, 4), c_in_g=st.integers(1, 3), c_out_g=st.integers(1, 3),
    k=st.integers(1, 3), stride=st.integers(1, 3), pad=st.integers(0, 2), dil=st.integers(1, 2),
    bias=st.booleans(), seed=st.integers(0, 2**16),
)
def test_grouped_conv2d_matches_scipy_per_group(groups, c_in_g, c_out_g, k, stride, pad, dil,
                                                bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, groups * c_in_g, 7, 6))
    w = rng.standard_normal((groups * c_out_g, c_in_g, k, k))
    b = rng.standard_normal(groups * c_out_g) if bias else None
    out = conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)
    pads = ((pad, pad), (pad, pad))
    expected = scipy_grouped_conv2d(x, w, b, (stride, stride), pads, (dil, dil), groups)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_depthwise_conv2d_filters_each_channel_alone():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 5, 8, 9)), rng.standard_normal((5, 1, 3, 3))
    out = conv2d(x, w, padding=1, groups=5)
    for c in range(5):
        np.testing.assert_allclose(out[:, c], conv2d(x[:, c : c + 1], w[c : c + 1], padding=1)[:, 0])


@pytest.mark.parametrize(("groups", "stride", "padding", "dilation"),
                         [(2, 1, 1, 1), (3, 2, 0, 1), (6, 1, "same", 2), (3, (2, 1), (1, 0), 1)])
def test_grouped_conv2d_and_backward_agree_with_reference_loops(groups, stride, padding, dilation):
    rng = np.random.default_rng(groups)
    x, w, b = rng.standard_normal((2, 6, 7, 8)), rng.standard_normal((12, 6 // groups, 3, 3)), \
        rng.standard_normal(12)
    out = conv2d(x, w, b, stride, padding, dilation, groups)
    if padding != "same":
        np.testing.assert_allclose(reference.conv2d(x, w, b, stride, padding, dilation, groups), out,
                                   atol=1e-12)
    g = rng.standard_normal(out.shape)
    fast = conv2d_backward(g, x, w, stride, padding, dilation, groups)
    # The oracle: groups=1 backward on each group's slice of channels, put together.
    parts = [conv2d_backward(g[:, 12 // groups * i : 12 // groups * (i + 1)],
                             x[:, 6 // groups * i : 6 // groups * (i + 1)],
                             w[12 // groups * i : 12 // groups * (i + 1)], stride, padding, dilation)
             for i in range(groups)]
    np.testing.assert_allclose(fast[0], np.concatenate([p[0] for p in parts], axis=1), atol=1e-12)
    np.testing.assert_allclose(fast[1], np.concatenate([p[1] for p in parts], axis=0), atol=1e-12)
    np.testing.assert_allclose(fast[2], np.concatenate([p[2] for p in parts]), atol=1e-12)
    if padding != "same":
        for slow, quick in zip(reference.conv2d_backward(g, x, w, stride, padding, dilation, groups),
                               fast, strict=True):
            np.testing.assert_allclose(slow, quick, atol=1e-12)


def test_grouped_conv1d_matches_reference_and_groups_one_is_unchanged():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 6, 11)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    np.testing.assert_allclose(conv1d(x, w, b, 2, 1, 1, groups=2),
                               reference.conv1d(x, w, b, 2, 1, 1, groups=2), atol=1e-12)
    w1 = rng.standard_normal((4, 6, 3))
    np.testing.assert_array_equal(conv1d(x, w1, b, groups=1), conv1d(x, w1, b))
