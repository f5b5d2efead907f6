"""Chapter 9, looking inside and breaking it: explanations and adversarial examples.

Everything here works on a trained classifier of ``(N, 1, H, W)`` images, in practice the
book's digits CNN (:func:`cnn_helpers.models.train_digits_cnn`), and uses nothing but the
model's own forward and backward passes:

* **inside**: the feature maps after each convolution (:func:`layer_maps`);
* **explanations**: the saliency map ``|d score / d input|`` (:func:`saliency_map`), the
  gradient-free occlusion map (:func:`occlusion_map`), Grad-CAM (:func:`grad_cam`) and
  activation maximisation (:func:`maximise_class`);
* **attacks**: the fast gradient sign method (:func:`fgsm`), projected gradient descent with
  random starts (:func:`pgd`), random-sign noise of the same size as a control
  (:func:`random_sign_noise`), accuracy against the budget ``eps`` (:func:`attack_curve`), and a
  short adversarial fine-tuning with its noise control (:func:`adversarial_finetune`).

Images are float arrays in ``[0, x_max]`` (the digits of :func:`cnn_helpers.data.load_digits`
lie in ``[0, 1]``). Every random choice takes a seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .. import plotting
from ..activations import softmax
from ..losses import cross_entropy_backward
from ..optim import Adam
from ..training import iterate_minibatches, predict, predict_logits

__all__ = [
    "CONV_STAGES",
    "AttackCurve",
    "layer_maps",
    "input_gradient",
    "score_gradient",
    "loss_gradient",
    "saliency_map",
    "grad_cam",
    "maximise_class",
    "integrated_gradients",
    "rank_correlation",
    "probability_score",
    "logit_score",
    "patch_sums",
    "PixelScore",
    "numerical_score_gradient",
    "numerical_saliency",
    "occlusion_map",
    "occlusion_per_pixel",
    "fgsm_step",
    "fgsm",
    "pgd",
    "random_sign_noise",
    "accuracy",
    "attack_curve",
    "adversarial_finetune",
    "show_filters_and_maps",
    "draw_layer",
    "draw_explanation",
    "draw_attack",
    "show_grad_cam_and_maximised",
    "plot_attack_curve",
]

# Where each convolution's ReLU output sits in :func:`cnn_helpers.models.digits_cnn`:
# ``model[:end]`` runs the network up to and including that ReLU.
CONV_STAGES = {"conv 1 + ReLU": 2, "conv 2 + ReLU": 4, "conv 3 + ReLU": 7}


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------

def _check_batch(x, op):
    """``x`` as a float array of shape ``(N, C, H, W)``, or a ValueError naming its shape."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a batch of images (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    return x


def _check_labels(x, labels, op, name="y"):
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or labels.dtype.kind not in "iu":
        raise ValueError(f"{op}: {name} must hold one integer class per image, shape ({len(x)},); "
                         f"got shape {labels.shape} and dtype {labels.dtype} for x of shape {x.shape}")
    return labels


def _check_image(image, op):
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"{op}: expected one image (C, H, W), got shape {image.shape}")
    return image


def _check_eps(eps, op):
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.number)) \
            or not eps >= 0:
        raise ValueError(f"{op}: eps must be a number >= 0, got {eps!r}")
    return float(eps)


# --------------------------------------------------------------------------
# Inside: feature maps
# --------------------------------------------------------------------------

def layer_maps(model, image, stage):
    """The feature maps of one image after the convolution ``stage`` of the digits CNN.

    image : ``(1, H, W)``; stage : a key of :data:`CONV_STAGES`.
    Returns ``(C_stage, H_stage, W_stage)``, e.g. ``(16, 8, 8)`` for ``"conv 1 + ReLU"``.
    """
    image = _check_image(image, "layer_maps")
    if stage not in CONV_STAGES:
        raise ValueError(f"layer_maps: stage must be one of {list(CONV_STAGES)}, got {stage!r}")
    return predict_logits(model[:CONV_STAGES[stage]], image[None])[0]


