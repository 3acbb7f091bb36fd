"""Synthetic customer journeys: a stage Markov chain whose transitions depend on the touch channel.

The world
---------
Customers arrive uniformly at random over the observation window and start their first journey
in a pre-purchase stage of a :class:`~cjmodels.data.StageScheme`. Time runs in *steps*. At each
step a customer in stage ``s``

1. is touched: a channel ``c`` is drawn from the stage's channel mix ``pi(c | s)`` and a
   ``touch`` event (``channel=c``, ``stage=s``) is emitted at the current time. There is no
   "no touch" option in the factual world: every step in a stage is a touch (only the step out
   of the purchase stage has none);
2. moves to the next state with probability ``P_c(s -> s')``: the stage's baseline ("no touch")
   row with the odds of *making progress* multiplied by the channel's lift (see below);
3. waits a dwell time, Gamma (Erlang) distributed with a stage-dependent mean, until the next
   event.

Reaching the purchase stage emits a ``conversion`` event (``channel`` None, ``stage`` the
purchase stage, ``value`` lognormal revenue) and opens the customer's next journey (as in
:mod:`cjmodels.data.journeys`, touches after a conversion belong to the next journey):
post-purchase stages (touches by email, SMS, phone, store ...), possibly loyalty, then either a
*re-entry* into a pre-purchase stage (a repeat purchase journey, with much better odds: the
customer is now *returning*) or *churn*. Dropping out
before a purchase and churning after one both end the customer for good, and, as in real logs,
emit no event. Events after the observation end are not emitted; journeys still open then are
*censored*.

Effects are multiplicative on the odds of progress, like a logistic model. For a row with baseline
progress probability ``f``, the progress probability becomes ``m f / (1 - f + m f)`` with
``m = lift[channel] * segment_lift[segment] * region_lift[region] * returning_lift`` (the last
factor only in the pre-purchase rows of returning customers); the progress entries are scaled by
a common factor and all other entries (stay, fall back, drop out, churn) by another, so rows still
sum to 1. *Progress* means: before a purchase, a move to a later pre-purchase stage or to
purchase; after a purchase, a move to a later post-purchase stage or back into a new journey.

Removing a channel
------------------
"Removing channel ``c``" means: wherever ``c`` would have been drawn, the customer still takes the
step and waits the same time, but the touch does not happen: no event is emitted and the step
follows the baseline ("no touch", lift 1) row. Ground truth reports this counterfactual two ways:
exactly for a new customer's first journey (absorbing-chain linear algebra), and in the observed
window by re-simulating the world with common random numbers (see below).

Randomness and common random numbers
------------------------------------
``random_state`` seeds a :class:`numpy.random.SeedSequence` that is spawned into independent
child streams: one for arrival times, one per covariate, one for entry stages, and one key for a
counter-based stream that gives customer ``i`` at step ``n`` its own uniforms (for the channel,
the transition, the dwell time and the revenue): a SplitMix64 hash of ``(key, i, n, slot)``. This
is equivalent to handing every customer their own spawned stream, but stays vectorised. Because a
customer's draws do not depend on what happens to anyone else, a world re-simulated with a channel
removed gives every customer who never drew that channel exactly the same events.

The parameters live in :mod:`cjmodels.synthetic.journey_params` (their generated defaults in
:mod:`cjmodels.synthetic.journey_defaults`), the compiled model and its exact linear algebra in
:mod:`cjmodels.synthetic.journey_model`, the ground truth in
:mod:`cjmodels.synthetic.journey_truth`; this module simulates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from cjmodels._checks import check_scalar
from cjmodels.data import StageScheme
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start
from cjmodels.synthetic.journey_model import CompiledModel
from cjmodels.synthetic.journey_params import JourneyParams
from cjmodels.synthetic.journey_truth import realised_calibration, truth_tables

__all__ = ["JourneyWorld", "simulate_first_journeys", "simulate_journeys"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _uniforms(key: np.uint64, ids: np.ndarray, step: int, slot: int) -> np.ndarray:
    """Uniforms in (0, 1) for customers ``ids`` at ``step``: SplitMix64 of a counter."""
    counter = (ids.astype(np.uint64) << np.uint64(24)) | np.uint64((step << 4) | slot)
    z = key + (counter + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


# ---------------------------------------------------------------------- simulation core
@dataclass
class _Run:
    """Output of one simulation run over a set of customers."""

    events: dict[str, np.ndarray]
    journeys: dict[str, np.ndarray]
    seen: np.ndarray  # (n, C) drew the channel at least once
    conversions: np.ndarray  # conversions per customer
    n_capped: int


_CLOSE_CONV, _CLOSE_DROP, _CLOSE_CENS, _CLOSE_CHURN = 0, 1, 2, 3
_OUTCOMES = ("conversion", "drop_out", "censored", "churn")


def _draw(cum_t: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: index of the category of ``u`` in cumulative row ``row``.

    ``cum_t`` holds cumulative rows as columns (shape (n_categories, n_rows)); looping over the
    handful of categories keeps every gather one-dimensional, which is much faster than
    comparing against gathered 2-D rows.
    """
    out = np.zeros(row.size, dtype=np.int64)
    for col in cum_t[:-1]:
        out += u > col.take(row)
    return out


