"""Checkers for chapter 9, looking inside a network and attacking it.

Every expected value is computed here, independently of the library functions
the exercises ask the reader to write (:mod:`cnn_helpers.demos.inside`): by
loops, by closed forms, or by properties any right answer has.
"""

from __future__ import annotations

import numpy as np

from ..functions import check_function
from ..results import FAIL, PASS, CheckResult, todo
from ..running import DEFAULT_TIMEOUT, call, guarded, outcome_failure
from ._common import with_cases


def _demos():
    from ...demos import inside  # imported late: it brings in the plotting

    return inside


# --------------------------------------------------------------------------
# Saliency by finite differences, occlusion, the FGSM step
# --------------------------------------------------------------------------

def _saliency_cases():
    PixelScore = _demos().PixelScore  # a score with a closed-form gradient
    rng = np.random.default_rng(9)
    return [(PixelScore(rng.standard_normal((1, 3, 3))), rng.random((1, 3, 3))),
            (PixelScore(rng.standard_normal((1, 4, 4)), "square"), rng.random((1, 4, 4))),
            (PixelScore(rng.standard_normal((2, 3, 3)) / 3, "tanh"), rng.random((2, 3, 3)))]


def _exact_gradient(score, image):
    """The closed-form gradient of a ``PixelScore`` at one image: ``(C, H, W)``."""
    return score.gradient(np.asarray(image, dtype=np.float64)[None])[0]


@guarded
def check_my_numerical_saliency(fn, *, cases=None):
    """``my_numerical_saliency(score, image, h=1e-4)`` against the exact gradient's size.

    The cases' scores have closed-form gradients; the central difference agrees
    with them up to its O(h^2) error (about 1e-8 here), far inside the tolerance, while a
    one-sided difference is off by O(h).
    """
    return check_function.__wrapped__(
        fn, lambda score, image: np.abs(_exact_gradient(score, image)).max(axis=0),
        with_cases(_saliency_cases(), cases), name="my_numerical_saliency",
        arg_names=("score", "image"), rtol=1e-6, atol=1e-7, reveal=False, mistakes={
            "It looks like the absolute value is missing.": lambda score, image: (
                _exact_gradient(score, image).max(axis=0)),
            "It looks like you divided by h; the two nudged images are 2h apart.":
                lambda score, image: 2 * np.abs(_exact_gradient(score, image)).max(axis=0),
            "It looks like a one-sided difference, (score(x + h e_p) - score(x)) / h: nudge "
            "down as well as up, and divide by 2h.": _one_sided_saliency,
            "It looks like you summed over the channels: take the largest instead.":
                lambda score, image: np.abs(_exact_gradient(score, image)).sum(axis=0),
            "It looks like you took the mean over the channels: take the largest instead.":
                lambda score, image: np.abs(_exact_gradient(score, image)).mean(axis=0),
        })


def _one_sided_saliency(score, image, h=1e-4):
    image = np.asarray(image, dtype=np.float64)
    base = float(score(image[None])[0])
    grad = np.zeros_like(image)
    for p in np.ndindex(*image.shape):
        up = image.copy()
        up[p] += h
        grad[p] = (float(score(up[None])[0]) - base) / h
    return np.abs(grad).max(axis=0)


def _occlusion_cases():
    PixelScore = _demos().PixelScore
    rng = np.random.default_rng(3)
    return [(PixelScore(np.ones((1, 4, 4))), np.arange(16.0).reshape(1, 4, 4), 2),
            (PixelScore(rng.standard_normal((1, 5, 5)), "tanh"), rng.random((1, 5, 5)), 1),
            (PixelScore(rng.standard_normal((2, 5, 6)) / 4, "square"), rng.random((2, 5, 6)), 3)]


