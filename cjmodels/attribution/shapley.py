"""Shapley-value attribution with an explicit value function.

The players are channels; a journey's *coalition* is its set of channels. Three value functions:

* ``"within"`` (the simplified Shapley value of Zhao, Mahboobi & Bagheri 2018):
  ``v(S)`` = conversions of journeys whose channel set lies within ``S``. It is a sum of
  unanimity games, so each converting journey's conversion is split equally among its distinct
  channels: the Shapley value *equals* the ``linear-unique`` heuristic.
* ``"rate"``: ``v(S)`` = conversion rate of the journeys whose channel set is exactly ``S``
  (0 when there are none), as in the "coalition conversion rate" approach. Shapley values can be
  negative (and sum to ``v(all channels)``, often 0): conversions are split in proportion to the
  positive parts, negative values get no credit.
* a callable ``f(masks, channels) -> values``: ``masks`` is a boolean (m, n_channels) array of
  coalitions, for example a fitted model's predicted conversion probability with exactly those
  channels present.

Exact values come from subset transforms in O(n 2^n) for up to ``max_exact`` channels (20 by
default): ``v`` on all 2^n coalitions by a zeta (subset-sum) transform, then each channel's
weighted marginal contributions. Beyond that, random permutations give an estimate with a
standard error (``shapley_se``).

The ordered Shapley value (Zhao et al. 2018) splits each channel's simplified Shapley value by
the position at which the channel first appears in the journey (``tables["positions"]``).
"""

from __future__ import annotations

from collections.abc import Callable
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData, attribution_data
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = [
    "OrderedShapley",
    "ShapleyAttribution",
    "ordered_shapley",
    "shapley_from_values",
    "zeta_transform",
]


def zeta_transform(f: np.ndarray) -> np.ndarray:
    """Subset sums: ``g[S] = sum of f[T] over T within S`` for arrays indexed by bitmask.

    The zeta (subset-sum) transform in O(n 2^n): with ``f[T]`` the conversions of journeys
    whose channel set is exactly ``T``, ``g[S]`` is the conversions of journeys whose
    channels all lie within ``S``, the ``"within"`` value function of
    :class:`ShapleyAttribution`.

    Parameters
    ----------
    f : numpy.ndarray
        Values of the 2^n subsets of n players; entry ``T`` (a bitmask, bit ``i`` for player
        ``i``) is the subset's value. Its length must be a power of 2.

    Returns
    -------
    numpy.ndarray
        A new float array of the same length, ``g[S] = sum(f[T] for T subset of S)``.

    Examples
    --------
    >>> zeta_transform(np.array([1.0, 2.0, 3.0, 4.0])).tolist()
    [1.0, 3.0, 4.0, 10.0]
    """
    g = np.array(f, dtype=float)
    n = int(np.log2(len(g)))
    for i in range(n):
        v = g.reshape(-1, 2, 2**i)
        v[:, 1, :] += v[:, 0, :]
    return g


def _popcount(n: int) -> np.ndarray:
    pop = np.zeros(2**n, dtype=np.int64)
    for i in range(n):
        pop.reshape(-1, 2, 2**i)[:, 1, :] += 1
    return pop


