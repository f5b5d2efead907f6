"""Tests for cnn_helpers.demos.architectures (chapter 7's figures and experiments)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_helpers import architectures as arch  # noqa: E402
from cnn_helpers import nn  # noqa: E402
from cnn_helpers.demos import architectures as demo  # noqa: E402
from cnn_helpers.losses import cross_entropy, cross_entropy_backward  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_ilsvrc_table_is_consistent():
    years = [row[0] for row in demo.ILSVRC_TOP5]
    errors = [row[1] for row in demo.ILSVRC_TOP5]
    assert years == list(range(2010, 2018))
    assert errors == sorted(errors, reverse=True)
    assert dict(zip(years, errors, strict=True))[2012] == 16.4
    assert dict(zip(years, errors, strict=True))[2015] == 3.57
    assert demo.HUMAN_TOP5 == 5.1
    fig = demo.plot_imagenet_errors()
    assert len(fig.axes[0].patches) == len(years)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_influence_map_support_is_the_receptive_field(depth):
    plain, pooled = demo.receptive_field_stacks(depth)
    for layers in (plain, pooled):
        infl = demo.influence_map(layers, 96)
        rf = arch.summarize(layers, (1, 96, 96)).top[-1].receptive_field
        assert np.count_nonzero(infl.any(axis=0)) == rf
        assert np.count_nonzero(infl.any(axis=1)) == rf
        assert infl.min() >= 0


def test_influence_of_plain_stack_counts_paths():
    # two 3x3 all-ones convolutions: the number of paths is the 1D profile 1 2 3 2 1, squared
    infl = demo.influence_map(demo.receptive_field_stacks(2)[0], 9)
    profile = np.array([1, 2, 3, 2, 1], dtype=float)
    expected = np.zeros((9, 9))
    expected[2:7, 2:7] = np.outer(profile, profile)
    np.testing.assert_allclose(infl, expected)


def test_receptive_field_frame_is_small():
    from cnn_helpers.widgets import render_frame

    # the deepest frame has the most detail, so it is the largest
    assert len(render_frame(demo.draw_receptive_field(6))) <= 20_000


def test_params_and_macs_labels():
    table = arch.summarize("vgg16")
    labels = demo._layer_labels(table)
    assert labels[:3] == ["conv1_1", "conv1_2", "conv2_1"]
    assert labels[-3:] == ["fc6", "fc7", "fc8"] and len(labels) == 16
    fig = demo.plot_params_and_macs(table)
    assert len(fig.axes[0].patches) == 16


def _lenet_style(seed=0):
    # The chapter's LeNet-style CNN, built here again for the stage tests.
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng),
    )


def test_lenet_style_spec_has_the_stated_size():
    assert arch.count_parameters(demo.LENET_STYLE_SPEC, (1, 8, 8)) == 13_706
    assert _lenet_style().num_parameters() == 13_706


def test_shift_images_moves_pixels_and_fills_zeros():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    right = demo.shift_images(x, 0, 1)
    np.testing.assert_array_equal(right[0, 0, :, 1:], x[0, 0, :, :3])
    np.testing.assert_array_equal(right[0, 0, :, 0], 0)
    up = demo.shift_images(x, -1, 0)
    np.testing.assert_array_equal(up[0, 0, :3], x[0, 0, 1:])
    np.testing.assert_array_equal(up[0, 0, 3], 0)
    np.testing.assert_array_equal(demo.shift_images(x, 0, 0), x)


def test_shifted_accuracy_of_a_model_that_only_reads_one_pixel():
    # A "model" whose score for class 1 is the pixel (0, 0): shifting right or down empties it.
    class OnePixel(nn.Module):
        def forward(self, x):
            out = np.zeros((len(x), 2))
            out[:, 1] = x[:, 0, 0, 0] - 0.5
            return out

    X = np.ones((5, 1, 3, 3))
    y = np.ones(5, dtype=int)
    acc = demo.shifted_accuracy(OnePixel(), X, y)
    assert acc == pytest.approx(0.5)  # right and down lose the pixel, left and up keep it


def test_layer_gradient_norms_agree_with_a_direct_backward_pass():
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16, rng=rng), nn.ReLU(),
                          nn.Linear(16, 16, rng=rng), nn.ReLU(), nn.Linear(16, 10, rng=rng))
    X = rng.random((8, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    norms = demo.layer_gradient_norms(model, X, y)
    logits = model(X)
    model.backward(cross_entropy_backward(logits, y))
    direct = [np.linalg.norm(m.weight.grad) for m in model.modules() if isinstance(m, nn.Linear)]
    np.testing.assert_allclose(norms, direct, rtol=1e-6)
    assert len(norms) == 3
    assert np.isfinite(cross_entropy(logits, y))


def test_plots_return_figures():
    fig = demo.plot_accuracies({"m": {"val": 0.9, "shifted": 0.5}})
    assert len(fig.axes[0].patches) == 2
    fig = demo.plot_accuracies({"m": {"val": np.array([0.9, 0.8]), "shifted": [0.5, 0.6]}})
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx([0.85, 0.55])
    fig = demo.plot_layer_moments({"a": np.array([1.0, 0.2, 0.04])})
    assert len(fig.axes[0].lines) == 1
    fig = demo.plot_degradation({"a": np.ones((3, 4))}, {"a": np.ones((3, 5))})
    assert len(fig.axes) == 2 and len(fig.axes[1].lines[0].get_xdata()) == 5


