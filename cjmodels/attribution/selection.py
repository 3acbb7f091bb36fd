"""Choosing the Markov order by cross-validated prediction of conversion on held-out journeys.

Journeys (not paths) are split into folds: each path's conversion and null counts are thinned
multinomially, so every journey lands in one fold. For each order the chain is fitted on the
other folds, and each held-out journey's conversion is predicted from its last state:
``P(conversion | the walk ends at s) = conv_s / (conv_s + null_s)``, shrunk towards the training
conversion rate with ``prior`` pseudo-journeys (states never seen in training get the rate).
The score is the held-out log-loss (lower is better) with its standard error across folds, and
the held-out AUC. The in-sample AUC is reported too: it always grows with the order, which is why
it must not be used to choose one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels.attribution._data import AttributionData, attribution_data
from cjmodels.attribution.markov import _encode_states
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["OrderCrossValidation", "cross_validate_order"]


@result_dataclass
class OrderCrossValidation(Result):
    """Cross-validated scores per Markov order of the attribution chain
    (:func:`cross_validate_order`).

    Attributes
    ----------
    table : pandas.DataFrame
        Per order: ``log_loss`` (held-out, mean over folds), ``log_loss_se``, ``auc``
        (held-out), ``in_sample_log_loss``, ``in_sample_auc``, ``n_states``.
    best_order : int
        Order with the lowest held-out log-loss.
    one_se_order : int
        Smallest order within one standard error of the best (a more conservative choice).
    params : dict
        The settings (``orders``, ``n_splits``, ``collapse_repeats``, ``prior``).
    notes : tuple of str
        Why a score is undefined (NaN): folds without held-out journeys, or held-out journeys
        of one outcome only (no AUC).

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"path": ["a > b", "b > a", "a", "b > b"],
    ...                    "total_conversions": [30, 5, 10, 20], "total_null": [70, 95, 90, 80]})
    >>> cv = cross_validate_order(pt, orders=(1, 2), random_state=0)
    >>> cv
    OrderCrossValidation(best_order=2, one_se_order=1, orders=(1, 2))
    >>> list(cv.summary().columns[:3])
    ['order', 'log_loss', 'log_loss_se']
    """

    table: pd.DataFrame
    best_order: int
    one_se_order: int
    params: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def _repr_fields(self) -> dict[str, Any]:
        return {"best_order": self.best_order, "one_se_order": self.one_se_order,
                "orders": tuple(int(k) for k in self.table.index)}

    def _summary(self) -> pd.DataFrame:
        return self.table.reset_index()

    def _to_dict(self) -> dict[str, Any]:
        return {
            "best_order": self.best_order,
            "one_se_order": self.one_se_order,
            "table": self.table,
            "params": self.params,
            "notes": list(self.notes),
        }

    def _plot(self, ax: Any) -> None:
        """Held-out log-loss (with its standard error) and in-sample log-loss by order."""
        t = self.table
        ax.errorbar(t.index, t["log_loss"], yerr=t["log_loss_se"], marker="o",
                    label="held-out")
        ax.plot(t.index, t["in_sample_log_loss"], marker="s", ls="--", label="in-sample")
        ax.set(xlabel="Markov order", ylabel="log-loss of conversion", xticks=list(t.index))
        ax.legend()


def _weighted_auc(p: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    """AUC with journeys weighted: P(score of a converter > score of a non-converter)."""
    order = np.argsort(p, kind="stable")
    p, pos, neg = p[order], pos[order], neg[order]
    uniq, inv = np.unique(p, return_inverse=True)
    P = np.bincount(inv, weights=pos)
    N = np.bincount(inv, weights=neg)
    below = np.cumsum(N) - N
    tot = P.sum() * N.sum()
    return float(((P * (below + 0.5 * N)).sum()) / tot) if tot > 0 else float("nan")


def _scores(enc: Any, data: AttributionData, train: np.ndarray, test: np.ndarray, prior: float):
    conv = data.converted
    S = enc.n_states
    ls = enc.last_state
    c = np.bincount(ls, weights=np.where(conv, train, 0.0), minlength=S)
    n = np.bincount(ls, weights=train, minlength=S)
    rate = float(train[conv].sum() / train.sum())
    p = (c + prior * rate) / (n + prior)
    pr = np.clip(p[ls], 1e-12, 1 - 1e-12)
    pos = np.where(conv, test, 0.0)
    neg = np.where(conv, 0.0, test)
    ll = -float((pos * np.log(pr) + neg * np.log1p(-pr)).sum() / test.sum())
    return ll, _weighted_auc(pr, pos, neg)


def cross_validate_order(
    data: Any,
    orders: Sequence[int] = (1, 2, 3, 4),
    *,
    n_splits: int = 5,
    collapse_repeats: bool = False,
    prior: float = 1.0,
    random_state: int | np.random.Generator | None = None,
    **options: Any,
) -> OrderCrossValidation:
    """Choose the Markov order of :class:`MarkovAttribution` by held-out prediction of
    conversion (k-fold cross-validation over journeys).

    Unlike :func:`cjmodels.markov.select_order` (information criteria of a stage chain fitted
    once), every order is scored here on journeys its chain has not seen.

    Parameters
    ----------
    data : event log, path table or AttributionData
        See :func:`attribution_data`.
    orders : sequence of int, default (1, 2, 3, 4)
        The Markov orders to score (each at least 1).
    n_splits : int, default 5
        Folds of journeys (at least 2). Every journey is held out once.
    collapse_repeats : bool, default False
        As in :class:`MarkovAttribution`. The scores use only a journey's last state, which
        merging repeated states does not change, so the scores are the same either way.
    prior : float, default 1.0
        Pseudo-journeys shrinking each state's conversion share towards the training
        conversion rate (positive).
    random_state : int, Generator or None, default None
        Seed of the fold assignment; all orders are scored on the same folds.
    **options
        Options of :func:`attribution_data` (column names, ``timeout``, ...).

    Returns
    -------
    OrderCrossValidation
        The held-out log-loss (with its standard error over folds) and AUC, the in-sample
        scores and the number of states per order; ``best_order`` minimises the held-out
        log-loss, ``one_se_order`` is the smallest order within one standard error of it.

    Raises
    ------
    cjmodels.errors.ValidationError
        When there are no non-converting journeys, the journey counts are not whole numbers,
        or the journeys are too few for ``n_splits`` folds.

    Examples
    --------
    >>> from cjmodels.datasets import load_journeys
    >>> cv = cross_validate_order(load_journeys().event_log(), orders=(1, 2), random_state=0)
    >>> cv.best_order in (1, 2)
    True
    """
    if not isinstance(data, AttributionData):
        data = attribution_data(data, **options)
    check_scalar(n_splits, "n_splits", typ=int, ge=2)
    check_scalar(prior, "prior", typ=float, gt=0)
    orders = [int(check_scalar(k, "order", typ=int, ge=1)) for k in orders]
    if not data.has_null:
        raise ValidationError("order selection needs non-converting journeys (null counts).")
    w = data.journeys.weight
    wi = np.round(w).astype(np.int64)
    if not np.allclose(w, wi):
        raise ValidationError("cross-validation splits journeys: the counts must be integers.")
    rng = as_generator(random_state)
    folds = np.stack([rng.multinomial(k, np.full(n_splits, 1.0 / n_splits)) for k in wi])
    # a fold is scored when it holds journeys and the other folds do too
    scored = [f for f in range(n_splits)
              if folds[:, f].sum() > 0 and (wi - folds[:, f]).sum() > 0]
    if not scored:
        raise ValidationError(
            f"{int(wi.sum())} journeys are too few for {n_splits}-fold cross-validation: no fold "
            "has held-out journeys and training journeys both; pass fewer n_splits or more data."
        )
    notes = []
    if len(scored) < n_splits:
        notes.append(f"{n_splits - len(scored)} of {n_splits} folds held no journeys (or all of "
                     "them) and were not scored.")
    if len(scored) < 2:
        notes.append("log_loss_se is undefined (NaN): fewer than two folds were scored.")
    rows = []
    for k in orders:
        enc = _encode_states(data, k, collapse_repeats)
        ll, auc = [], []
        for f in scored:
            test = folds[:, f].astype(float)
            train = w - test
            a, b = _scores(enc, data, train, test, prior)
            ll.append(a)
            auc.append(b)
        ins_ll, ins_auc = _scores(enc, data, w, w, prior)
        ok_auc = [x for x in auc if not np.isnan(x)]
        rows.append({
            "order": k,
            "log_loss": float(np.mean(ll)),
            "log_loss_se": (float(np.std(ll, ddof=1) / np.sqrt(len(ll))) if len(ll) > 1
                            else float("nan")),
            "auc": float(np.mean(ok_auc)) if ok_auc else float("nan"),
            "in_sample_log_loss": ins_ll,
            "in_sample_auc": ins_auc,
            "n_states": enc.n_states,
        })
    table = pd.DataFrame(rows).set_index("order")
    best = int(table["log_loss"].idxmin())
    se = table.loc[best, "log_loss_se"]
    limit = table.loc[best, "log_loss"] + (se if np.isfinite(se) else 0.0)
    one_se = int(table.index[table["log_loss"] <= limit].min())
    params = {"orders": orders, "n_splits": n_splits, "collapse_repeats": collapse_repeats,
              "prior": prior}
    if table["auc"].isna().any():
        notes.append("auc is undefined (NaN) where every held-out fold has journeys of one "
                     "outcome only (all converting or none).")
    return OrderCrossValidation(table, best, one_se, params, tuple(notes))
