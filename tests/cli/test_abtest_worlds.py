"""The ``cjmodels abtest`` command and the demo-report section."""

from __future__ import annotations

import json

import pytest

from cjmodels.cli import main
from cjmodels.data import experiment_table
from cjmodels.synthetic import simulate_experiment


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("abtest")
    w = simulate_experiment(3000, random_state=4)
    events = d / "events.csv"
    w.events.to_csv(events, index=False)
    table = experiment_table(w.event_log())
    table["sessions"] = 1.0 + table["pre_conversions"]
    tpath = d / "table.csv"
    table.to_csv(tpath, index=False)
    return events, tpath


def test_abtest_json_has_srm_and_comparisons(files, capsys):
    events, _ = files
    assert main(["abtest", str(events), "--metrics", "converted", "--metrics", "value",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"] == "events" and "pvalue" in out["srm"]
    keys = {"effect", "ci_low", "ci_high", "pvalue", "method"}
    assert out["comparisons"] and all(keys <= set(c) for c in out["comparisons"])


def test_abtest_table_text_with_cuped_and_ratio(files, capsys):
    _, tpath = files
    assert main(["abtest", str(tpath), "--variant", "variant", "--metrics", "converted",
                 "--covariates", "pre_value", "--missing-indicator",
                 "--ratios", "vps=value/sessions"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("sample ratio ok") and "cuped(pre_value, pre_value_missing)" in text
    assert "vps" in text


def test_abtest_bad_input_exit_2(files, capsys):
    _, tpath = files
    assert main(["abtest", str(tpath), "--metrics", "nope"]) == 2
    assert "--metrics 'nope' is not a column" in capsys.readouterr().err
    assert main(["abtest", str(tpath), "--ratios", "broken"]) == 2
    assert main(["abtest", str(tpath), "--variant", "arm", "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out)["valid"] is False
