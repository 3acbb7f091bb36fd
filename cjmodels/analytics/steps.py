"""Step matrices and step Sankey diagrams around an anchor event.

A step matrix answers "what do customers do in the k steps before and after X": for every
journey that reaches the anchor ``X`` (a channel or a stage, or one of the journey's end states),
the state the journey is in at each step ``-before .. +after`` around it, counted and shared
out per step with simultaneous multinomial intervals (Goodman). Two segments (``group=``) give
a difference table, cell by cell, with a test per step and per cell, a multiplicity correction
and an overall test.

States. Steps are the touches of the journey as the data layer cuts it
(:func:`cjmodels.data.journey_set`), read as channels or stages (``spec.sequence``). Beyond its
touches a journey is in one of these states:

* ``(start)``: a step before the journey's first touch;
* ``(conversion)``: the step right after the last touch, when the journey ended in a
  conversion (the touches after a conversion open the customer's next journey);
* ``(drop_out)``: the step right after the last touch, when the journey ended in a
  ``drop_out`` or ``churn`` event, or (with ``spec.timeout``) in a silence longer than the
  timeout, or is older than the timeout at the end of observation;
* ``(censored)``: the step right after the last touch, when the journey was still open at
  the end of observation (its next step is not known yet);
* ``(ended)``: any later step: the journey had ended at an earlier step (its outcome is shown
  at the step where it ended).

Every journey is in exactly one state at every step, so each column of counts adds up to the
number of anchored journeys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar, warn_user
from cjmodels.data import EventLog, JourneySpec, journey_set
from cjmodels.data.events import as_event_log
from cjmodels.data.journeyset import OUTCOMES, subset
from cjmodels.errors import ValidationError
from cjmodels.experiments import adjust_pvalues
from cjmodels.results import HypothesisTest, Result, result_dataclass

__all__ = ["StepMatrix", "StepMatrixComparison", "step_matrix"]

#: The state of a step before the journey's first touch.
START = "(start)"
#: The state of every step after the one where the journey ended.
ENDED = "(ended)"
#: The state of the step right after the last touch, by the journey's outcome.
END_STATES = tuple(f"({o})" for o in OUTCOMES)  # (conversion), (drop_out), (censored)
_OCCURRENCES = ("first", "every")
_TESTS = ("chi-square", "g-test")
_SPEC_FIELDS = ("sequence", "timeout", "lookback", "journeys", "collapse_repeats")


# ----------------------------------------------------------------------------- intervals
def goodman_intervals(counts: np.ndarray, n: np.ndarray, k: np.ndarray,
                      alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Goodman's (1965) simultaneous intervals for multinomial shares, cell by cell.

    ``counts`` of each cell out of its column's ``n``, in a column of ``k`` possible categories:
    the score interval of each share at level ``1 - alpha / k`` (Bonferroni over the column's
    categories), as statsmodels' ``multinomial_proportions_confint(method="goodman")``.
    """
    counts = np.asarray(counts, dtype=float)
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    chi2 = stats.chi2.ppf(1 - alpha / np.maximum(k, 1), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, counts / np.where(n > 0, n, 1), np.nan)
        delta = chi2**2 + 4 * n * p * chi2 * (1 - p)
        root = np.sqrt(np.maximum(delta, 0))
        low = (2 * n * p + chi2 - root) / (2 * (chi2 + n))
        high = (2 * n * p + chi2 + root) / (2 * (chi2 + n))
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def _wilson(counts: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def newcombe_difference(c1: np.ndarray, n1: np.ndarray, c2: np.ndarray, n2: np.ndarray,
                        alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for ``c1 / n1 - c2 / n2`` (method 10 of Newcombe 1998),
    as statsmodels' ``confint_proportions_2indep(method="newcomb")``."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    c1, n1, c2, n2 = (np.asarray(a, dtype=float) for a in (c1, n1, c2, n2))
    l1, u1 = _wilson(c1, n1, z)
    l2, u2 = _wilson(c2, n2, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = c1 / n1, c2 / n2
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def _pooled_z(c1: np.ndarray, n1: np.ndarray, c2: np.ndarray,
              n2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-proportion z statistic with the pooled variance and its two-sided p-value (NaN where
    the pooled share is 0 or 1: both groups are all in, or all out of, the state)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (c1 + c2) / (n1 + n2)
        se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        z = np.where(se > 0, (c1 / n1 - c2 / n2) / np.where(se > 0, se, 1), np.nan)
    pv = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(np.nan_to_num(z))), np.nan)
    return z, pv


# ----------------------------------------------------------------------------- results
@result_dataclass
class StepMatrix(Result):
    """The states of journeys at each step around an anchor event, with their intervals.

    Built by :func:`step_matrix`. ``summary()`` is the long table: one row per step and state
    possible at that step.

    Attributes
    ----------
    table : pandas.DataFrame
        ``step`` (negative before the anchor, 0 the anchor, positive after), ``state`` (a
        channel or stage, or ``(start)``, ``(conversion)``, ``(drop_out)``, ``(censored)``,
        ``(ended)``), ``count`` (journeys, or anchor occurrences with ``occurrence="every"``, in
        that state at that step), ``n`` (all of them: the column total), ``share`` (count / n)
        and ``ci_low``, ``ci_high``: Goodman's simultaneous interval over the states possible
        in that step's column (at step 0, where every unit is on the anchor, the share is 1 by
        construction and its interval is [1, 1]); ``n_effective``, the sample size the
        interval uses: ``n``, or with ``occurrence="every"`` ``n`` over the share's design
        effect (occurrences cluster in journeys).
    flows : pandas.DataFrame
        ``step`` (the step flowed from), ``from_state``, ``to_state``, ``count``: how the units
        move between consecutive steps (the bands of the Sankey figure); only non-zero flows.
    anchor : str
        The anchor: a channel, a stage or an end state.
    sequence : str
        ``"channel"`` or ``"stage"``: what the touches are read as.
    before, after : int
        The number of steps shown before and after the anchor.
    occurrence : str
        ``"first"`` (each journey's first occurrence of the anchor) or ``"every"``.
    alpha : float
        1 - the simultaneous confidence level of each column's intervals.
    n_journeys : int
        Journeys in the log (after ``spec.journeys``).
    n_anchored : int
        Journeys that reach the anchor.
    n_units : int
        Units counted in each column: ``n_anchored`` with ``occurrence="first"``, the number of
        occurrences with ``"every"``.
    info : dict
        Settings (the journey specification) and the journey counts of the data layer.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3],
    ...                    "timestamp": [0, 1, 2, 0, 1, 0],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch", "touch"],
    ...                    "channel": ["email", "search", None, "email", "email", "social"]})
    >>> m = step_matrix(df, anchor="email", before=1, after=2,
    ...                 spec=JourneySpec(sequence="channel"))
    >>> m
    StepMatrix(anchor='email', sequence='channel', before=1, after=2, occurrence='first', \
alpha=0.05)
    >>> m.matrix().loc[["email", "search", "(conversion)", "(censored)", "(ended)"]]
    step           -1    0    1    2
    state
    email         0.0  1.0  0.5  0.0
    search        0.0  0.0  0.5  0.0
    (conversion)  0.0  0.0  0.0  0.5
    (censored)    0.0  0.0  0.0  0.5
    (ended)       0.0  0.0  0.0  0.0
    """

    table: pd.DataFrame
    flows: pd.DataFrame
    anchor: str
    sequence: str
    before: int
    after: int
    occurrence: str
    alpha: float
    n_journeys: int
    n_anchored: int
    n_units: int
    info: dict[str, Any]

    _repr_exclude = ("n_journeys", "n_anchored", "n_units")

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "sequence": self.sequence, "before": self.before,
                "after": self.after, "occurrence": self.occurrence, "alpha": self.alpha,
                "n_journeys": self.n_journeys, "n_anchored": self.n_anchored,
                "n_units": self.n_units, "table": self.table.to_dict(orient="records"),
                "flows": self.flows.to_dict(orient="records"), "info": self.info}

    @property
    def states(self) -> list[str]:
        """The states, in the order of the table's rows (``(start)``, the touches, the end
        states)."""
        return list(pd.unique(self.table["state"]))

    def matrix(self, what: str = "share") -> pd.DataFrame:
        """The step matrix as a wide table: one row per state, one column per step.

        Parameters
        ----------
        what : {"share", "count", "ci_low", "ci_high"}
            Which number fills the cells; a state impossible at a step (``(start)`` after the
            anchor) shows 0 (or 0 for its interval).

        Returns
        -------
        pandas.DataFrame
            States (rows, in the order of :attr:`states`) by step (columns).

        Raises
        ------
        ValidationError
            For another ``what``.
        """
        check_scalar(what, "what", in_=("share", "count", "ci_low", "ci_high"))
        wide = self.table.pivot(index="state", columns="step", values=what)
        wide = wide.reindex(index=self.states).fillna(0)
        if what == "count":
            wide = wide.astype(np.int64)
        return wide

    def _plot(self, ax: Any, kind: str = "heatmap", min_share: float = 0.01,
              **kwargs: Any) -> None:
        check_scalar(kind, "kind", in_=("heatmap", "sankey"))
        check_scalar(min_share, "min_share", typ=float, ge=0, lt=1)
        if kind == "sankey":
            _sankey(ax, self, min_share, **kwargs)
            return
        _heatmap(ax, self.matrix(), title=f"step matrix around {self.anchor!r} "
                 f"({self.n_units} {'journeys' if self.occurrence == 'first' else 'occurrences'})",
                 cmap=kwargs.pop("cmap", "Blues"), vmin=0, vmax=1, **kwargs)


@result_dataclass
class StepMatrixComparison(Result):
    """Two segments' step matrices side by side: the difference table, cell by cell, with tests.

    Built by :func:`step_matrix` with ``group=``. For every step but the anchor's:

    * per cell: the difference of shares (first group minus second) with Newcombe's hybrid
      score interval at level ``1 - alpha / m`` (Bonferroni over the ``m`` tested cells, so the
      intervals hold simultaneously), the two-proportion z test with the pooled variance, and
      its p-value adjusted over the ``m`` cells by ``correction``;
    * per step: a test of the whole column (``test``: Pearson's chi-square or the G test on the
      2 x K table of the states seen at that step), its p-value adjusted over the steps;
    * overall: Bonferroni's global test over the steps (the smallest step p-value times the
      number of steps tested; valid whatever the dependence between steps of one journey).

    A cell whose state holds every unit of both groups, or none, has no test (NaN).

    Attributes
    ----------
    groups : tuple
        The two values of the ``group`` column, in the order of the differences.
    first, second : StepMatrix
        The step matrix of each group.
    table : pandas.DataFrame
        ``step``, ``state``, ``count_1``, ``n_1``, ``share_1``, ``count_2``, ``n_2``,
        ``share_2``, ``difference``, ``ci_low``, ``ci_high``, ``statistic`` (z), ``pvalue``,
        ``pvalue_adjusted``, ``significant`` (adjusted p-value below ``alpha``).
    step_tests : pandas.DataFrame
        ``step``, ``statistic``, ``df``, ``pvalue``, ``pvalue_adjusted``, ``n_states``.
    test : HypothesisTest
        The overall test (no step differs).
    test_method : str
        ``"chi-square"`` or ``"g-test"``.
    correction : str
        The multiple-testing correction of the cells and the steps.
    alpha : float
        The level of the tests and 1 - the simultaneous level of the intervals.
    n_excluded : int
        Journeys left out because their customer has no value of the group column.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "timestamp": [0, 1] * 4,
    ...                    "event": ["touch", "conversion", "touch", "conversion",
    ...                              "touch", "touch", "touch", "touch"],
    ...                    "channel": ["email", None, "email", None,
    ...                                "email", "sms", "email", "sms"],
    ...                    "segment": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> c = step_matrix(df, anchor="email", before=0, after=1, group="segment",
    ...                 spec=JourneySpec(sequence="channel"))
    >>> c.table[["step", "state", "share_1", "share_2", "difference"]].head(3)
       step         state  share_1  share_2  difference
    0     1         email      0.0      0.0         0.0
    1     1           sms      0.0      1.0        -1.0
    2     1  (conversion)      1.0      0.0         1.0
    >>> c.test
    HypothesisTest(method='chi-square per step (Bonferroni)', statistic=4, df=1, pvalue=0.0455)
    """

    groups: tuple[Any, ...]
    first: StepMatrix
    second: StepMatrix
    table: pd.DataFrame
    step_tests: pd.DataFrame
    test: HypothesisTest
    test_method: str
    correction: str
    alpha: float
    n_excluded: int

    def _repr_fields(self) -> dict[str, Any]:
        return {"anchor": self.first.anchor, "groups": self.groups,
                "test_method": self.test_method, "correction": self.correction,
                "pvalue": self.test.pvalue}

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        return {"groups": list(self.groups), "first": self.first.to_dict(),
                "second": self.second.to_dict(),
                "table": self.table.to_dict(orient="records"),
                "step_tests": self.step_tests.to_dict(orient="records"),
                "test": self.test.to_dict(), "test_method": self.test_method,
                "correction": self.correction, "alpha": self.alpha,
                "n_excluded": self.n_excluded}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        wide = self.table.pivot(index="state", columns="step", values="difference")
        states = [s for s in self.first.states if s in wide.index]
        wide = wide.reindex(index=states)
        sig = self.table.assign(significant=self.table["significant"].astype(float)).pivot(
            index="state", columns="step", values="significant")
        sig = sig.reindex(index=states).fillna(0.0) > 0
        lim = max(float(np.nanmax(np.abs(wide.to_numpy()))) if wide.size else 0.0, 1e-9)
        _heatmap(ax, wide.fillna(0), title=f"share {self.groups[0]!r} - share "
                 f"{self.groups[1]!r} (* adjusted p < {self.alpha:g})",
                 cmap=kwargs.pop("cmap", "RdBu_r"), vmin=-lim, vmax=lim, marks=sig.to_numpy(),
                 **kwargs)


# ----------------------------------------------------------------------------- figures
def _heatmap(ax: Any, wide: pd.DataFrame, title: str, cmap: str, vmin: float, vmax: float,
             marks: np.ndarray | None = None, **kwargs: Any) -> None:
    values = wide.to_numpy(dtype=float)
    im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, **kwargs)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in wide.columns])
    ax.set_yticks(range(values.shape[0]), [str(s) for s in wide.index])
    ax.set_xlabel("step from the anchor")
    for (i, j), v in np.ndenumerate(values):
        if v != 0:
            star = "*" if marks is not None and marks[i, j] else ""
            ax.text(j, i, f"{v:.2f}{star}", ha="center", va="center", fontsize=7,
                    color="white" if abs(v) > 0.6 * max(abs(vmin), abs(vmax)) else "black")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax)


