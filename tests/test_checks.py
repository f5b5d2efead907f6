"""Tests for cnn_helpers.checks: a catalogue of wrong answers and the feedback each must get."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import cnn_helpers as ch
from cnn_helpers import architectures, augment, checks
from cnn_helpers.checks import (
    Conv,
    Linear,
    check_array,
    check_conv,
    check_count,
    check_function,
    check_pool,
    check_shape,
    check_value,
    output_size_mistakes,
    reference_conv,
    reference_pool,
)
from cnn_helpers.demos import inside, motivation

RNG = np.random.default_rng(42)
X = RNG.normal(size=(2, 6, 7))
W = RNG.normal(size=(3, 2, 3, 2))
B = np.array([0.5, -1.0, 2.0])
GOOD = reference_conv(X, W, B, 2, 1)
XS = RNG.normal(size=(3, 7, 5)) - 1.0  # mostly negative values
X1D = RNG.normal(size=(2, 9))
W1D = RNG.normal(size=(4, 2, 3))


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    """Each test starts outside grading mode, whatever the environment says."""
    monkeypatch.delenv(checks.GRADING_ENV, raising=False)
    checks.set_grading(None)
    yield
    checks.set_grading(None)


def conv(x=X, w=W, b=B, s=2, p=1, **kw):
    return reference_conv(x, w, b, s, p, **kw)


def output_size(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


OUTPUT_SIZE_MISTAKES = {
    "forgot the +1": lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
    "padding only counted once": lambda n, k, s=1, p=0: (n + p - k) // s + 1,
}
SIZE_CASES = [(5, 3), (7, 3, 2, 1), (8, 3, 2, 0), (32, 5, 1, 2)]


def stub(*args, **kwargs):
    raise NotImplementedError()


def endless(*args, **kwargs):
    while True:
        pass


def endless_swallowing(*args, **kwargs):
    """A loop that even catches Exception: the timeout must still stop it."""
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: S110 - on purpose: the student's code does this
            continue


def conv_fn(mistake):
    """A student's conv2d function that makes one mistake (given as reference_conv kwargs changes)."""

    def student(x, w, b=None, s=1, p=0):
        return mistake(x, w, b, s, p)

    return student


def pool_fn(mode, **wrong):
    def student(x, k, s=None, p=0):
        args = {"stride": s, "padding": p, "mode": mode}
        args.update(wrong)
        return reference_pool(x, k, **args)

    return student


def mutating_relu(x):
    np.maximum(x, 0, out=x)
    return x


