"""Tests within and between chains: Markov order, order selection, homogeneity across groups and
across periods (likelihood-ratio tests of Anderson & Goodman, 1957).

Every test is a sum of independent contingency-table tests, one per *stratum* (the current state
for homogeneity; the order-k history for the order test): rows are groups (or the extra symbol of
history), columns are next states. The statistic is the likelihood ratio ``G2 = 2 sum n log(n /
E)`` (or Pearson's ``X2``), with ``E = row total x column total / total`` in each stratum.

Degrees of freedom (``df_method=``) are counted per stratum as ``(r - 1)(c - 1)`` with ``r`` the rows
that have data and

* ``"observed"``: ``c`` the next states observed in the stratum (the observed support);
* ``"structural"``: ``c`` the next states the journey graph (``allowed=``) permits from the
  stratum's current state, so that allowed-but-unseen cells count as sampling zeros.

Strata with ``r < 2`` or ``c < 2`` add nothing. As in :func:`~cjmodels.markov.fit_chain`, with a
``timeout`` the transitions out of touches in the last ``timeout`` before the observation end are
left out (their outcome is not known yet). The naive ``k(k-1)`` per stratum of the textbook
(every state reachable from every state) is the ``"structural"`` count with the full graph.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar
from cjmodels.data import PATH_SEPARATOR, JourneySpec, journey_transitions
from cjmodels.data.events import as_event_log
from cjmodels.errors import ValidationError
from cjmodels.markov.fit import _allowed_mask
from cjmodels.results import HypothesisTest, Result, result_dataclass

__all__ = [
    "OrderSelection",
    "homogeneity_test",
    "order_test",
    "select_order",
    "time_homogeneity_test",
]

_DF = ("observed", "structural")


_TESTS = ("likelihood-ratio", "pearson")


def _stratum(table: np.ndarray, allowed_cols: np.ndarray | None, test: str,
             df_method: str) -> tuple[float, int, int, int]:
    """Statistic, df, rows with data and columns counted for one stratum's table."""
    rt = table.sum(axis=1)
    ct = table.sum(axis=0)
    rows = rt > 0
    r = int(rows.sum())
    if df_method == "observed" or allowed_cols is None:
        c = int((ct > 0).sum())
    else:
        c = int(np.asarray(allowed_cols).sum())
    if r < 2 or c < 2:
        return 0.0, 0, r, c
    tot = table.sum()
    e = np.outer(rt, ct) / tot
    if test == "likelihood-ratio":
        pos = table > 0
        stat = 2.0 * float(np.sum(table[pos] * np.log(table[pos] / e[pos])))
    else:
        m = e > 0
        stat = float(np.sum((table[m] - e[m]) ** 2 / e[m]))
    return max(stat, 0.0), (r - 1) * (c - 1), r, c


def _combine(tables: dict[str, tuple[np.ndarray, np.ndarray | None]], hypothesis: str,
             test: str, df_method: str, info: dict[str, Any]) -> HypothesisTest:
    recs = []
    for name, (tab, allowed_cols) in tables.items():
        s, d, r, c = _stratum(tab, allowed_cols, test, df_method)
        recs.append({"stratum": name, "statistic": s, "df": d, "rows": r, "columns": c,
                     "n": float(tab.sum())})
    table = pd.DataFrame(recs).set_index("stratum") if recs else pd.DataFrame(
        columns=["statistic", "df", "rows", "columns", "n"])
    stat = float(table["statistic"].sum())
    df = int(table["df"].sum())
    if df == 0:
        warnings.warn(f"{hypothesis}: no stratum has two rows and two columns with data "
                      "(df = 0); the p-value is 1.", UserWarning, stacklevel=3)
    p = float(stats.chi2.sf(stat, df)) if df > 0 else 1.0
    return HypothesisTest(stat, df, p, test, hypothesis, table,
                          {"df_method": df_method, **info})


def _check(test: str, df_method: str) -> None:
    check_scalar(test, "test", in_=_TESTS)
    check_scalar(df_method, "df_method", in_=_DF)


def _suffix(state: str, k: int) -> str:
    parts = state.split(PATH_SEPARATOR)
    return PATH_SEPARATOR.join(parts[-k:])


def _spec(spec: JourneySpec | None) -> JourneySpec:
    return JourneySpec.resolve(spec)


