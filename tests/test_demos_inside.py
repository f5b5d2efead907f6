"""Tests for cnn_helpers.demos.inside: saliency, occlusion, FGSM and the chapter 9 figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnn_helpers import nn  # noqa: E402
from cnn_helpers.demos import inside  # noqa: E402
from cnn_helpers.gradcheck import numerical_gradient  # noqa: E402
from cnn_helpers.losses import cross_entropy  # noqa: E402
from cnn_helpers.models import digits_cnn  # noqa: E402


def tiny_model(seed=0):
    """A float64 conv net on (N, 1, 4, 4) images with 3 classes: small enough for finite differences."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=rng, dtype=np.float64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3 * 2 * 2, 3, rng=rng, dtype=np.float64),
    )


def images(n=5, shape=(1, 4, 4), seed=1):
    return np.random.default_rng(seed).uniform(0.05, 0.95, size=(n, *shape))


# --------------------------------------------------------------------------
# Gradients with respect to the input
# --------------------------------------------------------------------------

def test_score_gradient_matches_finite_differences():
    model, x, classes = tiny_model(), images(3), np.array([0, 2, 1])
    grad = inside.score_gradient(model, x, classes)
    assert grad.shape == x.shape
    for i, c in enumerate(classes):
        xi = x[i:i + 1].copy()
        numeric = numerical_gradient(lambda v, c=c: model(v)[0, c], xi)
        np.testing.assert_allclose(grad[i:i + 1], numeric, rtol=1e-5, atol=1e-8)


def test_loss_gradient_is_per_image_and_matches_finite_differences():
    model, x, y = tiny_model(), images(4), np.array([0, 1, 2, 0])
    grad = inside.loss_gradient(model, x, y)
    for i in range(len(x)):
        xi = x[i:i + 1].copy()
        numeric = numerical_gradient(lambda v, i=i: cross_entropy(model(v), y[i:i + 1]), xi)
        np.testing.assert_allclose(grad[i:i + 1], numeric, rtol=1e-5, atol=1e-8)
    # Summed, not averaged: the gradient of image 0 does not depend on the batch around it.
    np.testing.assert_allclose(inside.loss_gradient(model, x[:1], y[:1]), grad[:1], rtol=1e-10)


def test_input_gradient_leaves_no_parameter_gradients_and_restores_the_mode():
    model = tiny_model().train()
    inside.score_gradient(model, images(2), np.array([0, 1]))
    assert all(p.grad is None for p in model.parameters())
    assert model.training


def test_saliency_is_the_absolute_gradient_of_the_score():
    model, x, classes = tiny_model(), images(2), np.array([1, 2])
    sal = inside.saliency_map(model, x, classes)
    assert sal.shape == (2, 4, 4)
    np.testing.assert_allclose(sal, np.abs(inside.score_gradient(model, x, classes))[:, 0])


def test_numerical_saliency_agrees_with_the_backward_pass():
    model, x = tiny_model(), images(1)
    score = lambda batch: model(batch)[:, 2]  # noqa: E731
    np.testing.assert_allclose(inside.numerical_saliency(score, x[0], h=1e-6),
                               inside.saliency_map(model, x, np.array([2]))[0],
                               rtol=1e-5, atol=1e-8)


def test_numerical_saliency_of_a_linear_score_is_the_absolute_weight():
    weight = np.random.default_rng(3).standard_normal((2, 3, 3))
    got = inside.numerical_saliency(inside.PixelScore(weight), np.ones((2, 3, 3)))
    np.testing.assert_allclose(got, np.abs(weight).max(axis=0), rtol=1e-7)


# --------------------------------------------------------------------------
# Occlusion
# --------------------------------------------------------------------------