# (id, checker call, substring the feedback must contain)
CATALOGUE = [
    # --- values --------------------------------------------------------------
    ("value-none", lambda: check_value(None, 3.0), "missing `return`"),
    ("value-string", lambda: check_value("3", 3.0), "got a str"),
    ("value-list", lambda: check_value([1, 2], 3.0), "single number"),
    ("value-nan", lambda: check_value(float("nan"), 3.0), "not a finite number"),
    ("value-inf", lambda: check_value(float("inf"), 3.0), "not a finite number"),
    ("value-off-by-one", lambda: check_value(4, 5), "off by one"),
    ("value-floored", lambda: check_value(2.0, 2.5), "integer division"),
    ("value-int-floored", lambda: check_value(np.int64(2), 2.5), "integer dtype"),
    ("value-factor", lambda: check_value(10.0, 2.5), "constant factor"),
    ("value-sign", lambda: check_value(-2.5, 2.5), "wrong sign"),
    ("value-plain-wrong", lambda: check_value(7.3, 2.5), "is not right"),
    ("value-author-mistake", lambda: check_value(9, 10, mistakes={"You forgot the bias.": 9}),
     "forgot the bias"),
    ("value-raises", lambda: check_value(lambda: 1 / 0, 2.0), "ZeroDivisionError"),
    ("value-stub", lambda: check_value(stub, 2.0), "not yet implemented"),
    ("value-dict", lambda: check_value({"a": 1}, 2.0), "got a dict"),
    # --- arrays --------------------------------------------------------------
    ("array-none", lambda: check_array(None, np.ones(3)), "missing `return`"),
    ("array-ragged", lambda: check_array([[1, 2], [3]], np.ones((2, 2))), "could not be turned"),
    ("array-objects", lambda: check_array([None, 1], np.ones(2)), "not all numbers"),
    ("array-one-wrong", lambda: check_array([1.0, 2.0, 4.0], [1.0, 2.0, 3.0]), "1 of 3 values is wrong"),
    ("array-first-wrong-index", lambda: check_array([[1, 2], [3, 5]], [[1, 2], [3, 4]]),
     "index (1, 1)"),
    ("array-nan", lambda: check_array([1.0, np.nan], [1.0, 2.0]), "NaN or inf"),
    ("array-inf", lambda: check_array([np.inf, 2.0], [1.0, 2.0]), "NaN or inf"),
    ("array-int-dtype", lambda: check_array(np.array([0, 1]), [0.5, 1.5]), "integer dtype"),
    ("array-floor-div", lambda: check_array(np.array([0.0, 1.0]), [0.5, 1.5]), "`//`"),
    ("array-transposed", lambda: check_array(np.arange(4.0).reshape(2, 2).T,
                                             np.arange(4.0).reshape(2, 2)), "transpose"),
    ("array-transposed-shape", lambda: check_array(np.ones((3, 2)), np.ones((2, 3))), "swapped"),
    ("array-zeros", lambda: check_array(np.zeros(3), [1.0, 2.0, 3.0]), "all zeros"),
    ("array-scaled", lambda: check_array([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]), "constant factor"),
    ("fn-scaled", lambda: check_function(lambda x: 2 * x, lambda x: x, [(np.arange(1.0, 4.0),)]),
     "2 times"),
    ("array-offset", lambda: check_array([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]), "off by the same amount"),
    ("array-extra-batch", lambda: check_array(np.ones((1, 2, 3)), np.ones((2, 3))), "extra leading axis"),
    ("array-missing-batch", lambda: check_array(np.ones((2, 3)), np.ones((1, 2, 3))), "batch axis) is missing"),
    ("array-reshaped", lambda: check_array(np.ones(6), np.ones((2, 3))), "reshape"),
    ("array-wrong-ndim", lambda: check_array(np.ones((2, 2, 2)), np.ones((3, 5))), "Expected 2 axes"),
    ("array-scalar-for-array", lambda: check_array(3.0, np.ones(3)), "shape ()"),
    ("array-author-mistake", lambda: check_array([3, 2, 1], [1, 2, 3],
                                                 mistakes={"Reversed!": [3, 2, 1]}), "Reversed!"),
    # --- shapes --------------------------------------------------------------
    ("shape-off-by-one", lambda: check_shape((16, 31, 31), (16, 32, 32)), "off by one"),
    ("shape-channels-last", lambda: check_shape((32, 32, 16), (16, 32, 32)), "channels-last"),
    ("shape-float", lambda: check_shape((16, 15.5, 15.5), (16, 15, 15)), "integer division"),
    ("shape-int", lambda: check_shape(16, (16, 32, 32)), "single number"),
    ("shape-none", lambda: check_shape(None, (2, 3)), "missing `return`"),
    ("shape-array", lambda: check_shape(np.ones((2, 3)), (2, 3)), "use `x.shape`"),
    ("shape-missing-batch", lambda: check_shape((3, 8, 8), (1, 3, 8, 8)), "batch axis"),
    ("shape-permuted", lambda: check_shape((5, 3, 4), (3, 4, 5)), "different order"),
    ("shape-author-mistake", lambda: check_shape((16, 30, 30), (16, 32, 32),
                                                 mistakes={"Padding forgotten.": (16, 30, 30)}),
     "Padding forgotten"),
    ("shape-hint", lambda: check_shape((8, 9), (8, 8), hint="Use the formula."), "Use the formula"),
    # --- counts --------------------------------------------------------------
    ("count-no-bias", lambda: check_count(3 * 16 * 9, Conv(3, 16, 3)), "forgot the biases"),
    ("count-no-in-channels", lambda: check_count(16 * 9 + 16, Conv(3, 16, 3)), "input channels"),
    ("count-kernel-1d", lambda: check_count(4 * 16 * 3 + 16, Conv(4, 16, 3)), "k x k"),
    ("count-one-bias-per-layer", lambda: check_count(3 * 16 * 9 + 1, Conv(3, 16, 3)),
     "one bias per layer"),
    ("count-bias-per-weight", lambda: check_count(2 * 3 * 16 * 9, Conv(3, 16, 3)), "one bias per weight"),
    ("count-missed-layer", lambda: check_count(3 * 16 * 9 + 16, [Conv(3, 16, 3), Linear(64, 10)]),
     "left out layer 2"),
    ("count-only-last", lambda: check_count(64 * 10 + 10, [Conv(3, 16, 3), Conv(16, 8, 3), Linear(64, 10)]),
     "only the last layer"),
    ("count-no-in-channels-one-layer", lambda: check_count(8 * 9 + 8 + 8 * 16 * 9 + 16, [Conv(3, 8, 3), Conv(8, 16, 3)]),
     "input channels of layer 1"),
    ("count-fraction", lambda: check_count(12.5, Conv(1, 1, 3)), "whole number"),
    ("count-none", lambda: check_count(None, Linear(3, 2)), "missing `return`"),
    ("count-linear-no-bias", lambda: check_count(6, Linear(3, 2)), "forgot the biases"),
    ("count-plain-number", lambda: check_count(7, 8), "off by one"),
    # --- functions -----------------------------------------------------------
    ("fn-none", lambda: check_function(None, output_size, SIZE_CASES), "None, not a function"),
    ("fn-not-callable", lambda: check_function(5, output_size, SIZE_CASES), "got a int"),
    ("fn-stub", lambda: check_function(stub, output_size, SIZE_CASES), "not yet implemented"),
    ("fn-raises", lambda: check_function(lambda n, k, s=1, p=0: n[0], output_size, SIZE_CASES),
     "TypeError"),
    ("fn-raises-line", lambda: check_function(lambda n, k, s=1, p=0: n[0], output_size, SIZE_CASES),
     "line"),
    ("fn-timeout", lambda: check_function(endless, output_size, SIZE_CASES, timeout=0.3),
     "took too long"),
    ("fn-timeout-swallowed", lambda: check_function(endless_swallowing, output_size, SIZE_CASES,
                                                    timeout=0.3), "endless loop"),
    ("fn-returns-none", lambda: check_function(lambda n, k, s=1, p=0: None, output_size, SIZE_CASES),
     "missing `return`"),
    ("fn-forgot-plus-one", lambda: check_function(OUTPUT_SIZE_MISTAKES["forgot the +1"], output_size,
                                                  SIZE_CASES, mistakes=OUTPUT_SIZE_MISTAKES),
     "forgot the +1"),
    ("size-no-plus-one", lambda: check_function(lambda n, k, s=1, p=0: (n + 2 * p - k) // s, output_size,
                                                SIZE_CASES, mistakes=output_size_mistakes()), "+ 1"),
    ("size-no-padding", lambda: check_function(lambda n, k, s=1, p=0: (n - k) // s + 1, output_size,
                                               SIZE_CASES, mistakes=output_size_mistakes()), "2 * padding"),
    ("size-padding-once", lambda: check_function(lambda n, k, s=1, p=0: (n + p - k) // s + 1, output_size,
                                                 SIZE_CASES, mistakes=output_size_mistakes()), "both sides"),
    ("size-no-stride", lambda: check_function(lambda n, k, s=1, p=0: n + 2 * p - k + 1, output_size,
                                              SIZE_CASES, mistakes=output_size_mistakes()), "stride was ignored"),
    ("size-ceil", lambda: check_function(lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1, output_size,
                                         SIZE_CASES, mistakes=output_size_mistakes()), "rounded up"),
    ("fn-float-division", lambda: check_function(lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1,
                                                 output_size, SIZE_CASES), "integer division"),
    ("fn-names-case", lambda: check_function(lambda n, k, s=1, p=0: n, output_size, SIZE_CASES,
                                             arg_names=["n", "k"]), "n=5, k=3"),
    ("fn-mutates-input", lambda: check_function(mutating_relu, lambda x: np.maximum(x, 0),
                                                [(np.array([-1.0, 2.0]),)]), "in place"),
    ("fn-recursion", lambda: check_function(lambda n, k, s=1, p=0: (_ for _ in ()).throw(RecursionError()),
                                            output_size, SIZE_CASES), "calls itself"),
    # --- convolution results -------------------------------------------------
    ("conv-flipped", lambda: check_conv(conv(w=W[..., ::-1, ::-1]), X, W, B, 2, 1), "flipped the kernel"),
    ("conv-no-padding", lambda: check_conv(conv(p=0), X, W, B, 2, 1), "padding was left out"),
    ("conv-double-padding", lambda: check_conv(conv(p=2), X, W, B, 2, 1), "applied twice"),
    ("conv-one-side-padding", lambda: check_conv(conv(s=1, pad_sides="before"), X, W, B, 1, 1), "one side"),
    ("conv-stride-ignored", lambda: check_conv(conv(s=1), X, W, B, 2, 1), "stride was ignored"),
    ("conv-no-bias", lambda: check_conv(conv(b=None), X, W, B, 2, 1), "bias is missing"),
    ("conv-channels-last", lambda: check_conv(np.moveaxis(GOOD, 0, -1), X, W, B, 2, 1), "channels-last"),
    ("conv-first-channel-only", lambda: check_conv(conv(x=X[:1], w=W[:, :1]), X, W, B, 2, 1),
     "first input channel"),
    ("conv-output-transposed", lambda: check_conv(np.swapaxes(conv(X[:, :6, :6], W[..., :2, :], B, 1, 1), -1, -2),
                                                  X[:, :6, :6], W[..., :2, :], B, 1, 1), "transposed"),
    ("conv-kernel-transposed", lambda: check_conv(reference_conv(X, np.swapaxes(W[..., :2, :], -1, -2), B),
                                                  X, W[..., :2, :], B), "kernel was transposed"),
    ("conv-off-by-one", lambda: check_conv(GOOD[:, :-1], X, W, B, 2, 1), "(n + 2*padding - kernel)"),
    ("conv-none", lambda: check_conv(None, X, W, B, 2, 1), "missing `return`"),
    ("conv-1d-flipped", lambda: check_conv(reference_conv(X1D, W1D[..., ::-1]), X1D, W1D), "flipped"),
    ("conv-1d-channels-last", lambda: check_conv(reference_conv(X1D, W1D).T, X1D, W1D), "channels-last"),
    # --- convolution functions -----------------------------------------------
    ("convfn-flipped", lambda: check_conv(conv_fn(lambda x, w, b, s, p: reference_conv(
        x, w[..., ::-1, ::-1], b, s, p))), "flipped the kernel"),
    ("convfn-no-bias", lambda: check_conv(conv_fn(lambda x, w, b, s, p: reference_conv(x, w, None, s, p))),
     "bias is missing"),
    ("convfn-stride", lambda: check_conv(conv_fn(lambda x, w, b, s, p: reference_conv(x, w, b, 1, p))),
     "stride was ignored"),
    ("convfn-padding", lambda: check_conv(conv_fn(lambda x, w, b, s, p: reference_conv(x, w, b, s, 0))),
     "padding was left out"),
    ("convfn-stub", lambda: check_conv(stub), "not yet implemented"),
    ("convfn-raises", lambda: check_conv(conv_fn(lambda x, w, b, s, p: x @ w)), "ValueError"),
    ("convfn-timeout", lambda: check_conv(endless, timeout=0.3), "took too long"),
    # --- pooling ---------------------------------------------------------------
    ("pool-avg-for-max", lambda: check_pool(reference_pool(X, 2, mode="avg"), X, 2), "average"),
    ("pool-max-for-avg", lambda: check_pool(reference_pool(X, 2), X, 2, mode="avg"), "maximum"),
    ("pool-zero-padding", lambda: check_pool(reference_pool(XS, 2, 2, 1, pad_value=0.0), XS, 2, 2, 1),
     "-inf"),
    ("pool-stride-one", lambda: check_pool(reference_pool(X, 2, 1), X, 2), "stride was ignored"),
    ("pool-kernel-as-stride", lambda: check_pool(reference_pool(XS, 3), XS, 3, 2), "kernel size as the stride"),
    ("pool-no-padding", lambda: check_pool(reference_pool(XS, 2, 2, 0), XS, 2, 2, 1), "padding was left out"),
    ("pool-channels-last", lambda: check_pool(np.moveaxis(reference_pool(X, 2), 0, -1), X, 2),
     "channels-last"),
    ("pool-sum-for-avg", lambda: check_pool(4 * reference_pool(X, 2, mode="avg"), X, 2, mode="avg"),
     "summed"),
    ("pool-int-floor", lambda: check_pool(np.floor(reference_pool(X, 2, mode="avg")), X, 2, mode="avg"),
     "`//`"),
    ("poolfn-avg-for-max", lambda: check_pool(pool_fn("avg")), "average"),
    ("poolfn-zero-pad", lambda: check_pool(pool_fn("max", pad_value=0.0)), "-inf"),
    ("poolfn-stub", lambda: check_pool(stub), "not yet implemented"),
]


