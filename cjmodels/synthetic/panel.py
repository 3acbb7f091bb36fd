"""Panel observations of a known continuous-time journey: stages seen only at snapshots.

The world
---------
Every customer enters at the first stage of a funnel (by default the pre-purchase stages of a
:class:`~cjmodels.data.StageScheme` and its purchase stage) at a time uniform over the first half
of the window, and moves as a continuous-time Markov chain with intensity matrix ``Q`` (per day):
forward one stage, back one stage where allowed, or drop out; purchase and drop-out are
absorbing. A binary covariate ``returning`` (a returning customer, probability
``p_returning``) multiplies chosen intensities by known hazard ratios.

Nobody sees the moves. The CRM takes snapshots of each customer's stage at irregular times: the
gaps between snapshots are exponential with mean ``mean_gap_days``, from entry until the end of
the window (so the last snapshot is a censoring time). Purchases and drop-outs are logged at their
exact time (a ``conversion`` or ``drop_out`` event, msm's ``deathexact``) when ``exact_absorbing``
is true; otherwise they are only seen at the next snapshot. Nothing is recorded after absorption.

Events: ``customer_id``, ``timestamp``, ``event`` (``touch`` for a snapshot, ``conversion``,
``drop_out``), ``stage`` (the observed stage; ``"drop_out"`` on drop-outs), ``returning`` (0/1).
The truth holds ``Q`` at ``returning = 0``, the log hazard ratios, and ``P(t)`` at a few times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from cjmodels._checks import as_generator, check_scalar
from cjmodels.data.stages import StageScheme, get_scheme
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = ["DROP_OUT", "PanelWorld", "default_panel_qmatrix", "simulate_panel"]

DROP_OUT = "drop_out"


def default_panel_qmatrix(scheme: str | StageScheme = "seven") -> pd.DataFrame:
    """The default true intensities (per day) through a scheme's pre-purchase stages.

    The states are the scheme's pre-purchase stages, its purchase stage and ``"drop_out"``. From
    pre-purchase stage ``i`` of ``n`` (counting from 0) the intensity forward, to the next stage
    (to purchase from the last one), falls linearly from 0.10 to 0.04 per day along the funnel;
    the intensity of dropping out rises linearly from 0.02 to 0.06 per day; and from the third
    stage on (``i >= 2``) a customer falls back one stage at 0.02 per day. Purchase and drop-out
    are absorbing (zero rows).

    Parameters
    ----------
    scheme : str or StageScheme, default "seven"
        A stage scheme or the name of a built-in one (``"seven"``, ``"six"``, ``"five"``); see
        :func:`cjmodels.data.get_scheme`.

    Returns
    -------
    pandas.DataFrame
        The off-diagonal intensities per day, states as index and columns (the first state is
        the entry state); the diagonal is zero, not minus the row sum.

    Raises
    ------
    cjmodels.errors.ValidationError
        If ``scheme`` is not a known scheme.

    See Also
    --------
    simulate_panel : Simulates snapshots from these intensities by default.

    Examples
    --------
    >>> q = default_panel_qmatrix("five")
    >>> list(q.index)
    ['need', 'search_evaluation', 'purchase', 'drop_out']
    >>> print(q.loc["need", "search_evaluation"], q.loc["search_evaluation", "drop_out"])
    0.1 0.06
    """
    sch = get_scheme(scheme)
    pre = list(sch.pre_purchase)
    states = pre + [sch.purchase, DROP_OUT]
    k = len(states)
    q = np.zeros((k, k))
    n = len(pre)
    for i in range(n):
        q[i, i + 1] = 0.10 - 0.06 * i / max(n - 1, 1)   # forward (to purchase from the last)
        q[i, k - 1] = 0.02 + 0.04 * i / max(n - 1, 1)   # drop out
        if i >= 2:
            q[i, i - 1] = 0.02                            # fall back one stage
    return pd.DataFrame(q, index=states, columns=states)


@result_dataclass
class PanelWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_panel`, with the true model at hand.

    Its methods give the true intensity matrix ``Q`` and transition probabilities ``P(t)`` at a
    value of the covariate ``returning``, the true parameter vector in msm's order, and the
    options of :func:`cjmodels.markov.fit_multistate` that match the world.

    Attributes
    ----------
    name : str
        ``"panel"``.
    events : pandas.DataFrame
        One row per snapshot or absorption: ``customer_id`` (1 to ``n_customers``),
        ``timestamp``, ``event`` (``"touch"`` for a snapshot, ``"conversion"``,
        ``"drop_out"``), ``stage`` (the state seen) and ``returning`` (0 or 1).
    truth : dict
        ``states``, ``qmatrix`` (``Q`` at ``returning = 0``, per day, diagonal minus the row
        sums), ``effect_transitions`` and ``log_hr`` (the covariate's log hazard ratios, in the
        row-major order of ``Q``), ``p_returning``, ``pmatrix`` (``P(t)`` at 7, 30 and 90
        days), ``n_absorbed`` (customers absorbed in each absorbing state, whether seen or not)
        and ``n_snapshots``.
    params : dict
        The arguments of :func:`simulate_panel` (``scheme`` is None when ``qmatrix`` was given;
        ``random_state`` is None unless it was an int).
    tables : dict of str to DataFrame
        ``"qmatrix"``: the true ``Q`` at ``returning = 0`` as a labelled table.
    event_log_options : dict
        ``{"covariates": ["returning"]}``, for :meth:`event_log`.

    See Also
    --------
    simulate_panel : Builds this world.
    cjmodels.markov.fit_multistate : Fits the model back from the snapshots.

    Examples
    --------
    >>> w = simulate_panel(50, random_state=1)
    >>> w
    PanelWorld(name='panel', n_events=198, n_customers=50)
    >>> w.states[-2:]
    ['purchase', 'drop_out']
    """

    @property
    def states(self) -> list[str]:
        """Names of the states, in the order of the rows and columns of ``Q``."""
        return list(self.truth["states"])

    def true_qmatrix(self, returning: float = 0.0) -> pd.DataFrame:
        """The true intensity matrix at a value of the covariate.

        Each transition with an effect is multiplied by ``exp(log_hr * returning)``; the
        diagonal is minus the row sums.

        Parameters
        ----------
        returning : float, default 0.0
            Value of the covariate ``returning`` (0 for a new customer, 1 for a returning one).

        Returns
        -------
        pandas.DataFrame
            ``Q`` per day, states as index and columns; absorbing rows are zero.

        Examples
        --------
        >>> w = simulate_panel(50, random_state=1)
        >>> q = w.true_qmatrix(returning=1)
        >>> print(round(q.loc["decision", "purchase"], 3), round(q.loc["decision", "decision"], 3))
        0.08 -0.16
        """
        q0 = np.array(self.truth["qmatrix"], dtype=float)
        q = q0.copy()
        effects = zip(self.truth["effect_transitions"], self.truth["log_hr"], strict=True)
        for (a, b), beta in effects:
            i, j = self.states.index(a), self.states.index(b)
            q[i, j] = q0[i, j] * np.exp(beta * returning)
        np.fill_diagonal(q, 0.0)
        np.fill_diagonal(q, -q.sum(axis=1))
        return pd.DataFrame(q, index=self.states, columns=self.states)

    def true_pmatrix(self, t: float, returning: float = 0.0) -> pd.DataFrame:
        """True transition probabilities ``P(t) = expm(Q t)``.

        Parameters
        ----------
        t : float
            Time in days.
        returning : float, default 0.0
            Value of the covariate ``returning``.

        Returns
        -------
        pandas.DataFrame
            Probability of being in each column state ``t`` days after being in the row state;
            rows sum to 1.

        Examples
        --------
        >>> w = simulate_panel(50, random_state=1)
        >>> p = w.true_pmatrix(30)
        >>> print(round(p.loc["awareness", "drop_out"], 3), round(p.loc["awareness"].sum(), 6))
        0.623 1.0
        """
        q = self.true_qmatrix(returning).to_numpy()
        return pd.DataFrame(linalg.expm(q * t), index=self.states, columns=self.states)

    @property
    def true_params(self) -> np.ndarray:
        """True parameters in msm's order for an uncentred fit with the covariate on the effect transitions.

        Log intensities of the allowed transitions (row-major), then the log hazard ratios (as
        with msm's ``center=False``).
        """
        q0 = np.array(self.truth["qmatrix"], dtype=float)
        np.fill_diagonal(q0, 0.0)
        return np.r_[np.log(q0[q0 > 0]), np.array(self.truth["log_hr"], dtype=float)]

    def fit_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`cjmodels.markov.fit_multistate` that match the world.

        Returns
        -------
        dict
            ``qmatrix`` (the allowed transitions, each with initial value 0.05), ``covariates``
            (``["returning"]`` on each transition with an effect, or None), ``unit="D"`` and,
            when the world logs absorptions at their exact time, ``deathexact=True``. Pass
            them with :meth:`event_log` to :func:`cjmodels.markov.fit_multistate`.

        Examples
        --------
        >>> w = simulate_panel(50, random_state=1)
        >>> sorted(w.fit_options())
        ['covariates', 'deathexact', 'qmatrix', 'unit']
        """
        q0 = np.array(self.truth["qmatrix"], dtype=float)
        np.fill_diagonal(q0, 0.0)
        init = pd.DataFrame(np.where(q0 > 0, 0.05, 0.0), index=self.states, columns=self.states)
        cov = {tuple(tr): ["returning"] for tr in self.truth["effect_transitions"]}
        opts: dict[str, Any] = {"qmatrix": init, "covariates": cov or None, "unit": "D"}
        if self.params["exact_absorbing"]:
            opts["deathexact"] = True
        return opts


def simulate_panel(
    n_customers: int = 2000,
    *,
    scheme: str | StageScheme = "seven",
    qmatrix: pd.DataFrame | None = None,
    hazard_ratios: Mapping[tuple[str, str], float] | None = None,
    p_returning: float = 0.3,
    mean_gap_days: float = 14.0,
    days: float = 180.0,
    exact_absorbing: bool = True,
    start: Any = "2025-01-01",
    random_state: int | np.random.Generator | None = None,
) -> PanelWorld:
    """Simulate customers moving through stages in continuous time, seen at irregular snapshots.

    Parameters
    ----------
    n_customers : int, default 2000
        Number of customers, each entering at the first state.
    scheme : str or StageScheme, default "seven"
        Stage scheme for the default ``qmatrix`` (its pre-purchase stages and purchase); ignored
        when ``qmatrix`` is given.
    qmatrix : DataFrame, optional
        True intensities per day (off-diagonal; labelled states, absorbing rows zero); default
        :func:`default_panel_qmatrix`. The first state is the entry state.
    hazard_ratios : mapping (from, to) -> float, optional
        Effect of ``returning = 1`` on intensities; default: purchase from the last pre-purchase
        stage x2, drop-out from the first stage x0.5.
    p_returning : float, default 0.3
        Probability that a customer is a returning one (``returning = 1``).
    mean_gap_days : float, default 14.0
        Mean days between snapshots (exponential gaps).
    days : float, default 180.0
        Window length in days; customers enter uniformly over its first half and are observed
        until its end.
    exact_absorbing : bool, default True
        Log purchase and drop-out at their exact time (msm's ``deathexact``); when false, they
        are only seen at the next snapshot.
    start : str or Timestamp, default "2025-01-01"
        Calendar time of day 0 of the window.
    random_state : int, Generator or None, default None
        Seed or generator of every draw; the same int gives the same world.

    Returns
    -------
    PanelWorld
        The snapshots as events, with the true ``Q``, hazard ratios and ``P(t)``.

    Raises
    ------
    cjmodels.errors.ValidationError
        If a number is out of range, ``qmatrix`` is not a square labelled table with finite
        non-negative intensities, a hazard ratio names a transition that is not allowed, or
        ``start`` is not a timestamp.

    Examples
    --------
    >>> w = simulate_panel(50, random_state=1)
    >>> sorted(w.events["event"].unique())
    ['conversion', 'drop_out', 'touch']
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    check_scalar(p_returning, "p_returning", typ=float, ge=0, le=1)
    check_scalar(mean_gap_days, "mean_gap_days", typ=float, gt=0)
    check_scalar(days, "days", typ=float, gt=0)
    t_start = parse_start(start)
    scheme_name = None
    if qmatrix is None:
        scheme_name = get_scheme(scheme).name
        qmatrix = default_panel_qmatrix(scheme)
    if not isinstance(qmatrix, pd.DataFrame) or list(qmatrix.index) != list(qmatrix.columns):
        raise ValidationError("qmatrix must be a DataFrame with the same states as index and "
                              "columns.")
    states = [str(s) for s in qmatrix.index]
    q0 = qmatrix.to_numpy(dtype=float).copy()
    np.fill_diagonal(q0, 0.0)
    if np.any(q0 < 0) or not np.all(np.isfinite(q0)):
        raise ValidationError("qmatrix: off-diagonal intensities must be finite and >= 0.")
    k = len(states)
    absorbing = ~(q0 > 0).any(axis=1)
    if hazard_ratios is None:
        pre_last = states[int(np.flatnonzero(~absorbing)[-1])]
        buy = [s for s in states if q0[states.index(pre_last), states.index(s)] > 0
               and absorbing[states.index(s)] and s != DROP_OUT]
        hazard_ratios = {}
        if buy:
            hazard_ratios[(pre_last, buy[0])] = 2.0
        if DROP_OUT in states and q0[0, states.index(DROP_OUT)] > 0:
            hazard_ratios[(states[0], DROP_OUT)] = 0.5
    eff_tr: list[tuple[str, str]] = []
    log_hr: list[float] = []
    for (a, b), hr in hazard_ratios.items():
        if a not in states or b not in states or q0[states.index(a), states.index(b)] <= 0:
            raise ValidationError(f"hazard_ratios: ({a!r}, {b!r}) is not an allowed transition.")
        check_scalar(hr, f"hazard_ratios[({a!r}, {b!r})]", typ=float, gt=0)
        eff_tr.append((a, b))
        log_hr.append(float(np.log(hr)))
    # effects in qmatrix row-major order (msm's parameter order)
    order = sorted(range(len(eff_tr)), key=lambda m: (states.index(eff_tr[m][0]),
                                                      states.index(eff_tr[m][1])))
    eff_tr = [eff_tr[m] for m in order]
    log_hr = [log_hr[m] for m in order]

    rng = as_generator(random_state)
    seed_used = random_state if isinstance(random_state, int) else None
    n = n_customers
    returning = (rng.random(n) < p_returning).astype(np.int64)
    entry = rng.random(n) * days / 2
    qs = np.stack([q0, q0.copy()])
    for (a, b), beta in zip(eff_tr, log_hr, strict=True):
        qs[1, states.index(a), states.index(b)] *= np.exp(beta)
    rates = qs.sum(axis=2)  # (2, K) exit rates
    # exact paths: jump chain, vectorised over customers
    horizon = days - entry
    cur = np.zeros(n, dtype=np.int64)
    now = np.zeros(n)
    path_t = [np.zeros(n)]
    path_s = [cur.copy()]
    alive = ~absorbing[cur]
    while alive.any():
        idx = np.flatnonzero(alive)
        r = rates[returning[idx], cur[idx]]
        now[idx] += rng.exponential(1.0, len(idx)) / r
        probs = qs[returning[idx], cur[idx]] / r[:, None]
        u = rng.random(len(idx))
        nxt = (u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
        nxt = np.minimum(nxt, k - 1)
        cur[idx] = nxt
        ts = np.full(n, np.inf)
        ss = np.full(n, -1)
        ts[idx] = now[idx]
        ss[idx] = nxt
        path_t.append(ts)
        path_s.append(ss)
        alive = ~absorbing[cur] & (now < horizon)
    pt = np.stack(path_t, axis=1)  # (n, n_jumps + 1) jump times (inf after the end)
    ps = np.stack(path_s, axis=1)
    absorb_time = np.full(n, np.inf)
    absorb_state = np.full(n, -1)
    for j in range(1, pt.shape[1]):
        hit = np.isfinite(pt[:, j]) & (ps[:, j] >= 0) & absorbing[np.maximum(ps[:, j], 0)]
        hit &= ~np.isfinite(absorb_time)
        absorb_time[hit] = pt[hit, j]
        absorb_state[hit] = ps[hit, j]

    def state_at(t: np.ndarray, rows: np.ndarray) -> np.ndarray:
        pos = (pt[rows] <= t[:, None]).sum(axis=1) - 1
        return ps[rows, pos]

    # snapshots: entry, then exponential gaps until the window ends or the customer is absorbed
    rec_c, rec_t, rec_s = [np.arange(n)], [np.zeros(n)], [np.zeros(n, dtype=np.int64)]
    tcur = np.zeros(n)
    open_ = np.ones(n, dtype=bool)
    while open_.any():
        idx = np.flatnonzero(open_)
        tcur[idx] += rng.exponential(mean_gap_days, len(idx))
        gone = tcur[idx] >= horizon[idx]
        absorbed_before = absorb_time[idx] <= np.minimum(tcur[idx], horizon[idx])
        # exact absorption logged at its time
        if exact_absorbing:
            ab = idx[absorbed_before]
            rec_c.append(ab)
            rec_t.append(absorb_time[ab])
            rec_s.append(absorb_state[ab])
            snap = idx[~gone & ~absorbed_before]
        else:
            snap = idx[~gone]
        rec_c.append(snap)
        rec_t.append(tcur[snap])
        rec_s.append(state_at(tcur[snap], snap))
        open_[idx[gone | absorbed_before]] = False
        if not exact_absorbing:
            open_[snap[absorbing[state_at(tcur[snap], snap)]]] = False
    c = np.concatenate(rec_c)
    t = np.concatenate(rec_t)
    s = np.concatenate(rec_s)
    o = np.lexsort((t, c))
    c, t, s = c[o], t[o], s[o]
    labels = np.array(states, dtype=object)
    stage = labels[s]
    purchase_like = absorbing[s] & (labels[s] != DROP_OUT)
    event = np.where(labels[s] == DROP_OUT, "drop_out", np.where(purchase_like, "conversion",
                                                                  "touch"))
    ts = t_start + pd.to_timedelta(np.round((entry[c] + t) * 86400 * 1e6), unit="us")
    events = pd.DataFrame({
        "customer_id": c + 1,
        "timestamp": ts,
        "event": event,
        "stage": stage,
        "returning": returning[c],
    })
    q_full = q0.copy()
    np.fill_diagonal(q_full, -q_full.sum(axis=1))
    times = [7.0, 30.0, 90.0]
    truth = {
        "states": states,
        "qmatrix": q_full.tolist(),
        "effect_transitions": [list(tr) for tr in eff_tr],
        "log_hr": log_hr,
        "p_returning": float(p_returning),
        "pmatrix": {str(tt): linalg.expm(q_full * tt).tolist() for tt in times},
        "n_absorbed": {states[j]: int((absorb_state == j).sum()) for j in np.flatnonzero(
            absorbing)},
        "n_snapshots": int((event == "touch").sum()),
    }
    params = {
        "n_customers": n_customers, "scheme": scheme_name, "p_returning": p_returning,
        "mean_gap_days": mean_gap_days, "days": days,
        "exact_absorbing": bool(exact_absorbing), "start": str(t_start),
        "random_state": seed_used,
    }
    tables = {"qmatrix": pd.DataFrame(q_full, index=states, columns=states)}
    return PanelWorld(name="panel", events=events, truth=truth, params=params, tables=tables,
                      event_log_options={"covariates": ["returning"]})
