"""``cjmodels paths --top K --where PATTERN``: top paths with coverage, and path queries."""

from __future__ import annotations

import json

import pytest
from statsmodels.stats.proportion import proportion_confint

from cjmodels.analytics import select_journeys, top_paths
from cjmodels.cli import main
from cjmodels.data import JourneySpec, path_table, read_events
from cjmodels.datasets import load_journeys


@pytest.fixture(scope="module")
def shipped_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("paths") / "journeys.csv"
    load_journeys().event_log().events.to_csv(p, index=False)
    return p


def run_json(capsys, *argv):
    assert main(["paths", *map(str, argv), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_top_reports_the_top_paths_with_coverage(shipped_csv, capsys):
    res = run_json(capsys, shipped_csv, "--top", 5)
    tp = res["top_paths"]
    log = read_events(shipped_csv)
    want = top_paths(path_table(log), k=5)
    assert tp["table"]["path"] == want.table["path"].tolist()
    assert tp["table"]["journeys"] == want.table["journeys"].tolist()
    assert tp["coverage"] == pytest.approx(want.coverage)
    # the coverage interval is statsmodels' Wilson interval of the journeys on the 5 paths
    lo, hi = proportion_confint(sum(tp["table"]["journeys"]), res["n_journeys"], method="wilson")
    assert tp["coverage_ci"] == pytest.approx([lo, hi], abs=1e-12)
    assert tp["k"] == 5 and tp["rank"] == "journeys"
    assert res["where"] is None
    # the keys the command printed before --top reported coverage are unchanged
    assert {"n_paths", "n_journeys", "total_conversions", "channels", "info", "warnings",
            "out", "notes"} <= set(res)


def test_rank_and_alpha(shipped_csv, capsys):
    res = run_json(capsys, shipped_csv, "--top", 3, "--rank", "conversions", "--alpha", 0.1)
    tp = res["top_paths"]
    want = top_paths(path_table(read_events(shipped_csv)), k=3, rank="conversions", alpha=0.1)
    assert tp["table"]["path"] == want.table["path"].tolist()
    assert tp["alpha"] == 0.1


def test_where_keeps_the_matching_journeys(shipped_csv, capsys):
    pattern = "^email > ...(not sms) > (conversion)"
    res = run_json(capsys, shipped_csv, "--where", pattern, "--top", 4)
    log = read_events(shipped_csv)
    sub = select_journeys(log, pattern, spec=JourneySpec(sequence="channel"))
    pt = path_table(sub)
    assert res["n_journeys"] == pt.n_journeys
    assert res["total_conversions"] == pt.n_journeys  # every selected journey converted
    assert res["where"]["pattern"] == pattern
    assert res["where"]["journeys_selected"] == pt.n_journeys
    assert res["where"]["journeys_of_the_log"] == path_table(log).n_journeys
    assert all(p.startswith("email") and "sms" not in p for p in res["top_paths"]["table"]["path"])


def test_where_with_timeout_and_text_output(shipped_csv, capsys):
    assert main(["paths", str(shipped_csv), "--where", "display > ... > display",
                 "--timeout", "30D", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "journeys with a path match" in out and "the top 3 paths by journeys cover" in out
    log = read_events(shipped_csv)
    sub = select_journeys(log, "display > ... > display",
                          spec=JourneySpec(sequence="channel", timeout="30D"))
    assert repr(path_table(sub, timeout="30D")) in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--where", "email > > sms"], "position 6"),
    (["--where", "email", "--engine", "duckdb"], "--engine memory"),
    (["--top", "0"], "--top 0"),
    (["--where", "nothing_like_this"], "no journey selected"),
])
def test_bad_queries_exit_2_with_the_reason(shipped_csv, capsys, argv, message):
    assert main(["paths", str(shipped_csv), *argv]) == 2
    assert message in capsys.readouterr().err


def test_top_is_the_same_from_duckdb(shipped_csv, capsys):
    pytest.importorskip("duckdb")
    memory = run_json(capsys, shipped_csv, "--top", 6, "--timeout", "30D")["top_paths"]
    duck = run_json(capsys, shipped_csv, "--top", 6, "--timeout", "30D", "--engine",
                    "duckdb")["top_paths"]
    assert duck["table"] == memory["table"]
    assert duck["coverage_ci"] == memory["coverage_ci"]