def _higher_order_tables(
    data: Any, spec: JourneySpec, allowed: Any, log_options: dict[str, Any]
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], dict[str, Any]]:
    """Strata (order-k histories) of order-(k+1) transitions: rows = full history, cols = next."""
    order = spec.order
    jt = journey_transitions(data, spec=spec.replace(order=order + 1), **log_options)
    tc = jt.counts
    c = jt.matrix()
    states = tc.states
    ends = list(tc.absorbing)
    last = [s if s in ends else s.split(PATH_SEPARATOR)[-1] for s in states]
    symbols = sorted({last[i] for i in range(len(states)) if states[i] != tc.start
                      and states[i] not in ends})
    nxt_names = [*symbols, *ends]
    col_of = np.array([nxt_names.index(x) if x in nxt_names else -1 for x in last])
    first_states = (tc.start, *symbols, *ends)
    mask = _allowed_mask(allowed, first_states, tc.start, tuple(ends))
    tables: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(states):
        if s in ends or c[i].sum() <= 0:
            continue
        key = s if s == tc.start else _suffix(s, order)
        groups.setdefault(key, []).append(i)
    for key, rows in groups.items():
        tab = np.zeros((len(rows), len(nxt_names)))
        for r, i in enumerate(rows):
            np.add.at(tab[r], col_of[c[i] > 0], c[i][c[i] > 0])
        cur = tc.start if key == tc.start else key.split(PATH_SEPARATOR)[-1]
        allowed_cols = mask[first_states.index(cur), [first_states.index(n) for n in nxt_names]]
        tables[key] = (tab, allowed_cols)
    return tables, {"n_transitions": float(c.sum()), "states_order_k1": len(states)}


def order_test(
    data: Any,
    *,
    spec: JourneySpec | None = None,
    test: str = "likelihood-ratio",
    df_method: str = "observed",
    allowed: Any = None,
    **log_options: Any,
) -> HypothesisTest:
    """Test order ``k`` against order ``k + 1`` (Anderson & Goodman 1957).

    For each order-k history ``h`` (the last ``k`` symbols; shorter at the start of a journey),
    the table of (symbol before ``h``) x (next state) is tested for independence; the test sums
    over histories. The symbol before ``h`` is "none" at the start of a journey (the data
    layer's shorter states), so every transition is used.

    Parameters
    ----------
    data : event log, PathTable or JourneySet
        The journeys: an event log (DataFrame with column options as keywords, or
        :class:`~cjmodels.data.EventLog`), a path table or a journey set.
    spec : JourneySpec, optional
        The journeys (default ``JourneySpec()``); its ``order`` is the null order ``k``.
    test : {"likelihood-ratio", "pearson"}
        The statistic: ``G2`` or Pearson's ``X2``.
    df_method : {"observed", "structural"}
        How degrees of freedom are counted (see the module notes).
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The first-order journey graph, used by ``df_method="structural"`` (as in
        :func:`cjmodels.markov.fit_chain`; default everything but transitions into the start
        state).
    **log_options
        Column options of the event log (as in :func:`cjmodels.markov.fit_chain`).

    Returns
    -------
    HypothesisTest
        Per history (stratum) in ``table``: ``statistic``, ``df``, ``rows`` and ``columns``
        of its table, ``n``; ``info["df_method"]``. A small p-value says that the symbol
        before the last ``k`` changes where journeys go next: order ``k`` is not enough.

    Warns
    -----
    UserWarning
        When no history has two rows and two columns with data (df = 0; the p-value is 1).

    Notes
    -----
    The chi-square reference is an approximation that needs expected counts that are not too
    small; with many sparse histories, weigh the test against :func:`select_order`'s BIC.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2, 3, 3],
    ...                    "timestamp": [0, 1, 2, 0, 1, 2, 0, 1],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch",
    ...                              "drop_out", "touch", "drop_out"],
    ...                    "stage": ["a", "b", None, "b", "b", None, "b", None]})
    >>> order_test(df)
    HypothesisTest(method='likelihood-ratio', statistic=5.545, df=4, pvalue=0.2358)
    """
    _check(test, df_method)
    spec = _spec(spec)
    order = spec.order
    tables, info = _higher_order_tables(data, spec, allowed, log_options)
    return _combine(tables, f"the chain has order {order} (against order {order + 1})", test,
                    df_method, {**info, "order": order})


