"""Accuracy of survival predictions: Brier score, integrated Brier score, concordance.

All take the observed outcomes of a *test* set (duration and event flag) and the model's
predictions for it; the censoring distribution for inverse-probability-of-censoring weights
(IPCW) is the Kaplan-Meier estimate of *censoring* on a *training* set (pass the test set again
when there is no separate one). Censoring is assumed independent of the covariates.

* :func:`brier_score`: at each time ``t``, the weighted mean of ``S_i(t)^2`` over customers with
  the event by ``t`` (weight ``1/G(T_i)``) and ``(1 - S_i(t))^2`` over customers still without
  it (weight ``1/G(t)``) (Graf, Schmoor, Sauerbrei & Schumacher 1999, Statistics in Medicine
  18, 2529-2545). ``G`` is right-continuous: censorings at ``T_i`` count, as in
  scikit-survival.
* :func:`integrated_brier_score`: the trapezoidal integral of the Brier score over ``times``
  divided by ``times[-1] - times[0]``.
* :func:`concordance_index_ipcw`: Uno's C for a risk score, weights ``1/G(T_i)^2``, optionally
  truncated at ``tau`` (Uno, Cai, Pencina, D'Agostino & Wei 2011, Statistics in Medicine 30,
  1105-1117).
* :func:`concordance_td`: Antolini's time-dependent concordance for predicted survival curves
  (Antolini, Boracchi & Biganzoli 2005, Statistics in Medicine 24, 3927-3944): of the comparable
  pairs (``T_i < T_j`` with an event at ``T_i``, or equal times with ``j`` censored), the share
  in which ``S_i(T_i) < S_j(T_i)``; ties in prediction count one half.

The first three reproduce ``sksurv.metrics`` (``brier_score``, ``integrated_brier_score``,
``concordance_index_ipcw``) to machine precision (see the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass
from cjmodels.survival._frames import check_durations

__all__ = [
    "Concordance",
    "brier_score",
    "concordance_index_ipcw",
    "concordance_td",
    "integrated_brier_score",
]

_CHUNK = 2048


def _outcomes(data: pd.DataFrame, duration: str, event: str, name: str
              ) -> tuple[np.ndarray, np.ndarray]:
    d = check_durations(data, duration=duration, event=event, name=name)
    return d[duration].to_numpy(float), d[event].to_numpy(np.int64) == 1


class _Censoring:
    """Kaplan-Meier estimate of the censoring distribution G(t) = P(C > t)."""

    def __init__(self, t: np.ndarray, e: np.ndarray) -> None:
        u, inv = np.unique(t, return_inverse=True)
        n_at = np.bincount(inv, minlength=u.size)[::-1].cumsum()[::-1].astype(float)
        d = np.bincount(inv[e], minlength=u.size).astype(float)
        c = np.bincount(inv[~e], minlength=u.size).astype(float)
        risk = n_at - d  # events at t leave before the censorings at t
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(c > 0, 1.0 - c / risk, 1.0)
        self.times = u
        self.surv = np.cumprod(fac)

    def __call__(self, t: np.ndarray, what: str) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.surv[-1] > 0 and np.any(t > self.times[-1]):
            raise ValidationError(
                f"{what} go beyond the last training time {self.times[-1]:g}, where the "
                "censoring distribution is unknown; choose times within the follow-up of the "
                "training data.")
        idx = np.searchsorted(self.times, t, side="right") - 1
        g = np.where(idx >= 0, self.surv[np.maximum(idx, 0)], 1.0)
        g = np.where(t > self.times[-1], 0.0, g)
        return g


def _prepare(train, test, duration, event):
    t_tr, e_tr = _outcomes(train, duration, event, "train")
    t_te, e_te = _outcomes(test, duration, event, "test")
    return _Censoring(t_tr, e_tr), t_te, e_te


def _survival_matrix(survival: Any, n: int, times: np.ndarray) -> np.ndarray:
    s = survival.to_numpy(float) if isinstance(survival, pd.DataFrame) else np.asarray(
        survival, dtype=float)
    if s.ndim == 1 and times.size == 1:
        s = s[:, None]
    if s.shape != (n, times.size):
        raise ValidationError(
            f"survival has shape {s.shape}; expected (rows of test, len(times)) == "
            f"({n}, {times.size}): one predicted survival probability per customer and time.")
    if not np.all(np.isfinite(s)) or np.any((s < 0) | (s > 1)):
        raise ValidationError("survival predictions must be probabilities in [0, 1].")
    return s


def _times(times: Any) -> np.ndarray:
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValidationError("times must be finite and strictly increasing.")
    return t


def brier_score(
    train: pd.DataFrame,
    test: pd.DataFrame,
    survival: Any,
    times: Sequence[float],
    *,
    duration: str = "duration",
    event: str = "event",
) -> pd.Series:
    """IPCW Brier score of predicted survival probabilities at each of ``times``.

    Parameters
    ----------
    train : pandas.DataFrame
        Outcomes used to estimate the censoring distribution.
    test : pandas.DataFrame
        Outcomes of the customers whose survival was predicted.
    survival : array-like or DataFrame, shape (len(test), len(times))
        Predicted ``S_i(t)`` (e.g. ``model.predict_survival(test, times)``).
    times : sequence of float
        Increasing times within the training follow-up.
    duration : str, default "duration"
        Column of times in ``train`` and ``test``.
    event : str, default "event"
        Column of event flags in ``train`` and ``test``.

    Returns
    -------
    pandas.Series
        Brier score indexed by time (0 is perfect; 0.25 is a constant prediction of 1/2).

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.0, 2, 3, 4], "event": [1, 1, 0, 1]})
    >>> brier_score(d, d, np.full((4, 1), 0.5), [2.5]).round(4).tolist()
    [0.25]
    """
    g, t, e = _prepare(train, test, duration, event)
    tm = _times(times)
    s = _survival_matrix(survival, t.size, tm)
    g_ti = np.ones_like(t)
    if e.any():
        g_ti[e] = g(t[e], "test event times")
    g_t = g(tm, "times")
    if np.any(g_ti[e] <= 0) or np.any(g_t <= 0):
        raise ValidationError("the censoring distribution is 0 at some times; use earlier times.")
    case = (t[:, None] <= tm[None, :]) & e[:, None]
    control = t[:, None] > tm[None, :]
    bs = np.mean(s**2 * case / g_ti[:, None] + (1 - s) ** 2 * control / g_t[None, :], axis=0)
    return pd.Series(bs, index=pd.Index(tm, name="time"), name="brier")


def integrated_brier_score(
    train: pd.DataFrame,
    test: pd.DataFrame,
    survival: Any,
    times: Sequence[float],
    *,
    duration: str = "duration",
    event: str = "event",
) -> float:
    """Integrated Brier score: the trapezoidal mean of :func:`brier_score` over ``times``.

    Parameters
    ----------
    train : pandas.DataFrame
        Outcomes used to estimate the censoring distribution.
    test : pandas.DataFrame
        Outcomes of the customers whose survival was predicted.
    survival : array-like or DataFrame, shape (len(test), len(times))
        Predicted ``S_i(t)``.
    times : sequence of float
        At least two increasing times within the training follow-up.
    duration : str, default "duration"
        Column of times.
    event : str, default "event"
        Column of event flags.

    Returns
    -------
    float
        The integral of the Brier score over ``[times[0], times[-1]]`` divided by its length.

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.0, 2, 3, 4], "event": [1, 1, 0, 1]})
    >>> round(integrated_brier_score(d, d, np.full((4, 2), 0.5), [1.5, 2.5]), 4)
    0.25
    """
    tm = _times(times)
    if tm.size < 2:
        raise ValidationError("integrated_brier_score needs at least two times.")
    bs = brier_score(train, test, survival, tm, duration=duration, event=event).to_numpy()
    return float(np.trapezoid(bs, tm) / (tm[-1] - tm[0]))


@result_dataclass
class Concordance(Result):
    """Uno's IPCW concordance of a risk score, with its pair counts.

    Attributes
    ----------
    cindex : float
        The concordance index (1: perfect ranking, 1/2: random).
    concordant : int
        Comparable pairs ranked right (higher risk, earlier event).
    discordant : int
        Comparable pairs ranked wrong.
    tied_risk : int
        Comparable pairs with tied risk scores (counted one half).
    tied_time : int
        Pairs of an event with a censoring at the same time.
    tau : float or None
        The truncation time (only events before it compared), if any.

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.0, 2, 3, 4], "event": [1, 1, 0, 1]})
    >>> concordance_index_ipcw(d, d, [4, 3, 2, 1])
    Concordance(cindex=1, concordant=5, discordant=0, tied_risk=0, tied_time=0)
    """

    cindex: float
    concordant: int
    discordant: int
    tied_risk: int
    tied_time: int
    tau: float | None = None


def _comparable_pairs(t: np.ndarray, e: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Boolean matrix (rows x all): j is comparable with event i (T_i < T_j, or equal times
    with j censored)."""
    ti = t[rows][:, None]
    return e[rows][:, None] & ((t[None, :] > ti) | ((t[None, :] == ti) & ~e[None, :]))