def test_occlusion_of_a_linear_score_removes_the_covered_pixels():
    image = np.arange(16.0).reshape(1, 4, 4)
    weight = np.ones((1, 4, 4))
    drops = inside.occlusion_map(inside.PixelScore(weight), image, size=2)
    assert drops.shape == (3, 3)
    # The top-left patch covers pixels 0, 1, 4, 5; the bottom-right one 10, 11, 14, 15.
    assert drops[0, 0] == pytest.approx(0 + 1 + 4 + 5)
    assert drops[2, 2] == pytest.approx(10 + 11 + 14 + 15)
    expected = np.array([[image[0, i:i + 2, j:j + 2].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(drops, expected)


def test_occlusion_with_one_pixel_and_a_fill_value():
    image = np.zeros((1, 3, 3))
    image[0, 1, 1] = 1.0
    weight = np.zeros((1, 3, 3))
    weight[0, 1, 1], weight[0, 0, 0] = 2.0, -1.0
    drops = inside.occlusion_map(inside.PixelScore(weight), image, size=1, fill=0.5)
    expected = np.zeros((3, 3))
    expected[1, 1] = 2.0 * (1.0 - 0.5)       # the digit's pixel dimmed to 0.5
    expected[0, 0] = -1.0 * (0.0 - 0.5)      # a background pixel brightened, a negative weight
    np.testing.assert_allclose(drops, expected)


def test_occlusion_leaves_the_image_alone_and_checks_the_size():
    image = images(1)[0]
    before = image.copy()
    inside.occlusion_map(inside.PixelScore(np.ones((1, 4, 4))), image, size=3)
    np.testing.assert_array_equal(image, before)
    with pytest.raises(ValueError, match=r"size must be between 1 and 4.*\(1, 4, 4\)"):
        inside.occlusion_map(inside.PixelScore(np.ones((1, 4, 4))), image, size=5)


def test_occlusion_per_pixel_averages_the_covering_patches():
    drops = np.arange(4.0).reshape(2, 2)
    spread = inside.occlusion_per_pixel(drops, size=2)
    assert spread.shape == (3, 3)
    assert spread[0, 0] == 0.0 and spread[2, 2] == 3.0
    assert spread[1, 1] == pytest.approx(np.mean(drops))
    np.testing.assert_allclose(inside.occlusion_per_pixel(np.full((3, 3), 0.7), 2), 0.7)


# --------------------------------------------------------------------------
# FGSM, PGD and random signs
# --------------------------------------------------------------------------

def test_fgsm_step_moves_every_free_pixel_by_eps_along_the_sign():
    x = np.array([0.5, 0.5, 0.5, 0.02, 0.99])
    grad = np.array([3.0, -0.1, 0.0, -1.0, 2.0])
    out = inside.fgsm_step(x, grad, 0.1)
    np.testing.assert_allclose(out, [0.6, 0.4, 0.5, 0.0, 1.0])
    delta = out - x
    assert np.all(np.abs(delta) <= 0.1 + 1e-12)
    assert np.all(np.sign(delta) * np.sign(grad) >= 0)       # never against the gradient


def test_fgsm_step_respects_x_max_and_keeps_the_dtype():
    x = np.full((1, 1, 2, 2), 15.0, dtype=np.float32)
    out = inside.fgsm_step(x, np.ones_like(x), 3.0, x_max=16.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, 16.0)


@pytest.mark.parametrize("eps", [-0.1, "0.1", [0.1]])
def test_fgsm_step_rejects_bad_budgets(eps):
    with pytest.raises(ValueError, match="eps must be a number >= 0"):
        inside.fgsm_step(np.zeros(3), np.ones(3), eps)


def test_fgsm_step_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\) but grad has shape \(3, 2\)"):
        inside.fgsm_step(np.zeros((2, 3)), np.zeros((3, 2)), 0.1)


def test_fgsm_raises_the_loss_and_stays_in_the_eps_ball():
    model, x, y = tiny_model(), images(6), np.array([0, 1, 2, 0, 1, 2])
    adv = inside.fgsm(model, x, y, eps=1e-3)
    assert np.abs(adv - x).max() == pytest.approx(1e-3)
    clean = cross_entropy(model(x), y, reduction="none")
    attacked = cross_entropy(model(adv), y, reduction="none")
    assert np.all(attacked >= clean - 1e-12)                 # first order: the loss cannot fall


def test_pgd_stays_in_the_ball_and_beats_fgsm_on_the_loss():
    model, x, y = tiny_model(), images(8), np.array([0, 1, 2, 0, 1, 2, 0, 1])
    adv = inside.pgd(model, x, y, eps=0.05, steps=10)
    assert np.abs(adv - x).max() <= 0.05 + 1e-12
    assert adv.min() >= 0 and adv.max() <= 1
    pgd_loss = cross_entropy(model(adv), y)
    fgsm_loss = cross_entropy(model(inside.fgsm(model, x, y, 0.05)), y)
    assert pgd_loss >= fgsm_loss - 1e-9


def test_pgd_finds_the_exact_worst_case_of_a_linear_model():
    # Two classes, logits linear in x: the loss grows with the margin d . x, d = w1 - w0, so
    # the worst point of the box is every pixel pushed by eps along sign(d), then clipped.
    rng = np.random.default_rng(7)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, rng=rng, dtype=np.float64))
    x, y = images(5), np.zeros(5, dtype=np.int64)
    d = (model[1].weight.data[1] - model[1].weight.data[0]).reshape(1, 1, 4, 4)
    worst = np.clip(x + 0.1 * np.sign(d), 0, 1)
    np.testing.assert_allclose(inside.pgd(model, x, y, eps=0.1, steps=20), worst, atol=1e-12)


