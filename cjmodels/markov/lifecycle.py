"""The customer life cycle as one recurrent chain: purchase leads into the next journey.

A journey chain (:func:`~cjmodels.markov.fit_chain`) ends at the purchase. Over a customer's
life the purchase is a state like any other: it leads to post-purchase stages, possibly back
into a pre-purchase stage (re-entry) and to a repeat purchase. :func:`lifecycle_chain` fits that
chain to an event log, one sequence per customer:

``(start) -> first stage -> ... -> purchase -> post-purchase ... -> re-entry ... -> purchase ...``

and, when the customer leaves, ``-> (null)``. Conventions:

* **States**: the stages of the touches and the purchase state (the log's conversion events;
  named by the stage scheme's purchase stage, else ``(conversion)``; touches labelled with that
  stage are visits to the same state), ``(start)`` and ``(null)`` (left: drop-out before a
  purchase or churn after one; the from-state says which). Stages are ordered as in the log's
  stage scheme.
* **Leaving** is an explicit ``drop_out``/``churn`` event, or, with ``timeout``, a final
  silence: no event after the customer's last one although at least ``timeout`` of the window
  is left. A gap longer than ``timeout`` *followed by* another event is an ordinary (long)
  transition: the customer did not leave. Logs without drop-out events need a ``timeout``
  (without one nobody is seen to leave; a warning says so).
* **Censoring**: a customer still active at the end of observation contributes no transition
  out of their last event. With a ``timeout`` every transition out of an event in the last
  ``timeout`` of the window is left out (``censor_recent``, as in ``fit_chain``): whether such
  a customer left is not known yet, and keeping only the observed continuations would
  under-count leaving.
* **Returning customers**: by default (``returning=True``) the pre-purchase stages of a customer
  who has bought before are their own states (``"consideration (returning)"``), so that new
  prospects and returning customers each have their own rows; ``returning=False`` pools them.
* **Comebacks**: events after an explicit ``drop_out``/``churn`` start a new life:
  ``(start) -> stage``, never a transition out of ``(null)``; a warning counts them.
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
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cjmodels._checks import check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.stages import CONVERSION, NULL, START
from cjmodels.errors import ValidationError
from cjmodels.markov._data import JourneyTransitions, counts_from_table
from cjmodels.markov.absorbing import _delta_se, _interval
from cjmodels.markov.chain import MarkovChain, _reaching
from cjmodels.markov.fit import FittedChain, TransitionIntervals, fit_chain
from cjmodels.results import Result, result_dataclass

__all__ = ["LifecycleChain", "Passage", "lifecycle_chain"]

_METHODS = ("delta", "bootstrap")
_STOP_EVENTS = ("drop_out", "churn")
#: Suffix of the states of touches after a customer's first purchase (``returning=True``).
RETURNING = " (returning)"


# ---------------------------------------------------------------------------- sequences
@dataclass(frozen=True)
class _Sequences:
    """Every transition of every customer's life: states, customer, times."""

    states: tuple[str, ...]
    frm: np.ndarray
    to: np.ndarray
    unit: np.ndarray
    gap: np.ndarray  # days between the two events; NaN when there is no timed pair
    customers: np.ndarray
    info: dict[str, Any]


