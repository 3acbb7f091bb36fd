"""Panel data for continuous-time multi-state models: declared transitions and observations.

The stage (the state of the model) of each customer is seen at a few, irregular times.
:func:`panel_data` turns a tidy table (customer, timestamp, stage[, covariates]) or an
:class:`~cjmodels.data.EventLog` into the arrays the likelihood needs, and rejects what the model cannot use with
a :class:`~cjmodels.errors.ValidationError` that names the customer, the times and a fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data import EventLog
from cjmodels.errors import ValidationError

__all__ = ["OBSTYPES", "PanelData", "QSpec", "panel_data", "parse_qmatrix"]

#: Observation types, as msm's ``obstype``: 1 the state at a snapshot (panel), 2 an exactly
#: observed transition time (the state was constant since the previous observation and the jump
#: happened at this time), 3 an exactly observed entry into an absorbing state (msm's
#: ``deathexact``: the state just before is unknown).
OBSTYPES = {1: "panel", 2: "exact", 3: "exact entry into absorbing state"}
_MAX_SHOWN = 5


@dataclass(frozen=True)
class QSpec:
    """The declared model graph: state labels, allowed transitions and initial intensities.

    Attributes
    ----------
    states : tuple
        State labels, in the order of the rows and columns of the intensity matrix.
    init : numpy.ndarray
        ``(K, K)`` initial intensities, zero on the diagonal and where a transition is forbidden.
    allowed : numpy.ndarray
        ``(K, K)`` boolean, ``True`` where a direct transition is allowed.
    """

    states: tuple
    init: np.ndarray
    allowed: np.ndarray

    @property
    def n_states(self) -> int:
        """Number of states ``K``."""
        return len(self.states)

    @property
    def transitions(self) -> list[tuple[int, int]]:
        """Allowed ``(from, to)`` index pairs, reading across the rows (msm's parameter order)."""
        r, s = np.nonzero(self.allowed)
        return list(zip(r.tolist(), s.tolist(), strict=True))

    @property
    def absorbing(self) -> np.ndarray:
        """Boolean mask of the states with no allowed exit."""
        return ~self.allowed.any(axis=1)

    @property
    def reachable(self) -> np.ndarray:
        """``(K, K)`` boolean: state ``s`` can be reached from ``r`` (including ``r == s``)."""
        reach = self.allowed | np.eye(self.n_states, dtype=bool)
        for _ in range(self.n_states):
            nxt = (reach.astype(int) @ reach.astype(int)) > 0
            if np.array_equal(nxt, reach):
                break
            reach = nxt
        return reach

    def label(self, r: int, s: int) -> str:
        """Name of the transition from state index ``r`` to ``s``, as msm prints it
        (``"1 - 2"``)."""
        return f"{self.states[r]} - {self.states[s]}"


def parse_qmatrix(qmatrix: Any, states: Sequence[Any] | None = None) -> QSpec:
    """Read msm's ``qmatrix``: nonzero off-diagonal entries are the allowed transitions.

    Parameters
    ----------
    qmatrix : array-like or pandas.DataFrame
        Square matrix. Off-diagonal entries are initial intensities (``> 0``: allowed, ``0``:
        forbidden); the diagonal is ignored, as in msm. A DataFrame names the states by its index
        (which must equal its columns).
    states : sequence, optional
        State labels for an array; default ``1, 2, ..., K`` (msm's numbering). Not allowed
        with a DataFrame unless equal to its index.

    Returns
    -------
    QSpec
        The state labels, the initial intensities (diagonal set to 0) and the boolean mask of
        allowed transitions. Its ``transitions`` lists the allowed ``(from, to)`` index pairs
        reading across the rows: the order of the intensity parameters of
        :func:`fit_multistate`.

    Raises
    ------
    ValidationError
        A matrix that is not square with at least 2 states, non-numeric, NaN or infinite
        entries, negative off-diagonal entries, no allowed transition, duplicate or too few
        state labels, or a DataFrame whose index differs from its columns.

    Examples
    --------
    >>> spec = parse_qmatrix([[0, 0.2, 0.1], [0.1, 0, 0.3], [0, 0, 0]])
    >>> spec.states, spec.transitions
    ((1, 2, 3), [(0, 1), (0, 2), (1, 0), (1, 2)])
    """
    if isinstance(qmatrix, pd.DataFrame):
        if list(qmatrix.index) != list(qmatrix.columns):
            raise ValidationError(
                "qmatrix: a DataFrame must have the same state labels, in the same order, as "
                f"index and columns; got index {list(qmatrix.index)} and columns "
                f"{list(qmatrix.columns)}."
            )
        if states is not None and list(states) != list(qmatrix.index):
            raise ValidationError(
                "states: give them either as the qmatrix index or here, not both."
            )
        states = list(qmatrix.index)
        values = qmatrix.to_numpy()
    else:
        values = np.asarray(qmatrix)
    try:
        q = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"qmatrix must hold numbers: {exc}.") from None
    if q.ndim != 2 or q.shape[0] != q.shape[1] or q.shape[0] < 2:
        raise ValidationError(
            f"qmatrix must be a square matrix with at least 2 states, got shape {q.shape}."
        )
    k = q.shape[0]
    if states is None:
        states = list(range(1, k + 1))
    states = tuple(s.item() if isinstance(s, np.generic) else s for s in states)
    if len(states) != k or len(set(states)) != k:
        raise ValidationError(
            f"states == {list(states)!r}: need {k} distinct labels, one per row of qmatrix."
        )
    np.fill_diagonal(q, 0.0)
    if not np.all(np.isfinite(q)):
        raise ValidationError("qmatrix has NaN or infinite entries; use 0 for forbidden moves.")
    if np.any(q < 0):
        r, s = np.argwhere(q < 0)[0]
        raise ValidationError(
            f"qmatrix[{states[r]!r}, {states[s]!r}] == {q[r, s]}: off-diagonal entries must be "
            "positive initial intensities (allowed) or 0 (forbidden)."
        )
    allowed = q > 0
    if not allowed.any():
        raise ValidationError("qmatrix allows no transition; put initial intensities > 0 on the "
                              "allowed moves.")
    return QSpec(states=states, init=q, allowed=allowed)


