"""Checkers for chapter 8, transfer learning and augmentation."""

from __future__ import annotations

import numpy as np

from ...conv import conv_output_size
from ..counts import Conv, Linear, check_count
from ..functions import check_function
from ..results import FAIL, PASS, CheckResult
from ..running import guarded, outcome_failure, resolve
from ..values import check_shape
from ._common import with_cases


def check_block1_shape(fn, **kw):
    """(10, 1, 8, 8) through Conv2d(1, 16, 3, padding=1), ReLU and MaxPool2d(2)."""
    conv = conv_output_size(8, 3, 1, 1)
    pooled = conv_output_size(conv, 2, 2)
    unpadded = conv_output_size(conv_output_size(8, 3), 2, 2)
    return check_shape(fn, (10, 16, pooled, pooled), name="block1_shape", mistakes={
        "It looks like the max pooling was left out.": (10, 16, conv, conv),
        "The block ends with the pooling; the flattening comes later.":
            (10, 16 * pooled * pooled),
        "The batch axis is missing.": (16, pooled, pooled),
        "It looks like the convolution's padding was left out.":
            (10, 16, unpadded, unpadded),
    }, **kw)


def check_n_trainable(fn, **kw):
    """Block 2's convolution, fine-tuned, and the new Linear(128, 10)."""
    frozen = Conv(1, 16, 3)
    tuned = [Conv(16, 32, 3), Linear(128, 10)]
    every = sum(layer.weights() + layer.biases() for layer in [frozen, *tuned])
    return check_count(fn, tuned, name="n_trainable", mistakes={
        "That counts the frozen block too.": every,
        "It looks like only the new layer was counted.": tuned[1].weights() + tuned[1].biases(),
    }, **kw)


def _shift_cases():
    rng = np.random.default_rng(8)
    return [(np.arange(1.0, 10.0).reshape(3, 3), 1, 0),
            (np.arange(1.0, 10.0).reshape(3, 3), 0, -1),
            (rng.random((8, 8)), 2, -3), (rng.random((5, 7)), -1, 2),
            (rng.random((4, 4)), 0, 0)]


@guarded
def check_shift(fn, *, cases=None):
    """``shift(image, dy, dx)``: moved down and right, zeros where uncovered."""
    from ...augment import shift_image

    return check_function.__wrapped__(
        fn, shift_image, with_cases(_shift_cases(), cases), name="shift",
        arg_names=("image", "dy", "dx"), mistakes={
            "Pixels wrap around to the other side: that is np.roll, not a shift.":
                lambda image, dy, dx: np.roll(image, (dy, dx), axis=(0, 1)),
            "The image moved the opposite way.":
                lambda image, dy, dx: shift_image(image, -dy, -dx),
            "Rows and columns are swapped: dy moves along axis 0, dx along axis 1.":
                lambda image, dy, dx: shift_image(image, dx, dy),
        })


# Shift by one pixel, rotate by 10 degrees, faint noise, mirror, half turn, shift by four.
_KEEPS_LABEL = (True, True, True, False, False, False)


@guarded
def check_label_preserving(fn):
    """``label_preserving()``: six booleans. Only the number of wrong ones is told,
    since naming a wrong item would give its answer away."""
    name = "label_preserving"
    outcome = resolve(fn, 5.0)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    answer = outcome.value
    if (not isinstance(answer, list | tuple | np.ndarray) or len(answer) != len(_KEEPS_LABEL)
            or not all(isinstance(a, bool | np.bool_) for a in answer)):
        return CheckResult(FAIL, name, f"expected a list of {len(_KEEPS_LABEL)} booleans "
                           "(True or False), in the order of the exercise.")
    wrong = sum(bool(a) != b for a, b in zip(answer, _KEEPS_LABEL, strict=True))
    if not wrong:
        return CheckResult(PASS, name, "correct.")
    return CheckResult(FAIL, name, f"{wrong} of your {len(_KEEPS_LABEL)} answers "
                       f"{'is' if wrong == 1 else 'are'} wrong.", [
        "For each change ask: would a person still read the same digit, "
        "and does handwriting vary that way?"])
