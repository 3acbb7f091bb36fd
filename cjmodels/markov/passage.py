"""One customer's passage through the life-cycle chain: the linear algebra of first passages,
the stationary distribution and the restart, and the :class:`Passage` result
(:meth:`cjmodels.markov.LifecycleChain.passage`).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._chains import absorbing_solve
from cjmodels.markov.chain import _reaching
from cjmodels.results import Result, result_dataclass

__all__ = ["Passage"]


# ---------------------------------------------------------------------------- linear algebra
def _restart(m: np.ndarray, start: int, leave: int) -> np.ndarray:
    out = m.copy()
    out[leave] = 0
    out[leave, start] = 1
    return out


def _stationary(m: np.ndarray) -> np.ndarray:
    """pi = pi P, sum 1, for an irreducible chain (works with complex entries)."""
    k = len(m)
    a = (m.T - np.eye(k)).astype(m.dtype)
    a[-1] = 1
    b = np.zeros(k, dtype=m.dtype)
    b[-1] = 1
    return np.linalg.solve(a, b)


def _passage(m: np.ndarray, d: np.ndarray, source: int, target: int) -> np.ndarray:
    """[P(reach target at a step >= 1), E[steps | reach], E[days | reach]] from ``source``.

    ``h_C = (I - P_CC)^-1 P_Ct`` over the states C that can reach the target, ``u = N h``
    (``E[T 1{reach}]``) and ``v = N r`` with ``r_j = sum_k P_jk d_jk h_k`` (``E[D 1{reach}]``);
    from the source one step of each. Complex entries pass through (complex-step derivatives).
    """
    k = len(m)
    can = _reaching(np.abs(m.real) > 0, [target])
    can[target] = False
    c = np.flatnonzero(can)
    hfull = np.zeros(k, dtype=m.dtype)
    hfull[target] = 1
    u = np.zeros(k, dtype=m.dtype)
    v = np.zeros(k, dtype=m.dtype)
    r = np.zeros(k, dtype=m.dtype)
    if len(c):
        q = m[np.ix_(c, c)]
        hc = absorbing_solve(q, m[c, target])
        hfull[c] = hc
        r = (m * d) @ hfull
        u[c] = absorbing_solve(q, hc)
        v[c] = absorbing_solve(q, r[c])
    else:
        r = (m * d) @ hfull
    h_s = m[source] @ hfull
    u_s = h_s + m[source, c] @ u[c]
    v_s = r[source] + m[source, c] @ v[c]
    den = h_s if abs(h_s) > 0 else np.nan
    return np.array([h_s, u_s / den, v_s / den])


# ---------------------------------------------------------------------------- results
@result_dataclass
class Passage(Result):
    """Passage from one state to another in one customer's life, with intervals
    (:meth:`LifecycleChain.passage`).

    ``table`` (and ``summary()``) is indexed by quantity: ``probability`` (of ever reaching
    ``target`` at a step >= 1 from ``origin``, before leaving), ``steps`` and ``days``
    (expected steps and time to reach it, given that it is reached), with ``estimate``,
    ``se``, ``ci_low``, ``ci_high``.

    Attributes
    ----------
    origin : str
        The state the passage starts from.
    target : str
        The state to reach (at a step >= 1, so ``origin == target`` is a return).
    table : pandas.DataFrame
        Indexed by ``quantity``: ``probability`` (of reaching the target before leaving),
        ``steps`` and ``days`` (expected steps and days to the target given that it is
        reached; days are NaN for a chain fitted from counts), with columns ``estimate``,
        ``se``, ``ci_low``, ``ci_high``.
    method : str
        ``"delta"`` or ``"bootstrap"``.
    alpha : float
        1 - the confidence level.
    info : dict
        For ``method="bootstrap"``: ``n_boot`` and ``unit`` (``"customer"``); empty for the
        delta method.

    Examples
    --------
    >>> from cjmodels.markov import lifecycle_chain
    >>> lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 6,
    ...                       ("a", "(null)"): 4, ("(conversion)", "a"): 3,
    ...                       ("(conversion)", "(null)"): 3})
    >>> lc.repeat_purchase()
    Passage(origin='(conversion)', target='(conversion)', probability=0.3, method='delta', alpha=0.05)
    """

    origin: str
    target: str
    table: pd.DataFrame
    method: str
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def probability(self) -> float:
        """Probability of reaching the target from the origin (at a step >= 1)."""
        return float(self.table.loc["probability", "estimate"])

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"origin": self.origin, "target": self.target, "probability": self.probability,
                "method": self.method, "alpha": self.alpha}

    @property
    def notes(self) -> list[str]:
        """Plain sentences saying why a quantity is undefined (NaN)."""
        t = self.table
        notes = []
        if t.loc["probability", "estimate"] <= 0:
            notes.append(f"{self.target!r} is never reached from {self.origin!r} (probability "
                         "0): the expected steps and days given that it is reached are "
                         "undefined (null).")
        elif not np.isfinite(t.loc["days", "estimate"]):
            notes.append("days are undefined (null): the chain was fitted from counts, which "
                         "carry no event times.")
        bad = ~np.isfinite(t[["se", "ci_low", "ci_high"]].to_numpy(dtype=float))
        bad &= np.isfinite(t[["estimate"]].to_numpy(dtype=float))
        if bad.any():
            notes.append("some intervals are undefined (null): no bootstrap replicate "
                         "defined them.")
        return notes

    def _to_dict(self) -> dict[str, Any]:
        """Strict-JSON content; ``notes`` explain every ``null``."""
        return {"origin": self.origin, "target": self.target,
                "method": self.method, "alpha": self.alpha,
                "quantities": self.table.to_dict(orient="index"),
                "info": dict(self.info), "notes": self.notes}
