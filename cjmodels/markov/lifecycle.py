"""The customer life cycle as one recurrent chain: purchase leads into the next journey.

A journey chain (:func:`~cjmodels.markov.fit_chain`) ends at the purchase. Over a customer's
life the purchase is a state like any other: it leads to post-purchase stages, possibly back
into a pre-purchase stage (re-entry) and to a repeat purchase. :func:`lifecycle_chain` fits that
chain to the customers' lives of :func:`cjmodels.data.lifecycle_transitions`, whose notes give
the rules (states, leaving, censoring, returning customers, comebacks, times):

``(start) -> first stage -> ... -> purchase -> post-purchase ... -> re-entry ... -> purchase ...``

and, when the customer leaves, ``-> (null)``. Logs without ``drop_out``/``churn`` events need a
``timeout`` in the journey specification (without one nobody is seen to leave; a warning says
so). Further conventions of the chain:

* **restart**: ``False`` (default) keeps ``(null)`` absorbing. ``True`` sends ``(null)`` back
  to ``(start)`` (every customer who leaves is replaced by a new one), which makes the chain
  irreducible so that the stationary distribution (the steady-state mix of a population with
  constant replacement) and mean recurrence times exist. Passage quantities
  (:meth:`LifecycleChain.passage`, :meth:`~LifecycleChain.repeat_purchase`) always follow one
  customer: leaving ends them whatever ``restart`` says.
* **Time**: each step takes the time between the two events (days for datetime logs, the log's
  own unit for numeric ones). Expected days sum the mean observed gap of every transition on the
  way (a Markov renewal process: the holding time may depend on the next state); the clock
  starts at the first event, so steps out of ``(start)`` take no time.

Intervals: delta method (complex-step derivatives of the exact linear algebra; rows are
independent multinomials, mean gaps independent means), or percentile bootstrap over customers
(``method="bootstrap"``; counts and gaps resampled together).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import field, replace
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cjmodels._checks import check_scalar
from cjmodels._optim import complex_step
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, resample_units
from cjmodels.data import (
    CONVERSION,
    NULL,
    START,
    EventLog,
    JourneySpec,
    JourneyTransitions,
    LifecycleTransitions,
    counts_from_table,
    lifecycle_transitions,
)
from cjmodels.errors import ValidationError
from cjmodels.markov.absorbing import _delta_se, _interval
from cjmodels.markov.chain import MarkovChain
from cjmodels.markov.fit import FittedChain, fit_chain
from cjmodels.markov.passage import Passage, _passage, _restart, _stationary
from cjmodels.markov.uncertainty import TransitionIntervals
from cjmodels.results import Result, result_dataclass

__all__ = ["LifecycleChain", "Passage", "lifecycle_chain"]

_METHODS = ("delta", "bootstrap")


@result_dataclass
class LifecycleChain(Result):
    """A life-cycle chain: customers' whole sequences, purchase leading into the next journey.

    Build it with :func:`lifecycle_chain`. ``summary()`` has the fitted transition
    probabilities with row totals; ``plot()`` draws the state diagram (``kind="heatmap"``: the
    heatmap).

    Attributes
    ----------
    fit : FittedChain
        Counts, prior, journey graph and transition intervals, with ``(null)`` absorbing (the
        only end state); ``fit.intervals(method)`` gives intervals for every transition.
    chain : MarkovChain
        The fitted chain; with ``restart=True`` the ``(null)`` row returns to ``(start)``.
    purchase : str
        Name of the purchase state.
    restart : bool
        Whether ``(null)`` sends the customer back to ``(start)`` (a population in which
        every customer who leaves is replaced by a new one).
    step_times : DataFrame
        Per observed transition: ``n`` (transitions), ``n_timed`` (with both event times),
        ``mean_days`` and ``var_days`` (sample variance) of the time between the events.
    sequences : LifecycleTransitions or None
        The customers' lives (None when fitted from counts).
    info : dict
        How the lives were read (:func:`cjmodels.data.lifecycle_transitions`): ``sequence``,
        ``purchase``, ``timeout``, ``n_customers``, ``n_events``, ``n_lives``, ``comebacks``
        (customers with events after leaving), ``silent_leaves`` (customers who left by a
        silence of ``timeout``), ``censored_customers``, ``censored_recent``, with
        ``restart`` and ``made_absorbing``; from counts: ``source="counts"``, ``purchase``,
        ``n_customers``, ``restart`` and ``made_absorbing``.

    Examples
    --------
    >>> lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6, ("a", "(null)"): 4,
    ...                  ("(conversion)", "a"): 3, ("(conversion)", "(null)"): 3})
    LifecycleChain(stages=2, customers=10, transitions=26, restart=False)
    """

    _repr_exclude = ("sequences",)

    fit: FittedChain
    chain: MarkovChain
    purchase: str
    restart: bool
    step_times: pd.DataFrame
    sequences: LifecycleTransitions | None = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ basics
    @property
    def states(self) -> tuple[str, ...]:
        """State names: ``(start)``, the stages (and returning stages), ``(null)`` last."""
        return self.fit.states

    @property
    def transition_matrix(self) -> pd.DataFrame:
        """The chain's transition matrix as a DataFrame (with the restart, if any)."""
        return self.chain.frame

    @property
    def start(self) -> str:
        """Name of the state every life starts in (``(start)``)."""
        return self.fit.start

    @property
    def leave(self) -> str:
        """Name of the state of a customer who has left (``(null)``)."""
        return self.fit.ends[0]

    def intervals(self, method: str = "wilson", alpha: float = 0.05,
                  **kwargs: Any) -> TransitionIntervals:
        """Intervals for every transition probability; see :meth:`FittedChain.intervals`.

        Parameters
        ----------
        method : {"wald", "wilson", "jeffreys", "uniform", "bootstrap"}
            The interval method (the bootstrap resamples customers).
        alpha : float, default 0.05
            1 - the confidence level.
        **kwargs
            ``n_boot``, ``random_state`` and ``progress`` of ``method="bootstrap"``.

        Returns
        -------
        TransitionIntervals
            One row per allowed transition of every state but ``(null)``, whose row is not
            estimated (absorbing, or the return to ``(start)`` of ``restart=True``).

        Examples
        --------
        >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
        ...                       ("a", "(null)"): 4, ("(conversion)", "(null)"): 6})
        >>> lc.intervals("jeffreys").method
        'jeffreys'
        """
        return self.fit.intervals(method, alpha, **kwargs)

    def _delay_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean days per transition (k x k) and the variance of each mean."""
        k = len(self.states)
        st = self.step_times
        if self.sequences is None:  # fitted from counts: no times
            return np.full((k, k), np.nan), np.zeros((k, k))
        d = np.zeros((k, k))
        var = np.zeros((k, k))
        idx = {s: i for i, s in enumerate(self.states)}
        fi = st["from_state"].map(idx).to_numpy()
        tj = st["to_state"].map(idx).to_numpy()
        timed = st["n_timed"].to_numpy() > 0
        d[fi[timed], tj[timed]] = st["mean_days"].to_numpy()[timed]
        # a mean's variance: s^2 / n, with the row's pooled s^2 where n < 2
        s2 = st["var_days"].to_numpy()
        n_t = st["n_timed"].to_numpy(dtype=float)
        pooled = st.assign(ss=np.where(n_t >= 2, s2 * (n_t - 1), 0.0),
                           df=np.maximum(n_t - 1, 0)).groupby("from_state")[["ss", "df"]].sum()
        row_s2 = (pooled["ss"] / pooled["df"].where(pooled["df"] > 0)).reindex(
            st["from_state"]).to_numpy()
        s2 = np.where(n_t >= 2, s2, row_s2)
        s2 = np.where(np.isfinite(s2), s2, 0.0)
        var[fi[timed], tj[timed]] = s2[timed] / n_t[timed]
        # allowed cells with no timed transition (prior mass): the row's mean gap
        row_mean = np.zeros(k)
        tot = np.bincount(fi[timed], weights=(st["mean_days"] * st["n_timed"]).to_numpy()[timed],
                          minlength=k)
        cnt = np.bincount(fi[timed], weights=n_t[timed], minlength=k)
        np.divide(tot, cnt, out=row_mean, where=cnt > 0)
        has_time = np.zeros((k, k), dtype=bool)
        has_time[fi[timed], tj[timed]] = True
        d = np.where((self.fit.chain.matrix > 0) & ~has_time, row_mean[:, None], d)
        d[idx[self.start]] = 0.0  # the clock starts at the first event
        return d, var

    # ------------------------------------------------------------------ bootstrap
    def _replicates(self, n_boot: int, random_state: Any,
                    progress: Any = False) -> tuple[np.ndarray, np.ndarray]:
        """Replicate count and mean-delay matrices from resampling customers."""
        check_scalar(n_boot, "n_boot", typ=int, ge=1)
        check_progress(progress)
        sq = self.sequences
        if sq is None:
            raise ValidationError(
                "the bootstrap resamples customers, but this chain was fitted from pooled "
                "counts; fit it from an event log, or use method='delta'."
            )
        k = len(self.states)
        pair = sq.frm * k + sq.to
        upair, pid = np.unique(pair, return_inverse=True)
        n_units = len(sq.customers)
        timed = np.isfinite(sq.gap)
        ones = np.ones(len(pair))
        a = sparse.csr_matrix((ones, (pid, sq.unit)), shape=(len(upair), n_units))
        at = sparse.csr_matrix((timed.astype(float), (pid, sq.unit)), shape=a.shape)
        ag = sparse.csr_matrix((np.where(timed, sq.gap, 0.0), (pid, sq.unit)), shape=a.shape)
        children = replicate_generators(random_state, n_boot)
        d0, _ = self._delay_matrix()
        mats = np.empty((n_boot, k, k))
        delays = np.empty((n_boot, k, k))
        batch = max(1, min(n_boot, int(2e7 // max(n_units, 1))))
        fr, tt = upair // k, upair % k
        gens = iter(progress_bar(children, progress, total=n_boot, desc="bootstrap"))
        for b0 in range(0, n_boot, batch):
            kids = list(islice(gens, min(batch, n_boot - b0)))
            w = np.column_stack([resample_units(g, n_units) for g in kids]).astype(float)
            cnt, cnt_t, gsum = (a @ w).T, (at @ w).T, (ag @ w).T
            for c, b in enumerate(range(b0, b0 + len(kids))):
                m = np.zeros((k, k))
                m[fr, tt] = cnt[c]
                mats[b] = self.fit._estimate(m, fallback=True)
                dd = d0.copy()
                ok = cnt_t[c] > 0
                dd[fr[ok], tt[ok]] = gsum[c][ok] / cnt_t[c][ok]
                delays[b] = dd
        for _ in gens:  # no replicate is left; this closes the progress bar
            pass
        return mats, delays

    def _intervals(self, fun, p, d, alpha, method, n_boot, random_state, prob_mask,
                   timed=True, progress=False):
        """Estimate, se and interval of ``fun(P, D)`` (vector), delta or bootstrap."""
        check_scalar(method, "method", in_=_METHODS)
        check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
        with np.errstate(all="ignore"):
            est = fun(p, d).real
        z = stats.norm.ppf(1 - alpha / 2)
        info: dict[str, Any] = {}
        if method == "delta":
            n_row = self.fit.counts.sum(axis=1)
            rows = np.array([i for i in range(len(p)) if n_row[i] > 0
                             and i not in set(self.fit._absorbing_idx.tolist())], dtype=int)
            with np.errstate(all="ignore"):
                se_p = _delta_se(lambda m: fun(m, d), p, n_row, rows)
            _, dvar = self._delay_matrix()
            var = se_p**2
            ii, jj = np.nonzero((dvar > 0) & timed & np.isfinite(d))

            def at(v: np.ndarray) -> np.ndarray:
                dc = d.astype(complex)
                dc[ii, jj] = v
                return fun(p.astype(complex), dc)

            with np.errstate(all="ignore"):
                grads = complex_step(at, d[ii, jj], step=1e-30) if len(ii) else []
            for c, (i, j) in enumerate(zip(ii, jj, strict=True)):
                var = var + np.nan_to_num(grads[c]) ** 2 * dvar[i, j]
            se = np.sqrt(var)
            se = np.where(np.isfinite(est), se, np.nan)
            lo = np.empty_like(est)
            hi = np.empty_like(est)
            with np.errstate(invalid="ignore"):
                lo[prob_mask], hi[prob_mask] = _interval(est[prob_mask], se[prob_mask], z, True)
                lo[~prob_mask], hi[~prob_mask] = _interval(est[~prob_mask], se[~prob_mask], z,
                                                           False)
        else:
            mats, delays = self._replicates(n_boot, random_state, progress)

            def one(b: int) -> np.ndarray:
                try:
                    return fun(mats[b], delays[b]).real
                except np.linalg.LinAlgError:  # a replicate may lose every exit of a state
                    return np.full(est.shape, np.nan)

            with np.errstate(all="ignore"):
                vals = np.stack([one(b) for b in range(n_boot)])
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo = np.nanquantile(vals, alpha / 2, axis=0)
                hi = np.nanquantile(vals, 1 - alpha / 2, axis=0)
                se = np.nanstd(vals, axis=0, ddof=1)
            info = {"n_boot": n_boot, "unit": "customer"}
        return est, se, lo, hi, info

    # ------------------------------------------------------------------ recurrent quantities
    def stationary(
        self,
        *,
        alpha: float = 0.05,
        method: str = "delta",
        n_boot: int = 1000,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> pd.DataFrame:
        """Stationary distribution and mean recurrence times (steps), with intervals.

        Needs an irreducible chain: ``restart=True`` (or a log in which nobody leaves). Returns
        per state ``probability``, ``se``, ``ci_low``, ``ci_high`` and ``recurrence_steps``
        (``1 / pi``) with ``recurrence_low``, ``recurrence_high`` (the probability interval
        mapped through ``1 / pi``). ``method="bootstrap"`` resamples customers ``n_boot``
        times (seed ``random_state``, bar ``progress``).

        Parameters
        ----------
        alpha : float, default 0.05
            1 - the confidence level.
        method : {"delta", "bootstrap"}
            Delta-method intervals (on the logit scale) or percentile intervals over
            customers resampled.
        n_boot : int, default 1000
            Bootstrap replicates (``method="bootstrap"`` only).
        random_state : int, numpy.random.Generator or None
            Seed of the bootstrap (``method="bootstrap"`` only).
        progress : bool or callable
            Progress bar over the bootstrap replicates (``method="bootstrap"`` only).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``state``: ``probability``, ``se``, ``ci_low``, ``ci_high``,
            ``recurrence_steps``, ``recurrence_low``, ``recurrence_high``; ``attrs`` holds
            ``method``, ``alpha`` (and the bootstrap's ``n_boot`` and ``unit``).

        Raises
        ------
        ValidationError
            When the chain has an absorbing state (``restart=False``: customers leave for
            good; with ``restart=True``: a state that is never left) or more than one closed
            class, so that the stationary distribution says nothing about the life cycle.

        Examples
        --------
        >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
        ...                       ("a", "(null)"): 4, ("(conversion)", "(null)"): 6},
        ...                      restart=True)
        >>> lc.stationary()["probability"].round(4).tolist()
        [0.2778, 0.1667, 0.2778, 0.2778]
        """
        msg = ("Fit with restart=True for the steady state of a population in which each "
               "customer who leaves is replaced by a new one.")
        if self.chain.absorbing_states:
            absorbing = list(self.chain.absorbing_states)
            if self.restart:
                raise ValidationError(
                    f"states {absorbing} are never left once entered (their only transitions "
                    "lead back to themselves), so the stationary distribution puts all mass "
                    "there and says nothing about the life cycle. Check the data for customers "
                    "who repeat one stage without end (a timeout= turns a long silence into "
                    "leaving), or drop those states."
                )
            raise ValidationError(
                f"customers leave for good in this chain ({absorbing} absorb, restart=False), "
                "so the stationary distribution puts all mass there. " + msg
            )
        try:
            pi = self.chain.stationary_distribution()
        except ValidationError as exc:
            raise ValidationError(f"{exc} {msg}") from None
        s, lv = self.states.index(self.start), self.states.index(self.leave)
        restart = self.restart

        def fun(m: np.ndarray, d: np.ndarray) -> np.ndarray:
            return _stationary(_restart(m, s, lv) if restart else m)

        p = self.fit.chain.matrix
        est, se, lo, hi, info = self._intervals(fun, p, np.zeros_like(p), alpha, method, n_boot,
                                                random_state, np.ones(len(p), dtype=bool),
                                                timed=False, progress=progress)
        with np.errstate(divide="ignore"):
            out = pd.DataFrame({
                "probability": pi.to_numpy(),
                "se": se,
                "ci_low": lo,
                "ci_high": hi,
                "recurrence_steps": 1 / pi.to_numpy(),
                "recurrence_low": 1 / hi,
                "recurrence_high": 1 / lo,
            }, index=pd.Index(self.states, name="state"))
        out.attrs.update({"method": method, "alpha": alpha, **info})
        return out

    def passage(
        self,
        origin: str,
        target: str,
        *,
        alpha: float = 0.05,
        method: str = "delta",
        n_boot: int = 1000,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> Passage:
        """Probability of reaching ``target`` from ``origin`` (at a step >= 1) before leaving,
        and the expected steps and days to it given that it is reached.

        ``passage(purchase, purchase)`` is the repeat purchase; ``passage("(start)",
        purchase)`` the first purchase of a new customer. Intervals: ``method="delta"`` or
        ``"bootstrap"`` (customers resampled ``n_boot`` times, seed ``random_state``, bar
        ``progress``). The passage follows one customer: leaving ends it, whatever
        ``restart`` says.

        Parameters
        ----------
        origin : str
            The state the passage starts from.
        target : str
            The state to reach at a step >= 1 (``(null)`` is refused: every customer reaches
            it).
        alpha : float, default 0.05
            1 - the confidence level.
        method : {"delta", "bootstrap"}
            Delta-method intervals (complex-step derivatives; transition rows and mean gaps
            independent) or percentile intervals over customers resampled.
        n_boot : int, default 1000
            Bootstrap replicates (``method="bootstrap"`` only).
        random_state : int, numpy.random.Generator or None
            Seed of the bootstrap (``method="bootstrap"`` only).
        progress : bool or callable
            Progress bar over the bootstrap replicates (``method="bootstrap"`` only).

        Returns
        -------
        Passage
            ``probability`` of reaching ``target`` before leaving, and the expected ``steps``
            and ``days`` to it given that it is reached, with intervals.

        Raises
        ------
        ValidationError
            When ``origin`` or ``target`` is not a state, ``target`` is ``(null)``, for an
            unknown ``method`` or ``alpha`` outside (0, 1), or for ``method="bootstrap"`` on a
            chain fitted from counts.

        Examples
        --------
        >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
        ...                       ("a", "(null)"): 4, ("(conversion)", "a"): 3,
        ...                       ("(conversion)", "(null)"): 3})
        >>> round(lc.passage("a", "(conversion)").probability, 4)
        0.6
        """
        i, j = self.chain.index(origin), self.chain.index(target)
        if target == self.leave:
            raise ValidationError(
                f"target == {target!r}: every customer reaches it; use a stage or the purchase."
            )
        d, _ = self._delay_matrix()

        def fun(m: np.ndarray, dd: np.ndarray) -> np.ndarray:
            return _passage(m, dd, i, j)

        p = self.fit.chain.matrix
        est, se, lo, hi, info = self._intervals(fun, p, d, alpha, method, n_boot, random_state,
                                                np.array([True, False, False]),
                                                progress=progress)
        table = pd.DataFrame({"estimate": est, "se": se, "ci_low": lo, "ci_high": hi},
                             index=pd.Index(["probability", "steps", "days"], name="quantity"))
        return Passage(origin, target, table, method, alpha, info)

    def repeat_purchase(self, **kwargs: Any) -> Passage:
        """From a purchase to the customer's next purchase; see :meth:`passage`.

        Parameters
        ----------
        **kwargs
            ``alpha``, ``method``, ``n_boot``, ``random_state`` and ``progress`` of
            :meth:`passage`.

        Returns
        -------
        Passage
            ``passage(purchase, purchase)``: the probability that a customer who has just
            bought buys again before leaving, and the expected steps and days to that
            purchase given that it happens.

        Examples
        --------
        >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
        ...                       ("a", "(null)"): 4, ("(conversion)", "a"): 3,
        ...                       ("(conversion)", "(null)"): 3})
        >>> lc.repeat_purchase().probability
        0.3
        """
        return self.passage(self.purchase, self.purchase, **kwargs)

    def first_purchase(self, **kwargs: Any) -> Passage:
        """From a new customer's first event to their first purchase; see :meth:`passage`.

        Parameters
        ----------
        **kwargs
            ``alpha``, ``method``, ``n_boot``, ``random_state`` and ``progress`` of
            :meth:`passage`.

        Returns
        -------
        Passage
            ``passage("(start)", purchase)``: the probability that a new customer buys before
            leaving, and the expected steps and days from the first event to that purchase
            given that it happens.

        Examples
        --------
        >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
        ...                       ("a", "(null)"): 4, ("(conversion)", "a"): 3,
        ...                       ("(conversion)", "(null)"): 3})
        >>> lc.first_purchase().probability
        0.6
        """
        return self.passage(self.start, self.purchase, **kwargs)

    # ------------------------------------------------------------------ output
    def _summary(self) -> pd.DataFrame:
        """Fitted transition probabilities (rows: from) with row totals."""
        return self.fit._summary()

    def _repr_fields(self) -> dict[str, Any]:
        return {"stages": len(self.states) - 2, "customers": self.info.get("n_customers"),
                "transitions": float(self.fit.counts.sum()), "restart": self.restart}

    def _to_dict(self) -> dict[str, Any]:
        """States, matrix, counts, Wilson 95% intervals and passage quantities."""
        alpha = 0.05
        out: dict[str, Any] = {
            "states": list(self.states),
            "purchase": self.purchase,
            "restart": self.restart,
            "matrix": self.chain.matrix.tolist(),
            "counts": self.fit.counts.tolist(),
            "intervals": self.intervals("wilson", alpha).to_dict(),
            "info": {k: v for k, v in self.info.items()
                     if isinstance(v, str | int | float | bool | type(None))},
        }
        if self.purchase in self.states:
            out["repeat_purchase"] = self.repeat_purchase(alpha=alpha).to_dict()
        notes = list(out.get("repeat_purchase", {}).get("notes", []))
        if self.restart:
            try:
                st = self.stationary(alpha=alpha)
            except ValidationError as exc:
                out["stationary"] = None
                notes.append(f"the stationary distribution is undefined (null): {exc}")
            else:
                out["stationary"] = st.to_dict(orient="index")
                never = list(st.index[st["probability"].to_numpy() <= 0])
                if never:
                    notes.append(f"states {never} are not visited in the steady state "
                                 "(stationary probability 0): their mean recurrence_steps are "
                                 "\"inf\".")
        out["notes"] = notes
        return out

    def _plot(self, ax: Any, *, kind: str = "diagram", **kwargs: Any) -> None:
        """State diagram (``kind="diagram"``) or heatmap (``"heatmap"``) of the chain."""
        check_scalar(kind, "kind", in_=("diagram", "heatmap"))
        from cjmodels.markov.plots import _plot_diagram, _plot_heatmap

        if kind == "heatmap":
            _plot_heatmap(self._summary().drop(columns="row_total"), ax=ax, **kwargs)
        else:
            _plot_diagram(self.chain, ax=ax, **kwargs)


def lifecycle_chain(
    data: EventLog | pd.DataFrame | LifecycleTransitions | Mapping[tuple[str, str], float],
    *,
    spec: JourneySpec | None = None,
    restart: bool = False,
    prior: str | float | None = None,
    allowed: Any = None,
    zero_rows: str = "error",
    purchase: str | None = None,
    returning: bool = True,
    **log_options: Any,
) -> LifecycleChain:
    """Fit the customer life cycle: purchase leads into the next journey (see the module notes).

    Parameters
    ----------
    data : EventLog, DataFrame, LifecycleTransitions or count table
        The event log (column options as keywords for a DataFrame), the lives already reduced
        (:func:`cjmodels.data.lifecycle_transitions`), or pre-aggregated counts of whole lives
        (a DataFrame ``from_state``, ``to_state``, ``count`` or a mapping ``{(from, to):
        count}`` with ``(start)`` and ``(null)``); counts have no times (days are NaN) and no
        customers (no bootstrap).
    spec : JourneySpec, optional
        Default ``JourneySpec()``. Reads ``sequence`` (which touch column forms the states),
        ``timeout`` (a final silence that long means the customer has left; logs without
        ``drop_out``/``churn`` events need one) and ``censor_recent`` (leave out transitions
        out of events in the last ``timeout`` of the window); see
        :func:`cjmodels.data.lifecycle_transitions`.
    restart : bool
        Send ``(null)`` back to ``(start)``, making the chain irreducible (stationary
        distribution, recurrence times).
    prior : None, "jeffreys", "uniform" or float
        Dirichlet pseudo-count per allowed cell, as in :func:`cjmodels.markov.fit_chain`
        (None: maximum likelihood).
    allowed : DataFrame of bool, mapping from state to list of states, or list of pairs
        The graph of allowed transitions, as in :func:`cjmodels.markov.fit_chain`; default
        everything but transitions into ``(start)``.
    zero_rows : {"error", "absorb"}
        What to do with a state that is never left, as in :func:`cjmodels.markov.fit_chain`.
    purchase : str, optional
        Name of the purchase state; default the scheme's purchase stage, else
        ``"(conversion)"``.
    returning : bool
        Give touches after a customer's first purchase (other than post-purchase stages of the
        scheme) their own states, ``"<stage> (returning)"`` (default True): returning customers
        move differently from new prospects (far better odds of buying, in most businesses),
        and a chain that pools them mixes the two (on the synthetic journey world it over-states
        a new customer's chance of a first purchase and under-states a repeat purchase). False
        gives the plain first-order chain of the stages.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (``customer=``, ``timestamp=``,
        ``observation_end=``, ...) for a DataFrame event log.

    Returns
    -------
    LifecycleChain
        The fitted life-cycle chain: transition probabilities with their intervals, mean
        times between events, and the recurrent quantities (``repeat_purchase``,
        ``first_purchase``, ``passage``, ``stationary``).

    Raises
    ------
    ValidationError
        For a ``spec`` on counts or reduced lives, a ``purchase`` that is not a state of the
        counts, or states that are never left (with ``zero_rows="error"`` and no prior).

    Warns
    -----
    UserWarning
        When customers have events after leaving (each comeback starts a new life), or when
        nobody is seen to leave (no drop-out events and no ``timeout``).

    Examples
    --------
    Two customers: one buys, comes back through ``b`` and buys again, then leaves; one leaves
    after ``a`` (a 5-day timeout; the window ends on day 30).

    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 1, 1, 2],
    ...                    "timestamp": [0.0, 1, 2, 4, 6, 7, 3],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch",
    ...                              "conversion", "touch"],
    ...                    "stage": ["a", "b", None, "c", "b", None, "a"]})
    >>> lc = lifecycle_chain(df, spec=JourneySpec(timeout=5), observation_end=30.0)
    >>> lc.states
    ('(start)', 'a', 'b', '(conversion)', 'b (returning)', 'c (returning)', '(null)')
    >>> lc.transition_matrix.loc["(conversion)", ["c (returning)", "(null)"]].tolist()
    [0.5, 0.5]
    >>> lc.repeat_purchase().probability
    0.5
    >>> lifecycle_chain(df, spec=JourneySpec(timeout=5), observation_end=30.0,
    ...                 returning=False).states
    ('(start)', 'a', 'b', 'c', '(conversion)', '(null)')
    """
    check_scalar(restart, "restart", typ=bool)
    if isinstance(data, Mapping) or (
        isinstance(data, pd.DataFrame)
        and {"from_state", "to_state", "count"} <= set(data.columns)
    ):
        if spec is not None:
            spec.check_fields((), "a life-cycle chain fitted from counts")
        return _from_counts(data, restart=restart, prior=prior, allowed=allowed,
                            zero_rows=zero_rows, purchase=purchase)
    if isinstance(data, LifecycleTransitions):
        if spec is not None or log_options:
            raise ValidationError(
                "these lives are already reduced (with their own JourneySpec); fit them without "
                "spec= or column options, or pass the event log."
            )
        sq = data
    else:
        sq = lifecycle_transitions(data, spec=spec, purchase=purchase, returning=returning,
                                   **log_options)
    states = sq.states
    if sq.info["comebacks"]:
        warnings.warn(
            f"{sq.info['comebacks']} customers have events after a drop_out/churn event; each "
            "comeback starts a new life from (start) (never a transition out of (null)).",
            UserWarning, stacklevel=2,
        )
    k = len(states)
    counts = np.bincount(sq.frm * k + sq.to, minlength=k * k).reshape(k, k).astype(float)
    if counts[:, -1].sum() <= 0:
        warnings.warn(
            "no customer is seen to leave (no drop_out/churn events and no timeout), so "
            "(null) is never entered; pass timeout= for logs without drop-out events.",
            UserWarning, stacklevel=2,
        )
    fi, tj = np.nonzero(counts)
    table = pd.DataFrame({"from_state": np.array(states, dtype=object)[fi],
                          "to_state": np.array(states, dtype=object)[tj],
                          "count": counts[fi, tj]})
    tc = counts_from_table(table, start=START, absorbing=(NULL,), states=states)
    tc = replace(tc, info={**tc.info, "source": "lifecycle",
                           "n_journeys": float(counts[0].sum())})
    never = [states[i] for i in range(1, k - 1) if counts[i].sum() <= 0]
    if never and zero_rows == "error" and prior is None:
        raise ValidationError(
            f"states {never} are never left: they occur only as customers' last events before "
            "the end of observation (or in its last `timeout`), so their transition rows are "
            "not identified. Pass a timeout (a long silence means the customer left), a prior "
            "(prior='jeffreys'), or zero_rows='absorb' to make them absorbing."
        )
    fit = fit_chain(tc, prior=prior, allowed=allowed, zero_rows=zero_rows)
    jt = JourneyTransitions(
        counts=tc, journey=sq.unit, frm=sq.frm, to=sq.to, weight=np.ones(len(sq.frm)),
        unit=np.arange(len(sq.customers)), unit_weight=np.ones(len(sq.customers)),
        journey_frame=pd.DataFrame({"customer_id": sq.customers}),
        info={**sq.info},
    )
    fit = replace(fit, transitions=jt, info={**fit.info, **sq.info})
    p = fit.chain.matrix
    if restart:
        p = _restart(p, 0, k - 1)
    chain = MarkovChain(states, p, start=START)
    timed = np.isfinite(sq.gap)
    g = pd.DataFrame({"from_state": np.array(states, dtype=object)[sq.frm],
                      "to_state": np.array(states, dtype=object)[sq.to],
                      "gap": sq.gap, "timed": timed})
    step_times = g.groupby(["from_state", "to_state"], sort=False).agg(
        n=("timed", "size"), n_timed=("timed", "sum"), mean_days=("gap", "mean"),
        var_days=("gap", "var")).reset_index()
    rank = {s: i for i, s in enumerate(states)}
    step_times = step_times.iloc[np.lexsort((step_times["to_state"].map(rank),
                                             step_times["from_state"].map(rank)))]
    step_times = step_times.reset_index(drop=True)
    info = {**sq.info, "restart": restart, "made_absorbing": fit.info.get("made_absorbing", [])}
    return LifecycleChain(fit, chain, sq.info["purchase"], restart, step_times, sq, info)


def _from_counts(table: Any, *, restart: bool, prior: Any, allowed: Any, zero_rows: str,
                 purchase: str | None) -> LifecycleChain:
    """A life-cycle chain from pooled counts (no times, no customers)."""
    tc = counts_from_table(table, start=START, absorbing=(NULL,))
    purchase = CONVERSION if purchase is None else purchase
    if purchase not in tc.states:
        raise ValidationError(
            f"purchase == {purchase!r} is not a state of the counts {list(tc.states)}; name the "
            "purchase state with purchase=."
        )
    fit = fit_chain(tc, prior=prior, allowed=allowed, zero_rows=zero_rows)
    p = fit.chain.matrix
    if restart:
        p = _restart(p, 0, len(p) - 1)
    chain = MarkovChain(tc.states, p, start=START)
    steps = pd.DataFrame(columns=["from_state", "to_state", "n", "n_timed", "mean_days",
                                  "var_days"])
    info = {"source": "counts", "purchase": purchase, "restart": restart,
            "n_customers": int(fit.n_journeys), "made_absorbing": fit.info.get("made_absorbing")}
    return LifecycleChain(fit, chain, purchase, restart, steps, None, info)
