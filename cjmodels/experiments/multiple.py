"""Multiple testing across arms x metrics x segments (a wrapper of statsmodels).

Corrections are named explicitly (``correction=``, the keys of :data:`CORRECTIONS`): ``"bonferroni"``, ``"holm"`` (the default: it controls the
family-wise error rate under any dependence and is uniformly more powerful than Bonferroni),
``"hochberg"`` (step-up; valid under independence or positive dependence), ``"bh"``
(Benjamini-Hochberg false discovery rate) and ``"by"`` (Benjamini-Yekutieli, FDR under any
dependence). The adjusted p-values are those of
``statsmodels.stats.multitest.multipletests``; results state the family they were adjusted in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from statsmodels.stats.multitest import multipletests

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import Comparisons, check_alpha

__all__ = ["CORRECTIONS", "adjust", "adjust_pvalues"]

#: The multiple-testing corrections: our names -> the method names of statsmodels'
#: ``multipletests`` (``"hochberg"`` is ``"simes-hochberg"``, ``"bh"`` is ``"fdr_bh"``,
#: ``"by"`` is ``"fdr_by"``).
CORRECTIONS = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bh": "fdr_bh",
    "by": "fdr_by",
}
_ERROR_RATE = {"bonferroni": "FWER", "holm": "FWER", "hochberg": "FWER", "bh": "FDR",
               "by": "FDR"}


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray, *, correction: str = "holm"
) -> np.ndarray:
    """Adjusted p-values (statsmodels ``multipletests``); NaN p-values raise an error.

    Parameters
    ----------
    pvalues : sequence of float or numpy.ndarray
        The unadjusted p-values of the family (flattened), each in [0, 1].
    correction : str
        One of :data:`CORRECTIONS`: ``"holm"`` (default), ``"bonferroni"``, ``"hochberg"``,
        ``"bh"`` or ``"by"`` (see the module docstring for what each controls).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given: ``multipletests(pvalues,
        method=CORRECTIONS[correction])[1]`` (Holm's is computed here, equal to it).

    Raises
    ------
    ValidationError
        An unknown correction, no p-values, or p-values outside [0, 1] (NaN included).

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], correction="holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    method = correction
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    p = np.asarray(pvalues, dtype=float).ravel()
    if p.size == 0:
        raise ValidationError("no p-values to adjust.")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValidationError(f"p-values must lie in [0, 1], got {p.tolist()}.")
    if method == "holm":
        # Holm's step-down in numpy: statsmodels' holm runs gc.collect() on every call, which
        # costs a tenth of a second or more in a large process (loops of many families).
        order = np.argsort(p, kind="stable")
        m = p.size
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out = np.empty(m)
        out[order] = np.minimum(stepped, 1.0)
        return out
    return multipletests(p, method=CORRECTIONS[method])[1]


def adjust(
    results: Comparisons | Sequence[Comparisons],
    *,
    correction: str = "holm",
    effect_types: Sequence[str] = ("difference", "auc"),
    alpha: float = 0.05,
    family: str | None = None,
) -> Comparisons:
    """Adjust the p-values of a family of comparisons and say which family it was.

    The family is every comparison (all arms, metrics and segments in ``results``) whose
    ``effect_type`` is in ``effect_types``; the relative lifts test the same hypotheses as the
    differences and are left out by default (their ``pvalue_adjusted`` stays NaN).

    Comparisons marked not tested (no variation, see
    :func:`~cjmodels.experiments.analyze`) have no p-value and are left out of the family.

    Parameters
    ----------
    results : Comparisons or sequence of Comparisons
        The results whose comparisons form the family (e.g. one per metric).
    correction : str
        One of :data:`CORRECTIONS` (default ``"holm"``).
    effect_types : sequence of str
        Effect types that belong to the family (default ``("difference", "auc")``: one
        comparison per hypothesis).
    alpha : float
        The level of the family's error rate (FWER or FDR), set on the adjusted comparisons.
    family : str, optional
        A description of the family for the note; default the metrics and arms it spans.

    Returns
    -------
    Comparisons
        All comparisons, with ``pvalue_adjusted`` filled in for the family (and ``alpha`` set
        on them), the notes of ``results`` plus one naming the family, its size, the
        correction and the error rate, and ``info["multiple_testing"]``.

    Raises
    ------
    ValidationError
        An unknown correction, ``results`` that are not Comparisons, or no comparison with
        one of ``effect_types``.

    Examples
    --------
    >>> from cjmodels.experiments import SufficientStats, compare_proportions
    >>> s = SufficientStats.from_counts([200, 250, 230], [10000] * 3, arms=["A", "B", "C"])
    >>> r = adjust(compare_proportions(s, control="A"), correction="holm")
    >>> [round(c.pvalue_adjusted, 4) for c in r.comparisons if c.effect_type == "difference"]
    [0.0343, 0.1436]
    """
    method = correction
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    res_list = [results] if isinstance(results, Comparisons) else list(results)
    if not res_list or not all(isinstance(r, Comparisons) for r in res_list):
        raise ValidationError("results must be a Comparisons result or a list of them.")
    comps = [c for r in res_list for c in r.comparisons]
    idx = [i for i, c in enumerate(comps) if c.effect_type in effect_types]
    if not idx:
        raise ValidationError(f"no comparisons with effect_type in {list(effect_types)}.")
    # comparisons marked "not tested" (no variation) have no p-value; their notes say so
    untested = [i for i in idx if "not_tested" in comps[i].details]
    idx = [i for i in idx if i not in untested]
    a = check_alpha(alpha)
    if not idx:
        note = ("multiple testing: no comparison has a p-value (none was tested), so nothing "
                "was adjusted")
        notes = tuple(n for r in res_list for n in r.notes) + (note,)
        title = res_list[0].title if len(res_list) == 1 else f"{len(res_list)} tests"
        info = {"multiple_testing": {"method": method, "family": "none", "size": 0,
                                     "error_rate": _ERROR_RATE[method]}}
        return Comparisons(tuple(comps), title=title, notes=notes, info=info)
    adj = adjust_pvalues([comps[i].pvalue for i in idx], correction=method)
    new: list[Any] = list(comps)
    for i, p in zip(idx, adj, strict=True):
        new[i] = replace(comps[i], pvalue_adjusted=float(p), alpha=a)
    metrics = sorted({comps[i].metric for i in idx})
    arms = sorted({comps[i].arm for i in idx})
    fam = family or (
        f"{len(idx)} comparisons: metrics {metrics} x arms {arms} vs control"
    )
    note = (f"multiple testing: {method} ({_ERROR_RATE[method]} at {a:g}) over the family of "
            f"{fam}")
    notes = tuple(n for r in res_list for n in r.notes) + (note,)
    title = res_list[0].title if len(res_list) == 1 else f"{len(res_list)} tests"
    info = {"multiple_testing": {"method": method, "family": fam, "size": len(idx),
                                 "error_rate": _ERROR_RATE[method]}}
    if len(res_list) == 1:
        info = {**res_list[0].info, **info}
    return Comparisons(tuple(new), title=title, notes=notes, info=info)