def shapley_from_values(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of a game given by ``v`` on all 2^n coalitions (bitmask order).

    ``phi_i = sum over S without i of |S|! (n - |S| - 1)! / n! (v(S + i) - v(S))``, in
    O(n 2^n).

    Parameters
    ----------
    v : numpy.ndarray
        The game's value of each of the 2^n coalitions of n players, indexed by bitmask (bit
        ``i`` set when player ``i`` is in the coalition); length a power of 2, ``v[0]``
        usually 0.

    Returns
    -------
    numpy.ndarray
        The n Shapley values, player ``i`` at index ``i``; they sum to ``v[-1] - v[0]``.

    Examples
    --------
    >>> # v = 1 when both players are present (unanimity game): they split it
    >>> shapley_from_values(np.array([0.0, 0.0, 0.0, 1.0])).tolist()
    [0.5, 0.5]
    """
    v = np.asarray(v, dtype=float)
    n = int(np.log2(len(v)))
    pop = _popcount(n)
    w = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        vv = v.reshape(-1, 2, 2**i)
        pp = pop.reshape(-1, 2, 2**i)[:, 0, :]
        phi[i] = float((w[pp] * (vv[:, 1, :] - vv[:, 0, :])).sum())
    return phi


def _row_masks(data: AttributionData) -> np.ndarray:
    js = data.journeys
    C = len(js.labels)
    if C > 62:
        raise ValidationError(
            f"{C} channels: Shapley attribution handles at most 62 channels; group channels."
        )
    row = np.repeat(np.arange(js.n), js.lengths)
    mask = np.zeros(js.n, dtype=np.int64)
    np.bitwise_or.at(mask, row, np.left_shift(np.int64(1), js.symbols.astype(np.int64)))
    return mask


@result_dataclass
class OrderedShapley(Result):
    """Ordered Shapley values (:func:`ordered_shapley`): credit by channel and position.

    Attributes
    ----------
    table : pandas.DataFrame
        Channels (index ``channel``) by positions 1, 2, ... (columns ``position``): the
        conversions credited to the channel at the position where it first appears in the
        journey's sequence of distinct channels.
    total_conversions : float
        What was credited: all cells sum to it.

    Examples
    --------
    >>> pt = pd.DataFrame({"path": ["a > b", "b > a > a", "a"], "total_conversions": [2, 1, 3],
    ...                    "total_null": [0, 0, 0]})
    >>> res = ordered_shapley(pt)
    >>> res
    OrderedShapley(channels=2, positions=2, total_conversions=6)
    >>> res.shapley_value.tolist()
    [4.5, 1.5]
    """

    table: pd.DataFrame
    total_conversions: float

    @property
    def shapley_value(self) -> pd.Series:
        """Each channel's simplified (``within``) Shapley value: the rows' sums."""
        return self.table.sum(axis=1).rename("shapley_value")

    def _repr_fields(self) -> dict[str, Any]:
        return {"channels": self.table.shape[0], "positions": self.table.shape[1],
                "total_conversions": self.total_conversions}

    def _summary(self) -> pd.DataFrame:
        """One row per channel: its credit at each position (columns 1, 2, ...)."""
        return self.table.rename_axis(columns=None).reset_index()

    def _to_dict(self) -> dict[str, Any]:
        return {"total_conversions": float(self.total_conversions),
                "positions": {str(c): self.table[c] for c in self.table.columns}}

    def _plot(self, ax: Any) -> None:
        """Stacked bars: each channel's credit split by position."""
        left = np.zeros(len(self.table))
        y = np.arange(len(self.table))
        for pos in self.table.columns:
            v = self.table[pos].to_numpy()
            ax.barh(y, v, left=left, label=f"position {pos}")
            left += v
        ax.set_yticks(y, [str(c) for c in self.table.index])
        ax.invert_yaxis()
        ax.set(xlabel="conversions", title="ordered Shapley values")
        ax.legend(fontsize=7)


def ordered_shapley(data: Any, **options: Any) -> OrderedShapley:
    """Ordered Shapley values: each channel's simplified Shapley value by the position (1, 2,
    ...) at which it first appears in the journey's sequence of distinct channels.

    Parameters
    ----------
    data : event log, path table or AttributionData
        See :func:`attribution_data`.
    **options
        Options of :func:`attribution_data`.

    Returns
    -------
    OrderedShapley
        Its ``table`` (channels by positions) has rows that sum to the ``within`` Shapley value
        (= ``linear-unique`` credit); all cells sum to the total conversions.

    Examples
    --------
    >>> pt = pd.DataFrame({"path": ["a > b", "b > a > a", "a"], "total_conversions": [2, 1, 3],
    ...                    "total_null": [0, 0, 0]})
    >>> ordered_shapley(pt).table
    position    1    2
    channel
    a         4.0  0.5
    b         0.5  1.0
    """
    if not isinstance(data, AttributionData):
        data = attribution_data(data, **options)
    js = data.journeys
    C = len(js.labels)
    first, position = _first_touches(js)
    r = np.repeat(np.arange(js.n), js.lengths)[first]
    m = np.bincount(r, minlength=js.n)  # distinct channels per row
    conv = np.where(data.converted, js.weight, 0.0)
    n_pos = int(m.max()) if js.n else 0
    credit = np.bincount(
        js.symbols[first] * n_pos + position - 1, weights=conv[r] / m[r], minlength=C * n_pos
    ).reshape(C, n_pos)
    table = pd.DataFrame(
        credit,
        index=pd.Index(data.channels, name="channel"),
        columns=pd.Index(np.arange(1, n_pos + 1), name="position"),
    )
    return OrderedShapley(table, data.total_conversions)


