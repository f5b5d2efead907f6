"""Checkers for chapter 3, 2D convolution."""

from __future__ import annotations

import numpy as np

from ...conv import conv2d, conv_output_size, true_conv2d
from ..results import FAIL
from ..running import DEFAULT_TIMEOUT, call, check_explained, guarded
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


PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
CROSS = np.eye(3, dtype=bool) | np.eye(3, dtype=bool)[::-1]


def plus_test_images():
    """0/1 images with pluses, near-pluses, bright squares, bars and noise."""
    rng = np.random.default_rng(5)
    noise = (rng.random((12, 12)) < 0.5).astype(float)
    noise[1:4, 1:4] = PLUS
    noise[7:10, 6:9] = PLUS
    noise[8, 8] = 1.0  # a plus with one bright corner
    shapes = np.zeros((9, 13))
    shapes[1:4, 1:4] = PLUS
    shapes[1:4, 5:8] = 1.0  # a bright square
    shapes[5:8, 1:4] = PLUS
    shapes[6, 2] = 0.0  # a plus without its centre
    shapes[5:8, 9:12] = CROSS
    return [noise, shapes, np.ones((6, 7)), np.kron(np.eye(3), np.ones((3, 3)))]


def _windows(image):
    return np.lib.stride_tricks.sliding_window_view(np.asarray(image) > 0.5, (3, 3))


def _matches(images, pattern, cells=None, within=0):
    """1 where the 3 x 3 window differs from ``pattern`` in at most ``within`` of
    ``cells`` (all nine by default)."""
    cells = np.ones((3, 3), dtype=bool) if cells is None else cells
    rows = []
    for image in images:
        differ = (_windows(image) != pattern) & cells
        rows.append((differ.sum(axis=(-2, -1)) <= within).ravel())
    return np.concatenate(rows).astype(float)


def _plus_outputs(fn, images):
    kernel, bias = fn()
    kernel = np.asarray(kernel, dtype=float)
    if kernel.shape != (3, 3):
        raise ValueError(f"the kernel must be 3 x 3, got shape {kernel.shape}")
    fired = [np.maximum(conv2d(np.asarray(img, dtype=float), kernel) + float(bias), 0) > 1e-9
             for img in images]
    return np.concatenate([f.ravel() for f in fired]).astype(float)


def _first_wrong_window(fn, images, want):
    """The first 3 x 3 window (as rows of 0/1) where the reader's detector is
    wrong, and whether it fired there."""
    outcome = call(lambda: _plus_outputs(fn, images), (), {}, DEFAULT_TIMEOUT)
    if outcome.kind != "ok" or np.shape(outcome.value) != want.shape:
        return None
    wrong = np.flatnonzero(outcome.value != want)
    if not len(wrong):
        return None
    windows = np.concatenate([_windows(img).reshape(-1, 3, 3) for img in images])
    window = windows[wrong[0]].astype(int)
    return [" ".join(map(str, row)) for row in window.tolist()], bool(outcome.value[wrong[0]])


@guarded
def check_plus_detector(fn, *, cases=None):
    """``plus_detector() -> (kernel, bias)``: ReLU(conv2d(image, kernel) + bias) fires
    exactly on the 3 x 3 windows of a 0/1 image that show a bright plus on dark corners.

    ``cases`` are other 0/1 images to try it on.
    """
    images = with_cases(plus_test_images(), cases)
    want = _matches(images, PLUS)
    mistakes = {
        "Your detector also fires on flat bright regions: the dark corners of the "
        "plus must count as well.": _matches(images, PLUS, PLUS),
        "Your detector also fires on windows one pixel away from a plus: the bias "
        "does not set the threshold high enough.": _matches(images, PLUS, within=1),
        "Your detector never fires, not even on a perfect plus: the bias is too "
        "low (and ReLU(0) = 0 does not fire).": np.zeros_like(want),
        "Your kernel looks for an X (the diagonals), not a plus.":
            _matches(images, CROSS),
    }
    result = check_array.__wrapped__(
        lambda: _plus_outputs(fn, images), want, name="plus_detector",
        mistakes=mistakes)
    if (result.status != FAIL or result.summary in mistakes
            or "raised an error" in result.summary or "too long" in result.summary):
        return result
    found = _first_wrong_window(fn, images, want)
    if found is not None:
        rows, fired = found
        result.summary = ("your detector fires on this window, which is not a bright "
                          "plus on dark corners:" if fired else
                          "your detector stays silent on this window, a bright plus "
                          "on dark corners:")
        result.details = rows
    return result


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
    return check_explained(fn, conv2d, with_cases(_conv2d_cases(examples), cases),
                           plain_conv_mistakes(), name="my_conv2d",
                           arg_names=("image", "kernel"))
