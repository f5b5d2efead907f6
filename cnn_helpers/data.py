"""Datasets for the book.

Everything except :func:`load_mnist` works offline: the digits come with
scikit-learn, the photograph and the two signals come with matplotlib, and
:func:`make_shapes` draws its images with numpy.

Images are returned channels-first, ``(N, C, H, W)`` float32 in ``[0, 1]``,
the layout :mod:`cnn_helpers.nn` (and ``torch.nn``) expects.
"""

import gzip
import os
from collections import namedtuple
from pathlib import Path

import numpy as np

__all__ = [
    "DataSplit",
    "TrainValTestSplit",
    "Signal",
    "SHAPE_CLASSES",
    "MNIST_FILES",
    "MNIST_URLS",
    "load_digits",
    "make_shapes",
    "load_sample_image",
    "rgb_to_grey",
    "load_sample_signal",
    "load_mnist",
    "read_idx",
]

DataSplit = namedtuple("DataSplit", ["X_train", "y_train", "X_test", "y_test"])
DataSplit.__doc__ = "A train/test split: images ``(N, C, H, W)`` float32 and int64 labels."

TrainValTestSplit = namedtuple(
    "TrainValTestSplit", ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]
)
TrainValTestSplit.__doc__ = (
    "A train/validation/test split: images ``(N, C, H, W)`` float32 and int64 labels."
)

Signal = namedtuple("Signal", ["t", "values"])
Signal.__doc__ = "A sampled signal: times ``t`` of shape ``(L,)`` and ``values`` of shape ``(C, L)``."


# --------------------------------------------------------------------------
# scikit-learn's 8x8 digits
# --------------------------------------------------------------------------

