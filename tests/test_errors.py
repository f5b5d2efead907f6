"""Bad input gets a clear ValueError/TypeError naming the shapes or values involved."""

import numpy as np
import pytest

import cnn_helpers as ch

X4 = np.zeros((2, 3, 8, 8))
W4 = np.zeros((4, 3, 3, 3))
X3 = np.zeros((2, 3, 10))
W3 = np.zeros((4, 3, 3))


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        # channel mismatch
        (lambda: ch.conv2d(X4, np.zeros((4, 1, 3, 3))), ValueError,
         r"conv2d: input has 3 channels but weight expects 1 \(input shape \(2, 3, 8, 8\), weight shape \(4, 1, 3, 3\)\)"),
        (lambda: ch.conv1d(X3, np.zeros((4, 2, 3))), ValueError,
         r"conv1d: input has 3 channels but weight expects 2 \(input shape \(2, 3, 10\)"),
        (lambda: ch.conv2d(np.zeros((3, 8, 8)), np.zeros((4, 2, 3, 3))), ValueError, r"input has 3 channels"),
        # groups that do not divide the channels
        (lambda: ch.conv2d(X4, np.zeros((4, 1, 3, 3)), groups=2), ValueError,
         r"conv2d: with groups=2 the input must have groups \* 1 = 2 channels \(weight shape "
         r"\(4, 1, 3, 3\) holds 1 input channels per group\), got 3 \(input shape \(2, 3, 8, 8\)\)"),
        (lambda: ch.conv2d(np.zeros((2, 6, 8, 8)), np.zeros((4, 2, 3, 3)), groups=3), ValueError,
         r"conv2d: groups=3 must divide the 4 output channels \(weight shape \(4, 2, 3, 3\)\)"),
        (lambda: ch.conv1d(X3, np.zeros((4, 1, 3)), groups=3), ValueError,
         r"conv1d: groups=3 must divide"),
        (lambda: ch.conv2d_backward(np.zeros((2, 4, 6, 6)), X4, np.zeros((4, 1, 3, 3)), groups=3),
         ValueError, r"conv2d_backward: groups=3 must divide the 4 output channels"),
        (lambda: ch.conv2d(X4, W4, groups=0), ValueError, r"conv2d: groups must be positive, got 0"),
        (lambda: ch.conv2d(X4, W4, groups=1.5), TypeError, r"conv2d: groups must be an int, got 1.5"),
        # kernel larger than the padded input
        (lambda: ch.conv2d(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 5, 5))), ValueError,
         r"larger than the padded input \(size 4 \+ padding 0\).*weight shape \(1, 1, 5, 5\)"),
        (lambda: ch.conv2d(np.zeros((5, 5)), np.zeros((3, 3)), dilation=3), ValueError,
         r"dilation 3, so spanning 7\) is larger than the padded input"),
        (lambda: ch.conv1d(np.zeros(2), np.zeros(5), padding=1), ValueError, r"size 2 \+ padding 2"),
        # bias of the wrong length
        (lambda: ch.conv2d(X4, W4, np.zeros(3)), ValueError,
         r"bias must be shape \(4,\) to match weight shape \(4, 3, 3, 3\), got shape \(3,\)"),
        (lambda: ch.conv2d(np.zeros((5, 5)), np.zeros((3, 3)), np.zeros(2)), ValueError,
         r"bias must be a scalar or shape \(1,\)"),
        (lambda: ch.linear(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3)), ValueError,
         r"linear: bias must have shape \(4,\).*got shape \(3,\)"),
        # non-positive stride, kernel size, dilation; negative padding
        (lambda: ch.conv2d(X4, W4, stride=0), ValueError, r"conv2d: stride must be positive, got 0"),
        (lambda: ch.conv2d(X4, W4, stride=(1, -1)), ValueError, r"stride must be positive, got \(1, -1\)"),
        (lambda: ch.conv1d(X3, W3, dilation=0), ValueError, r"conv1d: dilation must be positive"),
        (lambda: ch.conv2d(X4, W4, padding=-1), ValueError, r"padding must be non-negative, got -1"),
        (lambda: ch.conv2d(X4, np.zeros((4, 3, 0, 3))), ValueError, r"kernel size must be positive, got weight shape \(4, 3, 0, 3\)"),
        (lambda: ch.max_pool2d(X4, 0), ValueError, r"max_pool2d: kernel_size must be positive"),
        (lambda: ch.max_pool2d(X4, 2, stride=0), ValueError, r"stride must be positive"),
        (lambda: ch.avg_pool1d(X3, 2, padding=-1), ValueError, r"padding must be non-negative"),
        (lambda: ch.unfold(X4, 3, stride=0), ValueError, r"unfold: stride must be positive"),
        (lambda: ch.conv_output_size(5, 0), ValueError, r"kernel_size must be positive"),
        (lambda: ch.conv_output_size(3, 5), ValueError, r"does not fit in an input of size 3"),
        (lambda: ch.conv2d(np.zeros((1, 1, 0, 4)), np.zeros((1, 1, 1, 1)), padding=1), ValueError,
         r"conv2d: input has an empty spatial dimension \(shape \(1, 1, 0, 4\)\)"),
        (lambda: ch.max_pool1d(np.zeros((2, 0)), 2, padding=1), ValueError, r"max_pool1d: input has an empty spatial"),
        # wrong types for ints
        (lambda: ch.conv2d(X4, W4, stride=1.5), TypeError, r"stride must be an int or a tuple of 2 ints, got 1.5"),
        (lambda: ch.conv2d(X4, W4, padding=(1, 1, 1)), TypeError, r"padding must be an int or a tuple of 2 ints"),
        (lambda: ch.conv1d(X3, W3, stride=(1, 1)), TypeError, r"stride must be an int, got \(1, 1\)"),
        (lambda: ch.max_pool2d(X4, True), TypeError, r"kernel_size must be an int"),
        # wrong number of dimensions
        (lambda: ch.conv2d(np.zeros((8, 8)), W4), ValueError,
         r"with weight of shape \(4, 3, 3, 3\) the input must be \(N, C_in, H, W\) or \(C_in, H, W\), got shape \(8, 8\)"),
        (lambda: ch.conv2d(X4, np.zeros((3, 3, 3))), ValueError,
         r"conv2d: weight must be 4-D \(C_out, C_in, KH, KW\) or 2-D \(KH, KW\).*got shape \(3, 3, 3\)"),
        (lambda: ch.conv1d(X4, W3), ValueError, r"conv1d: with weight of shape \(4, 3, 3\) the input must be"),
        (lambda: ch.conv1d(np.zeros(5), np.zeros((2, 2))), ValueError, r"conv1d: weight must be 3-D"),
        (lambda: ch.max_pool2d(np.zeros(5), 2), ValueError, r"max_pool2d: input must be \(N, C, H, W\).*got shape \(5,\)"),
        (lambda: ch.max_pool1d(X4, 2), ValueError, r"max_pool1d: input must be \(N, C, L\).*got shape \(2, 3, 8, 8\)"),
        (lambda: ch.unfold(np.zeros((8, 8)), 3), ValueError, r"unfold: input must be 3 or 4-dimensional"),
        (lambda: ch.linear(np.zeros((2, 3)), np.zeros(3)), ValueError, r"linear: weight must be 2-dimensional"),
        (lambda: ch.linear(np.zeros((2, 5)), np.zeros((4, 3))), ValueError,
         r"linear: input has 5 features but weight expects 3 \(input shape \(2, 5\), weight shape \(4, 3\)\)"),
        (lambda: ch.softmax(np.zeros((2, 3)), dim=2), ValueError, r"softmax: dim 2 is out of range for input of shape \(2, 3\)"),
        # non-numeric data
        (lambda: ch.conv2d(np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1))), TypeError,
         r"conv2d: input must hold real numbers, got dtype <U1"),
        (lambda: ch.conv2d(X4, W4.astype(object)), TypeError, r"weight must hold real numbers, got dtype object"),
        (lambda: ch.relu(np.array([1 + 2j])), TypeError, r"relu: input must hold real numbers, got dtype complex128"),
        (lambda: ch.max_pool2d([[1, 2], [3]], 1), TypeError, r"max_pool2d: input could not be read as a numeric array"),
        (lambda: ch.linear("abc", np.zeros((1, 1))), TypeError, r"linear: input must hold real numbers"),
        # unknown padding word; 'same' with stride > 1
        (lambda: ch.conv2d(X4, W4, padding="full"), ValueError,
         r"padding must be an int, a tuple of ints, 'valid' or 'same', got 'full'"),
        (lambda: ch.conv2d(X4, W4, stride=2, padding="same"), ValueError,
         r"padding='same' needs stride 1 \(as in PyTorch\), got stride \(2, 2\)"),
        (lambda: ch.conv1d(X3, W3, stride=2, padding="same"), ValueError, r"conv1d: padding='same' needs stride 1"),
        # pooling padding larger than half the kernel, kernel larger than input
        (lambda: ch.max_pool2d(X4, 2, padding=2), ValueError,
         r"padding should be at most half of kernel_size, got padding 2 with kernel_size 2"),
        (lambda: ch.avg_pool2d(np.zeros((3, 3)), 4), ValueError, r"kernel_size 4 is larger than the padded input \(input shape \(3, 3\)"),
        (lambda: ch.lp_pool2d(X4, 0, 2), ValueError, r"norm_type must be a positive number"),
        # cross_entropy
        (lambda: ch.cross_entropy(np.zeros((2, 3)), np.array([0, 3])), ValueError,
         r"cross_entropy: target values must lie in \[0, 2\] for 3 classes \(logits shape \(2, 3\)\), got \[3\]"),
        (lambda: ch.cross_entropy(np.zeros((2, 3)), np.array([-1, 0])), ValueError, r"got \[-1\]"),
        (lambda: ch.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError,
         r"target must hold integer class indices, got dtype float64"),
        (lambda: ch.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError,
         r"got logits shape \(2, 3\) and target shape \(3,\)"),
        (lambda: ch.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), reduction="avg"), ValueError,
         r"reduction must be one of"),
        (lambda: ch.cross_entropy_backward(np.zeros((2, 3)), np.array([0, 5])), ValueError, r"cross_entropy_backward: target values"),
        # gradcheck's own inputs
        (lambda: ch.numerical_gradient(lambda _: 0.0, np.zeros(3, dtype=np.float32)), TypeError, r"must be a float64 ndarray"),
        (lambda: ch.numerical_gradient(lambda a: a, np.zeros(3)), ValueError, r"f must return a scalar, got an array of shape \(3,\)"),
        (lambda: ch.gradcheck(lambda a: a.sum(), np.zeros(3), np.zeros(2)), ValueError, r"analytic gradient has shape \(2,\) but x has shape \(3,\)"),
    ],
)
def test_bad_input_is_rejected_clearly(call, err, match):
    with pytest.raises(err, match=match):
        call()


