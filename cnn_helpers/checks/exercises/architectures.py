"""Checkers for chapter 7, architectures."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
from ...gradcheck import numerical_gradient
from ..counts import Conv, Linear, check_count
from ..functions import check_function
from ..running import guarded
from ..values import check_shape
from ._common import with_cases

FIELD_CASES = [([],), ([(3, 1), (3, 1)],), ([(5, 1), (2, 2), (5, 1), (2, 2)],),
               ([(11, 4), (3, 2), (5, 1), (3, 2)],), ([(7, 2), (3, 2), (3, 1), (3, 1)],)]


def _no_jump(layers):
    return 1 + sum(k - 1 for k, _ in layers), int(np.prod([s for _, s in layers]))


def _stride_first(layers):
    field, step = 1, 1
    for k, s in layers:
        step *= s
        field += (k - 1) * step
    return field, step


def _field_by_tracing(layers):
    """The oracle: follow the input positions that reach outputs 0 and 1 of the top layer
    down through every layer (a window of k at stride s covers s*i .. s*i + k - 1)."""
    def span(index):
        lo = hi = index
        for k, s in reversed(layers):
            lo, hi = s * lo, s * hi + k - 1
        return lo, hi

    (lo0, hi0), (lo1, _) = span(0), span(1)
    return hi0 - lo0 + 1, lo1 - lo0


@guarded
def check_my_receptive_field(fn, *, cases=None):
    """``my_receptive_field(layers) -> (receptive_field, jump)``."""
    return check_function.__wrapped__(
        fn, _field_by_tracing, with_cases(FIELD_CASES, cases), name="my_receptive_field",
        mistakes={
            "It looks like every layer widens the field by k - 1 pixels, "
            "whatever the strides below it.": _no_jump,
            "It looks like you updated the jump before widening the field.": _stride_first,
        })


def check_vgg_block_params(fn, **kw):
    """VGG-16's third block: three 3 x 3 convolutions to 256 channels from 128."""
    layers = [Conv(128, 256, 3), Conv(256, 256, 3), Conv(256, 256, 3)]
    return check_count(fn, layers, name="vgg_block_params", **kw)


def check_alexnet_conv1_shape(fn, **kw):
    """AlexNet's first layer (64 filters, 11 x 11, stride 4, padding 2) on 3 x 224 x 224."""
    side = conv_output_size(224, 11, 4, 2)
    unpadded = conv_output_size(224, 11, 4, 0)
    return check_shape(fn, (64, side, side), name="alexnet_conv1_shape", mistakes={
        "It looks like you forgot the padding.": (64, unpadded, unpadded),
        "That is channels-last; this book writes shapes channels first, (C, H, W).":
            (side, side, 64),
        "It looks like the output depth is the input's number of channels.": (3, side, side),
    }, **kw)


SKETCH_LAYERS = [Conv(3, 32, 3), Conv(32, 32, 3), Conv(32, 64, 3), Conv(64, 64, 3),
                 Linear(64 * 8 * 8, 256), Linear(256, 10)]


def check_sketch(fn, **kw):
    """The parameters of the network ``sketch()`` lists, on 3 x 32 x 32 images."""
    from ...architectures import count_parameters

    one_pool = [*SKETCH_LAYERS[:4], Linear(64 * 16 * 16, 256), SKETCH_LAYERS[-1]]
    return check_count(
        lambda: count_parameters(fn(), (3, 32, 32)), SKETCH_LAYERS, name="sketch",
        mistakes={"It looks like the first dense layer reads the maps after only "
                  "one pooling.": sum(layer.weights() + layer.biases() for layer in one_pool)},
        **kw)


# ---------------------------------------------------------------------------
# The backward pass of batch normalisation over (N, C, H, W)
# ---------------------------------------------------------------------------

BN_AXES = (0, 2, 3)


