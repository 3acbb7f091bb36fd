"""Maximum likelihood with observed information, and central-difference derivatives.

The one optimiser and the one numeric-derivative routine of the package (a shared helper: the
capabilities import it, it imports none of them).

* :func:`central_differences` -- the gradient of a scalar function or the Jacobian of a vector
  function by central differences, through statsmodels' ``approx_fprime(centered=True)``. The
  step of each coordinate is ``rel_step * max(|x|, min_scale)``: every model keeps its own
  ``rel_step`` and ``min_scale`` (customer-base and cure models ``1e-5``/``1e-3`` for the
  Hessian, ``1e-6``/``1e-2`` for a numeric gradient; panel multi-state models ``1e-4``/``1``),
  so the numbers are those the package gave before the routines were merged.
* :func:`complex_step` -- derivatives by the complex step ``Im f(x + i h e_j) / h`` (exact to
  rounding; for functions that let complex numbers pass through: markov's delta-method
  standard errors), through statsmodels' ``approx_fprime_cs``.
* :func:`observed_information` -- minus the symmetrised Jacobian of the gradient of a
  log-likelihood: the observed information.
* :func:`maximum_likelihood` -- BFGS on the log-likelihood (optionally on the log scale of
  positive parameters, with a ridge penalty), the gradient and the observed information at the
  optimum, in a :class:`MaximumLikelihood`. Models keep their own convergence rules and
  messages (what a good fit is differs by model); the arithmetic is here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from statsmodels.tools.numdiff import approx_fprime, approx_fprime_cs

__all__ = [
    "MaximumLikelihood",
    "central_differences",
    "complex_step",
    "covariance",
    "maximum_likelihood",
    "observed_information",
    "relative_steps",
]


def relative_steps(x: Any, rel_step: float, min_scale: float) -> np.ndarray:
    """Steps ``rel_step * max(|x|, min_scale)``, one per coordinate of ``x``.

    Examples
    --------
    >>> relative_steps([0.0, 5.0], 1e-4, 1.0).tolist()
    [0.0001, 0.0005]
    """
    return rel_step * np.maximum(np.abs(np.asarray(x, dtype=float)), min_scale)


def central_differences(
    f: Callable[[np.ndarray], Any], x: Any, *, rel_step: float, min_scale: float
) -> np.ndarray:
    """Central-difference Jacobian of ``f`` at ``x``: ``(f(x + h e_j) - f(x - h e_j)) / 2h``.

    statsmodels' ``approx_fprime(centered=True)`` with the steps of :func:`relative_steps`.
    Returns shape ``(m, k)`` for ``f`` of ``m`` values and ``k`` parameters, column ``j`` the
    derivative in ``x_j``; a scalar ``f`` gives one row, its gradient.

    Examples
    --------
    >>> g = central_differences(lambda v: v[0] ** 2 + 3 * v[1], [1.0, 2.0], rel_step=1e-6,
    ...                         min_scale=1e-2)
    >>> g.round(6).tolist()
    [[2.0, 3.0]]
    """
    x = np.asarray(x, dtype=float)
    k = len(x)
    h = relative_steps(x, rel_step, min_scale)
    # statsmodels halves the step of a centred difference: pass 2h to step by h exactly
    out = np.asarray(approx_fprime(x, f, epsilon=2.0 * h, centered=True), dtype=float)
    return out.reshape(out.size // k, k)


def complex_step(f: Callable[[np.ndarray], Any], x: Any, *, step: float = 1e-30) -> np.ndarray:
    """Derivatives of ``f`` at real ``x`` by the complex step, ``Im f(x + i h e_j) / h``.

    statsmodels' ``approx_fprime_cs`` with step ``h``. ``f`` must let complex numbers pass
    through (no ``abs``, no comparisons on its input). Returns shape ``(k, m)``: row ``j`` the
    derivative in ``x_j`` of the ``m`` values of ``f`` (raveled).

    Examples
    --------
    >>> complex_step(lambda v: np.array([v[0] ** 2, v[0] * v[1]]), [3.0, 2.0]).tolist()
    [[6.0, 2.0], [0.0, 3.0]]
    """
    x = np.asarray(x, dtype=float)
    out = np.asarray(approx_fprime_cs(x, lambda v: np.ravel(f(v)), epsilon=step), dtype=float)
    return out.T.reshape(len(x), -1)


def observed_information(
    grad: Callable[[np.ndarray], np.ndarray], x: Any, *, rel_step: float = 1e-5,
    min_scale: float = 1e-3,
) -> np.ndarray:
    """Observed information: minus the symmetrised Jacobian of the log-likelihood's gradient.

    Examples
    --------
    >>> info = observed_information(lambda v: np.array([-2.0 * v[0], -4.0 * v[1]]), [1.0, 1.0])
    >>> np.abs(info).round(6).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    jac = central_differences(grad, x, rel_step=rel_step, min_scale=min_scale)
    return -(0.5 * (jac + jac.T))


