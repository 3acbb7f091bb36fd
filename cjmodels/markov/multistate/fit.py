"""Fitting a continuous-time multi-state model to panel data by maximum likelihood
(:func:`fit_multistate`), crude initial intensities and likelihood-ratio tests between fits.
The model and its conventions are described in :mod:`cjmodels.markov.multistate`."""


import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar
from cjmodels._optim import maximum_likelihood
from cjmodels._threads import one_blas_thread as _one_blas_thread
from cjmodels.data import EventLog
from cjmodels.errors import ValidationError
from cjmodels.markov.multistate.likelihood import Design
from cjmodels.markov.multistate.panel import OBSTYPES, PanelData, QSpec, panel_data, parse_qmatrix
from cjmodels.markov.multistate.results import WIDE_SE, FittedMultiState
from cjmodels.results import HypothesisTest

__all__ = [
    "OBSTYPES",
    "FittedMultiState",
    "PanelData",
    "WIDE_SE",
    "crude_qmatrix",
    "fit_multistate",
    "lrtest",
    "panel_data",
    "parse_qmatrix",
]


def _covariate_targets(
    spec: QSpec, covariates: Sequence[str] | Mapping[Any, Sequence[str]] | None
) -> tuple[list[str], list[tuple[int, int]]]:
    """Covariate names and (covariate, transition) effect pairs in msm's parameter order."""
    trans = spec.transitions
    if covariates is None:
        return [], []
    if isinstance(covariates, str):
        covariates = [covariates]
    if not isinstance(covariates, Mapping):
        names = list(dict.fromkeys(covariates))
        return names, [(c, j) for c in range(len(names)) for j in range(len(trans))]
    lookup = {str(s): i for i, s in enumerate(spec.states)}
    per_trans: dict[int, list[str]] = {}
    names: list[str] = []
    for key, cols in covariates.items():
        if isinstance(key, str) and "-" in key and not isinstance(key, tuple):
            a, b = key.split("-", 1)
        elif isinstance(key, tuple) and len(key) == 2:
            a, b = key
        else:
            raise ValidationError(
                f"covariates: key {key!r} must name a transition as (from, to) or 'from-to'."
            )
        ia, ib = lookup.get(str(a).strip()), lookup.get(str(b).strip())
        if ia is None or ib is None or (ia, ib) not in trans:
            raise ValidationError(
                f"covariates: {key!r} is not an allowed transition of qmatrix; allowed are "
                f"{[spec.label(r, s) for r, s in trans]}."
            )
        cols = [cols] if isinstance(cols, str) else list(cols)
        per_trans[trans.index((ia, ib))] = cols
        names.extend(c for c in cols if c not in names)
    targets = [
        (c, j) for c, name in enumerate(names) for j in range(len(trans))
        if name in per_trans.get(j, [])
    ]
    return names, targets


