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

from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data._engine import engine_of, engine_path_table
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.journeyset import (
    OUTCOME_CENSORED,
    OUTCOME_CONVERSION,
    OUTCOME_DROP_OUT,
    OUTCOMES,
    JourneySet,
    ranges,
    subset,
)
from cjmodels.data.paths import ParsedPaths, PathTable, without_touches_message
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError

__all__ = ["journey_index", "journey_set", "journeys", "path_table"]

_TERMINAL_EVENTS = ("conversion", "drop_out", "churn")

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


def journey_index(
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
    # a log declared without touches or conversions (event_types=[...]) has none of them
    types = list(log.event_types)
    is_touch = codes == (types.index("touch") if "touch" in types else -1)
    is_conv = codes == (types.index("conversion") if "conversion" in types else -1)
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
    outcome = np.full(n_j, OUTCOME_CENSORED, dtype=np.int8)
    outcome[is_conv[last_pos]] = OUTCOME_CONVERSION
    if any_stop:
        outcome[is_stop[last_pos]] = OUTCOME_DROP_OUT
    if timed_out is not None:
        # a journey followed by a timeout boundary of the same customer dropped out
        nxt = last_pos + 1
        has_next = nxt < n
        ended_by_gap = np.zeros(n_j, dtype=bool)
        ended_by_gap[has_next] = timed_out[nxt[has_next]]
        outcome[(outcome == OUTCOME_CENSORED) & ended_by_gap] = OUTCOME_DROP_OUT
        obs_end = log.time_ticks(log.observation_end)
        stale = (outcome == OUTCOME_CENSORED) & (obs_end - t[last_pos] > timeout_t)
        outcome[stale] = OUTCOME_DROP_OUT

    value = np.zeros(n_j)
    if log.has_value:
        conv_val = log.column("value")[rel[last_pos]]
        value = np.where(outcome == OUTCOME_CONVERSION, conv_val, 0.0)

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
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    JourneySet
        One row per journey, weight 1: its touches' symbols in time order (stages in the
        scheme's order of labels when the log declares one, else sorted labels), its outcome
        and conversion value; ``info`` holds the settings and the counts of
        :func:`journeys`' ``attrs``.

    Raises
    ------
    ValidationError
        When ``sequence`` is not ``"channel"`` or ``"stage"``, the log lacks that column, a
        touch lacks its symbol, or the log has no touch and no conversion.

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
    table, touch_pos, touch_j, info = journey_index(
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
        frame, _, _, info = journey_index(log, timeout=timeout, lookback=lookback)
        frame.attrs.update(info)
    frame.attrs.pop("sequence", None)
    return frame


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
        The event log. A DuckDB relation (for example over a Parquet file, see
        :func:`cjmodels.data.sql.scan`) is reduced by DuckDB itself, a PySpark DataFrame by Spark
        (:func:`cjmodels.data.spark.path_table_spark`), without loading the events into Python;
        the column options are then the column names (``customer=``, ``timestamp=``, ...).
    timeout, lookback : time span, optional
        See :func:`journeys`.
    collapse_repeats : bool
        Merge consecutive touches of the same channel (``a > a > b`` becomes ``a > b``).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (``customer=``, ``timestamp=``,
        ``event=``, ``channel=``, ``value=``, ...) when ``data`` is not an EventLog.

    Returns
    -------
    PathTable
        One row per distinct path, sorted by path: ``path``, ``total_conversions``,
        ``total_null``, ``total_conversion_value`` and ``total_censored`` (integers but the
        value). ``info`` holds the settings and counts of :func:`journeys`' ``attrs``, with
        ``collapse_repeats`` and ``journeys_without_touches`` (and, when there are some,
        ``conversions_without_touches`` and ``value_without_touches``).

    Raises
    ------
    ValidationError
        When the log has no channel column, a touch has no channel, or no journey has a
        touch.

    See Also
    --------
    read_path_table : A path table from a file or DataFrame of your own.

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
    if engine_of(data) != "memory":  # counted by the engine
        return engine_path_table(
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
        conv = int(((js.outcome == OUTCOME_CONVERSION) & empty).sum())
        val = float(js.value[empty].sum())
        info["conversions_without_touches"] = conv
        info["value_without_touches"] = val
        warn_user(without_touches_message(int(empty.sum()), conv, val, "the path table"))
        js = subset(js, ~empty)
    if js.n == 0:
        raise ValidationError("no journey has a touch, so there is no path to count.")
    fast = _sorted_path_strings(js)
    if fast is not None:
        ids, strings, parsed = fast
    else:
        ids, strings = js.path_strings()
        parsed = None
    n_paths = len(strings)
    conv = js.outcome == OUTCOME_CONVERSION
    table = pd.DataFrame(
        {
            "path": strings,
            "total_conversions": np.bincount(ids, weights=conv * js.weight, minlength=n_paths),
            "total_null": np.bincount(ids, weights=~conv * js.weight, minlength=n_paths),
            "total_conversion_value": np.bincount(ids, weights=js.value, minlength=n_paths),
            "total_censored": np.bincount(
                ids, weights=(js.outcome == OUTCOME_CENSORED) * js.weight, minlength=n_paths
            ),
        }
    )
    for col in ("total_conversions", "total_null", "total_censored"):
        table[col] = table[col].round().astype(np.int64)
    if parsed is not None:  # already in path order, split and checked
        return PathTable._trusted(table, parsed, info)
    return PathTable._from_own_paths(table, info)


def _sorted_path_strings(js: JourneySet) -> tuple[np.ndarray, np.ndarray, ParsedPaths] | None:
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
    sorted_codes = codes[ranges(offsets[:-1][perm], lens)]
    parsed = ParsedPaths(np.array([labels[i] for i in order], dtype=object), sorted_codes, lens)
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

