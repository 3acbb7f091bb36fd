"""Common container for simulated worlds and their ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cjmodels._json import to_jsonable
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError

__all__ = ["SyntheticWorld", "parse_start", "to_jsonable"]


def parse_start(start: Any) -> pd.Timestamp:
    """The ``start`` of a simulated window as a Timestamp, or a clear error."""
    try:
        t_start = pd.Timestamp(start)
    except (TypeError, ValueError):
        t_start = pd.NaT
    if pd.isna(t_start):
        raise ValidationError(f"start == {start!r}, must be a timestamp such as '2025-01-01'.")
    return t_start


@dataclass(frozen=True)
class SyntheticWorld:
    """A simulated event log together with the truth that generated it.

    Attributes
    ----------
    name : str
        Kind of world (``"journeys"``, ``"subscriptions"``, ``"transactions"``, ``"experiment"``).
    events : pandas.DataFrame
        The event log in canonical columns (``customer_id``, ``timestamp``, ``event``, ...).
    truth : dict
        JSON-serialisable ground truth: parameters, true effects, exact quantities.
    params : dict
        The generating parameters, including ``random_state``.
    tables : dict of str to DataFrame
        Ground-truth tables (true transition matrices, per-customer latent values, ...).
    """

    name: str
    events: pd.DataFrame
    truth: dict[str, Any]
    params: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    event_log_options: dict[str, Any] = field(default_factory=dict)

    def event_log(self) -> EventLog:
        """The events as a validated :class:`~cjmodels.data.EventLog`."""
        return EventLog(self.events, **self.event_log_options)

    def to_dict(self) -> dict[str, Any]:
        """Parameters and truth as plain JSON-serialisable objects."""
        return to_jsonable({
            "name": self.name,
            "params": self.params,
            "truth": self.truth,
            "n_events": len(self.events),
            "n_customers": int(self.events["customer_id"].nunique()),
        })

    def summary(self) -> pd.DataFrame:
        """One row per event type: events and customers."""
        g = self.events.groupby("event", sort=True)
        return pd.DataFrame(
            {"events": g.size(), "customers": g["customer_id"].nunique()}
        ).rename_axis("event")

    def __repr__(self) -> str:
        n_cust = self.events["customer_id"].nunique()
        return (
            f"SyntheticWorld({self.name!r}, {len(self.events)} events, {n_cust} customers, "
            f"truth: {', '.join(sorted(self.truth))})"
        )

