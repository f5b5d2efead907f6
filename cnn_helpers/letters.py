"""Letters A-Z and a-z rendered from fonts, made to look like the UCI handwritten digits.

Chapter 8 needs a *source task* far larger than its target (scikit-learn's 1,797 digits),
with different classes, built on the reader's machine without a download. This module
makes one: every image is a letter drawn by FreeType (the renderer matplotlib ships) from
one of the fonts in matplotlib's own ``mpl-data`` folder, so the pinned matplotlib pins
the fonts too. Each image then goes through the steps that made the UCI digits
(Alpaydin and Kaynak, 1998), with random changes that imitate handwriting:

1. render the letter large (40 pixels per em), binarised;
2. thicken the strokes by 0 to 2 pixels (stroke width);
3. one random affine map (rotation, shear, scale) and, optionally, an elastic distortion
   (Simard, Steinkraus and Platt, 2003), applied in one resampling;
4. scale the ink into a 32x32 box, binarise, flip a few random pixels (noise);
5. count the ink in each 4x4 block: an 8x8 image of integers 0..16, like ``load_digits``.

Image ``i`` of a set depends only on ``(seed, i)``: its class is ``i % 52``, its font
``(i // 52) % n_fonts``, and its random draws come from ``np.random.default_rng([seed, i])``.
So any image can be made alone, in any order, and a test can rebuild the first training
batches without building all the others::

    X, y = letter_images(range(1000), seed=0)      # (1000, 1, 8, 8) in [0, 1], labels 0..51
"""

from __future__ import annotations

import string
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage

__all__ = [
    "LETTERS",
    "FONT_FILES",
    "font_paths",
    "render_glyph",
    "glyph",
    "glyphs",
    "distort",
    "to_blocks",
    "letter_image",
    "letter_images",
]

LETTERS = string.ascii_uppercase + string.ascii_lowercase

# The text fonts that matplotlib installs with itself (mpl-data/fonts/ttf). Left out:
# symbol and large-delimiter fonts (cmex10, cmsy10, STIXSize*, STIXNonUni*), which have no
# ordinary letters, and the DejaVu "Display" fonts, which hold only a few glyphs.
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf", "cmmi10.ttf",
)

GLYPH_SIZE = 40          # pixels per em when rendering
CANVAS = 32              # the UCI bitmaps are 32x32
BLOCK = 4                # ... and are counted in 4x4 blocks, to 8x8


