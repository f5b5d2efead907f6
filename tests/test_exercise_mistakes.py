"""The mistake catalogues of the exercise checkers compute the mistakes they name."""

import numpy as np
import pytest

import cnn_helpers as ch
from cnn_helpers import architectures as arch
from cnn_helpers import checks
from cnn_helpers.checks.exercises import architectures as arch_checks
from cnn_helpers.checks.exercises import backprop as backprop_checks
from cnn_helpers.checks.exercises import conv1d as conv1d_checks
from cnn_helpers.checks.exercises import conv2d as conv2d_checks
from cnn_helpers.checks.exercises import motivation as motivation_checks
from cnn_helpers.demos import inside
from cnn_helpers.nn import BatchNorm2d

NOTES_IMAGE = np.array([[1, 0, 1, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 0, 0],
                        [1, 0, 1, 0, 1], [1, 0, 1, 0, 1]], dtype=float)


@pytest.fixture(autouse=True)
def not_grading():
    """Failing checks return their result here: `make test` grades, which would raise."""
    checks.set_grading(False)
    yield
    checks.set_grading(None)


def test_rising_edges_and_detections():
    signals = [np.array([0, 1, 1, 0, 1]), np.array([1, 0, 0, 1])]
    np.testing.assert_array_equal(conv1d_checks.rising_edges(signals), [1, 0, 0, 1, 0, 0, 1])
    detections = conv1d_checks._detections
    np.testing.assert_array_equal(
        detections(lambda: (np.array([-1.0, 1.0]), 0.0), signals), [1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(
        detections(lambda: (np.array([1.0, -1.0]), 0.0), signals), [0, 0, 1, 0, 1, 0, 0])
    with pytest.raises(ValueError):  # a three-weight filter
        detections(lambda: (np.ones(3), 0.0), signals)


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
    result = checks.check_function(flipped, ch.conv2d, cases,
                                   mistakes=conv2d_checks.plain_conv_mistakes())
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


# --- chapter 1: which reorderings keep neighbours -------------------------------------------

def _grid(side):
    return np.arange(side * side).reshape(side, side)


def test_neighbour_verdicts_of_the_reference_and_the_mistakes():
    grid = _grid(4)
    flip, turn, half = grid[:, ::-1].ravel(), np.rot90(grid).ravel(), grid.ravel()[::-1]
    rows_swapped = grid[[1, 0, 2, 3]].ravel()
    wrap_shift = np.roll(grid.ravel(), 1)
    right = [motivation_checks._keeps_neighbours(p, 4)
             for p in (grid.ravel(), flip, turn, half, rows_swapped, wrap_shift)]
    assert right == [True, True, True, True, False, False]
    # Direction kept: only the identity passes.
    assert [motivation_checks._same_direction(p, 4) for p in (grid.ravel(), flip, half)] == [
        True, False, False]
    # Left-right pairs only: swapping two rows keeps every left-right pair.
    assert motivation_checks._only_across(rows_swapped, 4)
    # Flat indices: the flip breaks a "neighbour" across the row end, the half turn does not.
    assert not motivation_checks._flat_index(flip, 4) and motivation_checks._flat_index(half, 4)


NEIGHBOUR_MISTAKES = [
    (motivation_checks._same_direction, "keep its direction"),
    (motivation_checks._only_across, "only left-right"),
    (motivation_checks._flat_index, "flat indices"),
    (motivation_checks._only_down, "only pixels above and below"),
    (motivation_checks._diagonals_touch, "diagonal neighbours"),
    (lambda perm, side=8: True, "wrong verdict"),
    # No rule at all, and a rule that ignores `side`: no catalogued message
    # fits every case, so the first wrong case is shown instead.
    (lambda perm, side=8: False, "wrong verdict on a 4 x 4 image mirrored"),
    (lambda perm, side=8: motivation_checks._keeps_neighbours(perm[:64] if len(perm) >= 64
                                                              else np.arange(64), 8),
     "wrong verdict"),
]


def test_neighbour_check_names_each_mistake():
    for wrong, says in NEIGHBOUR_MISTAKES:
        result = checks.check_keeps_neighbours(wrong)
        assert not result.passed and says in result.message, result.message
        assert "True" not in result.message and "False" not in result.message
        assert "It looks like" not in result.message or "wrong verdict" not in says
    assert "True or False, not an int" in checks.check_keeps_neighbours(lambda perm, side=8: 1).message


# --- chapter 2: same padding and the tolerant motif detector ---------------------------------

def test_same_padding_reference_keeps_the_length():
    """Where the reference gives a padding it keeps the length; where it gives None
    no padding equal at both ends does."""
    for case in conv1d_checks.SAME_PADDING_CASES:
        k, d = (*case, 1)[:2]
        p = conv1d_checks._same_padding(k, d)
        if p is None:
            lengths = {len(ch.conv1d(np.ones(15), np.ones(k), padding=q, dilation=d))
                       for q in range(10)}
            assert 15 not in lengths, case
        else:
            assert len(ch.conv1d(np.ones(15), np.ones(k), padding=p, dilation=d)) == 15, case
    assert any(conv1d_checks._same_padding(*c) is None for c in conv1d_checks.SAME_PADDING_CASES)


def _none_where_odd(formula):
    return lambda k, d=1: None if d * (k - 1) % 2 else formula(k, d)


SAME_PADDING_MISTAKES = [
    (_none_where_odd(lambda k, d=1: (k - 1) // 2), "dilation was left out"),
    (_none_where_odd(lambda k, d=1: d * (k - 1)), "both ends together"),
    (_none_where_odd(lambda k, d=1: d * k // 2), "D x K"),
    (_none_where_odd(lambda k, d=1: d * (k // 2)), "halved K (rounding"),
    (_none_where_odd(lambda k, d=1: (k - 1) // 2 * d), "before multiplying by D"),
    # The formula right, but a padding returned where none exists.
    (lambda k, d=1: d * (k - 1) // 2, "returns a padding for kernel_size=4"),
    # A number everywhere and the dilation left out: both problems are named.
    (lambda k, d=1: (k - 1) // 2, "dilation was left out"),
    # None for every even K, as if only an odd K could keep the length.
    (lambda k, d=1: None if k % 2 == 0 else d * (k - 1) // 2, "every even K"),
    (lambda k, d=1: d * (k - 1) // 2 + 1, "longer than the input"),
]


def test_same_padding_check_names_each_mistake():
    for wrong, says in SAME_PADDING_MISTAKES:
        result = checks.check_same_padding(wrong)
        assert not result.passed and says in result.message, result.message
        assert "// 2" not in result.message and "/ 2" not in result.message
        assert "(k - 1)" not in result.message


def test_motif_windows_hold_every_kind_of_match():
    for length in (3, 5, 6, 8):
        scores = conv1d_checks._motif_windows(length)
        for matching in (length, length - 1, length - 2):
            assert np.any(scores == matching), (length, matching)


def test_motif_scores_are_the_chapters_filter_scores():
    """The checker counts matching bases; the chapter's one-hot filter computes the same."""
    from cnn_helpers.demos import conv1d as demo

    rng = np.random.default_rng(0)
    sequence = "".join(rng.choice(list("ACGT"), 40))
    windows = np.lib.stride_tricks.sliding_window_view(np.array(list(sequence)), 5)
    counted = (windows == np.array(list("TATAA"))).sum(axis=1)
    filtered = ch.conv1d(demo.one_hot_dna(sequence), demo.motif_filter("TATAA"))[0]
    np.testing.assert_array_equal(counted, filtered)


TOLERANT_MISTAKES = [
    (lambda n, m=1: m - n, "too high"),   # the boundary, ReLU(0) = 0
    (lambda n, m=1: m - 0.5 - n, "misses windows with one mismatch"),
    (lambda n, m=1: m + 1.5 - n, "two mismatches"),
    (lambda n, m=1: n - 1.5, "every window"),
    (lambda n, m=1: m - 4.5, "depend on motif_length"),
    (lambda n, m=1: -1.0 - n, "never fires"),
    (lambda n, m=1: 0, "as many as four"),  # the likeliest first try
    (lambda n, m=1: 1.5 - n, "depend on it"),  # `mismatches` ignored
]


def test_tolerant_bias_check_names_each_mistake_without_the_answer():
    assert checks.check_tolerant_bias(lambda n, m=1: m + 0.01 - n).passed  # inside
    assert checks.check_tolerant_bias(lambda n, m=1: m + 1 - n).passed  # its closed end
    for wrong, says in TOLERANT_MISTAKES:
        result = checks.check_tolerant_bias(wrong)
        assert not result.passed and says in result.message, result.message
        assert "0.5" not in result.message and "3.5" not in result.message
    assert "not an ndarray" in checks.check_tolerant_bias(
        lambda n, m=1: np.array([1.5 - n])).message


# --- chapter 3: the plus detector ------------------------------------------------------------

PLUS = np.array([[-1.0, 1, -1], [1, 1, 1], [-1, 1, -1]])


def test_plus_windows_are_what_a_template_and_threshold_find():
    images = conv2d_checks.plus_test_images()
    by_windows = conv2d_checks._matches(images, conv2d_checks.PLUS)
    by_conv = np.concatenate([(ch.conv2d(img, PLUS) - 4.5 > 0).ravel() for img in images])
    np.testing.assert_array_equal(by_windows, by_conv)
    assert 2 <= by_windows.sum() < by_windows.size


PLUS_MISTAKES = [
    (lambda: (PLUS.clip(0), -4.5), "flat bright regions"),
    (lambda: (PLUS, -3.5), "one pixel away"),
    (lambda: (PLUS, -5.0), "never fires"),
    (lambda: (np.array([[1.0, -1, 1], [-1, 1, -1], [1, -1, 1]]), -4.5), "an X"),
    (lambda: (PLUS, 0.0), "fires on this window, which is not"),
    (lambda: (np.ones((3, 3)), -8.5), "stays silent on this window"),
]


def test_plus_check_names_each_mistake_without_the_answer():
    assert checks.check_plus_detector(lambda: (2 * PLUS, -9.0)).passed
    assert checks.check_plus_detector(lambda: (PLUS, -4.0)).passed
    for wrong, says in PLUS_MISTAKES:
        result = checks.check_plus_detector(wrong)
        assert not result.passed and says in result.message, result.message
        assert "4.5" not in result.message and "-1" not in result.message
    too_small = checks.check_plus_detector(lambda: (np.ones((2, 2)), 0.0)).message
    assert "3 x 3" in too_small and "of your code" not in too_small


def test_a_mistake_is_named_only_when_it_explains_every_case():
    """Two mistakes at once: neither message fits every case, so neither is shown."""
    def flipped(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride, padding=padding)

    def flipped_unpadded(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride)

    def flipped_1d(x, w, b=0.0, stride=1, padding=0):
        return ch.true_conv1d(x, w, b, stride)

    assert "flipped" in checks.check_my_conv2d(flipped).message
    for result in (checks.check_my_conv2d(flipped_unpadded),
                   checks.check_my_conv1d(flipped_1d)):
        assert not result.passed and "It looks like" not in result.message, result.message


def _conv_backward_in_loops(grad_out, x, w, stride, padding):
    """A right answer written as the exercise asks, to plant one mistake in at a time."""
    n_images, _, h, width = x.shape
    k = w.shape[-1]
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_x_pad, grad_w = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(n_images):
        for o in range(w.shape[0]):
            for i in range(grad_out.shape[2]):
                for j in range(grad_out.shape[3]):
                    rows = slice(i * stride, i * stride + k)
                    cols = slice(j * stride, j * stride + k)
                    grad_w[o] += grad_out[n, o, i, j] * x_pad[n, :, rows, cols]
                    grad_x_pad[n, :, rows, cols] += grad_out[n, o, i, j] * w[o]
    grad_x = grad_x_pad[:, :, padding:padding + h, padding:padding + width]
    return grad_x, grad_w, grad_out.sum(axis=(0, 2, 3))


def _conv_backward_in_columns(grad_out, x, w, stride, padding):
    n_images, c_out = grad_out.shape[:2]
    k = w.shape[-1]
    cols = ch.unfold(x, k, padding=padding, stride=stride)
    g_rows = grad_out.reshape(n_images, c_out, -1)
    grad_w = sum(g_rows[n] @ cols[n].T for n in range(n_images)).reshape(w.shape)
    grad_cols = w.reshape(c_out, -1).T @ g_rows
    grad_x = ch.fold(grad_cols, x.shape[2:], k, padding=padding, stride=stride)
    return grad_x, grad_w, g_rows.sum(axis=(0, 2))


def _with_mistake(right, part_index, wrong):
    """``right`` with one of its three results replaced by a mistake's."""
    def answer(*args):
        results = list(right(*args))
        value = wrong(*args)
        if value is not None:
            results[part_index] = value
        return tuple(results)
    return answer


def _every_mistake_is_named(checker, right, catalogue, parts):
    assert checker(right, quiet=True)
    for part, mistakes in catalogue.items():
        for message, wrong in mistakes.items():
            result = checker(_with_mistake(right, parts.index(part), wrong), quiet=True)
            assert not result.passed, message
            assert message.strip() in result.message, (message, result.message)
            assert result.message.startswith(f"❌ {result.name}: {part} is wrong")


def test_conv_backward_in_loops_names_every_mistake():
    _every_mistake_is_named(backprop_checks.check_my_conv2d_backward, _conv_backward_in_loops,
                            backprop_checks.loop_backward_mistakes(), backprop_checks.PARTS)


def test_conv_backward_in_columns_names_every_mistake():
    _every_mistake_is_named(backprop_checks.check_conv2d_backward_cols,
                            _conv_backward_in_columns, backprop_checks.column_backward_mistakes(),
                            backprop_checks.PARTS)


def test_conv_backward_oracle_agrees_with_the_library_and_the_loops():
    for case in backprop_checks._backward_cases():
        grad_out, x, w, stride, padding = case
        library = ch.conv2d_backward(grad_out, x, w, stride=stride, padding=padding)
        loops = ch.reference.conv2d_backward(grad_out, x, w, stride=stride, padding=padding)
        for oracle, lib, loop in zip(backprop_checks.backward_oracle(*case), library, loops,
                                     strict=True):
            np.testing.assert_allclose(oracle, lib, atol=1e-10)
            np.testing.assert_allclose(oracle, loop, atol=1e-10)


def test_conv_backward_check_reports_a_wrong_number_of_results():
    result = backprop_checks.check_my_conv2d_backward(
        lambda *args: _conv_backward_in_loops(*args)[:2], quiet=True)
    assert "expected the 3 results (grad_x, grad_w, grad_b)" in result.message


def _batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
        x.var(axis=axes, keepdims=True) + eps)
    g = grad_out * gamma.reshape(1, -1, 1, 1)
    grad_x = (m * g - g.sum(axis=axes, keepdims=True)
              - x_hat * (g * x_hat).sum(axis=axes, keepdims=True)) / (
        m * np.sqrt(x.var(axis=axes, keepdims=True) + eps))
    return grad_x, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)


def test_batchnorm_backward_names_every_mistake():
    _every_mistake_is_named(arch_checks.check_my_batchnorm2d_backward, _batchnorm_backward,
                            arch_checks.batchnorm_mistakes(),
                            ("grad_x", "grad_gamma", "grad_beta"))


def test_batchnorm_oracle_agrees_with_the_layer():
    for grad_out, x, gamma in arch_checks._bn_cases():
        layer = BatchNorm2d(x.shape[1], dtype=np.float64)
        layer.weight.data[:] = gamma
        out = layer(x)
        np.testing.assert_allclose(
            out, arch_checks.batchnorm2d_forward(x, gamma, np.zeros_like(gamma)), atol=1e-12)
        grad_x = layer.backward(grad_out)
        oracle = arch_checks.batchnorm2d_oracle(grad_out, x, gamma)
        np.testing.assert_allclose(oracle[0], grad_x, atol=1e-7)
        np.testing.assert_allclose(oracle[1], layer.weight.grad, atol=1e-7)
        np.testing.assert_allclose(oracle[2], layer.bias.grad, atol=1e-7)



# --- chapter 4: what a bottleneck saves ---------------------------------------------------

def test_bottleneck_reference_counts_what_the_layers_hold_and_compute():
    """The checker's counts agree with real layers: their parameters, and one MAC per
    weight per output position of an actual forward pass."""
    from cnn_helpers import nn
    from cnn_helpers.checks.exercises import channels as channel_checks

    rng = np.random.default_rng(0)
    for c_in, c_mid, c_out, h, w, stride, groups in [(8, 4, 12, 7, 9, 2, 2), (6, 6, 6, 5, 5, 1, 3)]:
        layers = [nn.Conv2d(c_in, c_mid, 1, rng=rng),
                  nn.Conv2d(c_mid, c_mid, 3, stride=stride, padding=1, groups=groups, rng=rng),
                  nn.Conv2d(c_mid, c_out, 1, rng=rng)]
        x = rng.standard_normal((1, c_in, h, w)).astype(np.float32)
        parameters = macs = 0
        for layer in layers:
            x = layer(x)
            parameters += layer.num_parameters()
            macs += layer.weight.data.size * x.shape[2] * x.shape[3]
        assert channel_checks._reference_bottleneck(
            c_in, c_mid, c_out, h, w, stride, groups) == (parameters, macs)


def _mistaken(wrong, right):
    """A reader's function that makes one mistake wherever it changes the answer."""
    def answer(*args):
        value = wrong(*args)
        return right(*args) if value is None else value
    return answer


def test_bottleneck_check_names_each_mistake():
    from cnn_helpers.checks.exercises import channels as channel_checks

    right = channel_checks._reference_bottleneck
    assert checks.check_bottleneck_cost(right, quiet=True)
    for message, wrong in channel_checks.bottleneck_mistakes().items():
        result = checks.check_bottleneck_cost(_mistaken(wrong, right), quiet=True)
        assert not result.passed, message
        assert message in result.message, (message, result.message)


def test_bottleneck_saving_check():
    from cnn_helpers.checks.exercises import channels as channel_checks

    (plain_p, plain_m), (block_p, block_m) = channel_checks._plain_and_block()
    assert (plain_m, block_m) == (256 * 256 * 9 * 56 * 56, 69_632 * 56 * 56)
    assert checks.check_bottleneck_saving(lambda: plain_m / block_m, quiet=True)
    for wrong, says in [(block_m / plain_m, "fraction"), (plain_p / block_p, "parameters"),
                        (2 * plain_m / block_m, "FLOPs")]:
        result = checks.check_bottleneck_saving(lambda v=wrong: v, quiet=True)
        assert not result.passed and says in result.message, result.message
        assert "8.4" not in result.message and "8.5" not in result.message


# --- chapter 5: pooling and a function that does not commute; aliasing by hand ----------

WINDOW = np.array([[-3.0, 1.0], [0.0, 2.0]])


def _non_commuting(f, x):
    return checks.check_non_commuting(lambda: (f, x), quiet=True)


def test_non_commuting_accepts_any_counterexample():
    assert _non_commuting(np.abs, WINDOW)
    assert _non_commuting(lambda v: -v, np.arange(16.0).reshape(4, 4))
    assert _non_commuting(np.cos, np.array([[0.0, 3.0], [0.1, 0.2]]))


def test_non_commuting_names_the_mistakes():
    x = np.random.default_rng(1).standard_normal((4, 6))
    for f in (ch.relu, np.exp, lambda v: 2 * v + 1, np.tanh):
        result = _non_commuting(f, x)
        assert not result.passed and "opposite order" in result.message, result.message
    # abs is non-decreasing on non-negative values
    assert "opposite order" in _non_commuting(np.abs, np.abs(x)).message
    # abs reverses -1 and 0.5, but no window's largest value loses its place
    across = np.array([[2.0, 1.0, 3.0, -1.0], [0.5, 0.0, 0.0, 2.0]])
    assert "same 2 x 2 window" in _non_commuting(np.abs, across).message
    assert "not elementwise" in _non_commuting(lambda v: v - v.mean(), x).message
    assert "one value per element" in _non_commuting(np.max, x).message
    assert "NaN or inf" in _non_commuting(np.log, x).message
    assert "pair (f, x)" in _non_commuting(WINDOW, np.abs).message
    assert "2D map" in _non_commuting(np.abs, np.arange(4.0)).message


def _aliasing(x):
    return checks.check_aliasing_map(lambda: x, quiet=True)


def test_aliasing_map_check():
    lines = np.zeros((8, 8))
    lines[:, 1::4] = 1
    assert _aliasing(lines)
    assert _aliasing(3 * lines + 1)  # any levels, as long as the lines stand out
    left = np.zeros((8, 8))
    left[:, 2::4] = 1  # right for a shift to the left
    result = _aliasing(left)
    assert not result.passed and "to the left" in result.message
    assert "moves one pixel down" in _aliasing(lines.T).message
    assert "16 of the 16" in _aliasing(np.ones((8, 8))).message
    assert "16 of the 16" in _aliasing(np.roll(lines, -1, axis=1)).message  # stay inside
    dot = np.zeros((8, 8))
    dot[3, 3] = 1
    assert "14 of the 16" in _aliasing(dot).message
    assert "8 x 8" in _aliasing(np.zeros((4, 4))).message
    for result in (_aliasing(left), _aliasing(dot)):
        assert "1::4" not in result.message and "column 1" not in result.message


# --- chapter 4: Keras weights, the patch matrix ---------------------------------------------

def test_keras_weights_converted_compute_what_keras_computes():
    """ch.conv2d with the converted weights equals a channels-last convolution written
    from Keras's definition, y[i, j, o] = sum_{u, v, c} x[i + u, j + v, c] w[u, v, c, o]."""
    rng = np.random.default_rng(0)
    x_last = rng.normal(size=(6, 7, 3))  # (H, W, C_in)
    w_keras = rng.normal(size=(3, 2, 3, 4))  # (K_H, K_W, C_in, C_out)
    kh, kw = w_keras.shape[:2]
    y_last = np.zeros((6 - kh + 1, 7 - kw + 1, 4))
    for i in range(y_last.shape[0]):
        for j in range(y_last.shape[1]):
            y_last[i, j] = np.einsum("uvc,uvco->o", x_last[i:i + kh, j:j + kw], w_keras)
    converted = w_keras.transpose(3, 2, 0, 1)  # the reference of check_keras_to_torch
    y_first = ch.conv2d(x_last.transpose(2, 0, 1), converted)
    np.testing.assert_allclose(y_first, y_last.transpose(2, 0, 1), atol=1e-12)
    assert checks.check_keras_to_torch(lambda w: np.transpose(w, (3, 2, 0, 1)), quiet=True)
    for wrong, says in [(lambda w: w.T, "transposed"),
                        (lambda w: w.reshape(w.shape[3], w.shape[2], *w.shape[:2]), "reshaped"),
                        (lambda w: w.transpose(2, 3, 0, 1), "channels are swapped")]:
        result = checks.check_keras_to_torch(wrong, quiet=True)
        assert not result.passed and says in result.message, result.message


def test_patch_matrix_reference_is_unfold_and_the_mistakes_are_named():
    from cnn_helpers.checks.exercises import channels as channel_checks

    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 6))
    for k in (1, 2, 3):
        np.testing.assert_array_equal(channel_checks.windows_row_by_row(x, k), ch.unfold(x, k))
    for how, says in [({"channels_last": True}, "channel-last"),
                      ({"kernel_transposed": True}, "rows and columns of each window"),
                      ({"column_major": True}, "column by column")]:
        result = checks.check_my_unfold(
            lambda x, k, how=how: channel_checks.windows_row_by_row(x, k, **how), quiet=True)
        assert not result.passed and says in result.message, result.message
    short = checks.check_my_unfold(
        lambda x, k: channel_checks.windows_row_by_row(x[:, :-1, :-1], k), quiet=True)
    assert "one window too few" in short.message



def test_paired_interval_mistakes_are_the_mistakes_they_name():
    """Chapter 8's checker computes its t quantiles without scipy; scipy is the oracle."""
    from scipy import stats

    from cnn_helpers.checks.exercises import transfer as transfer_checks

    for df in (1, 2, 4, 7, 12.5):
        assert transfer_checks._t_quantile(0.975, df) == pytest.approx(
            stats.t.ppf(0.975, df), rel=1e-9)
    a = np.array([0.70, 0.72, 0.69, 0.75, 0.71])
    b = np.array([0.62, 0.66, 0.65, 0.64, 0.60])
    d, n = a - b, len(a)
    se = d.std(ddof=1) / np.sqrt(n)
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    pooled = stats.ttest_ind(a, b, equal_var=True).confidence_interval(0.95)
    expected = [
        (welch.low, welch.high),
        (pooled.low, pooled.high),
        (d.mean() - stats.norm.ppf(0.975) * se, d.mean() + stats.norm.ppf(0.975) * se),
        (d.mean() - stats.t.ppf(0.975, n) * se, d.mean() + stats.t.ppf(0.975, n) * se),
        (d.mean() - stats.t.ppf(0.95, n - 1) * se, d.mean() + stats.t.ppf(0.95, n - 1) * se),
        (d.mean() - stats.t.ppf(0.975, n - 1) * d.std() / np.sqrt(n),
         d.mean() + stats.t.ppf(0.975, n - 1) * d.std() / np.sqrt(n)),
        (-d.mean() - stats.t.ppf(0.975, n - 1) * se, -d.mean() + stats.t.ppf(0.975, n - 1) * se),
    ]
    mistakes = transfer_checks._difference_mistakes()
    assert len(mistakes) == len(expected)
    for (message, wrong), (low, high) in zip(mistakes.items(), expected, strict=True):
        _, got_low, got_high = wrong(a, b)
        assert (got_low, got_high) == pytest.approx((low, high), rel=1e-7), message
    paired = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert transfer_checks._paired(a, b)[1:] == pytest.approx((paired.low, paired.high))



# ---- Chapter 9: PGD and integrated gradients -------------------------------------------------

def _quietly(checker, *args, **kwargs):
    return checker.__wrapped__(*args, **kwargs)


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
    def channel_mean(score, image, h=1e-4):
        return np.abs(inside.numerical_score_gradient(score, image, h)).mean(axis=0)

    assert "mean over the channels" in _quietly(
        checks.check_my_numerical_saliency, channel_mean).summary

    def occluded(fill=0.0, first_channel_only=False):
        def occlusion(score, image, size):
            image = np.asarray(image, dtype=float)
            base = score(image[None])[0]
            _, h, w = image.shape
            out = np.empty((h - size + 1, w - size + 1))
            for i, j in np.ndindex(*out.shape):
                covered = image.copy()
                covered[:1 if first_channel_only else None, i:i + size, j:j + size] = fill
                out[i, j] = base - score(covered[None])[0]
            return out
        return occlusion

    assert _quietly(checks.check_my_occlusion, occluded())
    for wrong, says in [(occluded(first_channel_only=True), "only the first channel"),
                        (occluded(fill=0.5), "grey (0.5)")]:
        result = _quietly(checks.check_my_occlusion, wrong)
        assert says in result.summary, result.summary
        assert "expected" not in " ".join([result.message, *result.details])
    result = _quietly(checks.check_my_numerical_saliency, channel_mean)
    assert "expected" not in " ".join([result.message, *result.details])
    clip_to_one = _quietly(checks.check_my_fgsm,
                           lambda x, g, eps, x_max=1.0: np.clip(x + eps * np.sign(g), 0, 1))
    assert "clipped to 1, not to x_max" in clip_to_one.summary


def test_chapter_9_integrated_gradients_reference_agrees_with_the_library():
    from cnn_helpers.checks.exercises import inside as inside_checks

    for gradient, x, baseline, steps in inside_checks._ig_cases():
        np.testing.assert_allclose(inside_checks._ig_rule(gradient, x, baseline, steps),
                                   inside.integrated_gradients(gradient, x, baseline, steps),
                                   rtol=1e-12, atol=1e-15)


def test_fgsm_check_never_states_an_expected_value():
    """One output value of one fast-gradient step would give its formula away."""
    def too_far(x, grad, eps, x_max=1.0):
        return np.clip(x + 2 * eps * np.sign(grad), 0, x_max)

    result = checks.check_my_fgsm(too_far, quiet=True)
    assert not result.passed
    assert "expected" not in result.message.lower(), result.message


def test_receptive_field_and_pool_backward_oracles_agree_with_the_library():
    """The checkers compute their answers without the functions the exercises ask for;
    those functions agree with them."""
    from cnn_helpers import pooling
    from cnn_helpers.checks.exercises import backprop as backprop_exercise

    for case in arch_checks.FIELD_CASES:
        assert arch_checks._field_by_tracing(*case) == arch.receptive_field(*case)
    for grad_out, x, k in backprop_exercise._pool_cases():
        np.testing.assert_allclose(
            backprop_exercise._pool_gradient_by_differences(grad_out, x, k),
            pooling.max_pool2d_backward(grad_out, x, k), atol=1e-8)



def _quiet_check(checker, fn):
    return checker(fn, quiet=True)


def test_conv_backward_check_names_results_in_the_wrong_order():
    for order in [(1, 0, 2), (2, 1, 0), (1, 2, 0)]:
        def shuffled(*args, order=order):
            results = _conv_backward_in_loops(*args)
            return tuple(results[i] for i in order)
        result = _quiet_check(backprop_checks.check_my_conv2d_backward, shuffled)
        assert not result.passed
        assert "wrong order" in result.message, result.message
        assert "return (grad_x, grad_w, grad_b)" in result.message


def test_batchnorm_check_names_gamma_and_beta_swapped():
    def swapped(*args):
        grad_x, grad_gamma, grad_beta = _batchnorm_backward(*args)
        return grad_x, grad_beta, grad_gamma
    result = _quiet_check(arch_checks.check_my_batchnorm2d_backward, swapped)
    assert not result.passed and "wrong order" in result.message, result.message


def test_a_mean_bias_gradient_is_named_without_its_factor():
    def mean_bias(*args):
        grad_x, grad_w, grad_b = _conv_backward_in_loops(*args)
        return grad_x, grad_w, grad_b / args[0][:, 0].size
    result = _quiet_check(backprop_checks.check_my_conv2d_backward, mean_bias)
    assert not result.passed
    assert "the bias gradient is a sum, not a mean" in result.message
    assert "times the right one" not in result.message
    assert "0.0" not in result.message, result.message


def test_batchnorm_sums_for_means_are_named():
    def with_sums(grad_out, x, gamma, eps=1e-5):
        axes = (0, 2, 3)
        x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
            x.var(axis=axes, keepdims=True) + eps)
        g = grad_out * gamma.reshape(1, -1, 1, 1)
        grad_x = (g - g.sum(axis=axes, keepdims=True)
                  - x_hat * (g * x_hat).sum(axis=axes, keepdims=True)) / np.sqrt(
            x.var(axis=axes, keepdims=True) + eps)
        return grad_x, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)
    result = _quiet_check(arch_checks.check_my_batchnorm2d_backward, with_sums)
    assert not result.passed
    assert "two correction terms use sums where the formula has means" in result.message



# ---- Chapter 8: the frozen model and the paired interval, more mistakes ----------------------

def _ch8_frozen_model(source, n_classes, lr, *, head_in=None, frozen_whole=False):
    body = source[:-1].freeze()
    head = ch.nn.Linear(head_in or source[-1].in_features, n_classes, rng=0)
    model = ch.nn.Sequential(body, head)
    return model, ch.optim.Adam(head.parameters(), lr=lr), model if frozen_whole else body


def test_frozen_model_check_names_the_whole_model_returned_as_frozen():
    result = _quietly(checks.check_frozen_model,
                      lambda s, n, lr: _ch8_frozen_model(s, n, lr, frozen_whole=True))
    assert not result.passed and "holds the new classifier" in result.message, result.message


def test_frozen_model_check_points_to_in_features_on_a_shape_error():
    # The chapter's own head, nn.Linear(128, 10), on a source with 64 features.
    result = _quietly(checks.check_frozen_model,
                      lambda s, n, lr: _ch8_frozen_model(s, n, lr, head_in=128))
    assert not result.passed and "raised ValueError" in result.message, result.message
    assert "source[-1].in_features" in " ".join(result.details)
    right = _quietly(checks.check_frozen_model, _ch8_frozen_model)
    assert right.passed, right.message


def test_frozen_model_hint_gives_the_real_reason_to_leave_frozen_parameters_out():
    def all_params(source, n_classes, lr):
        model, _, body = _ch8_frozen_model(source, n_classes, lr)
        return model, ch.optim.Adam(model.parameters(), lr=lr), body

    result = _quietly(checks.check_frozen_model, all_params)
    text = " ".join([result.message, *result.details])
    assert "unfrozen later" in text and "weight decay" not in text, text


def _ch8_paired(a, b):
    from scipy import stats

    d = np.asarray(a, float) - np.asarray(b, float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


@pytest.mark.parametrize(("wrong", "says"), [
    (lambda a, b: (_ch8_paired(a, b)[1], _ch8_paired(a, b)[0], _ch8_paired(a, b)[2]),
     "order (low, mean, high)"),
    (lambda a, b: (lambda d: (d.mean(), d.mean() - d.std(ddof=1), d.mean() + d.std(ddof=1)))(
        np.asarray(a, float) - np.asarray(b, float)), "plus or minus the standard deviation"),
    (lambda a, b: (lambda m, lo, hi: (m, m - (m - lo) * np.sqrt(len(a)),
                                      m + (hi - m) * np.sqrt(len(a))))(*_ch8_paired(a, b)),
     "divide it by the square root of n"),
    (lambda a, b: _ch8_paired(a, b)[1:], "Only two values came back"),
])
def test_paired_interval_check_names_the_form_mistakes_and_reveals_no_value(wrong, says):
    from cnn_helpers.checks.exercises import transfer as transfer_checks

    result = _quietly(checks.check_paired_interval, wrong)
    assert not result.passed and says in result.message, result.message
    text = " ".join([result.message, *result.details])
    a, b = transfer_checks._difference_cases()[0]
    for value in transfer_checks._paired(a, b):
        assert f"{value:.6g}" not in text and "expected" not in text.lower(), text


# ---- Chapter 7: reading a schematic layer by layer ----------------------------------------

def _schematic_specs(layers):
    specs = []
    channels = 3
    for kind, filters, kernel, stride, padding in layers:
        if kind == "conv":
            specs.append(arch.Conv2d(channels, filters, kernel, stride=stride, padding=padding))
            channels = filters
        else:
            specs.append(arch.MaxPool2d(kernel, stride=stride, padding=padding))
    return specs


@pytest.mark.parametrize("layers", [
    arch_checks.SCHEMATIC,
    [("conv", 8, 3, 3, 0), ("pool", None, 3, 2, 1), ("conv", 4, 1, 1, 0), ("conv", 6, 5, 2, 2)],
    [("pool", None, 2, 2, 0), ("conv", 5, 7, 1, 3), ("pool", None, 2, 2, 0)],
])
def test_schematic_oracle_agrees_with_the_library(layers):
    """The checker counts windows and traces spans; the package's table uses the formulas."""
    table = arch.summarize(_schematic_specs(layers), (3, 29, 29))
    library = [(*row.shape, row.receptive_field) for row in table.top]
    assert arch_checks.schematic_rows(layers, (3, 29, 29)) == library


def test_schematic_check_passes_the_right_rows_and_waits_for_the_stub():
    right = arch_checks.schematic_rows()
    assert right == [(16, 32, 32, 5), (16, 16, 16, 6), (32, 8, 8, 10), (16, 8, 8, 10),
                     (64, 6, 6, 18), (64, 3, 3, 22)]
    assert _quiet_check(arch_checks.check_schematic_walk, lambda: right).passed
    assert _quiet_check(arch_checks.check_schematic_walk,
                        lambda: [list(row) for row in right]).passed

    def stub():
        raise NotImplementedError()

    assert "not yet implemented" in _quiet_check(arch_checks.check_schematic_walk, stub).message


def _one_row_wrong(layer, row):
    rows = list(arch_checks.schematic_rows())
    rows[layer - 1] = row
    return rows


@pytest.mark.parametrize(("rows", "says"), [
    (_one_row_wrong(1, (16, 28, 28, 5)), "padding was left out"),
    (_one_row_wrong(1, (16, 30, 30, 5)), "one side only"),
    (_one_row_wrong(1, (16, 31, 31, 5)), "+ 1 of the output-size formula"),
    (_one_row_wrong(1, (3, 32, 32, 5)), "one channel per filter"),
    (_one_row_wrong(1, (32, 32, 16, 5)), "channels-last"),
    (_one_row_wrong(2, (8, 16, 16, 6)), "pooling works on each channel separately"),
    (_one_row_wrong(2, (16, 32, 32, 6)), "pooling kept the grid"),
    (_one_row_wrong(2, (16, 16, 16, 5)), "pooling window also widens"),
    (_one_row_wrong(2, (16, 16, 16, 7)), "jump was updated before"),
    (_one_row_wrong(2, (16, 16, 16, 7)), "k steps of the jump"),
    (_one_row_wrong(1, (16, 32, 32, 6)), "k steps of the jump"),
    (_one_row_wrong(3, (32, 8, 8, 12)), "k steps of the jump"),
    (_one_row_wrong(5, (64, 6, 6, 14)), "ignored a strided convolution"),
    (_one_row_wrong(1, (48, 32, 32, 5)), "multiplied the filters"),
    ([(3, 32, 32, 1), *arch_checks.schematic_rows()[:5]], "first row is the input image"),
    (_one_row_wrong(3, (32, 16, 16, 10)), "stride was left out"),
    (_one_row_wrong(3, (32, 9, 9, 10)), "rounded up"),
    (_one_row_wrong(3, (32, 7, 7, 10)), "padding was left out"),
    (_one_row_wrong(3, (32, 7, 7, 10)), "+ 1 of the output-size formula"),
    (_one_row_wrong(3, (32, 8, 8, 8)), "grew by k - 1 pixels"),
    (_one_row_wrong(3, (32, 8, 8, 3)), "measured on the input image"),
    (_one_row_wrong(4, (16, 8, 8, 12)), "mixes channels only"),
    (_one_row_wrong(4, (16, 6, 6, 10)), "keeps the grid"),
    (_one_row_wrong(4, (32, 8, 8, 10)), "one channel per filter"),
    (_one_row_wrong(5, (64, 8, 8, 18)), "no padding"),
    (_one_row_wrong(6, (32, 3, 3, 22)), "keeps their number"),
    (_one_row_wrong(3, (32, 7.5, 7.5, 10)), "floats"),
    (arch_checks.schematic_rows()[:5], "6 rows"),
])
def test_schematic_check_names_the_mistake_without_the_answer(rows, says):
    result = _quiet_check(arch_checks.check_schematic_walk, lambda: rows)
    assert not result.passed
    text = " ".join([result.message, *result.details])
    assert says in text, text
    for right in arch_checks.schematic_rows():
        if right not in rows:
            assert str(right) not in text, text


def test_schematic_mistakes_are_the_mistakes_they_name():
    """Each wrong size or field in the catalogue is what the named slip computes."""
    first = arch_checks.SCHEMATIC[0]  # 5x5, stride 1, padding 2, on 32
    sizes = arch_checks._size_mistakes(32, first)
    assert sizes[next(m for m in sizes if "padding was left out" in m)] == ch.conv_output_size(
        32, 5, 1, 0)
    third = arch_checks.SCHEMATIC[2]  # 3x3, stride 2, padding 1, on 16
    sizes = arch_checks._size_mistakes(16, third)
    assert sizes[next(m for m in sizes if "stride was left out" in m)] == ch.conv_output_size(
        16, 3, 1, 1)
    assert sizes[next(m for m in sizes if "rounded up" in m)] == 1 + int(np.ceil(15 / 2))
    fields = arch_checks._field_mistakes(6, 2, third)  # field 6, jump 2 below layer 3
    assert fields[next(m for m in fields if "grew by k - 1" in m)] == arch_checks._no_jump(
        [(5, 1), (2, 2), (3, 2)])[0]
    # Below layer 2 every stride is 1, so the slip made there alone is the whole-stack slip.
    fields = arch_checks._field_mistakes(5, 1, arch_checks.SCHEMATIC[1])
    assert fields[next(m for m in fields if "updated before" in m)] == (
        arch_checks._stride_first([(5, 1), (2, 2)])[0])
