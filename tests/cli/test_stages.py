"""The ``cjmodels stages`` subcommand."""

from __future__ import annotations

import json

import numpy as np

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
    # --method is FittedChain.intervals' keyword and takes exactly its strings
    assert main(["stages", str(f), "--format", "json", "--method", "jeffreys"]) == 0
    assert json.loads(capsys.readouterr().out)["chain"]["intervals"]["method"] == "jeffreys"
    assert main(["stages", str(f), "--prior", "flat"]) == 2


# ---------------------------------------------------------------------- stages --continuous
def test_stages_continuous_reproduces_msm_cav(tmp_path, capsys):
    from pathlib import Path

    import numpy as np
    import pandas as pd

    cav = Path(__file__).resolve().parents[2] / "datasets" / "cav" / "cav.csv"
    q = np.array([[0, 0.25, 0, 0.25], [0.166, 0, 0.166, 0.166], [0, 0.25, 0, 0.25], [0] * 4])
    qf = tmp_path / "q.csv"
    pd.DataFrame(q, index=[1, 2, 3, 4], columns=[1, 2, 3, 4]).to_csv(qf)
    base = ["stages", str(cav), "--continuous", "--qmatrix", str(qf), "--customer", "PTNUM",
            "--timestamp", "years", "--event", "none", "--stage", "state", "--deathexact",
            "--t", "10"]
    assert main(base) == 0
    out = capsys.readouterr().out
    # msm manual: -2 * log-likelihood 3968.798; pmatrix.msm(cav.msm, t = 10)[1, 1] 0.3094
    assert "-2 log L = 3968.798" in out and "0.3094" in out and "sojourn" in out
    assert main(base + ["--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert abs(-2 * payload["model"]["log_likelihood"] - 3968.798) < 1e-3
    p11 = next(r for r in payload["pmatrix"] if r["from"] == "1" and r["to"] == "1")
    assert abs(p11["estimate"] - 0.30941) < 1e-4


def test_stages_continuous_from_simulated_snapshots(tmp_path, capsys):
    from cjmodels.synthetic.panel import simulate_panel

    w = simulate_panel(400, random_state=2)
    f = tmp_path / "panel.csv"
    w.events.to_csv(f, index=False)
    moves = ("awareness>interest,awareness>drop_out,interest>consideration,interest>drop_out,"
             "consideration>interest,consideration>decision,consideration>drop_out,"
             "decision>consideration,decision>purchase,decision>drop_out")
    import pytest

    # 400 customers cannot identify an effect of `returning` on every move: flagged, not silent
    with pytest.warns(UserWarning, match="not identified"):
        assert main(["stages", str(f), "--continuous", "--transitions", moves, "--deathexact",
                     "--covariates", "returning", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["hazard_ratios"]) == 10
    assert any("returning: decision - consideration" in p for p in payload["model"]["problems"])
    assert payload["t"] == 30.0
    # neither --qmatrix nor --transitions, or a malformed one: exit 2 with the message
    assert main(["stages", str(f), "--continuous"]) == 2
    assert "--qmatrix" in capsys.readouterr().err
    assert main(["stages", str(f), "--continuous", "--transitions", "a-b"]) == 2
    assert "from>to" in capsys.readouterr().err


def test_stages_latent_recovers_stage_profiles(tmp_path, capsys):
    from cjmodels.synthetic.latent import simulate_latent_journeys

    w = simulate_latent_journeys(800, random_state=1)
    f = tmp_path / "latent.csv"
    w.events.to_csv(f, index=False)
    assert main(["stages", str(f), "--n-states", "3", "--n-init", "2", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["states"][-2:] == ["(conversion)", "(null)"]
    emis = np.array(payload["emissionprob"])[:3, :-2]
    np.testing.assert_allclose(emis.sum(axis=1), 1.0)
    # stage 1 (where journeys start) is the display/social stage of the world's awareness
    symbols = payload["symbols"][:-2]
    assert symbols[int(np.argmax(emis[0]))] in ("display", "social")
    # text output with a timeout that ends quiet journeys
    assert main(["stages", str(f), "--n-states", "2", "--n-init", "1", "--timeout", "30D"]) == 0
    assert "channel profile of each latent stage" in capsys.readouterr().out
    # bad input: exit 2 with the message
    assert main(["stages", str(f), "--n-states", "0"]) == 2
    assert "--n-states 0" in capsys.readouterr().err  # the flag, not n_states=
    assert main(["stages", str(f), "--n-states", "2", "--continuous"]) == 2
    assert "choose one" in capsys.readouterr().err
