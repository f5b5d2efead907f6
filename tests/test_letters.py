"""Tests for cnn_helpers.letters, the rendered-letters source task of chapter 8."""

import numpy as np
import pytest

from cnn_helpers import letters


def test_every_font_is_shipped_by_matplotlib_and_draws_every_letter():
    paths = letters.font_paths()
    assert len(paths) == len(letters.FONT_FILES) == 22
    for path in paths:
        assert path.exists(), path
    table = letters.glyphs()
    assert len(table) == 22 and all(len(row) == 52 for row in table)
    for row in table:
        for glyph in row:
            assert glyph.dtype == bool and glyph.any()
            # Cropped to the ink: the first and last row and column each hold some.
            assert glyph[0].any() and glyph[-1].any()
            assert glyph[:, 0].any() and glyph[:, -1].any()


def test_render_glyph_rejects_strings():
    with pytest.raises(ValueError, match="one character"):
        letters.render_glyph(letters.font_paths()[0], "ab")


def test_to_blocks_counts_ink_in_4x4_blocks():
    # A full 32x32 square of ink: every block holds 16 set pixels.
    full = np.ones((40, 40))
    np.testing.assert_array_equal(letters.to_blocks(full), np.full((8, 8), 16))
    # The oracle: count by loops on a random 32x32 binary image that fills its box.
    rng = np.random.default_rng(0)
    bits = rng.random((32, 32)) < 0.4
    bits[0, 0] = bits[-1, -1] = True
    counts = letters.to_blocks(bits.astype(float))
    expected = [[bits[4 * r:4 * r + 4, 4 * c:4 * c + 4].sum() for c in range(8)]
                for r in range(8)]
    np.testing.assert_array_equal(counts, expected)
    assert letters.to_blocks(np.zeros((10, 10))).sum() == 0


def test_to_blocks_scales_the_longer_side_to_the_canvas_and_centres():
    bar = np.zeros((50, 50))
    bar[5:45, 20:30] = 1.0                     # 40 high, 10 wide
    counts = letters.to_blocks(bar)
    assert counts[0].sum() > 0 and counts[-1].sum() > 0     # full height
    cols = np.flatnonzero(counts.sum(axis=0))
    assert cols.min() >= 2 and cols.max() <= 5             # narrow, in the middle


def test_images_depend_only_on_seed_and_index():
    X, y = letters.letter_images([0, 1, 60, 7], seed=3)
    X2, y2 = letters.letter_images([7, 60], seed=3)
    np.testing.assert_array_equal(X[[3, 2]], X2)
    np.testing.assert_array_equal(y, [0, 1, 60 % 52, 7])
    assert not np.array_equal(letters.letter_images([0], seed=4)[0], X[:1])
    assert X.shape == (4, 1, 8, 8) and X.dtype == np.float32
    assert X.min() >= 0 and X.max() <= 1
    np.testing.assert_array_equal(X * 16, np.round(X * 16))   # counts 0..16, divided by 16


def test_elastic_distortion_is_the_only_difference_when_switched_off():
    glyph = letters.glyph(0, 0)
    plain = letters.distort(glyph, np.random.default_rng(1), elastic=False)
    elastic = letters.distort(glyph, np.random.default_rng(1), elastic=True)
    again = letters.distort(glyph, np.random.default_rng(1), elastic=False)
    np.testing.assert_array_equal(plain, again)
    assert plain.shape == elastic.shape
    assert np.abs(plain - elastic).max() > 0.5
    # The ink moves, but there is about as much of it.
    assert 0.7 < elastic.sum() / plain.sum() < 1.3


def test_negative_index_is_an_error():
    with pytest.raises(ValueError, match="start at 0"):
        letters.letter_image(-1)


def test_classes_are_balanced_and_fonts_cycle():
    _, y = letters.letter_images(range(104), seed=0)
    np.testing.assert_array_equal(np.bincount(y), [2] * 52)


# SHA-256 of every 25th image (208 images, all 52 classes, many fonts) of the sets the
# experiment uses: seed 0 trains the source, seed 1 tests it, seed 2 stops the small
# source early. The images are integer ink counts, so they must match on any machine; a
# change of a font, the renderer or a distortion shows here before it silently changes
# the shipped weights.
LETTER_DIGESTS = {
    0: "f070bcf1f41abdf9e171dfa23b3acb6b424434b362814eb9208014bfea9eac3f",
    1: "6b69ec8a6dd41e44f8d957279be0a92ad23d4ed120e0e2ff359367eaa75d470b",
    2: "cfd61ee11787c3138e4312489e23f8a62f7276b5062591ea0f77f1b2ff879ba4",
}


def test_generated_letter_images_keep_their_digest():
    from cnn_helpers.demos import transfer

    for seed, digest in LETTER_DIGESTS.items():
        X, y = letters.letter_images(range(0, 5200, 25), seed=seed)
        assert X.shape == (208, 1, 8, 8)
        assert transfer._data_digest(X, y) == digest, seed
