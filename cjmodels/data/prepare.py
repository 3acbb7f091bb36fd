"""Preparing an event log: relabelling and grouping labels, collapsing repeats, adding churns.

Each function takes an event log and returns a :class:`PreparedLog`: a **new**
:class:`~cjmodels.data.EventLog` (the input is never modified) with a table of exactly what
changed. The new log keeps the input's observation window, stage scheme and event types, so
that collapsing or adding events does not move the window; its events are the input log's
canonical columns (``customer_id``, ``timestamp``, ``event``, ``channel``, ``stage``,
``value`` and the covariates), so its ``source_index`` counts rows of the input log's
``events``, not of the original file. Steps chain: pass ``prepared.log`` to the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.sessions import _as_span, _check_spec, _journey_of_events, longer_than
from cjmodels.data.spec import JourneySpec, _check_span
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["PreparedLog", "add_churn", "collapse_events", "relabel"]

_RELABEL_COLUMNS = ("channel", "stage", "event")
_CHURN_AT = ("last-event", "every-gap")
_KEEP = ("first", "last")


@result_dataclass
class PreparedLog(Result):
    """A new event log and what a preparation step changed (the result of :func:`relabel`,
    :func:`collapse_events` and :func:`add_churn`).

    Attributes
    ----------
    log : EventLog
        The prepared log (a new object; the input is unchanged).
    step : str
        ``"relabel"``, ``"collapse-events"`` or ``"add-churn"``.
    changes : pandas.DataFrame
        What changed. ``relabel``: one row per label that changed (``column``, ``label``,
        ``new_label``, ``n_events``); ``collapse-events``: one row per label with repeats
        (``label``, ``runs`` merged, ``events_removed``); ``add-churn``: one row per added
        event (``customer_id``, ``timestamp`` of the churn, ``after`` the timestamp of the
        event it follows, ``next`` the time of the customer's next event or the observation
        end).
    n_events_before, n_events_after : int
        Events of the input and of the prepared log.
    n_changed : int
        Events relabelled, removed or added.
    info : dict
        The step's settings and further counts (see each function).
    """

    log: EventLog
    step: str
    changes: pd.DataFrame
    n_events_before: int
    n_events_after: int
    n_changed: int
    info: dict

    _repr_exclude: ClassVar[tuple[str, ...]] = ("log",)

    def _repr_fields(self) -> dict[str, Any]:
        return {"step": self.step, "n_events_before": self.n_events_before,
                "n_events_after": self.n_events_after, "n_changed": self.n_changed}

    def _summary(self) -> pd.DataFrame:
        return self.changes

    def _to_dict(self) -> dict[str, Any]:
        changes = self.changes.copy()
        for col in changes.columns:
            if changes[col].dtype.kind == "M" or isinstance(changes[col].dtype,
                                                               pd.DatetimeTZDtype):
                changes[col] = changes[col].astype(str)
        return {"step": self.step, "n_events_before": self.n_events_before,
                "n_events_after": self.n_events_after, "n_changed": self.n_changed,
                "info": self.info, "changes": changes.to_dict(orient="list"),
                "log": self.log.report()}


def _rebuild(log: EventLog, frame: pd.DataFrame) -> EventLog:
    """An EventLog of ``frame`` (canonical columns) with ``log``'s window, scheme and types."""
    return EventLog(
        frame,
        customer="customer_id",
        timestamp="timestamp",
        event="event",
        channel="channel" if log.has_channel else None,
        stage="stage" if log.has_stage else None,
        value="value" if log.has_value else None,
        covariates=list(log.covariates),
        scheme=log.scheme,
        observation_start=log.observation_start,
        observation_end=log.observation_end,
        event_types=log.event_types,
    )


def _choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValidationError(
            f"{name} == {value!r}, must be one of {', '.join(repr(o) for o in options)}."
        )
    return value


