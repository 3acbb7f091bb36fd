"""Behavioural segments: a finite mixture of Markov chains over journeys, fitted by EM.

Each journey is a first-order chain over the states of :func:`cjmodels.data.journey_transitions`
(``(start)``, the channels or stages, ``(conversion)``, ``(null)``) whose matrix is that of its
segment; segments are unknown, and the mixture

.. math:: L = \\prod_j \\sum_k \\pi_k \\prod_{a,b} P_k[a, b]^{n_{j,ab}}

is maximised by EM on the per-journey transition counts ``n_j`` (the sufficient statistics).
Journeys with the same counts are one row with a weight, so the work grows with the distinct
journeys, not with the log. :class:`MarkovMixture` is the estimator (several seeded restarts,
optional Dirichlet smoothing, bootstrap intervals over journeys with the segments of every
replicate matched to the fitted ones); :func:`select_n_segments` compares numbers of segments by
BIC and by the log-likelihood of held-out customers; :func:`kmeans_segments` is the baseline
that clusters journeys by their transition (or state) shares; :func:`segment_agreement`
measures how two segmentations agree (adjusted Rand index).
"""

# size: one topic, behavioural segments: the mixture's EM and bootstrap, the choice of the
# number of segments, the k-means baseline and the agreement index that compares them with a
# known segmentation share the same sufficient statistics (_Patterns) and belong together.
from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar, warn_user
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, reweight
from cjmodels.data import JourneySpec, journey_transitions
from cjmodels.errors import ConvergenceError, ValidationError
from cjmodels.results import Estimator, Result, result_dataclass

__all__ = [
    "KMeansSegments",
    "MarkovMixture",
    "MarkovMixtureFit",
    "MixtureConvergenceWarning",
    "SegmentAgreement",
    "SegmentSelection",
    "kmeans_segments",
    "segment_agreement",
    "select_n_segments",
]


class MixtureConvergenceWarning(UserWarning):
    """EM of a :class:`MarkovMixture` reached ``max_iter`` before the log-likelihood settled.

    Examples
    --------
    >>> issubclass(MixtureConvergenceWarning, UserWarning)
    True
    """


# --------------------------------------------------------------------------- the journeys
@dataclass
class _Patterns:
    """Distinct per-journey transition counts: the sufficient statistics of the mixture."""

    states: tuple[str, ...]
    absorbing: tuple[str, ...]
    row: np.ndarray  # pattern of each non-zero count
    cell: np.ndarray  # flat cell (from * S + to) of each non-zero count
    cnt: np.ndarray  # the count
    pattern_of: np.ndarray  # pattern of each journey
    journey_weight: np.ndarray  # weight of each journey (1 for logs)
    unit: np.ndarray  # resampling unit (customer) of each journey
    frame: pd.DataFrame | None  # customer and journey number of each journey (logs)
    info: dict[str, Any] = field(default_factory=dict)
    _design: Any = None

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_patterns(self) -> int:
        return int(self.pattern_of.max()) + 1 if len(self.pattern_of) else 0

    def weights(self, journeys: np.ndarray | None = None) -> np.ndarray:
        """Journeys per pattern (of the selected journeys)."""
        pat, w = self.pattern_of, self.journey_weight
        if journeys is not None:
            pat, w = pat[journeys], w[journeys]
        return np.bincount(pat, weights=w, minlength=self.n_patterns)

    def cell_counts(self, weight: np.ndarray) -> np.ndarray:
        """Pooled counts of every cell, patterns weighted by ``weight``."""
        s2 = self.n_states ** 2
        return np.bincount(self.cell, weights=self.cnt * weight[self.row], minlength=s2)

    @property
    def design(self) -> Any:
        """The patterns x cells matrix of counts (sparse), built once."""
        if self._design is None:
            from scipy import sparse

            self._design = sparse.csr_matrix(
                (self.cnt, (self.row, self.cell)),
                shape=(self.n_patterns, self.n_states ** 2))
        return self._design


def _check_spec(spec: Any) -> JourneySpec:
    return JourneySpec.resolve(spec, default=JourneySpec(sequence="channel"))


def _patterns(data: Any, spec: JourneySpec, log_options: dict[str, Any]) -> _Patterns:
    jt = journey_transitions(data, spec=spec, **log_options)
    js = jt.journey_set
    s = jt.n_states
    n_j = js.n
    key = jt.journey.astype(np.int64) * (s * s) + jt.frm * s + jt.to
    uniq, cnt = np.unique(key, return_counts=True)  # sorted by journey, then cell
    jour, cell = uniq // (s * s), uniq % (s * s)
    # journeys with the same (cell, count) rows form one pattern: rows compared per length
    nnz = np.bincount(jour, minlength=n_j)
    starts = np.zeros(n_j + 1, dtype=np.int64)
    np.cumsum(nnz, out=starts[1:])
    token = cell * (int(cnt.max()) + 1 if len(cnt) else 1) + cnt
    pattern_of = np.empty(n_j, dtype=np.int64)
    first_rows: list[np.ndarray] = []
    next_id = 0
    for length in np.unique(nnz):
        sel = np.flatnonzero(nnz == length)
        if length == 0:
            pattern_of[sel] = next_id
            first_rows.append(sel[:1])
            next_id += 1
            continue
        mat = token[starts[sel][:, None] + np.arange(length)]
        _, first, inv = np.unique(mat, axis=0, return_index=True, return_inverse=True)
        pattern_of[sel] = next_id + inv.ravel()
        first_rows.append(sel[first])
        next_id += len(first)
    rep = np.concatenate(first_rows)  # a journey of each pattern, in pattern order
    lens = nnz[rep]
    take = np.concatenate([np.arange(starts[r], starts[r] + n) for r, n in zip(rep, lens,
                                                                             strict=True)]) \
        if len(rep) else np.empty(0, dtype=np.int64)
    row = np.repeat(np.arange(len(rep)), lens)
    frame = None
    if jt.journey_frame is not None:
        frame = jt.journey_frame[["customer_id", "journey"]].reset_index(drop=True)
    return _Patterns(
        states=tuple(jt.counts.states), absorbing=tuple(jt.counts.absorbing),
        row=row, cell=cell[take].astype(np.int64), cnt=cnt[take].astype(float),
        pattern_of=pattern_of, journey_weight=js.weight.astype(float), unit=jt.unit,
        frame=frame,
        info={"n_journeys": float(js.weight.sum()), "n_patterns": int(len(rep)),
              "n_transitions": float((jt.weight).sum()),
              **({"censored_recent": jt.info["censored_recent"]}
                 if "censored_recent" in jt.info else {})},
    )