@dataclass(frozen=True)
class PanelData:
    """Observations of a multi-state process at irregular times, one row per observation.

    The validated input of :func:`~cjmodels.markov.fit_multistate` (and of
    :func:`~cjmodels.markov.crude_qmatrix`). Build it with :func:`panel_data`, which checks the
    data and fills every field consistently; constructing it directly skips those checks.
    Rows are grouped by customer (in order of first appearance) and ordered by time; customers
    with a single observation have been left out. Each field is stored as an attribute of the
    same name.

    Parameters
    ----------
    spec : QSpec
        The declared states and transitions (from :func:`parse_qmatrix`).
    customer : numpy.ndarray
        Customer id of each observation (object array, ``n`` rows).
    timestamp : numpy.ndarray
        Observation time (float), strictly increasing within a customer.
    stage : numpy.ndarray
        Index of the observed state (stage) into ``spec.states``, ``-1`` where it is censored.
    possible : numpy.ndarray
        ``(n, K)`` boolean: the states the observation is consistent with (one ``True`` for an
        observed state, several for a censored one).
    obstype : numpy.ndarray
        Type of the interval that ends at this row (1, 2 or 3, see :data:`OBSTYPES`); 0 on each
        customer's first row.
    covariates : numpy.ndarray
        ``(n, p)`` covariate values; the interval from row ``j-1`` to ``j`` uses row ``j-1``'s.
    covariate_names : tuple of str
        Names of the ``p`` covariate columns, in the order of the columns of ``covariates``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1.5, 0, 2.0],
    ...                    "stage": [1, 2, 1, 1]})
    >>> pdata = panel_data(df, [[0, 0.1], [0.1, 0]])
    >>> pdata.n_customers, pdata.n_intervals
    (2, 2)
    >>> pdata.to_frame().columns.tolist()
    ['customer_id', 'timestamp', 'stage', 'obstype']
    """

    spec: QSpec
    customer: np.ndarray
    timestamp: np.ndarray
    stage: np.ndarray
    possible: np.ndarray
    obstype: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]

    @property
    def first(self) -> np.ndarray:
        """Boolean mask of each customer's first observation."""
        s = self.customer
        return np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.first.sum())

    @property
    def n_observations(self) -> int:
        """Number of observations (rows)."""
        return len(self.timestamp)

    @property
    def n_intervals(self) -> int:
        """Number of intervals between consecutive observations (likelihood terms)."""
        return self.n_observations - self.n_customers

    def statetable(self) -> pd.DataFrame:
        """Counts of (previous state, next state) pairs, as msm's ``statetable.msm``.

        Censored observations are counted under the label ``"censored"``.

        Returns
        -------
        pandas.DataFrame
            Cross-table of consecutive observations of the same customer: rows ``from`` (the
            earlier state), columns ``to`` (the later one), cells the number of such pairs.
            Only states that occur appear.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0, 1, 2, 0, 1],
        ...                    "stage": [1, 1, 2, 1, 2]})
        >>> panel_data(df, [[0, 0.1], [0.1, 0]]).statetable()
        to    1  2
        from
        1     1  2
        """
        labels = np.array(list(self.spec.states) + ["censored"], dtype=object)
        st = np.where(self.stage >= 0, self.stage, len(self.spec.states))
        nxt = ~self.first
        frm = labels[st[np.flatnonzero(nxt) - 1]]
        to = labels[st[nxt]]
        tab = pd.crosstab(pd.Series(frm, name="from"), pd.Series(to, name="to"))
        return tab

    def to_frame(self) -> pd.DataFrame:
        """The observations as a DataFrame: the column names :func:`panel_data` reads by default.

        Returns
        -------
        pandas.DataFrame
            One row per observation: ``customer_id``, ``timestamp``, ``stage`` (the state
            label, ``None`` where censored), ``obstype`` (0 on first rows) and one column per
            covariate.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0, 1.5], "stage": [1, 2]})
        >>> panel_data(df, [[0, 0.1], [0.1, 0]]).to_frame()
           customer_id  timestamp  stage  obstype
        0            1        0.0      1        0
        1            1        1.5      2        1
        """
        labels = np.array(list(self.spec.states) + [None], dtype=object)
        out = pd.DataFrame({
            "customer_id": self.customer,
            "timestamp": self.timestamp,
            "stage": labels[np.where(self.stage >= 0, self.stage, len(self.spec.states))],
            "obstype": self.obstype,
        })
        for j, name in enumerate(self.covariate_names):
            out[name] = self.covariates[:, j]
        return out

    def __repr__(self) -> str:
        cens = int((self.stage < 0).sum())
        return (
            f"PanelData({self.n_customers} customers, {self.n_observations} observations, "
            f"{len(self.spec.states)} states, {cens} censored, covariates "
            f"{list(self.covariate_names)})"
        )