def relabel(
    data: EventLog | pd.DataFrame,
    *,
    mapping: Mapping[str, str] | Callable[[str], str],
    column: str = "channel",
    other: str | None = None,
    **log_options: Any,
) -> PreparedLog:
    """Rename or group the labels of a column: channels, stages or event types.

    Grouping is a mapping of several labels onto one (``{"facebook": "social", "instagram":
    "social"}``). Missing labels (a conversion's channel) stay missing. Events at the same time
    are ordered by their labels (the log's rule for ties), so new labels may put tied events in
    another order; ``prepared.log.source_index`` maps each row to its row of the input log.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    mapping : mapping or callable
        Old label to new label (both ``str``), or a function of a label returning its new
        label. Labels the mapping does not name are kept (or become ``other``).
    column : {"channel", "stage", "event"}
        Which column to relabel. New event types must be types of the log (``event_types``);
        new stages must be in the declared scheme, if any.
    other : str, optional
        The label of every label the mapping does not name (``"other"`` to keep a few channels
        and pool the rest); default None keeps them.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    PreparedLog
        The relabelled log; ``changes`` has one row per label that changed (``column``,
        ``label``, ``new_label``, ``n_events``); ``info`` lists ``labels_before``,
        ``labels_after`` and ``unused_keys`` (mapping keys that are no label of the log, which
        also raise a warning: a misspelt key changes nothing).

    Raises
    ------
    ValidationError
        For a column the log does not have, a mapping that is not a mapping or callable, a
        new label that is not a ``str``, or a new label the log refuses (an unknown event
        type, a stage outside the scheme, a channel with ``">"``).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 2],
    ...                    "event": ["touch", "conversion", "touch", "touch"],
    ...                    "channel": ["facebook", None, "instagram", "email"]})
    >>> prepared = relabel(df, mapping={"facebook": "social", "instagram": "social"})
    >>> prepared
    PreparedLog(step='relabel', n_events_before=4, n_events_after=4, n_changed=2)
    >>> prepared.changes
        column      label new_label  n_events
    0  channel   facebook    social         1
    1  channel  instagram    social         1
    >>> prepared.log.events["channel"].fillna("-").tolist()
    ['social', '-', 'social', 'email']
    """
    log = as_event_log(data, **log_options)
    column = _choice(column, "column", _RELABEL_COLUMNS)
    if column != "event":
        log.require(column, purpose=f"relabelling {column}s")
    if not (isinstance(mapping, Mapping) or callable(mapping)):
        raise ValidationError(
            f"mapping == {mapping!r} (a {type(mapping).__name__}); pass a dict of old label to "
            "new label, or a function of a label."
        )
    if other is not None and not isinstance(other, str):
        raise ValidationError(f"other == {other!r}, must be a str or None.")
    if column == "event":
        codes = np.asarray(log.event_codes, dtype=np.int64)
        labels = np.asarray(log.event_types, dtype=object)
    else:
        codes, labels = log.codes(column)
    present = np.bincount(codes[codes >= 0], minlength=len(labels))
    new_labels = []
    for lab in labels:
        lab = str(lab)
        if isinstance(mapping, Mapping):
            new = mapping[lab] if lab in mapping else (lab if other is None else other)
        else:
            try:
                new = mapping(lab)
            except Exception as exc:  # a user's function: its failure is bad input
                raise ValidationError(
                    f"mapping({lab!r}) raised {type(exc).__name__}: {exc}; the function must "
                    "return the new label (a str) of every label."
                ) from None
        if not isinstance(new, str):
            raise ValidationError(
                f"mapping gives {new!r} (a {type(new).__name__}) for {column} {lab!r}; new "
                "labels must be str."
            )
        new_labels.append(new)
    unused: list[str] = []
    if isinstance(mapping, Mapping):
        known = {str(lab) for lab, k in zip(labels, present, strict=True) if k}
        unused = sorted(str(k) for k in mapping if str(k) not in known)
        if unused:
            warn_user(
                f"relabel: {len(unused)} mapping keys are no {column} label of the log and "
                f"change nothing: {unused[:10]}. Check their spelling."
            )
    if column == "event":
        bad = sorted({n for n, k in zip(new_labels, present, strict=True)
                      if k and n not in log.event_types})
        if bad:
            raise ValidationError(
                f"relabel maps event types onto {bad}, which are not event types of the log "
                f"{list(log.event_types)}; build the log with event_types=[...] to allow them."
            )
    if column == "stage" and log.scheme is not None:
        bad = sorted({n for n, k in zip(new_labels, present, strict=True)
                      if k and n not in log.scheme.stages})
        if bad:
            raise ValidationError(
                f"relabel maps stages onto {bad}, which are not stages of the declared scheme "
                f"{log.scheme.name!r} {list(log.scheme.stages)}."
            )
    changed = [i for i, (old, new) in enumerate(zip(labels, new_labels, strict=True))
               if present[i] and str(old) != new]
    changes = pd.DataFrame({
        "column": [column] * len(changed),
        "label": [str(labels[i]) for i in changed],
        "new_label": [new_labels[i] for i in changed],
        "n_events": [int(present[i]) for i in changed],
    })
    frame = log.events.copy()
    lookup = np.append(np.array(new_labels, dtype=object), None)
    frame[column] = lookup[codes]  # code -1 (missing) picks the trailing None
    try:
        out = _rebuild(log, frame)
    except ValidationError as exc:
        raise ValidationError(f"the relabelled log is not a valid event log: {exc}") from None
    after = {n for n, k in zip(new_labels, present, strict=True) if k}
    info = {
        "column": column,
        "other": other,
        "labels_before": int((present > 0).sum()),
        "labels_after": len(after),
        "unused_keys": unused,
    }
    return PreparedLog(log=out, step="relabel", changes=changes, n_events_before=log.n_events,
                       n_events_after=out.n_events, n_changed=int(changes["n_events"].sum()),
                       info=info)


