"""Data augmentation: new training images from old ones, with the label unchanged.

Each random transform is a small object called on a batch ``(N, C, H, W)`` with a
``numpy`` generator, ``transform(x, rng) -> new batch``; every image gets its own random
draw. That is the signature :func:`cnn_helpers.training.fit` expects for ``augment``, so
transforms plug straight into training::

    augment = Compose([RandomShift(1), RandomRotation(10), GaussianNoise(0.05)])
    fit(model, optimizer, X, y, epochs=20, augment=augment, seed=0)

The names follow ``torchvision.transforms.v2`` where torchvision has the same thing
(``RandomRotation``, ``RandomHorizontalFlip``, ``GaussianNoise``, ``RandAugment``);
torchvision shifts with ``RandomAffine(degrees=0, translate=...)``, here it is
``RandomShift``. Inputs are never modified in place, and the same seed gives the same
images.

The deterministic helpers :func:`shift_image`, :func:`rotate_image` and
:func:`add_noise` work on one image or a stack, ``(..., H, W)``, and are what the random
transforms apply.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "shift_image",
    "rotate_image",
    "add_noise",
    "RandomShift",
    "RandomRotation",
    "GaussianNoise",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Compose",
    "RandAugment",
]


# --------------------------------------------------------------------------
# Deterministic transforms of (..., H, W) arrays
# --------------------------------------------------------------------------

def shift_image(x, dy, dx):
    """Move the picture ``dy`` rows down and ``dx`` columns right; zeros come in.

    Pixels pushed past the border are lost (no wrap-around, unlike ``np.roll``).
    Works on the last two axes, so ``x`` may be ``(H, W)`` or any stack ``(..., H, W)``.
    """
    x = np.asarray(x)
    dy, dx = int(dy), int(dx)
    h, w = x.shape[-2:]
    out = np.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    # Source and destination windows along one axis for a shift by d.
    rows_src = slice(max(0, -dy), h - max(0, dy))
    rows_dst = slice(max(0, dy), h - max(0, -dy))
    cols_src = slice(max(0, -dx), w - max(0, dx))
    cols_dst = slice(max(0, dx), w - max(0, -dx))
    out[..., rows_dst, cols_dst] = x[..., rows_src, cols_src]
    return out


def rotate_image(x, degrees, order=1):
    """Turn the picture ``degrees`` counter-clockwise about its centre (as displayed).

    Bilinear interpolation (``order=1``) by default; corners that come in from outside
    are 0; the size stays ``(H, W)``. Works on ``(..., H, W)``.
    """
    x = np.asarray(x)
    out = ndimage.rotate(x, float(degrees), axes=(x.ndim - 1, x.ndim - 2), reshape=False,
                         order=order, mode="constant", cval=0.0)
    return out.astype(x.dtype, copy=False)


def add_noise(x, noise, clip=(0.0, 1.0)):
    """Add the array ``noise`` to ``x`` and clip back into the pixel range ``clip``."""
    x = np.asarray(x)
    out = x + noise
    if clip is not None:
        out = np.clip(out, *clip)
    return out.astype(x.dtype, copy=False)


# --------------------------------------------------------------------------
# Random transforms of batches (N, C, H, W)
# --------------------------------------------------------------------------

def _check_batch(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"augmentations take a batch of shape (N, C, H, W), got shape {x.shape}")
    return x


def _shift_each(x, dy, dx):
    """``shift_image(x[n], dy[n], dx[n])`` for every image of the batch, in one gather.

    Shifts are at most ``m = max(|dy|, |dx|)``, so after padding by ``m`` each result
    is one ``(H, W)`` window of its padded image; broadcast index arrays read all of them.
    """
    n, c, h, w = x.shape
    m = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    padded = np.pad(x, ((0, 0), (0, 0), (m, m), (m, m)))
    rows = (m - dy)[:, None] + np.arange(h)
    cols = (m - dx)[:, None] + np.arange(w)
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


class RandomShift:
    """Shift each image by whole pixels, drawn uniformly from ``-max_shift..max_shift``.

    Rows and columns are drawn independently (first the N row shifts, then the N
    column shifts); pixels moved in from outside are 0, as in :func:`shift_image`.
    """

    def __init__(self, max_shift=1):
        if max_shift < 0:
            raise ValueError(f"max_shift must be >= 0, got {max_shift}")
        self.max_shift = int(max_shift)

    def __call__(self, x, rng):
        x = _check_batch(x)
        m = self.max_shift
        dy, dx = rng.integers(-m, m + 1, size=(2, len(x)))
        return _shift_each(x, dy, dx)

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"


class RandomRotation:
    """Rotate each image by an angle drawn uniformly from ``[-degrees, degrees]``."""

    def __init__(self, degrees=10.0):
        if degrees < 0:
            raise ValueError(f"degrees must be >= 0, got {degrees}")
        self.degrees = float(degrees)

    def __call__(self, x, rng):
        x = _check_batch(x)
        angles = rng.uniform(-self.degrees, self.degrees, size=len(x))
        if self.degrees == 0:
            return x.copy()
        return np.stack([rotate_image(img, a) for img, a in zip(x, angles, strict=True)])

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees:g})"


class GaussianNoise:
    """Add Gaussian noise of standard deviation ``sigma`` to every pixel, then clip to [0, 1]."""

    def __init__(self, sigma=0.1, clip=(0.0, 1.0)):
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.sigma = float(sigma)
        self.clip = clip

    def __call__(self, x, rng):
        x = _check_batch(x)
        return add_noise(x, rng.normal(0.0, self.sigma, size=x.shape), self.clip)

    def __repr__(self):
        return f"GaussianNoise(sigma={self.sigma:g})"


class _RandomFlip:
    axis = -1

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability, got {p}")
        self.p = float(p)

    def __call__(self, x, rng):
        x = _check_batch(x)
        flip = rng.random(len(x)) < self.p
        out = x.copy()
        out[flip] = np.flip(x[flip], axis=self.axis)
        return out

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p:g})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror each image left to right with probability ``p``.

    Label-preserving for cats and cars, not for digits or letters.
    """

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror each image top to bottom with probability ``p``."""

    axis = -2


class Compose:
    """Apply transforms one after another, all drawing from the same generator."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x, rng):
        x = _check_batch(x)
        for transform in self.transforms:
            x = transform(x, rng)
        return x

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class RandAugment:
    """RandAugment (Cubuk et al., 2020): ``num_ops`` random operations at one shared magnitude.

    Instead of searching for the best augmentation policy, RandAugment has just two
    knobs: how many operations each image gets and how strong they are. Each image draws
    ``num_ops`` operations uniformly (with replacement) from ``ops``, and each operation is
    applied at ``magnitude`` on a scale 0..10. The operations offered here are the
    label-preserving ones for digits; ``ops`` maps a name to ``f(magnitude) -> transform``.
    """

    DEFAULT_OPS = {
        "identity": lambda m: None,
        "shift": lambda m: RandomShift(round(m / 5)),          # up to 2 pixels at 10
        "rotate": lambda m: RandomRotation(3.0 * m),            # up to 30 degrees at 10
        "noise": lambda m: GaussianNoise(0.03 * m),             # sigma up to 0.3 at 10
    }

    def __init__(self, num_ops=2, magnitude=5, ops=None):
        if not 0 <= magnitude <= 10:
            raise ValueError(f"magnitude is on a scale 0..10, got {magnitude}")
        if num_ops < 0:
            raise ValueError(f"num_ops must be >= 0, got {num_ops}")
        self.num_ops = int(num_ops)
        self.magnitude = magnitude
        ops = dict(self.DEFAULT_OPS if ops is None else ops)
        self.names = list(ops)
        self.transforms = [make(magnitude) for make in ops.values()]

    def __call__(self, x, rng):
        x = _check_batch(x).copy()
        for _ in range(self.num_ops):
            chosen = rng.integers(len(self.transforms), size=len(x))
            for k, transform in enumerate(self.transforms):
                picked = chosen == k
                if transform is not None and picked.any():
                    x[picked] = transform(x[picked], rng)
        return x

    def __repr__(self):
        return f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, ops={self.names})"
