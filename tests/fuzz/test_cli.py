"""Fuzz the command line: every subcommand that reads a file, on adversarial event logs, path
tables, experiment tables and arbitrary bytes written to a temporary folder.

Invariants: ``main`` returns (or exits with) a status code and never lets an exception escape;
no traceback is printed; ``--format json`` output is strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cjmodels.cli import main
from tests.fuzz.harness import call, count, fuzz
from tests.fuzz.strategies import event_logs, experiment_tables, path_tables

LOG_COMMANDS = (
    ["validate"],
    ["paths"],
    ["transitions"],
    ["transitions", "--by", "stage", "--order", "2"],
    ["stages"],
    ["attribute"],
    ["attribute", "--model", "shapley"],
    ["survival"],
    ["abtest"],
)
JSON_COMMANDS = {"validate", "stages", "attribute", "survival", "abtest"}


def _no_nan(name: str) -> None:
    raise AssertionError(f"JSON output holds {name}")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``cjmodels argv``; return the status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = call(main, argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    assert isinstance(code, int), f"cjmodels {' '.join(argv)} returned {code!r}"
    text_err = err.getvalue()
    assert "Traceback" not in text_err, f"cjmodels {' '.join(argv)} printed a traceback"
    if "--format" in argv and argv[argv.index("--format") + 1] == "json" and out.getvalue():
        json.loads(out.getvalue(), parse_constant=_no_nan)
    return code, out.getvalue(), text_err


def write(frame, folder: Path, fmt: str) -> Path | None:
    path = folder / f"input.{fmt}"
    try:
        if fmt == "parquet":
            frame.to_parquet(path)
        elif fmt == "tsv":
            frame.to_csv(path, index=False, sep="\t")
        elif fmt == "semicolon.csv":
            frame.to_csv(path, index=False, sep=";")
        else:
            frame.to_csv(path, index=False)
    except Exception:  # pyarrow cannot write some mixed object columns: not our concern
        return None
    return path


FORMATS = st.sampled_from(["csv", "csv.gz", "tsv", "semicolon.csv", "parquet"])


@given(log=event_logs(max_rows=25, variant=False), command=st.sampled_from(LOG_COMMANDS),
       fmt=FORMATS, as_json=st.booleans())
@fuzz(2)
def test_cli_on_event_logs(log, command, fmt, as_json):
    count()
    with tempfile.TemporaryDirectory() as d:
        path = write(log.frame, Path(d), fmt)
        if path is None:
            return
        argv = [*command, str(path)]
        if as_json and command[0] in JSON_COMMANDS:
            argv += ["--format", "json"]
        code, _, err = run_cli(argv)
        if code != 0:
            assert err.strip() or as_json, f"cjmodels {command[0]} failed without a message"


@given(table=path_tables(), sep=st.sampled_from([None, ">", " > "]), as_json=st.booleans())
@fuzz(2)
def test_cli_attribute_path_tables(table, sep, as_json):
    count()
    with tempfile.TemporaryDirectory() as d:
        path = write(table, Path(d), "csv")
        argv = ["attribute", str(path)]
        if sep is not None:
            argv += ["--separator", sep]
        if as_json:
            argv += ["--format", "json"]
        run_cli(argv)


@given(table=experiment_tables(), as_json=st.booleans(), cov=st.booleans())
@fuzz(2)
def test_cli_abtest_tables(table, as_json, cov):
    count()
    with tempfile.TemporaryDirectory() as d:
        path = write(table, Path(d), "csv")
        argv = ["abtest", str(path), "--metrics", "converted", "--metrics", "value"]
        if cov:
            argv += ["--covariates", "pre_value"]
        if as_json:
            argv += ["--format", "json"]
        run_cli(argv)


@given(blob=st.one_of(st.binary(max_size=200),
                      st.text(max_size=200).map(lambda s: s.encode("utf-8")),
                      st.text(max_size=100).map(lambda s: s.encode("utf-16")),
                      st.just(b"\x1f\x8b\x08\x00garbage"), st.just(b"PAR1xxxxPAR1"),
                      st.just(b"customer_id,timestamp,event\n"),
                      st.just(b"customer_id,timestamp,event\n1,2,touch,extra\n3\n")),
       suffix=st.sampled_from(["csv", "csv.gz", "parquet", "tsv", "txt"]),
       command=st.sampled_from(["validate", "paths", "transitions", "stages", "attribute",
                                "survival", "abtest"]))
@fuzz(2)
def test_cli_on_malformed_files(blob, suffix, command):
    count()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"input.{suffix}"
        path.write_bytes(blob)
        code, _, err = run_cli([command, str(path)])
        if code != 0:
            assert err.strip(), f"cjmodels {command} on a malformed file: no message"
