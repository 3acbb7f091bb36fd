"""The SQL the engines run, written as text: a leaf that only writes SQL.

One SQL formulation reduces an event table to journeys and path counts; a :class:`Dialect` only
spells the few functions that differ between engines (time to integer microseconds, ordered
string aggregation, identifier quoting). The journey rules are those of
:mod:`cjmodels.data.journeys`: the same tie order, outcome, ``timeout``, ``lookback`` and
censoring rules, and tests check that every backend returns the same table. Nothing here runs a
query: :mod:`cjmodels.data._engine` opens a DuckDB relation or a Spark DataFrame, runs these
queries and turns their rows into results.

How the path query works (one sort per customer, no ordered aggregate in the common case):

1. One window pass over each customer's events in tie order gives every event its row number
   and its neighbours' type and time (``LAG``/``LEAD``): whether it starts a journey and whether
   it is the journey's last event.
2. A running sum over the same customer numbers the journeys and gives each touch its position
   within its journey.
3. ``GROUP BY`` customer and journey: the outcome and value are read off the last event; the
   first ``digits`` touches of the path are packed into one integer (channel codes as digits in
   base ``n_channels + 1``), so the path needs no ordered string aggregation; touches beyond
   that (rare long journeys) are joined in order as a string tail.
4. ``GROUP BY`` the packed path: counts and value per path. Python decodes the few distinct
   keys into path strings.

Besides the path table: the checks :class:`~cjmodels.data.EventLog` makes, as one counting
query (:func:`validation_checks`); per-arm sums of an experiment table (:func:`arm_sums_sql`);
time to first purchase (:func:`first_purchase_sql`).

Examples
--------
>>> print(arm_sums_sql(DUCKDB, "t", "arm", ["y"]))
SELECT CAST("arm" AS VARCHAR) AS variant, count(*) AS n, SUM(CAST("y" AS DOUBLE)) AS "sum[y]", SUM(CAST("y" AS DOUBLE) * CAST("y" AS DOUBLE)) AS "sum[y*y]" FROM t GROUP BY CAST("arm" AS VARCHAR)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels.data.vocabulary import EVENT_TYPES, PATH_SEPARATOR
from cjmodels.errors import ValidationError

__all__ = [
    "DUCKDB",
    "NUMERIC_TYPES",
    "REASONS",
    "SPARK",
    "Columns",
    "Dialect",
    "arm_sums_sql",
    "base_type",
    "channel_codes_sql",
    "channels_sql",
    "check_columns",
    "digits_for",
    "end_literal",
    "first_purchase_sql",
    "journey_ctes",
    "journeys_sql",
    "path_counts_sql",
    "span",
    "time_expr",
    "validation_checks",
]

# --------------------------------------------------------------------------------- dialects
@dataclass(frozen=True)
class Dialect:
    """How one engine spells the non-portable pieces of the query."""

    name: str
    quote_char: str
    string_type: str
    #: SQL expression of a timestamp column (or literal) as integer microseconds since epoch,
    #: given the expression and the engine's type name.
    micros: Callable[[str, str], str]
    #: ordered join of ``value`` by ``key`` with a separator over the rows where ``cond`` holds
    #: (value, key, separator, cond)
    ordered_join: Callable[[str, str, str, str], str]
    is_finite: Callable[[str], str]
    #: integer division of two non-negative integers, rounded down
    int_div: Callable[[str, str], str] = lambda a, b: f"({a} // {b})"

    def q(self, name: str) -> str:
        c = self.quote_char
        return c + name.replace(c, c + c) + c

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.string_type})"


def _duck_micros(expr: str, typ: str) -> str:
    if typ.upper() == "DATE":
        return f"epoch_us(CAST({expr} AS TIMESTAMP))"
    return f"epoch_us({expr})"


def _spark_micros(expr: str, typ: str) -> str:
    t = typ.lower()
    if t == "timestamp":  # instants: exact
        return f"unix_micros({expr})"
    # wall-clock times (timestamp_ntz, date): microseconds since 1970-01-01 on the same clock
    return (
        f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', "
        f"CAST({expr} AS TIMESTAMP_NTZ))"
    )


DUCKDB = Dialect(
    name="duckdb",
    quote_char='"',
    string_type="VARCHAR",
    micros=_duck_micros,
    ordered_join=lambda value, key, sep, cond: (
        f"string_agg({value}, '{sep}' ORDER BY {key}) FILTER (WHERE {cond})"
    ),
    is_finite=lambda x: f"isfinite({x})",
)

SPARK = Dialect(
    name="spark",
    quote_char="`",
    string_type="STRING",
    micros=_spark_micros,
    ordered_join=lambda value, key, sep, cond: (
        f"array_join(transform(array_sort(collect_list(named_struct('k', {key}, 'v', {value})) "
        f"FILTER (WHERE {cond})), s -> s.v), '{sep}')"
    ),
    is_finite=lambda x: f"NOT (isnan({x}) OR abs({x}) = double('inf'))",
    int_div=lambda a, b: f"({a} div {b})",
)


# ------------------------------------------------------------------------------ the query
@dataclass(frozen=True)
class Columns:
    """Names and engine types of the event table's columns, checked."""

    customer: str
    timestamp: str
    event: str
    channel: str
    stage: str | None
    value: str | None
    time_type: str
    numeric_time: bool


NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "REAL",
            "DECIMAL", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "INT", "LONG",
            "SHORT", "BYTE")
_TEXT = ("VARCHAR", "STRING", "TEXT", "CHAR", "NULL", "VOID")  # NULL: an all-missing column
_TIME = ("TIMESTAMP", "DATE")


def base_type(typ: str) -> str:
    return typ.upper().split("(")[0].split(" ")[0].strip().strip('"')


def check_columns(
    present: dict[str, str],
    *,
    customer: str,
    timestamp: str,
    event: str,
    channel: str,
    stage: str | None,
    value: str | None,
    where: str,
) -> Columns:
    """Check names and types of an engine table's columns (``present``: name -> type name).

    Missing columns are named with the list of those present; a timestamp column must be a
    timestamp, date or number, event and channel must be text, value must be numeric.
    """
    cols = list(present)
    for role, name in (
        ("customer", customer),
        ("timestamp", timestamp),
        ("event", event),
        ("channel", channel),
    ):
        if name not in present:
            raise ValidationError(
                f"column {name!r} ({role}) not found in the {where}; it has columns {cols}. "
                f"Name the right column with {role}=..."
            )
    value = value if value is not None and value in present else None
    stage = stage if stage is not None and stage in present else None
    t_type = base_type(present[timestamp])
    is_time = t_type.startswith(_TIME)
    is_num = t_type in NUMERIC_TYPES or t_type in ("NULL", "VOID")  # all missing: rows say so
    if not (is_time or is_num):
        raise ValidationError(
            f"column {timestamp!r} (timestamp) has type {present[timestamp]} in the {where}, must "
            "be a timestamp, a date or a number. Text timestamps (or a column mixing text and "
            "numbers) cannot be ordered reliably: cast the column in the query that feeds "
            "cjmodels, e.g. CAST(ts AS TIMESTAMP)."
        )
    for role, name in (("event", event), ("channel", channel)):
        if base_type(present[name]) not in _TEXT:
            raise ValidationError(
                f"column {name!r} ({role}) has type {present[name]} in the {where}, must be text "
                f"(strings). Cast it, e.g. CAST({name} AS VARCHAR), or name another column."
            )
    if stage is not None and base_type(present[stage]) not in _TEXT:
        raise ValidationError(
            f"column {stage!r} (stage) has type {present[stage]} in the {where}, must be text."
        )
    if value is not None and base_type(present[value]) not in (*NUMERIC_TYPES, "NULL", "VOID"):
        raise ValidationError(
            f"column {value!r} (value) has type {present[value]} in the {where}, must be numeric. "
            "Cast it, e.g. CAST(value AS DOUBLE), or pass value=None."
        )
    return Columns(customer, timestamp, event, channel, stage, value, present[timestamp], is_num)