def _run(
    m: CompiledModel,
    key: np.uint64,
    ids: np.ndarray,
    arrival: np.ndarray,
    group: np.ndarray,
    entry: np.ndarray,
    end: float,
    removed: np.ndarray,
    *,
    first_only: bool = False,
    collect: bool = True,
    with_events: bool = True,
) -> _Run:
    """Simulate customers ``ids`` (global indices, for the random streams) step by step.

    ``removed`` is a (C,) mask for all customers or an (n, C) mask per row. With
    ``collect=False`` only conversions per row are counted (no events, no journey records);
    ``with_events=False`` keeps the journey records but not the events.
    """
    with_events = with_events and collect
    n, C, k = len(ids), m.C, m.k
    p = m.p
    shape = p.dwell_shape
    mu_log = np.log(p.value_mean) - 0.5 * p.value_sigma**2
    n_from = len(m.rows)
    per_row = removed.ndim == 2
    rm = removed if per_row else removed[None, :]
    silent_flat = np.concatenate([rm, np.zeros((len(rm), 1), dtype=bool)], axis=1).ravel()
    state = entry.astype(np.int64)
    t = arrival.astype(float)
    ret = np.zeros(n, dtype=np.int64)
    seen = np.zeros((n, C), dtype=bool)
    conv = np.zeros(n, dtype=np.int64)
    base_row = group.astype(np.int64) * (C + 1)  # + ret * G * (C+1), times n_from later
    G = len(m.weights)
    if collect:
        jno = np.ones(n, dtype=np.int64)
        j_start = t.copy()
        j_first_t = np.full(n, np.nan)
        j_touch = np.zeros(n, dtype=np.int64)
        j_first = np.full(n, -1, dtype=np.int64)
        j_far = np.full(n, -1, dtype=np.int64)
        j_last = np.zeros(n, dtype=bool)
        j_reent = np.full(n, np.nan)  # time of the journey's first pre-purchase step
    ev_parts: list[tuple[np.ndarray, ...]] = []
    jr_parts: list[tuple[np.ndarray, ...]] = []

    def close(pos: np.ndarray, outcome: int, end_t: np.ndarray, value: np.ndarray) -> None:
        if not collect or not pos.size:
            return
        far = j_far[pos] if outcome != _CLOSE_CONV else np.full(len(pos), k)
        jr_parts.append(
            (pos, jno[pos], j_start[pos], end_t, np.full(len(pos), outcome), j_touch[pos],
             j_first[pos], value, j_reent[pos], far, j_last[pos], j_first_t[pos])
        )

    active = np.arange(n)
    step = 0
    n_capped = 0
    while active.size:
        if step >= p.max_steps:
            close(active, _CLOSE_CENS, t[active], np.zeros(active.size))
            n_capped = int(active.size)
            break
        a = active
        s = state[a]
        gid = ids[a]
        t_a = t[a]
        if collect:
            is_pre = s < k
            pa = a[is_pre]
            j_far[pa] = np.maximum(j_far[pa], s[is_pre])
            j_last[pa] |= s[is_pre] == k - 1
            j_reent[pa] = np.fmin(j_reent[pa], t_a[is_pre])
        # 1. touch: draw a channel (C for the purchase step, which has no touch)
        touch = s != k
        ch = np.full(a.size, C)
        ta = np.flatnonzero(touch)
        ch[ta] = _draw(m.cum_mix_t, s[ta], _uniforms(key, gid[ta], step, 0))
        seen[a[ta], ch[ta]] = True
        silent = silent_flat.take(a * (C + 1) + ch if per_row else ch)
        emit = touch & ~silent
        ch_mat = np.where(silent, C, ch)
        if collect:
            pe = a[emit]
            ce = ch[emit]
            if with_events and pe.size:
                ev_parts.append((pe, t_a[emit], np.zeros(pe.size, np.int8), ce, s[emit],
                                 np.zeros(pe.size)))
            new = j_first[pe] < 0
            j_first[pe[new]] = ce[new]
            j_first_t[pe[new]] = t_a[emit][new]
            j_touch[pe] += 1
        # 2. transition
        row = ((ret[a] * G * (C + 1) + base_row[a] + ch_mat) * n_from) + s
        nxt = _draw(m.cumP_t, row, _uniforms(key, gid, step, 1))
        # 3. dwell time: Erlang(shape) as a sum of exponentials
        logu = np.log(_uniforms(key, gid, step, 3))
        for j in range(1, shape):
            logu += np.log(_uniforms(key, gid, step, 3 + j))
        tn = t_a - m.dwell.take(s) / shape * logu
        # outcomes
        cens = tn >= end
        ok = ~cens
        buy = ok & (nxt == m.purchase)
        go = ok & (nxt != m.drop) & (nxt != m.churn)
        if collect:
            close(a[cens], _CLOSE_CENS, np.full(int(cens.sum()), end), np.zeros(int(cens.sum())))
            for code, target in ((_CLOSE_DROP, m.drop), (_CLOSE_CHURN, m.churn)):
                sel = ok & (nxt == target)
                close(a[sel], code, tn[sel], np.zeros(int(sel.sum())))
        if buy.any():
            pos = a[buy]
            conv[pos] += 1
            ret[pos] = 1
            if collect:
                val = np.exp(mu_log + p.value_sigma * ndtri(_uniforms(key, gid[buy], step, 2)))
                if with_events:
                    ev_parts.append((pos, tn[buy], np.ones(pos.size, np.int8),
                                     np.full(pos.size, -1), np.full(pos.size, k), val))
                close(pos, _CLOSE_CONV, tn[buy], val)
                jno[pos] += 1
                j_start[pos] = tn[buy]
                j_first_t[pos] = np.nan
                j_touch[pos] = 0
                j_first[pos] = -1
                j_far[pos] = -1
                j_last[pos] = False
                j_reent[pos] = np.nan
            if first_only:
                go &= ~buy
        active = a[go]
        state[active] = nxt[go]
        t[active] = tn[go]
        step += 1

    names = ("pos", "time", "kind", "channel", "stage", "value")
    events = {nm: np.concatenate([e[i] for e in ev_parts]) if ev_parts else np.empty(0)
              for i, nm in enumerate(names)}
    jnames = ("pos", "journey", "start", "end", "outcome", "n_touches", "first_channel",
              "value", "reentry", "furthest", "reached_last", "first_touch")
    journeys = {nm: np.concatenate([r[i] for r in jr_parts]) if jr_parts else np.empty(0)
                for i, nm in enumerate(jnames)}
    return _Run(events, journeys, seen, conv, n_capped)