def collapse_events(
    data: EventLog | pd.DataFrame,
    *,
    sequence: str = "channel",
    within: Any = None,
    keep: str = "first",
    spec: JourneySpec | None = None,
    **log_options: Any,
) -> PreparedLog:
    """Collapse consecutive repeats of a channel (or stage) within a journey into one touch.

    Touches are repeats when they are consecutive touches of one journey (events that enter no
    journey, such as ``assignment``, do not separate them) with the same label; a run of
    repeats keeps one touch and the others are removed. This is what
    ``path_table(..., collapse_repeats=True)`` does to paths, done to the log itself, so that
    every later analysis sees the collapsed journeys.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    sequence : {"channel", "stage"}
        Which label makes a repeat. A touch without one is never a repeat.
    within : time span, optional
        Only touches at most this long after the previous touch of the run are repeats (a
        repeat a week later is a new visit); default None: any gap. A number is days for
        datetime logs and the log's unit for numeric logs.
    keep : {"first", "last"}
        Which touch of a run stays (with its own time and covariates).
    spec : JourneySpec, optional
        The journeys; default ``JourneySpec()``. Reads ``timeout`` (a repeat never spans two
        journeys); ``journeys`` must be ``"all"``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    PreparedLog
        The log without the repeats; ``changes`` has one row per label with repeats
        (``label``, ``runs`` collapsed, ``events_removed``); ``info`` holds the settings and,
        with a ``timeout``, ``journeys_before`` and ``journeys_after``: the removed touches
        may have bridged gaps longer than the timeout, so that the collapsed log, read with
        the same timeout, cuts more journeys (a warning says so when it does).

    Raises
    ------
    ValidationError
        For a ``sequence`` the log lacks, a bad ``within``, ``keep`` or ``spec``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 1], "timestamp": [0, 1, 2, 3, 4],
    ...                    "event": ["touch", "touch", "touch", "conversion", "touch"],
    ...                    "channel": ["email", "email", "search", None, "search"]})
    >>> prepared = collapse_events(df)
    >>> prepared.changes
       label  runs  events_removed
    0  email     1               1
    >>> prepared.log.events["event"].tolist()
    ['touch', 'touch', 'conversion', 'touch']
    """
    log = as_event_log(data, **log_options)
    sequence = _choice(sequence, "sequence", ("channel", "stage"))
    keep = _choice(keep, "keep", _KEEP)
    spec = _check_spec(spec)
    log.require(sequence, purpose=f"collapsing repeated {sequence}s")
    _check_span(within, "within")
    if within is not None and log.time_kind == "numeric" and isinstance(within, str):
        raise ValidationError(
            f"within == {within!r}: this log's timestamps are numbers; pass a number in their "
            "unit."
        )
    jid = _journey_of_events(log, spec.timeout)
    codes, labels = log.codes(sequence)
    touch = np.flatnonzero(log.is_event("touch") & (jid >= 0))
    c, j = codes[touch], jid[touch]
    repeat = np.zeros(len(touch), dtype=bool)  # the touch repeats the one before it
    if len(touch) > 1:
        repeat[1:] = (c[1:] == c[:-1]) & (c[1:] >= 0) & (j[1:] == j[:-1])
        if within is not None:
            ticks = log.ticks()[0][touch]
            with np.errstate(over="ignore", invalid="ignore"):
                gap = ticks[1:] - ticks[:-1]
            repeat[1:] &= ~longer_than(gap, log.span_ticks(_as_span(within)))
    followed = np.zeros(len(touch), dtype=bool)  # the touch is repeated by the next one
    followed[:-1] = repeat[1:]
    if keep == "first":
        drop = touch[repeat]
    else:  # the run's last touch stays: drop every touch followed by its repeat
        drop = touch[followed]
    run_start = followed & ~repeat  # the first touch of each run with repeats
    runs = np.bincount(c[run_start], minlength=len(labels)) if run_start.any() else np.zeros(
        len(labels), dtype=np.int64)
    removed = np.bincount(c[repeat], minlength=len(labels)) if repeat.any() else np.zeros(
        len(labels), dtype=np.int64)
    has = np.flatnonzero(removed)
    changes = pd.DataFrame({
        "label": [str(labels[i]) for i in has],
        "runs": runs[has].astype(np.int64),
        "events_removed": removed[has].astype(np.int64),
    })
    keep_rows = np.ones(log.n_events, dtype=bool)
    keep_rows[drop] = False
    frame = log.events[keep_rows].reset_index(drop=True)
    out = _rebuild(log, frame) if len(drop) else _rebuild(log, log.events)
    info = {"sequence": sequence, "within": None if within is None else str(within),
            "keep": keep, "timeout": None if spec.timeout is None else str(spec.timeout),
            "events_removed": len(drop)}
    if spec.timeout is not None:
        # removed touches no longer bridge gaps: under the timeout the collapsed log may cut
        # journeys where the input did not; say so rather than let the count move silently
        before = int(jid.max()) + 1 if len(jid) else 0
        new_jid = _journey_of_events(out, spec.timeout)
        after_n = int(new_jid.max()) + 1 if len(new_jid) else 0
        info["journeys_before"], info["journeys_after"] = before, after_n
        if after_n != before:
            warn_user(
                f"collapse_events: with the timeout {spec.timeout!r}, the collapsed log has "
                f"{after_n} journeys where the input had {before}: the removed touches bridged "
                "gaps longer than the timeout. Collapse after the analysis that needs the "
                "timeout, or use path_table(..., collapse_repeats=True)."
            )
    return PreparedLog(log=out, step="collapse-events", changes=changes,
                       n_events_before=log.n_events, n_events_after=out.n_events,
                       n_changed=len(drop), info=info)