def test_pgd_starts_at_a_random_point_of_the_ball_and_is_seeded():
    model, x, y = tiny_model(), images(4), np.array([0, 1, 2, 0])
    start = inside.pgd(model, x, y, eps=0.05, steps=0)      # no step: only the random start
    assert 0 < np.abs(start - x).max() <= 0.05 + 1e-12
    assert not np.allclose(start, x)
    np.testing.assert_array_equal(start, inside.pgd(model, x, y, eps=0.05, steps=0))
    assert not np.array_equal(start, inside.pgd(model, x, y, eps=0.05, steps=0, seed=1))


def test_pgd_restarts_only_the_images_it_has_not_fooled():
    # Images on the decision boundary of a linear model, attacked with random points only
    # (no steps): each try fools about half of them, so restarts fool more.
    rng = np.random.default_rng(7)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, rng=rng, dtype=np.float64))
    w, b = model[1].weight.data, model[1].bias.data
    d, c = w[1] - w[0], b[1] - b[0]
    x = 0.5 + 0.1 * np.random.default_rng(4).standard_normal((40, 16))
    x = x - np.outer((x @ d + c) / (d @ d), d)               # margin 0: on the boundary
    x = x + 1e-9 * d                                         # then just on the side of class 1
    x = x.reshape(40, 1, 4, 4)
    y = np.ones(40, dtype=np.int64)
    assert np.all(model(x).argmax(axis=1) == 1) and 0 < x.min() and x.max() < 1
    one = inside.pgd(model, x, y, eps=0.01, steps=0, restarts=1)
    three = inside.pgd(model, x, y, eps=0.01, steps=0, restarts=3)
    fooled_once = model(one).argmax(axis=1) != y
    fooled_thrice = model(three).argmax(axis=1) != y
    assert 0 < fooled_once.sum() < fooled_thrice.sum() < len(x)
    np.testing.assert_array_equal(three[fooled_once], one[fooled_once])   # first success kept
    assert np.all(fooled_thrice >= fooled_once)
    assert np.abs(three - x).max() <= 0.01 + 1e-12


def test_random_sign_noise_has_the_same_size_and_is_seeded():
    x = images(3)
    noisy = inside.random_sign_noise(x, 0.04, seed=2)
    np.testing.assert_allclose(np.abs(noisy - x), 0.04, rtol=1e-12)    # no pixel is clipped here
    np.testing.assert_array_equal(noisy, inside.random_sign_noise(x, 0.04, seed=2))
    assert not np.array_equal(noisy, inside.random_sign_noise(x, 0.04, seed=3))


def test_attack_curve_starts_at_the_clean_accuracy_and_fgsm_hurts_more():
    model, x = tiny_model(), images(40, seed=5)
    y = model(x).argmax(axis=1)                              # every image right at eps = 0
    curve = inside.attack_curve(model, x, y, [0.0, 0.05, 0.3])
    assert curve.fgsm[0] == curve.random[0] == 1.0
    assert curve.at(0.3)[0] <= curve.at(0.3)[1]
    assert np.all(np.diff(curve.fgsm) <= 0)


@pytest.mark.parametrize("perturb", ["FGSM", "random signs"])
def test_adversarial_finetune_trains_a_copy(perturb):
    model, x, y = tiny_model(), images(16), np.arange(16) % 3
    before = [p.data.copy() for p in model.parameters()]
    robust = inside.adversarial_finetune(model, x, y, eps=0.05, epochs=2, batch_size=8,
                                         perturb=perturb)
    for old, p in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, old)
    assert any(not np.allclose(p.data, old) for p, old in zip(robust.parameters(), before, strict=True))
    assert not robust.training
    with pytest.raises(ValueError, match="perturb must be"):
        inside.adversarial_finetune(model, x, y, eps=0.05, perturb="gaussian")