# --------------------------------------------------------------------------- EM
@dataclass
class _Params:
    weights: np.ndarray  # (K,)
    matrices: np.ndarray  # (K, S, S)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


def _joint(p: _Patterns, params: _Params) -> np.ndarray:
    """log(pi_k) + log P(pattern | segment k), patterns x segments."""
    k = len(params.weights)
    logm = _log(params.matrices.reshape(k, -1))
    # only the stored (positive) counts multiply: a zero count never meets log(0)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.asarray(p.design @ logm.T, dtype=float).reshape(p.n_patterns, k)
        return out + _log(params.weights)[None, :]


def _posterior(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Responsibilities and the log-likelihood of each pattern (NaN rows: impossible)."""
    with np.errstate(invalid="ignore", over="ignore"):
        m = joint.max(axis=1, keepdims=True)
        finite = np.isfinite(m)
        shift = np.where(finite, m, 0.0)
        e = np.exp(joint - shift)
        tot = e.sum(axis=1, keepdims=True)
        ll = np.where(finite, shift + _log(np.where(tot > 0, tot, 1.0)), -np.inf)[:, 0]
        resp = np.where(finite, e / np.where(tot > 0, tot, 1.0), np.nan)
    return resp, ll


def _m_step(p: _Patterns, resp: np.ndarray, weight: np.ndarray, support: np.ndarray,
            prior: float, pooled: np.ndarray) -> _Params:
    k = resp.shape[1]
    s = p.n_states
    wr = resp * weight[:, None]
    counts = np.asarray(p.design.T @ wr, dtype=float).T.reshape(k, s, s) + prior * support[None]
    rows = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mats = np.where(rows > 0, counts / np.where(rows > 0, rows, 1.0), pooled[None])
    tot = wr.sum(axis=0)
    n = tot.sum()
    weights = tot / n if n > 0 else np.full(k, 1.0 / k)
    return _Params(weights, mats)


def _objective(ll: np.ndarray, weight: np.ndarray, params: _Params, support: np.ndarray,
               prior: float) -> float:
    keep = weight > 0
    val = float(np.dot(ll[keep], weight[keep]))
    if prior > 0:
        with np.errstate(invalid="ignore"):
            val += prior * float(np.sum(_log(params.matrices)[:, support]))
    return val


def _run(p: _Patterns, weight: np.ndarray, params: _Params, support: np.ndarray,
         prior: float, pooled: np.ndarray, max_iter: int, tol: float
         ) -> tuple[_Params, float, int, bool, np.ndarray]:
    """EM from ``params`` until the objective gains less than ``tol`` (relative)."""
    resp, ll = _posterior(_joint(p, params))
    obj = _objective(ll, weight, params, support, prior)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        params = _m_step(p, np.nan_to_num(resp), weight, support, prior, pooled)
        resp, ll = _posterior(_joint(p, params))
        new = _objective(ll, weight, params, support, prior)
        gain = new - obj
        obj = new
        if np.isfinite(obj) and gain <= tol * max(abs(obj), 1.0):
            converged = True
            break
    return params, obj, it, converged, resp


def _canonical(params: _Params) -> np.ndarray:
    """Segments ordered by weight, largest first (ties by their matrices)."""
    k = len(params.weights)
    flat = params.matrices.reshape(k, -1)
    return np.lexsort((*[-flat[:, i] for i in range(flat.shape[1] - 1, -1, -1)],
                       -np.round(params.weights, 12)))


def _n_params(k: int, support: np.ndarray) -> int:
    per_row = support.sum(axis=1)
    return int(k - 1 + k * int(np.maximum(per_row - 1, 0).sum()))


def _absorption(mat: np.ndarray, states: tuple[str, ...], absorbing: tuple[str, ...]
                ) -> np.ndarray:
    """Probability of ending in each absorbing state from (start); NaN when a transient row is
    empty (a state never left in this segment's data)."""
    ab = [states.index(a) for a in absorbing]
    tr = [i for i in range(len(states)) if i not in ab]
    q = mat[np.ix_(tr, tr)]
    r = mat[np.ix_(tr, ab)]
    if not np.allclose(mat[tr].sum(axis=1), 1.0):
        return np.full(len(ab), np.nan)
    with np.errstate(all="ignore"):
        try:
            x = np.linalg.solve(np.eye(len(tr)) - q, r)
        except np.linalg.LinAlgError:
            return np.full(len(ab), np.nan)
    return x[0]


def _fit_em(p: _Patterns, weight: np.ndarray, k: int, *, prior: float, n_init: int,
            init_iter: int, max_iter: int, tol: float, rng: np.random.Generator,
            support: np.ndarray) -> tuple[_Params, float, int, bool, list[float]]:
    s = p.n_states
    pooled_c = p.cell_counts(weight).reshape(s, s) + prior * support
    rows = pooled_c.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(rows > 0, pooled_c / np.where(rows > 0, rows, 1.0), 0.0)
    n_pat = p.n_patterns
    best = None
    starts = []
    gens = rng.spawn(n_init)
    for g in gens:
        resp = g.dirichlet(np.ones(k), size=n_pat)
        params = _m_step(p, resp, weight, support, prior, pooled)
        out = _run(p, weight, params, support, prior, pooled,
                   init_iter if n_init > 1 else max_iter, tol)
        starts.append(out[1])
        if best is None or out[1] > best[1]:
            best = out
    assert best is not None
    params, obj, it, conv, _ = best
    if n_init > 1 and not conv:
        params, obj, it2, conv, _ = _run(p, weight, params, support, prior, pooled, max_iter,
                                         tol)
        it += it2
    if not np.isfinite(obj):
        raise ConvergenceError(
            "EM found no finite log-likelihood for the mixture; try fewer segments, a "
            "smoothing prior > 0 or more restarts (n_init).")
    order = _canonical(params)
    return _Params(params.weights[order], params.matrices[order]), obj, it, conv, starts


# --------------------------------------------------------------------------- results
def _segment_names(k: int) -> tuple[str, ...]:
    return tuple(f"segment_{i + 1}" for i in range(k))


@result_dataclass
class MarkovMixtureFit(Result):
    """A fitted mixture of Markov chains: :attr:`MarkovMixture.result_`.

    ``summary()`` has one row per segment (weight with its interval, expected journeys, the
    probability that a journey of the segment converts); :attr:`transitions` has every possible
    transition of every segment with its interval; ``plot()`` draws the segments' matrices.

    Attributes
    ----------
    segments : tuple of str
        ``segment_1``, ``segment_2``, ... ordered by weight, largest first.
    states : tuple of str
        Rows and columns of the matrices (the states of
        :func:`cjmodels.data.journey_transitions`).
    weights : numpy.ndarray
        Share of journeys in each segment.
    matrices : numpy.ndarray
        ``(segments, states, states)`` transition probabilities; rows of the end states are
        zero.
    log_likelihood : float
        Observed-data log-likelihood at the estimates.
    n_params : int
        Free parameters: ``K - 1`` weights and, per segment, each row's possible transitions
        less one (a transition is possible when some journey made it).
    aic, bic : float
        ``-2 log L + 2 p`` and ``-2 log L + p log N`` (``N`` journeys).
    n_journeys : float
        Journeys fitted (weighted for path tables).
    n_iter : int
        EM iterations of the retained run.
    converged : bool
        Whether EM met ``tol`` within ``max_iter``.
    prior : float
        The Dirichlet pseudo-count added to every possible transition.
    transitions : pandas.DataFrame
        ``segment``, ``from_state``, ``to_state``, ``probability``, ``se``, ``ci_low``,
        ``ci_high`` for every possible transition (bootstrap standard deviation and percentile
        interval; NaN without ``n_boot``).
    segment_table : pandas.DataFrame
        Per segment: ``weight``, ``se``, ``ci_low``, ``ci_high``, ``expected_journeys``,
        ``conversion_probability``.
    posterior : pandas.DataFrame
        Each fitted journey's probability of each segment (index: customer and journey number
        for an event log, the row otherwise); not in ``to_dict()``.
    alpha : float
        1 - the confidence level of the intervals.
    n_boot : int
        Bootstrap replicates (0: no intervals).
    info : dict
        The journey specification, restarts' objectives, counts (patterns, bootstrap replicates
        that did not converge).

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(300, random_state=1)
    >>> fit = MarkovMixture(3, n_init=3, random_state=0).fit(world.events).result_
    >>> fit.summary().columns.tolist()[:4]
    ['weight', 'se', 'ci_low', 'ci_high']
    """

    segments: tuple[str, ...]
    states: tuple[str, ...]
    weights: np.ndarray
    matrices: np.ndarray
    log_likelihood: float
    n_params: int
    aic: float
    bic: float
    n_journeys: float
    n_iter: int
    converged: bool
    prior: float
    transitions: pd.DataFrame
    segment_table: pd.DataFrame
    posterior: pd.DataFrame
    alpha: float = 0.05
    n_boot: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    _repr_exclude = ("posterior",)

    def _repr_fields(self) -> dict[str, Any]:
        return {"segments": len(self.segments), "states": len(self.states),
                "log_likelihood": self.log_likelihood, "bic": self.bic,
                "n_journeys": self.n_journeys, "converged": self.converged}

    def _summary(self) -> pd.DataFrame:
        return self.segment_table

    def _to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self._fields().items()}
        out["matrices"] = {seg: pd.DataFrame(m, index=self.states, columns=self.states)
                           for seg, m in zip(self.segments, self.matrices, strict=True)}
        return out

    def matrix(self, segment: str | int) -> pd.DataFrame:
        """One segment's transition matrix, labelled by state.

        Parameters
        ----------
        segment : str or int
            ``"segment_1"``, ... or the index (0 for the largest segment).

        Returns
        -------
        pandas.DataFrame
            Rows from-states, columns to-states.

        Raises
        ------
        cjmodels.errors.ValidationError
            For a segment that is not in the fit.

        Examples
        --------
        >>> from cjmodels.synthetic import simulate_segment_journeys
        >>> world = simulate_segment_journeys(200, random_state=1)
        >>> fit = MarkovMixture(2, n_init=2, random_state=0).fit(world.events).result_
        >>> fit.matrix(0).shape
        (8, 8)
        """
        if isinstance(segment, (int, np.integer)) and not isinstance(segment, bool) and \
                0 <= int(segment) < len(self.segments):
            k = int(segment)
        elif isinstance(segment, str) and segment in self.segments:
            k = self.segments.index(segment)
        else:
            raise ValidationError(
                f"segment == {segment!r} is not one of {list(self.segments)} (or their index).")
        return pd.DataFrame(self.matrices[k], index=list(self.states), columns=list(self.states))

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"MarkovMixtureFit.plot takes no options; got {sorted(kwargs)}.")
        k, s = len(self.segments), len(self.states)
        gap = np.full((s, 1), np.nan)
        blocks = []
        for i in range(k):
            blocks += [self.matrices[i], gap] if i < k - 1 else [self.matrices[i]]
        ax.imshow(np.hstack(blocks), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_yticks(range(s), list(self.states))
        ax.set_xticks([i * (s + 1) + (s - 1) / 2 for i in range(k)],
                      [f"{n}\n(w={w:.2f})" for n, w in zip(self.segments, self.weights,
                                                            strict=True)])
        ax.set_title("transition probabilities by segment (rows: from, columns: to)")


@result_dataclass
class SegmentSelection(Result):
    """Numbers of segments compared by BIC and by held-out log-likelihood.

    Made by :func:`select_n_segments`; ``summary()`` is :attr:`table`.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``n_segments``: ``log_likelihood``, ``n_params``, ``aic``, ``bic`` (of the
        fit to the training customers), ``converged``, ``heldout_log_likelihood`` and
        ``heldout_per_journey`` (held-out customers' journeys under that fit).
    best_bic, best_heldout : int
        The number of segments with the lowest BIC and the highest held-out log-likelihood.
    test_size : float
        Share of customers held out.
    n_train_journeys, n_test_journeys : float
        Journeys in each part.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(300, random_state=1)
    >>> sel = select_n_segments(world.events, n_segments=(1, 2), random_state=0, n_init=2)
    >>> sel.table.index.tolist()
    [1, 2]
    """

    table: pd.DataFrame
    best_bic: int
    best_heldout: int
    test_size: float
    n_train_journeys: float
    n_test_journeys: float

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        if kwargs:
            raise ValidationError(f"SegmentSelection.plot takes no options; got {sorted(kwargs)}.")
        t = self.table
        ax.plot(t.index, t["bic"], "o-", label="BIC (training)")
        ax.plot(t.index, -2 * t["heldout_log_likelihood"], "s--",
                label="-2 x held-out log-likelihood")
        ax.set_xlabel("segments")
        ax.legend()


@result_dataclass
class KMeansSegments(Result):
    """Journeys clustered by k-means on their path features: the baseline of the mixture.

    Made by :func:`kmeans_segments`; ``summary()`` has one row per cluster (journeys, share,
    within-cluster sum of squares, the three largest features of its centre).

    Attributes
    ----------
    segments : tuple of str
        ``segment_1``, ... ordered by size, largest first.
    features : str
        ``"transitions"`` or ``"states"``.
    columns : tuple of str
        The feature names (``"a -> b"`` for transitions, state names for states).
    centers : numpy.ndarray
        ``(segments, features)`` cluster centres.
    sizes : numpy.ndarray
        Journeys per cluster.
    inertia : float
        Weighted within-cluster sum of squares of the retained run.
    labels : pandas.Series
        The cluster of each journey (index as :attr:`MarkovMixtureFit.posterior`); not in
        ``to_dict()``.
    n_iter : int
        Lloyd iterations of the retained run.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(200, random_state=1)
    >>> km = kmeans_segments(world.events, n_segments=3, random_state=0)
    >>> int(km.sizes.sum())
    200
    """

    segments: tuple[str, ...]
    features: str
    columns: tuple[str, ...]
    centers: np.ndarray
    sizes: np.ndarray
    inertia: float
    labels: pd.Series
    n_iter: int

    _repr_exclude = ("labels",)

    def _repr_fields(self) -> dict[str, Any]:
        return {"segments": len(self.segments), "features": self.features,
                "inertia": self.inertia}

    def _summary(self) -> pd.DataFrame:
        top = []
        for c in self.centers:
            idx = np.argsort(-c, kind="stable")[:3]
            top.append(", ".join(f"{self.columns[i]} {c[i]:.2f}" for i in idx))
        n = float(self.sizes.sum())
        return pd.DataFrame({"journeys": self.sizes, "share": self.sizes / n if n else np.nan,
                             "top_features": top},
                            index=pd.Index(list(self.segments), name="segment"))

    def _to_dict(self) -> dict[str, Any]:
        out = self._fields()
        out["centers"] = pd.DataFrame(self.centers, index=list(self.segments),
                                      columns=list(self.columns))
        return out


@result_dataclass
class SegmentAgreement(Result):
    """How two segmentations of the same journeys agree: :func:`segment_agreement`.

    Attributes
    ----------
    adjusted_rand_index : float
        Hubert and Arabie's adjusted Rand index: 1 for the same partition (whatever the
        labels), about 0 for an agreement no better than chance.
    rand_index : float
        The share of pairs of journeys on which the two segmentations agree.
    n : int
        Journeys compared.
    contingency : pandas.DataFrame
        Journeys by first label (rows) and second label (columns).

    Examples
    --------
    >>> segment_agreement([0, 0, 1, 1], ["b", "b", "a", "a"]).adjusted_rand_index
    1.0
    """

    adjusted_rand_index: float
    rand_index: float
    n: int
    contingency: pd.DataFrame

    def _summary(self) -> pd.DataFrame:
        return self.contingency


# --------------------------------------------------------------------------- the estimator
class MarkovMixture(Estimator):
    """A finite mixture of Markov chains over journeys (behavioural segments), fitted by EM.

    Each journey belongs to one of ``n_segments`` unobserved segments, and moves through its
    states (``(start)``, the channels or stages, ``(conversion)``, ``(null)``; see
    :func:`cjmodels.data.journey_transitions`) by its segment's transition matrix. EM works on
    the per-journey transition counts; identical journeys are one weighted row.

    Parameters
    ----------
    n_segments : int, default 2
        Number of segments K.
    prior : float, default 0.0
        Dirichlet smoothing: a pseudo-count added to every possible transition (one that some
        journey made) of every segment, so EM finds the posterior mode; 0 is maximum
        likelihood.
    n_init : int, default 10
        Seeded random restarts (random responsibilities). Each runs ``init_iter`` iterations;
        the best then runs to convergence.
    init_iter : int, default 25
        EM iterations of every restart (ignored with ``n_init=1``).
    max_iter : int, default 1000
        Maximum EM iterations of the retained run.
    tol : float, default 1e-8
        Relative gain of the log-likelihood below which EM stops.
    n_boot : int, default 0
        Bootstrap replicates over journeys for the intervals of the weights and transition
        probabilities (each replicate starts from the fit; its segments are matched to the
        fitted ones by the assignment that minimises the squared distance of their
        parameters). 0: no intervals.
    alpha : float, default 0.05
        1 - the confidence level of the percentile intervals.
    random_state : int, Generator or None
        Seed of the restarts and of the bootstrap.
    progress : bool or callable, default False
        Progress bar over the bootstrap replicates.

    Attributes
    ----------
    result_ : MarkovMixtureFit
        The fit.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(2000, random_state=3)
    >>> model = MarkovMixture(3, n_init=5, random_state=0).fit(world.events)
    >>> model.result_.weights.round(2).tolist()
    [0.44, 0.35, 0.21]
    >>> model.predict(world.events).head(3).tolist()
    ['segment_1', 'segment_2', 'segment_2']
    """

    def __init__(
        self,
        n_segments: int = 2,
        *,
        prior: float = 0.0,
        n_init: int = 10,
        init_iter: int = 25,
        max_iter: int = 1000,
        tol: float = 1e-8,
        n_boot: int = 0,
        alpha: float = 0.05,
        random_state: int | np.random.Generator | None = None,
        progress: Any = False,
    ) -> None:
        self.n_segments = n_segments
        self.prior = prior
        self.n_init = n_init
        self.init_iter = init_iter
        self.max_iter = max_iter
        self.tol = tol
        self.n_boot = n_boot
        self.alpha = alpha
        self.random_state = random_state
        self.progress = progress

    def _check(self) -> None:
        check_scalar(self.n_segments, "n_segments", typ=int, ge=1)
        check_scalar(self.prior, "prior", typ=float, ge=0)
        if not np.isfinite(self.prior):
            raise ValidationError(f"prior == {self.prior!r}, must be finite.")
        check_scalar(self.n_init, "n_init", typ=int, ge=1)
        check_scalar(self.init_iter, "init_iter", typ=int, ge=0)
        check_scalar(self.max_iter, "max_iter", typ=int, ge=1)
        check_scalar(self.tol, "tol", typ=float, ge=0)
        check_scalar(self.n_boot, "n_boot", typ=int, ge=0)
        check_scalar(self.alpha, "alpha", typ=float, gt=0, lt=1)
        check_progress(self.progress)

    def fit(self, data: Any, *, spec: JourneySpec | None = None,
            **log_options: Any) -> MarkovMixture:
        """Fit the mixture to the journeys of ``data``.

        Parameters
        ----------
        data : EventLog, DataFrame, PathTable or JourneySet
            The journeys: an event log (column options as keywords for a DataFrame), a path
            table or a journey set.
        spec : JourneySpec, optional
            How the log is cut into journeys and read; default
            ``JourneySpec(sequence="channel")`` (every field is used, as in
            :func:`cjmodels.data.journey_transitions`).
        **log_options
            Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

        Returns
        -------
        MarkovMixture
            The estimator, with ``result_``.

        Raises
        ------
        ValidationError
            For bad parameters or data (see :func:`cjmodels.data.journey_transitions`), or
            fewer journeys than segments.
        ConvergenceError
            When no restart reaches a finite log-likelihood.

        Warns
        -----
        MixtureConvergenceWarning
            When EM stops at ``max_iter``.
        UserWarning
            When a segment ends up with no journey (too many segments).
        """
        self._check()
        spec = _check_spec(spec)
        p = _patterns(data, spec, log_options)
        weight = p.weights()
        n = float(weight.sum())
        k = int(self.n_segments)
        if n < k:
            raise ValidationError(
                f"n_segments == {k} but there are only {n:g} journeys; use fewer segments.")
        s = p.n_states
        support = (p.cell_counts(weight) > 0).reshape(s, s)
        rng = as_generator(self.random_state)
        init_rng, boot_rng = rng.spawn(2)
        params, obj, n_iter, conv, starts = _fit_em(
            p, weight, k, prior=float(self.prior), n_init=int(self.n_init),
            init_iter=int(self.init_iter), max_iter=int(self.max_iter), tol=float(self.tol),
            rng=init_rng, support=support)
        if not conv:
            warnings.warn(
                f"EM stopped at max_iter == {self.max_iter} before the log-likelihood settled "
                "(relative gain above tol); raise max_iter.", MixtureConvergenceWarning,
                stacklevel=2)
        resp, ll = _posterior(_joint(p, params))
        log_lik = float(np.dot(ll, weight))
        empty = [i for i, w in enumerate(params.weights) if w * n < 0.5]
        if empty:
            warn_user(f"{len(empty)} of {k} segments hold no journey; fit fewer segments.")
        boot, n_failed = self._bootstrap(p, weight, params, support, boot_rng)
        self.result_ = _make_fit(p, params, resp, log_lik, k, support, n_iter, conv,
                                 float(self.prior), boot, float(self.alpha), spec,
                                 {"restarts": starts, "bootstrap_not_converged": n_failed,
                                  "empty_segments": len(empty)})
        return self

    def _bootstrap(self, p: _Patterns, weight: np.ndarray, params: _Params,
                   support: np.ndarray, rng: np.random.Generator
                   ) -> tuple[np.ndarray | None, int]:
        n_boot = int(self.n_boot)
        if n_boot == 0:
            return None, 0
        from scipy.optimize import linear_sum_assignment

        k, s = len(params.weights), p.n_states
        out = np.empty((n_boot, k, 1 + s * s))
        failed = 0
        ref = np.concatenate([params.weights[:, None], params.matrices.reshape(k, -1)], axis=1)
        for b, g in enumerate(progress_bar(replicate_generators(rng, n_boot), self.progress,
                                           total=n_boot, desc="bootstrap")):
            wb = reweight(weight, g, "multinomial")
            pooled_c = p.cell_counts(wb).reshape(s, s) + self.prior * support
            rows = pooled_c.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                pooled = np.where(rows > 0, pooled_c / np.where(rows > 0, rows, 1), 0.0)
            # EM from the fit: the replicate's optimum near it (a random start could land on
            # another local optimum and mix up the segments before they are matched)
            pb, _, _, conv, _ = _run(p, wb, params, support, float(self.prior), pooled,
                                     int(self.max_iter), float(self.tol))
            failed += not conv
            est = np.concatenate([pb.weights[:, None], pb.matrices.reshape(k, -1)], axis=1)
            cost = ((ref[:, None, :] - est[None, :, :]) ** 2).sum(axis=2)
            _, col = linear_sum_assignment(cost)
            out[b] = est[col]
        return out, failed

    def _check_new(self, data: Any, spec: Any, log_options: dict[str, Any]
                   ) -> tuple[_Patterns, np.ndarray]:
        self._check_fitted()
        r = self.result_
        spec = JourneySpec(**r.info["spec"]) if spec is None else _check_spec(spec)
        p = _patterns(data, spec, log_options)
        unknown = [st for st in p.states if st not in r.states]
        if unknown:
            raise ValidationError(
                f"states {unknown} of these journeys were not in the fitted data "
                f"({list(r.states)}); the segments have no transition for them.")
        pos = np.array([r.states.index(st) for st in p.states])
        s_new, s_fit = p.n_states, len(r.states)
        cell = pos[p.cell // s_new] * s_fit + pos[p.cell % s_new]
        q = _Patterns(r.states, p.absorbing, p.row, cell, p.cnt, p.pattern_of,
                      p.journey_weight, p.unit, p.frame, p.info)
        resp, _ = _posterior(_joint(q, _Params(r.weights, r.matrices)))
        impossible = int(np.isnan(resp[q.pattern_of, 0]).sum())
        if impossible:
            warn_user(
                f"{impossible} journeys make a transition that no segment allows (probability "
                "0 in every segment); their segment probabilities are NaN. Fit with prior > 0 "
                "to allow every observed transition.")
        return q, resp[q.pattern_of]

    def predict_proba(self, data: Any, *, spec: JourneySpec | None = None,
                      **log_options: Any) -> pd.DataFrame:
        """Each journey's posterior probability of each segment.

        Parameters
        ----------
        data : EventLog, DataFrame, PathTable or JourneySet
            Journeys (the fitted data or new ones) whose states are among the fitted states.
        spec : JourneySpec, optional
            How to read them; default: the specification of the fit.
        **log_options
            Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

        Returns
        -------
        pandas.DataFrame
            One row per journey (index ``customer_id``, ``journey`` for an event log, the row
            otherwise), one column per segment; rows sum to 1 (NaN for a journey no segment
            allows, with a warning).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValidationError
            For states that were not in the fitted data, or bad data.

        Examples
        --------
        >>> from cjmodels.synthetic import simulate_segment_journeys
        >>> world = simulate_segment_journeys(200, random_state=1)
        >>> model = MarkovMixture(2, n_init=2, random_state=0).fit(world.events)
        >>> bool(np.allclose(model.predict_proba(world.events).sum(axis=1), 1.0))
        True
        """
        q, resp = self._check_new(data, spec, log_options)
        return pd.DataFrame(resp, index=_journey_index(q), columns=list(self.result_.segments))

    def predict(self, data: Any, *, spec: JourneySpec | None = None,
                **log_options: Any) -> pd.Series:
        """Each journey's most probable segment.

        Parameters
        ----------
        data : EventLog, DataFrame, PathTable or JourneySet
            Journeys whose states are among the fitted states.
        spec : JourneySpec, optional
            How to read them; default: the specification of the fit.
        **log_options
            Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

        Returns
        -------
        pandas.Series
            The segment name of every journey (None for a journey no segment allows), indexed
            as :meth:`predict_proba`.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValidationError
            For states that were not in the fitted data, or bad data.

        Examples
        --------
        >>> from cjmodels.synthetic import simulate_segment_journeys
        >>> world = simulate_segment_journeys(200, random_state=1)
        >>> model = MarkovMixture(2, n_init=2, random_state=0).fit(world.events)
        >>> len(model.predict(world.events))
        200
        """
        q, resp = self._check_new(data, spec, log_options)
        names = np.array(list(self.result_.segments), dtype=object)
        ok = ~np.isnan(resp[:, 0]) if resp.size else np.zeros(0, dtype=bool)
        lab = np.full(len(resp), None, dtype=object)
        lab[ok] = names[np.argmax(resp[ok], axis=1)]
        return pd.Series(lab, index=_journey_index(q), name="segment")


def _journey_index(p: _Patterns) -> pd.Index:
    if p.frame is not None:
        return pd.MultiIndex.from_frame(p.frame)
    return pd.RangeIndex(len(p.pattern_of), name="row")


def _make_fit(p: _Patterns, params: _Params, resp: np.ndarray, log_lik: float, k: int,
              support: np.ndarray, n_iter: int, conv: bool, prior: float,
              boot: np.ndarray | None, alpha: float, spec: JourneySpec,
              info: dict[str, Any]) -> MarkovMixtureFit:
    s = p.n_states
    n = float(p.weights().sum())
    n_par = _n_params(k, support)
    names = _segment_names(k)
    fi, tj = np.nonzero(support)
    q = [alpha / 2, 1 - alpha / 2]
    rows = []
    for i in range(k):
        prob = params.matrices[i, fi, tj]
        if boot is not None:
            draws = boot[:, i, 1 + fi * s + tj]
            lo, hi = np.quantile(draws, q, axis=0)
            se = draws.std(axis=0, ddof=1) if len(draws) > 1 else np.full(len(fi), np.nan)
        else:
            lo = hi = se = np.full(len(fi), np.nan)
        rows.append(pd.DataFrame({
            "segment": names[i], "from_state": np.array(p.states, dtype=object)[fi],
            "to_state": np.array(p.states, dtype=object)[tj], "probability": prob, "se": se,
            "ci_low": lo, "ci_high": hi}))
    transitions = pd.concat(rows, ignore_index=True)
    if boot is not None:
        wlo, whi = np.quantile(boot[:, :, 0], q, axis=0)
        wse = boot[:, :, 0].std(axis=0, ddof=1) if len(boot) > 1 else np.full(k, np.nan)
    else:
        wlo = whi = wse = np.full(k, np.nan)
    # the first absorbing state is (conversion)
    conv_p = [float(_absorption(m, p.states, p.absorbing)[0]) for m in params.matrices]
    table = pd.DataFrame({"weight": params.weights, "se": wse, "ci_low": wlo, "ci_high": whi,
                          "expected_journeys": params.weights * n,
                          "conversion_probability": conv_p},
                         index=pd.Index(list(names), name="segment"))
    post = pd.DataFrame(resp[p.pattern_of], index=_journey_index(p), columns=list(names))
    return MarkovMixtureFit(
        segments=names, states=p.states, weights=params.weights, matrices=params.matrices,
        log_likelihood=log_lik, n_params=n_par, aic=-2 * log_lik + 2 * n_par,
        bic=-2 * log_lik + n_par * np.log(n), n_journeys=n, n_iter=int(n_iter),
        converged=bool(conv), prior=prior, transitions=transitions, segment_table=table,
        posterior=post, alpha=alpha, n_boot=0 if boot is None else len(boot),
        info={"spec": spec.to_dict(), **p.info, **info},
    )


# --------------------------------------------------------------------------- selection
def select_n_segments(
    data: Any,
    n_segments: Iterable[int] = (1, 2, 3, 4),
    *,
    spec: JourneySpec | None = None,
    test_size: float = 0.25,
    prior: float = 0.5,
    random_state: int | np.random.Generator | None = None,
    **model_options: Any,
) -> SegmentSelection:
    """Compare numbers of segments by BIC and by the log-likelihood of held-out customers.

    A random ``test_size`` share of customers (all their journeys) is held out; for each
    number of segments a :class:`MarkovMixture` is fitted to the others (its BIC) and the
    held-out journeys are scored under it. The possible transitions are those of all the
    journeys, so that with ``prior > 0`` a held-out transition no training journey made is
    unlikely, not impossible.

    Parameters
    ----------
    data : EventLog, DataFrame, PathTable or JourneySet
        The journeys: an event log (a DataFrame in the canonical columns; build an
        :class:`~cjmodels.data.EventLog` for other column names), whose customers are the
        units of the split, or a path table or journey set, whose rows are.
    n_segments : iterable of int
        The numbers of segments to compare (each >= 1).
    spec : JourneySpec, optional
        How to read the journeys; default ``JourneySpec(sequence="channel")``.
    test_size : float
        Share of customers held out, in ``(0, 1)``; at least one is held out and one kept.
    prior : float
        Dirichlet pseudo-count of every fit (see :class:`MarkovMixture`); with 0 a held-out
        journey making a transition unseen in training scores ``-inf``.
    random_state : int, Generator or None
        Seed of the split and of each fit's restarts.
    **model_options
        Other parameters of :class:`MarkovMixture` (``n_init``, ``max_iter``, ``tol``, ...;
        not ``n_boot``).

    Returns
    -------
    SegmentSelection
        The comparison table and the numbers chosen by BIC and by held-out likelihood.

    Raises
    ------
    ValidationError
        When ``n_segments`` is empty or holds a number below 1, ``test_size`` is not in
        ``(0, 1)``, there are fewer than two customers, or a model option is unknown.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(2000, random_state=3)
    >>> sel = select_n_segments(world.events, n_segments=(1, 2, 3), random_state=0, n_init=3)
    >>> sel.best_bic, sel.best_heldout
    (3, 3)
    """
    check_scalar(test_size, "test_size", typ=float, gt=0, lt=1)
    ks = [int(check_scalar(k, "n_segments", typ=int, ge=1)) for k in n_segments]
    if not ks:
        raise ValidationError("n_segments must list at least one number of segments.")
    bad = sorted(set(model_options) - {"n_init", "init_iter", "max_iter", "tol", "progress"})
    if bad:
        raise ValidationError(
            f"select_n_segments does not take {bad}; its model options are n_init, init_iter, "
            "max_iter and tol.")
    MarkovMixture(ks[0], prior=prior, **model_options)._check()
    spec = _check_spec(spec)
    p = _patterns(data, spec, {})
    rng = as_generator(random_state)
    units = np.unique(p.unit)
    if len(units) < 2:
        raise ValidationError("a held-out split needs at least two customers.")
    n_test = min(max(1, round(test_size * len(units))), len(units) - 1)
    test_units = np.zeros(int(p.unit.max()) + 1, dtype=bool)
    test_units[rng.choice(units, n_test, replace=False)] = True
    is_test = test_units[p.unit]
    w_train = p.weights(np.flatnonzero(~is_test))
    w_test = p.weights(np.flatnonzero(is_test))
    s = p.n_states
    support = (p.cell_counts(p.weights()) > 0).reshape(s, s)
    opts = {"n_init": 10, "init_iter": 25, "max_iter": 1000, "tol": 1e-8, **model_options}
    rows = []
    for k, seed in zip(ks, rng.spawn(len(ks)), strict=True):
        if w_train.sum() < k:
            raise ValidationError(f"n_segments == {k} exceeds the training journeys.")
        params, _, _, conv, _ = _fit_em(
            p, w_train, k, prior=float(prior), n_init=int(opts["n_init"]),
            init_iter=int(opts["init_iter"]), max_iter=int(opts["max_iter"]),
            tol=float(opts["tol"]), rng=seed, support=support)
        _, ll = _posterior(_joint(p, params))
        with np.errstate(invalid="ignore"):
            train_ll = float(np.dot(ll[w_train > 0], w_train[w_train > 0]))
            held = float(np.dot(ll[w_test > 0], w_test[w_test > 0]))
        n_par = _n_params(k, support)
        rows.append({"n_segments": k, "log_likelihood": train_ll, "n_params": n_par,
                     "aic": -2 * train_ll + 2 * n_par,
                     "bic": -2 * train_ll + n_par * np.log(w_train.sum()),
                     "converged": bool(conv), "heldout_log_likelihood": held,
                     "heldout_per_journey": held / float(w_test.sum())})
    table = pd.DataFrame(rows).set_index("n_segments")
    return SegmentSelection(
        table=table, best_bic=int(table["bic"].idxmin()),
        best_heldout=int(table["heldout_log_likelihood"].idxmax()),
        test_size=float(test_size), n_train_journeys=float(w_train.sum()),
        n_test_journeys=float(w_test.sum()))


# --------------------------------------------------------------------------- k-means baseline
def _features(p: _Patterns, kind: str) -> tuple[np.ndarray, tuple[str, ...]]:
    s = p.n_states
    n_pat = p.n_patterns
    names = np.array(p.states, dtype=object)
    if kind == "transitions":
        cells = np.unique(p.cell)
        col = np.searchsorted(cells, p.cell)
        cols = tuple(f"{names[c // s]} -> {names[c % s]}" for c in cells)
        x = np.zeros((n_pat, len(cells)))
        np.add.at(x, (p.row, col), p.cnt)
    else:
        to = p.cell % s
        used = np.unique(to)
        col = np.searchsorted(used, to)
        cols = tuple(str(names[u]) for u in used)
        x = np.zeros((n_pat, len(used)))
        np.add.at(x, (p.row, col), p.cnt)
    tot = x.sum(axis=1, keepdims=True)
    return x / np.where(tot > 0, tot, 1.0), cols


def _kmeans(x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, max_iter: int
            ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Weighted Lloyd's algorithm from a k-means++ start."""
    n = len(x)
    centers = np.empty((k, x.shape[1]))
    centers[0] = x[rng.choice(n, p=w / w.sum())]
    d2 = ((x - centers[0]) ** 2).sum(axis=1)
    for i in range(1, k):
        pr = w * d2
        centers[i] = x[rng.choice(n, p=pr / pr.sum())] if pr.sum() > 0 else x[rng.choice(n)]
        d2 = np.minimum(d2, ((x - centers[i]) ** 2).sum(axis=1))
    labels = np.zeros(n, dtype=np.int64)
    it = 0
    for it in range(1, max_iter + 1):
        dist = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        new = np.argmin(dist, axis=1)
        for j in range(k):
            m = (new == j) & (w > 0)
            if m.any():
                centers[j] = np.average(x[m], axis=0, weights=w[m])
        if it > 1 and np.array_equal(new, labels):
            break
        labels = new
    dist = ((x - centers[labels]) ** 2).sum(axis=1)
    return labels, centers, float(np.dot(w, dist)), it


def kmeans_segments(
    data: Any,
    n_segments: int = 2,
    *,
    spec: JourneySpec | None = None,
    features: str = "transitions",
    n_init: int = 10,
    max_iter: int = 300,
    random_state: int | np.random.Generator | None = None,
    **log_options: Any,
) -> KMeansSegments:
    """Cluster journeys by k-means on their path features: the baseline of :class:`MarkovMixture`.

    Each journey becomes a vector of shares: of each transition among its transitions
    (``features="transitions"``, the states of :func:`cjmodels.data.journey_transitions`,
    ``(start)`` and the end included), or of each state among the states it enters
    (``"states"``: channel shares with the outcome). Weighted Lloyd iterations from
    k-means++ starts (``n_init`` seeded restarts, the lowest within-cluster sum of squares
    kept); identical journeys are one weighted row.

    Parameters
    ----------
    data : EventLog, DataFrame, PathTable or JourneySet
        The journeys.
    n_segments : int
        Number of clusters.
    spec : JourneySpec, optional
        How to read the journeys; default ``JourneySpec(sequence="channel")``.
    features : {"transitions", "states"}
        The path features.
    n_init : int
        Restarts.
    max_iter : int
        Lloyd iterations per restart.
    random_state : int, Generator or None
        Seed of the starts.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

    Returns
    -------
    KMeansSegments
        Clusters ordered by size, their centres and the cluster of every journey.

    Raises
    ------
    ValidationError
        For bad parameters or data, or fewer distinct journeys than clusters.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_segment_journeys
    >>> world = simulate_segment_journeys(300, random_state=1)
    >>> km = kmeans_segments(world.events, n_segments=3, random_state=0)
    >>> km.summary().columns.tolist()
    ['journeys', 'share', 'top_features']
    """
    check_scalar(n_segments, "n_segments", typ=int, ge=1)
    check_scalar(features, "features", in_=("transitions", "states"))
    check_scalar(n_init, "n_init", typ=int, ge=1)
    check_scalar(max_iter, "max_iter", typ=int, ge=1)
    spec = _check_spec(spec)
    p = _patterns(data, spec, log_options)
    w = p.weights()
    x, cols = _features(p, features)
    if int((w > 0).sum()) < n_segments:
        raise ValidationError(
            f"n_segments == {n_segments} but there are only {int((w > 0).sum())} distinct "
            "journeys; use fewer segments.")
    best = None
    for g in as_generator(random_state).spawn(int(n_init)):
        out = _kmeans(x, w, int(n_segments), g, int(max_iter))
        if best is None or out[2] < best[2] - 1e-12:
            best = out
    assert best is not None
    labels, centers, inertia, n_iter = best
    sizes = np.bincount(labels, weights=w, minlength=n_segments)
    order = np.lexsort((np.arange(n_segments), -sizes))
    rank = np.empty(n_segments, dtype=np.int64)
    rank[order] = np.arange(n_segments)
    names = _segment_names(int(n_segments))
    lab = np.array(names, dtype=object)[rank[labels][p.pattern_of]]
    return KMeansSegments(
        segments=names, features=features, columns=cols, centers=centers[order],
        sizes=sizes[order], inertia=inertia,
        labels=pd.Series(lab, index=_journey_index(p), name="segment"), n_iter=int(n_iter))


# --------------------------------------------------------------------------- agreement
def segment_agreement(labels_true: Any, labels_pred: Any) -> SegmentAgreement:
    """The adjusted Rand index (and Rand index) of two segmentations of the same journeys.

    From the contingency table ``n_ij`` of the two labellings (Hubert and Arabie, 1985):
    ``ARI = (sum C(n_ij, 2) - E) / ((sum C(a_i, 2) + sum C(b_j, 2)) / 2 - E)`` with
    ``E = sum C(a_i, 2) sum C(b_j, 2) / C(n, 2)``; 1 when the denominator is 0 (both labellings
    the trivial same partition). Labels are matched by position, their names do not matter.

    Parameters
    ----------
    labels_true, labels_pred : array-like or pandas.Series
        One label per journey, in the same order (two Series are aligned on their index).

    Returns
    -------
    SegmentAgreement
        The indices, the number of journeys and the contingency table.

    Raises
    ------
    ValidationError
        When the lengths (or Series indexes) differ, a label is missing, or there are no
        journeys.

    Examples
    --------
    >>> r = segment_agreement([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])
    >>> round(r.adjusted_rand_index, 4), round(r.rand_index, 4)
    (0.2424, 0.6667)
    """
    if isinstance(labels_true, pd.Series) and isinstance(labels_pred, pd.Series):
        if not labels_true.index.equals(labels_pred.index):
            if not (labels_true.index.is_unique and labels_pred.index.is_unique) or \
                    not labels_true.index.sort_values().equals(labels_pred.index.sort_values()):
                raise ValidationError(
                    "labels_true and labels_pred are Series with different indexes; pass the "
                    "labels of the same journeys (or plain arrays in the same order).")
            labels_pred = labels_pred.reindex(labels_true.index)
    a = pd.Series(np.asarray(labels_true, dtype=object).ravel())
    b = pd.Series(np.asarray(labels_pred, dtype=object).ravel())
    if len(a) != len(b):
        raise ValidationError(
            f"labels_true has {len(a)} labels and labels_pred {len(b)}; give one label per "
            "journey in each.")
    if len(a) == 0:
        raise ValidationError("there are no labels to compare.")
    missing = a.isna() | b.isna()
    if missing.any():
        raise ValidationError(
            f"{int(missing.sum())} labels are missing (first at position "
            f"{int(np.flatnonzero(missing.to_numpy())[0])}); drop those journeys from both.")
    ca, ua = pd.factorize(a)
    cb, ub = pd.factorize(b)
    table = np.zeros((len(ua), len(ub)), dtype=np.int64)
    np.add.at(table, (ca, cb), 1)
    n = len(a)

    def pairs(x: np.ndarray) -> float:
        x = x.astype(float)
        return float((x * (x - 1) / 2).sum())

    index = pairs(table.ravel())
    sa, sb = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = n * (n - 1) / 2
    expected = sa * sb / total if total > 0 else 0.0
    mx = (sa + sb) / 2
    ari = 1.0 if mx == expected else (index - expected) / (mx - expected)
    rand = 1.0 if total == 0 else (total + 2 * index - sa - sb) / total
    cont = pd.DataFrame(table, index=pd.Index([str(x) for x in ua], name="labels_true"),
                        columns=pd.Index([str(x) for x in ub], name="labels_pred"))
    return SegmentAgreement(adjusted_rand_index=float(ari), rand_index=float(rand), n=int(n),
                            contingency=cont)
