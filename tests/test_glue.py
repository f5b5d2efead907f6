"""cnn_helpers.glue: myst-nb's glue where it is installed, a plain display where it is not."""

import importlib
import sys

import pytest


def test_uses_myst_nb_when_installed(monkeypatch):
    import cnn_helpers.glue as g

    calls = []
    monkeypatch.setattr(g, "_myst_glue", lambda *a: calls.append(a))
    g.glue("x", 3, False)
    assert calls == [("x", 3, False)]


def test_without_myst_nb_it_displays(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import now raises ModuleNotFoundError
    import cnn_helpers.glue as g

    g = importlib.reload(g)
    try:
        shown = []
        monkeypatch.setattr(g, "_show", shown.append)
        g.glue("x", 0.5)
        g.glue("y", 0.25, display=False)
        assert shown == [0.5]
    finally:
        monkeypatch.delitem(sys.modules, "myst_nb")
        importlib.reload(g)


def test_name_must_be_a_string():
    from cnn_helpers.glue import glue

    with pytest.raises(TypeError, match="name"):
        glue(3, 1.0)


def test_numpy_scalars_are_glued_as_python_numbers(monkeypatch):
    """The text form of np.float64(0.9) is not a number the book's `:.3f` can format."""
    import numpy as np

    import cnn_helpers.glue as g

    calls = []
    monkeypatch.setattr(g, "_myst_glue", lambda *a: calls.append(a))
    g.glue("a", np.float64(0.9), False)
    g.glue("b", np.float32(0.5), False)
    g.glue("c", np.int64(3), False)
    assert calls == [("a", 0.9, False), ("b", 0.5, False), ("c", 3, False)]
    assert [type(value) for _, value, _ in calls] == [float, float, int]
