"""The command line: exit codes, messages and JSON output."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cjmodels import __version__
from cjmodels.cli import main


def write_log(path, **changes) -> None:
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "timestamp": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-02"],
            "event": ["touch", "touch", "conversion", "touch"],
            "channel": ["search", "email", None, "social"],
            "value": [0.0, 0.0, 20.0, 0.0],
        }
    )
    for col, (row, value) in changes.items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    df.to_csv(path, index=False)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_validate_nan_timestamp_exits_nonzero_naming_column_and_row(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    write_log(p, timestamp=(2, None))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "'timestamp'" in err and "rows [4]" in err and "file lines" in err
    assert main(["validate", str(p), "--format", "json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and "'timestamp'" in out["error"]


def test_validate_good_file(tmp_path, capsys):
    p = tmp_path / "good.csv"
    write_log(p)
    assert main(["validate", str(p), "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["valid"] and rep["n_events"] == 4 and rep["channels"]["email"] == 1
    assert main(["validate", str(p)]) == 0
    assert "valid event log" in capsys.readouterr().out


def test_validate_other_column_names(tmp_path, capsys):
    p = tmp_path / "renamed.csv"
    write_log(p)
    pd.read_csv(p).rename(columns={"customer_id": "user"}).to_csv(p, index=False)
    assert main(["validate", str(p)]) == 2
    assert "'customer_id'" in capsys.readouterr().err
    assert main(["validate", str(p), "--customer", "user"]) == 0


def test_paths_and_transitions(tmp_path, capsys):
    p = tmp_path / "log.csv"
    write_log(p)
    out = tmp_path / "paths.csv"
    assert main(["paths", str(p), "--out", str(out), "--format", "json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["total_conversions"] == 1 and out.exists()
    assert pd.read_csv(out)["path"].tolist() == ["search > email", "social"]
    assert main(["transitions", str(p), "--format", "json"]) == 0
    tc = json.loads(capsys.readouterr().out)
    assert {"from": "email", "to": "(conversion)", "count": 1.0} in tc["transitions"]
    assert tc["type"] == "TransitionCounts" and tc["info"]["sequence"] == "channel"


def test_transitions_sequence_flag_takes_the_api_strings(tmp_path, capsys):
    p = tmp_path / "log.csv"
    write_log(p)
    pd.read_csv(p).assign(stage=["awareness", "consideration", None, "awareness"]).to_csv(
        p, index=False)
    assert main(["transitions", str(p), "--sequence", "stage", "--format", "json"]) == 0
    tc = json.loads(capsys.readouterr().out)
    assert tc["info"]["sequence"] == "stage"
    assert {"from": "awareness", "to": "consideration", "count": 1.0} in tc["transitions"]
    with pytest.raises(SystemExit) as exc:  # the old flag is gone, no alias
        main(["transitions", str(p), "--by", "stage"])
    assert exc.value.code == 2
    capsys.readouterr()


def test_every_flag_is_its_api_keyword_in_kebab_case():
    """The flags of every subcommand are the keywords they set (``--n-boot`` -> ``n_boot``),
    so messages of the API translate to flags without a table of aliases."""
    import argparse

    from cjmodels.cli import _flags, build_parser, cli_message

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    wrong = [
        f"{name} {o} (sets {a.dest})"
        for name, parser in sub.choices.items()
        for a in parser._actions
        for o in a.option_strings
        if o.startswith("--") and o[2:].removeprefix("no-").replace("-", "_") != a.dest
    ]
    assert not wrong, wrong
    assert _flags("transitions")["sequence"] == "--sequence"
    assert cli_message("sequence == 'path', must be one of", "transitions") == (
        "--sequence path, must be one of")


@pytest.mark.parametrize("world", ["journeys", "subscriptions", "transactions", "experiment"])
def test_simulate_writes_events_and_truth(tmp_path, capsys, world):
    out = tmp_path / f"{world}.csv.gz"
    assert main(["simulate", world, "--n-customers", "300", "--random-state", "3",
                 "--out", str(out)]) == 0
    assert out.exists()
    truth = json.loads((tmp_path / f"{world}.csv.gz.truth.json").read_text())
    assert truth["name"] == world and truth["params"]
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()


def test_simulate_bad_suffix(tmp_path, capsys):
    assert main(["simulate", "journeys", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "use a .csv" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_datasets_list(capsys):
    assert main(["datasets", "list", "--format", "json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {
        "experiment",
        "journeys",
        "subscriptions",
        "transactions",
    }


def test_paths_and_transitions_counted_by_duckdb_equal_memory(tmp_path, capsys):
    """``--engine duckdb`` reads the file in DuckDB (larger than memory) and prints the same
    path table and transition counts as the in-memory log."""
    pytest.importorskip("duckdb")
    p = tmp_path / "events.parquet"
    assert main(["simulate", "journeys", "--out", str(p), "--n-customers", "1500"]) == 0
    capsys.readouterr()
    results = {}
    for engine in ("memory", "duckdb"):
        paths_csv = tmp_path / f"paths_{engine}.csv"
        assert main(["paths", str(p), "--timeout", "30D", "--engine", engine, "--out",
                     str(paths_csv), "--format", "json"]) == 0
        res = json.loads(capsys.readouterr().out)
        assert main(["transitions", str(p), "--order", "2", "--engine", engine,
                     "--format", "json"]) == 0
        tc = json.loads(capsys.readouterr().out)
        results[engine] = (pd.read_csv(paths_csv), res["total_conversions"], tc["transitions"])
    mem, duck = results["memory"], results["duckdb"]
    pd.testing.assert_frame_equal(mem[0], duck[0], rtol=1e-12)
    assert mem[1] == duck[1] > 0
    assert mem[2] == duck[2]


def test_engine_refuses_in_memory_only_options(tmp_path, capsys):
    pytest.importorskip("duckdb")
    p = tmp_path / "events.parquet"
    assert main(["simulate", "journeys", "--out", str(p), "--n-customers", "200"]) == 0
    capsys.readouterr()
    assert main(["paths", str(p), "--engine", "duckdb", "--scheme", "five"]) == 2
    assert "--scheme and --event none need the in-memory engine" in capsys.readouterr().err
