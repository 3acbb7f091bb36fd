"""Event-log data layer: validation, journeys, paths, transitions, durations and summaries."""

from cjmodels.data._engine import engine_of
from cjmodels.data.arms import arm_event_logs
from cjmodels.data.counting import counting_process
from cjmodels.data.customers import calibration_holdout, rfm_summary
from cjmodels.data.durations import (
    interpurchase_times,
    subscription_lifetimes,
    time_to_first_purchase,
)
from cjmodels.data.events import EventLog
from cjmodels.data.experiments import experiment_table
from cjmodels.data.funnels import funnel_table, purchase_times
from cjmodels.data.io import read_events
from cjmodels.data.journeys import journey_set, journeys, path_table
from cjmodels.data.journeyset import OUTCOMES, JourneySet
from cjmodels.data.lives import LifecycleTransitions, lifecycle_transitions
from cjmodels.data.paths import PathTable, read_path_table
from cjmodels.data.prepare import PreparedLog, add_churn, collapse_events, relabel
from cjmodels.data.presets import EXPORT_PRESETS, ExportPreset, read_export
from cjmodels.data.purchase_counts import first_purchase_counts
from cjmodels.data.sequences import (
    JourneyTransitions,
    censor_recent,
    counts_from_table,
    journey_transitions,
)
from cjmodels.data.sessions import SessionTable, session_ids, sessions
from cjmodels.data.spec import JourneySpec
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
from cjmodels.data.timestamps import time_to_float
from cjmodels.data.touches import TouchSequences, touch_sequences
from cjmodels.data.transitions import CENSORED, TransitionCounts, transition_counts
from cjmodels.data.visits import stage_visits
from cjmodels.data.vocabulary import EVENT_TYPES, PATH_SEPARATOR

__all__ = [
    "CENSORED",
    "CONVERSION",
    "DROP_OUT",
    "EVENT_TYPES",
    "EXPORT_PRESETS",
    "FIVE_STAGE",
    "NULL",
    "OUTCOMES",
    "PATH_SEPARATOR",
    "SEVEN_STAGE",
    "SIX_STAGE",
    "START",
    "EventLog",
    "ExportPreset",
    "JourneySet",
    "JourneySpec",
    "JourneyTransitions",
    "LifecycleTransitions",
    "PathTable",
    "PreparedLog",
    "SessionTable",
    "StageScheme",
    "TouchSequences",
    "TransitionCounts",
    "add_churn",
    "arm_event_logs",
    "calibration_holdout",
    "censor_recent",
    "collapse_events",
    "counting_process",
    "counts_from_table",
    "engine_of",
    "experiment_table",
    "first_purchase_counts",
    "funnel_table",
    "get_scheme",
    "interpurchase_times",
    "journey_set",
    "journey_transitions",
    "journeys",
    "lifecycle_transitions",
    "list_schemes",
    "path_table",
    "purchase_times",
    "read_events",
    "read_export",
    "read_path_table",
    "relabel",
    "rfm_summary",
    "session_ids",
    "sessions",
    "stage_visits",
    "subscription_lifetimes",
    "time_to_first_purchase",
    "time_to_float",
    "touch_sequences",
    "transition_counts",
]
