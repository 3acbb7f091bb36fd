"""Journeys and the path table.

A *journey* is a customer's run of touches up to and including a conversion; touches after a
conversion open the customer's next journey. A journey also ends when the customer drops out: at
an explicit ``drop_out`` or ``churn`` event, or, when ``timeout`` is given, after a gap without
touches longer than ``timeout``. A journey still open at the end of observation is non-converting
and *censored*: we do not know whether the customer would have bought.

Everything here is one vectorised pass over the sorted log: no Python loop per event or per
journey; only the distinct paths are turned into strings.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import PATH_SEPARATOR, EventLog, as_event_log
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = [
    "OUTCOMES",
    "JourneySet",
    "PathTable",
    "journey_set",
    "journeys",
    "path_table",
    "read_path_table",
]

#: Possible outcomes of a journey.
OUTCOMES: tuple[str, ...] = ("conversion", "drop_out", "censored")
_CONV, _DROP, _CENS = 0, 1, 2
_TERMINAL_EVENTS = ("conversion", "drop_out", "churn")


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, in one cumulative
    sum (``np.repeat`` with counts is several times slower on millions of rows)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    if not lengths.all():
        keep = lengths > 0
        starts, lengths = starts[keep], lengths[keep]
    if len(lengths) == 0:
        return np.empty(0, dtype=np.int64)
    step = np.ones(int(lengths.sum()), dtype=np.int64)
    at = np.cumsum(lengths[:-1])
    step[0] = starts[0]
    step[at] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(step, out=step)


@result_dataclass
class JourneySet(Result):
    """Journeys as flat arrays: the common input of paths, transitions and journey tables.

    Touches of journey ``j`` are ``symbols[offsets[j]:offsets[j + 1]]`` (codes into
    ``labels``), in time order. Built by :func:`journey_set` (the result of splitting an event
    log into journeys) or by :meth:`PathTable.journey_set`; most users want :func:`journeys` or
    :func:`path_table` instead. ``summary()`` counts the journeys, touches and value per outcome.

    Attributes
    ----------
    labels : numpy.ndarray of str
        Symbol names (channels or stages), sorted.
    symbols : numpy.ndarray of int
        Symbol code of every touch in a journey, journeys concatenated.
    offsets : numpy.ndarray of int
        ``n_journeys + 1`` start offsets into ``symbols``.
    outcome : numpy.ndarray of int
        0 conversion, 1 drop-out, 2 censored (see :data:`OUTCOMES`).
    weight : numpy.ndarray of float
        Number of journeys each row stands for (1 for journeys from a log; counts for a path
        table).
    value : numpy.ndarray of float
        Conversion value of each row (summed over the journeys it stands for).
    info : dict
        Settings and counts (``sequence``, ``timeout``, ``lookback``, events accounted for).
    table : pandas.DataFrame or None
        The per-journey table of :func:`journey_set` (customer, journey number, start, end,
        outcome, touches, value), when it was asked for; rows in the order of the journeys.

    Examples
    --------
    >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 1]), np.array([0, 2, 3]),
    ...                 np.array([0, 2], dtype=np.int8), np.ones(2), np.array([5.0, 0.0]))
    >>> js
    JourneySet(rows=2, journeys=2, labels=2, touches=3)
    >>> js.summary()
                journeys  touches  mean_length  value
    outcome
    conversion       1.0      2.0          2.0    5.0
    drop_out         0.0      0.0          NaN    0.0
    censored         1.0      1.0          1.0    0.0
    """

    labels: np.ndarray
    symbols: np.ndarray
    offsets: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    value: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    table: pd.DataFrame | None = None

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows": self.n,
            "journeys": float(self.weight.sum()) if self.n else 0,
            "labels": len(self.labels),
            "touches": len(self.symbols),
        }
        if float(out["journeys"]).is_integer():
            out["journeys"] = int(out["journeys"])
        if "sequence" in self.info:
            out["sequence"] = self.info["sequence"]
        return out

    def _summary(self) -> pd.DataFrame:
        k = len(OUTCOMES)
        out = self.outcome.astype(np.int64)
        journeys = np.bincount(out, weights=self.weight, minlength=k)
        touches = np.bincount(out, weights=self.weight * self.lengths, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_length = np.where(journeys > 0, touches / np.where(journeys > 0, journeys, 1),
                                   np.nan)
        return pd.DataFrame(
            {"journeys": journeys, "touches": touches, "mean_length": mean_length,
             "value": np.bincount(out, weights=self.value, minlength=k)},
            index=pd.Index(list(OUTCOMES), name="outcome"),
        )

    def _to_dict(self) -> dict[str, Any]:
        return {
            "labels": [str(x) for x in self.labels],
            "symbols": self.symbols.tolist(),
            "offsets": self.offsets.tolist(),
            "outcome": [OUTCOMES[int(o)] for o in self.outcome],
            "weight": self.weight.tolist(),
            "value": self.value.tolist(),
            "info": dict(self.info),
        }

    @property
    def n(self) -> int:
        """Number of rows (journeys, or path-outcome cells)."""
        return len(self.outcome)

    @property
    def lengths(self) -> np.ndarray:
        """Touches per row."""
        return np.diff(self.offsets)

    def collapse_repeats(self) -> JourneySet:
        """Merge consecutive repeats of the same symbol within each journey (a > a > b -> a > b)."""
        s = self.symbols
        keep = np.ones(len(s), dtype=bool)
        keep[1:] = s[1:] != s[:-1]
        keep[self.offsets[:-1][self.lengths > 0]] = True  # first touch of every journey stays
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        return JourneySet(
            self.labels,
            s[keep],
            kept_before[self.offsets],
            self.outcome,
            self.weight,
            self.value,
            {**self.info, "collapse_repeats": True},
        )

    def merged(self) -> tuple[JourneySet, np.ndarray]:
        """Rows with the same symbol sequence and outcome merged into one, their weights and
        values summed; also returns the distinct sequence of each merged row.

        Rows come ordered by sequence (as numbered by :meth:`distinct_paths`), then outcome.
        Counts over touches (transitions, touch credits) then cost as many steps as there are
        distinct sequences, not journeys.

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 0, 1, 0]),
        ...                 np.array([0, 2, 4, 5]), np.array([0, 0, 1], dtype=np.int8),
        ...                 np.ones(3), np.array([5.0, 7.0, 0.0]))
        >>> cells, path = js.merged()
        >>> cells.weight.tolist(), cells.value.tolist(), path.tolist()
        ([1.0, 2.0], [0.0, 12.0], [0, 1])
        """
        ids, flat, lengths = self.distinct_paths()
        n_out = len(OUTCOMES)
        key = n_out * ids + self.outcome.astype(np.int64)
        size = n_out * len(lengths)
        cell = np.flatnonzero(np.bincount(key, minlength=size) > 0)
        path = cell // n_out
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        cell_len = lengths[path]
        offsets = np.zeros(len(cell) + 1, dtype=np.int64)
        np.cumsum(cell_len, out=offsets[1:])
        cells = JourneySet(
            self.labels,
            flat[_ranges(starts[path], cell_len)],
            offsets,
            (cell % n_out).astype(np.int8),
            np.bincount(key, weights=self.weight, minlength=size)[cell],
            np.bincount(key, weights=self.value, minlength=size)[cell],
            dict(self.info),
        )
        return cells, path

    def path_ids(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Id of each row's symbol sequence among the distinct sequences, and those sequences.

        Ids number the distinct sequences by length, then by first appearance; see
        :meth:`distinct_paths` for the same in flat form (no array per sequence).
        """
        ids, flat, lengths = self.distinct_paths()
        return ids, np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []

    def distinct_paths(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The id of each row's symbol sequence, then the symbols of all distinct sequences
        concatenated and the length of each.

        Ids number the distinct sequences by length, then by first appearance. A sequence of
        up to ``62 / log2(len(labels) + 2)`` symbols is one int64 key (its symbols as digits),
        built for all rows in one pass over the touches; longer ones are compared as rows,
        a group per length, so the work grows with the touches, not with the journeys.
        """
        lengths = self.lengths
        n = self.n
        radix = max(len(self.labels), 1) + 1  # digit 0 is never used: keys keep their length
        max_exact = int(np.floor(62 / np.log2(radix)))
        long_rows = np.flatnonzero(lengths > max_exact)
        key = np.zeros(n, dtype=np.int64)
        if len(long_rows) == 0:
            symbols, offsets = self.symbols, self.offsets
        else:  # keys of the short rows only; their touches gathered in one pass
            short = lengths <= max_exact
            lens = lengths[short]
            offsets = np.zeros(len(lens) + 1, dtype=np.int64)
            np.cumsum(lens, out=offsets[1:])
            starts = self.offsets[:-1][short]
            symbols = self.symbols[_ranges(starts, lens)]
        m = len(symbols)
        if m:
            # digit of each touch: its symbol + 1, at the power of its distance to the end
            lens = np.diff(offsets)
            # distance of each touch to the end of its row: a countdown restarted per row
            to_end = np.full(m, -1, dtype=np.int64)
            nonempty = lens > 0
            to_end[offsets[:-1][nonempty]] = lens[nonempty] - 1
            # each restart jumps from 0 (the previous row's end) to its length - 1
            np.cumsum(to_end, out=to_end)
            power = radix ** np.arange(max_exact + 1, dtype=np.int64)
            digits = power[to_end]
            digits *= symbols.astype(np.int64) + 1
            short_key = np.zeros(len(lens), dtype=np.int64)
            short_key[nonempty] = np.add.reduceat(digits, offsets[:-1][nonempty])
            if len(long_rows):
                key[lengths <= max_exact] = short_key
            else:
                key = short_key
        key[long_rows] = -1
        inv, uniq = pd.factorize(key)
        first = np.empty(len(uniq), dtype=np.int64)
        first[inv[::-1]] = np.arange(n - 1, -1, -1)  # the first row carrying each key
        # long sequences: one id per distinct row within each length
        extra_first: list[np.ndarray] = []
        extra_ids = np.empty(0, dtype=np.int64)
        if len(long_rows):
            long_code = int(np.flatnonzero(uniq == -1)[0])
            extra_ids = np.empty(len(long_rows), dtype=np.int64)
            next_id = len(uniq)
            long_len = lengths[long_rows]
            for length in np.unique(long_len):
                sel = np.flatnonzero(long_len == length)
                rows = long_rows[sel]
                mat = self.symbols[self.offsets[rows][:, None] + np.arange(length)]
                _, first_of, inv_l = np.unique(mat, axis=0, return_index=True,
                                              return_inverse=True)
                extra_ids[sel] = next_id + inv_l.ravel()  # in the order of the rows' values
                extra_first.append(rows[first_of])
                next_id += len(first_of)
            keep = np.flatnonzero(np.arange(len(uniq)) != long_code)
            n_extra = next_id - len(uniq)
            # short sequences are ordered by first appearance, long ones as numbered above
            rank = np.concatenate([first[keep], np.arange(n_extra)])
            first = np.concatenate([first[keep], *extra_first])
            old_to_new = np.full(len(uniq), -1, dtype=np.int64)
            old_to_new[keep] = np.arange(len(keep))
            inv = old_to_new[inv]
            inv[long_rows] = len(keep) + (extra_ids - len(uniq))
        else:
            rank = first
        # renumber: by length, then by first appearance
        order = np.lexsort((rank, lengths[first]))
        new_id = np.empty(len(order), dtype=np.int64)
        new_id[order] = np.arange(len(order))
        ids = new_id[inv]
        rows = first[order]
        lens_out = lengths[rows]
        starts = self.offsets[:-1][rows]
        cum = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lens_out, out=cum[1:])
        flat = self.symbols[_ranges(starts, lens_out)]
        return ids, flat.astype(np.int64), lens_out.astype(np.int64)

    def path_strings(self, separator: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Path id of each row and the path string of each id, the symbols joined by
        ``separator`` (``None``: ``" > "``, as everywhere in cjmodels)."""
        if separator is None:
            separator = PATH_SEPARATOR
        ids, seqs = self.path_ids()
        labels = self.labels
        strings = np.array([separator.join(labels[s]) for s in seqs], dtype=object)
        return ids, strings


def _relevant(log: EventLog) -> np.ndarray:
    wanted = np.zeros(len(log.event_types), dtype=bool)
    wanted[[log.event_types.index(e) for e in ("touch", *_TERMINAL_EVENTS)
            if e in log.event_types]] = True
    return wanted[log.event_codes]


def _no_journeys(log: EventLog) -> ValidationError:
    """The error for a log without a single journey (no touch, no conversion)."""
    counts = np.bincount(log.event_codes, minlength=len(log.event_types))
    seen = ", ".join(f"{int(k)} {e}" for e, k in zip(log.event_types, counts, strict=True) if k)
    return ValidationError(
        f"the event log has no touch or conversion events (it has {seen}), so no customer "
        "has a journey: journeys are runs of touches up to a conversion, and drop_out or churn "
        "events only end them. A log of subscriptions and churns goes to "
        "cjmodels.data.subscription_lifetimes instead."
    )


def _journey_index(
    log: EventLog, timeout: Any = None, lookback: Any = None, frame: bool = True
) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
    """Assign every touch and conversion to a journey.

    Returns the per-journey frame (without paths), the event positions in ``log.events`` of the
    touches that enter journeys, their journey ids, and bookkeeping counts. With
    ``frame=False`` the first item is only ``(outcome codes, conversion values)`` of the
    journeys, which is all a :class:`JourneySet` needs (the frame costs a few gathers and a
    DataFrame).
    """
    relevant = _relevant(log)
    every = bool(relevant.all())
    rel = np.arange(len(relevant)) if every else np.flatnonzero(relevant)
    if len(rel) == 0:
        raise _no_journeys(log)

    def take(a: np.ndarray) -> np.ndarray:
        return a if every else a[rel]

    codes = take(log.event_codes)
    cust = take(log.column("customer_id"))  # sorted: equal ids are adjacent
    is_touch = codes == log.event_types.index("touch")
    is_conv = codes == log.event_types.index("conversion")
    is_stop = ~(is_touch | is_conv)  # drop_out / churn
    any_stop = bool(is_stop.any())
    if any_stop and not (is_touch.any() or is_conv.any()):
        raise _no_journeys(log)  # only drop_out / churn: they end journeys, never open one
    n = len(rel)
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(cust[1:], cust[:-1], out=boundary[1:])
    boundary[1:] |= ~is_touch[:-1]  # a conversion or a stop ends the journey before it
    timed_out = None
    t = timeout_t = None
    if timeout is not None or lookback is not None:
        # exact: integer ticks of the timestamps' resolution (numbers for numeric logs)
        t = take(log.ticks()[0])
    if timeout is not None:
        if not log.duration(timeout) > 0:
            raise ValidationError(f"timeout == {timeout!r}, must be a positive time span.")
        timeout_t = log.span_ticks(timeout)
        timed_out = np.zeros(n, dtype=bool)
        timed_out[1:] = (t[1:] - t[:-1]) > timeout_t
        timed_out &= ~boundary
        boundary |= timed_out
    if any_stop:
        # drop_out/churn with no open journey belong to none
        orphan_stop = is_stop & boundary
        starter = boundary & ~is_stop
        jid = np.cumsum(starter) - 1
        jid[orphan_stop] = -1
        in_j = jid >= 0
        n_j = int(starter.sum())
        jj = jid[in_j]
        last = np.flatnonzero(np.r_[jj[1:] != jj[:-1], True])
        pos_in = np.flatnonzero(in_j)
        last_pos = pos_in[last]
        first_pos = pos_in[np.r_[0, last[:-1] + 1]]
        n_orphan = int(orphan_stop.sum())
    else:  # every event is in a journey, and every boundary starts one
        first_pos = np.flatnonzero(boundary)
        n_j = len(first_pos)
        last_pos = np.empty(n_j, dtype=np.int64)
        last_pos[:-1] = first_pos[1:] - 1
        last_pos[-1] = n - 1
        n_orphan = 0

    # journey ends: last event of each journey
    outcome = np.full(n_j, _CENS, dtype=np.int8)
    outcome[is_conv[last_pos]] = _CONV
    if any_stop:
        outcome[is_stop[last_pos]] = _DROP
    if timed_out is not None:
        # a journey followed by a timeout boundary of the same customer dropped out
        nxt = last_pos + 1
        has_next = nxt < n
        ended_by_gap = np.zeros(n_j, dtype=bool)
        ended_by_gap[has_next] = timed_out[nxt[has_next]]
        outcome[(outcome == _CENS) & ended_by_gap] = _DROP
        obs_end = log.time_ticks(log.observation_end)
        stale = (outcome == _CENS) & (obs_end - t[last_pos] > timeout_t)
        outcome[stale] = _DROP

    value = np.zeros(n_j)
    if log.has_value:
        conv_val = log.column("value")[rel[last_pos]]
        value = np.where(outcome == _CONV, conv_val, 0.0)

    if any_stop:
        touch_pos = np.flatnonzero(in_j & is_touch)
        touch_j = jid[touch_pos]
    else:
        touch_pos = np.flatnonzero(is_touch)
        jid = np.cumsum(boundary, dtype=np.int32 if n < 2**31 else np.int64)
        touch_j = jid[touch_pos]
        touch_j -= 1
    excluded = 0
    if lookback is not None:
        if not log.duration(lookback) > 0:
            raise ValidationError(f"lookback == {lookback!r}, must be a positive time span.")
        lb = log.span_ticks(lookback)
        keep = t[last_pos][touch_j] - t[touch_pos] <= lb
        excluded = int((~keep).sum())
        touch_pos, touch_j = touch_pos[keep], touch_j[keep]

    # every event is accounted for: n_events == touches_in_journeys + touches_outside_lookback
    # + conversions (one per converted journey) + stop events (ending a journey or outside
    # any) + other_events (subscribe, assignment, ...: never in a journey)
    start_cust = cust[first_pos]
    n_cust_j = int(np.count_nonzero(start_cust[1:] != start_cust[:-1])) + 1
    info = {
        "n_journeys": n_j,
        "timeout": None if timeout is None else str(timeout),
        "lookback": None if lookback is None else str(lookback),
        "touches_outside_lookback": excluded,
        "stop_events_outside_journeys": n_orphan,
        "touches_in_journeys": len(touch_pos),
        "stop_events_ending_journeys": int(is_stop.sum()) - n_orphan,
        "other_events": int(log.n_events - n),
        "customers_without_journey": int(log.n_customers - n_cust_j),
    }
    if not frame:
        return (outcome, value), touch_pos if every else rel[touch_pos], touch_j, info
    cust_ids = log.column("customer_id")[rel[first_pos]]
    new_c = np.r_[True, cust_ids[1:] != cust_ids[:-1]]
    jnum = np.arange(n_j) - np.flatnonzero(new_c)[np.cumsum(new_c) - 1]
    ts = log.column("timestamp")
    table = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "journey": jnum + 1,
            "start": ts[rel[first_pos]],
            "end": ts[rel[last_pos]],
            "outcome": pd.Categorical.from_codes(outcome, categories=list(OUTCOMES)),
            "n_touches": np.bincount(touch_j, minlength=n_j),
            "value": value,
        }
    )
    return table, rel[touch_pos], touch_j, info


