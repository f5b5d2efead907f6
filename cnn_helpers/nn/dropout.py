"""``Dropout``: inverted dropout in training mode, the identity in evaluation mode."""

from ._utils import _check_array
from .init import _get_rng
from .module import Module


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    The scaling keeps the expected activation unchanged, so in evaluation
    mode the layer is simply the identity ("inverted dropout", as in torch).
    """

    def __init__(self, p=0.5, *, rng=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = float(p)
        self.rng = _get_rng(rng)

    def forward(self, x):
        _check_array("Dropout", x)
        if not self.training or self.p == 0.0:
            self._cache = 1.0
            return x
        keep = self.rng.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        mask = keep.astype(x.dtype) * x.dtype.type(scale)
        self._cache = mask
        return x * mask

    def backward(self, grad_out):
        return grad_out * self._saved()

    def extra_repr(self):
        return f"p={self.p}"
