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

    The extractors follow msm's: :meth:`qmatrix` and :meth:`intensities` (``qmatrix.msm``),
    :meth:`hazard_ratios` (``hazard.msm``), :meth:`qratio`, :meth:`pmatrix` and
    :meth:`pmatrix_intervals` (``pmatrix.msm``), :meth:`sojourn`, :meth:`pnext`,
    :meth:`totlos`, :meth:`efpt`, :meth:`prevalence`. Those that depend on the covariates take
    ``covariates`` (default: at their centring values) and those with intervals take
    ``alpha`` (one minus the confidence level, default 0.05). ``summary()`` is
    :meth:`estimates` at ``alpha=0.05``; ``plot(ax=None, start=None, t_max=None,
    covariates=None, ci=True, alpha=0.05)`` draws ``P(t)`` from ``start`` (default the first
    state) to every state over ``[0, t_max]`` (default the last observation time), with
    pointwise delta-method intervals when ``ci``.

    Attributes
    ----------
    states : tuple
        State labels, in the order of the rows and columns of ``Q``.
    transitions : tuple of (from, to)
        Allowed transitions as pairs of state labels, in parameter order (across the rows of
        ``qmatrix``).
    params : numpy.ndarray
        Maximum likelihood estimates: log intensities (one per transition), then log hazard
        ratios (one per entry of ``covariate_effects``).
    param_names : tuple of str
        One name per parameter: ``"from - to"`` for an intensity, ``"covariate: from - to"``
        for a covariate effect (the index of :meth:`estimates`).
    cov : numpy.ndarray
        Covariance matrix of ``params`` (inverse observed information; a pseudo-inverse when
        the information is singular, with NaN where it is degenerate).
    log_likelihood : float
        The maximised log-likelihood (msm prints ``-2 log L``, that is
        ``-2 * log_likelihood``).
    covariate_names : tuple of str
        Names of the covariates, in the order of ``covariate_means``.
    covariate_effects : tuple of (str, (from, to))
        The covariate and the transition of each log hazard ratio in ``params``, in order.
    covariate_means : numpy.ndarray
        The centring values (zeros when ``center=False``): the baseline intensities are those
        at these values.
    center : bool
        Whether the covariates were centred at their means (``fit_multistate(center=...)``).
    converged : bool
        Whether the optimiser reached a point where every gradient component of the
        log-likelihood is below 0.01 in absolute value.
    n_iter : int
        Number of BFGS iterations.
    message : str
        The optimiser's closing message.
    problems : tuple of str
        Identifiability or convergence problems found (empty when the fit is clean): no
        convergence, a Hessian that is not positive definite or nearly singular, parameters
        whose standard error exceeds :data:`WIDE_SE`.
    hessian : numpy.ndarray
        Observed information at the estimate (minus the Hessian of the log-likelihood in
        ``params``, by central differences of the analytic gradient); ``cov`` is its inverse.
    panel : PanelData
        The data the model was fitted to.
    design : Design
        The likelihood's precomputed design (covariate patterns, interval lengths), which the
        extractors use to rebuild ``Q`` at any parameters; internal, not compared by ``==``.

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
    >>> fit.summary()[["estimate", "ci_low", "ci_high"]].round(3)
               estimate  ci_low  ci_high
    parameter
    a - b          0.65   0.156    2.705
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
        """Estimated intensity matrix ``Q`` (at the covariate centring values by default).

        Parameters
        ----------
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.

        Returns
        -------
        pandas.DataFrame
            ``(K, K)`` intensities per unit of time, rows ``from`` and columns ``to`` labelled
            by the states; the diagonal is minus the row sum (the total exit rate).

        See Also
        --------
        intensities : The same intensities with standard errors and intervals.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.qmatrix().round(3)
        to       a      b      c
        from
        a    -1.43  1.103  0.327
        b     0.00 -0.311  0.311
        c     0.00  0.000  0.000
        """
        return self._frame(self._q(self.params, self._zc(covariates)))

    def intensities(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Allowed and diagonal intensities with delta-method intervals, as msm's ``qmatrix.msm``.

        Parameters
        ----------
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            Columns ``from``, ``to``, ``estimate``, ``se`` (natural scale, delta method),
            ``ci_low`` and ``ci_high`` (delta-method interval on the log scale). One row per
            allowed transition and per diagonal entry of a non-absorbing state (negative,
            minus the exit rate), indexed by ``"from - to"`` in msm's order.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.intensities()[["estimate", "ci_low", "ci_high"]].round(3)
                    estimate  ci_low  ci_high
        transition
        a - a         -1.430  -3.421   -0.598
        a - b          1.103   0.409    2.969
        a - c          0.327   0.052    2.078
        b - b         -0.311  -1.303   -0.074
        b - c          0.311   0.074    1.303
        """
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
        """Ratio ``q[num] / q[den]`` of two intensities with a delta-method interval.

        As msm's ``qratio.msm``: the interval is computed on the log scale.

        Parameters
        ----------
        num : tuple
            ``(from, to)`` state labels of the numerator's intensity (an allowed transition, or
            a diagonal entry ``(r, r)``).
        den : tuple
            ``(from, to)`` state labels of the denominator's intensity.
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.Series
            ``estimate``, ``se`` (natural scale), ``ci_low`` and ``ci_high`` (delta method on
            the log scale), named ``"qratio"``.

        Raises
        ------
        ValidationError
            When a pair names a transition that is not allowed or an unknown state.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.qratio(("a", "c"), ("a", "b")).round(3)
        estimate    0.297
        se          0.318
        ci_low      0.036
        ci_high     2.422
        Name: qratio, dtype: float64
        """
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
        """Hazard ratio ``exp(beta)`` of every covariate effect with its interval.

        As msm's ``hazard.msm``. The hazard ratio multiplies the intensity of its transition
        per unit increase of the covariate; the interval is the Wald interval of ``beta``
        transformed by ``exp``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            One row per covariate effect, in parameter order: ``covariate``, ``transition``
            (``"from - to"``), ``hr``, ``se_log`` (standard error of ``beta``), ``ci_low`` and
            ``ci_high``. Empty for a model without covariates.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> df["x"] = [0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]
        >>> fit_x = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]],
        ...                        states=list("abc"), covariates={"a-b": ["x"]})
        >>> fit_x.hazard_ratios().round(3)
          covariate transition     hr  se_log  ci_low  ci_high
        0         x      a - b  0.639   1.032   0.085    4.834
        """
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
        """Transition probabilities ``P(t) = expm(Q t)`` (msm's ``pmatrix.msm``).

        Parameters
        ----------
        t : float
            Length of the interval, in the time unit of the data (``>= 0``).
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.

        Returns
        -------
        pandas.DataFrame
            ``(K, K)``: the probability of being in state ``to`` at time ``t`` given state
            ``from`` at time 0 (rows sum to 1).

        See Also
        --------
        pmatrix_intervals : The same with intervals.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.pmatrix(2).round(3)
        to        a      b      c
        from
        a     0.057  0.473  0.470
        b     0.000  0.537  0.463
        c     0.000  0.000  1.000
        """
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
        The two differ most where an intensity is weakly identified and the distribution of
        ``P(t)`` is skewed.

        Parameters
        ----------
        t : float
            Length of the interval, in the time unit of the data (``>= 0``).
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).
        method : {"delta", "normal"}
            How the intervals are computed (see above).
        n_simulations : int
            Number of parameter draws for ``method="normal"`` (at least 10; msm's ``B``
            defaults to 1000).
        random_state : int, numpy.random.Generator or None
            Seed of the draws for ``method="normal"``; unused by ``"delta"``.

        Returns
        -------
        pandas.DataFrame
            Indexed by (``from``, ``to``): ``t``, ``estimate``, ``se``, ``ci_low`` and
            ``ci_high``. Probabilities that are exactly 0 or 1 get a zero-width interval.

        Raises
        ------
        ValidationError
            For ``method="normal"`` when the covariance matrix is not finite.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.pmatrix_intervals(2).loc["a"].round(3)
            t  estimate     se  ci_low  ci_high
        to
        a   2     0.057  0.073   0.004    0.461
        b   2     0.473  0.166   0.196    0.767
        c   2     0.470  0.169   0.190    0.770
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
            with np.errstate(over="ignore", invalid="ignore"):
                qs = np.stack([self._q(th, zc) for th in draws])
            try:
                if not np.all(np.isfinite(qs)):
                    raise np.linalg.LinAlgError("non-finite intensities")
                ps = _expm_stack(qs, t).reshape(n_sim, -1)
            except np.linalg.LinAlgError:
                # A parameter with a huge (finite) standard error, one the fit flagged as not
                # identified, draws intensities that overflow.
                raise ValidationError(
                    "method='normal' drew intensities that overflow: the covariance is too wide "
                    f"({'; '.join(self.problems) or 'very large standard errors'}). Use "
                    "method='delta', or simplify the model."
                ) from None
            tab = pd.DataFrame({
                "estimate": _pmatrix(self._q(self.params, zc), t).ravel(),
                "se": ps.std(axis=0, ddof=1),
                "ci_low": np.quantile(ps, a / 2, axis=0),
                "ci_high": np.quantile(ps, 1 - a / 2, axis=0),
            }, index=index)
        return tab.assign(t=t)[["t", "estimate", "se", "ci_low", "ci_high"]]

    def sojourn(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Mean sojourn time ``-1/q_rr`` in each transient state (msm's ``sojourn.msm``).

        The expected length of one uninterrupted stay in the state, in the time unit of the
        data.

        Parameters
        ----------
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``se`` (natural scale, delta method), ``ci_low`` and
            ``ci_high`` (delta-method interval on the log scale), one row per non-absorbing
            state (index ``state``).

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.sojourn().round(3)
               estimate     se  ci_low  ci_high
        state
        a         0.699  0.311   0.292    1.673
        b         3.215  2.350   0.768   13.467
        """
        zc = self._zc(covariates)
        tr = np.flatnonzero(~self.panel.spec.absorbing)
        index = pd.Index([self.states[r] for r in tr], name="state")
        return self._interval_table(lambda th: -1.0 / np.diag(self._q(th, zc))[tr], "log",
                                    alpha, index)

    def pnext(self, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Probability ``-q_rs/q_rr`` that the next state after ``r`` is ``s``.

        As msm's ``pnext.msm``, which simulates its intervals from the asymptotic normal
        distribution; these are delta-method intervals on the logit scale (deterministic).

        Parameters
        ----------
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            One row per allowed transition (index ``"from - to"``): ``estimate``, ``se``,
            ``ci_low`` and ``ci_high``. A state with a single exit has probability 1 and a
            zero-width interval.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.pnext().round(3)
                    estimate     se  ci_low  ci_high
        transition
        a - b          0.771  0.189   0.292    0.965
        a - c          0.229  0.189   0.035    0.708
        b - c          1.000  0.000   1.000    1.000
        """
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
        """Expected total time spent in each state from ``start`` over ``[0, t]``.

        As msm's ``totlos.msm``.

        Parameters
        ----------
        start : state label, optional
            The state at time 0 (default the first state).
        t : float, optional
            End of the horizon (``> 0``); ``None`` means forever, which gives infinity for every
            absorbing state and the expected total stay for the others (msm's default
            ``tot = Inf``). Over a finite horizon the times sum to ``t``.
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``se`` (natural scale, delta method), ``ci_low`` and
            ``ci_high`` (delta-method interval on the log scale), one row per state (index
            ``state``). Infinite values have no interval.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.totlos(start="a", t=2).round(3)
               estimate     se  ci_low  ci_high
        state
        a         0.659  0.242   0.321    1.355
        b         0.818  0.262   0.437    1.531
        c         0.523  0.233   0.218    1.252
        """
        i = self._state_index(start if start is not None else self.states[0], "start")
        if t is not None:
            t = check_scalar(t, "t", typ=float, gt=0)
        zc = self._zc(covariates)
        index = pd.Index(self.states, name="state")
        return self._interval_table(lambda th: _totlos(self._q(th, zc), i, t), "log", alpha,
                                    index)

    def efpt(self, to: Any, covariates: Any = None, alpha: float = 0.05) -> pd.DataFrame:
        """Expected first-passage time into state(s) ``to`` from every state (msm's ``efpt.msm``).

        Parameters
        ----------
        to : state label or list of labels
            The target state, or a set of states (the first entry into any of them).
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``se`` (natural scale, delta method), ``ci_low`` and
            ``ci_high`` (delta-method interval on the log scale), one row per starting state
            (index ``state``): 0 for the targets themselves, infinite from a state whence
            ``to`` may never be reached (it is reached with probability less than 1).

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.efpt("c").round(3)
               estimate    se  ci_low  ci_high
        state
        a         3.179  1.77   1.067    9.466
        b         3.215  2.35   0.768   13.467
        c         0.000  0.00   0.000    0.000
        """
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

        Parameters
        ----------
        times : array-like of float, optional
            Times at which to count (default 11 equally spaced times from the first to the
            last observation time).
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.

        Returns
        -------
        pandas.DataFrame
            Long table, one row per (time, state): ``time``, ``state``, ``observed``,
            ``expected``, ``at_risk`` (number under observation), ``observed_pct`` and
            ``expected_pct`` (percentages of ``at_risk``).

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> tab = fit.prevalence([0, 2])
        >>> tab[["time", "state", "observed", "expected", "at_risk"]].round(2)
           time state  observed  expected  at_risk
        0   0.0     a       8.0      8.00      8.0
        1   0.0     b       0.0      0.00      8.0
        2   0.0     c       0.0      0.00      8.0
        3   2.0     a       2.0      0.40      7.0
        4   2.0     b       2.0      3.31      7.0
        5   2.0     c       3.0      3.29      7.0
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
        """Observed (points) and expected (lines) percentage in each state over time.

        As msm's ``plot.prevalence.msm``, but on one axis.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure's axis when ``None``.
        times : array-like of float, optional
            Times of the points (default 21 equally spaced times from the first to the last
            observation time).
        covariates : None, 0 or mapping, optional
            Where to evaluate the covariates: ``None`` at their centring values
            (:attr:`covariate_means`, the means when ``center=True``), ``0`` at zero for every
            covariate, ``{name: value}`` at given values (the others at their centring
            values). Ignored by a model without covariates.

        Returns
        -------
        matplotlib.axes.Axes
            The axis drawn on.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> ax = fit.plot_prevalence(times=[0, 1, 2, 3])
        >>> ax.get_ylabel()
        'prevalence (%)'
        """
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
        """One row per parameter: baseline intensity or hazard ratio, with its interval.

        ``summary()`` is this table at ``alpha=0.05``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level of the intervals (default 0.05: 95% intervals).

        Returns
        -------
        pandas.DataFrame
            Indexed by :attr:`param_names`: ``kind`` (``"intensity"`` or ``"hazard ratio"``),
            ``estimate`` (``exp`` of the parameter), ``log_estimate``, ``se_log`` (standard
            error on the log scale), ``ci_low`` and ``ci_high`` (Wald interval on the log scale,
            transformed), ``flagged`` (``True`` when ``se_log`` exceeds :data:`WIDE_SE`: not
            identified by the data).

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.markov import fit_multistate
        >>> df = pd.DataFrame({
        ...    "customer_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8],
        ...    "timestamp": [0, 1, 2.5, 0, .5, 0, 1.5, 3, 0, 1, 0, .5, 2, 0, 3, 0, 1, 2, 0, .4],
        ...    "stage": list("aabacabcaaabbababcac")})
        >>> fit = fit_multistate(df, [[0, 0.5, 0.2], [0, 0, 0.3], [0, 0, 0]], states=list("abc"))
        >>> fit.estimates(alpha=0.1)[["estimate", "ci_low", "ci_high", "flagged"]].round(3)
                   estimate  ci_low  ci_high  flagged
        parameter
        a - b         1.103   0.480    2.532    False
        a - c         0.327   0.069    1.544    False
        b - c         0.311   0.093    1.035    False
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