def journey_set(
    data: EventLog | pd.DataFrame,
    *,
    sequence: str = "channel",
    timeout: Any = None,
    lookback: Any = None,
    per_journey: bool = True,
    **log_options: Any,
) -> JourneySet:
    """Journeys as a :class:`JourneySet` of ``sequence`` symbols, with the per-journey table.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    sequence : {"channel", "stage"}
        What a journey is a sequence of: which column of the touches forms the sequence.
    timeout, lookback : time span, optional
        See :func:`journeys`.
    per_journey : bool
        Also build the per-journey table (customer, journey number, start, end, outcome,
        touches, value) in the result's ``table``; ``False`` leaves ``table`` as ``None`` and
        saves its cost.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0.0, 1.0, 2.0],
    ...                    "event": ["touch", "touch", "conversion"],
    ...                    "channel": ["email", "search", None]})
    >>> js = journey_set(df)
    >>> js.labels[js.symbols].tolist(), js.outcome.tolist()
    (['email', 'search'], [0])
    >>> js.table[["customer_id", "journey", "outcome", "n_touches"]]
       customer_id  journey     outcome  n_touches
    0            1        1  conversion          2
    """
    if sequence not in ("channel", "stage"):
        raise ValidationError(f"sequence == {sequence!r}, must be one of 'channel', 'stage'.")
    log = as_event_log(data, **log_options)
    log.require(sequence, purpose=f"building {sequence} sequences")
    table, touch_pos, touch_j, info = _journey_index(
        log, timeout=timeout, lookback=lookback, frame=per_journey
    )
    if per_journey:
        outcome = table["outcome"].cat.codes.to_numpy().astype(np.int8)
        value = table["value"].to_numpy(dtype=float)
    else:
        outcome, value = table
        table = None
    all_codes, labels = log.codes(sequence)
    codes = all_codes[touch_pos]
    missing = codes < 0
    if missing.any():
        rows = log.source_index[touch_pos[missing]][:5].tolist()
        raise ValidationError(
            f"{int(missing.sum())} touches have no {sequence}, first at rows {rows}; every touch "
            f"in a {sequence} sequence needs one. Fill them or declare a stage scheme when building the log."
        )
    if sequence == "stage" and log.scheme is not None:  # natural stage order, not alphabetical
        rank = {st: i for i, st in enumerate(log.scheme.stages)}
        order = np.argsort([rank[lab] for lab in labels], kind="stable")
        codes = np.argsort(order)[codes]
        labels = np.asarray(labels)[order]
    n_j = len(outcome)
    offsets = np.zeros(n_j + 1, dtype=np.int64)
    np.cumsum(np.bincount(touch_j, minlength=n_j), out=offsets[1:])
    js = JourneySet(
        labels=np.asarray(labels, dtype=object),
        symbols=codes.astype(np.int64),
        offsets=offsets,
        outcome=np.asarray(outcome, dtype=np.int8),
        weight=np.ones(n_j),
        value=np.asarray(value, dtype=float),
        info={**info, "sequence": sequence},
        table=table,
    )
    return js


