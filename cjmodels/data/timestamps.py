"""Times of an event log: parsing a timestamp column, UTC offsets, times as numbers.

:func:`parse_time` turns a column into int64 or float numbers (``"numeric"``) or datetimes
(``"datetime"``), keeping one shared UTC offset and converting several to UTC with a warning;
:func:`time_to_float` turns times or gaps into floats in a unit.

Examples
--------
>>> t, kind = parse_time(pd.Series(["2025-01-01", "2025-01-02"]), pd.RangeIndex(2), "ts")
>>> kind, t.dtype.kind, str(pd.Timedelta(t[1] - t[0]))  # resolution (ns, us): pandas' choice
('datetime', 'M', '1 days 00:00:00')
"""

from __future__ import annotations

import datetime
import math
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.columns import as_objects, rows_text
from cjmodels.errors import ValidationError

__all__ = ["observation_window", "parse_time", "time_to_float"]

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


def parse_time(col: pd.Series, index: pd.Index, name: Any) -> tuple[Any, str]:
    """The timestamps as int64 or float numbers ("numeric") or datetimes ("datetime").

    Integers stay int64, exactly (epoch nanoseconds exceed 2**53); floats stay floats.
    Time strings with UTC offsets keep their offset when all rows share it and are
    converted to UTC, with a warning, when the offsets differ; a mix of times with and
    without an offset is refused.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = as_objects(col)  # the values, not the codes
    kind = pd.api.types.infer_dtype(col, skipna=True) if col.dtype == object else ""
    if pd.api.types.is_bool_dtype(col) or kind == "boolean":
        raise ValidationError(f"column {name!r} (timestamp) is boolean; expected times.")
    if pd.api.types.is_numeric_dtype(col) or kind in (
        "integer", "floating", "mixed-integer-float"
    ):
        return _numeric_time(col, index, kind, name), "numeric"
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
        parsed = col
    else:
        parsed = _parse_time_text(col, index, kind, name)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise ValidationError(
            f"column {name!r} (timestamp) has {int(bad.sum())} missing values (NaN/NaT), "
            f"first at rows {rows_text(index, bad)}. Every event needs a time: drop or fill "
            "these rows."
        )
    return parsed.to_numpy() if not isinstance(parsed.dtype, pd.DatetimeTZDtype) else (
        parsed.array
    ), "datetime"

def _numeric_time(col: pd.Series, index: pd.Index, kind: str, name: Any) -> np.ndarray:
    """Numeric timestamps: int64 for integers (exact), float64 otherwise."""
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
            f"values, first at rows {rows_text(index, bad)}. Every event needs a time: drop "
            "or fill these rows."
        )
    return t + 0.0  # -0.0 and 0.0 are one time

def _parse_time_text(col: pd.Series, index: pd.Index, kind: str, name: Any) -> pd.Series:
    """Parse time strings (or datetime objects) without depending on the row order."""
    missing = col.isna().to_numpy()
    if kind.startswith("mixed"):
        numeric = col.map(
            lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
        ).to_numpy(dtype=bool) & ~missing
        if numeric.any():
            raise ValidationError(
                f"column {name!r} (timestamp) mixes numbers and text/dates: "
                f"{int(numeric.sum())} numbers, first at rows {rows_text(index, numeric)}. "
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
                f"times, for example {examples}, at rows {rows_text(index, failed)}. Fix them "
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
            f" rows, first at rows {rows_text(index, aware)}) and times without one "
            f"({int(naive.sum())} rows, first at rows {rows_text(index, naive)}); a time "
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
        Subtracted first: a timestamp for datetimes, a number for numeric times (integer
        times minus an integer origin are subtracted exactly, then converted).

    Returns
    -------
    numpy.ndarray of float
        The values (minus ``origin``) in ``unit`` (numeric times: in their own unit); a
        float scalar for a scalar numeric input.

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


def observation_window(
    t: Any, time_kind: str, start: Any, end: Any, source_index: pd.Index
) -> tuple[Any, Any]:
    """The observation window of timestamps ``t`` (of ``time_kind``): ``start`` and ``end``
    as the log's kind of time (default: the first and last time), checked to hold every event
    (``source_index`` names the rows outside)."""
    if time_kind == "numeric":
        tmin, tmax = t.min(), t.max()
    else:
        tmin, tmax = pd.Series(t).agg(["min", "max"])
    obs_start = _coerce_bound(start, "observation_start", tmin, t, time_kind)
    obs_end = _coerce_bound(end, "observation_end", tmax, t, time_kind)
    if obs_end < obs_start:
        raise ValidationError(
            f"observation_end == {obs_end} is before observation_start == {obs_start}."
        )
    checks = []
    if start is not None:
        checks.append((obs_start, "observation_start", lambda tv, b: tv < b))
    if end is not None:
        checks.append((obs_end, "observation_end", lambda tv, b: tv > b))
    integer_time = time_kind == "numeric" and t.dtype.kind == "i"
    for bound, name, outside in checks:
        if integer_time and isinstance(bound, float):  # exact on integers: t < b iff
            bound = math.ceil(bound) if name == "observation_start" else math.floor(bound)
        bad = np.asarray(outside(pd.Series(t), bound))
        if np.any(bad):
            raise ValidationError(
                f"{name} == {bound} but {int(np.sum(bad))} events lie outside it, at rows "
                f"{rows_text(source_index, bad)}. Filter the log to the window or widen it."
            )
    return obs_start, obs_end


def _coerce_bound(value: Any, name: str, default: Any, t: Any, time_kind: str) -> Any:
    if value is None:
        return default
    if time_kind == "numeric":
        integer_time = t.dtype.kind == "i"
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
