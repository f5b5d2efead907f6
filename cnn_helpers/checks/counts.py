"""Counting parameters: the layers :class:`Conv` and :class:`Linear`, and :func:`check_count`.

The usual counting mistakes (biases forgotten, input channels left out, a
k-wide kernel counted as k weights, ...) are derived from the layers themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .results import FAIL, CheckResult
from .running import DEFAULT_TIMEOUT, guarded, outcome_failure, resolve
from .values import value_check


@dataclass(frozen=True)
class Conv:
    """A convolution layer for :func:`check_count`; ``kernel_size`` an int (k x k) or a tuple."""

    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, ...]
    bias: bool = True

    def kernel_area(self) -> int:
        ks = self.kernel_size
        return ks * ks if isinstance(ks, int) else math.prod(ks)

    def weights(self) -> int:
        return self.out_channels * self.in_channels * self.kernel_area()

    def biases(self) -> int:
        return self.out_channels if self.bias else 0


@dataclass(frozen=True)
class Linear:
    """A fully connected layer for :func:`check_count`."""

    in_features: int
    out_features: int
    bias: bool = True

    def weights(self) -> int:
        return self.in_features * self.out_features

    def biases(self) -> int:
        return self.out_features if self.bias else 0


def _count_mistakes(layers: Sequence[Conv | Linear]) -> dict[str, int]:
    """Parameter counts that result from the usual counting mistakes."""
    total = sum(layer.weights() + layer.biases() for layer in layers)
    weights = sum(layer.weights() for layer in layers)
    mistakes: dict[str, int] = {
        "It looks like you forgot the biases: one per output channel (or output unit).":
            weights,
        "It looks like you counted one bias per layer; there is one per output channel.":
            weights + sum(1 for layer in layers if layer.biases()),
        "It looks like you counted one bias per weight; there is one per output channel.":
            2 * weights,
    }
    convs = [layer for layer in layers if isinstance(layer, Conv)]
    if convs:
        mistakes["It looks like you forgot the input channels: each filter has "
                 "in_channels x kh x kw weights."] = total - sum(
            c.weights() - c.out_channels * c.kernel_area() for c in convs)
        if len(convs) > 1:
            for i, layer in enumerate(layers):
                if isinstance(layer, Conv):
                    mistakes[f"It looks like you forgot the input channels of layer {i + 1} ({layer}): "
                             "each filter has in_channels x kh x kw weights."] = (
                        total - layer.weights() + layer.out_channels * layer.kernel_area())
        mistakes["It looks like you counted the kernel as k weights instead of k x k."] = total - sum(
            c.weights() - c.out_channels * c.in_channels * c.kernel_size
            for c in convs if isinstance(c.kernel_size, int))
    if len(layers) > 1:
        for i, layer in enumerate(layers):
            mistakes[f"It looks like you left out layer {i + 1} ({layer})."] = (
                total - layer.weights() - layer.biases())
        last = layers[-1]
        mistakes["It looks like you counted only the last layer."] = last.weights() + last.biases()
    return mistakes


@guarded
def check_count(answer: Any, layers: int | Conv | Linear | Sequence[Conv | Linear], *,
                name: str = "your count", mistakes: Mapping[str, Any] | None = None,
                timeout: float | None = DEFAULT_TIMEOUT) -> CheckResult:
    """Check a number of parameters.

    ``layers`` is the network (a ``Conv``/``Linear`` or a list of them; the
    expected count and the usual mistakes are derived from it), or simply the
    expected count.
    """
    if isinstance(layers, Conv | Linear):
        layers = [layers]
    if isinstance(layers, int | np.integer):
        expected, known = int(layers), {}
    else:
        expected = sum(layer.weights() + layer.biases() for layer in layers)
        known = _count_mistakes(layers)
    known.update(mistakes or {})
    outcome = resolve(answer, timeout)
    failure = outcome_failure(outcome, name)
    if failure is not None:
        return failure
    value = outcome.value
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return CheckResult(FAIL, name, f"a count is a whole number, got {value}: "
                           "is there a `/` that should be `//`?")
    return value_check(value, expected, name, known, 0.0, 0.5, timeout)
