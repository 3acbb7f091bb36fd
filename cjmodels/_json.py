"""The one JSON policy of cjmodels: strict JSON from every result's ``to_dict()`` and from
every ``--format json`` output of the command line.

Policy
------
* Every ``to_dict()`` of every result in the package returns plain Python objects that
  ``json.dumps(obj, allow_nan=False)`` accepts: it is built through :func:`to_jsonable`.
* NaN (an undefined number) becomes ``null`` (``None``). Infinity becomes the string
  ``"inf"`` or ``"-inf"`` (the open end of a one-sided interval, an unreached median, a state
  that is never reached again); so does a number too large for a double (above about
  1.8e308), which overflows to infinity. Strict JSON has neither NaN nor infinity, and
  ``Infinity`` as printed by :mod:`json` by default is not JSON.
* numpy and pandas scalars become Python numbers, arrays lists, Series objects ``{label:
  value}``, DataFrames ``{row label: {column: value}}`` (records when the row labels repeat),
  timestamps and time spans ISO-like strings, missing values (``None``, ``pd.NA``, ``NaT``)
  ``null``. Mapping keys become strings. Objects with their own ``to_dict()`` are converted
  through it; anything else becomes its ``str()``.
* A number that is undefined is never left unexplained: the result's ``to_dict()`` carries a
  ``notes`` list of plain sentences that say why (for example "state 'loyalty' was never left:
  its probability row is undefined (null)"), and the fitting function warns where the cause is
  in the data. See :func:`note_undefined` for the helper that writes such sentences.

Examples
--------
>>> import numpy as np
>>> to_jsonable({"a": np.int64(2), "b": np.array([0.5, np.nan, np.inf])})
{'a': 2, 'b': [0.5, None, 'inf']}
>>> to_jsonable(np.float64(1e308) * 10)
'inf'
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dumps", "nonfinite", "note_undefined", "to_jsonable"]


def _float(f: float) -> Any:
    if math.isnan(f):
        return None
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, arrays and frames into plain strict-JSON objects.

    NaN becomes ``None`` and infinities (also numbers that overflow a double) the strings
    ``"inf"`` and ``"-inf"``, so that ``json.dumps(..., allow_nan=False)`` accepts the result;
    see the module notes for the whole policy.
    """
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        with np.errstate(over="ignore"):
            return _float(float(obj))
    if isinstance(obj, (complex, np.complexfloating)):
        return _float(float(np.real(obj))) if np.imag(obj) == 0 else str(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        if obj.index.is_unique and obj.columns.is_unique:
            return {str(k): to_jsonable(v) for k, v in obj.to_dict(orient="index").items()}
        return to_jsonable(obj.reset_index().to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        if obj.index.is_unique:
            return {str(k): to_jsonable(v) for k, v in obj.to_dict().items()}
        return to_jsonable(obj.tolist())
    if isinstance(obj, (pd.Index, pd.Categorical, pd.api.extensions.ExtensionArray)):
        return to_jsonable(list(obj))
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((to_jsonable(v) for v in obj), key=repr)
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, (pd.Timestamp, pd.Timedelta, _dt.datetime, _dt.date, _dt.timedelta,
                        np.datetime64, np.timedelta64, pd.Period)):
        try:
            if pd.isna(obj):
                return None
        except (TypeError, ValueError):
            pass
        return str(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict) and not isinstance(obj, type):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    return str(obj)


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps(to_jsonable(obj), allow_nan=False, **kwargs)``."""
    import json

    return json.dumps(to_jsonable(obj), allow_nan=False, **kwargs)


def nonfinite(values: Iterable[Any]) -> bool:
    """Whether any of ``values`` is a NaN or infinite number."""
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if arr.dtype.kind not in "fc":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            return False
    return bool((~np.isfinite(arr)).any())


def note_undefined(what: str, labels: Iterable[Any], why: str, *, max_labels: int = 10) -> str:
    """A plain sentence for a ``notes`` entry: ``"<what> undefined (null) for <labels>: <why>"``.

    >>> note_undefined("p_next", ["b"], "no journey reaches it")
    "p_next is undefined (null) for 'b': no journey reaches it."
    """
    labels = list(labels)
    shown = ", ".join(repr(str(s)) for s in labels[:max_labels])
    if len(labels) > max_labels:
        shown += f" and {len(labels) - max_labels} more"
    return f"{what} is undefined (null) for {shown}: {why}."