def _sequences(
    log: EventLog, by: str, timeout: Any, purchase: str | None, censor_recent: bool,
    returning: bool = False,
) -> _Sequences:
    """Customer sequences of the log as transitions (vectorised; see the module notes)."""
    if by not in ("stage", "channel"):
        raise ValidationError(f"sequence == {by!r}, must be one of 'stage', 'channel'.")
    log.require(by, purpose=f"a life-cycle chain of {by}s")
    rel = np.flatnonzero(log.is_event("touch", "conversion", *_STOP_EVENTS))
    if len(rel) == 0:
        raise ValidationError("the event log has no touch or conversion events to build lives.")
    types = log.event_types
    ev = log.event_codes[rel]
    is_touch = ev == (types.index("touch") if "touch" in types else -1)
    is_conv = ev == (types.index("conversion") if "conversion" in types else -1)
    is_stop = ~is_touch & ~is_conv
    cust = log.customer_codes[rel]
    t = np.asarray(log.times("D"), dtype=float)[rel]
    codes, labels = log.codes(by)
    sym = codes[rel]
    missing = is_touch & (sym < 0)
    if missing.any():
        rows = log.source_index[rel[missing]][:5].tolist()
        raise ValidationError(
            f"{int(missing.sum())} touches have no {by}, first at rows {rows}; every touch in a "
            f"life-cycle chain needs one. Fill them or drop these rows."
        )
    # stop events with no open life (first event of a customer, or right after another stop)
    first = np.r_[True, cust[1:] != cust[:-1]]
    prev_stop = np.r_[False, is_stop[:-1]] & ~first
    orphan = is_stop & (first | prev_stop)
    keep = ~orphan
    rel, ev, is_touch, is_conv, is_stop = rel[keep], ev[keep], is_touch[keep], is_conv[keep], \
        is_stop[keep]
    cust, t, sym = cust[keep], t[keep], sym[keep]
    n_ev = len(cust)
    if n_ev == 0:
        raise ValidationError(
            f"the event log has no touch or conversion events, only {int(orphan.sum())} "
            "drop_out/churn events that end no life (each is a customer's first event or follows "
            "another stop); a life-cycle chain needs touches or conversions."
        )
    first = np.r_[True, cust[1:] != cust[:-1]]
    last = np.r_[cust[1:] != cust[:-1], True]
    prev_stop = np.r_[False, is_stop[:-1]] & ~first
    life_start = first | prev_stop
    # the states, in stage-scheme order
    scheme = log.scheme if by == "stage" else None
    if purchase is None:
        purchase = scheme.purchase if scheme is not None else CONVERSION
    n_lab = len(labels)
    code = np.where(is_touch, sym, -1)
    if returning:
        # touches after the life's first purchase (other than post-purchase stages) are
        # separate states: a returning customer moves differently from a new prospect
        life = np.cumsum(life_start) - 1
        conv_cum = np.bincount(life, weights=is_conv, minlength=life[-1] + 1 if n_ev else 0)
        before = np.cumsum(is_conv) - np.r_[0, np.cumsum(conv_cum)][life] - is_conv
        post = set(scheme.post_purchase) if scheme is not None else set()
        is_post = np.array([str(x) in post for x in labels], dtype=bool)
        post_ev = np.zeros(n_ev, dtype=bool)  # a log may hold no touch (no label) at all
        post_ev[is_touch] = is_post[sym[is_touch]]
        ret = is_touch & (before > 0) & ~post_ev
        code = np.where(ret, code + n_lab, code)
    ext = [str(x) for x in labels] + [f"{x}{RETURNING}" for x in labels]
    used = np.unique(code[is_touch])
    base = list(dict.fromkeys([ext[c] for c in used if c < n_lab]
                              + ([purchase] if is_conv.any() else [])))
    back = [ext[c] for c in used if c >= n_lab]
    if scheme is not None:
        rank = {st: i for i, st in enumerate(scheme.stages)}
        base.sort(key=lambda st: (rank.get(st, len(rank)), st))
        back.sort(key=lambda st: (rank.get(st[: -len(RETURNING)], len(rank)), st))
    else:
        base = sorted(n for n in base if n != purchase) + (
            [purchase] if purchase in base else [])
        back.sort()
    names = [*base, *back]
    for reserved in (START, NULL):
        if reserved in names:
            raise ValidationError(f"{by} {reserved!r} is a reserved state name; rename it.")
    states = (START, *names, NULL)
    pos = {st: i for i, st in enumerate(states)}
    ext_state = np.array([pos.get(x, -1) for x in ext], dtype=np.int64)
    state = np.where(is_conv, pos.get(purchase, -1), np.where(is_stop, pos[NULL], -1))
    state[is_touch] = ext_state[code[is_touch]]
    n = len(state)
    # (start) -> first event of each life
    s_idx = np.flatnonzero(life_start)
    # event -> next event of the same customer, unless the event is a stop (life over)
    inner = np.flatnonzero(~last & ~is_stop)
    # silent leaving: last event, not a stop, at least `timeout` before the end
    obs_end = float(log.to_float(log.observation_end, "D"))
    timeout_d = None
    if timeout is not None:
        timeout_d = log.duration(timeout, "D")
        if not timeout_d > 0:
            raise ValidationError(f"timeout == {timeout!r}, must be a positive time span.")
    if timeout_d is not None:
        leave = np.flatnonzero(last & ~is_stop & (t <= obs_end - timeout_d))
    else:
        leave = np.empty(0, dtype=np.int64)
    frm = np.concatenate([np.full(len(s_idx), pos[START]), state[inner], state[leave]])
    to = np.concatenate([state[s_idx], state[inner + 1], np.full(len(leave), pos[NULL])])
    unit = np.concatenate([cust[s_idx], cust[inner], cust[leave]])
    t_from = np.concatenate([np.full(len(s_idx), np.nan), t[inner], t[leave]])
    gap = np.concatenate([np.full(len(s_idx), np.nan), t[inner + 1] - t[inner],
                          np.full(len(leave), np.nan)])
    info: dict[str, Any] = {
        "sequence": by,
        "purchase": purchase,
        "timeout": None if timeout is None else str(timeout),
        "n_customers": int(cust.max()) + 1 if n else 0,
        "n_events": n,
        "n_lives": int(life_start.sum()),
        "comebacks": int(prev_stop.sum()),
        "stop_events_outside_lives": int(orphan.sum()),
        "silent_leaves": len(leave),
        "censored_customers": int((last & ~is_stop).sum() - len(leave)),
        "censored_recent": 0,
    }
    if censor_recent and timeout_d is not None:
        recent = t_from > obs_end - timeout_d  # NaN (start) compares False: kept
        info["censored_recent"] = int(recent.sum())
        frm, to, unit, gap = frm[~recent], to[~recent], unit[~recent], gap[~recent]
    order = np.lexsort((np.arange(len(unit)), unit))
    return _Sequences(states, frm[order], to[order], unit[order], gap[order],
                      np.asarray(log.customers), info)


