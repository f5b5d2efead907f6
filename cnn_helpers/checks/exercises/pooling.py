"""Checkers for chapter 5, pooling."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
from ..convolution import check_pool
from ..counts import Conv, check_count
from ..running import guarded
from ..values import check_shape, check_value

# The exercise's 4 x 4 feature map.
BY_HAND = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [0, 2, 9, 7], [3, 1, 8, 4]], dtype=float)


def check_max_by_hand(fn, **kw):
    """2 x 2 max pooling, stride 2, of the exercise's map, by hand."""
    return check_pool(fn, BY_HAND, 2, mode="max", name="max_by_hand", **kw)


def check_avg_by_hand(fn, **kw):
    """2 x 2 average pooling, stride 2, of the exercise's map, by hand."""
    return check_pool(fn, BY_HAND, 2, mode="avg", name="avg_by_hand", **kw)


@guarded
def check_my_max_pool2d(fn, *, cases=None):
    """``my_max_pool2d(x, kernel_size, stride=None, padding=0)`` on (C, H, W) arrays."""
    return check_pool.__wrapped__(fn, cases=cases, name="my_max_pool2d")


def check_pooled_shape(fn, **kw):
    """(8, 16, 32, 32) after 3 x 3 max pooling, stride 2, padding 1."""
    side = conv_output_size(32, 3, 2, 1)
    return check_shape(fn, (8, 16, side, side), name="pooled_shape",
                       hint="The output size is (n + 2*padding - kernel) // stride + 1.",
                       mistakes={
        "It looks like the padding was left out.":
            (8, 16, conv_output_size(32, 3, 2, 0), conv_output_size(32, 3, 2, 0)),
        "It looks like the channels were pooled together: pooling works on "
        "each channel separately.": (8, 1, side, side),
    }, **kw)


def check_gap_shape(fn, **kw):
    """(8, 64, 7, 7) after ``ch.avg_pool2d(x, kernel_size=7)``."""
    side = conv_output_size(7, 7, 7)
    return check_shape(fn, (8, 64, side, side), name="gap_shape", mistakes={
        "It looks like you removed the spatial axes: does avg_pool2d remove "
        "axes, or only make them shorter?": (8, 64),
        "It looks like you averaged over the channels, not over space.": (8, 1, 7, 7),
    }, **kw)


def check_pool_params(fn, **kw):
    """Learned parameters of a 2 x 2 max pooling."""
    from ...nn import MaxPool2d

    return check_value(fn, MaxPool2d(2).num_parameters(), atol=0.5, name="pool_params",
                       mistakes={
        "It looks like you counted the cells of the window as parameters: "
        "is anything in a max pooling learned?": 4,
        "It looks like you counted a window per channel as parameters: "
        "is anything in a max pooling learned?": 4 * 64,
    }, **kw)


def check_strided_conv_params(fn, **kw):
    """A 3 x 3 convolution from 64 to 64 channels, with biases."""
    return check_count(fn, [Conv(64, 64, 3)], name="strided_conv_params", **kw)