def _sankey(ax: Any, m: StepMatrix, min_share: float, **kwargs: Any) -> None:
    """Nodes: a bar per state and step (height = share); bands: the flows between steps."""
    import matplotlib.pyplot as plt

    states = m.states
    steps = list(range(-m.before, m.after + 1))
    wide = m.matrix().reindex(columns=steps).fillna(0)
    gap = 0.02
    colours = plt.get_cmap(kwargs.pop("cmap", "tab20"))
    colour = {s: colours(i % 20) for i, s in enumerate(states)}
    width = 0.12
    lower: dict[tuple[int, str], float] = {}
    for j, step in enumerate(steps):
        y = 0.0
        for s in states:
            h = float(wide.loc[s, step])
            if h <= 0:
                continue
            lower[(step, s)] = y
            ax.add_patch(plt.Rectangle((j - width / 2, y), width, h, color=colour[s]))
            if h >= max(min_share, 0.04):
                ax.text(j + width / 2 + 0.02, y + h / 2, s, fontsize=6, va="center")
            y += h + gap
    n = max(m.n_units, 1)
    x = np.linspace(0, 1, 30)
    smooth = x * x * (3 - 2 * x)
    out_used: dict[tuple[int, str], float] = {}
    in_used: dict[tuple[int, str], float] = {}
    order = {s: i for i, s in enumerate(states)}
    flows = m.flows.assign(a=m.flows["from_state"].map(order), b=m.flows["to_state"].map(order))
    for row in flows.sort_values(["step", "a", "b"]).itertuples(index=False):
        h = row.count / n
        j = steps.index(row.step)
        src, dst = (row.step, row.from_state), (row.step + 1, row.to_state)
        y0 = lower[src] + out_used.get(src, 0.0)
        y1 = lower[dst] + in_used.get(dst, 0.0)
        out_used[src] = out_used.get(src, 0.0) + h
        in_used[dst] = in_used.get(dst, 0.0) + h
        if h < min_share:
            continue
        xs = j + width / 2 + x * (1 - width)
        bottom = y0 + (y1 - y0) * smooth
        ax.fill_between(xs, bottom, bottom + h, color=colour[row.from_state], alpha=0.35,
                        linewidth=0)
    ax.set_xlim(-0.5, len(steps) - 0.3)
    ax.autoscale(axis="y")
    ax.invert_yaxis()
    ax.set_xticks(range(len(steps)), [str(s) for s in steps])
    ax.set_yticks([])
    ax.set_xlabel("step from the anchor")
    ax.set_title(f"step Sankey around {m.anchor!r} (bands below {min_share:g} hidden)")