def add_churn(
    data: EventLog | pd.DataFrame,
    *,
    after: Any,
    at: str = "last-event",
    **log_options: Any,
) -> PreparedLog:
    """Add a synthetic ``churn`` event after a period of inactivity, where the log can see it.

    A customer whose next event (or, after the last event, the end of observation) comes more
    than ``after`` later has churned ``after`` past that event: a ``churn`` event is added at
    that time. Customers seen for less than ``after`` since their last event get none: the log
    cannot tell yet (they are counted in ``info["not_covered"]``). The rule is the one of a
    journey ``timeout`` (a gap strictly longer than the span); a ``churn`` or ``drop_out``
    already in the log is not followed by another.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`). ``"churn"`` must be one of its event types.
    after : time span
        The inactivity that counts as churn: a Timedelta, a string such as ``"60D"`` or a
        number (days for datetime logs, the log's unit for numeric logs).
    at : {"last-event", "every-gap"}
        Add churns only after each customer's last event (default), or also inside every
        longer gap of a customer's history (a customer who comes back after a churn then has
        several lives).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    PreparedLog
        The log with the churn events (no channel, no stage, a missing value, the covariates
        of the event they follow); ``changes`` lists each added event; ``info`` holds
        ``after``, ``at``, ``added``, ``customers_churned``, ``not_covered`` (customers whose
        last event is within ``after`` of the observation end) and ``already_ended`` (gaps
        after an existing churn or drop-out, left alone).

    Raises
    ------
    ValidationError
        For a log whose event types do not include ``"churn"``, a bad ``after`` or ``at``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 10, 95],
    ...                    "event": ["touch", "touch", "touch"],
    ...                    "channel": ["email", "search", "email"]})
    >>> prepared = add_churn(df, after=30)
    >>> prepared.info["added"], prepared.info["not_covered"]
    (1, 1)
    >>> prepared.log.events[["customer_id", "timestamp", "event"]]
       customer_id  timestamp  event
    0            1          0  touch
    1            1         10  touch
    2            1         40  churn
    3            2         95  touch
    """
    log = as_event_log(data, **log_options)
    at = _choice(at, "at", _CHURN_AT)
    if after is None:
        raise ValidationError("after is required: the inactivity that counts as churn.")
    _check_span(after, "after")
    if log.time_kind == "numeric" and isinstance(after, str):
        raise ValidationError(
            f"after == {after!r}: this log's timestamps are numbers; pass a number in their unit."
        )
    if "churn" not in log.event_types:
        raise ValidationError(
            f"the log's event types {list(log.event_types)} do not include 'churn'; build the "
            "log with event_types=[..., 'churn']."
        )
    span = log.span_ticks(_as_span(after))
    ticks, tick = log.ticks()
    n = log.n_events
    cust = log.customer_codes
    last = np.r_[cust[1:] != cust[:-1], True]
    end = log.time_ticks(log.observation_end)
    nxt = np.empty(n, dtype=np.result_type(ticks.dtype, np.asarray(end).dtype))
    nxt[:-1] = ticks[1:]
    nxt[last] = end
    with np.errstate(over="ignore", invalid="ignore"):
        gap = nxt - ticks
    beyond = longer_than(gap, span)
    candidate = last if at == "last-event" else np.ones(n, dtype=bool)
    ended = log.is_event("churn", "drop_out")
    already = candidate & beyond & ended
    add = candidate & beyond & ~ended
    not_covered = int((last & ~beyond & ~ended).sum())
    pos = np.flatnonzero(add)
    ev = log.events
    ts = log.column("timestamp")
    if tick is None and ticks.dtype.kind == "i" and abs(span) >= 2**62:
        # exact and without overflow: t + span < the next time, within the int64 range
        new_t = np.array([int(t) + int(span) for t in ticks[pos]], dtype=np.int64)
    elif tick is None:
        new_t = ticks[pos] + span
    else:  # whole ticks of the column's own unit: exact, and within range (t + span < next)
        unit = ts.unit if not isinstance(ts, np.ndarray) else np.datetime_data(ts.dtype)[0]
        new_t = ts[pos] + np.timedelta64(int(span), unit)
    new_rows = ev.iloc[pos].copy()
    new_rows["timestamp"] = new_t
    new_rows["event"] = "churn"
    for name in ("channel", "stage"):
        if name in new_rows:
            new_rows[name] = None
    if "value" in new_rows:
        new_rows["value"] = np.nan
    frame = pd.concat([ev, new_rows], ignore_index=True) if len(pos) else ev
    out = _rebuild(log, frame)
    following = ~last[pos]
    next_t = pd.Series(ts[np.minimum(pos + 1, n - 1)])
    next_t[~following] = log.observation_end
    changes = pd.DataFrame({
        "customer_id": log.column("customer_id")[pos],
        "timestamp": new_t,
        "after": ts[pos],
        "next": next_t.to_numpy(),
    })
    info = {"after": str(after), "at": at, "added": len(pos),
            "customers_churned": int(len(np.unique(cust[pos]))), "not_covered": not_covered,
            "already_ended": int(already.sum())}
    return PreparedLog(log=out, step="add-churn", changes=changes, n_events_before=n,
                       n_events_after=out.n_events, n_changed=len(pos), info=info)
