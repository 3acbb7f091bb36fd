"""Ground truth of a simulated journey world: exact model values and realised figures.

:func:`truth_tables` gives the exact quantities of a :class:`~cjmodels.synthetic.JourneyParams`
with some channels removed (transition matrices, conversion probabilities, removal effects,
expected touches); :func:`realised_calibration` sets the calibration figures realised in the
simulated events beside their targets and exact model values. :func:`simulate_journeys
<cjmodels.synthetic.simulate_journeys>` records both in the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.synthetic.journey_model import NO_TOUCH
from cjmodels.synthetic.journey_params import CALIBRATION_TARGETS, JourneyParams

__all__ = ["realised_calibration", "truth_tables"]


def _matrix_dict(mat: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> dict:
    return {r: {c: float(mat[i, j]) for j, c in enumerate(cols) if mat[i, j] > 0}
            for i, r in enumerate(rows)}


def truth_tables(p: JourneyParams, rm: np.ndarray) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    m = p._m
    removed = [p.channels[i] for i in np.flatnonzero(rm)] or None
    names = [*p.channels, NO_TOUCH]
    transitions = {
        c: _matrix_dict(m.P[0, 0, i], m.rows, m.states) for i, c in enumerate(names)
    }
    marg = m.marginal(rm)
    # population marginal of first journeys: group rows weighted by expected visits
    visits = m.first_visits(rm) * m.weights[:, None]  # (G, k)
    vw = visits / np.where(visits.sum(0) > 0, visits.sum(0), 1.0)
    pop_rows = np.einsum("gs,gst->st", vw, marg[0][:, : m.k])
    h_ret, w_ret = m.returning_conversion(rm)
    h_first = m.first_conversion(rm)
    buyers = m.weights * h_first / max(float(np.dot(m.weights, h_first)), 1e-300)
    touches = p.expected_touches(removed=removed)
    groups = [f"{s}/{r}" for s in m.segments for r in m.regions]
    conv = {
        "first_journey": float(np.dot(m.weights, h_first)),
        "first_journey_by_group": dict(zip(groups, h_first.tolist(), strict=True)),
        "returning_journey": float(np.dot(w_ret, h_ret)),
        "reentry_probability": float(np.dot(buyers, m.reentry(rm).sum(axis=1))),
        "expected_touches_first_journey": float(touches["total"]),
        "expected_touches_by_channel": touches.drop("total").to_dict(),
        "definition": "exact absorbing-chain values (no simulation): first_journey is the "
        "probability that a new customer's first journey reaches purchase before drop-out, "
        "from the entry distribution, averaged over segments and regions; returning_journey is "
        "the same for a first repeat journey from its re-entry stage, averaged over customers "
        "who re-enter; reentry_probability is the chance a buyer re-enters rather than churns",
    }
    truth: dict[str, Any] = {
        "scheme": p.scheme.to_dict(),
        "channels": list(p.channels),
        "states": list(m.states),
        "channel_mix": p.channel_mix,
        "channel_lift": p.lift,
        "effects": {
            "definition": "odds multipliers on progress: logit P(progress) = logit(baseline) + "
            "log lift[channel] + log segment_lift + log region_lift (+ log returning_lift in "
            "pre-purchase rows of returning customers)",
            "returning_lift": p.returning_lift,
            "segments": p.segments,
            "segment_lift": p.segment_lift,
            "regions": p.regions,
            "region_lift": p.region_lift,
        },
        "entry": p.entry,
        "dwell_mean_days": p.dwell_mean,
        "dwell_shape": p.dwell_shape,
        "transitions": transitions,
        "transitions_customer": f"new prospect, segment {m.segments[0]!r}, region "
        f"{m.regions[0]!r}",
        "marginal_transitions": _matrix_dict(marg[0, 0], m.rows, m.states),
        "marginal_transitions_population": _matrix_dict(pop_rows, m.rows[: m.k], m.states),
        "marginal_transitions_population_definition": "channel-averaged pre-purchase rows of "
        "new prospects, averaged over segments and regions with weights share x expected visits "
        "to the stage in a first journey: what a first-order chain fitted to many complete first "
        "journeys converges to",
        "conversion": conv,
    }
    # long table of every row
    r_i, g_i, c_i, s_i, t_i = np.nonzero(m.P > 0)
    seg = np.array(m.segments, dtype=object)[g_i // len(m.regions)]
    reg = np.array(m.regions, dtype=object)[g_i % len(m.regions)]
    long = pd.DataFrame({
        "returning": r_i.astype(bool),
        "segment": seg,
        "region": reg,
        "channel": np.array(names, dtype=object)[c_i],
        "from": np.array(m.rows, dtype=object)[s_i],
        "to": np.array(m.states, dtype=object)[t_i],
        "probability": m.P[r_i, g_i, c_i, s_i, t_i],
    })
    tables = {
        "channel_mix": pd.DataFrame(m.mix[[i for i in range(len(m.rows)) if i != m.k]],
                                    index=pd.Index(p.touch_stages, name="stage"),
                                    columns=list(p.channels)),
        "transitions": long,
        "marginal_transitions": pd.DataFrame(
            marg[0, 0], index=pd.Index(m.rows, name="from"), columns=pd.Index(m.states, name="to")
        ),
        "marginal_transitions_population": pd.DataFrame(
            pop_rows, index=pd.Index(m.rows[: m.k], name="from"),
            columns=pd.Index(m.states, name="to"),
        ),
    }
    return truth, tables


def realised_calibration(
    p: JourneyParams,
    events: pd.DataFrame,
    journeys: pd.DataFrame,
    reached_last: np.ndarray,
    t_end: pd.Timestamp,
    settle: float,
) -> dict[str, dict[str, Any]]:
    """Target, exact model value and value realised in the simulated data of each figure."""
    model = p.calibration()
    touches = events[events["event"] == "touch"]
    first = touches.drop_duplicates("customer_id")
    cutoff = t_end - pd.Timedelta(settle, unit="D")
    first_j = (journeys["journey"].to_numpy() == 1) & (journeys["start"] <= cutoff).to_numpy()
    repeat = (journeys["journey"].to_numpy() > 1) & (
        journeys["reentered_at"] <= cutoff
    ).to_numpy()
    done = journeys["outcome"].isin(["conversion", "drop_out"]).to_numpy()
    conv = (journeys["outcome"] == "conversion").to_numpy()
    realised: dict[str, tuple[float | None, int]] = {"organic_first_touch_share": (None, 0)}
    if "organic_search" in p.channels and len(first):
        realised["organic_first_touch_share"] = (
            float((first["channel"] == "organic_search").mean()), len(first)
        )
    for name, sel in (
        ("decision_abandonment", first_j & done & reached_last),
        ("new_prospect_conversion", first_j & done),
        ("returning_conversion", repeat & done),
    ):
        n = int(sel.sum())
        rate = float(conv[sel].mean()) if n else None
        if name == "decision_abandonment" and rate is not None:
            rate = 1.0 - rate
        realised[name] = (rate, n)
    how = (
        f"journeys that started (for repeat journeys: re-entered) at least {settle:g} days "
        "before the observation end, so that almost all have ended; the few still open are "
        "left out"
    )
    out = {}
    for name, spec in CALIBRATION_TARGETS.items():
        val, n = realised[name]
        out[name] = {
            **spec,
            "model": None if np.isnan(model[name]) else float(model[name]),
            "realised": val,
            "n": n,
            "realised_from": "first touch of each customer in the log"
            if name.startswith("organic") else how,
        }
    return out