def time_expr(d: Dialect, cols: Columns, expr: str | None = None) -> str:
    """The timestamp column (or a literal) as the number the query orders and subtracts:
    integer microseconds for times, the number itself (as DOUBLE) for numeric times."""
    x = expr if expr is not None else d.q(cols.timestamp)
    if cols.numeric_time:
        return f"CAST({x} AS DOUBLE)"
    return d.micros(x, base_type(cols.time_type))


def span(value: Any, name: str, numeric_time: bool) -> float | int | None:
    """A positive span in the query's time unit (microseconds, or the numeric time unit)."""
    if value is None:
        return None
    if numeric_time:
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{name} == {value!r}, must be a number: the timestamps are numbers."
            ) from None
        if not (math.isfinite(out) and out > 0):
            raise ValidationError(f"{name} == {value!r}, must be a positive number.")
        return out
    try:
        td = as_timedelta(value)
    except (TypeError, ValueError):
        td = pd.NaT
    if pd.isna(td):
        raise ValidationError(f"{name} == {value!r}, must be a time span like '30D'.")
    if not td > pd.Timedelta(0):
        raise ValidationError(f"{name} == {value!r}, must be a positive time span.")
    if td.value % 1000:
        raise ValidationError(
            f"{name} == {value!r} has sub-microsecond precision; engines count time in "
            "microseconds."
        )
    return td.value // 1000


def _num(x: float | int) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


