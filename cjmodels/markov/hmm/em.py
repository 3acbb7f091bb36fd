"""Baum-Welch machinery of :class:`~cjmodels.markov.hmm.HiddenMarkovModel`: the masks of
structural zeros, random starts, one EM run (with or without covariates on the transitions),
the canonical order of fitted stages and the matching of bootstrap replicates to the fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from cjmodels.errors import ValidationError
from cjmodels.markov.hmm.core import Layout, Params, Stats, estep, mstep
from cjmodels.markov.hmm.covariates import fit_row, transition_rows


# ---------------------------------------------------------------------------- structure
def _bool_matrix(x: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(x.to_numpy() if isinstance(x, pd.DataFrame | pd.Series) else x)
    if arr.shape != shape:
        raise ValidationError(f"{name} has shape {arr.shape}, must be {shape} (one per stage).")
    if arr.dtype != bool:
        if not np.isin(arr, [0, 1]).all():
            raise ValidationError(f"{name} must be boolean (True where a move is allowed).")
        arr = arr.astype(bool)
    return arr


def _structure(
    k: int, m: int, end_states: bool, allowed: Any, allowed_start: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Masks of free cells (start, transitions, emissions) and the fixed end-state rows."""
    n_end = 2 if end_states else 0
    kk = k + n_end
    trans = np.ones((kk, kk), dtype=bool)
    if allowed is not None:
        trans[:k, :k] = _bool_matrix(allowed, (k, k), "allowed")
    start = np.zeros(kk, dtype=bool)
    if allowed_start is None:
        start[:k] = True
    else:
        start[:k] = _bool_matrix(allowed_start, (k,), "allowed_start")
    emis = np.ones((kk, m), dtype=bool)
    fixed = np.zeros(kk, dtype=bool)
    if end_states:
        trans[k:, :] = False
        trans[k, k] = trans[k + 1, k + 1] = True
        trans[:k, k:] = True
        emis[:, m - 2:] = False
        emis[k:, :] = False
        emis[k, m - 2] = emis[k + 1, m - 1] = True
        fixed[k:] = True
    if not start.any():
        raise ValidationError("allowed_start allows no stage; at least one must be allowed.")
    empty_rows = np.flatnonzero(~trans[:k].any(axis=1))
    if len(empty_rows):
        raise ValidationError(
            f"allowed has no allowed transition out of stages {(empty_rows + 1).tolist()} "
            "(1-based); every stage needs at least one (its own, for a last stage)."
        )
    reach = start[:k].copy()
    for _ in range(k):
        reach = reach | (reach @ trans[:k, :k])
    if not reach.all():
        bad = (np.flatnonzero(~reach) + 1).tolist()
        raise ValidationError(
            f"with allowed_start and allowed as given, stages {bad} (1-based) can never be "
            "reached; allow a start in them or a transition into them."
        )
    return start, trans, emis, fixed


def _n_free(mask: np.ndarray) -> int:
    rows = np.atleast_2d(mask)
    return int(np.maximum(rows.sum(axis=1) - 1, 0).sum())



