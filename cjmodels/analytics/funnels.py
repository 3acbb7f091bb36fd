"""Funnels over arbitrary event steps under explicit definitions, and conversion within a window.

A funnel is an ordered list of **steps**; a unit (a customer, a journey or a session: the
``grain``) *reaches* step ``j`` under one of three definitions, which :func:`funnel` names and
:func:`compare_funnel_definitions` shows side by side, because they answer different questions
and give very different counts:

``"strict-order"``
    The unit did step 1, then step 2, ..., then step ``j``, in this order (other events may
    happen in between; each event fills one step). Steps are matched greedily from the unit's
    first step-1 event, which finds a match whenever one exists. A journey that skips a stage or
    starts mid-funnel never reaches the later steps.
``"any-order"``
    The unit did each of steps 1..j at least once, in any order.
``"furthest-stage"``
    The unit's deepest step reached is ``j`` or later: reaching a stage counts for every stage
    before it (the stage-scheme reading, as :func:`cjmodels.data.funnel_table`).

The counts are nested (``reached[j + 1] <= reached[j]``) under each definition, and
``strict-order <= any-order <= furthest-stage`` step by step.

**Steps** are labels of one column of the log, ``sequence=`` (``"stage"``, ``"channel"`` or
``"event"``, the event type), or predicates naming their own column: a tuple ``(column, value)``
such as ``("event", "conversion")`` or ``("channel", "email")``, or any covariate column of the
log. Events are taken in the log's order (by customer, time and the tie-break order of
:class:`~cjmodels.data.EventLog`).

**Window**: with ``window=``, only events from the unit's anchor to ``window`` after it count (an
event exactly ``window`` after it counts; events before the anchor do not): the anchor is the
unit's first step-1 event, or, for a ``"furthest-stage"`` unit that never did step 1, its first
event at any step. So the three definitions stay ordered with a window too.

**Conversion within a window** ("of those who did A, how many did B within 7 days"):
:func:`window_conversion` treats customers observed for less than the window after A as
censored, not as non-converters, and estimates the share by Kaplan-Meier (the cumulative
incidence ``1 - S(window)``, Greenwood interval), next to the naive share that ignores censoring
and is biased low.
"""

# size: one topic, funnels: the step matching and the unit assignment (customers, journeys,
# sessions) that the three definitions, the side-by-side view, the segment comparison and the
# windowed conversion all share; split, each part would import the others' private helpers.
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cjmodels._checks import check_scalar, warn_user
from cjmodels.data import EventLog, JourneySpec, session_ids
from cjmodels.data.events import as_event_log
from cjmodels.data.journeys import journey_index
from cjmodels.errors import ValidationError
from cjmodels.experiments import CORRECTIONS, adjust_pvalues
from cjmodels.results import HypothesisTest, Result, interval_bars, result_dataclass
from cjmodels.survival import kaplan_meier

__all__ = [
    "FunnelComparison",
    "FunnelDefinitions",
    "FunnelResult",
    "WindowConversion",
    "compare_funnel_definitions",
    "compare_funnels",
    "funnel",
    "window_conversion",
]

# The funnel definitions, in the order compare_funnel_definitions shows them.
DEFINITIONS = ("strict-order", "any-order", "furthest-stage")
# The grains a funnel counts: customers, journeys (by a JourneySpec) or sessions.
GRAINS = ("customer", "journey", "session")
_SEQUENCES = ("stage", "channel", "event")


# --------------------------------------------------------------------------- input checks
def _check_alpha(alpha: Any) -> float:
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    return float(alpha)


def _check_spec(spec: Any, grain: str, sequence: str) -> JourneySpec:
    spec = JourneySpec.resolve(spec)
    if spec.sequence != "stage" and spec.sequence != sequence:
        raise ValidationError(
            f"spec.sequence == {spec.sequence!r} but sequence == {sequence!r}: a funnel's steps "
            "are read from the column sequence= names; leave spec.sequence at its default."
        )
    if grain == "customer":
        spec.check_fields(("sequence",), "a funnel at the customer grain")
    elif grain == "journey":
        spec.check_fields(("sequence", "timeout", "lookback", "journeys"), "a journey funnel")
    else:
        spec.check_fields(("sequence", "timeout"), "a session funnel")
    return spec


def _step_label(step: Any) -> str:
    return step if isinstance(step, str) else f"{step[0]}={step[1]}"


def _step_masks(log: EventLog, steps: Any, sequence: str,
                definition: str) -> tuple[list[str], list[np.ndarray]]:
    """The label and the boolean mask over ``log.events`` of every step."""
    check_scalar(sequence, "sequence", in_=_SEQUENCES)
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) < 2:
        raise ValidationError(
            f"steps == {steps!r}: give the funnel's steps in order, at least two, e.g. "
            "steps=['awareness', 'interest', 'purchase'] or [('channel', 'email'), "
            "('event', 'conversion')]."
        )
    labels, masks = [], []
    ev = log.events
    for step in steps:
        if isinstance(step, str):
            column, value = sequence, step
        elif isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str):
            column, value = step
        else:
            raise ValidationError(
                f"step {step!r}: a step is a label of the sequence={sequence!r} column or a "
                "tuple (column, value), e.g. ('event', 'conversion')."
            )
        if column == "event":
            if not isinstance(value, str) or value not in log.event_types:
                raise ValidationError(
                    f"step {step!r}: {value!r} is not an event type of the log; use one of "
                    f"{list(log.event_types)}."
                )
            mask = log.is_event(value)
        elif column in ("stage", "channel"):
            log.require(column, purpose=f"the funnel step {_step_label(step)!r}")
            codes, names = log.codes(column)
            hit = np.flatnonzero(np.asarray(names, dtype=object) == str(value))
            mask = codes == hit[0] if len(hit) else np.zeros(len(codes), dtype=bool)
        elif column in log.covariates:
            col = ev[column]
            try:
                mask = (col == value).fillna(False).to_numpy(dtype=bool)
            except (TypeError, ValueError):
                mask = np.array([v == value for v in col.astype(object)], dtype=bool)
        else:
            raise ValidationError(
                f"step {step!r}: column {column!r} is not in the event log; steps can name "
                f"'event', 'stage', 'channel' or a covariate column {list(log.covariates)}."
            )
        if not mask.any():
            warn_user(f"funnel step {_step_label(step)!r} matches no event of the log; no unit "
                      "reaches it (check the spelling).")
        labels.append(_step_label(step))
        masks.append(np.asarray(mask, dtype=bool))
    if len(set(labels)) != len(labels):
        if definition != "strict-order":
            twice = sorted({x for x in labels if labels.count(x) > 1})
            raise ValidationError(
                f"steps {twice} are listed more than once, which only a 'strict-order' funnel "
                "can read (the same event done twice, in order); list each step once."
            )
        seen: dict[str, int] = {}
        for i, lab in enumerate(labels):
            seen[lab] = seen.get(lab, 0) + 1
            if seen[lab] > 1:
                labels[i] = f"{lab} ({seen[lab]})"
    return labels, masks


