"""Results of :func:`cjmodels.markov.multistate.fit_multistate`: the fitted model and its
extractors (intensities, P(t), sojourn times, lengths of stay, first passage, prevalence) and
the delta-method machinery they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from cjmodels._checks import as_generator, check_scalar
from cjmodels.errors import ValidationError
from cjmodels.markov.multistate.likelihood import Design
from cjmodels.markov.multistate.panel import PanelData
from cjmodels.results import Result, result_dataclass

__all__ = ["WIDE_SE", "FittedMultiState"]

#: A parameter whose standard error (log scale) exceeds this is flagged as not identified:
#: its 95% interval spans more than a factor 10^4.
WIDE_SE = float(np.log(1e4) / (2 * stats.norm.ppf(0.975)))



def _num_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of a vector function."""
    x = np.asarray(x, dtype=float)
    f0 = np.asarray(f(x), dtype=float)
    jac = np.zeros((f0.size, x.size))
    for i in range(x.size):
        h = eps * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        jac[:, i] = (np.ravel(f(xp)) - np.ravel(f(xm))) / (2 * h)
    return jac


def _pmatrix(q: np.ndarray, t: float) -> np.ndarray:
    return linalg.expm(q * t)


def _expm_stack(qs: np.ndarray, t: float) -> np.ndarray:
    """``expm(Q t)`` for a stack of intensity matrices: eigen-decomposition where it is
    well-conditioned, ``scipy.linalg.expm`` elsewhere."""
    lam, u = np.linalg.eig(qs)
    cond = np.linalg.cond(u)
    good = np.isfinite(cond) & (cond < 1e8)
    out = np.empty(qs.shape)
    if good.any():
        ug = u[good]
        out[good] = ((ug * np.exp(lam[good] * t)[:, None, :]) @ np.linalg.inv(ug)).real
    for i in np.flatnonzero(~good):
        out[i] = linalg.expm(qs[i] * t)
    return out


def _totlos(q: np.ndarray, start: int, t: float | None) -> np.ndarray:
    """Expected time in each state from ``start`` over ``[0, t]`` (``t=None``: forever)."""
    k = len(q)
    if t is not None:
        big = np.zeros((2 * k, 2 * k))
        big[:k, :k] = q
        big[:k, k:] = np.eye(k)
        return linalg.expm(big * t)[:k, k:][start]
    absorbing = ~np.any(q != 0, axis=1)
    tr = np.flatnonzero(~absorbing)
    out = np.full(k, np.inf)
    out[absorbing] = np.inf
    try:
        n = -np.linalg.inv(q[np.ix_(tr, tr)])
    except np.linalg.LinAlgError:
        return np.full(k, np.inf)
    if start in tr:
        out[tr] = n[list(tr).index(start)]
    else:
        out[tr] = 0.0
    return out


