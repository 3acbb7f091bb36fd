"""Exact Markov-chain removal effects of any order (no simulation).

States follow ChannelAttribution's convention. A path ``c1 > c2 > ... > cL`` of order ``k``
visits the sliding windows ``(c1..ck), (c2..ck+1), ..., (cL-k+1..cL)`` (a path shorter than
``k`` is one state, the whole path), between ``(start)`` and ``(conversion)`` or ``(null)``.
With ``collapse_repeats=True`` (as ChannelAttribution's ``markov_model`` does by default)
consecutive identical states are merged, which for order 1 merges repeated channels; with
``False`` (the default: data are never merged unasked) they are kept (self-loops;
ChannelAttribution's ``transition_matrix(flg_equal=True)``).

Removing channel ``c`` sends every state that contains ``c`` to ``(null)``. Its removal effect is
``RE_c = 1 - P(conversion | c removed) / P(conversion) = P(conversion and a visit to c) /
P(conversion)``, computed by one solve of the absorbing chain per channel with the package's
absorbing-chain solver (:func:`cjmodels._chains.absorbing_solve`: dense up to 150 states,
sparse LU above; the same solver as :mod:`cjmodels.markov`'s); many channels of a large chain
are solved together by the absorbing series first. Attributed conversions are ``RE_c / sum(RE) * total conversions``.

Conversion value: a conversion from state ``s`` is worth the mean value of the observed
conversions that ended at ``s``; the *value* removal effect replaces ``P(conversion)`` by the
expected value. By default value is attributed by value removal effects, as ChannelAttribution
does (``value_attribution="value"``); ``"conversions"`` splits value by the conversion removal
effects instead.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cjmodels._chains import absorbing_series, absorbing_solve, absorbing_within
from cjmodels._checks import check_scalar
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData
from cjmodels.data import CONVERSION, NULL, PATH_SEPARATOR, START
from cjmodels.data.journeyset import subset
from cjmodels.data.transitions import state_keys
from cjmodels.errors import ValidationError

__all__ = ["MarkovAttribution"]

_DENSE_MAX = 150  # chains up to this many states are solved densely (less overhead)
_MAX_ITER = 5000  # iterations of the series before falling back to sparse LU


@dataclass(frozen=True)
class _Encoding:
    """Order-k states of every distinct path and the transitions they make (count-free).

    The start and inner transitions of a path are encoded once per distinct path
    (``path_pair``, ``path_of_pair``), the end transition (to conversion or null) once per row
    (``row_pair``): a path table's conversion and null rows of one path share the first.
    """

    names: list[str]  # transient state names
    member: np.ndarray  # (S, C) bool: channels in each state
    frm: np.ndarray  # from id of every distinct transition (S = start)
    to: np.ndarray  # to id (S + 1 conversion, S + 2 null)
    path_pair: np.ndarray  # distinct transition id of every start/inner transition of a path
    path_of_pair: np.ndarray  # its distinct path
    row_pair: np.ndarray  # distinct transition id of every row's end transition
    path_of_row: np.ndarray  # distinct path of every row
    n_visits: np.ndarray  # states visited by every distinct path
    last_state: np.ndarray  # last state of every row
    n_states: int

    def counts(self, weight: np.ndarray) -> np.ndarray:
        """Count of every distinct transition when row ``i`` stands for ``weight[i]`` journeys."""
        n_t = len(self.frm)
        pw = np.bincount(self.path_of_row, weights=weight, minlength=len(self.n_visits))
        return np.bincount(self.path_pair, weights=pw[self.path_of_pair], minlength=n_t) + (
            np.bincount(self.row_pair, weights=weight, minlength=n_t)
        )


def _ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense ids of non-negative integer keys (in increasing key order) and the distinct keys;
    a lookup table when the key range is small, hashing otherwise."""
    if len(keys) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    top = int(keys.max()) + 1
    if top <= 4 * len(keys) + 1_000_000:
        present = np.zeros(top, dtype=bool)
        present[keys] = True
        lut = np.cumsum(present) - 1
        return lut[keys], np.flatnonzero(present)
    ids, uniq = pd.factorize(keys, sort=True)
    return ids.astype(np.int64), np.asarray(uniq)


