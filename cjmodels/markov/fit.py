"""Fitting a stage chain from many journeys, with intervals for every transition probability.

Conventions
-----------
* Every journey has an explicit start state ``(start)`` and, unless it is still open at the end
  of observation, an explicit end: ``(conversion)`` or ``(null)`` (drop-out). Journeys are never
  concatenated, so no transition runs from one journey's end into the next one's start.
* Censored (still open) journeys: ``censored="drop"`` (default) gives their last state no
  outgoing transition, which is the likelihood of a right-censored chain; ``"null"`` counts them
  as drop-outs; ``"state"`` sends them to a separate absorbing ``(censored)`` state.
* End states have identity rows.
* ``allowed`` declares the journey graph (which transitions can happen). Smoothing puts prior
  mass only on allowed cells, tests can count degrees of freedom from it, and an observed
  transition outside it is an error. By default every transition out of a non-end state into a
  state other than ``(start)`` is allowed.
* ``prior``: ``None`` (maximum likelihood), ``"jeffreys"`` (0.5 per allowed cell),
  ``"uniform"`` (1) or a number: the fitted row is the Dirichlet posterior mean
  ``(n_ij + a) / (n_i + a K_i)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from statsmodels.stats.proportion import proportion_confint

from cjmodels._checks import check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, resample_units, reweight
from cjmodels.data import (
    CONVERSION,
    NULL,
    START,
    EventLog,
    JourneySet,
    JourneySpec,
    JourneyTransitions,
    PathTable,
    TransitionCounts,
    counts_from_table,
    journey_transitions,
)
from cjmodels.errors import ValidationError
from cjmodels.markov.chain import MarkovChain, _reaching
from cjmodels.markov.uncertainty import ChainBootstrap, TransitionIntervals
from cjmodels.results import Result, result_dataclass

if TYPE_CHECKING:
    from cjmodels.markov.absorbing import AbsorbingAnalysis, Funnel

__all__ = [
    "INTERVAL_METHODS",
    "ChainBootstrap",
    "FittedChain",
    "TransitionIntervals",
    "fit_chain",
]

#: Interval methods for transition probabilities.
INTERVAL_METHODS = ("wald", "wilson", "jeffreys", "uniform", "bootstrap")
_PRIORS = {"jeffreys": 0.5, "uniform": 1.0}


def _prior_value(prior: Any) -> float:
    if prior is None:
        return 0.0
    if isinstance(prior, str):
        if prior not in _PRIORS:
            raise ValidationError(
                f"prior == {prior!r}, must be None, 'jeffreys', 'uniform' or a number >= 0."
            )
        return _PRIORS[prior]
    return float(check_scalar(prior, "prior", typ=float, ge=0))


def _is_count_table(x: Any) -> bool:
    return isinstance(x, pd.DataFrame) and {"from_state", "to_state", "count"} <= set(x.columns)


def _allowed_mask(
    allowed: Any, states: tuple[str, ...], start: str, ends: tuple[str, ...]
) -> np.ndarray:
    k = len(states)
    pos = {s: i for i, s in enumerate(states)}
    is_end = np.isin(np.array(states, dtype=object), np.array(ends, dtype=object))
    if allowed is None:
        m = np.ones((k, k), dtype=bool)
        m[:, pos[start]] = False
    else:
        m = np.zeros((k, k), dtype=bool)
        if isinstance(allowed, pd.DataFrame):
            unknown = sorted((set(allowed.index) | set(allowed.columns)) - set(states))
            if unknown:
                raise ValidationError(f"allowed names states {unknown} that the chain lacks.")
            a = allowed.reindex(index=list(states), columns=list(states), fill_value=False)
            m = a.fillna(False).to_numpy(dtype=bool)
        else:
            pairs: Iterable[tuple[str, str]]
            if isinstance(allowed, Mapping):
                pairs = [(f, t) for f, ts in allowed.items() for t in ts]
            else:
                pairs = list(allowed)
            for f, t in pairs:
                for s in (f, t):
                    if s not in pos:
                        raise ValidationError(
                            f"allowed transition ({f!r}, {t!r}) names state {s!r}, which is not "
                            f"among the chain's states {list(states)}."
                        )
                m[pos[f], pos[t]] = True
    m[is_end] = False
    for e in ends:
        m[pos[e], pos[e]] = True
    return m


@result_dataclass
class FittedChain(Result):
    """A stage chain fitted to many journeys: counts, estimate and the means to its uncertainty.

    Build it with :func:`fit_chain`. Everything is fixed at construction; derived quantities
    and analyses are methods (:meth:`intervals`, :meth:`bootstrap`, :meth:`absorbing`,
    :meth:`funnel`, :meth:`simulate`). ``summary()`` has the fitted probabilities of the
    non-end rows with their row totals; ``plot()`` draws the heatmap (``kind="diagram"``: the
    state diagram).

    Attributes
    ----------
    states : tuple of str
        Start state, transient states, end states.
    counts : numpy.ndarray
        Pooled transition counts (rows: from, columns: to).
    allowed : numpy.ndarray of bool
        The journey graph: cells that may be non-zero.
    prior : float
        Pseudo-count added to every allowed cell of every non-end row.
    start : str
        The start state (``"(start)"``).
    ends : tuple of str
        The end (absorbing) states: the conversion first, then the drop-out ``(null)`` (and
        ``(censored)`` with ``JourneySpec(censored="state")``).
    order : int
        The Markov order ``k``; a state of an order-k chain is its last ``k`` symbols
        joined by ``" > "`` (shorter at the start of a journey).
    chain : MarkovChain
        The fitted chain (end states, and rows made absorbing with ``zero_rows="absorb"``,
        have identity rows).
    transitions : JourneyTransitions or None
        Per-journey transitions (event logs, path tables): needed for the bootstrap, tests
        between groups and dwell times. None when the chain was fitted from pooled counts.
    info : dict
        How the chain was made: the journey specification read (``sequence``, ``timeout``,
        ``lookback``, ``censored``, ``collapse_repeats``, ``journeys``), ``n_journeys``,
        ``n_conversions``, ``n_censored`` (open journeys), ``censored_recent`` (transitions
        out of the last ``timeout`` of the window left out), the stage ``scheme`` (or None),
        ``order``, ``prior`` and ``made_absorbing`` (states made absorbing with
        ``zero_rows="absorb"``); pooled counts carry ``source="counts"`` instead of the
        specification.

    Examples
    --------
    >>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 4, ("a", "(null)"): 6})
    >>> fit
    FittedChain(order=1, states=4, journeys=10, transitions=20, prior=0)
    >>> fit.summary()
            row_total  (start)    a  (conversion)  (null)
    (start)      10.0      0.0  1.0           0.0     0.0
    a            10.0      0.0  0.0           0.4     0.6
    """

    states: tuple[str, ...]
    counts: np.ndarray
    allowed: np.ndarray
    prior: float
    start: str
    ends: tuple[str, ...]
    order: int
    chain: MarkovChain
    transitions: JourneyTransitions | None = None
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ basics
    @property
    def conversion(self) -> str:
        """Name of the conversion state."""
        return self.ends[0]

    @property
    def transition_matrix(self) -> pd.DataFrame:
        """The fitted transition matrix as a DataFrame (rows: from, columns: to)."""
        return self.chain.frame

    @property
    def count_matrix(self) -> pd.DataFrame:
        """The pooled transition counts as a DataFrame (rows: from, columns: to)."""
        return pd.DataFrame(self.counts, index=list(self.states), columns=list(self.states))

    @property
    def row_totals(self) -> pd.Series:
        """Transitions out of each state (0 for end states), named ``row_total``."""
        return pd.Series(self.counts.sum(axis=1), index=list(self.states), name="row_total")

    @property
    def n_journeys(self) -> float:
        """Number of journeys (transitions out of the start state; weighted for path tables)."""
        return float(self.counts[self.states.index(self.start)].sum())

    @cached_property
    def _absorbing_idx(self) -> np.ndarray:
        """End states and rows made absorbing."""
        extra = self.info.get("made_absorbing", [])
        return np.array([self.states.index(s) for s in (*self.ends, *extra)], dtype=int)

    def _estimate(self, counts: np.ndarray, fallback: bool = False) -> np.ndarray:
        """Posterior-mean (or ML) matrix from counts, with identity rows for end states."""
        a = self.prior * self.allowed
        num = counts + a
        tot = num.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = num / tot
        if fallback:
            empty = tot[:, 0] <= 0
            p[empty] = self.chain.matrix[empty]
        for i in self._absorbing_idx:
            p[i] = 0.0
            p[i, i] = 1.0
        return p

    # ------------------------------------------------------------------ intervals
    def intervals(
        self,
        method: str = "wilson",
        alpha: float = 0.05,
        *,
        n_boot: int = 1000,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> TransitionIntervals:
        """Interval for every allowed transition probability of every non-end row.

        Parameters
        ----------
        method : {"wald", "wilson", "jeffreys", "uniform", "bootstrap"}
            ``wald`` and ``wilson``: per-cell binomial intervals from the counts
            (:func:`statsmodels.stats.proportion.proportion_confint`). ``jeffreys`` and
            ``uniform``: equal-tailed intervals of the Dirichlet posterior with 0.5 or 1 per
            allowed cell; the marginal of cell ``j`` is ``Beta(n_ij + a, n_i - n_ij + a (K_i -
            1))``. ``bootstrap``: percentile intervals from resampling customers (see
            :meth:`bootstrap`).
        alpha : float
            1 - confidence level.
        n_boot : int, default 1000
            Bootstrap replicates (``method="bootstrap"`` only).
        random_state : int, numpy.random.Generator or None
            Seed of the bootstrap (``method="bootstrap"`` only).
        progress : bool or callable
            Progress bar over the bootstrap replicates: ``True`` or a tqdm-like callable
            (``method="bootstrap"`` only).

        Returns
        -------
        TransitionIntervals
            One row per allowed transition of every non-end row, with the count, row total,
            fitted probability and ``ci_low``, ``ci_high``.

        Raises
        ------
        ValidationError
            For an unknown ``method`` or ``alpha`` outside (0, 1); for
            ``method="bootstrap"`` when the chain was fitted from pooled counts.

        Notes
        -----
        Wald is the textbook ``p +- z sqrt(p (1 - p) / n)``: it collapses to a point at 0 or 1
        and under-covers for rare transitions, so it is there for comparison. Wilson inverts
        the score test and keeps its level for small counts and probabilities near 0 or 1.
        The Dirichlet intervals (``jeffreys``, ``uniform``) are equal-tailed posterior
        intervals and behave much like Wilson's. These four rest on the chain being the model
        of every journey (independent multinomial rows). The bootstrap over customers does
        not: it keeps whatever dependence there is between one customer's transitions
        (several journeys, customers who move differently).

        Examples
        --------
        >>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 3,
        ...                  ("a", "(null)"): 7})
        >>> iv = fit.intervals("wilson").summary()
        >>> round(float(iv.loc[("a", "(conversion)"), "ci_low"]), 4)
        0.1078
        """
        check_scalar(method, "method", in_=INTERVAL_METHODS)
        check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
        k = len(self.states)
        rows = np.array([i for i in range(k) if i not in set(self._absorbing_idx.tolist())])
        cells = [(i, j) for i in rows for j in np.flatnonzero(self.allowed[i])]
        fi = np.array([c[0] for c in cells], dtype=int)
        tj = np.array([c[1] for c in cells], dtype=int)
        n = self.counts[fi, tj]
        tot = self.counts.sum(axis=1)[fi]
        p_fit = self.chain.matrix[fi, tj]
        info: dict[str, Any] = {}
        lo = np.full(len(cells), np.nan)
        hi = np.full(len(cells), np.nan)
        ok = tot > 0
        if method in ("wald", "wilson"):
            sm = {"wald": "normal", "wilson": "wilson"}[method]
            lo[ok], hi[ok] = proportion_confint(n[ok], tot[ok], alpha=alpha, method=sm)
            lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        elif method in ("jeffreys", "uniform"):
            a = _PRIORS[method]
            kk = self.allowed.sum(axis=1)[fi]
            a1, a2 = n + a, tot - n + a * (kk - 1)
            lo = stats.beta.ppf(alpha / 2, a1, a2)
            hi = stats.beta.ppf(1 - alpha / 2, a1, a2)
            single = kk == 1  # a row with one allowed cell is 1 with certainty
            lo[single], hi[single] = 1.0, 1.0
        else:
            boot = self.bootstrap(n_boot, random_state=random_state, progress=progress)
            mats = boot.matrices()
            vals = mats[:, fi, tj]
            lo = np.quantile(vals, alpha / 2, axis=0)
            hi = np.quantile(vals, 1 - alpha / 2, axis=0)
            info = {"n_boot": n_boot, **boot.info}
        table = pd.DataFrame({
            "from_state": np.array(self.states, dtype=object)[fi],
            "to_state": np.array(self.states, dtype=object)[tj],
            "count": n,
            "row_total": tot,
            "probability": p_fit,
            "ci_low": lo,
            "ci_high": hi,
        })
        return TransitionIntervals(table, method, alpha, info)

    def bootstrap(
        self,
        n_boot: int = 1000,
        *,
        random_state: int | np.random.Generator | None = None,
        batch_size: int | None = None,
        progress: Any = False,
    ) -> ChainBootstrap:
        """Resample customers (journeys of a path table) with replacement, ``n_boot`` times.

        A customer's journeys stay together, so within-customer dependence is kept; the
        transitions of a replicate are those of the resampled customers. Replicate ``b`` uses
        its own child of ``random_state`` (:func:`cjmodels._resample.replicate_generators`),
        so results do not depend on ``batch_size``. ``progress`` shows a bar over the replicates.
        A path table's rows are weighted journeys: their weights are redrawn from the
        multinomial instead.

        Parameters
        ----------
        n_boot : int, default 1000
            Number of replicates, at least 1.
        random_state : int, numpy.random.Generator or None
            Seed of the resampling (None: fresh entropy).
        batch_size : int, optional
            Replicates drawn per matrix product (memory only; default as many as fit in about
            ``2e7`` weights).
        progress : bool or callable
            ``True`` or a tqdm-like callable for a progress bar; default none.

        Returns
        -------
        ChainBootstrap
            The transition counts of every replicate; ``matrices()`` gives the replicate
            transition matrices.

        Raises
        ------
        ValidationError
            When the chain was fitted from pooled counts (TransitionCounts, a count table or a
            mapping), which do not say which customer made which transition.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
        ...                    "event": ["touch", "conversion", "touch", "drop_out"],
        ...                    "stage": ["a", None, "a", None]})
        >>> fit_chain(df).bootstrap(10, random_state=0).counts.shape
        (10, 3)
        """
        check_scalar(n_boot, "n_boot", typ=int, ge=1)
        check_progress(progress)
        jt = self.transitions
        if jt is None:
            raise ValidationError(
                "the bootstrap resamples customers, but this chain was fitted from pooled "
                "counts; fit it from an event log (or a path table) to bootstrap, or use "
                "method='wilson'/'jeffreys'."
            )
        k = len(self.states)
        pair = jt.frm * k + jt.to
        upair, pair_id = np.unique(pair, return_inverse=True)
        unit_of_t = jt.unit[jt.journey]
        n_units = len(jt.unit_weight)
        scale = jt.weight / jt.unit_weight[unit_of_t]
        a = sparse.csr_matrix(
            (scale, (pair_id.ravel(), unit_of_t)), shape=(len(upair), n_units)
        )
        integral = bool(np.all(jt.unit_weight == 1))
        if batch_size is None:
            batch_size = max(1, min(n_boot, int(2e7 // max(n_units, 1))))
        children = replicate_generators(random_state, n_boot)
        out = np.empty((n_boot, len(upair)))
        gens = iter(progress_bar(children, progress, total=n_boot, desc="bootstrap"))
        for b0 in range(0, n_boot, batch_size):
            b1 = min(n_boot, b0 + batch_size)
            w = np.empty((n_units, b1 - b0))
            for c, g in enumerate(islice(gens, b1 - b0)):
                if integral:
                    w[:, c] = resample_units(g, n_units)
                else:
                    w[:, c] = reweight(jt.unit_weight, g, "multinomial")
            out[b0:b1] = (a @ w).T
        for _ in gens:  # no replicate is left; this closes the progress bar
            pass
        return ChainBootstrap(
            self,
            upair // k,
            upair % k,
            out,
            {"unit": "customer" if jt.journey_frame is not None else "journey",
             "n_units": n_units},
        )

    # ------------------------------------------------------------------ derived analyses
    def absorbing(
        self,
        alpha: float = 0.05,
        method: str = "delta",
        *,
        target: str | None = None,
        n_boot: int = 1000,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> AbsorbingAnalysis:
        """Fundamental matrix, absorption probabilities and steps to absorption, with intervals.

        Parameters
        ----------
        alpha : float
            1 - confidence level.
        method : {"delta", "bootstrap"}
            Delta-method intervals (probabilities on the logit scale) or percentile intervals
            over customers resampled (:meth:`bootstrap`); see :mod:`cjmodels.markov.absorbing`.
        target : str, optional
            End state of interest (default the conversion state).
        n_boot : int, default 1000
            Bootstrap replicates (``method="bootstrap"`` only).
        random_state : int, numpy.random.Generator or None
            Seed of the bootstrap (``method="bootstrap"`` only).
        progress : bool or callable
            Progress bar over the bootstrap replicates (``method="bootstrap"`` only).

        Returns
        -------
        AbsorbingAnalysis
            Absorption probabilities into every end state from every transient state,
            expected steps to the end (also given the target), expected visits from the
            start and the fundamental matrix, with standard errors and intervals.

        Raises
        ------
        ValidationError
            For an unknown ``method``, ``alpha`` outside (0, 1) or a ``target`` that is not an
            end state; when some states never reach an end state or ``I - Q`` is numerically
            singular (the fundamental matrix does not exist); for ``method="bootstrap"`` on a
            chain fitted from pooled counts.

        Examples
        --------
        >>> fit = fit_chain({("(start)", "a"): 100, ("a", "a"): 50, ("a", "(conversion)"): 30,
        ...                  ("a", "(null)"): 70})
        >>> res = fit.absorbing()
        >>> round(float(res.probability()["probability"]), 3)
        0.3
        """
        from cjmodels.markov.absorbing import _absorbing_analysis

        return _absorbing_analysis(self, alpha=alpha, method=method, target=target,
                                   n_boot=n_boot, random_state=random_state,
                                   progress=progress)

    def funnel(
        self,
        stages: Iterable[str] | None = None,
        alpha: float = 0.05,
        method: str = "delta",
        *,
        n_boot: int = 1000,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> Funnel:
        """The funnel of the chain: reach, conditional conversion and drop-off by stage.

        Parameters
        ----------
        stages : list of str, optional
            Funnel stages in order. Default: the pre-purchase stages of the log's stage scheme
            that occur in the chain, else every transient symbol in the chain's order. For
            order-k chains, a state counts as its last symbol.
        alpha : float, default 0.05
            1 - confidence level.
        method : {"delta", "bootstrap"}
            Delta-method intervals (on the logit scale) or percentile intervals over customers
            resampled, as in :meth:`absorbing`.
        n_boot : int, default 1000
            Bootstrap replicates (``method="bootstrap"`` only).
        random_state : int, numpy.random.Generator or None
            Seed of the bootstrap (``method="bootstrap"`` only).
        progress : bool or callable
            Progress bar over the bootstrap replicates (``method="bootstrap"`` only).

        Returns
        -------
        Funnel
            Per stage (then the conversion): journeys reaching it, ``p_reach``, ``p_next``,
            ``drop_off`` and ``lost`` with intervals, and the stage where most journeys are
            lost (``most_lost``).

        Raises
        ------
        ValidationError
            For stages that are not states of the chain, an empty ``stages``, an unknown
            ``method`` or ``alpha`` outside (0, 1); when some states never reach an end state.

        Examples
        --------
        >>> fit = fit_chain({("(start)", "a"): 100, ("a", "b"): 60, ("a", "(null)"): 40,
        ...                  ("b", "(conversion)"): 15, ("b", "(null)"): 45})
        >>> fit.funnel().table["p_reach"].round(3).tolist()
        [1.0, 0.6, 0.15]
        """
        from cjmodels.markov.absorbing import _funnel

        return _funnel(self, stages=stages, alpha=alpha, method=method, n_boot=n_boot,
                       random_state=random_state, progress=progress)

    def simulate(self, n_journeys: int, *, random_state: int | np.random.Generator | None = None,
                 max_steps: int = 1000) -> pd.DataFrame:
        """Simulate journeys from the fitted chain (see :meth:`MarkovChain.simulate`).

        Parameters
        ----------
        n_journeys : int
            Number of journeys, each starting in the start state.
        random_state : int, numpy.random.Generator or None
            Seed or generator of the draws.
        max_steps : int, default 1000
            Journeys still open after this many steps stop there.

        Returns
        -------
        pandas.DataFrame
            Long frame ``walk``, ``step`` (0 = the start state) and ``state``; a journey's
            last row is its end state.

        Examples
        --------
        >>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 4,
        ...                  ("a", "(null)"): 6})
        >>> sim = fit.simulate(1000, random_state=1)
        >>> sim.groupby("walk")["state"].last().value_counts().sort_index().tolist()
        [388, 612]
        """
        return self.chain.simulate(n_journeys, start=self.start, max_steps=max_steps,
                                   random_state=random_state)

    # ------------------------------------------------------------------ output
    def _summary(self) -> pd.DataFrame:
        """Fitted transition probabilities of the non-end rows, with row totals."""
        keep = [s for i, s in enumerate(self.states) if i not in set(self._absorbing_idx.tolist())]
        out = self.transition_matrix.loc[keep].copy()
        out.insert(0, "row_total", self.row_totals.loc[keep])
        return out

    @property
    def notes(self) -> list[str]:
        """Plain sentences on rows that are not estimated from data and states that never end."""
        notes = []
        tot = self.counts.sum(axis=1)
        ab = set(self._absorbing_idx.tolist())
        for i, s in enumerate(self.states):
            if i not in ab and tot[i] <= 0:
                notes.append(f"state {s!r} was never left: its probability row is the prior "
                             "mean, not an estimate, and its intervals are undefined (null).")
        made = self.info.get("made_absorbing") or []
        if made:
            notes.append(f"states {list(made)} were never left and were made absorbing "
                         "(zero_rows='absorb').")
        stuck = _never_ending(self)
        if stuck:
            notes.append(f"states {stuck} never reach an end state (their only transitions "
                         "lead back among themselves): the absorbing analysis and the funnel "
                         "are not defined for this chain.")
        return notes

    def _to_dict(self) -> dict[str, Any]:
        """States, counts, matrix and Wilson 95% intervals (``notes`` explain every ``null``;
        other intervals: ``intervals(method, alpha).to_dict()``)."""
        iv = self.intervals("wilson", 0.05).to_dict()
        return {
            "states": list(self.states),
            "start": self.start,
            "absorbing": list(self.ends),
            "order": self.order,
            "prior": self.prior,
            "counts": self.counts,
            "matrix": self.chain.matrix,
            "intervals": iv,
            "info": {k: v for k, v in self.info.items() if _jsonable(v)},
            "notes": [*self.notes, *(n for n in iv["notes"] if n not in self.notes)],
        }

    def _plot(self, ax: Any, *, kind: str = "heatmap", **kwargs: Any) -> None:
        """Heatmap of the fitted transition matrix (non-end rows), or with
        ``kind="diagram"`` the state diagram (options of the diagram: see ``MarkovChain.plot``)."""
        from cjmodels.markov.plots import _plot_diagram, _plot_heatmap

        check_scalar(kind, "kind", in_=("heatmap", "diagram"))
        if kind == "diagram":
            _plot_diagram(self.chain, ax=ax, **kwargs)
        else:
            _plot_heatmap(self._summary().drop(columns="row_total"), ax=ax, **kwargs)

    def _repr_fields(self) -> dict[str, Any]:
        return {"order": self.order, "states": len(self.states),
                "journeys": self.n_journeys, "transitions": float(self.counts.sum()),
                "prior": self.prior}


def _jsonable(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool | list | dict)


def _never_ending(fit: FittedChain) -> list[str]:
    """Non-end states of ``fit`` from which no end state can be reached."""
    reach = _reaching(fit.chain.matrix > 0, fit._absorbing_idx)
    return [s for i, s in enumerate(fit.states) if not reach[i]]


def fit_chain(
    data: Any,
    *,
    spec: JourneySpec | None = None,
    prior: str | float | None = None,
    allowed: Any = None,
    zero_rows: str = "error",
    start: str = START,
    ends: tuple[str, ...] = (CONVERSION, NULL),
    **log_options: Any,
) -> FittedChain:
    """Fit an order-k chain to many journeys (pooled counts, explicit start and end states).

    Parameters
    ----------
    data : event log, PathTable, JourneySet, JourneyTransitions, TransitionCounts or count table
        An event log (DataFrame with event columns, or :class:`~cjmodels.data.EventLog`), a
        path table, the journeys already reduced (:func:`cjmodels.data.journey_transitions`),
        or pre-aggregated counts: :class:`~cjmodels.data.TransitionCounts`, a DataFrame with
        ``from_state``, ``to_state``, ``count``, or a mapping ``{(from, to): count}``. Only
        event logs, path tables and reduced journeys support the bootstrap.
    spec : JourneySpec, optional
        The journeys (:class:`~cjmodels.data.JourneySpec`): what a journey is a sequence of,
        the order ``k`` (states are the last ``k`` symbols), ``timeout`` and ``lookback``
        (logs without drop-out events need a ``timeout``), which journeys, ``censored``
        (journeys still open at the end of observation; see the module notes),
        ``censor_recent`` and ``collapse_repeats``. Default ``JourneySpec()`` (stages, order
        1; channels for a path table). A count table reads only ``order``; TransitionCounts
        and reduced journeys take no spec (they carry their own).
    prior : None, "jeffreys", "uniform" or float
        Dirichlet pseudo-count per allowed cell (None: maximum likelihood).
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The journey graph; default: everything but transitions into the start state.
    zero_rows : {"error", "absorb"}
        A non-end state that is never left (seen only at the end of censored journeys) has no
        estimable row. ``"error"`` raises; ``"absorb"`` warns and makes it absorbing (listed in
        ``info["made_absorbing"]``). With a prior, the row is the prior mean (with a warning).
    start, ends : str, tuple of str
        Names of the start and end states for pre-aggregated counts (the first end state is the
        conversion).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (``customer=``, ``timestamp=``,
        ``event=``, ``stage=``, ``channel=``, ``scheme=``, ``observation_end=``, ...) when
        ``data`` is a DataFrame event log.

    Returns
    -------
    FittedChain
        The counts, the fitted chain and the means to its uncertainty (``intervals``,
        ``bootstrap``, ``absorbing``, ``funnel``).

    Raises
    ------
    ValidationError
        For data of another type, a ``spec`` that is not a JourneySpec or has fields the data
        cannot honour, an unknown ``prior``, observed transitions outside ``allowed``, no
        journey leaving the start state, or (with ``zero_rows="error"`` and no prior) a
        non-end state that is never left.

    Warns
    -----
    UserWarning
        When states are made absorbing or given the prior mean (never left); when no journey
        ends in a drop-out while open journeys were censored and dropped (every stage then
        converts with probability 1: give a ``timeout`` or ``censored="null"``); when some
        states never reach an end state.

    See Also
    --------
    cjmodels.data.JourneySpec : What a journey is.
    cjmodels.markov.lifecycle_chain : The chain of whole customer lives (repeat purchases).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3],
    ...                    "timestamp": [0, 1, 2, 0, 1, 0],
    ...                    "event": ["touch", "touch", "conversion", "touch", "drop_out",
    ...                              "touch"],
    ...                    "stage": ["a", "b", None, "a", None, "b"]})
    >>> fit = fit_chain(df)
    >>> fit.transition_matrix.loc["a"].tolist()
    [0.0, 0.0, 0.5, 0.0, 0.5]
    >>> fit_chain(df, spec=JourneySpec(censored="null")).transition_matrix.loc["b"].tolist()
    [0.0, 0.0, 0.0, 0.5, 0.5]
    """
    check_scalar(zero_rows, "zero_rows", in_=("error", "absorb"))
    if spec is not None:
        spec = JourneySpec.resolve(spec)
    a = _prior_value(prior)
    jt: JourneyTransitions | None = None
    if isinstance(data, JourneyTransitions):
        if spec is not None:
            raise ValidationError(
                "these journeys are already reduced (with their own JourneySpec); fit them "
                "without spec=, or pass the event log with the spec."
            )
        jt = data
        tc = jt.counts
    elif isinstance(data, TransitionCounts) or _is_count_table(data) or isinstance(data, Mapping):
        spec = JourneySpec() if spec is None else spec
        if isinstance(data, TransitionCounts):
            spec.check_fields((), "a chain fitted from TransitionCounts (which carry their order)")
            tc = data
        else:
            spec.check_fields(("order",), "a chain fitted from a count table")
            tc = counts_from_table(data, start=start, absorbing=tuple(ends), order=spec.order)
    elif isinstance(data, EventLog | pd.DataFrame | PathTable | JourneySet):
        jt = journey_transitions(data, spec=spec, **log_options)
        tc = jt.counts
    else:
        raise ValidationError(
            f"cannot fit a chain to a {type(data).__name__}; pass an event log (DataFrame or "
            "EventLog), a PathTable, JourneyTransitions, TransitionCounts or a count table "
            "(from_state, to_state, count)."
        )
    order = tc.order
    states = tc.states
    counts = tc.matrix().to_numpy(dtype=float) if jt is None else jt.matrix()
    ends_ = tuple(tc.absorbing)
    mask = _allowed_mask(allowed, states, tc.start, ends_)
    outside = (counts > 0) & ~mask
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise ValidationError(
            f"{int(outside.sum())} observed transitions are not allowed by the declared journey "
            f"graph, for example {states[i]!r} -> {states[j]!r} ({counts[i, j]:g} times). Add "
            "them to allowed= or fix the data."
        )
    is_end = np.isin(np.array(states, dtype=object), np.array(ends_, dtype=object))
    if counts[states.index(tc.start)].sum() <= 0:
        raise ValidationError("no journey leaves the start state: there is nothing to fit.")
    tot = counts.sum(axis=1)
    empty = [states[i] for i in np.flatnonzero((tot <= 0) & ~is_end)]
    made_absorbing: list[str] = []
    if empty:
        what = (
            f"states {empty} are never left (they only occur at the end of censored journeys, "
            "or are declared but unseen), so their transition rows are not identified"
        )
        if a > 0:
            warnings.warn(f"{what}; their rows are the prior mean.", UserWarning, stacklevel=2)
        elif zero_rows == "absorb":
            warnings.warn(f"{what}; they are made absorbing (zero_rows='absorb').",
                          UserWarning, stacklevel=2)
            made_absorbing = empty
        else:
            raise ValidationError(
                f"{what}. Use censored='null' or 'state', a prior (prior='jeffreys'), or "
                "zero_rows='absorb' to make them absorbing."
            )
    if jt is not None:
        tc_info = {**tc.info, **{k: v for k, v in jt.info.items() if k not in tc.info}}
    else:
        tc_info = dict(tc.info)
    info = {**tc_info, "order": order, "prior": prior if isinstance(prior, str) else a,
            "made_absorbing": made_absorbing,
            "journeys": "all" if jt is None else jt.info.get("journeys", "all")}
    dummy = FittedChain(states, counts, mask, a, tc.start, ends_, order,
                        MarkovChain(states, np.eye(len(states))), jt, info)
    p = dummy._estimate(counts)
    chain = MarkovChain(states, p, start=tc.start)
    out = FittedChain(states, counts, mask, a, tc.start, ends_, order, chain, jt, info)
    n_censored = float(info.get("n_censored", 0) or 0)
    if (
        info.get("censored") == "drop" and n_censored > 0 and CONVERSION in states
        and NULL in states and counts[:, states.index(NULL)].sum() == 0
    ):
        warnings.warn(
            f"no journey ends in a drop-out: the {n_censored:,.0f} journeys that did not convert "
            "are censored and dropped (censored='drop'), so every stage reaches "
            f"{CONVERSION} with probability 1. Give the log drop-out events, end journeys "
            "after a silence (JourneySpec(timeout='30D')), or count open journeys as drop-outs "
            "(JourneySpec(censored='null')).",
            UserWarning, stacklevel=2,
        )
    stuck = _never_ending(out)
    if stuck:
        warnings.warn(
            f"states {stuck} never reach an end state: their only transitions lead back among "
            "themselves, so journeys entering them never end and the absorbing analysis and "
            "the funnel are not defined. Check for missing drop-out or conversion events "
            "(timeout= turns a long silence into a drop-out).",
            UserWarning, stacklevel=2,
        )
    return out
