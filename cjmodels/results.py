"""The shapes every public object of cjmodels takes: results, the test result, estimators.

The rule (``CONTRIBUTING.md`` has the whole of it):

* A **one-shot statistic** is a function that takes the data and returns a :class:`Result`.
* A **model** with hyperparameters or predictions is an :class:`Estimator`:
  ``Model(**hyperparameters).fit(data, ...)`` returns the estimator, whose fitted result is
  ``result_`` (a :class:`Result`); predictions are the estimator's methods.
* Every **statistical test** returns a :class:`HypothesisTest`.

Every result has the same surface: ``summary()`` (a new DataFrame on every call), a one-line
``repr``, ``_repr_html_`` for notebooks, ``to_dict()`` in strict JSON (the policy of
:mod:`cjmodels._json`), ``plot(ax=None, **kwargs)`` returning the axis (for results that have
a figure), and ``==``/``hash`` that compare the content and never raise.

Examples
--------
>>> from cjmodels.results import HypothesisTest
>>> t = HypothesisTest(statistic=3.84, df=1, pvalue=0.05, method="chi-square",
...                    hypothesis="the arms convert at the same rate")
>>> t
HypothesisTest(method='chi-square', statistic=3.84, df=1, pvalue=0.05)
>>> t.summary()
                                   hypothesis      method  statistic  df  pvalue
0  the arms convert at the same rate  chi-square       3.84   1    0.05
>>> t == HypothesisTest(3.84, 1, 0.05, "chi-square", "the arms convert at the same rate")
True
"""

from __future__ import annotations

import dataclasses
import html
import inspect
import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from cjmodels._json import to_jsonable
from cjmodels.errors import NotFittedError, ValidationError

__all__ = ["Estimator", "HypothesisTest", "Result", "axis", "result_dataclass"]

_REPR_MAX_ITEMS = 6


def interval_bars(ax: Any, y: Any, estimate: Any, low: Any, high: Any, **bar_options: Any) -> None:
    """Horizontal bars of ``estimate`` with each interval drawn from ``low`` to ``high`` as it
    is (a bootstrap percentile interval need not contain its estimate, which matplotlib's
    ``xerr`` refuses); NaN limits draw nothing."""
    ax.barh(y, estimate, **bar_options)
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    ax.hlines(y, lo, hi, color="black", linewidth=1)
    ax.plot(np.r_[lo, hi], np.r_[y, y], "k|", markersize=6)