@pytest.mark.parametrize(("call", "expected"), [pytest.param(c, e, id=i) for i, c, e in CATALOGUE])
def test_wrong_answer_gets_its_diagnosis(call, expected, capsys):
    result = call()
    printed = capsys.readouterr().out
    assert not result.passed
    assert expected in result.message, result.message
    assert printed.strip() == result.message
    assert printed.startswith(("❌", "📝"))


def test_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 50


RIGHT_ANSWERS = [
    ("value", lambda: check_value(2.5 + 1e-9, 2.5)),
    ("value-callable", lambda: check_value(lambda: 2.5, 2.5)),
    ("value-int-for-float", lambda: check_value(3, 3.0)),
    ("array-list", lambda: check_array([[1, 2], [3, 4]], np.array([[1.0, 2.0], [3.0, 4.0]]))),
    ("array-float32", lambda: check_array(GOOD.astype(np.float32), GOOD)),
    ("shape-numpy-ints", lambda: check_shape(np.array([3, 4]), (3, 4))),
    ("shape-from-array", lambda: check_shape(np.ones((3, 4)).shape, (3, 4))),
    ("count", lambda: check_count(3 * 16 * 9 + 16 + 64 * 10 + 10, [Conv(3, 16, 3), Linear(64, 10)])),
    ("count-no-bias-layer", lambda: check_count(27, Conv(1, 3, 3, bias=False))),
    ("function", lambda: check_function(output_size, output_size, SIZE_CASES)),
    ("function-kwargs-case", lambda: check_function(output_size, output_size, [{"n": 5, "k": 3}])),
    ("conv-result", lambda: check_conv(GOOD, X, W, B, 2, 1)),
    ("conv-symmetric-kernel", lambda: check_conv(reference_conv(X, np.ones((1, 2, 3, 3))), X,
                                                 np.ones((1, 2, 3, 3)))),
    ("conv-function", lambda: check_conv(lambda x, w, b=None, s=1, p=0: reference_conv(x, w, b, s, p))),
    ("conv-1d", lambda: check_conv(reference_conv(X1D, W1D, None, 2, 1), X1D, W1D, None, 2, 1)),
    ("pool-function", lambda: check_pool(pool_fn("max"))),
    ("pool-avg-function", lambda: check_pool(pool_fn("avg"), mode="avg")),
    ("pool-result", lambda: check_pool(reference_pool(XS, 3, 2, 1), XS, 3, 2, 1)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in RIGHT_ANSWERS])