# ---------------------------------------------------------------------------- EM
def _random_init(rng: np.random.Generator, sm: np.ndarray, tm: np.ndarray, em: np.ndarray,
                 fixed: np.ndarray, freq: np.ndarray) -> Params:
    """Dirichlet(1) rows over the allowed cells; emissions mixed half-half with the data's
    symbol frequencies so that no stage starts far from the data."""
    def rows(mask: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
        g = rng.gamma(1.0, size=mask.shape) * mask
        g = g / g.sum(axis=-1, keepdims=True)
        if base is not None:
            b = base * mask
            b = b / np.where(b.sum(axis=-1, keepdims=True) > 0, b.sum(axis=-1, keepdims=True), 1)
            g = 0.5 * g + 0.5 * b
        return g

    start = rows(sm)
    trans = rows(tm)
    emis = rows(em, np.broadcast_to(freq, em.shape))
    trans[fixed] = tm[fixed].astype(float)
    emis[fixed] = em[fixed].astype(float)
    return Params(start, trans, emis)


@dataclass(frozen=True)
class _EMSetup:
    """What every EM run of one fit shares: layout, symbols, masks and covariate design."""

    layout: Layout
    obs_tm: np.ndarray
    m: int
    sm: np.ndarray
    tm: np.ndarray
    em: np.ndarray
    fixed: np.ndarray
    x1_tm: np.ndarray | None = None  # [1, centred covariates] per time-major row
    ref: np.ndarray | None = None
    x_groups: np.ndarray | None = None  # distinct design rows of the moves
    x_agg: Any = None  # sums per-move counts into the distinct rows

    def params(self, p: Params, coef: np.ndarray | None) -> Params:
        """Parameters for the recursions: per-row transition matrices with covariates."""
        if coef is None:
            return p
        rows = transition_rows(self.x1_tm, coef, self.tm, self.fixed, p.transmat)
        return Params(p.startprob, rows, p.emissionprob)


def _coef_vector(coef: np.ndarray) -> np.ndarray:
    """Slopes (not intercepts) of the covariate model, in (from, covariate, to) order."""
    return coef[:, 1:, :].ravel()


def _mean_transmat(setup: _EMSetup, p: Params, coef: np.ndarray) -> np.ndarray:
    x0 = np.zeros((1, coef.shape[1]))
    x0[0, 0] = 1.0
    return transition_rows(x0, coef, setup.tm, setup.fixed, p.transmat)[0]


def _run_em(setup: _EMSetup, p: Params, coef: np.ndarray | None, max_iter: int,
            tol: float) -> tuple[Params, np.ndarray | None, list[float], bool, np.ndarray]:
    """Baum-Welch from ``p`` (and ``coef``): the log-likelihood before and after each update."""
    lay, obs_tm, m = setup.layout, setup.obs_tm, setup.m
    s = estep(lay, obs_tm, setup.params(p, coef), m)
    hist = [s.loglik]
    converged = False
    for _ in range(max_iter):
        if not np.isfinite(s.loglik):
            break
        if coef is None:
            new = mstep(s, p, setup.sm, setup.tm, setup.em, setup.fixed)
        else:
            fake = Stats(s.loglik, s.start, np.zeros_like(p.transmat), s.emis, s.n_zero)
            new = mstep(fake, p, setup.sm, setup.tm, setup.em, setup.fixed)
            coef = coef.copy()
            rows = slice(int(lay.n_t[0]), lay.total)  # moves exist from the second position on
            assert setup.x_groups is not None and setup.ref is not None
            for i in np.flatnonzero(~setup.fixed):
                y = setup.x_agg @ s.trans[rows, i, :]
                coef[i] = fit_row(setup.x_groups, y, coef[i], setup.tm[i], int(setup.ref[i]))
            new = Params(new.startprob, _mean_transmat(setup, p, coef), new.emissionprob)
        s = estep(lay, obs_tm, setup.params(new, coef), m)
        p = new
        hist.append(s.loglik)
        if hist[-1] - hist[-2] < tol * max(abs(hist[-1]), 1.0):
            converged = True
            break
    occ = s.emis.sum(axis=1)
    return p, coef, hist, converged, occ


def _canonical(rule: Any, p: Params, occ: np.ndarray, k: int) -> np.ndarray:
    if callable(rule):
        perm = np.asarray(rule(p.startprob[:k], p.transmat[:k, :k], p.emissionprob[:k]))
        if sorted(perm.tolist()) != list(range(k)):
            raise ValidationError(f"order returned {perm.tolist()}, not a permutation of 0..{k-1}.")
        return perm.astype(np.int64)
    if rule == "initial":
        return np.lexsort((-occ[:k], -np.round(p.startprob[:k], 12)))
    return np.argsort(-occ[:k], kind="stable")


def _match(ref: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Permutation ``perm`` with ``other[perm]`` closest to ``ref`` (total variation)."""
    cost = 0.5 * np.abs(ref[:, None, :] - other[None, :, :]).sum(axis=-1)
    _, cols = linear_sum_assignment(cost)
    return cols.astype(np.int64)


