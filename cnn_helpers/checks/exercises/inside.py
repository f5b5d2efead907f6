"""Checkers for chapter 9, looking inside a network and attacking it."""

from __future__ import annotations

import numpy as np

from ..functions import check_function
from ..running import guarded
from ..values import check_value
from ._common import with_cases


def _demos():
    from ...demos import inside  # imported late: it brings in the plotting

    return inside


def _saliency_cases():
    score = _demos().PixelScore
    rng = np.random.default_rng(9)
    return [(score(rng.standard_normal((1, 3, 3))), rng.random((1, 3, 3))),
            (score(rng.standard_normal((1, 4, 4)), "square"), rng.random((1, 4, 4))),
            (score(rng.standard_normal((2, 3, 3)) / 3, "tanh"), rng.random((2, 3, 3)))]


@guarded
def check_my_numerical_saliency(fn, *, cases=None):
    """``my_numerical_saliency(score, image, h=1e-4)`` against the central difference."""
    inside = _demos()
    return check_function.__wrapped__(
        fn, inside.numerical_saliency, with_cases(_saliency_cases(), cases),
        name="my_numerical_saliency", arg_names=("score", "image"), mistakes={
            "It looks like the absolute value is missing.": lambda score, image: (
                inside.numerical_score_gradient(score, image).max(axis=0)),
            "It looks like you divided by h; the two nudged images are 2h apart.":
                lambda score, image: 2 * inside.numerical_saliency(score, image),
        })


def _occlusion_cases():
    score = _demos().PixelScore
    rng = np.random.default_rng(3)
    return [(score(np.ones((1, 4, 4))), np.arange(16.0).reshape(1, 4, 4), 2),
            (score(rng.standard_normal((1, 5, 5)), "tanh"), rng.random((1, 5, 5)), 1),
            (score(rng.standard_normal((2, 5, 6)) / 4, "square"), rng.random((2, 5, 6)), 3)]


@guarded
def check_my_occlusion(fn, *, cases=None):
    """``my_occlusion(score, image, size)``: the drop of the score per covered patch."""
    inside = _demos()
    occlusion = inside.occlusion_map
    return check_function.__wrapped__(
        fn, occlusion, with_cases(_occlusion_cases(), cases), name="my_occlusion",
        arg_names=("score", "image", "size"), mistakes={
            "The sign is reversed.": lambda score, image, size: -occlusion(score, image, size),
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


@guarded
def check_my_fgsm(fn, *, cases=None):
    """``my_fgsm(x, grad, eps, x_max=1.0)``: one fast-gradient-sign step."""
    step = _demos().fgsm_step
    return check_function.__wrapped__(
        fn, step, with_cases(_fgsm_cases(), cases), name="my_fgsm",
        arg_names=("x", "grad", "eps", "x_max"), mistakes={
            "It looks like the result was not clipped to the valid range.":
                lambda x, grad, eps, x_max=1.0: x + eps * np.sign(grad),
            "It looks like you moved by eps times the gradient itself.":
                lambda x, grad, eps, x_max=1.0: np.clip(x + eps * grad, 0, x_max),
            "That step lowers the loss: an attack raises it.":
                lambda x, grad, eps, x_max=1.0: step(x, -grad, eps, x_max),
        })


def check_fgsm_l2_size(fn, **kw):
    """The L2 length of an unclipped FGSM perturbation, eps = 0.1, on 8 x 8 pixels."""
    delta = np.full(64, 0.1)
    return check_value(fn, float(np.linalg.norm(delta)), name="fgsm_l2_size", mistakes={
        "That is the largest entry (the max-norm), not the Euclidean length.":
            float(np.abs(delta).max()),
        "That is the sum of the squares, without the square root.": float(np.sum(delta**2)),
        "That is the sum of the absolute values (the L1 norm).": float(np.abs(delta).sum()),
    }, **kw)
