"""Plain JSON-serialisable forms of numpy and pandas objects, shared by every result's
``to_dict()`` and by the command line's ``--format json``.

Examples
--------
>>> import numpy as np
>>> to_jsonable({"a": np.int64(2), "b": np.array([0.5, np.nan, np.inf])})
{'a': 2, 'b': [0.5, None, 'inf']}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, arrays and frames into plain JSON-serialisable objects.

    The result is strict JSON: NaN becomes ``None`` and infinities (the open end of a
    one-sided interval, an unreached median) the strings ``"inf"`` and ``"-inf"``, so that
    ``json.dumps(..., allow_nan=False)`` accepts it.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return {str(k): to_jsonable(v) for k, v in obj.to_dict(orient="index").items()}
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.to_dict().items()}
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        if np.isnan(f):
            return None
        if np.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(obj, (pd.Timestamp, pd.Timedelta)):
        return str(obj)
    return obj
