"""Mixture cure model: customers who will never buy.

Many prospects never purchase, however long one waits: their time to purchase is infinite and
the Kaplan-Meier curve levels off at a plateau. The mixture cure model writes the survival of
the population as

    S(t | x, z) = pi(z) + (1 - pi(z)) S_u(t | x),

with ``pi(z) = expit(z' gamma)`` the probability of never buying ("cured"; logistic, with
covariates ``z``) and ``S_u`` the survival of those who eventually buy ("latency"; Weibull or
exponential accelerated failure time with covariates ``x``: ``S_u(t) = exp(-(t / lambda)^rho)``,
``log lambda = x' beta``). Right-censored customers contribute ``S(t)``, buyers
``(1 - pi) f_u(t)``; with delayed entry the contribution is divided by ``S(entry)``.

The log-likelihood and its gradient are written out and vectorised; it is maximised by BFGS
through the package's maximum-likelihood helper (:func:`cjmodels._optim.maximum_likelihood`),
and standard errors come from the observed information (central differences of the analytic
gradient).

References
----------
* Farewell (1982), "The use of mixture models for the analysis of survival data with long-term
  survivors", Biometrics 38(4), 1041-1046.
* Maller & Zhou (1996), *Survival Analysis with Long-Term Survivors*, Wiley.
* Amico & Van Keilegom (2018), "Cure models in survival analysis", Annual Review of Statistics
  and Its Application 5, 311-342.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from cjmodels._checks import as_generator, check_scalar
from cjmodels._optim import covariance, maximum_likelihood
from cjmodels.errors import ValidationError
from cjmodels.results import Estimator, Result, result_dataclass
from cjmodels.survival._base import ConvergenceError
from cjmodels.survival._frames import check_durations

__all__ = ["CureWorld", "MixtureCureModel", "MixtureCureResult", "simulate_mixture_cure"]

DISTRIBUTIONS = ("weibull", "exponential")


def _design(data: pd.DataFrame, covs: list[str]) -> np.ndarray:
    return np.column_stack([np.ones(len(data)), data[covs].to_numpy(float)]) if covs else \
        np.ones((len(data), 1))


def _components(theta, z, x, kc, kl, weibull):
    g, b = theta[:kc], theta[kc:kc + kl]
    kappa = theta[kc + kl] if weibull else 0.0
    return z @ g, x @ b, kappa


def _censored_part(eta, mu, kappa, logt):
    """log S(t) of the population and its derivatives in (eta, mu, kappa)."""
    rho = np.exp(kappa)
    log_pi = -np.logaddexp(0.0, -eta)
    log_1mpi = -np.logaddexp(0.0, eta)
    logu = rho * (logt - mu)
    u = np.exp(logu)
    ll = np.logaddexp(log_pi, log_1mpi - u)
    r = np.exp(log_1mpi - ll)  # (1 - pi) / S
    q = r * np.exp(-u)  # posterior probability of being a future buyer
    pi = np.exp(log_pi)
    d_eta = pi * r * (-np.expm1(-u))
    d_mu = q * rho * u
    d_kappa = -q * u * logu
    return ll, d_eta, d_mu, d_kappa


def _loglik(theta, z, x, logt, ev, w, log_entry, has_entry, weibull):
    kc, kl = z.shape[1], x.shape[1]
    eta, mu, kappa = _components(theta, z, x, kc, kl, weibull)
    rho = np.exp(kappa)
    # buyers: log(1 - pi) + log rho - log t + log u - u
    log_1mpi = -np.logaddexp(0.0, eta)
    logu = rho * (logt - mu)
    u = np.exp(logu)
    ll_e = log_1mpi + kappa - logt + logu - u
    ll_c, c_eta, c_mu, c_kappa = _censored_part(eta, mu, kappa, logt)
    e = ev == 1
    ll_i = np.where(e, ll_e, ll_c)
    d_eta = np.where(e, -special.expit(eta), c_eta)
    d_mu = np.where(e, rho * (u - 1.0), c_mu)
    d_kappa = np.where(e, 1.0 + logu * (1.0 - u), c_kappa)
    if has_entry:
        m = np.isfinite(log_entry)
        le, t_eta, t_mu, t_kappa = _censored_part(eta[m], mu[m], kappa, log_entry[m])
        ll_i = ll_i.copy()
        ll_i[m] -= le
        d_eta[m] -= t_eta
        d_mu[m] -= t_mu
        d_kappa[m] -= t_kappa
    ll = float(w @ ll_i)
    grad = [z.T @ (w * d_eta), x.T @ (w * d_mu)]
    if weibull:
        grad.append(np.array([w @ d_kappa]))
    return ll, np.concatenate(grad)


@result_dataclass
class MixtureCureResult(Result):
    """A fitted mixture cure model: the ``result_`` of :class:`MixtureCureModel`.

    Attributes
    ----------
    distribution : {"weibull", "exponential"}
        Latency distribution.
    params : pandas.Series
        Estimates indexed ``cure:Intercept``, ``cure:<z>``..., ``latency:Intercept``,
        ``latency:<x>``..., and (Weibull) ``log_shape``. Cure coefficients are log odds of
        never buying; latency coefficients act on log time (positive: later purchases); the
        Weibull hazard ratio of a latency covariate is ``exp(-shape * coef)``.
    se : pandas.Series
        Standard errors.
    covariance : pandas.DataFrame
        Inverse of the observed information.
    log_likelihood : float
        Maximised log-likelihood (weighted).
    n_customers : float
        Customers (sum of the weights).
    n_events : float
        Purchases (sum of the weights of the events).
    n_iter : int
        BFGS iterations.
    cure_covariates : tuple of str
        Covariates of the cure probability.
    latency_covariates : tuple of str
        Covariates of the latency (time to purchase of eventual buyers).
    cure_fraction : float
        Mean predicted probability of never buying over the fitted customers (weighted).
    alpha : float
        1 - confidence level of the Wald intervals.

    Examples
    --------
    >>> w = simulate_mixture_cure(1000, random_state=1)
    >>> res = MixtureCureModel().fit(w.data, cure_covariates=["z"]).result_
    >>> res.summary().index.tolist()[:2]
    ['cure:Intercept', 'cure:z']
    """

    distribution: str
    params: pd.Series
    se: pd.Series
    covariance: pd.DataFrame
    log_likelihood: float
    n_customers: float
    n_events: float
    n_iter: int
    cure_covariates: tuple[str, ...]
    latency_covariates: tuple[str, ...]
    cure_fraction: float
    alpha: float = 0.05

    def _repr_fields(self) -> dict[str, Any]:
        return {"distribution": self.distribution, "cure_fraction": self.cure_fraction,
                "log_likelihood": self.log_likelihood, "n_customers": self.n_customers,
                "n_events": self.n_events}

    def _summary(self) -> pd.DataFrame:
        """One row per parameter: ``coef``, ``se``, Wald ``ci_low``/``ci_high``, ``z``,
        ``pvalue`` and ``exp_coef`` (odds ratio of never buying for cure rows, time ratio for
        latency rows, the shape for ``log_shape``)."""
        zc = stats.norm.ppf(1 - self.alpha / 2)
        b, se = self.params, self.se
        out = pd.DataFrame({"coef": b, "se": se, "ci_low": b - zc * se, "ci_high": b + zc * se,
                            "z": b / se, "pvalue": 2 * stats.norm.sf(np.abs(b / se)),
                            "exp_coef": np.exp(b)})
        return out.rename_axis("parameter")

    def _to_dict(self) -> dict[str, Any]:
        return {
            "model": f"mixture cure ({self.distribution})", "distribution": self.distribution,
            "params": self.params, "se": self.se, "covariance": self.covariance,
            "log_likelihood": self.log_likelihood, "n_customers": self.n_customers,
            "n_events": self.n_events, "n_iter": self.n_iter,
            "cure_covariates": list(self.cure_covariates),
            "latency_covariates": list(self.latency_covariates),
            "cure_fraction": self.cure_fraction, "alpha": self.alpha,
        }

    def _parts(self, data: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, float]:
        cz, cx = list(self.cure_covariates), list(self.latency_covariates)
        if data is None:
            if cz or cx:
                raise ValidationError("give data with the covariate columns to predict.")
            data = pd.DataFrame(index=[0])
        if not isinstance(data, pd.DataFrame):
            raise ValidationError(
                f"data must be a DataFrame with the covariate columns, got {type(data).__name__}."
            )
        missing = [c for c in cz + cx if c not in data.columns]
        if missing:
            raise ValidationError(f"data lacks covariate columns {missing}.")
        theta = self.params.to_numpy()
        kc, kl = len(cz) + 1, len(cx) + 1
        eta = _design(data, cz) @ theta[:kc]
        mu = _design(data, cx) @ theta[kc:kc + kl]
        rho = float(np.exp(theta[kc + kl])) if self.distribution == "weibull" else 1.0
        return special.expit(eta), np.exp(mu), rho

    def _survival(self, data: pd.DataFrame | None, times: Any, latency: bool = False
                  ) -> pd.DataFrame:
        pi, lam, rho = self._parts(data)
        t = np.atleast_1d(np.asarray(times, dtype=float))
        su = np.exp(-(np.maximum(t, 0)[None, :] / lam[:, None]) ** rho)
        s = su if latency else pi[:, None] + (1 - pi[:, None]) * su
        idx = data.index if data is not None else pd.RangeIndex(1)
        return pd.DataFrame(s, index=idx, columns=pd.Index(t, name="time"))

    def _plot(self, ax: Any, data: pd.DataFrame | None = None,
              times: Sequence[float] | None = None) -> None:
        """Population survival (mean over ``data``; without ``data``, the curve of a customer
        with every covariate at 0) with the cure fraction as a dashed line."""
        covs = list(dict.fromkeys(self.cure_covariates + self.latency_covariates))
        if data is None and covs:
            data = pd.DataFrame(0.0, index=[0], columns=covs)
        pi_all, lam, _ = self._parts(data)
        t = np.linspace(0, 4 * float(np.median(lam)), 200) if times is None else np.asarray(times)
        s = self._survival(data, t).mean(axis=0)
        pi = float(np.mean(pi_all))
        ax.plot(t, s.to_numpy(), label="mixture cure fit")
        ax.axhline(pi, ls="--", color="grey", label=f"never buy {pi:.2f}")
        ax.set(xlabel="time", ylabel="share not yet bought")
        ax.legend()


class MixtureCureModel(Estimator):
    """Mixture cure model with a logistic cure probability and a parametric latency.

    Parameters
    ----------
    distribution : {"weibull", "exponential"}
        Latency distribution of the eventual buyers (exponential: Weibull with shape 1).
    alpha : float
        1 - confidence level of the Wald intervals.
    maxiter : int
        BFGS iteration limit.
    initial_params : mapping, optional
        Starting values by parameter name (see :class:`MixtureCureResult`); others start from
        defaults.

    Attributes
    ----------
    result_ : MixtureCureResult
        The fit: ``params``, ``se``, ``covariance``, ``log_likelihood``, ``n_customers``,
        ``n_events``, ``cure_fraction`` (mean predicted probability of never buying).

    Examples
    --------
    >>> w = simulate_mixture_cure(2000, random_state=1)
    >>> m = MixtureCureModel().fit(w.data, cure_covariates=["z"], latency_covariates=["x"])
    >>> round(m.result_.cure_fraction, 2), round(w.truth["cure_fraction"], 2)
    (0.5, 0.5)
    """

    def __init__(
        self,
        *,
        distribution: str = "weibull",
        alpha: float = 0.05,
        maxiter: int = 2000,
        initial_params: Mapping[str, float] | None = None,
    ) -> None:
        self.distribution = distribution
        self.alpha = alpha
        self.maxiter = maxiter
        self.initial_params = initial_params

    def fit(
        self,
        data: pd.DataFrame,
        *,
        cure_covariates: Sequence[str] = (),
        latency_covariates: Sequence[str] = (),
        duration: str = "duration",
        event: str = "event",
        entry: str | None = None,
        weight: str | None = None,
    ) -> MixtureCureModel:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer (e.g. :func:`cjmodels.data.time_to_first_purchase`);
            durations must be positive (shift zeros by a fraction of the time resolution).
        cure_covariates, latency_covariates : sequence of str
            Numeric covariates of the cure probability and of the latency.
        duration, event, entry, weight : str
            Columns; ``entry`` for delayed entry (left truncation), ``weight`` for counts of
            identical customers.

        Returns
        -------
        self
            With ``result_``, a :class:`MixtureCureResult`.

        Raises
        ------
        ConvergenceError
            If the optimiser fails or the information matrix is singular (for example when
            follow-up is too short to separate never-buyers from late buyers).

        Examples
        --------
        >>> w = simulate_mixture_cure(1000, random_state=4)
        >>> m = MixtureCureModel(distribution="exponential").fit(w.data)
        >>> m.result_.params.index.tolist()
        ['cure:Intercept', 'latency:Intercept']
        """
        self.result_ = None
        check_scalar(self.distribution, "distribution", in_=DISTRIBUTIONS)
        check_scalar(self.alpha, "alpha", typ=float, gt=0, lt=1)
        check_scalar(self.maxiter, "maxiter", typ=int, ge=1)
        cz = [cure_covariates] if isinstance(cure_covariates, str) else list(cure_covariates)
        cx = [latency_covariates] if isinstance(latency_covariates, str) else list(
            latency_covariates)
        d = check_durations(data, duration=duration, event=event, entry=entry, weights=weight,
                            covariates=list(dict.fromkeys(cz + cx)), positive=True)
        ev = d[event].to_numpy(np.int64)
        if ev.sum() == 0:
            raise ValidationError("the data have no events; there is no latency to estimate.")
        if ev.sum() == len(ev):
            raise ValidationError(
                "every customer had the event; with no censored customers the cure fraction "
                "is 0 and not estimable. Use a plain parametric model (aft).")
        z, x = _design(d, cz), _design(d, cx)
        t = d[duration].to_numpy(float)
        logt = np.log(t)
        w = d[weight].to_numpy(float) if weight else np.ones(len(d))
        if entry:
            en = d[entry].to_numpy(float)
            with np.errstate(divide="ignore"):
                log_entry = np.where(en > 0, np.log(en), -np.inf)
        else:
            log_entry = np.full(len(d), -np.inf)
        has_entry = bool(np.isfinite(log_entry).any())
        weibull = self.distribution == "weibull"
        names = ([f"cure:{c}" for c in ["Intercept", *cz]]
                 + [f"latency:{c}" for c in ["Intercept", *cx]]
                 + (["log_shape"] if weibull else []))
        share_cens = float(w @ (1 - ev)) / float(w.sum())
        x0 = np.zeros(len(names))
        x0[0] = special.logit(np.clip(share_cens / 2, 0.02, 0.9))
        x0[len(cz) + 1] = float(np.average(logt[ev == 1], weights=w[ev == 1]))
        if self.initial_params is not None:
            unknown = [k for k in self.initial_params if k not in names]
            if unknown:
                raise ValidationError(f"initial_params has unknown names {unknown}; use {names}.")
            for k, v in self.initial_params.items():
                x0[names.index(k)] = float(v)
        scale = 1.0 / float(w.sum())

        def loglik(theta):
            return _loglik(theta, z, x, logt, ev, w, log_entry, has_entry, weibull)

        fit = maximum_likelihood(loglik, x0, scale=scale, gtol=1e-9, maxiter=self.maxiter,
                                 rel_step=1e-5, min_scale=1e-3)
        theta, ll, g = fit.x, fit.log_likelihood, fit.gradient
        gmax = float(np.max(np.abs(g))) * scale
        shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, theta, strict=True))
        remedies = (
            "Remedies: check that follow-up is long enough for the survival curve to level off "
            "(a cure fraction is identified only by a plateau), drop cure covariates that "
            "separate buyers perfectly, rescale time so durations are of order 1-100, pass "
            "initial_params, or raise maxiter.")
        if not np.isfinite(ll) or gmax > 1e-4:
            raise ConvergenceError(
                f"mixture cure model did not converge ({fit.message}; log-likelihood {ll:.6g}, "
                f"largest scaled gradient {gmax:.2g} at {shown}). {remedies}")
        cov = covariance(fit.information)
        if cov is None:
            raise ConvergenceError(
                f"mixture cure model: the information matrix is singular at {shown}; the data "
                f"do not identify the parameters. {remedies}")
        if np.any(np.abs(theta[: len(cz) + 1]) > 25):
            raise ConvergenceError(
                f"mixture cure model: a cure coefficient runs to infinity ({shown}). {remedies}")
        self.result_ = MixtureCureResult(
            distribution=self.distribution,
            params=pd.Series(theta, index=names, dtype=float),
            se=pd.Series(np.sqrt(np.diag(cov)), index=names),
            covariance=pd.DataFrame(cov, index=names, columns=names),
            log_likelihood=float(ll),
            n_customers=float(w.sum()),
            n_events=float(w @ ev),
            n_iter=fit.n_iter,
            cure_covariates=tuple(cz),
            latency_covariates=tuple(cx),
            cure_fraction=float(np.average(special.expit(z @ theta[: len(cz) + 1]), weights=w)),
            alpha=self.alpha,
        )
        return self

    # ------------------------------------------------------------------ prediction
    def cure_probability(self, data: pd.DataFrame | None = None) -> np.ndarray:
        """Probability of never buying, ``expit(z' gamma)``, for each row of ``data``.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            Rows with the cure and latency covariate columns; ``None`` for a model without
            covariates (one row).

        Returns
        -------
        numpy.ndarray
            One probability per row.

        Examples
        --------
        >>> w = simulate_mixture_cure(1000, random_state=2)
        >>> m = MixtureCureModel().fit(w.data, cure_covariates=["z"])
        >>> m.cure_probability(pd.DataFrame({"z": [0.0, 1.0]})).shape
        (2,)
        """
        self._check_fitted()
        return self.result_._parts(data)[0]

    def predict_survival(self, data: pd.DataFrame | None, times: Sequence[float],
                         latency: bool = False) -> pd.DataFrame:
        """Population survival ``pi + (1 - pi) S_u(t)`` of each row of ``data`` at ``times``.

        Parameters
        ----------
        data : pandas.DataFrame or None
            Rows with the covariate columns; ``None`` for a model without covariates.
        times : sequence of float
            Times at which to evaluate the survival.
        latency : bool, default False
            Return the latency survival ``S_u(t)`` of eventual buyers instead.

        Returns
        -------
        pandas.DataFrame
            Rows: the rows of ``data``; columns: ``times``.

        Examples
        --------
        >>> w = simulate_mixture_cure(1000, random_state=2)
        >>> m = MixtureCureModel().fit(w.data)
        >>> m.predict_survival(None, [0.0, 10.0]).shape
        (1, 2)
        """
        self._check_fitted()
        return self.result_._survival(data, times, latency)


