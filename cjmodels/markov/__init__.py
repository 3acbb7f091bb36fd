"""Stage transitions: journey-panel Markov chains with uncertainty, absorbing analysis, funnels
and tests between chains.

Fit a chain to many journeys (:func:`fit_chain`), each with an explicit start and end state,
then ask for intervals of every transition probability (:meth:`FittedChain.intervals`), the
absorbing analysis (:meth:`FittedChain.absorbing`), the funnel (:meth:`FittedChain.funnel`),
dwell times and transition intensities (:func:`dwell_times`, :func:`transition_intensities`),
recurrent quantities of the customer life cycle (:func:`lifecycle_chain`: purchase leads into the next
journey; stationary distribution, recurrence and first-passage times such as the time from a
purchase to the next one), tests of Markov order and homogeneity (:func:`order_test`,
:func:`select_order`, :func:`homogeneity_test`, :func:`time_homogeneity_test`), and plots
(every result's ``plot()``; a chain's ``plot(kind="diagram")`` draws its state diagram).

Stages seen only at irregular times (CRM snapshots) are fitted by a continuous-time multi-state
model (:func:`fit_multistate`, msm's model in Python: intensities with covariates, exactly
observed absorbing entries, censored states, P(t), sojourn times, lengths of stay, first-passage
times, likelihood-ratio tests). Stages never observed are latent stages of a hidden Markov model
(:class:`HiddenMarkovModel`: touches emitted by decision stages, purchase and drop-out as
absorbing end states, Baum-Welch with restarts, Viterbi decoding, posterior stage probabilities,
bootstrap intervals, covariates on the transitions; :func:`select_n_states`).

Every model of journeys takes the event log (or the journeys already reduced by
:mod:`cjmodels.data`) and one :class:`cjmodels.data.JourneySpec` (``spec=``: stages or
channels, order, timeout, lookback, which journeys, censoring, repeats); model options (prior,
alpha, method, ...) are keywords.

Examples
--------
>>> from cjmodels.markov import fit_chain
>>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 4, ("a", "(null)"): 6})
>>> float(fit.chain.absorption_probabilities.loc["(start)", "(conversion)"])
0.4
"""

from cjmodels.markov.absorbing import AbsorbingAnalysis, Funnel
from cjmodels.markov.chain import MarkovChain
from cjmodels.markov.comparison import (
    OrderSelection,
    homogeneity_test,
    order_test,
    select_order,
    time_homogeneity_test,
)
from cjmodels.markov.fit import INTERVAL_METHODS, FittedChain, fit_chain
from cjmodels.markov.hmm import (
    HiddenMarkovModel,
    HMMBootstrap,
    HMMConvergenceWarning,
    HMMFit,
    StateSelection,
    plot_posteriors,
    select_n_states,
)
from cjmodels.markov.hmm.sequences import END_STATES  # where it is defined, with its #: note
from cjmodels.markov.lifecycle import LifecycleChain, lifecycle_chain
from cjmodels.markov.multistate import (
    FittedMultiState,
    PanelData,
    crude_qmatrix,
    fit_multistate,
    lrtest,
    panel_data,
    parse_qmatrix,
)
from cjmodels.markov.passage import Passage
from cjmodels.markov.timing import (
    DwellTimes,
    Intensities,
    dwell_times,
    transition_intensities,
)
from cjmodels.markov.uncertainty import ChainBootstrap, TransitionIntervals

__all__ = [
    "END_STATES",
    "HMMBootstrap",
    "HMMConvergenceWarning",
    "HMMFit",
    "HiddenMarkovModel",
    "StateSelection",
    "plot_posteriors",
    "select_n_states",
    "FittedMultiState",
    "PanelData",
    "crude_qmatrix",
    "fit_multistate",
    "lrtest",
    "panel_data",
    "parse_qmatrix",
    "INTERVAL_METHODS",
    "AbsorbingAnalysis",
    "ChainBootstrap",
    "DwellTimes",
    "FittedChain",
    "Funnel",
    "Intensities",
    "LifecycleChain",
    "MarkovChain",
    "OrderSelection",
    "Passage",
    "TransitionIntervals",
    "fit_chain",
    "dwell_times",
    "homogeneity_test",
    "lifecycle_chain",
    "order_test",
    "select_order",
    "time_homogeneity_test",
    "transition_intensities",
]
