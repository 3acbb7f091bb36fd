"""Covariates on the transitions: a non-homogeneous hidden Markov model.

Following Netzer, Lattin & Srinivasan (2008, Marketing Science 27(2)), each row of the
transition matrix is a multinomial logit in the covariates ``x`` of the step:

    P(s_t = j | s_{t-1} = i, x_t) = exp(b_ij . [1, x_t]) / sum_l exp(b_il . [1, x_t]),

over the allowed destinations ``l`` of ``i``, with ``b_ir = 0`` for a reference destination
``r`` (the stage itself when staying is allowed, else its first allowed destination).
Covariates are centred at their (weighted) training means, so the intercepts give the
transition matrix of an average step. The M-step for the coefficients of each origin is a
weighted multinomial logit on the expected transition counts of every step, solved by Newton's
method with step halving (so each EM iteration still raises the likelihood: a generalised EM).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["coef_from_matrix", "fit_row", "group_rows", "reference", "transition_rows"]


def group_rows(x1: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Distinct design rows and the 0/1 matrix that sums per-row counts into them (the M-step
    needs only the counts per distinct covariate value: a large saving for categorical ones)."""
    uniq, inv = np.unique(x1, axis=0, return_inverse=True)
    inv = inv.ravel()
    agg = sparse.csr_matrix((np.ones(len(inv)), (inv, np.arange(len(inv)))),
                            shape=(len(uniq), len(inv)))
    return uniq, agg


def reference(trans_mask: np.ndarray) -> np.ndarray:
    """Reference destination of every origin: itself when allowed, else its first allowed."""
    k = trans_mask.shape[0]
    diag = trans_mask[np.arange(k), np.arange(k)]
    return np.where(diag, np.arange(k), trans_mask.argmax(axis=1))


def coef_from_matrix(transmat: np.ndarray, trans_mask: np.ndarray, q1: int) -> np.ndarray:
    """Coefficients ``(K, q1, K)`` whose intercepts reproduce ``transmat`` (slopes zero)."""
    k = transmat.shape[0]
    ref = reference(trans_mask)
    coef = np.zeros((k, q1, k))
    with np.errstate(divide="ignore"):
        logp = np.log(np.maximum(transmat, 1e-300))
    coef[:, 0, :] = np.where(trans_mask, logp - logp[np.arange(k), ref][:, None], 0.0)
    return coef


def transition_rows(x1: np.ndarray, coef: np.ndarray, trans_mask: np.ndarray,
                    fixed: np.ndarray, fixed_matrix: np.ndarray) -> np.ndarray:
    """Transition matrix of every row, ``(n, K, K)``, from the design ``x1 = [1, x]``."""
    eta = np.einsum("nq,iqj->nij", x1, coef)
    eta = np.where(trans_mask[None, :, :], eta, -np.inf)
    eta -= eta.max(axis=2, keepdims=True)
    a = np.exp(eta)
    a /= a.sum(axis=2, keepdims=True)
    if fixed.any():
        a[:, fixed, :] = fixed_matrix[fixed][None, :, :]
    return a


def _log_softmax(eta: np.ndarray) -> np.ndarray:
    top = eta.max(axis=1, keepdims=True)
    return eta - top - np.log(np.exp(eta - top).sum(axis=1, keepdims=True))


def _objective(x1: np.ndarray, y: np.ndarray, beta: np.ndarray, allowed: np.ndarray) -> float:
    logp = _log_softmax(np.where(allowed[None, :], x1 @ beta, -np.inf))
    return float((y[:, allowed] * logp[:, allowed]).sum())


def fit_row(x1: np.ndarray, y: np.ndarray, beta: np.ndarray, allowed: np.ndarray, ref: int,
            *, max_newton: int = 25, tol: float = 1e-10) -> np.ndarray:
    """Weighted multinomial logit of the counts ``y`` (n, K) on ``x1`` (n, q1), Newton's method
    from ``beta`` (q1, K) with step halving; columns outside ``allowed`` and ``ref`` stay 0."""
    cols = allowed.copy()
    cols[ref] = False
    if not cols.any():
        return beta
    keep = y.sum(axis=1) > 0
    x1, y = x1[keep], y[keep]
    n_tot = y.sum(axis=1)
    q1, j = x1.shape[1], int(cols.sum())
    beta = beta.copy()
    obj = _objective(x1, y, beta, allowed)
    for _ in range(max_newton):
        p = np.exp(_log_softmax(np.where(allowed[None, :], x1 @ beta, -np.inf)))
        pc = p[:, cols]
        grad = (x1.T @ (y[:, cols] - n_tot[:, None] * pc)).T.ravel()  # order (dest, covariate)
        w = n_tot[:, None, None] * (np.einsum("na,ab->nab", pc, np.eye(j))
                                    - pc[:, :, None] * pc[:, None, :])
        info = np.einsum("nab,np,nq->apbq", w, x1, x1, optimize=True).reshape(j * q1, j * q1)
        try:
            step = np.linalg.solve(info + 1e-12 * np.eye(j * q1), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, grad, rcond=None)[0]
        size = 1.0
        for _ in range(30):
            cand = beta.copy()
            cand[:, cols] = beta[:, cols] + size * step.reshape(j, q1).T
            new = _objective(x1, y, cand, allowed)
            if new >= obj - 1e-12 * abs(obj):
                break
            size /= 2
        else:
            break
        gain = new - obj
        beta, obj = cand, new
        if gain <= tol * max(abs(obj), 1.0) and size == 1.0:
            break
    return beta
