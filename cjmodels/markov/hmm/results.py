"""Result objects of the hidden Markov model: fit, bootstrap, model selection, plots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass


@result_dataclass
class HMMBootstrap(Result):
    """Bootstrap replicates of every parameter of a hidden Markov model.

    Made by :meth:`HiddenMarkovModel.bootstrap` and kept as the ``bootstrap`` field of the
    :class:`HMMFit` it returns. ``summary()`` gives the standard error and percentile interval
    of every parameter, one row per column of ``draws``.

    Attributes
    ----------
    draws : numpy.ndarray
        ``(n_boot, n_parameters)``: one row per replicate and one column per parameter
        (``startprob``, ``transmat``, ``emissionprob`` flattened row by row, end states
        included, then the covariate slopes), in the order of the rows of
        :meth:`HMMFit.summary`.
    n_boot : int
        Number of replicates.
    alpha : float
        One minus the level of the percentile intervals.
    n_permuted : int
        Number of replicates whose stages were relabelled to match the fit's (Hungarian
        matching on the emission rows); many suggest weakly separated stages.
    n_not_converged : int
        Number of replicates whose EM stopped at ``max_iter`` before the tolerance.
    n_customers : int
        Number of customers resampled (the bootstrap unit).

    Examples
    --------
    >>> from cjmodels.markov import HiddenMarkovModel
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
    >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
    >>> boot = m.bootstrap(seqs, n_boot=5, random_state=1).bootstrap
    >>> boot.draws.shape[0], boot.n_boot
    (5, 5)
    """

    draws: np.ndarray
    n_boot: int
    alpha: float
    n_permuted: int
    n_not_converged: int
    n_customers: int

    def _summary(self) -> pd.DataFrame:
        d, a = self.draws, self.alpha
        return pd.DataFrame({
            "se": d.std(axis=0, ddof=1),
            "ci_low": np.quantile(d, a / 2, axis=0),
            "ci_high": np.quantile(d, 1 - a / 2, axis=0),
        }).rename_axis("parameter")

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"n_boot": self.n_boot, "n_customers": self.n_customers,
                "n_permuted": self.n_permuted, "n_not_converged": self.n_not_converged}

    def _to_dict(self) -> Mapping[str, Any]:
        return {"n_boot": self.n_boot, "alpha": self.alpha, "n_permuted": self.n_permuted,
                "n_not_converged": self.n_not_converged, "n_customers": self.n_customers,
                "draws": self.draws}


@result_dataclass
class HMMFit(Result):
    """A fitted hidden Markov model: parameters, fit statistics and (optionally) bootstrap.

    The ``result_`` of :class:`~cjmodels.markov.HiddenMarkovModel` (and what its
    ``bootstrap`` returns). ``summary()`` has one row per parameter (``kind`` in
    start/transition/emission, ``from``, ``to``, ``estimate``, and with a bootstrap ``se``,
    ``ci_low``, ``ci_high``). With covariates on the transitions, ``transmat`` is the matrix at
    the covariate means and ``coef`` holds the multinomial-logit coefficients
    ``(from, 1 + covariates, to)`` (intercept first; the reference destination of each row has
    zeros); ``summary()`` then adds one ``coefficient`` row per (from, covariate, to) slope,
    with a ``covariate`` column.

    Attributes
    ----------
    states : tuple of str
        Names of the hidden states, in the order of the rows of the parameters (the stages,
        then ``(conversion)`` and ``(null)`` with ``end_states``).
    symbols : tuple
        The emitted symbols (the alphabet), in the order of the columns of ``emissionprob``
        (end symbols last).
    startprob : numpy.ndarray
        Initial state distribution ``pi``, one entry per state.
    transmat : numpy.ndarray
        Transition matrix ``A`` (``from x to``, rows sum to 1); with covariates, the matrix at
        the covariate means.
    emissionprob : numpy.ndarray
        Emission matrix ``B`` (``state x symbol``, rows sum to 1).
    log_likelihood : float
        Log-likelihood of the fitted parameters (weighted by the sequence weights).
    n_params : int
        Number of free parameters (allowed cells minus one per row of ``pi``, ``A`` and
        ``B``; fixed end-state rows excluded; ``1 + q`` coefficients per free transition with
        ``q`` covariates).
    n_obs : float
        Number of emitted symbols (weighted; end symbols included): the sample size of BIC.
    n_sequences : float
        Number of sequences (weighted).
    aic : float
        Akaike's criterion, ``-2 log L + 2 n_params``.
    bic : float
        Bayesian information criterion, ``-2 log L + log(n_obs) n_params``.
    converged : bool
        Whether the kept restart converged before ``max_iter``.
    n_iter : int
        Number of EM iterations of the kept restart.
    history : numpy.ndarray
        Log-likelihood at the start and after each EM iteration of the kept restart.
    restarts : pandas.DataFrame
        One row per restart: ``initial_log_likelihood``, ``final_log_likelihood``,
        ``n_iter``, ``converged`` and ``kept`` (the one run to convergence).
    occupancy : numpy.ndarray
        Expected share of symbols emitted by each state (sums to 1).
    order : str
        The rule that ordered the stages: ``"initial"``, ``"occupancy"``, ``"none"`` or
        ``"callable"``.
    bootstrap : HMMBootstrap or None
        The bootstrap replicates, when the fit came from :meth:`HiddenMarkovModel.bootstrap`;
        ``None`` otherwise.
    coef : numpy.ndarray or None
        Multinomial-logit coefficients ``(from, 1 + q, to)`` of the transitions with ``q``
        covariates (intercept first, zeros for each row's reference destination); ``None``
        without covariates.
    covariate_names : tuple of str
        Names of the encoded covariate columns (``name[level]`` for each level but the first
        of a categorical covariate); empty without covariates.
    covariate_means : numpy.ndarray or None
        Training means at which the covariates are centred; ``None`` without covariates.
    info : dict
        Free-form extra information; empty as fitted by :class:`HiddenMarkovModel`.

    Examples
    --------
    >>> from cjmodels.markov import HiddenMarkovModel
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
    >>> fit = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs).result_
    >>> fit.states, fit.symbols
    (('stage_1', 'stage_2'), ('a', 'b'))
    >>> fit.summary().columns.tolist()
    ['kind', 'from', 'to', 'estimate']
    """

    states: tuple[str, ...]
    symbols: tuple[Any, ...]
    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray
    log_likelihood: float
    n_params: int
    n_obs: float
    n_sequences: float
    aic: float
    bic: float
    converged: bool
    n_iter: int
    history: np.ndarray
    restarts: pd.DataFrame
    occupancy: np.ndarray
    order: str
    bootstrap: HMMBootstrap | None = None
    coef: np.ndarray | None = None
    covariate_names: tuple[str, ...] = ()
    covariate_means: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def transition_matrix(self) -> pd.DataFrame:
        """Transition matrix with named rows and columns."""
        return pd.DataFrame(self.transmat, index=list(self.states), columns=list(self.states))

    @property
    def emission_matrix(self) -> pd.DataFrame:
        """Emission probabilities, one row per state, one column per symbol."""
        return pd.DataFrame(self.emissionprob, index=list(self.states),
                            columns=[str(s) for s in self.symbols])

    @property
    def initial(self) -> pd.Series:
        """Initial stage distribution."""
        return pd.Series(self.startprob, index=list(self.states), name="initial")

    def _summary(self) -> pd.DataFrame:
        """Every parameter with its estimate (and bootstrap SE and percentile interval)."""
        st = list(self.states)
        sy = [str(s) for s in self.symbols]
        k, m = len(st), len(sy)
        kind = ["start"] * k + ["transition"] * (k * k) + ["emission"] * (k * m)
        frm = ["(start)"] * k + list(np.repeat(st, k)) + list(np.repeat(st, m))
        to = st + st * k + sy * k
        est = np.concatenate([self.startprob, self.transmat.ravel(), self.emissionprob.ravel()])
        out = pd.DataFrame({"kind": kind, "from": frm, "to": to, "estimate": est})
        if self.coef is not None:
            names = list(self.covariate_names)
            q = len(names)
            cf = pd.DataFrame({
                "kind": "coefficient",
                "from": np.repeat(st, q * k),
                "to": np.tile(st, k * q),
                "estimate": self.coef[:, 1:, :].ravel(),
                "covariate": np.tile(np.repeat(names, k), k),
            })
            out["covariate"] = None
            out = pd.concat([out, cf], ignore_index=True)
        if self.bootstrap is not None:
            d = self.bootstrap.draws
            a = self.bootstrap.alpha
            out["se"] = d.std(axis=0, ddof=1)
            out["ci_low"] = np.quantile(d, a / 2, axis=0)
            out["ci_high"] = np.quantile(d, 1 - a / 2, axis=0)
        return out

    def _repr_fields(self) -> Mapping[str, Any]:
        out = {"states": len(self.states), "symbols": len(self.symbols),
               "n_sequences": self.n_sequences, "log_likelihood": self.log_likelihood}
        if self.bootstrap is not None:
            out["n_boot"] = self.bootstrap.n_boot
        out.update(converged=self.converged, bic=self.bic)
        return out

    def _to_dict(self) -> Mapping[str, Any]:
        summ = self._summary()
        return {
            "states": list(self.states),
            "symbols": [str(s) for s in self.symbols],
            "startprob": self.startprob,
            "transmat": self.transmat,
            "emissionprob": self.emissionprob,
            "log_likelihood": self.log_likelihood,
            "n_params": self.n_params,
            "n_obs": self.n_obs,
            "n_sequences": self.n_sequences,
            "aic": self.aic,
            "bic": self.bic,
            "converged": self.converged,
            "n_iter": self.n_iter,
            "order": self.order,
            "history": self.history,
            "covariate_names": list(self.covariate_names),
            "covariate_means": self.covariate_means,
            "coef": self.coef,
            "restarts": self.restarts.reset_index().to_dict(orient="list"),
            "summary": summ.to_dict(orient="records"),
            "bootstrap": None if self.bootstrap is None else {
                "n_boot": self.bootstrap.n_boot, "alpha": self.bootstrap.alpha,
                "n_permuted": self.bootstrap.n_permuted,
                "n_not_converged": self.bootstrap.n_not_converged,
                "n_customers": self.bootstrap.n_customers,
            },
        }

    def _plot(self, ax: Any, kind: str = "emissions") -> None:
        """Heatmap of the emission probabilities per stage (``kind="emissions"``) or of the
        transition matrix (``kind="transitions"``)."""
        check_scalar(kind, "kind", in_=("emissions", "transitions"))
        mat = self.emission_matrix if kind == "emissions" else self.transition_matrix
        im = ax.imshow(mat.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(mat.shape[1]), mat.columns, rotation=45, ha="right")
        ax.set_yticks(range(mat.shape[0]), mat.index)
        for (i, j), v in np.ndenumerate(mat.to_numpy()):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 else "black")
        ax.set_xlabel("symbol" if kind == "emissions" else "to")
        ax.set_ylabel("stage")
        ax.figure.colorbar(im, ax=ax, fraction=0.04)


def plot_posteriors(data: pd.DataFrame, ax: Any = None) -> Any:
    """Posterior stage probabilities along one journey, as stacked areas, with the Viterbi stage.

    The Viterbi stage is written above each touch; the touches' symbols label the x axis.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows of :meth:`HiddenMarkovModel.decode` for one sequence (filter it by
        ``sequence``, or by ``customer_id`` and ``journey``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axis when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axis drawn on.

    Raises
    ------
    ValidationError
        When ``data`` is not a table from ``decode`` or holds several sequences.

    Examples
    --------
    >>> from cjmodels.markov.hmm import HiddenMarkovModel
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "b", "b"]] * 10
    >>> m = HiddenMarkovModel(2, n_init=1, random_state=0).fit(seqs)
    >>> ax = plot_posteriors(m.decode([["a", "a", "b", "b"]]))
    >>> ax.get_xlabel()
    'touch (symbol)'
    """
    from cjmodels.results import axis

    decoded = data
    if not isinstance(decoded, pd.DataFrame) or not {"position", "symbol", "stage"} <= set(
        decoded.columns
    ):
        raise ValidationError("data must be a table from HiddenMarkovModel.decode.")
    if decoded["position"].duplicated().any():
        raise ValidationError(
            "decoded holds several sequences; pass the rows of one (filter by sequence, or by "
            "customer_id and journey)."
        )
    states = list(decoded.columns[decoded.columns.get_loc("stage") + 1:])
    ax = axis(ax)
    x = decoded["position"].to_numpy()
    ax.stackplot(x, decoded[states].to_numpy().T, labels=states, alpha=0.8)
    idx = {s: i for i, s in enumerate(states)}
    for xi, st in zip(x, decoded["stage"], strict=True):
        ax.text(xi, 1.02, str(st), rotation=60, fontsize=7, ha="left", va="bottom",
                color=f"C{idx[st]}")
    ax.set_xticks(x, [str(s) for s in decoded["symbol"]], rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_xlabel("touch (symbol)")
    ax.set_ylabel("posterior probability")
    ax.legend(loc="lower left", fontsize=7, ncol=len(states))
    return ax


@result_dataclass
class StateSelection(Result):
    """Model selection over the number of stages (:func:`~cjmodels.markov.select_n_states`).

    ``summary()`` is ``table``; ``plot()`` draws the BIC and the held-out log-likelihood per
    symbol against the number of stages.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per number of stages (index ``n_states``): the training ``log_likelihood``,
        ``n_params``, ``aic``, ``bic``, ``converged``, the held-out log-likelihood
        ``heldout_log_likelihood`` and the same per held-out symbol ``heldout_per_symbol``.
    best_bic : int
        Number of stages with the smallest BIC on the training customers.
    best_aic : int
        Number of stages with the smallest AIC on the training customers.
    best_heldout : int
        Number of stages with the largest held-out log-likelihood.
    test_size : float
        Share of customers held out.
    n_train_customers : int
        Number of training customers.
    n_test_customers : int
        Number of held-out customers.

    Examples
    --------
    >>> from cjmodels.markov import select_n_states
    >>> seqs = [["a", "a", "b"], ["b", "b"], ["a", "c"], ["c", "c", "a"]] * 10
    >>> sel = select_n_states(seqs, n_states=(1, 2), random_state=0, n_init=2)
    >>> sel.summary().columns.tolist()[:2]
    ['log_likelihood', 'n_params']
    """

    table: pd.DataFrame
    best_bic: int
    best_aic: int
    best_heldout: int
    test_size: float
    n_train_customers: int
    n_test_customers: int

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"n_states": tuple(int(k) for k in self.table.index[:4]),
                "best_bic": self.best_bic, "best_aic": self.best_aic,
                "best_heldout": self.best_heldout}

    def _to_dict(self) -> Mapping[str, Any]:
        return {
            "table": self.table.reset_index().to_dict(orient="records"),
            "best_bic": self.best_bic, "best_aic": self.best_aic,
            "best_heldout": self.best_heldout, "test_size": self.test_size,
            "n_train_customers": self.n_train_customers,
            "n_test_customers": self.n_test_customers,
        }

    def _plot(self, ax: Any) -> None:
        """BIC (left axis) and held-out log-likelihood per symbol (right axis) by stages."""
        t = self.table
        ax.plot(t.index, t["bic"], "o-", label="BIC (training)")
        ax.set_xlabel("number of stages")
        ax.set_ylabel("BIC")
        ax2 = ax.twinx()
        ax2.plot(t.index, t["heldout_per_symbol"], "s--", color="C1",
                 label="held-out log-lik per symbol")
        ax2.set_ylabel("held-out log-likelihood per symbol")
        ax.set_xticks(t.index)
