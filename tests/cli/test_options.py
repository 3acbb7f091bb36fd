"""The options every subcommand shares are defined once: each subcommand that reads an event
log takes the same FILE options, and they work in each (survival included)."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from cjmodels.cli import COMMANDS, build_parser, main
from cjmodels.cli._options import EVENT_LOG_OPTIONS


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _shared(parser: argparse.ArgumentParser) -> dict[str, tuple]:
    """The shared event-log options of a subcommand: flag -> what defines it."""
    return {
        a.option_strings[0]: (a.dest, a.default, a.type, a.metavar, a.help)
        for a in parser._actions
        if a.dest in EVENT_LOG_OPTIONS
    }


#: The subcommands that read an event log (FILE).
READERS = ["validate", "paths", "transitions", "stages", "attribute", "survival", "abtest", "funnel", "steps"]


def test_every_subcommand_has_a_module_and_the_readers_are_those_with_a_file():
    parsers = _subparsers()
    assert list(parsers) == list(COMMANDS)
    with_file = [n for n, p in parsers.items() if any(a.dest == "file" for a in p._actions)]
    assert sorted(with_file) == sorted(READERS)


@pytest.mark.parametrize("command", READERS)
def test_readers_share_the_same_event_log_options(command):
    parsers = _subparsers()
    ref = _shared(parsers["validate"])
    assert sorted(ref) == sorted(
        ["--sep", "--encoding", "--customer", "--timestamp", "--event", "--channel", "--stage",
         "--value", "--scheme", "--observation-end", "--event-map"])
    assert _shared(parsers[command]) == ref
    formats = [a for a in parsers[command]._actions if a.dest == "format"]
    assert len(formats) == 1 and formats[0].choices == ("text", "json")


def _stage_log(path) -> None:
    pd.DataFrame({
        "user": [1, 1, 1, 2, 2, 3],
        "when": ["2025-01-01", "2025-01-03", "2025-01-06", "2025-01-02", "2025-01-05",
                 "2025-01-04"],
        "what": ["click", "click", "purchase", "click", "click", "click"],
        "phase": ["need", "search_evaluation", "purchase", "need", "need", "need"],
        "amount": [0.0, 0.0, 30.0, 0.0, 0.0, 0.0],
    }).to_csv(path, sep=";", index=False)


@pytest.mark.parametrize("command", ["validate", "survival", "stages", "transitions"])
def test_readers_read_the_same_file_with_the_same_options(command, tmp_path, capsys):
    p = tmp_path / "log.csv"
    _stage_log(p)
    argv = [command, str(p), "--sep", "semicolon", "--encoding", "utf-8", "--customer", "user",
            "--timestamp", "when", "--event", "what", "--event-map",
            "click=touch,purchase=conversion", "--stage", "phase", "--value", "amount",
            "--scheme", "five", "--format", "json"]
    if command == "transitions":
        argv += ["--sequence", "stage"]
    assert main(argv) == 0, capsys.readouterr()
    out = json.loads(capsys.readouterr().out)
    assert out


def test_survival_takes_stage_value_and_scheme(tmp_path, capsys):
    p = tmp_path / "log.csv"
    _stage_log(p)
    base = ["survival", str(p), "--sep", ";", "--customer", "user", "--timestamp", "when",
            "--event", "what", "--event-map", "click=touch,purchase=conversion",
            "--format", "json"]
    assert main([*base, "--stage", "phase", "--value", "amount", "--scheme", "five"]) == 0
    with_stages = json.loads(capsys.readouterr().out)
    assert main([*base, "--stage", "none", "--value", "none"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert with_stages["time_to_purchase"] == without["time_to_purchase"]
    assert with_stages["time_to_purchase"]["n_purchases"] == 1
    # a stage outside the scheme is refused through the shared options, exit 2
    assert main([*base, "--stage", "phase", "--scheme", "six"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert "'phase'" in error and "scheme 'six'" in error


def test_abtest_reads_an_event_log_with_the_shared_options(tmp_path, capsys):
    rows = []
    for i in range(40):
        arm = "control" if i % 2 else "treatment"
        rows.append({"user": i, "when": "2025-01-01", "what": "assign", "arm": arm})
        if i % 3 == 0:
            rows.append({"user": i, "when": "2025-01-05", "what": "buy", "arm": None})
    p = tmp_path / "exp.tsv"
    pd.DataFrame(rows).to_csv(p, sep="\t", index=False)
    argv = ["abtest", str(p), "--sep", "tab", "--variant", "arm", "--customer", "user",
            "--timestamp", "when", "--event", "what", "--event-map",
            "assign=assignment,buy=conversion", "--format", "json"]
    assert main(argv) == 0, capsys.readouterr()
    out = json.loads(capsys.readouterr().out)
    assert out["input"] == "events"
    assert {r["arm"]: r["n"] for r in out["arms"]} == {"control": 20, "treatment": 20}


def test_python_m_runs_the_command():
    import subprocess
    import sys

    from cjmodels import __version__

    done = subprocess.run([sys.executable, "-m", "cjmodels.cli", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and __version__ in done.stdout
