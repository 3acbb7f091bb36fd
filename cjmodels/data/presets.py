"""Column-mapping presets for common analytics exports: GA4, Amplitude, Mixpanel, Segment.

An :class:`ExportPreset` says which column of an export is the customer, the time (and in
which unit), the event, the channel and the value, which event names of the vendor's own
vocabulary are touches or conversions, and the vendor-specific rules an analyst would apply by
hand: GA4's microsecond timestamps and text ids, Mixpanel's UTM parameters carried forward
within the customer, Segment's anonymous devices resolved to the user they later identified as,
duplicates dropped on the export's event id. :func:`read_export` applies one to a file or a
DataFrame and returns the event log with a table of every rule it applied and how many rows it
touched: nothing is dropped, filled or converted without a count.

Every preset's timestamps come out as UTC datetimes (all four vendors record UTC). Event names
beyond the vendor's standard ones are the analyst's to map (``event_map=``); an event name that
no map covers is refused (or dropped and counted with ``unmapped="drop"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data.events import EventLog
from cjmodels.data.io import read_table
from cjmodels.data.prepare import PreparedLog
from cjmodels.data.vocabulary import EVENT_TYPES
from cjmodels.errors import ValidationError

__all__ = ["EXPORT_PRESETS", "ExportPreset", "read_export"]

_UNITS = ("s", "ms", "us", "ns")
_UNMAPPED = ("error", "drop")
#: EventLog options a caller may pass to override a preset's columns or add settings
_COLUMN_OPTIONS = ("customer", "timestamp", "event", "channel", "value", "covariates")
_LOG_OPTIONS = ("scheme", "observation_start", "observation_end", "event_types", "stage")


@dataclass(frozen=True)
class ExportPreset:
    """How the columns of one analytics export map onto the event log.

    Parameters
    ----------
    name : str
        The preset's name (``"ga4"``).
    customer : str
        The customer column (read as text when its values are not whole numbers).
    timestamp : str
        The time column.
    event : str
        The column of event names.
    time_unit : {"s", "ms", "us", "ns"} or None
        The unit of a numeric time column (seconds, ..., since the epoch, UTC); None when the
        column holds time strings (read as UTC when they carry no offset).
    channel : str or None
        The channel column; None for none.
    value : str or None
        The revenue column; None for none. A column that the export lacks is left out.
    event_map : mapping of str to str or None
        The vendor's standard event names onto event types (``None``: dropped, counted). The
        caller's ``event_map`` is added on top.
    covariates : tuple of str
        Columns carried along when the export has them.
    channel_fill : str or None
        The channel of a touch without one (a visit without campaign parameters), counted;
        None leaves it missing (then refused on touches).
    carry_channel : bool
        Carry the last channel forward within the customer before filling (exports that record
        campaign parameters only on the landing event).
    identity : str or None
        A device column whose rows take the customer id the device was later identified with
        (its first non-missing ``customer`` value), and the device id when it never was.
    dedupe : tuple of str
        Columns that identify one event (the export's event id); rows repeating all of them
        are dropped as duplicates, counted. Ignored when the export lacks one of them.

    Examples
    --------
    >>> from cjmodels.data import ExportPreset
    >>> mine = ExportPreset("shop", customer="visitor", timestamp="ts", event="action",
    ...                     time_unit="ms", event_map={"visit": "touch", "order": "conversion"})
    >>> mine.replace(channel="source").channel
    'source'
    """

    name: str
    customer: str
    timestamp: str
    event: str
    time_unit: str | None = None
    channel: str | None = None
    value: str | None = None
    event_map: Mapping[str, str | None] = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    channel_fill: str | None = "(direct)"
    carry_channel: bool = False
    identity: str | None = None
    dedupe: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("name", "customer", "timestamp", "event"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValidationError(
                    f"ExportPreset({name}={getattr(self, name)!r}): {name} must be a non-empty "
                    "str (a column name)."
                )
        for name in ("channel", "value", "channel_fill", "identity"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise ValidationError(f"ExportPreset({name}={v!r}): must be a str or None.")
        if self.time_unit is not None and self.time_unit not in _UNITS:
            raise ValidationError(
                f"ExportPreset(time_unit={self.time_unit!r}): must be one of {list(_UNITS)} "
                "or None."
            )
        if not isinstance(self.carry_channel, bool | np.bool_):
            raise ValidationError(
                f"ExportPreset(carry_channel={self.carry_channel!r}): must be True or False."
            )
        _check_event_map(self.event_map, "ExportPreset(event_map=...)")
        for name in ("covariates", "dedupe"):
            v = getattr(self, name)
            if isinstance(v, str) or not all(isinstance(c, str) for c in v):
                raise ValidationError(
                    f"ExportPreset({name}={v!r}): must be a tuple of column names."
                )
            object.__setattr__(self, name, tuple(v))
        object.__setattr__(self, "event_map", dict(self.event_map))

    def replace(self, **changes: Any) -> ExportPreset:
        """A copy with ``changes`` (validated again).

        Parameters
        ----------
        **changes
            New values of fields (``channel=``, ``event_map=``, ...).

        Returns
        -------
        ExportPreset
            The changed copy; ``self`` is unchanged.

        Examples
        --------
        >>> from cjmodels.data import EXPORT_PRESETS
        >>> EXPORT_PRESETS["ga4"].replace(channel="session_medium").channel
        'session_medium'
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValidationError(f"ExportPreset has no fields {unknown}.")
        return dataclasses.replace(self, **changes)


def _check_event_map(event_map: Any, where: str) -> None:
    if not isinstance(event_map, Mapping) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in event_map.items()
    ):
        raise ValidationError(
            f"{where}: must map event names (str) onto event types (str), or onto None to "
            "drop them, e.g. {'page_view': None, 'purchase': 'conversion'}."
        )


