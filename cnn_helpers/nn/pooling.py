"""Pooling layers ``MaxPool1d``/``MaxPool2d`` and ``AvgPool1d``/``AvgPool2d`` over :mod:`cnn_helpers.pooling`."""

import numpy as np

from ..pooling import (
    avg_pool1d,
    avg_pool1d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from ._utils import _check_input, _tuple
from .module import Module


class _PoolNd(Module):
    _nd = 0
    _dims = ()

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self._nd)
        # torch's default: windows that do not overlap
        self.stride = self.kernel_size if stride is None else _tuple(stride, self._nd)
        self.padding = _tuple(padding, self._nd)

    def _args(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)

    def forward(self, x):
        _check_input(type(self).__name__, x, self._dims)
        self._cache = x
        return self._pool(x, **self._args())

    def backward(self, grad_out):
        return self._pool_backward(grad_out, self._saved(), **self._args())

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_PoolNd):
    """Max over windows of ``(N, C, L)``; the gradient goes to each window's maximum."""

    _nd = 1
    _dims = ("N", "C", "L")
    _pool = staticmethod(max_pool1d)
    _pool_backward = staticmethod(max_pool1d_backward)


class MaxPool2d(_PoolNd):
    """Max over windows of ``(N, C, H, W)``; the gradient goes to each window's maximum.

    The common case of windows that tile the image (``stride == kernel_size``,
    no padding, sizes divisible) takes a shortcut: the maximum of the
    ``kH*kW`` strided sub-images, with the winning position of each window
    remembered for the backward pass instead of searched for again. For
    finite inputs it gives exactly what :func:`cnn_helpers.max_pool2d` and
    its backward give, including which element of a tie gets the gradient
    (the first); inputs with NaN take the general path.
    """

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _pool = staticmethod(max_pool2d)
    _pool_backward = staticmethod(max_pool2d_backward)

    def _tiles(self, x):
        kh, kw = self.kernel_size
        return (self.stride == self.kernel_size and self.padding == (0, 0)
                and x.shape[2] % kh == 0 and x.shape[3] % kw == 0)

    def forward(self, x):
        _check_input("MaxPool2d", x, self._dims)
        if (not self._tiles(x) or not np.issubdtype(x.dtype, np.floating)
                or np.isnan(x).any()):
            return super().forward(x)
        kh, kw = self.kernel_size
        offsets = [(u, v) for u in range(kh) for v in range(kw)]
        out = x[:, :, ::kh, ::kw].copy()
        for u, v in offsets[1:]:
            np.maximum(out, x[:, :, u::kh, v::kw], out=out)
        # One mask per offset, marking the windows whose first maximum sits there.
        taken = np.zeros(out.shape, dtype=bool)
        masks = []
        for u, v in offsets:
            hit = (x[:, :, u::kh, v::kw] == out) & ~taken
            taken |= hit
            masks.append(hit)
        self._cache = (x.shape, masks)
        return out

    def backward(self, grad_out):
        saved = self._saved()
        if isinstance(saved, np.ndarray):  # the general path cached the input
            return super().backward(grad_out)
        x_shape, masks = saved
        kh, kw = self.kernel_size
        grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
        for (u, v), hit in zip(((u, v) for u in range(kh) for v in range(kw)), masks, strict=True):
            np.multiply(grad_out, hit, out=grad_x[:, :, u::kh, v::kw])
        return grad_x


class _AvgPoolNd(_PoolNd):
    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def _args(self):
        return dict(super()._args(), count_include_pad=self.count_include_pad)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of ``(N, C, L)``; the gradient is shared equally."""

    _nd = 1
    _dims = ("N", "C", "L")
    _pool = staticmethod(avg_pool1d)
    _pool_backward = staticmethod(avg_pool1d_backward)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of ``(N, C, H, W)``; the gradient is shared equally."""

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _pool = staticmethod(avg_pool2d)
    _pool_backward = staticmethod(avg_pool2d_backward)
