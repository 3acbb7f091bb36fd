"""Attribution against a known truth: every method's credit versus true counterfactual effects.

Two worlds with known counterfactuals:

* the synthetic journey world (:func:`cjmodels.synthetic.simulate_journeys`), whose truth is each
  channel's removal effect in the observation window (the world re-simulated without the
  channel under common random numbers: its touches become silent baseline steps);
* :func:`logistic_world`, deliberately *not* Markov: conversion is logistic in the channel
  exposure counts of the journey, order plays no role, and some channels have no effect. The
  truth is the expected share of conversions lost when a channel's touches are deleted.

The comparison splits the truth into shares (``RE_c / sum RE``) and reports, per method, the
total-variation distance to them, the rank correlation, and the share of credit given to
channels whose true effect is zero, each with bootstrap intervals over journeys. Exactness with
respect to a fitted chain is not correctness with respect to the counterfactual: the table is
there to show where each method fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import spearmanr

from cjmodels._checks import as_generator, check_scalar
from cjmodels._progress import check_progress
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData, attribution_data
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = [
    "GroundTruthComparison",
    "LogisticWorld",
    "ground_truth_comparison",
    "logistic_world",
]


@result_dataclass
class LogisticWorld(Result):
    """Journeys whose conversion is logistic in channel exposure counts, with the truth.

    A simulated world, a :class:`~cjmodels.results.Result` like the worlds of
    :mod:`cjmodels.synthetic`: ``summary()`` is the truth per channel, ``to_dict()`` the
    parameters, the truth and the counts (without the paths), the repr one line.

    Attributes
    ----------
    paths : pandas.DataFrame
        ChannelAttribution layout (``path``, ``total_conversions``, ``total_null``,
        ``total_conversion_value``): the data to attribute.
    truth : pandas.DataFrame
        Per channel: ``coefficient``, ``removal_effect`` (expected share of conversions lost
        without the channel, given the simulated paths) and ``share``.
    params : dict
        The simulation's settings.

    Examples
    --------
    >>> w = logistic_world(2000, random_state=1)
    >>> w
    LogisticWorld(n_journeys=2000, channels=6, conversions=223)
    >>> w.summary().columns.tolist()
    ['channel', 'coefficient', 'removal_effect', 'share']
    """

    paths: pd.DataFrame
    truth: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_conversions(self) -> int:
        """Converting journeys."""
        return int(self.paths["total_conversions"].sum())

    def _repr_fields(self) -> dict[str, Any]:
        return {"n_journeys": self.params.get("n_journeys"), "channels": len(self.truth),
                "conversions": self.n_conversions}

    def _summary(self) -> pd.DataFrame:
        return self.truth.reset_index()

    def _to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "truth": self.truth, "n_paths": len(self.paths),
                "n_conversions": self.n_conversions}


#: Default channels and log-odds effects per touch of the logistic world; ``display`` and
#: ``social`` have no effect (but are frequent, and ``display`` comes early).
LOGISTIC_DEFAULTS: dict[str, tuple[float, float, float]] = {
    # channel: (weight early, weight late, coefficient)
    "search": (1.0, 1.0, 0.35),
    "email": (0.3, 1.2, 0.45),
    "display": (1.5, 0.3, 0.0),
    "social": (1.0, 0.8, 0.0),
    "referral": (0.3, 0.3, 0.9),
    "direct": (0.2, 1.2, 0.15),
}


def logistic_world(
    n_journeys: int = 20000,
    *,
    channels: Mapping[str, tuple[float, float, float]] | None = None,
    intercept: float = -3.0,
    mean_touches: float = 3.0,
    random_state: int | np.random.Generator | None = None,
) -> LogisticWorld:
    """Simulate a non-Markov world: P(convert) = expit(intercept + sum_c beta_c n_c).

    Journeys have 1 + Poisson(mean_touches - 1) touches; touch ``i`` of ``L`` draws its channel
    with weights interpolated between each channel's early and late weight. Conversion depends
    only on the counts, not on order; the true removal effect of channel ``c`` is
    ``sum_j (p(x_j) - p(x_j with n_c = 0)) / sum_j p(x_j)`` over the simulated journeys.
    A converting journey's value is log-normal (median 60, log-scale sd 0.5).

    Parameters
    ----------
    n_journeys : int, default 20000
        Journeys to simulate (at least 1).
    channels : mapping of str to (float, float, float), optional
        Per channel: (weight early in a journey, weight late in a journey, log-odds effect
        of one touch). None (default): ``search`` (1.0, 1.0, 0.35), ``email`` (0.3, 1.2,
        0.45), ``display`` (1.5, 0.3, 0.0), ``social`` (1.0, 0.8, 0.0), ``referral`` (0.3,
        0.3, 0.9) and ``direct`` (0.2, 1.2, 0.15): display and social have no effect.
    intercept : float, default -3.0
        Log-odds of conversion of a journey with no effective touch.
    mean_touches : float, default 3.0
        Mean number of touches per journey (at least 1).
    random_state : int, Generator or None, default None
        Seed of the simulation.

    Returns
    -------
    LogisticWorld
        The path table (ChannelAttribution's layout) and the true removal effects.

    Examples
    --------
    >>> w = logistic_world(2000, random_state=1)
    >>> float(w.truth.loc["display", "removal_effect"])
    0.0
    >>> list(w.paths.columns)
    ['path', 'total_conversions', 'total_null', 'total_conversion_value']
    """
    check_scalar(n_journeys, "n_journeys", typ=int, ge=1)
    check_scalar(mean_touches, "mean_touches", typ=float, ge=1)
    spec = dict(channels or LOGISTIC_DEFAULTS)
    names = sorted(spec)
    early = np.array([spec[c][0] for c in names], dtype=float)
    late = np.array([spec[c][1] for c in names], dtype=float)
    beta = np.array([spec[c][2] for c in names], dtype=float)
    rng = as_generator(random_state)
    L = 1 + rng.poisson(mean_touches - 1, n_journeys)
    row = np.repeat(np.arange(n_journeys), L)
    pos = np.arange(L.sum()) - np.repeat(np.cumsum(L) - L, L)
    frac = np.where(L[row] > 1, pos / np.maximum(L[row] - 1, 1), 0.0)
    w = early[None, :] * (1 - frac[:, None]) + late[None, :] * frac[:, None]
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(row))
    sym = np.minimum((cum < u[:, None]).sum(axis=1), len(names) - 1)
    X = np.zeros((n_journeys, len(names)))
    np.add.at(X, (row, sym), 1.0)
    eta = intercept + X @ beta
    p = expit(eta)
    y = rng.random(n_journeys) < p
    value = np.where(y, rng.lognormal(np.log(60.0), 0.5, n_journeys), 0.0)
    lab = np.asarray(names, dtype=object)
    offsets = np.r_[0, np.cumsum(L)]
    path = np.array([" > ".join(lab[sym[offsets[j]:offsets[j + 1]]]) for j in range(n_journeys)],
                    dtype=object)
    df = pd.DataFrame({"path": path, "conv": y.astype(int), "null": (~y).astype(int),
                       "value": value})
    paths = (
        df.groupby("path", sort=True)
        .agg(total_conversions=("conv", "sum"), total_null=("null", "sum"),
             total_conversion_value=("value", "sum"))
        .reset_index()
    )
    lost = p[:, None] - expit(eta[:, None] - X * beta[None, :])
    re = lost.sum(axis=0) / p.sum()
    truth = pd.DataFrame({"coefficient": beta, "removal_effect": re}, index=pd.Index(names,
                                                                                  name="channel"))
    truth["share"] = truth["removal_effect"] / truth["removal_effect"].sum()
    params = {"n_journeys": n_journeys, "intercept": intercept, "mean_touches": mean_touches,
              "channels": {c: list(spec[c]) for c in names}}
    return LogisticWorld(paths, truth, params)


@result_dataclass
class GroundTruthComparison(Result):
    """Methods versus the truth (:func:`ground_truth_comparison`).

    Attributes
    ----------
    table : pandas.DataFrame
        Per method: ``tv_distance`` (to the true shares, 0 best, 1 worst), ``spearman`` (rank
        correlation with the true effects; NaN when the shares or the true effects are all
        equal, where it is undefined), ``credit_to_null_channels`` (share of conversions
        given to channels with zero true effect), each with ``_ci_low`` / ``_ci_high``; with a
        bootstrap also ``truth_in_share_interval``, the fraction of channels whose true share
        lies in the method's share interval (intervals cover what the method estimates, which
        need not be the truth).
    shares : pandas.DataFrame
        Channels by methods: attributed shares, with the true shares in column ``truth``.
    truth : pandas.Series
        True removal effects.
    params : dict
        The settings (``n_boot``, ``alpha``, the models' classes).

    Examples
    --------
    >>> from cjmodels.attribution import HeuristicAttribution
    >>> w = logistic_world(3000, random_state=2)
    >>> cmp = ground_truth_comparison(w.paths, w.truth["removal_effect"],
    ...                               {"first": HeuristicAttribution("first"),
    ...                                "last": HeuristicAttribution("last")})
    >>> cmp
    GroundTruthComparison(methods=2, channels=6, closest='last', closest_tv_distance=0.3469)
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    truth: pd.Series
    params: dict[str, Any] = field(default_factory=dict)

    def _repr_fields(self) -> dict[str, Any]:
        best = self.table["tv_distance"].idxmin()
        return {"methods": len(self.table), "channels": len(self.truth), "closest": str(best),
                "closest_tv_distance": self.table.loc[best, "tv_distance"]}

    def _summary(self) -> pd.DataFrame:
        return self.table.reset_index()

    def _to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "shares": self.shares, "truth": self.truth,
                "params": self.params}

    def _plot(self, ax: Any) -> None:
        """Attributed shares of each method next to the true shares."""
        s = self.shares
        cols = [c for c in s.columns if c != "truth"]
        x = np.arange(len(s))
        width = 0.8 / (len(cols) + 1)
        ax.bar(x, s["truth"], width, color="black", label="truth")
        for i, c in enumerate(cols, 1):
            ax.bar(x + i * width, s[c], width, label=c)
        ax.set_xticks(x + 0.4, s.index, rotation=30, ha="right")
        ax.set(ylabel="share of conversions")
        ax.legend(fontsize=7, ncol=2)


