"""Tests of cnn_helpers.data, all offline."""

import gzip
import hashlib
import struct

import numpy as np
import pooch
import pytest
import requests

from cnn_helpers.data import (
    MNIST_FILES,
    SHAPE_CLASSES,
    load_digits,
    load_mnist,
    load_sample_image,
    load_sample_signal,
    make_shapes,
    read_idx,
    rgb_to_grey,
)

# --------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------

def test_digits_shapes_dtypes_and_range():
    split = load_digits()
    assert split.X_train.shape == (1347, 1, 8, 8) and split.X_test.shape == (450, 1, 8, 8)
    assert split.X_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert split.X_train.min() == 0.0 and split.X_train.max() == 1.0
    assert set(np.unique(split.y_test)) == set(range(10))


def test_digits_split_is_stratified_and_deterministic():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.y_test, c.y_test)
    # Each class keeps its overall share on the test side (to within one image).
    overall = np.bincount(np.concatenate([a.y_train, a.y_test])) * 0.25
    assert np.all(np.abs(np.bincount(a.y_test) - overall) <= 1)
    small = load_digits(test_size=0.1)
    assert len(small.X_test) == 180


def test_digits_validation_split_leaves_the_test_part_unchanged():
    plain = load_digits()
    split = load_digits(val_size=0.15)
    assert split._fields == ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
    np.testing.assert_array_equal(split.X_test, plain.X_test)
    np.testing.assert_array_equal(split.y_test, plain.y_test)
    assert len(split.X_val) == round(0.15 * 1797) == 270
    assert len(split.X_train) + len(split.X_val) == len(plain.X_train)
    # The validation images are training images set aside, none of them twice.
    def rows(X, y):
        return {x.tobytes() + bytes([label]) for x, label in zip(X, y, strict=True)}

    val_rows = rows(split.X_val, split.y_val)
    plain_rows = rows(plain.X_train, plain.y_train)
    assert val_rows <= plain_rows
    assert rows(split.X_train, split.y_train) | val_rows == plain_rows
    # Stratified: every class keeps its share of the validation part, to within one image.
    labels = np.concatenate([plain.y_train, plain.y_test])
    assert np.all(np.abs(np.bincount(split.y_val) - np.bincount(labels) * 270 / 1797) <= 1.5)
    again = load_digits(val_size=0.15)
    np.testing.assert_array_equal(again.X_val, split.X_val)


@pytest.mark.parametrize("val_size", [0.0, 0.75, 1.2, -0.1])
def test_digits_validation_size_out_of_range_is_refused(val_size):
    with pytest.raises(ValueError, match="val_size"):
        load_digits(val_size=val_size)


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------

def test_make_shapes_shapes_ranges_and_balance():
    X, y = make_shapes(103, size=12, noise=0.1, seed=0)
    assert X.shape == (103, 1, 12, 12) and X.dtype == np.float32
    assert y.shape == (103,) and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    counts = np.bincount(y, minlength=len(SHAPE_CLASSES))
    assert counts.max() - counts.min() <= 1


