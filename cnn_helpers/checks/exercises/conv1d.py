"""Checkers for chapter 2, 1D convolution."""

from __future__ import annotations

import numpy as np

from ...conv import conv1d, conv_output_size, true_conv1d
from ..counts import Conv, check_count
from ..functions import check_function
from ..mistakes import output_size_mistakes
from ..running import guarded
from ..values import check_array
from ._common import with_cases

# The exercise's signal, filter and bias.
BY_HAND = (np.array([1.0, 3, 0, 2, 2]), np.array([2.0, 0, -1]), 1.0)


def check_conv1d_by_hand(fn, **kw):
    """The convolution of the exercise's signal, worked out by hand."""
    x, w, b = BY_HAND
    return check_array(fn, conv1d(x, w, b), name="by_hand", mistakes={
        "It looks like you flipped the filter: it slides over the signal "
        "as it is written, w[0] on the left.": lambda: true_conv1d(x, w, b),
        "It looks like the bias is missing.": lambda: conv1d(x, w),
    }, **kw)


OUTPUT_LENGTH_CASES = [(10, 3), (10, 3, 2, 1), (11, 4, 3, 0), (100, 7, 2, 3),
                       (9, 9), (5, 2, 1, 2)]


@guarded
def check_output_length(fn, *, cases=None):
    """``output_length(n, kernel_size, stride=1, padding=0)``."""
    return check_function.__wrapped__(
        fn, conv_output_size, with_cases(OUTPUT_LENGTH_CASES, cases),
        name="output_length", arg_names=("n", "kernel_size", "stride", "padding"),
        mistakes=output_size_mistakes())


def loop_mistakes():
    """Wrong 1D convolutions of ``(x, w, b=0.0, stride=1, padding=0)``; ``None``
    when the mistake changes nothing for those arguments."""

    def some(condition, compute):
        return compute() if condition else None

    def one_side(x, w, b=0.0, stride=1, padding=0):
        return some(padding > 0, lambda: conv1d(
            np.pad(np.asarray(x, float), (padding, 0)), w, b, stride, 0))

    return {
        "It looks like you flipped the filter (a true convolution).":
            lambda x, w, b=0.0, stride=1, padding=0: true_conv1d(x, w, b, stride, padding),
        "It looks like the padding was left out.":
            lambda x, w, b=0.0, stride=1, padding=0: some(
                padding > 0, lambda: conv1d(x, w, b, stride, 0)),
        "It looks like you padded only one end of the signal.": one_side,
        "It looks like the stride was ignored.":
            lambda x, w, b=0.0, stride=1, padding=0: some(
                stride > 1, lambda: conv1d(x, w, b, 1, padding)),
        "It looks like the bias is missing.":
            lambda x, w, b=0.0, stride=1, padding=0: some(
                b != 0, lambda: conv1d(x, w, None, stride, padding)),
    }


def _conv_cases(x, w):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=12), rng.normal(size=9)
    cases = [(a, np.array([1.0, 2.0, -1.0])), (a, np.array([0.5, -1.0]), 0.3),
             (b, np.array([1.0, 0.0, -2.0, 1.0]), 0.0, 2),
             (b, np.array([2.0, -1.0, 0.5]), -1.0, 1, 2),
             (a, np.array([1.0, 3.0, -2.0]), 0.5, 3, 1)]
    if x is not None:
        cases.insert(0, (np.asarray(x, float), np.asarray(w, float)))
    return cases


@guarded
def check_my_conv1d(fn, x=None, w=None, *, cases=None):
    """``my_conv1d(x, w, b=0.0, stride=1, padding=0)``, also on the chapter's ``x`` and ``w``."""
    return check_function.__wrapped__(
        fn, conv1d, with_cases(_conv_cases(x, w), cases), name="my_conv1d",
        arg_names=("x", "w", "b", "stride", "padding"), mistakes=loop_mistakes())


def rising_edges(signals):
    """1 where a 0/1 signal steps up from 0 to 1 (samples i, i+1), else 0; concatenated."""
    rows = []
    for s in signals:
        s = np.asarray(s, dtype=float)
        rows.append(((s[:-1] == 0) & (s[1:] == 1)).astype(float))
    return np.concatenate(rows)


def _detections(filter_fn, signals):
    w, b = filter_fn()
    w = np.asarray(w, dtype=float)
    if w.shape != (2,):
        raise ValueError(f"the filter must have two weights, got shape {w.shape}")
    rows = [np.maximum(conv1d(np.asarray(s, dtype=float), w, float(b)), 0) > 1e-9
            for s in signals]
    return np.concatenate(rows).astype(float)


@guarded
def check_rising_edge_filter(fn, signal=None, *, cases=None):
    """``rising_edge_filter() -> (w, b)``: where ReLU(conv1d) fires on 0/1 signals.

    ``cases`` are more 0/1 signals to try it on.
    """
    rng = np.random.default_rng(3)
    signals = [rng.integers(0, 2, 30), rng.integers(0, 2, 25), np.ones(6),
               np.r_[np.zeros(5), np.ones(5)]]
    if signal is not None:
        signals.insert(0, np.asarray(signal))
    signals = with_cases(signals, cases)
    falling = rising_edges([1 - np.asarray(s) for s in signals])
    ones = np.concatenate([np.asarray(s, dtype=float)[1:] for s in signals])
    return check_array.__wrapped__(
        lambda: _detections(fn, signals), rising_edges(signals),
        name="rising_edge_filter", mistakes={
            "Your filter fires at falling edges (1 then 0).": falling,
            "Your filter fires wherever the signal is 1, not only where it rises.": ones,
        })


def check_motif_layer_params(fn, **kw):
    """16 filters of length 5 over 4 one-hot channels."""
    return check_count(fn, Conv(4, 16, (5,)), name="motif_layer_params", **kw)