def _rows(labels: np.ndarray, mask: np.ndarray) -> str:
    bad = labels[np.asarray(mask, dtype=bool)]
    shown = ", ".join(str(x) for x in bad[:_MAX_SHOWN])
    more = f" and {len(bad) - _MAX_SHOWN} more" if len(bad) > _MAX_SHOWN else ""
    return f"[{shown}{more}]"


def _column(df: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in df.columns:
        raise ValidationError(
            f"column {name!r} ({role}) is not in the data; columns are {list(df.columns)}. "
            f"Pass {role}='<column>'."
        )
    return df[name]


def panel_data(
    data: pd.DataFrame | EventLog | PanelData,
    qmatrix: Any = None,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    stage: str = "stage",
    covariates: Sequence[str] | None = None,
    states: Sequence[Any] | None = None,
    censor: Any = None,
    censor_states: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
    deathexact: bool | Sequence[Any] | None = None,
    exacttimes: bool = False,
    obstype: str | None = None,
    unit: str = "D",
) -> PanelData:
    """Turn a tidy table of state observations into validated panel data.

    Parameters
    ----------
    data : pandas.DataFrame, EventLog or PanelData
        One row per observation. A DataFrame needs the ``customer``, ``timestamp`` and
        ``stage`` columns (timestamps numeric, e.g. years since entry). An
        :class:`~cjmodels.data.EventLog` uses its customers, its timestamps (as float ``unit``
        since the start of observation) and its ``stage`` column as the state. A
        :class:`PanelData` is returned as it is.
    qmatrix : array-like or DataFrame
        Allowed transitions and initial intensities, as msm's ``qmatrix``
        (see :func:`parse_qmatrix`).
    customer, timestamp, stage : str
        Column names (DataFrame input only): the customer, the (numeric) time of the
        observation and the observed stage (the state of the model).
    covariates : sequence of str, optional
        Numeric covariate columns (dummy-code categories first, e.g. ``pd.get_dummies``).
    states : sequence, optional
        State labels when ``qmatrix`` is an array (default ``1..K``).
    censor : scalar or sequence, optional
        Code(s) in the state column meaning "in one of ``censor_states``, unknown which"
        (msm's ``censor``).
    censor_states : sequence or mapping, optional
        The states a censored observation may be in: one list for a single code, or a mapping
        code -> list. Default: every non-absorbing state (as msm).
    deathexact : bool or sequence, optional
        Entry into these absorbing states (``True``: all absorbing states) is observed at the
        exact time, the state just before being unknown (msm's ``deathexact``).
    exacttimes : bool
        Every observation is an exact transition time (msm's ``exacttimes``).
    obstype : str, optional
        Column with msm's observation type per row (1, 2 or 3, see :data:`OBSTYPES`); it
        overrides ``exacttimes``/``deathexact``.
    unit : str
        Time unit for EventLog timestamps (``"D"`` days, ``"h"``, ...).

    Returns
    -------
    PanelData
        The validated observations, grouped by customer and ordered by time, with each
        observation's possible states and each interval's observation type. Customers with a
        single observation are left out with a warning (they carry no information about
        transitions).

    Raises
    ------
    ValidationError
        Missing values, unknown states, times out of order or tied within a customer,
        transitions the declared qmatrix forbids (naming customer and times), non-numeric or
        missing covariates, no customer with two observations.

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [0, 1.5, 0, 2.0], "s": [1, 2, 1, 1]})
    >>> pdata = panel_data(df, [[0, 0.1], [0.1, 0]], customer="id", timestamp="t", stage="s")
    >>> pdata.n_intervals
    2
    """
    if isinstance(data, PanelData):
        return data
    spec = parse_qmatrix(qmatrix, states) if not isinstance(qmatrix, QSpec) else qmatrix
    k = spec.n_states
    covariates = list(covariates or [])
    if isinstance(data, EventLog):
        data.require("stage", purpose="a multi-state model (the stage is the observed state)")
        ev = data.events
        frame = pd.DataFrame({
            "customer_id": ev["customer_id"].to_numpy(),
            "__time": np.asarray(data.times(unit), dtype=float),
            "stage": ev["stage"].to_numpy(),
        })
        for c in covariates:
            frame[c] = _column(ev, c, "covariate").to_numpy()
        if obstype is not None:
            frame[obstype] = _column(ev, obstype, "obstype").to_numpy()
        labels_index = np.asarray(data.source_index)
        customer, timestamp, stage = "customer_id", "__time", "stage"
        df = frame
    elif isinstance(data, pd.DataFrame):
        df = data
        labels_index = np.asarray(df.index)
    else:
        raise ValidationError(
            f"data must be a pandas DataFrame or an EventLog, got {type(data).__name__}."
        )
    if len(df) == 0:
        raise ValidationError("the panel data are empty (0 rows); there is nothing to fit.")
    subj = _column(df, customer, "customer")
    t_col = _column(df, timestamp, "timestamp")
    s_col = _column(df, stage, "stage")
    for col, role in ((subj, "customer"), (t_col, "timestamp"), (s_col, "stage")):
        miss = col.isna().to_numpy()
        if miss.any():
            raise ValidationError(
                f"column {col.name!r} ({role}) has {int(miss.sum())} missing values, first at "
                f"rows {_rows(labels_index, miss)}. Drop or fill these rows."
            )
    try:
        t = t_col.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"column {timestamp!r} (timestamp) must be numeric (e.g. years or days since "
            "entry); convert timestamps first, or build an EventLog and pass it."
        ) from None
    if not np.all(np.isfinite(t)):
        raise ValidationError(f"column {timestamp!r} (timestamp) has infinite values at rows "
                              f"{_rows(labels_index, ~np.isfinite(t))}.")

    # states: known labels, censor codes
    raw = s_col.to_numpy()
    lookup = {lab: i for i, lab in enumerate(spec.states)}
    lookup_str = {str(lab): i for i, lab in enumerate(spec.states)}
    inv, uniq = pd.factorize(pd.Series(raw))
    ucodes = np.array([lookup.get(u, lookup_str.get(str(u), -2)) for u in uniq], dtype=np.int64)
    codes = ucodes[inv]
    possible = np.zeros((len(df), k), dtype=bool)
    known = codes >= 0
    possible[np.flatnonzero(known), codes[known]] = True
    cens_codes = [] if censor is None else list(np.atleast_1d(np.asarray(censor, dtype=object)))
    if censor_states is None:
        transient = [s for s, a in zip(spec.states, spec.absorbing, strict=True) if not a]
        cmap = {c: transient for c in cens_codes}
    elif isinstance(censor_states, Mapping):
        cmap = {c: list(v) for c, v in censor_states.items()}
    else:
        if len(cens_codes) != 1:
            raise ValidationError("censor_states: give a mapping code -> states when there are "
                                  "several censor codes.")
        cmap = {cens_codes[0]: list(censor_states)}
    for c, sts in cmap.items():
        if c not in cens_codes:
            raise ValidationError(f"censor_states names code {c!r}, which is not in censor.")
        idx = []
        for s in sts:
            if s not in lookup and str(s) not in lookup_str:
                raise ValidationError(f"censor_states: {s!r} is not a state; states are "
                                      f"{list(spec.states)}.")
            idx.append(lookup.get(s, lookup_str.get(str(s))))
        hit = np.array([u == c or str(u) == str(c) for u in uniq], dtype=bool)[inv] & ~known
        codes[hit] = -1
        rows = np.flatnonzero(hit)
        possible[np.ix_(rows, idx)] = True
    unknown = codes == -2
    if unknown.any():
        vals = sorted({str(v) for v in raw[unknown]})[:_MAX_SHOWN]
        raise ValidationError(
            f"column {stage!r} (stage) has values {vals} that are not states of qmatrix "
            f"{list(spec.states)} (rows {_rows(labels_index, unknown)}). Fix the labels, pass "
            "states=..., or declare censoring codes with censor=."
        )

    # covariates
    cov = np.zeros((len(df), len(covariates)))
    for j, c in enumerate(covariates):
        col = _column(df, c, "covariate")
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise ValidationError(
                f"covariate {c!r} has dtype {col.dtype}; covariates must be numeric. Dummy-code "
                f"categories first, e.g. pd.get_dummies(df, columns=[{c!r}], drop_first=True, "
                "dtype=float)."
            )
        v = col.to_numpy(dtype=float)
        miss = ~np.isfinite(v)
        if miss.any():
            raise ValidationError(
                f"covariate {c!r} has {int(miss.sum())} missing or infinite values, first at rows "
                f"{_rows(labels_index, miss)}. Impute them or drop these customers (every row's "
                "covariates are used for the interval that starts there)."
            )
        cov[:, j] = v

    # observation types
    absorbing = spec.absorbing
    if obstype is not None:
        ot = _column(df, obstype, "obstype").to_numpy()
        if not np.isin(ot, [1, 2, 3]).all():
            bad = ~np.isin(ot, [1, 2, 3])
            raise ValidationError(f"column {obstype!r} (obstype) must be 1, 2 or 3; rows "
                                  f"{_rows(labels_index, bad)} are not.")
        ot = ot.astype(np.int8)
    else:
        ot = np.full(len(df), 2 if exacttimes else 1, dtype=np.int8)
        if deathexact is not None and deathexact is not False:
            if deathexact is True:
                dstates = np.flatnonzero(absorbing)
            else:
                dstates = []
                for s in np.atleast_1d(np.asarray(deathexact, dtype=object)):
                    if s not in lookup and str(s) not in lookup_str:
                        raise ValidationError(f"deathexact: {s!r} is not a state; states are "
                                              f"{list(spec.states)}.")
                    dstates.append(lookup.get(s, lookup_str.get(str(s))))
            for d in dstates:
                if not absorbing[d]:
                    raise ValidationError(
                        f"deathexact: state {spec.states[d]!r} is not absorbing in qmatrix "
                        "(it has allowed exits); only entry into absorbing states can be exact."
                    )
            ot[np.isin(codes, list(dstates))] = 3
    if np.any((ot == 3) & (codes >= 0) & ~absorbing[np.maximum(codes, 0)]):
        bad = (ot == 3) & (codes >= 0) & ~absorbing[np.maximum(codes, 0)]
        raise ValidationError(f"obstype 3 (exact entry into an absorbing state) on rows "
                              f"{_rows(labels_index, bad)} whose state is not absorbing.")
    if np.any((ot >= 2) & (codes < 0)):
        bad = (ot >= 2) & (codes < 0)
        raise ValidationError(f"rows {_rows(labels_index, bad)} are censored but marked as exact "
                              "observations; an exact time needs a known state.")

    # group by subject (order of first appearance), keep row order within a subject
    scodes, suniq = pd.factorize(subj)
    order = np.argsort(scodes, kind="stable")
    scodes, t, codes, possible, cov, ot = (a[order] for a in (scodes, t, codes, possible, cov, ot))
    labels_index = labels_index[order]
    sid = np.array([u.item() if isinstance(u, np.generic) else u for u in suniq],
                   dtype=object)[scodes]
    same = scodes[1:] == scodes[:-1]
    dt = np.diff(t)
    bad = same & (dt <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "out of order" if dt[i] < 0 else "tied (two observations at the same time)"
        raise ValidationError(
            f"observation times are {what} within customer {sid[i]!r}: time {t[i]:g} (row "
            f"{labels_index[i]}) is followed by {t[i + 1]:g} (row {labels_index[i + 1]}); "
            f"{int(bad.sum())} such pairs in all. Sort each customer's rows by time and keep one "
            "observation per time."
        )

    # customers with a single observation carry no information
    counts = np.bincount(scodes)
    single = counts[scodes] < 2
    if single.all():
        raise ValidationError(
            f"every customer has a single observation ({len(counts)} customers); a multi-state "
            "model needs at least two observations of the same customer. Check the customer "
            "column."
        )
    if single.any():
        warnings.warn(
            f"{int((counts < 2).sum())} customers with a single observation (e.g. "
            f"{sid[single][0]!r}) carry no information about transitions and were left out.",
            UserWarning,
            stacklevel=2,
        )
        keep = ~single
        sid, t, codes, possible, cov, ot, labels_index = (
            a[keep] for a in (sid, t, codes, possible, cov, ot, labels_index))
        scodes = scodes[keep]
    first = np.r_[True, scodes[1:] != scodes[:-1]]
    ot = ot.copy()
    ot[first] = 0
    if np.any(codes[first] < 0):
        i = int(np.flatnonzero(first & (codes < 0))[0])
        raise ValidationError(
            f"customer {sid[i]!r}: the first observation (time {t[i]:g}) is censored; the model "
            "conditions on a known first state. Drop that row or give the state."
        )

    # transitions the declared qmatrix forbids (between known states)
    reach = spec.reachable
    nxt = np.flatnonzero(~first)
    prev = nxt - 1
    a, b = codes[prev], codes[nxt]
    both = (a >= 0) & (b >= 0)
    ok = np.ones(len(nxt), dtype=bool)
    panel_like = ot[nxt] != 2
    ok[both & panel_like] = reach[a[both & panel_like], b[both & panel_like]]
    ex = both & ~panel_like
    ok[ex] = (a[ex] == b[ex]) | spec.allowed[a[ex], b[ex]]
    cens_to = (a >= 0) & (b < 0)
    if cens_to.any():
        ok[cens_to] = (reach[a[cens_to]] & possible[nxt[cens_to]]).any(axis=1)
    if not ok.all():
        bad_i = np.flatnonzero(~ok)
        j = int(bad_i[0])
        pairs = ", ".join(
            f"customer {sid[nxt[m]]!r} {spec.states[codes[prev[m]]]!r} at {t[prev[m]]:g} -> "
            f"{spec.states[codes[nxt[m]]] if codes[nxt[m]] >= 0 else 'censored'!r} at "
            f"{t[nxt[m]]:g}"
            for m in bad_i[:_MAX_SHOWN]
        )
        kind = "no allowed direct transition" if ot[nxt[j]] == 2 else "no allowed path"
        raise ValidationError(
            f"{len(bad_i)} observed transitions are impossible under qmatrix ({kind}): "
            f"{pairs}. Allow these moves in qmatrix (an initial intensity > 0) or fix "
            "the data."
        )
    return PanelData(
        spec=spec,
        customer=sid,
        timestamp=t,
        stage=codes,
        possible=possible,
        obstype=ot,
        covariates=cov,
        covariate_names=tuple(str(c) for c in covariates),
    )