# ---------------------------------------------------------------------------- linear algebra
def _restart(m: np.ndarray, start: int, leave: int) -> np.ndarray:
    out = m.copy()
    out[leave] = 0
    out[leave, start] = 1
    return out


def _stationary(m: np.ndarray) -> np.ndarray:
    """pi = pi P, sum 1, for an irreducible chain (works with complex entries)."""
    k = len(m)
    a = (m.T - np.eye(k)).astype(m.dtype)
    a[-1] = 1
    b = np.zeros(k, dtype=m.dtype)
    b[-1] = 1
    return np.linalg.solve(a, b)


def _passage(m: np.ndarray, d: np.ndarray, source: int, target: int) -> np.ndarray:
    """[P(reach target at a step >= 1), E[steps | reach], E[days | reach]] from ``source``.

    ``h_C = (I - P_CC)^-1 P_Ct`` over the states C that can reach the target, ``u = N h``
    (``E[T 1{reach}]``) and ``v = N r`` with ``r_j = sum_k P_jk d_jk h_k`` (``E[D 1{reach}]``);
    from the source one step of each. Complex entries pass through (complex-step derivatives).
    """
    k = len(m)
    can = _reaching(np.abs(m.real) > 0, [target])
    can[target] = False
    c = np.flatnonzero(can)
    hfull = np.zeros(k, dtype=m.dtype)
    hfull[target] = 1
    u = np.zeros(k, dtype=m.dtype)
    v = np.zeros(k, dtype=m.dtype)
    r = np.zeros(k, dtype=m.dtype)
    if len(c):
        a = np.eye(len(c)) - m[np.ix_(c, c)]
        hc = np.linalg.solve(a, m[c, target])
        hfull[c] = hc
        r = (m * d) @ hfull
        u[c] = np.linalg.solve(a, hc)
        v[c] = np.linalg.solve(a, r[c])
    else:
        r = (m * d) @ hfull
    h_s = m[source] @ hfull
    u_s = h_s + m[source, c] @ u[c]
    v_s = r[source] + m[source, c] @ v[c]
    den = h_s if abs(h_s) > 0 else np.nan
    return np.array([h_s, u_s / den, v_s / den])