G_BAD = np.zeros((1, 1, 1, 1))


@pytest.mark.parametrize(
    ("call", "name", "expected"),
    [
        (lambda: ch.conv2d_backward(G_BAD, X4, W4, padding=1), "conv2d_backward", r"\(2, 4, 8, 8\)"),
        (lambda: ch.conv1d_backward(np.zeros((2, 4, 7)), X3, W3), "conv1d_backward", r"\(2, 4, 8\)"),
        (lambda: ch.max_pool2d_backward(G_BAD, X4, 2), "max_pool2d_backward", r"\(2, 3, 4, 4\)"),
        (lambda: ch.max_pool1d_backward(np.zeros((2, 3)), X3, 2), "max_pool1d_backward", r"\(2, 3, 5\)"),
        (lambda: ch.avg_pool2d_backward(G_BAD, X4, 3, 1, 1), "avg_pool2d_backward", r"\(2, 3, 8, 8\)"),
        (lambda: ch.avg_pool1d_backward(np.zeros(5), X3, 2), "avg_pool1d_backward", r"\(2, 3, 5\)"),
        (lambda: ch.relu_backward(np.zeros(3), np.zeros(4)), "relu_backward", r"\(4,\)"),
        (lambda: ch.softmax_backward(np.zeros((3, 2)), np.zeros((2, 3))), "softmax_backward", r"\(2, 3\)"),
        (lambda: ch.log_softmax_backward(np.zeros(3), np.zeros((2, 3))), "log_softmax_backward", r"\(2, 3\)"),
        (lambda: ch.linear_backward(np.zeros((2, 3)), np.zeros((2, 5)), np.zeros((4, 5))), "linear_backward", r"\(2, 4\)"),
        (lambda: ch.cross_entropy_backward(np.zeros((2, 3)), np.array([0, 1]), "none", np.zeros(3)),
         "cross_entropy_backward", r"\(2,\)"),
    ],
)
def test_backward_rejects_gradient_of_wrong_shape(call, name, expected):
    with pytest.raises(ValueError, match=rf"{name}: grad_out has shape .* but the forward output has shape {expected}"):
        call()


def test_bool_inputs_are_accepted_as_zero_one():
    img = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(ch.conv2d(img, np.ones((1, 1))), [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match="target must hold integer class indices, got dtype bool"):
        ch.cross_entropy(np.zeros((2, 2)), np.array([True, False]))
