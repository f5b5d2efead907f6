"""Automatic feedback for the exercises of the book.

Every checker compares a reader's answer with the expected one and prints a
one-line verdict in the notebook::

    ✅ conv_output_size: all 6 test cases pass.
    ❌ my_conv2d: wrong result for test case 2 of 5 (x: array of shape (2, 6, 7), ...).
       It looks like you flipped the kernel (true convolution). ...

Wrong answers are diagnosed by comparing them not only with the expected
result but also with *known wrong* alternatives computed from the same
inputs ("mistakes": flipped kernel, padding forgotten, bias left out, ...).
Authors can pass their own mistakes to every checker as a mapping
``{message: wrong_value}`` (or ``{message: wrong_function}`` for
:func:`check_function`).

Checkers never raise on a bad answer (``None``, lists, NaN, a function that
raises or loops forever, the ``NotImplementedError`` stub of the student
notebook) -- unless grading mode is on, where a failing check raises
``AssertionError`` so autograders (nbgrader, nbval, pytest) see it. Grading
mode is on under nbgrader's autograder (which sets ``NBGRADER_EXECUTION=autograde``
in the kernel), with ``CNN_HELPERS_GRADING=1``, or after :func:`set_grading`.

Where the expected value is itself the answer (a number, an array or a shape
worked out by hand), no message states it, nor a factor or an offset from
which it follows.

Every checker returns a :class:`CheckResult`, which is truthy when the answer
passed.

The modules, from the bottom up:

============  ==============================================================
results       CheckResult, printing the verdict, grading mode
running       calling the reader's code with a timeout, reporting exceptions
compare       comparison with a tolerance, diagnosing a wrong answer
values        check_value, check_array, check_shape
functions     check_function (a function on test cases)
references    reference_conv, reference_pool (the library's ops, in float64)
mistakes      conv_mistakes, pool_mistakes, output_size_mistakes
convolution   check_conv, check_pool
counts        Conv, Linear, check_count
exercises     one module per chapter: the named checker of every exercise
============  ==============================================================
"""

from .compare import RTOL as RTOL
from .convolution import check_conv, check_pool
from .counts import Conv, Linear, check_count
from .exercises.architectures import (
    check_alexnet_conv1_shape,
    check_my_batchnorm2d_backward,
    check_my_receptive_field,
    check_schematic_walk,
    check_sketch,
    check_vgg_block_params,
)
from .exercises.backprop import (
    check_conv2d_backward_cols,
    check_grad_w_by_hand,
    check_grad_x_by_hand,
    check_my_conv2d_backward,
    check_my_max_pool_backward,
)
from .exercises.channels import (
    check_bottleneck_cost,
    check_bottleneck_saving,
    check_keras_to_torch,
    check_layer_output_shape,
    check_my_unfold,
    check_n_params,
)
from .exercises.conv1d import (
    check_conv1d_by_hand,
    check_my_conv1d,
    check_rising_edge_filter,
    check_same_padding,
    check_tolerant_bias,
)
from .exercises.conv2d import (
    check_cell_2_1,
    check_my_conv2d,
    check_photo_output_shape,
    check_plus_detector,
)
from .exercises.inside import (
    check_my_fgsm,
    check_my_integrated_gradients,
    check_my_numerical_saliency,
    check_my_occlusion,
    check_my_pgd,
)

# The named checkers of the chapters' exercises.
from .exercises.motivation import (
    check_dense_crop_params,
    check_keeps_neighbours,
    check_shuffle_pixels,
)
from .exercises.pooling import (
    check_aliasing_map,
    check_avg_by_hand,
    check_max_by_hand,
    check_my_max_pool2d,
    check_non_commuting,
)
from .exercises.transfer import check_frozen_model, check_paired_interval
from .functions import check_function
from .mistakes import conv_mistakes, output_size_mistakes, pool_mistakes
from .references import reference_conv, reference_pool
from .results import GRADING_ENV, NBGRADER_ENV, CheckResult, is_grading, set_grading
from .running import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .values import check_array, check_shape, check_value

__all__ = [
    "check_dense_crop_params",
    "check_keeps_neighbours",
    "check_shuffle_pixels",
    "check_conv1d_by_hand",
    "check_my_conv1d",
    "check_rising_edge_filter",
    "check_same_padding",
    "check_tolerant_bias",
    "check_cell_2_1",
    "check_my_conv2d",
    "check_photo_output_shape",
    "check_plus_detector",
    "check_bottleneck_cost",
    "check_bottleneck_saving",
    "check_keras_to_torch",
    "check_layer_output_shape",
    "check_my_unfold",
    "check_n_params",
    "check_aliasing_map",
    "check_avg_by_hand",
    "check_max_by_hand",
    "check_my_max_pool2d",
    "check_non_commuting",
    "check_grad_w_by_hand",
    "check_grad_x_by_hand",
    "check_my_conv2d_backward",
    "check_conv2d_backward_cols",
    "check_my_max_pool_backward",
    "check_alexnet_conv1_shape",
    "check_my_batchnorm2d_backward",
    "check_my_receptive_field",
    "check_schematic_walk",
    "check_sketch",
    "check_vgg_block_params",
    "check_frozen_model",
    "check_paired_interval",
    "check_my_fgsm",
    "check_my_numerical_saliency",
    "check_my_occlusion",
    "check_my_pgd",
    "check_my_integrated_gradients",
    "GRADING_ENV",
    "NBGRADER_ENV",
    "CheckResult",
    "Conv",
    "Linear",
    "check_array",
    "check_conv",
    "check_count",
    "check_function",
    "check_pool",
    "check_shape",
    "check_value",
    "conv_mistakes",
    "is_grading",
    "output_size_mistakes",
    "pool_mistakes",
    "reference_conv",
    "reference_pool",
    "set_grading",
]
