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


# ---------------------------------------------------------------------------
# Reading a schematic: what each layer produces, and how much of the image it sees
# ---------------------------------------------------------------------------

SCHEMATIC_INPUT = (3, 32, 32)
# (operation, filters, kernel, stride, padding), from the input up; pools keep their channels.
SCHEMATIC = [("conv", 16, 5, 1, 2), ("pool", None, 2, 2, 0), ("conv", 32, 3, 2, 1),
             ("conv", 16, 1, 1, 0), ("conv", 64, 3, 1, 0), ("pool", None, 2, 2, 0)]


def _windows(size, kernel, stride, padding):
    """How many windows fit along one axis: counted, not computed by the output-size formula."""
    return len(range(0, size + 2 * padding - kernel + 1, stride))


def schematic_rows(layers=SCHEMATIC, input_shape=SCHEMATIC_INPUT):
    """The oracle: ``(C, H, W, receptive_field)`` after every layer of ``layers``."""
    channels, height, width = input_shape
    rows = []
    for index, (kind, filters, kernel, stride, padding) in enumerate(layers):
        channels = filters if kind == "conv" else channels
        height = _windows(height, kernel, stride, padding)
        width = _windows(width, kernel, stride, padding)
        below = [(k, s) for _, _, k, s, _ in layers[: index + 1]]
        rows.append((channels, height, width, _field_by_tracing(below)[0]))
    return rows


def _describe_layer(index, layer):
    kind, filters, kernel, stride, padding = layer
    what = (f"the {kernel}x{kernel} convolution with {filters} filters" if kind == "conv"
            else f"the {kernel}x{kernel} max pooling")
    return f"layer {index + 1} ({what}, stride {stride}, padding {padding})"