@result_dataclass
class OrderSelection(Result):
    """Log-likelihood, parameters, AIC and BIC of chains of order 1..max_order on the same
    transitions (:func:`select_order`); ``best_aic`` and ``best_bic`` are the orders with the
    smallest criterion. ``table`` (and ``summary()``) has one row per order: ``log_likelihood``,
    ``n_params``, ``n_transitions``, ``aic``, ``bic``.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``order`` (1 to ``max_order``): ``log_likelihood``, ``n_params`` (free
        transition probabilities), ``n_transitions`` (the same for every order), ``aic`` and
        ``bic``.
    best_aic : int
        The order with the smallest AIC.
    best_bic : int
        The order with the smallest BIC (the consistent choice; AIC tends to pick higher
        orders on long data).
    df_method : str
        How parameters were counted: ``"observed"`` or ``"structural"``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2], "timestamp": [0, 1, 2, 0, 1, 2],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch",
    ...                              "drop_out"], "stage": ["a", "b", None, "b", "b", None]})
    >>> select_order(df, max_order=2)
    OrderSelection(best_aic=2, best_bic=2, df_method='observed')
    """

    table: pd.DataFrame
    best_aic: int
    best_bic: int
    df_method: str

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        return {"orders": self.table.reset_index().to_dict(orient="records"),
                "best_aic": self.best_aic, "best_bic": self.best_bic,
                "df_method": self.df_method}


def select_order(
    data: Any,
    *,
    max_order: int = 3,
    spec: JourneySpec | None = None,
    df_method: str = "observed",
    allowed: Any = None,
    **log_options: Any,
) -> OrderSelection:
    """Choose the Markov order by AIC and BIC (Tong 1975; Katz 1981).

    Each order-k chain is fitted by maximum likelihood to the same transitions (histories are
    shorter at the start of a journey, so no transition is lost as the order grows).
    Parameters per state: observed next states - 1 (``df_method="observed"``) or allowed next
    states - 1 (``"structural"``). ``BIC = -2 log_likelihood + p log(n)`` with ``n``
    transitions. ``spec`` is the journey specification (default ``JourneySpec()``; its
    ``order`` must stay 1: the orders 1 to ``max_order`` are fitted) and ``**log_options`` the
    column options of the event log, as in :func:`cjmodels.markov.fit_chain`.

    Parameters
    ----------
    data : event log, PathTable or JourneySet
        The journeys, as in :func:`order_test`.
    max_order : int, default 3
        The highest order fitted (at least 1); it may not exceed the longest journey.
    spec : JourneySpec, optional
        The journeys (default ``JourneySpec()``); ``order`` must be 1.
    df_method : {"observed", "structural"}
        Parameters per state: observed next states - 1, or allowed next states - 1.
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The first-order journey graph for ``df_method="structural"``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

    Returns
    -------
    OrderSelection
        One row per order with log-likelihood, parameters, AIC and BIC, and the orders each
        criterion picks.

    Raises
    ------
    ValidationError
        When ``spec.order`` is not 1, ``max_order`` is not an integer >= 1 or exceeds the
        longest journey, or for an unknown ``df_method``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2], "timestamp": [0, 1, 2, 0, 1, 2],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch",
    ...                              "drop_out"], "stage": ["a", "b", None, "b", "b", None]})
    >>> select_order(df, max_order=2).table["n_transitions"].tolist()
    [6.0, 6.0]
    """
    check_scalar(df_method, "df_method", in_=_DF)
    check_scalar(max_order, "max_order", typ=int, ge=1)
    spec = _spec(spec)
    if spec.order != 1:
        raise ValidationError(
            f"select_order fits the orders 1 to max_order, so JourneySpec(order={spec.order}) "
            "would be ignored; leave order at 1 and set max_order."
        )
    rows = []
    for k in range(1, max_order + 1):
        jt = journey_transitions(data, spec=spec.replace(order=k), **log_options)
        c = jt.matrix()
        tc = jt.counts
        tot = c.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = float(np.sum(np.where(c > 0, c * np.log(c / tot), 0.0)))
        has = tot[:, 0] > 0
        if df_method == "observed":
            p = int(np.sum(np.maximum((c[has] > 0).sum(axis=1) - 1, 0)))
        else:
            ends = list(tc.absorbing)
            syms = sorted({s.split(PATH_SEPARATOR)[-1] for s in tc.transient})
            first = (tc.start, *syms, *ends)
            mask = _allowed_mask(allowed, first, tc.start, tuple(ends))
            p = 0
            for i in np.flatnonzero(has):
                s = tc.states[i]
                cur = s if s == tc.start else s.split(PATH_SEPARATOR)[-1]
                p += max(int(mask[first.index(cur)].sum()) - 1, 0)
        n = float(c.sum())
        rows.append({"order": k, "log_likelihood": ll, "n_params": p, "n_transitions": n,
                     "aic": -2 * ll + 2 * p, "bic": -2 * ll + p * np.log(n)})
    table = pd.DataFrame(rows).set_index("order")
    if table["n_transitions"].nunique() != 1:  # pragma: no cover - guarded by construction
        raise ValidationError("orders were fitted to different transitions.")
    return OrderSelection(table, int(table["aic"].idxmin()), int(table["bic"].idxmin()),
                          df_method)


