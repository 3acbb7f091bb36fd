"""The sufficient-statistics core every experiment test runs on.

Per arm (and per segment) the tests need only the number of units ``n``, the sums of each column
and the sums of cross-products of every pair of columns. :func:`sufficient_stats` reduces a
per-customer table to these in one vectorised pass; :meth:`SufficientStats.from_counts`,
:meth:`SufficientStats.from_moments` and :meth:`SufficientStats.from_frame` build them from
numbers aggregated elsewhere (a database ``GROUP BY``, a dashboard), and the tests give the same
answer either way.

Conventions
-----------
* ``cross[a, i, j]`` is the raw (uncentred) sum of ``x_i * x_j`` over the units of arm ``a``; its
  diagonal holds the sums of squares. Variances and covariances use ``ddof=1``.
* Arms keep the declared order; without declared ``arms`` they are sorted, so a result never
  depends on row order. The control is chosen by name in every test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["SufficientStats", "sufficient_stats"]

_SHOWN = 5


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:_SHOWN])
    more = f" and {len(idx) - _SHOWN} more" if len(idx) > _SHOWN else ""
    return f"[{shown}{more}]"


@result_dataclass
class SufficientStats(Result):
    """Per-arm counts, column sums and sums of cross-products.

    Attributes
    ----------
    arms : tuple of str
        Arm labels.
    columns : tuple of str
        Column (metric or covariate) names.
    n : numpy.ndarray, shape (k,)
        Units per arm.
    sums : numpy.ndarray, shape (k, p)
        Sum of each column per arm.
    cross : numpy.ndarray, shape (k, p, p)
        Sum of products of each pair of columns per arm (the diagonal: sums of squares).

    Examples
    --------
    >>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
    >>> s
    SufficientStats(arms=('A', 'B'), columns=('converted',), n=(10000, 10000))
    >>> s.mean("converted").round(3).tolist()
    [0.02, 0.025]
    """

    arms: tuple[str, ...]
    columns: tuple[str, ...]
    n: np.ndarray
    sums: np.ndarray
    cross: np.ndarray

    def __post_init__(self) -> None:
        arms = tuple(str(a) for a in self.arms)
        cols = tuple(str(c) for c in self.columns)
        k, p = len(arms), len(cols)
        if len(set(arms)) != k:
            raise ValidationError(f"arms {list(arms)} contain duplicates; arm labels must differ.")
        if len(set(cols)) != p:
            raise ValidationError(f"columns {list(cols)} contain duplicates.")
        n = np.asarray(self.n, dtype=float).reshape(k)
        sums = np.asarray(self.sums, dtype=float).reshape(k, p)
        cross = np.asarray(self.cross, dtype=float).reshape(k, p, p)
        if not (np.all(np.isfinite(n)) and np.all(np.isfinite(sums)) and np.all(np.isfinite(cross))):
            raise ValidationError("sufficient statistics contain NaN or infinite values.")
        if np.any(n < 0):
            raise ValidationError(
                f"negative counts n == {n.tolist()} for arms {list(arms)}; counts must be >= 0."
            )
        for arr in (n, sums, cross):
            arr.setflags(write=False)
        object.__setattr__(self, "arms", arms)
        object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "sums", sums)
        object.__setattr__(self, "cross", cross)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_counts(
        cls,
        successes: Mapping[str, float] | Sequence[float],
        totals: Mapping[str, float] | Sequence[float],
        *,
        arms: Sequence[str] | None = None,
        column: str = "converted",
    ) -> SufficientStats:
        """Statistics of a 0/1 metric from successes and totals per arm.

        For a 0/1 metric the sums and the sums of squares are both the number of successes,
        so the counts are all the tests need.

        Parameters
        ----------
        successes : mapping of str to float, or sequence of float
            Units with a 1 (conversions) per arm: a mapping arm -> count, or a sequence in the
            order of ``arms``.
        totals : mapping of str to float, or sequence of float
            Units per arm, given like ``successes`` (and naming the same arms).
        arms : sequence of str, optional
            Arm labels, in order. Required when the counts are sequences; with mappings it
            fixes the order (default: the mapping's order).
        column : str
            Name of the metric column (default ``"converted"``, the column name of
            :func:`cjmodels.data.experiment_table`).

        Returns
        -------
        SufficientStats
            One column, ``column``, with ``n = totals`` and sums and sums of squares equal to
            ``successes``.

        Raises
        ------
        ValidationError
            Negative counts, ``successes > totals``, arms that differ between the two, or
            sequences without ``arms``.

        Examples
        --------
        >>> SufficientStats.from_counts([3, 5], [10, 10], arms=["a", "b"]).sums.ravel().tolist()
        [3.0, 5.0]
        """
        names, x = _per_arm(successes, arms, "successes")
        names2, n = _per_arm(totals, names, "totals")
        if names2 != names:
            raise ValidationError("successes and totals must name the same arms.")
        bad = (x < 0) | (n < 0)
        if bad.any():
            raise ValidationError(
                f"negative counts for arms {[a for a, b in zip(names, bad, strict=True) if b]}: "
                "successes and totals must be >= 0."
            )
        over = x > n
        if over.any():
            raise ValidationError(
                f"successes exceed totals for arms "
                f"{[a for a, b in zip(names, over, strict=True) if b]}; check the counts."
            )
        return cls(names, (column,), n, x[:, None], x[:, None, None])

    @classmethod
    def from_moments(
        cls,
        n: Mapping[str, float] | Sequence[float],
        mean: Mapping[str, Any],
        var: Mapping[str, Any] | None = None,
        cov: Mapping[tuple[str, str], Any] | None = None,
        *,
        arms: Sequence[str] | None = None,
    ) -> SufficientStats:
        """Statistics from per-arm means, variances (ddof=1) and covariances.

        Use it for numbers aggregated elsewhere (a dashboard's means and standard deviations);
        the tests then give the same answers as on the per-customer table.

        Parameters
        ----------
        n : mapping of str to float, or sequence of float
            Units per arm (a mapping arm -> n, or a sequence in the order of ``arms``).
        mean : mapping of str to per-arm values
            Column -> per-arm means (a sequence in arm order, or a mapping arm -> mean). Its
            keys are the columns of the result, in this order.
        var : mapping of str to per-arm values, optional
            Column -> per-arm variances with ``ddof=1``. A column left out has variance 0.
        cov : mapping of (str, str) to per-arm values, optional
            ``(column_i, column_j)`` -> per-arm covariances (ddof=1). Missing covariances are
            taken as 0 (give them for CUPED covariates and ratio metrics).
        arms : sequence of str, optional
            Arm labels, in order; required when ``n`` is a sequence.

        Returns
        -------
        SufficientStats
            Statistics whose means, variances and covariances are the ones given.

        Raises
        ------
        ValidationError
            Negative variances, values that are not finite numbers, or arms that do not match.

        Examples
        --------
        >>> s = SufficientStats.from_moments([100, 100], {"y": [1.0, 1.2]}, {"y": [4.0, 4.0]},
        ...                                  arms=["c", "t"])
        >>> s.var("y").tolist()
        [4.0, 4.0]
        """
        names, nn = _per_arm(n, arms, "n")
        cols = list(mean)
        p = len(cols)
        m = np.column_stack([_per_arm(mean[c], names, f"mean[{c!r}]")[1] for c in cols])
        v = np.zeros((len(names), p, p))
        var = var or {}
        for i, c in enumerate(cols):
            if c in var:
                v[:, i, i] = _per_arm(var[c], names, f"var[{c!r}]")[1]
        for key, val in (cov or {}).items():
            i, j = cols.index(key[0]), cols.index(key[1])
            v[:, i, j] = v[:, j, i] = _per_arm(val, names, f"cov[{key!r}]")[1]
        if np.any(np.diagonal(v, axis1=1, axis2=2) < 0):
            raise ValidationError("variances must be >= 0.")
        sums = m * nn[:, None]
        cross = v * (nn - 1)[:, None, None] + nn[:, None, None] * m[:, :, None] * m[:, None, :]
        return cls(names, cols, nn, sums, cross)

    @classmethod
    def from_frame(cls, data: pd.DataFrame) -> SufficientStats:
        """Inverse of :meth:`to_frame` (one row per arm; columns ``n``, ``sum[c]``, ``sum[c*d]``).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per arm, indexed by the arm labels, with the units ``n``, the sums
            ``sum[c]`` of each column ``c`` and the sums of products ``sum[c*d]`` of every
            pair (either order), as :meth:`to_frame` writes them, or as a database
            ``GROUP BY variant`` computes them.

        Returns
        -------
        SufficientStats
            The statistics of the frame's arms (in row order) and columns.

        Raises
        ------
        ValidationError
            No column ``n``, or a missing sum of products.

        Examples
        --------
        >>> s = SufficientStats.from_counts([3, 5], [10, 10], arms=["a", "b"])
        >>> SufficientStats.from_frame(s.to_frame()) == s
        True
        """
        frame = data
        if "n" not in frame.columns:
            raise ValidationError("the frame needs a column 'n' with the units per arm.")
        cols = [c[4:-1] for c in frame.columns if c.startswith("sum[") and "*" not in c]
        p = len(cols)
        cross = np.zeros((len(frame), p, p))
        for i, a in enumerate(cols):
            for j, b in enumerate(cols[i:], start=i):
                key = f"sum[{a}*{b}]" if f"sum[{a}*{b}]" in frame.columns else f"sum[{b}*{a}]"
                if key not in frame.columns:
                    raise ValidationError(f"the frame lacks column 'sum[{a}*{b}]'.")
                cross[:, i, j] = cross[:, j, i] = frame[key].to_numpy(dtype=float)
        sums = frame[[f"sum[{c}]" for c in cols]].to_numpy(dtype=float)
        return cls(tuple(map(str, frame.index)), cols, frame["n"].to_numpy(float), sums, cross)

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """One row per arm: ``n``, ``sum[c]`` per column and ``sum[c*d]`` per pair (c <= d).

        Returns
        -------
        pandas.DataFrame
            Indexed by the arms (index name ``"variant"``); :meth:`from_frame` reads it back.
        """
        data: dict[str, np.ndarray] = {"n": self.n}
        for i, c in enumerate(self.columns):
            data[f"sum[{c}]"] = self.sums[:, i]
        for i, a in enumerate(self.columns):
            for j in range(i, len(self.columns)):
                data[f"sum[{a}*{self.columns[j]}]"] = self.cross[:, i, j]
        return pd.DataFrame(data, index=pd.Index(self.arms, name="variant"))

    def index(self, column: str) -> int:
        """Position of ``column``, or a clear error.

        Parameters
        ----------
        column : str
            A column name of the statistics.

        Returns
        -------
        int
            The 0-based position of ``column`` in :attr:`columns`.

        Raises
        ------
        ValidationError
            ``column`` is not among the columns.
        """
        if column not in self.columns:
            raise ValidationError(
                f"column {column!r} is not among the statistics' columns {list(self.columns)}; "
                "compute the statistics with it (sufficient_stats(..., columns=[...]))."
            )
        return self.columns.index(column)

    def arm_index(self, arm: str) -> int:
        """Position of ``arm``, or a clear error.

        Parameters
        ----------
        arm : str
            An arm label (compared as its ``str``).

        Returns
        -------
        int
            The 0-based position of ``arm`` in :attr:`arms`.

        Raises
        ------
        ValidationError
            ``arm`` is not among the arms.
        """
        if str(arm) not in self.arms:
            raise ValidationError(
                f"arm {arm!r} is not among the arms {list(self.arms)}; pass one of them."
            )
        return self.arms.index(str(arm))

    def mean(self, column: str) -> np.ndarray:
        """Per-arm means of ``column``.

        Parameters
        ----------
        column : str
            A column name of the statistics.

        Returns
        -------
        numpy.ndarray
            Shape (k,), in arm order; NaN for an arm without units.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sums[:, self.index(column)] / self.n

    def means(self) -> np.ndarray:
        """Per-arm means of every column, shape (k, p).

        Returns
        -------
        numpy.ndarray
            ``sums / n`` with arms in rows and columns in columns; NaN for an arm without
            units.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sums / self.n[:, None]

    def covariance(self) -> np.ndarray:
        """Per-arm covariance matrices (ddof=1), shape (k, p, p).

        Returns
        -------
        numpy.ndarray
            ``(cross - n m m') / (n - 1)`` per arm; tiny negative variances left by rounding
            are set to 0.
        """
        n = self.n[:, None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            m = self.sums / self.n[:, None]
            c = (self.cross - n * m[:, :, None] * m[:, None, :]) / (n - 1)
        # clip tiny negative variances from cancellation
        k = np.arange(len(self.columns))
        c[:, k, k] = np.maximum(c[:, k, k], 0.0)
        return c

    def var(self, column: str) -> np.ndarray:
        """Per-arm variances (ddof=1) of ``column``.

        Parameters
        ----------
        column : str
            A column name of the statistics.

        Returns
        -------
        numpy.ndarray
            Shape (k,), in arm order.
        """
        i = self.index(column)
        return self.covariance()[:, i, i]

    def cov(self, a: str, b: str) -> np.ndarray:
        """Per-arm covariances (ddof=1) of two columns.

        Parameters
        ----------
        a, b : str
            Two column names of the statistics.

        Returns
        -------
        numpy.ndarray
            Shape (k,), in arm order.
        """
        return self.covariance()[:, self.index(a), self.index(b)]

    def select(self, columns: Sequence[str] | None = None, arms: Sequence[str] | None = None):
        """The statistics of a subset of columns and/or arms (in the order given).

        Parameters
        ----------
        columns : sequence of str, optional
            Columns to keep, in this order; default all.
        arms : sequence of str, optional
            Arms to keep, in this order; default all.

        Returns
        -------
        SufficientStats
            A new object with only those columns and arms.
        """
        ci = [self.index(c) for c in (columns if columns is not None else self.columns)]
        ai = [self.arm_index(a) for a in (arms if arms is not None else self.arms)]
        return SufficientStats(
            tuple(self.arms[i] for i in ai),
            tuple(self.columns[i] for i in ci),
            self.n[ai],
            self.sums[np.ix_(ai, ci)],
            self.cross[np.ix_(ai, ci, ci)],
        )

    def __add__(self, other: SufficientStats) -> SufficientStats:
        """Pool two sets of statistics (e.g. chunks of a large table) with equal arms/columns."""
        if not isinstance(other, SufficientStats):
            return NotImplemented
        if other.arms != self.arms or other.columns != self.columns:
            raise ValidationError("only statistics with the same arms and columns can be added.")
        return SufficientStats(
            self.arms, self.columns, self.n + other.n, self.sums + other.sums,
            self.cross + other.cross,
        )

    def _repr_fields(self) -> dict[str, Any]:
        n = tuple(int(v) if float(v).is_integer() else float(v) for v in self.n)
        return {"arms": self.arms, "columns": self.columns, "n": n}

    def _to_dict(self) -> dict[str, Any]:
        """Arms, columns, n, sums and cross-products as nested lists."""
        return {
            "arms": list(self.arms),
            "columns": list(self.columns),
            "n": self.n,
            "sums": self.sums,
            "cross": self.cross,
        }

    def _summary(self) -> pd.DataFrame:
        """Per arm: n and the mean and standard deviation of every column."""
        out = {"n": self.n}
        sd = np.sqrt(np.diagonal(self.covariance(), axis1=1, axis2=2))
        for i, c in enumerate(self.columns):
            out[f"mean[{c}]"] = self.means()[:, i]
            out[f"sd[{c}]"] = sd[:, i]
        return pd.DataFrame(out, index=pd.Index(self.arms, name="variant"))


def _per_arm(
    values: Mapping[str, Any] | Sequence[Any] | np.ndarray, arms: Sequence[str] | None, what: str
) -> tuple[tuple[str, ...], np.ndarray]:
    if isinstance(values, Mapping):
        names = tuple(str(a) for a in (arms if arms is not None else values))
        lookup = {str(k): v for k, v in values.items()}
        unknown = sorted(set(lookup) - set(names))
        missing = [a for a in names if a not in lookup]
        if unknown or missing:
            raise ValidationError(
                f"{what} names arms {sorted(lookup)} but the arms are {list(names)}; give one "
                "value per arm."
            )
        vals = [lookup[a] for a in names]
    else:
        vals = list(np.atleast_1d(np.asarray(values, dtype=object)))
        if arms is None:
            raise ValidationError(f"{what} is a sequence; name the arms with arms=[...].")
        names = tuple(str(a) for a in arms)
        if len(vals) != len(names):
            raise ValidationError(
                f"{what} has {len(vals)} values but there are {len(names)} arms {list(names)}."
            )
    try:
        arr = np.asarray(vals, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(f"{what} == {vals!r} must be numbers.") from None
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{what} == {arr.tolist()} must be finite numbers.")
    return names, arr


def _check_column(table: pd.DataFrame, col: str, role: str) -> np.ndarray:
    if col not in table.columns:
        raise ValidationError(
            f"{role} column {col!r} is not in the table; its columns are {list(table.columns)}."
        )
    s = table[col]
    if s.dtype == bool or pd.api.types.is_bool_dtype(s):
        arr = s.to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(s):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        raise ValidationError(
            f"{role} column {col!r} has dtype {s.dtype}, must be numeric (or boolean); convert "
            "it, e.g. with pd.to_numeric."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        hint = (
            " For a pre-period covariate that is missing for new customers use "
            "cjmodels.experiments.with_missing_indicator(table, column)."
            if role == "covariate"
            else " Fill them (e.g. 0 revenue for non-buyers) or remove those customers "
            "explicitly."
        )
        raise ValidationError(
            f"{role} column {col!r} has {int(bad.sum())} missing or infinite values at rows "
            f"{_rows(bad)}; nothing is dropped silently.{hint}"
        )
    return arr




def _stats_from_codes(
    codes: np.ndarray, k: int, x: np.ndarray, names: tuple[str, ...], cols: tuple[str, ...]
) -> SufficientStats:
    p = x.shape[1]
    n = np.bincount(codes, minlength=k).astype(float)
    sums = np.empty((k, p))
    cross = np.empty((k, p, p))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(p):
            sums[:, i] = np.bincount(codes, weights=x[:, i], minlength=k)
            for j in range(i, p):
                cross[:, i, j] = cross[:, j, i] = np.bincount(
                    codes, weights=x[:, i] * x[:, j], minlength=k
                )
    for i in range(p):
        if not (np.all(np.isfinite(sums[:, i])) and np.all(np.isfinite(cross[:, i, i]))):
            raise _too_large(cols[i], x[:, i])
    return SufficientStats(names, cols, n, sums, cross)


def _too_large(col: str, x: np.ndarray) -> ValidationError:
    """The error for a column whose sum or sum of squares leaves the float range."""
    big = float(np.max(np.abs(x))) if len(x) else 0.0
    return ValidationError(
        f"column {col!r} is too large to analyse: its sum of squares exceeds the largest float "
        f"(about 1.8e308; its largest absolute value is {big:.3g}, and values beyond about "
        "1e154 overflow when squared), so its variance cannot be computed. Rescale the column "
        f"first, for example df[{col!r}] = df[{col!r}] / 1e6, and read the effects in those "
        "units."
    )


def check_squares(x: np.ndarray, col: str) -> None:
    """Refuse a column whose sum of squares is not a finite float (see :func:`_too_large`)."""
    with np.errstate(over="ignore", invalid="ignore"):
        ok = bool(np.isfinite(np.sum(x * x)))
    if not ok:
        raise _too_large(col, x)


def sufficient_stats(
    data: pd.DataFrame,
    columns: Sequence[str] | str,
    *,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    group: str | None = None,
) -> SufficientStats | dict[str, SufficientStats]:
    """Reduce a per-customer table to per-arm sufficient statistics.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (customer), e.g. from :func:`cjmodels.data.experiment_table`.
    columns : str or sequence of str
        Numeric (or boolean) metric and covariate columns. Missing values raise an error:
        nothing is dropped silently.
    variant : str
        Column holding the arm.
    arms : sequence of str, optional
        Declared arms, in order. Labels outside this set raise an error, as does a declared arm
        without customers. Default: the labels present, sorted.
    group : str, optional
        A grouping column to split by; then a dict group -> statistics is returned (arms are
        the same in every group; a group missing an arm raises an error).

    Returns
    -------
    SufficientStats or dict of str to SufficientStats
        The per-arm units, sums and sums of products of ``columns``; with ``group``, one such
        object per group label (the ``str`` of the group values, sorted).

    Raises
    ------
    ValidationError
        A missing column, a non-numeric column, missing or infinite values, labels outside
        ``arms``, or a group without customers in some arm.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> s = sufficient_stats(t, "y")
    >>> s.mean("y").tolist(), s.var("y").tolist()
    ([2.0, 4.0], [2.0, 8.0])
    """
    table, segment = data, group
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(
            f"data must be a pandas DataFrame with one row per customer, got {type(table)}."
        )
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    if not cols:
        raise ValidationError("columns is empty; name at least one metric column.")
    names, codes = arm_codes(table, variant, arms)
    x = np.column_stack([_check_column(table, c, "metric") for c in cols]) if len(table) else None
    if segment is None:
        return _stats_from_codes(codes, len(names), x, names, cols)
    if segment not in table.columns:
        raise ValidationError(f"group column {segment!r} is not in the table.")
    seg = table[segment]
    if seg.isna().any():
        raise ValidationError(
            f"group column {segment!r} is missing at rows {_rows(seg.isna().to_numpy())}."
        )
    seg_codes, seg_names = pd.factorize(seg.astype(str), sort=True)
    out: dict[str, SufficientStats] = {}
    for s, label in enumerate(seg_names):
        m = seg_codes == s
        st = _stats_from_codes(codes[m], len(names), x[m], names, cols)
        empty = [a for a, c in zip(names, st.n, strict=True) if c == 0]
        if empty:
            raise ValidationError(
                f"group {label!r} of column {segment!r} has no customers in arms {empty}; "
                "merge small groups or leave the group out."
            )
        out[str(label)] = st
    return out
