"""The ``cjmodels funnel`` subcommand (built into a parser of its own here; the lead registers
it in ``cjmodels.cli.COMMANDS``)."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from cjmodels.analytics import (
    compare_funnel_definitions,
    compare_funnels,
    funnel,
    window_conversion,
)
from cjmodels.cli import funnel as funnel_cli
from cjmodels.errors import ValidationError


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command")
    funnel_cli.add_parser(sub)
    return funnel_cli.run(ap.parse_args(["funnel", *argv]))


@pytest.fixture
def log_file(tmp_path):
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5],
        "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-01",
                                     "2025-01-02", "2025-01-01", "2025-01-06", "2025-01-01",
                                     "2025-01-02", "2025-01-20", "2025-01-25"]),
        "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "conversion",
                  "touch", "touch", "conversion", "touch"],
        "stage": ["visit", "cart", "buy", "cart", "visit", "visit", "buy", "visit", "cart",
                  "buy", "visit"],
        "segment": ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"],
    })
    f = tmp_path / "events.csv"
    df.to_csv(f, index=False)
    return f, df


def test_funnel_text_and_json_equal_the_api(log_file, capsys):
    f, df = log_file
    assert run([str(f), "--steps", "visit,cart,event=conversion"]) == 0
    out = capsys.readouterr().out
    assert "FunnelResult(definition='strict-order'" in out and "most units are lost at" in out
    assert run([str(f), "--steps", "visit,cart,event=conversion", "--definition",
                "furthest-stage", "--window", "7", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    api = funnel(df, ["visit", "cart", ("event", "conversion")], definition="furthest-stage",
                 window=7.0)
    assert payload == json.loads(json.dumps(api.to_dict()))
    # 1 and 3 convert within 7 days; 4 reaches cart (it converts on day 19); 2's cart came
    # before its visit (the window's anchor), so 2 and 5 reach visit only
    assert [s["reached"] for s in payload["steps"]] == [5, 3, 2]


def test_definitions_side_by_side(log_file, capsys):
    f, df = log_file
    assert run([str(f), "--steps", "visit,cart,buy", "--definitions",
                "strict-order,furthest-stage", "--grain", "journey", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    api = compare_funnel_definitions(df, ["visit", "cart", "buy"],
                                     definitions=["strict-order", "furthest-stage"],
                                     grain="journey")
    assert payload == json.loads(json.dumps(api.to_dict()))
    assert payload["reached"]["buy"] == {"strict-order": 2, "furthest-stage": 3}


def test_segments(log_file, capsys):
    f, df = log_file
    assert run([str(f), "--steps", "visit,buy", "--group", "segment", "--correction", "bh"]) == 0
    out = capsys.readouterr().out
    assert "FunnelComparison(groups=2" in out and "bh-adjusted" in out
    assert run([str(f), "--steps", "visit,buy", "--group", "segment", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    api = compare_funnels(df, ["visit", "buy"], group="segment")
    assert payload == json.loads(json.dumps(api.to_dict()))


def test_window_conversion(log_file, capsys):
    f, df = log_file
    assert run([str(f), "--origin", "visit", "--target", "event=conversion", "--window", "7D",
                "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    api = window_conversion(df, "visit", ("event", "conversion"), window="7D")
    assert payload == json.loads(json.dumps(api.to_dict()))
    assert (payload["n_origin"], payload["n_converted"], payload["n_censored"]) == (5, 2, 1)
    assert run([str(f), "--origin", "visit", "--target", "buy", "--window", "7D"]) == 0
    assert "censored (followed for less than the window): 1" in capsys.readouterr().out


def test_journey_options_and_sessions(log_file, capsys):
    f, df = log_file
    assert run([str(f), "--steps", "visit,cart", "--grain", "journey", "--timeout", "3",
                "--journeys", "first", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_units"] == 5
    assert run([str(f), "--steps", "visit,cart", "--grain", "session", "--inactivity", "2D",
                "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["grain"] == "session"


@pytest.mark.parametrize(("argv", "match"), [
    ([], "give the funnel's steps"),
    (["--steps", "visit"], "at least two"),
    (["--origin", "visit"], "go together"),
    (["--origin", "visit", "--target", "buy"], "needs --window"),
    (["--origin", "visit", "--target", "buy", "--window", "7D", "--steps", "a,b"], "drop"),
    (["--steps", "visit,buy", "--group", "segment", "--definitions", "any-order"], "drop"),
    (["--steps", "visit,buy", "--timeout", "3D"], "--grain journey"),
    (["--steps", "visit,buy", "--definitions", "strict"], "definitions"),
    (["--steps", "visit,buy", "--group", "nope"], "not a column"),
])
def test_errors_name_the_flag(log_file, argv, match):
    f, _ = log_file
    with pytest.raises(ValidationError, match=match):
        run([str(f), *argv])