def _size_mistakes(n, layer):
    """Wrong output sizes of one layer, from the right input size ``n``: {message: size}."""
    kind, _, k, s, p = layer
    mistakes = {}
    if p > 0:
        mistakes["It looks like the padding was left out: add `padding` zeros on each side "
                  "before fitting the windows."] = (n - k) // s + 1
        mistakes["It looks like the padding went on one side only: it goes on both sides."] = (
            (n + p - k) // s + 1)
    elif kind == "conv" and k > 1:
        mistakes["This layer has no padding, so the grid shrinks: a window may not stick out "
                 "over the edge."] = n
    if s > 1:
        mistakes["It looks like the stride was left out: the windows step by `stride` pixels."] = (
            (n + 2 * p - k) + 1)
        if (n + 2 * p - k) % s:
            mistakes["It looks like you rounded up: a last window that would stick out over "
                     "the edge is dropped, so round (H + 2P - K) / S down."] = (
                -(-(n + 2 * p - k) // s) + 1)
    mistakes["It looks like the + 1 of the output-size formula is missing: (H + 2P - K) / S "
             "counts the steps between windows, one fewer than the windows."] = (
        (n + 2 * p - k) // s)
    if kind == "pool":
        mistakes["It looks like the pooling kept the grid's size: its windows step by the "
                 "stride, so the grid shrinks."] = n
    return mistakes


def _field_mistakes(field, jump, layer, pool_jump=None):
    """Wrong receptive fields of one layer, from the right field and jump below: {message: field}.

    ``pool_jump`` is the jump that counts the poolings' strides alone.
    """
    _, _, k, s, _ = layer
    mistakes = {
        "It looks like the field grew by k - 1 pixels of the image: a window of this layer "
        "steps over the grid of the layer below, whose neighbours are `jump` pixels of the "
        "image apart (the product of the strides below).": field + (k - 1),
        "It looks like the jump was updated before the field was widened: this layer's own "
        "stride spaces the layers above, not its own window.": field + (k - 1) * jump * s,
        "It looks like the field grew by k steps of the jump; a window of k values spans "
        "only k - 1 steps between them.": field + k * jump,
        "It looks like you gave the window of this layer on the layer below; the receptive "
        "field is measured on the input image.": k,
    }
    if pool_jump is not None and pool_jump != jump:
        mistakes["It looks like the jump ignored a strided convolution below: a convolution's "
                  "stride spaces the layers above just as a pooling's does."] = (
            field + (k - 1) * pool_jump)
    if layer[0] == "pool":
        mistakes["A pooling window also widens the receptive field: each of its values "
                 "sees every input of its window."] = field
    return mistakes


def _row_problem(index, got, want, before, layer):
    """(message, details) for the first wrong row, given the right state ``before`` it."""
    c_in, n_in, field_in, jump_in, pool_jump = before
    kind, filters, k, s, _ = layer
    name = _describe_layer(index, layer)
    details = [f"Your row for {name} is {got}."]
    if index == 0 and got == (*SCHEMATIC_INPUT, 1):
        return ("Your first row is the input image; the rows start with layer 1's output.",
                details)
    if got == (want[1], want[2], want[0], want[3]) and want[0] != want[1]:
        return "That row is channels-last; this book writes (C, H, W, receptive_field).", details
    channels, height, width, field = got
    if channels != want[0]:
        if kind == "pool":
            return (f"The channels of {name} are not right: pooling works on each channel "
                    "separately, so it keeps their number.", details)
        if channels == c_in:
            return (f"The channels of {name} are not right: a convolution's output has one "
                    "channel per filter, whatever the number of channels it reads.", details)
        if channels == filters * c_in:
            return (f"The channels of {name} are not right. It looks like you multiplied the "
                    "filters by the input channels: each filter spans all the input channels "
                    "and gives one map.", details)
        return f"The number of channels of {name} is not right.", details
    if (height, width) != (want[1], want[2]):
        if k == 1 and s == 1:
            return (f"The grid of {name} is not right: a 1x1 convolution with stride 1 looks "
                    "at one position at a time, so it keeps the grid.", details)
        # Two slips can give the same size (no padding, or no + 1, when 2P = S): name both.
        slips = [message for message, size in _size_mistakes(n_in, layer).items()
                 if size != want[1] and height == size and width == size]
        return " ".join([f"The height and width of {name} are not right.",
                         " Or: ".join(slips)]).strip(), details
    if field != want[3]:
        if k == 1:
            return (f"The receptive field of {name} is not right: a 1x1 kernel sees one "
                    "position of the layer below, so it mixes channels only and the "
                    "field does not grow.", details)
        # Several slips can give the same field: name each of them.
        slips = [message for message, wrong in
                 _field_mistakes(field_in, jump_in, layer, pool_jump).items()
                 if wrong != want[3] and field == wrong]
        return " ".join([f"The receptive field of {name} is not right.",
                         " Or: ".join(slips)]).strip(), details
    return f"The row of {name} is not right.", details


def _as_rows(value, count):
    """The answer as a list of 4-tuples of ints, or a message saying why it is not one."""
    if value is None:
        return None, "you gave None instead of a list of rows -- a missing `return`?"
    try:
        rows = [tuple(row) for row in value]
    except TypeError:
        return None, "expected a list of tuples (C, H, W, receptive_field), one per layer."
    if len(rows) != count:
        return None, (f"expected one row per layer of the schematic, {count} rows, "
                      f"got {len(rows)}.")
    for index, row in enumerate(rows):
        if len(row) != 4:
            return None, (f"row {index + 1} has {len(row)} entries; each row is "
                          "(C, H, W, receptive_field).")
        if any(isinstance(v, float | np.floating) for v in row):
            return None, (f"row {index + 1} contains floats: sizes are whole numbers; use "
                          "integer division `//` where you used `/`.")
        if not all(isinstance(v, int | np.integer) for v in row):
            return None, f"row {index + 1} must hold four ints."
    return [tuple(int(v) for v in row) for row in rows], ""


@guarded
def check_schematic_walk(answer, *, timeout=None):
    """``schematic_walk() -> [(C, H, W, receptive_field), ...]``, one row per layer of SCHEMATIC."""
    from ..results import FAIL, PASS, CheckResult
    from ..running import DEFAULT_TIMEOUT, outcome_failure, resolve

    name = "schematic_walk"
    outcome = resolve(answer, DEFAULT_TIMEOUT if timeout is None else timeout)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    expected = schematic_rows()
    rows, problem = _as_rows(outcome.value, len(expected))
    if rows is None:
        return CheckResult(FAIL, name, problem)
    channels, size = SCHEMATIC_INPUT[0], SCHEMATIC_INPUT[1]
    field, jump, pool_jump = 1, 1, 1
    for index, (got, want, layer) in enumerate(zip(rows, expected, SCHEMATIC, strict=True)):
        if got != want:
            before = (channels, size, field, jump, pool_jump)
            message, details = _row_problem(index, got, want, before, layer)
            return CheckResult(FAIL, name, message, details)
        channels, size, field = want[0], want[1], want[3]
        jump *= layer[3]
        pool_jump *= layer[3] if layer[0] == "pool" else 1
    return CheckResult(PASS, name, f"all {len(expected)} layers are right.")
