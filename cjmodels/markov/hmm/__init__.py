"""Hidden-Markov latent stages: touches (the organic path) emitted by unobserved decision stages
(the normative path).

A customer's journey is a sequence of observed touch symbols (channels) ``o_1, ..., o_T``. Behind
it runs a Markov chain of ``n_states`` latent stages ``s_1, ..., s_T`` with initial distribution
``pi``, transition matrix ``A`` (one step per touch) and categorical emissions ``B[s, o]``:

    P(o, s) = pi[s_1] B[s_1, o_1] prod_t A[s_{t-1}, s_t] B[s_t, o_t].

Conventions
-----------
* **Data.** :meth:`HiddenMarkovModel.fit` takes an event log (DataFrame or
  :class:`~cjmodels.data.EventLog`; journeys are cut by :func:`cjmodels.data.touch_sequences`
  with ``spec=JourneySpec(sequence="channel")`` by default, one sequence per journey, symbols
  from ``sequence="channel"`` or ``"stage"``, a ``timeout`` and ``lookback`` as specified), a
  :class:`~cjmodels.data.JourneySet`, a list of sequences, or a flat array with ``lengths``.
  Journeys without touches are dropped with a warning when they come from a log; an empty
  sequence given explicitly is an error.
* **Outcomes as absorbing end states** (``end_states=True``): two extra hidden states
  ``(conversion)`` and ``(null)`` (drop-out) that emit their own symbol with probability 1 and
  are entered from the stages with estimated probabilities; a converted journey ends with the
  symbol ``(conversion)``, a dropped-out one with ``(null)``, a censored one with nothing (its
  chain is simply not observed further, which is ignorable when the observation end does not
  depend on the stage). ``A[s, (conversion)]`` is then the per-touch probability that a customer
  in stage ``s`` buys next.
* **Structural zeros.** ``allowed`` (a boolean ``n_states x n_states`` matrix, e.g. upper
  triangular for left-to-right stages) and ``allowed_start`` fix zeros that Baum-Welch keeps;
  every stage must be reachable from an allowed start.
* **Labels.** A fitted HMM is identified only up to a permutation of its stages. Without
  structural zeros the fitted stages are put in a canonical order: ``order="initial"`` (default)
  sorts by decreasing initial probability (ties by occupancy), so stage 1 is where journeys
  start; ``"occupancy"`` sorts by the expected share of touches; a callable
  ``order(startprob, transmat, emissionprob) -> permutation`` is a rule of your own. With
  structural zeros the mask itself names the stages and no reordering is done. Bootstrap
  replicates are matched to the fit by the Hungarian algorithm on the emission rows
  (:func:`scipy.optimize.linear_sum_assignment`, total-variation cost).
* **Convergence.** EM stops when the log-likelihood improves by less than
  ``tol * |log_likelihood|``;
  when ``max_iter`` is reached first a :class:`HMMConvergenceWarning` is issued. The
  log-likelihood never decreases along EM (tested).
* **Covariates on the transitions** (``fit(..., covariates=...)``): each transition row is a
  multinomial logit in the step's covariates (Netzer, Lattin & Srinivasan 2008), centred at
  their training means; ``result_.transmat`` is then the matrix at the means and
  ``result_.coef`` holds the coefficients ``(from, 1 + covariates, to)``. See :mod:`cjmodels.markov.hmm.covariates`.
* **Model selection.** ``n_params`` counts free parameters (allowed cells minus one per row of
  ``pi``, ``A`` and ``B``, fixed end-state rows excluded); BIC uses the number of emitted symbols
  (touches, plus end symbols) as the sample size; held-out log-likelihood uses a split by
  customer (:func:`select_n_states`).

References: Rabiner (1989), A tutorial on hidden Markov models, Proc. IEEE 77(2); Durbin, Eddy,
Krogh & Mitchison (1998), Biological Sequence Analysis, ch. 3; Netzer, Lattin & Srinivasan
(2008), A hidden Markov model of customer relationship dynamics, Marketing Science 27(2).
"""


from cjmodels.markov.hmm.model import HiddenMarkovModel, HMMConvergenceWarning
from cjmodels.markov.hmm.results import HMMBootstrap, HMMFit, StateSelection, plot_posteriors
from cjmodels.markov.hmm.selection import select_n_states
from cjmodels.markov.hmm.sequences import END_STATES

__all__ = [
    "END_STATES",
    "HMMBootstrap",
    "HMMConvergenceWarning",
    "HMMFit",
    "HiddenMarkovModel",
    "StateSelection",
    "plot_posteriors",
    "select_n_states",
]
