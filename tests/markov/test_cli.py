"""The ``cjmodels stages`` subcommand."""

from __future__ import annotations

import json

from cjmodels.cli import main
from tests.markov.conftest import P_TRUE, STATES, walks_to_log


def test_stages_text_and_json(tmp_path, capsys):
    from cjmodels.markov import MarkovChain

    df = walks_to_log(MarkovChain(STATES, P_TRUE, start="(start)").simulate(300, random_state=1))
    f = tmp_path / "ev.csv"
    df.to_csv(f, index=False)
    assert main(["stages", str(f)]) == 0
    out = capsys.readouterr().out
    assert "funnel:" in out and "most customers are lost at" in out and "dwell" in out
    assert main(["stages", str(f), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"chain", "absorbing", "funnel", "dwell_times"} <= set(payload)
    assert payload["chain"]["intervals"]["method"] == "wilson"
    assert main(["stages", str(f), "--prior", "flat"]) == 1
