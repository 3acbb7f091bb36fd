"""Path queries: top paths with coverage, a pattern language, per-journey metrics, selections.

The questions an analyst asks of individual journeys before any model: which paths are most
common and how much of the traffic (and of the conversions) they cover
(:func:`top_paths`); which journeys went ``A`` then, at some point, ``B`` without ``C`` in
between, and how they convert (:func:`match_paths`, with the pattern language below); how
long, how loopy and how slow each journey was (:func:`journey_metrics`); and the event log
restricted to the journeys or customers so selected (:func:`select_journeys`,
:func:`select_customers`), which every function and estimator of cjmodels accepts like any
other log.

Journeys are cut by the journey specification (``spec=``, default
``JourneySpec(sequence="channel")``): ``sequence`` (channels or stages), ``timeout``,
``lookback``, ``journeys`` (all, each customer's first, or the later ones) and
``collapse_repeats`` (patterns, paths and lengths then see ``a > a > b`` as ``a > b``).

Pattern language
----------------
A pattern describes a path, one step at a time, steps separated by ``>``::

    pattern := ["^"] term (">" term)* ["$"]
    term    := name                 one touch of that channel (or stage)
             | "*"                  one touch of any channel
             | "(" set ")"          one touch of one of the set, e.g. (email | sms)
             | "(not " set ")"      one touch of none of the set, e.g. (not sms)
             | "..."                any number of touches, none included (zero or more)
             | "...(" set ")"       any number of touches, each in the set
             | "...(not " set ")"   any number of touches, none of them in the set
             | "(conversion)" | "(drop_out)" | "(censored)"
                                    the journey's outcome; only as the last term (it
                                    anchors the pattern at the journey's end)
    set     := name ("|" name)*
    name    := text without the characters > ( ) | ^ $ * and without "...", blanks around it
               trimmed (inner blanks kept: paid search); or a quoted 'name' / "name" for any
               other text

``^`` anchors the pattern at the journey's first touch, ``$`` at its last; without them the
pattern may match anywhere inside the path. A few readings:

* ``"email"``: the journey has an email touch;
* ``"^email > ... > search$"``: it starts with email and ends with search;
* ``"email > ...(not sms) > search"``: an email touch followed later by a search touch with no
  sms touch in between;
* ``"^(not email) > ... > (conversion)"``: it starts with something other than email and
  converts.

Matching simulates the pattern's automaton over every journey at once (numpy, one pass over
the positions of the paths): the work is linear in the total length of the paths times the
number of terms, whatever the pattern (no backtracking). A malformed pattern raises
:class:`~cjmodels.errors.ValidationError` naming the position and the fix; a name that is not
a label of the log only warns (a selection of a log may lack a channel), and matches nothing.
"""

# size: one topic, path queries: the pattern language (its parser with a message for each
# mistake, and its automaton), top paths, per-journey metrics and the selections share the
# cutting of the log into journeys and the journey number of every event.

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels._resample import bootstrap, resample_units
from cjmodels.data import EventLog, JourneySpec, PathTable, journey_set
from cjmodels.data.events import as_event_log
from cjmodels.data.journeys import journey_index
from cjmodels.data.journeyset import OUTCOMES, JourneySet, subset
from cjmodels.errors import ValidationError
from cjmodels.results import Result, interval_bars, result_dataclass

__all__ = [
    "JourneyMetrics",
    "PathMatches",
    "PathPattern",
    "TopPaths",
    "journey_metrics",
    "match_paths",
    "select_customers",
    "select_journeys",
    "top_paths",
]

_USED = ("sequence", "timeout", "lookback", "journeys", "collapse_repeats")
_RESERVED = set(">()|^$*")


# --------------------------------------------------------------------------- the spec
def _check_spec(spec: Any, purpose: str) -> JourneySpec:
    return JourneySpec.resolve(spec, default=JourneySpec(sequence="channel"), fields=_USED,
                               purpose=purpose)


def _check_alpha(alpha: Any) -> float:
    if (isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating))
            or not 0 < float(alpha) < 1):
        raise ValidationError(f"alpha == {alpha!r}, must be a number in (0, 1), e.g. 0.05.")
    return float(alpha)


