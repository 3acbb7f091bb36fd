"""The words of the event log that every data module shares, and nothing else.

A leaf: it imports nothing, so the event log, the journey reductions and the SQL the engines run
(:mod:`cjmodels.data._sqltext`) spell event types and paths the same way.

Examples
--------
>>> EVENT_TYPES.index("touch") < EVENT_TYPES.index("conversion")  # the tie order
True
>>> PATH_SEPARATOR.join(["email", "search"])
'email > search'
"""

from __future__ import annotations

__all__ = ["EVENT_TYPES", "PATH_SEPARATOR"]

#: Event types with a meaning in cjmodels, in the order used to break ties at equal timestamps.
EVENT_TYPES: tuple[str, ...] = (
    "subscribe",
    "assignment",
    "touch",
    "conversion",
    "drop_out",
    "churn",
)
#: Separator of channels in a path string (ChannelAttribution's layout).
PATH_SEPARATOR = " > "