@dataclass(frozen=True)
class _Population:
    """Customer-level draws shared by the factual and the counterfactual runs."""

    key: np.uint64
    arrival: np.ndarray
    segment: np.ndarray
    region: np.ndarray
    group: np.ndarray
    entry: np.ndarray


def _population(m: CompiledModel, n: int, seed: int, span: float) -> _Population:
    ss = np.random.SeedSequence(seed)
    s_key, s_arr, s_seg, s_reg, s_entry = ss.spawn(5)
    key = np.uint64(s_key.generate_state(1, dtype=np.uint64)[0])
    arrival = np.random.default_rng(s_arr).random(n) * span
    seg_w = np.array(list(m.p.segments.values()))
    reg_w = np.array(list(m.p.regions.values()))
    seg = np.random.default_rng(s_seg).choice(len(seg_w), size=n, p=seg_w)
    reg = np.random.default_rng(s_reg).choice(len(reg_w), size=n, p=reg_w)
    entry = np.random.default_rng(s_entry).choice(m.k, size=n, p=m.entry)
    return _Population(key, arrival, seg, reg, seg * len(reg_w) + reg, entry)


def _seed(random_state: int | np.random.Generator | None) -> int:
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    if random_state is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    check_scalar(random_state, "random_state", typ=int, ge=0)
    return int(random_state)