# ----------------------------------------------------------------------------- counting
def _check_spec(spec: JourneySpec | None) -> JourneySpec:
    return JourneySpec.resolve(spec, fields=_SPEC_FIELDS, purpose="a step matrix")


def _customer_groups(log: EventLog, group: str) -> tuple[np.ndarray, list[Any]]:
    """The group code of every customer (-1 without a value), and the group values."""
    if group not in log.covariates:
        raise ValidationError(
            f"group == {group!r} is not a column of the event log; its other columns are "
            f"{list(log.covariates)}. Name the segment column with group=..."
        )
    col = log.events[group]
    codes, values = pd.factorize(col.astype(object), sort=False)
    cust = log.customer_codes
    has = codes >= 0
    n_c = log.n_customers
    lo = np.full(n_c, np.iinfo(np.int64).max)
    hi = np.full(n_c, -1)
    np.minimum.at(lo, cust[has], codes[has])
    np.maximum.at(hi, cust[has], codes[has])
    varies = (hi >= 0) & (lo != hi)
    if varies.any():
        first = log.customers[np.flatnonzero(varies)[:3]].tolist()
        raise ValidationError(
            f"column {group!r} (group) takes more than one value for {int(varies.sum())} "
            f"customers, e.g. {first}; a step matrix compares segments of customers. Give each "
            "customer one value (for example the value at the first event)."
        )
    out = np.where(hi >= 0, hi, -1)
    return out, list(values)


