"""Multi-touch channel attribution.

Heuristics (first, last, last non-direct, linear, time decay, position-based), exact Markov
removal effects of any order, the Shapley family, bagged logistic regression, bootstrap intervals
over journeys, the Markov order by cross-validation and comparison with a known truth.

Every model is an estimator (``Model(**params).fit(data)``) that takes an event log or a path
table in ChannelAttribution's layout (``path`` with ``" > "``, ``total_conversions``,
``total_null``, ``total_conversion_value``) and sets ``result_``, an :class:`Attribution` whose
credits sum to the total conversions and value; :func:`attribute` does it in one call.

Examples
--------
>>> import pandas as pd
>>> from cjmodels.attribution import attribute, compare
>>> pt = pd.DataFrame({"path": ["search > email", "email", "social > search"],
...                    "total_conversions": [30, 10, 5], "total_null": [70, 90, 95]})
>>> compare([attribute(pt, model=m) for m in ("first", "last", "markov")]).round(3)
         first   last  markov
channel
email    0.222  0.889   0.516
search   0.667  0.111   0.323
social   0.111  0.000   0.161
"""

from __future__ import annotations

from typing import Any

from cjmodels._progress import check_progress
from cjmodels.attribution._base import AttributionModel
from cjmodels.attribution._data import AttributionData, attribution_data
from cjmodels.attribution._results import Attribution, compare
from cjmodels.attribution.heuristics import HEURISTICS, HeuristicAttribution, touch_credit
from cjmodels.attribution.logistic import LogisticAttribution, exposure_matrix
from cjmodels.attribution.markov import MarkovAttribution
from cjmodels.attribution.selection import OrderCrossValidation, cross_validate_order
from cjmodels.attribution.shapley import (
    OrderedShapley,
    ShapleyAttribution,
    ordered_shapley,
    shapley_from_values,
    zeta_transform,
)
from cjmodels.attribution.truth import (
    GroundTruthComparison,
    LogisticWorld,
    ground_truth_comparison,
    logistic_world,
)
from cjmodels.errors import ValidationError

__all__ = [
    "HEURISTICS",
    "MODELS",
    "Attribution",
    "AttributionData",
    "AttributionModel",
    "GroundTruthComparison",
    "HeuristicAttribution",
    "LogisticAttribution",
    "LogisticWorld",
    "MarkovAttribution",
    "OrderCrossValidation",
    "OrderedShapley",
    "ShapleyAttribution",
    "attribute",
    "attribution_data",
    "compare",
    "cross_validate_order",
    "exposure_matrix",
    "ground_truth_comparison",
    "logistic_world",
    "make_model",
    "ordered_shapley",
    "shapley_from_values",
    "touch_credit",
    "zeta_transform",
]

#: Model names accepted by :func:`attribute`, :func:`make_model` and the command line.
MODELS: tuple[str, ...] = (*HEURISTICS, "markov", "shapley", "logistic")


def make_model(model: str, **params: Any) -> AttributionModel:
    """An unfitted model by name (see :data:`MODELS`), with its parameters.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`: a rule of :class:`HeuristicAttribution` (``"first"``,
        ``"last-non-direct"``, ``"time-decay"``, ...), ``"markov"``, ``"shapley"`` or
        ``"logistic"``.
    **params
        The model's parameters (keywords of its constructor).

    Returns
    -------
    AttributionModel
        :class:`HeuristicAttribution` (with ``rule=model``), :class:`MarkovAttribution`,
        :class:`ShapleyAttribution` or :class:`LogisticAttribution`, not fitted.

    Raises
    ------
    cjmodels.errors.ValidationError
        For a name not in :data:`MODELS`.

    Examples
    --------
    >>> make_model("markov", order=2)
    MarkovAttribution(order=2)
    >>> make_model("time-decay", half_life=3.0)
    HeuristicAttribution(rule='time-decay', half_life=3)
    """
    if model in HEURISTICS:
        return HeuristicAttribution(model, **params)
    if model == "markov":
        return MarkovAttribution(**params)
    if model == "shapley":
        return ShapleyAttribution(**params)
    if model == "logistic":
        return LogisticAttribution(**params)
    raise ValidationError(f"model == {model!r} is unknown; choose one of {', '.join(MODELS)}.")


def attribute(
    data: Any,
    model: str = "markov",
    *,
    n_boot: int = 0,
    alpha: float = 0.05,
    random_state: Any = None,
    progress: Any = False,
    data_options: dict[str, Any] | None = None,
    **params: Any,
) -> Attribution:
    """Attribute conversions to channels with one model, optionally with bootstrap intervals.

    ``attribute(data, model, **params)`` is ``make_model(model, **params).fit(data).result_``,
    with :meth:`AttributionModel.bootstrap` when ``n_boot`` is given.

    Parameters
    ----------
    data : event log, path table, CSV file or AttributionData
        See :func:`attribution_data`.
    model : str
        One of :data:`MODELS`.
    n_boot : int
        Bootstrap replicates over journeys (default 0: no bootstrap, no intervals).
    alpha : float
        Intervals cover ``1 - alpha``.
    random_state : int, Generator or None
        Seed of the bootstrap, and of randomised models (Shapley permutations, logistic bags)
        unless their own ``random_state`` is given.
    progress : bool or tqdm-like callable
        A bar over the bootstrap replicates: True (tqdm), False (default), or a tqdm-like
        callable.
    data_options : dict, optional
        Options for :func:`attribution_data` (column names, ``timeout``, ...).
    **params
        Model parameters (``order=2``, ``half_life=3``, ...).

    Returns
    -------
    Attribution
        The fitted result; with ``n_boot`` its table also has ``<quantity>_ci_low``,
        ``<quantity>_ci_high`` and ``<quantity>_se`` (percentile intervals over journeys).

    Examples
    --------
    >>> import pandas as pd
    >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [20, 10],
    ...                    "total_null": [80, 90]})
    >>> res = attribute(pt, model="linear", n_boot=50, random_state=1)
    >>> res.summary()[["channel", "conversions", "conversions_ci_low", "conversions_ci_high"]]
      channel  conversions  conversions_ci_low  conversions_ci_high
    0       a         10.0                 6.5              13.8875
    1       b         20.0                15.5              27.3875
    """
    check_progress(progress)
    if model in ("shapley", "logistic"):
        params.setdefault("random_state", random_state)
    m = make_model(model, **params)
    m.fit(data, **(data_options or {}))
    if n_boot:
        return m.bootstrap(n_boot, alpha=alpha, random_state=random_state, progress=progress)
    return m.result_
