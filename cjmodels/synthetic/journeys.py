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
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq, root
from scipy.special import expit, ndtri

from cjmodels._checks import check_scalar
from cjmodels._json import to_jsonable
from cjmodels.data.events import PATH_SEPARATOR
from cjmodels.data.stages import StageScheme, get_scheme
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = [
    "CALIBRATION_TARGETS",
    "CHURN",
    "DEFAULT_CHANNELS",
    "DEFAULT_CHANNEL_PROFILES",
    "DEFAULT_LIFTS",
    "NO_TOUCH",
    "JourneyParams",
    "JourneyWorld",
    "simulate_first_journeys",
    "simulate_journeys",
]

#: The ten default touch channels.
DEFAULT_CHANNELS: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "social",
    "email",
    "display",
    "referral",
    "direct",
    "sms",
    "phone",
    "store",
)
#: Name of the baseline step without a touch (used by removed channels).
NO_TOUCH = "(no touch)"
#: Name of the state a customer enters when leaving after a purchase.
CHURN = "churn"

#: Practitioner figures the default world is calibrated to. They are claims from marketing
#: articles (see the project's DOMAIN notes), not established facts.
CALIBRATION_TARGETS: dict[str, dict[str, Any]] = {
    "organic_first_touch_share": {
        "target": 0.53,
        "range": [0.53, 0.53],
        "claim": "53% of site traffic comes from organic search (004_5ec393f1745949ac.txt)",
        "definition": "share of customers whose first touch is organic_search",
    },
    "decision_abandonment": {
        "target": 0.70,
        "range": [0.70, 0.70],
        "claim": "70% of customers abandon a purchase (000_5087b84a35e860f9.txt)",
        "definition": "first journeys that reach the last pre-purchase stage and end without a "
        "purchase, among those that reach it",
    },
    "new_prospect_conversion": {
        "target": 0.125,
        "range": [0.05, 0.20],
        "claim": "a sale to a new prospect succeeds 5-20% of the time (004_5ec393f1745949ac.txt)",
        "definition": "first journeys that end in a purchase",
    },
    "returning_conversion": {
        "target": 0.65,
        "range": [0.60, 0.70],
        "claim": "a sale to an existing loyal customer succeeds 60-70% of the time "
        "(004_5ec393f1745949ac.txt)",
        "definition": "repeat journeys that, once re-entered into a pre-purchase stage, end in a "
        "purchase",
    },
}

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

_MAX_SHAPE = 12  # Erlang shape; slots 3..14 of the counter stream
_STEP_BITS = 20
_MAX_STEPS = 2**_STEP_BITS
_TOL = 1e-9

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


def _as_float_map(obj: Any, name: str, keys: Sequence[str] | None = None) -> dict[str, float]:
    """A mapping of names to finite floats; unknown or missing keys are errors when ``keys``."""
    if not isinstance(obj, Mapping):
        raise ValidationError(f"{name} must be a mapping of names to numbers, got {obj!r}.")
    out: dict[str, float] = {}
    for k, v in obj.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise ValidationError(f"{name}[{k!r}] == {v!r}, must be a finite number.")
        out[str(k)] = float(v)
    if keys is not None:
        unknown = [k for k in out if k not in keys]
        if unknown:
            raise ValidationError(f"{name} has unknown keys {unknown}; expected {list(keys)}.")
        missing = [k for k in keys if k not in out]
        if missing:
            raise ValidationError(f"{name} is missing {missing}; give a value for each of them.")
    return out


def _check_distribution(p: Mapping[str, float], name: str, allowed: Sequence[str]) -> None:
    unknown = [k for k in p if k not in allowed]
    if unknown:
        raise ValidationError(
            f"{name} names {unknown}, which are not allowed here; expected some of "
            f"{list(allowed)}."
        )
    neg = {k: v for k, v in p.items() if v < 0 or v > 1}
    if neg:
        raise ValidationError(f"{name} has probabilities outside [0, 1]: {neg}.")
    total = sum(p.values())
    if abs(total - 1.0) > _TOL:
        raise ValidationError(
            f"{name} sums to {total:.6g}, must sum to 1. Rescale the probabilities."
        )


