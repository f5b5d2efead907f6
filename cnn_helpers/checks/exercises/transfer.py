"""Checkers for chapter 8, transfer learning: a frozen model and its optimiser, and
the paired difference of two learners with its 95% interval."""

from __future__ import annotations

import math

import numpy as np

from ..functions import check_function
from ..results import FAIL, PASS, CheckResult
from ..running import call, guarded, outcome_failure
from ._common import with_cases

# --------------------------------------------------------------------------
# Build the frozen model and its optimiser
# --------------------------------------------------------------------------


def _source_with_batchnorm(seed=0):
    """A small pretrained-looking network with BatchNorm in the part to freeze, so
    that a frozen part left in training mode shows in its running statistics."""
    from ... import nn

    rng = np.random.default_rng(seed)
    source = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 52, rng=rng))
    source.eval()
    return source


def _train_a_little(model, optimizer, frozen, X, y, steps=5):
    """The training loop of the chapter, in short: ``model.train()``, the frozen part
    back to evaluation mode, forward, loss, backward, step."""
    from ...losses import cross_entropy_backward

    for _ in range(steps):
        model.train()
        if frozen is not None:
            frozen.eval()
        logits = model(X)
        optimizer.zero_grad()
        model.backward(cross_entropy_backward(logits, y))
        optimizer.step()
    model.eval()


def _parameters_of(optimizer):
    return [p for group in getattr(optimizer, "param_groups", []) for p in group["params"]]


@guarded
def check_frozen_model(fn, *, n_classes=10, lr=1e-2):
    """``frozen_model(source, n_classes, lr)`` returns ``(model, optimizer, frozen)``:
    every layer of ``source`` but the last, frozen, under a new linear classifier; an
    Adam optimiser over the trainable parameters only; the frozen part, which the
    training loop keeps in evaluation mode. The check trains the result for a few
    steps on a source with BatchNorm and looks at what moved."""
    from ...optim import Optimizer

    name = "frozen_model"
    outcome = call(fn, (_source_with_batchnorm(), n_classes, lr), {}, 10.0)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    answer = outcome.value
    if not isinstance(answer, tuple | list) or len(answer) != 3:
        return CheckResult(FAIL, name, "expected three things back: "
                           "(model, optimizer, frozen).")
    model, optimizer, frozen = answer
    if not isinstance(optimizer, Optimizer):
        return CheckResult(FAIL, name, "the second result must be an optimiser, "
                           f"not a {type(optimizer).__name__}.")
    rng = np.random.default_rng(1)
    X = rng.random((12, 1, 8, 8)).astype(np.float32)
    y = np.arange(12) % n_classes
    try:
        out = model(X)
    except Exception as exc:  # the reader's model: report, don't crash
        return CheckResult(FAIL, name, f"the model raised {type(exc).__name__} on a "
                           "batch of shape (12, 1, 8, 8).", [
                               str(exc),
                               "The source need not be the letters CNN: its last layer "
                               "says how many features it takes, `source[-1].in_features`, "
                               "and the new layer must take as many."])
    if getattr(out, "shape", None) != (12, n_classes):
        return CheckResult(FAIL, name, f"the model gives {getattr(out, 'shape', out)} "
                           f"for 12 images; it needs one score per class, (12, {n_classes}).")
    params = list(model.parameters())
    if any(p.shape[0] == 52 for p in params):
        return CheckResult(FAIL, name, "the source's last layer, which scores the 52 "
                           "letters, is still in the model.", [
                               "Keep every layer but the last, then add the new one."])
    # The new classifier is the layer with one row per class; the rest was pretrained.
    head = [p for p in params if p.shape[0] == n_classes]
    body = [p for p in params if p.shape[0] != n_classes]
    frozen_params = getattr(frozen, "parameters", None)
    if callable(frozen_params) and {id(p) for p in head} & {id(p) for p in frozen_params()}:
        return CheckResult(FAIL, name, "the part returned as `frozen` holds the new "
                           "classifier too.", [
                               "The loop puts that part in evaluation mode at every step; a "
                               "layer that trains must stay in training mode, or its dropout "
                               "and batch normalisation behave as at test time."])
    body_before = [p.data.copy() for p in body]
    head_before = [p.data.copy() for p in head]
    stats_before = {k: np.array(v, copy=True) for k, v in model.named_buffers()}
    in_optimizer = {id(p) for p in _parameters_of(optimizer)}
    thawed = sum(p.requires_grad for p in body)
    try:
        _train_a_little(model, optimizer, frozen, X, y)
    except Exception as exc:
        return CheckResult(FAIL, name, f"training the model raised {type(exc).__name__}.",
                           [str(exc)])
    if any(not np.array_equal(p.data, old) for p, old in zip(body, body_before,
                                                            strict=True)):
        return CheckResult(FAIL, name, "the pretrained layers changed during training: "
                           "they are not frozen.", [
                               "Freezing switches off `requires_grad` on every parameter of "
                               "the part you keep, and the optimiser must not hold them."])
    if thawed:
        return CheckResult(FAIL, name, f"{thawed} parameter arrays of the pretrained layers "
                           "still have requires_grad=True.", [
                               "They stayed put only because the optimiser does not hold "
                               "them; they still collect gradients at every step."])
    if any(id(p) in in_optimizer for p in body):
        return CheckResult(FAIL, name, "the optimiser holds the frozen parameters too "
                           "(it was given every parameter of the model).", [
                               "Give it only the parameters that train: if the pretrained layers "
                               "are unfrozen later, an optimiser that already holds them "
                               "updates them at the classifier's learning rate instead of "
                               "the smaller one of their own parameter group."])
    if any(not np.array_equal(v, stats_before[k]) for k, v in model.named_buffers()):
        return CheckResult(FAIL, name, "the BatchNorm of the frozen part updated its "
                           "running statistics during training.", [
                               "`model.train()` switches every layer to training mode; the "
                               "loop puts the part you return as `frozen` back in evaluation "
                               "mode."])
    if {id(p) for p in head} != in_optimizer:
        return CheckResult(FAIL, name, "the optimiser does not hold exactly the new "
                           "classifier's parameters.")
    if all(np.array_equal(p.data, old) for p, old in zip(head, head_before, strict=True)):
        return CheckResult(FAIL, name, "the new classifier did not learn in 5 steps.")
    lrs = {group.get("lr") for group in optimizer.param_groups}
    if lrs != {lr}:
        return CheckResult(FAIL, name, "the optimiser's learning rate is not the `lr` "
                           "it was given.")
    return CheckResult(PASS, name, "the pretrained layers stayed fixed, BatchNorm "
                       "statistics included, and only the new classifier learned.")


