"""One BLAS thread: the book's matrix products are small, so more threads only wait.

Measured on a 2-core machine with another process running: chapter 1 executed in 83 s with
OpenBLAS's default two threads and in 19 s with one, chapter 9 in 84 s against 30 s. Threads
that spin while they wait for each other steal the core the next product needs. One thread
also sums every product in the same order on every machine. This is a process-wide setting,
like the allocator setting in ``conv``; ``use_blas_threads`` changes it, and
``python -m cnn_helpers.bench`` gives BLAS all cores unless told otherwise.
"""

from threadpoolctl import threadpool_limits

_limiter = None  # keeps threadpoolctl's limit in force


def use_blas_threads(n):
    """Let numpy's BLAS use ``n`` threads (``None``: its own default, one per core)."""
    global _limiter
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"use_blas_threads: n must be a positive int or None, got {n!r}")
    if _limiter is not None:
        _limiter.restore_original_limits()
    _limiter = None if n is None else threadpool_limits(limits=n, user_api="blas")
