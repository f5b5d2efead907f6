"""Convolution layers ``Conv1d`` and ``Conv2d`` over :mod:`cnn_helpers.conv`."""

import math

import numpy as np

from ..conv import conv1d, conv1d_backward, conv2d, conv2d_backward
from ._utils import _check_input, _tuple
from .init import _get_rng, torch_default_uniform
from .module import Module, Parameter


class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``_nd`` is 1 or 2."""

    _nd = 0
    _dims = ()

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.groups = int(groups)
        name = type(self).__name__
        if self.groups < 1:
            raise ValueError(f"{name}: groups must be positive, got {groups}")
        for what, count in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if count % self.groups:
                raise ValueError(f"{name}: {what}={count} must be divisible by groups={self.groups}")
        self.kernel_size = _tuple(kernel_size, self._nd)
        self.stride = _tuple(stride, self._nd)
        self.padding = _tuple(padding, self._nd)
        self.dilation = _tuple(dilation, self._nd)
        rng = _get_rng(rng)
        # Each filter sees in_channels / groups channels, as in torch.
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(torch_default_uniform(shape, fan_in, rng, dtype))
        self.bias = Parameter(torch_default_uniform((self.out_channels,), fan_in, rng, dtype)) if bias else None

    def _args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def forward(self, x):
        _check_input(type(self).__name__, x, self._dims, self.in_channels)
        self._cache = x
        bias = None if self.bias is None else self.bias.data
        return self._conv(x, self.weight.data, bias, **self._args())

    def backward(self, grad_out):
        x = self._saved()
        grad_x, grad_w, grad_b = self._conv_backward(grad_out, x, self.weight.data, **self._args())
        self.weight.accumulate_grad(grad_w)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_b)
        return grad_x

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1D convolution (cross-correlation) over ``(N, C_in, L)`` → ``(N, C_out, L_out)``.

    Weight ``(out_channels, in_channels / groups, kernel_size)``, bias ``(out_channels,)``.
    """

    _nd = 1
    _dims = ("N", "C", "L")
    _conv = staticmethod(conv1d)
    _conv_backward = staticmethod(conv1d_backward)


class Conv2d(_ConvNd):
    """2D convolution (cross-correlation) over ``(N, C_in, H, W)`` → ``(N, C_out, H_out, W_out)``.

    Weight ``(out_channels, in_channels / groups, kH, kW)``, bias ``(out_channels,)``;
    ``groups`` splits the channels into independent blocks (``groups = in_channels``
    is a depthwise convolution);
    ``H_out = (H + 2*padding - dilation*(kH - 1) - 1) // stride + 1``.
    """

    _nd = 2
    _dims = ("N", "C", "H", "W")
    _conv = staticmethod(conv2d)
    _conv_backward = staticmethod(conv2d_backward)
