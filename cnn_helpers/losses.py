"""Cross-entropy loss on integer class targets, as ``torch.nn.functional.cross_entropy``."""

from __future__ import annotations

import numpy as np

from ._validate import as_array, as_float_arrays, check_grad_shape
from .activations import log_softmax, softmax

__all__ = ["cross_entropy", "cross_entropy_backward"]

_REDUCTIONS = ("mean", "sum", "none")


def _setup(op, logits, target, reduction):
    (logits,) = as_float_arrays(op, logits=logits)
    target = as_array(target, "target", op)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must hold integer class indices, got dtype {target.dtype} "
            "(class-probability targets are not supported)"
        )
    if logits.ndim not in (1, 2) or target.shape != logits.shape[:-1]:
        raise ValueError(
            f"{op}: expected logits (N, K) with target (N,), or logits (K,) with a scalar "
            f"target; got logits shape {logits.shape} and target shape {target.shape}"
        )
    k = logits.shape[-1]
    bad = (target < 0) | (target >= k)
    if bad.any():
        raise ValueError(
            f"{op}: target values must lie in [0, {k - 1}] for {k} classes "
            f"(logits shape {logits.shape}), got {target[bad].ravel()[:5].tolist()}"
        )
    # Work on the batched form; a single example is a batch of one.
    return logits.reshape(-1, k), target.reshape(-1)


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy ``-log softmax(logits)[target]`` per example, then reduced.

    logits : (N, K) unnormalised scores, or (K,) for one example.
    target : (N,) integer classes in [0, K), or a scalar int with (K,) logits.
    reduction : 'mean' (average over N), 'sum', or 'none' (per example, shape (N,)).

    Returns a scalar of the logits' dtype, or (N,) for 'none'. Unlike torch
    there is no ``weight``, ``ignore_index`` or ``label_smoothing``.
    """
    op = "cross_entropy"
    unbatched = np.ndim(logits) == 1
    logits2, target2 = _setup(op, logits, target, reduction)
    losses = -log_softmax(logits2, dim=1)[np.arange(len(target2)), target2]
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses[0] if unbatched else losses


def cross_entropy_backward(logits, target, reduction="mean", grad_out=None):
    """Gradient of ``cross_entropy`` with respect to the logits: ``softmax(logits) - onehot(target)``,
    scaled by 1/N for 'mean'.

    logits, target, reduction : as passed to ``cross_entropy``.
    grad_out : optional upstream gradient of the loss: a scalar for 'mean'/'sum',
        shape (N,) for 'none'. Defaults to 1 (for 'none': ones, i.e. the
        gradient of the summed losses).

    Returns grad_logits, the shape of ``logits``.
    """
    op = "cross_entropy_backward"
    logits_shape = np.shape(logits)
    logits2, target2 = _setup(op, logits, target, reduction)
    n = len(target2)
    grad = softmax(logits2, dim=1)
    grad[np.arange(n), target2] -= 1
    if grad_out is None:
        scale = 1.0
    else:
        (g,) = as_float_arrays(op, grad_out=grad_out)
        expected = () if reduction != "none" else logits_shape[:-1]
        check_grad_shape(g, expected, op)
        scale = g.reshape(-1, 1) if reduction == "none" else g
    if reduction == "mean":
        scale = scale / n
    return (grad * scale).astype(grad.dtype, copy=False).reshape(logits_shape)
