"""Customers' whole lives as transitions: the sequences of the life-cycle chain.

A journey (:func:`~cjmodels.data.journeys`) ends at the purchase. Over a customer's life the
purchase is a state like any other: it leads to post-purchase stages, possibly back into a
pre-purchase stage (re-entry) and to a repeat purchase. :func:`lifecycle_transitions` reads an
event log as one sequence per customer life,

``(start) -> first stage -> ... -> purchase -> post-purchase ... -> re-entry ... -> purchase ...``

and, when the customer leaves, ``-> (null)``. These are the rules (they differ from the
journeys' on purpose: a life does not end at a purchase, and a long silence followed by another
event is a long step, not a new journey):

* **States**: the stages (or channels) of the touches and the purchase state (the log's
  conversion events; named by the stage scheme's purchase stage, else ``(conversion)``; touches
  labelled with that stage are visits to the same state), ``(start)`` and ``(null)`` (left:
  drop-out before a purchase or churn after one; the from-state says which). Stages are ordered
  as in the log's stage scheme.
* **Leaving** is an explicit ``drop_out``/``churn`` event, or, with a ``timeout``, a final
  silence: no event after the customer's last one although at least ``timeout`` of the window
  is left. A gap longer than ``timeout`` *followed by* another event is an ordinary (long)
  transition: the customer did not leave.
* **Censoring**: a customer still active at the end of observation contributes no transition
  out of their last event. With a ``timeout`` and ``censor_recent`` every transition out of an
  event in the last ``timeout`` of the window is left out (:func:`~cjmodels.data.censor_recent`,
  the rule of every journey reduction): whether such a customer left is not known yet.
* **Returning customers**: with ``returning=True`` (default) the pre-purchase stages of a
  customer who has bought before are their own states (``"consideration (returning)"``), so
  that new prospects and returning customers each have their own rows; ``returning=False``
  pools them.
* **Comebacks**: events after an explicit ``drop_out``/``churn`` start a new life:
  ``(start) -> stage``, never a transition out of ``(null)`` (``info["comebacks"]`` counts
  them); a ``drop_out``/``churn`` event that ends no life (a customer's first event, or one
  right after another stop) is left out (``info["stop_events_outside_lives"]``).
* **Time**: each step carries the time between its two events (``gap``: days for datetime
  logs, the log's own unit for numeric ones); steps out of ``(start)`` and into a silent
  ``(null)`` have none (NaN).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.sequences import censor_recent
from cjmodels.data.spec import JourneySpec
from cjmodels.data.stages import CONVERSION, NULL, START
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["RETURNING", "LifecycleTransitions", "lifecycle_transitions"]

_STOP_EVENTS = ("drop_out", "churn")
#: Suffix of the states of touches after a customer's first purchase (``returning=True``).
RETURNING = " (returning)"


@result_dataclass
class LifecycleTransitions(Result):
    """Every transition of every customer's life (:func:`lifecycle_transitions`).

    ``summary()`` has the count of every observed transition, with how many are timed and
    their mean gap.

    Attributes
    ----------
    states : tuple of str
        ``(start)``, the stages (then their returning states) with the purchase, ``(null)``.
    frm, to : numpy.ndarray of int
        Indices into ``states`` of each transition, sorted by customer.
    unit : numpy.ndarray of int
        Customer (index into ``customers``) of each transition.
    gap : numpy.ndarray of float
        Time between the two events (NaN out of ``(start)`` and into a silent ``(null)``).
    customers : numpy.ndarray
        The log's customers.
    info : dict
        Settings and counts: ``sequence``, ``purchase``, ``timeout``, ``n_customers``,
        ``n_events``, ``n_lives``, ``comebacks``, ``stop_events_outside_lives``,
        ``silent_leaves``, ``censored_customers``, ``censored_recent``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0.0, 1, 2, 3],
    ...                    "event": ["touch", "conversion", "touch", "touch"],
    ...                    "stage": ["a", None, "a", "a"]})
    >>> lt = lifecycle_transitions(df)
    >>> lt
    LifecycleTransitions(transitions=4, states=5, customers=2)
    >>> lt.summary()
      from_state       to_state  count  n_timed  mean_gap
    0    (start)              a      2        0       NaN
    1          a   (conversion)      1        1       1.0
    2 (conversion)  a (returning)      1        1       1.0
    """

    states: tuple[str, ...]
    frm: np.ndarray
    to: np.ndarray
    unit: np.ndarray
    gap: np.ndarray
    customers: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        names = np.array(self.states, dtype=object)
        t = pd.DataFrame({"f": self.frm, "t": self.to, "gap": self.gap,
                          "timed": np.isfinite(self.gap)})
        g = t.groupby(["f", "t"], sort=True).agg(count=("timed", "size"),
                                                  n_timed=("timed", "sum"),
                                                  mean_gap=("gap", "mean")).reset_index()
        return pd.DataFrame({"from_state": names[g["f"].to_numpy()],
                             "to_state": names[g["t"].to_numpy()],
                             "count": g["count"].to_numpy(),
                             "n_timed": g["n_timed"].to_numpy(),
                             "mean_gap": g["mean_gap"].to_numpy()})

    def _repr_fields(self) -> dict[str, Any]:
        return {"transitions": len(self.frm), "states": len(self.states),
                "customers": len(self.customers)}

    def _to_dict(self) -> dict[str, Any]:
        info = {k: v for k, v in self.info.items()
                if v is None or isinstance(v, str | int | float | bool)}
        return {"states": list(self.states), "from": self.frm, "to": self.to,
                "unit": self.unit, "gap": self.gap,
                "customers": [str(c) for c in self.customers], "info": info}


def lifecycle_transitions(
    data: EventLog | pd.DataFrame,
    *,
    spec: JourneySpec | None = None,
    purchase: str | None = None,
    returning: bool = True,
    **log_options: Any,
) -> LifecycleTransitions:
    """Customers' whole lives as transitions, purchase leading on (see the module notes).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    spec : JourneySpec, optional
        Default ``JourneySpec()``. Reads ``sequence`` (which touch column forms the states),
        ``timeout`` (a final silence that long means the customer left; logs without
        ``drop_out``/``churn`` events need one) and ``censor_recent``; the other fields must
        keep their defaults (a life is not cut into journeys).
    purchase : str, optional
        Name of the purchase state; default the scheme's purchase stage, else
        ``"(conversion)"``.
    returning : bool
        Give touches after a customer's first purchase (other than post-purchase stages of the
        scheme) their own states, ``"<stage> (returning)"`` (default True).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    LifecycleTransitions
        Every transition of every customer's life with its customer and time gap; ``info``
        counts lives, comebacks, silent leaves and censored transitions.

    Raises
    ------
    ValidationError
        For a ``spec`` that is not a JourneySpec or sets a field other than ``sequence``,
        ``timeout`` and ``censor_recent``, a log without the sequence's column, or a log
        without touch and conversion events.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0.0, 1, 2, 3],
    ...                    "event": ["touch", "conversion", "touch", "touch"],
    ...                    "stage": ["a", None, "a", "a"]})
    >>> lifecycle_transitions(df, returning=False).states
    ('(start)', 'a', '(conversion)', '(null)')
    >>> lt = lifecycle_transitions(df, spec=JourneySpec(timeout=5), observation_end=20.0)
    >>> lt.info["silent_leaves"]
    2
    """
    spec = JourneySpec.resolve(spec, fields=("sequence", "timeout", "censor_recent"),
                               purpose="a customer's life")
    log = as_event_log(data, **log_options)
    return _lives(log, spec.sequence, spec.timeout, purchase, spec.censor_recent, returning)


def _lives(
    log: EventLog, by: str, timeout: Any, purchase: str | None, censor: bool, returning: bool,
) -> LifecycleTransitions:
    """Customer lives of the log as transitions (vectorised; see the module notes)."""
    log.require(by, purpose=f"a life-cycle chain of {by}s")
    rel = np.flatnonzero(log.is_event("touch", "conversion", *_STOP_EVENTS))
    if len(rel) == 0:
        raise ValidationError("the event log has no touch or conversion events to build lives.")
    types = log.event_types
    ev = log.event_codes[rel]
    is_touch = ev == (types.index("touch") if "touch" in types else -1)
    is_conv = ev == (types.index("conversion") if "conversion" in types else -1)
    is_stop = ~is_touch & ~is_conv
    cust = log.customer_codes[rel]
    t = np.asarray(log.times("D"), dtype=float)[rel]
    codes, labels = log.codes(by)
    sym = codes[rel]
    missing = is_touch & (sym < 0)
    if missing.any():
        rows = log.source_index[rel[missing]][:5].tolist()
        raise ValidationError(
            f"{int(missing.sum())} touches have no {by}, first at rows {rows}; every touch in a "
            f"life-cycle chain needs one. Fill them or drop these rows."
        )
    # stop events with no open life (first event of a customer, or right after another stop)
    first = np.r_[True, cust[1:] != cust[:-1]]
    prev_stop = np.r_[False, is_stop[:-1]] & ~first
    orphan = is_stop & (first | prev_stop)
    keep = ~orphan
    rel, ev, is_touch, is_conv, is_stop = rel[keep], ev[keep], is_touch[keep], is_conv[keep], \
        is_stop[keep]
    cust, t, sym = cust[keep], t[keep], sym[keep]
    n_ev = len(cust)
    if n_ev == 0:
        raise ValidationError(
            f"the event log has no touch or conversion events, only {int(orphan.sum())} "
            "drop_out/churn events that end no life (each is a customer's first event or follows "
            "another stop); a life-cycle chain needs touches or conversions."
        )
    first = np.r_[True, cust[1:] != cust[:-1]]
    last = np.r_[cust[1:] != cust[:-1], True]
    prev_stop = np.r_[False, is_stop[:-1]] & ~first
    life_start = first | prev_stop
    # the states, in stage-scheme order
    scheme = log.scheme if by == "stage" else None
    if purchase is None:
        purchase = scheme.purchase if scheme is not None else CONVERSION
    n_lab = len(labels)
    code = np.where(is_touch, sym, -1)
    if returning:
        # touches after the life's first purchase (other than post-purchase stages) are
        # separate states: a returning customer moves differently from a new prospect
        life = np.cumsum(life_start) - 1
        conv_cum = np.bincount(life, weights=is_conv, minlength=life[-1] + 1 if n_ev else 0)
        before = np.cumsum(is_conv) - np.r_[0, np.cumsum(conv_cum)][life] - is_conv
        post = set(scheme.post_purchase) if scheme is not None else set()
        is_post = np.array([str(x) in post for x in labels], dtype=bool)
        post_ev = np.zeros(n_ev, dtype=bool)  # a log may hold no touch (no label) at all
        post_ev[is_touch] = is_post[sym[is_touch]]
        ret = is_touch & (before > 0) & ~post_ev
        code = np.where(ret, code + n_lab, code)
    ext = [str(x) for x in labels] + [f"{x}{RETURNING}" for x in labels]
    used = np.unique(code[is_touch])
    base = list(dict.fromkeys([ext[c] for c in used if c < n_lab]
                              + ([purchase] if is_conv.any() else [])))
    back = [ext[c] for c in used if c >= n_lab]
    if scheme is not None:
        rank = {st: i for i, st in enumerate(scheme.stages)}
        base.sort(key=lambda st: (rank.get(st, len(rank)), st))
        back.sort(key=lambda st: (rank.get(st[: -len(RETURNING)], len(rank)), st))
    else:
        base = sorted(n for n in base if n != purchase) + (
            [purchase] if purchase in base else [])
        back.sort()
    names = [*base, *back]
    for reserved in (START, NULL):
        if reserved in names:
            raise ValidationError(f"{by} {reserved!r} is a reserved state name; rename it.")
    states = (START, *names, NULL)
    pos = {st: i for i, st in enumerate(states)}
    ext_state = np.array([pos.get(x, -1) for x in ext], dtype=np.int64)
    state = np.where(is_conv, pos.get(purchase, -1), np.where(is_stop, pos[NULL], -1))
    state[is_touch] = ext_state[code[is_touch]]
    n = len(state)
    # (start) -> first event of each life
    s_idx = np.flatnonzero(life_start)
    # event -> next event of the same customer, unless the event is a stop (life over)
    inner = np.flatnonzero(~last & ~is_stop)
    # silent leaving: last event, not a stop, at least `timeout` before the end
    obs_end = float(log.to_float(log.observation_end, "D"))
    timeout_d = None
    if timeout is not None:
        timeout_d = log.duration(timeout, "D")
        if not timeout_d > 0:
            raise ValidationError(f"timeout == {timeout!r}, must be a positive time span.")
    if timeout_d is not None:
        leave = np.flatnonzero(last & ~is_stop & (t <= obs_end - timeout_d))
    else:
        leave = np.empty(0, dtype=np.int64)
    frm = np.concatenate([np.full(len(s_idx), pos[START]), state[inner], state[leave]])
    to = np.concatenate([state[s_idx], state[inner + 1], np.full(len(leave), pos[NULL])])
    unit = np.concatenate([cust[s_idx], cust[inner], cust[leave]])
    t_from = np.concatenate([np.full(len(s_idx), np.nan), t[inner], t[leave]])
    gap = np.concatenate([np.full(len(s_idx), np.nan), t[inner + 1] - t[inner],
                          np.full(len(leave), np.nan)])
    info: dict[str, Any] = {
        "sequence": by,
        "purchase": purchase,
        "timeout": None if timeout is None else str(timeout),
        "n_customers": int(cust.max()) + 1 if n else 0,
        "n_events": n,
        "n_lives": int(life_start.sum()),
        "comebacks": int(prev_stop.sum()),
        "stop_events_outside_lives": int(orphan.sum()),
        "silent_leaves": len(leave),
        "censored_customers": int((last & ~is_stop).sum() - len(leave)),
        "censored_recent": 0,
    }
    if censor and timeout_d is not None:
        recent = censor_recent(t_from, observation_end=obs_end, timeout=timeout_d)
        info["censored_recent"] = int(recent.sum())
        frm, to, unit, gap = frm[~recent], to[~recent], unit[~recent], gap[~recent]
    order = np.lexsort((np.arange(len(unit)), unit))
    return LifecycleTransitions(states, frm[order], to[order], unit[order], gap[order],
                                np.asarray(log.customers), info)