def journeys(
    data: EventLog | pd.DataFrame,
    *,
    timeout: Any = None,
    lookback: Any = None,
    **log_options: Any,
) -> pd.DataFrame:
    """Split an event log into journeys, one row per journey.

    A journey is a customer's touches up to and including a conversion; the touches after a
    conversion open the next journey. A ``drop_out`` or ``churn`` event ends the open journey as
    a drop-out. Journeys still open at the end of observation are censored (``outcome ==
    "censored"``), unless ``timeout`` says the customer has left.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords (see
        :class:`~cjmodels.data.EventLog`).
    timeout : time span, optional
        A gap without touches longer than this ends the journey as a drop-out; an open journey
        whose last touch is older than this at the end of observation is a drop-out too.
        ``"30D"``, a Timedelta, or a number for numeric timestamps.
    lookback : time span, optional
        Only touches within this span before the journey's end (its conversion, or its last
        event) enter the path; earlier ones are counted in ``attrs["touches_outside_lookback"]``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``journey`` (1, 2, ... within customer), ``start``, ``end``,
        ``outcome`` (conversion / drop_out / censored), ``n_touches``, ``value`` (conversion
        value), ``path`` (channels joined by ``" > "``) when the log has channels, and
        ``stages`` when it has stages. ``attrs`` hold the settings and counts that account
        for every event of the log: ``touches_in_journeys + touches_outside_lookback`` touches,
        one conversion per converted journey, ``stop_events_ending_journeys +
        stop_events_outside_journeys`` drop-outs and churns, and ``other_events`` (subscribe,
        assignment, ...), which never enter a journey; ``customers_without_journey`` counts the
        customers with no touch and no conversion. A log with no touch and no conversion at all
        raises a :class:`~cjmodels.errors.ValidationError`.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03",
    ...                                  "2025-01-09", "2025-01-05"]),
    ...     "event": ["touch", "touch", "conversion", "touch", "touch"],
    ...     "channel": ["search", "email", None, "email", "social"],
    ...     "value": [0, 0, 50.0, 0, 0],
    ... })
    >>> journeys(df)[["customer_id", "journey", "outcome", "path", "value"]]
       customer_id  journey    outcome            path  value
    0            1        1 conversion  search > email   50.0
    1            1        2   censored           email    0.0
    2            2        1   censored          social    0.0
    """
    log = as_event_log(data, **log_options)
    frame = None
    for sequence in ("channel", "stage"):
        if sequence not in log.events:
            continue
        js = journey_set(log, sequence=sequence, timeout=timeout, lookback=lookback)
        frame = js.table if frame is None else frame
        ids, strings = js.path_strings()
        frame["path" if sequence == "channel" else "stages"] = strings[ids]
        frame.attrs.update(js.info)
    if frame is None:
        frame, _, _, info = _journey_index(log, timeout=timeout, lookback=lookback)
        frame.attrs.update(info)
    frame.attrs.pop("sequence", None)
    return frame


