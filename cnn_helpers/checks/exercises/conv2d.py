"""Checkers for chapter 3, 2D convolution."""

from __future__ import annotations

import numpy as np

from ...conv import conv2d, conv_output_size, true_conv2d
from ..functions import check_function
from ..running import guarded
from ..values import check_array, check_shape, check_value
from ._common import with_cases

# The exercise's image and kernel (the chapter's worked example).
ARITH_X = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3],
                    [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], dtype=float)
ARITH_W = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=float)


def check_cell_2_1(fn, **kw):
    """The output cell y[2, 1] of the valid convolution, worked out by hand."""
    return check_value(fn, conv2d(ARITH_X, ARITH_W)[2, 1], name="cell_2_1", mistakes={
        "That is the true convolution (kernel flipped); deep learning slides "
        "the kernel unflipped.": lambda: true_conv2d(ARITH_X, ARITH_W)[2, 1],
        "That is y[1, 2]: the first index is the row (down), the second the "
        "column (across).": lambda: conv2d(ARITH_X, ARITH_W)[1, 2],
    }, **kw)


@guarded
def check_horizontal_edge_kernel(fn, stripes=None, *, cases=None):
    """``horizontal_edge_kernel()`` on ``stripes.T`` (or on the images in ``cases``):
    +1 where a bright row lies above a dark one, -1 for dark above bright, else 0."""
    images = with_cases([np.asarray(stripes, dtype=float).T], cases)
    results, wanted = [], []
    for image in images:
        image = np.asarray(image, dtype=float)
        wanted.append(image[:-1] - image[1:])  # upper row minus lower row
        results.append(image)

    def outputs():
        kernel = np.asarray(fn(), dtype=float)
        return np.concatenate([conv2d(img, kernel).ravel() for img in results])

    def across():
        return np.concatenate([conv2d(img, np.array([[1.0, -1.0]])).ravel()
                               for img in results])

    want = np.concatenate([w.ravel() for w in wanted])
    return check_array.__wrapped__(outputs, want, name="horizontal_edge_kernel", mistakes={
        "Your kernel has the signs the other way round.": -want,
        "This kernel compares left and right neighbours (vertical edges).": across,
    })


PHOTO = (600, 512)  # height, width of the full photograph


def check_photo_output_shape(fn, **kw):
    """(height, width) of a 7 x 7 convolution, stride 3, padding 2, on the photograph."""
    h, w = PHOTO

    def size(n, k=7, s=3, p=2):
        return conv_output_size(n, k, s, p)

    def up(n):
        return -(-(n + 4 - 7) // 3) + 1

    return check_shape(fn, (size(h), size(w)), name="photo_output_shape", mistakes={
        "It looks like the padding is missing.": (size(h, p=0), size(w, p=0)),
        "It looks like you rounded up; the last window must fit entirely.": (up(h), up(w)),
        "Height and width are swapped: the image is 600 high and 512 wide.":
            (size(w), size(h)),
    }, hint="(W + 2P - K) // S + 1 for each side.", **kw)


def plain_conv_mistakes() -> dict:
    """Wrong 2D convolutions of ``(image, kernel, stride=1, padding=0)``."""

    def flipped(image, kernel, stride=1, padding=0):
        return true_conv2d(image, kernel, stride=stride, padding=padding)

    def no_padding(image, kernel, stride=1, padding=0):
        return conv2d(image, kernel, stride=stride) if padding else None

    def no_stride(image, kernel, stride=1, padding=0):
        return conv2d(image, kernel, padding=padding) if stride > 1 else None

    def transposed_out(image, kernel, stride=1, padding=0):
        return conv2d(image, kernel, stride=stride, padding=padding).T

    return {
        "It looks like you flipped the kernel (a true convolution).": flipped,
        "It looks like the padding was left out.": no_padding,
        "It looks like the stride was ignored.": no_stride,
        "Your output is transposed: rows and columns are swapped.": transposed_out,
    }


def _conv2d_cases(extra):
    rng = np.random.default_rng(3)
    return [*(extra or []),
            ((rng.normal(size=(6, 8)), rng.normal(size=(3, 2))), {"stride": 2}),
            ((rng.normal(size=(7, 5)), rng.normal(size=(2, 3))), {"padding": 1}),
            ((rng.normal(size=(9, 8)), rng.normal(size=(3, 3))),
             {"stride": 3, "padding": 2})]


@guarded
def check_my_conv2d(fn, examples=None, *, cases=None):
    """``my_conv2d(image, kernel, stride=1, padding=0)``; ``examples`` are the
    chapter's ``(image, kernel)`` pairs, tried first."""
    return check_function.__wrapped__(
        fn, conv2d, with_cases(_conv2d_cases(examples), cases), name="my_conv2d",
        mistakes=plain_conv_mistakes(), arg_names=("image", "kernel"))
