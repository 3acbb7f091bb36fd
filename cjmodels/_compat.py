"""Differences between the supported versions of our dependencies, in one place.

Examples
--------
>>> as_timedelta("36h")
Timedelta('1 days 12:00:00')
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

__all__ = ["as_timedelta"]

#: pandas before 3 parses spans through numpy's generic timedelta unit (see :func:`as_timedelta`).
_PANDAS_GENERIC_TIMEDELTA = int(pd.__version__.split(".")[0]) < 3


def as_timedelta(value: Any) -> pd.Timedelta:
    """``pd.Timedelta(value)`` for a span given by the user (``"30D"``, a Timedelta, ...).

    pandas 2 builds a Timedelta from a string, or from another Timedelta, through a numpy
    ``timedelta64`` of the generic unit, which numpy 2.5 deprecates; the DeprecationWarning is
    pandas', but Python reports it at our line. pandas 3 parses without it. Only that warning is
    silenced, only under pandas 2; our own code names a unit everywhere
    (``pd.Timedelta(39, unit="W")``, not ``pd.Timedelta(weeks=39)``, which warns the same way).
    """
    if not _PANDAS_GENERIC_TIMEDELTA:
        return pd.Timedelta(value)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "The 'generic' unit for NumPy timedelta is deprecated", DeprecationWarning
        )
        return pd.Timedelta(value)
