"""Hidden-Markov latent stages: touches (the organic path) emitted by unobserved decision stages
(the normative path).

A customer's journey is a sequence of observed touch symbols (channels) ``o_1, ..., o_T``. Behind
it runs a Markov chain of ``n_states`` latent stages ``s_1, ..., s_T`` with initial distribution
``pi``, transition matrix ``A`` (one step per touch) and categorical emissions ``B[s, o]``:

    P(o, s) = pi[s_1] B[s_1, o_1] prod_t A[s_{t-1}, s_t] B[s_t, o_t].

Conventions
-----------
* **Data.** :meth:`HiddenMarkovModel.fit` takes an event log (DataFrame or
  :class:`~cjmodels.data.EventLog`; journeys are cut by :func:`cjmodels.data.journey_set`, one
  sequence per journey, symbols from ``sequence="channel"`` or ``"stage"``), a
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
  ``result_.coef`` holds the coefficients ``(from, 1 + covariates, to)``. See :mod:`cjmodels.markov._hmm_covariates`.
* **Model selection.** ``n_params`` counts free parameters (allowed cells minus one per row of
  ``pi``, ``A`` and ``B``, fixed end-state rows excluded); BIC uses the number of emitted symbols
  (touches, plus end symbols) as the sample size; held-out log-likelihood uses a split by
  customer (:func:`select_n_states`).

References: Rabiner (1989), A tutorial on hidden Markov models, Proc. IEEE 77(2); Durbin, Eddy,
Krogh & Mitchison (1998), Biological Sequence Analysis, ch. 3; Netzer, Lattin & Srinivasan
(2008), A hidden Markov model of customer relationship dynamics, Marketing Science 27(2).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning

from cjmodels._checks import as_generator, check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators
from cjmodels._threads import one_blas_thread as _one_blas_thread
from cjmodels.errors import ValidationError
from cjmodels.markov._hmm_core import (
    Layout,
    Params,
    Stats,
    estep,
    forward_backward,
    mstep,
    viterbi,
)
from cjmodels.markov._hmm_covariates import (
    coef_from_matrix,
    fit_row,
    group_rows,
    reference,
    transition_rows,
)
from cjmodels.markov._hmm_data import (
    END_STATES,
    _collapse,
    _Collapsed,
    _prepare,
    _Seqs,
    _subset,
    covariate_names,
)
from cjmodels.markov._hmm_results import (
    HMMBootstrap,
    HMMFit,
    StateSelection,
    plot_posteriors,
)
from cjmodels.results import Estimator

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

_ORDERS = ("initial", "occupancy", "none")


class HMMConvergenceWarning(ConvergenceWarning):
    """Baum-Welch reached ``max_iter`` before the log-likelihood settled.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = HiddenMarkovModel(2, n_init=1, max_iter=1, random_state=0).fit(
    ...         [["a", "b", "b"], ["b", "a"]] * 5)
    >>> any(issubclass(w.category, HMMConvergenceWarning) for w in caught)
    True
    """


# ---------------------------------------------------------------------------- structure
def _bool_matrix(x: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(x.to_numpy() if isinstance(x, pd.DataFrame | pd.Series) else x)
    if arr.shape != shape:
        raise ValidationError(f"{name} has shape {arr.shape}, must be {shape} (one per stage).")
    if arr.dtype != bool:
        if not np.isin(arr, [0, 1]).all():
            raise ValidationError(f"{name} must be boolean (True where a move is allowed).")
        arr = arr.astype(bool)
    return arr


def _structure(
    k: int, m: int, end_states: bool, allowed: Any, allowed_start: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Masks of free cells (start, transitions, emissions) and the fixed end-state rows."""
    n_end = 2 if end_states else 0
    kk = k + n_end
    trans = np.ones((kk, kk), dtype=bool)
    if allowed is not None:
        trans[:k, :k] = _bool_matrix(allowed, (k, k), "allowed")
    start = np.zeros(kk, dtype=bool)
    if allowed_start is None:
        start[:k] = True
    else:
        start[:k] = _bool_matrix(allowed_start, (k,), "allowed_start")
    emis = np.ones((kk, m), dtype=bool)
    fixed = np.zeros(kk, dtype=bool)
    if end_states:
        trans[k:, :] = False
        trans[k, k] = trans[k + 1, k + 1] = True
        trans[:k, k:] = True
        emis[:, m - 2:] = False
        emis[k:, :] = False
        emis[k, m - 2] = emis[k + 1, m - 1] = True
        fixed[k:] = True
    if not start.any():
        raise ValidationError("allowed_start allows no stage; at least one must be allowed.")
    empty_rows = np.flatnonzero(~trans[:k].any(axis=1))
    if len(empty_rows):
        raise ValidationError(
            f"allowed has no allowed transition out of stages {(empty_rows + 1).tolist()} "
            "(1-based); every stage needs at least one (its own, for a last stage)."
        )
    reach = start[:k].copy()
    for _ in range(k):
        reach = reach | (reach @ trans[:k, :k])
    if not reach.all():
        bad = (np.flatnonzero(~reach) + 1).tolist()
        raise ValidationError(
            f"with allowed_start and allowed as given, stages {bad} (1-based) can never be "
            "reached; allow a start in them or a transition into them."
        )
    return start, trans, emis, fixed


