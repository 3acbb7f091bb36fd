"""``cjmodels attribute`` and the demo report section."""

from __future__ import annotations

import json

import pytest

from cjmodels.attribution import MODELS
from cjmodels.cli import main
from tests.attribution.conftest import REF


@pytest.mark.parametrize("model", list(MODELS))
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
    assert main(["attribute", src, "--model", "markov", "--order", "2", "--n-boot", "20"]) == 0
    text = capsys.readouterr().out
    assert "removal_effect_ci_low" in text and "P(conversion)" in text
    assert main(["attribute", src, "--order", "2", "--n-boot", "20", "--format", "json"]) == 0
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
    capsys.readouterr()
    assert main(["attribute", src, "--n-boot", "1"]) == 2
    assert "--n-boot" in capsys.readouterr().err  # the flag, not the Python keyword
    with pytest.raises(SystemExit):  # the API's strings only: no snake_case alias
        main(["attribute", src, "--model", "last_non_direct"])


def test_collapse_repeats_flag(capsys, tmp_path):
    # the command line keeps repeated channels, as the API does, unless --collapse-repeats
    # (ChannelAttribution's way)
    from cjmodels.attribution import attribute

    p = tmp_path / "rep.csv"
    p.write_text("path,total_conversions,total_null\na > a > b,3,1\nb > a,1,3\nb,1,2\n")
    out = {}
    for flag in ("--collapse-repeats", "--no-collapse-repeats"):
        assert main(["attribute", str(p), flag, "--format", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)["channels"]
        out[flag] = {r["channel"]: r["removal_effect"] for r in rows}
    assert main(["attribute", str(p), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["channels"]
    assert {r["channel"]: r["removal_effect"] for r in rows} == out["--no-collapse-repeats"]
    assert out["--collapse-repeats"] != out["--no-collapse-repeats"]
    for flag, collapse in (("--collapse-repeats", True), ("--no-collapse-repeats", False)):
        res = attribute(str(p), "markov", collapse_repeats=collapse)
        assert res.table["removal_effect"].to_dict() == pytest.approx(out[flag])
