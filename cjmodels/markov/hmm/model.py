"""The estimator of hidden-Markov latent stages: :class:`HiddenMarkovModel` (fit, decode,
posterior stage probabilities, bootstrap) and its convergence warning. The model and its
conventions are described in :mod:`cjmodels.markov.hmm`."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from cjmodels._checks import as_generator, check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, resample_units
from cjmodels._threads import one_blas_thread as _one_blas_thread
from cjmodels.data import JourneySpec
from cjmodels.errors import ValidationError
from cjmodels.markov.hmm.core import Layout, Params, forward_backward, viterbi
from cjmodels.markov.hmm.covariates import coef_from_matrix, group_rows, reference, transition_rows
from cjmodels.markov.hmm.em import (
    _canonical,
    _coef_vector,
    _EMSetup,
    _match,
    _n_free,
    _random_init,
    _run_em,
    _structure,
)
from cjmodels.markov.hmm.results import HMMBootstrap, HMMFit
from cjmodels.markov.hmm.sequences import (
    END_STATES,
    _collapse,
    _Collapsed,
    _prepare,
    _Seqs,
    covariate_names,
)
from cjmodels.results import Estimator

__all__ = ["HMMConvergenceWarning", "HiddenMarkovModel"]

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
            if isinstance(self.stage_names, str) or not hasattr(self.stage_names, "__iter__"):
                raise ValidationError(
                    f"stage_names == {self.stage_names!r}, must be a list of {self.n_states} "
                    "distinct names (one per stage), or None for stage_1, stage_2, ..."
                )
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
        spec: JourneySpec | None = None,
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
        spec : JourneySpec, optional
            The journeys of an event log (:func:`cjmodels.data.touch_sequences`): default
            ``JourneySpec(sequence="channel")``; ``sequence`` (channels or stages), ``timeout``
            and ``lookback`` are read. Leave None for a JourneySet or lists of sequences.
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
            :mod:`cjmodels.markov.hmm.covariates`): with an event log, names of its columns
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
            data, lengths=lengths, spec=spec, customers=customers, outcome=outcome,
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

    def _seqs(self, data: Any, lengths: Any, spec: JourneySpec | None, outcome: Any = None,
              customers: Any = None, weight: Any = None, covariates: Any = None,
              **log_options: Any) -> _Seqs:
        self._check_fitted()
        x_spec = self._x_spec
        if x_spec is None and covariates is not None:
            raise ValidationError("the model was fitted without covariates; do not pass any.")
        return _prepare(
            data, lengths=lengths, spec=spec, outcome=outcome, customers=customers,
            weight=weight, end_states=self.end_states, alphabet=list(self.result_.symbols),
            log_options=log_options, covariates=covariates, x_spec=x_spec,
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
                                 spec: JourneySpec | None = None, outcome: Any = None,
                                 covariates: Any = None, **log_options: Any) -> np.ndarray:
        """Log-likelihood of every sequence (``-inf`` for a sequence of probability zero).

        Computed by the forward algorithm under the fitted parameters (Rabiner 1989).

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences, in any form :meth:`fit` accepts. Their symbols must be in the
            fitted alphabet (``result_.symbols``); an unknown symbol is a
            :class:`~cjmodels.errors.ValidationError`.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        outcome : array, optional
            Outcome of each sequence (``"conversion"``, ``"drop_out"``, ``"censored"``, or
            0, 1, 2) for a model with ``end_states`` and list input; an event log or a
            JourneySet brings its own.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, in the form given to :meth:`fit`; required
            exactly when the model was fitted with covariates.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        numpy.ndarray of float
            One log-likelihood per sequence, in input order (unweighted; with ``end_states``
            the end symbol is included).

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.log_likelihood_sequences([["a", "b"], ["b"]]).shape
        (2,)
        """
        s = self._seqs(data, lengths, spec, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            _, _, log_c, _ = forward_backward(layout, s.obs[layout.tm_pos],
                                              self._rec(s, layout), need_beta=False)
        return layout.per_sequence(log_c)

    def score(self, data: Any, lengths: Any = None, *, spec: JourneySpec | None = None,
              outcome: Any = None, covariates: Any = None, **log_options: Any) -> float:
        """Total log-likelihood of new sequences under the fitted model.

        Symbols the model never saw are an error (:class:`~cjmodels.errors.ValidationError`).

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences, in any form :meth:`fit` accepts. Their symbols must be in the
            fitted alphabet (``result_.symbols``); an unknown symbol is a
            :class:`~cjmodels.errors.ValidationError`.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        outcome : array, optional
            Outcome of each sequence (``"conversion"``, ``"drop_out"``, ``"censored"``, or
            0, 1, 2) for a model with ``end_states`` and list input; an event log or a
            JourneySet brings its own.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, in the form given to :meth:`fit`; required
            exactly when the model was fitted with covariates.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        float
            The sum of :meth:`log_likelihood_sequences` (each sequence counted once, whatever
            the weights it was fitted with); on the training sequences with unit weights it
            equals ``result_.log_likelihood``.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> bool(abs(m.score(seqs) - m.result_.log_likelihood) < 1e-6)
        True
        """
        return float(self.log_likelihood_sequences(data, lengths, spec=spec,
                                                   outcome=outcome, covariates=covariates,
                                                   **log_options).sum())

    def predict(self, data: Any, lengths: Any = None, *, spec: JourneySpec | None = None,
                outcome: Any = None, covariates: Any = None,
                **log_options: Any) -> np.ndarray:
        """Viterbi stage (state index) of every symbol, sequences concatenated in input order.

        The most probable sequence of stages given each whole sequence (Viterbi algorithm).

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences, in any form :meth:`fit` accepts. Their symbols must be in the
            fitted alphabet (``result_.symbols``); an unknown symbol is a
            :class:`~cjmodels.errors.ValidationError`.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        outcome : array, optional
            Outcome of each sequence (``"conversion"``, ``"drop_out"``, ``"censored"``, or
            0, 1, 2) for a model with ``end_states`` and list input; an event log or a
            JourneySet brings its own.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, in the form given to :meth:`fit`; required
            exactly when the model was fitted with covariates.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        numpy.ndarray of int
            One stage index per symbol (into ``result_.states``; end states included when
            ``end_states``), sequences one after the other.

        See Also
        --------
        decode : The same with stage names and posterior probabilities, as a table.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.predict([["a", "b", "b"]]).shape
        (3,)
        """
        s = self._seqs(data, lengths, spec, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            path, _ = viterbi(layout, s.obs[layout.tm_pos], self._rec(s, layout))
        return layout.to_flat(path)

    def predict_proba(self, data: Any, lengths: Any = None, *, spec: JourneySpec | None = None,
                      outcome: Any = None, covariates: Any = None,
                      **log_options: Any) -> np.ndarray:
        """Posterior stage probabilities ``P(s_t | o_1..o_T)`` of every symbol (rows sum to 1).

        Computed by the forward-backward algorithm under the fitted parameters.

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences, in any form :meth:`fit` accepts. Their symbols must be in the
            fitted alphabet (``result_.symbols``); an unknown symbol is a
            :class:`~cjmodels.errors.ValidationError`.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        outcome : array, optional
            Outcome of each sequence (``"conversion"``, ``"drop_out"``, ``"censored"``, or
            0, 1, 2) for a model with ``end_states`` and list input; an event log or a
            JourneySet brings its own.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, in the form given to :meth:`fit`; required
            exactly when the model was fitted with covariates.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        numpy.ndarray of float
            ``(n_symbols, n_states)``: one row per symbol, sequences one after the other, one
            column per state of ``result_.states`` (end states included when ``end_states``).

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.predict_proba([["a", "b", "b"]]).shape
        (3, 2)
        """
        s = self._seqs(data, lengths, spec, outcome, covariates=covariates, **log_options)
        layout = Layout(s.offsets)
        with _one_blas_thread():
            alpha, beta, _, _ = forward_backward(layout, s.obs[layout.tm_pos],
                                                 self._rec(s, layout))
        assert beta is not None
        return layout.to_flat(alpha * beta)

    def decode(self, data: Any, lengths: Any = None, *, spec: JourneySpec | None = None,
               outcome: Any = None, covariates: Any = None,
               **log_options: Any) -> pd.DataFrame:
        """One row per symbol: sequence identifiers, ``position``, ``symbol``, Viterbi ``stage``
        and the posterior probability of every state (columns named by the states).

        Draw one journey's rows with :func:`plot_posteriors`.

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences, in any form :meth:`fit` accepts. Their symbols must be in the
            fitted alphabet (``result_.symbols``); an unknown symbol is a
            :class:`~cjmodels.errors.ValidationError`.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        outcome : array, optional
            Outcome of each sequence (``"conversion"``, ``"drop_out"``, ``"censored"``, or
            0, 1, 2) for a model with ``end_states`` and list input; an event log or a
            JourneySet brings its own.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, in the form given to :meth:`fit`; required
            exactly when the model was fitted with covariates.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        pandas.DataFrame
            One row per symbol: the sequence's identifiers (``sequence`` for lists and
            JourneySets; ``customer_id`` and the journey's keys for an event log),
            ``position`` (0 for a sequence's first symbol), ``symbol``, ``stage`` (the Viterbi
            stage's name) and one column per state of ``result_.states`` with its posterior
            probability.

        Examples
        --------
        >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
        >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
        >>> m.decode([["a", "b"]]).columns.tolist()
        ['sequence', 'position', 'symbol', 'stage', 'stage_1', 'stage_2']
        """
        s = self._seqs(data, lengths, spec, outcome, covariates=covariates, **log_options)
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
        spec: JourneySpec | None = None,
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
        emission rows (skipped with ``order="none"``, the default with structural zeros, which
        identify the stages). Returns the
        :class:`HMMFit` with ``bootstrap`` filled in; the model itself is not changed.

        Replicates stop by the model's ``tol``: started at the fit, a replicate stopped too early
        stays near it and the standard errors shrink, so keep ``tol`` small (the default 1e-7;
        1e-6 visibly understated SEs of near-zero transitions in our checks).

        Parameters
        ----------
        data : event log, JourneySet, list of sequences, or flat array
            The sequences the model was fitted to, in any form :meth:`fit` accepts.
        lengths : array of int, optional
            Sequence lengths when ``data`` is one flat array.
        n_boot : int
            Number of bootstrap replicates (at least 2).
        alpha : float
            One minus the level of the percentile intervals (default 0.05: 95% intervals).
        spec : JourneySpec, optional
            How to cut an event log into journeys (default ``JourneySpec(sequence="channel")``);
            leave None for other inputs.
        customers : array, optional
            Customer of each sequence, the unit that is resampled (default: each sequence its
            own customer); an event log brings its own.
        outcome : array, optional
            Outcome of each sequence for ``end_states`` with list input.
        weight : array, optional
            Frequency weight of each sequence (default 1); the resampling multiplies it.
        covariates : str, list of str, array or DataFrame, optional
            The covariates of the transitions, as given to :meth:`fit`.
        random_state : int, Generator or None
            Seed of the resampling; replicate ``b`` draws from child ``b`` of it (numpy's
            ``spawn``), so with an int seed a replicate does not depend on ``n_boot``.
        progress : bool, None or callable
            ``True`` for a tqdm progress bar, a tqdm-like callable, or ``False``/``None``
            (default ``False``) for none.
        **log_options
            Column options when ``data`` is a DataFrame (see :class:`~cjmodels.data.EventLog`).

        Returns
        -------
        HMMFit
            A copy of ``result_`` with ``bootstrap`` set to an :class:`HMMBootstrap` (the
            replicates, how many were relabelled and how many did not converge); its
            ``summary()`` then has ``se``, ``ci_low`` and ``ci_high`` columns.

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
        s = self._seqs(data, lengths, spec, outcome, customers, weight, covariates,
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
                draw = resample_units(rng, n_cust)
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

