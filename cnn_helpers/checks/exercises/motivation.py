"""Checkers for chapter 1, motivation: a parameter count, the pixel shuffle and
which pixel permutations keep neighbours together."""

from __future__ import annotations

import numpy as np

from ..counts import Linear, check_count
from ..results import FAIL
from ..running import DEFAULT_TIMEOUT, call, check_explained, guarded, type_name
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
    tried = with_cases(_shuffle_cases(images, perm), cases)
    mistakes = {"It looks like you applied the inverse permutation: pixel k "
                "went to place perm[k] instead of coming from there.": _inverse}
    return check_explained(fn, _permute, tried, mistakes, name="shuffle_pixels",
                           arg_names=("images", "perm"))


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


def _only_down(perm, side=8):
    _, down = _touching_pairs(side)
    return _kept(perm, side, [down], lambda dr, dc: np.abs(dr) + np.abs(dc) == 1)


def _diagonals_touch(perm, side=8):
    # Eight neighbours: a pixel diagonally next to another taken to touch it.
    return _kept(perm, side, _touching_pairs(side),
                 lambda dr, dc: np.maximum(np.abs(dr), np.abs(dc)) == 1)


def _flat_index(perm, side=8):
    # Flattened thinking: k and k + 1 (and k + side) taken to touch, also across row ends.
    perm = np.asarray(perm)
    steps = np.r_[np.abs(np.diff(perm)), np.abs(perm[side:] - perm[:-side])]
    return bool(np.all((steps == 1) | (steps == side)))


def _named_neighbour_cases():
    """(description, (perm, side)) for permutations of small and 8 x 8 images:
    turns, mirrors, shifts and shuffles."""
    cases = []
    for side in (4, 5, 8):
        grid = np.arange(side * side).reshape(side, side)
        rng = np.random.default_rng(side)
        image = f"a {side} x {side} image"
        cases += [
            (f"{image} mirrored left to right", grid[:, ::-1].ravel()),
            (f"{image} transposed", grid.T.ravel()),
            (f"{image} turned by a quarter", np.rot90(grid).ravel()),
            (f"a random shuffle of {image}", rng.permutation(side * side)),
            (f"{image} with its rows shuffled", grid[rng.permutation(side)].ravel()),
            (f"{image} with its columns shuffled",
             grid[:, rng.permutation(side)].ravel()),
            (f"{image} shifted by one place along the flat index, wrapping",
             np.roll(grid.ravel(), 1)),
        ]
    named = [(name, (p, int(np.sqrt(len(p))))) for name, p in cases]
    six = np.arange(36).reshape(6, 6)
    named += [
        ("a 4 x 4 image turned by a half", (np.arange(16)[::-1], 4)),
        ("a 6 x 6 image turned by three quarters", (np.rot90(six, 3).ravel(), 6)),
        ("a 3 x 3 image left as it is", (np.arange(9), 3)),
        ("a 6 x 6 image flipped upside down and transposed", (six[::-1].T.ravel(), 6)),
        ("a 2 x 2 image whose last two pixels swap places", (np.array([0, 1, 3, 2]), 2)),
        ("a 2 x 2 image whose second and fourth pixels swap places",
         (np.array([0, 3, 2, 1]), 2)),
    ]
    return named


def _neighbour_cases():
    return [case for _, case in _named_neighbour_cases()]


def _as_verdict(answer):
    if isinstance(answer, bool | np.bool_):
        return float(answer)
    raise TypeError(f"return True or False, not {type_name(answer)}")


def _grid_lines(perm, side):
    width = len(str(side * side - 1))
    return ["  ".join(f"{v:>{width}}" for v in row)
            for row in np.asarray(perm).reshape(side, side).tolist()]


def _first_wrong_case(fn, named):
    """The description and the case of the first case with a wrong verdict."""
    for name, (perm, side) in named:
        outcome = call(fn, (perm, side), {}, DEFAULT_TIMEOUT)
        if outcome.kind != "ok":
            return None
        if outcome.value != _keeps_neighbours(perm, side):
            return name, perm, side
    return None


@guarded
def check_keeps_neighbours(fn, *, cases=None):
    """``keeps_neighbours(perm, side=8)``: whether every two pixels that touch (share an
    edge) still touch after the permutation ``perm`` of a ``side`` x ``side`` image."""
    def verdict(wrong):
        return lambda perm, side=8: float(wrong(perm, side))

    def reader(perm, side=8):
        return _as_verdict(fn(perm, side))

    named = (_named_neighbour_cases() if cases is None
             else [("the permutation below", tuple(case)) for case in cases])
    tried = [case for _, case in named]
    reference = verdict(_keeps_neighbours)
    mistakes = {
        "It looks like you required every pair to keep its direction (a right "
        "neighbour staying on the right); the question is only whether the two "
        "pixels still touch.": verdict(_same_direction),
        "It looks like you checked only left-right neighbours; pixels above and "
        "below each other touch too.": verdict(_only_across),
        "It looks like you checked only pixels above and below each other; left "
        "and right neighbours touch too.": verdict(_only_down),
        "It looks like you counted diagonal neighbours as touching; two pixels "
        "touch only when they share an edge.": verdict(_diagonals_touch),
        "It looks like you took pixels whose flat indices differ by 1 as "
        "neighbours; the last pixel of a row does not touch the first pixel of "
        "the next.": verdict(_flat_index),
    }
    # True/False answers agree with a wrong rule by chance: a mistake is named
    # only when it gives the reader's verdict on every case.
    result = check_explained(reader, reference, tried, mistakes, name="keeps_neighbours",
                             arg_names=("perm", "side"))
    if result.status != FAIL or "raised an error" in result.summary or "too long" in result.summary:
        return result
    wrong = _first_wrong_case(reader, named)
    if wrong is None:
        return result
    name, perm, side = wrong
    if result.summary in mistakes:
        result.details = [f"The first wrong verdict is on {name}."]
        return result
    result.summary = f"your function gives the wrong verdict on {name}."
    result.details = [
        "Each place of the reordered image holds the pixel with this flat "
        "index of the original:", *_grid_lines(perm, side),
        "Follow two pixels that touched before: do they still touch?"]
    return result
