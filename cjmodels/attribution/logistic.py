"""Bagged logistic regression attribution (after Shao & Li, KDD 2011).

Each journey is a row of channel exposures (touch counts, or 0/1 indicators as in Shao & Li);
conversion is regressed on them by L2-penalised logistic regression (scikit-learn), many times on
random halves of the journeys and random subsets of the channels, and the coefficients are
averaged (a channel's coefficient over the bags that included it). Credit: the model's removal
effect of each channel, ``RE_c = sum_j n_j (p(x_j) - p(x_j without c)) / sum_j n_j p(x_j)`` over
all journeys ``j`` (``n_j`` journeys with exposures ``x_j``): the share of predicted conversions
that would be lost without the channel. Conversions and value are split in proportion to the
positive removal effects.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from cjmodels._checks import as_generator, check_scalar
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData
from cjmodels.errors import ValidationError

__all__ = ["LogisticAttribution", "exposure_matrix"]


def exposure_matrix(data: AttributionData, features: str = "counts") -> np.ndarray:
    """Touches per channel (``counts``) or 0/1 exposure (``binary``) of every row.

    The design matrix of :class:`LogisticAttribution`.

    Parameters
    ----------
    data : AttributionData
        The journeys (:func:`attribution_data`).
    features : {"counts", "binary"}, default "counts"
        ``counts``: how many touches of each channel the row's path has; ``binary``: 1 when
        the channel appears in the path at all (Shao & Li's coding), else 0.

    Returns
    -------
    numpy.ndarray
        Shape (rows of ``data``, channels), floats; columns in the order of
        ``data.channels``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import attribution_data
    >>> d = attribution_data(pd.DataFrame({"path": ["a > b > a"], "total_conversions": [1],
    ...                                     "total_null": [0]}))
    >>> exposure_matrix(d).tolist()
    [[2.0, 1.0]]
    """
    check_scalar(features, "features", in_=("counts", "binary"))
    js = data.journeys
    X = np.zeros((js.n, len(js.labels)))
    np.add.at(X, (np.repeat(np.arange(js.n), js.lengths), js.symbols), 1.0)
    return (X > 0).astype(float) if features == "binary" else X


class LogisticAttribution(AttributionModel):
    """Bagged logistic regression attribution.

    Parameters
    ----------
    n_estimators : int, default 30
        Number of bags (regressions averaged). Bags whose journeys are all of one outcome are
        skipped.
    sample_fraction : float, default 0.5
        Share of journeys drawn for each bag, without replacement (multivariate
        hypergeometric thinning of the journey counts; the counts must be whole numbers).
    feature_fraction : float, default 1.0
        Share of channels in each bag (at least one); a channel's coefficient is averaged over
        the bags that included it.
    features : {"counts", "binary"}, default "counts"
        Exposure coding, see :func:`exposure_matrix`.
    C : float, default 1.0
        Inverse L2 penalty of scikit-learn's ``LogisticRegression`` (larger: weaker penalty).
    random_state : int, Generator or None, default None
        Seed of the bags (journeys and channels drawn). One seed is drawn from it at ``fit``
        and reused for every bootstrap replicate, so replicates differ only by their data.

    Notes
    -----
    A channel's removal effect here is the share of predicted conversions lost when its
    exposures are set to 0, ``RE_c = sum_j n_j (p(x_j) - p(x_j without c)) / sum_j n_j
    p(x_j)``; conversions and value are split in proportion to the positive removal effects
    (a channel with a negative coefficient gets no credit). ``result_.table`` also has each
    channel's averaged ``coefficient``. Fitting needs non-converting journeys.

    References
    ----------
    Shao, X. and Li, L. (2011). Data-driven multi-touch attribution models. *Proceedings of
    the 17th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining*,
    258-264.

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"path": ["a > b", "b", "a", "c"], "total_conversions": [30, 10, 20, 1],
    ...                    "total_null": [70, 90, 80, 99]})
    >>> res = LogisticAttribution(n_estimators=5, random_state=0).fit(pt).result_
    >>> res.table["conversions"].round(1).tolist()
    [34.8, 26.2, 0.0]
    """

    name = "logistic"

    def __init__(
        self,
        n_estimators: int = 30,
        *,
        sample_fraction: float = 0.5,
        feature_fraction: float = 1.0,
        features: str = "counts",
        C: float = 1.0,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.sample_fraction = sample_fraction
        self.feature_fraction = feature_fraction
        self.features = features
        self.C = C
        self.random_state = random_state

    def _prepare(self, data: AttributionData) -> Any:
        check_scalar(self.n_estimators, "n_estimators", typ=int, ge=1)
        check_scalar(self.sample_fraction, "sample_fraction", typ=float, gt=0, le=1)
        check_scalar(self.feature_fraction, "feature_fraction", typ=float, gt=0, le=1)
        check_scalar(self.C, "C", typ=float, gt=0)
        if not data.has_null:
            raise ValidationError(
                "logistic attribution needs non-converting journeys (null counts) to contrast "
                "with the converting ones."
            )
        w = data.journeys.weight
        if not np.array_equal(w, np.round(w)):
            raise ValidationError(
                "logistic attribution draws whole journeys for its bags, but some journey "
                "counts (total_conversions / total_null) are not whole numbers; round them, or "
                "use a model that takes weights (markov, shapley, the heuristics)."
            )
        X = exposure_matrix(data, self.features)
        # one row per distinct (exposures, outcome), in sorted order: the bags, and so the
        # result, do not depend on the order or the grouping of the input rows (a log's cells
        # and its path table's rows give the same fit)
        Xy = np.column_stack([X, data.converted.astype(float)])
        uniq, inv = np.unique(Xy, axis=0, return_inverse=True)
        seed = int(as_generator(self.random_state).integers(2**63))
        return {"X": uniq[:, :-1], "y": uniq[:, -1].astype(int), "group": inv.ravel(),
                "seed": seed}

    def _coefficients(self, X: np.ndarray, y: np.ndarray, weight: np.ndarray, seed: int):
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(seed)
        C = X.shape[1]
        coef_sum = np.zeros(C)
        coef_n = np.zeros(C)
        b0 = []
        n_feat = max(1, int(round(self.feature_fraction * C)))
        total = int(round(weight.sum()))
        counts = np.round(weight).astype(np.int64)
        for _ in range(self.n_estimators):
            # journeys without replacement: multivariate hypergeometric thinning of the counts
            # (numpy's sampler takes fewer than 1e9 journeys; beyond, independent binomial
            # thinning, which differs from it by a relative O(1 / sqrt(N)))
            k = max(1, int(round(self.sample_fraction * total)))
            if total < 10**9:
                w = rng.multivariate_hypergeometric(counts, k).astype(float)
            else:
                w = rng.binomial(counts, k / total).astype(float)
            cols = np.sort(rng.choice(C, n_feat, replace=False))
            keep = w > 0
            yk = y[keep]
            if yk.min() == yk.max():  # one class only in this bag
                continue
            lr = LogisticRegression(C=self.C, max_iter=1000, tol=1e-6)
            lr.fit(X[keep][:, cols], yk, sample_weight=w[keep])
            coef_sum[cols] += lr.coef_[0]
            coef_n[cols] += 1
            b0.append(lr.intercept_[0])
        if not b0:
            raise ValidationError("no bag had both converting and non-converting journeys.")
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = np.where(coef_n > 0, coef_sum / np.where(coef_n > 0, coef_n, 1), 0.0)
        return float(np.mean(b0)), coef

    def _compute(self, state: dict[str, Any], weight: np.ndarray) -> dict[str, Any]:
        data = self._data
        X, y = state["X"], state["y"]
        wg = np.bincount(state["group"], weights=weight, minlength=len(y))
        b0, coef = self._coefficients(X, y, wg, state["seed"])
        eta = b0 + X @ coef
        p = expit(eta)
        lost = p[:, None] - expit(eta[:, None] - X * coef[None, :])
        expected = float((wg * p).sum())
        re = (wg[:, None] * lost).sum(axis=0) / expected
        conv = data.converted
        tc = float(weight[conv].sum())
        w0 = data.journeys.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
        tv = float((data.journeys.value * ratio)[conv].sum())
        pos = np.clip(re, 0.0, None)
        if not pos.sum() > 0:  # a replicate that raises this is skipped (and counted)
            raise ValidationError(
                "the logistic model gives no channel a positive removal effect (no channel "
                "raises the predicted conversion), so there is no basis to split the "
                f"{tc:g} conversions; use more data, features='binary', or another model."
            )
        share = pos / pos.sum()
        out: dict[str, Any] = {
            "removal_effect": re,
            "columns": {"coefficient": coef},
            "conversions": share * tc,
            "value": share * tv,
        }
        if weight is data.journeys.weight:
            out["info"] = {"intercept": b0, "features": self.features}
        return out
