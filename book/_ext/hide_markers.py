"""Sphinx extension: keep nbgrader's marker comments off the book's pages.

Exercise solutions sit between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
so that nbgrader and ``python -m cnn_helpers.student`` can find them.  On the
page those two lines are noise, so this extension removes them from the code
shown for notebook cells; the solution code itself stays.  Hidden-test regions
(``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) are removed whole:
they still run, but readers do not see them.

Only code cells of notebooks are touched (myst-nb marks their source with
``nb_element="cell_code_source"``); code blocks in the text, such as the
examples on the instructors' page, are shown as written.

Enable it in ``_config.yml``::

    sphinx:
      local_extensions:
        hide_markers: book/_ext
"""

from __future__ import annotations

from docutils import nodes

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


def strip_markers(source: str) -> str:
    """Drop the solution marker lines and every hidden-test region."""
    kept = []
    hidden = False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN_HIDDEN:
            hidden = True
        elif marker == END_HIDDEN:
            hidden = False
        elif not hidden and marker not in (BEGIN_SOLUTION, END_SOLUTION):
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


def _cell_sources(doctree: nodes.document):
    """The literal blocks that show the source of notebook code cells."""
    for container in doctree.findall(nodes.container):
        if container.get("nb_element") == "cell_code_source":
            yield from container.findall(nodes.literal_block)


def hide_markers(app, doctree: nodes.document) -> None:
    """``doctree-read`` handler: rewrite the shown source of marked code cells."""
    for block in list(_cell_sources(doctree)):
        text = block.astext()
        cleaned = strip_markers(text)
        if cleaned != text:
            # Sphinx highlights a literal block only while rawsource equals
            # its text, so both are replaced.
            block.rawsource = cleaned
            block.children = []
            block += nodes.Text(cleaned)


def setup(app):
    app.connect("doctree-read", hide_markers)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
