"""Journey-aware test (c): do the stage-transition matrices differ between arms?

:func:`compare_transitions` splits an event log with ``assignment`` events by arm, keeps each
customer's events from the assignment on, and runs the Anderson-Goodman test of homogeneity of
the transition matrices of the stage-transition capability
(:func:`cjmodels.markov.homogeneity_test`): over all arms at once, and for every arm against
the control (Holm-adjusted when there are several arms). The per-state breakdown
(``strata``: one contingency table arms x next state per from-state, with its own statistic,
degrees of freedom and p-value) says *where* in the journey the arms differ.

Conventions
-----------
* **Journeys are observed from the assignment.** Events before a customer's first assignment
  are left out, so each customer's post-assignment events start from the ``(start)`` state
  (their stage at assignment enters as the first transition ``(start) -> stage``). Randomisation
  makes this the same in every arm, so the comparison stays one of randomised groups.
* Arms and assignment times come from :func:`cjmodels.data.experiment_table` (``end`` cuts the
  log for an interim analysis); customers without an assignment are left out with its warning.
* The likelihood-ratio statistic ``G2`` (or Pearson's ``X2`` with ``test="pearson"``) and the
  degrees of freedom (``df_method="observed"`` or ``"structural"``) are those of
  :func:`~cjmodels.markov.homogeneity_test`; see there for how censored journeys and
  ``timeout`` are handled.
* **First journeys only** (``JourneySpec(journeys="first")``, the default here, unlike the
  markov functions: each customer's first journey after assignment). The chi-square reference
  distribution assumes transitions independent given the current state. Within one journey
  that is the Markov assumption; across the repeat journeys of one customer it fails when
  customers differ in their propensity to buy (a loyal customer contributes many similar
  journeys), and the test becomes liberal. In 600 simulated A/A journey
  experiments (2 x 1,500 customers of the default seven-stage world;
  ``tests/experiments/test_transitions.py::test_size_study``, slow) the rejection rate at
  nominal 5% was 4.5% with first journeys and 7.8% (Monte-Carlo SE 0.9%) with
  ``journeys="all"``. Use ``"all"`` only as a descriptive comparison.
* The journeys are read through one :class:`cjmodels.data.JourneySpec` (``spec=``: stages or
  channels, order, timeout, censoring, ...), as in every markov function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels.data import JourneySpec
from cjmodels.data.arms import arm_event_logs
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.experiments.multiple import CORRECTIONS, adjust_pvalues
from cjmodels.results import HypothesisTest, Result, result_dataclass

__all__ = ["TransitionTestResult", "compare_transitions"]


@result_dataclass
class TransitionTestResult(Result):
    """Homogeneity of the stage-transition matrices across arms.

    Attributes
    ----------
    overall : HypothesisTest
        All arms at once. ``table`` holds the per-from-state contributions (``statistic``,
        ``df``, ``pvalue``, ``rows``, ``columns``, ``n``); ``info`` the ``arms`` compared (the
        control first), the transitions per arm (``n_transitions``) and ``pvalue_adjusted``.
    pairwise : tuple of HypothesisTest
        Each arm against the control, with ``info["pvalue_adjusted"]`` over these tests.
    control : str
        The control arm.
    settings : dict
        The journey specification's fields (``sequence``, ``order``, ``timeout``, ...),
        ``test``, ``df_method``, ``correction`` and ``allowed``.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [c for c in range(1, 9) for _ in range(3)],
    ...     "timestamp": [0.0, 1.0, 2.0] * 8,
    ...     "event": ["assignment", "touch", "conversion"] * 2
    ...              + ["assignment", "touch", "drop_out"] * 6,
    ...     "stage": [None, "a", None] * 8,
    ...     "variant": [v for v in "AAAABBBB" for _ in range(3)]})
    >>> r = compare_transitions(df, control="A")
    >>> r
    TransitionTestResult(control='A', statistic=3.452, df=1, pvalue=0.06317)
    >>> r.strata().loc["a", ["statistic", "df"]].round(3).tolist()
    [3.452, 1.0]
    """

    overall: HypothesisTest
    pairwise: tuple[HypothesisTest, ...]
    control: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def statistic(self) -> float:
        """The overall statistic."""
        return self.overall.statistic

    @property
    def df(self) -> int:
        """The overall degrees of freedom."""
        return int(self.overall.df)

    @property
    def pvalue(self) -> float:
        """The overall p-value."""
        return self.overall.pvalue

    def _repr_fields(self) -> dict[str, Any]:
        return {"control": self.control, "statistic": self.statistic, "df": self.df,
                "pvalue": self.pvalue}

    def _summary(self) -> pd.DataFrame:
        """One row per test: the overall test, then each arm against the control."""
        o = self.overall
        rows = [{"test": "overall", "arms": " vs ".join(o.info["arms"]),
                 "statistic": o.statistic, "df": o.df, "pvalue": o.pvalue,
                 "pvalue_adjusted": math.nan, "method": o.method}]
        rows += [{"test": f"{t.info['arms'][1]} vs {t.info['arms'][0]}",
                  "arms": " vs ".join(t.info["arms"]), "statistic": t.statistic, "df": t.df,
                  "pvalue": t.pvalue, "pvalue_adjusted": t.info["pvalue_adjusted"],
                  "method": t.method}
                 for t in self.pairwise]
        return pd.DataFrame(rows).set_index("test")

    def strata(self, arm: str | None = None) -> pd.DataFrame:
        """Per from-state contributions of the overall test (or of ``arm`` vs the control).

        Parameters
        ----------
        arm : str, optional
            An arm compared with the control; None (default) gives the overall test's table.

        Returns
        -------
        pandas.DataFrame
            One row per from-state: ``statistic``, ``df``, ``pvalue``, ``rows``, ``columns``
            and ``n``; a new table on every call.

        Raises
        ------
        ValidationError
            ``arm`` is not compared with the control.
        """
        if arm is None:
            return self.overall.table.copy()
        for t in self.pairwise:
            if t.info["arms"][1] == arm:
                return t.table.copy()
        raise ValidationError(
            f"arm {arm!r} is not compared with the control; arms: "
            f"{[t.info['arms'][1] for t in self.pairwise]}."
        )

    def _to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "overall": self.overall.to_dict(),
                "pairwise": [t.to_dict() for t in self.pairwise], "settings": self.settings}

    def _plot(self, ax: Any, *, arm: str | None = None) -> None:
        """Each from-state's statistic next to its degrees of freedom."""
        tab = self.strata(arm)
        tab = tab[tab["df"] > 0]
        y = np.arange(len(tab))[::-1]
        ax.barh(y, tab["statistic"], color="tab:blue", label="statistic")
        ax.plot(tab["df"], y, "k|", ms=14, label="df (its null mean)")
        ax.set_yticks(y, [str(s) for s in tab.index])
        ax.set_xlabel("contribution to the homogeneity statistic")
        ax.set_title("where the arms' transitions differ")
        ax.legend(fontsize=8)


