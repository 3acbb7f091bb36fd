"""The generated structure of the default journey world, for any stage scheme and channels.

:func:`structure_fields` builds the fields of a :class:`~cjmodels.synthetic.JourneyParams` from
the positions of the stages (no stage name is special) and four knobs, which
:meth:`JourneyParams.default <cjmodels.synthetic.JourneyParams.default>` solves so that the exact
model values hit :data:`~cjmodels.synthetic.journey_params.CALIBRATION_TARGETS`.
:data:`DEFAULT_CHANNEL_PROFILES` and :data:`DEFAULT_LIFTS` are the channels' defaults.

Examples
--------
>>> from cjmodels.data import get_scheme
>>> f = structure_fields(get_scheme("five"), ("email", "display"), (0.0, 0.0, 0.0, 0.0))
>>> sorted(f["entry"]), f["lift"]
(['need'], {'email': 1.6, 'display': 1.0})
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from cjmodels.data import StageScheme
from cjmodels.synthetic.journey_model import CHURN

__all__ = ["DEFAULT_CHANNEL_PROFILES", "DEFAULT_LIFTS", "structure_fields"]

#: Affinity of each default channel (early funnel, last pre-purchase stage, after a purchase):
#: the default mix of a stage is proportional to the affinities (linear in between).
DEFAULT_CHANNEL_PROFILES: dict[str, tuple[float, float, float]] = {
    "organic_search": (1.00, 0.40, 0.05),
    "paid_search": (0.35, 0.45, 0.00),
    "social": (0.35, 0.10, 0.15),
    "email": (0.05, 0.45, 1.00),
    "display": (0.30, 0.10, 0.05),
    "referral": (0.15, 0.15, 0.05),
    "direct": (0.10, 0.35, 0.30),
    "sms": (0.00, 0.20, 0.40),
    "phone": (0.00, 0.25, 0.40),
    "store": (0.02, 0.30, 0.30),
}
#: Default lift (odds multiplier on progress) of each default channel; display is neutral.
DEFAULT_LIFTS: dict[str, float] = {
    "organic_search": 1.3,
    "paid_search": 1.8,
    "social": 1.15,
    "email": 1.6,
    "display": 1.0,
    "referral": 2.0,
    "direct": 1.4,
    "sms": 1.2,
    "phone": 2.2,
    "store": 2.6,
}


def structure_fields(
    scheme: StageScheme, channels: tuple[str, ...], knobs: tuple[float, float, float, float]
) -> dict[str, Any]:
    """The fields of the generated parameters for given knobs (log organic weight, early drop,
    buy share, log rho), as keyword arguments of :class:`~cjmodels.synthetic.JourneyParams`."""
    log_org, x_drop, x_buy, log_rho = knobs
    absorbing = set(scheme.absorbing)
    pre = [s for s in scheme.pre_purchase if s not in absorbing]
    post = [s for s in scheme.post_purchase if s not in absorbing]
    purchase = scheme.purchase
    k, m = len(pre), len(post)
    if not pre:  # let JourneyParams raise its message
        return {"scheme": scheme, "channels": channels, "channel_mix": {}, "transitions": {},
                "lift": {}, "entry": {}}
    e = k // 2
    entry_w = np.array([0.2**i for i in range(max(k - 1, 1))])
    entry = {pre[i]: float(v) for i, v in enumerate(entry_w / entry_w.sum())}
    trans: dict[str, dict[str, float]] = {}
    drop = 0.6 * float(expit(x_drop))
    for i, s in enumerate(pre):
        row: dict[str, float] = {}
        if i < k - 1:
            if i + 2 <= k - 1:
                row[pre[i + 1]], row[pre[i + 2]] = 0.25, 0.05
            else:
                row[pre[i + 1]] = 0.30
            if i > 0:
                row[pre[i - 1]] = 0.05
            row[scheme.drop_out] = drop
        else:
            buy = 0.5 * float(expit(x_buy))
            row[purchase] = buy
            row[scheme.drop_out] = 0.5 - buy
            if i > 0:
                row[pre[i - 1]] = 0.08
        row[s] = 1.0 - sum(row.values())
        trans[s] = row
    if m:
        trans[purchase] = {post[0]: 1.0}
    else:
        trans[purchase] = {pre[e]: 0.35, CHURN: 0.65}
    for j, s in enumerate(post):
        if j < m - 1:
            trans[s] = {s: 0.45, post[j + 1]: 0.20, pre[e]: 0.15, CHURN: 0.20}
        else:
            trans[s] = {s: 0.60, pre[e]: 0.22, CHURN: 0.18}
    mix: dict[str, dict[str, float]] = {}
    for i, s in enumerate(pre):
        x = i / (k - 1) if k > 1 else 0.0
        aff = {}
        for c in channels:
            early, late, _ = DEFAULT_CHANNEL_PROFILES.get(c, (1.0, 1.0, 1.0))
            a = (1 - x) * early + x * late
            aff[c] = a * np.exp(log_org) if c == "organic_search" else a
        mix[s] = _normalise(aff)
    for s in post:
        mix[s] = _normalise(
            {c: DEFAULT_CHANNEL_PROFILES.get(c, (1.0, 1.0, 1.0))[2] for c in channels}
        )
    unknown = [c for c in channels if c not in DEFAULT_LIFTS]
    ladder = {c: 2.0 - j / max(len(unknown) - 1, 1) for j, c in enumerate(unknown)}
    lift = {c: DEFAULT_LIFTS.get(c, ladder.get(c, 1.0)) for c in channels}
    dwell = {s: (6.0 if i == e else 2.5) for i, s in enumerate(pre)}
    dwell[purchase] = 2.0
    dwell.update({s: (7.0 if j == 0 else 14.0) for j, s in enumerate(post)})
    return dict(
        scheme=scheme,
        channels=channels,
        channel_mix=mix,
        transitions=trans,
        lift=lift,
        entry=entry,
        returning_lift=float(np.exp(log_rho)),
        segments={"consumer": 0.8, "business": 0.2},
        segment_lift={"consumer": 1.0, "business": 1.4},
        regions={"north": 0.4, "south": 0.35, "west": 0.25},
        region_lift={"north": 1.0, "south": 0.85, "west": 1.15},
        dwell_mean=dwell,
        dwell_shape=2,
        value_mean=80.0,
        value_sigma=0.8,
    )


def _normalise(aff: dict[str, float]) -> dict[str, float]:
    total = sum(aff.values())
    if total <= 0:  # no channel fits this stage: spread evenly
        return {c: 1.0 / len(aff) for c in aff}
    return {c: v / total for c, v in aff.items()}