def fit_multistate(
    data: pd.DataFrame | EventLog | PanelData,
    qmatrix: Any = None,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    stage: str = "stage",
    covariates: Sequence[str] | Mapping[Any, Sequence[str]] | None = None,
    states: Sequence[Any] | None = None,
    center: bool = True,
    censor: Any = None,
    censor_states: Any = None,
    deathexact: bool | Sequence[Any] | None = None,
    exacttimes: bool = False,
    obstype: str | None = None,
    unit: str = "D",
    gtol: float = 1e-5,
    maxiter: int = 1000,
) -> FittedMultiState:
    """Fit a continuous-time Markov multi-state model to panel data by maximum likelihood.

    The likelihood is that of Kalbfleisch & Lawless (1985) as msm computes it (Jackson 2011):
    the product over consecutive observations of the transition probabilities
    ``P(t_j - t_{j-1}) = expm(Q (t_j - t_{j-1}))`` (summed over the possible states of a
    censored observation, and with msm's forms for exact times), maximised by BFGS with the
    analytic gradient over the log intensities and log hazard ratios. The conventions
    (parameter order, centring, observation types, standard errors) are those of
    :mod:`cjmodels.markov.multistate`.

    Parameters
    ----------
    data : DataFrame, EventLog or PanelData
        Observations, one row per (customer, timestamp, stage); see :func:`panel_data`. A
        :class:`PanelData` is used as it is (its ``qmatrix``, covariates and observation scheme
        were fixed when it was built; the options below that build it are then ignored, and
        ``covariates`` may only choose among its covariates).
    qmatrix : array-like or DataFrame
        Allowed transitions with initial intensities, as msm's ``qmatrix`` (see
        :func:`parse_qmatrix`); required unless ``data`` is a :class:`PanelData`. The initial
        values are where BFGS starts; :func:`crude_qmatrix` gives sensible ones.
    customer, timestamp, stage : str
        Column names of a DataFrame: the customer, the numeric time of the observation and the
        observed stage (the state of the model).
    covariates : sequence of str or mapping, optional
        Covariates on every allowed intensity (a list of columns), or per transition
        (``{("1", "2"): ["sex"], "1-4": ["sex"]}``, msm's named list of formulae). Each
        covariate adds one log hazard ratio per transition it acts on.
    states : sequence, optional
        State labels for an array ``qmatrix`` (default ``1..K``).
    center : bool
        Centre covariates at their means over the intervals used (msm's default), so that the
        baseline intensities are those of an average customer; ``False`` makes them those of a
        customer whose covariates are all 0.
    censor : scalar or sequence, optional
        Code(s) in the stage column for an observation known only to be in one of
        ``censor_states`` (msm's ``censor``); see :func:`panel_data`.
    censor_states : sequence or mapping, optional
        The states a censored observation may be in (default: every non-absorbing state, as
        msm); see :func:`panel_data`.
    deathexact : bool or sequence, optional
        Absorbing states whose entry time is known exactly, the state just before it unknown
        (msm's ``deathexact``; ``True``: all absorbing states).
    exacttimes : bool
        Every observation is an exact transition time (msm's ``exacttimes``).
    obstype : str, optional
        Column with msm's observation type of each row (1, 2 or 3, see :data:`OBSTYPES`); it
        overrides ``exacttimes`` and ``deathexact``.
    unit : str
        Time unit of an :class:`~cjmodels.data.EventLog`'s timestamps (``"D"`` days, ``"h"``
        hours, ...); the intensities are then per this unit. Ignored for a DataFrame, whose
        timestamps are numbers in their own unit.
    gtol : float
        BFGS stops when the largest absolute gradient of the log-likelihood is below this.
    maxiter : int
        Maximum number of BFGS iterations.

    Returns
    -------
    FittedMultiState
        The fitted model: estimates, covariance, log-likelihood and the extractors
        (:meth:`~FittedMultiState.qmatrix`, :meth:`~FittedMultiState.pmatrix`,
        :meth:`~FittedMultiState.sojourn`, :meth:`~FittedMultiState.hazard_ratios`, ...). Its
        ``problems`` lists non-convergence, a Hessian that is not positive definite or nearly
        singular, and parameters with absurdly wide intervals; each is also warned about.

    Raises
    ------
    ValidationError
        Invalid data or ``qmatrix`` (see :func:`panel_data`), a missing ``qmatrix``, a
        covariate mapping naming a transition that is not allowed, or observed intervals that
        have probability zero under ``qmatrix``.

    Warns
    -----
    UserWarning
        When the fit has problems (see Returns).

    See Also
    --------
    lrtest : Likelihood-ratio test between two nested fits.
    crude_qmatrix : Initial intensities from the data.

    References
    ----------
    Jackson, C. H. (2011). Multi-state models for panel data: the msm package for R. Journal
    of Statistical Software 38(8). Kalbfleisch, J. D. & Lawless, J. F. (1985). The analysis of
    panel data under a Markov assumption. JASA 80(392).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [0, 1, 0, 2, 0, 1.5],
    ...                    "s": ["a", "b", "a", "a", "a", "b"]})
    >>> q = pd.DataFrame([[0, 1.0], [0, 0]], index=["a", "b"], columns=["a", "b"])
    >>> fit = fit_multistate(df, q, customer="id", timestamp="t", stage="s")
    >>> fit.sojourn()[["estimate"]].round(3)
           estimate
    state
    a         1.538
    """
    check_scalar(gtol, "gtol", typ=float, gt=0)
    check_scalar(maxiter, "maxiter", typ=int, ge=1)
    if isinstance(data, PanelData):
        panel = data
        cov_names = list(panel.covariate_names)
        if covariates is not None:
            names, targets = _covariate_targets(panel.spec, covariates)
            missing = [c for c in names if c not in cov_names]
            if missing:
                raise ValidationError(f"covariates {missing} are not in the panel data; it has "
                                      f"{cov_names}.")
            targets = [(cov_names.index(names[c]), j) for c, j in targets]
        else:
            targets = [(c, j) for c in range(len(cov_names))
                       for j in range(len(panel.spec.transitions))]
        names = cov_names
    else:
        if qmatrix is None:
            raise ValidationError("qmatrix is required: declare the allowed transitions and "
                                  "initial intensities, e.g. [[0, 0.1], [0, 0]].")
        spec = parse_qmatrix(qmatrix, states)
        names, targets = _covariate_targets(spec, covariates)
        panel = panel_data(
            data, spec, customer=customer, timestamp=timestamp, stage=stage, covariates=names,
            censor=censor, censor_states=censor_states, deathexact=deathexact,
            exacttimes=exacttimes, obstype=obstype, unit=unit,
        )
    spec = panel.spec
    design = Design(panel, targets, center)
    trans = spec.transitions
    theta0 = np.r_[np.log(spec.init[spec.allowed]), np.zeros(len(targets))]
    # equal exit rates along a progressive chain make Q defective (no eigenbasis); a tiny
    # deterministic spread of the starting values keeps the fast path (the MLE is unaffected)
    q0 = design.qmatrix_at(theta0, np.zeros(len(names)))
    _, u0 = np.linalg.eig(q0)
    if not np.linalg.cond(u0) < 1e8:
        theta0[: len(trans)] += 0.01 * np.arange(len(trans)) / len(trans)

    contrib = design.contributions(theta0)
    zero = np.flatnonzero(contrib <= 0)
    if len(zero):
        i = zero[0]
        first = np.flatnonzero(~panel.first)[i]
        raise ValidationError(
            f"{len(zero)} observed intervals have probability zero under qmatrix, e.g. customer "
            f"{panel.customer[first]!r} from time {panel.timestamp[first - 1]:g} to "
            f"{panel.timestamp[first]:g}. Allow the moves they need in qmatrix."
        )

    # maximum likelihood and the observed information (central differences of the analytic
    # gradient, steps 1e-4 max(1, |theta|)): the package's one helper
    with _one_blas_thread():
        res = maximum_likelihood(design.loglik, theta0, gtol=gtol, maxiter=maxiter,
                                 finite_only=False, rel_step=1e-4, min_scale=1.0)
    theta, ll, grad, hess = res.x, res.log_likelihood, res.gradient, res.information
    p = len(theta)
    problems: list[str] = []
    converged = bool(np.all(np.isfinite(grad)) and np.max(np.abs(grad)) < 1e-2)
    if not converged:
        problems.append(f"optimiser did not converge ({res.message}; max |gradient| "
                        f"{np.max(np.abs(grad)):.3g})")
    ev = np.linalg.eigvalsh(hess) if np.all(np.isfinite(hess)) else np.array([np.nan])
    if not np.all(np.isfinite(ev)) or ev.min() <= 0:
        problems.append("the Hessian is not positive definite: the maximum is not unique or "
                        "not reached; standard errors are unreliable")
        w, vec = np.linalg.eigh(np.nan_to_num(hess))
        inv_w = np.where(w > 1e-12 * max(w.max(), 1e-300), 1 / np.where(w > 0, w, 1), 0.0)
        cov = (vec * inv_w) @ vec.T
        cov[:, ~np.isfinite(np.diag(cov))] = np.nan
    else:
        if ev.min() < 1e-10 * ev.max():
            problems.append(f"the Hessian is nearly singular (condition number "
                            f"{ev.max() / ev.min():.2g})")
        try:
            cov = np.linalg.inv(hess)
        except np.linalg.LinAlgError:  # singular to working precision: the pseudo-inverse
            w, vec = np.linalg.eigh(hess)
            cov = (vec * np.where(w > 1e-12 * w.max(), 1 / np.where(w > 0, w, 1), 0.0)) @ vec.T
    param_names = [spec.label(r, s) for r, s in trans] + [
        f"{names[c]}: {spec.label(*trans[j])}" for c, j in targets]
    se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    wide = [param_names[i] for i in range(p) if not se[i] <= WIDE_SE]
    if wide:
        problems.append(
            f"parameters with absurdly wide intervals (not identified by these data): "
            f"{', '.join(wide)}; simplify the model (fewer covariate effects, fewer transitions)"
        )
    if problems:
        warnings.warn("fit_multistate: " + "; ".join(problems), UserWarning, stacklevel=2)
    return FittedMultiState(
        states=spec.states,
        transitions=tuple((spec.states[r], spec.states[s]) for r, s in trans),
        params=theta,
        param_names=tuple(param_names),
        cov=cov,
        log_likelihood=float(ll),
        covariate_names=tuple(names),
        covariate_effects=tuple(
            (names[c], (spec.states[trans[j][0]], spec.states[trans[j][1]])) for c, j in targets
        ),
        covariate_means=design.cov_means,
        center=bool(center),
        converged=converged,
        n_iter=res.n_iter,
        message=str(res.message),
        problems=tuple(problems),
        hessian=hess,
        panel=panel,
        design=design,
    )


