"""Parameters of the synthetic journey world: :class:`JourneyParams` and its calibrated defaults.

A :class:`JourneyParams` declares a world (stage scheme, channels, channel mixes, baseline
transitions, lifts, covariates, dwell times, revenue), checks it, and reports its exact
quantities (transition matrices, conversion probabilities, removal effects, the calibration
figures) through the compiled model (:mod:`cjmodels.synthetic.journey_model`).
:meth:`JourneyParams.default` solves the generated structure
(:mod:`cjmodels.synthetic.journey_defaults`) for :data:`CALIBRATION_TARGETS`. The world itself
is simulated by :func:`cjmodels.synthetic.simulate_journeys`.
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

from cjmodels._checks import check_scalar
from cjmodels._json import to_jsonable
from cjmodels.data import PATH_SEPARATOR, StageScheme, get_scheme
from cjmodels.errors import ValidationError
from cjmodels.synthetic.journey_defaults import structure_fields
from cjmodels.synthetic.journey_model import CHURN, NO_TOUCH, CompiledModel

__all__ = [
    "CALIBRATION_TARGETS",
    "DEFAULT_CHANNELS",
    "JourneyParams",
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

MAX_SHAPE = 12  # Erlang shape; slots 3..14 of the counter stream
STEP_BITS = 20
MAX_STEPS = 2**STEP_BITS


_TOL = 1e-9


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
    touch; channels, covariates and returning status act through odds multipliers on progress:
    the odds of the row's progress moves taken together (to a later pre-purchase stage or to
    purchase before a purchase; to a later post-purchase stage or back into a pre-purchase
    stage after it) are multiplied by the product of the lifts, the progress moves and the
    other moves keeping their proportions within each group (a lift of exactly 1 leaves the
    row as it is).

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
    segments : dict of level to float
        Population shares of the segment levels; sums to 1. The first level is the reference.
    segment_lift : dict of level to float
        Odds multiplier of progress for each segment level (in every row).
    regions : dict of level to float
        Population shares of the region levels; sums to 1. The first level is the reference.
    region_lift : dict of level to float
        Odds multiplier of progress for each region level (in every row).
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
        check_scalar(self.dwell_shape, "dwell_shape", typ=int, ge=1, le=MAX_SHAPE)
        check_scalar(self.value_mean, "value_mean", typ=float, gt=0)
        check_scalar(self.value_sigma, "value_sigma", typ=float, ge=0)
        check_scalar(self.max_steps, "max_steps", typ=int, ge=1, lt=MAX_STEPS)
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

        The result is cached per (scheme, channels), so repeated calls are cheap.

        Parameters
        ----------
        scheme : str or StageScheme, default "seven"
            A stage scheme or the name of a built-in one (``"seven"``, ``"six"``, ``"five"``).
        channels : sequence of str, optional
            Touch channels; default :data:`DEFAULT_CHANNELS`.

        Returns
        -------
        JourneyParams
            The calibrated parameters (check them with :meth:`calibration`).

        Raises
        ------
        cjmodels.errors.ValidationError
            If the scheme is unknown or has no pre-purchase stage, or ``channels`` is not a
            non-empty list of valid, distinct names.

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

        Parameters
        ----------
        **changes
            New values of fields, by name (see the class's parameters).

        Returns
        -------
        JourneyParams
            A new, validated object; this one is unchanged.

        Raises
        ------
        cjmodels.errors.ValidationError
            If a name is not a field or the changed parameters are invalid.

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
    def _m(self) -> CompiledModel:
        return CompiledModel(self)

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

        Returns
        -------
        pandas.DataFrame
            Index ``from``: the touch stages and purchase (see :attr:`states` for the order);
            columns ``to``: every state of :attr:`states`. Rows sum to 1.

        Raises
        ------
        cjmodels.errors.ValidationError
            If a channel or level is unknown, or ``removed`` is given with a channel.

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
        who make a first repeat journey.

        Parameters
        ----------
        removed : str or list of str, optional
            Channels removed: their share of each stage's channel mix becomes the baseline step
            without a touch (the counterfactual of a removal effect).
        returning : bool, default False
            The conversion of a repeat journey instead of a first one.
        segment : str, optional
            A segment level: the probability for that level (the reference region unless
            ``region`` is given) instead of the population average.
        region : str, optional
            A region level, likewise (the reference segment unless ``segment`` is given).

        Returns
        -------
        float
            The probability, in [0, 1].

        Raises
        ------
        cjmodels.errors.ValidationError
            If a removed channel or a level is unknown.

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

        Parameters
        ----------
        removed : str or list of str, optional
            Channels removed (their steps become baseline steps without a touch).

        Returns
        -------
        pandas.Series
            Named ``touches``: one value per channel, then ``total``.

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

        ``removal_effect = 1 - P(convert | channel removed) / P(convert)``, for a new customer's
        first journey averaged over the population (:meth:`conversion_probability`). These are
        the true values that Markov removal-effect attribution estimates.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``channel``: ``lift``, ``conversion_probability`` (with the channel
            removed) and ``removal_effect``.

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

        Compare them with the ``target`` entries of :data:`CALIBRATION_TARGETS`.

        Returns
        -------
        pandas.Series
            Named ``model``, one value per quantity (index ``quantity``); the organic
            first-touch share is NaN when the model has no ``organic_search`` channel.

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
        """JSON-serialisable parameters.

        Returns
        -------
        dict
            One entry per field, in field order; ``scheme`` as
            :meth:`cjmodels.data.StageScheme.to_dict` gives it, ``channels`` as a list.

        Examples
        --------
        >>> d = JourneyParams.default().to_dict()
        >>> list(d)[:4], d["dwell_shape"]
        (['scheme', 'channels', 'channel_mix', 'transitions'], 2)
        """
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


@functools.lru_cache(maxsize=32)
def _default_params(scheme: StageScheme, channels: tuple[str, ...]) -> JourneyParams:
    """Solve the four knobs of :func:`~cjmodels.synthetic.journey_defaults.structure_fields` for :data:`CALIBRATION_TARGETS`."""
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
        return JourneyParams(**structure_fields(scheme, channels, tuple(kn))).calibration()[name] - (
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
    return JourneyParams(**structure_fields(scheme, channels, tuple(knobs)))