def _metrics(share: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    t = np.clip(truth, 0, None)
    ts = t / t.sum()
    tv = 0.5 * float(np.abs(share - ts).sum())
    # a rank correlation is undefined when either side does not vary (one channel, equal
    # shares or equal true effects): NaN, as the table's description says
    varies = np.ptp(share) > 0 and np.ptp(truth) > 0
    rho = float(spearmanr(share, truth).statistic) if varies else float("nan")
    null = float(share[np.isclose(truth, 0.0, atol=1e-12)].sum())
    return tv, rho, null


def ground_truth_comparison(
    data: Any,
    truth: pd.Series | Mapping[str, float],
    models: Mapping[str, AttributionModel],
    *,
    n_boot: int = 0,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
    progress: Any = False,
    **options: Any,
) -> GroundTruthComparison:
    """Compare attribution methods with true removal effects.

    Parameters
    ----------
    data : event log, path table or AttributionData
        See :func:`attribution_data`.
    truth : Series or mapping
        True removal effect of each channel (channels missing from the data are an error).
    models : mapping of label to a model
        For example ``{"last": HeuristicAttribution("last"), "markov 2":
        MarkovAttribution(order=2)}``; each is fitted here (a fitted one is refitted).
    n_boot : int
        Bootstrap replicates for intervals of the metrics (default 0: none, the comparison
        itself needs no bootstrap).
    alpha : float
        The intervals cover ``1 - alpha``.
    random_state : int, Generator or None
        Seed of the bootstrap: a seed drawn from it plus ``i`` seeds model ``i``'s replicates
        (with an int, every model's draw is the same, so model ``i`` uses that draw plus
        ``i``). None: unseeded.
    progress : bool or tqdm-like callable
        A bar over each model's bootstrap replicates: True (tqdm), False (default), or a
        tqdm-like callable.
    **options
        Options of :func:`attribution_data`.

    Returns
    -------
    GroundTruthComparison
        Per method, the total-variation distance of its shares to the true shares, the rank
        correlation with the true effects and the credit given to channels without effect
        (with intervals when ``n_boot`` > 0), and the shares side by side.

    Raises
    ------
    cjmodels.errors.ValidationError
        When ``truth`` has no value for a channel of the data.

    Examples
    --------
    >>> from cjmodels.attribution import HeuristicAttribution, MarkovAttribution
    >>> w = logistic_world(3000, random_state=2)
    >>> cmp = ground_truth_comparison(w.paths, w.truth["removal_effect"],
    ...     {"last": HeuristicAttribution("last"), "markov": MarkovAttribution()}, n_boot=0)
    >>> list(cmp.table.columns[:3])
    ['tv_distance', 'spearman', 'credit_to_null_channels']
    """
    check_progress(progress)
    truth = pd.Series(truth, dtype=float)
    needs_times = any(getattr(m, "_needs_times", False) for m in models.values())
    if not isinstance(data, AttributionData):
        data = attribution_data(data, times=needs_times, **options)
    cells = None
    missing = [c for c in data.channels if c not in truth.index]
    if missing:
        raise ValidationError(f"truth has no value for channels {missing}.")
    t = truth.reindex(data.channels).to_numpy()
    rows, shares = {}, {}
    for i, (label, model) in enumerate(models.items()):
        src = data
        if not getattr(model, "_needs_times", False) and data.dt is not None:
            if cells is None:
                from cjmodels.attribution._data import _cells

                js, path_index = _cells(data.journeys)
                cells = AttributionData(js, None, data.info, path_index)
            src = cells
        model.fit(src)
        res = model.result_
        if n_boot:
            seed = None if random_state is None else as_generator(random_state).integers(2**63)
            res = model.bootstrap(n_boot, alpha=alpha, random_state=None if seed is None else
                                  int(seed) + i, progress=progress)
        share = res.table["share"].to_numpy()
        tv, rho, null = _metrics(share, t)
        row = {"tv_distance": tv, "spearman": rho, "credit_to_null_channels": null}
        if n_boot and "share" in res.replicates:
            tt = np.clip(t, 0, None) / np.clip(t, 0, None).sum()
            lo, hi = res.table["share_ci_low"].to_numpy(), res.table["share_ci_high"].to_numpy()
            row["truth_in_share_interval"] = float(np.mean((lo <= tt) & (tt <= hi)))
            reps = np.array([_metrics(s, t) for s in res.replicates["share"]])
            for j, k in enumerate(("tv_distance", "spearman", "credit_to_null_channels")):
                ok = reps[:, j][~np.isnan(reps[:, j])]  # none defined: NaN, without a warning
                row[f"{k}_ci_low"] = float(np.quantile(ok, alpha / 2)) if len(ok) else np.nan
                row[f"{k}_ci_high"] = (float(np.quantile(ok, 1 - alpha / 2)) if len(ok)
                                       else np.nan)
        rows[label] = row
        shares[label] = share
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    sh = pd.DataFrame(shares, index=pd.Index(data.channels, name="channel"))
    tt = np.clip(t, 0, None)
    sh.insert(0, "truth", tt / tt.sum())
    params = {"n_boot": n_boot, "alpha": alpha, "models": {k: type(m).__name__ for k, m in
                                                          models.items()}}
    return GroundTruthComparison(table, sh, truth.reindex(data.channels), params)
