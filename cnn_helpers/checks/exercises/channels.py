"""Checkers for chapter 4, channels and tensors."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
from ..counts import Conv, check_count
from ..functions import check_function
from ..running import guarded
from ..values import check_shape, check_value
from ._common import with_cases


def _keras_cases():
    rng = np.random.default_rng(0)
    # Every axis a different length, and kernels that are not symmetric.
    return [(rng.normal(size=(3, 2, 4, 5)),), (rng.normal(size=(3, 3, 2, 6)),),
            (rng.normal(size=(1, 1, 3, 2)),), (rng.normal(size=(5, 5, 1, 3)),)]


@guarded
def check_keras_to_torch(fn, *, cases=None):
    """``keras_to_torch(weight)``: (K_H, K_W, C_in, C_out) -> (C_out, C_in, K_H, K_W)."""
    return check_function.__wrapped__(
        fn, lambda w: w.transpose(3, 2, 0, 1), with_cases(_keras_cases(), cases),
        name="keras_to_torch", arg_names=("weight",), mistakes={
            "It looks like you reshaped instead of moving the axes: the shape is "
            "right but the weights are scrambled.": lambda w: w.reshape(
                w.shape[3], w.shape[2], w.shape[0], w.shape[1]),
            "Each kernel came out transposed: K_H and K_W are swapped (reversing all "
            "four axes does that).": lambda w: w.transpose(3, 2, 1, 0),
            "The input and output channels are swapped.": lambda w: w.transpose(2, 3, 0, 1),
            "Only the output channels moved to the front; the input channels must "
            "come next, before the kernel's rows and columns.":
                lambda w: w.transpose(3, 0, 1, 2),
        })


def windows_row_by_row(x, k, *, channels_last=False, kernel_transposed=False,
                       column_major=False):
    """The patch matrix of a (C, H, W) image, one window at a time (valid, stride 1).

    Independent of :func:`cnn_helpers.unfold`. The keywords make the usual wrong
    versions: each window flattened channel-last, each window's kernel rows and
    columns swapped, the windows numbered column by column.
    """
    c, h, w = x.shape
    positions = [(i, j) for i in range(h - k + 1) for j in range(w - k + 1)]
    if column_major:
        positions.sort(key=lambda p: (p[1], p[0]))
    columns = []
    for i, j in positions:
        window = x[:, i:i + k, j:j + k]
        if kernel_transposed:
            window = window.transpose(0, 2, 1)
        if channels_last:
            window = window.transpose(1, 2, 0)
        columns.append(window.ravel())
    return np.stack(columns, axis=1)


def _unfold_cases():
    rng = np.random.default_rng(1)
    return [(rng.normal(size=(2, 4, 5)), 2), (rng.normal(size=(3, 5, 5)), 3),
            (rng.normal(size=(1, 6, 4)), 3), (rng.normal(size=(4, 3, 3)), 1)]


@guarded
def check_my_unfold(fn, *, cases=None):
    """``my_unfold(x, kernel_size)``: the (C*K*K, M) patch matrix of a (C, H, W) image."""
    return check_function.__wrapped__(
        fn, windows_row_by_row, with_cases(_unfold_cases(), cases), name="my_unfold",
        arg_names=("x", "kernel_size"), mistakes={
            "Each window was flattened channel-last (row, column, channel); a filter row "
            "is (channel, row, column), as weight.reshape(C_out, -1) reads it.":
                lambda x, k: windows_row_by_row(x, k, channels_last=True),
            "The rows and columns of each window are swapped.":
                lambda x, k: windows_row_by_row(x, k, kernel_transposed=True),
            "The windows are numbered column by column; the output is read row by row, "
            "so number them row by row.":
                lambda x, k: windows_row_by_row(x, k, column_major=True),
            "There is one window too few along each side: a K-wide window fits "
            "H - K + 1 times along a side of H.":
                lambda x, k: windows_row_by_row(x[:, :-1, :-1], k),
        })


def check_n_params(fn, **kw):
    """Weights and biases of Conv2d(64, 128, 3, stride=2, padding=1)."""
    return check_count(fn, Conv(64, 128, 3), name="n_params", **kw)


def check_layer_output_shape(fn, **kw):
    """(C, H, W) of that layer's output on a (64, 56, 56) input."""
    side = conv_output_size(56, 3, 2, 1)
    return check_shape(fn, (128, side, side), name="layer_output_shape",
                       hint="(W + 2P - K) // S + 1.", mistakes={
        "It looks like the output depth is the input's number of channels.":
            (64, side, side),
        "It looks like the padding is missing from the formula.":
            (128, conv_output_size(56, 3, 2, 0), conv_output_size(56, 3, 2, 0)),
    }, **kw)