def load_digits(test_size=0.25, seed=0, val_size=None):
    """The 1,797 handwritten 8x8 digits bundled with scikit-learn.

    scikit-learn's copy is the test part of the UCI "optdigits" data, written
    by 13 people; no writer labels come with it, so every split here is by
    image, and the same writers appear on every side of it.

    Args:
        test_size: fraction of the images held out for testing.
        seed: seed of the stratified split; the same seed gives the same split.
        val_size: ``None`` (the default) for a train/test split. A fraction
            of *all* images, e.g. ``0.15``, carves a validation set out of
            the training part; the test part stays exactly the one returned
            without ``val_size``, so a test score means the same either way.

    Returns:
        ``DataSplit(X_train, y_train, X_test, y_test)``, or with ``val_size``
        ``TrainValTestSplit(X_train, y_train, X_val, y_val, X_test, y_test)``,
        with images of shape ``(N, 1, 8, 8)``, float32 in ``[0, 1]``, and
        labels int64 in ``0..9``. Every class keeps its share of the images
        in every part.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    digits = _sk_load_digits()
    # Pixel values are counts of set pixels in 4x4 blocks, 0..16.
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    if val_size is None:
        return DataSplit(X_train, y_train, X_test, y_test)
    if not 0 < val_size < 1 - test_size:
        raise ValueError(
            f"val_size must be in (0, 1 - test_size) = (0, {1 - test_size:g}), got {val_size}"
        )
    n_val = int(round(val_size * len(X)))
    X_train, X_val, y_train, y_val = train_test_split(
        X_train, y_train, test_size=n_val, random_state=seed, stratify=y_train
    )
    return TrainValTestSplit(X_train, y_train, X_val, y_val, X_test, y_test)


# --------------------------------------------------------------------------
# Synthetic shapes
# --------------------------------------------------------------------------

SHAPE_CLASSES = ("square", "circle", "triangle", "cross", "line")


def _box_distance(u, v, half_width, half_height):
    # Signed distance (negative inside) to an axis-aligned box; exact inside,
    # a good enough bound outside for anti-aliasing one pixel of edge.
    return np.maximum(np.abs(u) - half_width, np.abs(v) - half_height)


def _shape_distance(name, u, v):
    """Signed distance to a shape of unit size in canonical coordinates."""
    if name == "square":
        return _box_distance(u, v, 0.5, 0.5)
    if name == "circle":
        return np.hypot(u, v) - 0.55
    if name == "triangle":
        # Equilateral, apex up, centroid at the origin: the intersection of
        # the half-plane above the base and the two sides (v points down).
        side = 0.866 * np.abs(u) - 0.5 * v - 0.35
        return np.maximum(v - 0.35, side)
    if name == "cross":
        arm = 0.15
        return np.minimum(_box_distance(u, v, 0.6, arm), _box_distance(u, v, arm, 0.6))
    if name == "line":
        return _box_distance(u, v, 0.7, 0.1)
    raise ValueError(f"unknown shape {name!r}; choose from {SHAPE_CLASSES}")


def _as_range(value, name):
    lo, hi = (value, value) if np.isscalar(value) else value
    if lo > hi:
        raise ValueError(f"{name} range must be (low, high) with low <= high, got {value}")
    return float(lo), float(hi)


def make_shapes(n, size=16, classes=SHAPE_CLASSES, shift=0.0, scale=1.0,
                rotation=0.0, noise=0.0, seed=0):
    """Draw ``n`` grey images of simple shapes, one class per shape.

    Each image is a white shape on black, drawn with anti-aliased edges and
    then moved, resized and turned at random within the given limits, which
    makes the dataset handy for showing what a CNN is (and is not) invariant to.

    Args:
        n: number of images; the classes are balanced to within one image.
        size: height and width in pixels.
        classes: shape names, from ``SHAPE_CLASSES``. Label ``i`` is ``classes[i]``.
        shift: largest shift of the centre, as a fraction of the image size,
            drawn uniformly in ``[-shift, shift]`` along each axis.
        scale: shape size relative to half the image; a number or a
            ``(low, high)`` range to draw from uniformly.
        rotation: largest rotation in degrees, drawn uniformly in
            ``[-rotation, rotation]``.
        noise: standard deviation of Gaussian pixel noise (the result is
            clipped back into ``[0, 1]``).
        seed: seed of everything random; the same arguments give the same images.

    Returns:
        ``(X, y)``: images ``(n, 1, size, size)`` float32 in ``[0, 1]`` and
        labels int64 of shape ``(n,)``.
    """
    classes = tuple(classes)
    for name in classes:
        _shape_distance(name, np.zeros(1), np.zeros(1))  # fail early on a bad name
    scale_lo, scale_hi = _as_range(scale, "scale")
    if n < 0 or size < 2:
        raise ValueError(f"need n >= 0 and size >= 2, got n={n}, size={size}")
    rng = np.random.default_rng(seed)

    y = rng.permutation(np.arange(n) % len(classes)).astype(np.int64)
    s = rng.uniform(scale_lo, scale_hi, size=n)
    angle = np.deg2rad(rng.uniform(-rotation, rotation, size=n))
    offset = rng.uniform(-shift, shift, size=(n, 2)) * 2.0  # image spans [-1, 1]

    # Pixel centres in [-1, 1]; map each pixel back into the shape's own frame.
    coords = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    gy, gx = np.meshgrid(coords, coords, indexing="ij")
    px = gx[None] - offset[:, 0, None, None]
    py = gy[None] - offset[:, 1, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * px + sin * py) / s[:, None, None]
    v = (-sin * px + cos * py) / s[:, None, None]

    X = np.zeros((n, size, size))
    for label, name in enumerate(classes):
        idx = y == label
        distance = _shape_distance(name, u[idx], v[idx]) * s[idx, None, None]
        # Distance measured in pixels gives a one-pixel-wide soft edge.
        X[idx] = np.clip(0.5 - distance * size / 2.0, 0.0, 1.0)
    if noise > 0:
        X = np.clip(X + rng.normal(0.0, noise, size=X.shape), 0.0, 1.0)
    return X[:, None].astype(np.float32), y


# --------------------------------------------------------------------------
# matplotlib's sample data
# --------------------------------------------------------------------------

def _sample_data_path(name):
    from matplotlib import cbook

    return cbook.get_sample_data(name, asfileobj=False)


def rgb_to_grey(image):
    """Luminance of an RGB image ``(..., 3)`` with the ITU-R 601 weights, shape ``(...)``."""
    image = np.asarray(image)
    if image.shape[-1] != 3:
        raise ValueError(f"expected an RGB image of shape (..., 3), got {image.shape}")
    weights = np.array([0.299, 0.587, 0.114], dtype=image.dtype)
    return image @ weights


def load_sample_image(grey=False):
    """The portrait of Grace Hopper that ships with matplotlib.

    Returns:
        float32 in ``[0, 1]``: RGB of shape ``(600, 512, 3)``, or with
        ``grey=True`` its luminance of shape ``(600, 512)``.
    """
    from matplotlib import image as mpimg

    rgb = mpimg.imread(_sample_data_path("grace_hopper.jpg"))
    rgb = rgb.astype(np.float32) / 255.0
    return rgb_to_grey(rgb) if grey else rgb


def load_sample_signal(name):
    """One of matplotlib's sample recordings, as ``Signal(t, values)``.

    * ``'eeg'``: four EEG channels, 800 samples over 10 s, shape ``(4, 800)``
      (stored as little-endian float64, 800 rows of 4 channels).
    * ``'membrane'``: one membrane-potential trace, 12,000 samples every
      0.5 ms, in millivolts, shape ``(1, 12000)`` (stored as float32 in units
      of 100 mV, which matplotlib's own example converts the same way).

    ``t`` is in seconds; ``values`` is float32 with channels first, ready
    for ``x[None]`` to make a batch of one for ``Conv1d``.
    """
    if name == "eeg":
        raw = np.fromfile(_sample_data_path("eeg.dat"), dtype="<f8").reshape(800, 4)
        values = raw.T
        t = 10.0 * np.arange(800) / 800
    elif name == "membrane":
        raw = np.fromfile(_sample_data_path("membrane.dat"), dtype="<f4")
        values = 100.0 * raw[None, :]
        t = 0.0005 * np.arange(raw.size)
    else:
        raise ValueError(f"unknown signal {name!r}; choose 'eeg' or 'membrane'")
    return Signal(t, np.ascontiguousarray(values, dtype=np.float32))


# --------------------------------------------------------------------------
# MNIST and Fashion-MNIST (need the network once, then cached)
# --------------------------------------------------------------------------

# SHA-256 of the four official gzipped IDX files of each dataset.
MNIST_FILES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

# Mirrors tried in order. yann.lecun.com no longer serves the files reliably,
# so MNIST comes from the mirrors torchvision and TensorFlow use.
MNIST_URLS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# IDX type codes (third byte of the magic number) and their numpy types.
_IDX_DTYPES = {
    0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8",
}


def read_idx(path):
    """Parse an IDX file (optionally gzipped) into a numpy array.

    The format is a 4-byte magic number ``0, 0, type, ndim``, then ``ndim``
    big-endian uint32 sizes, then the data in C order, big-endian.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r})")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{type_code:02x}")
    header_end = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_end != expected:
        raise ValueError(
            f"{path}: header promises shape {shape} ({expected} bytes) "
            f"but {len(raw) - header_end} bytes follow"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _default_cache_dir():
    import pooch

    return Path(os.environ.get("CNN_HELPERS_DATA", pooch.os_cache("cnn_helpers")))


def _fetch(fname, known_hash, urls, folder):
    """Download ``fname`` from the first mirror that answers, or reuse the cached copy."""
    import pooch

    errors = []
    for base in urls:
        try:
            return pooch.retrieve(base + fname, known_hash=known_hash, fname=fname,
                                  path=folder, progressbar=False)
        except OSError as err:  # requests' errors are OSErrors too
            errors.append(f"  {base + fname}: {type(err).__name__}: {err}")
    tried = "\n".join(errors)
    raise RuntimeError(
        f"could not download {fname} (no network?).\n"
        f"Looked for a cached copy in {folder} and tried:\n{tried}\n"
        "Put the official file there by hand, or use the book's offline "
        "datasets, load_digits() and make_shapes(), which need no network."
    )


def load_mnist(kind="mnist", split="train", cache_dir=None, *, urls=None, hashes=None):
    """MNIST or Fashion-MNIST, downloaded once with pooch and cached.

    Args:
        kind: ``'mnist'`` (handwritten digits) or ``'fashion'`` (Zalando's clothes).
        split: ``'train'`` (60,000 images) or ``'test'`` (10,000).
        cache_dir: where the gzipped files live; default the ``CNN_HELPERS_DATA``
            environment variable or the user cache folder. Files go to
            ``cache_dir/kind/``. A file already there with the right SHA-256
            is used without touching the network.
        urls: mirrors to try instead of ``MNIST_URLS[kind]``.
        hashes: ``{filename: sha256}`` instead of ``MNIST_FILES[kind]``
            (the tests use this for the small files they write).

    Returns:
        ``(X, y)``: images ``(N, 1, 28, 28)`` float32 in ``[0, 1]``, labels int64.
    """
    if kind not in MNIST_FILES:
        raise ValueError(f"kind must be one of {sorted(MNIST_FILES)}, got {kind!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    hashes = MNIST_FILES[kind] if hashes is None else hashes
    urls = MNIST_URLS[kind] if urls is None else tuple(urls)
    folder = Path(cache_dir if cache_dir is not None else _default_cache_dir()) / kind

    prefix = "train" if split == "train" else "t10k"
    arrays = []
    for part in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
        fname = f"{prefix}-{part}"
        known = hashes[fname]
        if known is not None and ":" not in known:
            known = "sha256:" + known
        arrays.append(read_idx(_fetch(fname, known, urls, folder)))
    images, labels = arrays
    if images.ndim != 3 or labels.shape != images.shape[:1]:
        raise ValueError(f"images {images.shape} and labels {labels.shape} do not match")
    X = (images.astype(np.float32) / 255.0)[:, None]
    return X, labels.astype(np.int64)