@dataclass(frozen=True)
class JourneyParams:
    """The true model of the journey world, with exact (linear-algebra) derived quantities.

    Build calibrated defaults with :meth:`JourneyParams.default` and change fields with
    :meth:`replace`; every field is validated. All probabilities below are for the *reference
    customer* (first listed segment and region, lifts 1) taking a *baseline* step without a
    touch; channels, covariates and returning status act through odds multipliers on progress
    (see the module docstring).

    Parameters
    ----------
    scheme : StageScheme or str
        Stage scheme. Its purchase stage must have at least one stage before it. Stages listed in
        ``scheme.absorbing`` are never visited (the simulator has its own churn state).
    channels : tuple of str
        Touch channels.
    channel_mix : dict of stage to dict of channel to float
        ``pi(channel | stage)`` for every touch stage (every stage but purchase and absorbing
        ones); each must sum to 1. Channels left out have probability 0.
    transitions : dict of state to dict of state to float
        Baseline row of each touch stage and of the purchase stage. Pre-purchase rows may go to
        pre-purchase stages, the purchase stage and ``scheme.drop_out``; the purchase row and
        post-purchase rows to post-purchase stages, pre-purchase stages (re-entry) and
        :data:`CHURN`. Each row sums to 1.
    lift : dict of channel to float
        Odds multiplier of progress after a touch by the channel (1 = no effect).
    entry : dict of pre-purchase stage to float
        Where first journeys start; sums to 1.
    returning_lift : float
        Odds multiplier of progress in the pre-purchase rows of customers who bought before.
    segments, regions : dict of level to float
        Population shares of the covariate levels; each sums to 1. The first level is the
        reference.
    segment_lift, region_lift : dict of level to float
        Odds multipliers of progress for each level (in every row).
    dwell_mean : dict of state to float
        Mean days from an event in the stage (touch stages and purchase) to the next event.
    dwell_shape : int
        Erlang (integer Gamma) shape of the dwell times, 1 to 12; the scale is
        ``dwell_mean / dwell_shape``.
    value_mean, value_sigma : float
        Revenue of a conversion is lognormal with this mean and log-scale standard deviation.
    max_steps : int
        Cap on the steps simulated per customer. A customer still active at the cap stops there;
        their open journey is reported as censored at the time of their last step, and
        ``truth["simulation"]["n_capped"]`` counts them.

    Examples
    --------
    >>> p = JourneyParams.default("seven")
    >>> round(p.conversion_probability(), 3)
    0.125
    >>> email, baseline = p.transition_matrix("email"), p.transition_matrix(NO_TOUCH)
    >>> bool(email.loc["decision", "purchase"] > baseline.loc["decision", "purchase"])
    True
    """

    scheme: StageScheme
    channels: tuple[str, ...]
    channel_mix: dict[str, dict[str, float]]
    transitions: dict[str, dict[str, float]]
    lift: dict[str, float]
    entry: dict[str, float]
    returning_lift: float = 1.0
    segments: dict[str, float] = field(default_factory=lambda: {"all": 1.0})
    segment_lift: dict[str, float] = field(default_factory=lambda: {"all": 1.0})
    regions: dict[str, float] = field(default_factory=lambda: {"all": 1.0})
    region_lift: dict[str, float] = field(default_factory=lambda: {"all": 1.0})
    dwell_mean: dict[str, float] = field(default_factory=dict)
    dwell_shape: int = 2
    value_mean: float = 80.0
    value_sigma: float = 0.8
    max_steps: int = 2000

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        scheme = get_scheme(self.scheme)
        object.__setattr__(self, "scheme", scheme)
        if not scheme.pre_purchase:
            raise ValidationError(
                f"scheme {scheme.name!r} has no stage before its purchase stage "
                f"{scheme.purchase!r}; journeys need at least one pre-purchase stage."
            )
        if CHURN in scheme.stages and CHURN not in scheme.absorbing:
            raise ValidationError(
                f"scheme {scheme.name!r} has a stage named {CHURN!r}, which the simulator uses "
                "for leaving after a purchase; rename it or declare it absorbing."
            )
        channels = self.channels
        if isinstance(channels, str) or not isinstance(channels, Sequence):
            raise ValidationError(f"channels == {channels!r}, must be a list of channel names.")
        channels = tuple(channels)
        if not channels:
            raise ValidationError("channels is empty; give at least one channel.")
        for c in channels:
            if not isinstance(c, str) or not c or c == NO_TOUCH or PATH_SEPARATOR.strip() in c:
                raise ValidationError(
                    f"channel {c!r} is not a valid channel name: use a non-empty string other "
                    f"than {NO_TOUCH!r} without {PATH_SEPARATOR.strip()!r}."
                )
        dupes = sorted({c for c in channels if channels.count(c) > 1})
        if dupes:
            raise ValidationError(f"channels {dupes} are listed more than once.")
        object.__setattr__(self, "channels", channels)

        touch = self.touch_stages
        pre, post = self.pre_stages, self.post_stages
        if not isinstance(self.channel_mix, Mapping):
            raise ValidationError("channel_mix must be a mapping of stage to channel mix.")
        unknown = [s for s in self.channel_mix if s not in touch]
        if unknown:
            raise ValidationError(
                f"channel_mix has stages {unknown} that are not touch stages of scheme "
                f"{scheme.name!r}; expected {list(touch)}."
            )
        mix = {}
        for s in touch:
            if s not in self.channel_mix:
                raise ValidationError(
                    f"channel_mix has no mix for stage {s!r}; give pi(channel | {s!r})."
                )
            row = _as_float_map(self.channel_mix[s], f"channel_mix[{s!r}]")
            bad = [c for c in row if c not in channels]
            if bad:
                raise ValidationError(
                    f"channel_mix[{s!r}] names unknown channels {bad}; known channels: "
                    f"{list(channels)}."
                )
            _check_distribution(row, f"channel_mix[{s!r}]", channels)
            mix[s] = row
        object.__setattr__(self, "channel_mix", mix)

        if not isinstance(self.transitions, Mapping):
            raise ValidationError("transitions must be a mapping of state to transition row.")
        rows_from = (*touch, scheme.purchase)
        unknown = [s for s in self.transitions if s not in rows_from]
        if unknown:
            raise ValidationError(
                f"transitions has rows {unknown} for states that are not touch stages or the "
                f"purchase stage of scheme {scheme.name!r}; expected {list(rows_from)}."
            )
        trans = {}
        for s in rows_from:
            if s not in self.transitions:
                raise ValidationError(f"transitions has no row for stage {s!r}.")
            row = _as_float_map(self.transitions[s], f"transitions[{s!r}]")
            allowed = (
                (*pre, scheme.purchase, scheme.drop_out) if s in pre else (*post, *pre, CHURN)
            )
            _check_distribution(row, f"transitions[{s!r}]", allowed)
            trans[s] = row
        object.__setattr__(self, "transitions", trans)

        lift = _as_float_map(self.lift, "lift", channels)
        for c, v in lift.items():
            check_scalar(v, f"lift[{c!r}]", gt=0)
        object.__setattr__(self, "lift", lift)
        entry = _as_float_map(self.entry, "entry")
        _check_distribution(entry, "entry", pre)
        object.__setattr__(self, "entry", entry)
        check_scalar(self.returning_lift, "returning_lift", typ=float, gt=0)
        for shares, lifts in (("segments", "segment_lift"), ("regions", "region_lift")):
            sh = _as_float_map(getattr(self, shares), shares)
            if not sh:
                raise ValidationError(f"{shares} is empty; give at least one level.")
            _check_distribution(sh, shares, list(sh))
            li = _as_float_map(getattr(self, lifts), lifts, list(sh))
            for k, v in li.items():
                check_scalar(v, f"{lifts}[{k!r}]", gt=0)
            object.__setattr__(self, shares, sh)
            object.__setattr__(self, lifts, li)
        dwell = _as_float_map(self.dwell_mean, "dwell_mean", rows_from)
        for k, v in dwell.items():
            check_scalar(v, f"dwell_mean[{k!r}]", gt=0)
        object.__setattr__(self, "dwell_mean", dwell)
        check_scalar(self.dwell_shape, "dwell_shape", typ=int, ge=1, le=_MAX_SHAPE)
        check_scalar(self.value_mean, "value_mean", typ=float, gt=0)
        check_scalar(self.value_sigma, "value_sigma", typ=float, ge=0)
        check_scalar(self.max_steps, "max_steps", typ=int, ge=1, lt=_MAX_STEPS)
        self._check_leaves()

    def _check_leaves(self) -> None:
        """Every stage must be able to reach the end of its phase (no closed loops)."""
        pre = self.pre_stages
        phases = (
            (pre, {self.scheme.purchase, self.scheme.drop_out}, "purchase or drop-out"),
            ((self.scheme.purchase, *self.post_stages), {*pre, CHURN}, "re-entry or churn"),
        )
        for stages, exits, what in phases:
            reach = {s for s in stages if any(self.transitions[s].get(e, 0) > 0 for e in exits)}
            changed = True
            while changed:  # a handful of stages: grow the set that can leave
                new = {s for s in stages if s not in reach and any(
                    v > 0 and t in reach for t, v in self.transitions[s].items())}
                changed = bool(new)
                reach |= new
            stuck = [s for s in stages if s not in reach]
            if stuck:
                raise ValidationError(
                    f"transitions: from stages {stuck} the customer can never reach {what}; "
                    "give these rows a positive probability of moving on."
                )

    # ------------------------------------------------------------------ construction
    @classmethod
    def default(
        cls, scheme: str | StageScheme = "seven", channels: Sequence[str] | None = None
    ) -> JourneyParams:
        """Calibrated default parameters for any stage scheme and channel list.

        The structure is generated from the positions of the stages (no stage names are
        special), then four knobs are solved numerically so that the exact model values hit
        :data:`CALIBRATION_TARGETS` (claims from marketing articles, not facts):

        * the weight of ``organic_search`` in the pre-purchase mixes, for a 53% share of first
          touches (skipped when there is no ``organic_search`` channel);
        * the purchase-versus-drop-out split at the last pre-purchase stage, for 70%
          abandonment among first journeys that reach that stage;
        * the drop-out probability of the earlier pre-purchase stages, for 12.5% conversion of a
          new prospect's first journey (with a single pre-purchase stage the two previous targets
          coincide and only this one is used);
        * ``returning_lift``, for 65% conversion of a repeat journey once re-entered.

        Generated structure, with ``k`` pre-purchase and ``m`` post-purchase stages:

        * entry: pre-purchase stage ``i`` (all but the last, unless it is the only one) with
          weight ``0.2**i``;
        * pre-purchase stage ``i < k-1``: next stage 0.25, skip to ``i+2`` 0.05 (when that is
          not purchase; else added to next), fall back 0.05 (not from the first), drop out
          (calibrated), stay the rest; last pre-purchase stage: fall back 0.08, purchase plus
          drop-out 0.5 (split calibrated), stay 0.42;
        * purchase: to the first post-purchase stage; with no post-purchase stage, re-entry 0.35
          and churn 0.65;
        * post-purchase stages but the last: stay 0.45, next 0.20, re-entry 0.15, churn 0.20;
          the last (loyalty): stay 0.60, re-entry 0.22, churn 0.18;
        * re-entry goes to the "evaluation" stage, pre-purchase stage ``k // 2`` (consideration
          in the six and seven stage schemes, search_evaluation in the five stage scheme);
        * dwell means (days): 6 in the evaluation stage, 2.5 in other pre-purchase stages, 2
          after a purchase, 7 in the first post-purchase stage and 14 in later ones; shape 2;
        * channel mix: proportional to each channel's affinity at the start of the funnel, at
          the last pre-purchase stage (linear in between) and after a purchase
          (:data:`DEFAULT_CHANNEL_PROFILES`); channels not in :data:`DEFAULT_CHANNELS` get
          affinity 1 everywhere;
        * lifts: defaults (organic_search 1.3, paid_search 1.8, social 1.15, email 1.6, display
          1.0 (neutral), referral 2.0, direct 1.4, sms 1.2, phone 2.2, store 2.6); channels not
          in :data:`DEFAULT_CHANNELS` get lifts falling linearly from 2.0 (first listed) to 1.0
          (last listed);
        * segments consumer 0.8 / business 0.2 (lift 1 / 1.4); regions north 0.4 / south 0.35 /
          west 0.25 (lift 1 / 0.85 / 1.15);
        * revenue lognormal with mean 80 and sigma 0.8.

        Examples
        --------
        >>> p = JourneyParams.default("five")
        >>> p.pre_stages, p.post_stages
        (('need', 'search_evaluation'), ('use_experience', 'repeat_advocacy'))
        """
        scheme = get_scheme(scheme)
        chans = DEFAULT_CHANNELS if channels is None else _check_channel_list(channels)
        return _default_params(scheme, chans)

    def replace(self, **changes: Any) -> JourneyParams:
        """A copy with some fields changed (validated again).

        Mapping fields given as mappings update the current mapping key by key (a stage's mix or
        a transition row is replaced as a whole), except the distributions ``entry``,
        ``segments`` and ``regions``, which are replaced. Calibration holds only for the
        defaults.

        Examples
        --------
        >>> p = JourneyParams.default().replace(lift={"display": 1.5})
        >>> p.lift["display"], p.lift["email"]
        (1.5, 1.6)
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValidationError(
                f"unknown JourneyParams fields {unknown}; known fields: {sorted(names)}."
            )
        merged = {}
        for k, v in changes.items():
            cur = getattr(self, k)
            if isinstance(cur, dict) and isinstance(v, Mapping) and k not in (
                "segments", "regions", "entry"
            ):
                merged[k] = {**cur, **v}
            else:
                merged[k] = v
        return dataclasses.replace(self, **merged)

    # ------------------------------------------------------------------ structure
    @property
    def pre_stages(self) -> tuple[str, ...]:
        """Pre-purchase stages visited by journeys."""
        return tuple(s for s in self.scheme.pre_purchase if s not in self.scheme.absorbing)

    @property
    def post_stages(self) -> tuple[str, ...]:
        """Post-purchase stages visited after a purchase."""
        return tuple(s for s in self.scheme.post_purchase if s not in self.scheme.absorbing)

    @property
    def touch_stages(self) -> tuple[str, ...]:
        """Stages with touches: pre-purchase then post-purchase."""
        return self.pre_stages + self.post_stages

    @property
    def states(self) -> tuple[str, ...]:
        """All states of the chain: touch stages, purchase, drop-out, churn (in this order)."""
        s = self.scheme
        return (*self.pre_stages, s.purchase, *self.post_stages, s.drop_out, CHURN)

    @functools.cached_property
    def _m(self) -> _Compiled:
        return _Compiled(self)

    # ------------------------------------------------------------------ exact quantities
    def transition_matrix(
        self,
        channel: str | None = None,
        *,
        segment: str | None = None,
        region: str | None = None,
        returning: bool = False,
        removed: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """True one-step transition matrix (rows: from-states; columns: all states).

        Parameters
        ----------
        channel : str, optional
            A channel, :data:`NO_TOUCH` for the baseline step, or None for the channel-averaged
            (marginal) matrix ``sum_c pi(c | s) P_c(s, .)``.
        segment, region : str, optional
            Covariate levels; default the reference (first) levels.
        returning : bool
            Rows of a customer who bought before.
        removed : str or list of str, optional
            Channels removed (their mix mass goes to the baseline step); marginal matrix only.

        Examples
        --------
        >>> P = JourneyParams.default().transition_matrix()
        >>> bool(np.allclose(P.sum(axis=1), 1))
        True
        """
        m = self._m
        g = m.group_index(segment, region)
        r = int(bool(returning))
        if channel is None:
            mat = m.marginal(m.removed_mask(removed))[r, g]
        else:
            if removed is not None:
                raise ValidationError("removed= applies to the marginal matrix (channel=None).")
            mat = m.P[r, g, m.channel_index(channel)]
        return pd.DataFrame(
            mat, index=pd.Index(m.rows, name="from"), columns=pd.Index(m.states, name="to")
        )

    def conversion_probability(
        self,
        *,
        removed: str | Sequence[str] | None = None,
        returning: bool = False,
        segment: str | None = None,
        region: str | None = None,
    ) -> float:
        """Exact probability that a journey ends in purchase rather than drop-out.

        By default: a new customer's first journey from the entry distribution, averaged over the
        population's segments and regions (fundamental-matrix solve; no simulation). With
        ``returning=True``: a repeat journey from its re-entry stage, averaged over the customers
        who make a first repeat journey. ``removed`` removes channels (see the module docstring).

        Examples
        --------
        Display's lift is 1, so removing it changes nothing, up to rounding (a few ulps, which
        differ between Python versions):

        >>> p = JourneyParams.default()
        >>> abs(p.conversion_probability(removed="display") - p.conversion_probability()) < 1e-12
        True
        """
        m = self._m
        rm = m.removed_mask(removed)
        if returning:
            h, w = m.returning_conversion(rm)
        else:
            h, w = m.first_conversion(rm), m.weights
        if segment is not None or region is not None:
            return float(h[m.group_index(segment, region)])
        return float(np.dot(w, h))

    def expected_touches(self, *, removed: str | Sequence[str] | None = None) -> pd.Series:
        """Expected touches of a new customer's first journey, by channel and in total.

        Expected visits to each pre-purchase stage (row of the fundamental matrix
        ``(I - Q)^-1`` for the entry distribution) times the channel mix, averaged over the
        population. Removed channels' steps are silent and not counted.

        Examples
        --------
        >>> t = JourneyParams.default().expected_touches()
        >>> bool(np.isclose(t.drop("total").sum(), t["total"]))
        True
        """
        m = self._m
        rm = m.removed_mask(removed)
        visits = m.weights @ m.first_visits(rm)  # (k,)
        per = visits @ (m.mix[: m.k] * ~rm)
        return pd.Series([*per, per.sum()], index=[*self.channels, "total"], name="touches")

    def removal_effects(self) -> pd.DataFrame:
        """Exact first-journey conversion probability with each channel removed, and its effect.

        ``removal_effect = 1 - P(convert | channel removed) / P(convert)``.

        Examples
        --------
        >>> re = JourneyParams.default().removal_effects()
        >>> abs(float(re.loc["display", "removal_effect"])) < 1e-12  # lift 1: zero up to rounding
        True
        """
        full = self.conversion_probability()
        rows = []
        for c in self.channels:
            p = self.conversion_probability(removed=c)
            rows.append({"channel": c, "lift": self.lift[c], "conversion_probability": p,
                         "removal_effect": 1.0 - p / full if full > 0 else 0.0})
        return pd.DataFrame(rows).set_index("channel")

    def calibration(self) -> pd.Series:
        """Exact model values of the quantities in :data:`CALIBRATION_TARGETS`.

        One value per quantity (index ``quantity``); the organic first-touch share is NaN when
        the model has no ``organic_search`` channel.

        Examples
        --------
        >>> round(float(JourneyParams.default().calibration()["decision_abandonment"]), 3)
        0.7
        >>> JourneyParams.default().calibration().index[:2].tolist()
        ['organic_first_touch_share', 'decision_abandonment']
        """
        m = self._m
        none = m.removed_mask(None)
        org = None
        if "organic_search" in self.channels:
            j = self.channels.index("organic_search")
            org = float(m.entry @ m.mix[: m.k, j])
        values = {
            "organic_first_touch_share": np.nan if org is None else org,
            "decision_abandonment": m.abandonment(none),
            "new_prospect_conversion": self.conversion_probability(),
            "returning_conversion": self.conversion_probability(returning=True),
        }
        return pd.Series(values, name="model", dtype=float).rename_axis("quantity")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable parameters."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["scheme"] = self.scheme.to_dict()
        out["channels"] = list(self.channels)
        return to_jsonable(out)


def _check_channel_list(channels: Any) -> tuple[str, ...]:
    if (
        isinstance(channels, str)
        or not isinstance(channels, Sequence)
        or not channels
        or not all(isinstance(c, str) for c in channels)
    ):
        raise ValidationError(
            f"channels == {channels!r}, must be a non-empty list of channel names (strings)."
        )
    return tuple(channels)


class _Compiled:
    """Arrays of a :class:`JourneyParams`: lifted matrices per (returning, group, channel)."""

    def __init__(self, p: JourneyParams) -> None:
        self.p = p
        pre, post, purchase = p.pre_stages, p.post_stages, p.scheme.purchase
        self.k, self.mpost = len(pre), len(post)
        self.rows = (*pre, purchase, *post)  # from-states
        self.states = p.states
        k, n_from, n_all = self.k, len(self.rows), len(self.states)
        self.purchase, self.drop, self.churn = k, n_all - 2, n_all - 1
        idx = {s: i for i, s in enumerate(self.states)}
        self.channels = p.channels
        C = len(p.channels)
        self.C = C
        base = np.zeros((n_from, n_all))
        for i, s in enumerate(self.rows):
            for t, v in p.transitions[s].items():
                base[i, idx[t]] = v
        # progress targets: later pre stages / purchase before a purchase; later post stages or
        # any pre stage (re-entry) after it
        fwd = np.zeros((n_from, n_all), dtype=bool)
        for i in range(n_from):
            if i < k:
                fwd[i, i + 1 : k + 1] = True
            else:
                fwd[i, :k] = True
                fwd[i, i + 1 : k + 1 + self.mpost] = True
        self.base, self.fwd = base, fwd
        mix = np.zeros((n_from, C))
        for i, s in enumerate(self.rows):
            if s in p.channel_mix:
                for c, v in p.channel_mix[s].items():
                    mix[i, p.channels.index(c)] = v
        self.mix = mix
        self.cum_mix = np.cumsum(mix, axis=1)
        self.cum_mix[:, -1] = 1.0
        self.entry = np.array([p.entry.get(s, 0.0) for s in pre])
        self.segments, self.regions = list(p.segments), list(p.regions)
        seg_w = np.array(list(p.segments.values()))
        reg_w = np.array(list(p.regions.values()))
        self.weights = np.outer(seg_w, reg_w).ravel()
        glift = np.outer(
            [p.segment_lift[s] for s in self.segments], [p.region_lift[r] for r in self.regions]
        ).ravel()
        G = len(glift)
        chan_lift = np.array([*(p.lift[c] for c in p.channels), 1.0])
        mult = np.ones((2, G, C + 1, n_from))
        mult *= glift[None, :, None, None] * chan_lift[None, None, :, None]
        mult[1, :, :, :k] *= p.returning_lift
        mult[:, :, :, k] = glift[None, :, None]  # the purchase step has no touch
        self.P = _lift(base, fwd, mult)
        cum = np.cumsum(self.P, axis=-1)
        cum[..., -1] = 1.0
        self.cumP_t = np.ascontiguousarray(cum.reshape(-1, n_all).T)
        self.cum_mix_t = np.ascontiguousarray(self.cum_mix.T)
        self.dwell = np.array([p.dwell_mean[s] for s in self.rows])

    # -- lookups
    def channel_index(self, channel: str) -> int:
        if channel == NO_TOUCH:
            return self.C
        if channel not in self.channels:
            raise ValidationError(
                f"channel {channel!r} is unknown; known channels: {list(self.channels)} "
                f"or {NO_TOUCH!r}."
            )
        return self.channels.index(channel)

    def removed_mask(self, removed: str | Sequence[str] | None) -> np.ndarray:
        mask = np.zeros(self.C, dtype=bool)
        if removed is None:
            return mask
        names = [removed] if isinstance(removed, str) else list(removed)
        for c in names:
            if c not in self.channels:
                raise ValidationError(
                    f"cannot remove channel {c!r}: not one of {list(self.channels)}."
                )
            mask[self.channels.index(c)] = True
        return mask

    def group_index(self, segment: str | None, region: str | None) -> int:
        seg = self.segments[0] if segment is None else segment
        reg = self.regions[0] if region is None else region
        if seg not in self.segments:
            raise ValidationError(f"segment == {seg!r}, must be one of {self.segments}.")
        if reg not in self.regions:
            raise ValidationError(f"region == {reg!r}, must be one of {self.regions}.")
        return self.segments.index(seg) * len(self.regions) + self.regions.index(reg)

    # -- exact quantities
    def marginal(self, removed: np.ndarray) -> np.ndarray:
        """Channel-averaged rows, shape (2, G, n_from, n_all); removed mass goes to baseline."""
        mix = self.mix * ~removed
        base_w = 1.0 - mix.sum(axis=1)
        out = np.einsum("sc,rgcst->rgst", mix, self.P[:, :, : self.C])
        return out + base_w[None, None, :, None] * self.P[:, :, self.C]

    def _solve(self, Pbar: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        k = self.k
        A = np.eye(k) - Pbar[:, :k, :k]
        return np.linalg.solve(A, rhs)

    def first_conversion(self, removed: np.ndarray, returning: int = 0) -> np.ndarray:
        """Absorption probability in purchase from the entry distribution, per group."""
        return self.entry @ self.absorb_purchase(removed, returning).T

    def absorb_purchase(self, removed: np.ndarray, returning: int = 0) -> np.ndarray:
        """Probability of purchase before drop-out from each pre stage, shape (G, k)."""
        Pbar = self.marginal(removed)[returning]
        return self._solve(Pbar, Pbar[:, : self.k, self.purchase : self.purchase + 1])[..., 0]

    def first_visits(self, removed: np.ndarray) -> np.ndarray:
        """Expected visits to each pre stage from the entry distribution, shape (G, k)."""
        Pbar = self.marginal(removed)[0]
        A = np.eye(self.k) - Pbar[:, : self.k, : self.k]
        rhs = np.broadcast_to(self.entry, (len(self.weights), self.k))[..., None]
        return np.linalg.solve(np.swapaxes(A, 1, 2), rhs)[..., 0]

    def reentry(self, removed: np.ndarray) -> np.ndarray:
        """From a purchase: probability of re-entering each pre stage (vs churn), (G, k)."""
        Pbar = self.marginal(removed)[1]
        k, mp = self.k, self.mpost
        t = slice(k, k + 1 + mp)  # purchase and post stages are transient here
        A = np.eye(1 + mp) - Pbar[:, t, t]
        B = np.linalg.solve(A, Pbar[:, t, :k])
        return B[:, 0, :]

    def returning_conversion(self, removed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conversion of a first repeat journey once re-entered (per group) and group weights."""
        re = self.reentry(removed)
        p_re = re.sum(axis=1)
        dist = re / np.where(p_re > 0, p_re, 1.0)[:, None]
        h = (dist * self.absorb_purchase(removed, 1)).sum(axis=1)
        w = self.weights * self.first_conversion(removed) * p_re
        w = w / w.sum() if w.sum() > 0 else self.weights
        return h, w

    def abandonment(self, removed: np.ndarray) -> float:
        """P(first journey ends without purchase | it reaches the last pre stage)."""
        k = self.k
        h = self.absorb_purchase(removed)
        if k == 1:
            reach = np.ones(len(self.weights))
        else:
            Pbar = self.marginal(removed)[0]
            o = slice(0, k - 1)
            A = np.eye(k - 1) - Pbar[:, o, o]
            x = np.linalg.solve(A, Pbar[:, o, k - 1 : k])[..., 0]  # hit last stage first
            reach = x @ self.entry[: k - 1] + self.entry[k - 1]
        w = self.weights * reach
        return float(np.dot(w, 1.0 - h[:, k - 1]) / w.sum())


