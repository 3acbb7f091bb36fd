"""Every transition of every journey, before pooling, and counts given as a table.

:func:`cjmodels.data.transition_counts` pools the transitions of all journeys into one table.
Bootstraps over customers, tests between groups and periods, and dwell times need the same
transitions *before* pooling: which journey (and customer) each belongs to and when it happened.
:func:`journey_transitions` produces them from the same :class:`~cjmodels.data.JourneySet` and
the same state coding as ``transition_counts`` (a test checks that pooling them gives exactly
``transition_counts``'s matrix), with the journeys of a :class:`~cjmodels.data.JourneySpec`.
:func:`censor_recent` is the one rule for transitions whose outcome is not known yet (used here
and by :func:`~cjmodels.data.lifecycle_transitions`); :func:`counts_from_table` reads
pre-aggregated counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.journeys import journey_index, journey_set
from cjmodels.data.journeyset import OUTCOME_CENSORED, OUTCOME_CONVERSION, JourneySet, subset
from cjmodels.data.paths import PathTable, journey_set_from_path_table
from cjmodels.data.spec import JourneySpec
from cjmodels.data.stages import CONVERSION, NULL, START
from cjmodels.data.transitions import (
    CENSORED,
    TransitionCounts,
    decode_states,
    state_keys,
    transition_counts,
)
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["JourneyTransitions", "censor_recent", "counts_from_table", "journey_transitions"]


def censor_recent(time_from: Any, *, observation_end: float, timeout: float) -> np.ndarray:
    """Which transitions to censor: those out of an event in the last ``timeout`` of the window.

    With a ``timeout`` a silence ends a journey (or a customer's life), but whether an event
    less than ``timeout`` before the observation end is followed by another is not known yet:
    keeping only the continuations already observed would under-count leaving. Such
    transitions are left out (``JourneySpec(censor_recent=True)``, the default everywhere).
    A NaN time (a transition out of the start state) is never censored.

    Parameters
    ----------
    time_from : array-like of float
        The time of each transition's from-event (NaN for none).
    observation_end : float
        The end of observation, in the unit of ``time_from``; finite.
    timeout : float
        The silence that ends a journey, in the same unit; finite and > 0.

    Returns
    -------
    numpy.ndarray of bool
        True for the transitions to leave out.

    Raises
    ------
    ValidationError
        When ``observation_end`` or ``timeout`` is not a finite number (``timeout`` <= 0), or
        ``time_from`` holds something other than numbers.

    Examples
    --------
    >>> censor_recent([np.nan, 1.0, 8.5, 9.5], observation_end=10.0, timeout=2.0).tolist()
    [False, False, True, True]
    """
    check_scalar(observation_end, "observation_end", typ=float)
    check_scalar(timeout, "timeout", typ=float, gt=0)
    if not (np.isfinite(observation_end) and np.isfinite(timeout)):
        raise ValidationError(
            f"observation_end == {observation_end!r}, timeout == {timeout!r}: both must be "
            "finite numbers in the unit of time_from.")
    try:
        t = np.asarray(time_from, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            "time_from must be numbers (the time of each transition's from-event, NaN for "
            f"none), got {type(time_from).__name__}.") from None
    return t > observation_end - timeout


@result_dataclass
class JourneyTransitions(Result):
    """Every transition of every journey, coded against the states of :attr:`counts`.

    Made by :func:`journey_transitions`; ``summary()`` has the weighted count of every
    observed transition (the pooled counts of these transitions).

    Attributes
    ----------
    counts : TransitionCounts
        The pooled counts (from :func:`cjmodels.data.transition_counts` on the same journeys).
    journey : numpy.ndarray of int
        Journey (row of the journey set) of each transition.
    frm, to : numpy.ndarray of int
        Indices into ``counts.states``.
    weight : numpy.ndarray of float
        Weight of each transition (the weight of its journey: 1 for logs, counts for path
        tables).
    unit : numpy.ndarray of int
        Resampling unit of each journey (customer code for logs; the journey row for path
        tables, whose rows stand for ``weight`` journeys each).
    unit_weight : numpy.ndarray of float
        Weight of each resampling unit (1 per customer; the row weight for path tables).
    journey_frame : DataFrame or None
        Per-journey frame (customer, journey number, start, end, outcome) for logs.
    time_from, time_to : numpy.ndarray of float or None
        Time (days since the observation start) of the from-touch and to-event of each
        transition when built with ``times=True``; NaN where there is none (from the start
        state; to the null state or the censored end).
    info : dict
        ``sequence``, ``order``, ``censored``, ``journeys``, ``n_journeys`` (the weighted
        number of journeys), ``timeout``, ``scheme`` (the log's stage scheme or None) and,
        when recent transitions were censored, ``censored_recent`` (how many).
    journey_set : JourneySet or None
        The journeys the transitions come from (after ``journeys=`` selection and
        ``collapse_repeats``).
    touch_time : numpy.ndarray of float or None
        Time (days since the observation start) of every touch of ``journey_set``, when times
        were computed.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 1, 0],
    ...                    "event": ["touch", "conversion", "touch"],
    ...                    "stage": ["a", None, "a"]})
    >>> jt = journey_transitions(df)
    >>> jt
    JourneyTransitions(transitions=3, states=4, order=1, journeys=2)
    >>> jt.summary()
      from_state      to_state  count
    0    (start)             a    2.0
    1          a  (conversion)    1.0
    """

    counts: TransitionCounts
    journey: np.ndarray
    frm: np.ndarray
    to: np.ndarray
    weight: np.ndarray
    unit: np.ndarray
    unit_weight: np.ndarray
    journey_frame: pd.DataFrame | None = None
    time_from: np.ndarray | None = None
    time_to: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    journey_set: JourneySet | None = None
    touch_time: np.ndarray | None = None

    _repr_exclude = ("journey_set", "journey_frame")

    def _summary(self) -> pd.DataFrame:
        m = self.matrix()
        fi, tj = np.nonzero(m)
        names = np.array(self.counts.states, dtype=object)
        return pd.DataFrame({"from_state": names[fi], "to_state": names[tj],
                             "count": m[fi, tj]})

    def _repr_fields(self) -> dict[str, Any]:
        return {"transitions": len(self.frm), "states": self.n_states,
                "order": self.counts.order, "journeys": self.info.get("n_journeys")}

    def _to_dict(self) -> dict[str, Any]:
        info = {k: v for k, v in self.info.items()
                if v is None or isinstance(v, str | int | float | bool)}
        return {"states": list(self.counts.states), "order": self.counts.order,
                "journey": self.journey, "from": self.frm, "to": self.to,
                "weight": self.weight, "unit": self.unit, "unit_weight": self.unit_weight,
                "time_from": self.time_from, "time_to": self.time_to, "info": info}

    def subset(self, mask: np.ndarray, **info: Any) -> JourneyTransitions:
        """The selected transitions (the pooled ``counts`` table is kept as it was).

        Parameters
        ----------
        mask : numpy.ndarray
            A boolean mask (or indices) over the transitions.
        **info
            Entries added to (or replacing those of) :attr:`info`.

        Returns
        -------
        JourneyTransitions
            The selected transitions; ``counts``, the resampling units, ``journey_frame``,
            ``journey_set`` and ``touch_time`` are those of ``self``.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 1, 0],
        ...                    "event": ["touch", "conversion", "touch"],
        ...                    "stage": ["a", None, "a"]})
        >>> jt = journey_transitions(df)
        >>> starts = jt.subset(jt.frm == 0, note="starts")
        >>> float(starts.matrix().sum()), int(jt.counts.table["count"].sum()), starts.info["note"]
        (2.0, 3, 'starts')
        """
        def pick(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else x[mask]

        return JourneyTransitions(
            self.counts, self.journey[mask], self.frm[mask], self.to[mask], self.weight[mask],
            self.unit, self.unit_weight, self.journey_frame, pick(self.time_from),
            pick(self.time_to), {**self.info, **info}, self.journey_set, self.touch_time,
        )

    def recent(self, timeout: float) -> np.ndarray:
        """Transitions out of touches less than ``timeout`` days before the observation end.

        Whether such a touch is followed by another within ``timeout`` is not yet known, so
        with a timeout their outcome is censored (see :func:`censor_recent`).

        Parameters
        ----------
        timeout : float
            The silence that ends a journey, in days.

        Returns
        -------
        numpy.ndarray of bool
            True for each transition out of such a touch.

        Raises
        ------
        ValidationError
            When the transitions were built without times (``times=True``) or from a path
            table.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 8, 9],
        ...                    "event": ["touch", "conversion", "touch", "touch"],
        ...                    "stage": ["a", None, "a", "b"]})
        >>> jt = journey_transitions(df, times=True)
        >>> states = jt.counts.states
        >>> [(states[f], states[t]) for f, t in zip(jt.frm, jt.to)]
        [('a', 'b'), ('(start)', 'a'), ('(start)', 'a'), ('a', '(conversion)')]
        >>> jt.recent(2.0).tolist()
        [True, False, False, False]
        """
        if self.time_from is None or self.journey_frame is None:
            raise ValidationError("recent() needs transitions built with times=True.")
        end = float(self.journey_frame["observation_end"].iloc[0])
        return censor_recent(self.time_from, observation_end=end, timeout=timeout)

    @property
    def n_states(self) -> int:
        """Number of states of :attr:`counts` (start and absorbing states included)."""
        return len(self.counts.states)

    def matrix(self, mask: np.ndarray | None = None, weight: np.ndarray | None = None) -> np.ndarray:
        """Pooled count matrix of the selected transitions.

        Parameters
        ----------
        mask : numpy.ndarray, optional
            A boolean mask (or indices) over the transitions; default all.
        weight : numpy.ndarray, optional
            One weight per transition (e.g. bootstrap multiplicities); default
            :attr:`weight`, the journeys' weights.

        Returns
        -------
        numpy.ndarray of float
            ``n_states x n_states`` weighted counts, rows from-states and columns to-states,
            in the order of ``counts.states``.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 1, 0],
        ...                    "event": ["touch", "conversion", "touch"],
        ...                    "stage": ["a", None, "a"]})
        >>> journey_transitions(df).matrix().astype(int).tolist()
        [[0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        """
        k = self.n_states
        w = self.weight if weight is None else weight
        f, t = self.frm, self.to
        if mask is not None:
            f, t, w = f[mask], t[mask], w[mask]
        return np.bincount(f * k + t, weights=w, minlength=k * k).reshape(k, k)


def _state_index(js: JourneySet, order: int, states: tuple[str, ...]) -> np.ndarray:
    """Index into ``states`` of the order-k state at every touch (the data layer's coding)."""
    if len(js.symbols) == 0:
        return np.empty(0, dtype=np.int64)
    keys, _ = state_keys(js, order)
    dense, uniq = pd.factorize(keys)
    first = np.empty(len(uniq), dtype=np.int64)
    first[dense[::-1]] = np.arange(len(dense) - 1, -1, -1)
    names = decode_states(uniq, js, order, first)
    pos = {s: i for i, s in enumerate(states)}
    return np.array([pos[n] for n in names], dtype=np.int64)[dense]


def _transitions_of(
    js: JourneySet, tc: TransitionCounts, censored: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(journey, from, to, from-touch position, to-touch position) of every transition."""
    states = tc.states
    idx = {s: i for i, s in enumerate(states)}
    touch_state = _state_index(js, tc.order, states)
    lengths = js.lengths
    n_touch = len(js.symbols)
    jid_touch = np.repeat(np.arange(js.n), lengths)
    nxt = np.ones(n_touch, dtype=bool)
    if n_touch:
        nxt[js.offsets[1:][lengths > 0] - 1] = False
    inner = np.flatnonzero(nxt)
    has = lengths > 0
    conv, null = tc.absorbing[0], tc.absorbing[1]
    end_id = np.where(js.outcome == OUTCOME_CONVERSION, idx[conv], idx[null])
    if censored == "drop":
        end_id = np.where(js.outcome == OUTCOME_CENSORED, -1, end_id)
    elif censored == "state":
        end_id = np.where(js.outcome == OUTCOME_CENSORED, idx[CENSORED], end_id)
    ends = end_id >= 0
    first_touch = js.offsets[:-1]
    last_touch = js.offsets[1:] - 1
    start_j = np.flatnonzero(has)
    last_state = np.full(js.n, idx[tc.start], dtype=np.int64)
    last_state[has] = touch_state[last_touch[has]]
    end_j = np.flatnonzero(ends)
    journey = np.concatenate([jid_touch[inner], start_j, end_j])
    frm = np.concatenate(
        [touch_state[inner], np.full(len(start_j), idx[tc.start]), last_state[end_j]]
    )
    to = np.concatenate([touch_state[inner + 1], touch_state[first_touch[start_j]], end_id[end_j]])
    pos_from = np.concatenate(
        [inner, np.full(len(start_j), -1), np.where(has[end_j], last_touch[end_j], -1)]
    )
    pos_to = np.concatenate([inner + 1, first_touch[start_j], np.full(len(end_j), -1)])
    return journey, frm.astype(np.int64), to.astype(np.int64), pos_from, pos_to


def journey_transitions(
    data: EventLog | pd.DataFrame | PathTable | JourneySet,
    *,
    spec: JourneySpec | None = None,
    times: bool = False,
    **log_options: Any,
) -> JourneyTransitions:
    """Every transition of every journey, with its journey, customer and (optionally) times.

    Parameters
    ----------
    data : EventLog, DataFrame, PathTable or JourneySet
        An event log (column options as keywords for a DataFrame), a path table (channels) or
        journeys already built.
    spec : JourneySpec, optional
        The journeys and how they are read; default ``JourneySpec()`` (stages, order 1;
        ``JourneySpec(sequence="channel")`` for a path table). Every field is used:
        ``journeys`` (``"first"``/``"repeat"``), ``timeout``, ``lookback`` and
        ``censor_recent`` need an event log. With a ``timeout`` and ``censor_recent`` (the
        default), the transitions out of touches in the last ``timeout`` before the
        observation end are dropped (:func:`censor_recent`; their number is
        ``info["censored_recent"]``): without it, a customer who dropped out recently looks
        censored while one who went on has a next touch, so drop-out is under-counted.
    times : bool
        Also return the event times (days since the observation start; event logs only).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (``customer=``, ``timestamp=``,
        ``scheme=``, ...) when ``data`` is a DataFrame.

    Returns
    -------
    JourneyTransitions
        The transitions (journey, from- and to-state, weight, resampling unit) with the
        pooled :class:`~cjmodels.data.TransitionCounts` they add up to.

    Raises
    ------
    ValidationError
        For a ``spec`` that is not a JourneySpec, fields a path table or journey set cannot
        honour (``journeys``, ``timeout``, ``lookback``, ``times=True``, stages), no journey
        with touches, an ``order`` above the longest journey, or ``collapse_repeats`` with
        event times.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0, 1, 2, 0],
    ...                    "event": ["touch", "touch", "conversion", "touch"],
    ...                    "stage": ["a", "b", None, "a"]})
    >>> jt = journey_transitions(df)
    >>> jt.matrix().astype(int).tolist()[0]
    [0, 2, 0, 0, 0]
    >>> journey_transitions(df, spec=JourneySpec(order=2)).counts.states[1:4]
    ('a', 'a > b', '(conversion)')
    """
    spec = JourneySpec.resolve(spec, default=JourneySpec(sequence="channel")
                               if isinstance(data, PathTable) else None)
    sequence, order, censored = spec.sequence, spec.order, spec.censored
    timeout, lookback, journeys = spec.timeout, spec.lookback, spec.journeys
    frame = None
    touch_time = None
    if isinstance(data, JourneySet | PathTable):
        if journeys != "all" or times:
            raise ValidationError(
                "journeys='first'/'repeat' and times=True need an event log (customers and "
                "timestamps); a path table or journey set has neither."
            )
        if timeout is not None or lookback is not None:
            raise ValidationError(
                "a path table or journey set is already cut into journeys: timeout and "
                "lookback apply when it is built (path_table(log, timeout=...)); leave them "
                "None in the JourneySpec."
            )
        if isinstance(data, PathTable) and sequence != "channel":
            raise ValidationError(
                "a path table holds channels only; use JourneySpec(sequence='channel')."
            )
        js = data if isinstance(data, JourneySet) else journey_set_from_path_table(data)
        unit = np.arange(js.n)
        unit_weight = js.weight.astype(float)
    else:
        log = as_event_log(data, **log_options)
        times = times or (spec.censor_recent and timeout is not None)
        js = journey_set(log, sequence=sequence, timeout=timeout, lookback=lookback)
        frame = js.table
        if times:
            _, touch_pos, _, _ = journey_index(log, timeout=timeout, lookback=lookback)
            touch_time = log.times("D")[touch_pos] - log.to_float(log.observation_start, "D")
            frame = frame.assign(
                end_time=log.to_float(frame["end"], "D")
                - log.to_float(log.observation_start, "D"),
                observation_end=log.to_float(log.observation_end, "D")
                - log.to_float(log.observation_start, "D"),
            )
        if journeys != "all":
            keep = (frame["journey"].to_numpy() == 1) == (journeys == "first")
            if not keep.any():
                raise ValidationError(f"no {journeys} journeys in the log.")
            if touch_time is not None:
                touch_time = touch_time[np.repeat(keep, js.lengths)]
            js = subset(js, keep)
            frame = frame.loc[keep].reset_index(drop=True)
        unit = pd.factorize(frame["customer_id"])[0].astype(np.int64)
        unit_weight = np.ones(int(unit.max()) + 1 if len(unit) else 0)
    if spec.collapse_repeats:
        if touch_time is not None:
            raise ValidationError(
                "collapse_repeats=True cannot be combined with event times (times=True, or a "
                "timeout with censor_recent=True): a merged touch has no one time."
            )
        js = js.collapse_repeats()
    if js.n == 0 or len(js.symbols) == 0:
        raise ValidationError("there are no journeys with touches to count.")
    longest = int(js.lengths.max())
    if order > max(longest, 1):
        raise ValidationError(
            f"order == {order} is larger than the longest journey ({longest} touches): an "
            f"order-{order} state never has a full history. Use order <= {max(longest, 1)}."
        )
    tc = transition_counts(js, sequence=sequence, order=order, censored=censored)
    journey, frm, to, pos_from, pos_to = _transitions_of(js, tc, censored)
    t_from = t_to = None
    if touch_time is not None:
        t_from = np.where(pos_from >= 0, touch_time[np.maximum(pos_from, 0)], np.nan)
        t_to = np.where(pos_to >= 0, touch_time[np.maximum(pos_to, 0)], np.nan)
        # a conversion happens at the journey's end time
        conv_i = tc.states.index(tc.absorbing[0])
        is_conv = to == conv_i
        t_to[is_conv] = frame["end_time"].to_numpy()[journey[is_conv]]
    out = JourneyTransitions(
        counts=tc,
        journey=journey,
        frm=frm,
        to=to,
        weight=js.weight[journey].astype(float),
        unit=unit,
        unit_weight=unit_weight,
        journey_frame=frame,
        time_from=t_from,
        time_to=t_to,
        info={"sequence": sequence, "order": order, "censored": censored, "journeys": journeys,
              "n_journeys": float(js.weight.sum()), "timeout": timeout,
              "scheme": None if frame is None else log.scheme},
        journey_set=js,
        touch_time=touch_time,
    )
    if spec.censor_recent and timeout is not None and frame is not None:
        days = log.duration(timeout, "D")
        recent = out.recent(days)
        out = out.subset(~recent, censored_recent=int(recent.sum()))
    return out


def counts_from_table(
    data: pd.DataFrame | Mapping[tuple[str, str], float],
    *,
    start: str = START,
    absorbing: tuple[str, ...] = (CONVERSION, NULL),
    order: int = 1,
    states: tuple[str, ...] | None = None,
) -> TransitionCounts:
    """Pre-aggregated counts (long ``from_state``, ``to_state``, ``count``) as TransitionCounts.

    Checks that the counts are finite and non-negative, that journeys start (the start state
    has outgoing transitions), that nothing leaves an absorbing state and that nothing enters
    the start state. Rows of one transition are summed; zero counts are dropped.

    Parameters
    ----------
    data : DataFrame or mapping
        Columns ``from_state``, ``to_state`` and ``count`` (one row per transition; state
        names as strings), or a mapping ``{(from_state, to_state): count}``.
    start : str
        The start state (default :data:`cjmodels.data.START`, ``"(start)"``).
    absorbing : tuple of str
        The absorbing states, conversion first, then drop-out (default ``("(conversion)",
        "(null)")``).
    order : int
        The Markov order the states stand for (recorded; an order-k state is named by its
        last k symbols joined by ``" > "``).
    states : tuple of str, optional
        Every state, in order; default: the start state, the other observed states sorted,
        then the absorbing states.

    Returns
    -------
    TransitionCounts
        The counts (integers when all are whole), ordered by state;
        ``info["n_journeys"]`` is the count out of the start state.

    Raises
    ------
    ValidationError
        For missing columns, counts that are negative, not finite or above 2**53 in total,
        transitions out of an absorbing state or into the start state, no transition out of
        the start state, or observed states missing from ``states``.

    Examples
    --------
    >>> tc = counts_from_table({("(start)", "a"): 3, ("a", "(conversion)"): 1,
    ...                         ("a", "(null)"): 2})
    >>> tc.states
    ('(start)', 'a', '(conversion)', '(null)')
    """
    table = data
    if isinstance(table, Mapping):
        table = pd.DataFrame(
            [(f, t, c) for (f, t), c in table.items()], columns=["from_state", "to_state", "count"]
        )
    if not isinstance(table, pd.DataFrame):
        raise ValidationError("counts must be a DataFrame (from_state, to_state, count).")
    missing = [c for c in ("from_state", "to_state", "count") if c not in table]
    if missing:
        raise ValidationError(
            f"count table is missing columns {missing}; it has {list(table.columns)}. Expected "
            "from_state, to_state, count (one row per transition)."
        )
    t = table[["from_state", "to_state", "count"]].copy()
    t["from_state"] = t["from_state"].astype(str)
    t["to_state"] = t["to_state"].astype(str)
    c = pd.to_numeric(t["count"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(c) | (c < 0)
    if bad.any():
        raise ValidationError(
            f"column 'count' must be finite and >= 0; rows {t.index[bad][:5].tolist()} are not."
        )
    with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is inf, refused here
        total = float(c.sum())
    if total > 2.0**53:  # the path tables' limit
        raise ValidationError(
            f"column 'count' adds up to {total:.3g} transitions, more than 2**53 (about 9.0e15), "
            "above which they cannot be counted exactly; scale them down (the transition "
            "probabilities do not change)."
        )
    t["count"] = c
    t = t.loc[c > 0]
    if start in absorbing:
        raise ValidationError(f"start == {start!r} is also listed as absorbing.")
    out_abs = t["from_state"].isin(absorbing).to_numpy()
    if out_abs.any():
        rows = t.loc[out_abs, ["from_state", "to_state"]].head(5).values.tolist()
        raise ValidationError(
            f"{int(out_abs.sum())} counted transitions leave an absorbing state, for example "
            f"{rows}. An absorbing state (end of a journey) has no outgoing transitions: remove "
            "these rows or do not declare the state absorbing."
        )
    into_start = (t["to_state"] == start).to_numpy()
    if into_start.any():
        raise ValidationError(
            f"{int(into_start.sum())} counted transitions enter the start state {start!r}; "
            "journeys only leave it."
        )
    if not (t["from_state"] == start).any():
        raise ValidationError(
            f"no transition leaves the start state {start!r}: the journeys never start. Each "
            f"journey needs a row ({start!r}, first state, count)."
        )
    seen = set(t["from_state"]) | set(t["to_state"])
    if states is None:
        transient = sorted(seen - {start} - set(absorbing))
        states = (start, *transient, *absorbing)
    else:
        unknown = sorted(seen - set(states))
        if unknown:
            raise ValidationError(
                f"states {unknown} appear in the counts but not in the declared states "
                f"{list(states)}."
            )
    t = t.groupby(["from_state", "to_state"], as_index=False, sort=False)["count"].sum()
    rank = {s: i for i, s in enumerate(states)}
    t = t.iloc[np.lexsort((t["to_state"].map(rank), t["from_state"].map(rank)))]
    t = t.reset_index(drop=True)
    if np.all(t["count"] == np.round(t["count"])):
        t["count"] = t["count"].astype(np.int64)
    n_j = float(t.loc[t["from_state"] == start, "count"].sum())
    return TransitionCounts(
        t, tuple(states), order, start, tuple(absorbing),
        {"source": "counts", "n_journeys": n_j, "separator": PATH_SEPARATOR},
    )
