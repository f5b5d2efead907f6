"""Checkers for chapter 1, motivation: parameter counts and the pixel shuffle."""

from __future__ import annotations

import numpy as np

from ..counts import Conv, Linear, check_count
from ..functions import check_function
from ..running import guarded
from ._common import with_cases

CROP = 224 * 224 * 3


def check_dense_crop_params(fn, **kw):
    """A dense layer from a 224 x 224 colour crop to 512 units."""
    return check_count(fn, Linear(CROP, 512), name="dense_crop_params", **kw)


def check_small_net_params(fn, **kw):
    """The 784-16-16-10 network of dense layers."""
    layers = [Linear(28 * 28, 16), Linear(16, 16), Linear(16, 10)]
    return check_count(fn, layers, name="small_net_params", **kw)


def check_conv_crop_params(fn, **kw):
    """64 filters of 3 x 3 over the 3 colour channels."""
    return check_count(fn, Conv(3, 64, 3), name="conv_crop_params", **kw)


def _permute(images, perm):
    images = np.asarray(images)
    flat = images.reshape(*images.shape[:-2], -1)
    return flat[..., np.asarray(perm)].reshape(images.shape)


def _inverse(images, perm):
    images = np.asarray(images)
    flat = images.reshape(*images.shape[:-2], -1)
    out = np.empty_like(flat)
    out[..., np.asarray(perm)] = flat
    return out.reshape(images.shape)


def _shuffle_cases(images, perm):
    rng = np.random.default_rng(1)
    cases = [(rng.normal(size=(2, 1, 3, 3)), rng.permutation(9)),
             (rng.normal(size=(3, 2, 4, 5)), rng.permutation(20))]
    if images is not None:
        cases.append((np.asarray(images), np.asarray(perm)))
    return cases


@guarded
def check_shuffle_pixels(fn, images=None, perm=None, *, cases=None):
    """``shuffle_pixels(images, perm)``, also on the chapter's ``images`` and ``perm``."""
    return check_function.__wrapped__(
        fn, _permute, with_cases(_shuffle_cases(images, perm), cases),
        name="shuffle_pixels", arg_names=("images", "perm"),
        mistakes={"It looks like you applied the inverse permutation: pixel k "
                  "went to place perm[k] instead of coming from there.": _inverse})