def _encode_states(
    data: AttributionData, order: int, collapse_repeats: bool = False
) -> _Encoding:
    """Encode every row's path as order-``order`` states (ChannelAttribution's convention).

    Each distinct path (``data.path_index``) is encoded once.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import attribution_data
    >>> d = attribution_data(pd.DataFrame({"path": ["a > a > b", "c"],
    ...                                     "total_conversions": [1, 0], "total_null": [0, 1]}))
    >>> _encode_states(d, 2).names
    ['a > a', 'a > b', 'c']
    >>> len(_encode_states(d, 1).frm), len(_encode_states(d, 1, collapse_repeats=True).frm)
    (6, 5)
    """
    check_scalar(order, "order", typ=int, ge=1)
    js = data.journeys
    n_r = js.n
    pidx = data.path_index
    if pidx is None or len(pidx) != n_r:
        pidx = np.arange(n_r)
    P = int(pidx.max()) + 1 if n_r else 0
    if P == n_r and np.array_equal(pidx, np.arange(n_r)):
        pj = js
    else:  # one row per distinct path
        first_row = np.empty(P, dtype=np.int64)
        first_row[pidx[::-1]] = np.arange(n_r - 1, -1, -1)
        pj = subset(js, first_row)
    keys, pos = state_keys(pj, order)
    lengths = pj.lengths
    L = np.repeat(lengths, lengths)
    path_t = np.repeat(np.arange(P), lengths)
    ki = np.flatnonzero(pos >= np.minimum(order, L) - 1)  # full windows (or the whole path)
    if collapse_repeats and len(ki) > 1:
        dup = np.zeros(len(ki), dtype=bool)
        dup[1:] = (keys[ki[1:]] == keys[ki[:-1]]) & (path_t[ki[1:]] == path_t[ki[:-1]])
        ki = ki[~dup]
    sid, uniq = _ids(keys[ki])
    S = len(uniq)
    first = np.empty(S, dtype=np.int64)
    first[sid[::-1]] = ki[::-1]  # a touch carrying each state
    # names and channel membership, from the window ending at that touch
    C = len(js.labels)
    member = np.zeros((S, C), dtype=bool)
    width = np.minimum(order, pos[first] + 1)
    parts: list[np.ndarray] = []
    for lag in range(order - 1, -1, -1):
        ok = width > lag
        idx = np.where(ok, first - lag, first)
        member[np.flatnonzero(ok), pj.symbols[idx[ok]]] = True
        parts.append(np.where(ok, idx, -1))
    labels = np.asarray([str(x) for x in js.labels], dtype=object)
    cols = np.vstack(parts).T
    names = [PATH_SEPARATOR.join(labels[pj.symbols[c[c >= 0]]]) for c in cols]
    # order states by name for a stable, readable matrix
    perm = np.argsort(np.asarray(names, dtype=object), kind="stable")
    rank = np.empty(S, dtype=np.int64)
    rank[perm] = np.arange(S)
    sid = rank[sid]
    names = [names[i] for i in perm]
    member = member[perm]
    # per path: start -> first state, state -> next state; per row: last state -> end
    r = path_t[ki]
    new_path = np.ones(len(ki), dtype=bool)
    new_path[1:] = r[1:] != r[:-1]
    first_k = np.flatnonzero(new_path)
    last_k = np.r_[first_k[1:] - 1, len(ki) - 1]
    inner = np.flatnonzero(~new_path)
    START_ID, CONV_ID, NULL_ID = S, S + 1, S + 2
    last_of_path = sid[last_k]
    last_state = last_of_path[pidx]
    frm = np.concatenate([np.full(P, START_ID), sid[inner - 1], last_state])
    to = np.concatenate(
        [sid[first_k], sid[inner], np.where(data.converted, CONV_ID, NULL_ID)]
    )
    pair, upair = _ids(frm.astype(np.int64) * (S + 3) + to)
    n_p = P + len(inner)
    return _Encoding(
        names,
        member,
        upair // (S + 3),
        upair % (S + 3),
        pair[:n_p],
        np.concatenate([r[first_k], r[inner]]),
        pair[n_p:],
        pidx,
        np.bincount(r, minlength=P),
        last_state,
        S,
    )