def _first_touches(js: Any) -> tuple[np.ndarray, np.ndarray]:
    """Touches that are the first of their channel in their row (in order), and the rank
    (1, 2, ...) of that channel among the row's distinct channels.

    One pass per touch position (not per row), tracking each row's channels seen so far as a
    bit mask, or as a boolean (rows, channels) table when there are more than 62 channels.
    """
    lengths = js.lengths
    C = len(js.labels)
    is_first = np.zeros(len(js.symbols), dtype=bool)
    rank = np.zeros(len(js.symbols), dtype=np.int64)
    seen_count = np.zeros(js.n, dtype=np.int64)
    use_bits = C <= 62
    seen = np.zeros(js.n, dtype=np.int64) if use_bits else np.zeros((js.n, C), dtype=bool)
    rows = np.flatnonzero(lengths > 0)
    for j in range(int(lengths.max()) if js.n else 0):
        rows = rows[lengths[rows] > j]
        t = js.offsets[rows] + j
        sym = js.symbols[t]
        if use_bits:
            bit = np.left_shift(np.int64(1), sym)
            new = (seen[rows] & bit) == 0
            seen[rows] |= bit
        else:
            new = ~seen[rows, sym]
            seen[rows, sym] = True
        seen_count[rows] += new
        is_first[t] = new
        rank[t] = seen_count[rows]
    first = np.flatnonzero(is_first)
    return first, rank[first]