def _n_free(mask: np.ndarray) -> int:
    rows = np.atleast_2d(mask)
    return int(np.maximum(rows.sum(axis=1) - 1, 0).sum())


# ---------------------------------------------------------------------------- estimator
class HiddenMarkovModel(Estimator):
    """Hidden Markov model of latent stages behind observed touches (categorical emissions).

    Parameters
    ----------
    n_states : int
        Number of latent stages.
    stage_names : list of str, optional
        Names of the stages in canonical order; default ``stage_1``, ``stage_2``, ...
    end_states : bool
        Add absorbing ``(conversion)`` / ``(null)`` states fed by each journey's outcome (see the
        module docstring). Needs outcomes: an event log, a JourneySet, or ``outcome=``.
    allowed : bool array (n_states, n_states), optional
        Allowed stage-to-stage transitions (structural zeros elsewhere).
    allowed_start : bool array (n_states,), optional
        Stages a journey may start in.
    order : {"initial", "occupancy", "none"} or callable, optional
        Canonical order of the fitted stages; default ``"initial"`` without structural zeros and
        ``"none"`` with them (then no other value is accepted).
    n_init : int
        Seeded random restarts. Each runs ``init_iter`` EM iterations; only the one with the
        highest log-likelihood then runs to convergence ("short runs" selection, as Biernacki,
        Celeux & Govaert 2003 recommend for mixtures: EM's slow tail is paid once).
    init_iter : int
        EM iterations of every restart before the best is chosen (ignored when ``n_init=1``).
    max_iter : int
        Maximum EM iterations per restart.
    tol : float
        Relative improvement of the log-likelihood below which EM stops.
    init : dict, optional
        Start values ``{"startprob", "transmat", "emissionprob"}`` for the first restart (full
        matrices, end states included when ``end_states``; emission columns in the order of the
        sorted symbols, end symbols last). The remaining ``n_init - 1`` restarts are random.
    random_state : int, Generator or None
        Seed of the random restarts (and of nothing else).

    Attributes
    ----------
    result_ : HMMFit
        The fit: parameters (end states last when ``end_states``), names of the states and
        symbols, log-likelihood, EM history, restarts, occupancy, AIC/BIC and, with covariates,
        the multinomial-logit coefficients ``(from, 1 + q, to)`` with the covariate names and
        centring means (``result_.transmat`` is then the matrix at the means).

    Examples
    --------
    >>> seqs = [["search", "search", "email"], ["social", "search"], ["email", "email"]] * 20
    >>> hmm = HiddenMarkovModel(2, n_init=2, random_state=0).fit(seqs)
    >>> hmm.result_.symbols
    ('email', 'search', 'social')
    >>> bool(np.allclose(hmm.result_.transmat.sum(axis=1), 1.0))
    True
    >>> hmm.predict([["search", "email"]]).shape
    (2,)
    """

    def __init__(
        self,
        n_states: int = 3,
        *,
        stage_names: Sequence[str] | None = None,
        end_states: bool = False,
        allowed: Any = None,
        allowed_start: Any = None,
        order: str | Callable[..., Any] | None = None,
        n_init: int = 5,
        init_iter: int = 30,
        max_iter: int = 1000,
        tol: float = 1e-7,
        init: dict[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_states = n_states
        self.stage_names = stage_names
        self.end_states = end_states
        self.allowed = allowed
        self.allowed_start = allowed_start
        self.order = order
        self.n_init = n_init
        self.init_iter = init_iter
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        if isinstance(self.n_states, bool):
            raise ValidationError(f"n_states == {self.n_states!r}, must be an int >= 1.")
        check_scalar(self.n_states, "n_states", typ=int, ge=1)
        check_scalar(self.n_init, "n_init", typ=int, ge=1)
        check_scalar(self.init_iter, "init_iter", typ=int, ge=0)
        check_scalar(self.max_iter, "max_iter", typ=int, ge=0)
        check_scalar(self.tol, "tol", typ=float, ge=0)
        check_scalar(self.end_states, "end_states", typ=bool)
        if self.stage_names is not None:
            names = list(self.stage_names)
            if len(names) != self.n_states or len(set(names)) != len(names):
                raise ValidationError(
                    f"stage_names == {names!r}, must be {self.n_states} distinct names."
                )
            if set(names) & set(END_STATES):
                raise ValidationError(f"stage_names must not use the end-state names {END_STATES}.")
        masked = self.allowed is not None or self.allowed_start is not None
        if callable(self.order):
            if masked:
                raise ValidationError(
                    "order must be 'none' with allowed/allowed_start: the mask names the stages."
                )
        elif self.order is not None:
            check_scalar(self.order, "order", in_=_ORDERS)
            if masked and self.order != "none":
                raise ValidationError(
                    f"order == {self.order!r} would permute the stages, which breaks the "
                    "structural zeros of allowed/allowed_start; use order='none' (the default "
                    "with a mask)."
                )

    @property
    def _order(self) -> Any:
        if self.order is None:
            masked = self.allowed is not None or self.allowed_start is not None
            return "none" if masked else "initial"
        return self.order

    def _names(self) -> list[str]:
        k = self.n_states
        names = list(self.stage_names) if self.stage_names is not None else [
            f"stage_{i + 1}" for i in range(k)
        ]
        return names + (list(END_STATES) if self.end_states else [])

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: Any,
        lengths: Any = None,
        *,
        sequence: str = "channel",
        customers: Any = None,
        outcome: Any = None,
        weight: Any = None,
        symbols: Sequence[Any] | None = None,
        covariates: Any = None,
        **log_options: Any,
    ) -> HiddenMarkovModel:
        """Fit by Baum-Welch with ``n_init`` seeded restarts.

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            See the module docstring.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        sequence : {"channel", "stage"}
            Symbols of an event log's journeys.
        customers : array, optional
            Customer of each sequence (for bootstrap and held-out splits); a log has its own.
        outcome : array, optional
            Outcome of each sequence for ``end_states`` with list input.
        weight : array, optional
            Frequency weight of each sequence (default 1; a JourneySet from a path table has
            its counts).
        symbols : list, optional
            The alphabet (default: the sorted distinct symbols of the data).
        covariates : str, list of str, array or DataFrame, optional
            Covariates of the transitions (a non-homogeneous HMM, see
            :mod:`cjmodels.markov._hmm_covariates`): with an event log, names of its columns
            (values at each touch); otherwise one row per touch or one row per sequence.
            Numeric columns enter as they are, others one-hot (first level dropped); all are
            centred at their training means. The covariates of a touch drive the move *into*
            it; an end symbol takes those of the journey's last touch. Missing values are an
            error. The same covariates must be given to ``score``, ``predict``, ``decode``.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        HiddenMarkovModel
            The estimator, with the fit in ``result_``.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs).result_.n_sequences
        30.0
        """
        self._check()
        alphabet = None
        if symbols is not None:
            alphabet = [s for s in symbols if s not in END_STATES]
            alphabet = alphabet + (list(END_STATES) if self.end_states else [])
            if len(set(alphabet)) != len(alphabet):
                raise ValidationError("symbols must be distinct.")
        seqs = _prepare(
            data, lengths=lengths, sequence=sequence, customers=customers, outcome=outcome,
            weight=weight, end_states=self.end_states, alphabet=alphabet, log_options=log_options,
            covariates=covariates,
        )
        self.result_ = None
        with _one_blas_thread():
            self._fit_seqs(seqs)
        return self

    def _fit_seqs(self, seqs: _Seqs, *, warm: tuple[Params, np.ndarray | None] | None = None,
                  collapsed: _Collapsed | None = None,
                  x_means: np.ndarray | None = None) -> None:
        """Fit to prepared sequences; sets ``result_`` and the private ``_masks``/``_x_spec``.

        ``warm`` starts a single EM run from given parameters (bootstrap replicates), with the
        covariates centred at ``x_means`` (those of the fit)."""
        k = int(self.n_states)
        labels = seqs.labels
        m = len(labels)
        start_mask, trans_mask, emis_mask, fixed = _structure(
            k, m, self.end_states, self.allowed, self.allowed_start
        )
        seq_w = seqs.weight
        touch_w = np.repeat(seq_w, np.diff(seqs.offsets))
        if seqs.x is None:
            col = _collapse(seqs) if collapsed is None else collapsed
            layout = Layout(col.offsets, np.bincount(col.ids, weights=seq_w,
                                                     minlength=len(col.offsets) - 1))
            setup = _EMSetup(layout, col.obs[layout.tm_pos], m, start_mask, trans_mask,
                             emis_mask, fixed)
            x_means = None
        else:  # covariates differ between sequences: no collapsing of equal symbol sequences
            layout = Layout(seqs.offsets, seq_w)
            if warm is None or x_means is None:
                x_means = (touch_w @ seqs.x) / max(touch_w.sum(), 1e-300)
            x1 = np.hstack([np.ones((len(seqs.x), 1)), seqs.x - x_means])
            x1_tm = x1[layout.tm_pos]
            groups, agg = group_rows(x1_tm[int(layout.n_t[0]):])
            setup = _EMSetup(layout, seqs.obs[layout.tm_pos], m, start_mask, trans_mask,
                             emis_mask, fixed, x1_tm, reference(trans_mask), groups, agg)
        q1 = None if seqs.x is None else seqs.x.shape[1] + 1
        freq = np.bincount(seqs.obs, weights=touch_w, minlength=m)
        freq = freq / freq.sum() if freq.sum() > 0 else np.full(m, 1.0 / m)
        rng = as_generator(self.random_state)
        starts: list[tuple[Params, np.ndarray | None]] = []
        if warm is not None:
            starts.append(warm)
        else:
            if self.init is not None:
                starts.append((self._user_init(k, m, start_mask, trans_mask, emis_mask), None))
            children = rng.spawn(max(self.n_init - len(starts), 0))
            for child in children:
                starts.append((_random_init(child, start_mask, trans_mask, emis_mask, fixed,
                                            freq), None))
            if q1 is not None:
                starts = [(p0, coef_from_matrix(p0.transmat, trans_mask, q1))
                          for p0, _ in starts]
        # short runs from every start, then only the best one to convergence
        short = self.max_iter if len(starts) == 1 else min(self.init_iter, self.max_iter)
        runs = [_run_em(setup, p0, c0, short, self.tol) for p0, c0 in starts]
        lls = np.array([r[2][-1] for r in runs])
        if not np.isfinite(lls).any():
            raise ValidationError(
                "every start gave the data probability zero: the structural zeros (allowed, "
                "allowed_start, end_states) cannot produce some sequences."
            )
        best = int(np.argmax(np.where(np.isfinite(lls), lls, -np.inf)))
        p_b, c_b, hist_b, conv_b, _ = runs[best]
        if not conv_b and len(hist_b) - 1 < self.max_iter:
            more = _run_em(setup, p_b, c_b, self.max_iter - (len(hist_b) - 1), self.tol)
            runs[best] = (more[0], more[1], hist_b + more[2][1:], more[3], more[4])
            lls[best] = more[2][-1]
        p, coef, hist, conv, occ = runs[best]
        if not conv and len(hist) > 1 and warm is None:
            warnings.warn(
                f"Baum-Welch did not converge in max_iter={self.max_iter} iterations (last "
                f"improvement {hist[-1] - hist[-2]:.3g}); raise max_iter or tol.",
                HMMConvergenceWarning,
                stacklevel=3,
            )
        perm = np.arange(k)
        rule = self._order
        if rule != "none":
            perm = _canonical(rule, p, occ, k)
        full = np.concatenate([perm, np.arange(k, len(p.startprob))])
        p = Params(p.startprob[full], p.transmat[np.ix_(full, full)], p.emissionprob[full])
        names: tuple[str, ...] = ()
        if coef is not None:
            coef = coef[full][:, :, full]
            names = tuple(covariate_names(seqs.x_spec))
        else:
            x_means = None
        self._x_spec = seqs.x_spec if coef is not None else None
        restarts = pd.DataFrame({
            "initial_log_likelihood": [r[2][0] for r in runs],
            "final_log_likelihood": lls,
            "n_iter": [len(r[2]) - 1 for r in runs],
            "converged": [r[3] for r in runs],
            "kept": np.arange(len(runs)) == best,
        }).rename_axis("restart")
        n_obs = float((seqs.weight * np.diff(seqs.offsets)).sum())
        n_trans = _n_free(trans_mask[:k]) * (1 if q1 is None else q1)
        n_params = _n_free(start_mask[:k]) + n_trans + _n_free(emis_mask[:k])
        loglik = float(hist[-1])
        self._masks = (start_mask, trans_mask, emis_mask, fixed)
        self.result_ = HMMFit(
            states=tuple(self._names()), symbols=tuple(labels.tolist()),
            startprob=p.startprob, transmat=p.transmat, emissionprob=p.emissionprob,
            log_likelihood=loglik, n_params=n_params, n_obs=n_obs,
            n_sequences=float(seqs.weight.sum()),
            aic=float(-2 * loglik + 2 * n_params),
            bic=float(-2 * loglik + np.log(max(n_obs, 1.0)) * n_params),
            converged=bool(conv), n_iter=len(hist) - 1, history=np.asarray(hist),
            restarts=restarts, occupancy=occ[full] / max(occ.sum(), 1e-300),
            order=str(rule) if not callable(rule) else "callable",
            coef=coef, covariate_names=names, covariate_means=x_means,
        )

    def _user_init(self, k: int, m: int, sm: np.ndarray, tm: np.ndarray,
                   em: np.ndarray) -> Params:
        init = dict(self.init or {})
        unknown = set(init) - {"startprob", "transmat", "emissionprob"}
        if unknown:
            raise ValidationError(f"init has unknown keys {sorted(unknown)}.")
        kk = len(sm)
        shapes = {"startprob": (kk,), "transmat": (kk, kk), "emissionprob": (kk, m)}
        masks = {"startprob": sm, "transmat": tm, "emissionprob": em}
        vals = {}
        for key, shape in shapes.items():
            if key not in init:
                raise ValidationError(f"init needs {key!r} (all three start values).")
            v = np.asarray(init[key], dtype=float)
            if v.shape != shape:
                raise ValidationError(f"init[{key!r}] has shape {v.shape}, must be {shape}.")
            if not np.isfinite(v).all() or (v < 0).any():
                raise ValidationError(f"init[{key!r}] must hold finite non-negative numbers.")
            if (v[~masks[key]] > 0).any():
                raise ValidationError(f"init[{key!r}] is positive where the structure has zeros.")
            if not np.allclose(v.sum(axis=-1), 1.0, atol=1e-8):
                raise ValidationError(f"init[{key!r}] rows must sum to 1.")
            vals[key] = v
        return Params(vals["startprob"], vals["transmat"], vals["emissionprob"])

    # ------------------------------------------------------------------ use
    @property
    def _params(self) -> Params:
        self._check_fitted()
        r = self.result_
        return Params(r.startprob, r.transmat, r.emissionprob)

    def _seqs(self, data: Any, lengths: Any, sequence: str, outcome: Any = None,
              customers: Any = None, weight: Any = None, covariates: Any = None,
              **log_options: Any) -> _Seqs:
        self._check_fitted()
        spec = self._x_spec
        if spec is None and covariates is not None:
            raise ValidationError("the model was fitted without covariates; do not pass any.")
        return _prepare(
            data, lengths=lengths, sequence=sequence, outcome=outcome, customers=customers,
            weight=weight, end_states=self.end_states, alphabet=list(self.result_.symbols),
            log_options=log_options, covariates=covariates, x_spec=spec,
        )

    def _rec(self, s: _Seqs, layout: Layout) -> Params:
        """Parameters for the recursions on ``s`` (per-row transitions with covariates)."""
        p = self._params
        if s.x is None:
            return p
        r = self.result_
        x1 = np.hstack([np.ones((len(s.x), 1)), s.x - r.covariate_means])[layout.tm_pos]
        rows = transition_rows(x1, r.coef, self._masks[1], self._masks[3], p.transmat)
        return Params(p.startprob, rows, p.emissionprob)

    def log_likelihood_sequences(self, data: Any, lengths: Any = None, *,
                                 sequence: str = "channel", outcome: Any = None,
                                 covariates: Any = None, **log_options: Any) -> np.ndarray:
        """Log-likelihood of every sequence (``-inf`` for a sequence of probability zero).

        ``data`` and the options are those of :meth:`fit`.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.log_likelihood_sequences([["a", "b"], ["b"]]).shape
        (2,)
        """
        s = self._seqs(data, lengths, sequence, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            _, _, log_c, _ = forward_backward(layout, s.obs[layout.tm_pos],
                                              self._rec(s, layout), need_beta=False)
        return layout.per_sequence(log_c)

    def score(self, data: Any, lengths: Any = None, *, sequence: str = "channel",
              outcome: Any = None, covariates: Any = None, **log_options: Any) -> float:
        """Total log-likelihood of new sequences under the fitted model.

        Symbols the model never saw are an error (:class:`~cjmodels.errors.ValidationError`).

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> bool(abs(m.score(seqs) - m.result_.log_likelihood) < 1e-6)
        True
        """
        return float(self.log_likelihood_sequences(data, lengths, sequence=sequence,
                                                   outcome=outcome, covariates=covariates,
                                                   **log_options).sum())

    def predict(self, data: Any, lengths: Any = None, *, sequence: str = "channel",
                outcome: Any = None, covariates: Any = None,
                **log_options: Any) -> np.ndarray:
        """Viterbi stage (state index) of every symbol, sequences concatenated in input order.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.predict([["a", "b", "b"]]).shape
        (3,)
        """
        s = self._seqs(data, lengths, sequence, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            path, _ = viterbi(layout, s.obs[layout.tm_pos], self._rec(s, layout))
        return layout.to_flat(path)

    def predict_proba(self, data: Any, lengths: Any = None, *, sequence: str = "channel",
                      outcome: Any = None, covariates: Any = None,
                      **log_options: Any) -> np.ndarray:
        """Posterior stage probabilities ``P(s_t | o_1..o_T)`` of every symbol (rows sum to 1).

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.predict_proba([["a", "b", "b"]]).shape
        (3, 2)
        """
        s = self._seqs(data, lengths, sequence, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            alpha, beta, _, _ = forward_backward(layout, s.obs[layout.tm_pos],
                                                 self._rec(s, layout))
        assert beta is not None
        return layout.to_flat(alpha * beta)

    def decode(self, data: Any, lengths: Any = None, *, sequence: str = "channel",
               outcome: Any = None, covariates: Any = None,
               **log_options: Any) -> pd.DataFrame:
        """One row per symbol: sequence identifiers, ``position``, ``symbol``, Viterbi ``stage``
        and the posterior probability of every state (columns named by the states).

        Draw one journey's rows with :func:`plot_posteriors`.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.decode([["a", "b"]]).columns.tolist()
        ['sequence', 'position', 'symbol', 'stage', 'stage_1', 'stage_2']
        """
        s = self._seqs(data, lengths, sequence, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        obs_tm = s.obs[layout.tm_pos]
        with _one_blas_thread():
            rec = self._rec(s, layout)
            path, _ = viterbi(layout, obs_tm, rec)
            alpha, beta, _, _ = forward_backward(layout, obs_tm, rec)
        assert beta is not None
        post = layout.to_flat(alpha * beta)
        lens = np.diff(s.offsets)
        seq = np.repeat(np.arange(s.n), lens)
        out = s.keys.iloc[seq].reset_index(drop=True)
        out["position"] = np.arange(len(seq)) - s.offsets[seq]
        out["symbol"] = np.asarray(self.result_.symbols, dtype=object)[s.obs]
        out["stage"] = np.asarray(self.result_.states, dtype=object)[layout.to_flat(path)]
        probs = pd.DataFrame(post, columns=list(self.result_.states))
        return pd.concat([out, probs], axis=1)

    # ------------------------------------------------------------------ uncertainty
    def bootstrap(
        self,
        data: Any,
        lengths: Any = None,
        *,
        n_boot: int = 1000,
        alpha: float = 0.05,
        sequence: str = "channel",
        customers: Any = None,
        outcome: Any = None,
        weight: Any = None,
        covariates: Any = None,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
        **log_options: Any,
    ) -> HMMFit:
        """Bootstrap over customers: standard errors and percentile intervals of every parameter.

        Customers are resampled with replacement (all their sequences together, as frequency
        weights, so no data is copied); each replicate is refitted by EM from the fitted
        parameters, and its stages are matched to the fit's by the Hungarian algorithm on the
        emission rows (skipped with structural zeros, which identify the stages). Returns the
        :class:`HMMFit` with ``bootstrap`` filled in; the model itself is not changed.

        Replicates stop by the model's ``tol``: started at the fit, a replicate stopped too early
        stays near it and the standard errors shrink, so keep ``tol`` small (the default 1e-7;
        1e-6 visibly understated SEs of near-zero transitions in our checks). Replicate ``b``
        draws its customers from child ``b`` of ``random_state``
        (:func:`cjmodels._resample.replicate_generators`); ``progress`` as everywhere.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> fit = m.bootstrap(seqs, n_boot=5, random_state=1)
        >>> {"se", "ci_low", "ci_high"} <= set(fit.summary().columns)
        True
        """
        self._check_fitted()
        check_scalar(n_boot, "n_boot", typ=int, ge=2)
        check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
        check_progress(progress)
        s = self._seqs(data, lengths, sequence, outcome, customers, weight, covariates,
                       **log_options)
        fit = self.result_
        coef0 = fit.coef
        params0 = self._params
        gens = replicate_generators(random_state, n_boot)
        n_cust = int(s.customers.max()) + 1
        k = self.n_states
        align = self._order != "none"
        reps = []
        n_perm = 0
        n_nonconv = 0
        iterator = progress_bar(gens, progress, total=n_boot, desc="bootstrap HMM")
        col = _collapse(s) if s.x is None else None
        with _one_blas_thread():
            for rng in iterator:
                draw = np.bincount(rng.integers(0, n_cust, n_cust), minlength=n_cust)
                w = s.weight * draw[s.customers]
                clone = HiddenMarkovModel(**self.get_params())
                clone.order = "none"
                sb = _Seqs(s.obs, s.offsets, w, s.customers,
                           np.asarray(fit.symbols, dtype=object), s.keys, s.x, s.x_spec)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", HMMConvergenceWarning)
                    clone._fit_seqs(sb, warm=(params0, coef0), collapsed=col,
                                    x_means=fit.covariate_means)
                rep = clone.result_
                n_nonconv += not rep.converged
                p = clone._params
                c = rep.coef
                if align:
                    perm = _match(fit.emissionprob[:k], p.emissionprob[:k])
                    n_perm += int((perm != np.arange(k)).any())
                    full = np.concatenate([perm, np.arange(k, len(p.startprob))])
                    p = Params(p.startprob[full], p.transmat[np.ix_(full, full)],
                               p.emissionprob[full])
                    c = None if c is None else c[full][:, :, full]
                reps.append(np.concatenate([p.startprob, p.transmat.ravel(),
                                            p.emissionprob.ravel(),
                                            [] if c is None else _coef_vector(c)]))
        draws = np.array(reps)
        boot = HMMBootstrap(
            draws=draws, n_boot=n_boot, alpha=alpha, n_permuted=n_perm,
            n_not_converged=n_nonconv, n_customers=n_cust,
        )
        return dataclasses.replace(fit, bootstrap=boot)


def _random_init(rng: np.random.Generator, sm: np.ndarray, tm: np.ndarray, em: np.ndarray,
                 fixed: np.ndarray, freq: np.ndarray) -> Params:
    """Dirichlet(1) rows over the allowed cells; emissions mixed half-half with the data's
    symbol frequencies so that no stage starts far from the data."""
    def rows(mask: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
        g = rng.gamma(1.0, size=mask.shape) * mask
        g = g / g.sum(axis=-1, keepdims=True)
        if base is not None:
            b = base * mask
            b = b / np.where(b.sum(axis=-1, keepdims=True) > 0, b.sum(axis=-1, keepdims=True), 1)
            g = 0.5 * g + 0.5 * b
        return g

    start = rows(sm)
    trans = rows(tm)
    emis = rows(em, np.broadcast_to(freq, em.shape))
    trans[fixed] = tm[fixed].astype(float)
    emis[fixed] = em[fixed].astype(float)
    return Params(start, trans, emis)


@dataclass(frozen=True)
class _EMSetup:
    """What every EM run of one fit shares: layout, symbols, masks and covariate design."""

    layout: Layout
    obs_tm: np.ndarray
    m: int
    sm: np.ndarray
    tm: np.ndarray
    em: np.ndarray
    fixed: np.ndarray
    x1_tm: np.ndarray | None = None  # [1, centred covariates] per time-major row
    ref: np.ndarray | None = None
    x_groups: np.ndarray | None = None  # distinct design rows of the moves
    x_agg: Any = None  # sums per-move counts into the distinct rows

    def params(self, p: Params, coef: np.ndarray | None) -> Params:
        """Parameters for the recursions: per-row transition matrices with covariates."""
        if coef is None:
            return p
        rows = transition_rows(self.x1_tm, coef, self.tm, self.fixed, p.transmat)
        return Params(p.startprob, rows, p.emissionprob)


def _coef_vector(coef: np.ndarray) -> np.ndarray:
    """Slopes (not intercepts) of the covariate model, in (from, covariate, to) order."""
    return coef[:, 1:, :].ravel()


def _mean_transmat(setup: _EMSetup, p: Params, coef: np.ndarray) -> np.ndarray:
    x0 = np.zeros((1, coef.shape[1]))
    x0[0, 0] = 1.0
    return transition_rows(x0, coef, setup.tm, setup.fixed, p.transmat)[0]


def _run_em(setup: _EMSetup, p: Params, coef: np.ndarray | None, max_iter: int,
            tol: float) -> tuple[Params, np.ndarray | None, list[float], bool, np.ndarray]:
    """Baum-Welch from ``p`` (and ``coef``): the log-likelihood before and after each update."""
    lay, obs_tm, m = setup.layout, setup.obs_tm, setup.m
    s = estep(lay, obs_tm, setup.params(p, coef), m)
    hist = [s.loglik]
    converged = False
    for _ in range(max_iter):
        if not np.isfinite(s.loglik):
            break
        if coef is None:
            new = mstep(s, p, setup.sm, setup.tm, setup.em, setup.fixed)
        else:
            fake = Stats(s.loglik, s.start, np.zeros_like(p.transmat), s.emis, s.n_zero)
            new = mstep(fake, p, setup.sm, setup.tm, setup.em, setup.fixed)
            coef = coef.copy()
            rows = slice(int(lay.n_t[0]), lay.total)  # moves exist from the second position on
            assert setup.x_groups is not None and setup.ref is not None
            for i in np.flatnonzero(~setup.fixed):
                y = setup.x_agg @ s.trans[rows, i, :]
                coef[i] = fit_row(setup.x_groups, y, coef[i], setup.tm[i], int(setup.ref[i]))
            new = Params(new.startprob, _mean_transmat(setup, p, coef), new.emissionprob)
        s = estep(lay, obs_tm, setup.params(new, coef), m)
        p = new
        hist.append(s.loglik)
        if hist[-1] - hist[-2] < tol * max(abs(hist[-1]), 1.0):
            converged = True
            break
    occ = s.emis.sum(axis=1)
    return p, coef, hist, converged, occ


def _canonical(rule: Any, p: Params, occ: np.ndarray, k: int) -> np.ndarray:
    if callable(rule):
        perm = np.asarray(rule(p.startprob[:k], p.transmat[:k, :k], p.emissionprob[:k]))
        if sorted(perm.tolist()) != list(range(k)):
            raise ValidationError(f"order returned {perm.tolist()}, not a permutation of 0..{k-1}.")
        return perm.astype(np.int64)
    if rule == "initial":
        return np.lexsort((-occ[:k], -np.round(p.startprob[:k], 12)))
    return np.argsort(-occ[:k], kind="stable")


def _match(ref: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Permutation ``perm`` with ``other[perm]`` closest to ``ref`` (total variation)."""
    cost = 0.5 * np.abs(ref[:, None, :] - other[None, :, :]).sum(axis=-1)
    _, cols = linear_sum_assignment(cost)
    return cols.astype(np.int64)


# ---------------------------------------------------------------------------- selection
def select_n_states(
    data: Any,
    n_states: Iterable[int] = (1, 2, 3, 4),
    lengths: Any = None,
    *,
    test_size: float = 0.25,
    sequence: str = "channel",
    customers: Any = None,
    outcome: Any = None,
    covariates: Any = None,
    random_state: int | np.random.Generator | None = None,
    **model_options: Any,
) -> StateSelection:
    """Compare numbers of stages by AIC/BIC on the training customers and by the log-likelihood
    of held-out customers (a random ``test_size`` share of customers, all their sequences).

    ``data``, ``sequence``, ``customers``, ``outcome`` and ``covariates`` are those of
    :meth:`HiddenMarkovModel.fit`; ``model_options`` go to :class:`HiddenMarkovModel`
    (``end_states``, ``n_init``, ...). Held-out sequences with a symbol never
    seen in training score ``-inf`` rather than failing.

    Examples
    --------
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "c"], ["c", "c", "a"]] * 10
    >>> sel = select_n_states(seqs, n_states=(1, 2), random_state=0, n_init=2)
    >>> sel.table.index.tolist()
    [1, 2]
    """
    check_scalar(test_size, "test_size", typ=float, gt=0, lt=1)
    ks = [int(check_scalar(k, "n_states", typ=int, ge=1)) for k in n_states]
    if not ks:
        raise ValidationError("n_states must list at least one number of stages.")
    end_states = bool(model_options.get("end_states", False))
    s = _prepare(data, lengths=lengths, sequence=sequence, customers=customers, outcome=outcome,
                 end_states=end_states, covariates=covariates)
    rng = as_generator(random_state)
    n_cust = int(s.customers.max()) + 1
    if n_cust < 2:
        raise ValidationError("a held-out split needs at least two customers.")
    test_c = np.zeros(n_cust, dtype=bool)
    n_test = min(max(1, round(test_size * n_cust)), n_cust - 1)
    test_c[rng.choice(n_cust, n_test, replace=False)] = True
    is_test = test_c[s.customers]
    rows = []
    seeds = rng.spawn(len(ks))
    for k, seed in zip(ks, seeds, strict=True):
        model = HiddenMarkovModel(k, random_state=seed, **model_options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HMMConvergenceWarning)
            with _one_blas_thread():
                model._fit_seqs(_subset(s, ~is_test))
        test = _subset(s, is_test)
        # same codes as in training; a symbol unseen in training has emission probability 0
        layout = Layout(test.offsets, test.weight)
        with _one_blas_thread():
            _, _, log_c, _ = forward_backward(layout, test.obs[layout.tm_pos],
                                              model._rec(test, layout), need_beta=False)
        held = float((layout.per_sequence(log_c) * test.weight).sum())
        r = model.result_
        rows.append({"n_states": k, "log_likelihood": r.log_likelihood, "n_params": r.n_params,
                     "aic": r.aic, "bic": r.bic, "converged": r.converged,
                     "heldout_log_likelihood": held,
                     "heldout_per_symbol": held / float((np.diff(test.offsets)
                                                        * test.weight).sum())})
    table = pd.DataFrame(rows).set_index("n_states")
    return StateSelection(
        table=table,
        best_bic=int(table["bic"].idxmin()),
        best_aic=int(table["aic"].idxmin()),
        best_heldout=int(table["heldout_log_likelihood"].idxmax()),
        test_size=float(test_size),
        n_train_customers=int(n_cust - n_test),
        n_test_customers=int(n_test),
    )
