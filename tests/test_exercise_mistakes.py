"""The mistake catalogues of the exercise checkers compute the mistakes they name."""

import numpy as np
import pytest

import cnn_helpers as ch
from cnn_helpers import architectures as arch
from cnn_helpers import checks
from cnn_helpers.checks.exercises import architectures as arch_checks
from cnn_helpers.checks.exercises import conv1d as conv1d_checks
from cnn_helpers.checks.exercises import conv2d as conv2d_checks

NOTES_IMAGE = np.array([[1, 0, 1, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 0, 0],
                        [1, 0, 1, 0, 1], [1, 0, 1, 0, 1]], dtype=float)


def test_rising_edges_and_detections():
    signals = [np.array([0, 1, 1, 0, 1]), np.array([1, 0, 0, 1])]
    np.testing.assert_array_equal(conv1d_checks.rising_edges(signals), [1, 0, 0, 1, 0, 0, 1])
    detections = conv1d_checks._detections
    np.testing.assert_array_equal(
        detections(lambda: (np.array([-1.0, 1.0]), 0.0), signals), [1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(
        detections(lambda: (np.array([1.0, -1.0]), 0.0), signals), [0, 0, 1, 0, 1, 0, 0])
    try:
        detections(lambda: (np.ones(3), 0.0), signals)
    except ValueError:
        pass
    else:
        raise AssertionError("a three-weight filter must be refused")


def test_loop_mistakes_are_the_mistakes_they_name():
    x, w = np.arange(6.0), np.array([1.0, 2.0, 0.0])
    mistakes = conv1d_checks.loop_mistakes()
    flipped, no_pad, one_side, no_stride, no_bias = mistakes.values()
    np.testing.assert_allclose(flipped(x, w), ch.conv1d(x, w[::-1]))
    np.testing.assert_allclose(no_pad(x, w, 0.0, 1, 1), ch.conv1d(x, w))
    np.testing.assert_allclose(one_side(x, w, 0.0, 1, 1), ch.conv1d(np.r_[0.0, x], w))
    np.testing.assert_allclose(no_stride(x, w, 0.0, 2, 0), ch.conv1d(x, w))
    np.testing.assert_allclose(no_bias(x, w, 2.0), ch.conv1d(x, w))
    # A mistake that changes nothing for the arguments returns None.
    assert no_pad(x, w) is None and no_stride(x, w) is None and no_bias(x, w) is None


def test_plain_conv_mistakes_give_distinct_wrong_answers():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    right = ch.conv2d(x, k, stride=2, padding=1)
    for message, wrong in conv2d_checks.plain_conv_mistakes().items():
        result = wrong(x, k, stride=2, padding=1)
        assert result is not None, message
        assert result.shape != right.shape or not np.allclose(result, right), message
    mistakes = conv2d_checks.plain_conv_mistakes()
    no_padding = next(f for m, f in mistakes.items() if "padding" in m)
    assert no_padding(x, k) is None


def test_plain_conv_check_recognises_a_flipped_kernel():
    def flipped(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride, padding=padding)

    cases = [(NOTES_IMAGE, np.arange(9.0).reshape(3, 3)),
             ((NOTES_IMAGE, np.ones((2, 3))), {"padding": 1})]
    checks.set_grading(False)
    try:
        result = checks.check_function(flipped, ch.conv2d, cases,
                                       mistakes=conv2d_checks.plain_conv_mistakes())
    finally:
        checks.set_grading(None)
    assert not result
    assert "flipped" in result.message


def test_receptive_field_mistakes_are_wrong_where_it_matters():
    layers = [(5, 1), (2, 2), (5, 1), (2, 2)]
    right = arch.receptive_field(layers)
    mistakes = [arch_checks._no_jump, arch_checks._stride_first]
    wrong = [fn(layers) for fn in mistakes]
    assert right == (16, 4)
    assert sorted(wrong) == [(11, 4), (19, 4)]
    # without strides every version agrees, as it should
    for fn in mistakes:
        assert fn([(3, 1), (3, 1)]) == (5, 1)


def test_paired_interval_mistakes_are_the_mistakes_they_name():
    """Chapter 8's checker computes its t quantiles without scipy; scipy is the oracle."""
    from scipy import stats

    from cnn_helpers.checks.exercises import transfer as transfer_checks

    for df in (1, 2, 4, 7, 12.5):
        assert transfer_checks._t_quantile(0.975, df) == pytest.approx(
            stats.t.ppf(0.975, df), rel=1e-9)
    a = np.array([0.70, 0.72, 0.69, 0.75, 0.71])
    b = np.array([0.62, 0.66, 0.65, 0.64, 0.60])
    d, n = a - b, len(a)
    se = d.std(ddof=1) / np.sqrt(n)
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    pooled = stats.ttest_ind(a, b, equal_var=True).confidence_interval(0.95)
    expected = [
        (welch.low, welch.high),
        (pooled.low, pooled.high),
        (d.mean() - stats.norm.ppf(0.975) * se, d.mean() + stats.norm.ppf(0.975) * se),
        (d.mean() - stats.t.ppf(0.975, n) * se, d.mean() + stats.t.ppf(0.975, n) * se),
        (d.mean() - stats.t.ppf(0.95, n - 1) * se, d.mean() + stats.t.ppf(0.95, n - 1) * se),
        (d.mean() - stats.t.ppf(0.975, n - 1) * d.std() / np.sqrt(n),
         d.mean() + stats.t.ppf(0.975, n - 1) * d.std() / np.sqrt(n)),
        (-d.mean() - stats.t.ppf(0.975, n - 1) * se, -d.mean() + stats.t.ppf(0.975, n - 1) * se),
    ]
    mistakes = transfer_checks._difference_mistakes()
    assert len(mistakes) == len(expected)
    for (message, wrong), (low, high) in zip(mistakes.items(), expected, strict=True):
        _, got_low, got_high = wrong(a, b)
        assert (got_low, got_high) == pytest.approx((low, high), rel=1e-7), message
    paired = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert transfer_checks._paired(a, b)[1:] == pytest.approx((paired.low, paired.high))
