"""Synthetic journeys from known behavioural segments: a mixture of Markov chains over channels.

The world
---------
Every customer belongs to one segment, drawn from ``shares``, and makes one journey. The
journey is a first-order Markov chain over channels with the segment's own matrix: from
``(start)`` the first channel is drawn from the segment's start row; after each touch on channel
``c`` the next step is drawn from row ``c``: another channel (possibly the same), ``(conversion)``
(a ``conversion`` event follows, with a lognormal value) or ``(null)`` (a ``drop_out`` event
follows). Gaps between events are exponential (mean ``mean_gap_days``, the same in every
segment, so the observation end censors journeys independently of their segment).

Customers arrive uniformly over the observation window; events after its end are not emitted, so
late journeys are censored. This is exactly the model of
:class:`cjmodels.analytics.MarkovMixture` with ``JourneySpec(sequence="channel")``; the true
segment of every customer is kept in ``tables["membership"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels.data.stages import CONVERSION, NULL, START
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = [
    "DEFAULT_SEGMENT_CHANNELS",
    "DEFAULT_SEGMENT_EXITS",
    "DEFAULT_SEGMENT_MATRICES",
    "DEFAULT_SEGMENT_NAMES",
    "DEFAULT_SEGMENT_PREFERENCES",
    "DEFAULT_SEGMENT_WEIGHTS",
    "SegmentWorld",
    "simulate_segment_journeys",
]

#: Default channels of the segment world.
DEFAULT_SEGMENT_CHANNELS: tuple[str, ...] = ("search", "email", "social", "display", "direct")
#: Default segment names.
DEFAULT_SEGMENT_NAMES: tuple[str, ...] = ("searchers", "browsers", "loyal")
#: Default segment shares.
DEFAULT_SEGMENT_WEIGHTS = np.array([0.45, 0.35, 0.20])
#: Each default segment's channel preferences (the start row, and 70% of every move).
DEFAULT_SEGMENT_PREFERENCES = np.array([
    [0.60, 0.05, 0.05, 0.05, 0.25],  # searchers: search, then direct
    [0.10, 0.05, 0.45, 0.35, 0.05],  # browsers: social and display
    [0.05, 0.55, 0.03, 0.02, 0.35],  # loyal: email and direct
])
#: Each default segment's probabilities of (conversion) and (null) after every touch.
DEFAULT_SEGMENT_EXITS = np.array([[0.10, 0.06], [0.015, 0.12], [0.14, 0.06]])


def _default_matrices() -> np.ndarray:
    k, c = DEFAULT_SEGMENT_PREFERENCES.shape
    out = np.zeros((k, c + 1, c + 2))
    for s in range(k):
        pref, (conv, null) = DEFAULT_SEGMENT_PREFERENCES[s], DEFAULT_SEGMENT_EXITS[s]
        out[s, 0, :c] = pref
        stay = 1.0 - conv - null
        out[s, 1:, :c] = stay * (0.7 * pref[None, :] + 0.3 * np.eye(c))
        out[s, 1:, c], out[s, 1:, c + 1] = conv, null
    return out


#: Default matrices, one per segment: rows ``(start)`` then the channels; columns the channels,
#: then ``(conversion)`` and ``(null)``. From ``(start)`` the first channel follows the
#: segment's preferences; after a touch on channel ``c`` the customer converts or drops out
#: with the segment's exit probabilities, else moves by 70% its preferences and 30% a repeat of
#: ``c``.
DEFAULT_SEGMENT_MATRICES = _default_matrices()


@result_dataclass
class SegmentWorld(SyntheticWorld):
    """A :class:`~cjmodels.synthetic.SyntheticWorld` of journeys from known behavioural segments.

    Built by :func:`simulate_segment_journeys`; the event log shows the channels, while
    :attr:`membership` keeps the true segment of every customer and :meth:`transition_matrix`
    gives each segment's true matrix with the state names of
    :func:`cjmodels.data.journey_transitions`.

    Attributes
    ----------
    name : str
        ``"segment_journeys"``.
    events : pandas.DataFrame
        ``customer_id``, ``timestamp``, ``event`` (``"touch"``, ``"conversion"``,
        ``"drop_out"``), ``channel`` (None off touches) and ``value`` (the conversion value, 0
        elsewhere), sorted by customer and time.
    truth : dict
        ``segments``, ``channels``, ``states`` (rows and columns of the matrices),
        ``weights``, ``matrices`` (segment x from-state x to-state, the full square chain with
        ``(start)`` first and the absorbing states last), each segment's exact
        ``conversion_probability`` and ``expected_touches`` (absorbing-chain algebra, ignoring
        censoring), and ``simulation`` counts (customers per segment, touches, journeys by
        outcome, journeys cut at ``max_touches``).
    params : dict
        The arguments of :func:`simulate_segment_journeys` (``random_state`` is None unless it
        was an int).
    tables : dict of str to DataFrame
        ``"membership"`` (customer, segment name and number, arrival, outcome, touches) and
        ``"matrices"`` (the true matrices in long form: segment, from_state, to_state,
        probability).
    event_log_options : dict
        ``observation_start`` and ``observation_end`` (the simulated window), for
        :meth:`event_log`, so that open journeys are censored at the window's end.

    See Also
    --------
    simulate_segment_journeys : Builds this world.
    cjmodels.analytics.MarkovMixture : Recovers the segments from the journeys.

    Examples
    --------
    >>> w = simulate_segment_journeys(100, random_state=1)
    >>> w
    SegmentWorld(name='segment_journeys', n_events=715, n_customers=100)
    >>> w.segments
    ['searchers', 'browsers', 'loyal']
    """

    @property
    def segments(self) -> list[str]:
        """Names of the segments."""
        return list(self.truth["segments"])

    @property
    def membership(self) -> pd.DataFrame:
        """One row per customer: ``customer_id``, ``segment`` (name), ``segment_index``,
        ``arrival``, ``outcome`` and ``n_touches``."""
        return self.tables["membership"]

    def transition_matrix(self, segment: str | int) -> pd.DataFrame:
        """The true transition matrix of one segment, labelled by state.

        Parameters
        ----------
        segment : str or int
            The segment's name or its index in :attr:`segments`.

        Returns
        -------
        pandas.DataFrame
            Rows and columns ``(start)``, the channels, ``(conversion)``, ``(null)`` (the states
            of :func:`cjmodels.data.journey_transitions`, channels in the world's order); the
            absorbing rows are all zero, as in a fitted chain's count-based matrix.

        Raises
        ------
        cjmodels.errors.ValidationError
            For a segment that is not in the world.

        Examples
        --------
        >>> w = simulate_segment_journeys(50, random_state=1)
        >>> m = w.transition_matrix("loyal")
        >>> round(float(m.loc["(start)", "email"]), 2)
        0.55
        """
        names = self.segments
        if isinstance(segment, (int, np.integer)) and not isinstance(segment, bool):
            if not 0 <= int(segment) < len(names):
                raise ValidationError(f"segment == {segment!r}, must be in 0..{len(names) - 1}.")
            k = int(segment)
        elif segment in names:
            k = names.index(segment)
        else:
            raise ValidationError(f"segment == {segment!r} is not one of the segments {names}.")
        states = list(self.truth["states"])
        return pd.DataFrame(np.asarray(self.truth["matrices"][k], dtype=float), index=states,
                            columns=states)


def _check_matrices(x: Any, k: int, c: int) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.shape != (k, c + 1, c + 2):
        raise ValidationError(
            f"matrices has shape {arr.shape}, must be {(k, c + 1, c + 2)}: one matrix per "
            "segment, rows (start) then the channels, columns the channels then (conversion) "
            "and (null)."
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValidationError("matrices must hold finite non-negative probabilities.")
    sums = arr.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-9):
        raise ValidationError(f"matrices rows must sum to 1; they sum to {np.round(sums, 6)}.")
    if (arr[:, 0, c:] > 0).any():
        raise ValidationError(
            "the (start) row of matrices must put no probability on (conversion) or (null): "
            "a journey starts with a touch."
        )
    return arr


def simulate_segment_journeys(
    n_customers: int = 2000,
    *,
    segments: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    shares: Any = None,
    matrices: Any = None,
    mean_gap_days: float = 2.0,
    days: float = 365.0,
    start: Any = "2025-01-01",
    max_touches: int = 200,
    random_state: int | np.random.Generator | None = None,
) -> SegmentWorld:
    """Simulate one journey per customer from known segments, each a Markov chain over channels.

    See the module docstring for the world. The defaults are three segments: search-led
    customers who convert often, social/display browsers who mostly drop out, and loyal
    email/direct customers.

    Parameters
    ----------
    n_customers : int, default 2000
        Customers, arriving uniformly over ``[start, start + days)``; one journey each.
    segments, channels : list of str, optional
        Names of the segments and the channels; default :data:`DEFAULT_SEGMENT_NAMES` and
        :data:`DEFAULT_SEGMENT_CHANNELS` (give ``shares`` and ``matrices`` too when you change
        their number).
    shares : array (K,), optional
        Share of customers in each segment; default :data:`DEFAULT_SEGMENT_WEIGHTS`.
    matrices : array (K, C + 1, C + 2), optional
        Per segment: rows ``(start)`` then the channels; columns the channels, then
        ``(conversion)`` and ``(null)``. Rows sum to 1, the start row puts nothing on the
        end states, and the journeys must end (some exit reachable).
    mean_gap_days : float, default 2.0
        Mean (days) of the exponential gap between consecutive events of a journey.
    days : float, default 365.0
        Observation window in days; later events are not emitted (censoring).
    start : str or Timestamp, default "2025-01-01"
        Start of the window.
    max_touches : int, default 200
        Safety cap on touches per journey; capped journeys are cut (counted in the truth).
    random_state : int, Generator or None, default None
        Seed or generator of every draw; the same int gives the same world.

    Returns
    -------
    SegmentWorld
        ``events``: ``customer_id``, ``timestamp``, ``event`` (touch / conversion / drop_out),
        ``channel`` (None off touches), ``value``. ``truth``: segments, channels, states,
        ``weights``, ``matrices`` (square, in the states' order), per-segment conversion
        probability and expected touches, simulation counts. ``tables``: ``membership`` (the
        true segment of each customer) and ``matrices`` (long form).

    Raises
    ------
    cjmodels.errors.ValidationError
        For a bad count, window, name list, shares or matrices of the wrong shape, not summing
        to 1, or whose journeys never end.

    Examples
    --------
    >>> world = simulate_segment_journeys(300, random_state=1)
    >>> world.events.columns.tolist()
    ['customer_id', 'timestamp', 'event', 'channel', 'value']
    >>> world.membership["segment"].value_counts().reindex(world.segments).tolist()
    [129, 96, 75]
    >>> [round(p, 3) for p in world.truth["conversion_probability"]]
    [0.625, 0.111, 0.7]
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    check_scalar(mean_gap_days, "mean_gap_days", typ=float, gt=0)
    check_scalar(days, "days", typ=float, gt=0)
    check_scalar(max_touches, "max_touches", typ=int, ge=1)
    if not np.isfinite(days) or not np.isfinite(mean_gap_days):
        raise ValidationError("days and mean_gap_days must be finite.")
    t0 = parse_start(start)
    seg = list(DEFAULT_SEGMENT_NAMES if segments is None else segments)
    ch = list(DEFAULT_SEGMENT_CHANNELS if channels is None else channels)
    for name, vals in (("segments", seg), ("channels", ch)):
        if not vals or len(set(vals)) != len(vals) or not all(isinstance(v, str) for v in vals):
            raise ValidationError(f"{name} == {vals!r}, must be distinct non-empty strings.")
    if set(ch) & {START, CONVERSION, NULL}:
        raise ValidationError(f"channels must not use the state names {START}, {CONVERSION}, "
                              f"{NULL}.")
    k, c = len(seg), len(ch)
    w = np.asarray(DEFAULT_SEGMENT_WEIGHTS if shares is None else shares, dtype=float)
    if w.shape != (k,) or not np.isfinite(w).all() or (w < 0).any() or not np.isclose(
            w.sum(), 1.0, atol=1e-9):
        raise ValidationError(
            f"shares == {w.tolist()}, must be {k} non-negative shares summing to 1 (one per "
            "segment).")
    mats = _check_matrices(DEFAULT_SEGMENT_MATRICES if matrices is None else matrices, k, c)
    conv_p, exp_t = [], []
    for m in mats:
        q = m[1:, :c]
        try:
            fund = np.linalg.inv(np.eye(c) - q)
        except np.linalg.LinAlgError:
            fund = None
        if fund is None or not np.all(np.isfinite(fund)) or (fund < -1e-9).any():
            raise ValidationError(
                "some segment's journeys never end (no path to (conversion) or (null)); give "
                "some channel a positive exit probability.")
        first = m[0, :c]
        conv_p.append(float(first @ fund @ m[1:, c]))
        exp_t.append(float(first @ fund @ np.ones(c)))

    rng = as_generator(random_state)
    r_arr, r_seg, r_move, r_gap, r_val = rng.spawn(5)
    arrival = np.sort(r_arr.uniform(0.0, days, n_customers))
    member = np.minimum(np.searchsorted(np.cumsum(w), r_seg.uniform(size=n_customers),
                                        side="right"), k - 1)
    cum = np.cumsum(mats, axis=2)
    # state: 0 = (start), 1..c = channels; draws give columns 0..c-1 channels, c conv, c+1 null
    state = np.zeros(n_customers, dtype=np.int64)
    time = arrival.copy()
    active = np.arange(n_customers)
    t_cust, t_time, t_chan = [], [], []
    outcome = np.full(n_customers, 2, dtype=np.int8)  # 0 conversion, 1 drop-out, 2 censored
    end_time = np.full(n_customers, np.nan)
    n_touch = np.zeros(n_customers, dtype=np.int64)
    for step in range(max_touches):
        if len(active) == 0:
            break
        u = r_move.uniform(size=len(active))
        rows = cum[member[active], state[active]]
        nxt = np.minimum((u[:, None] >= rows).sum(axis=1), c + 1)
        if step > 0:  # the gap before every event but the first touch (at arrival)
            time[active] += r_gap.exponential(mean_gap_days, size=len(active))
        seen = time[active] < days  # an event after the window is not observed: censored
        done = nxt >= c
        ended = active[done & seen]
        outcome[ended] = (nxt[done & seen] - c).astype(np.int8)
        end_time[ended] = time[ended]
        touch = ~done & seen
        t_cust.append(active[touch])
        t_time.append(time[active][touch])
        t_chan.append(nxt[touch])
        n_touch[active[touch]] += 1
        state[active[touch]] = nxt[touch] + 1
        active = active[touch]
    # journeys still going after max_touches touches are cut (censored)
    n_capped = len(active)

    tc = np.concatenate(t_cust) if t_cust else np.empty(0, dtype=np.int64)
    tt = np.concatenate(t_time) if t_time else np.empty(0)
    tch = np.concatenate(t_chan) if t_chan else np.empty(0, dtype=np.int64)
    ends = np.flatnonzero(outcome < 2)
    vals = np.round(r_val.lognormal(np.log(80.0), 0.5, size=n_customers), 2)
    cust = np.concatenate([tc, ends])
    tim = np.concatenate([tt, end_time[ends]])
    kind = np.concatenate([np.zeros(len(tc), dtype=np.int64), 1 + outcome[ends]])
    chan_names = np.array([*ch, None], dtype=object)
    chan_code = np.concatenate([tch, np.full(len(ends), c)])
    order = np.lexsort((kind, tim, cust))
    cust, tim, kind, chan_code = cust[order], tim[order], kind[order], chan_code[order]
    origin = np.datetime64(t0.as_unit("ns").asm8)
    stamp = origin + np.round(tim * 86_400e9).astype("timedelta64[ns]")
    events = pd.DataFrame({
        "customer_id": cust + 1,
        "timestamp": stamp,
        "event": np.array(["touch", "conversion", "drop_out"], dtype=object)[kind],
        "channel": chan_names[chan_code],
        "value": np.where(kind == 1, vals[cust], 0.0),
    })
    outcomes = np.array(["conversion", "drop_out", "censored"], dtype=object)
    membership = pd.DataFrame({
        "customer_id": np.arange(n_customers) + 1,
        "segment": np.array(seg, dtype=object)[member],
        "segment_index": member,
        "arrival": origin + np.round(arrival * 86_400e9).astype("timedelta64[ns]"),
        "outcome": outcomes[outcome],
        "n_touches": n_touch,
    })
    states = [START, *ch, CONVERSION, NULL]
    square = np.zeros((k, c + 3, c + 3))
    square[:, : c + 1, 1:] = mats
    long = pd.DataFrame([
        {"segment": seg[s], "from_state": states[i], "to_state": states[j],
         "probability": float(square[s, i, j])}
        for s in range(k) for i in range(c + 1) for j in range(1, c + 3)
    ])
    counts = membership["outcome"].value_counts()
    truth = {
        "segments": seg,
        "channels": ch,
        "states": states,
        "weights": w.tolist(),
        "matrices": square.tolist(),
        "conversion_probability": conv_p,
        "expected_touches": exp_t,
        "simulation": {
            "n_customers": n_customers,
            "customers_by_segment": {s: int((member == i).sum()) for i, s in enumerate(seg)},
            "n_touches": int(len(tc)),
            "journeys_by_outcome": {o: int(counts.get(o, 0)) for o in outcomes},
            "n_capped": int(n_capped),
        },
    }
    return SegmentWorld(
        name="segment_journeys",
        events=events,
        truth=truth,
        params={
            "n_customers": n_customers,
            "segments": seg,
            "channels": ch,
            "shares": w.tolist(),
            "mean_gap_days": float(mean_gap_days),
            "days": float(days),
            "start": str(t0),
            "max_touches": max_touches,
            "random_state": random_state if isinstance(random_state, int) else None,
        },
        tables={"membership": membership, "matrices": long},
        event_log_options={
            "observation_start": t0,
            "observation_end": t0 + pd.Timedelta(float(days), unit="D"),
        },
    )
