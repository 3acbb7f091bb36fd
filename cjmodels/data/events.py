"""The canonical event log: one row per event, validated once, sorted once.

Every conversion in :mod:`cjmodels.data` starts from an :class:`EventLog`. Building one checks the
input and raises :class:`~cjmodels.errors.ValidationError` with a message that names the column,
the first offending rows and a fix. The input frame is never modified.
"""

from __future__ import annotations

import datetime
import inspect
import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels.data.stages import StageScheme, get_scheme
from cjmodels.data.vocabulary import EVENT_TYPES, PATH_SEPARATOR
from cjmodels.errors import ValidationError

__all__ = [
    "EventLog",
    "label_codes",
    "time_to_float",
]


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


#: Inferred types (pandas.api.types.infer_dtype) of an object column that holds one kind of
#: value whose equal values also print alike; any "mixed..." type is refused.
_PLAIN_KINDS = ("string", "empty", "integer", "boolean", "floating")


def _as_objects(col: pd.Series) -> pd.Series:
    """``col`` as an object Series (categorical values, not codes), same index."""
    return pd.Series(np.asarray(col, dtype=object), index=col.index)


def _mixed_types_error(col: pd.Series, name: Any, role: str, index: pd.Index) -> ValidationError:
    """The error for a column that mixes Python types (only built when refusing the column)."""
    kinds = _as_objects(col).map(lambda v: type(v).__name__, na_action="ignore")
    seen = sorted({str(k) for k in kinds.dropna()})
    where = "; ".join(
        f"{k} at rows {_rows(index, (kinds == k).to_numpy(dtype=bool))}" for k in seen[:6]
    )
    fix = f"df[{name!r}] = df[{name!r}].astype(str)"
    if col.isna().any():
        fix += f".where(df[{name!r}].notna())"
    return ValidationError(
        f"column {name!r} ({role}) mixes types {seen} ({where}). Values of different types "
        "such as 1, 1.0, True and '1' would be merged or print alike, so a column must hold "
        f"one type. Convert it to one type first, for example {fix}."
    )


_NONE = np.array([None], dtype=object)


