"""The canonical event log: one row per event, validated once, sorted once.

Every conversion in :mod:`cjmodels.data` starts from an :class:`EventLog`. Building one checks the
input and raises :class:`~cjmodels.errors.ValidationError` with a message that names the column,
the first offending rows and a fix. The input frame is never modified.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels._json import to_jsonable
from cjmodels.data.columns import customer_array, factorize, label_codes, rows_text, sort_order
from cjmodels.data.stages import StageScheme, get_scheme
from cjmodels.data.timestamps import observation_window, parse_time, time_to_float
from cjmodels.data.vocabulary import EVENT_TYPES, PATH_SEPARATOR
from cjmodels.errors import ValidationError

__all__ = [
    "EventLog",
]



class _Auto(str):
    """A default column name: used when present, ignored when absent."""

    __slots__ = ()


class EventLog:
    """A validated customer event log in canonical long format.

    One row per event: customer id, timestamp, event type, channel, optional stage, optional value
    (revenue) and any covariate columns. Column names are configurable; ``channel``, ``stage`` and
    ``value`` are used when a column of that name exists and ignored otherwise, unless you name
    a column explicitly, which must then exist.

    Parameters
    ----------
    data : pandas.DataFrame
        The events, in any row order. It is not modified.
    customer, timestamp : str
        Columns with the customer id and the event time (datetime, parseable strings, or numbers
        in a unit of your choice). Customer ids of mixed types (``1`` and ``"1"``) are refused.
        Integer times stay exact int64 (also Python ints in an object column); floats stay
        floats. Time strings with one UTC offset keep it; strings with several offsets (a
        daylight-saving change) are converted to UTC with a warning; a mix of strings with and
        without an offset is refused.
    event : str or None
        Column with the event type, one of ``event_types``. ``None`` declares every row a touch.
    channel, stage, value : str or None
        Columns with the touch channel, the journey stage and the monetary value of conversions.
        Channel and stage labels are kept exactly as the ``str`` of their values (ints give
        ``"1"``, floats ``"1.5"`` and whole floats ``"1"``, bools ``"True"``; blanks and NUL
        characters kept); a label
        column that mixes types is refused, since ``1``, ``1.0`` and ``True`` would merge.
    covariates : sequence of str, optional
        Further columns to carry along; by default every other column.
    scheme : str or StageScheme, optional
        Declared stage scheme; stages are then required on touch rows and checked against it.
    observation_start, observation_end : scalar, optional
        The window in which events were recorded. Default: the earliest and latest timestamp.
        Journeys still open at ``observation_end`` are censored.
    event_types : sequence of str, optional
        Allowed event types; default :data:`EVENT_TYPES`. Ties at equal timestamps are broken in
        this order, then by stage, channel, value and the covariates (a missing value first), so
        results do not depend on row order.

    Attributes
    ----------
    events : pandas.DataFrame
        The validated events with canonical column names (``customer_id``, ``timestamp``,
        ``event``, ``channel``, ``stage``, ``value`` and covariates), sorted by customer, time and
        the tie-break order, indexed 0..n-1.
    source_index : pandas.Index
        The input's index label of each row of ``events``.
    time_kind : {"datetime", "numeric"}
        Whether the timestamps are datetimes or numbers (which keep their own unit).
    columns : dict
        Canonical name (``customer_id``, ``timestamp``, ``event``, ``channel``, ``stage``,
        ``value``) to the input's column, ``None`` for a role the log does not have.
    covariates : tuple of str
        The covariate columns carried along.
    scheme : StageScheme or None
        The declared stage scheme.
    event_types : tuple of str
        The allowed event types, in their tie-break order.
    observation_start, observation_end : scalar
        The observation window (a Timestamp, or a number for numeric logs).

    Raises
    ------
    ValidationError
        For input that cannot be read as an event log: not a DataFrame, empty, a named
        column that does not exist, duplicate column names, a missing customer or time, an
        unknown event type, a touch without a channel (or without a stage when a scheme is
        declared), a stage outside the scheme, a channel containing ``">"``, a value that is
        not numeric, missing on a conversion, infinite or too large, label columns mixing
        types, time strings mixing offsets with naive times.

    See Also
    --------
    read_events : Read and validate an event log from a CSV or Parquet file.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-02"],
    ...     "event": ["touch", "touch", "conversion", "touch"],
    ...     "channel": ["search", "email", None, "social"],
    ... })
    >>> log = EventLog(df)
    >>> log
    EventLog(4 events, 2 customers, 1 conversions, 3 channels, 2025-01-01 00:00:00 .. 2025-01-03 00:00:00)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        customer: str = "customer_id",
        timestamp: str = "timestamp",
        event: str | None = "event",
        channel: str | None = _Auto("channel"),
        stage: str | None = _Auto("stage"),
        value: str | None = _Auto("value"),
        covariates: Sequence[str] | None = None,
        scheme: str | StageScheme | None = None,
        observation_start: Any = None,
        observation_end: Any = None,
        event_types: Sequence[str] | None = None,
    ) -> None:
        if isinstance(data, EventLog):
            data = data.events
        if not isinstance(data, pd.DataFrame):
            raise ValidationError(
                f"events must be a pandas DataFrame, got {type(data).__name__}. "
                "Read files with cjmodels.data.read_events(path)."
            )
        if len(data) == 0:
            raise ValidationError(
                "the event log is empty (0 rows); there is nothing to analyse. "
                "Check the file or the filter that produced it."
            )
        self.event_types: tuple[str, ...] = tuple(event_types or EVENT_TYPES)
        self.scheme: StageScheme | None = get_scheme(scheme) if scheme is not None else None
        cols = list(data.columns)
        if len(set(cols)) != len(cols):
            dupes = sorted({str(c) for c in cols if cols.count(c) > 1})
            raise ValidationError(f"columns {dupes} appear more than once; rename them.")

        def resolve(name: str | None, role: str, required: bool) -> str | None:
            if name is None:
                return None
            if name in data.columns:
                return name
            if isinstance(name, _Auto) and not required:
                return None
            hint = {
                "event": " Pass event=None if every row is a touch.",
                "stage": " A declared scheme needs a stage column.",
            }.get(role, "")
            raise ValidationError(
                f"column {name!r} ({role}) not found; the data has columns {cols}. "
                f"Name the right column with {role}=...{hint}"
            )

        self.columns: dict[str, str | None] = {
            "customer_id": resolve(customer, "customer", True),
            "timestamp": resolve(timestamp, "timestamp", True),
            "event": resolve(event, "event", True),
            "channel": resolve(channel, "channel", False),
            "stage": resolve(stage, "stage", self.scheme is not None),
            "value": resolve(value, "value", False),
        }
        used = {c for c in self.columns.values() if c is not None}
        if covariates is None:
            cov = [c for c in cols if c not in used]
        else:
            cov = list(covariates)
            missing = [c for c in cov if c not in data.columns]
            if missing:
                raise ValidationError(
                    f"covariate columns {missing} not found; the data has columns {cols}."
                )
        clash = [c for c in cov if c in self.columns and self.columns[c] != c]
        if clash:
            raise ValidationError(
                f"covariate columns {clash} clash with canonical column names; rename them."
            )
        self.covariates: tuple[str, ...] = tuple(str(c) for c in cov)
        names = [*(str(c) for c in self.columns), *self.covariates]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValidationError(
                f"covariate columns {[c for c in cov if str(c) in twice]} are named alike once "
                "printed (the column names must differ as text, and from the canonical names "
                f"{list(self.columns)}); rename them, e.g. df.columns = df.columns.astype(str)."
            )
        # the input's own column labels (covariates are named by their str in the log)
        self._cov_sources: tuple[Any, ...] = tuple(cov)
        self._build(data)
        self.observation_start, self.observation_end = observation_window(
            self._arrays["timestamp"], self.time_kind, observation_start, observation_end,
            self.source_index,
        )

    # ------------------------------------------------------------------ validation
    def _build(self, data: pd.DataFrame) -> None:
        c = self.columns
        index = data.index

        cust = data[c["customer_id"]]
        bad = cust.isna().to_numpy()
        if bad.any():
            raise ValidationError(
                f"column {c['customer_id']!r} (customer id) has {int(bad.sum())} missing values, "
                f"first at rows {rows_text(index, bad)}. Every event needs a customer: drop or fill "
                "these rows."
            )

        cust_ids = customer_array(cust, index, c["customer_id"])

        time, kind = parse_time(data[c["timestamp"]], index, c["timestamp"])
        self.time_kind: str = kind

        if c["event"] is None:
            ev_codes, ev_uniques = np.zeros(len(data), dtype=np.intp), np.array(["touch"])
        else:
            ev = data[c["event"]]
            cats = ev.cat.categories if isinstance(ev.dtype, pd.CategoricalDtype) else None
            if cats is not None and all(u in self.event_types for u in cats):
                # already coded, and every category is an event type: no pass over the rows
                ev_codes, ev_uniques = ev.cat.codes.to_numpy(), np.array(cats, dtype=object)
            else:  # one hash pass: codes into the distinct names, checked on those names
                # pandas' fast string hash (an event type with a NUL character inside would
                # count as the type before it; checking every row would cost 10% of the log)
                ev_codes, ev_uniques = pd.factorize(ev, use_na_sentinel=True)
        bad = ev_codes < 0
        if bad.any():
            raise ValidationError(
                f"column {c['event']!r} (event type) has {int(bad.sum())} missing values, "
                f"first at rows {rows_text(index, bad)}. Each row must be one of "
                f"{list(self.event_types)}."
            )
        unknown_codes = [i for i, u in enumerate(ev_uniques) if u not in self.event_types]
        if unknown_codes:
            bad = np.isin(ev_codes, unknown_codes)
            unknown = sorted(str(ev_uniques[i]) for i in unknown_codes)[:10]
            raise ValidationError(
                f"column {c['event']!r} (event type) has unknown values {unknown} at rows "
                f"{rows_text(index, bad)}; expected one of {list(self.event_types)}. Map your "
                "event names onto these, or pass event_types=[...] to allow more."
            )
        rank = {e: i for i, e in enumerate(self.event_types)}
        rank_type = np.int8 if len(self.event_types) < 128 else np.int32
        ev_rank = np.array([rank[str(u)] for u in ev_uniques], dtype=rank_type)[ev_codes]
        touch_rank = rank.get("touch", -2)
        is_touch = ev_rank == touch_rank
        self._ev_rank = ev_rank

        frame: dict[str, Any] = {"customer_id": cust_ids, "timestamp": time}
        labels: dict[str, np.ndarray] = {}
        if c["channel"] is not None:
            ch = data[c["channel"]]
            codes, uniques = label_codes(ch, c["channel"], "channel", index)
            bad = (codes < 0) & is_touch
            if bad.any():
                raise ValidationError(
                    f"column {c['channel']!r} (channel) is missing on {int(bad.sum())} touch "
                    f"rows, first at rows {rows_text(index, bad)}. Every touch needs a channel: fill "
                    "them (for example with 'unknown') or drop them."
                )
            bad_labels = [u for u in uniques if PATH_SEPARATOR.strip() in u]
            if bad_labels:
                bad = np.isin(codes, [list(uniques).index(u) for u in bad_labels])
                raise ValidationError(
                    f"column {c['channel']!r} (channel) contains {PATH_SEPARATOR.strip()!r} in "
                    f"{bad_labels[:5]} at rows {rows_text(index, bad)}; that character separates "
                    "channels in paths. Rename these channels."
                )
            frame["channel"], labels["channel"] = codes, uniques
        if c["stage"] is not None:
            codes, uniques = label_codes(data[c["stage"]], c["stage"], "stage", index)
            if self.scheme is not None:
                bad = (codes < 0) & is_touch
                if bad.any():
                    raise ValidationError(
                        f"column {c['stage']!r} (stage) is missing on {int(bad.sum())} touch rows, "
                        f"first at rows {rows_text(index, bad)}; scheme {self.scheme.name!r} needs "
                        "a stage on every touch."
                    )
                unknown_codes = [i for i, u in enumerate(uniques) if u not in self.scheme.stages]
                if unknown_codes:
                    bad = np.isin(codes, unknown_codes)
                    unknown = sorted(uniques[i] for i in unknown_codes)[:10]
                    raise ValidationError(
                        f"column {c['stage']!r} (stage) has stages {unknown} that are not in "
                        f"scheme {self.scheme.name!r} {list(self.scheme.stages)}, at rows "
                        f"{rows_text(index, bad)}. Map them onto the scheme or declare your own "
                        "StageScheme."
                    )
            frame["stage"], labels["stage"] = codes, uniques
        if c["value"] is not None:
            val = data[c["value"]]
            if not (pd.api.types.is_numeric_dtype(val) and not pd.api.types.is_bool_dtype(val)):
                raise ValidationError(
                    f"column {c['value']!r} (value) has dtype {val.dtype}, must be numeric. "
                    f"Convert it with pd.to_numeric(df[{c['value']!r}])."
                )
            v = val.to_numpy(dtype=float, na_value=np.nan)
            bad = np.isnan(v) & (ev_rank == rank.get("conversion", -2))
            if bad.any():
                raise ValidationError(
                    f"column {c['value']!r} (value) is missing on {int(bad.sum())} conversion "
                    f"rows, first at rows {rows_text(index, bad)}. Fill them with 0 if no revenue "
                    "was recorded, or pass value=None to ignore values."
                )
            bad = np.isinf(v)
            if bad.any():
                raise ValidationError(
                    f"column {c['value']!r} (value) is infinite at rows {rows_text(index, bad)}."
                )
            bad = v < 0
            if bad.any():
                raise ValidationError(
                    f"column {c['value']!r} (value) is negative at rows {rows_text(index, bad)}; "
                    "values must be >= 0. Record refunds as a separate column or net them "
                    "before building the log."
                )
            with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is inf, refused here
                total = float(np.sum(v[~np.isnan(v)]))
            if not total <= 1e300:  # the path tables' limit: every consumer's sums stay finite
                raise ValidationError(
                    f"column {c['value']!r} (value) adds up to more than 1e300, which leaves no "
                    "room for sums and bootstrap resamples; express it in larger units."
                )
            frame["value"] = v + 0.0  # -0.0 and 0.0 are one value: keep one of them

        covs = [data[src] for src in self._cov_sources]
        order, done = sort_order(frame, covs, time_kind=self.time_kind, ev_rank=self._ev_rank,
                                 n_event_types=len(self.event_types))
        del self._ev_rank
        identity = order is None
        # the log owns its arrays: a copy (in input order when that is already sorted, which
        # is a plain memory copy) so that later changes to the input cannot reach it

        def take(name: str, a: Any) -> Any:
            if identity:
                return a.copy()
            key = done.get(name)
            if isinstance(a, np.ndarray) and key is not None and key.dtype.kind in "iuf" and (
                key.dtype == a.dtype or (a.dtype.kind in "mM" and key.dtype == np.int64)
            ):
                return key.view(a.dtype)  # already gathered as a sort key
            return a[order]

        self._event_codes: np.ndarray = take("event", ev_rank)
        self._arrays: dict[str, Any] = {k: take(k, v) for k, v in frame.items()}
        for arr in self._arrays.values():
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
        self._event_codes.flags.writeable = False
        self._labels: dict[str, np.ndarray] = labels
        self._covariates: dict[str, pd.Series] = {}
        for cov, src in zip(self.covariates, self._cov_sources, strict=True):
            # keep extension dtypes (categorical, nullable ints)
            col = data[src] if identity else data[src].iloc[order]
            self._covariates[cov] = col.reset_index(drop=True).copy()
        self._input_index = index
        self._order = order

    @property
    def events(self) -> pd.DataFrame:
        """The validated events as a DataFrame (built on first use, then cached).

        Canonical columns ``customer_id``, ``timestamp``, ``event``, ``channel``, ``stage``,
        ``value`` (those present) and the covariates, sorted by customer, time and the
        tie-break order, indexed 0..n-1. Label columns hold ``str`` (``None`` where missing).
        """
        cached = self.__dict__.get("_events")
        if cached is None:
            a = self._arrays
            cols: dict[str, Any] = {
                "customer_id": a["customer_id"],
                "timestamp": a["timestamp"],
                "event": np.array(self.event_types, dtype=object)[self._event_codes],
            }
            for name in ("channel", "stage"):
                if name in a:
                    lab = np.append(self._labels[name].astype(object), None)
                    cols[name] = lab[a[name]]  # code -1 picks the trailing None
            if "value" in a:
                cols["value"] = a["value"]
            out = pd.DataFrame(cols, copy=True)
            for cov, col in self._covariates.items():
                out[cov] = col
            self._events = cached = out
        return cached

    @property
    def source_index(self) -> pd.Index:
        """The input's index label of each row of :attr:`events`."""
        cached = self.__dict__.get("_source_index")
        if cached is None:
            idx = self._input_index
            cached = idx if self._order is None else idx[self._order]
            self._source_index = cached
        return cached

    def column(self, name: str) -> Any:
        """A canonical column as a sorted read-only array, without building :attr:`events`.

        Parameters
        ----------
        name : str
            A canonical column name: ``"customer_id"``, ``"timestamp"``, ``"channel"``,
            ``"stage"`` or ``"value"``.

        Returns
        -------
        numpy.ndarray
            The column in the order of :attr:`events` (customer, time, tie-break order).
            ``channel`` and ``stage`` come as their integer codes (see :meth:`codes`); a
            timezone-aware timestamp column comes as a pandas ``DatetimeArray``.

        Raises
        ------
        ValidationError
            When the log has no such column.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [3, 1, 2],
        ...                    "event": ["conversion", "touch", "touch"],
        ...                    "channel": ["", "email", "search"]})
        >>> EventLog(df).column("timestamp").tolist()
        [1, 3, 2]
        """
        self.require(name, purpose=f"reading {name}")
        return self._arrays[name]
    # ------------------------------------------------------------------ accessors
    @property
    def n_events(self) -> int:
        """Number of events."""
        return len(self._event_codes)

    @property
    def n_customers(self) -> int:
        """Number of distinct customers."""
        return int(self.customer_codes[-1]) + 1 if self.n_events else 0

    @property
    def customer_codes(self) -> np.ndarray:
        """Customer index 0..n_customers-1 of every event (non-decreasing)."""
        if not hasattr(self, "_customer_codes"):
            cust = self._arrays["customer_id"]
            new = np.ones(len(cust), dtype=bool)
            new[1:] = cust[1:] != cust[:-1]
            self._customer_codes = np.cumsum(new) - 1
        return self._customer_codes

    @property
    def event_codes(self) -> np.ndarray:
        """Event type of every event as its position in :attr:`event_types` (int8)."""
        return self._event_codes

    def is_event(self, *types: str) -> np.ndarray:
        """Boolean mask of the events whose type is one of ``types``.

        Parameters
        ----------
        *types : str
            Event types (names of :attr:`event_types`); a name the log does not allow matches
            no event.

        Returns
        -------
        numpy.ndarray of bool
            One entry per event, in the order of :attr:`events`.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [1, 2, 1],
        ...                    "event": ["touch", "conversion", "touch"],
        ...                    "channel": ["email", None, "search"]})
        >>> EventLog(df).is_event("conversion").tolist()
        [False, True, False]
        """
        wanted = [self.event_types.index(t) for t in types if t in self.event_types]
        if len(wanted) == 1:
            return self._event_codes == wanted[0]
        return np.isin(self._event_codes, wanted)

    @property
    def customers(self) -> np.ndarray:
        """Customer ids, in the order of :attr:`customer_codes`."""
        cust = self._arrays["customer_id"]
        codes = self.customer_codes
        first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        return cust[first]

    @property
    def has_channel(self) -> bool:
        """Whether the log has a channel column."""
        return "channel" in self._arrays

    @property
    def has_stage(self) -> bool:
        """Whether the log has a stage column."""
        return "stage" in self._arrays

    @property
    def has_value(self) -> bool:
        """Whether the log has a value (revenue) column."""
        return "value" in self._arrays

    def require(self, *names: str, purpose: str) -> None:
        """Raise a clear error when a canonical column needed for ``purpose`` is absent.

        Parameters
        ----------
        *names : str
            Canonical column names (``"channel"``, ``"stage"``, ``"value"``, ...).
        purpose : str
            What needs them, for the message (``"a stage chain"``).

        Raises
        ------
        ValidationError
            Naming the missing columns and how to declare them.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": [1], "event": ["touch"],
        ...                    "channel": ["email"]})
        >>> EventLog(df).require("stage", purpose="a stage chain")
        Traceback (most recent call last):
        ...
        cjmodels.errors.ValidationError: a stage chain needs the stage column(s), which this \
event log does not have. Name them when building the log, e.g. EventLog(df, stage='...').
        """
        missing = [n for n in names if n not in self._arrays]
        if missing:
            raise ValidationError(
                f"{purpose} needs the {', '.join(missing)} column(s), which this event log does "
                f"not have. Name them when building the log, e.g. EventLog(df, {missing[0]}='...')."
            )

    def times(self, unit: str = "D") -> np.ndarray:
        """Event times as floats in ``unit`` since ``observation_start`` (cached, read-only).

        Parameters
        ----------
        unit : str, default "D"
            A pandas time unit (``"D"`` days, ``"h"`` hours, ``"s"`` seconds, ...) for datetime
            logs; ignored for numeric logs, whose times stay in their own unit.

        Returns
        -------
        numpy.ndarray of float
            One time per event, in the order of :attr:`events`.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1], "event": ["touch", "touch"],
        ...                    "timestamp": ["2025-01-01", "2025-01-02 12:00"],
        ...                    "channel": ["email", "search"]})
        >>> EventLog(df).times().tolist(), EventLog(df).times("h").tolist()
        ([0.0, 1.5], [0.0, 36.0])
        """
        cache = self.__dict__.setdefault("_times_cache", {})
        if unit not in cache:
            t = time_to_float(
                pd.Series(self._arrays["timestamp"], copy=False),
                kind=self.time_kind,
                unit=unit,
                origin=self.observation_start,
            )
            t.flags.writeable = False
            cache[unit] = t
        return cache[unit]

    def ticks(self) -> tuple[np.ndarray, pd.Timedelta | None]:
        """Event times as exact numbers, for comparisons that must not round.

        Returns
        -------
        ticks : numpy.ndarray
            For datetime logs: int64 counts of the column's own resolution since the epoch
            (UTC); for numeric logs: the timestamps as they are (int64 or float).
        tick : pandas.Timedelta or None
            The length of one tick (the column's resolution, e.g. 1 ns) for datetime logs;
            ``None`` for numeric logs.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": [7], "event": ["touch"],
        ...                    "channel": ["email"]})
        >>> EventLog(df).ticks()
        (array([7]), None)
        """
        arr = self._arrays["timestamp"]
        if self.time_kind == "numeric":
            return arr, None
        if isinstance(arr, np.ndarray):
            out = arr.view(np.int64)
            return out, pd.Timedelta(1, unit=np.datetime_data(arr.dtype)[0])
        out = np.asarray(arr.asi8)  # a timezone-aware column: ticks since the epoch in UTC
        out.flags.writeable = False
        return out, pd.Timedelta(1, unit=arr.unit)

    def span_ticks(self, d: Any) -> float | int:
        """A positive span (see :meth:`duration`) in the units of :meth:`ticks`.

        Parameters
        ----------
        d : time span
            A Timedelta, a string such as ``"30D"``, or a number (days for datetime logs, the
            log's own unit for numeric logs).

        Returns
        -------
        int or float
            For datetime logs the whole number of ticks ``d`` holds (rounded down; a span
            beyond the Timedelta range gives ``2**63 - 1``), so that ``gap > span_ticks(d)``
            on integer gaps is exactly ``gap > d``; for integer times the span rounded down to
            an int; for float times the span as a float.

        Raises
        ------
        ValidationError
            When ``d`` is not a time span (or not a number, for a numeric log).

        Examples
        --------
        A tick is the time column's unit (nanoseconds here; pandas 3 reads time strings in
        microseconds):

        >>> times = pd.to_datetime(["2025-01-01"]).as_unit("ns")
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": times,
        ...                    "event": ["touch"], "channel": ["email"]})
        >>> EventLog(df).span_ticks("1s")
        1000000000
        """
        _, tick = self.ticks()
        if tick is None:
            if self._arrays["timestamp"].dtype.kind != "i":
                return self.duration(d)
            # integer times: whole ticks, rounded down (exact, also beyond 2**53)
            if isinstance(d, (int, np.integer)) and not isinstance(
                    d, (bool, np.bool_, np.timedelta64)):
                self.duration(d)
                return int(d)
            span_f = self.duration(d)
            if not np.isfinite(span_f):
                return span_f
            return max(min(math.floor(span_f), 2**63 - 1), -(2**63))
        # np.timedelta64 is a numpy integer: a span, not a number of days
        if isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(
                d, (bool, np.bool_, np.timedelta64)):
            days = float(d)
            try:
                span = pd.Timedelta(days, unit="D")  # a bare number counts days
            except (ValueError, OverflowError):  # beyond ~292 years (or inf): longer than any gap
                if days > 0:
                    return 2**63 - 1
                raise ValidationError(f"{d!r} is not a positive time span.") from None
        else:
            self.duration(d)  # raises a clear error for what is not a span
            span = as_timedelta(d)
        return int(span.value // tick.value)

    def time_ticks(self, t: Any) -> float | int:
        """A point in time in the units of :meth:`ticks` (whole ticks, rounded down).

        Parameters
        ----------
        t : scalar
            A time: anything :class:`pandas.Timestamp` reads for datetime logs, a number for
            numeric logs.

        Returns
        -------
        int or float
            Ticks since the epoch for datetime logs; for numeric logs the number itself (an
            int when the times are integers and ``t`` is whole).

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": [7], "event": ["touch"],
        ...                    "channel": ["email"]})
        >>> EventLog(df).time_ticks(9.0)
        9
        """
        _, tick = self.ticks()
        if tick is None:
            if self._arrays["timestamp"].dtype.kind != "i":
                return float(t)
            if isinstance(t, (int, np.integer)) and not isinstance(t, (bool, np.bool_)):
                return int(t)
            f = float(t)
            return int(f) if f.is_integer() else f  # integer ticks stay exact
        ts = pd.Timestamp(t)
        epoch = pd.Timestamp(0, tz=ts.tz) if ts.tz is not None else pd.Timestamp(0)
        return int((ts - epoch) // tick)

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of a label column (-1 where missing) and the sorted labels (cached).

        Parameters
        ----------
        column : str
            A canonical column name, usually ``"channel"`` or ``"stage"``.

        Returns
        -------
        codes : numpy.ndarray of int
            The code of every event, in the order of :attr:`events`; -1 where the label is
            missing.
        labels : numpy.ndarray of str
            The distinct labels, sorted; code ``i`` is ``labels[i]``.

        Raises
        ------
        ValidationError
            When the log has no such column.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [1, 2, 1],
        ...                    "event": ["touch", "conversion", "touch"],
        ...                    "channel": ["search", None, "email"]})
        >>> codes, labels = EventLog(df).codes("channel")
        >>> codes.tolist(), labels.tolist()
        ([1, -1, 0], ['email', 'search'])
        """
        self.require(column, purpose=f"coding {column}")
        cache = self.__dict__.setdefault("_codes_cache", {})
        if column not in cache:
            if column in self._labels:  # coded when the log was built
                codes, labels = self._arrays[column], self._labels[column]
            else:
                codes, labels = factorize(self._arrays[column], sort=True)
                codes.flags.writeable = False
                labels = np.asarray(labels, dtype=object)
            cache[column] = (codes, labels)
        return cache[column]

    def to_float(self, t: Any, unit: str = "D") -> Any:
        """A time (or array of times) as float ``unit`` since ``observation_start``.

        Parameters
        ----------
        t : scalar or array-like
            A time, or times, in the log's kind (datetimes or numbers).
        unit : str, default "D"
            A pandas time unit for datetime logs; ignored for numeric logs.

        Returns
        -------
        float or numpy.ndarray of float
            The time(s) as ``unit`` since :attr:`observation_start` (for numeric logs, in the
            log's own unit).

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": ["2025-01-01"],
        ...                    "event": ["touch"], "channel": ["email"]})
        >>> EventLog(df).to_float("2025-01-02 12:00")
        1.5
        """
        if self.time_kind == "numeric":
            return time_to_float(t, kind="numeric", origin=self.observation_start)
        if np.ndim(t) == 0:
            return (pd.Timestamp(t) - self.observation_start) / pd.Timedelta(1, unit=unit)
        return time_to_float(t, kind="datetime", unit=unit, origin=self.observation_start)

    def duration(self, d: Any, unit: str = "D") -> float:
        """A span as float ``unit``: a Timedelta, a string like ``"30D"``, or a number.

        Parameters
        ----------
        d : time span
            A Timedelta (or :class:`datetime.timedelta`), a string such as ``"30D"``, or a
            number. A bare number is read in the log's own time unit for numeric timestamps,
            and as a count of ``unit`` (days by default) for datetime timestamps.
        unit : str, default "D"
            The pandas time unit of the result for datetime logs.

        Returns
        -------
        float
            The span in ``unit`` (in the log's own unit for numeric logs).

        Raises
        ------
        ValidationError
            When ``d`` is not a time span, or not a number for a numeric log.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1], "timestamp": ["2025-01-01"],
        ...                    "event": ["touch"], "channel": ["email"]})
        >>> log = EventLog(df)
        >>> log.duration("30D"), log.duration("12h"), log.duration("2h", unit="h")
        (30.0, 0.5, 2.0)
        """
        # np.timedelta64 is a numpy integer: a span, not a number
        is_number = isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(
            d, (bool, np.bool_, np.timedelta64)
        )
        if self.time_kind == "numeric":
            if is_number:
                return float(d)
            raise ValidationError(
                f"{d!r} must be a number: this log's timestamps are numbers, not datetimes."
            )
        if is_number:
            return float(d)
        try:
            return as_timedelta(d) / pd.Timedelta(1, unit=unit)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{d!r} is not a time span; pass a Timedelta or a string such as '30D'."
            ) from None

    def report(self) -> dict[str, Any]:
        """A JSON-serialisable description of the log (what ``cjmodels validate`` prints).

        Returns
        -------
        dict
            ``n_events``, ``n_customers``, ``time_kind``, ``observation_start`` and
            ``observation_end`` (as strings), ``events`` (count per event type), ``columns``
            (canonical name to input column), ``covariates``; when present, ``channels``
            (touches per channel), ``stages`` (events per stage), ``scheme`` (its name) and
            ``total_conversion_value`` (non-finite totals as in
            :meth:`cjmodels.results.Result.to_dict`).

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [1, 2, 1],
        ...                    "event": ["touch", "conversion", "touch"],
        ...                    "channel": ["search", None, "email"]})
        >>> rep = EventLog(df).report()
        >>> rep["events"], rep["channels"]
        ({'conversion': 1, 'touch': 2}, {'email': 1, 'search': 1})
        """
        ev = self.events
        counts = ev["event"].value_counts()
        out: dict[str, Any] = {
            "n_events": int(self.n_events),
            "n_customers": int(self.n_customers),
            "time_kind": self.time_kind,
            "observation_start": str(self.observation_start),
            "observation_end": str(self.observation_end),
            "events": {str(k): int(v) for k, v in counts.sort_index().items()},
            "columns": {k: v for k, v in self.columns.items() if v is not None},
            "covariates": list(self.covariates),
        }
        touch = self.is_event("touch")
        for name, key, rows in (("channel", "channels", touch), ("stage", "stages", None)):
            if name in self._arrays:  # counted on the codes: labels kept exactly
                codes, labels = self.codes(name)
                c = codes if rows is None else codes[rows]
                n = np.bincount(c[c >= 0], minlength=len(labels))
                out[key] = {str(lab): int(k) for lab, k in zip(labels, n, strict=True) if k}
        if self.scheme is not None:
            out["scheme"] = self.scheme.name
        if self.has_value:
            with np.errstate(over="ignore"):  # beyond the double range: "inf" (the JSON policy)
                total = float(np.sum(self._arrays["value"][self.is_event("conversion")]))
            out["total_conversion_value"] = to_jsonable(total)
        return out

    def __repr__(self) -> str:
        n_conv = int(self.is_event("conversion").sum())
        n_ch = len(np.unique(self._arrays["channel"][self._arrays["channel"] >= 0])) if (
            self.has_channel) else 0
        return (
            f"EventLog({self.n_events} events, {self.n_customers} customers, {n_conv} "
            f"conversions, {n_ch} channels, {self.observation_start} .. {self.observation_end})"
        )

    def __len__(self) -> int:
        return self.n_events


def as_event_log(data: EventLog | pd.DataFrame, **kwargs: Any) -> EventLog:
    """Return ``data`` if it is an :class:`EventLog`, else build one with ``kwargs``."""
    if isinstance(data, EventLog):
        if kwargs:
            raise ValidationError(
                f"column options {sorted(kwargs)} were given with an EventLog, which already "
                "fixes its columns; pass them when building the EventLog instead."
            )
        return data
    known = [p for p in inspect.signature(EventLog.__init__).parameters if p not in ("self", "data")]
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise ValidationError(
            f"unknown options {unknown}: a function of the event log takes its own options and "
            f"the EventLog's column options {known}. Check the spelling (sequence, not by)."
        )
    return EventLog(data, **kwargs)