def _resolve_params(
    params: JourneyParams | Mapping[str, Any] | None,
    scheme: str | StageScheme,
    channels: Sequence[str] | None,
) -> JourneyParams:
    if isinstance(params, JourneyParams):
        return params
    base = JourneyParams.default(scheme, channels)
    if params is None:
        return base
    if not isinstance(params, Mapping):
        raise ValidationError(
            f"params must be a JourneyParams, a mapping of fields to change, or None; got "
            f"{type(params).__name__}."
        )
    return base.replace(**params)


# ---------------------------------------------------------------------- public simulators
@result_dataclass
class JourneyWorld(SyntheticWorld):
    """A :class:`~cjmodels.synthetic.SyntheticWorld` of journeys with typed shortcuts.

    Built by :func:`simulate_journeys`; ``model`` is the :class:`JourneyParams` that generated
    the world, so its exact quantities (transition matrices, conversion probabilities, removal
    effects) stay at hand.

    Attributes
    ----------
    name : str
        ``"journeys"``.
    events : pandas.DataFrame
        ``customer_id`` (1 to ``n_customers``), ``timestamp``, ``event`` (``"touch"`` or
        ``"conversion"``), ``channel`` (None on conversions), ``stage`` (the purchase stage on
        conversions), ``value`` (revenue on conversions, 0 on touches), ``segment`` and
        ``region``. Drop-outs and churn emit no event.
    truth : dict
        The scheme, states, channel mix and lifts, covariate effects, entry distribution, dwell
        times, transition matrices (per channel, per customer type, marginal), exact
        ``conversion`` probabilities, ``removal`` effects (exact and in the window), the
        ``calibration`` report and ``simulation`` counts (see :func:`simulate_journeys`).
    params : dict
        The arguments of :func:`simulate_journeys`, the ``seed`` actually used and the whole
        ``journey_params``.
    tables : dict of str to DataFrame
        ``"journeys"`` (one row per journey), ``"customers"``, ``"channel_mix"``,
        ``"transitions"``, ``"marginal_transitions"``, ``"marginal_transitions_population"``,
        ``"removal"`` and ``"calibration"``.
    event_log_options : dict
        ``scheme`` (stages are checked against it), ``observation_start`` and
        ``observation_end`` (the simulated window, so that journeys open at its end are
        censored), for :meth:`event_log`.
    model : JourneyParams or None
        The parameters that generated the world.

    See Also
    --------
    simulate_journeys : Builds this world.

    Examples
    --------
    >>> w = simulate_journeys(200, days=60, random_state=1)
    >>> w
    JourneyWorld(name='journeys', n_events=762, n_customers=200)
    >>> round(w.conversion_probability, 3)
    0.125
    """

    model: JourneyParams | None = None

    @property
    def journeys(self) -> pd.DataFrame:
        """Per-journey truth table (``tables["journeys"]``)."""
        return self.tables["journeys"]

    @property
    def removal_effects(self) -> pd.DataFrame:
        """True removal effects per channel, exact and in the window (``tables["removal"]``)."""
        return self.tables["removal"]

    @property
    def conversion_probability(self) -> float:
        """Exact conversion probability of a new customer's first journey."""
        return self.truth["conversion"]["first_journey"]