# ---------------------------------------------------------------------------- path table
_PATH_COLUMNS = ("path", "total_conversions", "total_null", "total_conversion_value")
_ROW_MARK = "\x1e"  # record separator: joins the rows of a path table while splitting them


@dataclass(frozen=True)
class _ParsedPaths:
    """Every path of a table split into channels, once: ``codes[starts[i]:starts[i + 1]]``
    are the channels (indices into the sorted ``labels``) of row ``i``."""

    labels: np.ndarray
    codes: np.ndarray
    lengths: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        starts = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=starts[1:])
        return starts

    @property
    def rows(self) -> np.ndarray:
        """Row of every token."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)


def _split_tokens(paths: list[str], separator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the raw (unstripped) tokens of all paths, the distinct tokens, and the number
    of tokens per path: ``[p.split(separator) for p in paths]``, vectorised.

    With pyarrow installed the split and the dictionary encoding run in Arrow's C++ kernels;
    otherwise see :func:`_split_tokens_python`. Both give the same result.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return _split_tokens_python(paths, separator)
    try:
        arr = pa.array(paths, type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowException):  # lone surrogates: not UTF-8
        return _split_tokens_python(paths, separator)
    lists = pc.split_pattern(arr, separator)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(lists.flatten())
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, np.array(enc.dictionary.to_pylist(), dtype=object), lengths


def _split_tokens_python(
    paths: list[str], separator: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_split_tokens` without pyarrow.

    All paths are joined into one string with a row mark between them, split once and
    factorized once (both in C); the row marks give the row lengths. This equals splitting
    every path on its own whenever each row mark comes out as a token of its own, which is
    checked; otherwise (a path containing the mark, or a separator straddling two rows) every
    path is split alone.
    """
    n = len(paths)
    big = (separator + _ROW_MARK + separator).join(paths)
    codes, uniques = _factorize_strings(big.split(separator), "\x00" in big)
    mark = [i for i, u in enumerate(uniques) if u == _ROW_MARK]
    if n == 1 or (mark and big.count(_ROW_MARK) == n - 1):
        is_mark = codes == (mark[0] if mark else -1)
        marks = np.flatnonzero(is_mark)
        if len(marks) == n - 1:
            lengths = np.diff(np.r_[-1, marks, len(codes)]) - 1
            codes = codes[~is_mark].astype(np.int64)
            if mark:  # drop the mark from the distinct tokens
                codes -= codes > mark[0]
                uniques = np.delete(np.asarray(uniques, dtype=object), mark[0])
            return codes, np.asarray(uniques, dtype=object), lengths
    parts = [p.split(separator) for p in paths]  # rare: slow but exact
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    codes, uniques = _factorize_strings([t for p in parts for t in p], "\x00" in big)
    return codes, uniques, lengths


