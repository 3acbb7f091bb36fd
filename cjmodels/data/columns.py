"""Column values of an event log: labels as codes, row lists for messages, and the sort.

What :class:`~cjmodels.data.EventLog` needs to turn a column into numbers it can sort and count:
:func:`factorize` and :func:`label_codes` give integer codes of labels (``1`` and ``"1"``
differ, a missing value is one label), :func:`customer_array` gives the customer ids one type,
:func:`sort_keys` sorts rows by several integer keys at once (packed into one when they fit),
:func:`tie_keys` orders ties by a covariate, and :func:`rows_text` names the first offending
rows of a message.

Examples
--------
>>> codes, labels = factorize(pd.Series(["b", "a", "b"]), sort=True)
>>> codes.tolist(), list(labels)
([1, 0, 1], ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.errors import ValidationError

__all__ = [
    "as_objects",
    "customer_array",
    "factorize",
    "label_codes",
    "mixed_types_error",
    "rows_text",
    "sort_keys",
    "sort_order",
    "tie_keys",
]

_MAX_ROWS_SHOWN = 5


def rows_text(index: pd.Index, mask: np.ndarray) -> str:
    """Describe the first offending rows by their index labels."""
    bad = index[np.asarray(mask, dtype=bool)]
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in bad[:_MAX_ROWS_SHOWN])
    more = f" and {len(bad) - _MAX_ROWS_SHOWN} more" if len(bad) > _MAX_ROWS_SHOWN else ""
    return f"[{shown}{more}]"


#: Inferred types (pandas.api.types.infer_dtype) of an object column that holds one kind of
#: value whose equal values also print alike; any "mixed..." type is refused.
_PLAIN_KINDS = ("string", "empty", "integer", "boolean", "floating")


def as_objects(col: pd.Series) -> pd.Series:
    """``col`` as an object Series (categorical values, not codes), same index."""
    return pd.Series(np.asarray(col, dtype=object), index=col.index)


def mixed_types_error(col: pd.Series, name: Any, role: str, index: pd.Index) -> ValidationError:
    """The error for a column that mixes Python types (only built when refusing the column)."""
    kinds = as_objects(col).map(lambda v: type(v).__name__, na_action="ignore")
    seen = sorted({str(k) for k in kinds.dropna()})
    where = "; ".join(
        f"{k} at rows {rows_text(index, (kinds == k).to_numpy(dtype=bool))}" for k in seen[:6]
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


def factorize(values: Any, sort: bool = False) -> tuple[np.ndarray, Any]:
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
            raise mixed_types_error(col, name, role, index)
        codes = col.cat.codes.to_numpy()
        used = np.zeros(len(uniques) + 1, dtype=bool)
        used[codes] = True  # code -1 (missing) marks the extra last slot
        used = used[:-1]
    else:
        codes, uniques = factorize(col)
        # distinct strings prove a column of strings (no other type equals a str); otherwise
        # look at every row, since 1, 1.0 and True share one distinct value
        if col.dtype == object and not all(isinstance(u, str) for u in uniques):
            kind = pd.api.types.infer_dtype(col, skipna=True)
            if kind.startswith("mixed"):
                raise mixed_types_error(col, name, role, index)
            if kind not in _PLAIN_KINDS:  # bytes, decimals, dates...: equal when printed alike
                codes, uniques = factorize(col.map(str, na_action="ignore"))
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


def tie_keys(col: pd.Series, rows: np.ndarray) -> list[np.ndarray]:
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
        text = as_objects(sub).map(
            lambda v: f"{type(v).__module__}.{type(v).__qualname__}:{v!r}", na_action="ignore"
        )
        codes, _ = factorize(text, sort=True)
        codes[missing] = -1
        return [codes]
    try:
        codes, uniques = factorize(sub, sort=True)
    except TypeError:  # values that cannot be ordered: order by their printed form
        text = as_objects(sub).map(repr, na_action="ignore")
        codes, uniques = factorize(text, sort=True)
    keys = [codes]
    if kind == "floating" or pd.api.types.is_float_dtype(sub.dtype):
        vals = sub.to_numpy(dtype=float, na_value=np.nan)
        keys.insert(0, ~np.signbit(vals))  # -0.0 before 0.0 (one value to factorize)
    return keys


#: A UTC offset at the end of a time string, after a time of day: ``Z``, ``+01:00``,
#: ``-0500``, ``+01``, ``UTC``, ``GMT+1``. A date alone (``2025-03-30``) has none.


def customer_array(cust: pd.Series, index: pd.Index, name: Any) -> np.ndarray:
    """The customer ids (column ``name``) as an array of one type (missing values were refused
    before)."""
    if isinstance(cust.dtype, pd.CategoricalDtype):
        cust = as_objects(cust)
    if cust.dtype == object:
        kind = pd.api.types.infer_dtype(cust, skipna=True)
        if kind.startswith("mixed"):  # 1 and '1' differ, 1, 1.0 and True are merged
            raise mixed_types_error(cust, name, "customer id", index)
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


def sort_keys(
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


def _common_step(x: np.ndarray) -> int:
    """The largest of 1e9, 1e6, 1e3, 1 that divides every value (timestamps in ns)."""
    for step in (1_000_000_000, 1_000_000, 1_000):
        if x.max() >= step and not np.any(x % step):
            return step
    return 1


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


def sort_order(
    frame: dict[str, Any],
    covs: Sequence[pd.Series] = (),
    *,
    time_kind: str,
    ev_rank: np.ndarray,
    n_event_types: int,
) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """Order of the rows of ``frame`` (its customer, timestamp, stage, channel and value arrays;
    ``ev_rank``: each row's event rank) by customer, time, event rank; stage, channel, value, then the covariates (in
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
        cust_key, _ = factorize(cust, sort=True)
    time = frame["timestamp"]
    if time_kind == "numeric":
        time_key = np.asarray(time)
    elif isinstance(time, np.ndarray):
        time_key = time.view(np.int64)  # ticks of the column's own resolution
    else:
        time_key = np.asarray(pd.DatetimeIndex(time).asi8)
    ev_key = ev_rank
    order, gathered = sort_keys([ev_key, time_key, cust_key],
                                 radix=[n_event_types])
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
        sub_keys.extend(tie_keys(col, rows))
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