# --------------------------------------------------------------------------
# Gradients with respect to the input
# --------------------------------------------------------------------------

def input_gradient(model, x, grad_of_logits):
    """Gradient of a scalar function of the logits with respect to the input images.

    x : ``(N, C, H, W)``. ``grad_of_logits(logits) -> (N, K)`` gives the gradient of the
    scalar with respect to the ``(N, K)`` logits. The model runs in evaluation mode (dropout
    off), as it does when it classifies; the same backward pass that trains the network
    carries the gradient down to the pixels. The parameter gradients this leaves behind are
    cleared, so a later training step does not pick them up.

    Returns an array of the shape of ``x``.
    """
    x = _check_batch(x, "input_gradient")
    was_training = model.training
    model.eval()
    try:
        logits = model(x)
        grad = model.backward(np.asarray(grad_of_logits(logits), dtype=logits.dtype))
    finally:
        model.zero_grad()
        model.train(was_training)
    return grad


def score_gradient(model, x, classes):
    """``d logit[classes[i]] / d x[i]`` for every image: ``(N, C, H, W)``.

    The class score is the logit before softmax, the usual choice for saliency (Simonyan et
    al., 2014): the softmax would mix in every other class.
    """
    x = _check_batch(x, "score_gradient")
    classes = _check_labels(x, classes, "score_gradient", name="classes")

    def pick(logits):
        g = np.zeros_like(logits)
        g[np.arange(len(classes)), classes] = 1.0
        return g

    return input_gradient(model, x, pick)


def loss_gradient(model, x, y):
    """Gradient of each image's own cross-entropy loss with respect to that image: ``(N, C, H, W)``.

    The losses are summed, not averaged, so the gradient of image ``i`` does not shrink with
    the batch size (only its sign matters for FGSM, but saliency-style plots use its size).
    """
    x = _check_batch(x, "loss_gradient")
    y = _check_labels(x, y, "loss_gradient")
    return input_gradient(model, x, lambda logits: cross_entropy_backward(logits, y, reduction="sum"))


def saliency_map(model, x, classes):
    """Saliency ``|d logit[class] / d pixel|``, the largest over colour channels: ``(N, H, W)``."""
    return np.abs(score_gradient(model, x, classes)).max(axis=1)


def grad_cam(model, x, classes, stage="conv 2 + ReLU"):
    """Grad-CAM (Selvaraju et al., 2017) of the digits CNN at one convolution stage: ``(N, h, w)``.

    The feature maps ``A_k`` after ``stage`` are weighted by ``alpha_k``, the mean over the
    grid of ``d logit[class] / d A_k``, summed over ``k`` and passed through a ReLU. The maps
    have the stage's grid (8x8 for ``"conv 2 + ReLU"``, 4x4 for ``"conv 3 + ReLU"``).
    """
    x = _check_batch(x, "grad_cam")
    classes = _check_labels(x, classes, "grad_cam", name="classes")
    if stage not in CONV_STAGES:
        raise ValueError(f"grad_cam: stage must be one of {list(CONV_STAGES)}, got {stage!r}")
    end = CONV_STAGES[stage]

    def pick(logits):
        g = np.zeros_like(logits)
        g[np.arange(len(classes)), classes] = 1.0
        return g

    # A slice is a new Sequential in training mode that shares the layers; put both halves
    # in evaluation mode, and give the layers back the model's own mode afterwards.
    was_training = model.training
    try:
        maps = model[:end].eval()(x)                             # (N, K, h, w)
        grad = input_gradient(model[end:].eval(), maps, pick)    # d logit / d maps
    finally:
        model.train(was_training)
    alpha = grad.mean(axis=(2, 3), keepdims=True)                # (N, K, 1, 1)
    return np.maximum((alpha * maps).sum(axis=1), 0.0)