def _units(log: EventLog, grain: str, spec: JourneySpec,
           inactivity: Any) -> tuple[np.ndarray, int, dict[str, Any]]:
    """The unit (0..n-1, -1 outside every unit) of every event, the number of units, info."""
    check_scalar(grain, "grain", in_=GRAINS)
    info: dict[str, Any] = {}
    if inactivity is not None and grain != "session":
        raise ValidationError(
            f"inactivity == {inactivity!r} is read only at grain='session'; leave it None."
        )
    if grain == "customer":
        return np.asarray(log.customer_codes, dtype=np.int64), int(log.n_customers), info
    if grain == "session":
        number = session_ids(log, inactivity=inactivity, spec=spec)
        cust = log.customer_codes
        new = np.ones(len(number), dtype=bool)
        new[1:] = (cust[1:] != cust[:-1]) | (number[1:] != number[:-1])
        unit = np.cumsum(new) - 1
        return unit.astype(np.int64), int(new.sum()), info
    table, touch_pos, touch_j, jinfo = journey_index(log, timeout=spec.timeout,
                                                     lookback=spec.lookback)
    unit = np.full(log.n_events, -1, dtype=np.int64)
    unit[touch_pos] = touch_j
    conv_pos = np.flatnonzero(log.is_event("conversion"))
    conv_j = np.flatnonzero((table["outcome"] == "conversion").to_numpy())
    if len(conv_pos) != len(conv_j):  # pragma: no cover - every conversion ends a journey
        raise ValidationError("internal error: conversions and converted journeys differ.")
    unit[conv_pos] = conv_j
    n_j = len(table)
    if spec.journeys != "all":
        number = table["journey"].to_numpy()
        keep = number == 1 if spec.journeys == "first" else number > 1
        new_id = np.full(n_j, -2, dtype=np.int64)  # -2: in a journey spec.journeys leaves out
        new_id[keep] = np.arange(int(keep.sum()))
        inside = unit >= 0
        unit[inside] = new_id[unit[inside]]
        n_j = int(keep.sum())
    info["events_outside_journeys"] = int((unit == -1).sum())
    info["events_in_journeys_left_out"] = int((unit == -2).sum())
    info["touches_outside_lookback"] = int(jinfo["touches_outside_lookback"])
    return unit, n_j, info


def _first_per_unit(unit: np.ndarray, cand: np.ndarray, n: int) -> np.ndarray:
    """The smallest event position among ``cand`` of each unit, -1 where none."""
    out = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(cand)
    u, first = np.unique(unit[pos], return_index=True)  # positions ascend: first is smallest
    out[u] = pos[first]
    return out


def _depths(log: EventLog, unit: np.ndarray, n_units: int, masks: list[np.ndarray],
            definition: str, window: Any) -> np.ndarray:
    """Per unit, how many steps it reached (0: none) under ``definition``."""
    check_scalar(definition, "definition", in_=DEFINITIONS)
    k = len(masks)
    inside = unit >= 0
    ticks = log.ticks()[0]
    span = None if window is None else log.span_ticks(window)
    depth = np.zeros(n_units, dtype=np.int64)
    if n_units == 0:
        return depth

    def within(anchor_pos: np.ndarray) -> np.ndarray:
        ok = inside.copy()
        if span is None:
            return ok
        a = anchor_pos[np.where(inside, unit, 0)]
        ok &= (a >= 0) & (np.arange(len(unit)) >= a)  # from the anchor on, in the log's order
        with np.errstate(over="ignore", invalid="ignore"):
            gap = ticks - ticks[np.maximum(a, 0)]
        return ok & (gap <= span)

    if definition == "strict-order":
        prev = _first_per_unit(unit, masks[0] & inside, n_units)
        win = within(prev)
        depth[prev >= 0] = 1
        pos = np.arange(len(unit))
        for j in range(1, k):
            p = prev[np.where(inside, unit, 0)]
            cand = masks[j] & win & (p >= 0) & (pos > p)
            prev = _first_per_unit(unit, cand, n_units)
            depth[prev >= 0] = j + 1
        return depth
    # the anchor: the first step-1 event (the first event at any step for a unit without one)
    anchor = _first_per_unit(unit, masks[0] & inside, n_units)
    if definition == "furthest-stage":
        none = anchor < 0
        anchor[none] = _first_per_unit(unit, np.logical_or.reduce(masks) & inside, n_units)[none]
    win = within(anchor)
    if definition == "any-order":
        alive = np.ones(n_units, dtype=bool)
        for j in range(k):
            has = np.bincount(unit[masks[j] & win], minlength=n_units) > 0
            alive &= has
            depth[alive] = j + 1
        return depth
    idx = np.full(len(unit), -1, dtype=np.int64)
    for j in range(k):
        idx[masks[j]] = j
    sel = win & (idx >= 0)
    furthest = np.full(n_units, -1, dtype=np.int64)
    np.maximum.at(furthest, unit[sel], idx[sel])
    return furthest + 1


