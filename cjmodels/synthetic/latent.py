"""Synthetic journeys emitted by known latent stages: the normative path behind the organic one.

The world
---------
Every customer makes one journey. The journey starts in a latent stage drawn from ``startprob``
(default: awareness, consideration, intent). At each step the customer, being in stage ``s``,

1. is touched: a channel is drawn from the stage's emission profile ``emissionprob[s]`` and a
   ``touch`` event is emitted (the stage itself is *not* in the event log);
2. moves by the row ``transitions[s]``: to a stage (possibly the same one), to ``(conversion)``
   (a ``conversion`` event follows, with a lognormal value) or to ``(null)`` (a ``drop_out``
   event follows), the journey's outcome being observed as its final event;
3. waits an exponential gap (mean ``mean_gap_days``, the same in every stage, so the observation
   end censors journeys independently of their stages) until the next event.

Customers arrive uniformly over the observation window; events after its end are not emitted, so
late journeys are censored. This is exactly the hidden Markov model of
:class:`cjmodels.markov.HiddenMarkovModel` with ``end_states=True``; the true stage of every touch
is kept in ``tables["touches"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels.data.stages import CONVERSION, NULL
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = [
    "DEFAULT_LATENT_CHANNELS",
    "DEFAULT_LATENT_EMISSIONS",
    "DEFAULT_LATENT_STAGES",
    "DEFAULT_LATENT_START",
    "DEFAULT_LATENT_TRANSITIONS",
    "LatentWorld",
    "simulate_latent_journeys",
]

#: Default latent stages (the normative path).
DEFAULT_LATENT_STAGES: tuple[str, ...] = ("awareness", "consideration", "intent")
#: Default observed channels (the organic path).
DEFAULT_LATENT_CHANNELS: tuple[str, ...] = (
    "display", "social", "organic_search", "paid_search", "email", "direct",
)
#: Default initial stage distribution.
DEFAULT_LATENT_START = np.array([0.75, 0.20, 0.05])
#: Default per-touch moves: columns are the stages, then (conversion), then (null).
DEFAULT_LATENT_TRANSITIONS = np.array([
    [0.60, 0.22, 0.02, 0.01, 0.15],
    [0.05, 0.55, 0.24, 0.04, 0.12],
    [0.02, 0.10, 0.45, 0.28, 0.15],
])
#: Default channel profile of each stage (rows: stages, columns: channels).
DEFAULT_LATENT_EMISSIONS = np.array([
    [0.35, 0.30, 0.25, 0.05, 0.03, 0.02],
    [0.08, 0.12, 0.35, 0.25, 0.12, 0.08],
    [0.02, 0.03, 0.15, 0.25, 0.25, 0.30],
])


@result_dataclass
class LatentWorld(SyntheticWorld):
    """A :class:`~cjmodels.synthetic.SyntheticWorld` of touches emitted by latent stages.

    Built by :func:`simulate_latent_journeys`; the event log shows only the channels, while
    :attr:`touches` keeps the true stage of every touch and :meth:`hmm_params` gives the true
    parameters in the layout of :class:`cjmodels.markov.HiddenMarkovModel`.

    Attributes
    ----------
    name : str
        ``"latent_journeys"``.
    events : pandas.DataFrame
        ``customer_id``, ``timestamp``, ``event`` (``"touch"``, ``"conversion"``,
        ``"drop_out"``), ``channel`` (None off touches) and ``value`` (the conversion value, 0
        elsewhere), sorted by customer and time.
    truth : dict
        ``stages``, ``channels``, ``startprob``, ``transitions``, ``emissionprob``, the exact
        ``conversion_probability``, ``dropout_probability`` and ``expected_touches`` of a
        journey (absorbing-chain algebra, ignoring censoring), and ``simulation`` counts
        (touches, journeys by outcome, journeys cut at ``max_touches``).
    params : dict
        The arguments of :func:`simulate_latent_journeys` (``random_state`` is None unless it
        was an int).
    tables : dict of str to DataFrame
        ``"touches"`` (the true stage of every touch, with its row in :attr:`events`),
        ``"journeys"`` (arrival, entry stage, outcome and touches per customer),
        ``"transitions"`` and ``"emissionprob"`` (the true matrices, labelled).
    event_log_options : dict
        ``observation_start`` and ``observation_end`` (the simulated window), for
        :meth:`event_log`, so that open journeys are censored at the window's end.

    See Also
    --------
    simulate_latent_journeys : Builds this world.
    cjmodels.markov.HiddenMarkovModel : Recovers the latent stages from the touches.

    Examples
    --------
    >>> w = simulate_latent_journeys(100, random_state=1)
    >>> w
    LatentWorld(name='latent_journeys', n_events=590, n_customers=100)
    >>> w.stages
    ['awareness', 'consideration', 'intent']
    """

    @property
    def stages(self) -> list[str]:
        """Names of the latent stages."""
        return list(self.truth["stages"])

    @property
    def touches(self) -> pd.DataFrame:
        """One row per emitted touch (event-log order) with its row, customer, time, channel and true stage."""
        return self.tables["touches"]

    def hmm_params(self, symbols: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """True parameters in the layout of ``HiddenMarkovModel(end_states=True)``.

        States are the stages then ``(conversion)``, ``(null)``; emission columns follow
        ``symbols`` (default: the channels sorted, as the model sorts them) then the two end
        symbols. Usable as the model's ``init`` and for comparisons.

        Parameters
        ----------
        symbols : sequence of str, optional
            Order of the channel columns of the emission matrix; default: the world's channels
            sorted. Every symbol must be a channel of the world.

        Returns
        -------
        dict of str to numpy.ndarray
            ``"startprob"`` (length S + 2), ``"transmat"`` ((S + 2) x (S + 2); the two end
            states absorbing) and ``"emissionprob"`` ((S + 2) x (C + 2); each end state emits
            only its own end symbol).

        Raises
        ------
        cjmodels.errors.ValidationError
            If a symbol is not a channel of this world.

        Examples
        --------
        >>> w = simulate_latent_journeys(100, random_state=1)
        >>> p = w.hmm_params()
        >>> p["transmat"].shape, p["emissionprob"].shape
        ((5, 5), (5, 8))
        >>> p["startprob"].tolist()
        [0.75, 0.2, 0.05, 0.0, 0.0]
        """
        channels = list(self.truth["channels"])
        symbols = sorted(channels) if symbols is None else list(symbols)
        unknown = [s for s in symbols if s not in channels]
        if unknown:
            raise ValidationError(f"symbols {unknown} are not channels of this world {channels}.")
        k = len(self.stages)
        emis = self.tables["emissionprob"][symbols].to_numpy()
        full_e = np.zeros((k + 2, len(symbols) + 2))
        full_e[:k, : len(symbols)] = emis
        full_e[k, -2] = full_e[k + 1, -1] = 1.0
        trans = np.zeros((k + 2, k + 2))
        trans[:k] = self.tables["transitions"].to_numpy()
        trans[k, k] = trans[k + 1, k + 1] = 1.0
        start = np.concatenate([np.asarray(self.truth["startprob"], dtype=float), [0.0, 0.0]])
        return {"startprob": start, "transmat": trans, "emissionprob": full_e}


def _matrix(x: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(x.to_numpy() if isinstance(x, pd.DataFrame | pd.Series) else x, dtype=float)
    if arr.shape != shape:
        raise ValidationError(f"{name} has shape {arr.shape}, must be {shape}.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValidationError(f"{name} must hold finite non-negative probabilities.")
    sums = arr.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=1e-9):
        raise ValidationError(f"{name} rows must sum to 1; they sum to {np.round(sums, 6)}.")
    return arr


def simulate_latent_journeys(
    n_customers: int = 2000,
    *,
    stages: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    startprob: Any = None,
    transitions: Any = None,
    emissionprob: Any = None,
    mean_gap_days: float = 2.0,
    days: float = 365.0,
    start: Any = "2025-01-01",
    max_touches: int = 500,
    random_state: int | np.random.Generator | None = None,
) -> LatentWorld:
    """Simulate journeys whose touches are emitted by known latent stages (see the module doc).

    Parameters
    ----------
    n_customers : int, default 2000
        Customers, arriving uniformly over ``[start, start + days)``; one journey each.
    stages, channels : list of str, optional
        Names of the latent stages and the channels; default :data:`DEFAULT_LATENT_STAGES` and
        :data:`DEFAULT_LATENT_CHANNELS` (give the matrices too when you change their number).
    startprob : array (S,), optional
        Initial stage distribution.
    transitions : array (S, S + 2), optional
        Per-touch moves from each stage to each stage, then to ``(conversion)`` and ``(null)``;
        rows sum to 1 and some exit must be possible (the expected journey must be finite).
    emissionprob : array (S, C), optional
        Channel profile of each stage.
    mean_gap_days : float, default 2.0
        Mean (days) of the exponential gap between consecutive events of a journey.
    days : float, default 365.0
        Observation window in days; later events are not emitted (censoring).
    start : str or Timestamp, default "2025-01-01"
        Start of the window.
    max_touches : int, default 500
        Safety cap on touches per journey; capped journeys are cut (counted in the truth).
    random_state : int, Generator or None, default None
        Seed or generator of every draw; the same int gives the same world.

    Returns
    -------
    LatentWorld
        ``events``: ``customer_id``, ``timestamp``, ``event`` (touch / conversion / drop_out),
        ``channel`` (None off touches), ``value`` (conversion value, 0 elsewhere). ``truth``:
        stages, channels, ``startprob``, ``transitions``, ``emissionprob``, the exact
        conversion probability and expected touches of a journey (absorbing-chain algebra), and
        simulation counts. ``tables``: ``touches`` (the true stage of every touch),
        ``journeys`` (entry stage, outcome, touches), ``transitions``, ``emissionprob``.

    Examples
    --------
    >>> world = simulate_latent_journeys(200, random_state=1)
    >>> world.events.columns.tolist()
    ['customer_id', 'timestamp', 'event', 'channel', 'value']
    >>> world.stages
    ['awareness', 'consideration', 'intent']
    >>> round(world.truth["conversion_probability"], 3)
    0.342
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    check_scalar(mean_gap_days, "mean_gap_days", typ=float, gt=0)
    check_scalar(days, "days", typ=float, gt=0)
    check_scalar(max_touches, "max_touches", typ=int, ge=1)
    if not np.isfinite(days) or not np.isfinite(mean_gap_days):
        raise ValidationError("days and mean_gap_days must be finite.")
    t0 = parse_start(start)
    st = list(DEFAULT_LATENT_STAGES if stages is None else stages)
    ch = list(DEFAULT_LATENT_CHANNELS if channels is None else channels)
    for name, vals in (("stages", st), ("channels", ch)):
        if not vals or len(set(vals)) != len(vals) or not all(isinstance(v, str) for v in vals):
            raise ValidationError(f"{name} == {vals!r}, must be distinct non-empty strings.")
    k, c = len(st), len(ch)
    pi = _matrix(DEFAULT_LATENT_START if startprob is None else startprob, (k,), "startprob")
    tr = _matrix(DEFAULT_LATENT_TRANSITIONS if transitions is None else transitions,
                 (k, k + 2), "transitions")
    em = _matrix(DEFAULT_LATENT_EMISSIONS if emissionprob is None else emissionprob, (k, c),
                 "emissionprob")
    q = tr[:, :k]
    try:
        fundamental = np.linalg.inv(np.eye(k) - q)
    except np.linalg.LinAlgError:
        fundamental = None
    if fundamental is None or not np.all(np.isfinite(fundamental)) or (fundamental < -1e-9).any():
        raise ValidationError(
            "transitions never leave the stages (no path to (conversion) or (null)); journeys "
            "would never end. Give some stage a positive exit probability."
        )
    absorb = pi @ fundamental @ tr[:, k:]
    expected_touches = float(pi @ fundamental @ np.ones(k))

    rng = as_generator(random_state)
    r_arr, r_stage, r_chan, r_move, r_gap, r_val = rng.spawn(6)
    arrival = np.sort(r_arr.uniform(0.0, days, n_customers))
    cum_tr = np.cumsum(tr, axis=1)
    cum_em = np.cumsum(em, axis=1)
    state = np.minimum(np.searchsorted(np.cumsum(pi), r_stage.uniform(size=n_customers),
                                       side="right"), k - 1)
    entry = state.copy()
    time = arrival.copy()
    active = np.arange(n_customers)
    t_cust, t_time, t_chan, t_stage = [], [], [], []
    outcome = np.full(n_customers, 2, dtype=np.int8)  # 0 conversion, 1 drop-out, 2 censored
    end_time = np.full(n_customers, np.nan)
    n_touch = np.zeros(n_customers, dtype=np.int64)
    n_capped = 0
    for _ in range(max_touches):
        if len(active) == 0:
            break
        s = state[active]
        u = r_chan.uniform(size=len(active))
        chan = np.minimum((u[:, None] >= cum_em[s]).sum(axis=1), c - 1)
        seen = time[active] < days
        t_cust.append(active[seen])
        t_time.append(time[active][seen])
        t_chan.append(chan[seen])
        t_stage.append(s[seen])
        n_touch[active[seen]] += 1
        u = r_move.uniform(size=len(active))
        nxt = np.minimum((u[:, None] >= cum_tr[s]).sum(axis=1), k + 1)
        time[active] += r_gap.exponential(mean_gap_days, size=len(active))
        done = nxt >= k
        ended = active[done]
        outcome[ended] = (nxt[done] - k).astype(np.int8)
        end_time[ended] = time[ended]
        state[active[~done]] = nxt[~done]
        # customers past the window stop being simulated (their later events are unobserved)
        keep = ~done & (time[active] < days)
        active = active[keep]
    n_capped = len(active)
    # an end event after the window is not observed: the journey is censored
    late = np.isfinite(end_time) & (end_time >= days)
    outcome[late] = 2
    end_time[late] = np.nan

    tc = np.concatenate(t_cust)
    tt = np.concatenate(t_time)
    tch = np.concatenate(t_chan)
    tst = np.concatenate(t_stage)
    ends = np.flatnonzero(outcome < 2)
    vals = np.round(r_val.lognormal(np.log(80.0), 0.5, size=n_customers), 2)
    cust = np.concatenate([tc, ends])
    tim = np.concatenate([tt, end_time[ends]])
    kind = np.concatenate([np.zeros(len(tc), dtype=np.int64), 1 + outcome[ends]])
    chan_names = np.array([*ch, None], dtype=object)
    chan_code = np.concatenate([tch, np.full(len(ends), c)])
    stage_code = np.concatenate([tst, np.full(len(ends), -1)])
    order = np.lexsort((kind, tim, cust))
    cust, tim, kind = cust[order], tim[order], kind[order]
    chan_code, stage_code = chan_code[order], stage_code[order]
    stamp = np.datetime64(t0.as_unit("ns").asm8) + np.round(tim * 86_400e9).astype(
        "timedelta64[ns]")
    value = np.where(kind == 1, vals[cust], 0.0)
    events = pd.DataFrame({
        "customer_id": cust + 1,
        "timestamp": stamp,
        "event": np.array(["touch", "conversion", "drop_out"], dtype=object)[kind],
        "channel": chan_names[chan_code],
        "value": value,
    })
    is_touch = kind == 0
    touches = pd.DataFrame({
        "event_row": np.flatnonzero(is_touch),
        "customer_id": cust[is_touch] + 1,
        "timestamp": stamp[is_touch],
        "channel": chan_names[chan_code[is_touch]],
        "stage": np.array(st, dtype=object)[stage_code[is_touch]],
    })
    outcomes = np.array(["conversion", "drop_out", "censored"], dtype=object)
    journeys = pd.DataFrame({
        "customer_id": np.arange(n_customers) + 1,
        "arrival": np.datetime64(t0.as_unit("ns").asm8)
        + np.round(arrival * 86_400e9).astype("timedelta64[ns]"),
        "entry_stage": np.array(st, dtype=object)[entry],
        "outcome": outcomes[outcome],
        "n_touches": n_touch,
    })
    end_names = [CONVERSION, NULL]
    tables = {
        "touches": touches,
        "journeys": journeys,
        "transitions": pd.DataFrame(tr, index=st, columns=st + end_names),
        "emissionprob": pd.DataFrame(em, index=st, columns=ch),
    }
    counts = journeys["outcome"].value_counts()
    truth = {
        "stages": st,
        "channels": ch,
        "startprob": pi.tolist(),
        "transitions": tr.tolist(),
        "emissionprob": em.tolist(),
        "conversion_probability": float(absorb[0]),
        "dropout_probability": float(absorb[1]),
        "expected_touches": expected_touches,
        "simulation": {
            "n_customers": n_customers,
            "n_touches": int(is_touch.sum()),
            "journeys_by_outcome": {o: int(counts.get(o, 0)) for o in outcomes},
            "n_capped": int(n_capped),
        },
    }
    return LatentWorld(
        name="latent_journeys",
        events=events,
        truth=truth,
        params={
            "n_customers": n_customers,
            "stages": st,
            "channels": ch,
            "mean_gap_days": float(mean_gap_days),
            "days": float(days),
            "start": str(t0),
            "max_touches": max_touches,
            "random_state": random_state if isinstance(random_state, int) else None,
        },
        tables=tables,
        event_log_options={
            "observation_start": t0,
            "observation_end": t0 + pd.Timedelta(float(days), unit="D"),
        },
    )
