"""Checkers for chapter 1, motivation: a parameter count, the pixel shuffle and
which pixel permutations keep neighbours together."""

from __future__ import annotations

import numpy as np

from ..counts import Linear, check_count
from ..functions import check_function
from ..running import guarded
from ._common import with_cases

CROP = 224 * 224 * 3


def check_dense_crop_params(fn, **kw):
    """A dense layer from a 224 x 224 colour crop to 512 units."""
    return check_count(fn, Linear(CROP, 512), name="dense_crop_params", **kw)


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


def _grid_position(perm, side):
    """Row and column, in the original image, of the pixel now at each place."""
    perm = np.asarray(perm)
    if perm.shape != (side * side,) or sorted(perm.tolist()) != list(range(side * side)):
        raise ValueError(f"perm must be a permutation of range({side * side})")
    return perm // side, perm % side


def _touching_pairs(side):
    """Flat indices of the pixel pairs that share an edge: left-right, then above-below."""
    index = np.arange(side * side).reshape(side, side)
    return ((index[:, :-1].ravel(), index[:, 1:].ravel()),
            (index[:-1, :].ravel(), index[1:, :].ravel()))


def _kept(perm, side, pairs, touching):
    rows, cols = _grid_position(perm, side)
    return bool(all(np.all(touching(rows[a] - rows[b], cols[a] - cols[b])) for a, b in pairs))


def _keeps_neighbours(perm, side=8):
    # Every pair that touches now touched before; for a permutation that is the
    # same as every pair that touched before touching now (both sets have as many pairs).
    return _kept(perm, side, _touching_pairs(side),
                 lambda dr, dc: np.abs(dr) + np.abs(dc) == 1)


def _same_direction(perm, side=8):
    across, down = _touching_pairs(side)
    return (_kept(perm, side, [across], lambda dr, dc: (dr == 0) & (dc == -1))
            and _kept(perm, side, [down], lambda dr, dc: (dr == -1) & (dc == 0)))


def _only_across(perm, side=8):
    across, _ = _touching_pairs(side)
    return _kept(perm, side, [across], lambda dr, dc: np.abs(dr) + np.abs(dc) == 1)


def _flat_index(perm, side=8):
    # Flattened thinking: k and k + 1 (and k + side) taken to touch, also across row ends.
    perm = np.asarray(perm)
    steps = np.r_[np.abs(np.diff(perm)), np.abs(perm[side:] - perm[:-side])]
    return bool(np.all((steps == 1) | (steps == side)))


def _neighbour_cases():
    """Permutations of small and 8 x 8 images: turns, mirrors, shifts and shuffles."""
    cases = []
    for side in (4, 5, 8):
        grid = np.arange(side * side).reshape(side, side)
        rng = np.random.default_rng(side)
        cases += [
            (grid[:, ::-1].ravel(), side),                  # mirror left-right
            (grid.T.ravel(), side),                         # transpose
            (np.rot90(grid).ravel(), side),                 # a quarter turn
            (rng.permutation(side * side), side),           # a shuffle
            (grid[rng.permutation(side)].ravel(), side),    # the rows shuffled
            (np.roll(grid.ravel(), 1), side),               # shifted by one place, wrapping
        ]
    cases += [(np.arange(16)[::-1], 4),                     # a half turn
              (np.rot90(np.arange(36).reshape(6, 6), 3).ravel(), 6),
              (np.arange(9), 3), (np.arange(36).reshape(6, 6)[::-1].T.ravel(), 6)]
    return cases


def _as_verdict(answer):
    if isinstance(answer, bool | np.bool_):
        return float(answer)
    raise TypeError(f"return True or False, not a {type(answer).__name__}")


@guarded
def check_keeps_neighbours(fn, *, cases=None):
    """``keeps_neighbours(perm, side=8)``: whether every two pixels that touch (share an
    edge) still touch after the permutation ``perm`` of a ``side`` x ``side`` image."""
    def verdict(wrong):
        return lambda perm, side=8: float(wrong(perm, side))

    result = check_function.__wrapped__(
        lambda perm, side=8: _as_verdict(fn(perm, side)), verdict(_keeps_neighbours),
        with_cases(_neighbour_cases(), cases), name="keeps_neighbours",
        arg_names=("perm", "side"), mistakes={
            "It looks like you required every pair to keep its direction (a right "
            "neighbour staying on the right); the question is only whether the two "
            "pixels still touch.": verdict(_same_direction),
            "It looks like you checked only left-right neighbours; pixels above and "
            "below each other touch too.": verdict(_only_across),
            "It looks like you took pixels whose flat indices differ by 1 as "
            "neighbours; the last pixel of a row does not touch the first pixel of "
            "the next.": verdict(_flat_index),
        })
    if not result.passed and "off by one" in result.summary:
        result.summary = "your function gives the wrong verdict on this permutation."
    return result
