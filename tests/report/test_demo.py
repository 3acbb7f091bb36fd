"""The main job runs end to end and writes its report, tables and figures."""

from __future__ import annotations

import json

from cjmodels.cli import main
from cjmodels.report import SECTIONS, run_demo


def test_demo_runs_and_writes_everything(tmp_path):
    report = run_demo(tmp_path)
    assert len(report.sections) == len(SECTIONS)
    text = report.text()
    for s in report.sections:
        assert s.title in text
        for f in s.files:
            assert (tmp_path / f.split("/")[-1]).stat().st_size > 0
    d = json.loads((tmp_path / "report.json").read_text())
    assert [s["title"] for s in d["sections"]] == [s.title for s in report.sections]
    journeys = d["sections"][1]["values"]
    # every journey has one outcome; a timeout splits journeys but never changes conversions
    assert sum(journeys["outcomes"].values()) == journeys["n_journeys"]
    assert journeys["outcomes_timeout_30d"]["conversion"] == journeys["outcomes"]["conversion"]
    assert journeys["outcomes"]["drop_out"] == 0  # the log has no drop-out rows


def test_demo_cli_json(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sections"]) == len(SECTIONS)
