"""Likelihood of a continuous-time Markov multi-state model for panel data, with its gradient.

Kalbfleisch & Lawless (1985, JASA 80(392)): the likelihood of a subject is the product, over
consecutive observations, of the transition probability ``P(t)[r, s]`` with ``P(t) = expm(Q t)``.
Parameters are the log intensities of the allowed transitions followed by the log-linear
covariate effects (msm's order). ``P(t)`` and its derivatives come from one eigen-decomposition
of ``Q`` per distinct covariate pattern, evaluated at every distinct interval length at once:

    P(t) = U diag(exp(lambda t)) U^-1
    dP(t)/dtheta = U [(U^-1 dQ/dtheta U) o Phi(t)] U^-1,
    Phi_ab(t) = (exp(lambda_a t) - exp(lambda_b t)) / (lambda_a - lambda_b)
    (t exp(lambda_a t) when lambda_a == lambda_b)

(Kalbfleisch & Lawless, section 2; Jackson 2011, section 2.2). When ``U`` is ill-conditioned
(a defective ``Q``, e.g. equal exit rates along a progressive chain) those patterns fall back to
``scipy.linalg.expm`` and ``scipy.linalg.expm_frechet`` per distinct interval.
Censored observations anywhere but at the end use the forward algorithm (vectorised over
subjects); everything else is a product of single entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

from cjmodels.markov.multistate.panel import PanelData

__all__ = ["Design"]

_COND_MAX = 1e8


class Design:
    """Everything about the data and parameterisation that does not change with the parameters.

    Parameters
    ----------
    panel : PanelData
    targets : sequence of (covariate index, transition index)
        The covariate effects, in parameter order.
    center : bool
        Centre covariates at their means over the intervals (as msm).
    """

    def __init__(self, panel: PanelData, targets: Sequence[tuple[int, int]], center: bool):
        spec = panel.spec
        self.panel = panel
        self.k = spec.n_states
        self.trans = spec.transitions
        self.n_q = len(self.trans)
        self.targets = list(targets)
        self.n_par = self.n_q + len(self.targets)
        k = self.k
        d = np.zeros((self.n_q, k, k))
        for j, (r, s) in enumerate(self.trans):
            d[j, r, s] += 1.0
            d[j, r, r] -= 1.0
        self.basis = d
        first = panel.first
        nxt = np.flatnonzero(~first)
        prev = nxt - 1
        self.dt = panel.timestamp[nxt] - panel.timestamp[prev]
        self.frm = panel.stage[prev]
        self.to_possible = panel.possible[nxt]
        self.ot = panel.obstype[nxt].astype(np.int64)
        subj = np.cumsum(first) - 1
        self.subj = subj[nxt]
        self.first_state = panel.stage[first]
        z = panel.covariates[prev]
        self.cov_means = z.mean(axis=0) if (center and z.shape[1]) else np.zeros(z.shape[1])
        zc = z - self.cov_means
        if zc.shape[1]:
            self.patterns, self.pat = np.unique(zc, axis=0, return_inverse=True)
            self.pat = self.pat.reshape(-1)
        else:
            self.patterns = np.zeros((1, 0))
            self.pat = np.zeros(len(nxt), dtype=np.int64)
        n_pat = len(self.patterns)
        a = np.zeros((n_pat, self.n_q, self.n_par))
        a[:, np.arange(self.n_q), np.arange(self.n_q)] = 1.0
        for m, (c, j) in enumerate(self.targets):
            a[:, j, self.n_q + m] = self.patterns[:, c]
        self.dlogq = a
        needs_p = self.ot != 2
        keys = np.stack([self.pat[needs_p].astype(float), self.dt[needs_p]], axis=1)
        self.pair = np.full(len(nxt), -1, dtype=np.int64)
        if len(keys):
            uk, inv = np.unique(keys, axis=0, return_inverse=True)
            self.pair[needs_p] = inv.reshape(-1)
            self.pair_pat = uk[:, 0].astype(np.int64)
            self.pair_t = uk[:, 1]
        else:
            self.pair_pat = np.zeros(0, dtype=np.int64)
            self.pair_t = np.zeros(0)
        # subjects whose likelihood needs the forward algorithm (unknown state at an interval
        # start); all others are products of single entries
        fwd_subj = np.unique(self.subj[self.frm < 0])
        self.fwd = np.isin(self.subj, fwd_subj)
        if self.fwd.any():
            idx = np.flatnonzero(self.fwd)
            s = self.subj[idx]
            new = np.r_[True, s[1:] != s[:-1]]
            start = np.flatnonzero(new)
            pos = np.arange(len(idx)) - np.repeat(start, np.diff(np.r_[start, len(idx)]))
            self.fwd_idx = idx
            self.fwd_pos = pos
            _, self.fwd_sub = np.unique(s, return_inverse=True)
            self.fwd_first = self.first_state[np.unique(s)]
        self.n_intervals = len(nxt)

    # ------------------------------------------------------------------ intensities
    def log_intensities(self, theta: np.ndarray) -> np.ndarray:
        """``(n_pat, n_q)`` log intensities of every covariate pattern."""
        return np.einsum("gjm,m->gj", self.dlogq, theta)

    def qmatrices(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Intensity matrices ``(n_pat, K, K)`` and their derivatives ``(n_pat, n_par, K, K)``."""
        q = np.exp(self.log_intensities(theta))
        qm = np.einsum("gj,jab->gab", q, self.basis)
        g = np.einsum("gj,gjm,jab->gmab", q, self.dlogq, self.basis)
        return qm, g

    def qmatrix_at(self, theta: np.ndarray, zc: np.ndarray) -> np.ndarray:
        """The ``K x K`` intensity matrix at centred covariate values ``zc``."""
        logq = theta[: self.n_q].copy()
        for m, (c, j) in enumerate(self.targets):
            logq[j] += theta[self.n_q + m] * zc[c]
        return np.einsum("j,jab->ab", np.exp(logq), self.basis)

    # ------------------------------------------------------------------ P(t) and derivatives
    def eigen(self, qm: np.ndarray, g: np.ndarray, grad: bool) -> dict:
        """Eigen-decomposition of every pattern's ``Q`` and the pair-level factors.

        Patterns whose eigenvectors are ill-conditioned get full ``P`` (and derivatives) per
        pair from ``scipy.linalg.expm``/``expm_frechet`` instead.
        """
        n_pair, k, n_par = len(self.pair_t), self.k, self.n_par
        out: dict = {"n_pair": n_pair}
        if n_pair == 0:
            return out
        lam, u = np.linalg.eig(qm)
        cond = np.linalg.cond(u)
        good = np.isfinite(cond) & (cond < _COND_MAX)
        uinv = np.zeros_like(u)
        uinv[good] = np.linalg.inv(u[good])
        ok_pair = good[self.pair_pat]
        t = self.pair_t
        lt = lam[self.pair_pat] * t[:, None]
        out.update(lam=lam, u=u, uinv=uinv, ok_pair=ok_pair, e=np.exp(lt))
        if grad:
            out["v"] = np.einsum("gab,gmbc,gcd->gmad", uinv, g, u)
            lp = lam[self.pair_pat]
            e = out["e"]
            diff = lp[:, :, None] - lp[:, None, :]
            x = diff * t[:, None, None]
            # Phi_ab = (e_a - e_b) / (lambda_a - lambda_b); a 4-term series where the difference
            # is tiny (|x| < 1e-3: truncation < 1e-14, division error < 1e-13). No overflow:
            # eigenvalues of a generator have non-positive real parts and t >= 0.
            small = np.abs(x) < 1e-3
            series = (e[:, None, :] * t[:, None, None]) * (1 + x * (0.5 + x * (1 / 6 + x / 24)))
            quot = (e[:, :, None] - e[:, None, :]) / np.where(small, 1.0, diff)
            out["phi"] = np.where(small, series, quot)
        bad = np.flatnonzero(~ok_pair)
        if len(bad):
            pfull = np.zeros((len(bad), k, k))
            dfull = np.zeros((len(bad), n_par, k, k)) if grad else None
            for i, pi in enumerate(bad):
                qg = qm[self.pair_pat[pi]]
                tt = self.pair_t[pi]
                if not grad:
                    pfull[i] = linalg.expm(qg * tt)
                    continue
                for m in range(n_par):
                    pm, dm = linalg.expm_frechet(qg * tt, g[self.pair_pat[pi], m] * tt)
                    dfull[i, m] = dm
                pfull[i] = pm
            where = np.full(n_pair, -1)
            where[bad] = np.arange(len(bad))
            out.update(bad_where=where, pfull=pfull, dfull=dfull)
        return out

    def prows(self, eig: dict, kk: np.ndarray, rr: np.ndarray, grad: bool):
        """Rows ``rr`` of ``P`` (and of its derivatives) at pairs ``kk``."""
        n, k, n_par = len(kk), self.k, self.n_par
        prow = np.zeros((n, k))
        dprow = np.zeros((n, n_par, k)) if grad else None
        if n == 0:
            return prow, dprow
        ok = eig["ok_pair"][kk]
        if ok.any():
            w = np.flatnonzero(ok)
            kw = kk[w]
            gi = self.pair_pat[kw]
            left = eig["u"][gi, rr[w], :]
            uinv = eig["uinv"][gi]
            prow[w] = np.einsum("ta,ta,tab->tb", left, eig["e"][kw], uinv).real
            if grad:
                pats = np.unique(gi)
                if len(pats) <= 64:
                    # one matrix product per covariate pattern:
                    # dP[t, m, c] = sum_ab V[m, a, b] (U[r, a] Phi[t, a, b] Uinv[b, c])
                    for pg in pats:
                        sel = np.flatnonzero(gi == pg) if len(pats) > 1 else slice(None)
                        x = left[sel][:, :, None] * eig["phi"][kw[sel]]  # (t, a, b)
                        vg = eig["v"][pg]  # (m, a, b)
                        ns = x.shape[0]
                        y = np.empty((ns, n_par, k), dtype=np.result_type(x, vg))
                        for b in range(k):
                            y[:, :, b] = x[:, :, b] @ vg[:, :, b].T
                        prod = (y.reshape(ns * n_par, k) @ eig["uinv"][pg]).reshape(ns, n_par, k)
                        dprow[w[sel]] = prod.real
                else:
                    y = eig["v"][gi] * eig["phi"][kw][:, None]
                    x = (left[:, None, None, :] @ y)[:, :, 0, :]
                    dprow[w] = (x @ uinv).real
        if not ok.all():
            w = np.flatnonzero(~ok)
            j = eig["bad_where"][kk[w]]
            prow[w] = eig["pfull"][j, rr[w], :]
            if grad:
                dprow[w] = eig["dfull"][j, :, rr[w], :]
        return prow, dprow

    # ------------------------------------------------------------------ contributions
    def _rows(self, idx, r, qm, g, eig, grad):
        """Rows ``r`` of the interval matrices ``M`` (and derivatives) for intervals ``idx``."""
        k = self.k
        n = len(idx)
        row = np.zeros((n, k))
        drow = np.zeros((n, self.n_par, k)) if grad else None
        ot = self.ot[idx]
        mask = self.to_possible[idx]
        pat = self.pat[idx]
        for typ in (1, 2, 3):
            w = np.flatnonzero(ot == typ)
            if not len(w):
                continue
            rr = r[w]
            gg = pat[w]
            if typ == 2:
                qrr = qm[gg, rr, rr]
                e = np.exp(qrr * self.dt[idx[w]])
                off = qm[gg, rr, :].copy()
                off[np.arange(len(w)), rr] = 1.0
                row[w] = e[:, None] * off
                if grad:
                    goff = g[gg, :, rr, :].copy()
                    goff[np.arange(len(w)), :, rr] = 0.0
                    grr = g[gg, :, rr, rr]
                    drow[w] = e[:, None, None] * (
                        (grr * self.dt[idx[w]][:, None])[:, :, None] * off[:, None, :] + goff
                    )
                continue
            kk = self.pair[idx[w]]
            prow, dprow = self.prows(eig, kk, rr, grad)
            if typ == 1:
                row[w] = prow
                if grad:
                    drow[w] = dprow
            else:  # exact entry into an absorbing state: sum_k P[r, k] q[k, s]
                pats = np.unique(gg)
                if len(pats) > 64:
                    row[w] = np.einsum("tb,tbc->tc", prow, qm[gg])
                    if grad:
                        drow[w] = np.einsum("tmb,tbc->tmc", dprow, qm[gg]) + np.einsum(
                            "tb,tmbc->tmc", prow, g[gg]
                        )
                    continue
                for pg in pats:
                    sel = np.flatnonzero(gg == pg)
                    row[w[sel]] = prow[sel] @ qm[pg]
                    if grad:
                        gp = g[pg].transpose(1, 0, 2).reshape(k, -1)  # (b, m * c)
                        drow[w[sel]] = dprow[sel] @ qm[pg] + (prow[sel] @ gp).reshape(
                            len(sel), self.n_par, k)
        row *= mask
        if grad:
            drow *= mask[:, None, :]
        return row, drow

    def contributions(self, theta: np.ndarray) -> np.ndarray:
        """Likelihood contribution of every fast-path interval (NaN for forward subjects)."""
        qm, g = self.qmatrices(theta)
        eig = self.eigen(qm, g, grad=False)
        out = np.full(self.n_intervals, np.nan)
        fast = np.flatnonzero(~self.fwd)
        row, _ = self._rows(fast, self.frm[fast], qm, g, eig, False)
        out[fast] = row.sum(axis=1)
        return out

    def loglik(self, theta: np.ndarray, grad: bool = True):
        """Log-likelihood and (if ``grad``) its gradient with respect to ``theta``."""
        theta = np.asarray(theta, dtype=float)
        qm, g = self.qmatrices(theta)
        if not np.all(np.isfinite(qm)):
            # a step of the optimiser too far: the intensities overflow, and no eigen-
            # decomposition exists; a log-likelihood of -inf makes the line search step back
            return (-np.inf, np.full(len(theta), np.nan)) if grad else -np.inf
        eig = self.eigen(qm, g, grad)
        fast = np.flatnonzero(~self.fwd)
        row, drow = self._rows(fast, self.frm[fast], qm, g, eig, grad)
        c = row.sum(axis=1)
        tiny = 1e-300
        ll = float(np.sum(np.log(np.maximum(c, tiny))))
        gr = (drow.sum(axis=2) / np.maximum(c, tiny)[:, None]).sum(axis=0) if grad else None
        if self.fwd.any():
            fl, fg = self._forward(qm, g, eig, grad)
            ll += fl
            if grad:
                gr = gr + fg
        return (ll, gr) if grad else ll

    def _forward(self, qm, g, eig, grad):
        idx = self.fwd_idx
        k, n_par = self.k, self.n_par
        m = np.zeros((len(idx), k, k))
        dm = np.zeros((len(idx), n_par, k, k)) if grad else None
        for r in range(k):
            row, drow = self._rows(idx, np.full(len(idx), r), qm, g, eig, grad)
            m[:, r, :] = row
            if grad:
                dm[:, :, r, :] = drow
        n_sub = len(self.fwd_first)
        alpha = np.zeros((n_sub, k))
        alpha[np.arange(n_sub), self.fwd_first] = 1.0
        dalpha = np.zeros((n_sub, n_par, k))
        ll = 0.0
        gr = np.zeros(n_par)
        for j in range(int(self.fwd_pos.max()) + 1):
            sel = np.flatnonzero(self.fwd_pos == j)
            sub = self.fwd_sub[sel]
            a_new = np.einsum("sa,sab->sb", alpha[sub], m[sel])
            c = np.maximum(a_new.sum(axis=1), 1e-300)
            ll += float(np.log(c).sum())
            if grad:
                da_new = np.einsum("sma,sab->smb", dalpha[sub], m[sel]) + np.einsum(
                    "sa,smab->smb", alpha[sub], dm[sel]
                )
                dc = da_new.sum(axis=2)
                gr += (dc / c[:, None]).sum(axis=0)
                a_norm = a_new / c[:, None]
                dalpha[sub] = (da_new - a_norm[:, None, :] * dc[:, :, None]) / c[:, None, None]
                alpha[sub] = a_norm
            else:
                alpha[sub] = a_new / c[:, None]
        return ll, gr
