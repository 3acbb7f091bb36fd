"""Shared machinery of the survival subpackage: errors, maximum likelihood, result objects.

Every customer-base model declares only its mathematics (a vectorised log-likelihood, optionally
its gradient); :func:`maximise` runs the package's one maximum-likelihood helper
(:func:`cjmodels._optim.maximum_likelihood`) on the log scale of the (positive) parameters,
checks convergence and gives standard errors from the observed information (central differences
of the gradient at the optimum).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._optim import central_differences, covariance, maximum_likelihood
from cjmodels.errors import ConvergenceError, ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["ParameterFit", "maximise"]


_REMEDIES = (
    "Remedies: (1) check the input (units, recency <= T, frequencies of repeat purchases only); "
    "(2) rescale time (e.g. weeks instead of days) so that rates are of order 0.01-10; "
    "(3) pass initial_params close to a plausible answer; (4) set a small penalizer (e.g. "
    "0.001) to keep the parameters away from the boundary; (5) raise maxiter."
)


@result_dataclass
class ParameterFit(Result):
    """Maximum-likelihood estimates of a customer-base model, with their uncertainty.

    The fitted result (``result_``) of :class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`,
    :class:`ParetoNBDModel`, :class:`BGBBModel`, :class:`GammaGammaModel` and
    :class:`ShiftedBetaGeometricModel`.

    Attributes
    ----------
    model : str
        Name of the model (``"sBG"``, ``"BG/NBD"``, ...).
    params : pandas.Series
        Point estimates, indexed by parameter name.
    se : pandas.Series
        Standard errors: square roots of the diagonal of ``covariance`` (``nan`` for a model
        built with ``from_params``).
    covariance : pandas.DataFrame
        Inverse of the observed information matrix (natural parameter scale).
    log_likelihood : float
        Maximised log-likelihood (weighted; without any penalty).
    n_customers : float
        Sum of the weights (number of customers, or of observations) the model was fitted on.
    n_iter : int
        Optimiser iterations.
    alpha : float
        1 - confidence level of the Wald intervals in :meth:`summary`.
    n_excluded : float
        Customers left out of the fit (gamma-gamma: those without repeat purchases).

    Examples
    --------
    >>> fit = maximise(lambda th: -(th[0] - 2.0) ** 2, [1.0], ["m"], "toy", n_obs=1)
    >>> fit.model, round(float(fit.params["m"]), 4), fit.n_customers
    ('toy', 2.0, 1.0)
    >>> fit.summary().columns.tolist()
    ['estimate', 'se', 'ci_low', 'ci_high']
    """

    model: str
    params: pd.Series
    se: pd.Series
    covariance: pd.DataFrame
    log_likelihood: float
    n_customers: float
    n_iter: int
    alpha: float = 0.05
    n_excluded: float = 0.0

    @classmethod
    def given(cls, model: str, params: Mapping[str, float]) -> ParameterFit:
        """A result holding given parameters (no fit: standard errors and likelihood ``nan``).

        Used by ``from_params`` of the customer-base models to predict from published or
        otherwise known estimates.

        Parameters
        ----------
        model : str
            Name of the model (``"sBG"``, ``"BG/NBD"``, ...).
        params : mapping of str to float
            Parameter values by name, in the model's order.

        Returns
        -------
        ParameterFit
            The parameters as ``params``; ``se``, ``covariance`` and ``log_likelihood`` are
            ``nan``, ``n_customers`` and ``n_iter`` are 0.

        Examples
        --------
        >>> ParameterFit.given("sBG", {"alpha": 0.7, "beta": 1.2}).summary()["estimate"].tolist()
        [0.7, 1.2]
        """
        names = list(params)
        nan = np.full((len(names), len(names)), np.nan)
        return cls(model=model, params=pd.Series(params, index=names, dtype=float),
                   se=pd.Series(np.nan, index=names, dtype=float),
                   covariance=pd.DataFrame(nan, index=names, columns=names),
                   log_likelihood=float("nan"), n_customers=0.0, n_iter=0)

    def _summary(self) -> pd.DataFrame:
        """One row per parameter: estimate, standard error, Wald interval (``ci_low``,
        ``ci_high``) on the log scale, transformed back (so intervals stay positive)."""
        est = pd.Series(self.params, dtype=float)
        se = pd.Series(self.se, dtype=float)
        z = stats.norm.ppf(1 - self.alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            se_log = se / est  # delta method for log(theta)
            low = est * np.exp(-z * se_log)
            high = est * np.exp(z * se_log)
        return pd.DataFrame(
            {"estimate": est, "se": se, "ci_low": low, "ci_high": high}
        ).rename_axis("parameter")

    def _repr_fields(self) -> dict[str, Any]:
        return {"model": self.model, **self.params.to_dict(),
                "log_likelihood": self.log_likelihood,
                "n_customers": self.n_customers}

    def _to_dict(self) -> dict[str, Any]:
        out = {
            "model": self.model,
            "params": self.params,
            "se": self.se,
            "covariance": self.covariance.to_dict(),
            "log_likelihood": self.log_likelihood,
            "n_customers": self.n_customers,
            "n_iter": self.n_iter,
            "alpha": self.alpha,
            "n_excluded": self.n_excluded,
        }
        if self.n_iter == 0:
            out["notes"] = ["the parameters were given (from_params), not fitted: standard "
                            "errors, covariance and log-likelihood are undefined (null)."]
        return out


def maximise(
    log_likelihood: Callable[[np.ndarray], float],
    x0: Sequence[float],
    names: Sequence[str],
    model: str,
    *,
    jac: bool = False,
    n_obs: float,
    penalizer: float = 0.0,
    maxiter: int = 1000,
    alpha: float = 0.05,
) -> ParameterFit:
    """Maximise a log-likelihood of positive parameters; standard errors from the Hessian.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(theta) -> float``, the weighted log-likelihood at natural parameters ``theta``;
        with ``jac=True`` it returns ``(log_likelihood, gradient)``.
    x0 : sequence of float
        Starting values (positive).
    names : sequence of str
        Parameter names, in order.
    model : str
        Model name for messages and results.
    jac : bool
        Whether ``log_likelihood`` also returns its analytic gradient; central differences otherwise.
    n_obs : float
        Sum of the weights, reported and used to scale the objective.
    penalizer : float
        Adds ``-penalizer * sum(theta**2)`` to the objective (lifetimes' ``penalizer_coef``);
        0 for plain maximum likelihood. The reported log-likelihood excludes the penalty.
    maxiter : int
        Iteration limit of the optimiser.
    alpha : float
        1 - confidence level for :meth:`ParameterFit.summary`.

    Returns
    -------
    ParameterFit

    Raises
    ------
    ConvergenceError
        If the optimiser fails, the optimum is not finite, the gradient at the optimum is not
        close to zero, or the information matrix there is singular (parameters not identified).

    Examples
    --------
    >>> fit = maximise(lambda th: -(th[0] - 2.0) ** 2, [1.0], ["m"], "toy", n_obs=1)
    >>> round(float(fit.params["m"]), 4)
    2.0
    """
    x0 = np.asarray(x0, dtype=float)
    names = list(names)
    if x0.shape != (len(names),) or not np.all(np.isfinite(x0)) or np.any(x0 <= 0):
        raise ValidationError(
            f"initial_params == {x0.tolist()!r}, must be {len(names)} finite positive numbers "
            f"({', '.join(names)})."
        )
    scale = 1.0 / max(float(n_obs), 1.0)

    def value(theta: np.ndarray) -> float:
        return float(log_likelihood(theta)[0]) if jac else float(log_likelihood(theta))

    def both(theta: np.ndarray) -> tuple[float, np.ndarray]:
        if jac:
            ll, g = log_likelihood(theta)
            return float(ll), np.asarray(g, dtype=float)
        return value(theta), central_differences(value, theta, rel_step=1e-6,
                                                 min_scale=1e-2)[0]

    fit = maximum_likelihood(both, x0, log_scale=True, penalizer=penalizer, scale=scale,
                             gtol=1e-8, maxiter=maxiter, rel_step=1e-5, min_scale=1e-3)
    theta, ll, g = fit.x, fit.log_likelihood, fit.gradient
    gnorm = float(np.max(np.abs(g * theta))) * scale
    ok = np.isfinite(ll) and np.all(np.isfinite(theta)) and gnorm < 1e-4
    if not ok:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, theta, strict=True))
        raise ConvergenceError(
            f"{model}: maximum likelihood did not converge ({fit.message}; log-likelihood "
            f"{ll:.6g}, largest scaled gradient {gnorm:.2g} at {shown}). {_REMEDIES}"
        )
    shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, theta, strict=True))
    cov = covariance(fit.information)
    if cov is None:
        raise ConvergenceError(
            f"{model}: the information matrix is singular or not positive definite at {shown}: "
            "the data do not identify the parameters (estimates run to the boundary of the "
            f"parameter space). {_REMEDIES}"
        )
    if np.any(np.abs(np.log(theta)) > 25):
        raise ConvergenceError(
            f"{model}: an estimate is at the boundary of the parameter space ({shown}). "
            f"{_REMEDIES}"
        )
    se = np.sqrt(np.diag(cov))
    return ParameterFit(
        model=model,
        params=pd.Series(theta, index=names, dtype=float),
        se=pd.Series(se, index=names, dtype=float),
        covariance=pd.DataFrame(cov, index=names, columns=names),
        log_likelihood=float(ll),
        n_customers=float(n_obs),
        n_iter=fit.n_iter,
        alpha=alpha,
    )


def check_positive_params(params: Mapping[str, Any], names: Sequence[str], model: str) -> dict:
    """Validate a user-given parameter mapping (all names present, finite and positive)."""
    missing = [k for k in names if k not in params]
    if missing:
        raise ValidationError(f"{model}: params lacks {missing}; give all of {list(names)}.")
    out = {}
    for k in names:
        v = params[k]
        if isinstance(v, bool) or not np.isscalar(v) or not np.isfinite(v) or v <= 0:
            raise ValidationError(f"{model}: params[{k!r}] == {v!r}, must be a positive number.")
        out[k] = float(v)
    return out
