"""Sample-ratio mismatch: check the arm sizes before any result is shown.

A sample-ratio mismatch (SRM) means the arms did not receive the share of customers the design
intended: a redirect fails, a bot filter hits one arm, logging is lost. Effects estimated on
such data are suspect even when the mechanism looks innocent, so :func:`srm_check` runs first
and :func:`cjmodels.experiments.analyze` puts its verdict on top of every result.

The default threshold is ``p < 0.001``: the usual choice in online experimentation (Fabijan et
al. 2019, "Diagnosing sample ratio mismatch in online controlled experiments"; Kohavi, Tang & Xu
2020, ch. 21), strict because the check runs on every experiment and large samples detect even
tiny imbalances.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels._json import to_jsonable
from cjmodels.errors import ValidationError
from cjmodels.experiments._stats import SufficientStats, _per_arm, arm_codes

__all__ = ["SRMResult", "SampleRatioMismatchWarning", "srm_check"]

#: Default p-value threshold below which a sample-ratio mismatch is declared.
SRM_THRESHOLD = 0.001


class SampleRatioMismatchWarning(UserWarning):
    """The arms' sizes differ from the intended allocation (see :func:`srm_check`)."""


@dataclass(frozen=True)
class SRMResult:
    """Outcome of a sample-ratio check.

    Attributes
    ----------
    arms : tuple of str
    observed : tuple of float
        Units per arm.
    expected_share : tuple of float
        Intended share per arm.
    statistic, pvalue : float
        Chi-square goodness-of-fit statistic (or the binomial count) and p-value.
    method : str
        ``"chi2"`` or ``"binomial"``.
    threshold : float
        P-values below it flag a mismatch.
    mismatch : bool
        ``pvalue < threshold``.
    """

    arms: tuple[str, ...]
    observed: tuple[float, ...]
    expected_share: tuple[float, ...]
    statistic: float
    pvalue: float
    method: str
    threshold: float
    mismatch: bool
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> np.ndarray:
        """Expected units per arm under the intended allocation."""
        return np.asarray(self.expected_share) * float(np.sum(self.observed))

    def message(self) -> str:
        """One readable line: the verdict with the numbers behind it."""
        obs = ", ".join(
            f"{a} {int(o):,} ({o / sum(self.observed):.2%} vs {e:.2%})"
            for a, o, e in zip(self.arms, self.observed, self.expected_share, strict=True)
        )
        if self.mismatch:
            return (
                f"SAMPLE RATIO MISMATCH: p = {self.pvalue:.3g} < {self.threshold:g} ({self.method}"
                f"); {obs}. The assignment or logging is broken somewhere: do not trust the "
                "effects below until the cause is found."
            )
        return f"sample ratio ok: p = {self.pvalue:.3g} >= {self.threshold:g} ({self.method}); {obs}"

    def summary(self) -> pd.DataFrame:
        """Per arm: observed and expected units and shares."""
        obs = np.asarray(self.observed)
        return pd.DataFrame(
            {"observed": obs, "expected": self.expected, "observed_share": obs / obs.sum(),
             "expected_share": self.expected_share},
            index=pd.Index(self.arms, name="variant"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return to_jsonable({
            "arms": list(self.arms), "observed": list(self.observed),
            "expected_share": list(self.expected_share), "statistic": self.statistic,
            "pvalue": self.pvalue, "method": self.method, "threshold": self.threshold,
            "mismatch": self.mismatch, "message": self.message(),
        })

    def __repr__(self) -> str:
        return f"SRMResult({self.message()})"

    def plot(self, ax=None):
        """Observed versus expected share per arm; returns the axis."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3))
        s = self.summary()
        x = np.arange(len(s))
        ax.bar(x - 0.2, s["observed_share"], 0.4, label="observed")
        ax.bar(x + 0.2, s["expected_share"], 0.4, label="expected")
        ax.set_xticks(x, s.index)
        ax.set(ylabel="share of units", title=f"SRM check: p = {self.pvalue:.3g}")
        ax.legend()
        return ax


def srm_check(
    data: pd.DataFrame | SufficientStats | Mapping[str, float] | Sequence[float],
    *,
    expected: Mapping[str, float] | Sequence[float] | None = None,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    threshold: float = SRM_THRESHOLD,
    method: str = "chi2",
    warn: bool = True,
) -> SRMResult:
    """Test whether the arm sizes match the intended allocation.

    Parameters
    ----------
    data : DataFrame, SufficientStats, mapping or sequence
        A per-customer table (one row per assigned unit), statistics, or counts per arm
        (a mapping arm -> count, or a sequence with ``arms``).
    expected : mapping or sequence, optional
        Intended share per arm (normalised to sum 1). Default: equal shares.
    threshold : float
        Declare a mismatch when ``pvalue < threshold``; default 0.001 (see module docstring).
    method : {"chi2", "binomial"}
        Pearson chi-square goodness of fit (any number of arms; default) or the exact binomial
        test (two arms).
    warn : bool
        Emit a :class:`SampleRatioMismatchWarning` when a mismatch is found.

    Examples
    --------
    Kohavi, Tang & Xu (2020), ch. 21: 821,588 versus 815,482 users in a 50/50 test.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     r = srm_check({"control": 821588, "treatment": 815482})
    >>> r.mismatch, f"{r.pvalue:.3g}"
    (True, '1.82e-06')
    """
    check_scalar(threshold, "threshold", typ=float, gt=0, lt=1)
    check_scalar(method, "method", in_=("chi2", "binomial"))
    if isinstance(data, pd.DataFrame):
        names, codes = arm_codes(data, variant, arms)
        obs = np.bincount(codes, minlength=len(names)).astype(float)
    elif isinstance(data, SufficientStats):
        st = data if arms is None else data.select(None, arms)
        names, obs = st.arms, st.n.copy()
    else:
        names, obs = _per_arm(data, arms, "counts")
    if len(names) < 2:
        raise ValidationError("an SRM check needs at least two arms.")
    if np.any(obs < 0) or np.any(obs != np.round(obs)):
        raise ValidationError(f"arm counts {obs.tolist()} must be non-negative whole numbers.")
    if np.any(obs == 0):
        empty = [a for a, o in zip(names, obs, strict=True) if o == 0]
        raise ValidationError(f"arms {empty} have zero units; check the assignment.")
    if expected is None:
        share = np.full(len(names), 1 / len(names))
    else:
        _, share = _per_arm(expected, list(names), "expected")
        if np.any(share <= 0):
            raise ValidationError("expected shares must be > 0.")
        share = share / share.sum()
    if method == "chi2":
        res = sps.chisquare(obs, share * obs.sum())
        stat, p = float(res.statistic), float(res.pvalue)
    else:
        if len(names) != 2:
            raise ValidationError("method='binomial' checks two arms; use 'chi2' for more.")
        res = sps.binomtest(int(obs[0]), int(obs.sum()), float(share[0]))
        stat, p = float(obs[0]), float(res.pvalue)
    out = SRMResult(tuple(names), tuple(float(o) for o in obs), tuple(float(s) for s in share),
                    stat, p, method, float(threshold), bool(p < threshold))
    if out.mismatch and warn:
        warnings.warn(out.message(), SampleRatioMismatchWarning, stacklevel=2)
    return out