def _efpt(q: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Expected first-passage time into the set ``to`` from every state (inf if uncertain)."""
    k = len(q)
    out = np.zeros(k)
    absorbing = ~np.any(q != 0, axis=1)
    b = np.flatnonzero(~to)
    dead = b[absorbing[b]]
    c = b[~absorbing[b]]
    out[dead] = np.inf
    if len(c):
        qcc = q[np.ix_(c, c)]
        try:
            h = np.linalg.solve(qcc, -q[np.ix_(c, np.flatnonzero(to))].sum(axis=1))
            m = np.linalg.solve(qcc, -np.ones(len(c)))
        except np.linalg.LinAlgError:
            out[c] = np.inf
            return out
        out[c] = np.where(h > 1 - 1e-9, m, np.inf)
    return out


@result_dataclass
class FittedMultiState(Result):
    """A fitted continuous-time multi-state model (see :func:`fit_multistate`).

    ``summary()`` is :meth:`estimates` at ``alpha=0.05``; ``plot()`` draws ``P(t)`` from a
    state (:meth:`_plot` options ``start``, ``t_max``, ``covariates``, ``ci``, ``alpha``).
    Every extractor takes ``alpha`` (``1 -`` the confidence level, default 0.05).

    Attributes
    ----------
    states : tuple
        State labels.
    transitions : tuple of (from, to)
        Allowed transitions, in parameter order.
    params : numpy.ndarray
        Maximum likelihood estimates: log intensities, then log hazard ratios.
    param_names : tuple of str
    cov : numpy.ndarray
        Covariance matrix of ``params`` (inverse observed information).
    log_likelihood : float
        The maximised log-likelihood (msm prints ``-2 log L``, that is
        ``-2 * log_likelihood``).
    covariate_names : tuple of str
    covariate_means : numpy.ndarray
        The centring values (zeros when ``center=False``).
    converged : bool
    n_iter : int
    problems : tuple of str
        Identifiability or convergence problems found (empty when the fit is clean).
    panel : PanelData
        The data the model was fitted to.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.markov import fit_multistate
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3], "timestamp": [0, 1, 0, 2, 0, 1.5],
    ...                    "stage": ["a", "b", "a", "a", "a", "b"]})
    >>> q = pd.DataFrame([[0, 1.0], [0, 0]], index=["a", "b"], columns=["a", "b"])
    >>> fit = fit_multistate(df, q)
    >>> fit.n_params, round(fit.log_likelihood, 4)
    (1, -2.5118)
    """

    states: tuple
    transitions: tuple
    params: np.ndarray
    param_names: tuple[str, ...]
    cov: np.ndarray
    log_likelihood: float
    covariate_names: tuple[str, ...]
    covariate_effects: tuple
    covariate_means: np.ndarray
    center: bool
    converged: bool
    n_iter: int
    message: str
    problems: tuple[str, ...]
    hessian: np.ndarray
    panel: PanelData = field(repr=False)
    design: Design = field(repr=False, compare=False, default=None)

    # ------------------------------------------------------------------ basics
    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.params)

    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``-2 log L + 2 n_params``."""
        return -2.0 * self.log_likelihood + 2 * self.n_params

    @property
    def se(self) -> np.ndarray:
        """Standard errors of :attr:`params` (NaN where the information is degenerate)."""
        v = np.diag(self.cov)
        return np.sqrt(np.where(v > 0, v, np.nan))

    @property
    def identifiable(self) -> bool:
        """``True`` when no identifiability or convergence problem was found."""
        return not self.problems

    def _alpha(self, alpha: float) -> float:
        return check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)

    def _z(self, alpha: float) -> float:
        return float(stats.norm.ppf(1 - self._alpha(alpha) / 2))

    def _zc(self, covariates: Any) -> np.ndarray:
        """Centred covariate values: None -> means, 0 -> all zero, mapping -> given values."""
        p = len(self.covariate_names)
        if covariates is None or p == 0:
            if isinstance(covariates, Mapping) and covariates and p == 0:
                raise ValidationError("covariates: this model has no covariates.")
            return np.zeros(p)
        if isinstance(covariates, (int, float)) and not isinstance(covariates, bool):
            if covariates != 0:
                raise ValidationError("covariates: a number must be 0 (all covariates zero); "
                                      "give other values as a mapping {name: value}.")
            return -np.asarray(self.covariate_means, dtype=float)
        if not isinstance(covariates, Mapping):
            raise ValidationError("covariates must be None (means), 0 or a mapping {name: value}.")
        unknown = set(covariates) - set(self.covariate_names)
        if unknown:
            raise ValidationError(f"covariates: {sorted(map(str, unknown))} are not covariates of "
                                  f"the model; they are {list(self.covariate_names)}.")
        z = np.array(self.covariate_means, dtype=float)
        for j, name in enumerate(self.covariate_names):
            if name in covariates:
                z[j] = float(covariates[name])
        return z - np.asarray(self.covariate_means, dtype=float)

    def _q(self, theta: np.ndarray, zc: np.ndarray) -> np.ndarray:
        return self.design.qmatrix_at(theta, zc)

    def _frame(self, m: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(m, index=pd.Index(self.states, name="from"),
                            columns=pd.Index(self.states, name="to"))

    def _interval_table(self, f, scale: str, alpha: float, index: pd.Index,
                        **cols: Any) -> pd.DataFrame:
        """Delta-method table of ``f(params)``: estimate, se, ci_low, ci_high."""
        with np.errstate(all="ignore"):
            return self._interval_table_inner(f, scale, alpha, index, **cols)

    def _interval_table_inner(self, f, scale: str, alpha: float, index: pd.Index,
                              **cols: Any) -> pd.DataFrame:
        est = np.asarray(f(self.params), dtype=float)
        # exact zeros and infinities (a state never left, a passage never made) have no spread
        finite = np.isfinite(est) & (est != 0)
        z = self._z(alpha)
        if scale == "log":
            def g(x):
                v = np.asarray(f(x), dtype=float)
                return np.log(np.where(finite, np.abs(v), 1.0))
        else:  # logit
            def g(x):
                v = np.clip(np.asarray(f(x), dtype=float), 1e-300, 1 - 1e-16)
                return np.log(v) - np.log1p(-v)
        jac = _num_jacobian(g, self.params)
        var = np.einsum("ij,jk,ik->i", jac, self.cov, jac)
        sd = np.sqrt(np.where(var >= 0, var, np.nan))
        center = g(self.params)
        lo, hi = center - z * sd, center + z * sd
        sign = np.sign(est)
        if scale == "log":
            a, b = sign * np.exp(lo), sign * np.exp(hi)
            se = np.abs(est) * sd  # natural-scale SE, as msm reports
            ci_low, ci_high = np.minimum(a, b), np.maximum(a, b)
        else:
            ci_low, ci_high = 1 / (1 + np.exp(-lo)), 1 / (1 + np.exp(-hi))
            se = est * (1 - est) * sd
            degenerate = (est <= 0) | (est >= 1)
            se = np.where(degenerate, 0.0, se)
            ci_low = np.where(degenerate, est, ci_low)
            ci_high = np.where(degenerate, est, ci_high)
        out = pd.DataFrame(cols, index=index)
        out["estimate"] = est
        out["se"] = np.where(finite, se, np.where(est == 0, 0.0, np.nan))
        out["ci_low"] = np.where(finite, ci_low, est)
        out["ci_high"] = np.where(finite, ci_high, est)
        return out

    # ------------------------------------------------------------------ extractors
    def qmatrix(self, covariates: Any = None) -> pd.DataFrame:
        """Estimated intensity matrix ``Q`` (at the covariate means by default).

        ``covariates``: None (means), 0 (all zero) or a mapping ``{name: value}``.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 2],
        ...                    "stage": [1, 2, 1, 1]})
        >>> fit_multistate(df, [[0, 1.0], [0, 0]]).qmatrix().shape
        (2, 2)
        """
        return self._frame(self._q(self.params, self._zc(covariates)))

    def intensities(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Allowed and diagonal intensities with delta-method intervals (log scale), as msm's
        ``qmatrix.msm``. The ``se`` column is on the natural scale."""
        zc = self._zc(covariates)
        k = len(self.states)
        allowed = self.panel.spec.allowed
        cells = [(r, s) for r in range(k) for s in range(k)
                 if allowed[r, s] or (r == s and allowed[r].any())]
        rr = np.array([c[0] for c in cells])
        ss = np.array([c[1] for c in cells])
        index = pd.Index([self.panel.spec.label(r, s) for r, s in cells], name="transition")
        return self._interval_table(
            lambda th: self._q(th, zc)[rr, ss], "log", alpha, index,
            **{"from": [self.states[r] for r in rr], "to": [self.states[s] for s in ss]},
        )

    def qratio(self, num: tuple, den: tuple, covariates: Any = None,
               alpha: float = 0.05) -> pd.Series:
        """Ratio ``q[num] / q[den]`` of two intensities with a log-scale delta-method interval
        (msm's ``qratio.msm``); ``num`` and ``den`` are ``(from, to)`` state pairs."""
        zc = self._zc(covariates)
        (a, b), (c, d) = num, den
        ia, ib, ic, id_ = (self._state_index(x, "state") for x in (a, b, c, d))
        for r, s_ in ((ia, ib), (ic, id_)):
            if r != s_ and not self.panel.spec.allowed[r, s_]:
                raise ValidationError(
                    f"qratio: {self.states[r]!r} -> {self.states[s_]!r} is not an allowed "
                    "transition (its intensity is zero)."
                )

        def f(th):
            q = self._q(th, zc)
            return np.array([q[ia, ib] / q[ic, id_]])

        tab = self._interval_table(f, "log", alpha, pd.Index(["qratio"]))
        return tab.iloc[0]

    def hazard_ratios(self, alpha: float = 0.05) -> pd.DataFrame:
        """Hazard ratio ``exp(beta)`` of every covariate effect with its interval (msm's
        ``hazard.msm``)."""
        z = self._z(alpha)
        n_q = len(self.transitions)
        rows = []
        for m, (cname, (a, b)) in enumerate(self.covariate_effects):
            beta, sd = self.params[n_q + m], self.se[n_q + m]
            with np.errstate(over="ignore"):
                lo, hi = np.exp(beta - z * sd), np.exp(beta + z * sd)
            rows.append({"covariate": cname, "transition": f"{a} - {b}", "hr": np.exp(beta),
                         "se_log": sd, "ci_low": lo, "ci_high": hi})
        cols = ["covariate", "transition", "hr", "se_log", "ci_low", "ci_high"]
        return pd.DataFrame(rows, columns=cols)

    def pmatrix(self, t: float, covariates: Any = None) -> pd.DataFrame:
        """Transition probabilities ``P(t) = expm(Q t)`` (msm's ``pmatrix.msm``)."""
        t = check_scalar(t, "t", typ=float, ge=0)
        return self._frame(_pmatrix(self._q(self.params, self._zc(covariates)), t))

    def pmatrix_intervals(self, t: float, covariates: Any = None, alpha: float = 0.05,
                          *, method: str = "delta", n_simulations: int = 2000,
                          random_state: int | np.random.Generator | None = None) -> pd.DataFrame:
        """``P(t)`` with intervals, one row per (from, to).

        ``method="delta"`` (default): delta method on the logit scale (deterministic).
        ``method="normal"``: msm's ``pmatrix.msm(ci="normal")``: quantiles of ``P(t)`` over
        ``n_simulations`` parameter draws from the asymptotic normal distribution of the estimates
        (``random_state`` seeds them); the ``se`` column is then the draws' standard deviation.
        """
        t = check_scalar(t, "t", typ=float, ge=0)
        check_scalar(method, "method", typ=str, in_=("delta", "normal"))
        zc = self._zc(covariates)
        index = pd.MultiIndex.from_product([self.states, self.states], names=["from", "to"])
        if method == "delta":
            tab = self._interval_table(lambda th: _pmatrix(self._q(th, zc), t).ravel(), "logit",
                                       alpha, index)
        else:
            n_sim = check_scalar(n_simulations, "n_simulations", typ=int, ge=10)
            a = self._alpha(alpha)
            if not np.all(np.isfinite(self.cov)):
                raise ValidationError(
                    "method='normal' needs a finite covariance matrix, and this fit has none "
                    f"({'; '.join(self.problems)}). Simplify the model."
                )
            draws = as_generator(random_state).multivariate_normal(
                self.params, self.cov, size=n_sim, method="eigh")
            qs = np.stack([self._q(th, zc) for th in draws])
            ps = _expm_stack(qs, t).reshape(n_sim, -1)
            tab = pd.DataFrame({
                "estimate": _pmatrix(self._q(self.params, zc), t).ravel(),
                "se": ps.std(axis=0, ddof=1),
                "ci_low": np.quantile(ps, a / 2, axis=0),
                "ci_high": np.quantile(ps, 1 - a / 2, axis=0),
            }, index=index)
        return tab.assign(t=t)[["t", "estimate", "se", "ci_low", "ci_high"]]

    def sojourn(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Mean sojourn time ``-1/q_rr`` in each transient state (msm's ``sojourn.msm``)."""
        zc = self._zc(covariates)
        tr = np.flatnonzero(~self.panel.spec.absorbing)
        index = pd.Index([self.states[r] for r in tr], name="state")
        return self._interval_table(lambda th: -1.0 / np.diag(self._q(th, zc))[tr], "log",
                                    alpha, index)

    def pnext(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Probability ``-q_rs/q_rr`` that the next state after ``r`` is ``s`` (msm's
        ``pnext.msm``), delta-method intervals on the logit scale."""
        zc = self._zc(covariates)
        rr, ss = np.nonzero(self.panel.spec.allowed)

        def f(th):
            q = self._q(th, zc)
            return -q[rr, ss] / q[rr, rr]

        labels = [self.panel.spec.label(r, s) for r, s in zip(rr, ss, strict=True)]
        index = pd.Index(labels, name="transition")
        return self._interval_table(f, "logit", alpha, index)

    def totlos(self, start: Any = None, t: float | None = None, covariates: Any = None,
               alpha: float = 0.05) -> pd.DataFrame:
        """Expected total time in each state from ``start`` over ``[0, t]`` (msm's
        ``totlos.msm``; ``t=None`` means forever, infinite for absorbing states)."""
        i = self._state_index(start if start is not None else self.states[0], "start")
        if t is not None:
            t = check_scalar(t, "t", typ=float, gt=0)
        zc = self._zc(covariates)
        index = pd.Index(self.states, name="state")
        return self._interval_table(lambda th: _totlos(self._q(th, zc), i, t), "log", alpha,
                                    index)

    def efpt(self, to: Any, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Expected first-passage time into state(s) ``to`` from every state (msm's
        ``efpt.msm``); infinite where ``to`` may never be reached."""
        targets = to if isinstance(to, (list, tuple, set, np.ndarray)) else [to]
        mask = np.zeros(len(self.states), dtype=bool)
        for s in targets:
            mask[self._state_index(s, "to")] = True
        zc = self._zc(covariates)
        index = pd.Index(self.states, name="state")
        return self._interval_table(lambda th: _efpt(self._q(th, zc), mask), "log", alpha, index)

    def prevalence(self, times: Any = None, covariates: Any = None) -> pd.DataFrame:
        """Observed and expected numbers in each state at ``times`` (msm's
        ``prevalence.msm``), a check of the Markov model's fit.

        Observed: each customer's state at ``t`` is the last one observed at or before ``t``
        (absorbing states carried forward for good); customers are counted while under
        observation (first observation <= ``t`` <= last, or absorbed). Censored observations
        count as unknown (msm imputes them by Viterbi). Expected: the number under observation
        times the initial state distribution (at the earliest time) times ``P(t - t0)``, with
        covariates at ``covariates`` (default their means; msm averages over covariate
        histories).

        Returns a long DataFrame: ``time``, ``state``, ``observed``, ``expected``, ``at_risk``,
        ``observed_pct``, ``expected_pct``.
        """
        pan = self.panel
        t_all = pan.timestamp
        if times is None:
            times = np.linspace(t_all.min(), t_all.max(), 11)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.all(np.isfinite(times)):
            raise ValidationError("prevalence: times must be finite numbers.")
        k = len(self.states)
        absorbing = pan.spec.absorbing
        first = pan.first
        starts = np.flatnonzero(first)
        ends = np.r_[starts[1:], len(t_all)]
        obs = np.zeros((len(times), k))
        for a, b in zip(starts, ends, strict=True):
            ts, st = t_all[a:b], pan.stage[a:b]
            pos = np.searchsorted(ts, times, side="right") - 1
            inside = (pos >= 0) & ((times <= ts[-1]) | ((st[-1] >= 0) & absorbing[max(st[-1], 0)]))
            cur = st[np.maximum(pos, 0)]
            ok = inside & (cur >= 0)
            np.add.at(obs, (np.flatnonzero(ok), cur[ok]), 1.0)
        risk = obs.sum(axis=1)
        t0 = t_all.min()
        init = np.bincount(pan.stage[first & (t_all == t0) & (pan.stage >= 0)],
                           minlength=k).astype(float)
        if init.sum() == 0:
            init = np.bincount(pan.stage[first & (pan.stage >= 0)], minlength=k).astype(float)
        init /= init.sum()
        q = self._q(self.params, self._zc(covariates))
        exp_ = np.stack([risk[j] * init @ _pmatrix(q, max(float(t) - t0, 0.0))
                         for j, t in enumerate(times)])
        with np.errstate(invalid="ignore", divide="ignore"):
            obs_pct = 100 * obs / risk[:, None]
            exp_pct = 100 * exp_ / risk[:, None]
        return pd.DataFrame({
            "time": np.repeat(times, k),
            "state": list(self.states) * len(times),
            "observed": obs.ravel(),
            "expected": exp_.ravel(),
            "at_risk": np.repeat(risk, k),
            "observed_pct": obs_pct.ravel(),
            "expected_pct": exp_pct.ravel(),
        })

    def plot_prevalence(self, ax: Any = None, *, times: Any = None,
                        covariates: Any = None) -> Any:
        """Observed (points) and expected (lines) percentage in each state over time, as msm's
        ``plot.prevalence.msm`` but on one axis; returns the axis (a new figure's when
        ``ax`` is ``None``)."""
        from cjmodels.results import axis

        ax = axis(ax)
        if times is None:
            times = np.linspace(self.panel.timestamp.min(), self.panel.timestamp.max(), 21)
        tab = self.prevalence(times, covariates)
        for s in self.states:
            sub = tab[tab["state"] == s]
            line, = ax.plot(sub["time"], sub["expected_pct"], label=f"{s} expected")
            ax.plot(sub["time"], sub["observed_pct"], "o", ms=3, color=line.get_color(),
                    label=f"{s} observed")
        ax.set_xlabel("time")
        ax.set_ylabel("prevalence (%)")
        ax.legend(fontsize="small", ncol=2)
        return ax

    def _state_index(self, s: Any, name: str) -> int:
        for i, lab in enumerate(self.states):
            if s == lab or str(s) == str(lab):
                return i
        raise ValidationError(f"{name} == {s!r} is not a state; states are {list(self.states)}.")

    # ------------------------------------------------------------------ output
    def estimates(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per parameter: intensity (baseline) or hazard ratio with its interval
        (``summary()`` is this table at ``alpha=0.05``).

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 2],
        ...                    "stage": [1, 2, 1, 1]})
        >>> fit_multistate(df, [[0, 1.0], [0, 0]]).estimates(alpha=0.1).columns.tolist()
        ['kind', 'estimate', 'log_estimate', 'se_log', 'ci_low', 'ci_high', 'flagged']
        """
        z = self._z(alpha)
        n_q = len(self.transitions)
        kind = ["intensity"] * n_q + ["hazard ratio"] * (self.n_params - n_q)
        se = self.se
        with np.errstate(over="ignore"):
            lo, hi = np.exp(self.params - z * se), np.exp(self.params + z * se)
        return pd.DataFrame({
            "kind": kind,
            "estimate": np.exp(self.params),
            "log_estimate": self.params,
            "se_log": se,
            "ci_low": lo,
            "ci_high": hi,
            "flagged": ~(se <= WIDE_SE),
        }, index=pd.Index(self.param_names, name="parameter"))

    def _summary(self) -> pd.DataFrame:
        return self.estimates()

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"states": len(self.states), "transitions": len(self.transitions),
                "covariate_effects": len(self.covariate_effects),
                "n_customers": self.panel.n_customers,
                "log_likelihood": self.log_likelihood, "converged": self.converged}

    def _to_dict(self) -> Mapping[str, Any]:
        return {
            "states": [str(s) for s in self.states],
            "transitions": [[str(a), str(b)] for a, b in self.transitions],
            "log_likelihood": self.log_likelihood,
            "n_params": self.n_params,
            "n_customers": self.panel.n_customers,
            "n_observations": self.panel.n_observations,
            "converged": self.converged,
            "problems": list(self.problems),
            "covariate_means": dict(zip(self.covariate_names, self.covariate_means, strict=True)),
            "parameters": self.summary().reset_index().to_dict(orient="records"),
            "sojourn": self.sojourn().reset_index().to_dict(orient="records"),
        }

    def _plot(self, ax: Any, start: Any = None, t_max: float | None = None,
              covariates: Any = None, ci: bool = True, alpha: float = 0.05) -> None:
        """``P(t)`` from ``start`` to every state over ``[0, t_max]`` with pointwise intervals."""
        i = self._state_index(start if start is not None else self.states[0], "start")
        t_max = float(t_max if t_max is not None else np.max(self.panel.timestamp))
        grid = np.linspace(0, t_max, 31)[1:]
        k = len(self.states)
        zc = self._zc(covariates)
        est = np.stack([_pmatrix(self._q(self.params, zc), float(t))[i] for t in grid])
        if ci:
            tabs = [self.pmatrix_intervals(float(t), covariates, alpha) for t in grid]
            lo = np.stack([tb["ci_low"].to_numpy()[i * k:(i + 1) * k] for tb in tabs])
            hi = np.stack([tb["ci_high"].to_numpy()[i * k:(i + 1) * k] for tb in tabs])
        for j, s in enumerate(self.states):
            line, = ax.plot(np.r_[0, grid], np.r_[float(i == j), est[:, j]], label=str(s))
            if ci:
                ax.fill_between(grid, lo[:, j], hi[:, j], color=line.get_color(), alpha=0.15,
                                lw=0)
        ax.set_xlabel("time")
        ax.set_ylabel(f"P(state at t | {self.states[i]} at 0)")
        ax.set_ylim(0, 1)
        ax.legend(title="state")