# ---------------------------------------------------------------------------- results
@result_dataclass
class Passage(Result):
    """Passage from one state to another in one customer's life, with intervals
    (:meth:`LifecycleChain.passage`).

    ``table`` (and ``summary()``) is indexed by quantity: ``probability`` (of ever reaching
    ``target`` at a step >= 1 from ``origin``, before leaving), ``steps`` and ``days``
    (expected steps and time to reach it, given that it is reached), with ``estimate``,
    ``se``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
    ...                       ("a", "(null)"): 4, ("(conversion)", "a"): 3,
    ...                       ("(conversion)", "(null)"): 3})
    >>> lc.repeat_purchase()
    Passage(origin='(conversion)', target='(conversion)', probability=0.3, method='delta', alpha=0.05)
    """

    origin: str
    target: str
    table: pd.DataFrame
    method: str
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def probability(self) -> float:
        """Probability of reaching the target from the origin (at a step >= 1)."""
        return float(self.table.loc["probability", "estimate"])

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"origin": self.origin, "target": self.target, "probability": self.probability,
                "method": self.method, "alpha": self.alpha}

    @property
    def notes(self) -> list[str]:
        """Plain sentences saying why a quantity is undefined (NaN)."""
        t = self.table
        notes = []
        if t.loc["probability", "estimate"] <= 0:
            notes.append(f"{self.target!r} is never reached from {self.origin!r} (probability "
                         "0): the expected steps and days given that it is reached are "
                         "undefined (null).")
        elif not np.isfinite(t.loc["days", "estimate"]):
            notes.append("days are undefined (null): the chain was fitted from counts, which "
                         "carry no event times.")
        bad = ~np.isfinite(t[["se", "ci_low", "ci_high"]].to_numpy(dtype=float))
        bad &= np.isfinite(t[["estimate"]].to_numpy(dtype=float))
        if bad.any():
            notes.append("some intervals are undefined (null): no bootstrap replicate "
                         "defined them.")
        return notes

    def _to_dict(self) -> dict[str, Any]:
        """Strict-JSON content; ``notes`` explain every ``null``."""
        return {"origin": self.origin, "target": self.target,
                "method": self.method, "alpha": self.alpha,
                "quantities": self.table.to_dict(orient="index"),
                "info": dict(self.info), "notes": self.notes}


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
    step_times : DataFrame
        Per observed transition: ``n`` (transitions), ``n_timed`` (with both event times),
        ``mean_days`` and ``var_days`` (sample variance) of the time between the events.

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
    sequences: _Sequences | None = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ basics
    @property
    def states(self) -> tuple[str, ...]:
        return self.fit.states

    @property
    def transition_matrix(self) -> pd.DataFrame:
        return self.chain.frame

    @property
    def start(self) -> str:
        return self.fit.start

    @property
    def leave(self) -> str:
        return self.fit.ends[0]

    def intervals(self, method: str = "wilson", alpha: float = 0.05,
                  **kwargs: Any) -> TransitionIntervals:
        """Intervals for every transition probability; see :meth:`FittedChain.intervals`.

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
            w = np.column_stack([
                np.bincount(g.integers(0, n_units, n_units), minlength=n_units) for g in kids
            ]).astype(float)
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
            for i, j in zip(*np.nonzero((dvar > 0) & timed & np.isfinite(d)), strict=True):
                dc = d.astype(complex)
                dc[i, j] += 1e-30j
                with np.errstate(all="ignore"):
                    g = fun(p.astype(complex), dc).imag / 1e-30
                var = var + np.nan_to_num(g) ** 2 * dvar[i, j]
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
        ``progress``).

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
    data: EventLog | pd.DataFrame | Mapping[tuple[str, str], float],
    *,
    sequence: str = "stage",
    timeout: Any = None,
    restart: bool = False,
    prior: str | float | None = None,
    allowed: Any = None,
    zero_rows: str = "error",
    purchase: str | None = None,
    returning: bool = True,
    censor_recent: bool = True,
    **log_options: Any,
) -> LifecycleChain:
    """Fit the customer life cycle: purchase leads into the next journey (see the module notes).

    Parameters
    ----------
    data : EventLog, DataFrame or count table
        The event log (column options as keywords for a DataFrame), or pre-aggregated counts
        of whole lives (a DataFrame ``from_state``, ``to_state``, ``count`` or a mapping
        ``{(from, to): count}`` with ``(start)`` and ``(null)``); counts have no times (days are
        NaN) and no customers (no bootstrap).
    sequence : {"stage", "channel"}
        Which touch column forms the states (what a life is a sequence of).
    timeout : time span, optional
        Silence that means the customer has left (``"30D"``, or a number for numeric logs);
        logs without ``drop_out``/``churn`` events need one.
    restart : bool
        Send ``(null)`` back to ``(start)``, making the chain irreducible (stationary
        distribution, recurrence times).
    prior, allowed, zero_rows
        As in :func:`cjmodels.markov.fit_chain` (prior pseudo-counts, the graph of allowed
        transitions, states that are never left).
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
    censor_recent : bool
        With a ``timeout``, leave out transitions out of events in the last ``timeout`` of the
        window (default True; see the module notes).

    Returns
    -------
    LifecycleChain

    Examples
    --------
    Two customers: one buys, comes back through ``b`` and buys again, then leaves; one leaves
    after ``a`` (a 5-day timeout; the window ends on day 30).

    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 1, 1, 2],
    ...                    "timestamp": [0.0, 1, 2, 4, 6, 7, 3],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch",
    ...                              "conversion", "touch"],
    ...                    "stage": ["a", "b", None, "c", "b", None, "a"]})
    >>> lc = lifecycle_chain(df, timeout=5, observation_end=30.0)
    >>> lc.states
    ('(start)', 'a', 'b', '(conversion)', 'b (returning)', 'c (returning)', '(null)')
    >>> lc.transition_matrix.loc["(conversion)", ["c (returning)", "(null)"]].tolist()
    [0.5, 0.5]
    >>> lc.repeat_purchase().probability
    0.5
    >>> lifecycle_chain(df, timeout=5, observation_end=30.0, returning=False).states
    ('(start)', 'a', 'b', 'c', '(conversion)', '(null)')
    """
    check_scalar(restart, "restart", typ=bool)
    if isinstance(data, Mapping) or (
        isinstance(data, pd.DataFrame)
        and {"from_state", "to_state", "count"} <= set(data.columns)
    ):
        return _from_counts(data, restart=restart, prior=prior, allowed=allowed,
                            zero_rows=zero_rows, purchase=purchase)
    log = as_event_log(data, **log_options)
    sq = _sequences(log, sequence, timeout, purchase, censor_recent, returning)
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