def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalisation of (N, C, H, W), per channel over N, H, W."""
    mean = x.mean(axis=BN_AXES, keepdims=True)
    var = x.var(axis=BN_AXES, keepdims=True)
    per_channel = (1, -1, 1, 1)
    return gamma.reshape(per_channel) * (x - mean) / np.sqrt(var + eps) + beta.reshape(per_channel)


def batchnorm2d_oracle(grad_out, x, gamma, eps=1e-5):
    """(grad_x, grad_gamma, grad_beta) by central differences of the forward pass alone."""
    x, gamma = np.array(x, dtype=float), np.array(gamma, dtype=float)
    beta = np.zeros_like(gamma)

    def loss(_):
        return np.sum(batchnorm2d_forward(x, gamma, beta, eps) * grad_out)

    return tuple(numerical_gradient(loss, a) for a in (x, gamma, beta))


def _bn_cases():
    rng = np.random.default_rng(71)
    cases = []
    for shape in [(4, 3, 3, 3), (2, 2, 2, 3), (5, 1, 2, 2)]:
        x = rng.normal(1.5, 2.0, size=shape)
        gamma = rng.normal(1.0, 0.5, size=shape[1])
        cases.append((rng.standard_normal(shape), x, gamma))
    return cases


def _bn_variant(g, x, gamma, eps=1e-5, *, axes=BN_AXES, ddof=0, mean_term=True,
                var_term=True, scale=True, var_divisor=None, sum_for_mean=False):
    """The three gradients with one usual mistake switched on.

    ``axes``: where the statistics are taken; ``ddof=1``: the unbiased variance;
    ``mean_term``/``var_term``: the terms that come from the batch mean and
    variance; ``scale=False``: gamma left out of grad_x; ``var_divisor``: what the
    variance term's sum is divided by (the number of values, unless given);
    ``sum_for_mean``: the mean term's mean written as a sum.
    """
    count = int(np.prod([x.shape[a] for a in axes]))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, ddof=ddof, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    shaped = gamma.reshape(1, -1, 1, 1)
    g_scaled = g * shaped if scale else g
    grad_x = g_scaled.copy()
    if mean_term:
        reduce = g_scaled.sum if sum_for_mean else g_scaled.mean
        grad_x -= reduce(axis=axes, keepdims=True)
    if var_term:
        divisor = count if var_divisor is None else var_divisor
        grad_x -= x_hat * (g_scaled * x_hat).sum(axis=axes, keepdims=True) / divisor
    return grad_x * inv_std, (g * x_hat).sum(axis=BN_AXES), g.sum(axis=BN_AXES)


def _x_hat(x, eps):
    mean, var = x.mean(axis=BN_AXES, keepdims=True), x.var(axis=BN_AXES, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def batchnorm_mistakes():
    """Usual mistakes of the batch-normalisation backward pass, by part."""

    def unbiased_everywhere(g, x, gamma, eps=1e-5):
        count = x.size // x.shape[1]
        return _bn_variant(g, x, gamma, eps, ddof=1, var_divisor=count - 1)

    unbiased = ("It looks like the unbiased variance (dividing by m - 1) was used; batch "
                "normalisation divides by the number m of values, as np.var does by default.")
    sums = ("It looks like the two correction terms use sums where the formula has means "
            "(divide by m = N H W).")
    per_position = ("It looks like the statistics were taken over the batch only, position by "
                    "position; a convolution's channel is normalised over N, H and W together.")
    return {
        "grad_x": {
            "It looks like the batch mean and variance were treated as constants: they "
            "depend on every input of the batch, which adds two terms to grad_x.":
                lambda g, x, gm, eps=1e-5: _bn_variant(
                    g, x, gm, eps, mean_term=False, var_term=False)[0],
            "It looks like the term that comes from the batch variance is missing.":
                lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, var_term=False)[0],
            "It looks like the term that comes from the batch mean is missing.":
                lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, mean_term=False)[0],
            "It looks like gamma is missing from grad_x: the output is gamma times x_hat, "
            "so the gradient reaching x_hat is gamma times grad_out.":
                lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, scale=False)[0],
            unbiased: lambda g, x, gm, eps=1e-5: unbiased_everywhere(g, x, gm, eps)[0],
            unbiased + " ": lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, ddof=1)[0],
            per_position: lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, axes=(0,))[0],
            sums: lambda g, x, gm, eps=1e-5: _bn_variant(
                g, x, gm, eps, sum_for_mean=True, var_divisor=1)[0],
            "It looks like the correction term from the batch mean uses a sum where the "
            "formula has a mean (divide by m = N H W).":
                lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, sum_for_mean=True)[0],
            "It looks like the correction term from the batch variance uses a sum where the "
            "formula has a mean (divide by m = N H W).":
                lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, var_divisor=1)[0],
        },
        "grad_gamma": {
            "It looks like grad_gamma multiplies grad_out by x; gamma scales the "
            "normalised x_hat.":
                lambda g, x, gm, eps=1e-5: (g * x).sum(axis=BN_AXES),
            unbiased: lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, ddof=1)[1],
            per_position: lambda g, x, gm, eps=1e-5: _bn_variant(g, x, gm, eps, axes=(0,))[1],
            "It looks like grad_gamma was summed over the batch only: gamma[c] multiplies "
            "every position of channel c, so sum over N, H and W.":
                lambda g, x, gm, eps=1e-5: (g * _x_hat(x, eps)).sum(axis=0),
        },
        "grad_beta": {
            "It looks like grad_beta was summed over the batch only: beta[c] is added at "
            "every position of channel c, so sum over N, H and W.":
                lambda g, x, gm, eps=1e-5: g.sum(axis=0),
            "It looks like grad_beta was summed over the positions only: sum over the "
            "batch as well.": lambda g, x, gm, eps=1e-5: g.sum(axis=(2, 3)),
        },
    }


@guarded
def check_my_batchnorm2d_backward(fn, *, cases=None):
    """``my_batchnorm2d_backward(grad_out, x, gamma, eps=1e-5) -> (grad_x, grad_gamma, grad_beta)``."""
    from .backprop import check_parts

    return check_parts(fn, with_cases(_bn_cases(), cases), "my_batchnorm2d_backward",
                       batchnorm2d_oracle, ("grad_x", "grad_gamma", "grad_beta"),
                       ("grad_out", "x", "gamma"), batchnorm_mistakes())
