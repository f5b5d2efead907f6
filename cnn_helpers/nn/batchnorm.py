"""``BatchNorm1d`` and ``BatchNorm2d``: per-channel batch normalisation with running statistics."""

import numpy as np

from ._utils import _check_input
from .module import Module, Parameter


class BatchNorm2d(Module):
    """Normalise each channel of ``(N, C, H, W)``, then scale and shift it.

    Forward in training mode, per channel ``c`` over the ``m = N H W`` values
    of the batch: ``x_hat = (x - mean) / sqrt(var + eps)``, ``y = γ x_hat + β``.

    In training mode each channel is normalised with the mean and (biased)
    variance of the current batch over ``N, H, W``, and the running
    statistics move towards them: ``running = (1 - momentum) * running +
    momentum * batch`` (with the unbiased variance, as torch does). In
    evaluation mode the running statistics are used instead, so a single
    image gives the same answer as it would inside any batch.

    Parameters ``weight`` (γ, ones) and ``bias`` (β, zeros) of shape ``(C,)``;
    buffers ``running_mean``, ``running_var`` and ``num_batches_tracked``.
    """

    _dims = ("N", "C", "H", "W")
    _axes = (0, 2, 3)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, dtype=np.float32):
        super().__init__()
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))

    def _per_channel(self, v):
        return v.reshape((1, -1) + (1,) * (len(self._dims) - 2))

    def forward(self, x):
        _check_input(type(self).__name__, x, self._dims, self.num_features)
        if self.training:
            mean = x.mean(axis=self._axes)
            var = x.var(axis=self._axes)
            self._update_running_stats(mean, var, x.size // self.num_features)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - self._per_channel(mean)) * self._per_channel(inv_std)
        self._cache = (x_hat, inv_std, self.training)
        return x_hat * self._per_channel(self.weight.data) + self._per_channel(self.bias.data)

    def _update_running_stats(self, mean, var, count):
        m = self.momentum
        unbiased = var * (count / max(count - 1, 1))
        self.running_mean *= 1 - m
        self.running_mean += m * mean.astype(self.running_mean.dtype)
        self.running_var *= 1 - m
        self.running_var += m * unbiased.astype(self.running_var.dtype)
        self.num_batches_tracked += 1

    def backward(self, grad_out):
        x_hat, inv_std, batch_stats = self._saved()
        axes = self._axes
        self.weight.accumulate_grad((grad_out * x_hat).sum(axis=axes))
        self.bias.accumulate_grad(grad_out.sum(axis=axes))
        g = grad_out * self._per_channel(self.weight.data)
        if not batch_stats:
            # Running statistics are constants: a per-channel affine map.
            return g * self._per_channel(inv_std)
        # The batch mean and variance depend on every input, which adds two
        # terms: dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)).
        g_mean = g.mean(axis=axes, keepdims=True)
        gx_mean = (g * x_hat).mean(axis=axes, keepdims=True)
        return (g - g_mean - x_hat * gx_mean) * self._per_channel(inv_std)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(BatchNorm2d):
    """:class:`BatchNorm2d` for the features of a dense layer, input ``(N, C)``.

    Each of the ``C`` features is normalised over the batch, as
    ``torch.nn.BatchNorm1d`` does for 2D input.
    """

    _dims = ("N", "C")
    _axes = (0,)
