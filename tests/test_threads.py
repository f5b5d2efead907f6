"""The package runs numpy's BLAS on one thread; use_blas_threads changes that.

Each check runs in a fresh interpreter, so that the BLAS libraries other tests load (scipy's
own, for one) do not blur what importing cnn_helpers does.
"""

import subprocess
import sys

import pytest

from cnn_helpers import use_blas_threads

REPORT = (
    "from threadpoolctl import threadpool_info\n"
    "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))\n"
)


def _run(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip().splitlines()


def test_import_limits_blas_to_one_thread():
    assert _run("import cnn_helpers\n" + REPORT) == ["[1]"]


def test_use_blas_threads_sets_and_restores():
    lines = _run(
        "import cnn_helpers\n"
        "cnn_helpers.use_blas_threads(2)\n" + REPORT +
        "cnn_helpers.use_blas_threads(1)\n" + REPORT
    )
    assert lines == ["[2]", "[1]"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_use_blas_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="positive int"):
        use_blas_threads(bad)
