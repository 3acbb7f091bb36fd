"""The attribution section of the demo report."""

from __future__ import annotations


def test_report_section(tmp_path):
    import json as js

    from cjmodels._json import to_jsonable
    from cjmodels.report import Context
    from cjmodels.report.attribution import section

    s = section(Context(tmp_path))
    assert any("held-out log-loss" in line for line in s.lines)
    js.dumps(to_jsonable(s.values))
    assert (tmp_path / "attribution.png").exists()
