"""Per-arm reductions of an experiment's event log: arm codes and one event log per arm.

:func:`arm_codes` reads the arm of every row of a per-customer table (declared or sorted arms,
with clear errors); :func:`arm_event_logs` splits an event log with ``assignment`` events into
one event log per arm holding each assigned customer's events from the assignment on (the input
of the transition-matrix comparison :func:`cjmodels.experiments.compare_transitions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.columns import label_codes
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.experiments import experiment_table
from cjmodels.errors import ValidationError

__all__ = ["arm_codes", "arm_event_logs"]

_SHOWN = 5


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:_SHOWN])
    more = f" and {len(idx) - _SHOWN} more" if len(idx) > _SHOWN else ""
    return f"[{shown}{more}]"


def arm_codes(
    data: pd.DataFrame, variant: str = "variant", arms: Sequence[str] | None = None
) -> tuple[tuple[str, ...], np.ndarray]:
    """Arm labels (declared or sorted) and each row's arm code, with clear errors.

    Arms are labels, as everywhere in the data layer: each is kept as its ``str``; a column
    mixing types (``1`` and ``"1"``) is refused, never merged. Every row needs an arm, every
    declared arm needs rows, and there must be at least two arms.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer (e.g. from :func:`cjmodels.data.experiment_table`).
    variant : str
        The column holding the arm.
    arms : sequence of str, optional
        Declared arms, in the order wanted; default the labels present, sorted.

    Returns
    -------
    names : tuple of str
        The arms.
    codes : numpy.ndarray
        Each row's position in ``names``.

    Examples
    --------
    >>> names, codes = arm_codes(pd.DataFrame({"variant": ["B", "A", "B"]}))
    >>> names, codes.tolist()
    (('A', 'B'), [1, 0, 1])
    """
    table = data
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(
            f"table must be a pandas DataFrame with one row per customer, got "
            f"{type(table).__name__}."
        )
    if not isinstance(variant, str) or variant not in table.columns:
        raise ValidationError(
            f"variant column {variant!r} is not in the table; its columns are "
            f"{list(table.columns)}. Name the column holding the arm with variant='...'."
        )
    if isinstance(table[variant], pd.DataFrame):
        raise ValidationError(
            f"the table has {table[variant].shape[1]} columns named {variant!r}; rename them so "
            "that one column holds the arm."
        )
    # arms are labels, as in the data layer: each kept exactly as its str (ints "1", floats
    # "1.5", whole floats "1"); a column mixing types (1 and "1") is refused, never merged
    raw, labels = label_codes(table[variant], variant, "variant", table.index)
    raw = raw.astype(np.int64)
    miss = raw < 0
    if miss.any():
        raise ValidationError(
            f"variant column {variant!r} is missing at rows {_rows(miss)}; every customer "
            "needs an arm."
        )
    u_str = [str(u) for u in labels]
    present = tuple(u_str)
    if arms is None:
        names = present
    else:
        names = tuple(str(a) for a in arms)
        if len(set(names)) != len(names):
            raise ValidationError(f"arms {list(names)} contain duplicates.")
        unknown = sorted(set(present) - set(names))
        if unknown:
            bad_u = np.flatnonzero([u in unknown for u in u_str])
            bad = np.isin(raw, bad_u)
            raise ValidationError(
                f"variant labels {unknown} in column {variant!r} (rows {_rows(bad)}) are not "
                f"among the declared arms {list(names)}; fix the labels or declare the arms."
            )
    if len(names) < 2:
        raise ValidationError(
            f"only one arm ({list(names)}) in column {variant!r}; an experiment compares at "
            "least two arms."
        )
    pos = np.array([names.index(u) for u in u_str], dtype=np.int64)
    codes = pos[raw] if len(pos) else raw.astype(np.int64)
    counts = np.bincount(codes, minlength=len(names))
    empty = [a for a, c in zip(names, counts, strict=True) if c == 0]
    if empty:
        raise ValidationError(
            f"arms {empty} have zero customers in column {variant!r}; every declared arm needs "
            "customers (check the assignment, or leave the arm out of arms=[...])."
        )
    return names, codes


def arm_event_logs(
    data: EventLog | pd.DataFrame,
    *,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    end: Any = None,
    **log_options: Any,
) -> dict[str, EventLog]:
    """One event log per arm with each assigned customer's events from the assignment on.

    A customer's arm and assignment time are those of :func:`experiment_table` (the first
    ``assignment`` event). Each arm's log holds its customers' events at or after that time and
    at or before ``end``; assignment rows themselves and unassigned customers are left out.
    The logs keep the input's stage scheme and ``observation_start``; their
    ``observation_end`` is ``end``. Covariate columns are not carried.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The experiment's event log, with ``assignment`` events; a DataFrame is validated with
        ``log_options``.
    variant : str
        Column holding the arm on assignment rows.
    arms : sequence of str, optional
        Declared arms, in the order wanted; default the labels present, sorted. A label not
        declared, a declared arm without customers, or fewer than two arms is an error.
    end : timestamp, optional
        Analysis time: later events are left out and customers assigned after it too.
        Default: the log's ``observation_end``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    dict of str to EventLog
        One event log per arm, in the order of the arms.

    Raises
    ------
    ValidationError
        For the errors of :func:`experiment_table` and of the arm labels, or an arm with no
        event after its customers' assignments.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2],
    ...                    "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0],
    ...                    "event": ["touch", "assignment", "touch", "assignment", "touch"],
    ...                    "stage": ["a", None, "b", None, "a"],
    ...                    "variant": [None, "A", None, "B", None]})
    >>> {k: v.n_events for k, v in arm_event_logs(df).items()}
    {'A': 1, 'B': 1}
    """
    log = as_event_log(data, **log_options)
    table = experiment_table(log, variant=variant, end=end)
    names, codes = arm_codes(table, "variant", arms)
    ev = log.events
    arm_of = pd.Series(np.asarray(names, dtype=object)[codes],
                       index=table["customer_id"].to_numpy())
    t0 = pd.Series(table["assigned_at"].to_numpy(), index=table["customer_id"].to_numpy())
    ev_arm = ev["customer_id"].map(arm_of)
    ev_t0 = ev["customer_id"].map(t0)
    keep = ev_arm.notna() & (ev["event"] != "assignment")
    keep &= (ev["timestamp"] >= ev_t0).fillna(False)
    obs_end = log.observation_end if end is None else end
    if log.time_kind == "datetime":
        keep &= ev["timestamp"] <= pd.Timestamp(obs_end)
    else:
        keep &= ev["timestamp"] <= float(obs_end)
    cols = ["customer_id", "timestamp", "event"]
    opts: dict[str, Any] = {"covariates": []}
    for c in ("channel", "stage", "value"):
        has = {"channel": log.has_channel, "stage": log.has_stage, "value": log.has_value}[c]
        if has:
            cols.append(c)
        else:
            opts[c] = None
    out = {}
    for a in names:
        sub = ev.loc[keep.to_numpy() & (ev_arm == a).to_numpy(), cols]
        if sub.empty:
            raise ValidationError(
                f"arm {a!r} has no events after its customers' assignments; there are no "
                "journeys to compare."
            )
        out[a] = EventLog(sub, scheme=log.scheme, observation_start=log.observation_start,
                          observation_end=obs_end, **opts)
    return out