def _wilson(count: np.ndarray, nobs: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    count, nobs = np.asarray(count, dtype=float), np.asarray(nobs, dtype=float)
    low, high = np.full(len(count), np.nan), np.full(len(count), np.nan)
    ok = nobs > 0
    if ok.any():
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
    return low, high


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = np.full(len(a), np.nan)
    np.divide(a, b, out=out, where=b > 0)
    return out


def _funnel_table(depth: np.ndarray, labels: list[str], alpha: float) -> pd.DataFrame:
    k = len(labels)
    hist = np.bincount(depth, minlength=k + 1)
    reached = np.cumsum(hist[::-1])[::-1][1:].astype(np.int64)
    prev = np.r_[reached[0], reached[:-1]]
    first = np.full(k, reached[0])
    step = _ratio(reached, prev)
    step[0] = np.nan
    s_lo, s_hi = _wilson(reached, prev, alpha)
    s_lo[0] = s_hi[0] = np.nan
    cum = _ratio(reached, first)
    c_lo, c_hi = _wilson(reached, first, alpha)
    lost = (prev - reached).astype(float)
    lost[0] = np.nan
    return pd.DataFrame({
        "reached": reached,
        "step_conversion": step,
        "step_ci_low": s_lo,
        "step_ci_high": s_hi,
        "cumulative_conversion": cum,
        "cumulative_ci_low": c_lo,
        "cumulative_ci_high": c_hi,
        "drop_off": 1.0 - step,
        "lost": lost,
    }, index=pd.Index(labels, name="step"))


def _prepare(data: Any, steps: Any, definition: str, grain: str, sequence: str, spec: Any,
             window: Any, inactivity: Any, log_options: dict[str, Any]):
    check_scalar(definition, "definition", in_=DEFINITIONS)
    check_scalar(grain, "grain", in_=GRAINS)
    log = as_event_log(data, **log_options)
    spec = _check_spec(spec, grain, sequence)
    if window is not None:
        if isinstance(window, bool) or not (log.duration(window) > 0):
            raise ValidationError(
                f"window == {window!r}, must be a positive time span (e.g. '7D', or a number "
                "in the log's unit for numeric timestamps)."
            )
    labels, masks = _step_masks(log, steps, sequence, definition)
    unit, n_units, info = _units(log, grain, spec, inactivity)
    if grain == "journey":
        outside = int((np.logical_or.reduce(masks) & (unit == -1)).sum())
        info["step_events_outside_journeys"] = outside
        if outside:
            warn_user(f"{outside} events at a funnel step lie outside every journey (events "
                      "other than touches and conversions, or touches outside the lookback) "
                      "and are not counted; count customers (grain='customer') to use them.")
    return log, labels, masks, unit, n_units, info


def _window_text(window: Any) -> str | None:
    return None if window is None else str(window)


# --------------------------------------------------------------------------- one funnel
@result_dataclass
class FunnelResult(Result):
    """A funnel under one definition: counts, conversions with Wilson intervals, drop-off.

    Made by :func:`funnel`; ``summary()`` is :attr:`table`, ``plot()`` draws the cumulative
    conversion of each step with its interval (the step where most are lost in red).

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by step, in order: ``reached`` (units that reached the step), ``step_conversion``
        (``reached / reached`` of the step before; undefined for the first step) with
        ``step_ci_low`` and ``step_ci_high``, ``cumulative_conversion`` (``reached / reached``
        of the first step) with ``cumulative_ci_low`` and ``cumulative_ci_high`` (Wilson score
        intervals), ``drop_off`` (``1 - step_conversion``) and ``lost`` (units that reached the
        step before but not this one).
    definition : str
        ``"strict-order"``, ``"any-order"`` or ``"furthest-stage"``.
    grain : str
        One of ``"customer"``, ``"journey"`` or ``"session"``.
    window : str or None
        The window from the anchor (see the module notes), or None.
    n_units : int
        Units (customers, journeys or sessions) of the log.
    n_entered : int
        Units that reached the first step.
    most_lost : str or None
        The step that loses the most units (the largest ``lost``; the first in order on a tie);
        None when no unit entered or none was lost.
    alpha : float
        1 - the confidence level of the intervals.
    info : dict
        The steps' sequence column; at the journey grain, ``events_outside_journeys`` (events
        other than touches and conversions, and touches outside the lookback),
        ``events_in_journeys_left_out`` (in journeys ``spec.journeys`` leaves out) and
        ``step_events_outside_journeys`` (events at a step outside every journey, said in a
        warning).
    """

    table: pd.DataFrame
    definition: str
    grain: str
    window: str | None
    n_units: int
    n_entered: int
    most_lost: str | None
    alpha: float
    info: dict[str, Any]

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"definition": self.definition, "grain": self.grain, "steps": len(self.table),
                "n_entered": self.n_entered,
                "conversion": float(self.table["cumulative_conversion"].iloc[-1]),
                "most_lost": self.most_lost}

    @property
    def notes(self) -> list[str]:
        """Plain sentences explaining every undefined (null) number of :attr:`table`."""
        first = self.table.index[0]
        out = [f"step_conversion, drop_off and lost are undefined (null) for the first step "
               f"{first!r}: there is no step before it."]
        if self.n_entered == 0:
            out.append("no unit reached the first step, so every conversion is undefined.")
        elif (self.table["reached"].iloc[:-1] == 0).any():
            out.append("a step after one that no unit reached has an undefined step_conversion.")
        return out

    def _to_dict(self) -> dict[str, Any]:
        rows = [{"step": s, **r} for s, r in self.table.to_dict(orient="index").items()]
        return {**{k: v for k, v in self._fields().items() if k != "table"}, "steps": rows,
                "notes": self.notes}

    def _plot(self, ax: Any, ci: bool = True, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"FunnelResult.plot takes ci= only; got {sorted(kwargs)}.")
        t = self.table
        y = np.arange(len(t))[::-1]
        colors = ["tab:red" if s == self.most_lost else "tab:blue" for s in t.index]
        if ci:
            interval_bars(ax, y, t["cumulative_conversion"], t["cumulative_ci_low"],
                          t["cumulative_ci_high"], color=colors)
        else:
            ax.barh(y, t["cumulative_conversion"], color=colors)
        ax.set_yticks(y, [str(s) for s in t.index])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the units that entered the funnel")
        ax.set_title(f"{self.definition} funnel ({self.grain}s); most lost at {self.most_lost}")