def simulate_journeys(
    n_customers: int = 5000,
    *,
    scheme: str | StageScheme = "seven",
    channels: Sequence[str] | None = None,
    days: float = 180,
    start: Any = "2025-01-01",
    random_state: int | np.random.Generator | None = None,
    params: JourneyParams | Mapping[str, Any] | None = None,
    removed: str | Sequence[str] | None = None,
) -> JourneyWorld:
    """Simulate customer journeys through a stage scheme, with channel-dependent transitions.

    See the module docstring for the world. The default parameters are calibrated to practitioner
    figures that are claims from marketing articles, not facts (:data:`CALIBRATION_TARGETS`):
    about 53% of first touches from organic search, about 70% abandonment among first journeys
    that reach the last pre-purchase stage (decision / intent), and 12.5% conversion of a new
    prospect's first journey versus 65% for a returning customer's repeat journey (the articles
    say 5-20% and 60-70%).

    Parameters
    ----------
    n_customers : int, default 5000
        Customers arriving uniformly at random over ``[start, start + days)``.
    scheme : str or StageScheme, default "seven"
        Stage scheme: "seven", "six", "five" or your own :class:`~cjmodels.data.StageScheme`.
    channels : list of str, optional
        Channels; default :data:`DEFAULT_CHANNELS`. Mixes and lifts are then generated as
        described in :meth:`JourneyParams.default`.
    days : float, default 180
        Length of the observation window in days.
    start : str or Timestamp, default "2025-01-01"
        Start of the observation window.
    random_state : int, Generator or None, default None
        Seed (a non-negative int), a generator (one integer is drawn from it as the seed) or
        None (a fresh seed from the operating system). The seed actually used is stored in
        ``world.params["seed"]``: pass it back to rebuild the same world.
    params : JourneyParams or mapping, optional
        The model; a mapping changes fields of the calibrated defaults
        (see :meth:`JourneyParams.replace`). ``scheme`` and ``channels`` are then ignored.
    removed : str or list of str, optional
        Simulate the counterfactual world without these channels (same random numbers: see the
        module docstring). Default None: the factual world.

    Returns
    -------
    JourneyWorld
        ``events``: ``customer_id`` (int, 1..n), ``timestamp``, ``event`` ("touch" or
        "conversion"), ``channel`` (None on conversions), ``stage`` (the purchase stage on
        conversions), ``value`` (revenue on conversions, 0 on touches), ``segment``, ``region``.
        ``truth``: the scheme, channel mix, transition matrices of the reference customer per
        channel, the marginal matrices, channel lifts and covariate effects, exact conversion
        probabilities and expected touches, removal effects (exact and in the window), the
        calibration report and simulation counts. ``tables``: ``journeys`` (one row per journey:
        customer_id, journey, start (arrival, or the purchase that opened it), first_touch, end
        (observation end when censored), outcome in {conversion, drop_out, censored, churn},
        n_touches, first_channel, value, returning, reentered, furthest_stage), ``customers``,
        ``channel_mix``, ``transitions`` (every returning x segment x region x channel row, long
        format), ``marginal_transitions`` (channel-averaged, reference customer),
        ``marginal_transitions_population`` (first-journey rows averaged over the population),
        ``removal`` and ``calibration``.

        The window removal effect of a channel is ``1 - conversions without it / conversions``,
        counting every conversion in the window, with the world re-simulated under common random
        numbers; only customers who drew the channel are re-simulated, since the others are
        unchanged.

    Examples
    --------
    >>> world = simulate_journeys(300, random_state=7)
    >>> world.events.columns.tolist()
    ['customer_id', 'timestamp', 'event', 'channel', 'stage', 'value', 'segment', 'region']
    >>> round(world.conversion_probability, 3)
    0.125
    >>> world.event_log().scheme.name
    'seven'
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    check_scalar(days, "days", typ=float, gt=0)
    if not np.isfinite(days):
        raise ValidationError(f"days == {days!r}, must be finite.")
    t0 = parse_start(start)
    p = _resolve_params(params, scheme, channels)
    seed = _seed(random_state)
    m = p._m
    rm = m.removed_mask(removed)
    pop = _population(m, n_customers, seed, float(days))
    ids = np.arange(n_customers)
    run = _run(m, pop.key, ids, pop.arrival, pop.group, pop.entry, float(days), rm)
    t_end = t0 + pd.Timedelta(float(days), unit="D")

    events = _events_frame(m, run, pop, t0)
    journeys, reached_last = _journeys_frame(m, run, t0)
    truth, tables = truth_tables(p, rm)

    total = int(run.conversions.sum())
    converting = int((run.conversions > 0).sum())
    removal = _window_removal(p, pop, run, rm, float(days))
    tables["removal"] = removal
    truth["removal"] = {
        "definition": "removing a channel: its draws become silent baseline (no touch) steps; "
        "exact effect = 1 - P(first journey converts | removed) / P(first journey converts); "
        "window effect = 1 - conversions in the window re-simulated without the channel "
        "(common random numbers) / conversions in the window",
        "window_conversions": total,
        "window_conversion_rate": converting / n_customers,
        "channels": removal.to_dict(orient="index"),
    }
    calib = realised_calibration(p, events, journeys, reached_last, t_end, min(60.0, days / 2))
    truth["calibration"] = calib
    tables["calibration"] = pd.DataFrame(calib).T.rename_axis("quantity")
    counts = journeys["outcome"].value_counts()
    truth["simulation"] = {
        "n_customers": n_customers,
        "n_events": len(events),
        "n_touches": int((events["event"] == "touch").sum()),
        "n_conversions": total,
        "n_journeys": len(journeys),
        "journeys_by_outcome": {o: int(counts.get(o, 0)) for o in _OUTCOMES},
        "n_capped": run.n_capped,
        "removed": [p.channels[i] for i in np.flatnonzero(rm)],
    }
    tables["customers"] = pd.DataFrame({
        "customer_id": ids + 1,
        "arrival": _stamp(t0, pop.arrival),
        "segment": np.array(m.segments, dtype=object)[pop.segment],
        "region": np.array(m.regions, dtype=object)[pop.region],
        "entry_stage": np.array(p.pre_stages, dtype=object)[pop.entry],
        "n_conversions": run.conversions,
    })
    tables["journeys"] = journeys
    return JourneyWorld(
        name="journeys",
        events=events,
        truth=truth,
        params={
            "n_customers": n_customers,
            "scheme": p.scheme.name,
            "channels": list(p.channels),
            "days": float(days),
            "start": str(t0),
            "random_state": random_state if isinstance(random_state, int) else None,
            "seed": seed,
            "removed": truth["simulation"]["removed"],
            "journey_params": p.to_dict(),
        },
        tables=tables,
        event_log_options={
            "scheme": p.scheme,
            "observation_start": t0,
            "observation_end": t_end,
        },
        model=p,
    )


def _window_removal(
    p: JourneyParams, pop: _Population, run: _Run, rm: np.ndarray, days: float
) -> pd.DataFrame:
    """Exact and in-window removal effect of each channel not already removed.

    The world is re-simulated without the channel under common random numbers. Customers who
    never drew the channel are unchanged, so only those who did are re-simulated, all channels
    stacked into one run (one row per customer and channel, each with its own removal mask).
    """
    m = p._m
    total = run.conversions.sum()
    full_exact = p.conversion_probability(removed=[p.channels[i] for i in np.flatnonzero(rm)])
    todo = np.flatnonzero(~rm)
    cust, which = np.nonzero(run.seen[:, todo])
    masks = np.repeat(rm[None, :], cust.size, axis=0)
    masks[np.arange(cust.size), todo[which]] = True
    alt = _run(m, pop.key, cust, pop.arrival[cust], pop.group[cust], pop.entry[cust], days,
               masks, collect=False)
    rows = []
    for col, j in enumerate(todo):
        sel = which == col
        conv_c = run.conversions.copy()
        conv_c[cust[sel]] = alt.conversions[sel]
        exact_c = p.conversion_probability(
            removed=[p.channels[i] for i in np.flatnonzero(rm)] + [p.channels[j]]
        )
        rows.append({
            "channel": p.channels[j],
            "lift": p.lift[p.channels[j]],
            "exact_conversion_probability": exact_c,
            "exact_removal_effect": 1.0 - exact_c / full_exact if full_exact > 0 else 0.0,
            "customers_touched": int(sel.sum()),
            "window_conversions": int(conv_c.sum()),
            "window_conversion_rate": float((conv_c > 0).mean()),
            "window_removal_effect": float(1.0 - conv_c.sum() / total) if total else 0.0,
        })
    cols = ["channel", "lift", "exact_conversion_probability", "exact_removal_effect",
            "customers_touched", "window_conversions", "window_conversion_rate",
            "window_removal_effect"]
    return pd.DataFrame(rows, columns=cols).set_index("channel")


def simulate_first_journeys(
    n_journeys: int = 10000,
    *,
    scheme: str | StageScheme = "seven",
    channels: Sequence[str] | None = None,
    params: JourneyParams | Mapping[str, Any] | None = None,
    removed: str | Sequence[str] | None = None,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate new customers' first journeys to the end, with no observation window.

    A check on the exact quantities of :class:`JourneyParams`: the share of journeys that
    convert estimates :meth:`JourneyParams.conversion_probability` (with the same ``removed``),
    the mean of ``n_touches`` estimates :meth:`JourneyParams.expected_touches`. A journey still
    open after ``max_steps`` steps is reported as censored.

    Parameters
    ----------
    n_journeys : int, default 10000
        Number of new customers, each simulated through one first journey.
    scheme : str or StageScheme, default "seven"
        Stage scheme of the default parameters; ignored when ``params`` is a
        :class:`JourneyParams`.
    channels : list of str, optional
        Channels of the default parameters; default :data:`DEFAULT_CHANNELS`.
    params : JourneyParams or mapping, optional
        The model, or a mapping of fields of the calibrated defaults to change (as in
        :func:`simulate_journeys`).
    removed : str or list of str, optional
        Channels removed: their draws become silent baseline steps (the counterfactual of a
        removal effect).
    random_state : int, Generator or None, default None
        Seed, generator or None, as in :func:`simulate_journeys`.

    Returns
    -------
    DataFrame
        One row per journey: customer_id, segment, region, entry_stage, outcome, n_touches,
        first_channel, furthest_stage, reached_last (visited the last pre-purchase stage),
        duration (days).

    Examples
    --------
    >>> fj = simulate_first_journeys(2000, random_state=3)
    >>> sorted(fj["outcome"].unique())
    ['conversion', 'drop_out']
    >>> print(round(float((fj["outcome"] == "conversion").mean()), 3),
    ...       round(JourneyParams.default().conversion_probability(), 3))
    0.13 0.125
    """
    check_scalar(n_journeys, "n_journeys", typ=int, ge=1)
    p = _resolve_params(params, scheme, channels)
    m = p._m
    rm = m.removed_mask(removed)
    pop = _population(m, n_journeys, _seed(random_state), 0.0)
    ids = np.arange(n_journeys)
    run = _run(m, pop.key, ids, pop.arrival, pop.group, pop.entry, np.inf, rm,
               first_only=True, with_events=False)
    jr = run.journeys
    order = np.argsort(jr["pos"], kind="stable")
    pos = jr["pos"][order]
    chan = np.array([*p.channels, None], dtype=object)
    return pd.DataFrame({
        "customer_id": pos + 1,
        "segment": np.array(m.segments, dtype=object)[pop.segment[pos]],
        "region": np.array(m.regions, dtype=object)[pop.region[pos]],
        "entry_stage": np.array(p.pre_stages, dtype=object)[pop.entry[pos]],
        "outcome": np.array(_OUTCOMES, dtype=object)[jr["outcome"][order]],
        "n_touches": jr["n_touches"][order],
        "first_channel": chan[jr["first_channel"][order]],
        "furthest_stage": np.array([*m.states[: m.k + 1], None], dtype=object)[
            jr["furthest"][order]
        ],
        "reached_last": jr["reached_last"][order],
        "duration": jr["end"][order] - jr["start"][order],
    })


