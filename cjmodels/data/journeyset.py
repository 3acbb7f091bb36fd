"""The journey set: journeys (or path cells) as flat arrays, the common input of every reduction.

A :class:`JourneySet` holds the touches of many journeys in one array with offsets, each row's
outcome (an index into :data:`OUTCOMES`), weight and conversion value. :func:`journey_set`
(:mod:`cjmodels.data.journeys`) builds one from an event log, :meth:`PathTable.journey_set`
from a path table.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.results import Result, result_dataclass

__all__ = [
    "OUTCOMES",
    "OUTCOME_CENSORED",
    "OUTCOME_CONVERSION",
    "OUTCOME_DROP_OUT",
    "JourneySet",
    "subset",
]

#: Possible outcomes of a journey.
OUTCOMES: tuple[str, ...] = ("conversion", "drop_out", "censored")
#: A journey's outcome as stored in :attr:`JourneySet.outcome`: indices into :data:`OUTCOMES`.
OUTCOME_CONVERSION, OUTCOME_DROP_OUT, OUTCOME_CENSORED = 0, 1, 2


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, in one cumulative
    sum (``np.repeat`` with counts is several times slower on millions of rows)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    if not lengths.all():
        keep = lengths > 0
        starts, lengths = starts[keep], lengths[keep]
    if len(lengths) == 0:
        return np.empty(0, dtype=np.int64)
    step = np.ones(int(lengths.sum()), dtype=np.int64)
    at = np.cumsum(lengths[:-1])
    step[0] = starts[0]
    step[at] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(step, out=step)


@result_dataclass
class JourneySet(Result):
    """Journeys as flat arrays: the common input of paths, transitions and journey tables.

    Touches of journey ``j`` are ``symbols[offsets[j]:offsets[j + 1]]`` (codes into
    ``labels``), in time order. Built by :func:`journey_set` (the result of splitting an event
    log into journeys) or by :meth:`PathTable.journey_set`; most users want :func:`journeys` or
    :func:`path_table` instead. ``summary()`` counts the journeys, touches and value per outcome.

    Attributes
    ----------
    labels : numpy.ndarray of str
        Symbol names (channels or stages), sorted.
    symbols : numpy.ndarray of int
        Symbol code of every touch in a journey, journeys concatenated.
    offsets : numpy.ndarray of int
        ``n_journeys + 1`` start offsets into ``symbols``.
    outcome : numpy.ndarray of int
        0 conversion, 1 drop-out, 2 censored (see :data:`OUTCOMES`).
    weight : numpy.ndarray of float
        Number of journeys each row stands for (1 for journeys from a log; counts for a path
        table).
    value : numpy.ndarray of float
        Conversion value of each row (summed over the journeys it stands for).
    info : dict
        Settings and counts (``sequence``, ``timeout``, ``lookback``, events accounted for).
    table : pandas.DataFrame or None
        The per-journey table of :func:`journey_set` (customer, journey number, start, end,
        outcome, touches, value), when it was asked for; rows in the order of the journeys.

    Examples
    --------
    >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 1]), np.array([0, 2, 3]),
    ...                 np.array([0, 2], dtype=np.int8), np.ones(2), np.array([5.0, 0.0]))
    >>> js
    JourneySet(rows=2, journeys=2, labels=2, touches=3)
    >>> js.summary()
                journeys  touches  mean_length  value
    outcome
    conversion       1.0      2.0          2.0    5.0
    drop_out         0.0      0.0          NaN    0.0
    censored         1.0      1.0          1.0    0.0
    """

    labels: np.ndarray
    symbols: np.ndarray
    offsets: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    value: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    table: pd.DataFrame | None = None

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows": self.n,
            "journeys": float(self.weight.sum()) if self.n else 0,
            "labels": len(self.labels),
            "touches": len(self.symbols),
        }
        if float(out["journeys"]).is_integer():
            out["journeys"] = int(out["journeys"])
        if "sequence" in self.info:
            out["sequence"] = self.info["sequence"]
        return out

    def _summary(self) -> pd.DataFrame:
        k = len(OUTCOMES)
        out = self.outcome.astype(np.int64)
        journeys = np.bincount(out, weights=self.weight, minlength=k)
        touches = np.bincount(out, weights=self.weight * self.lengths, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_length = np.where(journeys > 0, touches / np.where(journeys > 0, journeys, 1),
                                   np.nan)
        return pd.DataFrame(
            {"journeys": journeys, "touches": touches, "mean_length": mean_length,
             "value": np.bincount(out, weights=self.value, minlength=k)},
            index=pd.Index(list(OUTCOMES), name="outcome"),
        )

    def _to_dict(self) -> dict[str, Any]:
        return {
            "labels": [str(x) for x in self.labels],
            "symbols": self.symbols.tolist(),
            "offsets": self.offsets.tolist(),
            "outcome": [OUTCOMES[int(o)] for o in self.outcome],
            "weight": self.weight.tolist(),
            "value": self.value.tolist(),
            "info": dict(self.info),
        }

    @property
    def n(self) -> int:
        """Number of rows (journeys, or path-outcome cells)."""
        return len(self.outcome)

    @property
    def lengths(self) -> np.ndarray:
        """Touches per row."""
        return np.diff(self.offsets)

    def collapse_repeats(self) -> JourneySet:
        """Merge consecutive repeats of the same symbol within each journey (a > a > b -> a > b).

        Returns
        -------
        JourneySet
            The same rows (outcomes, weights and values unchanged) with each run of one symbol
            kept as its first touch; ``info["collapse_repeats"]`` is True. The per-journey
            ``table`` is not carried over.

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 0, 1, 1, 1]),
        ...                 np.array([0, 3, 5]), np.array([0, 1], dtype=np.int8),
        ...                 np.ones(2), np.array([5.0, 0.0]))
        >>> short = js.collapse_repeats()
        >>> short.symbols.tolist(), short.offsets.tolist()
        ([0, 1, 1], [0, 2, 3])
        """
        s = self.symbols
        keep = np.ones(len(s), dtype=bool)
        keep[1:] = s[1:] != s[:-1]
        keep[self.offsets[:-1][self.lengths > 0]] = True  # first touch of every journey stays
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        return JourneySet(
            self.labels,
            s[keep],
            kept_before[self.offsets],
            self.outcome,
            self.weight,
            self.value,
            {**self.info, "collapse_repeats": True},
        )

    def merged(self) -> tuple[JourneySet, np.ndarray]:
        """Merge rows with the same symbol sequence and outcome, summing weights and values.

        Rows come ordered by sequence (as numbered by :meth:`distinct_paths`), then outcome.
        Counts over touches (transitions, touch credits) then cost as many steps as there are
        distinct sequences, not journeys.

        Returns
        -------
        cells : JourneySet
            One row per distinct (sequence, outcome) pair, with the summed ``weight`` and
            ``value`` of the rows it merges; ``info`` copied, no per-journey ``table``.
        path : numpy.ndarray of int
            The id of each merged row's sequence among the distinct sequences (the ids of
            :meth:`distinct_paths`).

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 0, 1, 0]),
        ...                 np.array([0, 2, 4, 5]), np.array([0, 0, 1], dtype=np.int8),
        ...                 np.ones(3), np.array([5.0, 7.0, 0.0]))
        >>> cells, path = js.merged()
        >>> cells.weight.tolist(), cells.value.tolist(), path.tolist()
        ([1.0, 2.0], [0.0, 12.0], [0, 1])
        """
        ids, flat, lengths = self.distinct_paths()
        n_out = len(OUTCOMES)
        key = n_out * ids + self.outcome.astype(np.int64)
        size = n_out * len(lengths)
        cell = np.flatnonzero(np.bincount(key, minlength=size) > 0)
        path = cell // n_out
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        cell_len = lengths[path]
        offsets = np.zeros(len(cell) + 1, dtype=np.int64)
        np.cumsum(cell_len, out=offsets[1:])
        cells = JourneySet(
            self.labels,
            flat[ranges(starts[path], cell_len)],
            offsets,
            (cell % n_out).astype(np.int8),
            np.bincount(key, weights=self.weight, minlength=size)[cell],
            np.bincount(key, weights=self.value, minlength=size)[cell],
            dict(self.info),
        )
        return cells, path

    def path_ids(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Id of each row's symbol sequence among the distinct sequences, and those sequences.

        Ids number the distinct sequences by length, then by first appearance; see
        :meth:`distinct_paths` for the same in flat form (no array per sequence).

        Returns
        -------
        ids : numpy.ndarray of int
            The sequence id of every row.
        sequences : list of numpy.ndarray of int
            The symbol codes (into ``labels``) of each distinct sequence, indexed by id.

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 1, 0, 1]),
        ...                 np.array([0, 2, 3, 5]), np.array([0, 1, 0], dtype=np.int8),
        ...                 np.ones(3), np.zeros(3))
        >>> ids, seqs = js.path_ids()
        >>> ids.tolist(), [s.tolist() for s in seqs]
        ([1, 0, 1], [[1], [0, 1]])
        """
        ids, flat, lengths = self.distinct_paths()
        return ids, np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []

    def distinct_paths(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The id of each row's symbol sequence and the distinct sequences in flat form.

        Ids number the distinct sequences by length, then by first appearance. A sequence of
        up to ``62 / log2(len(labels) + 2)`` symbols is one int64 key (its symbols as digits),
        built for all rows in one pass over the touches; longer ones are compared as rows,
        a group per length, so the work grows with the touches, not with the journeys.

        Returns
        -------
        ids : numpy.ndarray of int
            The sequence id of every row.
        flat : numpy.ndarray of int64
            The symbol codes of all distinct sequences, concatenated in the order of their ids.
        lengths : numpy.ndarray of int64
            The length of each distinct sequence.

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 1, 0, 1]),
        ...                 np.array([0, 2, 3, 5]), np.array([0, 1, 0], dtype=np.int8),
        ...                 np.ones(3), np.zeros(3))
        >>> ids, flat, lengths = js.distinct_paths()
        >>> ids.tolist(), flat.tolist(), lengths.tolist()
        ([1, 0, 1], [1, 0, 1], [1, 2])
        """
        lengths = self.lengths
        n = self.n
        radix = max(len(self.labels), 1) + 1  # digit 0 is never used: keys keep their length
        max_exact = int(np.floor(62 / np.log2(radix)))
        long_rows = np.flatnonzero(lengths > max_exact)
        key = np.zeros(n, dtype=np.int64)
        if len(long_rows) == 0:
            symbols, offsets = self.symbols, self.offsets
        else:  # keys of the short rows only; their touches gathered in one pass
            short = lengths <= max_exact
            lens = lengths[short]
            offsets = np.zeros(len(lens) + 1, dtype=np.int64)
            np.cumsum(lens, out=offsets[1:])
            starts = self.offsets[:-1][short]
            symbols = self.symbols[ranges(starts, lens)]
        m = len(symbols)
        if m:
            # digit of each touch: its symbol + 1, at the power of its distance to the end
            lens = np.diff(offsets)
            # distance of each touch to the end of its row: a countdown restarted per row
            to_end = np.full(m, -1, dtype=np.int64)
            nonempty = lens > 0
            to_end[offsets[:-1][nonempty]] = lens[nonempty] - 1
            # each restart jumps from 0 (the previous row's end) to its length - 1
            np.cumsum(to_end, out=to_end)
            power = radix ** np.arange(max_exact + 1, dtype=np.int64)
            digits = power[to_end]
            digits *= symbols.astype(np.int64) + 1
            short_key = np.zeros(len(lens), dtype=np.int64)
            short_key[nonempty] = np.add.reduceat(digits, offsets[:-1][nonempty])
            if len(long_rows):
                key[lengths <= max_exact] = short_key
            else:
                key = short_key
        key[long_rows] = -1
        inv, uniq = pd.factorize(key)
        first = np.empty(len(uniq), dtype=np.int64)
        first[inv[::-1]] = np.arange(n - 1, -1, -1)  # the first row carrying each key
        # long sequences: one id per distinct row within each length
        extra_first: list[np.ndarray] = []
        extra_ids = np.empty(0, dtype=np.int64)
        if len(long_rows):
            long_code = int(np.flatnonzero(uniq == -1)[0])
            extra_ids = np.empty(len(long_rows), dtype=np.int64)
            next_id = len(uniq)
            long_len = lengths[long_rows]
            for length in np.unique(long_len):
                sel = np.flatnonzero(long_len == length)
                rows = long_rows[sel]
                mat = self.symbols[self.offsets[rows][:, None] + np.arange(length)]
                _, first_of, inv_l = np.unique(mat, axis=0, return_index=True,
                                              return_inverse=True)
                extra_ids[sel] = next_id + inv_l.ravel()  # in the order of the rows' values
                extra_first.append(rows[first_of])
                next_id += len(first_of)
            keep = np.flatnonzero(np.arange(len(uniq)) != long_code)
            n_extra = next_id - len(uniq)
            # short sequences are ordered by first appearance, long ones as numbered above
            rank = np.concatenate([first[keep], np.arange(n_extra)])
            first = np.concatenate([first[keep], *extra_first])
            old_to_new = np.full(len(uniq), -1, dtype=np.int64)
            old_to_new[keep] = np.arange(len(keep))
            inv = old_to_new[inv]
            inv[long_rows] = len(keep) + (extra_ids - len(uniq))
        else:
            rank = first
        # renumber: by length, then by first appearance
        order = np.lexsort((rank, lengths[first]))
        new_id = np.empty(len(order), dtype=np.int64)
        new_id[order] = np.arange(len(order))
        ids = new_id[inv]
        rows = first[order]
        lens_out = lengths[rows]
        starts = self.offsets[:-1][rows]
        cum = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lens_out, out=cum[1:])
        flat = self.symbols[ranges(starts, lens_out)]
        return ids, flat.astype(np.int64), lens_out.astype(np.int64)

    def path_strings(self, separator: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Path id of each row and the path string of each id.

        Parameters
        ----------
        separator : str, optional
            What joins the symbols of a path; ``None`` (default) is
            :data:`cjmodels.data.PATH_SEPARATOR`, ``" > "``, as everywhere in cjmodels.

        Returns
        -------
        ids : numpy.ndarray of int
            The path id of every row (the ids of :meth:`path_ids`).
        strings : numpy.ndarray of str
            The path string of each id, indexed by id.

        Examples
        --------
        >>> js = JourneySet(np.array(["a", "b"]), np.array([0, 1, 1, 0, 1]),
        ...                 np.array([0, 2, 3, 5]), np.array([0, 1, 0], dtype=np.int8),
        ...                 np.ones(3), np.zeros(3))
        >>> ids, strings = js.path_strings()
        >>> ids.tolist(), strings.tolist()
        ([1, 0, 1], ['b', 'a > b'])
        """
        if separator is None:
            separator = PATH_SEPARATOR
        ids, seqs = self.path_ids()
        labels = self.labels
        strings = np.array([separator.join(labels[s]) for s in seqs], dtype=object)
        return ids, strings


def subset(js: JourneySet, keep: np.ndarray) -> JourneySet:
    """The rows ``keep`` (a boolean mask or indices) of ``js``, touches gathered in one pass."""
    lengths = js.lengths[keep]
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    starts = js.offsets[:-1][keep]
    idx = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    return JourneySet(
        js.labels,
        js.symbols[idx],
        offsets,
        js.outcome[keep],
        js.weight[keep],
        js.value[keep],
        js.info,
    )