def _factorize_strings(tokens: list[str], has_nul: bool) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of strings. pandas' string hashing stops at a NUL character
    (two strings equal up to a NUL count as one), hence a dictionary when a NUL occurs."""
    if not has_nul:
        codes, uniques = pd.factorize(np.array(tokens, dtype=object))
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(t, len(lookup)) for t in tokens), dtype=np.int64, count=len(tokens)
    )
    return codes, np.array(list(lookup), dtype=object)


#: Characters that separate channels in other tools' path files; seen in a path table with an
#: automatic separator they make it ambiguous (see :func:`_detect_separator`).
_OTHER_SEPARATORS = ("->", "\u2192", "|", ";", ",", "\t")


def _warn(message: str) -> None:
    """A :class:`UserWarning` attributed to the first caller outside cjmodels (the user's line),
    however deep inside the package it is raised."""
    import sys

    root = str(Path(__file__).resolve().parent.parent)
    frame = sys._getframe(1)
    level = 2
    while frame is not None and (  # "<string>": a dataclass's generated __init__
        frame.f_code.co_filename == "<string>"
        or str(Path(frame.f_code.co_filename).resolve()).startswith(root)
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


def without_touches_message(journeys: int, conversions: float, value: float, where: str) -> str:
    """The one warning text for journeys without a touch, wherever they are left out."""
    return (
        f"{journeys:g} journeys have no touch before their end (for example a conversion right "
        f"after another); they have no path and are left out of {where} ({conversions:g} "
        f"conversions, value {value:g}). They are counted in the result as "
        "conversions_without_touches and value_without_touches."
    )


def _detect_separator(paths: list[str], index: pd.Index) -> str:
    """The channel separator of a path table: ``" > "`` when every ``>`` has one blank on each
    side, ``">"`` when none has a blank next to it (ChannelAttribution's default); anything
    else (a mix, a blank on one side only, or another separator such as ``|`` or ``->``) is
    ambiguous and refused with the separators seen and example rows. Paths without any of these
    are single channels (then ``" > "``)."""
    import itertools
    import re

    # NUL between and around the paths: a path's end, which fits either kind of '>' (a '>' at
    # a path's end is an empty channel, reported as such once the separator is known)
    big = "\x00" + "\x00".join(paths) + "\x00"
    kinds: dict[str, str] = {}
    if ">" in big:
        spaced, tight = r"(?<=[ \x00])>(?=[ \x00])", r"(?<![\s\-])>(?!\s)"
        n_gt = big.count(">")
        n_arrow = big.count("->")
        n_both = len(re.findall(r"(?<=\x00)>(?=\x00)", big))  # a path that is only '>'
        n_spaced = len(re.findall(spaced, big)) - n_both
        n_tight = len(re.findall(tight, big)) - n_both
        if n_spaced:
            kinds[" > "] = r"(?<= )>(?= )"
        if n_tight:
            kinds[">"] = r"(?<![\s\-])>(?!\s)"
        if n_arrow:
            kinds["->"] = r"->"
        if n_gt - n_both - n_spaced - n_tight - n_arrow > 0:
            kinds["'>' with a blank on one side only (or tabs)"] = (
                r"(?<=\s)>(?! )|(?<! )>(?=\s)|(?<=\t)>|>(?=\t)"
            )
    for sep in _OTHER_SEPARATORS:
        if sep != "->" and sep in big:
            kinds[sep] = re.escape(sep)
    if not kinds:
        return PATH_SEPARATOR  # every path is a single channel
    if len(kinds) == 1 and next(iter(kinds)) in (" > ", ">"):
        return next(iter(kinds))
    seen = []
    for name, pattern in kinds.items():
        rx = re.compile(pattern)
        rows = list(itertools.islice((i for i, p in enumerate(paths) if rx.search(p)), 3))
        shown = ", ".join(f"row {index[[i]].tolist()[0]!r}: {paths[i]!r}" for i in rows)
        label = name if name.startswith("'>'") else repr(name)
        seen.append(f"{label} ({shown})")
    options = [repr(k) for k in kinds if not k.startswith("'>'")] or ["' > '", "'>'"]
    raise ValidationError(
        "path table column 'path': cannot tell which separator joins the channels; seen "
        + "; ".join(seen)
        + f". Pass the one that joins channels explicitly: separator= one of "
        f"{', '.join(options)} (separator='>' is ChannelAttribution's 'c1>c2' and trims blanks "
        "around channel names; separator=' > ' keeps them)."
    )


def _parse_paths(
    paths: list[str], separator: str, index: pd.Index, warn_blanks: bool = True
) -> _ParsedPaths:
    """Split the paths into channels and check them; ``index`` labels the rows in messages.

    Channel names are kept exactly as they stand between separators when the separator has
    blanks of its own (``" > "``: ``"a >  email"`` is ``a`` then ``" email"``); with a separator
    without blanks (``">"``, ``"|"``) blanks around each name are trimmed, as ChannelAttribution
    does. A name that is empty, or contains the separator's visible part, is an error; names
    with blanks kept are named in a warning unless ``warn_blanks=False`` (paths we joined).
    """
    raw_codes, raw_labels, lengths = _split_tokens(paths, separator)
    raw = [str(x) for x in raw_labels]
    trim = separator == separator.strip()
    names = [x.strip() for x in raw] if trim else raw
    labels = sorted(set(names))  # few: exact, in Python (code-point order, as Arrow sorts)
    rank = {lab: i for i, lab in enumerate(labels)}
    code_of_raw = np.array([rank[x] for x in names], dtype=np.int64)
    codes = code_of_raw[raw_codes] if len(raw_codes) else np.empty(0, dtype=np.int64)
    core = separator.strip()
    # blank names are empty; so is the rest of a separator at a path's end ("a > b >")
    empty = [i for i, lab in enumerate(labels) if lab.strip() == "" or (core and (
        lab.strip().startswith(core) or lab.strip().endswith(core)))]
    inside = [i for i, lab in enumerate(labels) if core and core in lab and i not in empty]
    if empty or inside:
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        if empty:
            # the whole path is blank (an empty row, not an empty channel in a path)
            blanks = [i for i in empty if labels[i].strip() == ""]
            blank = (lengths == 1) & np.isin(codes[np.minimum(starts, len(codes) - 1)], blanks)
            if blank.any():
                raise ValidationError(
                    f"path table column 'path' is empty at rows {index[blank][:5].tolist()}; "
                    f"each row needs at least one channel, joined by {separator!r}."
                )
            rows = np.unique(row_of[np.isin(codes, empty)])[:5]
            shown = ", ".join(repr(paths[r]) for r in rows[:3])
            raise ValidationError(
                f"path table column 'path' has an empty channel name at rows "
                f"{index[rows].tolist()} ({shown}): a doubled, leading or trailing separator "
                f"{separator!r}. Every channel needs a name; remove the extra separator."
            )
        rows = np.unique(row_of[np.isin(codes, inside)])[:5]
        shown = ", ".join(repr(paths[r]) for r in rows[:3])
        raise ValidationError(
            f"path table column 'path' has channel names containing {core!r} "
            f"({[labels[i] for i in inside][:5]}) at rows {index[rows].tolist()} ({shown}), "
            f"but {core!r} is part of the separator {separator!r}. If channels are joined by "
            f"{core!r} without blanks, pass separator={core!r}; otherwise rename these channels."
        )
    padded = [lab for lab in labels if lab != lab.strip()] if warn_blanks else []
    if padded:
        _warn(
            f"path table column 'path': channel names {padded[:5]} begin or end with blanks; "
            f"they are kept exactly, so {padded[0]!r} and {padded[0].strip()!r} are different "
            f"channels. If the blanks are padding around the separator, pass separator="
            f"{core!r} to trim them, as ChannelAttribution does."
        )
    return _ParsedPaths(np.asarray(labels, dtype=object), codes, lengths)


def _merge_repeated_paths(
    t: pd.DataFrame, parsed: _ParsedPaths, index: pd.Index
) -> tuple[pd.DataFrame, _ParsedPaths]:
    """Rows with the same channel sequence merged into the first of them (counts and values
    added, other columns taken from the first), with a warning naming the rows; ``index`` are
    the caller's row labels."""
    n = len(parsed.lengths)
    offsets = parsed.starts
    js = JourneySet(parsed.labels, parsed.codes, offsets, np.zeros(n, dtype=np.int8),
                    np.ones(n), np.zeros(n))
    ids, _, _ = js.distinct_paths()
    n_distinct = int(ids.max()) + 1
    if n_distinct == n:
        return t, parsed
    first = np.full(n_distinct, n, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(n))
    repeated = np.flatnonzero(first[ids] != np.arange(n))
    label = index.tolist()
    shown = ", ".join(
        f"row {label[r]!r} {t['path'].iat[r]!r} = row {label[first[ids[r]]]!r}"
        for r in repeated[:3]
    )
    _warn(
        f"path table column 'path': {len(repeated)} rows repeat the channels of an earlier row "
        f"({shown}); their counts and values are added into that row."
    )
    summed = [c for c in t.columns if c != "path" and c.startswith("total_")
              and pd.api.types.is_numeric_dtype(t[c]) and not pd.api.types.is_bool_dtype(t[c])]
    keep = np.sort(first)
    group = np.empty(n_distinct, dtype=np.int64)  # ids renumbered in order of first rows
    group[ids[keep]] = np.arange(n_distinct)
    g = group[ids]
    out = t.iloc[keep].reset_index(drop=True)
    for c in summed:
        out[c] = t[c].groupby(g).sum().reset_index(drop=True).astype(t[c].dtype)
    lens = parsed.lengths[keep]
    codes = parsed.codes[_ranges(offsets[:-1][keep], lens)]
    return out, _ParsedPaths(parsed.labels, codes, lens)


@result_dataclass
class PathTable(Result):
    """Unique paths with their conversion and non-conversion counts.

    The layout ChannelAttribution users know: ``path`` (channels joined by ``" > "``),
    ``total_conversions``, ``total_null`` and ``total_conversion_value``; built from an event
    log by :func:`path_table` or read from such a CSV by :func:`read_path_table`. When built from
    a log, ``total_censored`` counts how many of the ``total_null`` journeys were still open at
    the end of observation.

    The paths are split into channels once, when the table is made (one vectorised split of
    all paths). ``separator=None`` (the default) detects it: ``" > "`` when every ``>`` in the
    paths has one blank on each side, ``">"`` (ChannelAttribution's default, ``"c1>c2>c3"``) when
    none has a blank next to it; a mix, or another separator such as ``|``, ``->`` or ``,``, is
    refused with the separators seen (pass ``separator=`` then). A given separator is used
    exactly.

    A path table is both the result of :func:`path_table` and an input (of attribution models,
    of :func:`transition_counts`): ``PathTable(df)`` checks and splits a table of your own.
    ``summary()`` gives one row per channel; ``plot()`` the first- and last-touch shares.

    Blanks: with a separator that has blanks of its own (``" > "``) channel names are kept
    exactly, so ``"a >  email"`` is ``"a"`` then ``" email"`` (a warning names such channels);
    with a separator without blanks (``">"``, ``"|"``) blanks around every name are trimmed, as
    ChannelAttribution does. An empty channel name (``"a >  > b"``, a leading or trailing
    separator) and a name containing the separator's visible part (``">"``) are errors. Rows
    with the same channels are merged into one (their counts added) with a warning.

    Examples
    --------
    >>> pt = PathTable(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [3, 1],
    ...                              "total_null": [7, 9], "total_conversion_value": [30.0, 5.0]}))
    >>> pt
    PathTable(paths=2, journeys=20, conversions=4, conversion_rate=0.2, channels=2)
    >>> pt.channels
    ['a', 'b']
    """

    table: pd.DataFrame
    separator: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    _parsed: _ParsedPaths | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t = self.table
        if not isinstance(t, pd.DataFrame):
            raise ValidationError(
                f"PathTable needs a DataFrame, got {type(t).__name__}; use read_path_table() "
                "for a file."
            )
        if self.separator is not None and (
            not isinstance(self.separator, str) or self.separator == ""
        ):
            raise ValidationError(
                f"separator == {self.separator!r}, must be None (detect it) or a non-empty "
                "string such as ' > ' or '>'."
            )
        missing = [c for c in ("path", "total_conversions", "total_null") if c not in t]
        if missing:
            raise ValidationError(
                f"path table is missing columns {missing}; it has {list(t.columns)}. Expected "
                f"{list(_PATH_COLUMNS)} (rename yours, or use read_path_table(..., path=...))."
            )
        if len(t) == 0:
            raise ValidationError("the path table is empty (0 rows); it needs at least one path.")
        if t.columns.duplicated().any():
            dup = sorted({str(c) for c in t.columns[t.columns.duplicated()]})
            raise ValidationError(f"path table has duplicated columns {dup}; keep one of each.")
        t = t.copy()
        if "total_conversion_value" not in t:
            t["total_conversion_value"] = 0.0
        for col in ("total_conversions", "total_null", "total_conversion_value"):
            x = t[col]
            if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
                raise ValidationError(
                    f"path table column {col!r} has dtype {x.dtype}, must be numeric; convert "
                    "it, for example with pd.to_numeric(df[...], errors='raise')."
                )
            v = x.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(v) | (v < 0)
            if bad.any():
                rows = t.index[bad][:5].tolist()
                raise ValidationError(
                    f"path table column {col!r} must be finite and >= 0; rows {rows} are not "
                    "(missing, infinite or negative). Fill or drop them."
                )
        counts = t["total_conversions"].to_numpy(float) + t["total_null"].to_numpy(float)
        with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is inf, refused below
            n_total = counts.sum()
            value_total = t["total_conversion_value"].to_numpy(float).sum()
        if n_total > 2.0**53:
            raise ValidationError(
                f"path table counts total_conversions + total_null add up to {n_total:.3g} "
                "journeys, more than 2**53 (about 9.0e15), above which they cannot be counted "
                "exactly; scale them down (the shares do not change)."
            )
        if value_total > 1e300:
            raise ValidationError(
                "path table column 'total_conversion_value' adds up to more than 1e300, which "
                "leaves no room for sums and bootstrap resamples; express it in larger units."
            )
        p = t["path"]
        na = p.isna().to_numpy()
        if na.any():
            raise ValidationError(
                f"path table column 'path' is empty at rows {t.index[na][:5].tolist()}; each "
                f"row needs at least one channel, joined by {self.separator or PATH_SEPARATOR!r}."
            )
        # exact Python strings (no string dtype that trims or re-encodes them)
        strings = [x if isinstance(x, str) else str(x) for x in p.tolist()]
        separator = self.separator
        if separator is None:
            separator = _detect_separator(strings, t.index)
            object.__setattr__(self, "separator", separator)
        parsed = _parse_paths(strings, separator, t.index)
        t["path"] = pd.Series(strings, index=t.index, dtype=object)
        both_zero = counts == 0
        if both_zero.all():
            raise ValidationError(
                "every path has zero conversions and zero nulls, so the table holds no "
                "journey; check the count columns."
            )
        t, parsed = _merge_repeated_paths(t.reset_index(drop=True), parsed, t.index)
        object.__setattr__(self, "table", t)
        object.__setattr__(self, "_parsed", parsed)

    @classmethod
    def _trusted(cls, table: pd.DataFrame, parsed: _ParsedPaths, info: dict[str, Any]) -> PathTable:
        """A table built by :func:`path_table` itself, already split and checked: skips the
        validation and the split of :meth:`__post_init__` (the same result, without the cost)."""
        t = table.copy()
        t["path"] = pd.Series([str(x) for x in t["path"].tolist()], index=t.index, dtype=object)
        obj = object.__new__(cls)
        object.__setattr__(obj, "table", t.reset_index(drop=True))
        object.__setattr__(obj, "separator", PATH_SEPARATOR)
        object.__setattr__(obj, "info", info)
        object.__setattr__(obj, "_parsed", parsed)
        return obj

    @classmethod
    def _from_own_paths(cls, table: pd.DataFrame, info: dict[str, Any]) -> PathTable:
        """A table whose paths cjmodels joined with ``" > "`` from exact channel names (an event
        log, an engine's counts): sorted by path and split back exactly, without the checks of
        user counts and without the warning about blanks (they are the channels' own)."""
        t = table.copy()
        t["path"] = pd.Series([str(x) for x in t["path"].tolist()], index=t.index, dtype=object)
        t = t.sort_values("path", kind="stable").reset_index(drop=True)
        parsed = _parse_paths(t["path"].tolist(), PATH_SEPARATOR, t.index, warn_blanks=False)
        return cls._trusted(t, parsed, info)

    @property
    def channels(self) -> list[str]:
        """Distinct channels, sorted."""
        return [str(x) for x in self._parsed.labels]

    @property
    def n_journeys(self) -> float:
        return float(self.table["total_conversions"].sum() + self.table["total_null"].sum())

    @property
    def total_conversions(self) -> float:
        return float(self.table["total_conversions"].sum())

    @property
    def total_conversion_value(self) -> float:
        return float(self.table["total_conversion_value"].sum())

    def journey_set(self) -> JourneySet:
        """Each path as a conversion row and a null row, weighted by their counts.

        Rows are the paths with conversions (in table order), then the paths with nulls; rows
        with a zero count are left out.
        """
        t = self.table
        parsed = self._parsed
        n = len(t)
        w = np.concatenate(
            [t["total_conversions"].to_numpy(float), t["total_null"].to_numpy(float)]
        )
        keep = w > 0
        reps = np.concatenate([np.arange(n), np.arange(n)])[keep]
        lengths = parsed.lengths[reps]
        offsets = np.zeros(len(reps) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        idx = np.repeat(parsed.starts[reps] - offsets[:-1], lengths) + np.arange(offsets[-1])
        val = np.concatenate([t["total_conversion_value"].to_numpy(float), np.zeros(n)])
        outcome = np.repeat(np.array([_CONV, _DROP], dtype=np.int8), n)
        return JourneySet(
            parsed.labels.copy(),
            parsed.codes[idx],
            offsets,
            outcome[keep],
            w[keep],
            val[keep],
            {"sequence": "channel", "source": "path_table"},
        )

    def _repr_fields(self) -> dict[str, Any]:
        nj = self.n_journeys
        conv = self.total_conversions
        return {
            "paths": len(self.table),
            "journeys": int(nj) if float(nj).is_integer() else nj,
            "conversions": int(conv) if float(conv).is_integer() else conv,
            "conversion_rate": conv / nj if nj else float("nan"),
            "channels": len(self.channels),
        }

    def _summary(self) -> pd.DataFrame:
        """Per channel: paths and journeys that contain it, conversions on them, share first
        and last.
        """
        t = self.table
        parsed = self._parsed
        C = len(parsed.labels)
        rows = parsed.rows
        journeys = (t["total_conversions"] + t["total_null"]).to_numpy(dtype=float)
        conversions = t["total_conversions"].to_numpy(dtype=float)
        # each channel once per path
        key = np.unique(rows * C + parsed.codes)
        r, c = key // C, key % C
        starts = parsed.starts
        first = parsed.codes[starts[:-1]]
        last = parsed.codes[starts[1:] - 1]
        total = journeys.sum()
        out = pd.DataFrame(
            {
                "paths": np.bincount(c, minlength=C),
                "journeys_with_channel": np.bincount(c, weights=journeys[r], minlength=C),
                "conversions_with_channel": np.bincount(c, weights=conversions[r], minlength=C),
                "first_touch_share": np.bincount(first, weights=journeys, minlength=C) / total,
                "last_touch_share": np.bincount(last, weights=journeys, minlength=C) / total,
            },
            index=pd.Index(self.channels, name="channel"),
        )
        integer = pd.api.types.is_integer_dtype
        if integer(t["total_conversions"]):
            out["conversions_with_channel"] = out["conversions_with_channel"].astype(np.int64)
            if integer(t["total_null"]):
                out["journeys_with_channel"] = out["journeys_with_channel"].astype(np.int64)
        return out

    def _plot(self, ax: Any, *, top: int = 15) -> None:
        """Bar chart of each channel's share of first and last touches (the ``top`` channels
        by first-touch share)."""
        s = self._summary().sort_values("first_touch_share", ascending=False).head(top)
        y = np.arange(len(s))
        ax.barh(y - 0.2, s["first_touch_share"], height=0.4, label="first touch")
        ax.barh(y + 0.2, s["last_touch_share"], height=0.4, label="last touch")
        ax.set_yticks(y, s.index)
        ax.invert_yaxis()
        ax.set_xlabel("share of journeys")
        ax.legend()
        ax.set_title("First and last touch by channel")

    def to_csv(self, path: str | PathLike[str]) -> None:
        """Write the ChannelAttribution layout (plus ``total_censored`` when known), UTF-8,
        with the paths joined by :attr:`separator`; :func:`read_path_table` reads it back
        unchanged (blanks and all)."""
        try:
            self.table.to_csv(path, index=False, encoding="utf-8")
        except UnicodeEncodeError as e:
            raise ValidationError(
                f"path table column 'path' holds text that is not valid Unicode ({e.reason} at "
                f"{e.object[e.start:e.end]!r}); UTF-8 cannot store it. Rename those channels."
            ) from None

    def _totals(self) -> dict[str, Any]:
        """The table in a few numbers: paths, journeys, conversions, value, channels, info."""
        return {
            "n_paths": len(self.table),
            "n_journeys": self.n_journeys,
            "total_conversions": self.total_conversions,
            "total_conversion_value": self.total_conversion_value,
            "channels": self.channels,
            "info": dict(self.info),
        }

    def _to_dict(self) -> dict[str, Any]:
        """The totals, the separator and every row of the table (column by column)."""
        return {
            **self._totals(),
            "separator": self.separator,
            "paths": {str(c): self.table[c].tolist() for c in self.table.columns},
        }


def _subset(js: JourneySet, keep: np.ndarray) -> JourneySet:
    """The rows ``keep`` (a boolean mask or indices) of ``js``, touches gathered in one pass."""
    lengths = js.lengths[keep]
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    starts = js.offsets[:-1][keep]
    idx = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    return JourneySet(
        js.labels,
        js.symbols[idx],
        offsets,
        js.outcome[keep],
        js.weight[keep],
        js.value[keep],
        js.info,
    )


def path_table(
    data: EventLog | pd.DataFrame,
    *,
    timeout: Any = None,
    lookback: Any = None,
    collapse_repeats: bool = False,
    **log_options: Any,
) -> PathTable:
    """Count journeys by path: the ChannelAttribution input layout.

    Converting journeys add to ``total_conversions`` and their conversion value to
    ``total_conversion_value``; dropped-out and censored journeys add to ``total_null``
    (``total_censored`` says how many of those were censored). Journeys with no touch (a
    conversion right after another) have no path; they are left out with a warning, and counted in
    ``info``.

    Parameters
    ----------
    data : EventLog, DataFrame, DuckDB relation or PySpark DataFrame
        The event log. A DuckDB relation (for example over a Parquet file, see :func:`cjmodels.data.sql.scan`)
        is reduced by DuckDB itself, a PySpark DataFrame by Spark
        (:func:`cjmodels.data.spark.path_table_spark`), without loading the events into Python;
        the column options are then the column names (``customer=``, ``timestamp=``, ...).
    timeout, lookback : time span, optional
        See :func:`journeys`.
    collapse_repeats : bool
        Merge consecutive touches of the same channel (``a > a > b`` becomes ``a > b``).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3], "timestamp": [0, 1, 2, 0, 0],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch"],
    ...                    "channel": ["a", "b", None, "a", "b"]})
    >>> path_table(df).table
        path  total_conversions  total_null  total_conversion_value  total_censored
    0      a                  0           1                     0.0               1
    1  a > b                  1           0                     0.0               0
    2      b                  0           1                     0.0               1
    """
    if type(data).__module__.split(".")[0] in ("duckdb", "pyspark"):  # counted by the engine
        from cjmodels.data._backend import engine_path_table_of

        return engine_path_table_of(
            data,
            timeout=timeout,
            lookback=lookback,
            collapse_repeats=collapse_repeats,
            **log_options,
        )
    log = as_event_log(data, **log_options)
    js = journey_set(log, sequence="channel", timeout=timeout, lookback=lookback,
                     per_journey=False)
    if collapse_repeats:
        js = js.collapse_repeats()
    empty = js.lengths == 0
    info = dict(js.info)
    info["collapse_repeats"] = collapse_repeats
    info["journeys_without_touches"] = int(empty.sum())
    if empty.any():
        conv = int(((js.outcome == _CONV) & empty).sum())
        val = float(js.value[empty].sum())
        info["conversions_without_touches"] = conv
        info["value_without_touches"] = val
        _warn(without_touches_message(int(empty.sum()), conv, val, "the path table"))
        js = _subset(js, ~empty)
    if js.n == 0:
        raise ValidationError("no journey has a touch, so there is no path to count.")
    fast = _sorted_path_strings(js)
    if fast is not None:
        ids, strings, parsed = fast
    else:
        ids, strings = js.path_strings()
        parsed = None
    n_paths = len(strings)
    conv = js.outcome == _CONV
    table = pd.DataFrame(
        {
            "path": strings,
            "total_conversions": np.bincount(ids, weights=conv * js.weight, minlength=n_paths),
            "total_null": np.bincount(ids, weights=~conv * js.weight, minlength=n_paths),
            "total_conversion_value": np.bincount(ids, weights=js.value, minlength=n_paths),
            "total_censored": np.bincount(
                ids, weights=(js.outcome == _CENS) * js.weight, minlength=n_paths
            ),
        }
    )
    for col in ("total_conversions", "total_null", "total_censored"):
        table[col] = table[col].round().astype(np.int64)
    if parsed is not None:  # already in path order, split and checked
        return PathTable._trusted(table, parsed, info)
    return PathTable._from_own_paths(table, info)


def _sorted_path_strings(js: JourneySet) -> tuple[np.ndarray, np.ndarray, _ParsedPaths] | None:
    """Distinct paths in sorted order, joined in Arrow's C++ kernels, with their split form.

    Returns the path id of each journey (ids in sorted path order), the sorted path strings and
    the parsed paths :class:`PathTable` would compute, or ``None`` when pyarrow is missing,
    cannot encode a name (a lone surrogate) or a channel name would not survive a round trip
    through the path string (empty, or the separator's ``>`` inside it), so that the general
    path (:meth:`PathTable._from_own_paths`, the same result) applies the usual checks. Blanks
    and NUL characters in names survive: the separator takes exactly one blank on each side.

    When no channel name holds a character at or below the blank (the separator's first
    character), the code-point order of the joined strings is the lexicographic order of the
    channel sequences, so the paths are sorted as integer sequences and only the sorted ones
    are joined; otherwise Arrow sorts the strings.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return None
    labels = [str(x) for x in js.labels]
    core = PATH_SEPARATOR.strip()
    if any(lab.strip() == "" or core in lab for lab in labels):
        return None
    try:
        sorted_labels = pa.array(sorted(labels), type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowException):  # lone surrogates: not UTF-8
        return None
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    ids, flat, lengths = js.distinct_paths()
    codes = rank[flat]  # codes into the sorted labels
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    separator = pa.scalar(PATH_SEPARATOR, type=pa.large_string())
    if all(min(lab) > PATH_SEPARATOR[0] for lab in labels):
        perm = _lexicographic_order(codes, offsets, len(labels))
        strings = None
    else:
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), sorted_labels.take(pa.array(codes)))
        strings = pc.binary_join(lists, separator)
        perm = pc.array_sort_indices(strings).to_numpy().astype(np.int64)  # code-point order
    new_id = np.empty(len(perm), dtype=np.int64)
    new_id[perm] = np.arange(len(perm))
    lens = lengths[perm]
    sorted_codes = codes[_ranges(offsets[:-1][perm], lens)]
    parsed = _ParsedPaths(np.array([labels[i] for i in order], dtype=object), sorted_codes, lens)
    if strings is None:
        sorted_offsets = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=sorted_offsets[1:])
        lists = pa.LargeListArray.from_arrays(
            pa.array(sorted_offsets), sorted_labels.take(pa.array(sorted_codes))
        )
        out = pc.binary_join(lists, separator).to_numpy(zero_copy_only=False)
    else:
        out = strings.take(pa.array(perm)).to_numpy(zero_copy_only=False)
    return new_id[ids], out, parsed


def _lexicographic_order(codes: np.ndarray, offsets: np.ndarray, n_labels: int) -> np.ndarray:
    """Stable order of integer sequences ``codes[offsets[i]:offsets[i + 1]]``, lexicographic
    (a prefix before its extensions).

    Each block of positions becomes one int64 key per sequence (symbols + 1 as digits, 0 past
    the end); blocks are sorted from the last to the first with a stable sort.
    """
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    radix = n_labels + 1
    block = max(int(np.floor(62 / np.log2(radix))), 1)
    m = len(codes)
    if n == 0 or m == 0:
        return np.arange(n)
    # position of every symbol within its sequence (a count restarted per sequence)
    pos = np.ones(m, dtype=np.int64)
    nonempty = lengths > 0
    starts = offsets[:-1][nonempty]
    pos[0] = 0
    pos[starts[1:]] = 1 - lengths[nonempty][:-1]
    np.cumsum(pos, out=pos)
    power = radix ** np.arange(block - 1, -1, -1, dtype=np.int64)
    perm = np.arange(n)
    n_blocks = -(-int(lengths.max()) // block)
    for b in range(n_blocks - 1, -1, -1):
        lo, hi = b * block, (b + 1) * block
        in_block = (pos >= lo) & (pos < hi)
        digits = (codes[in_block].astype(np.int64) + 1) * power[pos[in_block] - lo]
        count = np.clip(lengths - lo, 0, block)
        key = np.zeros(n, dtype=np.int64)
        has = count > 0
        if has.any():
            seg = np.zeros(int(has.sum()), dtype=np.int64)
            np.cumsum(count[has][:-1], out=seg[1:])
            key[has] = np.add.reduceat(digits, seg)
        perm = perm[np.argsort(key[perm], kind="stable")]
    return perm


def _read_path_csv(source: str | PathLike[str], path: str = "path") -> pd.DataFrame:
    """A path table file read by :func:`cjmodels.data.io.read_table`: the ``path`` column as
    exact text (blanks kept; ``"NA"`` or ``"null"`` are channel names, not missing values),
    delimiter and compression found from the content, rows named by file line."""
    from cjmodels.data.io import read_table

    return read_table(source, what="path table", text=[path],
                      expected=[path, "total_conversions", "total_null"])


def read_path_table(
    data: str | PathLike[str] | pd.DataFrame,
    *,
    path: str = "path",
    conversions: str = "total_conversions",
    null: str = "total_null",
    value: str | None = "total_conversion_value",
    separator: str | None = None,
) -> PathTable:
    """Read a path table in ChannelAttribution's layout from a CSV file or a DataFrame.

    Parameters
    ----------
    data : path or DataFrame
        A CSV file (compressed or not, delimiter detected) or a DataFrame of a path table.
    path, conversions, null, value : str
        Column names; ``value`` may be ``None`` or absent (then 0).
    separator : str or None
        Separator of channels within a path; None (default) detects ``" > "`` or ``">"`` and
        refuses an ambiguous table (see :class:`PathTable` for the rules, blanks included).

    Examples
    --------
    >>> df = pd.DataFrame({"path": ["a > b"], "total_conversions": [1], "total_null": [2]})
    >>> read_path_table(df).total_conversions
    1.0
    >>> ca = pd.DataFrame({"path": ["c1>c2>c3", "c2"], "total_conversions": [1, 0],
    ...                    "total_null": [0, 1]})
    >>> pt = read_path_table(ca)  # ChannelAttribution's own layout
    >>> pt.separator, pt.channels
    ('>', ['c1', 'c2', 'c3'])
    """
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, (str, PathLike)):
        df = _read_path_csv(data, path)
    else:
        raise ValidationError(
            f"read_path_table needs a file name or a DataFrame, got {type(data).__name__}."
        )
    missing = [c for c in (path, conversions, null) if c not in df]
    if missing:
        raise ValidationError(
            f"path table columns {missing} not found; it has {list(df.columns)}. Name them with "
            "path=..., conversions=..., null=..."
        )
    out = pd.DataFrame(
        {
            "path": df[path],
            "total_conversions": df[conversions],
            "total_null": df[null],
        }
    )
    if value is not None and value in df:
        out["total_conversion_value"] = df[value]
    for extra in ("total_censored",):
        if extra in df:
            out[extra] = df[extra]
    return PathTable(out, separator=separator)