def _wilson(count: np.ndarray, n: np.ndarray | float, alpha: float) -> tuple[np.ndarray, ...]:
    """Wilson score interval (statsmodels' ``proportion_confint(method="wilson")`` formula);
    NaN where ``n == 0``."""
    from scipy.stats import norm

    count = np.asarray(count, dtype=float)
    n = np.broadcast_to(np.asarray(n, dtype=float), count.shape)
    z = float(norm.isf(alpha / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    bad = ~(n > 0)
    return np.where(bad, np.nan, p), np.where(bad, np.nan, low), np.where(bad, np.nan, high)


# --------------------------------------------------------------------------- journeys
@dataclass
class _Journeys:
    """The journeys of a log under a spec, with where their events are."""

    log: EventLog
    js: JourneySet  # after the journeys filter and collapse_repeats
    table: pd.DataFrame  # one row per journey of js (customer_id, journey, start, end, ...)
    touch_pos: np.ndarray  # log position of each symbol of js
    event_jid: np.ndarray  # per log event: journey number among all journeys, -1 for none
    kept: np.ndarray  # journey numbers (among all) of the rows of js
    info: dict[str, Any] = field(default_factory=dict)


def _event_journeys(log: EventLog, timeout: Any) -> np.ndarray:
    """Journey number of every event of the log (-1: other events, stop events outside any
    journey), by the rules of :func:`cjmodels.data.journeys`."""
    et = log.event_types
    codes = log.event_codes
    wanted = [et.index(e) for e in ("touch", "conversion", "drop_out", "churn") if e in et]
    rel = np.flatnonzero(np.isin(codes, wanted))
    c = codes[rel]
    is_touch = c == et.index("touch")
    is_conv = c == et.index("conversion") if "conversion" in et else np.zeros(len(c), bool)
    is_stop = ~(is_touch | is_conv)
    cust = log.customer_codes[rel]
    boundary = np.ones(len(rel), dtype=bool)
    boundary[1:] = (cust[1:] != cust[:-1]) | ~is_touch[:-1]
    if timeout is not None and len(rel) > 1:
        t = log.ticks()[0][rel]
        boundary[1:] |= (t[1:] - t[:-1]) > log.span_ticks(timeout)
    jid = np.cumsum(boundary & ~is_stop) - 1
    jid[is_stop & boundary] = -1
    out = np.full(log.n_events, -1, dtype=np.int64)
    out[rel] = jid
    return out


def _journeys(data: Any, spec: JourneySpec, log_options: dict[str, Any]) -> _Journeys:
    log = as_event_log(data, **log_options)
    missing = [e for e in ("touch", "conversion") if e not in log.event_types]
    if missing:  # the data layer's journeys read both types
        raise ValidationError(
            f"the log's event_types {list(log.event_types)} lack {missing}; journeys are runs "
            "of touches up to a conversion. Build the log with both among event_types."
        )
    js = journey_set(log, sequence=spec.sequence, timeout=spec.timeout, lookback=spec.lookback)
    _, touch_pos, _, _ = journey_index(log, timeout=spec.timeout, lookback=spec.lookback,
                                       frame=False)
    table = js.table
    kept = np.arange(js.n)
    if spec.journeys != "all":
        keep = (table["journey"].to_numpy() == 1) == (spec.journeys == "first")
        if not keep.any():
            raise ValidationError(
                f"no {spec.journeys} journeys in the log; use JourneySpec(journeys='all')."
            )
        touch_pos = touch_pos[np.repeat(keep, js.lengths)]
        js = subset(js, keep)
        table = table.loc[keep].reset_index(drop=True)
        kept = kept[keep]
    if spec.collapse_repeats:
        sym = js.symbols
        start = np.zeros(len(sym), dtype=bool)
        start[js.offsets[:-1][js.lengths > 0]] = True
        run = start.copy()
        run[1:] |= sym[1:] != sym[:-1]
        touch_pos = touch_pos[run]
        js = js.collapse_repeats()
    event_jid = _event_journeys(log, spec.timeout)
    return _Journeys(log, js, table, touch_pos, event_jid, kept, dict(js.info))


# --------------------------------------------------------------------------- patterns
@dataclass(frozen=True)
class _Term:
    kind: str  # "step", "gap"
    names: tuple[str, ...]  # empty with negate=True: any symbol
    negate: bool


_OUTCOME_TERMS = {f"({o})": i for i, o in enumerate(OUTCOMES)}


class PathPattern:
    """A parsed path pattern (see the module's pattern language).

    Parameters
    ----------
    pattern : str
        The pattern, e.g. ``"^email > ...(not sms) > search"``.

    Attributes
    ----------
    pattern : str
        The text given.
    terms : tuple of tuple
        ``(kind, names, negate)`` per term: kind ``"step"`` (one touch) or ``"gap"`` (any
        number of touches); the touch must be one of ``names`` (or, with ``negate``, none of
        them; no names and ``negate``: any touch).
    start, end : bool
        Whether the pattern is anchored at the journey's first or last touch.
    outcome : str or None
        The outcome the journey must have (``"conversion"``, ``"drop_out"``, ``"censored"``).

    Raises
    ------
    ValidationError
        For a pattern that is not a string, is empty, or breaks the grammar; the message
        names the position (counted from 0) and the fix.

    Examples
    --------
    >>> p = PathPattern("^email > ...(not sms) > search")
    >>> p
    PathPattern('^email > ...(not sms) > search')
    >>> p.start, p.end, len(p.terms)
    (True, False, 3)
    >>> PathPattern("email > > search")
    Traceback (most recent call last):
    ...
    cjmodels.errors.ValidationError: pattern 'email > > search': nothing between '>' at \
position 6 and the next '>'; write a name, '*', '(a | b)', '(not a)' or '...' there.
    """

    def __init__(self, pattern: str) -> None:
        if isinstance(pattern, PathPattern):
            pattern = pattern.pattern
        if not isinstance(pattern, str):
            raise ValidationError(
                f"pattern == {pattern!r} (a {type(pattern).__name__}); pass a string such as "
                "'email > ... > search'."
            )
        self.pattern = pattern
        self.start = False
        self.end = False
        self.outcome: str | None = None
        terms: list[_Term] = []
        text = pattern
        lo, hi = 0, len(text)
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        if lo == hi:
            raise self._error("the pattern is empty; write at least one term, e.g. 'email'.")
        if text[lo] == "^":
            self.start, lo = True, lo + 1
        if text[hi - 1] == "$" and hi - 1 >= lo:
            self.end, hi = True, hi - 1
        pieces = self._split(text, lo, hi)
        for k, (a, b) in enumerate(pieces):
            term, outcome = self._term(text, a, b, k == 0)
            if outcome is not None:
                at = a + len(text[a:b]) - len(text[a:b].lstrip())
                if k != len(pieces) - 1:
                    raise self._error(f"the outcome {text[a:b].strip()} at position {at} can "
                                      "only be the last term; move it to the end.")
                if self.end:
                    raise self._error(f"the '$' at position {hi} is redundant: the outcome "
                                      "term already anchors the pattern at the end; drop '$'.")
                self.outcome, self.end = outcome, True
            else:
                terms.append(term)
        if not terms and self.outcome is None:
            raise self._error(f"no term after '^' at position {lo - 1}; write a name, '*' or "
                              "'...'.")
        self.terms = tuple((t.kind, t.names, t.negate) for t in terms)
        self._terms = tuple(terms)

    def _error(self, what: str) -> ValidationError:
        return ValidationError(f"pattern {self.pattern!r}: {what}")

    def _split(self, text: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """Split ``text[lo:hi]`` at the ``>`` outside quotes and parentheses."""
        pieces, a, depth, quote, i = [], lo, 0, "", lo
        open_at = -1
        while i < hi:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote, open_at = ch, i
            elif ch == "(":
                if depth:
                    raise self._error(f"'(' at position {i} inside another '('; sets do not "
                                         "nest: write (a | b | c).")
                depth, open_at = 1, i
            elif ch == ")":
                if not depth:
                    raise self._error(f"')' at position {i} closes nothing; remove it or "
                                         "add the '(' it closes.")
                depth = 0
            elif ch == ">" and not depth:
                pieces.append((a, i))
                a = i + 1
            elif ch in "^$" and not depth:
                raise self._error(f"{ch!r} at position {i}: '^' can only open the pattern "
                                     "and '$' close it; quote a name that contains it.")
            i += 1
        if quote:
            raise self._error(f"the quote at position {open_at} is not closed; add "
                                       f"the closing {quote}.")
        if depth:
            raise self._error(f"'(' at position {open_at} is not closed; add ')'.")
        pieces.append((a, hi))
        for k, (a, b) in enumerate(pieces):
            if not text[a:b].strip():
                if len(pieces) == 1:
                    raise self._error(f"no term at position {a}, only anchors; write a name, "
                                      "'*' or '...' ('^...$' matches every journey).")
                if k == 0:
                    where = f"before the first '>' (position {b})"
                    raise self._error(f"nothing {where}; write a name, '*', '(a | b)', "
                                         "'(not a)' or '...' there, or remove the '>'.")
                raise self._error(f"nothing between '>' at position {a - 1} and the next "
                                     "'>'; write a name, '*', '(a | b)', '(not a)' or '...' "
                                     "there." if k < len(pieces) - 1 else
                                  f"nothing after the last '>' (position {a - 1}); write a "
                                  "term there or remove the '>'.")
        return pieces

    def _name(self, text: str, a: int, b: int) -> str:
        """One name in ``text[a:b]``: quoted, or plain text without reserved characters."""
        raw = text[a:b]
        s = raw.strip()
        at = a + (len(raw) - len(raw.lstrip()))
        if not s:
            raise self._error(f"a name is missing at position {at}; write one, e.g. "
                                  "(email | sms).")
        if s[0] in "'\"":
            if len(s) < 2 or s[-1] != s[0] or s[0] in s[1:-1]:
                raise self._error(f"the quoted name at position {at} must be one quoted "
                                      f"text, e.g. {s[0]}paid > search{s[0]}.")
            if len(s) == 2:
                raise self._error(f"the quoted name at position {at} is empty.")
            return s[1:-1]
        bad = [(i, ch) for i, ch in enumerate(s) if ch in _RESERVED or ch in "'\""]
        if bad:
            i, ch = bad[0]
            raise self._error(f"{ch!r} at position {at + i} cannot appear in a name; "
                                      f"quote the name ('{s}') or fix the pattern.")
        if "..." in s:
            i = s.index("...")
            raise self._error(f"'...' at position {at + i} must be a term of its own, "
                                      "between '>' (e.g. 'a > ... > b').")
        return s

    def _set(self, text: str, a: int, b: int) -> tuple[tuple[str, ...], bool]:
        """The inside of ``( )``: ``[not] name | name ...``."""
        inner = text[a:b]
        negate = False
        m = re.match(r"\s*not\s+", inner)
        if m:
            negate, a = True, a + m.end()
        names, i = [], a
        depth_quote = ""
        for j in range(a, b):
            ch = text[j]
            if depth_quote:
                if ch == depth_quote:
                    depth_quote = ""
            elif ch in "'\"":
                depth_quote = ch
            elif ch == "|":
                names.append(self._name(text, i, j))
                i = j + 1
        names.append(self._name(text, i, b))
        return tuple(names), negate

    def _term(self, text: str, a: int, b: int, first: bool) -> tuple[_Term, str | None]:
        raw = text[a:b]
        s = raw.strip()
        at = a + (len(raw) - len(raw.lstrip()))
        end = at + len(s)
        if s in _OUTCOME_TERMS:
            return _Term("step", (), True), OUTCOMES[_OUTCOME_TERMS[s]]
        if s == "*":
            return _Term("step", (), True), None
        if s.startswith("..."):
            rest = s[3:].strip()
            if not rest:
                return _Term("gap", (), True), None
            if not (rest.startswith("(") and rest.endswith(")")):
                raise self._error(f"after '...' at position {at} only a set may "
                                          "follow, e.g. '...(not sms)' or '...(email | sms)'; "
                                          "put a '>' before the next term.")
            open_at = text.index("(", at + 3, end)
            names, negate = self._set(text, open_at + 1, end - 1)
            return _Term("gap", names, negate), None
        if s.startswith("("):
            if not s.endswith(")"):
                raise self._error(f"text after ')' in {s!r} at position {at}; put a '>' "
                                       "between terms.")
            names, negate = self._set(text, at + 1, end - 1)
            return _Term("step", names, negate), None
        if "(" in s:
            i = at + s.index("(")
            raise self._error(f"'(' at position {i} inside a name; put a '>' before the "
                                 "set, or quote the name.")
        return _Term("step", (self._name(text, at, end),), False), None

    def __repr__(self) -> str:
        return f"PathPattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def match(self, js: JourneySet) -> np.ndarray:
        """Which rows of a journey set the pattern matches.

        Parameters
        ----------
        js : JourneySet
            The journeys (see :func:`cjmodels.data.journey_set`).

        Returns
        -------
        numpy.ndarray of bool
            One entry per row of ``js``.

        Examples
        --------
        >>> from cjmodels.data import journey_set
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
        ...                    "event": "touch", "channel": ["email", "sms", "email", "search"]})
        >>> PathPattern("email > (not sms)").match(journey_set(df)).tolist()
        [False, True]
        """
        labels = [str(x) for x in js.labels]
        unknown = sorted({n for t in self._terms for n in t.names} - set(labels))
        if unknown:
            warn_user(
                f"pattern {self.pattern!r} names {unknown}, which are not among the journeys' "
                f"labels {labels[:20]}; they match no touch."
            )
        return _run(self, js, labels)


def _run(p: PathPattern, js: JourneySet, labels: list[str]) -> np.ndarray:
    """Simulate the pattern's automaton over all journeys at once."""
    n, terms = js.n, p._terms
    m = len(terms)
    index = {lab: i for i, lab in enumerate(labels)}
    member = np.zeros((m, len(labels) + 1), dtype=bool)  # last column: never used
    for e, t in enumerate(terms):
        row = np.zeros(len(labels), dtype=bool)
        for name in t.names:
            if name in index:
                row[index[name]] = True
        member[e, :-1] = ~row if t.negate else row
    gap = np.array([t.kind == "gap" for t in terms], dtype=bool)

    def closure(s: np.ndarray) -> None:  # a gap may be skipped
        for e in range(m):
            if gap[e]:
                s[:, e + 1] |= s[:, e]

    lengths = js.lengths
    order = np.argsort(-lengths, kind="stable")  # active journeys are a prefix
    sorted_len = lengths[order]
    neg_len = -sorted_len  # ascending
    starts = js.offsets[:-1][order]
    state = np.zeros((n, m + 1), dtype=bool)
    state[:, 0] = True
    closure(state)
    seen = state[:, m].copy()
    end_state = state[:, m].copy()  # for journeys of length 0
    longest = int(sorted_len[0]) if n else 0
    for t in range(longest):
        k = int(np.searchsorted(neg_len, -t, side="left"))  # journeys longer than t
        s = state[:k]
        sym = js.symbols[starts[:k] + t]
        new = np.zeros_like(s)
        hit = member[:, sym].T  # (k, m)
        new[:, 1:] |= s[:, :-1] & hit & ~gap
        new[:, :-1] |= s[:, :-1] & hit & gap
        if not p.start:
            new[:, 0] = True
        closure(new)
        state[:k] = new
        seen[:k] |= new[:, m]
        last = sorted_len[:k] == t + 1
        end_state[:k][last] = new[last, m]
    ok = end_state if p.end else seen
    out = np.empty(n, dtype=bool)
    out[order] = ok
    if p.outcome is not None:
        out &= js.outcome == OUTCOMES.index(p.outcome)
    return out


@result_dataclass
class PathMatches(Result):
    """Which journeys match a path pattern, how many, and how the matching ones convert.

    Attributes
    ----------
    pattern : str
        The pattern matched.
    matched : numpy.ndarray of bool
        One entry per journey, in the order of :func:`journey_metrics`' table (and of
        :func:`cjmodels.data.journeys` when ``spec.journeys == "all"``).
    n_journeys, n_matched : int
        Journeys, and journeys matching.
    share, ci_low, ci_high : float
        Share of the journeys that match, with its Wilson interval.
    table : pandas.DataFrame
        One row each for the matching journeys, the others and all: ``journeys``,
        ``conversions``, ``conversion_rate`` with ``ci_low``/``ci_high`` (Wilson).
    alpha : float
        1 - the confidence level.
    info : dict
        The journey specification and the counts of the journeys.
    """

    pattern: str
    matched: np.ndarray
    n_journeys: int
    n_matched: int
    share: float
    ci_low: float
    ci_high: float
    table: pd.DataFrame
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)
    _repr_exclude = ("matched",)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "matched": self.n_matched,
                "journeys": self.n_journeys, "share": self.share}

    def _to_dict(self) -> dict[str, Any]:
        return {**self._fields(), "matched": self.matched.tolist(),
                "table": self.table.reset_index().to_dict(orient="list")}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        t = self.table.iloc[::-1]
        y = np.arange(len(t))
        interval_bars(ax, y, t["conversion_rate"].fillna(0.0), t["ci_low"], t["ci_high"],
                      **kwargs)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{i} ({n:g})" for i, n in zip(t.index, t["journeys"], strict=True)])
        ax.set_xlabel(f"conversion rate ({1 - self.alpha:.0%} interval)")
        ax.set_title(f"{self.pattern}: {self.share:.1%} of journeys")


def match_paths(
    data: EventLog | pd.DataFrame,
    pattern: str,
    *,
    spec: JourneySpec | None = None,
    alpha: float = 0.05,
    **log_options: Any,
) -> PathMatches:
    """Which journeys of an event log match a path pattern, and how they convert.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    pattern : str or PathPattern
        A pattern of the module's language, e.g. ``"email > ...(not sms) > search"``.
    spec : JourneySpec, optional
        How journeys are cut and read; default ``JourneySpec(sequence="channel")``. Reads
        ``sequence``, ``timeout``, ``lookback``, ``journeys`` and ``collapse_repeats``.
    alpha : float, default 0.05
        1 - the confidence level of the Wilson intervals.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    PathMatches
        ``matched`` (one boolean per journey, for :func:`select_journeys`), the share of the
        journeys that match with its interval, and the conversion rates of the matching
        journeys and of the others with theirs.

    Raises
    ------
    ValidationError
        For a malformed pattern (naming the position), a bad ``spec`` or ``alpha``, or an
        unreadable log.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2, 3],
    ...                    "timestamp": [0, 1, 2, 0, 1, 2, 0],
    ...                    "event": ["touch", "touch", "conversion"] * 2 + ["touch"],
    ...                    "channel": ["email", "search", None, "email", "sms", None, "sms"]})
    >>> m = match_paths(df, "^email > ...(not sms) > (conversion)")
    >>> m
    PathMatches(pattern='^email > ...(not sms) > (conversion)', matched=1, journeys=3, share=0.3333)
    >>> m.matched.tolist()
    [True, False, False]
    >>> m.table[["journeys", "conversions", "conversion_rate"]]
                   journeys  conversions  conversion_rate
    journeys_that
    matched               1            1         1.000000
    other                 2            1         0.500000
    all                   3            2         0.666667
    """
    p = PathPattern(pattern)
    spec = _check_spec(spec, "match_paths")
    alpha = _check_alpha(alpha)
    j = _journeys(data, spec, log_options)
    matched = p.match(j.js)
    conv = j.js.outcome == 0
    n, k = len(matched), int(matched.sum())
    journeys = np.array([k, n - k, n])
    conversions = np.array([int((conv & matched).sum()), int((conv & ~matched).sum()),
                            int(conv.sum())])
    rate, lo, hi = _wilson(conversions, journeys, alpha)
    share, slo, shi = _wilson(np.array([k]), n, alpha)
    table = pd.DataFrame({"journeys": journeys, "conversions": conversions,
                          "conversion_rate": rate, "ci_low": lo, "ci_high": hi},
                         index=pd.Index(["matched", "other", "all"], name="journeys_that"))
    return PathMatches(pattern=p.pattern, matched=matched, n_journeys=n, n_matched=k,
                       share=float(share[0]), ci_low=float(slo[0]), ci_high=float(shi[0]),
                       table=table, alpha=alpha, info={**j.info, "spec": spec.to_dict()})


# --------------------------------------------------------------------------- top paths
@result_dataclass
class TopPaths(Result):
    """The most frequent paths and how much of the journeys and conversions they cover.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per path in rank order (the ``k`` first): ``rank``, ``path``, ``journeys``,
        ``share`` of all journeys with its Wilson interval ``ci_low``/``ci_high``,
        ``cum_share`` (the share covered by this and the paths above it) with
        ``cum_ci_low``/``cum_ci_high``, ``conversions``, ``conversion_share`` of all
        conversions, ``cum_conversion_share`` with ``cum_conversion_ci_low``/``_high``, and
        the path's own ``conversion_rate`` with ``rate_ci_low``/``rate_ci_high``.
    k : int
        Paths shown (at most the number of distinct paths).
    rank : str
        What ranks the paths: ``"journeys"`` or ``"conversions"``.
    coverage, coverage_ci : float, tuple of float
        Share of all journeys on the top ``k`` paths, with its interval.
    conversion_coverage, conversion_coverage_ci : float, tuple of float
        Share of all conversions on the top ``k`` paths, with its interval.
    n_paths, n_journeys, n_conversions : int or float
        Distinct paths, journeys and conversions counted (journeys without a touch are left
        out, as in a path table, and counted in ``info``).
    alpha : float
        1 - the confidence level.
    info : dict
        The journey specification and the counts of the journeys.
    n_boot : int
        Bootstrap replicates over customers (0: none).
    coverage_boot_ci, conversion_coverage_boot_ci : tuple of float or None
        With ``n_boot``: percentile intervals of the two coverages from resampling customers
        (with all their journeys); the table then has ``cum_boot_ci_low``/``_high`` and
        ``cum_conversion_boot_ci_low``/``_high`` too.

    Notes
    -----
    The Wilson intervals treat the ``k`` paths as chosen in advance and the journeys as
    independent draws: with many journeys per path the ranking is stable and the intervals hold
    (the tests check their coverage by simulation). Journeys of one customer are not
    independent (a customer who returns tends to return by the same path); the bootstrap over
    customers (``n_boot``) accounts for that. For paths near the cut-off the ranking itself is
    uncertain, which no interval here describes.
    """

    table: pd.DataFrame
    k: int
    rank: str
    coverage: float
    coverage_ci: tuple[float, float]
    conversion_coverage: float
    conversion_coverage_ci: tuple[float, float]
    n_paths: int
    n_journeys: float
    n_conversions: float
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)
    n_boot: int = 0
    coverage_boot_ci: tuple[float, float] | None = None
    conversion_coverage_boot_ci: tuple[float, float] | None = None

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"k": self.k, "paths": self.n_paths, "journeys": self.n_journeys,
                "coverage": self.coverage, "conversion_coverage": self.conversion_coverage}

    def _to_dict(self) -> dict[str, Any]:
        return {**self._fields(), "table": self.table.to_dict(orient="list")}

    def _plot(self, ax: Any, **kwargs: Any) -> None:
        t = self.table.iloc[::-1]
        y = np.arange(len(t))
        interval_bars(ax, y, t["share"], t["ci_low"], t["ci_high"], **kwargs)
        ax.set_yticks(y)
        ax.set_yticklabels(t["path"])
        ax.set_xlabel(f"share of journeys ({1 - self.alpha:.0%} interval)")
        ax.set_title(f"top {self.k} paths: {self.coverage:.1%} of journeys, "
                     f"{self.conversion_coverage:.1%} of conversions")


