"""Numerical core of the hidden Markov model: forward-backward, Viterbi and Baum-Welch.

All sequences are processed at once. Sequences are ranked by length (longest first), so the
sequences still running at position ``t`` are a prefix of the ranking; their observations are laid
out *time-major* (all first touches, then all second touches, ...) and the recursions loop over
positions, never over sequences. The forward-backward recursion is the scaled one of Rabiner
(1989, Proc. IEEE 77(2), sections V.A): each forward vector is normalised and the normalising
constants multiply to the likelihood, which is exact for categorical emissions and avoids the
cost of ``logsumexp``; Viterbi works in log space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "Params", "estep", "forward_backward", "viterbi"]


@dataclass(frozen=True)
class Params:
    """Initial distribution ``(K,)``, transition matrix ``(K, K)``, emission matrix ``(K, M)``.

    With covariates on the transitions, ``transmat`` is ``(total, K, K)``: row ``r`` (time-major)
    is the matrix of the move *into* time-major row ``r`` (rows of first positions are unused).
    """

    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray


class Layout:
    """Time-major layout of many sequences given as a flat array plus offsets.

    ``order[r]`` is the sequence of rank ``r`` (longest first); block ``t`` (rows
    ``bstart[t]:bstart[t] + n_t[t]`` of a time-major array) holds position ``t`` of ranks
    ``0 .. n_t[t] - 1``; ``tm_pos`` maps time-major rows to flat positions.
    """

    def __init__(self, offsets: np.ndarray, weight: np.ndarray | None = None) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        n = len(lengths)
        self.n_sequences = n
        self.offsets = offsets
        self.lengths = lengths
        self.order = np.argsort(-lengths, kind="stable")
        slen = lengths[self.order]
        t_max = int(slen[0]) if n else 0
        self.t_max = t_max
        counts = np.bincount(slen, minlength=t_max + 1)
        self.n_t = (n - np.cumsum(counts))[:t_max].astype(np.int64)
        self.bstart = np.concatenate([[0], np.cumsum(self.n_t)]).astype(np.int64)
        total = int(self.bstart[-1])
        rep = np.repeat(np.arange(t_max, dtype=np.int64), self.n_t)
        self.rank_tm = np.arange(total, dtype=np.int64) - self.bstart[rep]
        starts = offsets[:-1][self.order]
        self.tm_pos = starts[self.rank_tm] + rep
        self.total = total
        self.weight = np.ones(n) if weight is None else np.asarray(weight, dtype=float)

    def block(self, t: int, n: int | None = None) -> slice:
        """Rows of block ``t`` for the first ``n`` ranks (all running ranks by default)."""
        b = int(self.bstart[t])
        return slice(b, b + int(self.n_t[t] if n is None else n))

    def to_flat(self, tm: np.ndarray) -> np.ndarray:
        """Reorder a time-major array into flat (input) order."""
        out = np.empty_like(tm)
        out[self.tm_pos] = tm
        return out

    def per_sequence(self, tm_values: np.ndarray) -> np.ndarray:
        """Sum a time-major vector within each sequence, in input order."""
        by_rank = np.bincount(self.rank_tm, weights=tm_values, minlength=self.n_sequences)
        out = np.empty(self.n_sequences)
        out[self.order] = by_rank
        return out

    def with_weight(self, weight: np.ndarray) -> Layout:
        """The same layout with other sequence weights (no recomputation)."""
        new = object.__new__(Layout)
        new.__dict__.update(self.__dict__)
        new.weight = np.asarray(weight, dtype=float)
        return new


def _safe_log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


def forward_backward(
    layout: Layout, obs_tm: np.ndarray, p: Params, *, need_beta: bool = True,
    xi_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Scaled forward (and backward) variables in time-major order.

    Returns ``alpha`` (normalised forward vectors), ``beta`` (scaled backward vectors, or None),
    ``log_c`` (log scaling constants; their sum over a sequence is its log-likelihood, and
    ``-inf`` marks a sequence of probability zero) and, when ``xi_weight`` (a time-major weight
    per row) is given, the weighted expected transition counts ``sum_t xi_t``. ``alpha * beta``
    are the posterior state probabilities.
    """
    k = len(p.startprob)
    a_mat = p.transmat
    per_row = a_mat.ndim == 3  # (total, K, K): row r moves into time-major row r
    b_o = p.emissionprob.T[obs_tm]  # (total, K): emission probability of each row's symbol
    alpha = np.empty((layout.total, k))
    scale = np.empty(layout.total)
    for t in range(layout.t_max):
        blk = layout.block(t)
        if t == 0:
            a = p.startprob[None, :] * b_o[blk]
        else:
            prev = layout.block(t - 1, layout.n_t[t])
            if per_row:
                a = np.einsum("nk,nkj->nj", alpha[prev], a_mat[blk]) * b_o[blk]
            else:
                a = (alpha[prev] @ a_mat) * b_o[blk]
        c = a.sum(axis=1)
        c_safe = np.where(c > 0, c, 1.0)
        alpha[blk] = a / c_safe[:, None]
        scale[blk] = c
    log_c = _safe_log(scale)
    if not need_beta:
        return alpha, None, log_c, None
    scale_safe = np.where(scale > 0, scale, 1.0)
    beta = np.ones((layout.total, k))
    xi = None
    if xi_weight is not None:
        xi = np.zeros((layout.total, k, k)) if per_row else np.zeros((k, k))
    for t in range(layout.t_max - 2, -1, -1):
        n_next = int(layout.n_t[t + 1])
        if n_next == 0:
            continue
        nxt = layout.block(t + 1)
        cur = layout.block(t, n_next)
        tmp = b_o[nxt] * beta[nxt] / scale_safe[nxt][:, None]
        if per_row:
            beta[cur] = np.einsum("nkj,nj->nk", a_mat[nxt], tmp)
            if xi is not None:  # expected moves into each row, kept per row for the M-step
                xi[nxt] = ((alpha[cur] * xi_weight[cur][:, None])[:, :, None] * a_mat[nxt]
                           * tmp[:, None, :])
        else:
            beta[cur] = tmp @ a_mat.T
            if xi is not None:
                xi += (alpha[cur] * xi_weight[cur][:, None]).T @ tmp
    if xi is not None and not per_row:
        xi *= a_mat
    return alpha, beta, log_c, xi


