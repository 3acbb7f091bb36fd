"""Simulated worlds with known ground truth.

Every simulator is seeded by ``random_state`` and returns a
:class:`~cjmodels.synthetic.SyntheticWorld`: the event log together with the truth that
generated it, so every estimator in cjmodels can be shown to recover that truth. A world is a
:class:`~cjmodels.results.Result`: ``summary()`` tabulates its parameters and short true values,
``to_dict()`` holds the parameters, the whole truth and the counts (not the events).

- :func:`simulate_journeys`: customers move through a stage scheme as a Markov chain whose
  transitions depend on the channel of each touch; exact conversion probabilities and each
  channel's counterfactual removal effect.
- :func:`simulate_subscriptions`: contractual churn (Weibull proportional hazards or sBG).
- :func:`simulate_transactions`: non-contractual repeat buying (BG/NBD or Pareto/NBD) with
  gamma-gamma spend.
- :func:`simulate_panel`: stages moving in continuous time, seen only at irregular snapshots
  (panel data for :func:`cjmodels.markov.fit_multistate`).
- :func:`simulate_latent_journeys`: touches emitted by known latent decision stages (the
  normative path behind the organic one), for :class:`cjmodels.markov.HiddenMarkovModel`.
- :func:`simulate_segment_journeys`: journeys of customers from known behavioural segments,
  each a Markov chain over channels, for :class:`cjmodels.analytics.MarkovMixture`.
- :func:`simulate_experiment`: A/B/n tests with known effects, a correlated pre-period
  covariate and optional sample-ratio mismatch.
"""

from cjmodels.synthetic._base import SyntheticWorld
from cjmodels.synthetic.customer_base import (
    SubscriptionWorld,
    TransactionWorld,
    simulate_subscriptions,
    simulate_transactions,
)
from cjmodels.synthetic.experiments import Arm, ExperimentWorld, simulate_experiment
from cjmodels.synthetic.journey_params import JourneyParams
from cjmodels.synthetic.journeys import JourneyWorld, simulate_first_journeys, simulate_journeys
from cjmodels.synthetic.latent import LatentWorld, simulate_latent_journeys
from cjmodels.synthetic.panel import PanelWorld, default_panel_qmatrix, simulate_panel
from cjmodels.synthetic.segments import SegmentWorld, simulate_segment_journeys

__all__ = [
    "LatentWorld",
    "simulate_latent_journeys",
    "PanelWorld",
    "SegmentWorld",
    "simulate_segment_journeys",
    "default_panel_qmatrix",
    "simulate_panel",
    "Arm",
    "ExperimentWorld",
    "JourneyParams",
    "JourneyWorld",
    "SubscriptionWorld",
    "SyntheticWorld",
    "TransactionWorld",
    "simulate_experiment",
    "simulate_first_journeys",
    "simulate_journeys",
    "simulate_subscriptions",
    "simulate_transactions",
]
