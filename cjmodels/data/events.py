"""The canonical event log: one row per event, validated once, sorted once.

Every conversion in :mod:`cjmodels.data` starts from an :class:`EventLog`. Building one checks the
input and raises :class:`~cjmodels.errors.ValidationError` with a message that names the column,
the first offending rows and a fix. The input frame is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.stages import StageScheme, get_scheme
from cjmodels.errors import ValidationError

__all__ = [
    "EVENT_TYPES",
    "PATH_SEPARATOR",
    "EventLog",
    "read_events",
    "time_to_float",
]

#: Event types with a meaning in cjmodels, in the order used to break ties at equal timestamps.
EVENT_TYPES: tuple[str, ...] = (
    "subscribe",
    "assignment",
    "touch",
    "conversion",
    "drop_out",
    "churn",
)
#: Separator of channels in a path string (ChannelAttribution's layout).
PATH_SEPARATOR = " > "

_MAX_ROWS_SHOWN = 5


class _Auto(str):
    """A default column name: used when present, ignored when absent."""

    __slots__ = ()


def _rows(index: pd.Index, mask: np.ndarray) -> str:
    """Describe the first offending rows by their index labels."""
    bad = index[np.asarray(mask, dtype=bool)]
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in bad[:_MAX_ROWS_SHOWN])
    more = f" and {len(bad) - _MAX_ROWS_SHOWN} more" if len(bad) > _MAX_ROWS_SHOWN else ""
    return f"[{shown}{more}]"


def _label_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a label column into its sorted distinct labels as ``str`` (-1 where missing).

    One hash pass over the rows (none for a categorical column); only the distinct values are
    converted to ``str``, and values that print the same (``1`` and ``"1"``) share a label.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):  # already coded: no hashing of the rows
        codes, uniques = col.cat.codes.to_numpy(), col.cat.categories
        used = np.zeros(len(uniques) + 1, dtype=bool)
        used[codes] = True  # code -1 (missing) marks the extra last slot
        used = used[:-1]
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        used = np.ones(len(uniques), dtype=bool)
    names = np.array([str(u) for u in uniques], dtype=str)
    labels, remap = np.unique(names[used], return_inverse=True)  # unused categories go
    code_type = np.int8 if len(labels) < 128 else np.int16 if len(labels) < 32768 else np.int32
    lookup = np.full(len(uniques) + 1, -1, dtype=code_type)
    lookup[:-1][used] = remap
    return lookup[codes], labels.astype(object)


def _lex_sorted(keys: list[np.ndarray]) -> bool:
    """True when the rows are already in ``np.lexsort(keys)`` order (primary key last)."""
    n = len(keys[0])
    undecided = np.ones(max(n - 1, 0), dtype=bool)
    for k in keys[::-1]:
        if np.any(undecided & (k[:-1] > k[1:])):
            return False
        undecided &= ~(k[:-1] < k[1:])
        if not undecided.any():
            break
    return True


def _sort_keys(
    keys: list[np.ndarray], radix: list[int]
) -> tuple[np.ndarray | None, list[np.ndarray] | None]:
    """``np.lexsort(keys)`` (primary key last), computed the fast way when possible.

    Returns the order (``None`` when the rows are already ordered) and the keys in that order
    when they were gathered on the way (else ``None``). Least significant keys that are
    already in order in the input (a log exported in time order) are left out: a stable sort
    by the others keeps them in order. When the remaining keys are integers whose ranges
    multiply to less than 2**62, they are packed into one int64; when the row number fits
    beside that key, the packed values are sorted as values (stable by construction and about
    twice as fast as an argsort), otherwise with a stable argsort, which is still several
    times faster than ``np.lexsort`` on millions of rows. ``radix[i]`` bounds ``keys[i]`` for
    the leading (least significant) small keys.
    """
    if _lex_sorted(keys):
        return None, None
    for m in range(len(keys) - 1, 0, -1):  # drop the longest run of ordered minor keys
        if _lex_sorted(keys[:m]):
            return _sort_packed(keys[m:], radix[m:]), None
    if len(keys) > 1 and not np.any(keys[-2][:-1] > keys[-2][1:]):
        # the second key is in order (a log in time order, rows of one time in any order):
        # sort by the first key alone, and keep that when every key is then in order
        order = _sort_packed(keys[-1:], radix[len(keys) - 1:])
        gathered = [k[order] for k in keys]
        if _lex_sorted(gathered):
            return order, gathered
    return _sort_packed(keys, radix), None


def _sort_packed(keys: list[np.ndarray], radix: list[int]) -> np.ndarray:
    """Stable ``np.lexsort(keys)`` through one packed int64 key when the keys allow it."""
    n = len(keys[0])
    if all(k.dtype.kind in "iu" for k in keys) and n:
        span = 1.0
        parts = []
        for i, k in enumerate(keys):
            lo = int(k.min())
            shifted = k.astype(np.int64) - lo
            if i < len(radix):
                size = radix[i]
            else:
                step = _common_step(shifted)
                if step > 1:
                    shifted //= step
                size = int(shifted.max()) + 1
            parts.append((shifted, size))
            span *= size
        if span < 2.0**62:
            packed, mult = parts[0]  # fresh arrays: packed in place
            for shifted, size in parts[1:]:
                shifted *= mult
                packed += shifted
                mult *= size
            row_bits = max(int(n - 1).bit_length(), 1)
            if span * 2.0**row_bits < 2.0**63:
                packed <<= row_bits
                packed |= np.arange(n, dtype=np.int64)
                packed.sort()
                packed &= (1 << row_bits) - 1
                return packed
            return np.argsort(packed, kind="stable")
    return np.lexsort(keys)


def _common_step(x: np.ndarray) -> int:
    """The largest of 1e9, 1e6, 1e3, 1 that divides every value (timestamps in ns)."""
    for step in (1_000_000_000, 1_000_000, 1_000):
        if x.max() >= step and not np.any(x % step):
            return step
    return 1


def time_to_float(
    values: Any, *, kind: str, unit: str = "D", origin: Any = None
) -> np.ndarray:
    """Convert times or time differences to floats in ``unit``.

    Parameters
    ----------
    values : array-like
        Timestamps, Timedeltas or numbers.
    kind : {"datetime", "numeric"}
        Kind of the log's time column. Numeric times are returned as floats unchanged.
    unit : str
        A pandas Timedelta unit (``"D"``, ``"h"``, ``"W"``, ...); ignored for numeric times.
    origin : scalar, optional
        Subtracted first (for timestamps).

    Examples
    --------
    >>> ts = pd.to_datetime(["2025-01-01", "2025-01-03"])
    >>> time_to_float(ts, kind="datetime", origin=ts[0]).tolist()
    [0.0, 2.0]
    """
    if kind == "numeric":
        out = np.asarray(values, dtype=float)
        return out - float(origin) if origin is not None else out
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if origin is not None:
        s = s - origin
    return (s / pd.Timedelta(1, unit=unit)).to_numpy(dtype=float)


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
        in a unit of your choice).
    event : str or None
        Column with the event type, one of ``event_types``. ``None`` declares every row a touch.
    channel, stage, value : str or None
        Columns with the touch channel, the journey stage and the monetary value of conversions.
    covariates : sequence of str, optional
        Further columns to carry along; by default every other column.
    scheme : str or StageScheme, optional
        Declared stage scheme; stages are then required on touch rows and checked against it.
    observation_start, observation_end : scalar, optional
        The window in which events were recorded. Default: the earliest and latest timestamp.
        Journeys still open at ``observation_end`` are censored.
    event_types : sequence of str, optional
        Allowed event types; default :data:`EVENT_TYPES`. Ties at equal timestamps are broken in
        this order, then by channel and stage, so results do not depend on row order.

    Attributes
    ----------
    events : pandas.DataFrame
        The validated events with canonical column names (``customer_id``, ``timestamp``,
        ``event``, ``channel``, ``stage``, ``value`` and covariates), sorted by customer, time and
        the tie-break order, indexed 0..n-1.
    source_index : pandas.Index
        The input's index label of each row of ``events``.
    time_kind : {"datetime", "numeric"}

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
        self._build(data)
        self._set_window(observation_start, observation_end)

    # ------------------------------------------------------------------ validation
    def _build(self, data: pd.DataFrame) -> None:
        c = self.columns
        index = data.index

        cust = data[c["customer_id"]]
        bad = cust.isna().to_numpy()
        if bad.any():
            raise ValidationError(
                f"column {c['customer_id']!r} (customer id) has {int(bad.sum())} missing values, "
                f"first at rows {_rows(index, bad)}. Every event needs a customer: drop or fill "
                "these rows."
            )

        if cust.dtype == object and pd.api.types.infer_dtype(cust, skipna=True).startswith("mixed"):
            kinds = sorted({type(v).__name__ for v in cust.head(10_000)})
            raise ValidationError(
                f"column {c['customer_id']!r} (customer id) mixes types {kinds}, so 1 and '1' "
                "would be different customers; convert it with .astype(str)."
            )

        time, kind = self._parse_time(data[c["timestamp"]], index)
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
                ev_codes, ev_uniques = pd.factorize(ev, use_na_sentinel=True)
        bad = ev_codes < 0
        if bad.any():
            raise ValidationError(
                f"column {c['event']!r} (event type) has {int(bad.sum())} missing values, "
                f"first at rows {_rows(index, bad)}. Each row must be one of "
                f"{list(self.event_types)}."
            )
        unknown_codes = [i for i, u in enumerate(ev_uniques) if u not in self.event_types]
        if unknown_codes:
            bad = np.isin(ev_codes, unknown_codes)
            unknown = sorted(str(ev_uniques[i]) for i in unknown_codes)[:10]
            raise ValidationError(
                f"column {c['event']!r} (event type) has unknown values {unknown} at rows "
                f"{_rows(index, bad)}; expected one of {list(self.event_types)}. Map your "
                "event names onto these, or pass event_types=[...] to allow more."
            )
        rank = {e: i for i, e in enumerate(self.event_types)}
        rank_type = np.int8 if len(self.event_types) < 128 else np.int32
        ev_rank = np.array([rank[str(u)] for u in ev_uniques], dtype=rank_type)[ev_codes]
        touch_rank = rank.get("touch", -2)
        is_touch = ev_rank == touch_rank
        self._ev_rank = ev_rank

        frame: dict[str, Any] = {"customer_id": cust.to_numpy(), "timestamp": time}
        labels: dict[str, np.ndarray] = {}
        if c["channel"] is not None:
            ch = data[c["channel"]]
            codes, uniques = _label_codes(ch)
            bad = (codes < 0) & is_touch
            if bad.any():
                raise ValidationError(
                    f"column {c['channel']!r} (channel) is missing on {int(bad.sum())} touch "
                    f"rows, first at rows {_rows(index, bad)}. Every touch needs a channel: fill "
                    "them (for example with 'unknown') or drop them."
                )
            bad_labels = [u for u in uniques if PATH_SEPARATOR.strip() in u]
            if bad_labels:
                bad = np.isin(codes, [list(uniques).index(u) for u in bad_labels])
                raise ValidationError(
                    f"column {c['channel']!r} (channel) contains {PATH_SEPARATOR.strip()!r} in "
                    f"{bad_labels[:5]} at rows {_rows(index, bad)}; that character separates "
                    "channels in paths. Rename these channels."
                )
            frame["channel"], labels["channel"] = codes, uniques
        if c["stage"] is not None:
            codes, uniques = _label_codes(data[c["stage"]])
            if self.scheme is not None:
                bad = (codes < 0) & is_touch
                if bad.any():
                    raise ValidationError(
                        f"column {c['stage']!r} (stage) is missing on {int(bad.sum())} touch rows, "
                        f"first at rows {_rows(index, bad)}; scheme {self.scheme.name!r} needs "
                        "a stage on every touch."
                    )
                unknown_codes = [i for i, u in enumerate(uniques) if u not in self.scheme.stages]
                if unknown_codes:
                    bad = np.isin(codes, unknown_codes)
                    unknown = sorted(uniques[i] for i in unknown_codes)[:10]
                    raise ValidationError(
                        f"column {c['stage']!r} (stage) has stages {unknown} that are not in "
                        f"scheme {self.scheme.name!r} {list(self.scheme.stages)}, at rows "
                        f"{_rows(index, bad)}. Map them onto the scheme or declare your own "
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
                    f"rows, first at rows {_rows(index, bad)}. Fill them with 0 if no revenue "
                    "was recorded, or pass value=None to ignore values."
                )
            bad = np.isinf(v)
            if bad.any():
                raise ValidationError(
                    f"column {c['value']!r} (value) is infinite at rows {_rows(index, bad)}."
                )
            bad = v < 0
            if bad.any():
                raise ValidationError(
                    f"column {c['value']!r} (value) is negative at rows {_rows(index, bad)}; "
                    "values must be >= 0. Record refunds as a separate column or net them "
                    "before building the log."
                )
            frame["value"] = v

        order, done = self._sort_order(frame, labels)
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
        for cov in self.covariates:  # keep extension dtypes (categorical, nullable ints)
            col = data[cov] if identity else data[cov].iloc[order]
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

        ``channel`` and ``stage`` come as their integer codes (see :meth:`codes`).
        """
        self.require(name, purpose=f"reading {name}")
        return self._arrays[name]

    def _parse_time(self, col: pd.Series, index: pd.Index) -> tuple[np.ndarray, str]:
        name = self.columns["timestamp"]
        if pd.api.types.is_bool_dtype(col):
            raise ValidationError(f"column {name!r} (timestamp) is boolean; expected times.")
        if pd.api.types.is_numeric_dtype(col):
            t = col.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(t)
            if bad.any():
                raise ValidationError(
                    f"column {name!r} (timestamp) has {int(bad.sum())} missing or infinite "
                    f"values, first at rows {_rows(index, bad)}. Every event needs a time: drop "
                    "or fill these rows."
                )
            return t, "numeric"
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
            parsed = col
        else:
            missing = col.isna().to_numpy()
            if pd.api.types.infer_dtype(col, skipna=True).startswith("mixed"):
                numeric = col.map(
                    lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                ).to_numpy(dtype=bool) & ~missing
                if numeric.any():
                    raise ValidationError(
                        f"column {name!r} (timestamp) mixes numbers and text/dates: "
                        f"{int(numeric.sum())} numbers, first at rows {_rows(index, numeric)}. "
                        "Use one type for the whole column: all times (pd.to_datetime) or all "
                        "numbers in one unit."
                    )
            try:
                parsed = pd.to_datetime(col, errors="coerce", format="ISO8601")
            except (ValueError, TypeError):
                parsed = pd.Series(pd.NaT, index=col.index)
            failed = parsed.isna().to_numpy() & ~missing
            if failed.any():
                try:
                    parsed = pd.to_datetime(col, errors="coerce", format="mixed")
                except (ValueError, TypeError) as exc:
                    raise ValidationError(
                        f"column {name!r} (timestamp) could not be parsed as times ({exc}). "
                        "Convert it with pd.to_datetime(...) and a format."
                    ) from None
                failed = parsed.isna().to_numpy() & ~missing
            if failed.any():
                examples = [str(v) for v in col[failed].head(3)]
                raise ValidationError(
                    f"column {name!r} (timestamp) has {int(failed.sum())} values that are not "
                    f"times, for example {examples}, at rows {_rows(index, failed)}. Fix them "
                    "or parse the column yourself with pd.to_datetime(..., format=...)."
                )
        bad = parsed.isna().to_numpy()
        if bad.any():
            raise ValidationError(
                f"column {name!r} (timestamp) has {int(bad.sum())} missing values (NaN/NaT), "
                f"first at rows {_rows(index, bad)}. Every event needs a time: drop or fill "
                "these rows."
            )
        return parsed.to_numpy() if not isinstance(parsed.dtype, pd.DatetimeTZDtype) else (
            parsed.array
        ), "datetime"

    def _sort_order(
        self, frame: dict[str, Any], labels: dict[str, np.ndarray]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Order by customer, time, event rank; channel, stage and value break remaining ties.

        Returns the order (``None`` when the rows are already in it) and the customer, time
        and event-rank keys in that order when they were gathered (reused as columns). Numeric
        keys are used as they are; the tie-break keys are only built when ties exist.
        """
        cust = frame["customer_id"]
        if np.asarray(cust).dtype.kind in "iu":
            cust_key = np.asarray(cust, dtype=np.int64)
        elif np.asarray(cust).dtype.kind == "f":
            cust_key = np.asarray(cust)
        else:
            cust_key, _ = pd.factorize(cust, sort=True)
        time = frame["timestamp"]
        if self.time_kind == "numeric":
            time_key = np.asarray(time)
        elif isinstance(time, np.ndarray):
            time_key = time.view(np.int64)  # ticks of the column's own resolution
        else:
            time_key = np.asarray(pd.DatetimeIndex(time).asi8)
        ev_key = self._ev_rank
        order, gathered = _sort_keys([ev_key, time_key, cust_key],
                                     radix=[len(self.event_types)])
        done: dict[str, np.ndarray] = {}
        if order is None:
            ck, tk, ek = cust_key, time_key, ev_key
        else:
            ek, tk, ck = gathered or (k[order] for k in (ev_key, time_key, cust_key))
            # rows tied on all three keep these values whatever the tie-break below does
            done = {"customer_id": ck, "timestamp": tk, "event": ek}
        tied = (ck[1:] == ck[:-1]) & (tk[1:] == tk[:-1]) & (ek[1:] == ek[:-1])
        if not tied.any():
            return order, done
        if order is None:
            order = np.arange(len(ck))
        # re-order only the rows inside runs of ties, by value, channel and stage (labels in
        # sorted order; a missing label sorts first)
        in_run = np.zeros(len(order), dtype=bool)
        in_run[:-1] |= tied
        in_run[1:] |= tied
        idx = np.flatnonzero(in_run)
        run_id = np.cumsum(np.r_[True, ~tied])[idx]
        rows = order[idx]
        sub_keys: list[np.ndarray] = []
        if "value" in frame:
            sub_keys.append(np.nan_to_num(frame["value"][rows], nan=-1.0))
        for col in ("channel", "stage"):
            if col in frame:
                sub_keys.append(frame[col][rows])
        sub_keys.append(run_id)
        order[idx] = rows[np.lexsort(sub_keys)]
        if np.array_equal(order, np.arange(len(order))):
            return None, {}
        return order, done

    def _set_window(self, start: Any, end: Any) -> None:
        t = self._arrays["timestamp"]
        if self.time_kind == "numeric":
            tmin, tmax = t.min(), t.max()
        else:
            tmin, tmax = pd.Series(t).agg(["min", "max"])
        self.observation_start = self._coerce_bound(start, "observation_start", tmin)
        self.observation_end = self._coerce_bound(end, "observation_end", tmax)
        if self.observation_end < self.observation_start:
            raise ValidationError(
                f"observation_end == {self.observation_end} is before observation_start == "
                f"{self.observation_start}."
            )
        checks = []
        if start is not None:
            checks.append((self.observation_start, "observation_start", lambda tv, b: tv < b))
        if end is not None:
            checks.append((self.observation_end, "observation_end", lambda tv, b: tv > b))
        for bound, name, outside in checks:
            bad = np.asarray(outside(pd.Series(t), bound))
            if np.any(bad):
                raise ValidationError(
                    f"{name} == {bound} but {int(np.sum(bad))} events lie outside it, at rows "
                    f"{_rows(self.source_index, bad)}. Filter the log to the window or widen it."
                )

    def _coerce_bound(self, value: Any, name: str, default: Any) -> Any:
        if value is None:
            return default
        if self.time_kind == "numeric":
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValidationError(
                    f"{name} == {value!r}, must be a number like the timestamps."
                ) from None
        try:
            out = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} == {value!r}, must be a timestamp.") from None
        if pd.isna(out):
            raise ValidationError(f"{name} == {value!r}, must be a timestamp.")
        return out

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
        """Boolean mask of the events whose type is one of ``types``."""
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
        return "channel" in self._arrays

    @property
    def has_stage(self) -> bool:
        return "stage" in self._arrays

    @property
    def has_value(self) -> bool:
        return "value" in self._arrays

    def require(self, *names: str, purpose: str) -> None:
        """Raise a clear error when a canonical column needed for ``purpose`` is absent."""
        missing = [n for n in names if n not in self._arrays]
        if missing:
            raise ValidationError(
                f"{purpose} needs the {', '.join(missing)} column(s), which this event log does "
                f"not have. Name them when building the log, e.g. EventLog(df, {missing[0]}='...')."
            )

    def times(self, unit: str = "D") -> np.ndarray:
        """Event times as floats in ``unit`` since ``observation_start`` (cached, read-only)."""
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

        For datetime logs: int64 counts of the column's own resolution since the epoch (UTC)
        and that resolution as a Timedelta; for numeric logs: the numbers and ``None``.
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

        For datetime logs the whole number of ticks it holds, so that ``gap > span_ticks(d)``
        on integer gaps is exactly ``gap > d``.
        """
        _, tick = self.ticks()
        if tick is None:
            return self.duration(d)
        if isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(d, bool):
            span = pd.Timedelta(float(d), unit="D")  # a bare number counts days
        else:
            self.duration(d)  # raises a clear error for what is not a span
            span = pd.Timedelta(d)
        return int(span.value // tick.value)

    def time_ticks(self, t: Any) -> float | int:
        """A point in time in the units of :meth:`ticks` (whole ticks, rounded down)."""
        _, tick = self.ticks()
        if tick is None:
            return float(t)
        ts = pd.Timestamp(t)
        epoch = pd.Timestamp(0, tz=ts.tz) if ts.tz is not None else pd.Timestamp(0)
        return int((ts - epoch) // tick)

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of a label column (-1 where missing) and the sorted labels (cached)."""
        self.require(column, purpose=f"coding {column}")
        cache = self.__dict__.setdefault("_codes_cache", {})
        if column not in cache:
            if column in self._labels:  # coded when the log was built
                codes, labels = self._arrays[column], self._labels[column]
            else:
                codes, labels = pd.factorize(self._arrays[column], sort=True)
                codes.flags.writeable = False
                labels = np.asarray(labels, dtype=object)
            cache[column] = (codes, labels)
        return cache[column]

    def to_float(self, t: Any, unit: str = "D") -> Any:
        """A time (or array of times) as float ``unit`` since ``observation_start``."""
        if self.time_kind == "numeric":
            return np.asarray(t, dtype=float) - float(self.observation_start)
        if np.ndim(t) == 0:
            return (pd.Timestamp(t) - self.observation_start) / pd.Timedelta(1, unit=unit)
        return time_to_float(t, kind="datetime", unit=unit, origin=self.observation_start)

    def duration(self, d: Any, unit: str = "D") -> float:
        """A span as float ``unit``: a Timedelta, a string like ``"30D"``, or a number.

        A bare number is read in the log's own time unit for numeric timestamps, and as a count
        of ``unit`` (days by default) for datetime timestamps.
        """
        is_number = isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(
            d, bool
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
            return pd.Timedelta(d) / pd.Timedelta(1, unit=unit)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{d!r} is not a time span; pass a Timedelta or a string such as '30D'."
            ) from None

    def report(self) -> dict[str, Any]:
        """A JSON-serialisable description of the log (what ``cjmodels validate`` prints)."""
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
        if self.has_channel:
            ch = ev.loc[ev["event"] == "touch", "channel"].value_counts()
            out["channels"] = {str(k): int(v) for k, v in ch.sort_index().items()}
        if self.has_stage:
            st = ev["stage"].dropna().value_counts()
            out["stages"] = {str(k): int(v) for k, v in st.sort_index().items()}
        if self.scheme is not None:
            out["scheme"] = self.scheme.name
        if self.has_value:
            out["total_conversion_value"] = float(
                ev.loc[ev["event"] == "conversion", "value"].sum()
            )
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

    # ------------------------------------------------------------------ conversions
    def journeys(self, **kwargs: Any) -> pd.DataFrame:
        """Split into journeys; see :func:`cjmodels.data.journeys`."""
        from cjmodels.data.journeys import journeys

        return journeys(self, **kwargs)

    def paths(self, **kwargs: Any):
        """Path table; see :func:`cjmodels.data.path_table`."""
        from cjmodels.data.journeys import path_table

        return path_table(self, **kwargs)


def as_event_log(events: EventLog | pd.DataFrame, **kwargs: Any) -> EventLog:
    """Return ``events`` if it is an :class:`EventLog`, else build one with ``kwargs``."""
    if isinstance(events, EventLog):
        if kwargs:
            raise ValidationError(
                f"column options {sorted(kwargs)} were given with an EventLog, which already "
                "fixes its columns; pass them when building the EventLog instead."
            )
        return events
    return EventLog(events, **kwargs)


def read_events(
    path: str | PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    event_map: dict[str, str] | None = None,
    **kwargs: Any,
) -> EventLog:
    """Read an event log from CSV (any delimiter, optionally compressed) or Parquet and validate
    it.

    The file is read by :func:`cjmodels.data.io.read_table`: format, compression, delimiter and
    byte-order mark are recognised by content. Keyword arguments go to :class:`EventLog` (column
    names, scheme, observation window). Rows in messages are file lines (the header is line 1),
    or row positions in Parquet.

    Parameters
    ----------
    sep, encoding : str, optional
        Delimiter and text encoding (default: sniffed; UTF-8 or what a byte-order mark says).
    event_map : dict, optional
        Your event words onto ours, e.g. ``{"click": "touch", "purchase": "conversion"}``,
        applied before validation. Every target must be an event type of the log.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "e.csv")
    >>> _ = pd.DataFrame({"customer_id": [1], "timestamp": ["2025-01-01"],
    ...                   "event": ["click"], "channel": ["email"]}).to_csv(p, index=False)
    >>> read_events(p, event_map={"click": "touch"}).n_events
    1
    """
    from cjmodels.data.io import event_log_columns, events_from_table, read_table

    df = read_table(path, sep=sep, encoding=encoding, what="event log",
                    expected=event_log_columns(kwargs))
    return events_from_table(df, event_map=event_map, **kwargs)