def _arms_test(named: dict[str, EventLog], opts: dict[str, Any],
               pvalue_adjusted: float = math.nan) -> HypothesisTest:
    from cjmodels.markov import homogeneity_test

    r = homogeneity_test(named, spec=opts["spec"], test=opts["test"],
                         df_method=opts["df_method"], allowed=opts["allowed"])
    strata = r.table.copy()
    with np.errstate(invalid="ignore"):
        strata["pvalue"] = np.where(strata["df"] > 0,
                                    sps.chi2.sf(strata["statistic"], strata["df"].clip(lower=1)),
                                    np.nan)
    name = "X2 (Pearson)" if opts["test"] == "pearson" else "G2 (likelihood ratio)"
    df_method = opts["df_method"]
    arms = list(named)
    return HypothesisTest(
        statistic=float(r.statistic), df=int(r.df), pvalue=float(r.pvalue),
        method=f"Anderson-Goodman homogeneity, {name}, df {df_method}",
        hypothesis=f"the arms {' and '.join(arms)} share one transition matrix",
        table=strata,
        info={"arms": arms, "n_transitions": dict(r.info.get("groups", {})),
              "pvalue_adjusted": float(pvalue_adjusted)},
    )


def compare_transitions(
    data: EventLog | pd.DataFrame | dict[str, EventLog],
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    end: Any = None,
    spec: JourneySpec | None = None,
    test: str = "likelihood-ratio",
    df_method: str = "observed",
    allowed: Any = None,
    correction: str = "holm",
    **log_options: Any,
) -> TransitionTestResult:
    """Test whether the arms' stage-transition matrices differ (after assignment).

    Parameters
    ----------
    data : EventLog, pandas.DataFrame or dict of arm to EventLog
        An event log with ``assignment`` events and the arm in ``variant`` (split with
        :func:`cjmodels.data.arm_event_logs`), or logs already split by arm.
    control : str
        The control arm; every other arm is also tested against it.
    variant : str
        Column holding the arm on assignment rows (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms; with logs split by arm, the arms to keep.
    end : timestamp, optional
        Analysis time for an interim look (see :func:`cjmodels.data.arm_event_logs`); not
        with logs already split by arm.
    spec : JourneySpec, optional
        The journeys of every arm (:class:`cjmodels.data.JourneySpec`). Default
        ``JourneySpec(journeys="first")``: each customer's first journey after assignment,
        which gives a test that holds its level; ``journeys="all"`` (the default of a bare
        ``JourneySpec()``) is liberal here when customers differ in their propensity to buy (see
        the module notes). ``JourneySpec(sequence="channel", journeys="first")`` compares
        channel transitions instead of stages.
    test : {"likelihood-ratio", "pearson"}
        The statistic: ``G2`` (default) or Pearson's ``X2``.
    df_method : {"observed", "structural"}
        Degrees of freedom per from-state from the next states observed (default) or from
        those the journey graph ``allowed`` permits (see
        :func:`cjmodels.markov.homogeneity_test`).
    allowed : sequence of (str, str), mapping or pandas.DataFrame, optional
        The journey graph (pairs of states, a mapping from-state -> to-states, or a boolean
        DataFrame), as in :func:`cjmodels.markov.fit_chain`.
    correction : str
        Multiplicity adjustment of the pairwise tests (default ``"holm"``).
    **log_options
        Column options of :class:`cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    TransitionTestResult
        The overall test, the pairwise tests against the control and the settings; its
        ``strata()`` says at which from-states the arms differ.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [c for c in range(1, 9) for _ in range(3)],
    ...     "timestamp": [0.0, 1.0, 2.0] * 8,
    ...     "event": ["assignment", "touch", "conversion"] * 2
    ...              + ["assignment", "touch", "drop_out"] * 6,
    ...     "stage": [None, "a", None] * 8,
    ...     "variant": [v for v in "AAAABBBB" for _ in range(3)]})
    >>> r = compare_transitions(df, control="A")
    >>> r.df, round(r.pvalue, 3)
    (1, 0.063)
    """
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    spec = JourneySpec.resolve(spec, default=JourneySpec(journeys="first"))
    if isinstance(data, dict):
        if log_options or end is not None:
            raise ValidationError("logs split by arm take no log options or end.")
        named = {str(k): v for k, v in data.items()}
        if arms is not None:
            unknown = sorted(set(named) - {str(a) for a in arms})
            if unknown:
                raise ValidationError(f"arms {unknown} are not among the declared arms.")
            named = {str(a): named[str(a)] for a in arms if str(a) in named}
    else:
        named = arm_event_logs(data, variant=variant, arms=arms, end=end, **log_options)
    if len(named) < 2:
        raise ValidationError(f"only arms {list(named)}; a comparison needs at least two.")
    if control not in named:
        raise ValidationError(f"control {control!r} is not among the arms {list(named)}.")
    opts = {"spec": spec, "test": test, "df_method": df_method, "allowed": allowed}
    ordered = {control: named[control], **{a: v for a, v in named.items() if a != control}}
    overall = _arms_test(ordered, opts)
    others = [a for a in ordered if a != control]
    if len(others) == 1:
        pair = HypothesisTest(overall.statistic, overall.df, overall.pvalue, overall.method,
                              overall.hypothesis, overall.table,
                              {**overall.info, "pvalue_adjusted": overall.pvalue})
        pairwise: tuple[HypothesisTest, ...] = (pair,)
    else:
        tests = [_arms_test({control: ordered[control], a: ordered[a]}, opts) for a in others]
        adj = adjust_pvalues([t.pvalue for t in tests], correction=correction)
        pairwise = tuple(
            HypothesisTest(t.statistic, t.df, t.pvalue, t.method, t.hypothesis, t.table,
                           {**t.info, "pvalue_adjusted": float(p)})
            for t, p in zip(tests, adj, strict=True)
        )
    settings = {**spec.to_dict(), "test": test, "df_method": df_method,
                "correction": correction, "allowed": None if allowed is None else "given"}
    return TransitionTestResult(overall, pairwise, control, settings)