def test_adversarial_finetune_with_no_budget_is_training_on_doubled_clean_batches():
    # eps = 0: the FGSM copy and the noise copy are the clean batch, so the two arms agree.
    model, x, y = tiny_model(), images(16), np.arange(16) % 3
    runs = [inside.adversarial_finetune(model, x, y, eps=0.0, epochs=1, batch_size=8,
                                        perturb=p) for p in ("FGSM", "random signs")]
    for a, b in zip(runs[0].parameters(), runs[1].parameters(), strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_adversarial_finetune_reports_every_epoch_and_stays_the_same_run():
    """on_epoch sees the run as it goes; a shorter run is the longer one's prefix."""
    model, x, y = tiny_model(), images(16), np.arange(16) % 3
    seen = {}

    def record(epoch, net):
        assert not net.training
        seen[epoch] = [p.data.copy() for p in net.parameters()]

    full = inside.adversarial_finetune(model, x, y, eps=0.05, epochs=3, batch_size=8,
                                       on_epoch=record)
    assert sorted(seen) == [1, 2, 3]
    for a, b in zip(seen[3], full.parameters(), strict=True):
        np.testing.assert_array_equal(a, b.data)
    two = inside.adversarial_finetune(model, x, y, eps=0.05, epochs=2, batch_size=8)
    for a, b in zip(seen[2], two.parameters(), strict=True):
        np.testing.assert_allclose(a, b.data, rtol=1e-12)


@pytest.mark.parametrize("squash", ["linear", "square", "tanh"])
def test_pixel_score_gradient_matches_finite_differences(squash):
    rng = np.random.default_rng(2)
    score = inside.PixelScore(rng.standard_normal((2, 3, 3)) / 3, squash)
    batch = rng.random((3, 2, 3, 3))
    numeric = np.stack([inside.numerical_score_gradient(score, image) for image in batch])
    np.testing.assert_allclose(score.gradient(batch), numeric, rtol=1e-6, atol=1e-8)


def test_integrated_gradients_are_complete_and_exact_for_a_linear_score():
    rng = np.random.default_rng(3)
    x, baseline = rng.random((2, 3, 3)), rng.random((2, 3, 3)) / 2
    linear = inside.PixelScore(rng.standard_normal((2, 3, 3)))
    np.testing.assert_allclose(inside.integrated_gradients(linear.gradient, x, baseline, 1),
                               linear.weight * (x - baseline), rtol=1e-12)
    curved = inside.PixelScore(rng.standard_normal((2, 3, 3)) / 2, "tanh")
    total = curved(x[None])[0] - curved(baseline[None])[0]
    gaps = [abs(inside.integrated_gradients(curved.gradient, x, baseline, m).sum() - total)
            for m in (4, 8, 16)]
    assert gaps[2] < gaps[1] / 3 < gaps[0] / 9          # the midpoint rule's 1/m^2
    with pytest.raises(ValueError, match=r"baseline has shape \(3, 3\), x has shape \(2, 3, 3\)"):
        inside.integrated_gradients(curved.gradient, x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="steps must be a positive int"):
        inside.integrated_gradients(curved.gradient, x, baseline, 0)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

def test_bad_inputs_name_the_shapes():
    model = tiny_model()
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(4, 4\)"):
        inside.score_gradient(model, np.zeros((4, 4)), np.array([0]))
    with pytest.raises(ValueError, match=r"shape \(2,\).*got shape \(3,\)"):
        inside.loss_gradient(model, images(2), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"one image \(C, H, W\), got shape \(1, 1, 4, 4\)"):
        inside.occlusion_map(inside.PixelScore(np.ones((1, 4, 4))), images(1), 2)
    with pytest.raises(ValueError, match=r"batch \(N, 1, 4, 4\), got shape \(2, 1, 3, 3\)"):
        inside.PixelScore(np.ones((1, 4, 4)))(np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"2D map, got shape \(3,\)"):
        inside.occlusion_per_pixel(np.zeros(3), 2)


# --------------------------------------------------------------------------
# The digits CNN and the figures
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cnn():
    return digits_cnn(seed=0).eval()


def test_layer_maps_have_the_shapes_of_the_digits_cnn(cnn):
    image = images(1, (1, 8, 8))[0].astype(np.float32)
    shapes = [inside.layer_maps(cnn, image, stage).shape for stage in inside.CONV_STAGES]
    assert shapes == [(16, 8, 8), (32, 8, 8), (64, 4, 4)]
    with pytest.raises(ValueError, match="stage must be one of"):
        inside.layer_maps(cnn, image, "pool 1")


def test_plot_attack_curve_draws_one_line_per_curve_and_one_legend_entry_per_kind(cnn):
    x, y = images(10, (1, 8, 8)).astype(np.float32), np.arange(10)
    curves = [inside.attack_curve(cnn, x, y, [0.0, 0.1], seed=s) for s in range(3)]
    fig = inside.plot_attack_curve(curves, curves[:2], ylabel="validation accuracy")
    ax = fig.axes[0]
    assert len(ax.lines) == 3 * 2 + 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "random signs", "FGSM", "FGSM on the adversarially trained models"]
    assert ax.get_ylabel() == "validation accuracy"
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        inside.plot_attack_curve([])