@result_dataclass
class CureWorld(Result):
    """A simulated world with a known cure fraction (from :func:`simulate_mixture_cure`).

    Attributes
    ----------
    data : pandas.DataFrame
        One row per customer: ``duration``, ``event``, ``z``, ``x`` and ``cured`` (the latent
        truth: 1 for a customer who never buys).
    truth : dict
        The generating parameters, named as in :class:`MixtureCureResult`, and the realised
        ``cure_fraction``.

    Examples
    --------
    >>> w = simulate_mixture_cure(100, random_state=0)
    >>> w.summary().columns.tolist()
    ['parameter', 'truth']
    """

    data: pd.DataFrame
    truth: dict[str, float]

    def _repr_fields(self) -> dict[str, Any]:
        return {"n_customers": len(self.data), "n_events": int(self.data["event"].sum()),
                "cure_fraction": self.truth.get("cure_fraction")}

    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame({"parameter": list(self.truth), "truth": list(self.truth.values())})

    def _to_dict(self) -> dict[str, Any]:
        return {"truth": self.truth, "n_customers": len(self.data),
                "data": {c: self.data[c].tolist() for c in self.data.columns}}


def simulate_mixture_cure(
    n: int,
    *,
    cure_coef: Sequence[float] = (-0.5, 1.0),
    latency_coef: Sequence[float] = (2.5, 0.4),
    shape: float = 1.5,
    follow_up: tuple[float, float] = (20.0, 60.0),
    random_state: Any = None,
) -> CureWorld:
    """A world with a known cure fraction: who never buys, and when the others buy.

    Each customer has a binary ``z`` (e.g. came from a paid channel) and a standard-normal
    ``x``. They never buy with probability ``expit(cure_coef[0] + cure_coef[1] z)``; otherwise
    they buy after a Weibull time with scale ``exp(latency_coef[0] + latency_coef[1] x)`` and
    ``shape``. Follow-up is uniform on ``follow_up`` (administrative censoring).

    Parameters
    ----------
    n : int
        Number of customers.
    cure_coef : sequence of float, default (-0.5, 1.0)
        Intercept and coefficient of ``z`` on the log odds of never buying.
    latency_coef : sequence of float, default (2.5, 0.4)
        Intercept and coefficient of ``x`` on the log Weibull scale of the eventual buyers.
    shape : float, default 1.5
        Weibull shape (> 0).
    follow_up : tuple of float, default (20.0, 60.0)
        Range of the uniform follow-up (censoring) times.
    random_state : None, int or numpy.random.Generator
        Seed or generator.

    Returns
    -------
    CureWorld
        ``data`` (``duration``, ``event``, ``z``, ``x``, ``cured``: the latent truth) and
        ``truth`` (the parameters in :class:`MixtureCureResult` naming and the realised
        ``cure_fraction``, the mean cure probability over the sample).

    Examples
    --------
    >>> w = simulate_mixture_cure(5, random_state=0)
    >>> list(w.data.columns)
    ['duration', 'event', 'z', 'x', 'cured']
    >>> sorted(w.truth)[:2]
    ['cure:Intercept', 'cure:z']
    """
    check_scalar(n, "n", typ=int, ge=1)
    check_scalar(shape, "shape", typ=float, gt=0)
    rng = as_generator(random_state)
    z = rng.integers(0, 2, n).astype(float)
    x = rng.standard_normal(n)
    pi = special.expit(cure_coef[0] + cure_coef[1] * z)
    cured = rng.random(n) < pi
    t = np.exp(latency_coef[0] + latency_coef[1] * x) * rng.weibull(shape, n)
    c = rng.uniform(follow_up[0], follow_up[1], n)
    t = np.where(cured, np.inf, t)
    d = pd.DataFrame({"duration": np.minimum(t, c), "event": (t <= c).astype(int), "z": z,
                      "x": x, "cured": cured.astype(int)})
    truth = {"cure:Intercept": float(cure_coef[0]), "cure:z": float(cure_coef[1]),
             "latency:Intercept": float(latency_coef[0]), "latency:x": float(latency_coef[1]),
             "log_shape": float(np.log(shape)), "cure_fraction": float(pi.mean())}
    return CureWorld(d, truth)