def test_right_answer_passes(call, capsys):
    result = call()
    assert result.passed, result.message
    assert bool(result)
    assert capsys.readouterr().out.startswith("✅")


def test_partly_right_array_never_passes():
    expected = np.arange(100.0)
    answer = expected.copy()
    answer[-1] += 1
    assert not check_array(answer, expected)


def test_tolerance_is_relative_to_the_values():
    assert check_array(np.array([1e6 + 1.0]), np.array([1e6]))
    assert not check_array(np.array([1e6 + 100.0]), np.array([1e6]))


def test_grading_mode_from_environment_raises(monkeypatch, capsys):
    monkeypatch.setenv(checks.GRADING_ENV, "1")
    with pytest.raises(AssertionError, match="off by one"):
        check_value(4, 5)
    assert check_value(5, 5)


def test_grading_mode_by_call_raises_on_stub():
    checks.set_grading(True)
    with pytest.raises(AssertionError, match="not yet implemented"):
        check_conv(stub)


def test_grading_mode_can_be_switched_off_despite_environment(monkeypatch):
    monkeypatch.setenv(checks.GRADING_ENV, "1")
    checks.set_grading(False)
    assert not check_value(4, 5)


def test_timeout_restores_signal_state():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    check_function(endless, output_size, SIZE_CASES[:1], timeout=0.2)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_timeout_works_off_the_main_thread():
    box = {}
    worker = threading.Thread(
        target=lambda: box.update(result=check_function(endless_loop_with_exit, output_size,
                                                        SIZE_CASES[:1], timeout=0.2)))
    worker.start()
    worker.join(10)
    assert "took too long" in box["result"].message


