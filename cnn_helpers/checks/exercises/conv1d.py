"""Checkers for chapter 2, 1D convolution."""

from __future__ import annotations

import numpy as np

from ...conv import conv1d, true_conv1d
from ..functions import check_function
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


SAME_PADDING_CASES = [(3,), (5,), (1,), (3, 2), (5, 2), (3, 4), (4, 2), (7, 3),
                      (2, 2), (9, 1), (6, 4)]


def _same_padding(kernel_size, dilation=1):
    # The span D(K - 1) + 1 must shrink by nothing: n + 2P - D(K - 1) = n.
    return dilation * (kernel_size - 1) // 2


@guarded
def check_same_padding(fn, *, cases=None):
    """``same_padding(kernel_size, dilation=1)``: the padding on each side that keeps
    a signal's length at stride 1 (cases where the span is odd)."""
    return check_function.__wrapped__(
        fn, _same_padding, with_cases(SAME_PADDING_CASES, cases), name="same_padding",
        arg_names=("kernel_size", "dilation"), mistakes={
            "It looks like the dilation was left out.":
                lambda k, d=1: (k - 1) // 2,
            "It looks like that is the padding for both ends together; it is split "
            "between the two ends.":
                lambda k, d=1: d * (k - 1),
            "It looks like you took the span of a dilated filter as D x K inputs.":
                lambda k, d=1: d * k // 2,
        })


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


MOTIF = "TATAA"


def _motif_windows(length):
    """The number of matching bases in every window of test sequences around a
    motif of ``length`` bases, planted with 0, 1, 2 and 3 mismatches."""
    rng = np.random.default_rng(length)
    bases = np.array(list("ACGT"))
    motif = np.array(list(MOTIF)) if length == len(MOTIF) else rng.choice(bases, length)
    parts = [rng.choice(bases, 7)]
    for mismatches in (0, 1, 2, 3, 1, 0):
        copy = motif.copy()
        for i in rng.choice(length, min(mismatches, length), replace=False):
            copy[i] = rng.choice([b for b in bases if b != copy[i]])
        parts += [copy, rng.choice(bases, 4)]
    sequence = np.concatenate(parts)
    windows = np.lib.stride_tricks.sliding_window_view(sequence, length)
    return (windows == motif).sum(axis=1)


def _fires(length, bias):
    # ReLU(score + b) > 0 is the detector of the chapter, with the score counted directly.
    return (np.maximum(_motif_windows(length) + bias, 0) > 0).astype(float)


def _as_bias(answer):
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.integer | np.floating):
        raise TypeError(f"return the bias as a number, not a {type(answer).__name__}")
    return float(answer)


@guarded
def check_tolerant_bias(fn, *, cases=None):
    """``tolerant_bias(motif_length)``: the bias of the motif filter that makes
    ReLU(score + b) fire on windows with at most one mismatch, and only there."""
    def fires(bias_of):
        return lambda length: _fires(length, bias_of(length))

    return check_function.__wrapped__(
        lambda length: _fires(length, _as_bias(fn(length))),
        lambda length: (_motif_windows(length) >= length - 1).astype(float),
        with_cases([(5,), (3,), (8,), (6,)], cases), name="tolerant_bias",
        arg_names=("motif_length",), mistakes={
            "Your detector still fires only on perfect matches; a window with one "
            "mismatch must give a positive output (and ReLU(0) = 0 does not fire).":
                fires(lambda n: 0.5 - n),
            "Your detector also fires on windows with two mismatches: the threshold "
            "is too low.":
                fires(lambda n: 2.5 - n),
            "Your detector fires on every window: the bias has to lower the score "
            "to make a threshold, not raise it.":
                fires(lambda n: n - 1.5),
            "Your detector never fires, not even on a perfect match: the bias is "
            "too low.":
                fires(lambda n: -1.0 - n),
            "Your bias suits a motif of 5 bases only: it has to depend on "
            "motif_length.":
                fires(lambda n: -3.5),
        })