# ---------------------------------------------------------------------- outputs
def _stamp(t0: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """Float days since ``t0`` as datetime64[ns] (NaN -> NaT)."""
    ns = np.round(np.nan_to_num(days, nan=0.0) * 86_400e9).astype(np.int64)
    out = np.datetime64(t0.as_unit("ns").asm8) + ns.astype("timedelta64[ns]")
    out[np.isnan(days)] = np.datetime64("NaT", "ns")
    return out


def _events_frame(m: CompiledModel, run: _Run, pop: _Population, t0: pd.Timestamp) -> pd.DataFrame:
    ev = run.events
    pos = ev["pos"].astype(np.int64)
    # events were collected step by step, so each customer's events are already in time order
    order = np.argsort(pos, kind="stable")
    pos = pos[order]
    kind = ev["kind"][order].astype(np.int64)
    chan = np.array([*m.channels, None], dtype=object)
    return pd.DataFrame({
        "customer_id": pos + 1,
        "timestamp": _stamp(t0, ev["time"][order]),
        "event": np.array(["touch", "conversion"], dtype=object)[kind],
        "channel": chan[ev["channel"][order].astype(np.int64)],
        "stage": np.array(m.rows, dtype=object)[ev["stage"][order].astype(np.int64)],
        "value": ev["value"][order].astype(float),
        "segment": np.array(m.segments, dtype=object)[pop.segment[pos]],
        "region": np.array(m.regions, dtype=object)[pop.region[pos]],
    })


def _journeys_frame(m: CompiledModel, run: _Run, t0: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
    jr = run.journeys
    order = np.lexsort((jr["journey"], jr["pos"]))
    chan = np.array([*m.channels, None], dtype=object)
    far = np.array([*m.states[: m.k + 1], None], dtype=object)

    frame = pd.DataFrame({
        "customer_id": jr["pos"][order] + 1,
        "journey": jr["journey"][order],
        "start": _stamp(t0, jr["start"][order]),
        "first_touch": _stamp(t0, jr["first_touch"][order]),
        "end": _stamp(t0, jr["end"][order]),
        "outcome": np.array(_OUTCOMES, dtype=object)[jr["outcome"][order]],
        "n_touches": jr["n_touches"][order],
        "first_channel": chan[jr["first_channel"][order]],
        "value": jr["value"][order],
        "returning": jr["journey"][order] > 1,
        "reentered": ~np.isnan(jr["reentry"][order]),
        "reentered_at": _stamp(t0, jr["reentry"][order]),
        "furthest_stage": far[jr["furthest"][order]],
    })
    return frame, jr["reached_last"][order]
