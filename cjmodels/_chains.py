"""The absorbing-chain solver: ``(I - Q) x = b`` over the transient states, dense or sparse.

One routine for every absorbing or first-passage quantity of a discrete-time chain in the
package (a shared helper: :mod:`cjmodels.markov` -- the fundamental matrix, absorption and
hitting probabilities, expected steps, funnels, passages -- and :mod:`cjmodels.attribution`
-- conversion probabilities and removal effects of Markov attribution):

* a dense ``Q`` (a NumPy array, real or complex: complex-step derivatives pass through) is
  solved by LAPACK (:func:`numpy.linalg.solve`);
* a sparse ``Q`` (a SciPy sparse matrix: large order-k attribution chains) by the sparse LU of
  SuperLU (:func:`scipy.sparse.linalg.splu`).

``Q`` holds the transition probabilities among the transient states (or among the states
from which a target is still to be reached); ``b`` the one-step probabilities into the
targets, or the identity for the fundamental matrix ``N = (I - Q)^-1``. A singular system (a
state that is never left) raises :class:`numpy.linalg.LinAlgError`, or gives NaN with
``singular="nan"`` (a bootstrap replicate may lose every exit of a state).

Two more ways to the same quantities, for Markov attribution's removal effects:
:func:`absorbing_within` (absorption within a number of steps: the series cut at a horizon)
and :func:`absorbing_series` (many systems that differ only in which states are alive, by the
absorbing series ``x = K (b + Q x)`` on all of them together; None when it has not converged,
and the caller solves each by :func:`absorbing_solve`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

__all__ = ["absorbing_series", "absorbing_solve", "absorbing_within", "fundamental_matrix"]


def absorbing_solve(q: Any, b: Any, *, singular: str = "raise") -> np.ndarray:
    """Solve ``(I - Q) x = b``: dense ``Q`` by LAPACK, sparse ``Q`` by sparse LU.

    Parameters
    ----------
    q : numpy.ndarray or scipy.sparse matrix
        Square transitions among the transient states.
    b : array_like
        Right-hand side: a vector or one column per quantity.
    singular : {"raise", "nan"}
        What a singular ``I - Q`` gives: :class:`numpy.linalg.LinAlgError` (sparse: the
        ``RuntimeError`` of SuperLU), or an array of NaN.

    Examples
    --------
    >>> q = np.array([[0.0, 0.5], [0.0, 0.0]])  # a -> b half the time, b leaves
    >>> absorbing_solve(q, np.array([0.25, 1.0])).tolist()  # P(convert): b converts for sure
    [0.75, 1.0]
    >>> absorbing_solve(sp.csr_matrix(q), np.array([0.25, 1.0])).tolist()
    [0.75, 1.0]
    """
    if sp.issparse(q):
        n = q.shape[0]
        a = (sp.identity(n, format="csc") - q.tocsc()).tocsc()
        try:
            return splu(a).solve(np.asarray(b))
        except RuntimeError:
            if singular == "nan":
                return np.full(np.shape(b), np.nan)
            raise
    q = np.asarray(q)
    a = np.eye(len(q)) - q
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        if singular == "nan":
            return np.full(np.shape(b), np.nan, dtype=np.result_type(a, b))
        raise


def fundamental_matrix(q: Any, *, singular: str = "raise") -> np.ndarray:
    """The fundamental matrix ``N = (I - Q)^-1`` of a dense ``Q``: expected visits.

    Examples
    --------
    >>> fundamental_matrix(np.array([[0.5]])).tolist()
    [[2.0]]
    """
    q = np.asarray(q)
    return absorbing_solve(q, np.eye(len(q)).astype(q.dtype), singular=singular)


def absorbing_within(q: Any, b: np.ndarray, start: int, horizon: int) -> np.ndarray:
    """``sum_{t < horizon} (Q^t b)[start]``: absorption within ``horizon`` steps from ``start``.

    Walks cut after ``horizon`` transitions count as not absorbed. ``q`` dense or sparse; ``b``
    has one column per quantity.

    Examples
    --------
    >>> q = np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> b = np.array([[0.25], [1.0]])
    >>> absorbing_within(q, b, 0, 1).tolist(), absorbing_within(q, b, 0, 2).tolist()
    ([0.25], [0.75])
    """
    n = q.shape[0]
    v = np.zeros(n)
    v[start] = 1.0
    acc = np.zeros(np.shape(b)[1:])
    qt = q.T.tocsr() if sp.issparse(q) else q.T
    for _ in range(horizon):
        acc += v @ b
        v = qt @ v
    return acc


def absorbing_series(
    q: Any, b: np.ndarray, keep: np.ndarray, *, max_iter: int = 5000, tol: float = 1e-15
) -> np.ndarray | None:
    """Solve ``(I - K Q) x = K b`` for many alive-masks ``K`` at once by the absorbing series.

    Iterates ``x = K (b + Q x)`` on all masks together (one sparse product per step). ``b`` is
    ``(n, c)``, ``keep`` ``(n, m)`` boolean (column ``j``: the states alive in system ``j``).
    Returns ``(n, c * m)`` (the ``c`` columns of system ``j`` together), or None when the
    largest relative change is not below ``tol`` within ``max_iter`` steps.

    Examples
    --------
    >>> q = sp.csr_matrix(np.array([[0.0, 0.5], [0.0, 0.0]]))
    >>> b = np.array([[0.25], [1.0]])
    >>> absorbing_series(q, b, np.array([[True, True], [True, False]])).tolist()
    [[0.75, 0.25], [1.0, 0.0]]
    """
    m = keep.shape[1]
    c = b.shape[1]
    k = np.repeat(keep.astype(float), c, axis=1)
    r = k * np.tile(b, (1, m))
    scale = np.maximum(np.abs(r).max(axis=0), 1e-300)
    x = r.copy()
    for _ in range(max_iter):
        new = r + k * (q @ x)
        delta = np.abs(new - x).max(axis=0) / scale
        x = new
        if delta.max() < tol:
            return x
    return None
