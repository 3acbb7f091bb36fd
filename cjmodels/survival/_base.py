"""Shared machinery of the survival subpackage: errors, maximum likelihood, result objects.

Every customer-base model declares only its mathematics (a vectorised log-likelihood, optionally
its gradient); :func:`maximise` does the optimisation on the log scale of the (positive)
parameters, checks convergence and computes standard errors from the observed information (the
Hessian of the negative log-likelihood at the optimum, by central differences of the gradient).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

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


def _hessian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Hessian by central differences of ``grad`` with relative steps, symmetrised."""
    k = len(x)
    h = 1e-5 * np.maximum(np.abs(x), 1e-3)
    out = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        out[:, j] = (grad(x + e) - grad(x - e)) / (2 * h[j])
    return 0.5 * (out + out.T)


def _numeric_grad(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference gradient with relative steps."""
    k = len(x)
    h = 1e-6 * np.maximum(np.abs(x), 1e-2)
    g = np.empty(k)
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        g[j] = (f(x + e) - f(x - e)) / (2 * h[j])
    return g


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
        return value(theta), _numeric_grad(value, theta)

    def grad_nat(theta: np.ndarray) -> np.ndarray:
        return both(theta)[1]

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):  # a step too far overflows: refused just below
            theta = np.exp(z)
            ll0, g0 = both(theta)
            ll = ll0 - penalizer * float(np.sum(theta**2))
            g = (g0 - 2 * penalizer * theta) * theta
        if not np.isfinite(ll) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(z)
        return -ll * scale, -g * scale

    res = optimize.minimize(
        objective, np.log(x0), jac=True, method="BFGS",
        options={"maxiter": maxiter, "gtol": 1e-8},
    )
    with np.errstate(all="ignore"):  # a non-finite optimum is a ConvergenceError below
        theta = np.exp(res.x)
        ll, g = both(theta)
        g = g - 2 * penalizer * theta
    gnorm = float(np.max(np.abs(g * theta))) * scale
    ok = np.isfinite(ll) and np.all(np.isfinite(theta)) and gnorm < 1e-4
    if not ok:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, theta, strict=True))
        raise ConvergenceError(
            f"{model}: maximum likelihood did not converge ({res.message}; log-likelihood "
            f"{ll:.6g}, largest scaled gradient {gnorm:.2g} at {shown}). {_REMEDIES}"
        )

    def pen_grad(t: np.ndarray) -> np.ndarray:
        return grad_nat(t) - 2 * penalizer * t

    with np.errstate(all="ignore"):
        info = -_hessian(pen_grad, theta)
    shown = ", ".join(f"{k}={v:.4g}" for k, v in zip(names, theta, strict=True))
    try:
        cov = np.linalg.inv(info)
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        raise ConvergenceError(
            f"{model}: the information matrix is singular or not positive definite at {shown}: "
            "the data do not identify the parameters (estimates run to the boundary of the "
            f"parameter space). {_REMEDIES}"
        ) from None
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
        n_iter=int(res.nit),
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