def _units(js: Any, anchor_code: int, end_code: int | None,
           occurrence: str) -> tuple[np.ndarray, np.ndarray]:
    """Journey and position of every anchor unit (the anchor touch, or the end state)."""
    lengths = js.lengths
    if end_code is not None:
        jid = np.flatnonzero(js.outcome == end_code)
        return jid, lengths[jid]
    hits = np.flatnonzero(js.symbols == anchor_code)
    jid = np.searchsorted(js.offsets, hits, side="right") - 1
    pos = hits - js.offsets[jid]
    if occurrence == "first" and len(jid):
        first = np.r_[True, jid[1:] != jid[:-1]]
        jid, pos = jid[first], pos[first]
    return jid, pos


def _state_codes(js: Any, jid: np.ndarray, pos: np.ndarray, before: int,
                 after: int) -> np.ndarray:
    """The state code at each step (columns) of each unit (rows).

    Codes: ``0 .. m-1`` the touch labels, then ``m + o`` the outcome ``o``, ``m + 3`` ended,
    ``m + 4`` start."""
    m = len(js.labels)
    lengths = js.lengths[jid]
    start = js.offsets[:-1][jid]
    offsets_ = np.arange(-before, after + 1)
    p = pos[:, None] + offsets_[None, :]
    L = lengths[:, None]
    inside = (p >= 0) & (p < L)
    idx = np.where(inside, start[:, None] + np.clip(p, 0, None), 0)
    sym = js.symbols[idx] if len(js.symbols) else np.zeros_like(idx)
    codes = np.where(inside, sym, 0).astype(np.int64)
    codes = np.where(p == L, m + js.outcome[jid].astype(np.int64)[:, None], codes)
    codes = np.where(p > L, m + 3, codes)
    codes = np.where(p < 0, m + 4, codes)
    return codes


