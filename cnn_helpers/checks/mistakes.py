"""Known wrong answers to the convolution, pooling and output-size exercises.

Each mistake set maps the message shown to the reader to a *wrong* function with
the reference's arguments; a wrong function returns ``None`` when the mistake
would not change anything for the given arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .references import pair, reference_conv, reference_pool, spatial_dims


def _only_if(condition: bool, compute: Callable[[], Any]) -> Any:
    """``compute()`` when the mistake makes a difference, else ``None``."""
    return compute() if condition else None


def _flip(w: np.ndarray) -> np.ndarray:
    dims = spatial_dims(w)
    return np.flip(w, axis=tuple(range(2, 2 + dims)))


def conv_mistakes() -> dict[str, Callable[..., Any]]:
    """Known wrong convolutions, as functions of (x, weight, bias=None, stride=1, padding=0).

    Each returns the wrong result, or ``None`` when the mistake would not
    change anything for these arguments.
    """

    ref = reference_conv

    def channels_last(x, w, b=None, s=1, p=0):
        out = ref(x, w, b, s, p)
        return np.moveaxis(out, -spatial_dims(np.asarray(w)) - 1, -1)

    def only_first_channel(x, w, b=None, s=1, p=0):
        x, w = np.asarray(x), np.asarray(w)
        dims = spatial_dims(w)
        return _only_if(w.shape[1] > 1, lambda: ref(x[..., :1, :, :] if dims == 2 else x[..., :1, :],
                                                    w[:, :1], b, s, p))

    return {
        "It looks like you flipped the kernel (a true convolution). In deep learning, "
        "'convolution' means cross-correlation: slide the kernel over the input without flipping it.":
            lambda x, w, b=None, s=1, p=0: ref(x, _flip(np.asarray(w)), b, s, p),
        "It looks like the padding was left out: pad the input with `padding` zeros on each side first.":
            lambda x, w, b=None, s=1, p=0: _only_if(np.any(np.asarray(p) > 0), lambda: ref(x, w, b, s, 0)),
        "It looks like the padding was applied twice (2 * padding zeros on each side).":
            lambda x, w, b=None, s=1, p=0: _only_if(np.any(np.asarray(p) > 0),
                                                    lambda: ref(x, w, b, s, 2 * np.asarray(p))),
        "It looks like you padded only one side: `padding` zeros go on both sides of each axis.":
            lambda x, w, b=None, s=1, p=0: _only_if(np.any(np.asarray(p) > 0),
                                                    lambda: ref(x, w, b, s, p, pad_sides="before")),
        "It looks like the stride was ignored: you computed every position (stride 1).":
            lambda x, w, b=None, s=1, p=0: _only_if(np.any(np.asarray(s) > 1), lambda: ref(x, w, b, 1, p)),
        "It looks like the bias is missing: add bias[o] to every value of output channel o.":
            lambda x, w, b=None, s=1, p=0: _only_if(b is not None and np.any(np.asarray(b) != 0),
                                                    lambda: ref(x, w, None, s, p)),
        "It looks like the kernel was transposed (its rows and columns swapped).":
            lambda x, w, b=None, s=1, p=0: _only_if(np.asarray(w).ndim == 4,
                                                    lambda: ref(x, np.swapaxes(np.asarray(w), -1, -2), b, s, p)),
        "Your output is transposed: rows and columns are swapped.":
            lambda x, w, b=None, s=1, p=0: _only_if(np.asarray(w).ndim == 4,
                                                    lambda: np.swapaxes(ref(x, w, b, s, p), -1, -2)),
        "Your output is channels-last (H, W, C); this book puts channels first: (C, H, W).":
            channels_last,
        "Only the first input channel was used: sum over all input channels.":
            only_first_channel,
    }


def pool_mistakes(mode: str = "max") -> dict[str, Callable[..., Any]]:
    """Known wrong poolings, as functions of (x, kernel_size, stride=None, padding=0)."""
    other = "avg" if mode == "max" else "max"
    names = {"max": "maximum", "avg": "average"}

    def effective(k, s):
        return k if s is None else s

    mistakes = {
        f"You took the {names[other]} of each window; this exercise wants the {names[mode]}.":
            lambda x, k, s=None, p=0: reference_pool(x, k, s, p, other),
        "It looks like the stride was ignored: you pooled at every position (stride 1).":
            lambda x, k, s=None, p=0: _only_if(np.any(np.asarray(effective(k, s)) != 1),
                                               lambda: reference_pool(x, k, 1, p, mode)),
        "It looks like you used the kernel size as the stride; use the given stride.":
            lambda x, k, s=None, p=0: _only_if(s is not None and np.any(np.asarray(s) != np.asarray(k)),
                                               lambda: reference_pool(x, k, None, p, mode)),
        "It looks like the padding was left out.":
            lambda x, k, s=None, p=0: _only_if(np.any(np.asarray(p) > 0),
                                               lambda: reference_pool(x, k, s, 0, mode)),
        "Your output is transposed: rows and columns are swapped.":
            lambda x, k, s=None, p=0: np.swapaxes(reference_pool(x, k, s, p, mode), -1, -2),
        "Your output is channels-last (H, W, C); this book puts channels first: (C, H, W).":
            lambda x, k, s=None, p=0: _only_if(np.ndim(x) >= 3, lambda: np.moveaxis(
                reference_pool(x, k, s, p, mode), -3, -1)),
    }
    if mode == "max":
        mistakes["It looks like you padded with zeros: for max pooling pad with -inf, "
                 "or a padded zero can beat negative values."] = (
            lambda x, k, s=None, p=0: _only_if(np.any(np.asarray(p) > 0),
                                               lambda: reference_pool(x, k, s, p, mode, pad_value=0.0)))
    else:
        mistakes["You summed each window; average pooling divides the sum by the window size."] = (
            lambda x, k, s=None, p=0: reference_pool(x, k, s, p, mode) * math.prod(pair(k, 2)))
    return mistakes


def output_size_mistakes() -> dict[str, Callable[..., Any]]:
    """Known wrong output-size formulas, as functions of (n, kernel_size, stride=1, padding=0)."""
    return {
        "It looks like you forgot the + 1: a kernel that fits exactly once gives one output.":
            lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
        "It looks like the padding was left out of the formula: add 2 * padding to n.":
            lambda n, k, s=1, p=0: (n - k) // s + 1,
        "It looks like the padding was counted once; it is added on both sides: n + 2 * padding.":
            lambda n, k, s=1, p=0: (n + p - k) // s + 1,
        "It looks like the stride was ignored: divide by the stride.":
            lambda n, k, s=1, p=0: n + 2 * p - k + 1,
        "It looks like you rounded up; the last window must fit entirely, so round down (//).":
            lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1,
    }

