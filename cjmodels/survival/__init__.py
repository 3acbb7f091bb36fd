"""Survival and customer-base models for customer journeys.

Customer-base models (own likelihoods, maximum likelihood with standard errors):

- :class:`ShiftedBetaGeometricModel` (sBG): contractual cohort retention, projection, DERL.
- :class:`BetaGeoModel` (BG/NBD), :class:`ModifiedBetaGeoModel` (MBG/NBD),
  :class:`ParetoNBDModel` (Pareto/NBD): non-contractual repeat buying, P(alive), expected
  future transactions.
- :class:`BGBBModel` (BG/BB): discrete purchase opportunities.
- :class:`GammaGammaModel` and :func:`customer_lifetime_value`: spend and discounted CLV.

Classic survival on lifelines, with result objects: :func:`kaplan_meier`,
:func:`nelson_aalen`, :func:`kaplan_meier_by`, :func:`logrank_test`.
"""

from cjmodels.survival._base import ConvergenceError, ParameterFit
from cjmodels.survival.btyd import BetaGeoModel, BGBBModel, ModifiedBetaGeoModel, ParetoNBDModel
from cjmodels.survival.competing import (
    CumulativeIncidence,
    cause_specific_cox,
    cumulative_incidence,
)
from cjmodels.survival.regression import RegressionResult, aft, cox_ph, cox_time_varying
from cjmodels.survival.sbg import ShiftedBetaGeometricModel
from cjmodels.survival.spend import GammaGammaModel, customer_lifetime_value
from cjmodels.survival.univariate import (
    CurveSet,
    LogRankResult,
    SurvivalCurve,
    kaplan_meier,
    kaplan_meier_by,
    logrank_test,
    nelson_aalen,
)

__all__ = [
    "BGBBModel",
    "BetaGeoModel",
    "ConvergenceError",
    "CumulativeIncidence",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParameterFit",
    "ParetoNBDModel",
    "RegressionResult",
    "ShiftedBetaGeometricModel",
    "CurveSet",
    "LogRankResult",
    "SurvivalCurve",
    "aft",
    "cause_specific_cox",
    "cumulative_incidence",
    "cox_ph",
    "cox_time_varying",
    "customer_lifetime_value",
    "kaplan_meier",
    "kaplan_meier_by",
    "logrank_test",
    "nelson_aalen",
]
