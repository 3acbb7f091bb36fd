"""Journey-aware experiment tests: where in the funnel did the arms differ?

:func:`cjmodels.data.funnel_table` turns an event log with assignments and stages into one
row per assigned customer with the deepest stage reached after assignment; :func:`funnel_test`
compares, stage by stage, the conditional conversion ``P(reach stage s+1 | reached stage s)``
between each arm and the control, with user-level variance (each customer counts once per step,
so the two-proportion test is valid however many events a customer has), an overall test of
reaching the last stage among all assigned customers, and a multiplicity adjustment across the
steps.

"Reached stage s" means reaching s *or any later stage*: customers skip stages, so the funnel
is defined by the deepest stage reached, and every step's denominator contains its numerator.
The step comparisons condition on reaching a stage, which the treatment itself may change:
read them as a decomposition of where the overall difference arises, not as separate causal
effects; only the overall test is a comparison of randomised groups.

Time to purchase under censoring is compared in :mod:`cjmodels.experiments.time_to_purchase`
and the stage-transition matrices in :mod:`cjmodels.experiments.transitions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import Comparisons, check_alpha
from cjmodels.experiments._stats import SufficientStats
from cjmodels.experiments.multiple import CORRECTIONS, adjust_pvalues
from cjmodels.experiments.proportions import compare_proportions

__all__ = ["funnel_test"]


def funnel_test(
    data: pd.DataFrame,
    stages: Sequence[str],
    *,
    control: str,
    variant: str = "variant",
    stage: str = "max_stage",
    arms: Sequence[str] | None = None,
    test: str = "z-pooled",
    correction: str = "holm",
    alpha: float = 0.05,
) -> Comparisons:
    """Stage-by-stage conditional conversion between arms, plus the overall conversion.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per assigned customer with the arm and the deepest stage reached (e.g. from
        :func:`cjmodels.data.funnel_table`); values of the ``stage`` column outside ``stages``
        mean "none reached" only when they are ``"(none)"`` or missing, anything else is an
        error.
    stages : sequence of str
        Funnel stages in order (at least two, distinct).
    control : str
        The control arm.
    variant : str
        Column holding the arm (default ``"variant"``).
    stage : str
        The column holding each customer's deepest stage (default ``"max_stage"``, as
        :func:`cjmodels.data.funnel_table` names it).
    arms : sequence of str, optional
        Declared arms, in order.
    test : str
        Two-proportion test for each step (see :func:`compare_proportions`).
    correction : str
        Multiplicity adjustment across the steps (one family: every step of every arm;
        default ``"holm"``).
    alpha : float
        1 - the confidence level of the intervals (default 0.05).

    Returns
    -------
    Comparisons
        ``"difference"`` comparisons named ``"overall: a -> z"`` (reached the last stage,
        among all customers; not part of the step family) and ``"step: s -> t"`` (among
        customers who reached ``s``), with ``pvalue_adjusted`` over the steps. ``info["funnel"]``
        holds the counts per arm and stage.

    Raises
    ------
    ValidationError
        Fewer than two stages, stage values outside ``stages``, or a stage no customer of
        some arm reached.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["A"] * 100 + ["B"] * 100,
    ...                   "max_stage": ["visit"] * 50 + ["cart"] * 30 + ["buy"] * 20
    ...                                + ["visit"] * 40 + ["cart"] * 30 + ["buy"] * 30})
    >>> r = funnel_test(t, ["visit", "cart", "buy"], control="A")
    >>> [c.metric for c in r.comparisons]
    ['overall: visit -> buy', 'step: visit -> cart', 'step: cart -> buy']
    """
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    alpha = check_alpha(alpha)
    stages = [str(s) for s in stages]
    if len(stages) < 2 or len(set(stages)) != len(stages):
        raise ValidationError(f"stages {stages} must be at least two distinct names.")
    table, stage_col = data, stage
    names, codes = arm_codes(table, variant, arms)
    if control not in names:
        raise ValidationError(f"control {control!r} is not among the arms {list(names)}.")
    if stage_col not in table.columns:
        raise ValidationError(f"stage column {stage_col!r} is not in the table.")
    lab = table[stage_col]
    rank = {s: i for i, s in enumerate(stages)}
    idx = lab.map(rank)
    none = lab.isna() | (lab.astype(str) == "(none)")
    bad = idx.isna() & ~none
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:5].tolist()
        raise ValidationError(
            f"column {stage_col!r} holds stages {sorted(set(lab[bad].astype(str)))} (rows "
            f"{rows}) that are not among the funnel stages {stages}; list them or map them."
        )
    depth = idx.fillna(-1).to_numpy(dtype=int)
    k = len(names)
    # reached[a, s] = customers of arm a whose deepest stage is s or later
    hist = np.zeros((k, len(stages) + 1))
    np.add.at(hist, (codes, depth + 1), 1)
    reached = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
    n_arm = hist.sum(axis=1)
    comps = []
    overall = compare_proportions(
        SufficientStats.from_counts(reached[:, -1], n_arm, arms=names, column="reached_last"),
        "reached_last", control=control, test=test, relative=None, alpha=alpha)
    comps += [replace(c, metric=f"overall: {stages[0]} -> {stages[-1]}")
              for c in overall.comparisons]
    steps = []
    for s in range(len(stages) - 1):
        den, num = reached[:, s], reached[:, s + 1]
        label = f"step: {stages[s]} -> {stages[s + 1]}"
        if np.any(den == 0):
            raise ValidationError(
                f"no customer of arms {[a for a, d in zip(names, den, strict=True) if d == 0]} "
                f"reached stage {stages[s]!r}; the step {label!r} cannot be compared."
            )
        try:
            r = compare_proportions(SufficientStats.from_counts(num, den, arms=names,
                                                                column="step"),
                                    "step", control=control, test=test, relative=None,
                                    alpha=alpha)
        except ValidationError as exc:
            raise ValidationError(f"{label}: {exc}") from None
        steps += [replace(c, metric=label) for c in r.comparisons]
    adj = adjust_pvalues([c.pvalue for c in steps], correction=correction)
    steps = [replace(c, pvalue_adjusted=float(p)) for c, p in zip(steps, adj, strict=True)]
    funnel = pd.DataFrame(reached, index=pd.Index(names, name="variant"), columns=stages)
    funnel.insert(0, "assigned", n_arm)
    return Comparisons(
        tuple(comps + steps),
        title=f"funnel {' -> '.join(stages)}: conditional conversion per step ({test})",
        notes=(f"multiple testing: {correction} over the {len(steps)} step comparisons; the "
               "overall comparison is the randomised test, steps condition on reaching a stage",),
        info={"funnel": funnel.to_dict(orient="index")},
    )
