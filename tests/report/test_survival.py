"""The survival section of the demo report."""

from __future__ import annotations

import json

import pytest


def test_report_section(tmp_path):
    from cjmodels.report import Context
    from cjmodels.report.survival import section

    s = section(Context(tmp_path))
    json.dumps(s.values, default=float)
    assert s.values["sbg"]["regular"]["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert any(f.endswith("survival.png") for f in s.files)
