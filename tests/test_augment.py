"""Tests for cnn_helpers.augment: exact small cases, invariants, seeding and composition."""

import numpy as np
import pytest

from cnn_helpers import augment as A
from cnn_helpers.training import fit


def test_shift_image_moves_pixels_and_fills_zeros():
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    np.testing.assert_array_equal(A.shift_image(x, 1, 0), [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(A.shift_image(x, 0, -1), [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    np.testing.assert_array_equal(A.shift_image(x, -1, 2), [[0, 0, 4], [0, 0, 7], [0, 0, 0]])
    np.testing.assert_array_equal(A.shift_image(x, 0, 0), x)
    np.testing.assert_array_equal(A.shift_image(x, 3, 0), np.zeros((3, 3)))


def test_shift_image_works_on_stacks_and_leaves_input_alone():
    rng = np.random.default_rng(0)
    x = rng.random((2, 1, 5, 6))
    before = x.copy()
    out = A.shift_image(x, 2, -1)
    np.testing.assert_array_equal(x, before)
    for n in range(2):
        np.testing.assert_array_equal(out[n, 0], A.shift_image(x[n, 0], 2, -1))
    # A shift and its inverse give back the interior.
    back = A.shift_image(out, -2, 1)
    np.testing.assert_array_equal(back[..., :3, 1:], x[..., :3, 1:])


def test_rotate_image_quarter_turn_is_rot90_and_zero_is_identity():
    x = np.arange(16, dtype=float).reshape(4, 4)
    np.testing.assert_allclose(A.rotate_image(x, 90, order=0), np.rot90(x), atol=1e-12)
    np.testing.assert_allclose(A.rotate_image(x, 0), x, atol=1e-12)
    stack = np.stack([x, x.T])[:, None]
    out = A.rotate_image(stack, 90, order=0)
    np.testing.assert_allclose(out[1, 0], np.rot90(x.T), atol=1e-12)
    assert A.rotate_image(x.astype(np.float32), 10).dtype == np.float32


def test_add_noise_clips_into_pixel_range():
    x = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    out = A.add_noise(x, np.array([[-0.2, 0.1, 0.3]]))
    np.testing.assert_allclose(out, [[0.0, 0.6, 1.0]], rtol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.parametrize("transform", [
    A.RandomShift(1), A.RandomRotation(15), A.GaussianNoise(0.1), A.RandomHorizontalFlip(),
    A.RandomVerticalFlip(0.3), A.Compose([A.RandomShift(1), A.GaussianNoise(0.05)]),
    A.RandAugment(2, 5),
])
def test_random_transforms_are_seeded_shape_preserving_and_pure(transform):
    x = np.random.default_rng(1).random((7, 1, 8, 8)).astype(np.float32)
    before = x.copy()
    a = transform(x, np.random.default_rng(3))
    b = transform(x, np.random.default_rng(3))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert np.all((a >= 0) & (a <= 1))
    assert repr(transform)


def test_random_shift_applies_one_whole_pixel_shift_per_image():
    x = np.zeros((50, 1, 5, 5), dtype=np.float32)
    x[:, 0, 2, 2] = 1
    out = A.RandomShift(1)(x, np.random.default_rng(0))
    assert out.sum() == 50  # the single bright pixel survives every shift of at most 1
    offsets = {(int(r) - 2, int(c) - 2) for r, c in zip(*np.nonzero(out[:, 0].max(axis=0)), strict=True)}
    assert offsets <= {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert len(offsets) > 4  # different images get different shifts


@pytest.mark.parametrize("max_shift", [0, 1, 2, 7])
def test_random_shift_is_shift_image_with_the_drawn_offsets(max_shift):
    """The batched gather agrees with the slicing of shift_image, image by image."""
    x = np.random.default_rng(0).random((40, 2, 6, 5)).astype(np.float32) + 1.0
    out = A.RandomShift(max_shift)(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    # The draw RandomShift documents: all row shifts, then all column shifts.
    dy, dx = np.random.default_rng(1).integers(-max_shift, max_shift + 1, size=(2, len(x)))
    for n in range(len(x)):
        np.testing.assert_array_equal(out[n], A.shift_image(x[n], dy[n], dx[n]), err_msg=f"image {n}")
    if max_shift == 0:
        np.testing.assert_array_equal(out, x)
    if max_shift == 7:  # shifts past the border leave whole images of zeros
        assert any(not image.any() for image in out)


def test_flips_mirror_exactly_the_chosen_images():
    x = np.random.default_rng(0).random((40, 1, 3, 4))
    out = A.RandomHorizontalFlip(0.5)(x, np.random.default_rng(2))
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x, strict=True)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x, strict=True)])
    assert np.all(flipped ^ kept) and 5 < flipped.sum() < 35
    np.testing.assert_array_equal(A.RandomVerticalFlip(1.0)(x, np.random.default_rng(0)),
                                  x[:, :, ::-1, :])
    np.testing.assert_array_equal(A.RandomHorizontalFlip(0.0)(x, np.random.default_rng(0)), x)


def test_gaussian_noise_has_the_asked_spread_before_clipping():
    x = np.full((200, 1, 8, 8), 0.5)
    out = A.GaussianNoise(0.05)(x, np.random.default_rng(0))
    assert abs(float((out - x).std()) - 0.05) < 0.003


def test_rand_augment_at_magnitude_zero_changes_nothing():
    x = np.random.default_rng(0).random((10, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(A.RandAugment(3, 0)(x, np.random.default_rng(0)), x, atol=1e-6)
    with pytest.raises(ValueError):
        A.RandAugment(2, 11)


def test_bad_arguments_and_inputs_raise():
    with pytest.raises(ValueError):
        A.RandomShift(-1)
    with pytest.raises(ValueError):
        A.RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match="N, C, H, W"):
        A.RandomShift(1)(np.zeros((8, 8)), np.random.default_rng(0))


def test_transforms_plug_into_fit():
    from cnn_helpers import nn, optim

    rng = np.random.default_rng(0)
    X = rng.random((12, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 2, 12)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2, rng=rng))
    history = fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4,
                  augment=A.Compose([A.RandomShift(1), A.GaussianNoise(0.1)]), progress=False)
    assert history.epochs == 2 and np.isfinite(history.train_loss).all()