def font_paths():
    """The paths of ``FONT_FILES`` inside the installed matplotlib."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return [folder / name for name in FONT_FILES]


@lru_cache(maxsize=64)
def _font(path):
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


def render_glyph(path, char, size=GLYPH_SIZE):
    """One character drawn by FreeType: a binary ``(h, w)`` array cropped to its ink."""
    if len(char) != 1:
        raise ValueError(f"render_glyph draws one character, got {char!r}")
    font = _font(str(path))
    font.set_size(size, 72)
    font.set_text(char, 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    image = np.asarray(font.get_image(), dtype=np.float64) / 255.0
    ink = image >= 0.5
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        raise ValueError(f"{Path(path).name} has no visible glyph for {char!r}")
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


@cache
def glyph(font, letter):
    """Letter number ``letter`` (0..51) in font number ``font``, rendered once and kept."""
    return render_glyph(font_paths()[font], LETTERS[letter])


def glyphs():
    """Every letter in every font: ``table[font][letter]``, binary arrays."""
    return tuple(tuple(glyph(f, k) for k in range(len(LETTERS)))
                 for f in range(len(FONT_FILES)))


def distort(glyph, rng, elastic=True, max_rotation=12.0, max_shear=0.3,
            scale=(0.8, 1.2), max_thicken=2, alpha=6.0, sigma=4.0):
    """A randomly changed copy of a binary glyph, on a canvas with a margin around it.

    Stroke width: dilate by 0..``max_thicken`` pixels. Affine: rotate by up to
    ``max_rotation`` degrees, shear by up to ``max_shear``, scale each axis by a factor in
    ``scale``. Elastic (Simard et al., 2003): a random displacement field, smoothed by a
    Gaussian of ``sigma`` pixels and scaled so that it moves pixels by about ``alpha``
    pixels. Both maps are applied in one bilinear resampling; returns a float image.
    """
    thicken = int(rng.integers(0, max_thicken + 1))
    image = np.pad(glyph, 12)
    if thicken:
        image = ndimage.binary_dilation(image, iterations=thicken)
    image = image.astype(np.float64)
    h, w = image.shape
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation))
    shear = rng.uniform(-max_shear, max_shear)
    sy, sx = rng.uniform(*scale, size=2)
    # Output pixel (r, c) reads the input at A @ (r, c) about the centre.
    cos, sin = np.cos(angle), np.sin(angle)
    A = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    A = A @ np.diag([1.0 / sy, 1.0 / sx])
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    rr, cc = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    coords = np.einsum("ij,jhw->ihw", A, np.stack([rr, cc]) - centre[:, None, None])
    coords += centre[:, None, None]
    # The field is drawn even when unused, so that elastic=False changes nothing else.
    field = rng.uniform(-1.0, 1.0, size=(2, h, w))
    if elastic:
        smooth = np.stack([ndimage.gaussian_filter(f, sigma, mode="constant") for f in field])
        smooth *= alpha / max(np.abs(smooth).max(), 1e-12)
        coords += smooth
    return ndimage.map_coordinates(image, coords, order=1, mode="constant", cval=0.0)


def to_blocks(image, rng=None, flip=0.005):
    """Process a float image like the UCI digits: ink into 32x32, binarise, 4x4 counts.

    The ink's bounding box is scaled (keeping its aspect ratio) so that its longer side
    fills the 32x32 canvas, and centred. With ``rng``, each of the 1,024 bits is flipped
    with probability ``flip``. Returns ``(8, 8)`` integer counts in 0..16.
    """
    ink = image >= 0.5
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        bits = np.zeros((CANVAS, CANVAS), dtype=bool)
    else:
        crop = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        factor = CANVAS / max(crop.shape)
        shape = tuple(max(1, min(CANVAS, round(s * factor))) for s in crop.shape)
        # Bilinear sampling of the crop at the centres of the new pixels.
        r = (np.arange(shape[0]) + 0.5) * crop.shape[0] / shape[0] - 0.5
        c = (np.arange(shape[1]) + 0.5) * crop.shape[1] / shape[1] - 0.5
        rr, cc = np.meshgrid(r, c, indexing="ij")
        small = ndimage.map_coordinates(crop, [rr, cc], order=1, mode="nearest")
        bits = np.zeros((CANVAS, CANVAS), dtype=bool)
        top, left = (CANVAS - shape[0]) // 2, (CANVAS - shape[1]) // 2
        bits[top:top + shape[0], left:left + shape[1]] = small >= 0.5
    if rng is not None:
        bits ^= rng.random(bits.shape) < flip
    n = CANVAS // BLOCK
    return bits.reshape(n, BLOCK, n, BLOCK).sum(axis=(1, 3)).astype(np.int64)


def letter_image(i, seed=0, elastic=True):
    """Image ``i`` of the letter set drawn with ``seed``: ``(counts (8, 8), label)``."""
    i = int(i)
    if i < 0:
        raise ValueError(f"image indices start at 0, got {i}")
    label = i % len(LETTERS)
    font = (i // len(LETTERS)) % len(FONT_FILES)
    rng = np.random.default_rng([seed, i])
    return to_blocks(distort(glyph(font, label), rng, elastic=elastic), rng), label


def letter_images(indices, seed=0, elastic=True, progress=False):
    """Images ``indices`` of the letter set: ``X (n, 1, 8, 8)`` float32 in [0, 1] (counts
    divided by 16, like ``load_digits``) and labels ``y (n,)`` int64 in 0..51."""
    indices = list(indices)
    if progress:
        from tqdm.auto import tqdm

        indices = tqdm(indices, desc="letters", unit="img", mininterval=1.0)
    pairs = [letter_image(i, seed, elastic) for i in indices]
    X = np.array([p[0] for p in pairs], dtype=np.float32).reshape(-1, 1, 8, 8) / 16.0
    y = np.array([p[1] for p in pairs], dtype=np.int64)
    return X, y
