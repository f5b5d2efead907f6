"""The mistake catalogues of the exercise checkers compute the mistakes they name."""

import numpy as np

import cnn_helpers as ch
from cnn_helpers import architectures as arch
from cnn_helpers import checks
from cnn_helpers.checks.exercises import architectures as arch_checks
from cnn_helpers.checks.exercises import conv1d as conv1d_checks
from cnn_helpers.checks.exercises import conv2d as conv2d_checks
from cnn_helpers.demos import inside

NOTES_IMAGE = np.array([[1, 0, 1, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 0, 0],
                        [1, 0, 1, 0, 1], [1, 0, 1, 0, 1]], dtype=float)


def test_rising_edges_and_detections():
    signals = [np.array([0, 1, 1, 0, 1]), np.array([1, 0, 0, 1])]
    np.testing.assert_array_equal(conv1d_checks.rising_edges(signals), [1, 0, 0, 1, 0, 0, 1])
    detections = conv1d_checks._detections
    np.testing.assert_array_equal(
        detections(lambda: (np.array([-1.0, 1.0]), 0.0), signals), [1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(
        detections(lambda: (np.array([1.0, -1.0]), 0.0), signals), [0, 0, 1, 0, 1, 0, 0])
    try:
        detections(lambda: (np.ones(3), 0.0), signals)
    except ValueError:
        pass
    else:
        raise AssertionError("a three-weight filter must be refused")


def test_loop_mistakes_are_the_mistakes_they_name():
    x, w = np.arange(6.0), np.array([1.0, 2.0, 0.0])
    mistakes = conv1d_checks.loop_mistakes()
    flipped, no_pad, one_side, no_stride, no_bias = mistakes.values()
    np.testing.assert_allclose(flipped(x, w), ch.conv1d(x, w[::-1]))
    np.testing.assert_allclose(no_pad(x, w, 0.0, 1, 1), ch.conv1d(x, w))
    np.testing.assert_allclose(one_side(x, w, 0.0, 1, 1), ch.conv1d(np.r_[0.0, x], w))
    np.testing.assert_allclose(no_stride(x, w, 0.0, 2, 0), ch.conv1d(x, w))
    np.testing.assert_allclose(no_bias(x, w, 2.0), ch.conv1d(x, w))
    # A mistake that changes nothing for the arguments returns None.
    assert no_pad(x, w) is None and no_stride(x, w) is None and no_bias(x, w) is None


def test_plain_conv_mistakes_give_distinct_wrong_answers():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    right = ch.conv2d(x, k, stride=2, padding=1)
    for message, wrong in conv2d_checks.plain_conv_mistakes().items():
        result = wrong(x, k, stride=2, padding=1)
        assert result is not None, message
        assert result.shape != right.shape or not np.allclose(result, right), message
    mistakes = conv2d_checks.plain_conv_mistakes()
    no_padding = next(f for m, f in mistakes.items() if "padding" in m)
    assert no_padding(x, k) is None


def test_plain_conv_check_recognises_a_flipped_kernel():
    def flipped(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride, padding=padding)

    cases = [(NOTES_IMAGE, np.arange(9.0).reshape(3, 3)),
             ((NOTES_IMAGE, np.ones((2, 3))), {"padding": 1})]
    checks.set_grading(False)
    try:
        result = checks.check_function(flipped, ch.conv2d, cases,
                                       mistakes=conv2d_checks.plain_conv_mistakes())
    finally:
        checks.set_grading(None)
    assert not result
    assert "flipped" in result.message


def test_receptive_field_mistakes_are_wrong_where_it_matters():
    layers = [(5, 1), (2, 2), (5, 1), (2, 2)]
    right = arch.receptive_field(layers)
    mistakes = [arch_checks._no_jump, arch_checks._stride_first]
    wrong = [fn(layers) for fn in mistakes]
    assert right == (16, 4)
    assert sorted(wrong) == [(11, 4), (19, 4)]
    # without strides every version agrees, as it should
    for fn in mistakes:
        assert fn([(3, 1), (3, 1)]) == (5, 1)


# ---- Chapter 9: PGD and integrated gradients -------------------------------------------------

def _quietly(checker, *args, **kwargs):
    checks.set_grading(False)
    try:
        return checker.__wrapped__(*args, **kwargs)
    finally:
        checks.set_grading(None)


def _right_pgd(gradient, x, eps, step_size, steps, rng, x_max=1.0):
    adv = np.clip(x + rng.uniform(-eps, eps, size=x.shape), 0, x_max)
    for _ in range(steps):
        adv = np.clip(adv + step_size * np.sign(gradient(adv)), 0, x_max)
        adv = np.clip(adv, x - eps, x + eps)
    return adv


def test_the_linear_oracle_is_the_worst_case_of_the_ball():
    """LogisticLoss.worst_case beats every corner of the box (the ball within the range)."""
    import itertools

    from cnn_helpers.checks.exercises.inside import LogisticLoss

    rng = np.random.default_rng(0)
    x = np.array([0.0, 0.05, 0.5, 1.0]).reshape(1, 1, 2, 2)
    for sign in (1, -1):
        loss = LogisticLoss(rng.standard_normal((1, 2, 2)), 0.2, [sign])
        lo, hi = np.clip(x - 0.1, 0, 1).ravel(), np.clip(x + 0.1, 0, 1).ravel()
        corners = [np.where(np.array(c), hi, lo).reshape(x.shape)
                   for c in itertools.product([0, 1], repeat=4)]
        best = max(float(loss(c)[0]) for c in corners)
        np.testing.assert_allclose(loss(loss.worst_case(x, 0.1))[0], best, rtol=1e-12)


def test_the_checkers_losses_have_their_gradients():
    """Each loss's gradient against central differences, pixel by pixel."""
    from cnn_helpers.checks.exercises.inside import BowlLoss, LogisticLoss, TanhScore

    rng = np.random.default_rng(1)
    x = rng.random((2, 1, 3, 3))
    for loss in (LogisticLoss(rng.standard_normal((1, 3, 3)), 0.1, [1, -1]), BowlLoss(x / 2),
                 TanhScore(rng.standard_normal((4, 1, 3, 3)), rng.standard_normal(4),
                           rng.standard_normal(4))):
        numeric = np.zeros_like(x)
        for p in np.ndindex(*x.shape):
            nudge = np.zeros_like(x)
            nudge[p] = 1e-6
            numeric[p] = (loss(x + nudge)[p[0]] - loss(x - nudge)[p[0]]) / 2e-6
        np.testing.assert_allclose(loss.gradient(x), numeric, rtol=1e-5, atol=1e-8)


def test_every_pgd_mistake_is_wrong_somewhere_and_named():
    from cnn_helpers.checks.exercises import inside as inside_checks

    assert _quietly(checks.check_my_pgd, _right_pgd)
    for message, wrong in inside_checks.pgd_mistakes().items():
        differs = [not np.allclose(
            wrong(loss.gradient, x, eps, h, k, np.random.default_rng(s), top),
            _right_pgd(loss.gradient, x, eps, h, k, np.random.default_rng(s), top))
            for loss, x, eps, h, k, s, top in inside_checks._pgd_cases()]
        assert any(differs), message
        result = _quietly(checks.check_my_pgd, wrong)
        assert not result and result.summary == message, (message, result.message)


def test_pgd_check_catches_what_no_catalogue_entry_names():
    def other_start(gradient, x, eps, step_size, steps, rng, x_max=1.0):
        return _right_pgd(gradient, x, eps, step_size, steps,
                          np.random.default_rng(rng.integers(1 << 30)), x_max)

    def fgsm_only(gradient, x, eps, step_size, steps, rng, x_max=1.0):
        return np.clip(x + eps * np.sign(gradient(x)), 0, x_max)

    result = _quietly(checks.check_my_pgd, other_start)
    assert not result and "rng.uniform(-eps, eps, size=x.shape)" in result.message
    result = _quietly(checks.check_my_pgd, fgsm_only)
    assert not result and "no higher than after one FGSM step" in result.message
    assert "not yet implemented" in _quietly(checks.check_my_pgd, stub_function).message


def stub_function(*args, **kwargs):
    raise NotImplementedError()


def _right_ig(gradient, x, baseline, steps):
    t = (np.arange(steps) + 0.5)[:, None, None, None] / steps
    return (x - baseline) * gradient(baseline + t * (x - baseline)).mean(axis=0)


def test_every_integrated_gradients_mistake_is_named():
    from cnn_helpers.checks.exercises import inside as inside_checks

    assert _quietly(checks.check_my_integrated_gradients, _right_ig)
    for message, wrong in inside_checks.ig_mistakes().items():
        result = _quietly(checks.check_my_integrated_gradients, wrong)
        assert not result and result.summary == message, (message, result.message)


def test_completeness_tolerance_shrinks_like_the_midpoint_rule():
    """The midpoint rule passes completeness; a left sum fails it once steps are many."""
    from cnn_helpers.checks.exercises import inside as inside_checks

    gradient, x, baseline, _ = inside_checks._ig_cases()[1]
    score = gradient.__self__
    total = float(score(x[None])[0] - score(baseline[None])[0])
    for steps in (10, 40):
        tol = inside_checks.midpoint_tolerance(score, x, baseline, steps)
        assert abs(_right_ig(gradient, x, baseline, steps).sum() - total) <= tol
        left = inside_checks.ig_mistakes()
        left_sum = [f for m, f in left.items() if "left Riemann" in m][0]
        assert abs(left_sum(gradient, x, baseline, steps).sum() - total) > tol
    assert inside_checks.midpoint_tolerance(score, x, baseline, 40) < \
        inside_checks.midpoint_tolerance(score, x, baseline, 10) / 15


def test_integrated_gradients_check_wants_pixels_not_only_the_total():
    def shuffled(gradient, x, baseline, steps):
        right = _right_ig(gradient, x, baseline, steps)
        return right.ravel()[::-1].reshape(right.shape)  # same total, other pixels

    result = _quietly(checks.check_my_integrated_gradients, shuffled)
    assert not result and "right total" in result.message


def test_chapter_9_references_agree_with_the_library():
    """The checkers compute their own answers; they agree with the book's functions."""
    from cnn_helpers.checks.exercises import inside as inside_checks

    for x, grad, eps, *top in inside_checks._fgsm_cases():
        np.testing.assert_allclose(inside_checks._fgsm_reference(x, grad, eps, *top),
                                   inside.fgsm_step(x, grad, eps, *top))
    for score, image, size in inside_checks._occlusion_cases():
        np.testing.assert_allclose(inside_checks._occlusion_reference(score, image, size),
                                   inside.occlusion_map(score, image, size), atol=1e-12)
    for score, image in inside_checks._saliency_cases():
        np.testing.assert_allclose(score.gradient(image[None])[0],
                                   inside.numerical_score_gradient(score, image), atol=1e-7)


def test_hidden_test_seeds_draw_cases_that_tell_the_mistakes_apart():
    from cnn_helpers.checks.exercises import inside as inside_checks

    for seed in (5, 7):
        assert _quietly(checks.check_my_pgd, _right_pgd, seed=seed)
        assert _quietly(checks.check_my_integrated_gradients, _right_ig, seed=seed)
        for message, wrong in inside_checks.pgd_mistakes().items():
            assert _quietly(checks.check_my_pgd, wrong, seed=seed).summary == message
        for message, wrong in inside_checks.ig_mistakes().items():
            assert _quietly(checks.check_my_integrated_gradients, wrong, seed=seed).summary == message


def test_chapter_9_older_checkers_name_their_new_mistakes():
    def one_sided(score, image, h=1e-4):
        image = np.asarray(image, dtype=np.float64)
        grad = np.zeros_like(image)
        for p in np.ndindex(*image.shape):
            up = image.copy()
            up[p] += h
            grad[p] = (score(up[None])[0] - score(image[None])[0]) / h
        return np.abs(grad).max(axis=0)

    def channel_sum(score, image, h=1e-4):
        return np.abs(inside.numerical_score_gradient(score, image, h)).sum(axis=0)

    assert "one-sided" in _quietly(checks.check_my_numerical_saliency, one_sided).summary
    assert "summed over the channels" in _quietly(
        checks.check_my_numerical_saliency, channel_sum).summary
    clip_to_one = _quietly(checks.check_my_fgsm,
                           lambda x, g, eps, x_max=1.0: np.clip(x + eps * np.sign(g), 0, 1))
    assert "clipped to 1, not to x_max" in clip_to_one.summary


def test_chapter_9_integrated_gradients_reference_agrees_with_the_library():
    from cnn_helpers.checks.exercises import inside as inside_checks

    for gradient, x, baseline, steps in inside_checks._ig_cases():
        np.testing.assert_allclose(inside_checks._ig_rule(gradient, x, baseline, steps),
                                   inside.integrated_gradients(gradient, x, baseline, steps),
                                   rtol=1e-12, atol=1e-15)
