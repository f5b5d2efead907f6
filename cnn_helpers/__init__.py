"""cnn_helpers: the numpy package behind the course book on convolutional neural networks.

The functional core mirrors ``torch.nn.functional`` (channels-first ``N, C, H, W``),
with every operation a forward/backward pair:

========================  =========================================================
convolution               conv1d, conv2d, conv1d_backward, conv2d_backward,
                          true_conv1d, true_conv2d, unfold (im2col), fold (col2im),
                          conv_output_size
padding                   pad
pooling                   max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, lp_pool2d
                          and their ``*_backward`` (not lp_pool2d)
activations               relu, softmax, log_softmax and their ``*_backward``
dense layer, loss         linear, linear_backward, cross_entropy, cross_entropy_backward
testing                   numerical_gradient, gradcheck, check_op_gradients
========================  =========================================================

Readable loop versions of the main ops live in ``cnn_helpers.reference``.
"""

from . import reference
from ._threads import use_blas_threads
from .activations import (
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    softmax,
    softmax_backward,
)
from .conv import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_output_size,
    fold,
    true_conv1d,
    true_conv2d,
    unfold,
)
from .gradcheck import check_op_gradients, gradcheck, numerical_gradient
from .linear import linear, linear_backward
from .losses import cross_entropy, cross_entropy_backward
from .padding import pad
from .pooling import (
    avg_pool1d,
    avg_pool1d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    lp_pool2d,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
)

__all__ = [
    "use_blas_threads",
    "reference",
    "conv1d",
    "conv2d",
    "conv1d_backward",
    "conv2d_backward",
    "true_conv1d",
    "true_conv2d",
    "unfold",
    "fold",
    "conv_output_size",
    "pad",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "lp_pool2d",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
    "linear",
    "linear_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "numerical_gradient",
    "gradcheck",
    "check_op_gradients",
]

use_blas_threads(1)
