"""The path table: journeys counted by path (ChannelAttribution's layout), read, checked, written.

:class:`PathTable` parses and checks path strings (separator detection, blanks, repeated paths),
:func:`read_path_table` reads one from a file or a frame, and :func:`journey_set_from_path_table`
turns one back into weighted journeys. Counting an event log into a path table is
:func:`cjmodels.data.path_table` (:mod:`cjmodels.data.journeys`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data.io import read_table
from cjmodels.data.journeyset import (
    OUTCOME_CENSORED,
    OUTCOME_CONVERSION,
    OUTCOME_DROP_OUT,
    JourneySet,
    ranges,
)
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = [
    "PathTable",
    "journey_set_from_path_table",
    "read_path_table",
    "without_touches_message",
]

# ---------------------------------------------------------------------------- path table
_PATH_COLUMNS = ("path", "total_conversions", "total_null", "total_conversion_value")
_ROW_MARK = "\x1e"  # record separator: joins the rows of a path table while splitting them


@dataclass(frozen=True)
class ParsedPaths:
    """Every path of a table split into channels, once: ``codes[starts[i]:starts[i + 1]]``
    are the channels (indices into the sorted ``labels``) of row ``i``."""

    labels: np.ndarray
    codes: np.ndarray
    lengths: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        starts = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=starts[1:])
        return starts

    @property
    def rows(self) -> np.ndarray:
        """Row of every token."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)


