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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

__all__ = ["absorbing_solve", "fundamental_matrix"]


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
