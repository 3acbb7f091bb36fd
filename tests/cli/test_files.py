"""The command line on strangers' files: read by content, one-line errors with exit 2, no
traceback, and outputs that never replace a file silently."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from cjmodels.cli import cli_message, main

GOOD = (
    "customer_id,timestamp,event,channel,stage,value\n"
    "1,2025-01-01,touch,email,awareness,0\n"
    "1,2025-01-02,touch,search,consideration,0\n"
    "1,2025-01-03,conversion,,purchase,20.5\n"
    "2,2025-01-02,touch,social,awareness,0\n"
    "2,2025-01-05,drop_out,,,0\n"
)

#: every subcommand that reads a FILE, with the arguments it needs besides the file
READERS = {
    "validate": [],
    "paths": [],
    "transitions": [],
    "stages": [],
    "attribute": ["--model", "first"],
    "survival": [],
    "abtest": [],
}


def _malformed(tmp_path, kind):
    """Write one malformed file of the given kind; return its path."""
    header = GOOD.splitlines()[0] + "\n"
    files = {
        "garbage": ("garbage.csv", bytes(range(256)) * 8),
        "utf16-no-bom": ("utf16.csv", GOOD.encode("utf-16-le")),
        "latin1": ("latin1.csv", (GOOD + "3,2025-01-04,touch,caf\u00e9,awareness,0\n")
                   .encode("latin-1")),
        "truncated-gzip": ("trunc.csv.gz", gzip.compress((GOOD * 300).encode())[:200]),
        "fake-parquet": ("fake.parquet", GOOD.encode()),
        "empty": ("empty.csv", b""),
        "header-only": ("header.csv", header.encode()),
        "ragged": ("ragged.csv", (GOOD + "3,2025-01-04,touch,a,b,0,extra\n").encode()),
        "short-row": ("short.csv", (GOOD + "3,2025-01-04,touch\n").encode()),
        "headerless": ("one.csv", b"1,2025-01-01,touch,email\n"),
    }
    if kind == "directory":
        d = tmp_path / "folder.csv"
        d.mkdir()
        return d
    if kind == "missing":
        return tmp_path / "missing.csv"
    name, data = files[kind]
    p = tmp_path / name
    p.write_bytes(data)
    return p


MALFORMED = ["garbage", "utf16-no-bom", "latin1", "truncated-gzip", "directory", "fake-parquet",
             "empty", "header-only", "ragged", "short-row", "headerless", "missing"]


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("command", list(READERS))
def test_every_malformed_file_in_every_subcommand(tmp_path, capsys, command, kind):
    p = _malformed(tmp_path, kind)
    code = main([command, str(p), *READERS[command]])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"cjmodels {command}: error: {p}")
    # the message says what to do: a flag, a fix or what the file should be
    assert any(w in lines[0] for w in ("--", "give", "Give", "add", "Add", "export", "Export",
                                       "check", "rename", "fix", "get", "Write", "save")), err


@pytest.mark.parametrize("command", list(READERS))
def test_malformed_file_as_json_is_strict_json_on_stdout(tmp_path, capsys, command):
    p = _malformed(tmp_path, "empty")
    assert main([command, str(p), *READERS[command], "--format", "json"]) == 2
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["valid"] is False and str(p) in payload["error"] and err == ""


def test_latin1_hint_names_the_flag_and_the_flag_reads_it(tmp_path, capsys):
    p = _malformed(tmp_path, "latin1")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "--encoding latin-1" in err and "encoding=" not in err and "line 7" in err
    assert main(["validate", str(p), "--encoding", "latin-1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["channels"]["caf\u00e9"] == 1


def test_utf16_hint_and_flag(tmp_path, capsys):
    p = _malformed(tmp_path, "utf16-no-bom")
    assert main(["validate", str(p)]) == 2
    assert "--encoding utf-16-le" in capsys.readouterr().err
    assert main(["validate", str(p), "--encoding", "utf-16-le"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(("sep", "flag"), [(";", None), ("\t", None), ("|", None),
                                           (";", ";"), ("\t", "tab"), ("\t", "\\t")])
def test_any_delimiter_in_memory(tmp_path, capsys, sep, flag):
    p = tmp_path / "eu.csv"
    p.write_text(GOOD.replace(",", sep))
    for command in ("validate", "paths", "transitions"):
        args = [command, str(p), "--format", "json"] + (["--sep", flag] if flag else [])
        assert main(args) == 0, capsys.readouterr().err
        capsys.readouterr()


def test_gzip_by_content_in_every_reader(tmp_path, capsys):
    p = tmp_path / "log.csv"  # gzip inside, no .gz suffix
    p.write_bytes(gzip.compress(GOOD.encode()))
    assert main(["validate", str(p), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_events"] == 5
    assert main(["attribute", str(p), "--model", "last", "--format", "json"]) == 0
    capsys.readouterr()


def test_event_map(tmp_path, capsys):
    p = tmp_path / "clicks.csv"
    p.write_text(GOOD.replace("touch", "click").replace("conversion", "purchase"))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "--event-map" in err and "event_types" not in err
    assert main(["validate", str(p), "--event-map", "click=touch,purchase=conversion",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"]["conversion"] == 1
    assert main(["attribute", str(p), "--model", "first", "--event-map",
                 "click=touch,purchase=conversion"]) == 0
    capsys.readouterr()
    for bad, expected in [("click=visit", "not one of our event words"),
                          ("click", "yours=ours"), ("click=touch,=conversion", "yours=ours"),
                          ("click=touch,click=conversion", "twice")]:
        assert main(["validate", str(p), "--event-map", bad]) == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1


def test_hints_name_cli_flags_not_python_keywords(tmp_path, capsys):
    p = tmp_path / "renamed.csv"
    p.write_text(GOOD.replace("customer_id", "user"))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "--customer ..." in err and "customer=" not in err
    q = tmp_path / "noevent.csv"
    q.write_text(GOOD.replace("event", "kind"))
    assert main(["validate", str(q)]) == 2
    err = capsys.readouterr().err
    assert "--event ..." in err and "--event none" in err and "event=None" not in err


def test_cli_message_translation():
    assert cli_message("Name the right column with timestamp=...") == (
        "Name the right column with --timestamp ...")
    assert cli_message("or pass value=None to ignore values") == (
        "or pass --value none to ignore values")
    assert cli_message("alpha == 1.5, must be in (0, 1).") == "--alpha 1.5, must be in (0, 1)."
    assert cli_message("use encoding='latin-1' (or 'cp1252')") == (
        "use --encoding latin-1 (or 'cp1252')")
    assert cli_message("gap with observation_end=..., or timeout='30D'") == (
        "gap with --observation-end ..., or --timeout 30D")
    assert cli_message("two\nlines") == "two lines"
    assert cli_message("explicitly: separator= one of '>'") == "explicitly: --separator one of '>'"
    # words that merely contain a keyword are left alone
    assert cli_message("df.value=3 and my_channel=2") == "df.value=3 and my_channel=2"


def test_value_none_ignores_the_value_column(tmp_path, capsys):
    p = tmp_path / "log.csv"
    p.write_text(GOOD.replace("20.5", "lots"))
    assert main(["validate", str(p)]) == 2
    capsys.readouterr()
    assert main(["validate", str(p), "--value", "none"]) == 0
    capsys.readouterr()


# ------------------------------------------------------------------ outputs
def test_paths_refuses_to_overwrite_its_input_even_with_force(tmp_path, capsys):
    p = tmp_path / "events.csv"
    p.write_text(GOOD)
    before = p.read_bytes()
    for extra in ([], ["--force"]):
        assert main(["paths", str(p), "--out", str(p), *extra]) == 2
        err = capsys.readouterr().err
        assert "input file" in err and len(err.strip().splitlines()) == 1
    # the same file by another spelling
    alias = tmp_path / "sub" / ".." / "events.csv"
    assert main(["paths", str(p), "--out", str(alias), "--force"]) == 2
    capsys.readouterr()
    assert p.read_bytes() == before


def test_paths_out_refuses_existing_unless_force_and_creates_folders(tmp_path, capsys):
    p = tmp_path / "events.csv"
    p.write_text(GOOD)
    out = tmp_path / "old.csv"
    out.write_text("keep me\n")
    assert main(["paths", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err and out.read_text() == "keep me\n"
    assert main(["paths", str(p), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert "path" in pd.read_csv(out).columns
    new = tmp_path / "new" / "deeper" / "paths.csv"
    assert main(["paths", str(p), "--out", str(new)]) == 0
    assert "created folder" in capsys.readouterr().out and new.exists()
    assert main(["paths", str(p), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_simulate_refuses_to_overwrite_events_and_truth(tmp_path, capsys):
    out = tmp_path / "w.csv"
    args = ["simulate", "journeys", "--n-customers", "50", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    truth = tmp_path / "w.csv.truth.json"
    stamp = (out.read_bytes(), truth.read_bytes())
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    out.unlink()  # only the truth file is left: still refused
    assert main(args) == 2
    assert "--truth" in capsys.readouterr().err and truth.read_bytes() == stamp[1]
    assert main([*args, "--force"]) == 0
    capsys.readouterr()
    assert main([*args, "--truth", str(out), "--force"]) == 2
    assert "same file" in capsys.readouterr().err
    deep = tmp_path / "a" / "b" / "w.parquet"
    assert main(["simulate", "journeys", "--n-customers", "50", "--out", str(deep),
                 "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["notes"] == [f"created folder {deep.parent}"] and deep.exists()


def test_datasets_build_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    from cjmodels import datasets

    calls = []
    monkeypatch.setattr(datasets, "build_datasets", lambda out: calls.append(out) or [])
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "journeys.json").write_text("{}")
    assert main(["datasets", "build", "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "journeys.json" in err and "--force" in err and not calls
    assert main(["datasets", "build", "--out", str(folder), "--force"]) == 0
    assert calls == [str(folder)]
    capsys.readouterr()
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["datasets", "build", "--out", str(f)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["datasets", "verify", "--out", str(tmp_path / "nowhere")]) == 2
    capsys.readouterr()


def test_demo_refuses_a_folder_with_files_unless_force(tmp_path, capsys, monkeypatch):
    import cjmodels.report as report

    class Fake:
        def to_dict(self):
            return {"sections": []}

        def text(self):
            return "demo report"

    runs = []
    monkeypatch.setattr(report, "run_demo", lambda out: runs.append(out) or Fake())
    folder = tmp_path / "demo"
    assert main(["demo", "--out", str(folder)]) == 0
    assert "created folder" in capsys.readouterr().out and runs == [str(folder)]
    (folder / "report.txt").write_text("old")
    assert main(["demo", "--out", str(folder)]) == 2
    assert "--force" in capsys.readouterr().err and len(runs) == 1
    assert main(["demo", "--out", str(folder), "--force"]) == 0
    capsys.readouterr()
    assert len(runs) == 2


def test_json_output_is_strict(tmp_path, capsys):
    p = tmp_path / "events.csv"
    p.write_text(GOOD)
    for command in ("validate", "paths", "transitions", "stages", "survival"):
        assert main([command, str(p), "--format", "json"]) == 0, command
        json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))


# ------------------------------------------------------------------ path tables and engines
CA_PATHS = [("a", "b"), ("b",), ("a", "c", "b")]


def _path_table(path, separator):
    rows = [separator.join(p) for p in CA_PATHS]
    pd.DataFrame({"path": rows, "total_conversions": [3, 1, 2], "total_null": [7, 9, 2],
                  "total_conversion_value": [30.0, 5.0, 10.0]}).to_csv(path, index=False)


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("separator", [">", " > "])
def test_attribute_path_table_separator(tmp_path, capsys, separator, given):
    """ChannelAttribution writes paths joined by '>' (its default) or ' > ': detected, or given
    with --separator, either gives the same channels and credits."""
    p = tmp_path / "paths.csv"
    _path_table(p, separator)
    flag = ["--separator", separator] if given else []
    assert main(["attribute", str(p), "--model", "linear", *flag, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["channels"]
    assert sorted(r["channel"] for r in rows) == ["a", "b", "c"]
    assert {r["channel"]: r["conversions"] for r in rows} == pytest.approx(
        {"a": 3 / 2 + 2 / 3, "b": 3 / 2 + 1 + 2 / 3, "c": 2 / 3})  # linear: equal shares


def test_attribute_mixed_separators_refused_naming_the_flag(tmp_path, capsys):
    p = tmp_path / "mixed.csv"
    p.write_text("path,total_conversions,total_null\na>b,3,7\na > c,1,9\n")
    assert main(["attribute", str(p)]) == 2
    err = capsys.readouterr().err
    assert "--separator" in err and "separator=" not in err and len(err.splitlines()) == 1


def test_separator_is_for_path_tables_only(tmp_path, capsys):
    p = tmp_path / "events.csv"
    p.write_text(GOOD)
    assert main(["attribute", str(p), "--separator", ">"]) == 2
    err = capsys.readouterr().err
    assert "--separator is for path tables" in err and len(err.strip().splitlines()) == 1


def test_duckdb_engine_refuses_memory_only_flags_and_names_bad_files(tmp_path, capsys):
    pytest.importorskip("duckdb")
    p = tmp_path / "events.csv"
    p.write_text(GOOD)
    assert main(["paths", str(p), "--engine", "duckdb", "--sep", ";"]) == 2
    assert "--sep need the in-memory engine" in capsys.readouterr().err
    for kind in ("empty", "directory", "missing", "garbage", "truncated-gzip", "fake-parquet"):
        bad = _malformed(tmp_path, kind) if kind != "directory" else tmp_path / "folder.csv"
        if kind == "directory" and not bad.exists():
            bad.mkdir()
        code = main(["paths", str(bad), "--engine", "duckdb"])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"cjmodels paths: error: {bad}")


def test_warnings_are_one_line_on_stderr(tmp_path, capsys):
    # a channel called "NA" is kept as a label; the warning says so in the CLI's own form
    p = tmp_path / "na.csv"
    p.write_text("customer_id,timestamp,event,channel\n1,2025-01-01,touch,NA\n"
                 "1,2025-01-02,touch,email\n")
    from cjmodels.cli import console  # the installed program

    assert console(["validate", str(p)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cjmodels validate: warning: ")
    assert "'NA'" in err[0] and "kept as text labels" in err[0]