class ShapleyAttribution(AttributionModel):
    """Shapley-value attribution.

    Parameters
    ----------
    value_function : {"within", "rate"} or callable, default "within"
        The coalition value ``v(S)``. ``"within"``: conversions of the journeys whose channel
        set lies within ``S`` (the simplified Shapley value of Zhao et al. 2018; each
        conversion is split equally among its journey's distinct channels, the same credit as
        the ``linear-unique`` heuristic). ``"rate"``: the conversion rate of the journeys
        whose channel set is exactly ``S`` (0 when there are none); Shapley values may then
        be negative, and conversions are split in proportion to the positive ones. A callable
        ``f(masks, channels) -> values`` takes a boolean (m, n_channels) array of coalitions
        and the channel names and returns one value per coalition.
    method : {"auto", "exact", "permutation"}, default "auto"
        ``auto`` is exact up to ``max_exact`` channels, permutation sampling beyond;
        ``exact`` is refused above 26 channels.
    n_permutations : int, default 1000
        Random orderings of the channels for the sampling estimate; its standard error is
        in the ``shapley_se`` column (0 for exact values).
    max_exact : int, default 20
        Largest number of channels for the exact computation with ``method="auto"`` (memory
        2^n floats; at most 26).
    random_state : int, Generator or None, default None
        Seed of permutation sampling; one seed is drawn at ``fit`` and reused by every
        bootstrap replicate (common random permutations).

    Notes
    -----
    ``result_.table`` has ``shapley_value`` (the value of each channel in the game's units:
    conversions for ``"within"``), ``shapley_se`` and the attributed ``conversions``,
    ``value`` and ``share``; with ``"within"``, ``result_.tables["positions"]`` holds the
    ordered Shapley values (:func:`ordered_shapley`). With ``"within"`` value is split by the
    Shapley values of the value game; otherwise in proportion to the attributed conversions.

    References
    ----------
    Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018). Shapley value methods for attribution
    modeling in online advertising. arXiv:1804.05327.

    Examples
    --------
    >>> pt = pd.DataFrame({"path": ["a > b", "b", "a > c"], "total_conversions": [2, 1, 1],
    ...                    "total_null": [2, 3, 3]})
    >>> ShapleyAttribution().fit(pt).result_.table["conversions"].tolist()
    [1.5, 2.0, 0.5]
    """

    name = "shapley"

    def __init__(
        self,
        value_function: str | Callable[[np.ndarray, list[str]], np.ndarray] = "within",
        *,
        method: str = "auto",
        n_permutations: int = 1000,
        max_exact: int = 20,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.value_function = value_function
        self.method = method
        self.n_permutations = n_permutations
        self.max_exact = max_exact
        self.random_state = random_state

    def _params(self) -> dict[str, Any]:
        p = super()._params()
        if callable(p["value_function"]):
            p["value_function"] = getattr(p["value_function"], "__name__", "callable")
        return p

    def _prepare(self, data: AttributionData) -> Any:
        vf = self.value_function
        if not callable(vf):
            check_scalar(vf, "value_function", in_=("within", "rate"))
        check_scalar(self.method, "method", in_=("auto", "exact", "permutation"))
        check_scalar(self.max_exact, "max_exact", typ=int, ge=1, le=26)
        check_scalar(self.n_permutations, "n_permutations", typ=int, ge=2)
        C = len(data.channels)
        exact = self.method == "exact" or (self.method == "auto" and C <= self.max_exact)
        if exact and C > 26:
            raise ValidationError(f"exact Shapley values for {C} channels need 2^{C} values; "
                                  "use method='permutation'.")
        uniq, inv = np.unique(_row_masks(data), return_inverse=True)
        # one seed for the fit and every bootstrap replicate: common random permutations
        seed = int(as_generator(self.random_state).integers(2**63))
        return {"uniq": uniq, "inv": inv.ravel(), "exact": exact, "C": C, "seed": seed}

    def _game(self, state: dict[str, Any], weight: np.ndarray, on_value: bool = False):
        """Coalition values as a function of bitmask arrays."""
        data = self._data
        conv = data.converted
        w0 = data.journeys.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
        y = np.where(conv, data.journeys.value * ratio if on_value else weight, 0.0)
        uniq, inv = state["uniq"], state["inv"]
        num = np.bincount(inv, weights=y, minlength=len(uniq))
        den = np.bincount(inv, weights=weight, minlength=len(uniq))
        vf = self.value_function
        C = state["C"]
        if vf == "within":
            if state["exact"]:
                R = np.zeros(2**C)
                R[uniq] = num
                full = zeta_transform(R)
                return lambda q: full[q]
            return lambda q: (num[None, :] * ((uniq[None, :] & ~q[:, None]) == 0)).sum(axis=1)
        if vf == "rate":
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)

            def v_rate(q: np.ndarray) -> np.ndarray:
                pos = np.clip(np.searchsorted(uniq, q), 0, len(uniq) - 1)
                return np.where(uniq[pos] == q, rate[pos], 0.0)

            return v_rate
        channels = data.channels
        bits = np.left_shift(np.int64(1), np.arange(C, dtype=np.int64))

        def v_user(q: np.ndarray) -> np.ndarray:
            out = np.asarray(vf((q[:, None] & bits[None, :]) != 0, channels), dtype=float)
            if out.shape != (len(q),):
                raise ValidationError(
                    f"the value function returned shape {out.shape}, expected ({len(q)},): "
                    "one value per coalition (row of the mask array)."
                )
            return out

        return v_user

    def _shapley(
        self, state: dict[str, Any], v: Callable[[np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        C = state["C"]
        if state["exact"]:
            return shapley_from_values(v(np.arange(2**C, dtype=np.int64))), np.zeros(C)
        rng = np.random.default_rng(state["seed"])
        m = self.n_permutations
        perms = np.argsort(rng.random((m, C)), axis=1)
        bits = np.left_shift(np.int64(1), perms.astype(np.int64))
        prefix = np.concatenate([np.zeros((m, 1), np.int64), np.cumsum(bits, axis=1)], axis=1)
        vals = v(prefix.ravel()).reshape(m, C + 1)
        marg = np.diff(vals, axis=1)  # marginal of perms[:, j]
        contrib = np.zeros((m, C))
        np.put_along_axis(contrib, perms, marg, axis=1)
        return contrib.mean(axis=0), contrib.std(axis=0, ddof=1) / np.sqrt(m)

    def _compute(self, state: dict[str, Any], weight: np.ndarray) -> dict[str, Any]:
        data = self._data
        conv = data.converted
        tc = float(weight[conv].sum())
        w0 = data.journeys.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
        tv = float((data.journeys.value * ratio)[conv].sum())
        fit = weight is data.journeys.weight
        phi, se = self._shapley(state, self._game(state, weight))
        pos = np.clip(phi, 0.0, None)  # negative Shapley values get no credit
        if not pos.sum() > 0:  # a bootstrap replicate that raises this is skipped (and counted)
            raise ValidationError(
                "no channel has a positive Shapley value under this value function, so there "
                f"is no basis to split the {tc:g} conversions; use value_function='within' "
                "or more data."
            )
        conversions = pos / pos.sum() * tc
        if self.value_function == "within":
            phi_v, _ = self._shapley(state, self._game(state, weight, on_value=True))
            pv = np.clip(phi_v, 0.0, None)
            value = pv / pv.sum() * tv if pv.sum() > 0 else np.zeros_like(phi)
        else:
            value = conversions / tc * tv if tc > 0 else np.zeros_like(phi)
        out: dict[str, Any] = {
            "columns": {"shapley_value": phi, "shapley_se": se},
            "conversions": conversions,
            "value": value,
        }
        if fit:
            out["info"] = {
                "value_function": self._params()["value_function"],
                "exact": state["exact"],
                "n_permutations": None if state["exact"] else self.n_permutations,
            }
            if self.value_function == "within":
                out["tables"] = {"positions": ordered_shapley(data).table}
        return out