_stop = threading.Event()


def endless_loop_with_exit(*args):
    """An endless loop that ends when the test is over (threads can't be killed)."""
    _stop.wait(3)


def test_checker_bug_is_reported_not_raised(capsys):
    def broken_reference(n, k):
        raise RuntimeError("oops")

    result = check_function(output_size, broken_reference, [(5, 3)])
    assert not result.passed
    assert "check itself failed" in result.message


def test_result_is_not_displayed_twice():
    result = check_value(1, 1)
    assert result._ipython_display_() is None
    assert str(result) == result.message


def test_reference_conv_matches_direct_loops():
    x = RNG.normal(size=(2, 5, 6))
    w = RNG.normal(size=(3, 2, 2, 3))
    b = RNG.normal(size=3)
    out = reference_conv(x, w, b, stride=(2, 1), padding=1)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    rows = (xp.shape[1] - 2) // 2 + 1
    cols = xp.shape[2] - 3 + 1
    direct = np.empty((3, rows, cols))
    for o in range(3):
        for i in range(rows):
            for j in range(cols):
                direct[o, i, j] = np.sum(xp[:, 2 * i:2 * i + 2, j:j + 3] * w[o]) + b[o]
    np.testing.assert_allclose(out, direct)


def test_reference_conv_batched_equals_unbatched():
    np.testing.assert_allclose(reference_conv(X[None], W, B, 2, 1)[0], GOOD)


