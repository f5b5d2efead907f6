"""Checkers for chapter 6, backpropagation through convolution and pooling."""

from __future__ import annotations

import copy
import itertools

import numpy as np

from ...conv import conv1d, conv1d_backward, conv2d, unfold
from ...gradcheck import numerical_gradient
from ...padding import pad
from ..compare import RTOL, compare
from ..functions import _describe_case, _unchanged, check_function
from ..results import FAIL, PASS, CheckResult, todo
from ..running import DEFAULT_TIMEOUT, call, guarded, outcome_failure
from ..values import check_array
from ._common import with_cases

# The exercise's signal, kernel and upstream gradient.
BY_HAND = (np.array([1.0, 2, 3, 4]), np.array([1.0, -1]), np.array([1.0, 0, 2]))


def _no_flip(grad_out, w):
    """The input gradient with the kernel used as it is (a usual mistake)."""
    k = len(w)
    return conv1d(pad(np.asarray(grad_out, float), (k - 1, k - 1)), np.asarray(w, float))


def check_grad_w_by_hand(fn, **kw):
    """dL/dw of the exercise, worked out by hand."""
    x, w, g = BY_HAND
    return check_array(fn, conv1d_backward(g, x, w)[1], name="grad_w_by_hand", mistakes={
        "It looks like the order is reversed: which x meets g[0] for w[0]?":
            lambda: conv1d_backward(g, x, w)[1][::-1],
    }, **kw)


def check_grad_x_by_hand(fn, **kw):
    """dL/dx of the exercise, worked out by hand."""
    x, w, g = BY_HAND
    return check_array(fn, conv1d_backward(g, x, w)[0], name="grad_x_by_hand", mistakes={
        "It looks like the kernel was used the wrong way round.": lambda: _no_flip(g, w),
    }, **kw)