# --- What a bottleneck saves -----------------------------------------------------------------
#
# The block: a 1 x 1 convolution c_in -> c_mid on the h x w input, a 3 x 3 convolution
# c_mid -> c_mid (padding 1, the block's stride and groups), a 1 x 1 convolution
# c_mid -> c_out on the 3 x 3 layer's output; every layer with biases. The counts
# below come from the weight shapes and from counting the positions a window visits,
# not from any formula the chapter shows.

def _positions(n, k, stride, padding):
    """How many places a k-wide window visits along a side of n, stepping by stride."""
    return len(range(0, n + 2 * padding - k + 1, stride))


def _block(c_in, c_mid, c_out, h, w, stride=1, groups=1, *, mid_groups=None,
           stride_first=False, padding=1, on_input=()):
    """[(weight shape, biases, output positions)] of the block's three layers.

    The keywords make the usual wrong versions: ``mid_groups`` (the groups the
    3 x 3 layer is given), ``stride_first`` (the stride in the first 1 x 1 layer
    instead), ``padding`` (the 3 x 3 layer's) and ``on_input`` (the layers,
    numbered 0 to 2, counted on the input's h x w instead of their output's).
    """
    g = groups if mid_groups is None else mid_groups
    s1, s2 = (stride, 1) if stride_first else (1, stride)
    h1, w1 = _positions(h, 1, s1, 0), _positions(w, 1, s1, 0)
    h2, w2 = _positions(h1, 3, s2, padding), _positions(w1, 3, s2, padding)
    sizes = [h1 * w1, h2 * w2, h2 * w2]
    sizes = [h * w if i in on_input else n for i, n in enumerate(sizes)]
    return [((c_mid, c_in, 1, 1), c_mid, sizes[0]),
            ((c_mid, c_mid // g, 3, 3), c_mid, sizes[1]),
            ((c_out, c_mid, 1, 1), c_out, sizes[2])]


def _cost(layers, *, biases=True, macs_factor=1, bias_macs=False):
    parameters = macs = 0
    for shape, n_bias, positions in layers:
        weights = int(np.prod(shape))
        parameters += weights + (n_bias if biases else 0)
        macs += weights * positions + (n_bias * positions if bias_macs else 0)
    return parameters, macs * macs_factor


def _reference_bottleneck(c_in, c_mid, c_out, h, w, stride=1, groups=1):
    return _cost(_block(c_in, c_mid, c_out, h, w, stride, groups))


def _only_if(condition, compute):
    return compute() if condition else None


def bottleneck_mistakes():
    """Wrong versions of ``bottleneck_cost``; ``None`` where a mistake changes nothing."""
    def wrong(**how):
        split = {k: how.pop(k) for k in ("biases", "macs_factor", "bias_macs") if k in how}
        return lambda *a, **kw: _cost(_block(*a, **kw, **how), **split)

    def when(test, fn):
        def mistake(c_in, c_mid, c_out, h, w, stride=1, groups=1):
            return _only_if(test(stride, groups),
                            lambda: fn(c_in, c_mid, c_out, h, w, stride, groups))
        return mistake

    def swapped(*args):
        parameters, macs = _reference_bottleneck(*args)
        return macs, parameters

    def groups_everywhere(c_in, c_mid, c_out, h, w, stride=1, groups=1):
        layers = _block(c_in, c_mid, c_out, h, w, stride, groups)
        return _only_if(groups > 1, lambda: _cost(
            [((shape[0], shape[1] // groups, *shape[2:]), b, p) if shape[2] == 1
             else (shape, b, p) for shape, b, p in layers]))

    return {
        "Your MACs are right, but the parameters lack the biases: each layer has one "
        "per output channel.": wrong(biases=False),
        "Your counts are twice the number of multiply-accumulates: that is FLOPs "
        "(a MAC is one multiplication and one addition, two operations).":
            wrong(macs_factor=2),
        "It looks like you counted the biases' additions as MACs; a bias adds one "
        "operation per output, not a multiply-accumulate, and the count leaves it out.":
            wrong(bias_macs=True),
        "It looks like the 3 x 3 layer's groups were ignored: with g groups each of "
        "its filters sees only C_mid / g channels.":
            when(lambda s, g: g > 1, wrong(mid_groups=1)),
        "It looks like the 1 x 1 layers were split into groups too; only the "
        "3 x 3 layer is grouped.": groups_everywhere,
        "It looks like every layer was counted on the input's H x W: a layer's MACs "
        "depend on its output size, and the stride of the 3 x 3 layer shrinks the "
        "map for it and for the last layer.": when(lambda s, g: s > 1, wrong(on_input=(0, 1, 2))),
        "It looks like the last 1 x 1 layer was counted on the input's H x W; it "
        "works on the 3 x 3 layer's output, which the stride made smaller.":
            when(lambda s, g: s > 1, wrong(on_input=(2,))),
        "It looks like the first 1 x 1 layer was counted on the down-sampled map; "
        "in this block the stride sits in the 3 x 3 layer, so the first layer "
        "visits every input position.": when(lambda s, g: s > 1, wrong(stride_first=True)),
        "It looks like the 3 x 3 layer's padding was left out of its output size.":
            wrong(padding=0),
        "The two numbers are swapped: return (parameters, MACs).": swapped,
    }


# No case is the block of the saving question, whose MACs a failure message would show.
BOTTLENECK_CASES = [(128, 32, 128, 56, 56), (256, 128, 512, 56, 56, 2),
                    (256, 128, 256, 28, 28, 1, 32), (64, 32, 128, 15, 15, 2, 4),
                    (8, 4, 8, 7, 9, 1, 2)]


@guarded
def check_bottleneck_cost(fn, *, cases=None):
    """``bottleneck_cost(c_in, c_mid, c_out, h, w, stride=1, groups=1)`` ->
    (parameters, MACs) of a 1 x 1, 3 x 3, 1 x 1 block."""
    return check_function.__wrapped__(
        fn, _reference_bottleneck, with_cases(BOTTLENECK_CASES, cases),
        name="bottleneck_cost",
        arg_names=("c_in", "c_mid", "c_out", "h", "w", "stride", "groups"),
        mistakes=bottleneck_mistakes(), rtol=0.0, atol=0.5)


def _plain_and_block(**plain_kw):
    """MACs of one plain 3 x 3 layer 256 -> 256 and of the 256 -> 64 -> 256 block, 56 x 56."""
    side = _positions(56, 3, 1, 1)
    plain = _cost([((256, 256, 3, 3), 256, side * side)], **plain_kw)
    return plain, _reference_bottleneck(256, 64, 256, 56, 56)


def check_bottleneck_saving(fn, **kw):
    """How many times fewer MACs the block needs than one plain 3 x 3 layer."""
    (plain_p, plain_m), (block_p, block_m) = _plain_and_block()
    return check_value(fn, plain_m / block_m, rtol=1e-4, name="bottleneck_saving", mistakes={
        "That is the block's cost as a fraction of the plain layer's; the question "
        "asks how many times fewer MACs the block needs.": block_m / plain_m,
        "That is the ratio of the parameters, not of the MACs.": plain_p / block_p,
        "It looks like the plain layer was counted in FLOPs and the block in MACs.":
            2 * plain_m / block_m,
        "It looks like the block was counted in FLOPs and the plain layer in MACs.":
            plain_m / (2 * block_m),
    }, **kw)
