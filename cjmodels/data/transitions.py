"""Order-k transition counts of channel or stage sequences, journey by journey.

Each journey is a sequence with an explicit start and an explicit end: ``(start)`` before the
first touch, and ``(conversion)`` or ``(null)`` (drop-out) after the last. A journey still open at
the end of observation is censored: by default its last state gets no outgoing transition, which
is what the likelihood of a right-censored chain needs. Sequences never run into each other, so
there is no spurious transition from one journey's end to the next journey's start.

For order ``k`` the state at a touch is the tuple of the last ``k`` symbols up to it (shorter at
the start of a journey), written as the symbols joined by ``" > "``; an order-k chain is then a
first-order chain on these states.
"""

from __future__ import annotations

import warnings
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data._engine import engine_of, engine_path_table
from cjmodels.data.events import EventLog
from cjmodels.data.journeys import journey_set
from cjmodels.data.journeyset import OUTCOME_CENSORED, OUTCOME_CONVERSION, JourneySet
from cjmodels.data.paths import PathTable, journey_set_from_path_table
from cjmodels.data.stages import CONVERSION, NULL, START
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["CENSORED", "TransitionCounts", "decode_states", "state_keys", "transition_counts"]

#: Name of the end state of censored journeys when ``censored="state"``.
CENSORED = "(censored)"


