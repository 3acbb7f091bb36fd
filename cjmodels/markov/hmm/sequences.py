"""Input handling of the hidden Markov model: every accepted form of sequences to model codes."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data import (
    CONVERSION,
    NULL,
    EventLog,
    JourneySet,
    JourneySpec,
    touch_sequences,
)
from cjmodels.errors import ValidationError

#: Names of the absorbing end states (and of the symbols they emit) when ``end_states=True``.
END_STATES: tuple[str, str] = (CONVERSION, NULL)


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True)
class _Seqs:
    """Sequences as model symbol codes: flat array, offsets, weights and customer codes."""

    obs: np.ndarray
    offsets: np.ndarray
    weight: np.ndarray
    customers: np.ndarray
    labels: np.ndarray  # symbol names of the codes in ``obs`` (before mapping to the model)
    keys: pd.DataFrame  # one row per sequence: identifiers for output tables
    x: np.ndarray | None = None  # encoded covariates, one row per symbol (not centred)
    x_spec: tuple[tuple[str, tuple[str, ...] | None], ...] | None = None

    @property
    def n(self) -> int:
        return len(self.offsets) - 1


def _sort_labels(values: Iterable[Any]) -> list[Any]:
    vals = list(values)
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=lambda v: (type(v).__name__, str(v)))


_OUTCOME_CODES = {"conversion": 0, "drop_out": 1, "censored": 2, 0: 0, 1: 1, 2: 2}


def _outcome_codes(outcome: Any, n: int) -> np.ndarray:
    vals = list(np.asarray(outcome, dtype=object).ravel())
    if len(vals) != n:
        raise ValidationError(f"outcome has {len(vals)} entries for {n} sequences; give one each.")
    bad = [v for v in vals if not isinstance(v, str | numbers.Integral) or v not in _OUTCOME_CODES]
    if bad:
        raise ValidationError(
            f"outcome has values {bad[:5]}; each must be 'conversion', 'drop_out' or 'censored' "
            "(or 0, 1, 2)."
        )
    return np.array([_OUTCOME_CODES[v] for v in vals], dtype=np.int8)


def _from_lists(
    data: Any, lengths: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Flat array of symbols (object) and offsets from a list of sequences or flat + lengths."""
    if lengths is not None:
        flat = np.asarray(data, dtype=object).ravel() if not isinstance(data, np.ndarray) else data
        flat = np.asarray(flat).ravel()
        lens = np.asarray(lengths)
        if lens.ndim != 1 or not np.issubdtype(lens.dtype, np.integer) or (lens < 0).any():
            raise ValidationError("lengths must be a 1-d array of non-negative integers.")
        if lens.sum() != len(flat):
            raise ValidationError(
                f"lengths sum to {int(lens.sum())} but the flat array has {len(flat)} symbols; "
                "they must match."
            )
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        return flat, offsets
    if isinstance(data, str | bytes) or not isinstance(data, Sequence | np.ndarray):
        raise ValidationError(
            "data must be an event log (DataFrame or EventLog), a JourneySet, a list of "
            f"sequences, or a flat array with lengths; got {type(data).__name__}."
        )
    seqs = [np.asarray(s, dtype=object).ravel() if not isinstance(s, np.ndarray) else s.ravel()
            for s in data]
    lens = np.array([len(s) for s in seqs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    flat = np.concatenate(seqs) if seqs else np.empty(0, dtype=object)
    return flat, offsets


def _check_symbols(flat: np.ndarray) -> None:
    if flat.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(flat))
    else:
        bad = np.flatnonzero(pd.isna(pd.Series(flat, dtype=object)).to_numpy())
    if len(bad):
        raise ValidationError(
            f"data contain {len(bad)} missing symbols (NaN/None), first at flat positions "
            f"{bad[:5].tolist()}; every touch needs a symbol."
        )


def _prepare(
    data: Any,
    *,
    lengths: Any = None,
    spec: JourneySpec | None = None,
    customers: Any = None,
    outcome: Any = None,
    weight: Any = None,
    end_states: bool = False,
    alphabet: Sequence[Any] | None = None,
    log_options: dict[str, Any] | None = None,
    covariates: Any = None,
    x_spec: Any = None,
) -> _Seqs:
    """Turn any accepted input into model codes; ``alphabet`` fixes the symbols and ``x_spec``
    the covariate encoding (both at score time)."""
    log_options = log_options or {}
    outc: np.ndarray | None = None
    keys: pd.DataFrame
    xframe: pd.DataFrame | None = None
    if isinstance(data, EventLog | pd.DataFrame):
        ts = touch_sequences(data, spec=JourneySpec(sequence="channel") if spec is None else spec,
                             covariates=covariates, **log_options)
        js = ts.journeys
        xframe = ts.covariates
        offsets = np.asarray(js.offsets, dtype=np.int64)
        flat = np.asarray(js.labels, dtype=object)[js.symbols]
        keys = ts.keys
        cust = keys["customer_id"].to_numpy()
        outc = js.outcome
        w = js.weight
        if customers is not None or outcome is not None:
            raise ValidationError(
                "customers and outcome come from the event log; do not pass them with a log."
            )
    elif spec is not None:
        raise ValidationError(
            "spec= describes the journeys of an event log; a JourneySet or a list of sequences "
            "is already cut into sequences, so leave spec=None."
        )
    elif isinstance(data, JourneySet):
        flat = np.asarray(data.labels, dtype=object)[data.symbols]
        offsets = np.asarray(data.offsets, dtype=np.int64)
        outc = np.asarray(data.outcome, dtype=np.int8)
        w = np.asarray(data.weight, dtype=float)
        cust = np.arange(data.n) if customers is None else np.asarray(customers)
        keys = pd.DataFrame({"sequence": np.arange(data.n)})
        if outcome is not None:
            raise ValidationError("outcome comes from the JourneySet; do not pass it too.")
    else:
        flat, offsets = _from_lists(data, lengths)
        _check_symbols(flat)
        n = len(offsets) - 1
        cust = np.arange(n) if customers is None else np.asarray(customers)
        keys = pd.DataFrame({"sequence": np.arange(n)})
        w = np.ones(n)
        if outcome is not None:
            outc = _outcome_codes(outcome, n)
    if covariates is not None and xframe is None:
        xframe = _array_covariates(covariates, np.diff(offsets))
    n = len(offsets) - 1
    if n == 0:
        raise ValidationError("no sequences were given; the model needs at least one.")
    lens = np.diff(offsets)
    if (lens == 0).any():
        bad = np.flatnonzero(lens == 0)
        raise ValidationError(
            f"{len(bad)} sequences are empty, first at positions {bad[:5].tolist()}; every "
            "sequence needs at least one touch. Drop them before fitting."
        )
    if len(cust) != n:
        raise ValidationError(f"customers has {len(cust)} entries for {n} sequences.")
    if weight is not None:
        w = np.asarray(weight, dtype=float)
        if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
            raise ValidationError(
                f"weight must hold {n} finite non-negative numbers, one per sequence."
            )
    if end_states:
        if outc is None:
            raise ValidationError(
                "end_states=True needs each sequence's outcome: fit on an event log or a "
                "JourneySet, or pass outcome= ('conversion', 'drop_out', 'censored' per sequence)."
            )
        old_offsets = offsets
        flat, offsets = _append_ends(flat, offsets, outc)
    x = None
    if xframe is not None:
        x, x_spec = _encode(xframe, x_spec)
        if end_states:  # the move into an end state has the covariates of the last touch
            x = x[_end_index(old_offsets, offsets)]
    elif x_spec is not None:
        raise ValidationError("the model was fitted with covariates; pass covariates= too.")
    if alphabet is None:
        labels = np.array(_sort_labels(pd.unique(pd.Series(flat, dtype=object))), dtype=object)
        if end_states:
            labels = np.array([x for x in labels if x not in END_STATES] + list(END_STATES),
                              dtype=object)
    else:
        labels = np.asarray(alphabet, dtype=object)
    pos = pd.Index(labels)
    codes = pos.get_indexer(pd.Series(flat, dtype=object))
    if (codes < 0).any():
        unknown = _sort_labels(pd.unique(pd.Series(flat[codes < 0], dtype=object)))
        first = np.flatnonzero(codes < 0)[:5]
        raise ValidationError(
            f"symbols {unknown[:10]} are not in the model's alphabet {labels.tolist()} (first at "
            f"flat positions {first.tolist()}); fit the model on data that contains them, or map "
            "them to known symbols."
        )
    _, cust_codes = np.unique(pd.Series(cust, dtype=object).astype(str), return_inverse=True)
    return _Seqs(codes.astype(np.int64), offsets, w, cust_codes.astype(np.int64), labels, keys,
                 x, x_spec if x is not None else None)


def _array_covariates(covariates: Any, lengths: np.ndarray) -> pd.DataFrame:
    """Per-touch (one row per symbol) or per-sequence covariates as a frame of per-touch rows."""
    if isinstance(covariates, pd.DataFrame):
        frame = covariates.reset_index(drop=True)
    else:
        arr = np.asarray(covariates)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValidationError("covariates must be a 2-d array or a DataFrame.")
        frame = pd.DataFrame(arr, columns=[f"x{i + 1}" for i in range(arr.shape[1])])
    n_obs, n_seq = int(lengths.sum()), len(lengths)
    bad = np.flatnonzero(frame.isna().any(axis=1).to_numpy())
    if len(bad):
        raise ValidationError(
            f"covariates have {len(bad)} missing values (NaN/None), first at rows "
            f"{bad[:5].tolist()}; fill or drop them before fitting."
        )
    if len(frame) == n_obs:
        return frame
    if len(frame) == n_seq:
        return frame.iloc[np.repeat(np.arange(n_seq), lengths)].reset_index(drop=True)
    raise ValidationError(
        f"covariates have {len(frame)} rows; give one per touch ({n_obs}) or one per sequence "
        f"({n_seq})."
    )


def _encode(
    frame: pd.DataFrame, spec: Any = None
) -> tuple[np.ndarray, tuple[tuple[str, tuple[str, ...] | None], ...]]:
    """Numeric columns as they are, other columns one-hot with the first level dropped."""
    if spec is None:
        spec = tuple(
            (str(c), None if (pd.api.types.is_numeric_dtype(frame[c])
                              and not pd.api.types.is_bool_dtype(frame[c]))
             else tuple(sorted(frame[c].dropna().astype(str).unique())))
            for c in frame.columns
        )
    names = [c for c, _ in spec]
    if [str(c) for c in frame.columns] != names:
        raise ValidationError(f"covariates must be the columns {names} the model was fitted with.")
    blocks = []
    for (name, levels), col in zip(spec, frame.columns, strict=True):
        v = frame[col]
        bad = np.flatnonzero(v.isna().to_numpy())
        if levels is None:
            vals = pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(vals))
        if len(bad):
            raise ValidationError(
                f"covariate {name!r} has {len(bad)} missing or non-finite values, first at rows "
                f"{bad[:5].tolist()} (one row per touch); fill or drop them before fitting."
            )
        if levels is None:
            blocks.append(vals[:, None])
            continue
        sv = v.astype(str).to_numpy()
        unknown = sorted(set(sv) - set(levels))
        if unknown:
            raise ValidationError(
                f"covariate {name!r} has levels {unknown[:5]} the model was not fitted with "
                f"({list(levels)})."
            )
        blocks.append((sv[:, None] == np.array(levels[1:], dtype=object)[None, :]).astype(float))
    x = np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
    return x, spec