def digits_for(n_channels: int) -> int:
    """How many touches fit exactly into one packed int64 path key (at least 1)."""
    base = n_channels + 1
    return max(1, int(62 // math.log2(base))) if base > 1 else 62


def journey_ctes(
    d: Dialect,
    source: str,
    cols: Columns,
    *,
    timeout: float | int | None,
    lookback: float | int | None,
    observation_end: str | None,
    collapse_repeats: bool,
    channel_codes: str | None,
) -> str:
    """The ``WITH`` clauses down to ``g``: one row per event in a journey, with columns ``c``
    (customer), ``j`` (journey number), ``pos`` (position in the journey), ``ch``, ``code``
    (channel code, when ``channel_codes`` names a table ``(ch, code)``), ``kept`` (the touch
    enters the path), ``last`` (the journey's last event), ``outcome_at_last``, ``v``."""
    q, text = d.q, d.text
    t = time_expr(d, cols)
    ev_text = text(q(cols.event))
    rank = " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(EVENT_TYPES))
    st = f"COALESCE({text(q(cols.stage))}, '')" if cols.stage else "''"
    val = f"CAST({q(cols.value)} AS DOUBLE)" if cols.value else "CAST(0.0 AS DOUBLE)"
    gap_b = f" OR t - pt > {_num(timeout)}" if timeout is not None else ""
    gap_l = f" OR nt - t > {_num(timeout)}" if timeout is not None else ""
    end_expr = observation_end or f"(SELECT max({t}) FROM {source})"
    stale = ""
    if timeout is not None:
        stale = (
            f"WHEN e = 0 AND nt IS NOT NULL AND nt - t > {_num(timeout)} THEN 1 "
            f"WHEN obs_end - t > {_num(timeout)} THEN 1 "
        )
    code_join = (
        f"LEFT JOIN {channel_codes} cm ON cm.ch = x.ch" if channel_codes is not None else ""
    )
    code_col = "cm.code" if channel_codes is not None else "CAST(NULL AS BIGINT)"
    sym = "code" if channel_codes is not None else "ch"  # what collapse_repeats compares
    # codes follow the sorted channel names, so ties sort by integers, not strings; 0: no channel
    tie_ch = (
        "CASE WHEN x.ch IS NULL OR x.ch = '' THEN 0 ELSE cm.code END"
        if channel_codes is not None
        else "COALESCE(ch, '')"
    )
    chc = "ch, " if channel_codes is None else ""  # the readable query carries names
    # tie order of EventLog: time, event rank, then stage, channel, value (constant keys left out)
    order_by = ", ".join(
        ["t", "r"] + (["st"] if cols.stage else []) + ["tk"]
        + (["COALESCE(v, -1.0)"] if cols.value else [])
    )
    # the payload of the window sorts is kept narrow: names, times and flags are dropped as
    # soon as they are used
    lb_cols = "t, pt, " if lookback is not None else ""
    sym_col = "psym, " if collapse_repeats else ""
    sql = f"""
WITH cj_ev AS (
    SELECT x.c, x.t, x.e, x.r, x.st, x.v, {"x.ch, " if channel_codes is None else ""}
        {code_col} AS code, {tie_ch} AS tk
    FROM (
        SELECT {q(cols.customer)} AS c, {t} AS t,
            CASE {ev_text} WHEN 'touch' THEN 0 WHEN 'conversion' THEN 1 ELSE 2 END AS e,
            CASE {ev_text} {rank} END AS r,
            {text(q(cols.channel))} AS ch, {st} AS st, {val} AS v
        FROM {source}
        WHERE {ev_text} IN ('touch', 'conversion', 'drop_out', 'churn')
    ) x {code_join}
),
cj_w AS (
    SELECT c, t, e, {chc}code, v,
        ROW_NUMBER() OVER o AS rn,
        LAG(e) OVER o AS pe, LAG(t) OVER o AS pt, LEAD(t) OVER o AS nt,
        LAG({sym}) OVER o AS psym
    FROM cj_ev
    WINDOW o AS (PARTITION BY c ORDER BY {order_by})
),
cj_f AS (
    SELECT c, e, {chc}code, v, rn, {lb_cols}{sym_col}
        (pe IS NULL OR pe <> 0{gap_b}) AS b,
        (nt IS NULL OR e <> 0{gap_l}) AS last,
        CASE WHEN e = 1 THEN 0 WHEN e = 2 THEN 1 {stale}ELSE 2 END AS outcome_at_last
    FROM cj_w, (SELECT {end_expr} AS obs_end) oe
),
cj_g0 AS (
    SELECT x.*,
        SUM(CASE WHEN b THEN 1 ELSE 0 END) OVER s AS j,
        rn - MAX(CASE WHEN b THEN rn ELSE 0 END) OVER s AS pos
    FROM cj_f x
    WHERE NOT (b AND e = 2)
    WINDOW s AS (PARTITION BY c ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),"""
    if lookback is not None:
        sql += """
cj_je AS (SELECT c, j, max(t) AS end_t FROM cj_g0 GROUP BY c, j),
cj_g1 AS (SELECT cj_g0.*, cj_je.end_t FROM cj_g0
    JOIN cj_je ON cj_g0.c = cj_je.c AND cj_g0.j = cj_je.j),"""
        keep = f"e = 0 AND t >= end_t - {_num(lookback)}"
        first_kept = f"(b OR pt < end_t - {_num(lookback)})"
        src_g = "cj_g1"
    else:
        keep = "e = 0"
        first_kept = "b"
        src_g = "cj_g0"
    if collapse_repeats:
        keep = f"{keep} AND ({first_kept} OR psym <> {sym})"
    sql += f"""
cj_g AS (
    SELECT c, j, pos, {chc}code, v, last, ({keep}) AS kept, outcome_at_last
    FROM {src_g}
)"""
    return sql


def journeys_sql(d: Dialect, ctes: str) -> str:
    """One row per journey: ``path`` (ordered string), ``outcome``, ``value``: readable SQL."""
    path = d.ordered_join("ch", "pos", PATH_SEPARATOR, "kept")
    return f"""{ctes}
SELECT {path} AS path,
    MAX(CASE WHEN last THEN outcome_at_last END) AS outcome,
    SUM(CASE WHEN last AND outcome_at_last = 0 THEN COALESCE(v, 0.0) ELSE 0.0 END) AS value
FROM cj_g GROUP BY c, j"""


def path_counts_sql(d: Dialect, ctes: str, n_channels: int) -> str:
    """Counts per packed path: ``k`` (int64 key of the first touches), ``tail`` (the rest,
    ordered, as a string; NULL or empty when none), totals. Needs ``channel_codes``."""
    m = digits_for(n_channels)
    base = n_channels + 1
    powers = " ".join(f"WHEN {i} THEN {base**i}" for i in range(m))
    tail = d.ordered_join(d.text("code"), "pos", ",", f"kept AND pos >= {m}")
    return f"""{ctes},
cj_jr AS (
    SELECT
        CAST(SUM(CASE WHEN kept AND pos < {m} THEN code * (CASE pos {powers} END) ELSE 0 END)
            AS BIGINT) AS k,
        {tail} AS tail,
        MAX(CASE WHEN last THEN outcome_at_last END) AS outcome,
        SUM(CASE WHEN last AND outcome_at_last = 0 THEN COALESCE(v, 0.0) ELSE 0.0 END) AS value
    FROM cj_g GROUP BY c, j
)
SELECT k, tail,
    CAST(SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END) AS BIGINT) AS total_conversions,
    CAST(SUM(CASE WHEN outcome = 0 THEN 0 ELSE 1 END) AS BIGINT) AS total_null,
    SUM(value) AS total_conversion_value,
    CAST(SUM(CASE WHEN outcome = 2 THEN 1 ELSE 0 END) AS BIGINT) AS total_censored
FROM cj_jr GROUP BY k, tail"""


def channel_codes_sql(d: Dialect, channels: list[str]) -> str:
    """An inline table ``(ch, code)`` with codes 1..n in the order of ``channels``."""
    if not channels:
        return f"(SELECT CAST(NULL AS {d.string_type}) AS ch, CAST(0 AS BIGINT) AS code)"
    rows = ", ".join(
        "(" + "'" + c.replace("'", "''") + "'" + f", CAST({i + 1} AS BIGINT))"
        for i, c in enumerate(channels)
    )
    return f"(SELECT * FROM (VALUES {rows}) AS cm0(ch, code))"


def channels_sql(d: Dialect, source: str, cols: Columns) -> str:
    """Distinct channels on touch rows."""
    return (
        f"SELECT DISTINCT {d.text(d.q(cols.channel))} AS ch FROM {source} "
        f"WHERE {d.text(d.q(cols.event))} = 'touch'"
    )


def validation_checks(d: Dialect, cols: Columns, end_sql: str | None = None) -> dict[str, str]:
    """Message -> SQL condition of a bad row: the checks :class:`EventLog` makes (with
    ``end_sql``, an observation end in the query's time unit, also: no event after it)."""
    q, text = d.q, d.text
    allowed = ", ".join(f"'{e}'" for e in EVENT_TYPES)
    ev = text(q(cols.event))
    checks = {
        f"column {cols.customer!r} (customer id) has missing values": f"{q(cols.customer)} IS NULL",
        f"column {cols.timestamp!r} (timestamp) has missing values": f"{q(cols.timestamp)} IS NULL",
        f"column {cols.event!r} (event type) has missing values": f"{q(cols.event)} IS NULL",
        f"column {cols.event!r} (event type) has values outside {list(EVENT_TYPES)}": (
            f"{q(cols.event)} IS NOT NULL AND {ev} NOT IN ({allowed})"
        ),
        f"column {cols.channel!r} (channel) is missing on touch rows": (
            f"{ev} = 'touch' AND {q(cols.channel)} IS NULL"
        ),
        f"column {cols.channel!r} (channel) contains '>'": (
            f"instr({text(q(cols.channel))}, '>') > 0"
        ),
    }
    if cols.numeric_time:
        checks[f"column {cols.timestamp!r} (timestamp) is not finite"] = (
            f"NOT {d.is_finite(f'CAST({q(cols.timestamp)} AS DOUBLE)')}"
        )
    if cols.value is not None:
        v = f"CAST({q(cols.value)} AS DOUBLE)"
        checks[f"column {cols.value!r} (value) is negative"] = f"{v} < 0"
        checks[f"column {cols.value!r} (value) is not finite"] = (
            f"{v} IS NOT NULL AND NOT {d.is_finite(v)}"
        )
        checks[f"column {cols.value!r} (value) is missing on conversion rows"] = (
            f"{ev} = 'conversion' AND {q(cols.value)} IS NULL"
        )
    if end_sql is not None:
        checks[f"column {cols.timestamp!r} (timestamp) has events after observation_end; "
               "filter them in the query that feeds cjmodels, or move observation_end"] = (
            f"{time_expr(d, cols)} > {end_sql}"
        )
    return checks



# ------------------------------------------------------------------ experiment statistics
def arm_sums_sql(d: Dialect, source: str, variant: str, columns: list[str]) -> str:
    """Per arm: ``n``, ``sum[c]`` per column and ``sum[c*e]`` per pair (c before e): the
    sufficient statistics of every experiment test, in one ``GROUP BY``."""
    q = d.q
    x = [f"CAST({q(c)} AS DOUBLE)" for c in columns]
    sel = [f"{d.text(q(variant))} AS variant", "count(*) AS n"]
    sel += [f"SUM({x[i]}) AS {q(f'sum[{c}]')}" for i, c in enumerate(columns)]
    for i, a in enumerate(columns):
        for j in range(i, len(columns)):
            sel.append(f"SUM({x[i]} * {x[j]}) AS {q(f'sum[{a}*{columns[j]}]')}")
    return f"SELECT {', '.join(sel)} FROM {source} GROUP BY {d.text(q(variant))}"




# -------------------------------------------------------------- time-to-purchase statistic
#: censor_reason codes of :func:`first_purchase_sql`, in the order of their labels
REASONS = (None, "drop_out", "observation_end")


def first_purchase_sql(
    d: Dialect,
    source: str,
    cols: Columns,
    *,
    origin: str,
    censor_at_drop_out: bool,
    observation_end: str | None,
    by_first_channel: bool,
    resolution: float | int | None = None,
) -> str:
    """Counts of customers per (``excluded``, ``event``, ``reason``, ``dur``, ``ch1``): the rules
    of :func:`cjmodels.data.time_to_first_purchase` in one query.

    ``excluded`` is 0 for customers with a row, 1 for a purchase before the first touch, 2 for
    no touch; ``reason`` indexes :data:`REASONS`; ``dur`` is the stop time minus the origin in
    the query's time unit (integer microseconds, or the numeric time); ``ch1`` is the channel
    of the first touch before the stop (NULL without ``by_first_channel``). With a
    ``resolution`` (in the same unit) durations are rounded down to its multiples.

    At equal times the tie order of :class:`EventLog` decides: a touch comes before a purchase
    or a drop-out at the same time, and among touches at one time stage, channel and value
    order them.
    """
    q, text = d.q, d.text
    t = time_expr(d, cols)
    ev = text(q(cols.event))
    st = f"COALESCE({text(q(cols.stage))}, '')" if cols.stage else "''"
    val = f"COALESCE(CAST({q(cols.value)} AS DOUBLE), -1.0)" if cols.value else "0.0"
    start = "tt" if origin == "first-touch" else "t0"
    drop = "MIN(CASE WHEN e = 2 AND t >= ts THEN t END) OVER p" if censor_at_drop_out else "NULL"
    end_expr = observation_end or f"(SELECT max({t}) FROM {source})"
    dur = "COALESCE(stop, obs_end) - ts"
    if resolution is not None:
        step = _num(resolution)
        dur = (f"FLOOR(({dur}) / {step}) * {step}" if cols.numeric_time
               else f"{d.int_div('(' + dur + ')', step)} * {step}")
    first_ch = (
        "CASE WHEN e = 0 THEN ROW_NUMBER() OVER (PARTITION BY c, e ORDER BY t, st, ch, v) END"
        if by_first_channel
        else "CAST(NULL AS BIGINT)"
    )
    return f"""
WITH cj_ev AS (
    SELECT {q(cols.customer)} AS c, {t} AS t,
        CASE {ev} WHEN 'touch' THEN 0 WHEN 'conversion' THEN 1 WHEN 'drop_out' THEN 2 ELSE 3 END
            AS e,
        {text(q(cols.channel))} AS ch, {st} AS st, {val} AS v
    FROM {source}
),
cj_w AS (
    SELECT c, t, e, ch,
        MIN(t) OVER p AS t0,
        MIN(CASE WHEN e = 0 THEN t END) OVER p AS tt,
        MIN(CASE WHEN e = 1 THEN t END) OVER p AS tc,
        {first_ch} AS trn
    FROM cj_ev
    WINDOW p AS (PARTITION BY c)
),
cj_s AS (SELECT c, t, e, ch, trn, tt, tc, {start} AS ts FROM cj_w),
cj_d AS (
    SELECT c, t, e, ch, trn, tt, tc, ts, {drop} AS td
    FROM cj_s
    WINDOW p AS (PARTITION BY c)
),
cj_x AS (
    SELECT c, t, e, ch, trn, tt, tc, ts, td,
        CASE WHEN tc IS NOT NULL THEN tc ELSE td END AS stop
    FROM cj_d
),
cj_c AS (
    SELECT c, MIN(ts) AS ts, MIN(tt) AS tt, MIN(tc) AS tc, MIN(td) AS td, MIN(stop) AS stop,
        MAX(CASE WHEN trn = 1 THEN ch END) AS ch1
    FROM cj_x GROUP BY c
),
cj_r AS (
    SELECT
        CASE WHEN ts IS NULL THEN 2 WHEN tc IS NOT NULL AND tc < ts THEN 1 ELSE 0 END
            AS excluded,
        CASE WHEN tc IS NOT NULL THEN 1 ELSE 0 END AS event,
        CASE WHEN tc IS NOT NULL THEN 0 WHEN td IS NOT NULL THEN 1 ELSE 2 END AS reason,
        {dur} AS dur,
        CASE WHEN tt IS NOT NULL AND (stop IS NULL OR tt <= stop) THEN ch1 END AS ch1
    FROM cj_c, (SELECT {end_expr} AS obs_end) oe
)
SELECT excluded, event, reason,
    CASE WHEN excluded = 0 THEN dur END AS dur,
    CASE WHEN excluded = 0 THEN ch1 END AS ch1,
    CAST(count(*) AS BIGINT) AS customers
FROM cj_r
GROUP BY excluded, event, reason, CASE WHEN excluded = 0 THEN dur END,
    CASE WHEN excluded = 0 THEN ch1 END"""


def end_literal(d: Dialect, cols: Columns, observation_end: Any) -> str | None:
    """``observation_end`` as an SQL expression in the query's time unit (None: the latest
    time in the table)."""
    if observation_end is None:
        return None
    if cols.numeric_time:
        try:
            return repr(float(observation_end))
        except (TypeError, ValueError):
            raise ValidationError(
                f"observation_end == {observation_end!r}, must be a number: the timestamps are "
                "numbers."
            ) from None
    try:
        ts = pd.Timestamp(observation_end)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        raise ValidationError(f"observation_end == {observation_end!r}, must be a timestamp.")
    lit = "TIMESTAMP '" + ts.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
    return time_expr(d, cols, lit)