def _lift(base: np.ndarray, fwd: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Multiply the odds of the progress entries of each row by ``mult`` (broadcast over rows)."""
    f = (base * fwd).sum(axis=-1)
    fm = mult * f
    inner = (f > 0) & (f < 1) & (mult != 1)  # a lift of exactly 1 leaves the row as it is
    f_new = np.where(inner, fm / np.where(inner, 1.0 - f + fm, 1.0), f)
    scale_f = np.where(inner, f_new / np.where(inner, f, 1.0), 1.0)
    scale_o = np.where(inner, (1.0 - f_new) / np.where(inner, 1.0 - f, 1.0), 1.0)
    return base * np.where(fwd, scale_f[..., None], scale_o[..., None])


# ---------------------------------------------------------------------- defaults
def _structure(
    scheme: StageScheme, channels: tuple[str, ...], knobs: tuple[float, float, float, float]
) -> JourneyParams:
    """Generated parameters for given knobs (log organic weight, early drop, buy share, log rho)."""
    log_org, x_drop, x_buy, log_rho = knobs
    absorbing = set(scheme.absorbing)
    pre = [s for s in scheme.pre_purchase if s not in absorbing]
    post = [s for s in scheme.post_purchase if s not in absorbing]
    purchase = scheme.purchase
    k, m = len(pre), len(post)
    if not pre:  # let JourneyParams raise its message
        return JourneyParams(scheme, channels, {}, {}, {}, {})
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
    return JourneyParams(
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


@functools.lru_cache(maxsize=32)
def _default_params(scheme: StageScheme, channels: tuple[str, ...]) -> JourneyParams:
    """Solve the four knobs of :func:`_structure` for :data:`CALIBRATION_TARGETS`."""
    # knobs: log organic weight, early drop-out (logit), buy share at decision (logit), log rho
    knobs = [0.0, 0.0, 0.0, np.log(4.0)]
    knob_of = {
        "organic_first_touch_share": 0,
        "new_prospect_conversion": 1,
        "decision_abandonment": 2,
        "returning_conversion": 3,
    }

    def gap(name: str, x: float, knob: int | None = None) -> float:
        """Model value minus target of ``name`` with knob ``knob`` (default: its own) at x."""
        kn = list(knobs)
        kn[knob_of[name] if knob is None else knob] = x
        return _structure(scheme, channels, tuple(kn)).calibration()[name] - (
            CALIBRATION_TARGETS[name]["target"]
        )

    def solve(name: str, knob: int | None = None, bound: float = 15.0) -> None:
        i = knob_of[name] if knob is None else knob
        lo, hi = gap(name, -bound, i), gap(name, bound, i)
        if lo * hi > 0:  # out of reach: take the closer end (the report shows the miss)
            knobs[i] = -bound if abs(lo) < abs(hi) else bound
        else:
            knobs[i] = brentq(lambda x: gap(name, x, i), -bound, bound, xtol=1e-12)

    if "organic_search" in channels:
        solve("organic_first_touch_share", bound=10.0)
    if len([s for s in scheme.pre_purchase if s not in scheme.absorbing]) == 1:
        # one pre-purchase stage: abandonment = 1 - conversion; calibrate conversion with the
        # decision-stage knob
        solve("new_prospect_conversion", knob=2)
    else:
        def residual(x: np.ndarray) -> list[float]:
            knobs[1], knobs[2] = float(x[0]), float(x[1])
            return [gap("new_prospect_conversion", knobs[1]),
                    gap("decision_abandonment", knobs[2])]

        sol = root(residual, [knobs[1], knobs[2]], method="hybr", options={"xtol": 1e-12})
        knobs[1], knobs[2] = float(sol.x[0]), float(sol.x[1])
        if not (sol.success and max(abs(v) for v in residual(sol.x)) < 1e-9):
            for _ in range(200):  # alternate: the two knobs are only weakly coupled
                before = (knobs[1], knobs[2])
                solve("decision_abandonment")
                solve("new_prospect_conversion")
                if max(abs(before[0] - knobs[1]), abs(before[1] - knobs[2])) < 1e-12:
                    break
    solve("returning_conversion", bound=10.0)
    return _structure(scheme, channels, tuple(knobs))


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
    m: _Compiled,
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


def _population(m: _Compiled, n: int, seed: int, span: float) -> _Population:
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

    ``model`` is the :class:`JourneyParams` that generated the world.

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
    n_customers : int
        Customers arriving uniformly at random over ``[start, start + days)``.
    scheme : str or StageScheme
        Stage scheme: "seven", "six", "five" or your own :class:`~cjmodels.data.StageScheme`.
    channels : list of str, optional
        Channels; default :data:`DEFAULT_CHANNELS`. Mixes and lifts are then generated as
        described in :meth:`JourneyParams.default`.
    days : float
        Length of the observation window in days.
    start : str or Timestamp
        Start of the observation window.
    random_state : int, Generator or None
        Seed. The seed actually used is stored in ``world.params["seed"]``.
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
    truth, tables = _truth(p, rm)

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
    calib = _calibration(p, events, journeys, reached_last, t_end, min(60.0, days / 2))
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


def _events_frame(m: _Compiled, run: _Run, pop: _Population, t0: pd.Timestamp) -> pd.DataFrame:
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


def _journeys_frame(m: _Compiled, run: _Run, t0: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
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


def _matrix_dict(mat: np.ndarray, rows: Sequence[str], cols: Sequence[str]) -> dict:
    return {r: {c: float(mat[i, j]) for j, c in enumerate(cols) if mat[i, j] > 0}
            for i, r in enumerate(rows)}


def _truth(p: JourneyParams, rm: np.ndarray) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
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


def _calibration(
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
