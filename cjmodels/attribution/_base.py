"""Base class of the attribution models: fitting, the bootstrap over journeys, results."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, reweight
from cjmodels._threads import one_blas_thread as _one_blas_thread
from cjmodels.attribution._data import AttributionData, attribution_data
from cjmodels.attribution._results import QUANTITIES, Attribution
from cjmodels.errors import ValidationError
from cjmodels.results import Estimator

__all__ = ["AttributionModel"]


class AttributionModel(Estimator, ABC):
    """Base of the attribution models: ``Model(**params).fit(data)`` sets ``result_``.

    ``fit(data, **options)`` reads the data with :func:`attribution_data` (``options`` are its
    column and journey options), fits, sets ``result_`` (an :class:`Attribution`) and returns
    the model; :meth:`bootstrap` adds percentile intervals over journeys. Subclasses define
    ``_prepare(data)``, the work that does not depend on journey counts (path parsing, state
    encoding), done once per fit, and ``_compute(state, weight)``, which turns counts into
    per-channel credit, once per fit and once per bootstrap replicate.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import HeuristicAttribution
    >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1],
    ...                    "total_null": [1, 3]})
    >>> m = HeuristicAttribution("first").fit(pt)
    >>> m
    HeuristicAttribution(rule='first')
    >>> m.result_.table["conversions"].tolist()
    [2.0, 1.0]
    """

    name = "base"
    _needs_times = False

    def _params(self) -> dict[str, Any]:
        """The parameters recorded in the result (``get_params`` in plain values)."""
        return self.get_params()

    # -- to be defined by subclasses -------------------------------------------------------
    @abstractmethod
    def _prepare(self, data: AttributionData) -> Any:
        """Work that does not depend on journey counts (parsing, state encoding)."""

    @abstractmethod
    def _compute(self, state: Any, weight: np.ndarray) -> dict[str, Any]:
        """Per-channel credit from prepared state and journey weights."""

    # -- public ------------------------------------------------------------------------------
    def fit(self, data: Any, **options: Any) -> AttributionModel:
        """Fit on an event log or a path table and return the model.

        Parameters
        ----------
        data : event log, path table, CSV file or AttributionData
            See :func:`attribution_data`.
        **options
            Options of :func:`attribution_data` (column names, ``timeout``, ``separator``, ...).

        Returns
        -------
        AttributionModel
            The model, with ``result_`` (an :class:`Attribution`). A new fit replaces the
            previous one entirely.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.attribution import MarkovAttribution
        >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1],
        ...                    "total_null": [1, 3]})
        >>> MarkovAttribution().fit(pt).result_.table["removal_effect"].round(3).tolist()
        [0.429, 1.0]
        """
        self.result_ = None
        d = attribution_data(data, times=self._needs_times, **options)
        self._data = d
        with _one_blas_thread():
            self._state = self._prepare(d)
            out = self._compute(self._state, d.journeys.weight)
        self.result_ = self._result(out, d)
        return self

    def _totals(self, weight: np.ndarray) -> tuple[float, float]:
        d = self._data
        conv = d.converted
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(d.journeys.weight > 0, weight / d.journeys.weight, 0.0)
        return float(weight[conv].sum()), float((d.journeys.value * ratio)[conv].sum())

    def _result(self, out: dict[str, Any], data: AttributionData) -> Attribution:
        tc, tv = data.total_conversions, data.total_value
        table = pd.DataFrame(index=pd.Index(data.channels, name="channel"))
        for q in ("removal_effect", "value_removal_effect"):
            if q in out:
                table[q] = out[q]
        for k, v in out.get("columns", {}).items():
            table[k] = v
        table["conversions"] = out["conversions"]
        table["value"] = out["value"]
        table["share"] = out["conversions"] / tc if tc > 0 else np.nan
        info = {
            "n_journeys": data.n_journeys,
            "n_rows": data.journeys.n,
            "source": (data.info or {}).get("source"),
            **out.get("info", {}),
        }
        return Attribution(
            self.name, table, tc, tv, self._params(), info, dict(out.get("tables", {})),
            conversions_without_touches=data.conversions_without_touches,
            value_without_touches=data.value_without_touches,
        )

    def bootstrap(
        self,
        n_boot: int = 1000,
        *,
        alpha: float = 0.05,
        method: str = "poisson",
        random_state: int | np.random.Generator | None = None,
        progress: bool | Callable[..., Iterable[Any]] | None = False,
    ) -> Attribution:
        """Percentile intervals from resampling journeys (reweighting the fitted rows).

        The fit itself is left as it was: the intervals come back in a new result.

        Parameters
        ----------
        n_boot : int
            Number of replicates (at least 2).
        alpha : float
            The intervals cover ``1 - alpha``.
        method : {"poisson", "multinomial"}
            How journeys are resampled (:func:`cjmodels._resample.reweight`): Poisson(1)
            counts per journey, or the N journeys drawn with replacement.
        random_state : int, Generator or None
            Seed; replicate ``b`` draws from child ``b`` of the seed's generators
            (:func:`cjmodels._resample.replicate_generators`), so results do not depend on
            batching.
        progress : bool or tqdm-like callable
            A bar over the replicates: True (tqdm), False (default), or a tqdm-like callable.

        Returns
        -------
        Attribution
            The fitted result with ``<q>_ci_low``, ``<q>_ci_high`` and ``<q>_se`` columns and
            the replicates.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.attribution import HeuristicAttribution
        >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [20, 10],
        ...                    "total_null": [80, 90]})
        >>> res = HeuristicAttribution("first").fit(pt).bootstrap(100, random_state=1)
        >>> res.summary()[["channel", "conversions_ci_low", "conversions_ci_high"]].round(1)
          channel  conversions_ci_low  conversions_ci_high
        0       a                13.0                 28.5
        1       b                 4.5                 17.5
        """
        self._check_fitted()
        check_scalar(n_boot, "n_boot", typ=int, ge=2)
        check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
        check_scalar(method, "method", in_=("poisson", "multinomial"))
        check_progress(progress)
        rngs = replicate_generators(random_state, n_boot)
        w0 = self._data.journeys.weight
        reps: dict[str, list[np.ndarray]] = {}
        with _one_blas_thread():
            self._replicates(rngs, w0, method, reps, progress)
        skipped = n_boot - (len(next(iter(reps.values()))) if reps else 0)
        res = self.result_
        return self._with_intervals(res, reps, alpha, n_boot, method, skipped)

    def _replicates(
        self,
        rngs: list[np.random.Generator],
        w0: np.ndarray,
        method: str,
        reps: dict[str, list[np.ndarray]],
        progress: Any,
    ) -> None:
        for rng in progress_bar(rngs, progress, total=len(rngs), desc=f"bootstrap {self.name}"):
            w = reweight(w0, rng, method)
            tc, _ = self._totals(w)
            if tc <= 0:
                continue
            try:
                out = self._compute(self._state, w)
            except ValidationError:
                continue
            out["share"] = out["conversions"] / tc
            for q in QUANTITIES:
                if q in out:
                    reps.setdefault(q, []).append(np.asarray(out[q], dtype=float))

    def _with_intervals(
        self,
        res: Attribution,
        reps: dict[str, list[np.ndarray]],
        alpha: float,
        n_boot: int,
        method: str,
        skipped: int,
    ) -> Attribution:
        if not reps:
            raise ValidationError("no bootstrap replicate had a conversion; use more data.")
        table = res.table.copy()
        arrays = {q: np.vstack(v) for q, v in reps.items()}
        few = False
        for q, a in arrays.items():
            n_ok = (~np.isnan(a)).sum(axis=0)
            few = few or bool((n_ok < 2).any())
            with warnings.catch_warnings():  # columns with < 2 replicates: NaN, noted below
                warnings.simplefilter("ignore", RuntimeWarning)
                table[f"{q}_ci_low"] = np.nanquantile(a, alpha / 2, axis=0)
                table[f"{q}_ci_high"] = np.nanquantile(a, 1 - alpha / 2, axis=0)
                table[f"{q}_se"] = np.where(n_ok >= 2, np.nanstd(a, axis=0, ddof=1), np.nan)
        info = {
            **res.info,
            "n_boot": n_boot,
            "bootstrap_method": method,
            "alpha": alpha,
            "replicates_skipped": skipped,
        }
        if few:
            info["bootstrap_note"] = (
                "some quantities are defined in fewer than two bootstrap replicates, so their "
                "standard error is NaN (and their interval too when none has them); use a "
                "larger n_boot or more data."
            )
        return Attribution(
            res.model, table, res.total_conversions, res.total_value, res.params, info,
            res.tables, arrays, res.conversions_without_touches, res.value_without_touches,
        )
