"""The mistake catalogues of the exercise checkers compute the mistakes they name."""

import numpy as np

import cnn_helpers as ch
from cnn_helpers import architectures as arch
from cnn_helpers import checks
from cnn_helpers.checks.exercises import architectures as arch_checks
from cnn_helpers.checks.exercises import conv1d as conv1d_checks
from cnn_helpers.checks.exercises import conv2d as conv2d_checks
from cnn_helpers.checks.exercises import motivation as motivation_checks

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
    checks.set_grading(False)
    try:
        for wrong, says in NEIGHBOUR_MISTAKES:
            result = checks.check_keeps_neighbours(wrong)
            assert not result.passed and says in result.message, result.message
            assert "True" not in result.message and "False" not in result.message
            assert "It looks like" not in result.message or "wrong verdict" not in says
        assert "True or False, not an int" in checks.check_keeps_neighbours(lambda perm, side=8: 1).message
    finally:
        checks.set_grading(None)


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
    checks.set_grading(False)
    try:
        for wrong, says in SAME_PADDING_MISTAKES:
            result = checks.check_same_padding(wrong)
            assert not result.passed and says in result.message, result.message
            assert "// 2" not in result.message and "/ 2" not in result.message
            assert "(k - 1)" not in result.message
    finally:
        checks.set_grading(None)


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
    checks.set_grading(False)
    try:
        assert checks.check_tolerant_bias(lambda n, m=1: m + 0.01 - n).passed  # inside
        assert checks.check_tolerant_bias(lambda n, m=1: m + 1 - n).passed  # its closed end
        for wrong, says in TOLERANT_MISTAKES:
            result = checks.check_tolerant_bias(wrong)
            assert not result.passed and says in result.message, result.message
            assert "0.5" not in result.message and "3.5" not in result.message
        assert "not an ndarray" in checks.check_tolerant_bias(
            lambda n, m=1: np.array([1.5 - n])).message
    finally:
        checks.set_grading(None)


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
    checks.set_grading(False)
    try:
        assert checks.check_plus_detector(lambda: (2 * PLUS, -9.0)).passed
        assert checks.check_plus_detector(lambda: (PLUS, -4.0)).passed
        for wrong, says in PLUS_MISTAKES:
            result = checks.check_plus_detector(wrong)
            assert not result.passed and says in result.message, result.message
            assert "4.5" not in result.message and "-1" not in result.message
        too_small = checks.check_plus_detector(lambda: (np.ones((2, 2)), 0.0)).message
        assert "3 x 3" in too_small and "of your code" not in too_small
    finally:
        checks.set_grading(None)


def test_a_mistake_is_named_only_when_it_explains_every_case():
    """Two mistakes at once: neither message fits every case, so neither is shown."""
    def flipped(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride, padding=padding)

    def flipped_unpadded(image, kernel, stride=1, padding=0):
        return ch.true_conv2d(image, kernel, stride=stride)

    def flipped_1d(x, w, b=0.0, stride=1, padding=0):
        return ch.true_conv1d(x, w, b, stride)

    checks.set_grading(False)
    try:
        assert "flipped" in checks.check_my_conv2d(flipped).message
        for result in (checks.check_my_conv2d(flipped_unpadded),
                       checks.check_my_conv1d(flipped_1d)):
            assert not result.passed and "It looks like" not in result.message, result.message
    finally:
        checks.set_grading(None)