def axis(ax: Any = None) -> Any:
    """The matplotlib axis to draw on: ``ax`` itself, or a new figure's axis when ``None``.

    The one place where results and plotting functions get their axis (``plot(ax=None)``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None, default None
        The axis to draw on. None: a new figure with one axis (``matplotlib.pyplot.subplots``;
        matplotlib is imported only then).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself when given, else the new axis.

    Raises
    ------
    cjmodels.errors.ValidationError
        When ``ax`` is neither None nor an axis (an object without a ``plot`` method).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = axis()
    >>> axis(ax) is ax
    True
    """
    if ax is not None:
        if not hasattr(ax, "plot"):
            raise ValidationError(
                f"ax == {ax!r} is not a matplotlib axis; pass one (fig, ax = plt.subplots()) or "
                "leave ax=None for a new figure."
            )
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _short(value: Any) -> str | None:
    """A scalar shown in a one-line repr, or ``None`` when ``value`` is not short."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return repr(f) if not math.isfinite(f) else f"{f:.4g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 and "\n" not in value else None
    if isinstance(value, tuple) and len(value) <= 4 and all(
        isinstance(v, (str, int, float, np.integer, np.floating)) for v in value
    ):
        parts = [_short(v) for v in value]
        if all(p is not None for p in parts):
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return None


def result_dataclass(cls: type) -> type:
    """``@dataclass(frozen=True, eq=False, repr=False)``: a frozen result that keeps
    :class:`Result`'s ``repr``, equality and hashing (a plain ``@dataclass`` would replace them).

    The class decorated is a subclass of :class:`Result` with annotated fields.

    Returns
    -------
    type
        The same class, made a frozen dataclass (fields cannot be reassigned) whose
        ``__init__`` takes the fields in order.

    Examples
    --------
    >>> @result_dataclass
    ... class Count(Result):
    ...     n: int
    >>> Count(3)
    Count(n=3)
    >>> Count(3) == Count(3), Count(3).to_dict()
    (True, {'type': 'Count', 'n': 3})
    """
    return dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)


class Result:
    """Base of every public result of cjmodels.

    A subclass provides ``_summary()`` (a DataFrame; it may be the result's own table, since
    :meth:`summary` copies it), and may provide ``_repr_fields()`` (the items of the one-line
    repr), ``_to_dict()`` (the content of :meth:`to_dict` before the strict-JSON conversion)
    and ``_plot(ax, **kwargs)`` (draws on ``ax``). A frozen dataclass subclass is declared with
    :func:`result_dataclass` so that repr, equality and hashing stay those of this base.

    Examples
    --------
    >>> import pandas as pd
    >>> @result_dataclass
    ... class Mean(Result):
    ...     table: pd.DataFrame
    ...     n: int
    ...     def _summary(self):
    ...         return self.table
    >>> r = Mean(pd.DataFrame({"mean": [1.5]}), n=2)
    >>> r
    Mean(n=2)
    >>> r.summary() is not r.table
    True
    >>> r == Mean(pd.DataFrame({"mean": [1.5]}), n=2), hash(r) == hash(Mean(r.table, 2))
    (True, True)
    """

    #: Names of fields left out of the default repr and ``to_dict`` (for example raw arrays).
    _repr_exclude: ClassVar[tuple[str, ...]] = ()

    # -- what subclasses provide -------------------------------------------------------------
    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in self._fields().items() if _short(v) is not None}])

    def _repr_fields(self) -> Mapping[str, Any]:
        return self._fields()

    def _to_dict(self) -> Mapping[str, Any]:
        return self._fields()

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        raise ValidationError(f"{type(self).__name__} has no figure; use summary() for its table.")

    # -- the common surface -----------------------------------------------------------------
    def _fields(self) -> dict[str, Any]:
        if dataclasses.is_dataclass(self):
            names = [f.name for f in dataclasses.fields(self)]
        else:
            names = [n for n in vars(self) if not n.startswith("_")]
        return {n: getattr(self, n) for n in names if n not in self._repr_exclude}

    def summary(self) -> pd.DataFrame:
        """The result as a table: a new DataFrame on every call (editing it changes nothing).

        Returns
        -------
        pandas.DataFrame
            A deep copy of the result's table; what its rows and columns are is said by each
            result's own docstring.
        """
        return self._summary().copy(deep=True)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain strict-JSON objects (``json.dumps(..., allow_nan=False)`` works).

        Returns
        -------
        dict
            ``type`` (the class name) and the result's content: arrays as lists, frames as
            ``{row label: {column: value}}``, NaN as ``None`` (``null``) and infinities as
            ``"inf"`` / ``"-inf"`` (the package's one JSON policy).
        """
        return to_jsonable({"type": type(self).__name__, **dict(self._to_dict())})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the result on ``ax`` (a new figure when ``None``) and return the axis.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default None
            The axis to draw on; None for a new figure.
        **kwargs
            Options of the result's figure (for example ``what=`` and ``ci=`` of an
            attribution); see the result's docstring.

        Returns
        -------
        matplotlib.axes.Axes
            The axis drawn on.

        Raises
        ------
        cjmodels.errors.ValidationError
            When the result has no figure (use :meth:`summary`), or for a bad ``ax`` or
            option.
        """
        ax = axis(ax)
        self._plot(ax, **kwargs)
        return ax

    def __repr__(self) -> str:
        items = []
        for k, v in self._repr_fields().items():
            s = _short(v)
            if s is not None:
                items.append(f"{k}={s}")
            if len(items) == _REPR_MAX_ITEMS:
                break
        return f"{type(self).__name__}({', '.join(items)})"

    def _repr_html_(self) -> str:
        table = self.summary()
        body = table.to_html(max_rows=60, max_cols=20, float_format=lambda x: f"{x:.4g}")
        return (
            f'<div class="cjmodels-result"><p><strong>{html.escape(repr(self))}</strong></p>'
            f"{body}</div>"
        )

    def _identity(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if type(other) is not type(self):
            return NotImplemented
        return self._identity() == other._identity()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._identity()))


@result_dataclass
class HypothesisTest(Result):
    """The result of every statistical test in cjmodels.

    Attributes
    ----------
    statistic : float
        The test statistic.
    df : float
        Its degrees of freedom (``nan`` for a statistic without them, such as a z score).
    pvalue : float
        The p-value.
    method : str
        The test, for example ``"likelihood-ratio"``, ``"log-rank"``, ``"chi-square"``.
    hypothesis : str
        What was tested: the null hypothesis in words.
    table : pandas.DataFrame or None
        The details behind the statistic (per cell, per group, per stratum), if any.
    info : dict
        Further facts about the test (settings, counts, an adjusted p-value, ...).

    Examples
    --------
    >>> t = HypothesisTest(12.5, 2, 0.0019, "likelihood-ratio", "the chain has order 1")
    >>> t.reject(0.05)
    True
    >>> t.to_dict()["pvalue"]
    0.0019
    """

    statistic: float
    df: float
    pvalue: float
    method: str
    hypothesis: str = ""
    table: pd.DataFrame | None = dataclasses.field(default=None, repr=False)
    info: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def reject(self, alpha: float = 0.05) -> bool:
        """Whether the test rejects the hypothesis at level ``alpha``.

        Parameters
        ----------
        alpha : float, default 0.05
            The significance level.

        Returns
        -------
        bool
            True when ``pvalue < alpha`` (a NaN p-value never rejects).
        """
        return bool(self.pvalue < alpha)

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"method": self.method, "statistic": self.statistic, "df": self.df,
                "pvalue": self.pvalue}

    def _summary(self) -> pd.DataFrame:
        row = {"hypothesis": self.hypothesis, "method": self.method,
               "statistic": self.statistic, "df": self.df, "pvalue": self.pvalue}
        return pd.DataFrame([row])

    def _to_dict(self) -> Mapping[str, Any]:
        return {"statistic": self.statistic, "df": self.df, "pvalue": self.pvalue,
                "method": self.method, "hypothesis": self.hypothesis, "table": self.table,
                "info": self.info}


class Estimator:
    """Base of every model of cjmodels: ``Model(**hyperparameters).fit(data, ...)``.

    The constructor only stores its keyword arguments (one attribute per parameter, of the same
    name); ``fit`` checks them and the data, sets ``result_`` (a :class:`Result`) and returns
    the estimator, whatever was fitted before. :meth:`get_params`, :meth:`set_params` and the
    one-line ``repr`` come from the constructor's signature. Methods that need the fit call
    :meth:`_check_fitted`, which raises :class:`~cjmodels.errors.NotFittedError`.
    ``summary()``, ``to_dict()``, ``plot()`` and ``_repr_html_`` are those of ``result_``.

    Examples
    --------
    >>> class Mean(Estimator):
    ...     def __init__(self, *, trim=0.0):
    ...         self.trim = trim
    >>> Mean(trim=0.1)
    Mean(trim=0.1)
    >>> Mean().get_params()
    {'trim': 0.0}
    >>> Mean().summary()
    Traceback (most recent call last):
    ...
    cjmodels.errors.NotFittedError: this Mean is not fitted; call fit(data) first.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters and their current values.

        Returns
        -------
        dict
            Parameter name to value, in the order of the constructor's signature (the values
            as stored, not checked or copied).
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor parameters (checked at the next ``fit``) and return the estimator.

        Parameters
        ----------
        **params
            New values of constructor parameters, by name. The fitted ``result_`` is left as
            it was until the next ``fit``.

        Returns
        -------
        Estimator
            The estimator itself.

        Raises
        ------
        cjmodels.errors.ValidationError
            For a name that is not a parameter of the constructor.
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValidationError(
                    f"{type(self).__name__} has no parameter {name!r}; its parameters are "
                    f"{valid}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        items = []
        for name in self._param_names():
            value = getattr(self, name, None)
            default = sig.parameters[name].default
            try:
                same = default is not inspect.Parameter.empty and bool(value == default)
            except Exception:  # arrays and frames: show them as changed
                same = False
            if not same:
                s = _short(value)
                items.append(f"{name}={s if s is not None else '...'}")
        return f"{type(self).__name__}({', '.join(items)})"

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return getattr(self, "result_", None) is not None

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted; call fit(data) first."
            )

    def summary(self) -> pd.DataFrame:
        """The fitted result's :meth:`Result.summary`.

        Returns
        -------
        pandas.DataFrame
            ``result_.summary()``, a new frame on every call.

        Raises
        ------
        cjmodels.errors.NotFittedError
            Before ``fit``.
        """
        self._check_fitted()
        return self.result_.summary()

    def to_dict(self) -> dict[str, Any]:
        """The fitted result's strict-JSON :meth:`Result.to_dict`, with the parameters.

        Returns
        -------
        dict
            ``type`` (the estimator's class name), ``params`` (:meth:`get_params`) and
            ``result`` (``result_.to_dict()``).

        Raises
        ------
        cjmodels.errors.NotFittedError
            Before ``fit``.
        """
        self._check_fitted()
        return to_jsonable({"type": type(self).__name__, "params": self.get_params(),
                            "result": self.result_.to_dict()})

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The fitted result's :meth:`Result.plot`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default None
            The axis to draw on; None for a new figure.
        **kwargs
            Options of the result's figure.

        Returns
        -------
        matplotlib.axes.Axes
            The axis drawn on.

        Raises
        ------
        cjmodels.errors.NotFittedError
            Before ``fit``.
        """
        self._check_fitted()
        return self.result_.plot(ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        if not self.is_fitted:
            return f"<p>{html.escape(repr(self))}, not fitted</p>"
        return self.result_._repr_html_()
