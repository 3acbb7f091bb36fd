"""Rule-based attribution: first, last, last non-direct, linear, time decay, position-based.

Each rule gives every touch of a converting journey a fraction of the conversion (fractions sum
to 1 within the journey); a channel's credit is the sum of its touches' fractions times the
journey's conversions (and value). Everything is one vectorised pass over the touches.

First, last and linear (per touch) follow ChannelAttribution's ``heuristic_models``: paths are
taken as they are (repeats kept), linear splits a conversion equally over the *touches*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cjmodels._checks import check_scalar
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData
from cjmodels.errors import ValidationError

__all__ = ["HEURISTICS", "HeuristicAttribution", "touch_credit"]

#: Names of the rules.
HEURISTICS: tuple[str, ...] = (
    "first",
    "last",
    "last-non-direct",
    "linear",
    "linear-unique",
    "time-decay",
    "position",
)


def _touch_index(js: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, position within the row, and row length of every touch."""
    lengths = js.lengths
    row = np.repeat(np.arange(js.n), lengths)
    pos = np.arange(len(js.symbols)) - np.repeat(js.offsets[:-1], lengths)
    return row, pos, lengths[row]


def touch_credit(
    data: AttributionData,
    rule: str,
    *,
    half_life: float = 7.0,
    position_weights: Sequence[float] = (0.4, 0.2, 0.4),
    direct: Sequence[str] = ("direct",),
) -> np.ndarray:
    """Fraction of its journey's conversion that each touch gets under ``rule``.

    Parameters
    ----------
    data : AttributionData
        The journeys (:func:`attribution_data`; with ``times=True`` for ``"time-decay"``).
    rule : str
        One of :data:`HEURISTICS`; see :class:`HeuristicAttribution`.
    half_life : float
        Half-life of time decay (``"time-decay"`` only), in the unit of ``data.dt``; see
        :class:`HeuristicAttribution`.
    position_weights : sequence of three floats
        Weights of the first, middle and last touches (``"position"`` only), non-negative and
        summing to 1.
    direct : sequence of str
        Channels that count as direct (``"last-non-direct"`` only).

    Returns
    -------
    numpy.ndarray
        One fraction per touch of ``data.journeys``, in its touch order; a journey's
        fractions sum to 1.

    Raises
    ------
    cjmodels.errors.ValidationError
        For an unknown rule, invalid ``position_weights`` or ``half_life``, or time decay on
        data without touch times.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import attribution_data
    >>> d = attribution_data(pd.DataFrame({"path": ["a > b > a"], "total_conversions": [1],
    ...                                     "total_null": [0]}))
    >>> touch_credit(d, "linear-unique").tolist()
    [0.5, 0.5, 0.0]
    >>> touch_credit(d, "position").tolist()
    [0.4, 0.2, 0.4]
    """
    check_scalar(rule, "rule", in_=HEURISTICS)
    js = data.journeys
    row, pos, length = _touch_index(js)
    n_t = len(js.symbols)
    credit = np.zeros(n_t)
    if rule == "first":
        credit[pos == 0] = 1.0
    elif rule == "last":
        credit[pos == length - 1] = 1.0
    elif rule == "linear":
        credit = 1.0 / length
    elif rule == "linear-unique":
        key = row * (len(js.labels) + 1) + js.symbols
        _, first = np.unique(key, return_index=True)  # first touch of each channel in its row
        m = np.bincount(row[first], minlength=js.n)
        credit[first] = 1.0 / m[row[first]]
    elif rule == "last-non-direct":
        labels = [str(x) for x in js.labels]
        is_direct = np.isin(js.symbols, [labels.index(d) for d in direct if d in labels])
        last_nd = np.full(js.n, -1, dtype=np.int64)
        idx = np.flatnonzero(~is_direct)
        np.maximum.at(last_nd, row[idx], idx)
        no_nd = last_nd < 0  # only direct touches: the last touch keeps the credit
        last_nd[no_nd] = js.offsets[1:][no_nd] - 1
        ok = js.lengths > 0
        credit[last_nd[ok]] = 1.0
    elif rule == "position":
        w = np.asarray(position_weights, dtype=float)
        if w.shape != (3,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ValidationError(
                f"position_weights == {tuple(position_weights)!r}, must be three non-negative "
                "numbers (first, middle, last) summing to 1, e.g. (0.4, 0.2, 0.4)."
            )
        first, mid, last = w
        one = length == 1
        two = length == 2
        many = length >= 3
        credit[one] = 1.0
        ends = first + last
        if ends > 0:
            credit[two & (pos == 0)] = first / ends
            credit[two & (pos == 1)] = last / ends
        else:  # all weight in the middle, no middle touch: split equally
            credit[two] = 0.5
        credit[many & (pos == 0)] = first
        credit[many & (pos == length - 1)] = last
        inner = many & (pos > 0) & (pos < length - 1)
        credit[inner] = mid / (length[inner] - 2)
    elif rule == "time-decay":
        check_scalar(half_life, "half_life", typ=float, gt=0)
        if data.dt is None:
            raise ValidationError(
                "time decay needs touch timestamps; fit on the event log (a path table has no "
                "times)."
            )
        dt = np.maximum(data.dt, 0.0)
        raw = np.exp2(-(dt - np.minimum.reduceat(dt, js.offsets[:-1])[row]) / half_life)
        total = np.bincount(row, weights=raw, minlength=js.n)
        credit = raw / total[row]
    return credit


def _weights(value: Any) -> tuple[float, ...]:
    """``position_weights`` as a tuple of three numbers, or a ValidationError naming it."""
    try:
        w = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        w = None
    if w is None or w.shape != (3,) or not np.all(np.isfinite(w)):
        raise ValidationError(
            f"position_weights == {value!r}, must be three finite numbers (first, middle, "
            "last) that sum to 1, such as (0.4, 0.2, 0.4)."
        )
    return tuple(float(x) for x in w)


def _channel_names(value: Any) -> tuple[str, ...]:
    """``direct`` as a tuple of channel names (one name may be given as a string)."""
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise ValidationError(
            f"direct == {value!r}, must be a channel name or a list of them, such as "
            "('direct',)."
        ) from None


class HeuristicAttribution(AttributionModel):
    """Rule-based attribution.

    Parameters
    ----------
    rule : str, default "last"
        One of :data:`HEURISTICS`. ``first`` and ``last`` give the whole conversion to the
        first or last touch. ``linear`` splits a conversion equally over touches
        (ChannelAttribution's linear, repeats counted), ``linear-unique`` equally over the
        distinct channels of the journey. ``last-non-direct``
        gives the credit to the last touch whose channel is not in ``direct`` (to the last touch
        when all are direct). ``time-decay`` weights a touch by ``2 ** (-age / half_life)``,
        age being the time from the touch to the journey's end. ``position`` gives ``first``
        and ``last`` of ``position_weights`` to the first and last touch and splits the middle
        weight over the touches in between (two touches: first and last share in proportion).
    half_life : float, default 7.0
        Half-life of time decay, in days for datetime logs (the log's unit for numeric times):
        a touch ``half_life`` earlier than another gets half its weight. Time decay
        needs touch times, so it is fitted on an event log, not a path table.
    position_weights : sequence of three floats, default (0.4, 0.2, 0.4)
        Position-based weights of the (first, middle, last) touches, non-negative and summing
        to 1.
    direct : str or sequence of str, default ("direct",)
        Channels that count as direct for ``last-non-direct`` (compared with the channel
        names exactly).

    See Also
    --------
    touch_credit : The fraction of its journey's conversion that each touch gets.
    MarkovAttribution, ShapleyAttribution : Models that credit a channel by its effect.

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"path": ["a > b > c", "c"], "total_conversions": [10, 5],
    ...                    "total_null": [5, 5]})
    >>> HeuristicAttribution("position").fit(pt).result_.table["conversions"].round(2).tolist()
    [4.0, 2.0, 9.0]
    """

    def __init__(
        self,
        rule: str = "last",
        *,
        half_life: float = 7.0,
        position_weights: Sequence[float] = (0.4, 0.2, 0.4),
        direct: Sequence[str] = ("direct",),
    ) -> None:
        self.rule = rule
        self.half_life = half_life
        self.position_weights = position_weights
        self.direct = direct

    @property
    def name(self) -> str:  # type: ignore[override]
        """The model's name in results and :func:`compare`: the rule."""
        return self.rule

    @property
    def _needs_times(self) -> bool:  # type: ignore[override]
        return self.rule == "time-decay"

    def _params(self) -> dict[str, Any]:
        p = super()._params()
        p["position_weights"] = _weights(p["position_weights"])
        p["direct"] = _channel_names(p["direct"])
        return p

    def _prepare(self, data: AttributionData) -> Any:
        credit = touch_credit(
            data,
            self.rule,
            half_life=self.half_life,
            position_weights=_weights(self.position_weights),
            direct=_channel_names(self.direct),
        )
        js = data.journeys
        row = np.repeat(np.arange(js.n), js.lengths)
        return {
            "credit": credit,
            "row": row,
            "symbols": js.symbols,
            "conv": data.converted,
            "w0": js.weight,
            "v0": js.value,
            "C": len(js.labels),
        }

    def _compute(self, state: dict[str, Any], weight: np.ndarray) -> dict[str, Any]:
        conv = state["conv"]
        w0 = state["w0"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(w0 > 0, weight / np.where(w0 > 0, w0, 1.0), 0.0)
        row_conv = np.where(conv, weight, 0.0)
        row_val = np.where(conv, state["v0"] * ratio, 0.0)
        r, c, sym = state["row"], state["credit"], state["symbols"]
        return {
            "conversions": np.bincount(sym, weights=c * row_conv[r], minlength=state["C"]),
            "value": np.bincount(sym, weights=c * row_val[r], minlength=state["C"]),
        }