@dataclass(frozen=True, eq=False)
class _AbsorbingChain:
    """A fitted absorbing chain over order-k states with removal-effect solvers (internal; the
    fitted transitions are ``Attribution.tables["transitions"]`` and
    ``Attribution.transition_matrix()``).

    ``Q`` holds transient-to-transient probabilities over the ``S`` states plus the start
    (index ``S``); ``conv`` and ``null`` the absorption probabilities; ``value`` the mean
    conversion value of a conversion from each state.
    """

    states: list[str]
    member: np.ndarray
    Q: sp.csr_matrix
    conv: np.ndarray
    null: np.ndarray
    value: np.ndarray
    _raw: Any = None

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def counts(self) -> pd.DataFrame:
        """Long table of the fitted transitions: from, to, count, probability."""
        enc, counts, prob = self._raw
        names = np.asarray([*enc.names, START, CONVERSION, NULL], dtype=object)
        return pd.DataFrame(
            {
                "from_state": names[enc.frm],
                "to_state": names[enc.to],
                "count": counts,
                "probability": prob,
            }
        )

    def _solve(self, keep: np.ndarray | None, horizon: int | None = None) -> np.ndarray:
        """P(conversion) and expected value from the start, with only ``keep`` states alive
        (within ``horizon`` transitions when given)."""
        S = self.n_states
        rhs = np.column_stack([self.conv, self.conv * self.value])
        dense = S + 1 <= _DENSE_MAX
        Q = self._dense if dense else self.Q
        if keep is not None:
            idx = np.r_[np.flatnonzero(keep), S]
            Q = Q[np.ix_(idx, idx)] if dense else Q[idx][:, idx]
            rhs = rhs[idx]
        if horizon is not None:  # walks cut after `horizon` transitions count as lost
            return absorbing_within(Q, rhs, Q.shape[0] - 1, horizon)
        return absorbing_solve(Q, rhs)[-1]  # dense by LAPACK, sparse by sparse LU

    @cached_property
    def _dense(self) -> np.ndarray:
        return self.Q.toarray()

    def conversion_probability(self, removed: Any = None, horizon: int | None = None) -> float:
        """P(conversion) from the start, optionally with channels (indices) removed."""
        keep = None
        if removed is not None:
            keep = ~self.member[:, np.atleast_1d(removed)].any(axis=1)
        return float(self._solve(keep, horizon)[0])

    def _solve_block(self, keeps: np.ndarray) -> np.ndarray | None:
        """P(conversion) and value from the start for many alive-masks at once, by iterating
        ``x = keep * (r + Q x)`` (the absorbing chain's series) on all masks together.

        Returns None when the series has not converged to 1e-15 in ``_MAX_ITER`` steps (then
        the caller solves each system by LU). ``keeps`` is (n_states + 1, m) boolean.
        """
        rhs = np.column_stack([self.conv, self.conv * self.value])
        x = absorbing_series(self.Q, rhs, keeps, max_iter=_MAX_ITER, tol=1e-15)
        return None if x is None else x[self.n_states].reshape(keeps.shape[1], 2)

    def removal_effects(
        self, sets: list[tuple[int, ...]], horizon: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Conversion and value removal effects of each set of channel indices."""
        _, re, vre = self._effects(sets, horizon)
        return re, vre

    def _effects(
        self, sets: list[tuple[int, ...]], horizon: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P(conversion), value) of the full chain and the removal effects of ``sets``."""
        S = self.n_states
        keeps = np.ones((S + 1, len(sets) + 1), dtype=bool)
        for i, st in enumerate(sets):
            keeps[:S, i + 1] = ~self.member[:, list(st)].any(axis=1)
        block = None
        if horizon is None and S + 1 > _DENSE_MAX:
            block = self._solve_block(keeps)
        if block is None:
            block = np.vstack([
                self._solve(None if i == 0 else keeps[:S, i], horizon)
                for i in range(keeps.shape[1])
            ])
        full, p = block[0], block[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            re = np.where(full[0] > 0, 1.0 - p[:, 0] / full[0], 0.0)
            vre = np.where(full[1] > 0, 1.0 - p[:, 1] / full[1], 0.0)
        return full, np.clip(re, 0.0, 1.0), np.clip(vre, 0.0, 1.0)


def _chain(enc: _Encoding, data: AttributionData, weight: np.ndarray) -> _AbsorbingChain:
    S = enc.n_states
    counts = enc.counts(weight)
    out = np.bincount(enc.frm, weights=counts, minlength=S + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(out[enc.frm] > 0, counts / out[enc.frm], 0.0)
    tr = enc.to < S + 1
    is_start_to = enc.to == S  # never happens; the start has no incoming transitions
    tr &= ~is_start_to
    Q = sp.csr_matrix((prob[tr], (enc.frm[tr], enc.to[tr])), shape=(S + 1, S + 1))
    conv = np.bincount(enc.frm[enc.to == S + 1], weights=prob[enc.to == S + 1], minlength=S + 1)
    null = np.bincount(enc.frm[enc.to == S + 2], weights=prob[enc.to == S + 2], minlength=S + 1)
    # mean conversion value of conversions ending at each state
    js = data.journeys
    w0 = js.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
    cv = data.converted
    val = np.bincount(enc.last_state[cv], weights=(js.value * ratio)[cv], minlength=S + 1)
    nconv = np.bincount(enc.last_state[cv], weights=weight[cv], minlength=S + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        vbar = np.where(nconv > 0, val / np.where(nconv > 0, nconv, 1.0), 0.0)
    return _AbsorbingChain(list(enc.names), enc.member, Q, conv, null, vbar,
                           (enc, counts, prob))


class MarkovAttribution(AttributionModel):
    """Markov-chain attribution with exact removal effects.

    Parameters
    ----------
    order : int, default 1
        Markov order k: a state is a window of k consecutive channels (1 to 4 is typical; any
        k >= 1 works, see :func:`cross_validate_order` to choose it).
    collapse_repeats : bool, default False
        Merge consecutive identical states (ChannelAttribution's default; here False, so that
        a repeated channel is a self-loop unless asked). Order-1 removal effects are the same
        either way.
    value_attribution : {"value", "conversions"}, default "value"
        Split the total value by value removal effects (ChannelAttribution) or by conversion
        removal effects.
    pairs : bool, default False
        Also compute removal effects of every pair of channels (``result_.tables["pairs"]``,
        with ``interaction``: the pair's effect minus the two single effects).
    horizon : int, "channelattribution" or None, default None
        None: the absorbing chain, exactly. An int counts only walks absorbed within
        that many transitions (walks still running are lost), which is what
        ChannelAttribution's simulation estimates: its ``max_step=K`` is ``horizon=K + 1``, and
        its default (``max_step`` = longest observed path + 1) is ``"channelattribution"``.
        Cutting walks biases removal effects; it is offered to reproduce that tool.

    Attributes
    ----------
    result_ : Attribution
        ``table`` has ``removal_effect``, ``value_removal_effect``, ``conversions``, ``value``,
        ``share``; ``tables["transitions"]`` the fitted transitions; ``info`` holds
        ``conversion_probability`` (of the chain) and ``observed_conversion_rate``;
        ``transition_matrix()`` the chain's transition probabilities.

    Notes
    -----
    A chain fitted to journeys without any non-converting one is the conversion-only chain
    (a warning says so): its removal effects say how often converting journeys pass through a
    channel, not how much the channel raises conversion.

    References
    ----------
    Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016). Mapping the
    customer journey: lessons learned from graph-based online attribution modeling.
    *International Journal of Research in Marketing* 33(3), 457-474.

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"path": ["a > b", "c > b", "b"], "total_conversions": [1, 0, 1],
    ...                    "total_null": [0, 1, 1]})
    >>> res = MarkovAttribution().fit(pt).result_
    >>> res.table[["removal_effect", "conversions"]].round(4)
             removal_effect  conversions
    channel
    a                  0.25       0.3333
    b                  1.00       1.3333
    c                  0.25       0.3333
    >>> round(res.info["conversion_probability"], 10) == round(res.info["observed_conversion_rate"], 10)
    True
    """

    name = "markov"

    def __init__(
        self,
        order: int = 1,
        *,
        collapse_repeats: bool = False,
        value_attribution: str = "value",
        pairs: bool = False,
        horizon: int | str | None = None,
    ) -> None:
        self.order = order
        self.collapse_repeats = collapse_repeats
        self.value_attribution = value_attribution
        self.pairs = pairs
        self.horizon = horizon

    def _prepare(self, data: AttributionData) -> Any:
        check_scalar(self.order, "order", typ=int, ge=1)
        check_scalar(self.value_attribution, "value_attribution", in_=("value", "conversions"))
        if not data.has_null:
            warnings.warn(
                "there are no non-converting journeys (no null counts): this is the "
                "conversion-only chain, whose removal effects say how often converting journeys "
                "pass through a channel, not how much the channel raises conversion.",
                UserWarning,
                stacklevel=3,
            )
        enc = _encode_states(data, self.order, self.collapse_repeats)
        h = self.horizon
        if h == "channelattribution":
            self._horizon = int(enc.n_visits.max()) + 2  # longest path's states + 2
        elif h is None:
            self._horizon = None
        else:
            check_scalar(h, "horizon", typ=int, ge=1)
            self._horizon = int(h)
        return enc

    def _compute(self, enc: _Encoding, weight: np.ndarray) -> dict[str, Any]:
        data = self._data
        chain = _chain(enc, data, weight)
        C = len(data.channels)
        full, re, vre = chain._effects([(c,) for c in range(C)], self._horizon)
        p_conv = float(full[0])
        if not p_conv > 0:
            raise ValidationError("the chain never converts; there is nothing to attribute.")
        conv = data.converted
        tc = float(weight[conv].sum())
        w0 = data.journeys.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
        tv = float((data.journeys.value * ratio)[conv].sum())
        conversions = re / re.sum() * tc if re.sum() > 0 else np.zeros(C)
        by = vre if self.value_attribution == "value" else re
        value = by / by.sum() * tv if by.sum() > 0 else np.zeros(C)
        out: dict[str, Any] = {
            "removal_effect": re,
            "value_removal_effect": vre,
            "conversions": conversions,
            "value": value,
        }
        if weight is data.journeys.weight:  # the fit itself, not a bootstrap replicate
            tables = {"transitions": chain.counts}
            if self.pairs:
                combos = list(itertools.combinations(range(C), 2))
                pre, pvre = chain.removal_effects(combos, self._horizon)
                ch = data.channels
                tables["pairs"] = pd.DataFrame(
                    {
                        "channel_1": [ch[a] for a, _ in combos],
                        "channel_2": [ch[b] for _, b in combos],
                        "removal_effect": pre,
                        "value_removal_effect": pvre,
                        "interaction": pre - re[[a for a, _ in combos]]
                        - re[[b for _, b in combos]],
                    }
                )
            self._chain = chain
            out["tables"] = tables
            out["info"] = {
                "order": self.order,
                "horizon": self._horizon,
                "n_states": chain.n_states,
                "n_transitions": int((chain.counts["count"] > 0).sum()),
                "conversion_probability": p_conv,
                "observed_conversion_rate": tc / float(weight.sum()),
                "conversion_only": not data.has_null,
            }
        return out
