"""Common container for simulated worlds and their ground truth."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from typing import Any

import pandas as pd

from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["SyntheticWorld", "parse_start"]

#: Nesting depth shown by :func:`truth_table` (``conversion.first_journey`` is depth 2).
_TABLE_DEPTH = 2
#: Longer strings (definitions, formulas) stay in ``to_dict()`` and out of the summary.
_TABLE_MAX_STR = 40


def parse_start(start: Any) -> pd.Timestamp:
    """The ``start`` of a simulated window as a Timestamp, or a clear error."""
    try:
        t_start = pd.Timestamp(start)
    except (TypeError, ValueError):
        t_start = pd.NaT
    if pd.isna(t_start):
        raise ValidationError(f"start == {start!r}, must be a timestamp such as '2025-01-01'.")
    return t_start


def _scalar(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        return True
    return isinstance(value, str) and len(value) <= _TABLE_MAX_STR


def _flatten(obj: Mapping[str, Any], prefix: str, depth: int) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if depth < _TABLE_DEPTH:
                rows += _flatten(value, f"{name}.", depth + 1)
        elif _scalar(value):
            rows.append((name, value.item() if hasattr(value, "item") else value))
    return rows


def truth_table(sections: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The short scalar entries of nested mappings as a table (``section``, ``name``, ``value``).

    Nested keys are joined with dots down to two levels (``conversion.first_journey``); lists,
    matrices and long strings (definitions, formulas) are left out: they are in ``to_dict()``.

    Examples
    --------
    >>> truth_table({"truth": {"model": "sbg", "survival": {"30": 0.9}, "curve": [1, 2]}})
      section         name value
    0   truth        model   sbg
    1   truth  survival.30   0.9
    """
    rows = [
        {"section": section, "name": name, "value": value}
        for section, content in sections.items()
        for name, value in _flatten(content, "", 1)
    ]
    return pd.DataFrame(rows, columns=["section", "name", "value"])


@result_dataclass
class SyntheticWorld(Result):
    """A simulated event log together with the truth that generated it.

    A :class:`~cjmodels.results.Result`: ``summary()`` is the table of the generating
    parameters and of the short ground-truth values, ``to_dict()`` holds the name, the
    parameters, the whole truth and the counts of events and customers (not the events), and
    two worlds are equal when their content, events included, is.

    Attributes
    ----------
    name : str
        Kind of world (``"journeys"``, ``"subscriptions"``, ``"transactions"``, ``"experiment"``,
        ``"latent_journeys"``, ``"panel"``).
    events : pandas.DataFrame
        The event log in canonical columns (``customer_id``, ``timestamp``, ``event``, ...).
    truth : dict
        JSON-serialisable ground truth: parameters, true effects, exact quantities.
    params : dict
        The generating parameters, including ``random_state``.
    tables : dict of str to DataFrame
        Ground-truth tables (true transition matrices, per-customer latent values, ...).
    event_log_options : dict
        Keyword arguments of :class:`~cjmodels.data.EventLog` for :meth:`event_log`.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_subscriptions
    >>> w = simulate_subscriptions(200, random_state=1)
    >>> w
    SubscriptionWorld(name='subscriptions', n_events=293, n_customers=200)
    >>> w.summary().set_index("name").loc["median_lifetime", "value"]
    375.7780302490743
    >>> sorted(w.to_dict())
    ['n_customers', 'n_events', 'name', 'params', 'truth', 'type']
    """

    name: str
    events: pd.DataFrame
    truth: dict[str, Any]
    params: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    event_log_options: dict[str, Any] = field(default_factory=dict)

    def event_log(self) -> EventLog:
        """The events as a validated :class:`~cjmodels.data.EventLog`.

        The log is built with :attr:`event_log_options` (the world's stage scheme, observation
        window and covariates), so journeys still open at the end of the simulated window are
        censored rather than counted as drop-outs.

        Returns
        -------
        cjmodels.data.EventLog
            A new validated log on every call.

        Examples
        --------
        >>> from cjmodels.synthetic import simulate_subscriptions
        >>> log = simulate_subscriptions(200, random_state=1).event_log()
        >>> log.n_customers
        200
        """
        return EventLog(self.events, **self.event_log_options)

    @property
    def n_events(self) -> int:
        """Number of rows of :attr:`events`."""
        return len(self.events)

    @property
    def n_customers(self) -> int:
        """Number of distinct customers in :attr:`events`."""
        return int(self.events["customer_id"].nunique())

    def _repr_fields(self) -> dict[str, Any]:
        return {"name": self.name, "n_events": self.n_events, "n_customers": self.n_customers}

    def _summary(self) -> pd.DataFrame:
        return truth_table({"params": self.params, "truth": self.truth})

    def _to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": self.params,
            "truth": self.truth,
            "n_events": self.n_events,
            "n_customers": self.n_customers,
        }

    def _identity(self) -> str:
        # to_dict() leaves the events out; equality and hashing still see them.
        digest = int(pd.util.hash_pandas_object(self.events, index=True).sum())
        return json.dumps([super()._identity(), digest])
