"""Sessions: a customer's runs of events separated by inactivity, nested in journeys.

A *session* is a maximal run of a customer's events (in the log's sorted order, see
:class:`~cjmodels.data.EventLog`) in which no gap between two consecutive events is longer than
``inactivity``. Sessions are nested in journeys and customers: an event starts a new session when

* it is the customer's first event,
* the gap since the customer's previous event (of any type) is **strictly longer** than
  ``inactivity`` (a gap exactly equal to ``inactivity`` stays in the same session, as a gap
  equal to a journey ``timeout`` stays in the same journey), or
* it opens a journey (see :func:`~cjmodels.data.journeys`): the first touch after a
  conversion, after a ``drop_out`` or ``churn`` event, or after a gap longer than the
  specification's ``timeout``. So a session never spans two journeys: a purchase followed five
  minutes later by a new touch makes two sessions.

Events outside any journey (``subscribe``, ``assignment``, and a ``drop_out`` or ``churn`` with no
open journey) belong to the session their time places them in, like any other event. Gaps are
computed exactly on the timestamps' integer ticks for datetime logs (no rounding), and as the
difference of the numbers for numeric logs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cjmodels._compat import as_timedelta
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.spec import JourneySpec, _check_span
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["SessionTable", "session_ids", "sessions"]

#: The default inactivity of datetime logs (the web-analytics convention).
DEFAULT_INACTIVITY = "30min"
_TERMINAL = ("conversion", "drop_out", "churn")
_SPEC_FIELDS = ("sequence", "order", "timeout", "lookback", "censored", "censor_recent",
                "collapse_repeats")


def _check_spec(spec: Any) -> JourneySpec:
    # only timeout moves journey boundaries; the other fields (but journeys) do not change
    # where a journey starts, so a specification shared with other analyses is accepted
    return JourneySpec.resolve(spec, fields=_SPEC_FIELDS, purpose="session splitting")


def _as_span(value: Any) -> Any:
    """A numpy ``timedelta64`` as a Timedelta (EventLog's span methods read it as a number)."""
    if isinstance(value, np.timedelta64):
        return as_timedelta(value)
    return value


def longer_than(gap: np.ndarray, span: int | float) -> np.ndarray:
    """``gap > span``, exactly, for gaps between ascending times (int64 ticks or floats).

    An int64 difference of two ascending int64 times may wrap; read as unsigned it is exact.
    A span beyond the int64 range (a Python int) is compared without overflow.
    """
    if gap.dtype.kind != "i":
        with np.errstate(invalid="ignore"):
            return gap > span
    true_gap = gap.view(np.uint64)
    if isinstance(span, int | np.integer):
        if span < 0:
            return np.ones(len(gap), dtype=bool)
        if span >= 2**64:
            return np.zeros(len(gap), dtype=bool)
        return true_gap > np.uint64(span)
    return true_gap > span  # a float span (a numeric log's unit) against exact integers


def _inactivity_ticks(log: EventLog, inactivity: Any) -> tuple[Any, int | float]:
    """The inactivity actually used, and it in the units of ``log.ticks()``."""
    if inactivity is None:
        if log.time_kind == "numeric":
            raise ValidationError(
                "inactivity is required for a log with numeric timestamps (their unit is "
                "yours): pass inactivity=... in the log's own unit, e.g. inactivity=30 for "
                "minutes."
            )
        inactivity = DEFAULT_INACTIVITY
    _check_span(inactivity, "inactivity")
    if log.time_kind == "numeric" and isinstance(inactivity, str):
        raise ValidationError(
            f"inactivity == {inactivity!r}: this log's timestamps are numbers, so inactivity "
            "must be a number in the log's own unit."
        )
    try:
        return inactivity, log.span_ticks(_as_span(inactivity))
    except (ValueError, OverflowError, TypeError):  # pragma: no cover - _check_span refuses
        raise ValidationError(f"inactivity == {inactivity!r} is not a time span.") from None


def _journey_of_events(log: EventLog, timeout: Any) -> np.ndarray:
    """The journey (a global number, 0, 1, ...) of every event; -1 outside journeys.

    The rule of :func:`~cjmodels.data.journeys`: among touches, conversions, drop-outs and
    churns, a journey starts at a customer's first such event, after a conversion, drop-out or
    churn, and after a gap between two of them longer than ``timeout``; a drop-out or churn that
    would start one belongs to none.
    """
    n = log.n_events
    types = log.event_types
    wanted = np.zeros(len(types), dtype=bool)
    wanted[[types.index(e) for e in ("touch", *_TERMINAL) if e in types]] = True
    rel = np.flatnonzero(wanted[log.event_codes])
    out = np.full(n, -1, dtype=np.int64)
    if len(rel) == 0:
        return out
    codes = log.event_codes[rel]
    is_touch = codes == types.index("touch") if "touch" in types else np.zeros(len(rel), bool)
    stop_codes = [types.index(e) for e in ("drop_out", "churn") if e in types]
    is_stop = np.isin(codes, stop_codes)
    cust = log.customer_codes[rel]
    boundary = np.ones(len(rel), dtype=bool)
    boundary[1:] = (cust[1:] != cust[:-1]) | ~is_touch[:-1]
    if timeout is not None:
        ticks = log.ticks()[0][rel]
        span = log.span_ticks(_as_span(timeout))
        with np.errstate(over="ignore", invalid="ignore"):
            gap = ticks[1:] - ticks[:-1]
        boundary[1:] |= longer_than(gap, span)
    starter = boundary & ~is_stop
    jid = np.cumsum(starter) - 1
    jid[is_stop & boundary] = -1
    out[rel] = jid
    return out


def _session_frame(log: EventLog, inactivity: Any, spec: JourneySpec
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Session starts (bool), the session number within customer, the journey of each event."""
    used, span = _inactivity_ticks(log, inactivity)
    n = log.n_events
    jid = _journey_of_events(log, spec.timeout)
    ticks = log.ticks()[0]
    cust = log.customer_codes
    start = np.ones(n, dtype=bool)
    if n > 1:
        with np.errstate(over="ignore", invalid="ignore"):
            gap = ticks[1:] - ticks[:-1]
        new_customer = cust[1:] != cust[:-1]  # gaps across customers are not read
        start[1:] = new_customer | longer_than(gap, span)
    pos = np.flatnonzero(jid >= 0)  # the first event of each journey opens a session
    if len(pos):
        start[pos[np.r_[True, jid[pos][1:] != jid[pos][:-1]]]] = True
    global_id = np.cumsum(start) - 1
    first_session_of_customer = global_id[np.r_[0, np.flatnonzero(cust[1:] != cust[:-1]) + 1]]
    number = global_id - first_session_of_customer[cust] + 1
    return start, number.astype(np.int64), jid, used


def _joined_channels(log: EventLog, is_touch: np.ndarray, sid: np.ndarray, n_s: int
                     ) -> np.ndarray:
    """The touches' channels of each session joined by the path separator ("" for none)."""
    codes, labels = log.codes("channel")
    t_pos = np.flatnonzero(is_touch & (codes >= 0))
    counts = np.bincount(sid[t_pos], minlength=n_s)
    offsets = np.zeros(n_s + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    try:  # Arrow's C++ join: one pass, no Python loop per session
        names = pa.array([str(x) for x in labels], type=pa.large_string())
        lists = pa.LargeListArray.from_arrays(pa.array(offsets),
                                              names.take(pa.array(codes[t_pos])))
        separator = pa.scalar(PATH_SEPARATOR, type=pa.large_string())
        return np.asarray(pc.binary_join(lists, separator).to_numpy(
            zero_copy_only=False), dtype=object)
    except (UnicodeEncodeError, pa.ArrowException):  # a label Arrow cannot encode
        lab = np.asarray(labels, dtype=object)[codes[t_pos]]
        return np.array([PATH_SEPARATOR.join(lab[a:b]) for a, b in
                         zip(offsets[:-1], offsets[1:], strict=True)], dtype=object)


def session_ids(
    data: EventLog | pd.DataFrame,
    *,
    inactivity: Any = None,
    spec: JourneySpec | None = None,
    **log_options: Any,
) -> np.ndarray:
    """The session number (1, 2, ... within its customer) of every event of the log.

    A new session starts at a customer's first event, after a gap strictly longer than
    ``inactivity`` since the customer's previous event (a gap equal to ``inactivity`` stays in
    the session), and at the first event of every journey, so that a session never spans two
    journeys (events outside any journey join the session their time places them in).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    inactivity : time span, optional
        The longest gap within a session. For datetime logs a Timedelta, a string such as
        ``"30min"`` or a number of days (the package's convention for a bare number); default
        ``"30min"``. Logs with numeric timestamps need it, as a number in their own unit.
    spec : JourneySpec, optional
        The journeys sessions are nested in; default ``JourneySpec()``. Reads ``timeout`` (the
        other fields do not move journey boundaries and are accepted; ``journeys`` must be
        ``"all"``).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    numpy.ndarray of int64
        One session number per row of ``EventLog(data).events`` (the log's sorted order: by
        customer, time and the tie-break order), starting at 1 for each customer. Pair it with
        the customer to get a key: ``log.events.assign(session=session_ids(log))``.

    Raises
    ------
    ValidationError
        For an ``inactivity`` that is not a positive time span (or missing for a numeric log),
        a ``spec`` that is not a JourneySpec or selects journeys, or data that is not an event
        log.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:20",
    ...                                  "2025-01-01 10:50", "2025-01-01 12:00",
    ...                                  "2025-01-01 12:05", "2025-01-01 10:00"]),
    ...     "event": ["touch", "touch", "touch", "conversion", "touch", "touch"],
    ...     "channel": ["search", "email", "email", None, "social", "email"],
    ... })
    >>> session_ids(df).tolist()
    [1, 1, 1, 2, 3, 1]

    The gap 10:20 to 10:50 equals 30 minutes and stays in the session; the touch five minutes
    after the conversion opens a new journey, hence a new session. With numbers, the unit is
    yours:

    >>> session_ids(df.assign(timestamp=[0, 20, 50, 120, 125, 0]), inactivity=15).tolist()
    [1, 2, 3, 4, 5, 1]
    """
    log = as_event_log(data, **log_options)
    spec = _check_spec(spec)
    _, number, _, _ = _session_frame(log, inactivity, spec)
    return number


@result_dataclass
class SessionTable(Result):
    """Sessions of an event log, one row per session (the result of :func:`sessions`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per session, by customer and time: ``customer_id``, ``session`` (1, 2, ...
        within customer), ``journey`` (the journey number within customer of
        :func:`~cjmodels.data.journeys`, missing for a session of events outside journeys),
        ``start`` and ``end`` (first and last event's timestamp), ``duration`` (``end -
        start``: a Timedelta for datetime logs, a number for numeric logs), ``n_events``,
        ``n_touches``, ``channels`` (the touches' channels in order, joined by ``" > "``; empty
        when the session has no touch, absent when the log has no channel column) and
        ``converted`` (whether the session holds a conversion).
    inactivity : str
        The inactivity used (its text).
    timeout : str or None
        The journey timeout of the specification.
    n_sessions, n_customers, n_events : int
        Sessions, customers and events (every event of the log is in exactly one session).
    n_converted : int
        Sessions with a conversion.
    """

    table: pd.DataFrame
    inactivity: str
    timeout: str | None
    n_sessions: int
    n_customers: int
    n_events: int
    n_converted: int

    _repr_exclude: ClassVar[tuple[str, ...]] = ()

    def _repr_fields(self) -> dict[str, Any]:
        return {"n_sessions": self.n_sessions, "n_customers": self.n_customers,
                "n_events": self.n_events, "inactivity": self.inactivity}

    def _summary(self) -> pd.DataFrame:
        t = self.table
        per_customer = t.groupby("customer_id", sort=False).size().to_numpy()
        dur = t["duration"]
        if dur.dtype.kind == "m":
            dur = dur / pd.Timedelta(1, unit="min")
            dur_name = "duration (minutes)"
        else:
            dur_name = "duration"
        rows = []
        for name, x in (("sessions per customer", per_customer),
                        ("events per session", t["n_events"].to_numpy()),
                        ("touches per session", t["n_touches"].to_numpy()),
                        (dur_name, np.asarray(dur, dtype=float))):
            x = np.asarray(x, dtype=float)
            rows.append({"quantity": name, "mean": float(x.mean()),
                         "median": float(np.median(x)), "q90": float(np.quantile(x, 0.9)),
                         "max": float(x.max())})
        out = pd.DataFrame(rows)
        out.attrs["share_converted"] = self.n_converted / self.n_sessions
        return out

    def _to_dict(self) -> dict[str, Any]:
        t = self.table.copy()
        for col in ("start", "end", "duration"):
            t[col] = t[col].astype(str)
        t["journey"] = t["journey"].astype(object).where(t["journey"].notna(), None)
        return {**{k: v for k, v in self._fields().items() if k != "table"},
                "table": t.to_dict(orient="list")}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(
                f"SessionTable.plot takes no options; got {sorted(kwargs)}."
            )
        counts = self.table["n_events"].value_counts().sort_index()
        ax.bar(counts.index.astype(int), counts.to_numpy(), color="C0")
        ax.set_xlabel("events per session")
        ax.set_ylabel("sessions")
        ax.set_title(f"{self.n_sessions} sessions (inactivity {self.inactivity})")


def sessions(
    data: EventLog | pd.DataFrame,
    *,
    inactivity: Any = None,
    spec: JourneySpec | None = None,
    **log_options: Any,
) -> SessionTable:
    """Split an event log into sessions by inactivity, one row per session.

    The sessions are those of :func:`session_ids` (same rule, same numbers).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    inactivity : time span, optional
        The longest gap within a session; see :func:`session_ids`. Default ``"30min"`` for
        datetime logs; required (a number in the log's unit) for numeric logs.
    spec : JourneySpec, optional
        The journeys sessions are nested in; see :func:`session_ids`.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    SessionTable
        The table of sessions (customer, session, journey, start, end, duration, events,
        touches, channels, converted) and their counts; ``summary()`` gives sessions per
        customer, events and touches per session and the session duration (mean, median,
        90th percentile, maximum); ``plot()`` draws the distribution of events per session.

    Raises
    ------
    ValidationError
        As :func:`session_ids`.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:20",
    ...                                  "2025-01-01 10:50", "2025-01-01 12:00",
    ...                                  "2025-01-01 12:05", "2025-01-01 10:00"]),
    ...     "event": ["touch", "touch", "touch", "conversion", "touch", "touch"],
    ...     "channel": ["search", "email", "email", None, "social", "email"],
    ... })
    >>> s = sessions(df)
    >>> s
    SessionTable(n_sessions=4, n_customers=2, n_events=6, inactivity='30min')
    >>> s.table[["customer_id", "session", "journey", "n_events", "channels", "converted"]]
       customer_id  session  journey  n_events                channels  converted
    0            1        1        1         3  search > email > email      False
    1            1        2        1         1                               True
    2            1        3        2         1                  social      False
    3            2        1        1         1                   email      False
    """
    log = as_event_log(data, **log_options)
    spec = _check_spec(spec)
    start, number, jid, used = _session_frame(log, inactivity, spec)
    n = log.n_events
    first = np.flatnonzero(start)
    last = np.r_[first[1:] - 1, n - 1]
    sid = np.cumsum(start) - 1
    n_s = len(first)
    cust_codes = log.customer_codes
    # journey number within customer: journey id minus the customer's first journey id
    j_of_s = np.full(n_s, -1, dtype=np.int64)
    in_j = jid >= 0
    j_of_s[sid[in_j]] = jid[in_j]  # one journey per session at most
    first_j = np.full(log.n_customers, -1, dtype=np.int64)
    jpos = np.flatnonzero(in_j)[::-1]
    first_j[cust_codes[jpos]] = jid[jpos]  # the smallest journey id of each customer
    s_cust = cust_codes[first]
    journey = pd.array(np.where(j_of_s >= 0, j_of_s - first_j[s_cust] + 1, 0), dtype="Int64")
    journey[j_of_s < 0] = pd.NA
    ts = log.column("timestamp")
    start_t, end_t = ts[first], ts[last]
    is_touch = log.is_event("touch")
    is_conv = log.is_event("conversion")
    table = pd.DataFrame({
        "customer_id": log.column("customer_id")[first],
        "session": number[first],
        "journey": journey,
        "start": start_t,
        "end": end_t,
    })
    table["duration"] = table["end"] - table["start"]
    table["n_events"] = np.diff(np.r_[first, n])
    table["n_touches"] = np.bincount(sid[is_touch], minlength=n_s)
    if log.has_channel:
        # object: pandas 3 would store the text in Arrow, which refuses lone surrogates
        table["channels"] = pd.Series(_joined_channels(log, is_touch, sid, n_s), dtype=object)
    table["converted"] = np.bincount(sid[is_conv], minlength=n_s) > 0
    return SessionTable(
        table=table,
        inactivity=str(used),
        timeout=None if spec.timeout is None else str(spec.timeout),
        n_sessions=n_s,
        n_customers=log.n_customers,
        n_events=n,
        n_converted=int(table["converted"].sum()),
    )
