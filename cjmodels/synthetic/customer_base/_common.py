"""Shared parts of the customer-base simulators: time stamps, seeds, parameters, draws."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.errors import ValidationError

_SECONDS_PER_DAY = 86_400
_SECONDS_PER_WEEK = 7 * _SECONDS_PER_DAY
_NUMBER = (int, float)
#: Latent times beyond this many days get no timestamp (NaT); pandas stops in 2262.
_FAR_DAYS = 36_500.0
_MAX_COUNT = 1e15  # cap of geometric draws when a churn/drop-out probability underflows

def _stamp(t_start: pd.Timestamp, seconds: np.ndarray) -> pd.DatetimeIndex:
    """``t_start`` plus whole seconds (floats; NaN or inf -> NaT)."""
    seconds = np.asarray(seconds, dtype=float)
    finite = np.isfinite(seconds)
    td = np.full(len(seconds), np.timedelta64("NaT", "s"), dtype="timedelta64[s]")
    td[finite] = seconds[finite].astype(np.int64).astype("timedelta64[s]")
    return pd.DatetimeIndex(t_start + pd.TimedeltaIndex(td.astype("timedelta64[ns]")))


def _seed_param(random_state: Any) -> Any:
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    return "Generator"


def _model_params(
    params: Mapping[str, Any] | None, model: str, owners: Mapping[str, tuple[str, ...]]
) -> dict[str, Any]:
    """``params`` checked against the parameters of ``model`` (``owners``: model -> names)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValidationError(
            f"params must be a mapping of {model!r} parameters such as {{{owners[model][0]!r}: "
            f"...}}, or None; got {type(params).__name__}."
        )
    given = {k: v for k, v in params.items() if v is not None}
    for owner, names in owners.items():
        bad = [k for k in given if k in names and k not in owners[model]]
        if owner != model and bad:
            raise ValidationError(
                f"params {', '.join(bad)} apply to model={owner!r} only, but model == "
                f"{model!r}. Drop them or pass model={owner!r}."
            )
    unknown = sorted(k for k in given if k not in owners[model])
    if unknown:
        raise ValidationError(
            f"params has unknown names {unknown}; model={model!r} takes {list(owners[model])}."
        )
    return given




def _geometric(rng: np.random.Generator, prob: np.ndarray) -> np.ndarray:
    """Trials up to and including the first success (support 1, 2, ...), by inversion.

    ``P(N > k) = (1 - prob)^k``; robust to ``prob`` underflowing to 0 (capped at ``_MAX_COUNT``).
    """
    u = 1.0 - rng.random(len(prob))  # in (0, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.log(u) / np.log1p(-prob)
    k = np.nan_to_num(k, nan=0.0, posinf=_MAX_COUNT)
    return np.floor(np.minimum(k, _MAX_COUNT)).astype(np.int64) + 1