# --------------------------------------------------------------------------
# The paired difference and its 95% interval
# --------------------------------------------------------------------------


def _t_cdf(t, df, n=20_001):
    """Student's t distribution function at ``t >= 0``: one half plus the integral of
    its density from 0 to ``t`` (Simpson's rule); independent of scipy."""
    x = np.linspace(0.0, t, n)
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    f = c * (1 + x**2 / df) ** (-(df + 1) / 2)
    h = t / (n - 1)
    return 0.5 + h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())


def _t_quantile(p, df):
    """The ``p`` quantile (``p > 0.5``) of Student's t with ``df`` degrees of freedom, by
    bisection on :func:`_t_cdf`."""
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _t_cdf(mid, df) < p else (low, mid)
    return (low + high) / 2


def _interval(d, quantile, sd):
    d = np.asarray(d, dtype=float)
    half = quantile * sd / math.sqrt(len(d))
    return (float(d.mean()), float(d.mean() - half), float(d.mean() + half))


def _paired(a, b):
    d = np.asarray(a, float) - np.asarray(b, float)
    return _interval(d, _t_quantile(0.975, len(d) - 1), d.std(ddof=1))


def _difference_mistakes():
    """Usual wrong ways to the interval, as functions of ``(a, b)``."""
    def unpaired(a, b):  # two independent samples, Welch's degrees of freedom
        a, b = np.asarray(a, float), np.asarray(b, float)
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        return _interval(a - b, _t_quantile(0.975, df), math.sqrt((va + vb) * len(a)))

    def unpaired_pooled(a, b):  # two independent samples, pooled, 2n - 2 dof
        a, b = np.asarray(a, float), np.asarray(b, float)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        return _interval(a - b, _t_quantile(0.975, 2 * len(a) - 2), se * math.sqrt(len(a)))

    def normal(a, b):
        d = np.asarray(a, float) - np.asarray(b, float)
        return _interval(d, 1.959963984540054, d.std(ddof=1))

    def dof_n(a, b):
        d = np.asarray(a, float) - np.asarray(b, float)
        return _interval(d, _t_quantile(0.975, len(d)), d.std(ddof=1))

    def one_sided(a, b):
        d = np.asarray(a, float) - np.asarray(b, float)
        return _interval(d, _t_quantile(0.95, len(d) - 1), d.std(ddof=1))

    def population_sd(a, b):
        d = np.asarray(a, float) - np.asarray(b, float)
        return _interval(d, _t_quantile(0.975, len(d) - 1), d.std(ddof=0))

    def reversed_(a, b):
        return _paired(b, a)

    return {
        "It looks like the two lists were treated as independent samples: the "
        "interval of a paired design comes from the per-seed differences.": unpaired,
        "It looks like the two lists were treated as independent samples (pooled, "
        "2n - 2 degrees of freedom): pair them by seed instead.": unpaired_pooled,
        "It looks like the normal quantile 1.96 was used: with a handful of seeds the "
        "standard deviation is itself uncertain, and Student's t accounts for that.": normal,
        "It looks like the t quantile has n degrees of freedom: the standard deviation "
        "of n differences leaves n - 1.": dof_n,
        "It looks like the 95% quantile was used: a two-sided 95% interval leaves 2.5% "
        "in each tail.": one_sided,
        "It looks like the standard deviation divides by n: the sample standard "
        "deviation divides by n - 1 (ddof=1).": population_sd,
        "The difference was taken the other way round: a minus b.": reversed_,
    }


