"""Attribution input: journeys as weighted rows, from an event log or a path table.

Every model here works on one representation, a :class:`~cjmodels.data.JourneySet` whose rows
are *cells*: a distinct channel sequence with one outcome (conversion or not), weighted by how
many journeys it stands for, with the conversion value summed over them. Path tables give two
cells per path (``total_conversions`` and ``total_null``); event logs give one cell per distinct
(path, outcome) pair, or one row per journey when touch times are needed (time decay).
Censored journeys count as non-converting, as in :func:`~cjmodels.data.path_table`.

Because the rows carry counts, the bootstrap over journeys is a reweighting of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data import (
    CONVERSION,
    NULL,
    START,
    EventLog,
    JourneySet,
    PathTable,
    engine_of,
    journey_set,
    path_table,
    read_path_table,
)
from cjmodels.data.events import as_event_log
from cjmodels.data.journeys import journey_index
from cjmodels.data.journeyset import OUTCOME_CONVERSION, OUTCOME_DROP_OUT, subset
from cjmodels.data.paths import without_touches_message
from cjmodels.errors import ValidationError

__all__ = ["AttributionData", "attribution_data"]

#: Channel names that clash with the chain's own states (compared case-insensitively, with or
#: without the brackets).
RESERVED = ("start", "conversion", "null")


@dataclass(frozen=True, eq=False)
class AttributionData:
    """Weighted journey cells: the common input of all attribution models.

    Built by :func:`attribution_data` from an event log or a path table (every model's ``fit``
    calls it); constructing one directly is for code that already holds a
    :class:`~cjmodels.data.JourneySet`. A frozen dataclass: :meth:`reweight` returns a new one.

    Parameters
    ----------
    journeys : JourneySet
        Rows are cells (or single journeys when ``dt`` is set); ``outcome`` is 0 for conversion
        and 1 otherwise; ``weight`` counts journeys; ``value`` is the summed conversion value.
    dt : numpy.ndarray or None
        Time from each touch to the end of its journey (days for datetime logs, the log's unit
        for numeric times); only for data built from an event log with ``times=True`` (time
        decay). None otherwise.
    info : dict or None
        Where the data came from (``source``: ``"path_table"`` or ``"event_log"``) and the
        totals, with ``conversions_without_touches`` and ``value_without_touches``: conversions
        (and their value) that had no touch before them, so no model can credit a channel with
        them; they are not in the rows. None counts as no such conversions.
    path_index : numpy.ndarray or None
        Distinct path of every row (``0 .. n_paths - 1``; rows with the same index have the
        same channel sequence), so that work on sequences is done once per path; None when
        unknown (then every row counts as its own path).

    See Also
    --------
    attribution_data : Build it from an event log, a path table or a file.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import AttributionData, attribution_data
    >>> d = attribution_data(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 0],
    ...                                     "total_null": [1, 3]}))
    >>> d.path_strings().tolist(), d.converted.tolist(), d.journeys.weight.tolist()
    (['a > b', 'a > b', 'b'], [True, False, False], [2.0, 1.0, 3.0])
    >>> d.total_conversions, d.n_journeys, d.has_null
    (2.0, 6.0, True)
    >>> AttributionData(d.journeys).n_journeys  # the same rows, without path index or info
    6.0
    """

    journeys: JourneySet
    dt: np.ndarray | None = None
    info: dict[str, Any] | None = None
    path_index: np.ndarray | None = None

    @property
    def channels(self) -> list[str]:
        """Channel names (sorted)."""
        return [str(c) for c in self.journeys.labels]

    @property
    def converted(self) -> np.ndarray:
        """Whether each row converts (a boolean array, one entry per row)."""
        return self.journeys.outcome == OUTCOME_CONVERSION

    @property
    def total_conversions(self) -> float:
        """Converting journeys in the rows (the summed weight of the converting rows)."""
        js = self.journeys
        return float(js.weight[self.converted].sum())

    @property
    def total_value(self) -> float:
        """Conversion value of the rows (summed over the converting rows)."""
        return float(self.journeys.value[self.converted].sum())

    @property
    def n_journeys(self) -> float:
        """Journeys in the rows, converting or not (the summed weight of all rows)."""
        return float(self.journeys.weight.sum())

    @property
    def conversions_without_touches(self) -> float:
        """Conversions left out of the rows because no touch came before them."""
        return float((self.info or {}).get("conversions_without_touches", 0.0))

    @property
    def value_without_touches(self) -> float:
        """Conversion value of the conversions left out because no touch came before them."""
        return float((self.info or {}).get("value_without_touches", 0.0))

    @property
    def has_null(self) -> bool:
        """Whether any non-converting journey is in the rows (a null row of positive weight)."""
        js = self.journeys
        return bool((js.weight[~self.converted] > 0).any())

    def reweight(self, weight: np.ndarray) -> AttributionData:
        """The same rows with new journey counts, conversion values scaled along.

        This is how the bootstrap resamples journeys: a replicate is the fitted rows with
        resampled counts.

        Parameters
        ----------
        weight : numpy.ndarray
            The new journey count of every row (same length as the rows). A row's value is
            multiplied by ``weight / old weight`` (0 for rows whose old weight was 0).

        Returns
        -------
        AttributionData
            A new object with the same paths, outcomes, ``dt``, ``info`` and ``path_index``.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.attribution import attribution_data
        >>> d = attribution_data(pd.DataFrame({"path": ["a"], "total_conversions": [2],
        ...                                     "total_null": [2],
        ...                                     "total_conversion_value": [10.0]}))
        >>> d2 = d.reweight(d.journeys.weight * 3)
        >>> d2.total_conversions, d2.total_value, d.total_value
        (6.0, 30.0, 10.0)
        """
        js = self.journeys
        old = js.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(old > 0, weight / np.where(old > 0, old, 1.0), 0.0)
        new = JourneySet(
            js.labels, js.symbols, js.offsets, js.outcome, np.asarray(weight, dtype=float),
            js.value * ratio, js.info,
        )
        return AttributionData(new, self.dt, self.info, self.path_index)

    def path_strings(self) -> np.ndarray:
        """The path of every row as its channels joined by ``" > "``.

        Returns
        -------
        numpy.ndarray
            One string per row, in row order (rows of one path give equal strings).
        """
        ids, strings = self.journeys.path_strings()
        return strings[ids]


def _check_labels(js: JourneySet) -> None:
    """Channel names must be non-empty and not the chain's reserved state names (names are
    otherwise kept exactly, blanks included: the path table has checked its separator)."""
    labels = [str(x) for x in js.labels]
    blank = [lab for lab in labels if lab.strip() == ""]
    if blank:
        code = labels.index(blank[0])
        rows = np.unique(np.repeat(np.arange(js.n), js.lengths)[js.symbols == code])[:5]
        raise ValidationError(
            f"channel name {blank[0]!r} is empty or blank (rows {rows.tolist()} of the journey "
            "cells). Every channel needs a name; fill the channel column."
        )
    bad = [
        lab
        for lab in labels
        if lab.strip().lower().strip("()") in RESERVED or lab in (START, CONVERSION, NULL)
    ]
    if bad:
        raise ValidationError(
            f"channels {bad} are named like the chain's reserved states (start, conversion, "
            "null); rename them, e.g. 'start' -> 'start_page'."
        )


def _compact(ids: np.ndarray) -> np.ndarray:
    """Renumber non-negative ids to 0, 1, ... (in increasing order of the ids)."""
    used = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=bool)
    used[ids] = True
    return (np.cumsum(used) - 1)[ids]


def _cells(js: JourneySet, drop_empty: bool = False) -> tuple[JourneySet, np.ndarray]:
    """Merge rows with the same path and outcome (censored counts as non-converting); also
    returns the distinct path of every merged row. With ``drop_empty``, rows without touches
    are left out."""
    conv = js.outcome == OUTCOME_CONVERSION
    outcome = np.where(conv, OUTCOME_CONVERSION, OUTCOME_DROP_OUT).astype(np.int8)
    two_way = replace(js, outcome=outcome, value=np.where(conv, js.value, 0.0))
    cells, path = two_way.merged()
    if drop_empty:
        keep = cells.lengths > 0
        if not keep.all():
            cells, path = subset(cells, keep), path[keep]
    return cells, _compact(path)


def _from_log(
    log: EventLog, times: bool, timeout: Any, lookback: Any, unit: str
) -> AttributionData:
    js = journey_set(log, sequence="channel", timeout=timeout, lookback=lookback,
                     per_journey=times)
    frame = js.table
    empty = js.lengths == 0
    dropped = int(empty.sum())
    conv_empty = empty & (js.outcome == OUTCOME_CONVERSION)
    lost_conversions = float(js.weight[conv_empty].sum())
    lost_value = float(js.value[conv_empty].sum())
    dt = path_index = None
    if times:
        if dropped:
            js = subset(js, ~empty)
        # touch times relative to the journey end; the data layer does not expose them
        _, touch_pos, touch_j, _ = journey_index(log, timeout=timeout, lookback=lookback)
        t = log.times(unit)
        end = np.asarray(log.to_float(frame["end"].to_numpy(), unit), dtype=float)
        dt = end[touch_j] - t[touch_pos]
    else:
        js, path_index = _cells(js, drop_empty=True)
    info = {
        "source": "event_log",
        "journeys_without_touches": dropped,
        "conversions_without_touches": lost_conversions,
        "value_without_touches": lost_value,
        "censored_as_null": True,
        "time_unit": unit if log.time_kind != "numeric" else "log",
    }
    return AttributionData(js, dt, info, path_index)


def attribution_data(
    data: Any,
    *,
    times: bool = False,
    timeout: Any = None,
    lookback: Any = None,
    unit: str = "D",
    separator: str | None = None,
    **options: Any,
) -> AttributionData:
    """Turn an event log or a path table into :class:`AttributionData`.

    Conversions with no touch before them (a conversion right after another) cannot be credited
    to any channel: they are left out of the rows, counted in ``info``
    (``conversions_without_touches``, ``value_without_touches``) and named in one
    :class:`UserWarning`, the same for every model; results carry the counts.

    Parameters
    ----------
    data : EventLog, DataFrame, PathTable, str path, engine table, or AttributionData
        An event log (DataFrame with event columns, or :class:`~cjmodels.data.EventLog`), a
        path table (:class:`~cjmodels.data.PathTable`, a DataFrame with a ``path`` column in
        ChannelAttribution's layout, or a CSV file of that layout), or an event table in an
        engine (a DuckDB relation or PySpark DataFrame), which the engine reduces to its path
        table (:func:`cjmodels.data.path_table`).
    times : bool
        Keep one row per journey with each touch's time before the journey's end (needed by
        time decay; event logs only).
    timeout, lookback : time span, optional
        Journey options for event logs, see :func:`cjmodels.data.journeys`.
    unit : str
        Time unit of ``dt`` for datetime logs (default days).
    separator : str or None
        Channel separator of a path table's ``path`` column. None (default) detects ``" > "``
        or ChannelAttribution's ``">"`` and refuses an ambiguous table; see
        :class:`~cjmodels.data.PathTable` for the rules (blanks included). Ignored when None
        for event logs (their paths are built from the channel column).
    **options
        Column options for an event log (see :class:`~cjmodels.data.EventLog`), or for a path
        table (``path=``, ``conversions=``, ``null=``, ``value=``).

    Returns
    -------
    AttributionData
        The weighted journey cells: for a path table, one row per path with conversions and
        one per path with nulls; for an event log, one row per distinct (path, outcome) (one
        per journey with ``times=True``); censored journeys count as non-converting.

    Raises
    ------
    cjmodels.errors.ValidationError
        When the input is of an unknown type, a channel name is blank or reserved
        (``start``, ``conversion``, ``null``), options do not apply to the input, there is no
        journey with a touch or no conversion after a touch, or the counts are too large to
        add up exactly.

    Examples
    --------
    >>> import pandas as pd
    >>> d = attribution_data(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 0],
    ...                                     "total_null": [1, 3]}))
    >>> d.channels, d.total_conversions, d.n_journeys
    (['a', 'b'], 2.0, 6.0)
    >>> ca = pd.DataFrame({"path": ["a>b", "b"], "total_conversions": [2, 0],
    ...                    "total_null": [1, 3]})  # ChannelAttribution's separator
    >>> attribution_data(ca).channels == attribution_data(ca, separator=">").channels == d.channels
    True
    """
    if separator is not None and (not isinstance(separator, str) or separator == ""):
        raise ValidationError(
            f"separator == {separator!r}, must be None (detect it) or a non-empty string such "
            "as ' > ' or '>'."
        )
    if engine_of(data) != "memory":  # a DuckDB relation or PySpark DataFrame: the engine
        if times:  # reduces it to its path table and only that comes back
            raise ValidationError(
                "time decay needs touch timestamps, which an engine table is reduced away "
                "from (only its path table comes back); load the event log in memory instead."
            )
        _no_separator(separator, "an engine's event table")
        pt = path_table(data, timeout=timeout, lookback=lookback, **options)
        return attribution_data(pt)
    if isinstance(data, AttributionData):
        _no_separator(separator, "AttributionData")
        out = data
    elif isinstance(data, PathTable) or (
        isinstance(data, pd.DataFrame) and "path" in data.columns
    ):
        if isinstance(data, PathTable):
            if options:
                raise ValidationError(
                    f"options {sorted(options)} do not apply to a PathTable, which is already "
                    "read; pass them to read_path_table(...) instead."
                )
            if separator is not None and separator != data.separator:
                raise ValidationError(
                    f"separator == {separator!r}, but this PathTable was split with "
                    f"{data.separator!r}; read the table again with read_path_table(..., "
                    f"separator={separator!r})."
                )
            pt = data
        else:
            pt = read_path_table(data, separator=separator, **options)
        if times:
            raise ValidationError(
                "time decay needs touch timestamps, which a path table does not have; pass the "
                "event log instead."
            )
        js = pt.journey_set()  # PathTable has rejected empty channel names
        _check_labels(js)
        # journey_set's rows: paths with conversions, then paths with nulls (table order)
        t = pt.table
        rows = np.r_[
            np.flatnonzero(t["total_conversions"].to_numpy(float) > 0),
            np.flatnonzero(t["total_null"].to_numpy(float) > 0),
        ]
        info = {
            "source": "path_table",
            "separator": pt.separator,
            "journeys_without_touches": int(pt.info.get("journeys_without_touches", 0)),
            "conversions_without_touches": float(pt.info.get("conversions_without_touches", 0)),
            "value_without_touches": float(pt.info.get("value_without_touches", 0.0)),
        }
        out = AttributionData(js, None, info, _compact(rows))
    elif isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        import os

        name = os.fsdecode(data) if isinstance(data, bytes) else data
        from cjmodels.data.io import read_table

        path_col = options.get("path", "path")
        df = read_table(name, what="event log or path table", text=[path_col])
        return attribution_data(
            df, times=times, timeout=timeout, lookback=lookback, unit=unit,
            separator=separator, **options,
        )
    elif isinstance(data, (pd.DataFrame, EventLog)):
        _no_separator(separator, "an event log")
        log = as_event_log(data, **options)
        log.require("channel", purpose="channel attribution")
        out = _from_log(log, times, timeout, lookback, unit)
        _check_labels(out.journeys)
    else:
        raise ValidationError(
            f"cannot attribute from a {type(data).__name__}; pass an event log, a path table "
            "(DataFrame with a 'path' column, or PathTable) or a CSV file of either."
        )
    lost = out.conversions_without_touches
    if out.journeys.n == 0 or out.n_journeys <= 0:
        raise ValidationError(
            "there are no journeys with a touch to attribute"
            + (f" ({lost:g} conversions had no touch before them)." if lost else
               " (the input is empty).")
        )
    if out.total_conversions <= 0:
        raise ValidationError(
            "there are no conversions after a touch, so there is nothing to attribute"
            + (f" ({lost:g} conversions had no touch before them)" if lost else "")
            + "; check the conversion column (total_conversions, or 'conversion' events in "
            "the log)."
        )
    js = out.journeys
    with np.errstate(over="ignore", invalid="ignore"):  # inf sums are refused right here
        too_big = not (np.isfinite(out.total_value) and np.abs(js.value).sum() <= 1e300
                       and np.isfinite(js.weight).all() and out.n_journeys <= 2.0**53)
    if too_big:
        raise ValidationError(
            "the journey counts or conversion values are too large to add up exactly "
            f"({out.n_journeys:.3g} journeys, value {out.total_value:.3g}); counts must stay "
            "below 2**53 and values below 1e300: express values in larger units."
        )
    if lost and not isinstance(data, AttributionData):
        warn_user(without_touches_message(
            int((out.info or {}).get("journeys_without_touches", 0)) or int(lost),
            lost, out.value_without_touches, "the attribution",
        ))
    return out


def _no_separator(separator: str | None, what: str) -> None:
    if separator is not None:
        raise ValidationError(
            f"separator == {separator!r} applies to path tables only, not to {what} (its "
            "paths are built from the channel column); leave separator=None."
        )