@dataclass(frozen=True)
class Stats:
    """Expected sufficient statistics of one E-step (weighted by sequence weights)."""

    loglik: float
    start: np.ndarray
    trans: np.ndarray
    emis: np.ndarray
    n_zero: int


def estep(layout: Layout, obs_tm: np.ndarray, p: Params, n_symbols: int) -> Stats:
    """Forward-backward over all sequences and the expected counts Baum-Welch needs."""
    k = len(p.startprob)
    w_rank = layout.weight[layout.order]
    w_tm = w_rank[layout.rank_tm]
    alpha, beta, log_c, trans = forward_backward(layout, obs_tm, p, xi_weight=w_tm)
    assert beta is not None and trans is not None
    zero = np.isneginf(log_c)
    n_zero = 0
    if zero.any():
        bad = np.unique(layout.rank_tm[zero])
        n_zero = int((w_rank[bad] > 0).sum())
    loglik = float(np.dot(w_tm, np.where(zero, 0.0, log_c))) if n_zero == 0 else -np.inf
    gamma_w = alpha * beta
    gamma_w *= w_tm[:, None]
    start = gamma_w[layout.block(0)].sum(axis=0)
    cell = (obs_tm[:, None] * k + np.arange(k)[None, :]).ravel()
    emis = np.bincount(cell, weights=gamma_w.ravel(), minlength=n_symbols * k)
    emis = emis.reshape(n_symbols, k).T
    return Stats(loglik, start, trans, emis, n_zero)


def _normalise_rows(counts: np.ndarray, fallback: np.ndarray, mask: np.ndarray) -> np.ndarray:
    counts = np.where(mask, counts, 0.0)
    tot = counts.sum(axis=-1, keepdims=True)
    ok = tot > 0
    return np.where(ok, counts / np.where(ok, tot, 1.0), fallback)


def mstep(
    s: Stats, old: Params, start_mask: np.ndarray, trans_mask: np.ndarray,
    emis_mask: np.ndarray, fixed_rows: np.ndarray,
) -> Params:
    """Maximisation step: normalised expected counts; rows without counts keep their values.

    ``fixed_rows`` marks states whose transition and emission rows are not estimated (the
    absorbing end states).
    """
    start = _normalise_rows(s.start, old.startprob, start_mask)
    trans = _normalise_rows(s.trans, old.transmat, trans_mask)
    emis = _normalise_rows(s.emis, old.emissionprob, emis_mask)
    trans[fixed_rows] = old.transmat[fixed_rows]
    emis[fixed_rows] = old.emissionprob[fixed_rows]
    return Params(start, trans, emis)


def viterbi(layout: Layout, obs_tm: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Most probable state path (time-major) and its log-probability per sequence (input order).

    Ties are broken towards the lower state index (``argmax``).
    """
    k = len(p.startprob)
    log_a = _safe_log(p.transmat)
    log_b_t = _safe_log(p.emissionprob).T
    delta = np.empty((layout.total, k))
    psi = np.zeros((layout.total, k), dtype=np.int64)
    for t in range(layout.t_max):
        blk = layout.block(t)
        if t == 0:
            delta[blk] = _safe_log(p.startprob)[None, :] + log_b_t[obs_tm[blk]]
        else:
            prev = layout.block(t - 1, layout.n_t[t])
            la = log_a[blk] if log_a.ndim == 3 else log_a[None, :, :]
            cand = delta[prev][:, :, None] + la
            best = cand.argmax(axis=1)
            psi[blk] = best
            delta[blk] = np.take_along_axis(cand, best[:, None, :], axis=1)[:, 0, :] + (
                log_b_t[obs_tm[blk]]
            )
    path = np.empty(layout.total, dtype=np.int64)
    best_lp = np.empty(layout.n_sequences)
    for t in range(layout.t_max - 1, -1, -1):
        n_here = int(layout.n_t[t])
        n_next = int(layout.n_t[t + 1]) if t + 1 < layout.t_max else 0
        blk = layout.block(t)
        states = np.empty(n_here, dtype=np.int64)
        if n_here > n_next:  # sequences ending at position t
            ends = slice(int(layout.bstart[t]) + n_next, int(layout.bstart[t]) + n_here)
            states[n_next:] = delta[ends].argmax(axis=1)
            best_lp[layout.order[n_next:n_here]] = delta[ends].max(axis=1)
        if n_next:
            nxt = layout.block(t + 1)
            states[:n_next] = psi[nxt][np.arange(n_next), path[nxt]]
        path[blk] = states
    return path, best_lp