@result_dataclass
class TransitionCounts(Result):
    """Pooled transition counts of many journeys: the result of :func:`transition_counts`.

    ``summary()`` gives, per from-state, the outgoing transitions and the share going to each
    end state; ``plot()`` a heatmap of the probabilities (or counts).

    Attributes
    ----------
    table : pandas.DataFrame
        Long format: ``from_state``, ``to_state``, ``count`` (one row per observed transition).
    states : tuple of str
        All states in matrix order: the start state, the transient states, then the end states.
    order : int
        The Markov order k: a state is the last k symbols joined by ``" > "``.
    start : str
        The start state (``"(start)"`` by default).
    absorbing : tuple of str
        The end states (conversion, null and, with ``censored="state"``, censored).
    info : dict
        Settings and counts (journeys, censored journeys, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> pt = PathTable(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [1, 0],
    ...                              "total_null": [0, 2]}))
    >>> tc = transition_counts(pt)
    >>> tc.matrix()
                  (start)  a  b  (conversion)  (null)
    (start)             0  1  2             0       0
    a                   0  0  1             0       0
    b                   0  0  0             1       2
    (conversion)        0  0  0             0       0
    (null)              0  0  0             0       0
    >>> tc
    TransitionCounts(order=1, states=5, transient=2, distinct_transitions=5, transitions=7)
    """

    table: pd.DataFrame
    states: tuple[str, ...]
    order: int
    start: str
    absorbing: tuple[str, ...]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def transient(self) -> tuple[str, ...]:
        """States other than the start and the end states."""
        return tuple(s for s in self.states if s != self.start and s not in self.absorbing)

    def matrix(self) -> pd.DataFrame:
        """Square count matrix (rows: from, columns: to) over :attr:`states`.

        Returns
        -------
        pandas.DataFrame
            Counts indexed by from-state, columns to-states, both in the order of
            :attr:`states`; integers when every count is whole, else floats.

        Examples
        --------
        >>> from cjmodels.data import counts_from_table
        >>> tc = counts_from_table({("(start)", "a"): 3, ("a", "(conversion)"): 1,
        ...                         ("a", "(null)"): 2})
        >>> tc.matrix().loc["a"].tolist()
        [0, 0, 1, 2]
        """
        idx = {s: i for i, s in enumerate(self.states)}
        m = np.zeros((len(self.states), len(self.states)))
        t = self.table
        np.add.at(
            m,
            (t["from_state"].map(idx).to_numpy(), t["to_state"].map(idx).to_numpy()),
            t["count"].to_numpy(dtype=float),
        )
        out = pd.DataFrame(m, index=list(self.states), columns=list(self.states))
        if np.all(m == np.round(m)):
            out = out.astype(np.int64)
        return out

    def probabilities(self) -> pd.DataFrame:
        """Maximum-likelihood transition probabilities; end states get identity rows.

        A transient state with no outgoing transition (only seen at the end of censored
        journeys) has an all-NaN row: its transitions are not identified.

        Returns
        -------
        pandas.DataFrame
            Row-stochastic matrix over :attr:`states` (rows from, columns to): each count
            divided by its row's total; the rows of the end states are those of the identity.

        Examples
        --------
        >>> from cjmodels.data import counts_from_table
        >>> tc = counts_from_table({("(start)", "a"): 3, ("a", "(conversion)"): 1,
        ...                         ("a", "(null)"): 2})
        >>> tc.probabilities().round(3).loc["a"].tolist()
        [0.0, 0.0, 0.333, 0.667]
        """
        m = self.matrix().to_numpy(dtype=float)
        tot = m.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = m / tot
        for s in self.absorbing:
            i = self.states.index(s)
            p[i] = 0.0
            p[i, i] = 1.0
        return pd.DataFrame(p, index=list(self.states), columns=list(self.states))

    def _repr_fields(self) -> dict[str, Any]:
        total = float(self.table["count"].sum())
        return {
            "order": self.order,
            "states": len(self.states),
            "transient": len(self.transient),
            "distinct_transitions": len(self.table),
            "transitions": int(total) if total.is_integer() else total,
        }

    def _summary(self) -> pd.DataFrame:
        """Per from-state: total outgoing transitions and the share going to each end state."""
        m = self.matrix()
        tot = m.sum(axis=1)
        out = pd.DataFrame({"transitions_out": tot})
        for s in self.absorbing:
            out[f"share_to_{s}"] = m[s] / tot.where(tot > 0)
        return out.loc[[s for s in self.states if s not in self.absorbing]]

    def _plot(self, ax: Any, *, probabilities: bool = True, annotate: bool = True) -> None:
        """Heatmap of the transition probabilities (or counts, ``probabilities=False``).

        Rows are the start and transient states, columns all states.
        """
        rows = [self.start, *self.transient]
        data = (self.probabilities() if probabilities else self.matrix()).loc[rows]
        values = data.to_numpy(dtype=float)
        vmax = 1.0 if probabilities else max(float(np.nanmax(values)), 1.0)
        im = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
        ax.set_xticks(range(len(data.columns)), data.columns, rotation=45, ha="right")
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        if annotate:
            for (i, k), v in np.ndenumerate(values):
                if np.isfinite(v) and v > 0 and (not probabilities or v >= 0.01):
                    text = f"{v:.2f}" if probabilities else f"{v:g}"
                    color = "white" if v > 0.6 * vmax else "black"
                    ax.text(k, i, text, ha="center", va="center", fontsize=7, color=color)
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
        kind = "probabilities" if probabilities else "counts"
        ax.set_title(f"Order-{self.order} transition {kind}")

    def _to_dict(self) -> dict[str, Any]:
        """States, order and the long table."""
        return {
            "order": self.order,
            "states": list(self.states),
            "start": self.start,
            "absorbing": list(self.absorbing),
            "transitions": [
                {"from": f, "to": t, "count": c}
                for f, t, c in self.table[["from_state", "to_state", "count"]].itertuples(
                    index=False
                )
            ],
            "info": dict(self.info),
        }