def maximise_class(model, classes, steps=200, lr=0.05, l2=0.05, shape=(1, 8, 8), x_max=1.0):
    """Activation maximisation (Erhan et al., 2009), on class scores as Simonyan et al. (2014)
    use it: the input that maximises a class score.

    Gradient ascent on ``logit[class](x) - l2 * ||x||^2`` from a grey image, every pixel kept
    in ``[0, x_max]``; the small L2 penalty pulls towards black the pixels the score does not
    push up. Returns ``(len(classes), *shape)``.
    """
    classes = np.asarray(classes)
    x = np.full((len(classes), *shape), 0.5 * x_max, dtype=np.float32)
    for _ in range(steps):
        grad = score_gradient(model, x, classes) - 2 * l2 * x
        x = np.clip(x + lr * grad, 0.0, x_max).astype(np.float32)
    return x


def integrated_gradients(gradient, x, baseline, steps=32):
    """Integrated gradients (Sundararajan et al., 2017) of one image, by the midpoint rule.

    gradient : ``batch (N, C, H, W) -> (N, C, H, W)``, the gradient of a score;
    x, baseline : ``(C, H, W)``. The gradient is averaged at the ``steps`` midpoints
    ``t = (k - 1/2) / steps`` of the straight path ``baseline + t (x - baseline)``, all in one
    batch, and multiplied by ``x - baseline``. Returns ``(C, H, W)`` attributions that add up
    to ``score(x) - score(baseline)`` up to the rule's error (completeness).
    """
    x = _check_image(x, "integrated_gradients").astype(np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    if baseline.shape != x.shape:
        raise ValueError(f"integrated_gradients: baseline has shape {baseline.shape}, "
                         f"x has shape {x.shape}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"integrated_gradients: steps must be a positive int, got {steps!r}")
    t = (np.arange(steps) + 0.5) / steps
    path = baseline[None] + t[:, None, None, None] * (x - baseline)[None]
    return (x - baseline) * np.asarray(gradient(path), dtype=np.float64).mean(axis=0)


def rank_correlation(a, b):
    """Spearman rank correlation of two maps of one shape, flattened (a float in [-1, 1])."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"rank_correlation: maps of shapes {a.shape} and {b.shape}")
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


# --------------------------------------------------------------------------
# Occlusion and finite differences: explanations without backward passes
# --------------------------------------------------------------------------

class PixelScore:
    """A hand-made score ``batch (N, C, H, W) -> (N,)``: ``squash(sum(weight * image))``.

    weight : ``(C, H, W)``; squash : ``"linear"``, ``"square"`` or ``"tanh"``. Small enough to
    work out by hand, which makes it a test case for explanations: for ``"linear"`` the
    gradient is ``weight`` itself and covering a patch removes exactly its pixels' share;
    :meth:`gradient` gives the gradient of every squash in closed form.
    """

    _SQUASH = {"linear": lambda t: t, "square": np.square, "tanh": np.tanh}
    _SLOPE = {"linear": np.ones_like, "square": lambda t: 2 * t,
              "tanh": lambda t: 1 - np.tanh(t) ** 2}

    def __init__(self, weight, squash="linear"):
        if squash not in self._SQUASH:
            raise ValueError(f"PixelScore: squash must be one of {list(self._SQUASH)}, got {squash!r}")
        self.weight = np.asarray(weight, dtype=np.float64)
        if self.weight.ndim != 3:
            raise ValueError(f"PixelScore: weight must be (C, H, W), got shape {self.weight.shape}")
        self.squash = squash

    def _inner(self, batch):
        batch = np.asarray(batch, dtype=np.float64)
        if batch.ndim != 4 or batch.shape[1:] != self.weight.shape:
            raise ValueError(f"PixelScore: expected a batch (N, {', '.join(map(str, self.weight.shape))}),"
                             f" got shape {batch.shape}")
        return (batch * self.weight).sum(axis=(1, 2, 3))

    def __call__(self, batch):
        return self._SQUASH[self.squash](self._inner(batch))

    def gradient(self, batch):
        """The exact ``d score / d batch`` for every image: ``(N, C, H, W)``."""
        return self._SLOPE[self.squash](self._inner(batch))[:, None, None, None] * self.weight

    def __repr__(self):
        return f"PixelScore({self.squash}, weight of shape {self.weight.shape})"


def numerical_score_gradient(score, image, h=1e-4):
    """The gradient of ``score`` at one image by central differences: ``(C, H, W)``.

    score : ``batch (N, C, H, W) -> (N,)``; image : ``(C, H, W)``. Entry ``p`` is
    ``(score(x + h e_p) - score(x - h e_p)) / (2h)``, where ``e_p`` is 1 at pixel ``p`` and 0
    elsewhere; all nudged copies go through ``score`` as one batch. Two evaluations per
    pixel: slow for big images, which is why backward passes exist.
    """
    image = _check_image(image, "numerical_score_gradient").astype(np.float64)
    n = image.size
    nudge = np.eye(n).reshape(n, *image.shape) * h
    up = np.asarray(score(image[None] + nudge), dtype=np.float64)
    down = np.asarray(score(image[None] - nudge), dtype=np.float64)
    return ((up - down) / (2 * h)).reshape(image.shape)


def numerical_saliency(score, image, h=1e-4):
    """Saliency by central differences: ``|d score / d pixel|``, the largest over channels.

    The finite-difference twin of :func:`saliency_map`. image : ``(C, H, W)``; returns ``(H, W)``.
    """
    return np.abs(numerical_score_gradient(score, image, h)).max(axis=0)


def probability_score(model, label):
    """A function ``batch (N, C, H, W) -> (N,)``: the model's probability of ``label``."""
    def score(batch):
        # predict_logits runs in evaluation mode and restores the model's mode afterwards.
        return softmax(predict_logits(model, np.asarray(batch, dtype=np.float32)), dim=1)[:, label]
    return score


def logit_score(model, label):
    """A function ``batch (N, C, H, W) -> (N,)``: the model's logit (score) of ``label``.

    The quantity saliency differentiates, so occlusion of it compares like with like.
    """
    def score(batch):
        return predict_logits(model, np.asarray(batch, dtype=np.float32))[:, label]
    return score


def patch_sums(values, size):
    """Sums of ``values (H, W)`` over every ``size x size`` window, stride 1:
    ``(H - size + 1, W - size + 1)``, the grid of :func:`occlusion_map`."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"patch_sums: expected a 2D map, got shape {values.shape}")
    return np.lib.stride_tricks.sliding_window_view(values, (size, size)).sum(axis=(2, 3))


def occlusion_map(score, image, size=2, fill=0.0):
    """How much ``score`` drops when a ``size x size`` patch of ``image`` is covered.

    score : ``batch (N, C, H, W) -> (N,)``, e.g. :func:`probability_score`.
    image : ``(C, H, W)``. The patch slides with stride 1 over every position where it fits,
    and is painted with ``fill`` in every channel (0 is the background of the digits).

    Returns ``(H - size + 1, W - size + 1)``: entry ``[i, j]`` is
    ``score(image) - score(image with rows i..i+size-1, columns j..j+size-1 filled)``.
    Positive means the patch helped the score. All occluded copies go through ``score``
    as one batch; ``image`` is not modified.
    """
    image = _check_image(image, "occlusion_map")
    _, h, w = image.shape
    if not 1 <= size <= min(h, w):
        raise ValueError(f"occlusion_map: size must be between 1 and {min(h, w)} for an image "
                         f"of shape {image.shape}, got {size}")
    rows, cols = h - size + 1, w - size + 1
    copies = np.repeat(image[None], rows * cols, axis=0)
    for k in range(rows * cols):
        i, j = divmod(k, cols)
        copies[k, :, i:i + size, j:j + size] = fill
    base = np.asarray(score(image[None]), dtype=np.float64).reshape(1)
    covered = np.asarray(score(copies), dtype=np.float64).reshape(rows * cols)
    return (base - covered).reshape(rows, cols)


def occlusion_per_pixel(drops, size):
    """Spread an occlusion map back onto pixels: each pixel gets the mean drop of the patches
    that covered it. ``drops (H - size + 1, W - size + 1) -> (H, W)``."""
    drops = np.asarray(drops, dtype=np.float64)
    if drops.ndim != 2:
        raise ValueError(f"occlusion_per_pixel: expected a 2D map, got shape {drops.shape}")
    h, w = drops.shape[0] + size - 1, drops.shape[1] + size - 1
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for (i, j), value in np.ndenumerate(drops):
        total[i:i + size, j:j + size] += value
        count[i:i + size, j:j + size] += 1
    return total / count


# --------------------------------------------------------------------------
# Attacks
# --------------------------------------------------------------------------

def fgsm_step(x, grad, eps, x_max=1.0):
    """The fast gradient sign step ``clip(x + eps * sign(grad), 0, x_max)``.

    x, grad : arrays of one shape. Each pixel moves by exactly ``eps`` in the direction that
    increases the loss to first order, unless the move would leave the valid range
    ``[0, x_max]``, or the gradient there is exactly 0. Returns an array like ``x``.
    """
    x, grad = np.asarray(x), np.asarray(grad)
    if x.shape != grad.shape:
        raise ValueError(f"fgsm_step: x has shape {x.shape} but grad has shape {grad.shape}")
    eps = _check_eps(eps, "fgsm_step")
    return np.clip(x + eps * np.sign(grad), 0.0, x_max).astype(x.dtype, copy=False)


def fgsm(model, x, y, eps, x_max=1.0):
    """FGSM adversarial examples (Goodfellow et al., 2015) for images ``x`` with labels ``y``.

    One gradient of each image's loss, then :func:`fgsm_step`. Returns ``(N, C, H, W)``.
    """
    _check_eps(eps, "fgsm")
    return fgsm_step(x, loss_gradient(model, x, y), eps, x_max)


def pgd(model, x, y, eps, steps=20, step_size=None, restarts=1, seed=0, x_max=1.0):
    """Projected gradient descent (Madry et al., 2018): an ascent on the loss inside the eps-ball.

    Each run starts from a random point of the ball, ``x + U(-eps, eps)``, takes ``steps``
    FGSM steps of ``step_size`` (default ``2.5 * eps / steps``: together the steps travel
    ``2.5 eps``, more than the ball's width ``2 eps``, so every corner can be reached from any
    start) and after each one projects back onto the ball and ``[0, x_max]``.
    The images a run fails to fool get ``restarts - 1`` further runs from new random points.
    Returns ``(N, C, H, W)``: for each image the first attempt that fooled the model, else the
    last attempt.
    """
    x = _check_batch(x, "pgd")
    y = _check_labels(x, y, "pgd")
    eps = _check_eps(eps, "pgd")
    step_size = 2.5 * eps / max(steps, 1) if step_size is None else step_size
    rng = np.random.default_rng(seed)
    best, todo = x.copy(), np.arange(len(x))
    for _ in range(restarts):
        x0, y0 = x[todo], y[todo]
        adv = np.clip(x0 + rng.uniform(-eps, eps, x0.shape), 0, x_max).astype(x.dtype)
        for _ in range(steps):
            adv = fgsm_step(adv, loss_gradient(model, adv, y0), step_size, x_max)
            adv = np.clip(adv, x0 - eps, x0 + eps)          # back onto the eps-ball
        best[todo] = adv
        todo = todo[predict(model, adv) == y0]              # restart only the survivors
        if len(todo) == 0:
            break
    return best


def random_sign_noise(x, eps, seed=0, x_max=1.0):
    """The control: every pixel moved by ``+eps`` or ``-eps`` at random, then clipped.

    Same size as an FGSM perturbation (the same max-norm ``eps``), but blind to the model.
    """
    x = _check_batch(x, "random_sign_noise")
    eps = _check_eps(eps, "random_sign_noise")
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=x.shape)
    return np.clip(x + eps * signs, 0.0, x_max).astype(x.dtype, copy=False)


def accuracy(model, x, y):
    """Fraction of images ``x`` classified as ``y``, in evaluation mode."""
    return float(np.mean(predict(model, x) == y))


@dataclass(frozen=True)
class AttackCurve:
    """Accuracy against the budget ``eps`` under FGSM and under random-sign noise."""

    eps: np.ndarray           # (E,)
    fgsm: np.ndarray          # (E,) accuracy on FGSM examples
    random: np.ndarray        # (E,) accuracy on random-sign noise of the same size

    def at(self, eps):
        """``(fgsm accuracy, random accuracy)`` at one of the measured budgets."""
        k = int(np.flatnonzero(np.isclose(self.eps, eps))[0])
        return float(self.fgsm[k]), float(self.random[k])


def attack_curve(model, x, y, eps_values, seed=0, x_max=1.0):
    """Measure accuracy on ``(x, y)`` under FGSM and random-sign noise for every budget.

    The FGSM direction ``sign(grad)`` does not depend on ``eps``, so one backward pass
    serves the whole curve; each budget then costs one forward pass per attack.
    """
    x = _check_batch(x, "attack_curve")
    y = _check_labels(x, y, "attack_curve")
    eps_values = np.asarray(eps_values, dtype=np.float64)
    grad = loss_gradient(model, x, y)
    adv = [accuracy(model, fgsm_step(x, grad, e, x_max), y) for e in eps_values]
    rnd = [accuracy(model, random_sign_noise(x, e, seed, x_max), y) for e in eps_values]
    return AttackCurve(eps_values, np.array(adv), np.array(rnd))


def adversarial_finetune(model, x, y, eps, epochs=3, batch_size=32, lr=1e-3, seed=0,
                         perturb="FGSM", x_max=1.0, on_epoch=None):
    """A copy of ``model`` trained further on clean and perturbed images, half and half.

    perturb : ``"FGSM"`` builds the FGSM examples of each batch against the *current*
    weights (Goodfellow et al., 2015); ``"random signs"`` is the control, random-sign noise
    of the same size, for the same steps. Each step is one Adam step on the loss of the
    clean batch plus its perturbed copy. ``on_epoch(epoch, model)``, if given, is called
    after every epoch (counted from 1) with the model in evaluation mode, e.g. to measure
    it on validation data. The model passed in is left untouched.
    """
    x = _check_batch(x, "adversarial_finetune")
    y = _check_labels(x, y, "adversarial_finetune")
    if perturb not in ("FGSM", "random signs"):
        raise ValueError(f"adversarial_finetune: perturb must be 'FGSM' or 'random signs', "
                         f"got {perturb!r}")
    robust = copy.deepcopy(model)
    optimizer = Adam(robust.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        for idx in iterate_minibatches(len(x), batch_size, rng):
            xb, yb = x[idx], y[idx]
            if perturb == "FGSM":       # attack the weights as they are now (dropout off)
                moved = fgsm(robust, xb, yb, eps, x_max)
            else:
                moved = random_sign_noise(xb, eps, rng, x_max)
            both, labels = np.concatenate([xb, moved]), np.concatenate([yb, yb])
            robust.train()
            logits = robust(both)
            optimizer.zero_grad()
            robust.backward(cross_entropy_backward(logits, labels))
            optimizer.step()
        if on_epoch is not None:
            on_epoch(epoch + 1, robust.eval())
    return robust.eval()


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def _grey(ax, image, title, vmax=1.0):
    ax.imshow(image, cmap="gray", vmin=0, vmax=vmax)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def _heat(ax, values, title, cmap="magma"):
    ax.imshow(values, cmap=cmap, vmin=0, vmax=float(np.max(values)) or 1.0)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def _signed(ax, values, bound, title):
    ax.imshow(values, cmap=plotting.DIVERGING, vmin=-bound, vmax=bound)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def _probabilities(ax, probs, label):
    colours = ["#2a6fb0"] * len(probs)
    colours[int(np.argmax(probs))] = "#c03030" if np.argmax(probs) != label else "#2a9030"
    ax.bar(np.arange(len(probs)), probs, color=colours)
    ax.set_xticks(np.arange(len(probs)))
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0, 0.5, 1])
    ax.tick_params(labelsize=11)
    ax.set_title(f"prediction: {int(np.argmax(probs))} ({probs.max():.2f})", fontsize=11)


def show_filters_and_maps(model, image, label=None):
    """First-layer filters (top row) and the 16 maps they make of ``image (1, H, W)``."""
    weight = model[0].weight.data[:, 0]
    maps = layer_maps(model, image, "conv 1 + ReLU")
    fig, axes = plotting.subplots(2, len(weight) + 1, height=1.9)
    _grey(axes[1, 0], image[0], "input" if label is None else f"a {label}")
    axes[0, 0].set_axis_off()
    axes[0, 0].text(0.5, 0.5, "filters", ha="center", va="center", fontsize=11,
                    transform=axes[0, 0].transAxes)
    bound = float(np.abs(weight).max())
    top = float(maps.max()) or 1.0
    for k in range(len(weight)):
        _signed(axes[0, k + 1], weight[k], bound, str(k + 1))
        axes[1, k + 1].imshow(maps[k], cmap="gray", vmin=0, vmax=top)
        axes[1, k + 1].set_axis_off()
    return fig


def draw_layer(model, image, stage, label=None):
    """One slider frame: ``image (1, H, W)`` and every feature map of one convolution stage.

    Maps follow a ReLU, so black is 0; one grey scale per stage. Tiles are separated by
    white gaps (NaN), 8 maps per row, so 16, 32 and 64 maps make 2, 4 and 8 rows.
    """
    import matplotlib.pyplot as plt

    maps = layer_maps(model, image, stage)
    count, h, w = maps.shape
    gap = max(1, h // 4)
    cols = 8
    rows = -(-count // cols)
    tiled = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for k in range(count):
        r, c = divmod(k, cols)
        tiled[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = maps[k]
    fig, (left, right) = plotting.subplots(1, 2, height=2.8, gridspec_kw=dict(width_ratios=[1, 2.6]))
    _grey(left, image[0], "input" if label is None else f"a {label}")
    right.imshow(tiled, cmap=plt.get_cmap("gray").with_extremes(bad="white"),
                 vmin=0, vmax=float(maps.max()) or 1.0)
    right.set_axis_off()
    right.set_title(f"{stage}: {count} maps of {h}x{w}", fontsize=11)
    return fig


def draw_explanation(model, image, label, size=2):
    """One slider frame: a digit, its saliency map and its occlusion map, and the prediction.

    image : ``(1, H, W)`` with true class ``label``. Both maps explain the score of the true
    class: saliency by the gradient of its logit, occlusion by the drop of its probability
    when a ``size x size`` patch is blanked (spread back onto pixels).
    """
    sal = saliency_map(model, image[None], np.array([label]))[0]
    occ = occlusion_per_pixel(occlusion_map(probability_score(model, label), image, size), size)
    model.eval()
    probs = softmax(model(image[None].astype(np.float32)), dim=1)[0]
    fig, axes = plotting.subplots(1, 4, height=1.9, gridspec_kw=dict(width_ratios=[1, 1, 1, 1.6]))
    _grey(axes[0], image[0], f"a {label}")
    _heat(axes[1], sal, "saliency |d score/dx|")
    bound = float(np.abs(occ).max()) or 1.0
    _signed(axes[2], occ, bound, f"occlusion ({size}x{size})")
    _probabilities(axes[3], probs, label)
    fig.tight_layout(w_pad=2.5)  # room for the titles at the book's text size
    return fig


def draw_attack(model, image, label, eps, kind="FGSM", seed=0, x_max=1.0):
    """One slider frame: the attacked digit, the perturbation and the predicted probabilities.

    image : ``(1, H, W)``; kind : ``"FGSM"`` or ``"random signs"`` (the same max-norm ``eps``).
    """
    batch = image[None].astype(np.float32)
    if kind == "FGSM":
        attacked = fgsm(model, batch, np.array([label]), eps, x_max)
    elif kind == "random signs":
        attacked = random_sign_noise(batch, eps, seed, x_max)
    else:
        raise ValueError(f"draw_attack: kind must be 'FGSM' or 'random signs', got {kind!r}")
    model.eval()
    probs = softmax(model(attacked), dim=1)[0]
    fig, axes = plotting.subplots(1, 4, height=1.9, gridspec_kw=dict(width_ratios=[1, 1, 1, 1.6]))
    _grey(axes[0], image[0], f"clean: a {label}")
    _grey(axes[1], attacked[0, 0], f"{kind},\neps = {eps:g}")
    # The colour scale is the budget, so a full-strength push is always full red or blue.
    _signed(axes[2], attacked[0, 0] - image[0], eps or 1.0, "perturbation (±eps)")
    _probabilities(axes[3], probs, label)
    fig.tight_layout(w_pad=2.5)  # room for the titles at the book's text size
    return fig


def show_grad_cam_and_maximised(images, labels, cams, maximised):
    """Two rows: digits with their Grad-CAM maps overlaid, and one maximised input per class.

    images : ``(M, 1, H, W)`` with ``labels (M,)`` and ``cams (M, H, W)``;
    maximised : ``(K, 1, H, W)``, the input that maximises the score of class ``k``.
    """
    cols = max(len(images), len(maximised))
    fig, axes = plotting.subplots(2, cols, height=1.9 * 2)
    for ax in axes.ravel():
        ax.set_axis_off()
    # Every other column when there is room, so that the titles have space to be read.
    step = max(1, cols // max(1, len(images)))
    for k, (image, label, cam) in enumerate(zip(images, labels, cams, strict=True)):
        _grey(axes[0, step * k], image[0], f"a {label}")
        axes[0, step * k].imshow(cam, cmap="magma", alpha=0.6, vmin=0,
                                 vmax=float(cam.max()) or 1.0)
    for k, picture in enumerate(maximised):
        _grey(axes[1, k], picture[0], f"class {k}")
    fig.tight_layout()
    return fig


def plot_attack_curve(curves, robust_curves=None, ax=None, ylabel="accuracy"):
    """Accuracy against ``eps``: FGSM, random signs, and optionally FGSM on robust models.

    ``curves`` and ``robust_curves`` are one :class:`AttackCurve` each, or sequences of them
    (e.g. one per training seed), drawn as one line per curve in the same colour.
    """
    def as_list(given):
        if given is None:
            return []
        return [given] if isinstance(given, AttackCurve) else list(given)

    curves, robust_curves = as_list(curves), as_list(robust_curves)
    if not curves:
        raise ValueError("plot_attack_curve: give at least one AttackCurve")
    if ax is None:
        fig, ax = plotting.subplots(height=2.8)
    else:
        fig = ax.figure
    alpha = 1.0 if len(curves) == 1 else 0.7

    def label(text, k):
        return text if k == 0 else "_nolegend_"

    for k, curve in enumerate(curves):
        ax.plot(curve.eps, curve.random, "o-", color="#808080", alpha=alpha,
                label=label("random signs", k))
        ax.plot(curve.eps, curve.fgsm, "o-", color="#c03030", alpha=alpha,
                label=label("FGSM", k))
    robust_label = ("FGSM on the adversarially trained model" if len(robust_curves) == 1
                    else "FGSM on the adversarially trained models")
    for k, curve in enumerate(robust_curves):
        ax.plot(curve.eps, curve.fgsm, "s--", color="#2a6fb0", alpha=alpha,
                label=label(robust_label, k))
    ax.set_xlabel("budget eps (max change of a pixel, pixels in [0, 1])")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=11, loc="center right")
    fig.tight_layout()
    return fig
