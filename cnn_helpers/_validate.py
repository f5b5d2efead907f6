"""Shared argument checking, so that every op rejects bad input with a clear message.

Every helper takes ``op``, the public name of the calling function, and puts it
at the start of the message ("conv2d: ..."), so the reader sees which call failed
rather than a numpy broadcasting error from deep inside.

Dtype policy (one rule for the whole package):

* float32 and float64 arrays keep their dtype; float16 computes in float32
  (BLAS has no half precision).
* bool and integer arrays (such as the notes' 0/1 images) are accepted and
  computed in floating point; when several arrays meet, integer ones adopt the
  float dtype of the others, and all-integer inputs give float64.
* strings, objects, complex numbers and datetimes raise ``TypeError``.
"""

from __future__ import annotations

import numbers

import numpy as np

PADDING_WORDS = ("valid", "same")


def as_array(x, name: str, op: str) -> np.ndarray:
    """Return ``x`` as an ndarray, raising ``TypeError`` if it does not hold real numbers."""
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise TypeError(f"{op}: {name} could not be read as a numeric array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{op}: {name} must hold real numbers, got dtype {arr.dtype} "
            f"(shape {arr.shape})"
        )
    return arr


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype an op computes in, following the package's dtype policy above."""
    floats = [a.dtype for a in arrays if a is not None and a.dtype.kind == "f"]
    if not floats:
        return np.dtype(np.float64)
    dt = np.result_type(*floats)
    if dt.itemsize < 4:
        return np.dtype(np.float32)
    if dt.itemsize > 8:
        return np.dtype(np.float64)
    return dt


def as_float_arrays(op: str, **named) -> list:
    """Check and convert several arrays to one common float dtype; ``None`` passes through."""
    arrays = {k: (None if v is None else as_array(v, k, op)) for k, v in named.items()}
    dt = float_dtype(*arrays.values())
    return [None if a is None else a.astype(dt, copy=False) for a in arrays.values()]


def check_ndim(arr: np.ndarray, allowed, name: str, op: str, meaning: str = "") -> None:
    """Raise ``ValueError`` unless ``arr.ndim`` is one of ``allowed``."""
    if arr.ndim not in allowed:
        dims = " or ".join(str(n) for n in allowed)
        extra = f" ({meaning})" if meaning else ""
        raise ValueError(
            f"{op}: {name} must be {dims}-dimensional{extra}, got shape {arr.shape}"
        )


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def int_tuple(value, n: int, name: str, op: str, minimum: int = 1) -> tuple:
    """Parse an int or a length-``n`` sequence of ints, each at least ``minimum``.

    ``minimum=1`` suits kernel sizes, strides and dilations; ``minimum=0`` suits padding.
    """
    if _is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        form = "an int" if n == 1 else f"an int or a tuple of {n} ints"
        raise TypeError(f"{op}: {name} must be {form}, got {value!r}")
    if any(v < minimum for v in values):
        what = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")
    return values


def conv_padding(padding, kernel, stride, dilation, op: str) -> tuple:
    """Per spatial dim ``(before, after)`` zero padding for a convolution.

    ``padding`` is an int, a tuple of ints (one per spatial dim, symmetric), or
    one of the words ``'valid'`` (no padding) and ``'same'`` (output as long as
    the input; stride 1 only). For 'same' with an even effective kernel the
    extra element goes after (right/bottom), as in PyTorch.
    """
    n = len(kernel)
    if isinstance(padding, str):
        word = padding.lower()
        if word not in PADDING_WORDS:
            raise ValueError(
                f"{op}: padding must be an int, a tuple of ints, 'valid' or 'same', got {padding!r}"
            )
        if word == "valid":
            return ((0, 0),) * n
        if any(s != 1 for s in stride):
            raise ValueError(
                f"{op}: padding='same' needs stride 1 (as in PyTorch), got stride {stride}"
            )
        pads = []
        for k, d in zip(kernel, dilation, strict=True):
            total = d * (k - 1)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return tuple((p, p) for p in int_tuple(padding, n, "padding", op, minimum=0))


def output_length(n_in: int, k: int, s: int, before: int, after: int, d: int) -> int:
    """Output length of a sliding window; may be < 1, which callers must reject."""
    return (n_in + before + after - d * (k - 1) - 1) // s + 1


def check_grad_shape(grad_out: np.ndarray, expected: tuple, op: str) -> None:
    """Every backward checks the upstream gradient against the forward's output shape."""
    if tuple(grad_out.shape) != tuple(expected):
        raise ValueError(
            f"{op}: grad_out has shape {grad_out.shape} but the forward output has "
            f"shape {tuple(expected)}"
        )
