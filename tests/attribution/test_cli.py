"""``cjmodels attribute`` and the demo report section."""

from __future__ import annotations

import json

import pytest

from cjmodels.attribution._cli import CLI_MODELS
from cjmodels.cli import main

from .conftest import REF


@pytest.mark.parametrize("model", list(CLI_MODELS))
def test_every_model_as_json(capsys, model):
    src = REF / "random_paths.csv"
    if model == "time-decay":
        from cjmodels.datasets import data_dir

        src = data_dir() / "journeys.csv.gz"
    rc = main(["attribute", str(src), "--model", model, "--format", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total_conversions"] > 0
    rows = out["channels"]
    assert sum(r["conversions"] for r in rows) == pytest.approx(out["total_conversions"])
    assert {"channel", "conversions", "value"} <= set(rows[0])
    if model == "markov":
        assert "removal_effect" in rows[0]


def test_markov_with_bootstrap_text_and_json(capsys):
    src = str(REF / "random_paths.csv")
    assert main(["attribute", src, "--model", "markov", "--order", "2", "--bootstrap", "20"]) == 0
    text = capsys.readouterr().out
    assert "removal_effect_ci_low" in text and "P(conversion)" in text
    assert main(["attribute", src, "--order", "2", "--bootstrap", "20", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["channels"]
    for key in ("removal_effect", "removal_effect_ci_low", "removal_effect_ci_high",
                "conversions_ci_low", "conversions_ci_high", "value_ci_low", "value_ci_high"):
        assert key in rows[0]


def test_bad_input_exits_2(capsys, tmp_path):
    src = str(REF / "random_paths.csv")
    assert main(["attribute", src, "--order", "0"]) == 2
    assert "order" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("path,total_conversions,total_null\na > start,1,0\n")
    assert main(["attribute", str(bad)]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main(["attribute", str(tmp_path / "missing.csv")]) == 2


def test_report_section(tmp_path):
    import json as js

    from cjmodels._json import to_jsonable
    from cjmodels.attribution._report import section
    from cjmodels.report import Context

    s = section(Context(tmp_path))
    assert any("held-out log-loss" in line for line in s.lines)
    js.dumps(to_jsonable(s.values))
    assert (tmp_path / "attribution.png").exists()