def _design_effect(codes: np.ndarray, journey: np.ndarray, n_states: int) -> np.ndarray:
    """Design effect of every (step, state) share when units cluster in journeys.

    The share ``p = sum_j y_j / sum_j m_j`` (``y_j`` units of journey ``j`` in the state,
    ``m_j`` its units) has the cluster-robust (linearisation) variance
    ``J / (J - 1) * sum_j (y_j - p m_j)^2 / n^2``; the design effect is its ratio to the
    multinomial variance ``p (1 - p) / n``, at least 1. Returns an array (steps, states)."""
    cl, m_j = np.unique(journey, return_inverse=True, return_counts=True)[1:]
    n_cl = len(m_j)
    n = float(len(journey))
    sum_m2 = float(np.sum(m_j.astype(float) ** 2))
    out = np.ones((codes.shape[1], n_states))
    if n_cl < 2:
        return out
    for j in range(codes.shape[1]):
        pair, y = np.unique(cl * n_states + codes[:, j], return_counts=True)
        state, owner = pair % n_states, pair // n_states
        y = y.astype(float)
        sum_y = np.bincount(state, weights=y, minlength=n_states)
        sum_y2 = np.bincount(state, weights=y * y, minlength=n_states)
        sum_ym = np.bincount(state, weights=y * m_j[owner], minlength=n_states)
        p = sum_y / n
        with np.errstate(invalid="ignore", divide="ignore"):
            v_cl = n_cl / (n_cl - 1) * (sum_y2 - 2 * p * sum_ym + p * p * sum_m2) / n**2
            v_srs = p * (1 - p) / n
            deff = np.where(v_srs > 0, v_cl / np.where(v_srs > 0, v_srs, 1), 1.0)
        out[j] = np.maximum(np.nan_to_num(deff, nan=1.0), 1.0)
    return out


