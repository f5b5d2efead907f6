"""Activation layers: ``ReLU``."""

from ..activations import relu, relu_backward
from ._utils import _check_array
from .module import Module


class ReLU(Module):
    """``max(0, x)``, any shape."""

    def forward(self, x):
        _check_array("ReLU", x)
        self._cache = x
        return relu(x)

    def backward(self, grad_out):
        return relu_backward(grad_out, self._saved())
