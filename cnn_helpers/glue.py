"""Glue a computed value into the book's prose, in the book build and in any kernel.

The book quotes measured numbers through myst-nb's ``glue``. A student's kernel on Colab has
cnn_helpers but not myst-nb, so there the value is simply shown, as ``glue`` shows it in a
notebook.
"""

import numpy as np
from IPython.display import display as _show

try:
    from myst_nb import glue as _myst_glue
except ModuleNotFoundError:  # Colab and other kernels without the book's build tools
    _myst_glue = None


def glue(name, variable, display=True):
    """Store ``variable`` under ``name`` for ``{glue}`name``` in the text; show it if asked.

    Same arguments as ``myst_nb.glue(name, variable, display)``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: name must be a non-empty string, got {name!r}")
    if isinstance(variable, np.generic):
        # A numpy scalar's text is `np.float64(0.9)`, which `{glue:text}`x:.3f`` cannot format.
        variable = variable.item()
    if _myst_glue is not None:
        _myst_glue(name, variable, display)
    elif display:
        _show(variable)
