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
notebook) -- unless grading mode is on (environment variable
``CNN_HELPERS_GRADING=1`` or :func:`set_grading`), where a failing check
raises ``AssertionError`` so autograders (nbgrader, nbval, pytest) see it.

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
============  ==============================================================
"""

from .compare import RTOL as RTOL
from .convolution import check_conv, check_pool
from .counts import Conv, Linear, check_count
from .functions import check_function
from .mistakes import conv_mistakes, output_size_mistakes, pool_mistakes
from .references import reference_conv, reference_pool
from .results import GRADING_ENV, CheckResult, is_grading, set_grading
from .running import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .values import check_array, check_shape, check_value

__all__ = [
    "GRADING_ENV",
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