def _occlusion_reference(score, image, size, fill=0.0, channels=slice(None)):
    """Occlusion by loops, one covered copy and one call of ``score`` per position.

    ``fill`` and ``channels`` other than the defaults make two of the usual mistakes.
    """
    image = np.asarray(image, dtype=np.float64)
    _, h, w = image.shape
    base = float(score(image[None])[0])
    drops = np.empty((h - size + 1, w - size + 1))
    for i, j in np.ndindex(*drops.shape):
        covered = image.copy()
        covered[channels, i:i + size, j:j + size] = fill
        drops[i, j] = base - float(score(covered[None])[0])
    return drops


@guarded
def check_my_occlusion(fn, *, cases=None):
    """``my_occlusion(score, image, size)``: the drop of the score per covered patch."""
    occlusion = _occlusion_reference
    return check_function.__wrapped__(
        fn, occlusion, with_cases(_occlusion_cases(), cases), name="my_occlusion",
        arg_names=("score", "image", "size"), reveal=False, mistakes={
            "The sign is reversed.": lambda score, image, size: -occlusion(score, image, size),
            "It looks like only the first channel was covered: cover every channel.":
                lambda score, image, size: occlusion(score, image, size, channels=slice(0, 1)),
            "It looks like the patch was filled with grey (0.5): fill it with 0, black.":
                lambda score, image, size: occlusion(score, image, size, fill=0.5),
            "It looks like the patch was filled with the image's mean: fill it with 0, black.":
                lambda score, image, size: occlusion(score, image, size,
                                                     fill=float(np.mean(image))),
            "These are the scores of the covered images, not the drops.":
                lambda score, image, size: score(image[None])[0] - occlusion(score, image, size),
            "It looks like the patch moved a whole patch width at a time.":
                lambda score, image, size: occlusion(score, image, size)[::size, ::size],
        })


def _fgsm_cases():
    rng = np.random.default_rng(4)
    grads = rng.standard_normal((2, 1, 4, 4))
    grads[0, 0, 0, :2] = 0  # two pixels with no gradient
    return [(rng.random((2, 1, 4, 4)), grads, 0.1),
            (np.array([0.0, 0.05, 0.5, 0.97, 1.0]), np.array([-1.0, -2.0, 0.3, 4.0, 1.0]), 0.1),
            (rng.integers(0, 17, (1, 1, 3, 3)).astype(float),
             rng.standard_normal((1, 1, 3, 3)), 2.0, 16.0)]


