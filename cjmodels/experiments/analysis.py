"""The whole A/B analysis in one call: SRM check first, then every metric, then multiplicity.

:func:`analyze` runs the sample-ratio check before anything else and puts its verdict on top
of the result (with a :class:`~cjmodels.experiments.SampleRatioMismatchWarning` when it fails),
tests every metric of every arm against the control (0/1 metrics with the two-proportion test,
others with Welch's t; CUPED when covariates are given; ratio metrics by the delta method),
per segment if asked, and adjusts the p-values over the whole family (Holm by default).
:func:`cumulative_effects` gives the effect and its variance at successive looks, the input of
group-sequential tests, always-valid inference and cumulative-effect plots.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import (
    UNTESTED,
    Comparison,
    Comparisons,
    check_alpha,
    check_alternative,
    forest_plot,
)
from cjmodels.experiments._stats import _check_column, _rows, check_squares
from cjmodels.experiments.continuous import compare_means, compare_ratios
from cjmodels.experiments.multiple import CORRECTIONS, adjust
from cjmodels.experiments.proportions import compare_proportions
from cjmodels.experiments.srm import SRM_THRESHOLD, srm_check
from cjmodels.results import HypothesisTest, Result, result_dataclass

__all__ = ["ExperimentResult", "analyze", "cumulative_effects"]


@result_dataclass
class ExperimentResult(Result):
    """An analysed experiment: the SRM verdict and all comparisons, adjusted as one family.

    Attributes
    ----------
    srm : HypothesisTest
        The sample-ratio check, run first (:func:`~cjmodels.experiments.srm_check`).
    tests : Comparisons
        Every comparison, with ``pvalue_adjusted`` over the family of differences.
    control : str
        The control arm.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_experiment
    >>> from cjmodels.data import experiment_table
    >>> t = experiment_table(simulate_experiment(4000, random_state=3).event_log())
    >>> r = analyze(t, control="control")
    >>> r.srm_mismatch, r.summary()["effect_type"].tolist()
    (False, ['difference', 'relative'])
    """

    srm: HypothesisTest
    tests: Comparisons
    control: str

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        """Every comparison (those of ``tests``)."""
        return self.tests.comparisons

    @property
    def srm_mismatch(self) -> bool:
        """Whether the sample-ratio check failed (then the effects are not trustworthy)."""
        return bool(self.srm.info["mismatch"])

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"control": self.control, "comparisons": len(self.comparisons),
                "srm_pvalue": self.srm.pvalue, "srm_mismatch": self.srm_mismatch}

    def _summary(self) -> pd.DataFrame:
        """One row per comparison; ``attrs["srm"]`` holds the SRM verdict."""
        df = self.tests.summary()
        df.attrs["srm"] = self.srm.info["message"]
        return df

    def _to_dict(self) -> dict[str, Any]:
        """The SRM check first, then the comparisons and notes."""
        return {"srm": self.srm.to_dict(), "control": self.control, **self.tests.to_dict()}

    def _plot(self, ax: Any, *, effect_type: str | None = "relative") -> None:
        """Forest plot of the effects (relative lifts by default)."""
        forest_plot(self.comparisons, ax=ax, effect_type=effect_type,
                    title="SRM FAILED - " if self.srm_mismatch else "")


def _is_binary(table: pd.DataFrame, col: str) -> bool:
    x = _check_column(table, col, "metric")
    return bool(np.all((x == 0) | (x == 1)))


def analyze(
    data: pd.DataFrame,
    *,
    control: str,
    metrics: Sequence[str] | str = ("converted",),
    ratios: Mapping[str, tuple[str, str]] | None = None,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    expected: Mapping[str, float] | Sequence[float] | None = None,
    covariates: Sequence[str] | str = (),
    group: str | None = None,
    correction: str = "holm",
    srm_threshold: float = SRM_THRESHOLD,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    test: str = "z-pooled",
) -> ExperimentResult:
    """Analyse an experiment table: SRM check, every metric x arm (x segment), multiplicity.

    The order is fixed: the sample-ratio check runs first (a failure is put on top of the
    notes, with a :class:`~cjmodels.experiments.SampleRatioMismatchWarning`), then every metric
    and ratio of every arm is compared with the control (and within each group of ``group``),
    then the p-values of the differences are adjusted over the whole family. A metric that
    does not vary in two arms is reported as not tested (NaN p-value and interval, with a
    note) instead of stopping the analysis.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer (e.g. :func:`cjmodels.data.experiment_table`).
    control : str
        The control arm.
    metrics : str or sequence of str
        Metric columns (default ``("converted",)``). 0/1 columns get the two-proportion test
        ``test`` (or CUPED-adjusted Welch when ``covariates`` are given); others Welch's t
        (:func:`~cjmodels.experiments.compare_means`).
    ratios : mapping of str to (str, str), optional
        Ratio metrics ``name -> (numerator, denominator)``, tested by the delta method
        (:func:`~cjmodels.experiments.compare_ratios`).
    variant : str
        Column holding the arm (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order; labels outside them raise an error. Default: the labels
        present, sorted.
    expected : mapping or sequence of float, optional
        Intended allocation for the SRM check (shares, normalised to sum 1; default: equal).
    covariates : str or sequence of str
        Pre-period covariates for CUPED on every metric and ratio (default none).
    group : str, optional
        A grouping column (e.g. a customer segment): also test within each of its groups (the
        family then spans the groups; metric names get ``" | group=value"``).
    correction : str
        Multiple-testing method over the family of differences, one of
        :data:`~cjmodels.experiments.CORRECTIONS` (default ``"holm"``).
    srm_threshold : float
        Declare a sample-ratio mismatch when the SRM p-value is below it (default 0.001).
    alpha : float
        1 - the confidence level of every interval, and the family's error rate (default 0.05).
    alternative : {"two-sided", "greater", "less"}
        Alternative of every test (``"greater"``: the arm's value is higher).
    test : str
        The two-proportion test of 0/1 metrics, one of
        :data:`~cjmodels.experiments.PROPORTION_TESTS` (see
        :func:`~cjmodels.experiments.compare_proportions`); default ``"z-pooled"``.

    Returns
    -------
    ExperimentResult
        The SRM verdict (``srm``, ``srm_mismatch``) and every comparison (``tests``), with
        ``pvalue_adjusted`` over the family of differences and notes naming the family.

    Raises
    ------
    ValidationError
        An unknown ``correction``, a control that is not an arm, no metric, or a bad column.

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_experiment
    >>> from cjmodels.data import experiment_table
    >>> w = simulate_experiment(4000, random_state=3)
    >>> t = experiment_table(w.event_log())
    >>> r = analyze(t, control="control", metrics=["converted", "value"])
    >>> r.srm_mismatch, len(r.comparisons)
    (False, 4)
    """
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    alpha = check_alpha(alpha)
    table = data
    alternative = check_alternative(alternative)
    mets = [metrics] if isinstance(metrics, str) else list(metrics)
    if not mets and not ratios:
        raise ValidationError("give at least one metric or ratio to analyse.")
    names, _ = arm_codes(table, variant, arms)
    if control not in names:
        raise ValidationError(f"control {control!r} is not among the arms {list(names)}.")
    srm = srm_check(table, expected=expected, variant=variant, arms=names,
                    threshold=srm_threshold)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    parts: list[tuple[str | None, pd.DataFrame]] = [(None, table)]
    if group is not None:
        if group not in table.columns:
            raise ValidationError(f"group column {group!r} is not in the table.")
        seg = table[group]
        if seg.isna().any():
            raise ValidationError(f"group column {group!r} has missing values.")
        parts += [(f"{group}={k}", g) for k, g in table.groupby(seg.astype(str), sort=True)]
    results: list[Comparisons] = []
    not_tested: list[str] = []
    token = UNTESTED.set(not_tested)  # a metric without variation is reported, not fatal
    try:
        _run_tests(results, parts, mets, ratios, covs, control, variant, names, alpha,
                   alternative, test)
    finally:
        UNTESTED.reset(token)
    tests = adjust(results, correction=correction, alpha=alpha)
    # each untested comparison's note, named as in the result (segment included)
    untested = [c.details["not_tested"] for c in tests.comparisons if "not_tested" in c.details]
    if untested:
        tests = tests.with_comparisons(tests.comparisons,
                                       notes=(*tests.notes, *dict.fromkeys(untested)))
    if srm.info["mismatch"]:
        tests = tests.with_comparisons(tests.comparisons,
                                       notes=(srm.info["message"], *tests.notes))
    return ExperimentResult(srm, tests, str(control))


def _run_tests(results, parts, mets, ratios, covs, control, variant, names, alpha,
               alternative, test) -> None:
    for label, part in parts:
        def name(m: str, label: str | None = label) -> str:
            return m if label is None else f"{m} | {label}"

        for m in mets:
            if _is_binary(part, m) and not covs:
                r = compare_proportions(part, m, control=control, variant=variant, arms=names,
                                        test=test, alpha=alpha,
                                        alternative=alternative)
            else:
                r = compare_means(part, m, control=control, variant=variant, arms=names,
                                  covariates=covs, alpha=alpha, alternative=alternative)
            results.append(_relabel(r, name(m)))
        for rname, (num, den) in (ratios or {}).items():
            r = compare_ratios(part, num, den, control=control, variant=variant, arms=names,
                               covariates=covs, alpha=alpha, alternative=alternative,
                               name=rname)
            results.append(_relabel(r, name(rname)))


def _relabel(r: Comparisons, metric: str) -> Comparisons:
    from dataclasses import replace

    out = []
    for c in r.comparisons:
        details = dict(c.details)
        if "not_tested" in details and metric != c.metric:
            details["not_tested"] = metric + details["not_tested"][len(c.metric):]
        out.append(replace(c, metric=metric, details=details))
    return r.with_comparisons(out)


def cumulative_effects(
    data: pd.DataFrame,
    metric: str,
    *,
    control: str,
    arm: str | None = None,
    timestamp: str = "assigned_at",
    looks: int | Sequence[Any] = 10,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Difference in means of ``metric`` (arm - control) on all customers up to each look.

    Customers enter in the order of the ``timestamp`` column. Outcomes are taken as recorded
    in the table (a customer's outcome is assumed known at the look). A look takes every
    customer who entered at its time, so customers tied in ``timestamp`` are never split by
    row order (a look by count may then hold a few more customers). Where the metric does not
    vary within either arm the variance is 0 and ``z`` and ``information`` are undefined
    (NaN); ``attrs["notes"]`` says so, with a warning.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer with the arm, the metric and the entry time (e.g.
        :func:`cjmodels.data.experiment_table`).
    metric : str
        Numeric (or 0/1) column to compare.
    control : str
        The control arm.
    arm : str, optional
        The arm compared with the control; may be left out when there are two arms.
    timestamp : str
        Column with each customer's entry time, numbers or timestamps (default
        ``"assigned_at"``).
    looks : int or sequence
        Number of equally spaced looks by customers enrolled (default 10), or explicit
        cut-off times comparable with the ``timestamp`` column (a look holds the customers
        who entered at or before its time).
    variant : str
        Column holding the arm (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms (labels outside them raise an error).

    Returns
    -------
    pandas.DataFrame
        One row per look (index ``look``, from 1): ``time``, ``n_control``, ``n_arm``,
        ``control_mean``, ``arm_mean``, ``effect``, ``variance`` (unpooled, of the
        difference), ``z`` and ``information`` (variance at the last look / variance at this
        look), ready for :func:`~cjmodels.experiments.msprt` and
        :meth:`~cjmodels.experiments.GroupSequentialDesign.test`.

    Raises
    ------
    ValidationError
        A look with fewer than 2 customers in an arm, a look before the first customer, a
        missing or non-numeric time column, or several arms without ``arm``.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a", "b"] * 50, "y": np.arange(100.0),
    ...                   "assigned_at": np.arange(100)})
    >>> cumulative_effects(t, "y", control="a", looks=2)[["n_control", "n_arm", "effect"]]
          n_control  n_arm  effect
    look
    1            25     25     1.0
    2            50     50     1.0
    """
    table, time = data, timestamp
    names, codes = arm_codes(table, variant, arms)
    if control not in names:
        raise ValidationError(f"control {control!r} is not among the arms {list(names)}.")
    if arm is None:
        others = [a for a in names if a != control]
        if len(others) != 1:
            raise ValidationError(f"several arms {others}; say which with arm='...'.")
        arm = others[0]
    if arm not in names:
        raise ValidationError(f"arm {arm!r} is not among the arms {list(names)}.")
    if time not in table.columns:
        raise ValidationError(f"timestamp column {time!r} is not in the table.")
    y = _check_column(table, metric, "metric")
    check_squares(y, metric)
    tcol = table[time]
    if not (pd.api.types.is_numeric_dtype(tcol) or pd.api.types.is_datetime64_any_dtype(tcol)):
        raise ValidationError(
            f"time column {time!r} has dtype {tcol.dtype}; it must hold numbers or timestamps "
            f"to order the customers. Convert it, e.g. with pd.to_datetime(table[{time!r}])."
        )
    if tcol.isna().any():
        raise ValidationError(
            f"time column {time!r} is missing at rows {_rows(tcol.isna().to_numpy())}; every "
            "customer needs the time they entered the experiment."
        )
    tvals = tcol.to_numpy()
    order = np.argsort(tvals, kind="stable")
    c = codes[order]
    ts = tvals[order]
    in_c, in_t = c == names.index(control), c == names.index(arm)
    # centre each arm on its overall mean before summing squares (stable; variances do not
    # change with the shift)
    yy = y[order]
    shift_c = float(np.mean(yy[in_c])) if in_c.any() else 0.0
    shift_t = float(np.mean(yy[in_t])) if in_t.any() else 0.0
    dc, dt = np.where(in_c, yy - shift_c, 0.0), np.where(in_t, yy - shift_t, 0.0)
    n_c, n_t = np.cumsum(in_c), np.cumsum(in_t)
    s_c, s_t = np.cumsum(dc), np.cumsum(dt)
    q_c, q_t = np.cumsum(dc**2), np.cumsum(dt**2)
    if isinstance(looks, int | np.integer) and not isinstance(looks, bool):
        check_scalar(looks, "looks", typ=int, ge=1)
        idx = np.ceil(np.arange(1, looks + 1) / looks * len(yy)).astype(int) - 1
        if len(idx) and len(ts):
            # a look takes every customer who entered at its time, so ties in `time` never
            # let row order decide who is in it
            idx = np.searchsorted(ts, ts[np.maximum(idx, 0)], side="right") - 1
    else:
        try:
            cuts = np.asarray(list(looks))
            idx = np.searchsorted(ts, cuts, side="right") - 1
        except (TypeError, ValueError):
            raise ValidationError(
                f"looks == {looks!r} must be a number of looks or cut-off times comparable "
                f"with column {time!r} (dtype {tcol.dtype})."
            ) from None
        if np.any(idx < 0):
            raise ValidationError("a look falls before the first customer.")
    nc, nt = n_c[idx].astype(float), n_t[idx].astype(float)
    if np.any(nc < 2) or np.any(nt < 2):
        raise ValidationError("every look needs at least 2 customers per arm; look later.")
    mc, mt = shift_c + s_c[idx] / nc, shift_t + s_t[idx] / nt
    vc = np.maximum(q_c[idx] - s_c[idx] ** 2 / nc, 0) / (nc - 1)
    vt = np.maximum(q_t[idx] - s_t[idx] ** 2 / nt, 0) / (nt - 1)
    var = vc / nc + vt / nt
    defined = var > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(defined, (mt - mc) / np.where(defined, np.sqrt(var), 1.0), np.nan)
        info = (np.where(defined, var[-1] / np.where(defined, var, 1.0), np.nan)
                if defined[-1] else np.full(len(var), np.nan))
    out = pd.DataFrame(
        {"time": ts[idx], "n_control": nc.astype(int), "n_arm": nt.astype(int),
         "control_mean": mc, "arm_mean": mt, "effect": mt - mc, "variance": var, "z": z,
         "information": info},
        index=pd.RangeIndex(1, len(idx) + 1, name="look"),
    )
    notes = []
    if not defined.all():
        looks_0 = (np.flatnonzero(~defined) + 1).tolist()
        notes.append(
            f"metric {metric!r} does not vary within arms {control!r} and {arm!r} up to looks "
            f"{looks_0}: the variance of the effect is 0 there, so z and information are "
            "undefined (NaN)"
            + ("; at the last look too, so no look has an information fraction" if not
               defined[-1] else "")
            + "."
        )
        warnings.warn(notes[-1], UserWarning, stacklevel=2)
    out.attrs["notes"] = notes
    return out
