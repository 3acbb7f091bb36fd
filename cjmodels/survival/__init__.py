"""Survival and customer-base models for customer journeys.

Customer-base models (own likelihoods, maximum likelihood with standard errors) are
estimators: ``Model(**hyperparameters).fit(rfm)`` returns the model, whose fitted
:class:`ParameterFit` is ``result_``; predictions are the model's methods.

- :class:`ShiftedBetaGeometricModel` (sBG): contractual cohort retention, projection, DERL.
- :class:`BetaGeoModel` (BG/NBD), :class:`ModifiedBetaGeoModel` (MBG/NBD),
  :class:`ParetoNBDModel` (Pareto/NBD): non-contractual repeat buying, P(alive), expected
  future transactions.
- :class:`BGBBModel` (BG/BB): discrete purchase opportunities.
- :class:`GammaGammaModel` and :func:`customer_lifetime_value`: spend and discounted CLV.

Classic survival on lifelines, with result objects: :func:`kaplan_meier`,
:func:`nelson_aalen`, :func:`kaplan_meier_by`, :func:`logrank_test`, :func:`cox_ph`,
:func:`cox_time_varying`, :func:`aft`; competing risks: :func:`cumulative_incidence`,
:func:`cause_specific_cox`, :func:`fine_gray`.

From logs: :func:`cjmodels.data.counting_process` gives the (start, stop] rows (touches as
time-varying covariates, left truncation from a known origin) that :func:`cox_time_varying` fits.

Scale: :func:`person_period_table` and :func:`discrete_time_survival` (grouped
proportional-hazards or logistic GLM on aggregated person-period counts, via statsmodels).

Never-buyers: :class:`MixtureCureModel` (logistic cure probability, Weibull/exponential
latency; its ``result_`` is a :class:`MixtureCureResult`) and :func:`simulate_mixture_cure`
(a :class:`CureWorld` with a known cure fraction).

Prediction accuracy: :func:`brier_score`, :func:`integrated_brier_score` (IPCW),
:func:`concordance_index_ipcw` (Uno), :func:`concordance_td` (Antolini).
"""

from cjmodels.survival._base import ParameterFit
from cjmodels.survival.bgbb import BGBBModel
from cjmodels.survival.btyd import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from cjmodels.survival.competing import (
    CauseSpecificCox,
    CumulativeIncidence,
    cause_specific_cox,
    cumulative_incidence,
    fine_gray,
)
from cjmodels.survival.cure import (
    CureWorld,
    MixtureCureModel,
    MixtureCureResult,
    simulate_mixture_cure,
)
from cjmodels.survival.discrete import (
    DiscreteTimeResult,
    discrete_time_survival,
    person_period_table,
)
from cjmodels.survival.holdout import holdout_comparison
from cjmodels.survival.metrics import (
    Concordance,
    brier_score,
    concordance_index_ipcw,
    concordance_td,
    integrated_brier_score,
)
from cjmodels.survival.regression import RegressionResult, aft, cox_ph, cox_time_varying
from cjmodels.survival.sbg import ShiftedBetaGeometricModel
from cjmodels.survival.spend import GammaGammaModel, customer_lifetime_value
from cjmodels.survival.univariate import (
    WEIGHTINGS,
    CurveSet,
    RestrictedMean,
    SurvivalCurve,
    SurvivalQuantile,
    kaplan_meier,
    kaplan_meier_by,
    logrank_test,
    nelson_aalen,
)

__all__ = [
    "WEIGHTINGS",
    "BGBBModel",
    "BetaGeoModel",
    "CauseSpecificCox",
    "Concordance",
    "CumulativeIncidence",
    "CureWorld",
    "CurveSet",
    "DiscreteTimeResult",
    "GammaGammaModel",
    "MixtureCureModel",
    "MixtureCureResult",
    "ModifiedBetaGeoModel",
    "ParameterFit",
    "ParetoNBDModel",
    "RegressionResult",
    "RestrictedMean",
    "ShiftedBetaGeometricModel",
    "SurvivalCurve",
    "SurvivalQuantile",
    "aft",
    "brier_score",
    "cause_specific_cox",
    "concordance_index_ipcw",
    "concordance_td",
    "cox_ph",
    "cox_time_varying",
    "cumulative_incidence",
    "customer_lifetime_value",
    "discrete_time_survival",
    "fine_gray",
    "holdout_comparison",
    "integrated_brier_score",
    "kaplan_meier",
    "kaplan_meier_by",
    "logrank_test",
    "nelson_aalen",
    "person_period_table",
    "simulate_mixture_cure",
]
