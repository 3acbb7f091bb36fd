"""The ``cjmodels steps`` subcommand (cjmodels/cli/steps.py), run through its own parser."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from cjmodels.analytics import step_matrix
from cjmodels.cli import steps
from cjmodels.data import JourneySpec
from cjmodels.datasets import data_dir, load_journeys
from cjmodels.errors import ValidationError

EVENTS = str(data_dir() / "journeys.csv.gz")


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command")
    steps.add_parser(sub)
    return steps.run(ap.parse_args(["steps", *argv]))


def test_text_and_json_equal_the_api(capsys):
    assert run([EVENTS, "--anchor", "decision", "--before", "2", "--after", "2"]) == 0
    out = capsys.readouterr().out
    assert "StepMatrix(anchor='decision'" in out and "(conversion)" in out
    assert run([EVENTS, "--anchor", "email", "--sequence", "channel", "--before", "1",
                "--after", "3", "--timeout", "30D", "--occurrence", "every", "--alpha", "0.1",
                "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    api = step_matrix(load_journeys().event_log(), anchor="email", before=1, after=3,
                      spec=JourneySpec(sequence="channel", timeout="30D"),
                      occurrence="every", alpha=0.1)
    assert payload == api.to_dict()
    assert payload["type"] == "StepMatrix" and payload["occurrence"] == "every"


def test_two_segments(capsys):
    argv = [EVENTS, "--anchor", "email", "--sequence", "channel", "--before", "1",
            "--after", "2", "--group", "segment", "--test", "g-test", "--correction", "bh"]
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert "overall: g-test per step" in out and "per step:" in out and "beyond noise" in out
    assert run([*argv, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["type"] == "StepMatrixComparison"
    assert payload["groups"] == ["business", "consumer"] and payload["correction"] == "bh"
    assert payload["test"]["method"] == "g-test per step (Bonferroni)"


def test_numeric_spans_and_refusals(tmp_path, capsys):
    f = tmp_path / "ev.csv"
    pd.DataFrame({"customer_id": [1, 1, 2, 3], "timestamp": [0, 20, 0, 28],
                  "event": "touch", "channel": ["a", "a", "a", "a"]}).to_csv(f, index=False)
    assert run([str(f), "--anchor", "a", "--sequence", "channel", "--timeout", "5",
                "--before", "0", "--after", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["table"]
    counts = {r["state"]: r["count"] for r in rows if r["step"] == 1}
    assert counts["(drop_out)"] == 3 and counts["(censored)"] == 1
    with pytest.raises(ValidationError, match="anchor"):
        run([str(f), "--anchor", "zz", "--sequence", "channel"])
    with pytest.raises(ValidationError, match="before"):
        run([str(f), "--anchor", "a", "--sequence", "channel", "--before", "-1"])
    with pytest.raises(SystemExit):
        run([str(f), "--anchor", "a", "--occurrence", "last"])
