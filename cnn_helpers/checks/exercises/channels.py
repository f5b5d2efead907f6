"""Checkers for chapter 4, channels and tensors."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
from ..convolution import check_conv
from ..counts import Conv, check_count
from ..functions import check_function
from ..running import guarded
from ..values import check_shape
from ._common import with_cases


def _first_cases():
    rng = np.random.default_rng(0)
    return [(rng.normal(size=(2, 5, 4, 3)),), (rng.normal(size=(1, 6, 7, 3)),),
            (rng.normal(size=(3, 4, 4, 2)),)]


@guarded
def check_to_channels_first(fn, *, cases=None):
    """``to_channels_first(batch)``: (N, H, W, C) -> (N, C, H, W)."""
    return check_function.__wrapped__(
        fn, lambda x: np.moveaxis(x, -1, 1), with_cases(_first_cases(), cases),
        name="to_channels_first", arg_names=("batch",), mistakes={
            "It looks like you reshaped instead of moving the axes: the shape is "
            "right but the pixels are scrambled.": lambda x: x.reshape(
                x.shape[0], x.shape[3], x.shape[1], x.shape[2]),
            "Height and width came out swapped.": lambda x: np.transpose(x, (0, 3, 2, 1)),
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


@guarded
def check_im2col_conv2d(fn, *, cases=None):
    """``im2col_conv2d(x, weight, bias=None, stride=1, padding=0)`` on one image."""
    return check_conv.__wrapped__(fn, cases=cases, name="im2col_conv2d")
