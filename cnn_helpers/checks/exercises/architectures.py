"""Checkers for chapter 7, architectures."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
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


@guarded
def check_my_receptive_field(fn, *, cases=None):
    """``my_receptive_field(layers) -> (receptive_field, jump)``."""
    from ...architectures import receptive_field

    return check_function.__wrapped__(
        fn, receptive_field, with_cases(FIELD_CASES, cases), name="my_receptive_field",
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
