"""Fuzz suite: profiles (see ``harness.py``) and the count of cases run per test.

At the end of a session the counts are printed and, when ``CJMODELS_FUZZ_COUNTS`` names a
file, written there as JSON (``make fuzz`` writes ``output/fuzz_counts.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.fuzz import harness


def pytest_report_header(config):
    return f"cjmodels fuzz profile: {harness.profile_name()}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not harness.CASES:
        return
    tr = terminalreporter
    tr.section(f"fuzz cases run (profile {harness.profile_name()})")
    width = max(len(k) for k in harness.CASES)
    for name, n in sorted(harness.CASES.items()):
        tr.write_line(f"{name:<{width}}  {n:>8,}")
    tr.write_line(f"{'total':<{width}}  {sum(harness.CASES.values()):>8,}")
    out = os.environ.get("CJMODELS_FUZZ_COUNTS")
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"profile": harness.profile_name(), "cases": dict(sorted(harness.CASES.items())),
                   "total": sum(harness.CASES.values())}
        path.write_text(json.dumps(payload, indent=2) + "\n")
