"""``Linear``, the fully connected layer, over :func:`cnn_helpers.linear`."""

import numpy as np

from ..linear import linear, linear_backward
from ._utils import _check_array
from .init import _get_rng, torch_default_uniform
from .module import Module, Parameter


class Linear(Module):
    """Affine map ``x @ weight.T + bias`` over ``(N, in_features)`` → ``(N, out_features)``.

    Weight ``(out_features, in_features)`` as in torch; any leading dims are allowed.
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        rng = _get_rng(rng)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(torch_default_uniform(shape, self.in_features, rng, dtype))
        self.bias = (Parameter(torch_default_uniform((self.out_features,), self.in_features, rng, dtype))
                     if bias else None)

    def forward(self, x):
        _check_array("Linear", x)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expects input of shape (N, {self.in_features}), "
                             f"got shape {x.shape}")
        self._cache = x
        return linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, grad_out):
        grad_x, grad_w, grad_b = linear_backward(grad_out, self._saved(), self.weight.data)
        self.weight.accumulate_grad(grad_w)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_b)
        return grad_x

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