#: The presets of :func:`read_export`, by name: ``"ga4"`` (BigQuery export, flattened),
#: ``"amplitude"`` (export API), ``"mixpanel"`` (raw export, flattened) and ``"segment"``
#: (warehouse ``tracks`` table).
EXPORT_PRESETS: dict[str, ExportPreset] = {
    "ga4": ExportPreset(
        "ga4", customer="user_pseudo_id", timestamp="event_timestamp", event="event_name",
        time_unit="us", channel="collected_traffic_source_manual_medium",
        value="ecommerce_purchase_revenue",
        event_map={"session_start": "touch", "purchase": "conversion"},
        covariates=("device_category", "geo_country"),
    ),
    "amplitude": ExportPreset(
        "amplitude", customer="amplitude_id", timestamp="event_time", event="event_type",
        channel="user_properties_utm_medium", value="revenue",
        event_map={"[Amplitude] Page Viewed": "touch"},
        covariates=("platform", "country"), dedupe=("amplitude_id", "$insert_id"),
    ),
    "mixpanel": ExportPreset(
        "mixpanel", customer="distinct_id", timestamp="time", event="event", time_unit="s",
        channel="utm_medium", value="amount", event_map={"$mp_web_page_view": "touch"},
        covariates=("mp_country_code",), carry_channel=True,
        dedupe=("event", "distinct_id", "time", "$insert_id"),
    ),
    "segment": ExportPreset(
        "segment", customer="user_id", timestamp="timestamp", event="event",
        channel="context_campaign_medium", value="revenue",
        event_map={"Order Completed": "conversion"}, identity="anonymous_id", dedupe=("id",),
    ),
}