def concordance_index_ipcw(
    train: pd.DataFrame,
    test: pd.DataFrame,
    risk: Any,
    *,
    tau: float | None = None,
    duration: str = "duration",
    event: str = "event",
    tied_tol: float = 1e-8,
) -> Concordance:
    """Uno's IPCW concordance of a risk score (higher risk, earlier event).

    As ``sksurv.metrics.concordance_index_ipcw``. Time and memory grow as ``n_test^2`` (in
    blocks).

    Parameters
    ----------
    train : pandas.DataFrame
        Outcomes used to estimate the censoring distribution.
    test : pandas.DataFrame
        Outcomes of the customers who were scored.
    risk : array-like of float
        One risk score per row of ``test`` (e.g. a Cox linear predictor).
    tau : float, optional
        Truncation time: only events before ``tau`` are compared.
    duration : str, default "duration"
        Column of times.
    event : str, default "event"
        Column of event flags.
    tied_tol : float, default 1e-8
        Risk scores closer than this count as tied.

    Returns
    -------
    Concordance
        ``cindex`` and the pair counts.

    Raises
    ------
    ValidationError
        If ``risk`` has the wrong length or non-finite values, or no pair is comparable.

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.0, 2, 3, 4], "event": [1, 1, 0, 1]})
    >>> concordance_index_ipcw(d, d, [4, 3, 2, 1]).cindex
    1.0
    """
    g, t, e = _prepare(train, test, duration, event)
    r = np.asarray(risk, dtype=float).reshape(-1)
    if r.size != t.size or not np.all(np.isfinite(r)):
        raise ValidationError(f"risk needs {t.size} finite values, one per test customer.")
    use = e.copy()
    if tau is not None:
        use &= t < tau
    w = np.zeros_like(t)
    if use.any():
        w[use] = 1.0 / g(t[use], "test event times") ** 2
    ev_rows = np.flatnonzero(e)
    num = den = 0.0
    conc = disc = ties = tied_time = 0
    for k in range(0, ev_rows.size, _CHUNK):
        rows = ev_rows[k : k + _CHUNK]
        comp = _comparable_pairs(t, e, rows)
        diff = r[rows][:, None] - r[None, :]
        tie = comp & (np.abs(diff) <= tied_tol)
        con = comp & (diff > 0) & ~tie
        n_comp = comp.sum(axis=1)
        n_con, n_tie = con.sum(axis=1), tie.sum(axis=1)
        num += float(w[rows] @ (n_con + 0.5 * n_tie))
        den += float(w[rows] @ n_comp)
        conc += int(n_con.sum())
        ties += int(n_tie.sum())
        disc += int((n_comp - n_con - n_tie).sum())
        tied_time += int((comp & (t[None, :] == t[rows][:, None])).sum())
    if conc + disc + ties == 0 or den == 0:
        raise ValidationError("the test data have no comparable pairs (no event before another "
                              "customer's exit).")
    return Concordance(cindex=num / den, concordant=conc, discordant=disc, tied_risk=ties,
                       tied_time=tied_time, tau=None if tau is None else float(tau))


