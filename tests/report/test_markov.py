"""The demo-report section of the stage chains runs on the shipped data and is JSON-safe."""

from __future__ import annotations

import json
from pathlib import Path

from cjmodels.report import Context
from cjmodels.report.markov import section


def test_section_runs_on_shipped_journeys(tmp_path):
    s = section(Context(tmp_path))
    text = "\n".join(s.lines)
    assert "most customers are lost at decision" in text
    assert "buys again with probability" in text
    json.dumps(s.values, allow_nan=False)
    assert s.values["most_lost"] == "decision"
    assert 0 < s.values["repeat_purchase"]["quantities"]["probability"]["estimate"] < 1
    assert [Path(f).name for f in s.files] == ["stage_chain.png", "stage_funnel.csv"]
    assert all(Path(f).stat().st_size > 0 for f in s.files)


def test_hidden_stages_section_recovers_its_worlds(tmp_path):
    from cjmodels.report.markov import section_hidden_stages, sections

    assert sections == (section, section_hidden_stages)
    s = section_hidden_stages(Context(tmp_path))
    json.dumps(s.values, allow_nan=False)
    cont, lat = s.values["continuous"], s.values["latent"]
    assert cont["model"]["converged"]
    assert cont["covered"] >= cont["intensities"] - 2  # 95% intervals around known truth
    assert 0.6 < lat["decoding_accuracy"] < 1.0
    assert "Viterbi names the true stage" in "\n".join(s.lines)