def _group_tables(
    mats: list[np.ndarray], states: tuple[str, ...], ends: tuple[str, ...], start: str,
    allowed: Any,
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    mask = _allowed_mask(allowed, states, start, ends)
    stack = np.stack(mats)  # (G, K, K)
    out = {}
    for i, s in enumerate(states):
        if s in ends:
            continue
        tab = stack[:, i, :]
        if tab.sum() <= 0:
            continue
        out[s] = (tab, mask[i])
    return out


def _union(parts: list[Any]) -> tuple[tuple[str, ...], list[np.ndarray]]:
    start = parts[0].counts.start
    ends = tuple(parts[0].counts.absorbing)
    trans: list[str] = []
    for jt in parts:
        for s in jt.counts.transient:
            if s not in trans:
                trans.append(s)
    states = (start, *trans, *ends)
    pos = {s: i for i, s in enumerate(states)}
    mats = []
    for jt in parts:
        m = np.zeros((len(states), len(states)))
        idx = np.array([pos[s] for s in jt.counts.states])
        m[np.ix_(idx, idx)] = jt.matrix()
        mats.append(m)
    return states, mats


def homogeneity_test(
    data: Any,
    *,
    group: str | None = None,
    spec: JourneySpec | None = None,
    test: str = "likelihood-ratio",
    df_method: str = "observed",
    allowed: Any = None,
    **log_options: Any,
) -> HypothesisTest:
    """Test whether two or more groups (segments, A/B arms) share one transition matrix.

    The likelihood-ratio (or Pearson) test of Anderson & Goodman (1957): for each from-state,
    the groups' tables of next states are tested for homogeneity, and the statistics add up.
    Comparing two chains is the case of two groups.

    Parameters
    ----------
    data : event log with a group column, or mapping of group name to event log or path table
        With ``group=``, each customer belongs to the group of their first event's value (a
        warning says how many customers change group).
    group : str, optional
        Covariate column naming the group.
    spec : JourneySpec, optional
        The journeys of every group (default ``JourneySpec()``; ``order`` is the order of the
        chains compared).
    test : {"likelihood-ratio", "pearson"}
        The statistic: ``G2`` or Pearson's ``X2``.
    df_method : {"observed", "structural"}
        How degrees of freedom are counted (see the module notes).
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The journey graph for ``df_method="structural"``, as in
        :func:`cjmodels.markov.fit_chain`.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (for the DataFrame of ``data``,
        or for each DataFrame of the mapping).

    Returns
    -------
    HypothesisTest
        Strata (``table``) are the from-states; ``info["groups"]`` lists the groups and their
        transitions. A small p-value says that at least one stage is left differently in at
        least one group; the strata show where the difference sits.

    Raises
    ------
    ValidationError
        With neither or both of a mapping and ``group=``, a group column that is missing or
        has missing values, fewer than two groups, or a group without transitions.

    Warns
    -----
    UserWarning
        When customers change group over time (each is put in the group of their first
        event), or when no stratum has two rows and two columns with data (df = 0).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "timestamp": [0, 1] * 4,
    ...                    "event": ["touch", "conversion", "touch", "drop_out"] * 2,
    ...                    "stage": ["a", None] * 4, "arm": list("AAAABBBB")})
    >>> round(homogeneity_test(df, group="arm").pvalue, 3)
    1.0
    """
    _check(test, df_method)
    spec = _spec(spec)
    if isinstance(data, Mapping):
        if group is not None:
            raise ValidationError("pass either a mapping of groups or group=, not both.")
        named = dict(data)
    else:
        if group is None:
            raise ValidationError(
                "homogeneity_test needs groups: a mapping {name: events} or group='column'."
            )
        log = as_event_log(data, **log_options)
        log_options = {}
        if group not in log.events:
            raise ValidationError(
                f"group column {group!r} is not in the event log; covariates are "
                f"{list(log.covariates)}."
            )
        ev = log.events
        vals = ev[group]
        if vals.isna().any():
            raise ValidationError(
                f"group column {group!r} has {int(vals.isna().sum())} missing values; every "
                "customer needs a group."
            )
        first = vals.groupby(ev["customer_id"], sort=False).transform("first")
        changed = ev.loc[vals.to_numpy() != first.to_numpy(), "customer_id"].nunique()
        if changed:
            warnings.warn(f"{changed} customers change {group!r} over time; each is put in the "
                          "group of their first event.", UserWarning, stacklevel=2)
        cols = {"customer": "customer_id", "timestamp": "timestamp", "event": "event"}
        if log.has_stage:
            cols["stage"] = "stage"
        if log.has_channel:
            cols["channel"] = "channel"
        named = {}
        for g in pd.unique(first):
            sub = ev.loc[first.to_numpy() == g]
            named[str(g)] = as_event_log(
                sub, **cols, scheme=log.scheme, observation_start=log.observation_start,
                observation_end=log.observation_end,
            )
    if len(named) < 2:
        raise ValidationError(f"a homogeneity test needs at least two groups, got {len(named)}.")
    parts = []
    for name, src in named.items():
        try:
            parts.append(journey_transitions(src, spec=spec, **log_options))
        except ValidationError as exc:
            raise ValidationError(f"group {name!r}: {exc}") from None
        if parts[-1].matrix().sum() <= 0:
            raise ValidationError(f"group {name!r} has no transitions; drop it or merge it.")
    states, mats = _union(parts)
    tabs = _group_tables(mats, states, tuple(parts[0].counts.absorbing), parts[0].counts.start,
                         allowed)
    info = {"groups": {n: float(m.sum()) for n, m in zip(named, mats, strict=True)}}
    return _combine(tabs, f"the {len(named)} groups share one transition matrix", test,
                    df_method, info)


def time_homogeneity_test(
    data: Any,
    *,
    periods: int | Sequence[Any] = 2,
    spec: JourneySpec | None = None,
    test: str = "likelihood-ratio",
    df_method: str = "observed",
    allowed: Any = None,
    **log_options: Any,
) -> HypothesisTest:
    """Test whether the transition matrix is the same in every period.

    Each transition is dated by its from-touch (start transitions by the first touch) and
    falls in one period; the per-period count matrices are tested for homogeneity.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame); it needs timestamps.
    periods : int or list of times
        Number of equal-length periods of the observation window, or the inner cut points
        (timestamps, or numbers for numeric logs).
    spec : JourneySpec, optional
        The journeys (default ``JourneySpec()``); ``collapse_repeats`` must stay False (each
        transition is dated by its touch).
    test : {"likelihood-ratio", "pearson"}
        The statistic: ``G2`` or Pearson's ``X2``.
    df_method : {"observed", "structural"}
        How degrees of freedom are counted (see the module notes).
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The journey graph for ``df_method="structural"``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

    Returns
    -------
    HypothesisTest
        Strata (``table``) are the from-states; ``info["groups"]`` has the transitions of each
        period, ``info["cuts_days"]`` the cut points (days since the observation start). A
        small p-value says that journeys moved differently in some period (a season, a
        campaign, a change of site).

    Raises
    ------
    ValidationError
        When ``periods`` is an integer below 2 or an empty list, or a period has no
        transitions.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "timestamp": [0, 1, 2, 3, 4, 5, 6, 7],
    ...                    "event": ["touch", "conversion", "touch", "drop_out"] * 2,
    ...                    "stage": ["a", None] * 4})
    >>> time_homogeneity_test(df, periods=2).df
    1
    """
    _check(test, df_method)
    spec = _spec(spec)
    log = as_event_log(data, **log_options)
    jt = journey_transitions(log, spec=spec, times=True)
    when = np.where(np.isnan(jt.time_from), jt.time_to, jt.time_from)
    span = float(jt.journey_frame["observation_end"].iloc[0])
    if isinstance(periods, int | np.integer):
        check_scalar(int(periods), "periods", typ=int, ge=2)
        cuts = np.linspace(0, span, int(periods) + 1)[1:-1]
    else:
        origin = log.observation_start
        cuts = np.sort(np.array([log.to_float(c, "D") - log.to_float(origin, "D")
                                 for c in periods], dtype=float))
        if len(cuts) == 0:
            raise ValidationError("periods needs at least one cut point.")
    label = np.searchsorted(cuts, when, side="right")
    mats = []
    names = []
    for g in range(len(cuts) + 1):
        sel = label == g
        if not sel.any():
            raise ValidationError(
                f"period {g + 1} of {len(cuts) + 1} has no transitions; use fewer periods or "
                "other cut points."
            )
        mats.append(jt.matrix(mask=sel))
        names.append(f"period_{g + 1}")
    tc = jt.counts
    tabs = _group_tables(mats, tc.states, tuple(tc.absorbing), tc.start, allowed)
    info = {"groups": {n: float(m.sum()) for n, m in zip(names, mats, strict=True)},
            "cuts_days": cuts.tolist()}
    return _combine(tabs, f"the transition matrix is the same in all {len(mats)} periods", test,
                    df_method, info)