def crude_qmatrix(data: PanelData, allowed: Any = None) -> pd.DataFrame:
    """Crude initial intensities from panel data, as msm's ``crudeinits.msm``.

    For each allowed transition ``r -> s``: the number of consecutive observations in ``r`` then
    ``s``, divided by the total length of the intervals that start in ``r`` (as if every
    transition happened at most once per interval and was seen). Allowed transitions never seen
    directly get half a count, so every declared move stays allowed.

    Parameters
    ----------
    data : PanelData
        The observations (from :func:`panel_data`).
    allowed : array-like, optional
        Boolean ``(K, K)`` mask of allowed transitions; default ``data.spec.allowed``.

    Returns
    -------
    pandas.DataFrame
        ``(K, K)`` intensities, index and columns the state labels, zero on the diagonal and
        where a transition is not allowed (msm's ``crudeinits.msm`` puts minus the row sums on
        the diagonal; :func:`fit_multistate` ignores the diagonal). Pass it as ``qmatrix``.

    Raises
    ------
    ValidationError
        When ``data`` is not a :class:`PanelData`.

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [0, 2.0, 0, 2.0], "s": [1, 2, 1, 1]})
    >>> pdat = panel_data(df, [[0, 1], [0, 0]], customer="id", timestamp="t", stage="s")
    >>> crude_qmatrix(pdat).round(3).to_numpy().tolist()
    [[0.0, 0.25], [0.0, 0.0]]
    """
    if not isinstance(data, PanelData):
        raise ValidationError(
            f"data must be PanelData (from panel_data), got {type(data).__name__}."
        )
    panel = data
    spec = panel.spec
    mask = spec.allowed if allowed is None else np.asarray(allowed, dtype=bool)
    k = spec.n_states
    first = panel.first
    nxt = np.flatnonzero(~first)
    a, b = panel.stage[nxt - 1], panel.stage[nxt]
    dt = panel.timestamp[nxt] - panel.timestamp[nxt - 1]
    known = (a >= 0) & (b >= 0)
    counts = np.zeros((k, k))
    np.add.at(counts, (a[known], b[known]), 1.0)
    at_risk = np.bincount(a[a >= 0], weights=dt[a >= 0], minlength=k)
    q = np.where(mask, np.maximum(counts, 0.5), 0.0)
    q = q / np.where(at_risk > 0, at_risk, 1.0)[:, None]
    np.fill_diagonal(q, 0.0)
    return pd.DataFrame(q, index=pd.Index(spec.states), columns=pd.Index(spec.states))