def _fgsm_reference(x, grad, eps, x_max=1.0):
    """The FGSM step pixel by pixel: up, down or nowhere by eps, then into the range."""
    x, grad = np.asarray(x, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    out = x.copy()
    for p in np.ndindex(*x.shape):
        moved = x[p] + (eps if grad[p] > 0 else -eps if grad[p] < 0 else 0.0)
        out[p] = min(max(moved, 0.0), x_max)
    return out


@guarded
def check_my_fgsm(fn, *, cases=None):
    """``my_fgsm(x, grad, eps, x_max=1.0)``: one fast-gradient-sign step."""
    step = _fgsm_reference
    return check_function.__wrapped__(
        fn, step, with_cases(_fgsm_cases(), cases), name="my_fgsm",
        arg_names=("x", "grad", "eps", "x_max"), reveal=False, mistakes={
            "It looks like the result was not clipped to the valid range.":
                lambda x, grad, eps, x_max=1.0: x + eps * np.sign(grad),
            "It looks like you moved by eps times the gradient itself.":
                lambda x, grad, eps, x_max=1.0: np.clip(x + eps * grad, 0, x_max),
            "That step lowers the loss: an attack raises it.":
                lambda x, grad, eps, x_max=1.0: step(x, -grad, eps, x_max),
            "It looks like you clipped to 1, not to x_max.":
                lambda x, grad, eps, x_max=1.0: None if x_max == 1.0 else step(x, grad, eps, 1.0),
        })


# --------------------------------------------------------------------------
# PGD: an exact oracle (the linear model) and properties
# --------------------------------------------------------------------------

class LogisticLoss:
    """The loss of a logistic model on images ``(N, C, H, W)``, one loss per image.

    ``loss(a) = log(1 + exp(-s * (w . a + b)))`` with a sign ``s`` (+1 or -1) per image.
    The loss only grows as the margin ``s * (w . a + b)`` shrinks, so its largest value
    over the eps-ball around ``x`` (within ``[0, x_max]``) is known exactly: every pixel
    moved by ``eps`` against ``s * sign(w)``, then clipped (:meth:`worst_case`).
    """

    def __init__(self, w, b, signs):
        self.w, self.b = np.asarray(w, dtype=np.float64), float(b)
        self.signs = np.asarray(signs, dtype=np.float64)

    def _margin(self, a):
        a = np.asarray(a, dtype=np.float64)
        return self.signs * ((a * self.w).sum(axis=(1, 2, 3)) + self.b)

    def __call__(self, a):
        return np.logaddexp(0.0, -self._margin(a))

    def gradient(self, a):
        slope = -self.signs / (1.0 + np.exp(self._margin(a)))         # d loss / d (w . a)
        return slope[:, None, None, None] * self.w

    def worst_case(self, x, eps, x_max=1.0):
        push = -self.signs[:, None, None, None] * np.sign(self.w)
        return np.clip(np.asarray(x, dtype=np.float64) + eps * push, 0.0, x_max)

    def __repr__(self):
        return f"LogisticLoss(w of shape {self.w.shape})"


class BowlLoss:
    """``-sum((a - centre)^2)`` per image: its largest value lies *inside* the ball.

    One FGSM step of size eps jumps past the top to the ball's surface; PGD's small
    steps end within a step of it.
    """

    def __init__(self, centre):
        self.centre = np.asarray(centre, dtype=np.float64)

    def __call__(self, a):
        return -((np.asarray(a, dtype=np.float64) - self.centre) ** 2).sum(axis=(1, 2, 3))

    def gradient(self, a):
        return -2.0 * (np.asarray(a, dtype=np.float64) - self.centre)

    def __repr__(self):
        return f"BowlLoss(centre of shape {self.centre.shape})"


class FlatLoss:
    """A loss with zero gradient everywhere: PGD can only return its random start."""

    def __call__(self, a):
        return np.zeros(len(a))

    def gradient(self, a):
        return np.zeros(np.shape(a))

    def __repr__(self):
        return "FlatLoss()"


def _pgd_variant(loss_gradient, x, eps, step_size, steps, rng, x_max=1.0, *, start="random",
                 sign=True, ascend=True, clip=True, project="x", step=None):
    """PGD as the exercise states it, with switches that make the usual mistakes.

    start : "random" or "x"; project : "x" (right), "start", "l2" or None.
    """
    x = np.asarray(x, dtype=np.float64)
    noise = rng.uniform(-eps, eps, size=x.shape)
    begin = x + noise if start == "random" else x.copy()
    adv = np.clip(begin, 0.0, x_max) if clip else begin
    centre = adv.copy() if project == "start" else x
    for _ in range(steps):
        g = np.asarray(loss_gradient(adv), dtype=np.float64)
        move = np.sign(g) if sign else g
        adv = adv + (1 if ascend else -1) * (step_size if step is None else step) * move
        if clip:
            adv = np.clip(adv, 0.0, x_max)
        if project in ("x", "start"):
            adv = np.clip(adv, centre - eps, centre + eps)
        elif project == "l2":
            delta = (adv - x).reshape(len(x), -1)
            norm = np.linalg.norm(delta, axis=1, keepdims=True)
            delta *= np.minimum(1.0, eps / np.maximum(norm, 1e-12))
            adv = x + delta.reshape(x.shape)
    return adv


def pgd_mistakes():
    """The usual mistakes of ``my_pgd``, each a function with the exercise's signature."""
    def variant(**switches):
        return lambda grad, x, eps, step_size, steps, rng, x_max=1.0: _pgd_variant(
            grad, x, eps, step_size, steps, rng, x_max, **switches)

    return {
        "It looks like the images leave the eps-ball: after every step, project back onto "
        "the ball around the original images x (a clip to [x - eps, x + eps]).": variant(project=None),
        "It looks like you projected onto the ball around the random start; the ball is "
        "centred on the original images x.": variant(project="start"),
        "It looks like you projected onto an L2 ball (scaling the change down to length eps); "
        "the budget is a max-norm ball, and projecting onto it clips every pixel.":
            variant(project="l2"),
        "It looks like each step moved by step_size times the gradient itself, not its sign.":
            variant(sign=False),
        "Some pixels leave the valid range: clip to [0, x_max] at the start and after every "
        "step.": variant(clip=False),
        "Those steps lower the loss: an attack climbs it (add the sign of the gradient).":
            variant(ascend=False),
        "There is no random start: PGD begins at a random point of the eps-ball around x, "
        "drawn with rng.uniform(-eps, eps, size=x.shape).": variant(start="x"),
        "It looks like every step had the size eps instead of step_size.":
            lambda grad, x, eps, step_size, steps, rng, x_max=1.0: _pgd_variant(
                grad, x, eps, step_size, steps, rng, x_max, step=eps),
    }


def _pgd_cases(seed=12):
    """(loss, x, eps, step_size, steps, seed, x_max): the loss's gradient goes to ``my_pgd``."""
    rng = np.random.default_rng(seed)
    x1 = rng.random((3, 1, 4, 4))
    x1[0, 0, 0] = [0.0, 0.02, 0.98, 1.0]                  # pixels at and near the range's ends
    w1 = rng.standard_normal((1, 4, 4))
    x2 = rng.integers(0, 17, (2, 1, 3, 3)).astype(float)  # pixels from 0 to 16
    w2 = rng.standard_normal((1, 3, 3))
    x3 = rng.uniform(0.2, 0.8, (2, 1, 3, 3))
    x4 = rng.uniform(0.2, 0.8, (2, 2, 3, 3))
    return [(LogisticLoss(w1, 0.3, [1, -1, 1]), x1, 0.1, 0.025, 10, 0, 1.0),
            (LogisticLoss(w2, -1.0, [-1, 1]), x2, 2.0, 0.5, 12, 1, 16.0),
            (BowlLoss(x3 + 0.03 * np.sign(rng.standard_normal(x3.shape))), x3, 0.1, 0.01, 30, 2, 1.0),
            (FlatLoss(), x4, 0.1, 0.02, 3, 3, 1.0)]


def _call_pgd(fn, case):
    loss, x, eps, step_size, steps, seed, x_max = case
    args = (loss.gradient, x.copy(), eps, step_size, steps, np.random.default_rng(seed), x_max)
    return call(fn, args, {}, DEFAULT_TIMEOUT), args


def _pgd_property(loss, x, eps, x_max, got):
    """Why ``got`` cannot be PGD's result on this case, or ``""``: the oracle and the bounds."""
    tol = 1e-6 * max(1.0, x_max)
    if got.min() < -tol or got.max() > x_max + tol:
        return f"Some pixels leave the valid range [0, {x_max:g}]: clip after every step."
    far = np.abs(got - x).max()
    if far > 2 * eps + tol:
        return ("Some pixels end farther than eps from x: after every step, project back onto "
                "the eps-ball around the original images x.")
    if far > eps + tol:
        return ("Some pixels end farther than eps from x (but within 2 eps): is the ball centred "
                "on the original images x?")
    if isinstance(loss, LogisticLoss):
        best, yours = loss(loss.worst_case(x, eps, x_max)), loss(got)
        if np.any(yours < best - 1e-6 * np.maximum(1.0, best)):
            return ("For this linear (logistic) model the largest loss in the eps-ball is known "
                    "exactly, and your images stay below it: PGD with these steps reaches it.")
    if isinstance(loss, BowlLoss):
        fgsm = np.clip(x + eps * np.sign(loss.gradient(x)), 0.0, x_max)
        if np.any(loss(got) <= loss(fgsm) + 1e-9):
            return ("Your images' loss is no higher than after one FGSM step of size eps; here "
                    "the loss peaks inside the ball, and many small steps beat one big one.")
    if isinstance(loss, FlatLoss) and np.allclose(got, x):
        return ("Where the gradient is 0 everywhere PGD returns its random start, and yours is "
                "x itself: is there a random start?")
    return ""


@guarded
def check_my_pgd(fn, *, cases=None, seed=None):
    """``my_pgd(gradient, x, eps, step_size, steps, rng, x_max=1.0)``: L-infinity PGD.

    Each case is ``(loss, x, eps, step_size, steps, seed, x_max)``; ``my_pgd`` gets
    ``loss.gradient`` and a fresh ``np.random.default_rng(seed)``. The answer must (1) stay
    in the eps-ball and the valid range, (2) reach the known worst case of a linear model,
    (3) beat one FGSM step where the loss peaks inside the ball, and (4) follow the stated
    steps exactly from the stated random start. A known mistake is named when the answer
    matches it on every case. ``seed`` draws other cases of the same kinds (hidden tests).
    """
    name = "my_pgd"
    if not callable(fn):
        return CheckResult(FAIL, name, "you gave None, not a function." if fn is None
                           else f"expected a function, got a {type(fn).__name__}.")
    cases = with_cases(_pgd_cases() if seed is None else _pgd_cases(seed), cases)
    runs = []
    for k, case in enumerate(cases):
        outcome, args = _call_pgd(fn, case)
        label = f"test case {k + 1} of {len(cases)}"
        inputs = f"loss={case[0]!r}, x of shape {case[1].shape}, eps={case[2]:g}, " \
                 f"step_size={case[3]:g}, steps={case[4]}, x_max={case[6]:g}"
        if outcome.kind == "todo":
            return todo(name)
        failure = outcome_failure(outcome, name, label, inputs)
        if failure is not None:
            return failure
        got = np.asarray(outcome.value, dtype=np.float64) if outcome.value is not None else None
        if got is None or got.shape != case[1].shape:
            shape = "None" if got is None else str(got.shape)
            return CheckResult(FAIL, name, f"your result has shape {shape} on {label}; "
                               f"expected the shape of x, {case[1].shape}.")
        if not np.array_equal(args[1], case[1]):
            return CheckResult(FAIL, name, f"your function changed x in place on {label}.",
                               ["Work on a copy: the ball is centred on the original x."])
        runs.append((case, got, label, inputs))
    wrong = []
    for case, got, label, inputs in runs:
        loss, x, eps, step_size, steps, seed, x_max = case
        problem = _pgd_property(loss, x, eps, x_max, got)
        want = _pgd_variant(loss.gradient, x, eps, step_size, steps, np.random.default_rng(seed),
                            x_max)
        if problem or not _same(got, want, x_max):
            wrong.append((problem, label, inputs))
    if not wrong:
        return CheckResult(PASS, name, f"all {len(runs)} test cases pass: in the ball, in range, "
                           "as strong as the exact worst case, stronger than FGSM where it "
                           "should be.")
    problem, label, inputs = wrong[0]
    details = [f"This was {label}: {inputs}."]
    matched = _matching_mistake(runs)
    if matched or problem:
        return CheckResult(FAIL, name, matched or problem, details)
    return CheckResult(FAIL, name, "your images are valid and as strong as PGD's here, but not "
                       "the ones the stated steps give.", [
                           "Draw the start with one call, rng.uniform(-eps, eps, size=x.shape), "
                           "clip it, then take `steps` steps of step_size.", *details])


def _same(got, want, x_max):
    return np.allclose(got, want, rtol=1e-5, atol=1e-6 * max(1.0, x_max))


def _matching_mistake(runs):
    """The first known mistake that gives the reader's result on every case, or ``""``."""
    for message, wrong in pgd_mistakes().items():
        if all(_same(got, wrong(loss.gradient, x.copy(), eps, step_size, steps,
                                np.random.default_rng(seed), x_max), x_max)
               for (loss, x, eps, step_size, steps, seed, x_max), got, _, _ in runs):
            return message
    return ""


# --------------------------------------------------------------------------
# Integrated gradients: completeness, within the midpoint rule's error
# --------------------------------------------------------------------------

class TanhScore:
    """A small smooth score ``batch (N, C, H, W) -> (N,)``: ``v . tanh(W a + c)``.

    Curved enough that the Riemann sums of integrated gradients differ visibly, and
    with a closed-form gradient (:meth:`gradient`).
    """

    def __init__(self, weight, bias, out):
        self.weight = np.asarray(weight, dtype=np.float64)    # (hidden, C, H, W)
        self.bias, self.out = np.asarray(bias, dtype=np.float64), np.asarray(out, dtype=np.float64)

    def _hidden(self, batch):
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 4 or batch.shape[1:] != self.weight.shape[1:]:
            raise ValueError(f"TanhScore: expected a batch (N, {', '.join(map(str, self.weight.shape[1:]))}),"
                             f" got shape {batch.shape}")
        return np.tanh(np.einsum("nchw,kchw->nk", batch, self.weight) + self.bias)

    def __call__(self, batch):
        return self._hidden(batch) @ self.out

    def gradient(self, batch):
        """``d score / d batch``: ``(N, C, H, W)``."""
        slope = (1 - self._hidden(batch) ** 2) * self.out             # (N, hidden)
        return np.einsum("nk,kchw->nchw", slope, self.weight)

    def __repr__(self):
        return f"TanhScore({len(self.weight)} hidden units, images {self.weight.shape[1:]})"


def _path_mean_gradient(gradient, x, baseline, ts):
    """The mean of the gradient at ``baseline + t (x - baseline)`` over the ``ts``."""
    x, baseline = np.asarray(x, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    return np.mean([gradient((baseline + t * (x - baseline))[None])[0] for t in ts], axis=0)


def _ig_rule(gradient, x, baseline, steps, rule="midpoint"):
    offset = {"midpoint": 0.5, "left": 1.0, "right": 0.0}[rule]
    ts = (np.arange(1, steps + 1) - offset) / steps
    return (np.asarray(x, float) - baseline) * _path_mean_gradient(gradient, x, baseline, ts)


def ig_mistakes():
    """The usual mistakes of ``my_integrated_gradients``, with the exercise's signature."""
    return {
        "It looks like the mean gradient was not multiplied by (x - baseline).":
            lambda gradient, x, baseline, steps: _path_mean_gradient(
                gradient, x, baseline, (np.arange(steps) + 0.5) / steps),
        "It looks like the path started from a black image (zeros), not from `baseline`.":
            lambda gradient, x, baseline, steps: _ig_rule(gradient, x, np.zeros_like(x), steps),
        "It looks like you multiplied by (baseline - x): the path runs from the baseline to x.":
            lambda gradient, x, baseline, steps: -_ig_rule(gradient, x, baseline, steps),
        "It looks like the gradients were taken at t = 0, 1/steps, ..., (steps - 1)/steps "
        "(a left Riemann sum), not at the midpoints (k - 1/2)/steps.":
            lambda gradient, x, baseline, steps: _ig_rule(gradient, x, baseline, steps, "left"),
        "It looks like the gradients were taken at t = 1/steps, ..., 1 (a right Riemann sum), "
        "not at the midpoints (k - 1/2)/steps.":
            lambda gradient, x, baseline, steps: _ig_rule(gradient, x, baseline, steps, "right"),
    }


def midpoint_tolerance(score, x, baseline, steps):
    """How far the midpoint rule's total may be from ``score(x) - score(baseline)``.

    Along the path, ``phi(t) = score(baseline + t (x - baseline))``, the attributions add
    up to the midpoint rule for the integral of ``phi'`` from 0 to 1, whose error with
    ``m`` steps is ``phi3(xi) / (24 m^2)`` for some ``xi`` in ``[0, 1]``, ``phi3`` being
    the third derivative of ``phi``. It is bounded here by third differences on a fine
    grid, with a margin of 50%.
    """
    t = np.linspace(0.0, 1.0, 2001)
    x, baseline = np.asarray(x, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    phi = score(baseline[None] + t[:, None, None, None] * (x - baseline)[None])
    third = np.abs(np.diff(phi, 3)).max() / (t[1] - t[0]) ** 3
    return 1.5 * third / (24 * steps**2) + 1e-9


def _ig_cases(seed=21):
    rng = np.random.default_rng(seed)
    score = TanhScore(rng.standard_normal((4, 1, 3, 3)), rng.standard_normal(4),
                      rng.standard_normal(4))
    colour = TanhScore(rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3),
                       rng.standard_normal(3))
    return [(score.gradient, rng.random((1, 3, 3)), np.zeros((1, 3, 3)), 16),
            (score.gradient, rng.random((1, 3, 3)), np.full((1, 3, 3), 0.5), 20),
            (colour.gradient, rng.random((2, 2, 3)), rng.random((2, 2, 3)) / 2, 5)]


@guarded
def check_my_integrated_gradients(fn, *, cases=None, seed=None):
    """``my_integrated_gradients(gradient, x, baseline, steps)``: completeness, then values.

    Each case's ``gradient`` is the bound method of a score with a closed-form gradient.
    The attributions must add up to ``score(x) - score(baseline)`` within the midpoint
    rule's error for that many steps (:func:`midpoint_tolerance`), and equal ``(x -
    baseline)`` times the mean gradient at the midpoints. ``seed`` draws other cases of the
    same kinds (hidden tests).
    """
    name = "my_integrated_gradients"
    cases = with_cases(_ig_cases() if seed is None else _ig_cases(seed), cases)
    for k, (gradient, x, baseline, steps) in enumerate(cases):
        score = gradient.__self__
        outcome = call(fn, (gradient, x.copy(), baseline.copy(), steps), {}, DEFAULT_TIMEOUT)
        label = f"test case {k + 1} of {len(cases)}"
        inputs = (f"gradient of {score!r}, x of shape {x.shape}, baseline of shape "
                  f"{baseline.shape}, steps={steps}")
        if outcome.kind == "todo":
            return todo(name)
        failure = outcome_failure(outcome, name, label, inputs)
        if failure is not None:
            return failure
        try:
            got = np.asarray(outcome.value, dtype=np.float64)
        except (TypeError, ValueError):
            got = None
        if got is None or got.shape != x.shape:
            return CheckResult(FAIL, name, f"expected attributions of the shape of x, {x.shape}, "
                               f"on {label}.")
        gap = abs(got.sum() - float(score(x[None])[0] - score(baseline[None])[0]))
        tol = midpoint_tolerance(score, x, baseline, steps)
        details = [f"This was {label}: {inputs}."]
        want = _ig_rule(gradient, x, baseline, steps)
        if np.allclose(got, want, rtol=1e-6, atol=1e-9) and gap <= tol:
            continue
        for message, wrong in ig_mistakes().items():
            if np.allclose(got, wrong(gradient, x, baseline, steps), rtol=1e-6, atol=1e-9):
                return CheckResult(FAIL, name, message, details)
        if gap > tol:
            return CheckResult(FAIL, name, "your attributions do not add up to score(x) - "
                               "score(baseline) (completeness), not even within the midpoint "
                               f"rule's error for {steps} steps.", details)
        return CheckResult(FAIL, name, "your attributions add up to the right total, but are not "
                           "(x - baseline) times the mean gradient at the midpoints, pixel by "
                           "pixel.", details)
    return CheckResult(PASS, name, f"all {len(cases)} test cases pass, complete within the "
                       "midpoint rule's error.")