def covariate_names(spec: Any) -> list[str]:
    """Names of the encoded covariate columns."""
    out = []
    for name, levels in spec:
        out.extend([name] if levels is None else [f"{name}[{lev}]" for lev in levels[1:]])
    return out


def _end_index(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """For each symbol after end symbols were appended, the row of the touch it takes
    covariates from (itself, or the sequence's last touch for an end symbol)."""
    old_len, new_len = np.diff(old), np.diff(new)
    pos = np.arange(int(new[-1])) - np.repeat(new[:-1], new_len)
    return np.repeat(old[:-1], new_len) + np.minimum(pos, np.repeat(old_len - 1, new_len))


def _append_ends(
    flat: np.ndarray, offsets: np.ndarray, outc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Append ``(conversion)`` / ``(null)`` to converted / dropped-out sequences."""
    add = (outc != 2).astype(np.int64)
    lens = np.diff(offsets)
    new_off = np.concatenate([[0], np.cumsum(lens + add)]).astype(np.int64)
    out = np.empty(int(new_off[-1]), dtype=object)
    shift = np.repeat(new_off[:-1] - offsets[:-1], lens)
    out[np.arange(len(flat)) + shift] = flat
    ends = np.flatnonzero(add)
    out[new_off[ends + 1] - 1] = np.array(END_STATES, dtype=object)[outc[ends]]
    return out, new_off


@dataclass(frozen=True)
class _Collapsed:
    """Distinct sequences (flat codes and offsets) and the distinct-sequence id of each input
    sequence: EM runs on the distinct ones with summed weights."""

    obs: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray


def _collapse(s: _Seqs) -> _Collapsed:
    js = JourneySet(labels=s.labels, symbols=s.obs, offsets=s.offsets,
                    outcome=np.zeros(s.n, dtype=np.int8), weight=s.weight, value=np.zeros(s.n))
    ids, uniq = js.path_ids()
    lens = np.array([len(u) for u in uniq], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return _Collapsed(np.concatenate(uniq).astype(np.int64), offsets, ids)


def _subset(s: _Seqs, keep: np.ndarray) -> _Seqs:
    """Sequences where ``keep``, with their own alphabet (symbols present in them)."""
    lens = np.diff(s.offsets)[keep]
    starts = s.offsets[:-1][keep]
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    idx = np.repeat(starts - offsets[:-1], lens) + np.arange(offsets[-1])
    return _Seqs(s.obs[idx], offsets, s.weight[keep], s.customers[keep], s.labels,
                 s.keys[keep].reset_index(drop=True), None if s.x is None else s.x[idx],
                 s.x_spec)