def lrtest(restricted: FittedMultiState, full: FittedMultiState) -> HypothesisTest:
    """Likelihood-ratio test of a model against a larger one that nests it (msm's ``lrtest.msm``).

    The statistic ``2 (log L_full - log L_restricted)`` is referred to a chi-square
    distribution with as many degrees of freedom as the full model has extra parameters. That
    the restricted model is nested in the full one (e.g. the same ``qmatrix`` without some
    covariate effects) is the caller's to ensure; it is not checked beyond the number of
    parameters and the sign of the statistic.

    Parameters
    ----------
    restricted : FittedMultiState
        The smaller model (fewer parameters).
    full : FittedMultiState
        The larger model that nests it, fitted to the same observations.

    Returns
    -------
    HypothesisTest
        Method ``"likelihood-ratio"``: ``statistic`` is ``2 (log L_full - log L_restricted)``
        (msm's ``-2 log LR``), ``df`` the number of extra parameters, ``pvalue`` the upper
        chi-square tail; ``info`` holds both log-likelihoods and numbers of parameters.

    Raises
    ------
    ValidationError
        When either argument is not a :class:`FittedMultiState`, the two were fitted to
        different observations, ``full`` does not have more parameters, or ``full`` fits
        worse than ``restricted`` (not nested, or not converged).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...                    "t": [0, 1, 0, 2, 0, 1.5, 0, 1, 0, 3, 0, 0.5],
    ...                    "s": [1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1],
    ...                    "x": [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]})
    >>> cols = {"customer": "id", "timestamp": "t", "stage": "s"}
    >>> small = fit_multistate(df, [[0, 1.0], [0, 0]], **cols)
    >>> big = fit_multistate(df, [[0, 1.0], [0, 0]], covariates=["x"], **cols)
    >>> lrtest(small, big)
    HypothesisTest(method='likelihood-ratio', statistic=0.1344, df=1, pvalue=0.7139)
    """
    for name, f in (("restricted", restricted), ("full", full)):
        if not isinstance(f, FittedMultiState):
            raise ValidationError(f"{name} must be a FittedMultiState, got {type(f).__name__}.")
    a, b = restricted.panel, full.panel
    same = (
        a.n_observations == b.n_observations
        and np.array_equal(a.timestamp, b.timestamp)
        and np.array_equal(a.possible, b.possible)
        and np.array_equal(a.obstype, b.obstype)
    )
    if not same:
        raise ValidationError("lrtest: the two models were fitted to different observations; "
                              "a likelihood-ratio test needs the same data.")
    df = full.n_params - restricted.n_params
    if df <= 0:
        raise ValidationError(
            f"lrtest: the full model has {full.n_params} parameters and the restricted one "
            f"{restricted.n_params}; pass the smaller (nested) model first."
        )
    stat = 2.0 * (full.log_likelihood - restricted.log_likelihood)
    if stat < -1e-6 * max(1.0, abs(full.log_likelihood)):
        raise ValidationError(
            f"lrtest: the full model fits worse than the restricted one (2 log LR = {stat:.4g}); "
            "the models are not nested or the full fit did not converge."
        )
    stat = max(stat, 0.0)
    return HypothesisTest(
        statistic=float(stat), df=int(df), pvalue=float(stats.chi2.sf(stat, df)),
        method="likelihood-ratio",
        hypothesis=(f"the restricted model ({restricted.n_params} parameters) fits as well as "
                    f"the full model ({full.n_params} parameters)"),
        info={"log_likelihood_restricted": restricted.log_likelihood,
              "log_likelihood_full": full.log_likelihood,
              "n_params_restricted": restricted.n_params, "n_params_full": full.n_params},
    )