def _pool_cases():
    rng = np.random.default_rng(3)
    return [(rng.standard_normal((h // k, w // k)), rng.standard_normal((h, w)), k)
            for h, w, k in [(4, 4, 2), (6, 9, 3), (4, 6, 2)]]


def _pool_gradient_by_differences(grad_out, x, k):
    """The oracle: central differences of sum(grad_out * maxpool(x)), with the pooling
    written out here. Away from ties the pooling is linear near x, so the differences
    are exact up to rounding (the random test images have no ties)."""
    h, w = grad_out.shape

    def loss(z):
        pooled = z[:h * k, :w * k].reshape(h, k, w, k).max(axis=(1, 3))
        return float(np.sum(grad_out * pooled))

    return numerical_gradient(loss, np.array(x, dtype=np.float64), eps=1e-6)


@guarded
def check_my_max_pool_backward(fn, *, cases=None):
    """``my_max_pool_backward(grad_out, x, k)`` for a plain (H, W) image."""
    return check_function.__wrapped__(
        fn, _pool_gradient_by_differences, with_cases(_pool_cases(), cases),
        name="my_max_pool_backward", arg_names=("grad_out", "x", "k"), mistakes={
            "Every input of a window got the gradient.":
                lambda g, x, k: np.kron(g, np.ones((k, k))),
            "That is average pooling's backward pass.":
                lambda g, x, k: np.kron(g, np.ones((k, k))) / k**2,
        })


# ---------------------------------------------------------------------------
# The multichannel, strided convolution backward: in loops, and in columns
# ---------------------------------------------------------------------------

PARTS = ("grad_x", "grad_w", "grad_b")
BACKWARD_ARGS = ("grad_out", "x", "w", "stride", "padding")


def _backward_cases():
    """(grad_out, x, w, stride, padding); the first case has every feature."""
    rng = np.random.default_rng(61)
    cases = []
    for n, c_in, c_out, h, w, k, s, p in [(2, 3, 4, 7, 6, 3, 2, 1),
                                          (3, 2, 2, 5, 5, 2, 1, 0),
                                          (1, 1, 3, 8, 7, 4, 3, 2)]:
        x = rng.standard_normal((n, c_in, h, w))
        kernels = rng.standard_normal((c_out, c_in, k, k))
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        cases.append((rng.standard_normal((n, c_out, oh, ow)), x, kernels, s, p))
    return cases


def backward_oracle(grad_out, x, w, stride, padding):
    """(grad_x, grad_w, grad_b) by central differences of the forward pass alone.

    The loss ``sum(conv2d(x, w, b) * grad_out)`` is linear in each of x, w and b,
    so the central difference is exact for any step; a step of 1 keeps the
    rounding error small. No backward function is involved.
    """
    x, w = np.array(x, dtype=float), np.array(w, dtype=float)
    b = np.zeros(w.shape[0])

    def loss(_):
        return np.sum(conv2d(x, w, b, stride=stride, padding=padding) * grad_out)

    return tuple(numerical_gradient(loss, a, eps=1.0) for a in (x, w, b))


def _pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def _out_hw(grad_out):
    return grad_out.shape[2], grad_out.shape[3]


def _scatter(grad_out, x, w, stride, padding, *, step=None, flip=False, outs=None):
    """Loop backward with one usual mistake switched on; returns the padded grad_x and grad_w.

    ``step``: the window step used in the index (the stride forgotten: 1);
    ``flip``: the kernel rotated by 180 degrees in the input gradient;
    ``outs``: the output channels that reach the input gradient.
    """
    step = stride if step is None else step
    k = w.shape[-1]
    x_pad = _pad(x, padding)
    kernel = w[..., ::-1, ::-1] if flip else w
    outs = slice(None) if outs is None else outs
    grad_x_pad, grad_w = np.zeros_like(x_pad, dtype=float), np.zeros(w.shape)
    oh, ow = _out_hw(grad_out)
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * step, i * step + k), slice(j * step, j * step + k)
            g = grad_out[:, :, i, j]  # (N, C_out)
            grad_w += np.einsum("no,nchw->ochw", g, x_pad[:, :, rows, cols])
            grad_x_pad[:, :, rows, cols] += np.einsum(
                "no,ochw->nchw", g[:, outs], kernel[outs])
    return grad_x_pad, grad_w


def _crop(grad_x_pad, x, padding):
    h, w = x.shape[2:]
    return grad_x_pad[:, :, padding:padding + h, padding:padding + w]


def _overwritten_loops(grad_out, x, w, stride, padding):
    """grad_x with ``=`` where ``+=`` belongs, in the loop order n, o, i, j."""
    k = w.shape[-1]
    grad_x_pad = np.zeros(_pad(x, padding).shape)
    oh, ow = _out_hw(grad_out)
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            for i in range(oh):
                for j in range(ow):
                    rows = slice(i * stride, i * stride + k)
                    cols = slice(j * stride, j * stride + k)
                    grad_x_pad[n, :, rows, cols] = grad_out[n, o, i, j] * w[o]
    return _crop(grad_x_pad, x, padding)


def _overwritten_columns(grad_out, x, w, stride, padding):
    """col2im with ``=`` where ``+=`` belongs: overlapping windows replace each other."""
    n, c_in = x.shape[:2]
    k = w.shape[-1]
    grad_cols = w.reshape(w.shape[0], -1).T @ grad_out.reshape(n, w.shape[0], -1)
    grad_x_pad = np.zeros(_pad(x, padding).shape)
    oh, ow = _out_hw(grad_out)
    for i in range(oh):
        for j in range(ow):
            window = grad_cols[:, :, i * ow + j].reshape(n, c_in, k, k)
            grad_x_pad[:, :, i * stride:i * stride + k, j * stride:j * stride + k] = window
    return _crop(grad_x_pad, x, padding)


def _if(condition, compute):
    return compute() if condition else None


ONE_OUTPUT_CHANNEL = ("It looks like grad_x receives the gradient of only one output channel: "
                      "every output channel sends its gradient back through its own kernel, "
                      "and these contributions add up (sum over C_out).")
NOT_CROPPED = ("It looks like grad_x is the gradient of the padded input: cut the padding "
               "away, so that grad_x has the shape of x.")
ONE_SIDE_CROP = ("grad_x is empty: with padding 0 a slice [P:-P] takes nothing, so the "
                 "padding must be cut in a way that also works when P is 0.")
ONE_IMAGE_W = ("It looks like grad_w holds the contribution of only one image: every image "
               "of the batch adds to the weight gradient (sum over N).")
PER_IMAGE = "It looks like the sum over the batch is missing: one {} per image."
ONE_IMAGE_B = "It looks like grad_b holds only one image's contribution: sum over N as well."
POSITIONS_B = ("It looks like grad_b was not summed over the positions: the bias is added at "
               "every output position, so its gradient sums over N, H_out and W_out.")
MEAN_B = "grad_b divides by the number of terms: the bias gradient is a sum, not a mean."


def _shared_mistakes():
    """Mistakes of either way of writing the backward pass, by part."""

    def per_image_w(g, x, w, s, p):
        return np.stack([_scatter(g[i:i + 1], x[i:i + 1], w, s, p)[1] for i in range(len(x))])

    return {
        "grad_x": {
            NOT_CROPPED: lambda g, x, w, s, p: _if(p > 0, lambda: _scatter(g, x, w, s, p)[0]),
            ONE_SIDE_CROP: lambda g, x, w, s, p: _if(
                p == 0, lambda: _scatter(g, x, w, s, p)[0][:, :, 0:0, 0:0]),
        },
        "grad_w": {
            ONE_IMAGE_W: lambda g, x, w, s, p: _if(
                len(x) > 1, lambda: _scatter(g[:1], x[:1], w, s, p)[1]),
            ONE_IMAGE_W + " ": lambda g, x, w, s, p: _if(
                len(x) > 1, lambda: _scatter(g[-1:], x[-1:], w, s, p)[1]),
            PER_IMAGE.format("kernel gradient"): per_image_w,
        },
        "grad_b": {
            ONE_IMAGE_B: lambda g, x, w, s, p: _if(len(x) > 1, lambda: g[0].sum(axis=(1, 2))),
            PER_IMAGE.format("bias gradient"): lambda g, x, w, s, p: g.sum(axis=(2, 3)),
            POSITIONS_B: lambda g, x, w, s, p: g.sum(axis=0),
            # Spaces tell apart variants of one mistake: every way of dividing.
            MEAN_B: lambda g, x, w, s, p: g.mean(axis=(0, 2, 3)),
            MEAN_B + " ": lambda g, x, w, s, p: g.sum(axis=(2, 3)).mean(axis=0),
            MEAN_B + "  ": lambda g, x, w, s, p: g.mean(axis=(2, 3)).sum(axis=0),
        },
    }


def loop_backward_mistakes():
    """Usual mistakes of the backward pass written in loops, by part."""
    mistakes = _shared_mistakes()
    no_stride = ("It looks like the stride is missing from the index: output (i, j) read the "
                 "window that starts at row i * stride and column j * stride.")
    mistakes["grad_x"] = {
        no_stride: lambda g, x, w, s, p: _if(
            s > 1, lambda: _crop(_scatter(g, x, w, s, p, step=1)[0], x, p)),
        "It looks like the kernel was rotated by 180 degrees: in loops, each window "
        "receives the gradient times the kernel as it is; the flip appears only when the "
        "input gradient is written as a convolution.":
            lambda g, x, w, s, p: _crop(_scatter(g, x, w, s, p, flip=True)[0], x, p),
        ONE_OUTPUT_CHANNEL: lambda g, x, w, s, p: _if(
            w.shape[0] > 1, lambda: _crop(_scatter(g, x, w, s, p, outs=slice(-1, None))[0], x, p)),
        ONE_OUTPUT_CHANNEL + " ": lambda g, x, w, s, p: _if(
            w.shape[0] > 1, lambda: _crop(_scatter(g, x, w, s, p, outs=slice(0, 1))[0], x, p)),
        "It looks like grad_x was assigned (=) where contributions must add up (+=): "
        "overlapping windows and the output channels all add to the same inputs.":
            _overwritten_loops,
        **mistakes["grad_x"],
    }
    mistakes["grad_w"] = {
        no_stride: lambda g, x, w, s, p: _if(s > 1, lambda: _scatter(g, x, w, s, p, step=1)[1]),
        **mistakes["grad_w"],
    }
    return mistakes


def column_backward_mistakes():
    """Usual mistakes of the backward pass written with im2col columns, by part."""
    mistakes = _shared_mistakes()

    def reshaped_transpose(g, x, w, s, p):
        cols = unfold(x, w.shape[-1], padding=p, stride=s)
        g_rows = g.reshape(g.shape[0], g.shape[1], -1)
        return np.einsum("nkl,nol->ko", cols, g_rows).reshape(w.shape)

    mistakes["grad_w"] = {
        "It looks like the values of grad_w are in the wrong places: the weight matrix is "
        "(C_out, C_in K K), so reshape a product of that shape, not its transpose.":
            lambda g, x, w, s, p: _if(w.shape[0] > 1 or w.shape[1] > 1,
                                      lambda: reshaped_transpose(g, x, w, s, p)),
        **mistakes["grad_w"],
    }
    mistakes["grad_x"] = {
        "It looks like overlapping windows replace each other: col2im must add every "
        "column entry to the pixel it was copied from (ch.fold does).": _overwritten_columns,
        **mistakes["grad_x"],
    }
    return mistakes


def _wrong_order(got, want):
    """Whether a reordering of the results, and not the given order, fits the expected ones.

    Shapes decide when the given order has a wrong shape; otherwise values do
    (two results of one shape, such as grad_gamma and grad_beta).
    """
    if not all(isinstance(a, np.ndarray | list | tuple | float | int) for a in got):
        return False
    try:
        got = [np.asarray(a, dtype=float) for a in got]
    except (TypeError, ValueError):  # results that are not arrays of numbers
        return False
    want = [np.asarray(a) for a in want]

    def fits(order, by_value):
        return all(got[i].shape == w.shape and (not by_value or np.allclose(
            got[i], w, rtol=RTOL, atol=1e-8 * max(1.0, float(np.abs(w).max(initial=0)))))
            for i, w in zip(order, want, strict=True))

    identity = tuple(range(len(want)))
    by_value = fits(identity, by_value=False)
    if by_value and fits(identity, by_value=True):
        return False
    return any(fits(order, by_value) for order in itertools.permutations(identity)
               if order != identity)


def check_parts(fn, cases, name, oracle, parts, arg_names, mistakes,
                timeout=DEFAULT_TIMEOUT):
    """Run ``fn(*case)`` on the cases and judge each of the results it returns.

    ``oracle(*case)`` gives the expected results, one per name in ``parts``;
    ``mistakes`` maps a part to ``{message: wrong function of the case}``. The
    first wrong part of the first failing case is reported.
    """
    if not callable(fn):
        return CheckResult(FAIL, name, f"expected a function, got a {type(fn).__name__}.")
    for index, case in enumerate(cases):
        label = f"test case {index + 1} of {len(cases)}"
        inputs = _describe_case(case, {}, arg_names)
        given = copy.deepcopy(case)
        outcome = call(fn, given, {}, timeout)
        if outcome.kind == "todo":
            return todo(name)
        failure = outcome_failure(outcome, name, label, inputs)
        if failure is not None:
            return failure
        got = outcome.value
        if not isinstance(got, tuple | list) or len(got) != len(parts):
            length = f" of length {len(got)}" if isinstance(got, tuple | list) else ""
            return CheckResult(FAIL, name, f"expected the {len(parts)} results "
                               f"({', '.join(parts)}), got a {type(got).__name__}{length}.")
        want = oracle(*case)
        if _wrong_order(got, want):
            return CheckResult(FAIL, name, f"the results are in the wrong order on {label}: "
                               f"return ({', '.join(parts)}).")
        for part, answer, expected in zip(parts, got, want, strict=True):
            # Some messages end in a space: two variants of one mistake.
            bound = {message: (lambda wrong=wrong, case=case: wrong(*copy.deepcopy(case)))
                     for message, wrong in mistakes.get(part, {}).items()}
            lines = compare(answer, expected, bound, RTOL, None)
            if lines:
                return CheckResult(FAIL, name, f"{part} is wrong on {label}. {lines[0].strip()}",
                                   [*lines[1:], f"Inputs: {inputs}."])
        if not all(_unchanged(a, b) for a, b in zip(case, given, strict=True)):
            return CheckResult(FAIL, name, f"your function changed its input in place on {label}.",
                               ["Work on a copy (e.g. `np.pad`) instead of writing into the input."])
    return CheckResult(PASS, name, f"all {len(cases)} test cases pass (checked against finite "
                       "differences of the forward pass).")


@guarded
def check_my_conv2d_backward(fn, *, cases=None):
    """``my_conv2d_backward(grad_out, x, w, stride, padding) -> (grad_x, grad_w, grad_b)``, loops."""
    return check_parts(fn, with_cases(_backward_cases(), cases), "my_conv2d_backward",
                       backward_oracle, PARTS, BACKWARD_ARGS, loop_backward_mistakes())


@guarded
def check_conv2d_backward_cols(fn, *, cases=None):
    """``conv2d_backward_cols(grad_out, x, w, stride, padding)``, with im2col and col2im."""
    return check_parts(fn, with_cases(_backward_cases(), cases), "conv2d_backward_cols",
                       backward_oracle, PARTS, BACKWARD_ARGS, column_backward_mistakes())
