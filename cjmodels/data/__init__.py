"""Event-log data layer: validation, journeys, paths, transitions, durations and summaries."""

from cjmodels.data.events import EVENT_TYPES, PATH_SEPARATOR, EventLog, read_events, time_to_float
from cjmodels.data.stages import (
    CONVERSION,
    DROP_OUT,
    FIVE_STAGE,
    NULL,
    SEVEN_STAGE,
    SIX_STAGE,
    START,
    StageScheme,
    get_scheme,
    list_schemes,
)

__all__ = [
    "CONVERSION",
    "DROP_OUT",
    "EVENT_TYPES",
    "FIVE_STAGE",
    "NULL",
    "PATH_SEPARATOR",
    "SEVEN_STAGE",
    "SIX_STAGE",
    "START",
    "EventLog",
    "StageScheme",
    "get_scheme",
    "list_schemes",
    "read_events",
    "time_to_float",
]
