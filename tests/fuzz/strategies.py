"""Hypothesis strategies for adversarial inputs: event logs, path tables, experiment tables.

Every strategy returns the input together with what a correct result must account for (the
events, touches and conversions it holds), so that the tests can check invariants as well as
exceptions. Inputs are small (at most 40 rows) so that thousands of cases run in minutes.

The adversarial features (see issue 15): every dtype a user's file arrives in (int, float, str,
object, categorical with unused categories, nullable Int64, boolean, string, naive and tz-aware
datetimes, epoch integers above 2**53, ISO strings with mixed UTC offsets), blanks, leading and
trailing spaces, unicode, NUL characters, the path separator inside labels, duplicates, ties at
equal timestamps, huge and tiny numbers, missing values, shuffled rows and odd indexes (strings,
duplicated, non-monotonic), customers with only ``drop_out``/``churn`` events and conversions
with no touch before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

#: Channel and stage labels a careful user would have.
PLAIN_LABELS = ("search", "email", "social", "direct", "display", "a", "b")
#: Labels that have broken things before: blanks, spaces, unicode, NUL, the path separator.
ODD_LABELS = (
    " email",
    "email ",
    "",
    " ",
    "e>mail",
    "a > b",
    "x\x00",
    "\x00",
    "café",
    "日本",
    "tab\there",
    "NaN",
    "None",
    "(start)",
    "(conversion)",
    "(null)",
)
#: Labels of other types, which must not merge with their string spellings.
TYPED_LABELS: tuple[Any, ...] = (1, "1", 1.0, True, 0, 2**60)

#: Event types with the weights of a plausible log.
EVENTS = ("touch",) * 6 + ("conversion",) * 3 + ("drop_out", "churn", "subscribe")
#: Event words a stranger's file may hold instead.
ODD_EVENTS = ("Touch", " touch", "click", "", None)

#: Numbers at the edges of float64.
EDGE_VALUES = (0.0, 1.0, 1e-300, 5e-324, 1e300, 1.7e308, -1.0, 123.456, 2.0**53 + 1)

TIME_KINDS = (
    "int",
    "float",
    "bigint",
    "object_int",
    "datetime",
    "datetime_us",
    "tz_utc",
    "tz_berlin",
    "iso",
    "iso_mixed_offsets",
)


@dataclass
class Log:
    """A generated event log and the facts a result must account for."""

    frame: pd.DataFrame
    time_kind: str
    clean: bool
    #: instant of each row in whole seconds (the order the log must follow)
    ticks: np.ndarray = field(repr=False)

    @property
    def n_touches(self) -> int:
        return int((self.frame["event"] == "touch").sum())

    @property
    def n_conversions(self) -> int:
        return int((self.frame["event"] == "conversion").sum())

    @property
    def conversion_value(self) -> float:
        if "value" not in self.frame:
            return float("nan")
        v = pd.to_numeric(self.frame["value"], errors="coerce")
        return float(v[self.frame["event"] == "conversion"].fillna(0.0).sum())


def _render_times(ticks: np.ndarray, kind: str, draw: Any) -> pd.Series | np.ndarray:
    """Write the instants ``ticks`` (seconds) in the representation ``kind``."""
    base = pd.Timestamp("2025-03-29T12:00:00")  # a daylight-saving change in Europe follows
    if kind == "int":
        return ticks.astype(np.int64)
    if kind == "float":
        return ticks.astype(float) / 7.0
    if kind == "bigint":  # epoch nanoseconds above 2**53: float64 cannot hold them
        return (np.int64(1_743_249_600_000_000_000) + ticks.astype(np.int64)).astype(np.int64)
    if kind == "object_int":
        return pd.Series([int(t) for t in ticks], dtype=object)
    stamps = base + pd.to_timedelta(ticks * 3600, unit="s")  # an hour per tick crosses DST
    if kind == "datetime":
        return pd.Series(stamps)
    if kind == "datetime_us":
        return pd.Series(stamps).astype("datetime64[us]")
    if kind == "tz_utc":
        return pd.Series(stamps).dt.tz_localize("UTC")
    if kind == "tz_berlin":
        return pd.Series(stamps).dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    if kind == "iso":
        return pd.Series([s.isoformat() for s in stamps], dtype=object)
    # the same instants written with the offset Berlin had at each (+01:00, then +02:00)
    local = pd.Series(stamps).dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    return pd.Series([s.isoformat() for s in local], dtype=object)


def _label_column(values: list[Any], draw: Any, pool: list[Any]) -> Any:
    """A label column in one of the dtypes users have."""
    kind = draw(st.sampled_from(("object", "object", "string", "categorical", "categorical_str")))
    if kind == "object":
        return pd.Series(values, dtype=object)
    if kind == "string" and all(v is None or isinstance(v, str) for v in values):
        return pd.Series(values, dtype="string")
    cats = list(dict.fromkeys(v for v in pool if v is not None))
    unused = draw(st.sampled_from(([], ["unused"], ["zz_unused", "(null)"])))
    cats = list(dict.fromkeys(cats + [c for c in unused if c not in cats]))
    if kind == "categorical_str" or not all(isinstance(c, str) for c in cats):
        cats = list(dict.fromkeys(str(c) for c in cats))
        values = [None if v is None else str(v) for v in values]
    # every value is a category (a value outside them would become NaN, with a warning of pandas 3)
    cats = list(dict.fromkeys(cats + [v for v in values if v is not None]))
    return pd.Series(pd.Categorical(values, categories=cats))


def _odd_index(n: int, draw: Any) -> pd.Index:
    kind = draw(st.sampled_from(("range", "strings", "duplicated", "shuffled", "offset")))
    if kind == "strings":
        return pd.Index([f"row{i}" for i in range(n)])
    if kind == "duplicated":
        return pd.Index([i // 2 for i in range(n)])
    if kind == "shuffled":
        return pd.Index(draw(st.permutations(list(range(n)))) if n else [])
    if kind == "offset":
        return pd.Index(np.arange(n) * -3 + 1000)
    return pd.RangeIndex(n)


@st.composite
def event_logs(
    draw: Any,
    *,
    max_rows: int = 40,
    clean: bool | None = None,
    stages: bool = True,
    variant: bool = False,
    covariates: bool = True,
) -> Log:
    """An event log in the canonical columns, adversarial unless ``clean``.

    ``clean`` logs are valid (no missing or unknown values) but still use every dtype, time
    representation, odd label, tie and index; other logs add missing values, unknown event
    words and missing times, which must be refused with a :mod:`cjmodels.errors` exception.
    """
    if clean is None:
        clean = draw(st.booleans())
    n = draw(st.integers(0 if not clean else 1, max_rows))
    n_cust = draw(st.integers(1, 6))
    cust_kind = draw(st.sampled_from(("int", "str", "bigint", "mixed", "float", "categorical")))
    cust_codes = draw(st.lists(st.integers(0, n_cust - 1), min_size=n, max_size=n))
    # few distinct instants, so that ties at equal timestamps are common
    ticks = np.array(draw(st.lists(st.integers(0, 48), min_size=n, max_size=n)), dtype=np.int64)
    time_kind = draw(st.sampled_from(TIME_KINDS))

    odd = st.sampled_from(ODD_LABELS)
    typed = st.sampled_from(TYPED_LABELS)
    plain = st.sampled_from(PLAIN_LABELS)
    label = st.one_of(plain, plain, odd, typed)
    pool = draw(st.lists(label, min_size=1, max_size=5, unique_by=lambda x: (type(x), x)))

    event_pool = EVENTS if clean else EVENTS + ODD_EVENTS
    only_stops = draw(st.integers(0, 9)) == 0  # a log of drop_out/churn events only
    if only_stops:
        event_pool = ("drop_out", "churn")
    events = draw(st.lists(st.sampled_from(event_pool), min_size=n, max_size=n))
    channel = [
        draw(st.sampled_from(pool)) if e == "touch" else draw(st.sampled_from([None, pool[0]]))
        for e in events
    ]
    if not clean and n and draw(st.booleans()):
        channel[draw(st.integers(0, n - 1))] = None  # a touch without a channel

    values = [
        draw(st.sampled_from(EDGE_VALUES)) if e == "conversion" else 0.0 for e in events
    ]
    if not clean and n and draw(st.booleans()):
        values[draw(st.integers(0, n - 1))] = float(draw(st.sampled_from([np.nan, np.inf])))

    if cust_kind == "int":
        cust: Any = np.array(cust_codes, dtype=np.int64)
    elif cust_kind == "str":
        cust = pd.Series([f" c{c}" if c % 2 else f"c{c}" for c in cust_codes], dtype=object)
    elif cust_kind == "bigint":
        cust = np.array(cust_codes, dtype=np.int64) + np.int64(2**62)
    elif cust_kind == "mixed":  # 1 and "1" are different customers
        cust = pd.Series([c if c % 2 else str(c) for c in cust_codes], dtype=object)
    elif cust_kind == "float":
        cust = np.array(cust_codes, dtype=float) + 0.5
    else:
        cust = pd.Categorical([f"k{c}" for c in cust_codes], categories=[f"k{c}" for c in range(8)])

    frame = pd.DataFrame(
        {
            "customer_id": cust,
            "timestamp": _render_times(ticks, time_kind, draw),
            "event": pd.Series(events, dtype=object),
            "channel": _label_column(channel, draw, pool),
            "value": np.array(values, dtype=float),
        }
    )
    if stages and draw(st.booleans()):
        stage_pool = draw(
            st.lists(st.one_of(plain, odd), min_size=1, max_size=4, unique=True)
        )
        frame["stage"] = _label_column(
            [draw(st.sampled_from(stage_pool)) for _ in range(n)], draw, stage_pool
        )
    if covariates and draw(st.booleans()):
        seg = draw(st.lists(st.sampled_from(["x", "y", " x", "ü"]), min_size=n, max_size=n))
        frame["segment"] = pd.Series(seg, dtype=draw(st.sampled_from([object, "category"])))
        nums = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        score = pd.array(nums, dtype="Int64")
        if not clean and n:
            score[0] = pd.NA
        frame["score"] = score
        frame["flag"] = pd.array([x > 0 for x in nums], dtype="boolean")
        frame["size"] = np.array([draw(st.sampled_from(EDGE_VALUES)) for _ in range(n)])
    if variant:
        frame = _with_assignment(frame, draw, ticks, time_kind)
        ticks = frame.pop("_ticks").to_numpy()
    if not clean and n and draw(st.integers(0, 5)) == 0:
        frame.loc[frame.index[draw(st.integers(0, len(frame) - 1))], "timestamp"] = None

    order = draw(st.permutations(list(range(len(frame)))))
    frame = frame.iloc[order]
    ticks = ticks[order]
    frame.index = _odd_index(len(frame), draw)
    return Log(frame=frame, time_kind=time_kind, clean=clean, ticks=ticks)


def _with_assignment(frame: pd.DataFrame, draw: Any, ticks: np.ndarray, kind: str) -> pd.DataFrame:
    """Add one ``assignment`` event per customer, with its arm in a ``variant`` column."""
    arm_style = draw(st.sampled_from(("ab", "ab", "int", "mixed_1", "single")))
    arms = {"ab": ["A", "B"], "int": [0, 1], "mixed_1": [1, "1"], "single": ["A"]}[arm_style]
    custs = pd.unique(frame["customer_id"].astype(object))
    at = np.array([draw(st.integers(0, 24)) for _ in custs], dtype=np.int64)
    assign = pd.DataFrame(
        {
            "customer_id": pd.Series(list(custs), dtype=object),
            "timestamp": _render_times(at, kind, draw),
            "event": "assignment",
            "value": 0.0,
            "variant": pd.Series([arms[i % len(arms)] for i in range(len(custs))], dtype=object),
        }
    )
    out = frame.assign(_ticks=ticks, variant=None)
    assign["_ticks"] = at
    both = pd.concat([out, assign], ignore_index=True)
    if len(frame) and frame["customer_id"].dtype != object:
        try:
            both["customer_id"] = both["customer_id"].astype(frame["customer_id"].dtype)
        except (TypeError, ValueError):
            pass
    if isinstance(frame["timestamp"].dtype, pd.DatetimeTZDtype) or kind.startswith("datetime"):
        both["timestamp"] = both["timestamp"].astype(frame["timestamp"].dtype)
    return both


def relabel(frame: pd.DataFrame, draw: Any, column: str = "customer_id") -> pd.DataFrame:
    """The same log with customers renamed by a bijection (new names in another order)."""
    old = list(pd.unique(frame[column].astype(object)))
    names = [f"n{i:03d}" for i in draw(st.permutations(list(range(len(old)))))]
    mapping = dict(zip(old, names, strict=True))
    out = frame.copy()
    out[column] = pd.Series([mapping[c] for c in frame[column].astype(object)], index=frame.index)
    return out


# ---------------------------------------------------------------- path tables

SEPARATORS = (" > ", ">", " >", "> ")


@st.composite
def path_tables(draw: Any, *, max_rows: int = 12, clean: bool | None = None) -> pd.DataFrame:
    """A path table in ChannelAttribution's layout, as a user would hand it over."""
    if clean is None:
        clean = draw(st.booleans())
    sep = draw(st.sampled_from(SEPARATORS if not clean else (" > ", ">")))
    channels = draw(
        st.lists(
            st.one_of(st.sampled_from(PLAIN_LABELS), st.sampled_from(ODD_LABELS if not clean else ("café", "日本", "x y"))),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    n = draw(st.integers(1 if clean else 0, max_rows))
    rows = []
    for _ in range(n):
        k = draw(st.integers(0 if not clean else 1, 5))
        path = sep.join(draw(st.sampled_from(channels)) for _ in range(k))
        conv = draw(st.sampled_from((0, 0, 1, 2, 5, 1000, 2.5) if not clean else (0, 1, 2, 5)))
        null = draw(st.sampled_from((0, 1, 3, 10) if clean else (0, 1, 3, 10, -1, np.nan)))
        value = draw(st.sampled_from(EDGE_VALUES + ((np.nan,) if not clean else ())))
        if clean:
            value = abs(value) if conv else 0.0
        rows.append((path, conv, null, value))
    frame = pd.DataFrame(
        rows, columns=["path", "total_conversions", "total_null", "total_conversion_value"]
    )
    if len(frame) and draw(st.booleans()):  # a duplicated row
        frame = pd.concat([frame, frame.iloc[[0]]])
    if clean and len(frame) and (frame["total_conversions"] + frame["total_null"]).sum() == 0:
        frame.loc[frame.index[0], "total_null"] = 1
    frame.index = _odd_index(len(frame), draw)
    return frame


# ---------------------------------------------------------------- experiment tables


@st.composite
def experiment_tables(draw: Any, *, max_rows: int = 40, clean: bool | None = None) -> pd.DataFrame:
    """One row per customer: arm, 0/1 conversion, value, a pre-period covariate."""
    if clean is None:
        clean = draw(st.booleans())
    n = draw(st.integers(0 if not clean else 2, max_rows))
    style = draw(st.sampled_from(("ab", "abc", "int", "mixed_1", "single", "categorical")))
    arms = {
        "ab": ["A", "B"],
        "abc": ["A", "B", "C"],
        "int": [0, 1],
        "mixed_1": [1, "1"],
        "single": ["A"],
        "categorical": ["A", "B"],
    }[style]
    arm = draw(st.lists(st.sampled_from(arms), min_size=n, max_size=n))
    if clean and n >= len(arms):
        arm[: len(arms)] = arms  # every arm present
    conv_rate = draw(st.sampled_from((0.0, 0.1, 0.5, 1.0)))
    converted = [int(draw(st.floats(0, 1)) < conv_rate) for _ in range(n)]
    value = [draw(st.sampled_from(EDGE_VALUES)) * c for c in converted]
    pre = [draw(st.sampled_from((0.0, 1.0, 2.5, 1e6, 1e-300))) for _ in range(n)]
    sessions = [draw(st.integers(1, 5)) for _ in range(n)]
    table = pd.DataFrame(
        {
            "variant": pd.Series(arm, dtype=object),
            "converted": converted,
            "value": np.array(value, dtype=float),
            "pre_value": pre,
            "sessions": sessions,
            "segment": [draw(st.sampled_from(["x", "y"])) for _ in range(n)],
        }
    )
    if style == "categorical":
        table["variant"] = pd.Categorical(arm, categories=["A", "B", "unused"])
    if not clean and n:
        col = draw(st.sampled_from(["converted", "value", "pre_value", "variant"]))
        table[col] = table[col].astype(object)
        table.loc[table.index[draw(st.integers(0, n - 1))], col] = np.nan
    table = table.iloc[draw(st.permutations(list(range(n))))]
    table.index = _odd_index(n, draw)
    return table


# ---------------------------------------------------------------- survival tables


@st.composite
def survival_tables(draw: Any, *, max_rows: int = 30, clean: bool | None = None) -> pd.DataFrame:
    """One row per customer: ``duration``, ``event`` (0/1), a ``group`` label, a ``cause`` (0
    for censored, else one of two causes) and covariates ``x`` (numeric) and ``z`` (0/1):
    ties, zero durations, a single group, no events, huge and tiny times; unless ``clean``,
    also missing, negative and infinite durations and event codes other than 0/1."""
    if clean is None:
        clean = draw(st.booleans())
    n = draw(st.integers(1 if clean else 0, max_rows))
    times = (0.0, 0.5, 1.0, 1.0, 2.0, 3.0, 7.5, 1e-300, 1e6, 2.0**53 + 1)
    if not clean:
        times = times + (-1.0, np.nan, np.inf)
    duration = draw(st.lists(st.sampled_from(times), min_size=n, max_size=n))
    rate = draw(st.sampled_from((0.0, 0.3, 0.7, 1.0)))
    event = [int(draw(st.floats(0, 1)) < rate) for _ in range(n)]
    if not clean and n and draw(st.booleans()):
        event[draw(st.integers(0, n - 1))] = draw(st.sampled_from((2, -1, np.nan)))
    labels = draw(st.lists(st.one_of(st.sampled_from(PLAIN_LABELS), st.sampled_from(ODD_LABELS),
                                     st.sampled_from(TYPED_LABELS)),
                           min_size=1, max_size=3, unique_by=lambda x: (type(x), x)))
    group = [draw(st.sampled_from(labels)) for _ in range(n)]
    cause_codes = draw(st.sampled_from(((1, 2), ("purchase", "drop_out"), ("a", 1))))
    cause = [draw(st.sampled_from(cause_codes)) if e == 1 else 0 for e in event]
    x = [draw(st.sampled_from((0.0, 1.0, -2.5, 3.0, 1e6) if clean else EDGE_VALUES))
         for _ in range(n)]
    table = pd.DataFrame({
        "duration": np.array(duration, dtype=float),
        "event": pd.Series(event, dtype=object if any(isinstance(e, float) for e in event)
                           else np.int64),
        "group": pd.Series(group, dtype=object),
        "cause": pd.Series(cause, dtype=object),
        "x": np.array(x, dtype=float),
        "z": [draw(st.integers(0, 1)) for _ in range(n)],
    })
    table.index = _odd_index(n, draw)
    return table