def test_reference_pool_values():
    x = np.arange(16.0).reshape(1, 4, 4)
    np.testing.assert_array_equal(reference_pool(x, 2)[0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(reference_pool(x, 2, mode="avg")[0], [[2.5, 4.5], [10.5, 12.5]])


# --- an answer worked out by hand is never stated in the feedback -----------------------------

HIDDEN_ANSWERS = [
    ("value-off", lambda: check_value(7.0, 2.5), "2.5"),
    ("value-factor", lambda: check_value(10.0, 2.5), "2.5"),
    ("array-values", lambda: check_array([3.5, 2.0, 9.0], [3.5, 2.0, 7.0]), "7"),
    ("array-scaled", lambda: check_array([2.0, 4.0, 6.0], [1.5, 3.0, 4.5]), "0.75"),
    ("array-offset", lambda: check_array([2.0, 3.0, 4.0], [1.25, 2.25, 3.25]), "0.75"),
    ("array-shape", lambda: check_array([1.0, 2.0], [1.0, 2.0, 3.0]), "(3,)"),
    ("shape-wrong", lambda: check_shape((16, 17, 17), (16, 15, 15)), "15"),
    ("shape-off-by-one", lambda: check_shape((16, 31, 31), (16, 32, 32)), "32"),
    ("pool-result", lambda: check_pool([[6, 5], [3, 8]], np.array(
        [[[1, 3, 2, 0], [4, 6, 5, 1], [0, 2, 9, 7], [3, 1, 8, 4]]], dtype=float)[0], 2), "9"),
]


@pytest.mark.parametrize(("call", "answer"), [pytest.param(c, a, id=i) for i, c, a in HIDDEN_ANSWERS])
def test_feedback_on_a_hand_worked_answer_does_not_state_it(call, answer):
    result = call()
    assert not result.passed
    assert answer not in result.message, result.message


def test_grading_mode_under_nbgrader_autograde(monkeypatch):
    monkeypatch.setenv(checks.NBGRADER_ENV, "autograde")
    with pytest.raises(AssertionError):
        check_value(4, 5)
    monkeypatch.setenv(checks.NBGRADER_ENV, "validate")
    assert not check_value(4, 5)


def test_quiet_prints_only_a_failure(capsys):
    assert check_value(5, 5, quiet=True)
    assert capsys.readouterr().out == ""
    assert not check_value(4, 5, quiet=True)
    assert "off by one" in capsys.readouterr().out


# --- the named checkers of the chapters' exercises -------------------------------------------

def _by_hand_conv1d():
    return ch.conv1d(np.array([1.0, 3, 0, 2, 2]), np.array([2.0, 0, -1]), 1.0)


def _label_preserving():
    return [True, True, True, False, False, False]


def _pgd(gradient, x, eps, step_size, steps, rng, x_max=1.0):
    adv = np.clip(x + rng.uniform(-eps, eps, size=x.shape), 0, x_max)
    for _ in range(steps):
        adv = np.clip(inside.fgsm_step(adv, gradient(adv), step_size, x_max), x - eps, x + eps)
    return adv


def _integrated_gradients(gradient, x, baseline, steps):
    t = (np.arange(steps) + 0.5)[:, None, None, None] / steps
    return (x - baseline) * gradient(baseline + t * (x - baseline)).mean(axis=0)


STRIPES = np.tile([1, 1, 0, 0, 0, 0, 1, 1], (8, 1)).astype(float)

# (id, checker, right answer, extra arguments)
EXERCISES = [
    ("dense_crop_params", checks.check_dense_crop_params, lambda: 224 * 224 * 3 * 512 + 512, ()),
    ("small_net_params", checks.check_small_net_params,
     lambda: 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10, ()),
    ("shuffle_pixels", checks.check_shuffle_pixels,
     lambda images, perm: motivation.permute_pixels(images, perm), ()),
    ("conv_crop_params", checks.check_conv_crop_params, lambda: 64 * 27 + 64, ()),
    ("conv1d_by_hand", checks.check_conv1d_by_hand, _by_hand_conv1d, ()),
    ("output_length", checks.check_output_length, ch.conv_output_size, ()),
    ("my_conv1d", checks.check_my_conv1d, ch.conv1d, (np.arange(6.0), np.array([1.0, -1.0]))),
    ("rising_edge_filter", checks.check_rising_edge_filter,
     lambda: (np.array([-1.0, 1.0]), 0.0), (np.r_[0, 0, 1, 1, 0, 1],)),
    ("motif_layer_params", checks.check_motif_layer_params, lambda: 16 * 20 + 16, ()),
    ("cell_2_1", checks.check_cell_2_1, lambda: 6, ()),
    ("horizontal_edge_kernel", checks.check_horizontal_edge_kernel,
     lambda: np.array([[1.0], [-1.0]]), (STRIPES,)),
    ("photo_output_shape", checks.check_photo_output_shape, lambda: (200, 170), ()),
    ("my_conv2d", checks.check_my_conv2d, ch.conv2d, ()),
    ("to_channels_first", checks.check_to_channels_first, lambda b: b.transpose(0, 3, 1, 2), ()),
    ("n_params", checks.check_n_params, lambda: 128 * 64 * 9 + 128, ()),
    ("layer_output_shape", checks.check_layer_output_shape, lambda: (128, 28, 28), ()),
    ("im2col_conv2d", checks.check_im2col_conv2d, reference_conv, ()),
    ("max_by_hand", checks.check_max_by_hand, lambda: [[6, 5], [3, 9]], ()),
    ("avg_by_hand", checks.check_avg_by_hand, lambda: [[3.5, 2.0], [1.5, 7.0]], ()),
    ("my_max_pool2d", checks.check_my_max_pool2d, ch.max_pool2d, ()),
    ("pooled_shape", checks.check_pooled_shape, lambda: (8, 16, 16, 16), ()),
    ("gap_shape", checks.check_gap_shape, lambda: (8, 64, 1, 1), ()),
    ("pool_params", checks.check_pool_params, lambda: 0, ()),
    ("strided_conv_params", checks.check_strided_conv_params, lambda: 64 * 64 * 9 + 64, ()),
    ("grad_w_by_hand", checks.check_grad_w_by_hand, lambda: [7, 10], ()),
    ("grad_x_by_hand", checks.check_grad_x_by_hand, lambda: [1, -1, 2, -2], ()),
    ("weight_grad", checks.check_weight_grad, lambda x, g: ch.conv1d(x, g), ()),
    ("input_grad", checks.check_input_grad,
     lambda g, w: ch.conv1d(ch.pad(g, (len(w) - 1, len(w) - 1)), w[::-1]), ()),
    ("my_max_pool_backward", checks.check_my_max_pool_backward, ch.max_pool2d_backward, ()),
    ("my_receptive_field", checks.check_my_receptive_field, architectures.receptive_field, ()),
    ("vgg_block_params", checks.check_vgg_block_params,
     lambda: 256 * 9 * 128 + 256 + 2 * (256 * 9 * 256 + 256), ()),
    ("alexnet_conv1_shape", checks.check_alexnet_conv1_shape, lambda: (64, 55, 55), ()),
    ("block1_shape", checks.check_block1_shape, lambda: (10, 16, 4, 4), ()),
    ("n_trainable", checks.check_n_trainable, lambda: 32 * 16 * 9 + 32 + 128 * 10 + 10, ()),
    ("shift", checks.check_shift, augment.shift_image, ()),
    ("label_preserving", checks.check_label_preserving, _label_preserving, ()),
    ("my_numerical_saliency", checks.check_my_numerical_saliency,
     lambda score, image, h=1e-4: inside.numerical_saliency(score, image, h), ()),
    ("my_occlusion", checks.check_my_occlusion, inside.occlusion_map, ()),
    ("my_fgsm", checks.check_my_fgsm, inside.fgsm_step, ()),
    ("my_pgd", checks.check_my_pgd, _pgd, ()),
    ("my_integrated_gradients", checks.check_my_integrated_gradients, _integrated_gradients, ()),
]


def test_every_named_checker_is_tested():
    named = {name for name in checks.__all__ if name.startswith("check_")} - {
        "check_array", "check_conv", "check_count", "check_function", "check_pool",
        "check_shape", "check_value"}
    assert named == {checker.__name__ for _, checker, _, _ in EXERCISES} | {"check_sketch"}


@pytest.mark.parametrize(("checker", "right", "extra"),
                         [pytest.param(c, r, e, id=i) for i, c, r, e in EXERCISES])
def test_exercise_checker_passes_the_right_answer_and_waits_for_the_stub(checker, right, extra):
    assert checker(right, *extra), checker.__name__
    assert "not yet implemented" in checker(stub, *extra).message


def test_exercise_checker_passes_the_sketch():
    layers = [architectures.Conv2d(3, 32, 3, padding=1), architectures.Conv2d(32, 32, 3, padding=1),
              architectures.MaxPool2d(2), architectures.Conv2d(32, 64, 3, padding=1),
              architectures.Conv2d(64, 64, 3, padding=1), architectures.MaxPool2d(2),
              architectures.Flatten(), architectures.Linear(64 * 8 * 8, 256),
              architectures.Linear(256, 10)]
    assert checks.check_sketch(lambda: layers)
    assert "first dense layer" in checks.check_sketch(lambda: [*layers[:5], *layers[6:7], architectures.Linear(
        64 * 16 * 16, 256), layers[-1]]).message
    assert "not yet implemented" in checks.check_sketch(stub).message


# (id, checker call with a usual wrong answer, what the feedback must say, what it must not)
EXERCISE_MISTAKES = [
    ("by-hand-flipped", lambda: checks.check_conv1d_by_hand(
        lambda: ch.true_conv1d(np.array([1.0, 3, 0, 2, 2]), np.array([2.0, 0, -1]), 1.0)),
     "flipped", "3."),
    ("cell-wrong", lambda: checks.check_cell_2_1(lambda: 9.0), "not right", "6"),
    ("edge-signs", lambda: checks.check_horizontal_edge_kernel(lambda: np.array([[-1.0], [1.0]]),
                                                              STRIPES), "other way round", "[[1"),
    ("photo-no-padding", lambda: checks.check_photo_output_shape(lambda: (198, 169)),
     "padding is missing", "200"),
    ("depth", lambda: checks.check_layer_output_shape(lambda: (64, 28, 28)), "input's number", "128"),
    ("max-for-avg", lambda: checks.check_avg_by_hand(lambda: [[6, 5], [3, 9]]), "maximum", "3.5"),
    ("pool-zero-pad", lambda: checks.check_my_max_pool2d(
        lambda x, k, s=None, p=0: reference_pool(x, k, s, p, pad_value=0.0)), "padded with zeros", ""),
    ("gap-flattened", lambda: checks.check_gap_shape(lambda: (8, 64)), "removed the spatial axes",
     "(8, 64, 1, 1)"),
    ("pool-params-window", lambda: checks.check_pool_params(lambda: 4), "cells of the window", "0."),
    ("grad-w-reversed", lambda: checks.check_grad_w_by_hand(lambda: [10, 7]), "reversed", "[7"),
    ("grad-x-no-flip", lambda: checks.check_grad_x_by_hand(lambda: [-1, 1, -2, 2]),
     "wrong way round", "[1, -1"),
    ("input-grad-no-flip", lambda: checks.check_input_grad(
        lambda g, w: ch.conv1d(ch.pad(g, (len(w) - 1, len(w) - 1)), w)), "wrong way round", ""),
    ("maxpool-back-all", lambda: checks.check_my_max_pool_backward(
        lambda g, x, k: np.kron(g, np.ones((k, k)))), "Every input", ""),
    ("field-no-jump", lambda: checks.check_my_receptive_field(
        lambda layers: (1 + sum(k - 1 for k, _ in layers), int(np.prod([s for _, s in layers])))),
     "whatever the strides", ""),
    ("alexnet-channels-last", lambda: checks.check_alexnet_conv1_shape(lambda: (55, 55, 64)),
     "channels-last", "(64, 55, 55)"),
    ("block-no-pool", lambda: checks.check_block1_shape(lambda: (10, 16, 8, 8)), "pooling was left out",
     "(10, 16, 4, 4)"),
    ("trainable-all", lambda: checks.check_n_trainable(lambda: 6090), "frozen", "5930"),
    ("shift-roll", lambda: checks.check_shift(lambda im, dy, dx: np.roll(im, (dy, dx), axis=(0, 1))),
     "np.roll", ""),
    ("label-one-wrong", lambda: checks.check_label_preserving(
        lambda: [True, True, True, True, False, False]), "1 of your 6 answers is wrong", "mirror"),
    ("label-not-bools", lambda: checks.check_label_preserving(lambda: [1, 1, 1, 0, 0, 0]),
     "booleans", ""),
    ("saliency-no-abs", lambda: checks.check_my_numerical_saliency(
        lambda s, im, h=1e-4: inside.numerical_score_gradient(s, im).max(axis=0)), "absolute value", ""),
    ("fgsm-no-clip", lambda: checks.check_my_fgsm(lambda x, g, e, x_max=1.0: x + e * np.sign(g)),
     "clipped", ""),
]


@pytest.mark.parametrize(("call", "says", "hides"),
                         [pytest.param(c, s, h, id=i) for i, c, s, h in EXERCISE_MISTAKES])
def test_exercise_checker_names_the_mistake_without_the_answer(call, says, hides):
    result = call()
    assert not result.passed
    assert says in result.message, result.message
    if hides:
        assert hides not in result.message, result.message
