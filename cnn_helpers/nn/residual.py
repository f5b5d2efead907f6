"""``ResidualBlock``, the basic block of ResNet-18/34."""

import numpy as np

from ._utils import _check_input
from .activation import ReLU
from .batchnorm import BatchNorm2d
from .container import Sequential
from .conv import Conv2d
from .init import _get_rng
from .module import Module


class ResidualBlock(Module):
    """The residual block of ResNet-18/34 (torchvision calls it ``BasicBlock``).

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` where both
    convolutions are 3x3 with padding 1 and no bias (BatchNorm supplies the
    shift), ``conv1`` carries the ``stride``, and the shortcut is the identity
    when the shape is unchanged, else a strided 1x1 convolution with
    BatchNorm (torchvision's ``downsample``). Input ``(N, in_channels, H, W)``,
    output ``(N, out_channels, H_out, W_out)`` with ``H_out = ceil(H / stride)``.
    """

    def __init__(self, in_channels, out_channels, stride=1, *, rng=None, dtype=np.float32):
        super().__init__()
        rng = _get_rng(rng)
        kw = dict(rng=rng, dtype=dtype)
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False, **kw)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=False, **kw)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu2 = ReLU()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False, **kw),
                BatchNorm2d(out_channels, dtype=dtype),
            )
        else:
            self.shortcut = None

    def _main_path(self):
        return (self.conv1, self.bn1, self.relu1, self.conv2, self.bn2)

    def forward(self, x):
        _check_input("ResidualBlock", x, ("N", "C", "H", "W"), self.conv1.in_channels)
        h = x
        for layer in self._main_path():
            h = layer(h)
        skip = x if self.shortcut is None else self.shortcut(x)
        self._cache = True
        return self.relu2(h + skip)

    def backward(self, grad_out):
        self._saved()
        g = self.relu2.backward(grad_out)
        # The sum sends the same gradient down both paths; their input
        # gradients add up where the paths meet again, at x.
        g_main = g
        for layer in reversed(self._main_path()):
            g_main = layer.backward(g_main)
        g_skip = g if self.shortcut is None else self.shortcut.backward(g)
        return g_main + g_skip

    def extra_repr(self):
        return f"{self.conv1.in_channels}, {self.conv1.out_channels}, stride={self.conv1.stride[0]}"