def funnel(
    data: EventLog | pd.DataFrame,
    steps: Sequence[Any],
    *,
    definition: str = "strict-order",
    grain: str = "customer",
    sequence: str = "stage",
    spec: JourneySpec | None = None,
    window: Any = None,
    inactivity: Any = None,
    alpha: float = 0.05,
    **log_options: Any,
) -> FunnelResult:
    """A funnel over event steps under one explicit definition, at one grain.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    steps : sequence
        The steps in order (at least two): labels of the ``sequence`` column, or tuples
        ``(column, value)`` naming their own column (``"event"``, ``"stage"``, ``"channel"`` or a
        covariate, whose values are compared with ``==``: ``("tier", 1)`` does not match
        ``"1"``), e.g. ``("event", "conversion")``. A step may repeat only in a
        ``"strict-order"`` funnel; a step that matches no event is said in a warning.
    definition : {"strict-order", "any-order", "furthest-stage"}
        What reaching a step means (see :mod:`cjmodels.analytics.funnels`).
    grain : {"customer", "journey", "session"}
        What is counted. Journeys are cut by ``spec``; a journey holds its touches and the
        conversion that ends it (other events are outside every journey). Sessions are those of
        :func:`cjmodels.data.session_ids`.
    sequence : {"stage", "channel", "event"}
        The column plain string steps are read from.
    spec : JourneySpec, optional
        Default ``JourneySpec()``. At the journey grain it reads ``timeout``, ``lookback`` and
        ``journeys``; at the session grain ``timeout`` (journeys bound sessions); at the customer
        grain no field.
    window : time span, optional
        Only events from the unit's anchor to this span after it count (the anchor is the
        first step-1 event; for a ``"furthest-stage"`` unit without one, its first event at any
        step): ``"7D"``, a Timedelta, or a number (days for datetime logs, the log's unit for
        numeric ones).
    inactivity : time span, optional
        At the session grain, the longest gap within a session (default ``"30min"``; numeric
        logs need it).
    alpha : float
        1 - the confidence level of the Wilson intervals.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    FunnelResult
        The counts, step and cumulative conversions with intervals, drop-off and the step that
        loses the most units.

    Raises
    ------
    ValidationError
        For fewer than two steps, a step naming a column or event type the log lacks, an
        unknown definition, grain or sequence, a ``spec`` field the grain would ignore, or a
        window that is not a positive span.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3, 3],
    ...     "timestamp": [0, 1, 2, 0, 1, 0, 1],
    ...     "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "conversion"],
    ...     "stage": ["visit", "cart", "buy", "cart", "visit", "visit", "buy"],
    ... })
    >>> f = funnel(df, ["visit", "cart", "buy"])
    >>> f.table[["reached", "cumulative_conversion"]]
           reached  cumulative_conversion
    step
    visit        3               1.000000
    cart         1               0.333333
    buy          1               0.333333
    >>> funnel(df, ["visit", "cart", "buy"], definition="furthest-stage").table["reached"].tolist()
    [3, 3, 2]
    """
    alpha = _check_alpha(alpha)
    log, labels, masks, unit, n_units, info = _prepare(
        data, steps, definition, grain, sequence, spec, window, inactivity, log_options)
    depth = _depths(log, unit, n_units, masks, definition, window)
    table = _funnel_table(depth, labels, alpha)
    lost = table["lost"].to_numpy()[1:]
    n_entered = int(table["reached"].iloc[0])
    most = labels[1 + int(np.argmax(lost))] if n_entered > 0 and lost.max() > 0 else None
    return FunnelResult(table=table, definition=definition, grain=grain,
                        window=_window_text(window), n_units=n_units, n_entered=n_entered,
                        most_lost=most, alpha=alpha, info={"sequence": sequence, **info})


# --------------------------------------------------------------------------- definitions
@result_dataclass
class FunnelDefinitions(Result):
    """One funnel under several definitions, side by side (made by
    :func:`compare_funnel_definitions`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per step and definition (long form): ``step``, ``definition``, ``reached``,
        ``cumulative_conversion``, ``cumulative_ci_low``, ``cumulative_ci_high``.
    reached : pandas.DataFrame
        The counts, steps by definitions (``summary()``).
    ratio : float
        The last step's count under the most generous definition over that under the strictest
        (how much the definition changes the answer; infinite when the strictest counts none).
    grain : str
        One of ``"customer"``, ``"journey"`` or ``"session"``.
    window : str or None
        The window from the anchor, or None.
    n_units : int
        Units of the log.
    alpha : float
        1 - the confidence level.
    """

    table: pd.DataFrame
    reached: pd.DataFrame
    ratio: float
    grain: str
    window: str | None
    n_units: int
    alpha: float

    def _summary(self) -> pd.DataFrame:
        return self.reached

    def _repr_fields(self) -> dict[str, Any]:
        return {"definitions": len(self.reached.columns), "steps": len(self.reached),
                "grain": self.grain, "ratio": self.ratio}

    def _to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="records"),
                "reached": self.reached.to_dict(orient="index"), "ratio": self.ratio,
                "grain": self.grain, "window": self.window, "n_units": self.n_units,
                "alpha": self.alpha}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"FunnelDefinitions.plot takes no options; got {sorted(kwargs)}.")
        r = self.reached
        x = np.arange(len(r))
        width = 0.8 / max(len(r.columns), 1)
        for i, d in enumerate(r.columns):
            ax.bar(x + i * width, r[d].to_numpy(), width=width, label=d)
        ax.set_xticks(x + width * (len(r.columns) - 1) / 2, [str(s) for s in r.index])
        ax.set_ylabel(f"{self.grain}s reaching the step")
        ax.legend()


