"""Tests for cnn_helpers.checks: a catalogue of wrong answers and the feedback each must get."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from scipy import stats

import cnn_helpers as ch
from cnn_helpers import architectures, checks
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
from cnn_helpers.checks.exercises import architectures as arch_checks
from cnn_helpers.demos import inside, motivation
from cnn_helpers.nn import BatchNorm2d

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
    ("fn-not-callable", lambda: check_function(5, output_size, SIZE_CASES), "got an int"),
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


def _frozen_model(source, n_classes, lr):
    body = source[:-1].freeze()
    head = ch.nn.Linear(source[-1].in_features, n_classes, rng=0)
    return ch.nn.Sequential(body, head), ch.optim.Adam(head.parameters(), lr=lr), body


def _frozen_model_all_params(source, n_classes, lr):
    model, _, body = _frozen_model(source, n_classes, lr)
    return model, ch.optim.Adam(model.parameters(), lr=lr), body


def _frozen_model_bn_training(source, n_classes, lr):
    model, optimizer, _ = _frozen_model(source, n_classes, lr)
    return model, optimizer, None


def _frozen_model_not_frozen(source, n_classes, lr):
    body = source[:-1]
    model = ch.nn.Sequential(body, ch.nn.Linear(source[-1].in_features, n_classes, rng=0))
    return model, ch.optim.Adam(model.parameters(), lr=lr), body


def _paired_interval(a, b):
    d = np.asarray(a, float) - np.asarray(b, float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _paired_interval_unpaired(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    result = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    return a.mean() - b.mean(), result.low, result.high


def _paired_interval_z(a, b):
    d = np.asarray(a, float) - np.asarray(b, float)
    half = 1.96 * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _keeps_neighbours(perm, side=8):
    """Follows every pair of touching pixels of the original to its new places."""
    new_place = {int(p): divmod(k, side) for k, p in enumerate(perm)}
    pairs = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    pairs += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    return all(abs(new_place[a][0] - new_place[b][0]) + abs(new_place[a][1] - new_place[b][1]) == 1
               for a, b in pairs)


def _same_padding_by_trying(kernel_size, dilation=1):
    """The padding whose output is as long as the input, found by running conv1d."""
    x, w = np.ones(40), np.ones(kernel_size)
    return next((p for p in range(40)
                 if len(ch.conv1d(x, w, padding=p, dilation=dilation)) == 40), None)


PLUS_TEMPLATE = np.array([[-1.0, 1, -1], [1, 1, 1], [-1, 1, -1]])


def _unfold_channels_last(x, k):
    """The patch matrix with each window flattened (row, column, channel): a usual mistake."""
    _, h, w = x.shape
    return np.stack([x[:, i:i + k, j:j + k].transpose(1, 2, 0).ravel()
                     for i in range(h - k + 1) for j in range(w - k + 1)], axis=1)


def _bottleneck_cost(c_in, c_mid, c_out, h, w, stride=1, groups=1):
    side_h, side_w = (h - 1) // stride + 1, (w - 1) // stride + 1
    weights = [c_in * c_mid, c_mid * c_mid // groups * 9, c_mid * c_out]
    positions = [h * w, side_h * side_w, side_h * side_w]
    parameters = sum(weights) + 2 * c_mid + c_out
    return parameters, sum(n * p for n, p in zip(weights, positions, strict=True))


def _library_conv_backward(grad_out, x, w, stride, padding):
    return ch.conv2d_backward(grad_out, x, w, stride=stride, padding=padding)


def _layer_batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    layer = BatchNorm2d(x.shape[1], eps=eps, dtype=np.float64)
    layer.weight.data[:] = gamma
    layer(x)
    return layer.backward(grad_out), layer.weight.grad, layer.bias.grad


def _pgd(gradient, x, eps, step_size, steps, rng, x_max=1.0):
    adv = np.clip(x + rng.uniform(-eps, eps, size=x.shape), 0, x_max)
    for _ in range(steps):
        adv = np.clip(inside.fgsm_step(adv, gradient(adv), step_size, x_max), x - eps, x + eps)
    return adv


def _integrated_gradients(gradient, x, baseline, steps):
    t = (np.arange(steps) + 0.5)[:, None, None, None] / steps
    return (x - baseline) * gradient(baseline + t * (x - baseline)).mean(axis=0)


# (id, checker, right answer, extra arguments)
EXERCISES = [
    ("dense_crop_params", checks.check_dense_crop_params, lambda: 224 * 224 * 3 * 512 + 512, ()),
    ("shuffle_pixels", checks.check_shuffle_pixels,
     lambda images, perm: motivation.permute_pixels(images, perm), ()),
    ("keeps_neighbours", checks.check_keeps_neighbours, _keeps_neighbours, ()),
    ("conv1d_by_hand", checks.check_conv1d_by_hand, _by_hand_conv1d, ()),
    ("my_conv1d", checks.check_my_conv1d, ch.conv1d, (np.arange(6.0), np.array([1.0, -1.0]))),
    ("rising_edge_filter", checks.check_rising_edge_filter,
     lambda: (np.array([-1.0, 1.0]), 0.0), (np.r_[0, 0, 1, 1, 0, 1],)),
    ("same_padding", checks.check_same_padding, _same_padding_by_trying, ()),
    ("tolerant_bias", checks.check_tolerant_bias,
     lambda length, mismatches=1: mismatches + 0.5 - length, ()),
    ("cell_2_1", checks.check_cell_2_1, lambda: 6, ()),
    ("plus_detector", checks.check_plus_detector, lambda: (PLUS_TEMPLATE, -4.5), ()),
    ("photo_output_shape", checks.check_photo_output_shape, lambda: (200, 170), ()),
    ("my_conv2d", checks.check_my_conv2d, ch.conv2d, ()),
    ("keras_to_torch", checks.check_keras_to_torch, lambda w: w.transpose(3, 2, 0, 1), ()),
    ("n_params", checks.check_n_params, lambda: 128 * 64 * 9 + 128, ()),
    ("layer_output_shape", checks.check_layer_output_shape, lambda: (128, 28, 28), ()),
    ("my_unfold", checks.check_my_unfold, ch.unfold, ()),
    ("bottleneck_cost", checks.check_bottleneck_cost, _bottleneck_cost, ()),
    ("bottleneck_saving", checks.check_bottleneck_saving,
     lambda: (256 * 256 * 9) / (256 * 64 * 2 + 64 * 64 * 9), ()),
    ("max_by_hand", checks.check_max_by_hand, lambda: [[6, 5], [3, 9]], ()),
    ("avg_by_hand", checks.check_avg_by_hand, lambda: [[3.5, 2.0], [1.5, 7.0]], ()),
    ("my_max_pool2d", checks.check_my_max_pool2d, ch.max_pool2d, ()),
    ("non_commuting", checks.check_non_commuting,
     lambda: (np.abs, np.array([[-3.0, 1.0], [0.0, 2.0]])), ()),
    ("aliasing_map", checks.check_aliasing_map,
     lambda: np.tile([0.0, 1.0, 0.0, 0.0], (8, 2)), ()),
    ("grad_w_by_hand", checks.check_grad_w_by_hand, lambda: [7, 10], ()),
    ("grad_x_by_hand", checks.check_grad_x_by_hand, lambda: [1, -1, 2, -2], ()),
    ("my_conv2d_backward", checks.check_my_conv2d_backward, _library_conv_backward, ()),
    ("conv2d_backward_cols", checks.check_conv2d_backward_cols, _library_conv_backward, ()),
    ("my_max_pool_backward", checks.check_my_max_pool_backward, ch.max_pool2d_backward, ()),
    ("my_receptive_field", checks.check_my_receptive_field, architectures.receptive_field, ()),
    ("schematic_walk", checks.check_schematic_walk, lambda: arch_checks.schematic_rows(), ()),
    ("my_batchnorm2d_backward", checks.check_my_batchnorm2d_backward, _layer_batchnorm_backward,
     ()),
    ("vgg_block_params", checks.check_vgg_block_params,
     lambda: 256 * 9 * 128 + 256 + 2 * (256 * 9 * 256 + 256), ()),
    ("alexnet_conv1_shape", checks.check_alexnet_conv1_shape, lambda: (64, 55, 55), ()),
    ("frozen_model", checks.check_frozen_model, _frozen_model, ()),
    ("paired_interval", checks.check_paired_interval, _paired_interval, ()),
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
    ("photo-no-padding", lambda: checks.check_photo_output_shape(lambda: (198, 169)),
     "padding is missing", "200"),
    ("depth", lambda: checks.check_layer_output_shape(lambda: (64, 28, 28)), "input's number", "128"),
    ("max-for-avg", lambda: checks.check_avg_by_hand(lambda: [[6, 5], [3, 9]]), "maximum", "3.5"),
    ("pool-zero-pad", lambda: checks.check_my_max_pool2d(
        lambda x, k, s=None, p=0: reference_pool(x, k, s, p, pad_value=0.0)), "padded with zeros", ""),
    ("keras-reversed", lambda: checks.check_keras_to_torch(lambda w: w.T), "transposed", ""),
    ("unfold-channels-last", lambda: checks.check_my_unfold(_unfold_channels_last),
     "channel-last", ""),
    ("bottleneck-flops", lambda: checks.check_bottleneck_cost(
        lambda *a: (_bottleneck_cost(*a)[0], 2 * _bottleneck_cost(*a)[1])), "FLOPs", ""),
    ("saving-reversed", lambda: checks.check_bottleneck_saving(
        lambda: (256 * 64 * 2 + 64 * 64 * 9) / (256 * 256 * 9)), "fraction", "8."),
    ("commute-relu", lambda: checks.check_non_commuting(
        lambda: (ch.relu, np.array([[-3.0, 1.0], [0.0, 2.0]]))), "opposite order", ""),
    ("alias-left-column", lambda: checks.check_aliasing_map(
        lambda: np.tile([0.0, 0.0, 1.0, 0.0], (8, 2))), "to the left", "1::4"),
    ("grad-w-reversed", lambda: checks.check_grad_w_by_hand(lambda: [10, 7]), "reversed", "[7"),
    ("grad-x-no-flip", lambda: checks.check_grad_x_by_hand(lambda: [-1, 1, -2, 2]),
     "wrong way round", "[1, -1"),
    ("conv-back-flipped", lambda: checks.check_my_conv2d_backward(
        lambda g, x, w, s, p: (_library_conv_backward(g, x, w[..., ::-1, ::-1], s, p)[0],
                               *_library_conv_backward(g, x, w, s, p)[1:])),
     "rotated by 180 degrees", ""),
    ("conv-cols-one-image", lambda: checks.check_conv2d_backward_cols(
        lambda g, x, w, s, p: (_library_conv_backward(g, x, w, s, p)[0],
                               _library_conv_backward(g[:1], x[:1], w, s, p)[1],
                               _library_conv_backward(g, x, w, s, p)[2])),
     "only one image", ""),
    ("bn-constants", lambda: checks.check_my_batchnorm2d_backward(
        lambda g, x, gamma, eps=1e-5: (
            g * gamma[None, :, None, None] / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps),
            *_layer_batchnorm_backward(g, x, gamma, eps)[1:])), "treated as constants", ""),
    ("maxpool-back-all", lambda: checks.check_my_max_pool_backward(
        lambda g, x, k: np.kron(g, np.ones((k, k)))), "Every input", ""),
    ("field-no-jump", lambda: checks.check_my_receptive_field(
        lambda layers: (1 + sum(k - 1 for k, _ in layers), int(np.prod([s for _, s in layers])))),
     "whatever the strides", ""),
    ("alexnet-channels-last", lambda: checks.check_alexnet_conv1_shape(lambda: (55, 55, 64)),
     "channels-last", "(64, 55, 55)"),
    ("frozen-all-params", lambda: checks.check_frozen_model(_frozen_model_all_params),
     "optimiser holds the frozen parameters", "head.parameters"),
    ("frozen-bn-training", lambda: checks.check_frozen_model(_frozen_model_bn_training),
     "running statistics", "body"),
    ("frozen-not-frozen", lambda: checks.check_frozen_model(_frozen_model_not_frozen),
     "not frozen", "freeze()"),
    ("paired-unpaired", lambda: checks.check_paired_interval(_paired_interval_unpaired),
     "independent samples", "t.ppf"),
    ("paired-z", lambda: checks.check_paired_interval(_paired_interval_z), "1.96", "2.77"),
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
