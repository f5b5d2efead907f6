"""Checkers for chapter 2, 1D convolution."""

from __future__ import annotations

import numpy as np

from ...conv import conv1d, true_conv1d
from ..functions import check_function
from ..results import FAIL
from ..running import (
    DEFAULT_TIMEOUT,
    call,
    check_explained,
    guarded,
    mistakes_explaining_all,
    type_name,
)
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
                      (2, 2), (9, 1), (6, 4), (4,), (2, 3), (8,)]

_NONE = -1.0  # how "no such padding" is compared: no padding is ever negative


def _same_padding(kernel_size, dilation=1):
    # The span D(K - 1) + 1 must shrink by nothing: n + 2P - D(K - 1) = n.
    reach = dilation * (kernel_size - 1)
    return None if reach % 2 else reach // 2


def _encoded(padding_of):
    """A padding rule whose ``None`` is compared as the number ``_NONE``."""
    def rule(kernel_size, dilation=1):
        padding = padding_of(kernel_size, dilation)
        return _NONE if padding is None else padding
    return rule


SAME_PADDING_MISTAKES = {
    "It looks like the dilation was left out.": lambda k, d=1: (k - 1) // 2,
    "It looks like that is the padding for both ends together; it is split "
    "between the two ends.": lambda k, d=1: d * (k - 1),
    "It looks like you took the span of a dilated filter as D x K inputs.":
        lambda k, d=1: d * k // 2,
    "It looks like you halved K (rounding down); for an even K that is not "
    "half of what one window reaches beyond its first input.":
        lambda k, d=1: d * (k // 2),
    "It looks like you halved K - 1 (rounding down) before multiplying by D; "
    "D(K - 1) can be even when K - 1 is odd.": lambda k, d=1: (k - 1) // 2 * d,
}


def _did_not_run(result):
    """Whether the check ended before any wrong value: passed, a stub, an error."""
    return (result.status != FAIL or "raised an error" in result.summary
            or "too long" in result.summary)


def _padding_problems(fn, cases):
    """What is wrong with the reader's paddings: first where none exists, then
    where one does (a known mistake only if it explains every such case)."""
    lines = []
    given = {}
    for case in cases:
        outcome = call(fn, case, {}, DEFAULT_TIMEOUT)
        if outcome.kind != "ok":
            return []
        given[case] = outcome.value
    for case, got in given.items():
        k, d = (*case, 1)[:2]
        if _same_padding(k, d) is None and got is not None:
            lines.append(f"Your function returns a padding for kernel_size={k}, "
                         f"dilation={d}. Check that P zeros at each end really keep the "
                         "length there: n + 2P - D(K - 1) = n.")
            break
    possible = [case for case in cases if _same_padding(*case) is not None]
    explaining = mistakes_explaining_all(
        _encoded(fn), _encoded(_same_padding), possible,
        {message: _encoded(wrong) for message, wrong in SAME_PADDING_MISTAKES.items()})
    if explaining:
        return [*lines, next(iter(explaining))]
    for case in possible:
        k, d = (*case, 1)[:2]
        got, want = given[case], _same_padding(k, d)
        where = f"kernel_size={k}, dilation={d}"
        if got is None:
            if k % 2 == 0 and all(given[c] is None for c in possible if c[0] % 2 == 0):
                return [*lines, "It looks like you returned None for every even K; an "
                        "even K can keep the length too when D is even (try K = 4, "
                        "D = 2 by hand)."]
            return [*lines, f"Your function returns None for {where}, where a padding "
                    "exists."]
        if isinstance(got, bool) or not isinstance(got, int | np.integer | float):
            return [*lines, f"Return a whole number (or None), not {type_name(got)}."]
        if got != want:
            change = 2 * got - d * (k - 1)
            longer = "longer" if change > 0 else "shorter"
            plural = "s" if abs(change) != 1 else ""
            return [*lines, f"With your padding for {where}, the output is "
                    f"{abs(change):g} sample{plural} {longer} than the input."]
    return lines


@guarded
def check_same_padding(fn, *, cases=None):
    """``same_padding(kernel_size, dilation=1)``: the padding on each end that keeps
    a signal's length at stride 1, or ``None`` when no padding equal at both ends does."""
    tried = with_cases(SAME_PADDING_CASES, cases)
    reader = _encoded(fn) if callable(fn) else fn
    result = check_function.__wrapped__(
        reader, _encoded(_same_padding), tried, name="same_padding",
        arg_names=("kernel_size", "dilation"))
    if _did_not_run(result) or not callable(fn):
        return result
    problems = _padding_problems(fn, [tuple(case) for case in tried])
    if problems:
        result.summary, result.details = problems[0], problems[1:]
    return result


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
    return check_explained(fn, conv1d, with_cases(_conv_cases(x, w), cases),
                           loop_mistakes(), name="my_conv1d",
                           arg_names=("x", "w", "b", "stride", "padding"))


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
    motif of ``length`` bases, planted with 0 to 4 mismatches."""
    rng = np.random.default_rng(length)
    bases = np.array(list("ACGT"))
    motif = np.array(list(MOTIF)) if length == len(MOTIF) else rng.choice(bases, length)
    parts = [rng.choice(bases, 7)]
    for mismatches in (0, 1, 2, 3, 4, 1, 0):
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
        raise TypeError(f"return the bias as a number, not {type_name(answer)}")
    return float(answer)


def _tolerated(length, bias):
    """The most mismatches a window may have and still fire: m < length + b;
    -1 when not even a perfect match fires."""
    return int(min(max(np.ceil(length + bias) - 1, -1), length))


def _bias_problem(cases, biases):
    """What the reader's biases do wrong, by the mismatches they let through."""
    tolerated = [_tolerated(n, b) for (n, _), b in zip(cases, biases, strict=True)]
    lines = []
    for (n, want), b, m in zip(cases, biases, tolerated, strict=True):
        if m == want:
            continue
        motif = f"For a motif of {n} bases and mismatches={want}, your detector"
        if m == -1:
            lines.append(f"{motif} never fires, not even on a perfect match: the "
                         "bias is too low.")
        elif m >= n and b > 0:
            lines.append(f"{motif} fires on every window: the bias has to lower the "
                         "score to make a threshold, not raise it.")
        elif m < want:
            plural = "es" if m + 1 > 1 else ""
            lines.append(f"{motif} misses windows with {_count(m + 1)} mismatch{plural}: "
                         "the threshold is too high (and ReLU(0) = 0 does not fire).")
        else:
            lines.append(f"{motif} also fires on windows with as many as {_count(m)} "
                         "mismatches: the threshold is too low.")
        break
    runs = {}
    for (_, want), b, m in zip(cases, biases, tolerated, strict=True):
        runs.setdefault(want, []).append((b, m))
    if any(len({b for b, _ in r}) == 1 and len({m for _, m in r}) > 1 for r in runs.values()):
        lines.append("Your bias is the same for every motif length, so it lets a "
                     "different number of mismatches through for each: it has to "
                     "depend on motif_length.")
    if len(runs) > 1 and len(set(tolerated)) == 1:
        lines.append("Your detector lets the same number of mismatches through "
                     "whatever `mismatches` asks for: the bias has to depend on it.")
    return lines


def _count(m):
    return {1: "one", 2: "two", 3: "three", 4: "four"}.get(m, str(m))


TOLERANT_CASES = [(5,), (3,), (8,), (6,), (5, 2), (8, 3), (6, 0), (3, 2)]


@guarded
def check_tolerant_bias(fn, *, cases=None):
    """``tolerant_bias(motif_length, mismatches=1)``: the bias of the motif filter
    that makes ReLU(score + b) fire on windows with at most ``mismatches``
    mismatches, and only there."""
    tried = [(*case, 1)[:2] for case in with_cases(TOLERANT_CASES, cases)]
    result = check_function.__wrapped__(
        lambda length, mismatches: _fires(length, _as_bias(fn(length, mismatches))),
        lambda length, mismatches: (
            _motif_windows(length) >= length - mismatches).astype(float),
        tried, name="tolerant_bias", arg_names=("motif_length", "mismatches"))
    if _did_not_run(result):
        return result
    biases = [_as_bias(fn(n, m)) for n, m in tried]  # they all ran above
    problems = _bias_problem(tried, biases)
    if problems:
        result.summary, result.details = problems[0], problems[1:]
    return result