def _shape_mistakes():
    """Wrong forms of the answer: the values out of order, a half-width without the
    square root of n, the interval's two ends alone."""
    def low_mean_high(a, b):
        mean, low, high = _paired(a, b)
        return low, mean, high

    def no_root_n(a, b):  # the sd of the differences, not of their mean
        d = np.asarray(a, float) - np.asarray(b, float)
        q = _t_quantile(0.975, len(d) - 1)
        return _interval(d, q, d.std(ddof=1) * math.sqrt(len(d)))

    def plus_minus_sd(a, b):  # mean +- sd: neither the t quantile nor the root of n
        d = np.asarray(a, float) - np.asarray(b, float)
        return _interval(d, 1.0, d.std(ddof=1) * math.sqrt(len(d)))

    def interval_only(a, b):  # what stats.t.interval gives: two values
        return _paired(a, b)[1:]

    return {
        "The three values are in the order (low, mean, high): return (mean, low, "
        "high).": low_mean_high,
        "The half-width uses the standard deviation of the differences, not the "
        "standard error of their mean: divide it by the square root of n.": no_root_n,
        "The interval is the mean plus or minus the standard deviation: the interval "
        "of a mean is its standard error, s over the square root of n, times the t "
        "quantile.": plus_minus_sd,
        "Only two values came back, the interval's ends: return the mean of the "
        "differences first, then the two ends.": interval_only,
    }


def _difference_cases():
    rng = np.random.default_rng(8)
    base = rng.uniform(0.5, 0.9, 5)
    return [
        (np.array([0.70, 0.72, 0.69, 0.75, 0.71]), np.array([0.62, 0.66, 0.65, 0.64, 0.60])),
        (base + rng.normal(0.03, 0.02, 5), base),
        (rng.uniform(0.6, 0.8, 3), rng.uniform(0.6, 0.8, 3)),
        (list(rng.uniform(0.8, 0.95, 8)), list(rng.uniform(0.8, 0.95, 8))),
    ]


@guarded
def check_paired_interval(fn, *, cases=None):
    """``paired_interval(a, b)``: the mean of ``a - b`` over paired seeds and its 95%
    Student-t interval, ``(mean, low, high)``."""
    return check_function.__wrapped__(
        fn, _paired, with_cases(_difference_cases(), cases), name="paired_interval",
        arg_names=("a", "b"), mistakes={**_difference_mistakes(), **_shape_mistakes()}, rtol=1e-4, atol=1e-9,
        reveal=False)