def test_figures_are_figures(cnn):
    image = images(1, (1, 8, 8))[0].astype(np.float32)
    x, y = images(10, (1, 8, 8)).astype(np.float32), np.arange(10)
    curve = inside.attack_curve(cnn, x, y, [0.0, 0.1])
    figures = [
        inside.show_filters_and_maps(cnn, image, label=3),
        inside.draw_layer(cnn, image, "conv 3 + ReLU", label=3),
        inside.draw_explanation(cnn, image, 3),
        inside.draw_attack(cnn, image, 3, 0.1),
        inside.draw_attack(cnn, image, 3, 0.1, kind="random signs"),
        inside.plot_attack_curve(curve, curve),
        inside.show_grad_cam_and_maximised(x[:4], y[:4], inside.grad_cam(cnn, x[:4], y[:4]),
                                           inside.maximise_class(cnn, np.arange(10), steps=2)),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        plt.close(fig)
    with pytest.raises(ValueError, match="kind must be"):
        inside.draw_attack(cnn, image, 3, 0.1, kind="noise")


def test_logit_score_and_patch_sums():
    model, x = tiny_model(), images(3)
    np.testing.assert_allclose(inside.logit_score(model, 2)(x), model(x)[:, 2], rtol=1e-6)
    values = np.arange(12.0).reshape(3, 4)
    sums = inside.patch_sums(values, 2)
    assert sums.shape == (2, 3)
    assert sums[0, 0] == 0 + 1 + 4 + 5 and sums[1, 2] == 6 + 7 + 10 + 11
    # Occluding a linear score over a ones image removes exactly the window sums of its weight.
    weight = np.random.default_rng(2).standard_normal((1, 4, 4))
    np.testing.assert_allclose(
        inside.occlusion_map(inside.PixelScore(weight), np.ones((1, 4, 4)), 2),
        inside.patch_sums(weight[0], 2), rtol=1e-12)
    with pytest.raises(ValueError, match=r"2D map, got shape \(3,\)"):
        inside.patch_sums(np.zeros(3), 2)


def test_grad_cam_is_the_gradient_weighted_sum_of_the_maps():
    # alpha_k from finite differences of the logit in conv 3's maps, the map by hand.
    x = images(2, (1, 8, 8))
    net = digits_cnn(seed=3).double().eval()
    net[5].bias.data += 5.0      # conv 3's maps all positive: no ReLU kinks, no pooling ties
    end = inside.CONV_STAGES["conv 3 + ReLU"]
    for i in range(len(x)):
        maps = net[:end](x[i:i + 1]).copy()
        for c in range(10):
            numeric = numerical_gradient(lambda m, c=c: net[end:](m)[0, c], maps.copy())
            weighted = (numeric.mean(axis=(2, 3), keepdims=True) * maps).sum(axis=1)[0]
            cam = inside.grad_cam(net, x[i:i + 1], np.array([c]), stage="conv 3 + ReLU")
            assert cam.shape == (1, 4, 4)
            np.testing.assert_allclose(cam[0], np.maximum(weighted, 0), rtol=1e-5, atol=1e-8)
    assert inside.grad_cam(net, x, np.array([1, 2])).shape == (2, 8, 8)   # conv 2: 8x8
    assert not any(m.training for m in net.modules())     # the model's mode is kept
    with pytest.raises(ValueError, match="stage must be one of"):
        inside.grad_cam(net, x, np.array([1, 2]), stage="pool")


def test_maximise_class_of_a_linear_score_reaches_the_closed_form():
    # logit_c = w_c . x + b_c; maximising w . x - l2 |x|^2 over the box gives clip(w / 2 l2).
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3, rng=rng, dtype=np.float64))
    model[1].weight.data *= 0.3
    got = inside.maximise_class(model, [0, 2], steps=2000, lr=0.05, l2=0.5, shape=(1, 4, 4))
    w = model[1].weight.data[[0, 2]].reshape(2, 1, 4, 4)
    np.testing.assert_allclose(got, np.clip(w / (2 * 0.5), 0, 1), atol=1e-4)


def test_rank_correlation():
    a = np.arange(6.0).reshape(2, 3)
    assert inside.rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert inside.rank_correlation(a, -a) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(3, 2\)"):
        inside.rank_correlation(a, a.T)