def compare_funnel_definitions(
    data: EventLog | pd.DataFrame,
    steps: Sequence[Any],
    *,
    definitions: Sequence[str] = DEFINITIONS,
    grain: str = "customer",
    sequence: str = "stage",
    spec: JourneySpec | None = None,
    window: Any = None,
    inactivity: Any = None,
    alpha: float = 0.05,
    **log_options: Any,
) -> FunnelDefinitions:
    """The same funnel under several definitions side by side: how much the definition matters.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    steps : sequence
        The steps in order, as in :func:`funnel` (each listed once).
    definitions : sequence of str
        Definitions to compare, from ``"strict-order"``, ``"any-order"`` and
        ``"furthest-stage"`` (default all three, in this order).
    grain : {"customer", "journey", "session"}
        What is counted (see :func:`funnel`).
    sequence : {"stage", "channel", "event"}
        The column plain string steps are read from.
    spec : JourneySpec, optional
        As in :func:`funnel`.
    window : time span, optional
        As in :func:`funnel`.
    inactivity : time span, optional
        As in :func:`funnel` (session grain).
    alpha : float
        1 - the confidence level of the Wilson intervals.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    FunnelDefinitions
        The counts per step and definition, the cumulative conversions with intervals, and the
        ratio of the last step's counts under the most and least generous definitions.

    Raises
    ------
    ValidationError
        As :func:`funnel`, or for an empty or repeated list of definitions.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3, 3],
    ...     "timestamp": [0, 1, 2, 0, 1, 0, 1],
    ...     "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "conversion"],
    ...     "stage": ["visit", "cart", "buy", "cart", "visit", "visit", "buy"],
    ... })
    >>> compare_funnel_definitions(df, ["visit", "cart", "buy"]).reached
           strict-order  any-order  furthest-stage
    step
    visit             3          3               3
    cart              1          2               3
    buy               1          1               2
    """
    alpha = _check_alpha(alpha)
    if isinstance(definitions, str) or not isinstance(definitions, Sequence) or not definitions:
        raise ValidationError(
            f"definitions == {definitions!r}: give a list of definitions from {list(DEFINITIONS)}."
        )
    definitions = list(definitions)
    for d in definitions:
        check_scalar(d, "definitions", in_=DEFINITIONS)
    if len(set(definitions)) != len(definitions):
        raise ValidationError(f"definitions {definitions} repeat a definition; list each once.")
    log, labels, masks, unit, n_units, _ = _prepare(
        data, steps, "any-order" if len(definitions) > 1 or definitions[0] != "strict-order"
        else "strict-order", grain, sequence, spec, window, inactivity, log_options)
    frames, reached = [], {}
    for d in definitions:
        t = _funnel_table(_depths(log, unit, n_units, masks, d, window), labels, alpha)
        reached[d] = t["reached"].to_numpy()
        frames.append(t[["reached", "cumulative_conversion", "cumulative_ci_low",
                         "cumulative_ci_high"]].reset_index().assign(definition=d))
    table = pd.concat(frames, ignore_index=True)[
        ["step", "definition", "reached", "cumulative_conversion", "cumulative_ci_low",
         "cumulative_ci_high"]]
    wide = pd.DataFrame(reached, index=pd.Index(labels, name="step"))
    last = wide.iloc[-1].to_numpy(dtype=float)
    lo, hi = last.min(), last.max()
    ratio = float(hi / lo) if lo > 0 else (float("nan") if hi == 0 else float("inf"))
    return FunnelDefinitions(table=table, reached=wide, ratio=ratio, grain=grain,
                             window=_window_text(window), n_units=n_units, alpha=alpha)


