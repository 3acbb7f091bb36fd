"""The uncertainty of a fitted chain: intervals of its transition probabilities and bootstrap
replicates of its counts (made by :meth:`FittedChain.intervals` and
:meth:`FittedChain.bootstrap` of :mod:`cjmodels.markov.fit`).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.results import Result, result_dataclass

__all__ = ["ChainBootstrap", "TransitionIntervals"]


@result_dataclass
class TransitionIntervals(Result):
    """Interval for every allowed transition probability (:meth:`FittedChain.intervals`).

    ``table`` has one row per allowed cell of every non-end row: ``from_state``, ``to_state``,
    ``count``, ``row_total``, ``probability`` (the fitted value), ``ci_low``, ``ci_high``;
    ``summary()`` is the table indexed by (from_state, to_state).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per allowed transition of every non-end row (end states and rows made
        absorbing have none): ``from_state``, ``to_state``, ``count`` (observed transitions),
        ``row_total`` (transitions out of ``from_state``), ``probability`` (the fitted value,
        with the fit's prior), ``ci_low`` and ``ci_high``. With ``"wald"`` and ``"wilson"``
        the limits are NaN for a row that is never left (``row_total`` 0, which only a prior
        allows; its probabilities are then the prior mean).
    method : str
        The interval method: ``"wald"``, ``"wilson"``, ``"jeffreys"``, ``"uniform"`` or
        ``"bootstrap"`` (see :meth:`FittedChain.intervals`).
    alpha : float
        1 - the confidence level.
    info : dict
        For ``method="bootstrap"``: ``n_boot``, ``unit`` (``"customer"``, or ``"journey"`` for
        a path table) and ``n_units`` (customers resampled); empty otherwise.

    Examples
    --------
    >>> from cjmodels.markov import fit_chain
    >>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 3, ("a", "(null)"): 7})
    >>> fit.intervals("jeffreys")
    TransitionIntervals(method='jeffreys', alpha=0.05, transitions=6)
    """

    table: pd.DataFrame
    method: str
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        """The table, indexed by (from_state, to_state)."""
        return self.table.set_index(["from_state", "to_state"])

    def _repr_fields(self) -> dict[str, Any]:
        return {"method": self.method, "alpha": self.alpha, "transitions": len(self.table)}

    def matrix(self, column: str = "ci_low") -> pd.DataFrame:
        """One column of the table as a from x to matrix.

        Parameters
        ----------
        column : str, default "ci_low"
            A column of :attr:`table`: ``"ci_low"``, ``"ci_high"``, ``"probability"``,
            ``"count"`` or ``"row_total"``.

        Returns
        -------
        pandas.DataFrame
            Rows ``from_state``, columns ``to_state`` (both sorted by name, as
            :meth:`pandas.DataFrame.pivot` gives them); NaN for transitions that are not
            allowed.

        Examples
        --------
        >>> from cjmodels.markov import fit_chain
        >>> fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 3,
        ...                  ("a", "(null)"): 7})
        >>> fit.intervals("wilson").matrix("ci_high").loc["a"].round(3).tolist()
        [0.603, 0.892, 0.278]
        """
        return self.table.pivot(index="from_state", columns="to_state", values=column)

    @property
    def notes(self) -> list[str]:
        """Plain sentences explaining every undefined (NaN) interval."""
        t = self.table
        bad = ~np.isfinite(t["ci_low"].to_numpy(dtype=float)) | ~np.isfinite(
            t["ci_high"].to_numpy(dtype=float))
        never = t.loc[bad & (t["row_total"].to_numpy() <= 0), "from_state"].unique()
        notes = [f"state {s!r} was never left: the intervals of its probability row are "
                 "undefined (null)." for s in never]
        if (bad & (t["row_total"].to_numpy() > 0)).any():
            notes.append("some intervals are undefined (null): no bootstrap replicate left "
                         "their state.")
        return notes

    def _to_dict(self) -> dict[str, Any]:
        """Strict-JSON content; ``notes`` explain every ``null``."""
        return {
            "method": self.method,
            "alpha": self.alpha,
            "transitions": self.table.to_dict(orient="records"),
            "info": dict(self.info),
            "notes": self.notes,
        }


@result_dataclass
class ChainBootstrap(Result):
    """Replicates of the transition counts from resampling customers (or journeys).

    Made by :meth:`FittedChain.bootstrap`. ``counts[b, p]`` is the count of observed
    transition ``p`` (``pair_from[p]`` to ``pair_to[p]``, indices into ``fit.states``) in
    replicate ``b``; ``summary()`` has the observed count of every transition with the mean,
    standard deviation and 2.5% and 97.5% quantiles of its replicates.

    Attributes
    ----------
    fit : FittedChain
        The chain that was resampled; replicate matrices use its prior, journey graph and end
        rows.
    pair_from, pair_to : numpy.ndarray of int
        The observed transitions (indices into ``fit.states``), one per column of ``counts``.
    counts : numpy.ndarray
        Shape ``(n_boot, n_transitions)``: the weighted count of each observed transition in
        each replicate.
    info : dict
        ``unit`` (``"customer"`` for an event log; ``"journey"`` for a path table, whose
        journeys are the units) and ``n_units`` (the number of units resampled).

    Examples
    --------
    >>> from cjmodels.markov import fit_chain
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
    ...                    "event": ["touch", "conversion", "touch", "drop_out"],
    ...                    "stage": ["a", None, "a", None]})
    >>> boot = fit_chain(df).bootstrap(20, random_state=1)
    >>> boot
    ChainBootstrap(n_boot=20, unit='customer')
    >>> boot.matrices().shape
    (20, 4, 4)
    """

    fit: Any  # the FittedChain resampled (not imported: fit imports this module)
    pair_from: np.ndarray
    pair_to: np.ndarray
    counts: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_boot(self) -> int:
        """Number of bootstrap replicates."""
        return self.counts.shape[0]

    def matrix(self, b: int) -> np.ndarray:
        """Transition matrix of replicate ``b`` (same prior and end rows as the fit).

        A non-end row that the replicate never leaves keeps the fitted row (with a prior, it
        is the prior mean).

        Parameters
        ----------
        b : int
            The replicate, ``0 <= b < n_boot``.

        Returns
        -------
        numpy.ndarray
            The ``(k, k)`` transition matrix of replicate ``b``, in the order of
            ``fit.states``.

        Examples
        --------
        >>> from cjmodels.markov import fit_chain
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
        ...                    "event": ["touch", "conversion", "touch", "drop_out"],
        ...                    "stage": ["a", None, "a", None]})
        >>> boot = fit_chain(df).bootstrap(20, random_state=1)
        >>> boot.matrix(0)[1].tolist()  # the row of "a" in the first replicate
        [0.0, 0.0, 0.5, 0.5]
        """
        f = self.fit
        k = len(f.states)
        c = np.zeros((k, k))
        np.add.at(c, (self.pair_from, self.pair_to), self.counts[b])
        return f._estimate(c, fallback=True)

    def matrices(self) -> np.ndarray:
        """All replicate matrices, shape (n_boot, k, k).

        Returns
        -------
        numpy.ndarray
            ``matrices()[b]`` is :meth:`matrix` of replicate ``b``.

        Examples
        --------
        >>> from cjmodels.markov import fit_chain
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
        ...                    "event": ["touch", "conversion", "touch", "drop_out"],
        ...                    "stage": ["a", None, "a", None]})
        >>> mats = fit_chain(df).bootstrap(20, random_state=1).matrices()
        >>> mats.shape, bool(np.allclose(mats.sum(axis=2), 1))
        ((20, 4, 4), True)
        """
        return np.stack([self.matrix(b) for b in range(self.n_boot)])

    def _summary(self) -> pd.DataFrame:
        names = np.array(self.fit.states, dtype=object)
        k = len(self.fit.states)
        c = self.counts
        return pd.DataFrame({
            "from_state": names[self.pair_from],
            "to_state": names[self.pair_to],
            "count": self.fit.counts.ravel()[self.pair_from * k + self.pair_to],
            "mean": c.mean(axis=0) if len(c) else np.nan,
            "sd": c.std(axis=0, ddof=1) if len(c) > 1 else np.nan,
            "q025": np.quantile(c, 0.025, axis=0) if len(c) else np.nan,
            "q975": np.quantile(c, 0.975, axis=0) if len(c) else np.nan,
        })

    def _repr_fields(self) -> dict[str, Any]:
        return {"n_boot": self.n_boot, "unit": self.info.get("unit")}

    def _to_dict(self) -> dict[str, Any]:
        names = list(self.fit.states)
        return {"n_boot": self.n_boot, "states": names,
                "pair_from": self.pair_from, "pair_to": self.pair_to, "counts": self.counts,
                "info": dict(self.info)}