def state_keys(js: JourneySet, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer key of the order-k state at every touch, and the position within its journey.

    The state at a touch is the tuple of the last ``order`` symbols up to it (fewer at the
    start of a journey); equal keys are equal states, within and across journeys. Keys are
    packed integers while ``order`` symbols fit in 62 bits, dense ranks of the tuples
    otherwise.

    Parameters
    ----------
    js : JourneySet
        The journeys (see :func:`cjmodels.data.journey_set`).
    order : int
        The order of the chain (1: the state is the current symbol).

    Returns
    -------
    keys : numpy.ndarray of int64
        The state key of every touch of ``js.symbols``.
    pos : numpy.ndarray of int64
        Each touch's position within its journey (0 for the first).

    Examples
    --------
    >>> from cjmodels.data import PathTable
    >>> js = PathTable(pd.DataFrame({"path": ["a > b > a", "b > a"], "total_conversions": [1, 0],
    ...                              "total_null": [0, 1]})).journey_set()
    >>> keys, pos = state_keys(js, 2)
    >>> pos.tolist()
    [0, 1, 2, 0, 1]
    >>> bool(keys[2] == keys[4])  # "b > a" in both journeys
    True
    >>> bool(keys[0] == keys[2])  # "a" at a journey's start is not "b > a"
    False
    """
    lengths = js.lengths
    pos = np.arange(len(js.symbols)) - np.repeat(js.offsets[:-1], lengths)
    base = len(js.labels) + 1
    if order * np.log2(base) < 62:
        key = np.zeros(len(js.symbols), dtype=np.int64)
        for lag in range(order - 1, -1, -1):  # oldest symbol first
            shifted = np.zeros(len(js.symbols), dtype=np.int64)
            ok = pos >= lag
            shifted[ok] = js.symbols[np.flatnonzero(ok) - lag] + 1
            key = key * base + shifted
        return key, pos
    mat = np.zeros((len(js.symbols), order), dtype=np.int64)
    for lag in range(order):
        ok = pos >= lag
        mat[ok, order - 1 - lag] = js.symbols[np.flatnonzero(ok) - lag] + 1
    _, inv = np.unique(mat, axis=0, return_inverse=True)
    return inv.ravel().astype(np.int64), pos


def decode_states(keys: np.ndarray, js: JourneySet, order: int, sample: np.ndarray) -> list[str]:
    """State names for distinct keys of :func:`state_keys`, read off one touch (``sample``, its
    index into ``js.symbols``) carrying each key: the last ``order`` symbols up to it, joined.

    Examples
    --------
    >>> from cjmodels.data import PathTable
    >>> js = PathTable(pd.DataFrame({"path": ["a > b"], "total_conversions": [1],
    ...                              "total_null": [0]})).journey_set()
    >>> decode_states(np.array([0, 1]), js, 2, np.array([0, 1]))
    ['a', 'a > b']
    """
    pos = np.arange(len(js.symbols)) - np.repeat(js.offsets[:-1], js.lengths)
    names = []
    for i in sample:
        lo = i - min(order - 1, int(pos[i]))
        names.append(PATH_SEPARATOR.join(js.labels[js.symbols[lo : i + 1]]))
    return names


def transition_counts(
    data: EventLog | pd.DataFrame | PathTable | JourneySet,
    *,
    sequence: str = "channel",
    order: int = 1,
    collapse_repeats: bool = False,
    censored: str = "drop",
    start: str = START,
    conversion: str = CONVERSION,
    null: str = NULL,
    timeout: Any = None,
    lookback: Any = None,
    **log_options: Any,
) -> TransitionCounts:
    """Pooled order-k transition counts over journeys.

    Parameters
    ----------
    data : EventLog, DataFrame, PathTable, JourneySet, DuckDB relation or PySpark DataFrame
        An event log (journeys are built from it; see :func:`~cjmodels.data.journeys`) or a path
        table (each path counted ``total_conversions`` times ending in conversion and
        ``total_null`` times ending in null). A DuckDB relation or PySpark DataFrame is reduced
        to its path table by the engine (channels only), keeping censored journeys apart.
    sequence : {"channel", "stage"}
        What a journey is a sequence of: which touch column forms the sequences (event logs
        only).
    order : int
        Markov order k >= 1.
    collapse_repeats : bool
        Merge consecutive repeats of a symbol first (ChannelAttribution does for its Markov
        model; keep them for stage chains, where staying in a stage is information).
    censored : {"drop", "null", "state"}
        What ends a censored journey: nothing ("drop", the right-censored likelihood), the null
        state ("null", as if the customer had left), or a separate ``(censored)`` state.
    start, conversion, null : str
        Names of the start and end states.
    timeout, lookback : time span, optional
        Journey options, see :func:`~cjmodels.data.journeys`.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` (or the column names of a DuckDB
        relation or PySpark DataFrame) when ``data`` is not an EventLog.

    Returns
    -------
    TransitionCounts
        The pooled counts over every journey: one transition out of ``start`` per journey
        with a touch, one per pair of consecutive touches, and one into the end state of
        each journey that has one (none for censored journeys with ``censored="drop"``).

    Raises
    ------
    ValidationError
        For an ``order`` below 1, an unknown ``censored`` or ``sequence``, start and end
        names that coincide or clash with a symbol, ``sequence="stage"`` on a path table or
        an engine table, or a log without the sequence's column.

    See Also
    --------
    journey_transitions : The same transitions before pooling, with their journeys.
    counts_from_table : Counts you have already aggregated.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1], "timestamp": [0, 1, 2, 3],
    ...                    "event": ["touch", "touch", "conversion", "touch"],
    ...                    "channel": ["a", "b", None, "a"]})
    >>> transition_counts(df, censored="null").table
      from_state      to_state  count
    0    (start)             a      2
    1          a             b      1
    2          a        (null)      1
    3          b  (conversion)      1
    """
    check_scalar(order, "order", typ=int, ge=1)
    check_scalar(censored, "censored", in_=("drop", "null", "state"))
    check_scalar(sequence, "sequence", in_=("channel", "stage"))
    names = {start, conversion, null} | ({CENSORED} if censored == "state" else set())
    if len(names) < 3 + (censored == "state"):
        raise ValidationError(
            f"start, conversion and null must be distinct names, got {start!r}, "
            f"{conversion!r}, {null!r}."
        )
    engine = engine_of(data) != "memory"
    if engine:  # counted by the engine
        if sequence != "channel":
            raise ValidationError(
                "an engine table (DuckDB, Spark) is reduced to its path table, which holds "
                "channels only; use sequence='channel', or build the log in memory for "
                "stages."
            )
        with warnings.catch_warnings():  # journeys without touches: counted below as in memory
            warnings.simplefilter("ignore", UserWarning)
            pt = engine_path_table(data, timeout=timeout, lookback=lookback, **log_options)
        js = journey_set_from_path_table(pt)
    elif isinstance(data, JourneySet):
        js = data
    elif isinstance(data, PathTable):
        if sequence != "channel":
            raise ValidationError("a path table holds channels only; use sequence='channel'.")
        # censored journeys (total_censored) and journeys without touches (info) are kept
        # apart, so counts from a path table equal counts from its log under every censored=
        js = journey_set_from_path_table(data)
    else:
        js = journey_set(
            data, sequence=sequence, timeout=timeout, lookback=lookback, per_journey=False,
            **log_options,
        )
    if collapse_repeats:
        js = js.collapse_repeats()
    if not (isinstance(data, PathTable) or engine):
        # one row per distinct (sequence, outcome): the touch-level work below then grows with
        # the distinct sequences, not with the journeys (path tables are merged already)
        js, _ = js.merged()
    clash = sorted(names & set(js.labels.tolist()))
    if clash:
        raise ValidationError(
            f"symbols {clash} are also used as start/end state names; rename them or pass "
            "start=, conversion=, null= with other names."
        )

    keys, pos = state_keys(js, order)
    dense, uniq = pd.factorize(keys)  # hashing: linear time, no sort of all touches
    dense = dense.astype(np.int64)
    first = np.empty(len(uniq), dtype=np.int64)
    first[dense[::-1]] = np.arange(len(dense) - 1, -1, -1)  # first touch with each state
    state_names = decode_states(uniq, js, order, first)
    # order transient states by their symbol tuple (oldest first), which keeps stage order
    n_t = len(uniq)
    end_names = [conversion, null] + ([CENSORED] if censored == "state" else [])
    START_ID, CONV_ID, NULL_ID, CENS_ID = n_t, n_t + 1, n_t + 2, n_t + 3

    lengths = js.lengths
    w_touch = np.repeat(js.weight, lengths)
    # within-journey transitions: touch i -> touch i+1
    nxt = np.ones(len(js.symbols), dtype=bool)
    last_touch = js.offsets[1:] - 1
    nxt[last_touch[last_touch >= 0]] = False  # last touch of each journey has no successor
    nxt &= np.repeat(lengths > 0, lengths)
    inner = np.flatnonzero(nxt)
    frm = [dense[inner]]
    to = [dense[inner + 1]]
    wts = [w_touch[inner]]
    # start transitions
    has = lengths > 0
    end_id = np.where(
        js.outcome == OUTCOME_CONVERSION,
        CONV_ID,
        np.where(
            js.outcome == OUTCOME_CENSORED,
            {"drop": -1, "null": NULL_ID, "state": CENS_ID}[censored],
            NULL_ID,
        ),
    )
    frm.append(np.full(int(has.sum()), START_ID))
    to.append(dense[js.offsets[:-1][has]])
    wts.append(js.weight[has])
    # end transitions (from the last touch, or from start for journeys without touches)
    last_state = np.where(
        has, dense[np.maximum(js.offsets[1:] - 1, 0)] if len(dense) else -1, START_ID
    )
    ends = end_id >= 0
    frm.append(last_state[ends])
    to.append(end_id[ends])
    wts.append(js.weight[ends])
    frm_a, to_a, w_a = np.concatenate(frm), np.concatenate(to), np.concatenate(wts)

    n_all = n_t + 4
    pair = frm_a.astype(np.int64) * n_all + to_a
    inv, upair = pd.factorize(pair)
    counts = np.bincount(inv, weights=w_a)
    all_names = np.array(state_names + [start, conversion, null, CENSORED], dtype=object)
    f_id, t_id = upair // n_all, upair % n_all
    table = pd.DataFrame(
        {"from_state": all_names[f_id], "to_state": all_names[t_id], "count": counts}
    )
    if np.all(counts == np.round(counts)):
        table["count"] = table["count"].astype(np.int64)
    # matrix order: start, transient (by symbol tuple), end states
    tuple_order = np.lexsort(_tuple_columns(js, order, first)[::-1])
    transient = [state_names[i] for i in tuple_order]
    states = (start, *transient, *end_names)
    rank = {s: i for i, s in enumerate(states)}
    table = table.iloc[
        np.lexsort((table["to_state"].map(rank), table["from_state"].map(rank)))
    ].reset_index(drop=True)
    info = {
        **{k: v for k, v in js.info.items() if k in ("sequence", "source", "timeout", "lookback")},
        "collapse_repeats": collapse_repeats,
        "censored": censored,
        "n_journeys": float(js.weight.sum()),
        "n_conversions": float(js.weight[js.outcome == OUTCOME_CONVERSION].sum()),
        "n_censored": float(js.weight[js.outcome == OUTCOME_CENSORED].sum()),
    }
    return TransitionCounts(table, states, order, start, tuple(end_names), info)


def _tuple_columns(js: JourneySet, order: int, sample: np.ndarray) -> list[np.ndarray]:
    """Symbol codes (oldest first, -1 padded at the front) of each distinct state."""
    pos = np.arange(len(js.symbols)) - np.repeat(js.offsets[:-1], js.lengths)
    cols = []
    for j in range(order):  # column j holds the symbol (order-1-j) steps back
        lag = order - 1 - j
        c = np.full(len(sample), -1, dtype=np.int64)
        ok = pos[sample] >= lag
        c[ok] = js.symbols[sample[ok] - lag]
        cols.append(c)
    # sort by length first (shorter, start-of-journey states first), then by symbols
    return [(cols[0] >= 0).astype(np.int64), *cols] if order > 1 else cols