def _tabulate(codes: np.ndarray, weight: np.ndarray, labels: list[str], before: int,
              after: int, anchor_is_end: bool, alpha: float,
              journey: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = len(labels)
    names = [*labels, *END_STATES, ENDED, START]
    n_states = len(names)
    steps = np.arange(-before, after + 1)
    order = [m + 4, *range(m), m, m + 1, m + 2, m + 3]  # (start), touches, ends, (ended)
    rows = []
    for j, step in enumerate(steps):
        counts = np.bincount(codes[:, j], weights=weight, minlength=n_states)
        if step < 0:
            possible = [m + 4, *range(m)]
        elif step == 0:
            possible = [int(codes[0, j])] if len(codes) else []
        elif anchor_is_end:
            possible = [m + 3]
        else:
            possible = [*range(m), m, m + 1, m + 2] + ([m + 3] if step >= 2 else [])
        possible = [c for c in order if c in possible]
        for c in possible:
            rows.append((int(step), names[c], counts[c], len(possible)))
    table = pd.DataFrame(rows, columns=["step", "state", "count", "k"])
    n = table.groupby("step")["count"].transform("sum").to_numpy()
    c = table["count"].to_numpy()
    k = table["k"].to_numpy()
    n_eff = n.astype(float)
    if journey is not None and len(journey):  # units cluster in journeys: effective sizes
        deff = _design_effect(codes, journey, n_states)
        code_of = {name: i for i, name in enumerate(names)}
        col = table["step"].to_numpy() + before
        n_eff = n / deff[col, [code_of[st] for st in table["state"]]]
    with np.errstate(invalid="ignore", divide="ignore"):
        c_eff = np.where(n > 0, c / np.where(n > 0, n, 1), 0.0) * n_eff
    low, high = goodman_intervals(c_eff, n_eff, k, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, c / np.where(n > 0, n, 1), np.nan)
    fixed = k == 1  # one possible state: the share is 1 by construction
    low = np.where(fixed, share, low)
    high = np.where(fixed, share, high)
    table = pd.DataFrame({"step": table["step"].to_numpy(), "state": table["state"].to_numpy(),
                          "count": np.round(c).astype(np.int64), "n": np.round(n).astype(np.int64),
                          "share": share, "ci_low": low, "ci_high": high, "n_effective": n_eff})
    flow_rows = []
    for j in range(len(steps) - 1):
        key = codes[:, j] * n_states + codes[:, j + 1]
        f = np.bincount(key, weights=weight, minlength=n_states * n_states)
        for kk in np.flatnonzero(f):
            flow_rows.append((int(steps[j]), names[kk // n_states], names[kk % n_states],
                              int(round(f[kk]))))
    flows = pd.DataFrame(flow_rows, columns=["step", "from_state", "to_state", "count"])
    return table, flows


def _matrix(js: Any, jid: np.ndarray, pos: np.ndarray, *, anchor: str, labels: list[str],
            anchor_is_end: bool, before: int, after: int, occurrence: str, alpha: float,
            sequence: str, n_journeys: int, info: dict[str, Any]) -> StepMatrix:
    codes = _state_codes(js, jid, pos, before, after)
    weight = js.weight[jid].astype(float)
    table, flows = _tabulate(codes, weight, labels, before, after, anchor_is_end, alpha,
                             journey=jid if occurrence == "every" else None)
    return StepMatrix(table=table, flows=flows, anchor=anchor, sequence=sequence, before=before,
                      after=after, occurrence=occurrence, alpha=alpha, n_journeys=n_journeys,
                      n_anchored=len(np.unique(jid)), n_units=len(jid), info=info)


def step_matrix(
    data: EventLog | pd.DataFrame,
    *,
    anchor: str,
    before: int = 5,
    after: int = 5,
    spec: JourneySpec | None = None,
    occurrence: str = "first",
    group: str | None = None,
    alpha: float = 0.05,
    test: str = "chi-square",
    correction: str = "holm",
    **log_options: Any,
) -> StepMatrix | StepMatrixComparison:
    """The step matrix around an anchor event: where journeys are, step by step, before and after.

    Every journey that reaches ``anchor`` is aligned on it (step 0); at each step from
    ``-before`` to ``+after`` it is on a touch (a channel or a stage), before its start
    (``(start)``), at its end (``(conversion)``, ``(drop_out)``, ``(censored)``: the journey
    rules of :func:`cjmodels.data.journeys`), or past its end (``(ended)``); see the module
    docstring for how each is told apart. Each step's shares come with Goodman's simultaneous
    multinomial intervals.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    anchor : str
        A channel or stage label of the touches (``spec.sequence``), or an end state
        ``"(conversion)"``, ``"(drop_out)"``, ``"(censored)"`` (the steps before a journey's
        end).
    before, after : int, default 5
        Steps shown before and after the anchor (each >= 0, at most 100).
    spec : JourneySpec, optional
        How the log is cut into journeys; default ``JourneySpec()`` (stages). Reads
        ``sequence``, ``timeout``, ``lookback``, ``journeys`` and ``collapse_repeats``; other
        fields must stay at their defaults.
    occurrence : {"first", "every"}
        Align each journey on its first occurrence of the anchor (each journey counts once),
        or on every occurrence (each occurrence counts once: a journey with the anchor twice
        counts twice). Occurrences of one journey are not independent: with ``"every"`` the
        intervals use each share's effective sample size (``n`` over its design effect, the
        ratio of the cluster-robust variance over journeys to the multinomial one, at least
        1), and ``group`` is refused (the tests need independent units).
    group : str, optional
        A column of the log that gives each customer one segment, with exactly two values:
        the result is then a :class:`StepMatrixComparison` of the two segments. Customers
        without a value are left out with a warning (counted in ``n_excluded``).
    alpha : float, default 0.05
        1 - the simultaneous confidence level of each step's intervals; with ``group``, also
        the level of the tests.
    test : {"chi-square", "g-test"}
        With ``group``: the test of each step's 2 x K table (Pearson's chi-square or the
        likelihood-ratio G test).
    correction : str, default "holm"
        With ``group``: the multiple-testing correction of the cells and of the steps (one of
        :data:`cjmodels.experiments.CORRECTIONS`: ``"holm"``, ``"bonferroni"``,
        ``"hochberg"``, ``"bh"``, ``"by"``).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    StepMatrix or StepMatrixComparison
        The step matrix; with ``group``, the comparison of the two segments' matrices.

    Raises
    ------
    ValidationError
        For an anchor that is neither a label of the sequence nor an end state, no journey
        reaching it, a ``group`` that is not a column, varies within a customer or does not
        have exactly two values, a label that clashes with a state name, or a bad option.

    Examples
    --------
    >>> from cjmodels.datasets import load_journeys
    >>> log = load_journeys().event_log()
    >>> m = step_matrix(log, anchor="decision", before=2, after=2)
    >>> m.n_anchored
    2213
    >>> row = m.summary().query("step == 1 and state == '(conversion)'")
    >>> row[["count", "n", "share", "ci_low", "ci_high"]].round(3)
        count     n  share  ci_low  ci_high
    24    453  2213  0.205   0.182     0.23
    """
    spec = _check_spec(spec)
    check_scalar(before, "before", typ=int, ge=0, le=100)
    check_scalar(after, "after", typ=int, ge=0, le=100)
    before, after = int(before), int(after)
    check_scalar(occurrence, "occurrence", in_=_OCCURRENCES)
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    alpha = float(alpha)
    check_scalar(test, "test", in_=_TESTS)
    if not isinstance(anchor, str):
        raise ValidationError(
            f"anchor == {anchor!r} (a {type(anchor).__name__}); pass the label as text, as the "
            "log shows it (channel and stage labels are the str of their values)."
        )
    if group is not None and not isinstance(group, str):
        raise ValidationError(f"group == {group!r}; pass the name of a column of the log.")
    log = as_event_log(data, **log_options)
    js = journey_set(log, sequence=spec.sequence, timeout=spec.timeout, lookback=spec.lookback)
    table = js.table
    if spec.journeys != "all":
        keep = (table["journey"].to_numpy() == 1) == (spec.journeys == "first")
        if not keep.any():
            raise ValidationError(f"no {spec.journeys} journeys in the log (spec.journeys).")
        js = subset(js, keep)
        table = table.loc[keep].reset_index(drop=True)
    if spec.collapse_repeats:
        js = js.collapse_repeats()
    labels = [str(x) for x in js.labels]
    clash = sorted(set(labels) & {*END_STATES, ENDED, START})
    if clash:
        raise ValidationError(
            f"{spec.sequence} labels {clash} are also names of the step matrix's states "
            f"{[START, *END_STATES, ENDED]}; rename them before building the log."
        )
    if anchor in END_STATES:
        anchor_code, end_code = -1, END_STATES.index(anchor)
    elif anchor in labels:
        anchor_code, end_code = labels.index(anchor), None
    else:
        shown = labels[:20] + (["..."] if len(labels) > 20 else [])
        other = "channel" if spec.sequence == "stage" else "stage"
        raise ValidationError(
            f"anchor == {anchor!r} is not a {spec.sequence} of the journeys ({shown}) nor an "
            f"end state {list(END_STATES)}. For a {other}, pass "
            f"spec=JourneySpec(sequence={other!r})."
        )
    info = {"spec": spec.to_dict(), **{k: v for k, v in js.info.items() if k != "sequence"}}
    jid, pos = _units(js, anchor_code, end_code, occurrence)
    common = {"anchor": anchor, "labels": labels, "anchor_is_end": end_code is not None,
              "before": before, "after": after, "occurrence": occurrence, "alpha": alpha,
              "sequence": spec.sequence}
    if group is not None and occurrence == "every":
        raise ValidationError(
            "group= compares segments with one unit per journey; occurrence='every' counts "
            "a journey once per occurrence, and the tests need independent units. Use "
            "occurrence='first'."
        )
    if group is None:
        if len(jid) == 0:
            raise ValidationError(
                f"no journey reaches the anchor {anchor!r}; there is nothing to count."
            )
        return _matrix(js, jid, pos, n_journeys=js.n, info=info, **common)
    return _compare(log, js, table, jid, pos, group=group, test=test, correction=correction,
                    info=info, **common)


def _compare(log: EventLog, js: Any, table: pd.DataFrame, jid: np.ndarray, pos: np.ndarray, *,
             group: str, test: str, correction: str, info: dict[str, Any],
             **common: Any) -> StepMatrixComparison:
    cust_group, values = _customer_groups(log, group)
    customers = pd.Index(log.customers)
    journey_cust = customers.get_indexer(pd.Index(table["customer_id"].to_numpy()))
    journey_group = cust_group[journey_cust]
    used = np.unique(journey_group[journey_group >= 0])
    if len(used) != 2:
        shown = [values[i] for i in used[:10]]
        raise ValidationError(
            f"column {group!r} (group) has {len(used)} values among the journeys ({shown}); "
            "a comparison needs exactly two. Filter the log to two segments or map the column "
            "onto two values."
        )
    missing = journey_group < 0
    n_excluded = int(missing.sum())
    if n_excluded:
        warn_user(f"{n_excluded} journeys of customers without a value of {group!r} are left "
                  "out of the comparison (counted in n_excluded).")
    try:
        order = sorted(used, key=lambda i: values[i])
    except TypeError:
        order = list(used)
    mats = []
    for g in order:
        sel = journey_group[jid] == g
        if not sel.any():
            raise ValidationError(
                f"no journey of segment {values[g]!r} (column {group!r}) reaches the anchor "
                f"{common['anchor']!r}; there is nothing to compare."
            )
        n_j = int((journey_group == g).sum())
        mats.append(_matrix(js, jid[sel], pos[sel], n_journeys=n_j,
                            info={**info, "group": group, "segment": values[g]}, **common))
    a, b = mats[0].table, mats[1].table
    alpha = common["alpha"]
    c1, n1 = a["count"].to_numpy(float), a["n"].to_numpy(float)
    c2, n2 = b["count"].to_numpy(float), b["n"].to_numpy(float)
    z, p = _pooled_z(c1, n1, c2, n2)
    p = np.where(a["step"].to_numpy() == 0, np.nan, p)
    tested = np.isfinite(p)
    m_cells = int(tested.sum())
    low, high = newcombe_difference(c1, n1, c2, n2, alpha / max(m_cells, 1))
    p_adj = np.full(len(p), np.nan)
    if m_cells:
        p_adj[tested] = adjust_pvalues(np.clip(p[tested], 0, 1), correction=correction)
    else:
        check_scalar(correction, "correction", in_=("holm", "bonferroni", "hochberg", "bh", "by"))
    diff = pd.DataFrame({
        "step": a["step"], "state": a["state"],
        "count_1": a["count"], "n_1": a["n"], "share_1": a["share"],
        "count_2": b["count"], "n_2": b["n"], "share_2": b["share"],
        "difference": a["share"].to_numpy() - b["share"].to_numpy(),
        "ci_low": low, "ci_high": high, "statistic": z, "pvalue": p,
        "pvalue_adjusted": p_adj, "significant": np.nan_to_num(p_adj, nan=1.0) < alpha,
    })
    diff = diff[diff["step"] != 0].reset_index(drop=True)
    step_rows = []
    for step, part in diff.groupby("step", sort=True):
        if step == 0:
            continue
        tab = np.vstack([part["count_1"].to_numpy(float), part["count_2"].to_numpy(float)])
        tab = tab[:, tab.sum(axis=0) > 0]
        if tab.shape[1] < 2:
            step_rows.append((int(step), np.nan, 0.0, np.nan, tab.shape[1]))
            continue
        stat, pv, dof, _ = stats.chi2_contingency(
            tab, correction=False,
            lambda_="log-likelihood" if test == "g-test" else "pearson")
        step_rows.append((int(step), float(stat), float(dof), float(pv), tab.shape[1]))
    step_tests = pd.DataFrame(step_rows, columns=["step", "statistic", "df", "pvalue",
                                                  "n_states"])
    ok = step_tests["pvalue"].notna().to_numpy()
    adj = np.full(len(step_tests), np.nan)
    if ok.any():
        adj[ok] = adjust_pvalues(step_tests["pvalue"].to_numpy()[ok], correction=correction)
    step_tests.insert(4, "pvalue_adjusted", adj)
    hypothesis = (f"the two segments' journeys are in the same states at every step around "
                  f"{common['anchor']!r}")
    method = f"{test} per step (Bonferroni)"
    if ok.any():
        pv = step_tests["pvalue"].to_numpy()[ok]
        best = int(np.argmin(pv))
        row = step_tests[ok].iloc[best]
        overall = HypothesisTest(
            statistic=float(row["statistic"]), df=float(row["df"]),
            pvalue=float(min(1.0, pv[best] * int(ok.sum()))), method=method,
            hypothesis=hypothesis, table=step_tests,
            info={"step": int(row["step"]), "n_steps_tested": int(ok.sum())})
    else:
        overall = HypothesisTest(statistic=np.nan, df=np.nan, pvalue=np.nan, method=method,
                                 hypothesis=hypothesis, table=step_tests,
                                 info={"n_steps_tested": 0})
    return StepMatrixComparison(
        groups=tuple(values[g] for g in order), first=mats[0], second=mats[1], table=diff,
        step_tests=step_tests, test=overall, test_method=test, correction=correction,
        alpha=alpha, n_excluded=n_excluded)