# --------------------------------------------------------------------------- segments
def _newcombe(x1: float, n1: float, x2: float, n2: float, alpha: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p2 - p1 (Wilson limits of each proportion)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(np.array([x1]), np.array([n1]), alpha)
    l2, u2 = _wilson(np.array([x2]), np.array([n2]), alpha)
    d = p2 - p1
    lo = d - np.sqrt((p2 - l2[0]) ** 2 + (u1[0] - p1) ** 2)
    hi = d + np.sqrt((u2[0] - p2) ** 2 + (p1 - l1[0]) ** 2)
    return float(lo), float(hi)


def _chi2(table: np.ndarray, lambda_: str | None = None) -> tuple[float, float, float]:
    """Pearson (or likelihood-ratio with ``lambda_="log-likelihood"``) test of homogeneity of
    the rows of ``table``; rows and columns without counts are left out. NaN when < 2x2."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0] if t.size else t
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        return float("nan"), float("nan"), float("nan")
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    df = float((t.shape[0] - 1) * (t.shape[1] - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        if lambda_ == "log-likelihood":
            terms = np.where(t > 0, t * np.log(t / expected), 0.0)
            stat = float(2.0 * terms.sum())
        else:
            stat = float(((t - expected) ** 2 / expected).sum())
    stat = max(stat, 0.0)
    return stat, df, float(stats.chi2.sf(stat, df))


@result_dataclass
class FunnelComparison(Result):
    """A funnel in two or more segments, step by step, with tests (made by
    :func:`compare_funnels`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per step and group: ``step``, ``group``, ``entered`` (the group's units that
        reached the step before; for the first step the group's units), ``reached``,
        ``conversion`` (``reached / entered``), ``ci_low``, ``ci_high`` (Wilson).
    differences : pandas.DataFrame
        One row per step and group other than the reference: ``step``, ``group``,
        ``reference``, ``difference`` (the group's conversion minus the reference's), ``ci_low``,
        ``ci_high`` (Newcombe's hybrid score interval, not adjusted), ``pvalue`` (the pooled
        two-proportion test) and ``pvalue_adjusted`` (over every row, by ``correction``).
    step_tests : pandas.DataFrame
        One row per step: ``statistic``, ``df``, ``pvalue`` of the Pearson chi-square test that
        every group converts alike at that step, and ``pvalue_adjusted`` over the steps.
    overall : HypothesisTest
        The likelihood-ratio test that the groups have the same funnel: the same distribution
        of the deepest step reached among the units that entered (it is the sum of the steps'
        likelihood-ratio statistics).
    groups : tuple of str
        The groups, sorted (the reference first).
    reference : str
        The group the differences are taken from.
    definition, grain : str
        The funnel definition and the grain.
    correction : str
        The multiple-testing correction.
    alpha : float
        1 - the confidence level.
    info : dict
        ``group`` (the column) and ``units_with_changing_group`` (units whose group changes
        between their events; they take the group of their first event).
    """

    table: pd.DataFrame
    differences: pd.DataFrame
    step_tests: pd.DataFrame
    overall: HypothesisTest
    groups: tuple[str, ...]
    reference: str
    definition: str
    grain: str
    correction: str
    alpha: float
    info: dict[str, Any]

    def _summary(self) -> pd.DataFrame:
        wide = self.table.pivot(index="step", columns="group", values="conversion")
        return wide.loc[list(dict.fromkeys(self.table["step"]))]

    def _repr_fields(self) -> dict[str, Any]:
        return {"groups": len(self.groups), "steps": self.table["step"].nunique(),
                "definition": self.definition, "correction": self.correction,
                "pvalue": self.overall.pvalue}

    def _to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="records"),
                "differences": self.differences.to_dict(orient="records"),
                "step_tests": self.step_tests.reset_index().to_dict(orient="records"),
                "overall": self.overall.to_dict(), "groups": list(self.groups),
                "reference": self.reference, "definition": self.definition,
                "grain": self.grain, "correction": self.correction, "alpha": self.alpha,
                "info": self.info,
                "notes": ["conversion, differences and tests are undefined (null) where a "
                          "group has no unit at the step before."]}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"FunnelComparison.plot takes no options; got {sorted(kwargs)}.")
        steps = list(dict.fromkeys(self.table["step"]))[1:]
        x = np.arange(len(steps))
        width = 0.8 / len(self.groups)
        for i, g in enumerate(self.groups):
            t = self.table[self.table["group"] == g].set_index("step").loc[steps]
            est = t["conversion"].to_numpy(dtype=float)
            ax.bar(x + i * width, est, width=width, label=g)
            ax.vlines(x + i * width, t["ci_low"], t["ci_high"], color="black", linewidth=1)
        ax.set_xticks(x + width * (len(self.groups) - 1) / 2, steps)
        ax.set_ylabel("step conversion")
        ax.legend()


def compare_funnels(
    data: EventLog | pd.DataFrame,
    steps: Sequence[Any],
    *,
    group: str,
    definition: str = "strict-order",
    grain: str = "customer",
    sequence: str = "stage",
    spec: JourneySpec | None = None,
    window: Any = None,
    inactivity: Any = None,
    correction: str = "holm",
    alpha: float = 0.05,
    **log_options: Any,
) -> FunnelComparison:
    """The funnel of two or more segments side by side, step by step, with tests.

    Each unit belongs to the group of its first event (a unit whose group changes is counted
    in ``info``, with a warning).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    steps : sequence
        The steps in order, as in :func:`funnel`.
    group : str
        The column of the log whose values are the segments (at least two; no missing value).
    definition : {"strict-order", "any-order", "furthest-stage"}
        What reaching a step means.
    grain : {"customer", "journey", "session"}
        What is counted.
    sequence : {"stage", "channel", "event"}
        The column plain string steps are read from.
    spec : JourneySpec, optional
        As in :func:`funnel`.
    window : time span, optional
        As in :func:`funnel`.
    inactivity : time span, optional
        As in :func:`funnel` (session grain).
    correction : str
        Multiple-testing correction of :func:`cjmodels.experiments.adjust_pvalues` (default
        ``"holm"``), applied to the step tests and, separately, to the differences.
    alpha : float
        1 - the confidence level of the intervals.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    FunnelComparison
        Per step and group the conversion with its interval; per step and group the difference
        from the reference (the first group in sorted order) with its interval and p-values;
        per step a test across all groups; and the overall test.

    Raises
    ------
    ValidationError
        As :func:`funnel`; for a ``group`` column that is not in the log, has missing values
        or fewer than two groups; an unknown correction.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 4, 4],
    ...     "timestamp": [0, 1, 0, 1, 0, 0, 1],
    ...     "event": ["touch", "conversion", "touch", "conversion", "touch", "touch",
    ...               "conversion"],
    ...     "stage": ["visit", "buy", "visit", "buy", "visit", "visit", "buy"],
    ...     "segment": ["a", "a", "a", "a", "b", "b", "b"],
    ... })
    >>> c = compare_funnels(df, ["visit", "buy"], group="segment")
    >>> c.summary()
    group    a    b
    step
    visit  1.0  1.0
    buy    1.0  0.5
    """
    alpha = _check_alpha(alpha)
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    log, labels, masks, unit, n_units, info = _prepare(
        data, steps, definition, grain, sequence, spec, window, inactivity, log_options)
    if not isinstance(group, str) or group not in log.events.columns:
        raise ValidationError(
            f"group == {group!r} is not a column of the event log; name one of "
            f"{list(log.covariates) or list(log.events.columns)}."
        )
    col = log.events[group]
    if col.isna().any():
        rows = log.source_index[col.isna().to_numpy()][:5].tolist()
        raise ValidationError(
            f"column {group!r} (group) has {int(col.isna().sum())} missing values, first at rows "
            f"{rows}; fill them (e.g. fillna('none')) so that every unit has a group."
        )
    inside = unit >= 0
    labels_of = col.astype(str).to_numpy(dtype=object)
    first = _first_per_unit(unit, inside, n_units)
    has = first >= 0
    ug = np.full(n_units, None, dtype=object)
    ug[has] = labels_of[first[has]]
    changing = pd.Series(labels_of[inside]).groupby(unit[inside]).nunique()
    n_changing = int((changing > 1).sum())
    if n_changing:
        warn_user(f"{n_changing} units change their {group!r} between events; each is counted "
                  "in the group of its first event.")
    groups = tuple(sorted({str(g) for g in ug[has]}))
    if len(groups) < 2:
        raise ValidationError(
            f"column {group!r} has {len(groups)} group(s) {list(groups)} among the units; a "
            "comparison needs at least two."
        )
    depth = _depths(log, unit, n_units, masks, definition, window)
    k = len(labels)
    gi = np.array([groups.index(g) for g in ug[has]], dtype=np.int64)
    hist = np.zeros((len(groups), k + 1))
    np.add.at(hist, (gi, depth[has]), 1)
    reached = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # reached[:, j]: depth >= j
    rows, diffs, tests = [], [], []
    for j in range(k):
        den = reached[:, j]  # entered: units that reached the step before (all units at j=0)
        num = reached[:, j + 1]
        lo, hi = _wilson(num, den, alpha)
        conv = _ratio(num, den)
        for g in range(len(groups)):
            rows.append({"step": labels[j], "group": groups[g], "entered": int(den[g]),
                         "reached": int(num[g]), "conversion": conv[g], "ci_low": lo[g],
                         "ci_high": hi[g]})
        if j == 0:
            continue
        stat, df, p = _chi2(np.c_[num, den - num])
        tests.append({"step": labels[j], "statistic": stat, "df": df, "pvalue": p})
        for g in range(1, len(groups)):
            x1, n1, x2, n2 = num[0], den[0], num[g], den[g]
            if n1 > 0 and n2 > 0:
                d = x2 / n2 - x1 / n1
                dl, dh = _newcombe(x1, n1, x2, n2, alpha)
                _, _, pv = _chi2(np.array([[x1, n1 - x1], [x2, n2 - x2]]))
                if not np.isfinite(pv):  # both groups all-or-nothing alike: no difference
                    pv = 1.0
            else:
                d = dl = dh = pv = float("nan")
            diffs.append({"step": labels[j], "group": groups[g], "reference": groups[0],
                          "difference": d, "ci_low": dl, "ci_high": dh, "pvalue": pv})
    table = pd.DataFrame(rows)
    differences = pd.DataFrame(diffs, columns=["step", "group", "reference", "difference",
                                               "ci_low", "ci_high", "pvalue"])
    step_tests = pd.DataFrame(tests, columns=["step", "statistic", "df", "pvalue"])
    for frame in (differences, step_tests):
        p = frame["pvalue"].to_numpy(dtype=float)
        adj = np.full(len(p), np.nan)
        ok = np.isfinite(p)
        if ok.any():
            adj[ok] = adjust_pvalues(p[ok], correction=correction)
        frame["pvalue_adjusted"] = adj
    step_tests = step_tests.set_index("step")
    g2, df, p = _chi2(hist[:, 1:], lambda_="log-likelihood")
    overall = HypothesisTest(
        statistic=g2, df=df, pvalue=p, method="likelihood-ratio",
        hypothesis=f"the groups of {group!r} reach the same depth of the funnel",
        table=pd.DataFrame(hist[:, 1:].astype(np.int64), index=pd.Index(groups, name="group"),
                           columns=[f"deepest: {s}" for s in labels]),
        info={"units_entered": int(hist[:, 1:].sum())})
    return FunnelComparison(table=table, differences=differences, step_tests=step_tests,
                            overall=overall, groups=groups, reference=groups[0],
                            definition=definition, grain=grain, correction=correction,
                            alpha=alpha, info={"group": group,
                                               "units_with_changing_group": n_changing, **info})


# --------------------------------------------------------------------------- windows
@result_dataclass
class WindowConversion(Result):
    """Conversion within a window after a first step, with censoring (made by
    :func:`window_conversion`).

    Attributes
    ----------
    estimate : float
        Kaplan-Meier cumulative incidence of the target within ``window`` of the origin,
        ``1 - S(window)``: customers followed for less than the window are censored.
    ci_low, ci_high : float
        Its interval (Greenwood, log-log transformed, as :func:`cjmodels.survival.kaplan_meier`).
    naive : float
        The naive share: customers with the target within the window over all customers with
        the origin (censored customers count as non-converters; biased low).
    naive_ci_low, naive_ci_high : float
        The Wilson interval of the naive share (it describes the naive quantity, not the truth).
    n_origin : int
        Customers who did the origin step.
    n_converted : int
        Of them, those with the target within the window.
    n_censored : int
        Of them, those observed for less than the window after the origin without the target.
    window : str
        The window.
    unit : str
        The time unit of :attr:`curve` (``"days"`` or the log's own unit).
    curve : pandas.DataFrame
        The cumulative incidence over time since the origin: ``time``, ``estimate``,
        ``ci_low``, ``ci_high``, ``at_risk``.
    alpha : float
        1 - the confidence level.
    info : dict
        ``origin`` and ``target`` (the steps) and how the origin is chosen.
    """

    estimate: float
    ci_low: float
    ci_high: float
    naive: float
    naive_ci_low: float
    naive_ci_high: float
    n_origin: int
    n_converted: int
    n_censored: int
    window: str
    unit: str
    curve: pd.DataFrame
    alpha: float
    info: dict[str, Any]

    _repr_exclude = ("curve",)

    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame({
            "estimate": [self.estimate, self.naive],
            "ci_low": [self.ci_low, self.naive_ci_low],
            "ci_high": [self.ci_high, self.naive_ci_high],
        }, index=pd.Index(["kaplan-meier", "naive"], name="method"))

    def _repr_fields(self) -> dict[str, Any]:
        return {"window": self.window, "estimate": self.estimate, "naive": self.naive,
                "n_origin": self.n_origin, "n_censored": self.n_censored}

    def _to_dict(self) -> dict[str, Any]:
        return {**self._fields(), "curve": self.curve.to_dict(orient="list")}

    def _plot(self, ax: Any, ci: bool = True, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"WindowConversion.plot takes ci= only; got {sorted(kwargs)}.")
        c = self.curve
        ax.step(c["time"], c["estimate"], where="post", label="Kaplan-Meier")
        if ci:
            ax.fill_between(c["time"], c["ci_low"], c["ci_high"], step="post", alpha=0.3)
        ax.axhline(self.naive, color="tab:red", linestyle="--", label="naive share")
        ax.set_xlabel(f"time since the origin ({self.unit})")
        ax.set_ylabel("share with the target")
        ax.legend()


def window_conversion(
    data: EventLog | pd.DataFrame,
    origin: Any,
    target: Any,
    *,
    window: Any,
    sequence: str = "stage",
    alpha: float = 0.05,
    **log_options: Any,
) -> WindowConversion:
    """Of the customers who did ``origin``, the share who did ``target`` within ``window``.

    The clock starts at each customer's first ``origin`` event; the target counts at its first
    event after it (later in the log's order). A customer followed for less than ``window``
    (from the origin to the log's ``observation_end``) without the target is **censored**: we
    do not know yet. The Kaplan-Meier estimate of the time to the target gives the cumulative
    incidence at the window with its interval; the naive share, which counts censored customers
    as non-converters, is given next to it.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    origin, target : str or tuple
        The two steps, as the steps of :func:`funnel`: a label of the ``sequence`` column or a
        tuple ``(column, value)``.
    window : time span
        ``"7D"``, a Timedelta, or a number (days for datetime logs, the log's unit for numeric
        ones). A target exactly ``window`` after the origin counts.
    sequence : {"stage", "channel", "event"}
        The column plain string steps are read from.
    alpha : float
        1 - the confidence level.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    WindowConversion
        The censoring-aware estimate with its interval, the naive share with its Wilson
        interval, the counts and the curve.

    Raises
    ------
    ValidationError
        For a step the log cannot match, a window that is not a positive span, or a log in
        which no customer did ``origin``.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 4],
    ...     "timestamp": [0.0, 2.0, 0.0, 9.0, 1.0, 8.0],
    ...     "event": ["touch", "conversion", "touch", "conversion", "touch", "touch"],
    ...     "channel": ["email", None, "email", None, "email", "email"],
    ... })
    >>> w = window_conversion(df, ("channel", "email"), ("event", "conversion"), window=7)
    >>> w.n_origin, w.n_converted, w.n_censored, round(w.naive, 2), round(w.estimate, 2)
    (4, 1, 1, 0.25, 0.33)
    """
    alpha = _check_alpha(alpha)
    log = as_event_log(data, **log_options)
    if window is None or isinstance(window, bool) or not (log.duration(window) > 0):
        raise ValidationError(
            f"window == {window!r}, must be a positive time span (e.g. '7D', or a number in the "
            "log's unit for numeric timestamps)."
        )
    labels, masks = _step_masks(log, [origin, target], sequence, "strict-order")
    unit = np.asarray(log.customer_codes, dtype=np.int64)
    n = int(log.n_customers)
    o = _first_per_unit(unit, masks[0], n)
    who = np.flatnonzero(o >= 0)
    if len(who) == 0:
        raise ValidationError(
            f"no customer did the origin step {labels[0]!r}; nothing to estimate."
        )
    pos = np.arange(log.n_events)
    op = o[unit]
    b = _first_per_unit(unit, masks[1] & (op >= 0) & (pos > op), n)
    unit_name = "days" if log.time_kind == "datetime" else "time units"
    t = np.asarray(log.times("D"), dtype=float)
    t_end = float(log.to_float(log.observation_end))
    span = float(log.duration(window))
    t0 = t[o[who]]
    has_b = b[who] >= 0
    event_t = np.where(has_b, t[np.maximum(b[who], 0)], np.nan)
    with np.errstate(invalid="ignore"):
        duration = np.where(has_b, event_t - t0, t_end - t0)
    duration = np.maximum(duration, 0.0)
    ticks = log.ticks()[0]
    span_t = log.span_ticks(window)
    with np.errstate(over="ignore", invalid="ignore"):
        gap_t = np.where(has_b, ticks[np.maximum(b[who], 0)] - ticks[o[who]], 0)
    within = has_b & (gap_t <= span_t)
    end_t = log.time_ticks(log.observation_end)
    followed = (end_t - ticks[o[who]]) >= span_t
    censored = ~within & ~followed
    # the curve's float times agree with the exact comparisons on ticks at the window's edge
    after = np.nextafter(span, np.inf)
    duration[within] = np.minimum(duration[within], span)
    duration[has_b & ~within] = np.maximum(duration[has_b & ~within], after)
    duration[~has_b & followed] = np.maximum(duration[~has_b & followed], span)
    duration[~has_b & ~followed] = np.minimum(duration[~has_b & ~followed],
                                              np.nextafter(span, -np.inf))
    n_o, n_conv = len(who), int(within.sum())
    naive = n_conv / n_o
    nl, nh = _wilson(np.array([n_conv]), np.array([n_o]), alpha)
    km_table = pd.DataFrame({"duration": duration, "event": has_b.astype(int)})
    with np.errstate(all="ignore"):
        km = kaplan_meier(km_table, alpha=alpha)
    at = km.at([span])
    s, s_lo, s_hi = (float(at[c].iloc[0]) for c in ("estimate", "ci_low", "ci_high"))
    curve_t = km.table
    curve = pd.DataFrame({
        "time": curve_t.index.to_numpy(dtype=float),
        "estimate": 1.0 - curve_t["estimate"].to_numpy(dtype=float),
        "ci_low": 1.0 - curve_t["ci_high"].to_numpy(dtype=float),
        "ci_high": 1.0 - curve_t["ci_low"].to_numpy(dtype=float),
        "at_risk": curve_t["n_at_risk"].to_numpy(dtype=float),
    })
    return WindowConversion(
        estimate=1.0 - s, ci_low=1.0 - s_hi, ci_high=1.0 - s_lo, naive=naive,
        naive_ci_low=float(nl[0]), naive_ci_high=float(nh[0]), n_origin=n_o,
        n_converted=n_conv, n_censored=int(censored.sum()), window=str(window),
        unit=unit_name, curve=curve, alpha=alpha,
        info={"origin": labels[0], "target": labels[1],
              "clock": "from each customer's first origin event to the first target after it"})
