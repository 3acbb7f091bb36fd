"""Contract examples for the world of known behavioural segments (see _cases.py)."""

from __future__ import annotations

from typing import Any

from cjmodels.synthetic import SegmentWorld, simulate_segment_journeys

RESULTS: dict[type, Any] = {
    SegmentWorld: lambda: simulate_segment_journeys(40, random_state=5),
}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cjmodels.synthetic.SegmentWorld.transition_matrix", "segment"): (
        "one of the simulated segments (whose true matrix to show), not a grouping column of "
        "data"
    ),
}