def top_paths(
    data: EventLog | pd.DataFrame | PathTable,
    *,
    k: int = 10,
    rank: str = "journeys",
    spec: JourneySpec | None = None,
    alpha: float = 0.05,
    n_boot: int = 0,
    random_state: Any = None,
    progress: Any = False,
    **log_options: Any,
) -> TopPaths:
    """The ``k`` most frequent paths, with the share of journeys and conversions they cover.

    Parameters
    ----------
    data : EventLog, DataFrame or PathTable
        The event log (a DataFrame with column options as keywords), or a path table.
    k : int, default 10
        How many paths to keep (all of them when there are fewer).
    rank : {"journeys", "conversions"}
        Rank paths by their journeys or by their conversions (ties: the other count, then the
        path's text).
    spec : JourneySpec, optional
        How journeys are cut and read; default ``JourneySpec(sequence="channel")``. Reads
        ``sequence``, ``timeout``, ``lookback``, ``journeys`` and ``collapse_repeats``; with
        a path table only the default (the table is already cut) or ``collapse_repeats``.
    alpha : float, default 0.05
        1 - the confidence level of the intervals.
    n_boot : int, default 0
        Bootstrap replicates over customers for intervals of the cumulative coverages that
        allow for several journeys per customer (an event log only; 0: Wilson intervals only).
    random_state : None, int or numpy.random.Generator
        Seed of the bootstrap.
    progress : bool or callable, default False
        A progress bar over the bootstrap replicates.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    TopPaths
        The table of the top paths with shares, cumulative coverage and conversion rates,
        each with its interval, and the coverage of the ``k`` paths.

    Raises
    ------
    ValidationError
        For ``k`` not a positive integer, an unknown ``rank``, a bad ``alpha`` or ``spec``, or a
        log with no journey that has a touch.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 4],
    ...                    "timestamp": [0, 1, 0, 0, 1, 0],
    ...                    "event": ["touch", "conversion", "touch", "touch", "touch", "touch"],
    ...                    "channel": ["email", None, "email", "sms", "email", "sms"]})
    >>> tp = top_paths(df, k=2)
    >>> tp
    TopPaths(k=2, paths=3, journeys=4, coverage=0.75, conversion_coverage=1)
    >>> tp.table[["path", "journeys", "share", "conversions", "cum_share"]]
        path  journeys  share  conversions  cum_share
    0  email         2   0.50            1       0.50
    1    sms         1   0.25            0       0.75
    """
    if (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
        raise ValidationError(f"k == {k!r}, must be a positive integer (the paths to keep).")
    if rank not in ("journeys", "conversions"):
        raise ValidationError(f"rank == {rank!r}, must be 'journeys' or 'conversions'.")
    alpha = _check_alpha(alpha)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValidationError(f"n_boot == {n_boot!r}, must be an integer >= 0 (0: no bootstrap).")
    customer = None
    if isinstance(data, PathTable):
        if n_boot:
            raise ValidationError("n_boot > 0 resamples customers, which a path table does not "
                                  "have; pass the event log, or n_boot=0.")
        if spec is None:
            spec = JourneySpec(sequence="channel")
        if not isinstance(spec, JourneySpec):
            spec = _check_spec(spec, "top_paths")
        spec.check_fields(("sequence", "collapse_repeats"), "top_paths of a path table")
        if spec.sequence != "channel":
            raise ValidationError("a path table holds channels; use "
                                  "JourneySpec(sequence='channel').")
        js = data.journey_set()
        if spec.collapse_repeats:
            js = js.collapse_repeats()
        info = dict(data.info)
    else:
        spec = _check_spec(spec, "top_paths")
        j = _journeys(data, spec, log_options)
        js, info = j.js, j.info
        customer = pd.factorize(j.table["customer_id"])[0]
    info = {**info, "spec": spec.to_dict()}
    has = js.lengths > 0
    n_empty = float(js.weight[~has].sum())
    if n_empty:
        warn_user(f"{n_empty:g} journeys have no touch (a conversion right after another); "
                  "they have no path and are left out of the shares (info "
                  "'journeys_without_touches').")
    info["journeys_without_touches"] = n_empty
    if not has.any():
        raise ValidationError("no journey has a touch: there is no path to count.")
    js = subset(js, has)
    if customer is not None:
        customer = customer[has]
    ids, strings = js.path_strings()
    w = js.weight.astype(float)
    conv = np.where(js.outcome == 0, w, 0.0)
    journeys = np.bincount(ids, weights=w, minlength=len(strings))
    conversions = np.bincount(ids, weights=conv, minlength=len(strings))
    key1, key2 = (journeys, conversions) if rank == "journeys" else (conversions, journeys)
    order = np.lexsort((np.asarray(strings, dtype=str), -key2, -key1))
    kk = min(int(k), len(strings))
    top = order[:kk]
    n_j, n_c = float(journeys.sum()), float(conversions.sum())
    share, lo, hi = _wilson(journeys[top], n_j, alpha)
    cum = np.cumsum(journeys[top])
    cshare, clo, chi = _wilson(cum, n_j, alpha)
    ccum = np.cumsum(conversions[top])
    vshare, vlo, vhi = _wilson(ccum, n_c, alpha)
    rate, rlo, rhi = _wilson(conversions[top], journeys[top], alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        conv_share = conversions[top] / n_c if n_c > 0 else np.full(kk, np.nan)
    as_int = all(float(x).is_integer() for x in (n_j, n_c)) and np.all(w == np.round(w))
    cast = (lambda a: a.astype(np.int64)) if as_int else (lambda a: a)
    table = pd.DataFrame({
        "rank": np.arange(1, kk + 1),
        "path": np.asarray(strings, dtype=object)[top],
        "journeys": cast(journeys[top]),
        "share": share, "ci_low": lo, "ci_high": hi,
        "cum_share": cshare, "cum_ci_low": clo, "cum_ci_high": chi,
        "conversions": cast(conversions[top]),
        "conversion_share": conv_share,
        "cum_conversion_share": vshare,
        "cum_conversion_ci_low": vlo, "cum_conversion_ci_high": vhi,
        "conversion_rate": rate, "rate_ci_low": rlo, "rate_ci_high": rhi,
    })
    boot: dict[str, Any] = {}
    if n_boot:
        boot = _boot_coverage(ids, top, customer, js.outcome == 0, n_boot, alpha,
                              random_state, progress)
        for name in ("cum_boot_ci_low", "cum_boot_ci_high", "cum_conversion_boot_ci_low",
                     "cum_conversion_boot_ci_high"):
            table[name] = boot.pop(name)
    return TopPaths(
        table=table, k=kk, rank=rank,
        coverage=float(cshare[-1]), coverage_ci=(float(clo[-1]), float(chi[-1])),
        conversion_coverage=float(vshare[-1]),
        conversion_coverage_ci=(float(vlo[-1]), float(vhi[-1])),
        n_paths=len(strings), n_journeys=int(n_j) if as_int else n_j,
        n_conversions=int(n_c) if as_int else n_c, alpha=alpha, info=info,
        n_boot=int(n_boot), **boot,
    )


def _boot_coverage(ids: np.ndarray, top: np.ndarray, customer: np.ndarray, converted: np.ndarray,
                   n_boot: int, alpha: float, random_state: Any, progress: Any) -> dict[str, Any]:
    """Percentile intervals of the cumulative coverages, resampling customers."""
    rank_of = np.full(int(ids.max()) + 1, len(top), dtype=np.int64)
    rank_of[top] = np.arange(len(top))
    r = rank_of[ids]  # rank of each journey's path, len(top) for the others
    n_c = int(customer.max()) + 1
    kk = len(top) + 1
    jour = np.bincount(customer * kk + r, minlength=n_c * kk).reshape(n_c, kk).astype(float)
    conv = np.bincount(customer * kk + r, weights=converted.astype(float),
                       minlength=n_c * kk).reshape(n_c, kk)

    def replicate(rng: np.random.Generator) -> np.ndarray:
        w = resample_units(rng, n_c).astype(float)
        a, b = w @ jour, w @ conv
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.r_[np.cumsum(a[:-1]) / a.sum(), np.cumsum(b[:-1]) / b.sum()]

    reps = bootstrap(replicate, n_boot, random_state=random_state, progress=progress,
                     desc="top paths bootstrap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no conversions
        lo = np.nanquantile(reps, alpha / 2, axis=0)
        hi = np.nanquantile(reps, 1 - alpha / 2, axis=0)
    k = len(top)
    return {
        "cum_boot_ci_low": lo[:k], "cum_boot_ci_high": hi[:k],
        "cum_conversion_boot_ci_low": lo[k:], "cum_conversion_boot_ci_high": hi[k:],
        "coverage_boot_ci": (float(lo[k - 1]), float(hi[k - 1])),
        "conversion_coverage_boot_ci": (float(lo[-1]), float(hi[-1])),
    }


# --------------------------------------------------------------------------- metrics
def _first_per_journey(mask: np.ndarray, jof: np.ndarray, n: int) -> np.ndarray:
    """Flat position of the first True of ``mask`` in each journey (-1: none)."""
    pos = np.flatnonzero(mask)
    out = np.full(n, -1, dtype=np.int64)
    if len(pos):
        first = np.r_[True, jof[pos][1:] != jof[pos][:-1]]
        out[jof[pos][first]] = pos[first]
    return out


def _pairs(between: Any) -> list[tuple[str, str]]:
    if between is None:
        return []
    if isinstance(between, tuple) and len(between) == 2 and all(
            isinstance(x, str) for x in between):
        between = [between]
    if isinstance(between, str) or not isinstance(between, (list, tuple)):
        raise ValidationError(
            f"between == {between!r}; pass a pair of names such as ('email', '(conversion)') "
            "or a list of such pairs."
        )
    out = []
    for pair in between:
        if not (isinstance(pair, tuple | list) and len(pair) == 2
                and all(isinstance(x, str) for x in pair)):
            raise ValidationError(
                f"between has {pair!r}; each item must be a pair of names (a, b), e.g. "
                "('email', 'search') or ('email', '(conversion)')."
            )
        if pair[0] == "(conversion)":
            raise ValidationError("between: '(conversion)' can only be the second name of a "
                                  "pair (the time from a touch to the conversion).")
        out.append((pair[0], pair[1]))
    return out


def _names(has: Any) -> list[str]:
    if isinstance(has, str):
        return [has]
    if not isinstance(has, (list, tuple)) or not all(isinstance(x, str) for x in has):
        raise ValidationError(f"has == {has!r}; pass a name or a list of names, e.g. "
                              "has=['email', 'sms'].")
    return list(has)


@result_dataclass
class JourneyMetrics(Result):
    """Per-journey metrics: length, duration, loops, times between touches, outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per journey (in the order of :func:`cjmodels.data.journeys`, restricted to
        ``spec.journeys``): ``customer_id``, ``journey`` (1, 2, ... within customer),
        ``outcome``, ``path``, ``length`` (touches on the path), ``distinct`` (different
        channels or stages), ``repeats`` (touches equal to the one before), ``loops``
        (returns to a channel or stage visited earlier, not right before: ``length ==
        distinct + repeats + loops``), ``duration`` (from the journey's first event to its
        last, the conversion included), ``has_<name>`` for each name of ``has`` and
        ``time_<a>_to_<b>`` for each pair of ``between`` (from the first ``a`` touch to the
        first ``b`` touch after it; ``time_<a>_to_conversion`` for ``b == "(conversion)"``,
        to the conversion; missing
        when the journey has no such pair).
    unit : str
        The unit of the durations and times: a pandas unit (``"D"``, ``"h"``) for datetime
        logs, ``"log"`` (the timestamps' own unit) for numeric ones.
    alpha : float
        1 - the confidence level of the summary's intervals.
    info : dict
        The journey specification and the counts of the journeys.
    """

    table: pd.DataFrame
    unit: str
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        """Each numeric metric: journeys with a value, mean with its t interval, quartiles."""
        from scipy.stats import t as student

        rows = []
        for col in self.table.columns:
            if col in ("customer_id", "journey", "outcome", "path"):
                continue
            x = self.table[col].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            n = len(x)
            row: dict[str, Any] = {"metric": col, "n": n}
            if n:
                mean = float(x.mean())
                se = float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
                q = float(student.isf(self.alpha / 2, n - 1)) if n > 1 else np.nan
                row.update(mean=mean, ci_low=mean - q * se, ci_high=mean + q * se,
                           q25=float(np.quantile(x, 0.25)), median=float(np.median(x)),
                           q75=float(np.quantile(x, 0.75)), max=float(x.max()))
            rows.append(row)
        cols = ["metric", "n", "mean", "ci_low", "ci_high", "q25", "median", "q75", "max"]
        return pd.DataFrame(rows).reindex(columns=cols).set_index("metric")

    def _repr_fields(self) -> dict[str, Any]:
        return {"journeys": len(self.table), "unit": self.unit}

    def _plot(self, ax: Any, metric: str = "length", **kwargs: Any) -> None:
        """Histogram of ``metric`` (a numeric column of the table), one per outcome."""
        t = self.table
        if metric not in t.columns or metric in ("customer_id", "journey", "outcome", "path"):
            raise ValidationError(
                f"metric == {metric!r}; plot one of the numeric columns "
                f"{[c for c in t.columns if c not in ('customer_id', 'journey', 'outcome', 'path')]}."
            )
        x = t[metric].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if not ok.any():
            raise ValidationError(f"metric {metric!r} has no value to plot.")
        bins = np.histogram_bin_edges(x[ok], bins=min(40, max(1, len(np.unique(x[ok])))))
        for outcome in OUTCOMES:
            sel = ok & (t["outcome"].astype(str).to_numpy() == outcome)
            if sel.any():
                ax.hist(x[sel], bins=bins, alpha=0.6, label=f"{outcome} ({int(sel.sum())})",
                        **kwargs)
        ax.set_xlabel(metric + ("" if metric in ("length", "distinct", "repeats", "loops")
                                else f" ({self.unit})"))
        ax.set_ylabel("journeys")
        ax.legend()

    def _to_dict(self) -> dict[str, Any]:
        t = self.table.assign(outcome=self.table["outcome"].astype(str))
        return {"unit": self.unit, "alpha": self.alpha, "info": self.info,
                "table": t.to_dict(orient="list")}


def journey_metrics(
    data: EventLog | pd.DataFrame,
    *,
    spec: JourneySpec | None = None,
    has: str | list[str] = (),
    between: Any = None,
    unit: str = "D",
    alpha: float = 0.05,
    **log_options: Any,
) -> JourneyMetrics:
    """Metrics of every journey: length, duration, loops, presence of touches, times between.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    spec : JourneySpec, optional
        How journeys are cut and read; default ``JourneySpec(sequence="channel")``. Reads
        ``sequence``, ``timeout``, ``lookback``, ``journeys`` and ``collapse_repeats`` (with
        it, a run of one channel is one touch, timed at its first).
    has : str or list of str
        Names (channels or stages) whose presence on the path gets a column ``has_<name>``.
    between : pair or list of pairs of str, optional
        ``(a, b)``: the time from the first ``a`` touch to the first ``b`` touch after it
        (``b == "(conversion)"``: to the conversion), column ``time_<a>_to_<b>``.
    unit : str, default "D"
        Unit of durations and times for datetime logs (``"D"``, ``"h"``, ``"s"``, ...);
        numeric logs keep their own unit.
    alpha : float, default 0.05
        1 - the confidence level of the intervals of the means in ``summary()``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    JourneyMetrics
        The per-journey table; ``summary()`` gives each metric's mean with its interval and
        quartiles.

    Raises
    ------
    ValidationError
        For a bad ``spec``, ``has``, ``between``, ``unit`` or ``alpha``, or an unreadable log.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2],
    ...                    "timestamp": [0, 1, 3, 4, 0],
    ...                    "event": ["touch", "touch", "touch", "conversion", "touch"],
    ...                    "channel": ["email", "sms", "email", None, "sms"]})
    >>> m = journey_metrics(df, has="sms", between=("email", "(conversion)"))
    >>> m.table[["path", "loops", "duration", "has_sms", "time_email_to_conversion"]]
                      path  loops  duration  has_sms  time_email_to_conversion
    0  email > sms > email      1       4.0     True                       4.0
    1                  sms      0       0.0     True                       NaN
    """
    spec = _check_spec(spec, "journey_metrics")
    alpha = _check_alpha(alpha)
    names, pairs = _names(has), _pairs(between)
    if not isinstance(unit, str):
        raise ValidationError(f"unit == {unit!r}, must be a pandas time unit such as 'D'.")
    j = _journeys(data, spec, log_options)
    log, js = j.log, j.js
    try:
        times = log.times(unit)
        end = log.to_float(j.table["end"], unit)
        start = log.to_float(j.table["start"], unit)
    except (ValueError, TypeError) as e:
        raise ValidationError(f"unit == {unit!r} is not a pandas time unit ({e}); use 'D', "
                              "'h', 'min' or 's'.") from None
    n = js.n
    lengths = js.lengths
    jof = np.repeat(np.arange(n), lengths)
    sym = js.symbols
    n_lab = max(len(js.labels), 1)
    key = jof * n_lab + sym
    _, first_idx = np.unique(key, return_index=True)
    seen_before = np.ones(len(sym), dtype=bool)
    seen_before[first_idx] = False
    is_first = np.zeros(len(sym), dtype=bool)
    is_first[js.offsets[:-1][lengths > 0]] = True
    repeat = np.zeros(len(sym), dtype=bool)
    repeat[1:] = (sym[1:] == sym[:-1]) & ~is_first[1:]
    ids, strings = js.path_strings()
    table = pd.DataFrame({
        "customer_id": j.table["customer_id"].to_numpy(),
        "journey": j.table["journey"].to_numpy(),
        "outcome": j.table["outcome"].to_numpy(),
        "path": np.asarray(strings, dtype=object)[ids],
        "length": lengths.astype(np.int64),
        "distinct": np.bincount(jof[~seen_before], minlength=n).astype(np.int64),
        "repeats": np.bincount(jof[repeat], minlength=n).astype(np.int64),
        "loops": np.bincount(jof[seen_before & ~repeat], minlength=n).astype(np.int64),
        "duration": np.asarray(end, dtype=float) - np.asarray(start, dtype=float),
    })
    labels = [str(x) for x in js.labels]
    code = {lab: i for i, lab in enumerate(labels)}
    for name in names:
        hit = sym == code.get(name, -1)
        table[f"has_{name}"] = np.bincount(jof[hit], minlength=n) > 0
    tt = times[j.touch_pos]
    flat = np.arange(len(sym))
    for a, b in pairs:
        fa = _first_per_journey(sym == code.get(a, -1), jof, n)
        out = np.full(n, np.nan)
        ok = fa >= 0
        if b == "(conversion)":
            conv = ok & (js.outcome == 0)
            out[conv] = np.asarray(end, dtype=float)[conv] - tt[fa[conv]]
        else:
            after = (sym == code.get(b, -1)) & (flat > fa[jof]) & (fa[jof] >= 0)
            fb = _first_per_journey(after, jof, n)
            both = fb >= 0
            out[both] = tt[fb[both]] - tt[fa[both]]
        table[f"time_{a}_to_{'conversion' if b == '(conversion)' else b}"] = out
    unknown = sorted({*names, *(x for p in pairs for x in p)} - set(labels) - {"(conversion)"})
    if unknown:
        warn_user(f"names {unknown} are not among the journeys' labels {labels[:20]}; their "
                  "columns are False or missing throughout.")
    return JourneyMetrics(table=table, unit=unit if log.time_kind == "datetime" else "log",
                          alpha=alpha, info={**j.info, "spec": spec.to_dict()})


# --------------------------------------------------------------------------- selections
def _sub_log(log: EventLog, rows: np.ndarray, what: str) -> EventLog:
    """The events at positions ``rows`` as an EventLog of the same settings."""
    if not rows.any():
        raise ValidationError(f"no {what} selected: the selection would be an empty log. "
                              "Check the pattern or the condition.")
    events = log.events.loc[rows]
    events.index = log.source_index[rows]
    c = log.columns
    return EventLog(
        events,
        channel="channel" if c["channel"] is not None else None,
        stage="stage" if c["stage"] is not None else None,
        value="value" if c["value"] is not None else None,
        covariates=list(log.covariates),
        scheme=log.scheme,
        observation_start=log.observation_start,
        observation_end=log.observation_end,
        event_types=log.event_types,
    )


def _keep_mask(keep: Any, j: _Journeys) -> np.ndarray:
    if isinstance(keep, (str, PathPattern)):
        return PathPattern(keep).match(j.js)
    if isinstance(keep, PathMatches):
        keep = keep.matched
    if isinstance(keep, pd.Series):
        if not keep.index.equals(pd.RangeIndex(j.js.n)):
            raise ValidationError(
                "keep is a Series whose index is not the journeys' 0..n-1; build it from "
                "journey_metrics(...).table (same spec) without filtering or reordering rows, "
                "or pass keep.to_numpy()."
            )
        keep = keep.to_numpy()
    arr = np.asarray(keep)
    if arr.dtype != bool or arr.ndim != 1:
        raise ValidationError(
            "keep must be a pattern string or a boolean array with one entry per journey "
            "(e.g. journey_metrics(log).table['loops'] > 0)."
        )
    if len(arr) != j.js.n:
        raise ValidationError(
            f"keep has {len(arr)} entries but the log has {j.js.n} journeys under this spec; "
            "build it from journey_metrics(...) with the same spec."
        )
    return arr


def select_journeys(
    data: EventLog | pd.DataFrame,
    keep: Any,
    *,
    spec: JourneySpec | None = None,
    **log_options: Any,
) -> EventLog:
    """The sub-log of the journeys a pattern or a condition selects.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    keep : str, PathPattern, PathMatches or array of bool
        A pattern (see the module's pattern language), or one boolean per journey in the
        order of :func:`journey_metrics`' table with the same ``spec`` (for example
        ``journey_metrics(log).table["loops"] > 0``, or :func:`match_paths`' result).
    spec : JourneySpec, optional
        How journeys are cut and read; default ``JourneySpec(sequence="channel")``. Reads
        ``sequence``, ``timeout``, ``lookback``, ``journeys`` and ``collapse_repeats``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    EventLog
        The events of the selected journeys (every touch from a journey's first to its last,
        those outside ``lookback`` included, and the conversion or drop-out that ends it),
        unchanged and in the log's order, with the log's settings and observation window:
        cut by the same ``timeout`` it gives the same journeys back. Events in no journey
        (subscriptions, assignments) are not part of a journey and are left out.

    Raises
    ------
    ValidationError
        For a malformed pattern, a mask of the wrong length or type, a bad ``spec``, or a
        selection with no journey.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2],
    ...                    "timestamp": [0, 1, 2, 0, 1, 2],
    ...                    "event": ["touch", "touch", "conversion"] * 2,
    ...                    "channel": ["email", "search", None, "sms", "search", None]})
    >>> sub = select_journeys(df, "^email")
    >>> sub.events["customer_id"].tolist(), sub.events["channel"].tolist()[:2]
    ([1, 1, 1], ['email', 'search'])
    """
    spec = _check_spec(spec, "select_journeys")
    j = _journeys(data, spec, log_options)
    mask = _keep_mask(keep, j)
    chosen = np.zeros(int(j.event_jid.max()) + 2, dtype=bool)
    chosen[j.kept[mask]] = True
    rows = chosen[j.event_jid]  # jid -1 reads the last entry, always False
    return _sub_log(j.log, rows, "journey")


def select_customers(
    data: EventLog | pd.DataFrame,
    keep: Any,
    *,
    how: str = "any",
    spec: JourneySpec | None = None,
    **log_options: Any,
) -> EventLog:
    """The sub-log of the customers whose journeys a pattern or a condition selects.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    keep : str, PathPattern, PathMatches or array of bool
        A pattern, or one boolean per journey (as for :func:`select_journeys`).
    how : {"any", "all"}
        Keep a customer when any of their journeys is selected, or only when all are.
    spec : JourneySpec, optional
        How journeys are cut and read; default ``JourneySpec(sequence="channel")``.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    EventLog
        Every event of the selected customers (all their journeys and their other events),
        unchanged and in the log's order, with the log's settings and observation window.

    Raises
    ------
    ValidationError
        As :func:`select_journeys`, and for ``how`` not ``"any"`` or ``"all"``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2],
    ...                    "timestamp": [0, 1, 2, 3, 0],
    ...                    "event": ["touch", "conversion", "touch", "touch", "touch"],
    ...                    "channel": ["email", None, "sms", "sms", "search"]})
    >>> select_customers(df, "sms").n_events
    4
    """
    if how not in ("any", "all"):
        raise ValidationError(f"how == {how!r}, must be 'any' or 'all'.")
    spec = _check_spec(spec, "select_customers")
    j = _journeys(data, spec, log_options)
    mask = _keep_mask(keep, j)
    codes = j.log.customer_codes
    # customer code of each journey: the code of its first touch's or end's event
    first_event = np.full(int(j.event_jid.max()) + 1, -1, dtype=np.int64)
    pos = np.flatnonzero(j.event_jid >= 0)
    first_event[j.event_jid[pos][::-1]] = pos[::-1]
    jcode = codes[first_event[j.kept]]
    n_c = j.log.n_customers
    yes = np.bincount(jcode[mask], minlength=n_c)
    total = np.bincount(jcode, minlength=n_c)
    chosen = yes > 0 if how == "any" else (total > 0) & (yes == total)
    return _sub_log(j.log, chosen[codes], "customer")
