"""Input checks with messages that name the layer and the shapes, and argument tuples."""

import numpy as np


def _check_input(layer, x, dims, channels=None, channels_name="C"):
    """Raise TypeError/ValueError unless ``x`` is an array of ``len(dims)`` dims.

    ``dims`` names the expected axes, e.g. ``("N", "C", "H", "W")``; when
    ``channels`` is given, axis 1 must have that size.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array, got {type(x).__name__}")
    expected = list(dims)
    if channels is not None:
        expected[1] = str(channels)
    if x.ndim != len(dims) or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"{layer} expects input of shape ({', '.join(expected)}), "
                         f"got shape {x.shape}")


def _tuple(value, n):
    if isinstance(value, str):
        return value
    if np.isscalar(value):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"expected {n} values, got {value}")
    return value


def _check_array(layer, x):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array, got {type(x).__name__}")
