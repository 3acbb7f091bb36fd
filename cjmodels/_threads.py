"""Thread limits shared by the models.

Likelihoods and recursions that multiply many small matrices run slower with several BLAS
threads (they contend; three to five times slower was measured on a shared two-core machine),
so those hot loops run inside :func:`one_blas_thread`.

Examples
--------
>>> import numpy as np
>>> with one_blas_thread():
...     float(np.ones((2, 2)).dot(np.ones(2))[0])
2.0
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["one_blas_thread"]


def one_blas_thread() -> Any:
    """A context manager that limits BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
