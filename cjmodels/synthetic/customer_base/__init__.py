"""Synthetic customer bases: contractual churn and non-contractual repeat buying.

Two simulators whose truth is known in closed form (the closed forms are the models' own, in
:mod:`cjmodels.survival.closed_forms`):

* :func:`simulate_subscriptions` (:mod:`.subscriptions`) -- contractual churn. Every customer
  has one ``subscribe`` event and at most one ``churn`` event (if it happens before the
  observation end); lifetimes follow a Weibull proportional hazards model with covariates and
  optional gamma frailty (``model="weibull-ph"``), or the shifted-beta-geometric (sBG) model of
  Fader & Hardie (2007) (``model="sbg"``).
* :func:`simulate_transactions` (:mod:`.transactions`) -- non-contractual repeat buying ("buy
  till you die"). Every customer makes a first purchase at their birth and repeat purchases
  while alive; the BG/NBD model of Fader, Hardie & Lee (2005) (``model="bgnbd"``) or the
  Pareto/NBD model of Schmittlein, Morrison & Colombo (1987) (``model="paretonbd"``), with
  gamma-gamma spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang
  1999).

Time units
----------
Subscription parameters are in days (``period_days`` sets the sBG renewal period). Transaction
parameters (:math:`\\lambda`, :math:`\\alpha`, :math:`\\beta`, :math:`\\mu`) are per *week*, as in
the CDNOW analyses; simulated times in days are weeks x 7. Timestamps are whole seconds after
``start``: entry times are rounded down, durations up (so every duration is positive).
"""

from cjmodels.synthetic.customer_base.subscriptions import (
    DEFAULT_COEFFICIENTS,
    SubscriptionWorld,
    simulate_subscriptions,
)
from cjmodels.synthetic.customer_base.transactions import TransactionWorld, simulate_transactions

__all__ = [
    "DEFAULT_COEFFICIENTS",
    "SubscriptionWorld",
    "TransactionWorld",
    "simulate_subscriptions",
    "simulate_transactions",
]