def test_make_shapes_is_deterministic():
    kwargs = dict(size=10, shift=0.2, scale=(0.6, 1.2), rotation=45, noise=0.05)
    X1, y1 = make_shapes(40, seed=3, **kwargs)
    X2, y2 = make_shapes(40, seed=3, **kwargs)
    X3, _ = make_shapes(40, seed=4, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_make_shapes_without_variation_draws_identical_images_per_class():
    X, y = make_shapes(30, size=16, seed=0)
    for label in range(len(SHAPE_CLASSES)):
        images = X[y == label]
        assert np.all(images == images[0])
    # Different classes really look different.
    firsts = [X[y == k][0] for k in range(len(SHAPE_CLASSES))]
    for i in range(len(firsts)):
        for j in range(i + 1, len(firsts)):
            assert np.abs(firsts[i] - firsts[j]).sum() > 5


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


def test_make_shapes_controls_shift_scale_rotation_and_noise():
    still, _ = make_shapes(50, size=20, classes=("square",), seed=0)
    moved, _ = make_shapes(50, size=20, classes=("square",), shift=0.2, seed=0)
    centres = np.array([centre_of_mass(im[0]) for im in moved])
    assert np.allclose(centre_of_mass(still[0, 0]), [9.5, 9.5], atol=0.05)
    assert centres.std(axis=0).min() > 1.0

    small, _ = make_shapes(5, size=20, classes=("circle",), scale=0.5, seed=0)
    large, _ = make_shapes(5, size=20, classes=("circle",), scale=1.5, seed=0)
    assert large.sum() > 4 * small.sum()

    turned, _ = make_shapes(20, size=20, classes=("line",), rotation=90, seed=0)
    assert not np.all(turned == turned[0])

    noisy, _ = make_shapes(5, size=20, classes=("square",), noise=0.2, seed=0)
    assert np.abs(noisy - still[:5]).mean() > 0.05


def test_make_shapes_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown shape 'hexagon'"):
        make_shapes(4, classes=("square", "hexagon"))
    with pytest.raises(ValueError, match="scale"):
        make_shapes(4, scale=(2.0, 1.0))


# --------------------------------------------------------------------------
# matplotlib's sample data
# --------------------------------------------------------------------------

def test_sample_image_rgb_and_grey():
    rgb = load_sample_image()
    assert rgb.shape == (600, 512, 3) and rgb.dtype == np.float32
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    grey = load_sample_image(grey=True)
    assert grey.shape == (600, 512)
    np.testing.assert_allclose(grey, rgb_to_grey(rgb))
    np.testing.assert_allclose(rgb_to_grey(np.ones((2, 2, 3))), 1.0)
    with pytest.raises(ValueError, match="RGB"):
        rgb_to_grey(np.ones((4, 4)))


def test_sample_signals():
    eeg = load_sample_signal("eeg")
    assert eeg.values.shape == (4, 800) and eeg.t.shape == (800,)
    assert eeg.values.dtype == np.float32
    assert eeg.t[-1] < 10.0 and np.abs(eeg.values).max() < 10
    membrane = load_sample_signal("membrane")
    assert membrane.values.shape == (1, 12000)
    np.testing.assert_allclose(np.diff(membrane.t[:3]), 0.0005)
    # A resting membrane potential: tens of millivolts below zero.
    assert -80 < np.median(membrane.values) < -40
    with pytest.raises(ValueError, match="'eeg' or 'membrane'"):
        load_sample_signal("ecg")


# --------------------------------------------------------------------------
# IDX and MNIST, offline
# --------------------------------------------------------------------------

def idx_bytes(array):
    type_code = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}[array.dtype]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_gz(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(payload)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fake_mnist(folder, n=7):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    hashes = {}
    for prefix in ("train", "t10k"):
        hashes[f"{prefix}-images-idx3-ubyte.gz"] = write_gz(
            folder / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images))
        hashes[f"{prefix}-labels-idx1-ubyte.gz"] = write_gz(
            folder / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels))
    return images, labels, hashes


def test_read_idx_parses_header_and_big_endian_data(tmp_path):
    floats = np.arange(6, dtype=">f4").reshape(2, 3)
    path = tmp_path / "f.idx"
    path.write_bytes(idx_bytes(floats))
    out = read_idx(path)
    np.testing.assert_array_equal(out, floats)
    assert out.dtype == np.float32 and out.dtype.isnative
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\0" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(idx_bytes(floats)[:-4])
    with pytest.raises(ValueError, match="bytes follow"):
        read_idx(short)


def test_load_mnist_reads_cached_files_without_network(tmp_path):
    images, labels, hashes = fake_mnist(tmp_path / "fashion")
    unreachable = ("http://127.0.0.1:9/never-used/",)  # files are cached: not contacted
    X, y = load_mnist("fashion", "test", cache_dir=tmp_path, urls=unreachable, hashes=hashes)
    assert X.shape == (7, 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_allclose(X[:, 0] * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64


def test_official_hashes_are_sha256_of_all_four_files():
    for files in MNIST_FILES.values():
        assert len(files) == 4
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in files.values())


def test_load_mnist_offline_error_is_clear(tmp_path, monkeypatch):
    def no_network(url, **kwargs):
        raise requests.exceptions.ConnectionError(f"cannot reach {url}")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    with pytest.raises(RuntimeError) as err:
        load_mnist("mnist", "train", cache_dir=tmp_path)
    message = str(err.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message
    assert "ossci-datasets" in message and "load_digits()" in message


def test_load_mnist_rejects_unknown_kind_and_split(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        load_mnist("kmnist", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist("mnist", "val", cache_dir=tmp_path)