def concordance_td(
    data: pd.DataFrame,
    survival: pd.DataFrame,
    *,
    duration: str = "duration",
    event: str = "event",
) -> float:
    """Antolini's time-dependent concordance of predicted survival curves.

    Parameters
    ----------
    data : pandas.DataFrame
        Observed outcomes (duration and event flag) of the customers whose survival was
        predicted.
    survival : pandas.DataFrame
        Predicted survival, one row per customer of ``data`` and one column per time of an increasing
        grid (e.g. ``model.predict_survival(test, grid)``); ``S_k(T_i)`` is read as a step
        function (the value at the last grid time ``<= T_i``; 1 before the first).
    duration : str, default "duration"
        Column of times.
    event : str, default "event"
        Column of event flags.

    Returns
    -------
    float
        The share of comparable pairs ranked right (1: perfect, 1/2: random).

    Examples
    --------
    >>> d = pd.DataFrame({"duration": [1.0, 2, 3], "event": [1, 1, 0]})
    >>> s = pd.DataFrame([[0.2, 0.1], [0.6, 0.3], [0.9, 0.8]], columns=[1.0, 2.0])
    >>> concordance_td(d, s)
    1.0
    """
    t, e = _outcomes(data, duration, event, "data")
    if not isinstance(survival, pd.DataFrame):
        raise ValidationError("survival must be a DataFrame with one column per time.")
    grid = _times(survival.columns.to_numpy(dtype=float))
    s = _survival_matrix(survival, t.size, grid)
    idx = np.searchsorted(grid, t, side="right") - 1
    num = 0.0
    n = 0
    ev_rows = np.flatnonzero(e)
    for k in range(0, ev_rows.size, _CHUNK):
        rows = ev_rows[k : k + _CHUNK]
        comp = _comparable_pairs(t, e, rows)
        col = idx[rows]
        s_at = np.where(col[:, None] >= 0, s[:, np.maximum(col, 0)].T, 1.0)  # S_j(T_i)
        own = s_at[np.arange(rows.size), rows][:, None]  # S_i(T_i)
        num += float(((own < s_at) & comp).sum() + 0.5 * ((own == s_at) & comp).sum())
        n += int(comp.sum())
    if n == 0:
        raise ValidationError("the test data have no comparable pairs.")
    return num / n