def _factorize(values: Any, sort: bool = False) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` (missing values coded -1) that keeps every string exactly.

    pandas hashes an object array made only of strings as C strings, which end at the first
    NUL character, so ``"a"`` and ``"a\x00"`` would get one code (an array with a missing value
    is hashed as Python objects, exactly). So after the fast hash every row is compared with
    the value of its code (a pointer or memcmp test per row); only when that finds a merge
    are the Python objects hashed, behind a leading ``None`` whose code is dropped.
    """
    dtype = getattr(values, "dtype", None)
    if (isinstance(dtype, np.dtype) and dtype.kind == "O") or (
        isinstance(dtype, pd.StringDtype) and dtype.storage == "python"
    ):
        arr = values if isinstance(values, np.ndarray) else np.asarray(
            values.to_numpy(dtype=object, na_value=None) if isinstance(dtype, pd.StringDtype)
            else values, dtype=object)
        codes, uniques = pd.factorize(arr, sort=sort, use_na_sentinel=True)
        if len(uniques) and not pd.isna(arr[:1000]).any():
            lookup = np.append(np.asarray(uniques, dtype=object), None)
            try:
                exact = bool(np.all((arr == lookup[codes]) | (codes < 0)))
            except (TypeError, ValueError):  # values whose == is not a bool
                exact = False
            if not exact:
                codes, uniques = pd.factorize(np.concatenate([_NONE, arr]), sort=sort,
                                              use_na_sentinel=True)
                codes = codes[1:]
        return codes, uniques
    return pd.factorize(values, sort=sort, use_na_sentinel=True)


def _label_str(u: Any) -> str:
    """The label of a distinct value: its ``str`` (a float zero is ``"0.0"``, never ``"-0.0"``,
    because -0.0 and 0.0 are one value to pandas)."""
    if isinstance(u, (float, np.floating)):
        u = u + 0.0  # -0.0 + 0.0 == +0.0
    return str(u)


def _whole_floats(col: pd.Series, uniques: Any) -> bool:
    """A float column whose distinct values are all whole numbers that floats hold exactly."""
    if col.dtype.kind != "f" or not len(uniques):
        return False
    u = np.asarray(uniques, dtype=float)
    return bool(np.all(np.isfinite(u) & (u == np.round(u)) & (np.abs(u) <= 2.0**53)))


def label_codes(
    col: pd.Series, name: Any = None, role: str = "label", index: pd.Index | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a label column into its sorted distinct labels as ``str`` (-1 where missing).

    Labels are kept exactly: each is the ``str`` of its value, blanks and NUL characters
    included, so ints give ``"1"``, floats ``"1.5"``, bools ``"True"``; a float column of whole
    numbers only (an integer column that pandas turned into floats because of a missing value)
    gives ``"1"``, not ``"1.0"``. A column that mixes
    types (``1`` and ``"1"``, or ``1``, ``1.0`` and ``True``, which pandas would merge or which
    print alike) is refused with a :class:`ValidationError`. One hash pass over the rows (none
    for a categorical column); only the distinct values are converted to ``str``. Shared by
    every place that reads labels (event logs, experiment arms), so they follow one rule.

    Examples
    --------
    >>> codes, labels = label_codes(pd.Series([2.0, None, 10.0]))
    >>> codes.tolist(), labels.tolist()
    ([1, -1, 0], ['10', '2'])
    """
    index = col.index if index is None else index
    if isinstance(col.dtype, pd.CategoricalDtype):  # already coded: no hashing of the rows
        uniques = col.cat.categories
        if uniques.dtype == object and pd.api.types.infer_dtype(uniques, skipna=True).startswith(
            "mixed"
        ):
            raise _mixed_types_error(col, name, role, index)
        codes = col.cat.codes.to_numpy()
        used = np.zeros(len(uniques) + 1, dtype=bool)
        used[codes] = True  # code -1 (missing) marks the extra last slot
        used = used[:-1]
    else:
        codes, uniques = _factorize(col)
        # distinct strings prove a column of strings (no other type equals a str); otherwise
        # look at every row, since 1, 1.0 and True share one distinct value
        if col.dtype == object and not all(isinstance(u, str) for u in uniques):
            kind = pd.api.types.infer_dtype(col, skipna=True)
            if kind.startswith("mixed"):
                raise _mixed_types_error(col, name, role, index)
            if kind not in _PLAIN_KINDS:  # bytes, decimals, dates...: equal when printed alike
                codes, uniques = _factorize(col.map(str, na_action="ignore"))
        used = np.ones(len(uniques), dtype=bool)
    # object arrays throughout: numpy str arrays would drop trailing NUL characters
    names = np.empty(len(uniques), dtype=object)
    if _whole_floats(col, uniques):
        # pandas stores an integer column with a missing value as floats: 1.0 is the label 1
        names[:] = [str(int(u)) for u in uniques]
    else:
        names[:] = [_label_str(u) for u in uniques]
    labels, remap = np.unique(names[used], return_inverse=True)  # unused categories go
    code_type = np.int8 if len(labels) < 128 else np.int16 if len(labels) < 32768 else np.int32
    lookup = np.full(len(uniques) + 1, -1, dtype=code_type)
    lookup[:-1][used] = remap.ravel()
    return lookup[codes], labels.astype(object)


def _tie_keys(col: pd.Series, rows: np.ndarray) -> list[np.ndarray]:
    """Sort keys (least significant first) of a covariate's values at positions ``rows``.

    Distinct values never share a key (``1``, ``1.0`` and ``True`` included; ``-0.0`` sorts
    before ``0.0``) and a missing value sorts first, so that rows tied on every other key are
    put in an order that depends on their values only, never on the input's row order.
    """
    sub = col.iloc[rows]
    if isinstance(sub.dtype, pd.CategoricalDtype):
        return [sub.cat.codes.to_numpy()]  # distinct categories, missing -1
    kind = pd.api.types.infer_dtype(sub, skipna=True) if sub.dtype == object else ""
    if sub.dtype == object and kind not in ("string", "empty", "integer", "boolean", "floating"):
        # mixed or unusual types: order by type, then by the printed value
        missing = sub.isna().to_numpy()
        text = _as_objects(sub).map(
            lambda v: f"{type(v).__module__}.{type(v).__qualname__}:{v!r}", na_action="ignore"
        )
        codes, _ = _factorize(text, sort=True)
        codes[missing] = -1
        return [codes]
    try:
        codes, uniques = _factorize(sub, sort=True)
    except TypeError:  # values that cannot be ordered: order by their printed form
        text = _as_objects(sub).map(repr, na_action="ignore")
        codes, uniques = _factorize(text, sort=True)
    keys = [codes]
    if kind == "floating" or pd.api.types.is_float_dtype(sub.dtype):
        vals = sub.to_numpy(dtype=float, na_value=np.nan)
        keys.insert(0, ~np.signbit(vals))  # -0.0 before 0.0 (one value to factorize)
    return keys


#: A UTC offset at the end of a time string, after a time of day: ``Z``, ``+01:00``,
#: ``-0500``, ``+01``, ``UTC``, ``GMT+1``. A date alone (``2025-03-30``) has none.
_OFFSET_PATTERN = (
    r"(?:^|[T\s])\d{1,2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*"
    r"(?P<off>[zZ]|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)\s*$"
)
_OFFSET_RE = re.compile(_OFFSET_PATTERN)
#: The offset at the end of a string known to carry one.
_TAIL_RE = re.compile(
    r"(?P<off>[zZ]|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)\s*$"
)


def _offset_text(off: str) -> str:
    """A UTC offset as written (``Z``, ``+0100``, ``UTC``) in the form ``+01:00``; ``GMT+1``
    and the like (whose sign parsers read both ways) are returned as written."""
    body = off.strip().upper()
    if body in ("Z", "UTC", "GMT"):
        return "+00:00"
    if body.startswith(("UTC", "GMT")):
        return off.strip()
    sign, digits = body[0], body[1:].replace(":", "")
    hh, mm = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "00")
    minutes = int(hh) * 60 + int(mm)
    if minutes == 0:
        sign = "+"
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _sample_has_offset(col: pd.Series) -> bool:
    """Whether any of a few thousand rows (first, last and spread) of a time column has an
    offset."""
    n = len(col)
    pick = np.unique(np.r_[np.arange(min(n, 1000)), np.arange(max(n - 1000, 0), n),
                           np.linspace(0, n - 1, min(n, 1000)).astype(np.int64)])
    return any(isinstance(v, str) and _OFFSET_RE.search(v) for v in col.iloc[pick])


def _utc_offsets(col: pd.Series, text: bool) -> tuple[np.ndarray, list[str]]:
    """Which rows of a time column carry a UTC offset, and the distinct offsets (``+01:00``).

    Text columns are scanned in one vectorised pass (pyarrow's regex engine when available);
    other object columns (datetime objects) per distinct value.
    """
    if text:
        # a boolean scan of every row, then the offsets of the distinct string ends only (the
        # offsets matter only when every row has one: a mix is refused)
        aware = tails = None
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            arr = pa.array(col.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            aware = pc.fill_null(pc.match_substring_regex(arr, _OFFSET_PATTERN), False)
            aware = aware.to_numpy(zero_copy_only=False)
            tails = pc.unique(pc.utf8_slice_codeunits(arr, -12)).to_pylist()
        except (ImportError, TypeError, ValueError, ArithmeticError, NotImplementedError):
            aware = None  # no pyarrow, or values it does not take: the pandas scan below
        if aware is None:
            obj = col.astype(object)
            aware = obj.str.contains(_OFFSET_PATTERN, regex=True, na=False).to_numpy(dtype=bool)
            tails = pd.unique(obj.str[-12:]).tolist()
        if not aware.any():
            return aware, []
        found = (_TAIL_RE.search(t) for t in tails if isinstance(t, str))
        distinct = [m.group("off") for m in found if m]
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        offs: list[Any] = []
        for u in uniques:
            if isinstance(u, str):
                m = _OFFSET_RE.search(u)
                offs.append(m.group("off") if m else None)
            else:
                tz_off = getattr(u, "utcoffset", lambda: None)() if not isinstance(
                    u, (np.datetime64,)) else None
                offs.append(None if tz_off is None else _td_text(tz_off))
        lookup = np.array([*offs, None], dtype=object)
        per_row = lookup[codes]  # code -1 (missing) picks None
        aware = np.array([o is not None for o in offs] + [False], dtype=bool)[codes]
        distinct = pd.unique(per_row[aware])
    return aware, sorted({_offset_text(str(o)) for o in distinct})


def _td_text(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


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
        arr = np.asarray(values)
        out = None
        if origin is not None and arr.dtype.kind in "iu" and isinstance(
            origin, (int, np.integer)
        ) and arr.size:
            o = int(origin)  # integer times: the difference in integers, then one rounding
            if int(arr.max()) - o < 2**63 and int(arr.min()) - o >= -(2**63):
                out = (arr.astype(np.int64) - np.int64(o)).astype(float)
        if out is None:
            out = np.asarray(arr, dtype=float)
            if origin is not None:
                out = out - float(origin)
        return out[()] if out.ndim == 0 else out
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

        cust_ids = self._customer_array(cust, index)

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
                # pandas' fast string hash (an event type with a NUL character inside would
                # count as the type before it; checking every row would cost 10% of the log)
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

        frame: dict[str, Any] = {"customer_id": cust_ids, "timestamp": time}
        labels: dict[str, np.ndarray] = {}
        if c["channel"] is not None:
            ch = data[c["channel"]]
            codes, uniques = label_codes(ch, c["channel"], "channel", index)
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
            codes, uniques = label_codes(data[c["stage"]], c["stage"], "stage", index)
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
            with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is inf, refused here
                total = float(np.sum(v[~np.isnan(v)]))
            if not total <= 1e300:  # the path tables' limit: every consumer's sums stay finite
                raise ValidationError(
                    f"column {c['value']!r} (value) adds up to more than 1e300, which leaves no "
                    "room for sums and bootstrap resamples; express it in larger units."
                )
            frame["value"] = v + 0.0  # -0.0 and 0.0 are one value: keep one of them

        covs = [data[src] for src in self._cov_sources]
        order, done = self._sort_order(frame, labels, covs)
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

        ``channel`` and ``stage`` come as their integer codes (see :meth:`codes`).
        """
        self.require(name, purpose=f"reading {name}")
        return self._arrays[name]

    def _customer_array(self, cust: pd.Series, index: pd.Index) -> np.ndarray:
        """The customer ids as an array of one type (missing values were refused before)."""
        name = self.columns["customer_id"]
        if isinstance(cust.dtype, pd.CategoricalDtype):
            cust = _as_objects(cust)
        if cust.dtype == object:
            kind = pd.api.types.infer_dtype(cust, skipna=True)
            if kind.startswith("mixed"):  # 1 and '1' differ, 1, 1.0 and True are merged
                raise _mixed_types_error(cust, name, "customer id", index)
            if kind == "integer":
                try:
                    return cust.to_numpy(dtype=np.int64)
                except (OverflowError, ValueError, TypeError):  # beyond int64: keep the objects
                    return cust.to_numpy()
            if kind == "floating":
                return cust.to_numpy(dtype=float) + 0.0
            return cust.to_numpy()
        if isinstance(cust.dtype, pd.api.extensions.ExtensionDtype) and hasattr(
            cust.dtype, "numpy_dtype"
        ):  # nullable Int64, Float64, boolean (no missing values here)
            arr = cust.to_numpy(dtype=cust.dtype.numpy_dtype)
        else:
            arr = cust.to_numpy()
        if arr.dtype.kind == "f":
            arr = arr + 0.0  # -0.0 and 0.0 are one customer: give it one id
        return arr

    def _parse_time(self, col: pd.Series, index: pd.Index) -> tuple[Any, str]:
        """The timestamps as int64 or float numbers ("numeric") or datetimes ("datetime").

        Integers stay int64, exactly (epoch nanoseconds exceed 2**53); floats stay floats.
        Time strings with UTC offsets keep their offset when all rows share it and are
        converted to UTC, with a warning, when the offsets differ; a mix of times with and
        without an offset is refused.
        """
        name = self.columns["timestamp"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = _as_objects(col)  # the values, not the codes
        kind = pd.api.types.infer_dtype(col, skipna=True) if col.dtype == object else ""
        if pd.api.types.is_bool_dtype(col) or kind == "boolean":
            raise ValidationError(f"column {name!r} (timestamp) is boolean; expected times.")
        if pd.api.types.is_numeric_dtype(col) or kind in (
            "integer", "floating", "mixed-integer-float"
        ):
            return self._numeric_time(col, index, kind), "numeric"
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
            parsed = col
        else:
            parsed = self._parse_time_text(col, index, kind)
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

    def _numeric_time(self, col: pd.Series, index: pd.Index, kind: str) -> np.ndarray:
        """Numeric timestamps: int64 for integers (exact), float64 otherwise."""
        name = self.columns["timestamp"]
        missing = col.isna().to_numpy()
        integer = kind == "integer" or (
            kind == "" and pd.api.types.is_integer_dtype(col.dtype)
        )
        if integer and not missing.any():
            if col.dtype.kind == "u" and len(col) and int(col.max()) > np.iinfo(np.int64).max:
                t = None
            else:
                try:
                    t = col.to_numpy(dtype=np.int64)
                except (OverflowError, ValueError, TypeError):
                    t = None
            if t is None:
                raise ValidationError(
                    f"column {name!r} (timestamp) has integers beyond the int64 range "
                    f"(|t| >= 2**63). Use a coarser unit, or convert the column to float if "
                    "rounding is acceptable."
                )
            if len(t) and int(t.max()) - int(t.min()) > np.iinfo(np.int64).max:
                raise ValidationError(
                    f"column {name!r} (timestamp) spans {int(t.max()) - int(t.min())} ticks, "
                    "more than 2**63 - 1, so gaps between times would overflow. Use a coarser "
                    "unit or subtract an origin."
                )
            return t
        t = col.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(t)
        if bad.any():
            raise ValidationError(
                f"column {name!r} (timestamp) has {int(bad.sum())} missing or infinite "
                f"values, first at rows {_rows(index, bad)}. Every event needs a time: drop "
                "or fill these rows."
            )
        return t + 0.0  # -0.0 and 0.0 are one time

    def _parse_time_text(self, col: pd.Series, index: pd.Index, kind: str) -> pd.Series:
        """Parse time strings (or datetime objects) without depending on the row order."""
        name = self.columns["timestamp"]
        missing = col.isna().to_numpy()
        if kind.startswith("mixed"):
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

        def parse(utc: bool) -> pd.Series | None:
            """ISO 8601 first, any format where that fails; None when pandas finds several
            time zones without ``utc``."""
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "In a future version of pandas, parsing "
                                        "datetimes with mixed time zones", FutureWarning)
                try:
                    out = pd.to_datetime(col, errors="coerce", format="ISO8601", utc=utc)
                except (ValueError, TypeError, OverflowError):
                    out = pd.Series(pd.NaT, index=col.index)
                failed = out.isna().to_numpy() & ~missing
                if failed.any():
                    try:
                        out = pd.to_datetime(col, errors="coerce", format="mixed", utc=utc)
                    except (ValueError, TypeError, OverflowError) as exc:
                        if not utc and "time zone" in str(exc).lower():
                            return None  # several offsets (pandas 3 refuses them)
                        raise ValidationError(
                            f"column {name!r} (timestamp) could not be parsed as times ({exc}). "
                            "Convert it with pd.to_datetime(...) and a format."
                        ) from None
            if out.dtype == object:  # several offsets (pandas 2 keeps them as objects)
                return None
            failed = out.isna().to_numpy() & ~missing
            if failed.any():
                examples = [str(v) for v in col[failed].head(3)]
                raise ValidationError(
                    f"column {name!r} (timestamp) has {int(failed.sum())} values that are not "
                    f"times, for example {examples}, at rows {_rows(index, failed)}. Fix them "
                    "or parse the column yourself with pd.to_datetime(..., format=...)."
                )
            return out

        text = kind in ("string", "empty") or (
            col.dtype != object and pd.api.types.is_string_dtype(col.dtype)
        )
        if text and not _sample_has_offset(col):
            # the common case: pandas parses naive times fast, and a naive result proves that
            # no row has an offset (one would make the result tz-aware or mixed)
            parsed = parse(utc=False)
            if parsed is not None and not isinstance(parsed.dtype, pd.DatetimeTZDtype):
                return parsed
        aware, offsets = _utc_offsets(col, text)
        naive = ~aware & ~missing
        if aware.any() and naive.any():
            raise ValidationError(
                f"column {name!r} (timestamp) mixes times with a UTC offset ({int(aware.sum())}"
                f" rows, first at rows {_rows(index, aware)}) and times without one "
                f"({int(naive.sum())} rows, first at rows {_rows(index, naive)}); a time "
                "without an offset is ambiguous. Give every time an offset (or none), or parse "
                f"the column yourself, e.g. pd.to_datetime(df[{name!r}], utc=True) if the times "
                "without an offset are UTC."
            )
        if not aware.any():
            parsed = parse(utc=False)
            if parsed is not None:
                return parsed
            offsets = ["several, found by pandas"]  # zones the offset scan did not see
        parsed = parse(utc=True)
        assert parsed is not None
        if len(offsets) == 1 and re.fullmatch(r"[+-]\d\d:\d\d", offsets[0]):  # keep it
            sign, hh, mm = offsets[0][0], int(offsets[0][1:3]), int(offsets[0][4:6])
            delta = pd.Timedelta(60 * hh + mm, unit="min") * (-1 if sign == "-" else 1)
            return parsed.dt.tz_convert(datetime.timezone(delta.to_pytimedelta()))
        shown = ", ".join(offsets[:6]) + (" ..." if len(offsets) > 6 else "")
        what = (f"has times with the offset {shown}" if len(offsets) == 1 else
                f"mixes UTC offsets ({shown}), as times across a daylight-saving change or from "
                "several time zones do")
        warnings.warn(
            f"column {name!r} (timestamp) {what}; its times were converted to UTC. Convert the "
            "column yourself (pd.to_datetime(..., utc=True).dt.tz_convert(zone)) to work in a "
            "local time zone.",
            UserWarning,
            stacklevel=5,
        )
        return parsed

    def _sort_order(
        self, frame: dict[str, Any], labels: dict[str, np.ndarray], covs: Sequence[pd.Series] = ()
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Order by customer, time, event rank; stage, channel, value, then the covariates (in
        their order) break remaining ties, so that no result depends on the input's row order.

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
            cust_key, _ = _factorize(cust, sort=True)
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
        # re-order only the rows inside runs of ties, by stage, channel, value and then the
        # covariates (labels in sorted order; a missing value sorts first); rows equal in all
        # of these are identical, so their order does not matter
        in_run = np.zeros(len(order), dtype=bool)
        in_run[:-1] |= tied
        in_run[1:] |= tied
        idx = np.flatnonzero(in_run)
        run_id = np.cumsum(np.r_[True, ~tied])[idx]
        rows = order[idx]
        sub_keys: list[np.ndarray] = []
        for col in reversed(covs):  # lexsort: the last key is the most significant
            sub_keys.extend(_tie_keys(col, rows))
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
        integer_time = self.time_kind == "numeric" and t.dtype.kind == "i"
        for bound, name, outside in checks:
            if integer_time and isinstance(bound, float):  # exact on integers: t < b iff
                bound = math.ceil(bound) if name == "observation_start" else math.floor(bound)
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
            integer_time = self._arrays["timestamp"].dtype.kind == "i"
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
                out_i = int(value)  # exact, also beyond 2**53
                if not integer_time:
                    return float(out_i)
                if abs(out_i) < 2**63:
                    return out_i
            try:
                out_f = float(value) if not isinstance(value, (bool, np.bool_)) else np.nan
            except (TypeError, ValueError, OverflowError):
                out_f = np.nan
            if not np.isfinite(out_f):
                raise ValidationError(
                    f"{name} == {value!r}, must be a finite number like the timestamps"
                    f"{' (within the int64 range)' if integer_time else ''}."
                )
            if integer_time and out_f.is_integer() and abs(out_f) < 2**63:
                return int(out_f)  # integer times: keep the bound an exact integer
            return out_f
        try:
            out = pd.Timestamp(value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(f"{name} == {value!r}, must be a timestamp.") from None
        if pd.isna(out):
            raise ValidationError(f"{name} == {value!r}, must be a timestamp.")
        t = self._arrays["timestamp"]
        log_tz = None if isinstance(t, np.ndarray) else t.tz
        if (out.tz is None) != (log_tz is None):
            raise ValidationError(
                f"{name} == {value!r} is {'naive' if out.tz is None else 'tz-aware'} but the "
                f"log's timestamps are {'naive' if log_tz is None else f'in {log_tz}'}; give "
                f"{name} in the same form"
                + (f", e.g. {str(out.tz_localize(log_tz))!r}." if out.tz is None else
                   f", e.g. {str(out.tz_convert(None))!r} (UTC).")
            )
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
            if self._arrays["timestamp"].dtype.kind != "i":
                return self.duration(d)
            # integer times: whole ticks, rounded down (exact, also beyond 2**53)
            if isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
                self.duration(d)
                return int(d)
            span_f = self.duration(d)
            if not np.isfinite(span_f):
                return span_f
            return max(min(math.floor(span_f), 2**63 - 1), -(2**63))
        if isinstance(d, (int, float, np.integer, np.floating)) and not isinstance(d, bool):
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
        """A point in time in the units of :meth:`ticks` (whole ticks, rounded down)."""
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
        """Integer codes of a label column (-1 where missing) and the sorted labels (cached)."""
        self.require(column, purpose=f"coding {column}")
        cache = self.__dict__.setdefault("_codes_cache", {})
        if column not in cache:
            if column in self._labels:  # coded when the log was built
                codes, labels = self._arrays[column], self._labels[column]
            else:
                codes, labels = _factorize(self._arrays[column], sort=True)
                codes.flags.writeable = False
                labels = np.asarray(labels, dtype=object)
            cache[column] = (codes, labels)
        return cache[column]

    def to_float(self, t: Any, unit: str = "D") -> Any:
        """A time (or array of times) as float ``unit`` since ``observation_start``."""
        if self.time_kind == "numeric":
            return time_to_float(t, kind="numeric", origin=self.observation_start)
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
            return as_timedelta(d) / pd.Timedelta(1, unit=unit)
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
            from cjmodels._json import to_jsonable

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
