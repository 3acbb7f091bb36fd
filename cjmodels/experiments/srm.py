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

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.experiments._stats import SufficientStats, _per_arm
from cjmodels.results import HypothesisTest

__all__ = ["SampleRatioMismatchWarning", "srm_check"]

#: Default p-value threshold below which a sample-ratio mismatch is declared.
SRM_THRESHOLD = 0.001


class SampleRatioMismatchWarning(UserWarning):
    """The arms' sizes differ from the intended allocation (see :func:`srm_check`).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = srm_check({"control": 821588, "treatment": 815482})
    >>> caught[0].category.__name__
    'SampleRatioMismatchWarning'
    """


def _message(arms, observed, expected_share, pvalue, threshold, test, mismatch) -> str:
    total = sum(observed)
    obs = ", ".join(
        f"{a} {int(o):,} ({o / total:.2%} vs {e:.2%})"
        for a, o, e in zip(arms, observed, expected_share, strict=True)
    )
    if mismatch:
        return (
            f"SAMPLE RATIO MISMATCH: p = {pvalue:.3g} < {threshold:g} ({test}"
            f"); {obs}. The assignment or logging is broken somewhere: do not trust the "
            "effects below until the cause is found."
        )
    return f"sample ratio ok: p = {pvalue:.3g} >= {threshold:g} ({test}); {obs}"


def srm_check(
    data: pd.DataFrame | SufficientStats | Mapping[str, float] | Sequence[float],
    *,
    expected: Mapping[str, float] | Sequence[float] | None = None,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    threshold: float = SRM_THRESHOLD,
    test: str = "chi2",
    warn: bool = True,
) -> HypothesisTest:
    """Test whether the arm sizes match the intended allocation.

    Parameters
    ----------
    data : DataFrame, SufficientStats, mapping or sequence
        A per-customer table (one row per assigned unit), statistics, or counts per arm
        (a mapping arm -> count, or a sequence with ``arms``).
    expected : mapping or sequence of float, optional
        Intended share per arm (normalised to sum 1). Default: equal shares.
    variant : str
        Column holding the arm when ``data`` is a table (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order (required with a sequence of counts; with statistics, the
        arms to check).
    threshold : float
        Declare a mismatch when ``pvalue < threshold``; default 0.001 (see module docstring).
    test : {"chi2", "binomial"}
        Pearson chi-square goodness of fit (any number of arms; default) or the exact binomial
        test (two arms).
    warn : bool
        Emit a :class:`SampleRatioMismatchWarning` when a mismatch is found.

    Returns
    -------
    HypothesisTest
        The statistic (chi-square, or the first arm's count for the binomial test), its
        degrees of freedom (arms - 1; NaN for the binomial test) and p-value. ``table`` holds
        per arm the observed and expected units and shares; ``info`` the ``threshold``, the
        verdict ``mismatch`` (``pvalue < threshold``), the ``arms``, the ``observed`` counts,
        the ``expected_share`` and a readable ``message``.

    Raises
    ------
    ValidationError
        Fewer than two arms, an arm with zero units, counts that are not whole non-negative
        numbers, non-positive expected shares, or ``test="binomial"`` with more than two arms.

    Warns
    -----
    SampleRatioMismatchWarning
        When ``pvalue < threshold`` and ``warn`` is true.

    Examples
    --------
    Kohavi, Tang & Xu (2020), ch. 21: 821,588 versus 815,482 users in a 50/50 test.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     r = srm_check({"control": 821588, "treatment": 815482})
    >>> r.info["mismatch"], f"{r.pvalue:.3g}"
    (True, '1.82e-06')
    >>> r.table["observed_share"].round(4).tolist()
    [0.5019, 0.4981]
    """
    check_scalar(threshold, "threshold", typ=float, gt=0, lt=1)
    check_scalar(test, "test", in_=("chi2", "binomial"))
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
    if test == "chi2":
        res = sps.chisquare(obs, share * obs.sum())
        stat, p = float(res.statistic), float(res.pvalue)
    else:
        if len(names) != 2:
            raise ValidationError("test='binomial' checks two arms; use 'chi2' for more.")
        res = sps.binomtest(int(obs[0]), int(obs.sum()), float(share[0]))
        stat, p = float(obs[0]), float(res.pvalue)
    arms_t = tuple(names)
    observed = tuple(float(o) for o in obs)
    shares = tuple(float(v) for v in share)
    mismatch = bool(p < threshold)
    message = _message(arms_t, observed, shares, p, float(threshold), test, mismatch)
    expected_n = np.asarray(shares) * float(np.sum(observed))
    table = pd.DataFrame(
        {"observed": obs, "expected": expected_n, "observed_share": obs / obs.sum(),
         "expected_share": shares},
        index=pd.Index(arms_t, name="variant"),
    )
    out = HypothesisTest(
        statistic=stat, df=float(len(names) - 1) if test == "chi2" else float("nan"),
        pvalue=p, method=test,
        hypothesis="the arms received the intended shares of units (sample ratio)",
        table=table,
        info={"threshold": float(threshold), "mismatch": mismatch, "arms": list(arms_t),
              "observed": list(observed), "expected_share": list(shares), "message": message},
    )
    if mismatch and warn:
        warnings.warn(message, SampleRatioMismatchWarning, stacklevel=2)
    return out
