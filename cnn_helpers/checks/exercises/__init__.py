"""The named checkers of the book's exercises, one module per chapter.

A check cell in a chapter calls one of these with the reader's function
(and, where the exercise says so, the chapter's own inputs). The expected
answers and the catalogues of usual mistakes are computed here, inside the
checker, so that neither the check cell nor any global of the notebook holds
an answer while the reader's code runs.

Every checker takes ``cases=`` (more test cases, for the hidden tests of an
assignment) where the exercise is a function, and ``quiet=True`` (print only
a failure), like every checker of :mod:`cnn_helpers.checks`.
"""