def _utc(col: pd.Series, name: str, unit: str | None) -> pd.Series:
    """A time column as UTC datetimes: numbers in ``unit`` since the epoch, or time strings."""
    if col.dtype == object:
        values = col.dropna()
        kinds = {type(v) for v in values}
        if kinds and not all(issubclass(k, str) for k in kinds):
            if unit is not None and all(issubclass(k, int | np.integer) and not issubclass(
                    k, bool | np.bool_) for k in kinds) and len(values) == len(col):
                try:  # Python ints in an object column: exact when they fit in int64
                    col = pd.Series(np.array(list(col), dtype=np.int64), index=col.index)
                except OverflowError:
                    raise ValidationError(
                        f"column {name!r} (timestamp) holds integers beyond the int64 range."
                    ) from None
            else:
                raise ValidationError(
                    f"column {name!r} (timestamp) mixes {sorted(k.__name__ for k in kinds)}; "
                    + ("the preset reads whole numbers of " + unit + " since the epoch"
                       if unit is not None else "the preset reads time strings")
                    + ". Convert the column to one type first."
                )
    try:
        if unit is not None and (pd.api.types.is_numeric_dtype(col)
                                 and not pd.api.types.is_bool_dtype(col)):
            if col.isna().any():
                bad = col.index[col.isna()][:5].tolist()
                raise ValidationError(
                    f"column {name!r} (timestamp) has {int(col.isna().sum())} missing values, "
                    f"first at rows {bad}; drop or fix these rows."
                )
            if col.dtype.kind == "f" and not np.all(np.mod(col.to_numpy(), 1) == 0):
                raise ValidationError(
                    f"column {name!r} (timestamp) holds fractional numbers; the preset reads "
                    f"whole {unit} since the epoch. Convert the column yourself."
                )
            return pd.to_datetime(col.astype(np.int64), unit=unit, utc=True)
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            return col.dt.tz_convert("UTC")
        if col.dtype.kind == "M":
            return col.dt.tz_localize("UTC")
        if pd.api.types.is_numeric_dtype(col):
            raise ValidationError(
                f"column {name!r} (timestamp) holds numbers, but the preset reads time strings "
                "there; give the preset a time_unit (preset.replace(time_unit='s'))."
            )
        return pd.to_datetime(col, utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(
            f"column {name!r} (timestamp) cannot be read as times ({exc}); check the column, "
            "or name another one with timestamp=..."
        ) from None


def read_export(
    data: str | PathLike[str] | pd.DataFrame,
    *,
    preset: str | ExportPreset,
    event_map: Mapping[str, str | None] | None = None,
    unmapped: str = "error",
    **log_options: Any,
) -> PreparedLog:
    """Read an analytics export (a file or a DataFrame) into an event log through a preset.

    The rules of each preset (see :data:`EXPORT_PRESETS` and the user guide, "Sessions and
    data preparation"):

    * ``"ga4"``: customer ``user_pseudo_id`` (as text), time ``event_timestamp``
      (microseconds since the epoch, UTC), event ``event_name`` (``session_start`` a touch,
      ``purchase`` the conversion), channel ``collected_traffic_source_manual_medium``
      (the campaign medium collected with the event; ``"(direct)"`` where none was), value
      ``ecommerce_purchase_revenue``, covariates ``device_category``, ``geo_country``.
    * ``"amplitude"``: customer ``amplitude_id``, time ``event_time`` (UTC text), event
      ``event_type`` (``[Amplitude] Page Viewed`` a touch), channel
      ``user_properties_utm_medium`` (``"(direct)"`` where missing), value ``revenue``,
      covariates ``platform``, ``country``; duplicates on ``$insert_id`` dropped.
    * ``"mixpanel"``: customer ``distinct_id``, time ``time`` (seconds since the epoch, UTC),
      event ``event`` (``$mp_web_page_view`` a touch), channel ``utm_medium`` carried forward
      within the customer (Mixpanel records it on the landing page view only), then
      ``"(direct)"``; value ``amount``; covariate ``mp_country_code``; duplicates on
      ``$insert_id`` (with event, customer and time: Mixpanel's own rule) dropped.
    * ``"segment"``: customer ``user_id``, and for anonymous events the ``user_id`` their
      ``anonymous_id`` later identified as (else the ``anonymous_id``); time ``timestamp``
      (UTC); event ``event`` (``Order Completed`` the conversion); channel
      ``context_campaign_medium`` (``"(direct)"`` where missing); value ``revenue``;
      duplicates on the message ``id`` dropped.

    Parameters
    ----------
    data : str, path-like or DataFrame
        The export: a CSV or Parquet file (read as :func:`cjmodels.data.read_events` reads files: the
        customer column as text unless every id is a whole number; rows in messages are file
        lines), or a DataFrame already loaded (customer ids that pandas read as floats are
        refused: read them as text).
    preset : str or ExportPreset
        A name of :data:`EXPORT_PRESETS` or a preset of your own.
    event_map : mapping, optional
        Your event names onto event types, on top of the preset's (``None`` drops a name,
        counted). Names neither map covers are handled by ``unmapped``.
    unmapped : {"error", "drop"}
        Refuse event names that no map covers (the message lists them), or drop their rows
        (counted, with a warning).
    **log_options
        Override a preset's column (``customer=``, ``timestamp=``, ``event=``,
        ``channel=``, ``value=``, ``covariates=``) or pass further options of
        :class:`~cjmodels.data.EventLog` (``scheme=``, ``stage=``, ``event_types=``, the
        observation window).

    Returns
    -------
    PreparedLog
        ``log``: the validated event log (UTC timestamps, canonical columns, the covariates);
        ``changes``: one row per rule applied (``rule``, ``column``, ``n_rows``, ``detail``):
        ids read as text, times converted, each event name mapped or dropped, channels carried
        or filled, customers resolved, duplicates dropped; ``n_events_before`` counts the rows
        of the export, ``n_changed`` the rows dropped; ``info`` holds the preset's name and the
        dropped counts.

    Raises
    ------
    ValidationError
        For an unknown preset, a column the export lacks, unmapped event names (with
        ``unmapped="error"``), times that cannot be read, customer ids read as floats, or an
        export that is not a valid event log once mapped (the message names the rows).

    Examples
    --------
    >>> export = pd.DataFrame({
    ...     "event_timestamp": [1740993245120345, 1740993245870211, 1741201622310974],
    ...     "event_name": ["session_start", "page_view", "purchase"],
    ...     "user_pseudo_id": ["1873420351.1740993245"] * 3,
    ...     "collected_traffic_source_manual_medium": ["organic", "organic", None],
    ...     "ecommerce_purchase_revenue": [None, None, 59.9],
    ... })
    >>> prepared = read_export(export, preset="ga4", event_map={"page_view": None})
    >>> prepared.log
    EventLog(2 events, 1 customers, 1 conversions, 2 channels, 2025-03-03 09:14:05.120345+00:00 .. 2025-03-05 19:07:02.310974+00:00)
    >>> prepared.changes[["rule", "n_rows", "detail"]]
                rule  n_rows                                       detail
    0      timestamp       3  microseconds since the epoch, as UTC datetimes
    1          event       1                      'session_start' -> touch
    2          event       1                      'purchase' -> conversion
    3  event-dropped       1                    'page_view' (event_map: None)
    4   channel-fill       1            missing on 1 rows: filled '(direct)'
    """
    if isinstance(preset, str):
        if preset not in EXPORT_PRESETS:
            raise ValidationError(
                f"preset == {preset!r}, must be one of {sorted(EXPORT_PRESETS)} or an "
                "ExportPreset of your own."
            )
        preset = EXPORT_PRESETS[preset]
    elif not isinstance(preset, ExportPreset):
        raise ValidationError(
            f"preset == {preset!r} (a {type(preset).__name__}); pass a name of "
            f"{sorted(EXPORT_PRESETS)} or an ExportPreset."
        )
    if unmapped not in _UNMAPPED:
        raise ValidationError(f"unmapped == {unmapped!r}, must be one of 'error', 'drop'.")
    if event_map is not None:
        _check_event_map(event_map, "event_map")
    unknown = sorted(set(log_options) - set(_COLUMN_OPTIONS) - set(_LOG_OPTIONS))
    if unknown:
        raise ValidationError(
            f"unknown options {unknown}; read_export takes the column options "
            f"{list(_COLUMN_OPTIONS)} and the EventLog options {list(_LOG_OPTIONS)}."
        )
    over = {k: log_options.pop(k) for k in _COLUMN_OPTIONS if k in log_options}
    p = preset.replace(**{k: (tuple(v) if k == "covariates" and v is not None else v)
                          for k, v in over.items() if k != "covariates"})
    covariates = over.get("covariates", p.covariates)
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(covariates or ())

    file_name = None
    if isinstance(data, str | PathLike):
        df = read_table(data, what="event log", expected=[p.customer, p.timestamp, p.event],
                        ids=[p.customer] + ([p.identity] if p.identity else []))
        file_name = df.attrs.get("file")
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise ValidationError(
            f"data is a {type(data).__name__}; pass the export as a file path or a DataFrame."
        )
    rows_are = df.attrs.get("rows_are", "row positions")

    def fail(message: str) -> ValidationError:
        prefix = f"{file_name}: " if file_name else ""
        rows = f" Rows are {rows_are}." if file_name and "row" in message else ""
        return ValidationError(f"{prefix}{message}{rows}")

    n_rows = len(df)
    if n_rows == 0:
        raise fail("the export is empty (0 rows).")
    needed = [p.customer, p.timestamp, p.event] + ([p.identity] if p.identity else [])
    for role, col in zip(("customer", "timestamp", "event", "identity"), needed, strict=False):
        if col not in df.columns:
            raise fail(
                f"column {col!r} ({role} of preset {p.name!r}) not found; the export has "
                f"columns {list(map(str, df.columns))[:20]}. Name the right column with "
                f"{role}=..."
            )
    for role, col in (("channel", p.channel), ("value", p.value)):
        if col is not None and col not in df.columns and role in over:
            raise fail(f"column {col!r} ({role}) not found in the export.")
    changes: list[dict[str, Any]] = []

    def note(rule: str, column: str, n: int, detail: str) -> None:
        changes.append({"rule": rule, "column": column, "n_rows": int(n), "detail": detail})

    work = df
    # ------------------------------------------------------------------ duplicates
    dropped_duplicates = 0
    if p.dedupe and all(c in work.columns for c in p.dedupe):
        dup = work.duplicated(subset=list(p.dedupe), keep="first").to_numpy()
        dropped_duplicates = int(dup.sum())
        if dropped_duplicates:
            work = work[~dup]
            note("duplicates-dropped", ", ".join(p.dedupe), dropped_duplicates,
                 "rows repeating an earlier row's event id")
    # ------------------------------------------------------------------ customer
    cust = work[p.customer]
    if cust.dtype.kind == "f":
        raise fail(
            f"column {p.customer!r} (customer) was read as floats, which round long ids "
            f"(GA4's '1873420351.1740993245') and can merge customers; read it as text, "
            f"e.g. pd.read_csv(..., dtype={{{p.customer!r}: str}}), or pass the file path."
        )
    if p.identity is not None:
        device = work[p.identity]
        if device.isna().any():
            bad = work.index[device.isna().to_numpy()][:5].tolist()
            raise fail(
                f"column {p.identity!r} (the device of preset {p.name!r}) is missing at rows "
                f"{bad}; every event needs a device or a customer."
            )
        # grouped by position (an index may repeat labels); ids as objects (a categorical
        # column cannot take the device ids)
        cust = cust.astype(object)
        keys = device.astype(object).to_numpy()
        known = cust.groupby(keys, sort=False).transform("first")
        has = cust.notna().to_numpy()
        many = cust[has].groupby(keys[has]).nunique()
        resolved = cust.isna() & known.notna()
        anonymous = cust.isna() & known.isna()
        cust = cust.where(cust.notna(), known).where(lambda s: s.notna(), device)
        if int(resolved.sum()):
            note("customer-resolved", p.identity, int(resolved.sum()),
                 f"anonymous events given the {p.customer} their device identified as")
        if int(anonymous.sum()):
            note("customer-device", p.identity, int(anonymous.sum()),
                 f"events of devices never identified: the {p.identity} is the customer")
        if int((many > 1).sum()):
            warn_user(
                f"read_export: {int((many > 1).sum())} devices ({p.identity}) identified as "
                f"more than one {p.customer}; their anonymous events went to the first."
            )
            note("customer-shared-device", p.identity, int((many > 1).sum()),
                 "devices with several identified customers (the first was used)")
    # ------------------------------------------------------------------ timestamp
    ts = _utc(work[p.timestamp], p.timestamp, p.time_unit)
    unit_words = {"s": "seconds", "ms": "milliseconds", "us": "microseconds",
                  "ns": "nanoseconds"}
    detail = (f"{unit_words[p.time_unit]} since the epoch, as UTC datetimes"
              if p.time_unit is not None and work[p.timestamp].dtype.kind in "iuf"
              else "read as UTC datetimes")
    note("timestamp", p.timestamp, len(work), detail)
    # ------------------------------------------------------------------ events
    full_map: dict[str, str | None] = {**p.event_map, **(event_map or {})}
    names = work[p.event]
    if names.isna().any():
        bad = work.index[names.isna().to_numpy()][:5].tolist()
        raise fail(f"column {p.event!r} (event) is missing at rows {bad}; drop or fill them.")
    names = names.astype(str)
    counts = names.value_counts(sort=False)
    allowed = tuple(log_options.get("event_types") or EVENT_TYPES)
    wrong = sorted({v for v in full_map.values() if v is not None and v not in allowed})
    if wrong:
        raise ValidationError(
            f"event_map maps onto {wrong}, which are not event types; map onto "
            f"{list(allowed)} (or None to drop), or allow more with event_types=[...]."
        )
    not_covered = [n for n in counts.index if n not in full_map and n not in allowed]
    if not_covered and unmapped == "error":
        raise fail(
            f"event names {sorted(not_covered)[:10]} of column {p.event!r} are in no event map "
            f"(preset {p.name!r} maps {sorted(p.event_map)}); map them with event_map="
            "{name: 'touch' | 'conversion' | ... | None}, or pass unmapped='drop' to leave "
            "them out (counted)."
        )
    mapped = names.map(lambda n: full_map.get(n, n))
    drop_rows = np.zeros(len(work), dtype=bool)
    dropped_events: dict[str, int] = {}
    in_map_order = [n for n in full_map if n in counts.index]
    for n in in_map_order + sorted(n for n in counts.index if n not in full_map):
        k = int(counts[n])
        if n in full_map and full_map[n] is not None:
            if full_map[n] != n:
                note("event", p.event, k, f"{n!r} -> {full_map[n]}")
        elif n in full_map:
            dropped_events[n] = k
            drop_rows |= (names == n).to_numpy()
            note("event-dropped", p.event, k, f"{n!r} (event_map: None)")
        elif n in not_covered:
            dropped_events[n] = k
            drop_rows |= (names == n).to_numpy()
            note("event-dropped", p.event, k, f"{n!r} (in no event map; unmapped='drop')")
    if not_covered and unmapped == "drop":
        warn_user(
            f"read_export: {sum(int(counts[n]) for n in not_covered)} rows of event names in "
            f"no event map were dropped: {sorted(not_covered)[:10]}."
        )
    frame = pd.DataFrame({"customer_id": cust, "timestamp": ts, "event": mapped},
                         index=work.index)
    # ------------------------------------------------------------------ channel
    has_channel = p.channel is not None and p.channel in work.columns
    if has_channel:
        ch = work[p.channel].astype(object)
        ch = ch.where(ch.isna(), ch.astype(str))
        if p.carry_channel:
            # the landing event carries the campaign: forward within the customer, in time order
            order = np.lexsort((ts.to_numpy(), frame["customer_id"].astype(str).to_numpy()))
            ordered = ch.iloc[order].reset_index(drop=True)
            filled = ordered.groupby(frame["customer_id"].iloc[order].to_numpy(),
                                     sort=False).ffill()
            carried = int((ordered.isna() & filled.notna()).sum())
            back = np.empty(len(order), dtype=np.int64)
            back[order] = np.arange(len(order))  # positions, not labels: an index may repeat
            ch = pd.Series(filled.to_numpy()[back], index=ch.index, dtype=object)
            if carried:
                note("channel-carried", p.channel, carried,
                     "missing: the customer's previous channel carried forward")
        missing = ch.isna() & ~drop_rows
        if p.channel_fill is not None and int(missing.sum()):
            ch = ch.fillna(p.channel_fill)
            note("channel-fill", p.channel, int(missing.sum()),
                 f"missing on {int(missing.sum())} rows: filled {p.channel_fill!r}")
        frame["channel"] = ch
    has_value = p.value is not None and p.value in work.columns
    if has_value:
        frame["value"] = work[p.value]
    cov = [c for c in covariates if c in work.columns]
    if "covariates" in over:
        missing_cov = [c for c in covariates if c not in work.columns]
        if missing_cov:
            raise fail(f"covariate columns {missing_cov} not found in the export.")
    if "stage" in log_options:
        stage_col = log_options.pop("stage")
        if stage_col is not None:
            if stage_col not in work.columns:
                raise fail(f"column {stage_col!r} (stage) not found in the export.")
            frame["stage"] = work[stage_col]
    clash = [c for c in cov if c in frame.columns]
    if clash:
        raise fail(f"covariate columns {clash} clash with canonical column names; rename them.")
    for c in cov:
        frame[c] = work[c]
    frame = frame[~drop_rows]
    if len(frame) == 0:
        raise fail("every row was dropped by the event map; nothing is left to analyse.")
    try:
        log = EventLog(frame, channel="channel" if has_channel else None,
                       stage="stage" if "stage" in frame.columns else None,
                       value="value" if has_value else None, covariates=cov, **log_options)
    except ValidationError as exc:
        raise fail(str(exc)) from None
    info = {
        "preset": p.name,
        "rows": n_rows,
        "duplicates_dropped": dropped_duplicates,
        "events_dropped": dropped_events,
        "columns": {"customer": p.customer, "timestamp": p.timestamp, "event": p.event,
                    "channel": p.channel if has_channel else None,
                    "value": p.value if has_value else None, "covariates": cov},
    }
    table = pd.DataFrame(changes, columns=["rule", "column", "n_rows", "detail"])
    return PreparedLog(log=log, step="read-export", changes=table, n_events_before=n_rows,
                       n_events_after=log.n_events, n_changed=n_rows - log.n_events, info=info)