def covariance(information: np.ndarray) -> np.ndarray | None:
    """The inverse of the information, or ``None`` when it is singular or not positive.

    Examples
    --------
    >>> covariance(np.array([[4.0]])).tolist()
    [[0.25]]
    >>> covariance(np.array([[0.0, 0.0], [0.0, 1.0]])) is None
    True
    """
    try:
        cov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return None
    return cov


@dataclass(frozen=True)
class MaximumLikelihood:
    """What :func:`maximum_likelihood` found.

    Attributes
    ----------
    x : numpy.ndarray
        The estimates (natural scale).
    log_likelihood : float
        The log-likelihood at ``x``, without the penalty.
    gradient : numpy.ndarray
        The gradient of the penalised log-likelihood at ``x`` (natural scale).
    information : numpy.ndarray
        The observed information of the penalised log-likelihood at ``x``.
    n_iter : int
        Optimiser iterations.
    message : str
        The optimiser's message.

    Examples
    --------
    >>> fit = maximum_likelihood(lambda v: (-(v[0] - 2.0) ** 2, np.array([-2 * (v[0] - 2.0)])),
    ...                          [1.0])
    >>> round(float(fit.x[0]), 6), fit.information.round(6).tolist()
    (2.0, [[2.0]])
    """

    x: np.ndarray
    log_likelihood: float
    gradient: np.ndarray
    information: np.ndarray
    n_iter: int
    message: str


def maximum_likelihood(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: Sequence[float],
    *,
    log_scale: bool = False,
    penalizer: float = 0.0,
    scale: float = 1.0,
    gtol: float = 1e-8,
    maxiter: int = 1000,
    finite_only: bool = True,
    rel_step: float = 1e-5,
    min_scale: float = 1e-3,
) -> MaximumLikelihood:
    """Maximise a log-likelihood by BFGS; gradient and observed information at the optimum.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (log_likelihood, gradient)`` at natural parameters ``theta`` (a numeric
        gradient is :func:`central_differences`).
    x0 : sequence of float
        Starting values (natural scale; positive with ``log_scale``).
    log_scale : bool
        Optimise over ``log(theta)`` (positive parameters).
    penalizer : float
        Maximise ``log_likelihood - penalizer * sum(theta**2)`` (only with ``log_scale``).
    scale : float
        The objective is ``-log_likelihood * scale`` (e.g. one over the number of customers).
    gtol, maxiter
        BFGS options.
    finite_only : bool
        Refuse a step to a non-finite log-likelihood or gradient (the objective is then
        ``1e300``), so the line search steps back.
    rel_step, min_scale : float
        Steps of the observed information (:func:`central_differences`).

    Returns
    -------
    MaximumLikelihood

    Examples
    --------
    >>> fit = maximum_likelihood(lambda v: (-(v[0] - 2.0) ** 2, np.array([-2 * (v[0] - 2.0)])),
    ...                          [1.0], log_scale=True)
    >>> round(float(fit.x[0]), 6)
    2.0
    """
    if penalizer and not log_scale:
        raise ValueError("a penalizer applies to log-scale parameters only.")

    def penalised(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll0, g0 = fun(theta)
        return (float(ll0) - penalizer * float(np.sum(theta**2)),
                np.asarray(g0, dtype=float) - 2 * penalizer * theta)

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):  # a step too far overflows: refused just below
            if log_scale:
                theta = np.exp(z)
                ll, g = penalised(theta)
                g = g * theta
            else:
                ll, g = fun(z)
        if finite_only and (not np.isfinite(ll) or not np.all(np.isfinite(g))):
            return 1e300, np.zeros_like(z)
        return -ll * scale, -g * scale

    start = np.log(np.asarray(x0, dtype=float)) if log_scale else np.asarray(x0, dtype=float)
    with np.errstate(all="ignore"):  # scipy's line search meets the NaN of a step too far
        res = optimize.minimize(objective, start, jac=True, method="BFGS",
                                options={"maxiter": maxiter, "gtol": gtol})
    with np.errstate(all="ignore"):  # a non-finite optimum is the caller's error to raise
        theta = np.exp(res.x) if log_scale else res.x
        ll, g = fun(theta)
        g = np.asarray(g, dtype=float) - 2 * penalizer * theta
        info = observed_information(lambda t: penalised(t)[1], theta, rel_step=rel_step,
                                    min_scale=min_scale)
    return MaximumLikelihood(theta, float(ll), g, info, int(res.nit), str(res.message))
