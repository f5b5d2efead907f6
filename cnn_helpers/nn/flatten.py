"""``Flatten``: merge dimensions, e.g. ``(N, C, H, W)`` → ``(N, C*H*W)`` before a Linear layer."""

from ._utils import _check_array
from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim``: ``(N, C, H, W)`` → ``(N, C*H*W)`` by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        _check_array("Flatten", x)
        self._cache = x.shape
        start = self.start_dim % x.ndim
        end = self.end_dim % x.ndim
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])

    def backward(self, grad_out):
        return grad_out.reshape(self._saved())

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
