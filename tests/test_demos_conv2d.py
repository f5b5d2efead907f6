"""Tests for cnn_helpers.demos.conv2d, the figures and measurements of chapter 3."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import ndimage  # noqa: E402

import cnn_helpers as ch  # noqa: E402
from cnn_helpers.demos import conv2d as demo  # noqa: E402
from cnn_helpers.widgets import render_frame  # noqa: E402

NOTES_IMAGE = np.array([[1, 0, 1, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 0, 0],
                        [1, 0, 1, 0, 1], [1, 0, 1, 0, 1]], dtype=float)
DOT_KERNEL = np.array([[-1, -1, -1], [-1, 1, -1], [-1, -1, -1]], dtype=float)


@pytest.fixture(scope="module")
def photo():
    return demo.small_photo()


def test_small_photo_is_the_block_mean_of_the_grey_photograph(photo):
    full = ch.data.load_sample_image(grey=True).astype(float)
    assert photo.shape == (150, 128)
    assert photo[3, 7] == pytest.approx(full[12:16, 28:32].mean())
    assert 0.0 <= photo.min() and photo.max() <= 1.0


def test_gaussian_kernel_is_normalised_symmetric_and_peaks_in_the_centre():
    k = demo.gaussian_kernel(5, 1.0)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k.argmax() == 12
    # The ratio of neighbouring weights on the axis is exp(-1/2) for sigma = 1.
    assert k[2, 3] / k[2, 2] == pytest.approx(np.exp(-0.5))


@pytest.mark.parametrize("name", ["box blur", "Sobel x", "Laplacian", "Gaussian blur"])
def test_filter_photo_matches_scipy_with_nearest_padding(photo, name):
    kernel = demo.CLASSIC_KERNELS[name]
    ours = demo.filter_photo(photo, kernel, mode="replicate")
    # scipy's correlate is cross-correlation, like ours; 'nearest' is replicate padding.
    np.testing.assert_allclose(ours, ndimage.correlate(photo, kernel, mode="nearest"), atol=1e-12)


def test_filter_photo_with_zero_padding_is_same_size_zero_padded_conv(photo):
    k = demo.CLASSIC_KERNELS["sharpen"]
    np.testing.assert_allclose(demo.filter_photo(photo, k, mode="zeros"),
                               ch.conv2d(photo, k, padding=1), atol=1e-12)


def test_identity_kernel_changes_nothing(photo):
    np.testing.assert_allclose(demo.filter_photo(photo, demo.CLASSIC_KERNELS["identity"]), photo)


@pytest.mark.parametrize("n, k, s, p", [(7, 3, 1, 0), (7, 3, 2, 0), (7, 3, 3, 0), (7, 3, 4, 1),
                                        (8, 3, 2, 2), (5, 5, 1, 0)])
def test_visited_counts_windows_per_cell(n, k, s, p):
    counts = demo.visited(n, k, s, p)
    n_out = ch.conv_output_size(n, k, s, p)
    assert counts.shape == (n + 2 * p,)
    assert counts.sum() == n_out * k
    # An input cell is visited exactly when changing it changes a stride-s conv's output.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, n))
    w = rng.normal(size=(1, k)) + 5.0
    base = ch.conv2d(x, w, stride=(1, s), padding=(0, p))
    for i in range(n):
        bumped = x.copy()
        bumped[0, i] += 1.0
        changed = not np.allclose(ch.conv2d(bumped, w, stride=(1, s), padding=(0, p)), base)
        assert changed == (counts[p + i] > 0)


def test_relative_difference():
    b = np.array([3.0, 4.0])
    assert demo.relative_difference(b, b) == 0.0
    assert demo.relative_difference(np.zeros(2), b) == pytest.approx(1.0)


def test_rotation_and_rescale_gaps(photo):
    # A kernel symmetric under a quarter turn commutes with rot90; Sobel x does not.
    assert demo.rotation_gap(photo, demo.CLASSIC_KERNELS["Laplacian"]) < 1e-12
    assert demo.rotation_gap(photo, demo.CLASSIC_KERNELS["Sobel x"]) > 0.5
    # A 1 x 1 kernel commutes with pixel repetition; a derivative kernel does not.
    assert demo.rescale_gap(photo, np.array([[2.0]])) < 1e-12
    assert demo.rescale_gap(photo, demo.CLASSIC_KERNELS["Sobel x"]) > 0.3






def _frame_ok(fig):
    png = render_frame(fig)
    assert png.startswith(b"\x89PNG")
    assert len(png) <= 20_000
    assert not plt.get_fignums()  # render_frame closes the figure


def test_window_frames(photo):
    _frame_ok(demo.draw_window(NOTES_IMAGE, DOT_KERNEL, 0))
    _frame_ok(demo.draw_window(NOTES_IMAGE, DOT_KERNEL, 8))
    _frame_ok(demo.draw_window(NOTES_IMAGE, DOT_KERNEL, 24, padding=1))


def test_window_shows_the_products_of_the_current_window():
    fig = demo.draw_window(NOTES_IMAGE, DOT_KERNEL, 4)
    titles = [ax.get_title() for ax in fig.axes]
    plt.close(fig)
    assert "window x kernel, sum -2" in titles
    assert "output[1, 1] = -2" in titles


@pytest.mark.parametrize("name", ["Gaussian blur", "Laplacian"])  # a grey and a signed output
def test_kernel_frames_are_small(photo, name):
    _frame_ok(demo.draw_kernel_on_photo(photo, name))


@pytest.mark.parametrize("stride, padding", [(1, 0), (3, 0)])
def test_stride_padding_frames(stride, padding):
    fig = demo.draw_stride_padding(7, 3, stride, padding)
    title = fig.axes[0].get_title()
    lost = int((demo.visited(7, 3, stride, padding)[padding:padding + 7] == 0).sum())
    assert (f"{lost} of the 7 input rows" in title) == (lost > 0)
    _frame_ok(fig)


def test_static_figures(photo):
    for fig in [demo.draw_pad_modes(np.arange(1.0, 10.0).reshape(3, 3), 2),
                demo.draw_equivariance(photo[2:, 3:], photo[:-2, :-3]),
                demo.plot_shift_gaps(np.arange(9), [0, 0.5, 0.6, 0.5] * 2 + [0.0], 4),
                demo.draw_strided_shift(np.eye(6, 12), demo.CLASSIC_KERNELS["Sobel x"], 2, 3),
                demo.draw_photo_patch(photo, 95, 40)]:
        assert fig.axes
        plt.close(fig)


def test_edge_kernels_figure_shows_image_and_both_outputs():
    image = np.tile([1.0, 1, 0, 0, 0, 0, 1, 1], (8, 1))
    across = ch.conv2d(image, np.array([[1.0, -1]]))
    down = ch.conv2d(image, np.array([[1.0], [-1]]))
    fig = demo.draw_edge_kernels(image, across, down)
    assert len(fig.axes) >= 3
    assert [ax.get_title() for ax in fig.axes[:3]] == [
        "image", "kernel [1, -1]", "kernel [1, -1] as a column"]
    plt.close(fig)


def test_strided_shift_frame_says_when_the_output_only_moves():
    from cnn_helpers.widgets import render_frame

    image = np.zeros((6, 12))
    image[1:5, 4:6] = 1.0
    sobel = demo.CLASSIC_KERNELS["Sobel x"]
    for shift in range(7):
        fig = demo.draw_strided_shift(image, sobel, shift, 3)
        title = fig._suptitle.get_text()
        assert ("the same" in title) == (shift % 3 == 0), title
        assert len(render_frame(fig, dpi=100)) < 20_000
        plt.close(fig)