def _split_tokens(paths: list[str], separator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the raw (unstripped) tokens of all paths, the distinct tokens, and the number
    of tokens per path: ``[p.split(separator) for p in paths]``, vectorised.

    With pyarrow installed the split and the dictionary encoding run in Arrow's C++ kernels;
    otherwise see :func:`_split_tokens_python`. Both give the same result.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        return _split_tokens_python(paths, separator)
    try:
        arr = pa.array(paths, type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowException):  # lone surrogates: not UTF-8
        return _split_tokens_python(paths, separator)
    lists = pc.split_pattern(arr, separator)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(lists.flatten())
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, np.array(enc.dictionary.to_pylist(), dtype=object), lengths


def _split_tokens_python(
    paths: list[str], separator: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_split_tokens` without pyarrow.

    All paths are joined into one string with a row mark between them, split once and
    factorized once (both in C); the row marks give the row lengths. This equals splitting
    every path on its own whenever each row mark comes out as a token of its own, which is
    checked; otherwise (a path containing the mark, or a separator straddling two rows) every
    path is split alone.
    """
    n = len(paths)
    big = (separator + _ROW_MARK + separator).join(paths)
    codes, uniques = _factorize_strings(big.split(separator), "\x00" in big)
    mark = [i for i, u in enumerate(uniques) if u == _ROW_MARK]
    if n == 1 or (mark and big.count(_ROW_MARK) == n - 1):
        is_mark = codes == (mark[0] if mark else -1)
        marks = np.flatnonzero(is_mark)
        if len(marks) == n - 1:
            lengths = np.diff(np.r_[-1, marks, len(codes)]) - 1
            codes = codes[~is_mark].astype(np.int64)
            if mark:  # drop the mark from the distinct tokens
                codes -= codes > mark[0]
                uniques = np.delete(np.asarray(uniques, dtype=object), mark[0])
            return codes, np.asarray(uniques, dtype=object), lengths
    parts = [p.split(separator) for p in paths]  # rare: slow but exact
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    codes, uniques = _factorize_strings([t for p in parts for t in p], "\x00" in big)
    return codes, uniques, lengths


def _factorize_strings(tokens: list[str], has_nul: bool) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of strings. pandas' string hashing stops at a NUL character
    (two strings equal up to a NUL count as one), hence a dictionary when a NUL occurs."""
    if not has_nul:
        codes, uniques = pd.factorize(np.array(tokens, dtype=object))
        return codes.astype(np.int64), np.asarray(uniques, dtype=object)
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(t, len(lookup)) for t in tokens), dtype=np.int64, count=len(tokens)
    )
    return codes, np.array(list(lookup), dtype=object)


#: Characters that separate channels in other tools' path files; seen in a path table with an
#: automatic separator they make it ambiguous (see :func:`_detect_separator`).
_OTHER_SEPARATORS = ("->", "\u2192", "|", ";", ",", "\t")


def without_touches_message(journeys: int, conversions: float, value: float, where: str) -> str:
    """The one warning text for journeys without a touch, wherever they are left out."""
    return (
        f"{journeys:g} journeys have no touch before their end (for example a conversion right "
        f"after another); they have no path and are left out of {where} ({conversions:g} "
        f"conversions, value {value:g}). They are counted in the result as "
        "conversions_without_touches and value_without_touches."
    )


def _detect_separator(paths: list[str], index: pd.Index) -> str:
    """The channel separator of a path table: ``" > "`` when every ``>`` has one blank on each
    side, ``">"`` when none has a blank next to it (ChannelAttribution's default); anything
    else (a mix, a blank on one side only, or another separator such as ``|`` or ``->``) is
    ambiguous and refused with the separators seen and example rows. Paths without any of these
    are single channels (then ``" > "``)."""
    import itertools
    import re

    # NUL between and around the paths: a path's end, which fits either kind of '>' (a '>' at
    # a path's end is an empty channel, reported as such once the separator is known)
    big = "\x00" + "\x00".join(paths) + "\x00"
    kinds: dict[str, str] = {}
    if ">" in big:
        spaced, tight = r"(?<=[ \x00])>(?=[ \x00])", r"(?<![\s\-])>(?!\s)"
        n_gt = big.count(">")
        n_arrow = big.count("->")
        n_both = len(re.findall(r"(?<=\x00)>(?=\x00)", big))  # a path that is only '>'
        n_spaced = len(re.findall(spaced, big)) - n_both
        n_tight = len(re.findall(tight, big)) - n_both
        if n_spaced:
            kinds[" > "] = r"(?<= )>(?= )"
        if n_tight:
            kinds[">"] = r"(?<![\s\-])>(?!\s)"
        if n_arrow:
            kinds["->"] = r"->"
        if n_gt - n_both - n_spaced - n_tight - n_arrow > 0:
            kinds["'>' with a blank on one side only (or tabs)"] = (
                r"(?<=\s)>(?! )|(?<! )>(?=\s)|(?<=\t)>|>(?=\t)"
            )
    for sep in _OTHER_SEPARATORS:
        if sep != "->" and sep in big:
            kinds[sep] = re.escape(sep)
    if not kinds:
        return PATH_SEPARATOR  # every path is a single channel
    if len(kinds) == 1 and next(iter(kinds)) in (" > ", ">"):
        return next(iter(kinds))
    seen = []
    for name, pattern in kinds.items():
        rx = re.compile(pattern)
        rows = list(itertools.islice((i for i, p in enumerate(paths) if rx.search(p)), 3))
        shown = ", ".join(f"row {index[[i]].tolist()[0]!r}: {paths[i]!r}" for i in rows)
        label = name if name.startswith("'>'") else repr(name)
        seen.append(f"{label} ({shown})")
    options = [repr(k) for k in kinds if not k.startswith("'>'")] or ["' > '", "'>'"]
    raise ValidationError(
        "path table column 'path': cannot tell which separator joins the channels; seen "
        + "; ".join(seen)
        + f". Pass the one that joins channels explicitly: separator= one of "
        f"{', '.join(options)} (separator='>' is ChannelAttribution's 'c1>c2' and trims blanks "
        "around channel names; separator=' > ' keeps them)."
    )


def _parse_paths(
    paths: list[str], separator: str, index: pd.Index, warn_blanks: bool = True
) -> ParsedPaths:
    """Split the paths into channels and check them; ``index`` labels the rows in messages.

    Channel names are kept exactly as they stand between separators when the separator has
    blanks of its own (``" > "``: ``"a >  email"`` is ``a`` then ``" email"``); with a separator
    without blanks (``">"``, ``"|"``) blanks around each name are trimmed, as ChannelAttribution
    does. A name that is empty, or contains the separator's visible part, is an error; names
    with blanks kept are named in a warning unless ``warn_blanks=False`` (paths we joined).
    """
    raw_codes, raw_labels, lengths = _split_tokens(paths, separator)
    raw = [str(x) for x in raw_labels]
    trim = separator == separator.strip()
    names = [x.strip() for x in raw] if trim else raw
    labels = sorted(set(names))  # few: exact, in Python (code-point order, as Arrow sorts)
    rank = {lab: i for i, lab in enumerate(labels)}
    code_of_raw = np.array([rank[x] for x in names], dtype=np.int64)
    codes = code_of_raw[raw_codes] if len(raw_codes) else np.empty(0, dtype=np.int64)
    core = separator.strip()
    # blank names are empty; so is the rest of a separator at a path's end ("a > b >")
    empty = [i for i, lab in enumerate(labels) if lab.strip() == "" or (core and (
        lab.strip().startswith(core) or lab.strip().endswith(core)))]
    inside = [i for i, lab in enumerate(labels) if core and core in lab and i not in empty]
    if empty or inside:
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        if empty:
            # the whole path is blank (an empty row, not an empty channel in a path)
            blanks = [i for i in empty if labels[i].strip() == ""]
            blank = (lengths == 1) & np.isin(codes[np.minimum(starts, len(codes) - 1)], blanks)
            if blank.any():
                raise ValidationError(
                    f"path table column 'path' is empty at rows {index[blank][:5].tolist()}; "
                    f"each row needs at least one channel, joined by {separator!r}."
                )
            rows = np.unique(row_of[np.isin(codes, empty)])[:5]
            shown = ", ".join(repr(paths[r]) for r in rows[:3])
            raise ValidationError(
                f"path table column 'path' has an empty channel name at rows "
                f"{index[rows].tolist()} ({shown}): a doubled, leading or trailing separator "
                f"{separator!r}. Every channel needs a name; remove the extra separator."
            )
        rows = np.unique(row_of[np.isin(codes, inside)])[:5]
        shown = ", ".join(repr(paths[r]) for r in rows[:3])
        raise ValidationError(
            f"path table column 'path' has channel names containing {core!r} "
            f"({[labels[i] for i in inside][:5]}) at rows {index[rows].tolist()} ({shown}), "
            f"but {core!r} is part of the separator {separator!r}. If channels are joined by "
            f"{core!r} without blanks, pass separator={core!r}; otherwise rename these channels."
        )
    padded = [lab for lab in labels if lab != lab.strip()] if warn_blanks else []
    if padded:
        warn_user(
            f"path table column 'path': channel names {padded[:5]} begin or end with blanks; "
            f"they are kept exactly, so {padded[0]!r} and {padded[0].strip()!r} are different "
            f"channels. If the blanks are padding around the separator, pass separator="
            f"{core!r} to trim them, as ChannelAttribution does."
        )
    return ParsedPaths(np.asarray(labels, dtype=object), codes, lengths)


def _merge_repeated_paths(
    t: pd.DataFrame, parsed: ParsedPaths, index: pd.Index
) -> tuple[pd.DataFrame, ParsedPaths]:
    """Rows with the same channel sequence merged into the first of them (counts and values
    added, other columns taken from the first), with a warning naming the rows; ``index`` are
    the caller's row labels."""
    n = len(parsed.lengths)
    offsets = parsed.starts
    js = JourneySet(parsed.labels, parsed.codes, offsets, np.zeros(n, dtype=np.int8),
                    np.ones(n), np.zeros(n))
    ids, _, _ = js.distinct_paths()
    n_distinct = int(ids.max()) + 1
    if n_distinct == n:
        return t, parsed
    first = np.full(n_distinct, n, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(n))
    repeated = np.flatnonzero(first[ids] != np.arange(n))
    label = index.tolist()
    shown = ", ".join(
        f"row {label[r]!r} {t['path'].iat[r]!r} = row {label[first[ids[r]]]!r}"
        for r in repeated[:3]
    )
    warn_user(
        f"path table column 'path': {len(repeated)} rows repeat the channels of an earlier row "
        f"({shown}); their counts and values are added into that row."
    )
    summed = [c for c in t.columns if c != "path" and c.startswith("total_")
              and pd.api.types.is_numeric_dtype(t[c]) and not pd.api.types.is_bool_dtype(t[c])]
    keep = np.sort(first)
    group = np.empty(n_distinct, dtype=np.int64)  # ids renumbered in order of first rows
    group[ids[keep]] = np.arange(n_distinct)
    g = group[ids]
    out = t.iloc[keep].reset_index(drop=True)
    for c in summed:
        out[c] = t[c].groupby(g).sum().reset_index(drop=True).astype(t[c].dtype)
    lens = parsed.lengths[keep]
    codes = parsed.codes[ranges(offsets[:-1][keep], lens)]
    return out, ParsedPaths(parsed.labels, codes, lens)


@result_dataclass
class PathTable(Result):
    """Unique paths with their conversion and non-conversion counts.

    The layout ChannelAttribution users know: ``path`` (channels joined by ``" > "``),
    ``total_conversions``, ``total_null`` and ``total_conversion_value``; built from an event
    log by :func:`path_table` or read from such a CSV by :func:`read_path_table`. When built from
    a log, ``total_censored`` counts how many of the ``total_null`` journeys were still open at
    the end of observation.

    The paths are split into channels once, when the table is made (one vectorised split of
    all paths). ``separator=None`` (the default) detects it: ``" > "`` when every ``>`` in the
    paths has one blank on each side, ``">"`` (ChannelAttribution's default, ``"c1>c2>c3"``) when
    none has a blank next to it; a mix, or another separator such as ``|``, ``->`` or ``,``, is
    refused with the separators seen (pass ``separator=`` then). A given separator is used
    exactly.

    A path table is both the result of :func:`path_table` and an input (of attribution models,
    of :func:`transition_counts`): ``PathTable(df)`` checks and splits a table of your own.
    ``summary()`` gives one row per channel; ``plot()`` the first- and last-touch shares.

    Blanks: with a separator that has blanks of its own (``" > "``) channel names are kept
    exactly, so ``"a >  email"`` is ``"a"`` then ``" email"`` (a warning names such channels);
    with a separator without blanks (``">"``, ``"|"``) blanks around every name are trimmed, as
    ChannelAttribution does. An empty channel name (``"a >  > b"``, a leading or trailing
    separator) and a name containing the separator's visible part (``">"``) are errors. Rows
    with the same channels are merged into one (their counts added) with a warning.

    Counts must be numeric, finite and non-negative (``total_conversion_value`` is 0 when
    absent), their total at most 2**53 journeys, the values' total at most 1e300, and at
    least one row must hold a journey; anything else raises
    :class:`~cjmodels.errors.ValidationError` naming the column and rows.

    Attributes
    ----------
    table : pandas.DataFrame
        The checked table: ``path`` (exact strings), ``total_conversions``, ``total_null``,
        ``total_conversion_value`` and any further columns given (``total_censored`` from
        :func:`path_table`), one row per distinct path, indexed 0..n-1.
    separator : str or None
        The separator of channels within a path: the one given, or the one detected
        (``" > "`` or ``">"``).
    info : dict
        How the table was made (for :func:`path_table`: timeout, lookback,
        ``collapse_repeats``, and the counts that account for every event of the log;
        empty for a table of your own).

    Examples
    --------
    >>> pt = PathTable(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [3, 1],
    ...                              "total_null": [7, 9], "total_conversion_value": [30.0, 5.0]}))
    >>> pt
    PathTable(paths=2, journeys=20, conversions=4, conversion_rate=0.2, channels=2)
    >>> pt.channels
    ['a', 'b']
    """

    table: pd.DataFrame
    separator: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    _parsed: ParsedPaths | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t = self.table
        if not isinstance(t, pd.DataFrame):
            raise ValidationError(
                f"PathTable needs a DataFrame, got {type(t).__name__}; use read_path_table() "
                "for a file."
            )
        if self.separator is not None and (
            not isinstance(self.separator, str) or self.separator == ""
        ):
            raise ValidationError(
                f"separator == {self.separator!r}, must be None (detect it) or a non-empty "
                "string such as ' > ' or '>'."
            )
        missing = [c for c in ("path", "total_conversions", "total_null") if c not in t]
        if missing:
            raise ValidationError(
                f"path table is missing columns {missing}; it has {list(t.columns)}. Expected "
                f"{list(_PATH_COLUMNS)} (rename yours, or use read_path_table(..., path=...))."
            )
        if len(t) == 0:
            raise ValidationError("the path table is empty (0 rows); it needs at least one path.")
        if t.columns.duplicated().any():
            dup = sorted({str(c) for c in t.columns[t.columns.duplicated()]})
            raise ValidationError(f"path table has duplicated columns {dup}; keep one of each.")
        t = t.copy()
        if "total_conversion_value" not in t:
            t["total_conversion_value"] = 0.0
        for col in ("total_conversions", "total_null", "total_conversion_value"):
            x = t[col]
            if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
                raise ValidationError(
                    f"path table column {col!r} has dtype {x.dtype}, must be numeric; convert "
                    "it, for example with pd.to_numeric(df[...], errors='raise')."
                )
            v = x.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(v) | (v < 0)
            if bad.any():
                rows = t.index[bad][:5].tolist()
                raise ValidationError(
                    f"path table column {col!r} must be finite and >= 0; rows {rows} are not "
                    "(missing, infinite or negative). Fill or drop them."
                )
        counts = t["total_conversions"].to_numpy(float) + t["total_null"].to_numpy(float)
        with np.errstate(over="ignore"):  # a sum beyond 1.8e308 is inf, refused below
            n_total = counts.sum()
            value_total = t["total_conversion_value"].to_numpy(float).sum()
        if n_total > 2.0**53:
            raise ValidationError(
                f"path table counts total_conversions + total_null add up to {n_total:.3g} "
                "journeys, more than 2**53 (about 9.0e15), above which they cannot be counted "
                "exactly; scale them down (the shares do not change)."
            )
        if value_total > 1e300:
            raise ValidationError(
                "path table column 'total_conversion_value' adds up to more than 1e300, which "
                "leaves no room for sums and bootstrap resamples; express it in larger units."
            )
        p = t["path"]
        na = p.isna().to_numpy()
        if na.any():
            raise ValidationError(
                f"path table column 'path' is empty at rows {t.index[na][:5].tolist()}; each "
                f"row needs at least one channel, joined by {self.separator or PATH_SEPARATOR!r}."
            )
        # exact Python strings (no string dtype that trims or re-encodes them)
        strings = [x if isinstance(x, str) else str(x) for x in p.tolist()]
        separator = self.separator
        if separator is None:
            separator = _detect_separator(strings, t.index)
            object.__setattr__(self, "separator", separator)
        parsed = _parse_paths(strings, separator, t.index)
        t["path"] = pd.Series(strings, index=t.index, dtype=object)
        both_zero = counts == 0
        if both_zero.all():
            raise ValidationError(
                "every path has zero conversions and zero nulls, so the table holds no "
                "journey; check the count columns."
            )
        t, parsed = _merge_repeated_paths(t.reset_index(drop=True), parsed, t.index)
        object.__setattr__(self, "table", t)
        object.__setattr__(self, "_parsed", parsed)

    @classmethod
    def _trusted(cls, table: pd.DataFrame, parsed: ParsedPaths, info: dict[str, Any]) -> PathTable:
        """A table built by :func:`path_table` itself, already split and checked: skips the
        validation and the split of :meth:`__post_init__` (the same result, without the cost)."""
        t = table.copy()
        t["path"] = pd.Series([str(x) for x in t["path"].tolist()], index=t.index, dtype=object)
        obj = object.__new__(cls)
        object.__setattr__(obj, "table", t.reset_index(drop=True))
        object.__setattr__(obj, "separator", PATH_SEPARATOR)
        object.__setattr__(obj, "info", info)
        object.__setattr__(obj, "_parsed", parsed)
        return obj

    @classmethod
    def _from_own_paths(cls, table: pd.DataFrame, info: dict[str, Any]) -> PathTable:
        """A table whose paths cjmodels joined with ``" > "`` from exact channel names (an event
        log, an engine's counts): sorted by path and split back exactly, without the checks of
        user counts and without the warning about blanks (they are the channels' own)."""
        t = table.copy()
        t["path"] = pd.Series([str(x) for x in t["path"].tolist()], index=t.index, dtype=object)
        t = t.sort_values("path", kind="stable").reset_index(drop=True)
        parsed = _parse_paths(t["path"].tolist(), PATH_SEPARATOR, t.index, warn_blanks=False)
        return cls._trusted(t, parsed, info)

    @property
    def channels(self) -> list[str]:
        """Distinct channels, sorted."""
        return [str(x) for x in self._parsed.labels]

    @property
    def n_journeys(self) -> float:
        """Number of journeys: the sum of ``total_conversions`` and ``total_null``."""
        return float(self.table["total_conversions"].sum() + self.table["total_null"].sum())

    @property
    def total_conversions(self) -> float:
        """Number of converting journeys (the sum of ``total_conversions``)."""
        return float(self.table["total_conversions"].sum())

    @property
    def total_conversion_value(self) -> float:
        """Total conversion value (the sum of ``total_conversion_value``)."""
        return float(self.table["total_conversion_value"].sum())

    def journey_set(self) -> JourneySet:
        """Each path as a conversion row and a null row, weighted by their counts.

        Rows are the paths with conversions (in table order), then the paths with nulls; rows
        with a zero count are left out.

        Returns
        -------
        JourneySet
            Rows weighted by their counts (outcome conversion or drop-out; censored journeys
            are among the drop-outs), with the conversion value on the conversion rows;
            ``info`` is ``{"sequence": "channel", "source": "path_table"}``.

        Examples
        --------
        >>> pt = PathTable(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [3, 0],
        ...                              "total_null": [7, 9]}))
        >>> js = pt.journey_set()
        >>> js.weight.tolist(), js.outcome.tolist()
        ([3.0, 7.0, 9.0], [0, 1, 1])
        """
        t = self.table
        parsed = self._parsed
        n = len(t)
        w = np.concatenate(
            [t["total_conversions"].to_numpy(float), t["total_null"].to_numpy(float)]
        )
        keep = w > 0
        reps = np.concatenate([np.arange(n), np.arange(n)])[keep]
        lengths = parsed.lengths[reps]
        offsets = np.zeros(len(reps) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        idx = np.repeat(parsed.starts[reps] - offsets[:-1], lengths) + np.arange(offsets[-1])
        val = np.concatenate([t["total_conversion_value"].to_numpy(float), np.zeros(n)])
        outcome = np.repeat(np.array([OUTCOME_CONVERSION, OUTCOME_DROP_OUT], dtype=np.int8), n)
        return JourneySet(
            parsed.labels.copy(),
            parsed.codes[idx],
            offsets,
            outcome[keep],
            w[keep],
            val[keep],
            {"sequence": "channel", "source": "path_table"},
        )

    def _repr_fields(self) -> dict[str, Any]:
        nj = self.n_journeys
        conv = self.total_conversions
        return {
            "paths": len(self.table),
            "journeys": int(nj) if float(nj).is_integer() else nj,
            "conversions": int(conv) if float(conv).is_integer() else conv,
            "conversion_rate": conv / nj if nj else float("nan"),
            "channels": len(self.channels),
        }

    def _summary(self) -> pd.DataFrame:
        """Per channel: paths and journeys that contain it, conversions on them, share first
        and last.
        """
        t = self.table
        parsed = self._parsed
        C = len(parsed.labels)
        rows = parsed.rows
        journeys = (t["total_conversions"] + t["total_null"]).to_numpy(dtype=float)
        conversions = t["total_conversions"].to_numpy(dtype=float)
        # each channel once per path
        key = np.unique(rows * C + parsed.codes)
        r, c = key // C, key % C
        starts = parsed.starts
        first = parsed.codes[starts[:-1]]
        last = parsed.codes[starts[1:] - 1]
        total = journeys.sum()
        out = pd.DataFrame(
            {
                "paths": np.bincount(c, minlength=C),
                "journeys_with_channel": np.bincount(c, weights=journeys[r], minlength=C),
                "conversions_with_channel": np.bincount(c, weights=conversions[r], minlength=C),
                "first_touch_share": np.bincount(first, weights=journeys, minlength=C) / total,
                "last_touch_share": np.bincount(last, weights=journeys, minlength=C) / total,
            },
            index=pd.Index(self.channels, name="channel"),
        )
        integer = pd.api.types.is_integer_dtype
        if integer(t["total_conversions"]):
            out["conversions_with_channel"] = out["conversions_with_channel"].astype(np.int64)
            if integer(t["total_null"]):
                out["journeys_with_channel"] = out["journeys_with_channel"].astype(np.int64)
        return out

    def _plot(self, ax: Any, *, top: int = 15) -> None:
        """Bar chart of each channel's share of first and last touches (the ``top`` channels
        by first-touch share)."""
        s = self._summary().sort_values("first_touch_share", ascending=False).head(top)
        y = np.arange(len(s))
        ax.barh(y - 0.2, s["first_touch_share"], height=0.4, label="first touch")
        ax.barh(y + 0.2, s["last_touch_share"], height=0.4, label="last touch")
        ax.set_yticks(y, s.index)
        ax.invert_yaxis()
        ax.set_xlabel("share of journeys")
        ax.legend()
        ax.set_title("First and last touch by channel")

    def to_csv(self, path: str | PathLike[str]) -> None:
        """Write the table as CSV in ChannelAttribution's layout.

        The columns of :attr:`table` (``total_censored`` included when known), UTF-8, without
        the index, with the paths joined by :attr:`separator`; :func:`read_path_table` reads it
        back with the same paths (blanks and all) and counts (values may differ in the last bit,
        through pandas' CSV parser).

        Parameters
        ----------
        path : str or path-like
            The file to write (overwritten if it exists).

        Raises
        ------
        ValidationError
            When a path holds text UTF-8 cannot store (a lone surrogate).

        Examples
        --------
        >>> import os, tempfile
        >>> pt = PathTable(pd.DataFrame({"path": ["a > b"], "total_conversions": [1],
        ...                              "total_null": [2]}))
        >>> f = os.path.join(tempfile.mkdtemp(), "paths.csv")
        >>> pt.to_csv(f)
        >>> read_path_table(f).table.equals(pt.table)
        True
        """
        try:
            self.table.to_csv(path, index=False, encoding="utf-8")
        except UnicodeEncodeError as e:
            raise ValidationError(
                f"path table column 'path' holds text that is not valid Unicode ({e.reason} at "
                f"{e.object[e.start:e.end]!r}); UTF-8 cannot store it. Rename those channels."
            ) from None

    def _totals(self) -> dict[str, Any]:
        """The table in a few numbers: paths, journeys, conversions, value, channels, info."""
        return {
            "n_paths": len(self.table),
            "n_journeys": self.n_journeys,
            "total_conversions": self.total_conversions,
            "total_conversion_value": self.total_conversion_value,
            "channels": self.channels,
            "info": dict(self.info),
        }

    def _to_dict(self) -> dict[str, Any]:
        """The totals, the separator and every row of the table (column by column)."""
        return {
            **self._totals(),
            "separator": self.separator,
            "paths": {str(c): self.table[c].tolist() for c in self.table.columns},
        }


def journey_set_from_path_table(pt: PathTable) -> JourneySet:
    """Each path as up to three weighted rows: converted, dropped out, censored.

    Unlike :meth:`PathTable.journey_set` (conversions and nulls only), this keeps the censored
    journeys apart when the table knows them (``total_censored``) and restores the journeys
    without touches recorded in ``info``, so transition counts from an engine's path table equal
    those from the event log under every ``censored=`` rule.
    """
    t = pt.table
    n = len(t)
    conv = t["total_conversions"].to_numpy(float)
    cens = t["total_censored"].to_numpy(float) if "total_censored" in t else np.zeros(n)
    drop = t["total_null"].to_numpy(float) - cens
    no_touch = float(pt.info.get("conversions_without_touches", 0))
    w = np.concatenate([conv, drop, cens, [no_touch]])
    keep = w > 0
    reps = np.r_[np.tile(np.arange(n), 3), n][keep]  # row n: the journeys without touches
    parsed = pt._parsed
    lengths = np.r_[parsed.lengths, 0][reps]
    offsets = np.zeros(len(reps) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    starts = np.r_[parsed.starts[:-1], 0][reps]
    idx = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    val = np.concatenate(
        [
            t["total_conversion_value"].to_numpy(float),
            np.zeros(2 * n),
            [float(pt.info.get("value_without_touches", 0.0))],
        ]
    )
    codes = np.array([OUTCOME_CONVERSION, OUTCOME_DROP_OUT, OUTCOME_CENSORED], dtype=np.int8)
    outcome = np.r_[np.repeat(codes, n), OUTCOME_CONVERSION]
    return JourneySet(
        parsed.labels.copy(),
        parsed.codes[idx],
        offsets,
        outcome[keep].astype(np.int8),
        w[keep],
        val[keep],
        {**pt.info, "sequence": "channel"},
    )


def _read_path_csv(source: str | PathLike[str], path: str = "path") -> pd.DataFrame:
    """A path table file read by :func:`cjmodels.data.io.read_table`: the ``path`` column as
    exact text (blanks kept; ``"NA"`` or ``"null"`` are channel names, not missing values),
    delimiter and compression found from the content, rows named by file line."""
    return read_table(source, what="path table", text=[path],
                      expected=[path, "total_conversions", "total_null"])


def read_path_table(
    data: str | PathLike[str] | pd.DataFrame,
    *,
    path: str = "path",
    conversions: str = "total_conversions",
    null: str = "total_null",
    value: str | None = "total_conversion_value",
    separator: str | None = None,
) -> PathTable:
    """Read a path table in ChannelAttribution's layout from a CSV file or a DataFrame.

    Parameters
    ----------
    data : path or DataFrame
        A CSV file (compressed or not, delimiter detected) or a DataFrame of a path table.
    path, conversions, null, value : str
        Column names; ``value`` may be ``None`` or absent (then 0).
    separator : str or None
        Separator of channels within a path; None (default) detects ``" > "`` or ``">"`` and
        refuses an ambiguous table (see :class:`PathTable` for the rules, blanks included).

    Returns
    -------
    PathTable
        The checked table, columns renamed to ``path``, ``total_conversions``,
        ``total_null`` and ``total_conversion_value`` (``total_censored`` kept when present;
        other columns dropped).

    Raises
    ------
    ValidationError
        When the file cannot be read, a named column is missing, or the table is not a valid
        path table (see :class:`PathTable`).

    Examples
    --------
    >>> df = pd.DataFrame({"path": ["a > b"], "total_conversions": [1], "total_null": [2]})
    >>> read_path_table(df).total_conversions
    1.0
    >>> ca = pd.DataFrame({"path": ["c1>c2>c3", "c2"], "total_conversions": [1, 0],
    ...                    "total_null": [0, 1]})
    >>> pt = read_path_table(ca)  # ChannelAttribution's own layout
    >>> pt.separator, pt.channels
    ('>', ['c1', 'c2', 'c3'])
    """
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, (str, PathLike)):
        df = _read_path_csv(data, path)
    else:
        raise ValidationError(
            f"read_path_table needs a file name or a DataFrame, got {type(data).__name__}."
        )
    missing = [c for c in (path, conversions, null) if c not in df]
    if missing:
        raise ValidationError(
            f"path table columns {missing} not found; it has {list(df.columns)}. Name them with "
            "path=..., conversions=..., null=..."
        )
    out = pd.DataFrame(
        {
            "path": df[path],
            "total_conversions": df[conversions],
            "total_null": df[null],
        }
    )
    if value is not None and value in df:
        out["total_conversion_value"] = df[value]
    for extra in ("total_censored",):
        if extra in df:
            out[extra] = df[extra]
    return PathTable(out, separator=separator)
