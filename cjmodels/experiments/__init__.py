"""A/B experiments: tests, variance reduction, power, SRM, multiple and sequential testing.

Every test runs on per-arm sufficient statistics (:class:`SufficientStats`), so a per-customer
table (from :func:`cjmodels.data.experiment_table`) and numbers aggregated elsewhere give the
same answer. The journey-aware tests take the data layer's reductions of the log
(:func:`cjmodels.data.funnel_table`, :func:`cjmodels.data.purchase_times`,
:func:`cjmodels.data.arm_event_logs`). Every choice that peers hide is a named option with a
documented default:

=============================  ==============================================================
conversion test                ``test="z-pooled"`` (also z-unpooled, chi2, chi2-yates, fisher,
                               barnard, boschloo)
difference interval            ``interval="newcombe"`` (also wald, score, agresti-caffo)
relative lift interval         ``relative="log-ratio"`` for proportions, ``"delta"`` for means
continuous metrics             Welch t; Mann-Whitney with the Hodges-Lehmann shift (R's
                               wilcox.test interval); BCa bootstrap of difference and lift
ratio metrics                  delta method (Deng, Knoblich & Lu 2018)
variance reduction             CUPED / regression adjustment, pooled within-arm slope
SRM                            chi-square, threshold p < 0.001, checked first by ``analyze``
multiple testing               ``correction="holm"`` (also bonferroni, hochberg, bh, by)
sample size                    pooled-variance formula for the pooled z-test (Fleiss)
sequential                     Lan-DeMets OBF-type spending; mSPRT with tau = MDE
time to purchase               origin = assignment, administrative censoring; log-rank
                               (weightings optional) and RMST difference (K-M variance)
transition matrices            Anderson-Goodman G2 over from-states, journeys after assignment
=============================  ==============================================================

Examples
--------
>>> from cjmodels.experiments import SufficientStats, compare_proportions
>>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
>>> round(compare_proportions(s, control="A").pvalue, 7)
0.0171258
"""

from cjmodels.experiments._results import Comparison, Comparisons
from cjmodels.experiments._stats import SufficientStats, sufficient_stats
from cjmodels.experiments.analysis import ExperimentResult, analyze, cumulative_effects
from cjmodels.experiments.bayes import (
    BayesianResult,
    ExpectedLoss,
    beta_binomial,
    expected_loss,
    prob_beats,
)
from cjmodels.experiments.calibration import (
    PowerSimulation,
    aa_simulation,
    peeking_simulation,
    power_simulation,
)
from cjmodels.experiments.continuous import (
    bootstrap_means,
    compare_means,
    compare_ratios,
    mann_whitney,
    winsorize,
    with_missing_indicator,
)
from cjmodels.experiments.funnel import funnel_test
from cjmodels.experiments.multiple import CORRECTIONS, adjust, adjust_pvalues
from cjmodels.experiments.power import (
    PowerResult,
    duration,
    mde_means,
    mde_proportions,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    unit_sd,
)
from cjmodels.experiments.proportions import (
    DIFF_INTERVALS,
    PROPORTION_TESTS,
    RELATIVE_INTERVALS,
    compare_proportions,
)
from cjmodels.experiments.ranks import ShiftEstimate, hodges_lehmann
from cjmodels.experiments.sequential import (
    SEQUENTIAL_KINDS,
    AlwaysValidResult,
    GroupSequentialDesign,
    SequentialDecision,
    crossing_probabilities,
    group_sequential,
    msprt,
)
from cjmodels.experiments.srm import SampleRatioMismatchWarning, srm_check
from cjmodels.experiments.time_to_purchase import (
    TimeToPurchaseResult,
    compare_time_to_purchase,
)
from cjmodels.experiments.transitions import (
    TransitionTestResult,
    compare_transitions,
)

__all__ = [
    "CORRECTIONS",
    "DIFF_INTERVALS",
    "PROPORTION_TESTS",
    "RELATIVE_INTERVALS",
    "SEQUENTIAL_KINDS",
    "AlwaysValidResult",
    "BayesianResult",
    "Comparison",
    "Comparisons",
    "ExpectedLoss",
    "ExperimentResult",
    "GroupSequentialDesign",
    "PowerResult",
    "PowerSimulation",
    "SampleRatioMismatchWarning",
    "SequentialDecision",
    "ShiftEstimate",
    "SufficientStats",
    "TimeToPurchaseResult",
    "TransitionTestResult",
    "aa_simulation",
    "adjust",
    "adjust_pvalues",
    "analyze",
    "beta_binomial",
    "bootstrap_means",
    "compare_means",
    "compare_ratios",
    "compare_proportions",
    "compare_time_to_purchase",
    "compare_transitions",
    "crossing_probabilities",
    "cumulative_effects",
    "duration",
    "expected_loss",
    "funnel_test",
    "group_sequential",
    "hodges_lehmann",
    "mann_whitney",
    "mde_means",
    "mde_proportions",
    "msprt",
    "peeking_simulation",
    "power_means",
    "power_proportions",
    "power_simulation",
    "prob_beats",
    "sample_size_means",
    "sample_size_proportions",
    "srm_check",
    "sufficient_stats",
    "unit_sd",
    "winsorize",
    "with_missing_indicator",
]
