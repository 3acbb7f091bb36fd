"""The ``cjmodels`` command line: a thin layer over the Python API.

Every subcommand prints a readable report, or JSON with ``--format json`` (strict JSON: no NaN
or infinity). Exit status:

* 0: done;
* 2: the input, a file or a flag is wrong (a bad file, a column that is not there, an output
  that would replace an existing file without ``--force``, or an argparse usage error). One
  line goes to stderr, ``cjmodels COMMAND: error: FILE: what is wrong and what to do``, never a
  traceback; with ``--format json`` a JSON object ``{"valid": false, "error": ...}`` goes to
  stdout instead;
* 1: the command ran but a check it performs failed (``datasets verify`` found a mismatch, or
  ``abtest --fail-on-srm`` a sample-ratio mismatch).

Files are read by content (:func:`cjmodels.data.io.read_table`): Parquet and gzip/bz2/xz/zip by
their magic bytes, the delimiter sniffed unless ``--sep`` is given, ``--encoding`` for text that
is not UTF-8. Outputs never replace an existing file unless ``--force`` is given, and never the
input file.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cjmodels import __version__
from cjmodels.errors import CJModelsError, ValidationError

WORLDS = ("journeys", "subscriptions", "transactions", "experiment")
#: Capability subpackages that may add a subcommand through ``cjmodels.<name>._cli``.
CAPABILITIES = ("markov", "attribution", "survival", "experiments")


def _capability_clis() -> list[Any]:
    """The ``_cli`` modules of the capability subpackages that have one."""
    import importlib
    import importlib.util

    mods = []
    for name in CAPABILITIES:
        if importlib.util.find_spec(f"cjmodels.{name}") is None:
            continue
        if importlib.util.find_spec(f"cjmodels.{name}._cli") is not None:
            mods.append(importlib.import_module(f"cjmodels.{name}._cli"))
    return mods


#: Spellings of --sep that a shell makes awkward to type.
_SEP_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _sep(text: str) -> str:
    """``--sep``: one character, or tab / \\t / comma / semicolon / pipe."""
    sep = _SEP_NAMES.get(text.lower(), text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give one character, e.g. ';', or tab, comma, semicolon, pipe"
        )
    return sep


def _file_args(p: argparse.ArgumentParser) -> None:
    """``--sep`` and ``--encoding``: how to read a text FILE (every subcommand that reads one)."""
    g = p.add_argument_group("reading FILE")
    g.add_argument("--sep", type=_sep, default=None,
                   help="field delimiter of a text file: one character, or tab, comma, "
                   "semicolon, pipe (default: detected among , ; tab |)")
    g.add_argument("--encoding", default=None,
                   help="text encoding, e.g. latin-1, cp1252, utf-16 (default: utf-8, or what "
                   "a byte-order mark says)")


def _log_args(p: argparse.ArgumentParser) -> None:
    """The event-log column options (and ``--event-map``) of a subcommand reading a log."""
    g = p.add_argument_group("event-log columns")
    g.add_argument("--customer", default="customer_id", help="customer id column")
    g.add_argument("--timestamp", default="timestamp", help="timestamp column")
    g.add_argument("--event", default="event", help="event type column ('none': all touches)")
    g.add_argument("--channel", default=None,
                   help="channel column (default: 'channel' if present; 'none': ignore it)")
    g.add_argument("--stage", default=None,
                   help="stage column (default: 'stage' if present; 'none': ignore it)")
    g.add_argument("--value", default=None,
                   help="value column (default: 'value' if present; 'none': ignore it)")
    g.add_argument("--scheme", default=None, help="stage scheme: five, six, seven")
    g.add_argument(
        "--observation-end", default=None, help="end of observation (default: last event)"
    )
    g.add_argument(
        "--event-map", default=None, metavar="YOURS=OURS,...",
        help="your event words onto ours before validation, e.g. "
        "click=touch,purchase=conversion (ours: subscribe, assignment, touch, conversion, "
        "drop_out, churn)",
    )


def _event_map(text: str | None) -> dict[str, str] | None:
    """Parse ``--event-map click=touch,purchase=conversion``."""
    if text is None:
        return None
    from cjmodels.data.events import EVENT_TYPES

    out: dict[str, str] = {}
    for item in text.split(","):
        if item.count("=") != 1 or not all(x.strip() for x in item.split("=")):
            raise ValidationError(
                f"--event-map {text!r}: write yours=ours pairs separated by commas, e.g. "
                "--event-map click=touch,purchase=conversion."
            )
        yours, ours = (x.strip() for x in item.split("="))
        if ours not in EVENT_TYPES:
            raise ValidationError(
                f"--event-map: {ours!r} (for {yours!r}) is not one of our event words "
                f"{list(EVENT_TYPES)}."
            )
        if yours in out and out[yours] != ours:
            raise ValidationError(f"--event-map maps {yours!r} twice ({out[yours]!r}, {ours!r}).")
        out[yours] = ours
    return out


def _log_options(a: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "customer": a.customer,
        "timestamp": a.timestamp,
        "event": None if a.event.lower() == "none" else a.event,
        "scheme": getattr(a, "scheme", None),
        "observation_end": a.observation_end,
    }
    for k in ("channel", "stage", "value"):
        v = getattr(a, k, None)
        if v is not None:
            opts[k] = None if v.lower() == "none" else v
    return opts


def _engine_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("memory", "duckdb"),
        default="memory",
        help="where the counting runs: 'duckdb' reads the file in the engine (larger than "
        "memory; same rules, same table; needs the 'scale' extra)",
    )


def _source(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The event log to count, and the options it takes: a validated in-memory log, or a DuckDB
    relation over the file with the column names."""
    if args.engine == "memory":
        return _read(args), {}
    from cjmodels.data.sql import scan

    if args.scheme is not None or args.event.lower() == "none":
        raise ValidationError(
            "--scheme and --event none need the in-memory engine; drop them or use "
            "--engine memory."
        )
    memory_only = [f for f, v in (("--sep", args.sep), ("--encoding", args.encoding),
                                  ("--event-map", args.event_map)) if v is not None]
    if memory_only or any(str(getattr(args, k) or "").lower() == "none"
                          for k in ("channel", "stage", "value")):
        raise ValidationError(
            f"{', '.join(memory_only) or 'a column set to none'} need the in-memory engine "
            "(DuckDB sniffs the file itself); drop them or use --engine memory."
        )
    _check_input(args.file)
    opts = {k: getattr(args, k) for k in ("customer", "timestamp", "event", "channel", "stage",
                                          "value", "observation_end")
            if getattr(args, k) is not None}
    return scan(args.file), opts


def _check_input(path: str) -> None:
    """What the engines cannot say well: a missing file, a folder, an empty file."""
    p = Path(path)
    if "*" in path:
        return
    if not p.exists():
        raise ValidationError(f"{path}: no such file; check the path and the current folder.")
    if p.is_dir():
        raise ValidationError(f"{path}: is a folder, not a file; give the file inside it.")
    if p.stat().st_size == 0:
        raise ValidationError(f"{path}: is empty (0 bytes): no header and no rows.")


def _force_arg(p: argparse.ArgumentParser) -> None:
    """``--force``: let the outputs of a subcommand replace existing files."""
    p.add_argument("--force", action="store_true",
                   help="replace output files that exist already (never the input file)")


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a subcommand reads (FILE, and a --qmatrix)."""
    return [v for v in (getattr(args, "file", None), getattr(args, "qmatrix", None)) if v]


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _output_path(args: argparse.Namespace, out: str | os.PathLike[str], *, flag: str = "--out",
                 notes: list[str] | None = None) -> Path:
    """Check an output file before anything is written.

    Refuses (ValidationError, exit 2) the input file itself (even with ``--force``), a folder,
    and an existing file unless ``--force``; creates a missing parent folder and records that in
    ``notes``.
    """
    p = Path(out)
    for src in _inputs(args):
        if _same_file(p, Path(src)):
            raise ValidationError(
                f"{out}: {flag} is the input file; writing would destroy it. Choose another "
                f"{flag} file (--force never replaces the input)."
            )
    if p.is_dir():
        raise ValidationError(f"{out}: {flag} is a folder; give a file name inside it.")
    if (p.exists() or p.is_symlink()) and not getattr(args, "force", False):
        raise ValidationError(
            f"{out}: {flag} exists already; pass --force to replace it, or choose another name."
        )
    _make_folder(p.parent, flag, notes)
    return p


def _output_dir(args: argparse.Namespace, out: str | os.PathLike[str], *, flag: str = "--out",
                names: Sequence[str] | None = None, notes: list[str] | None = None) -> Path:
    """Check an output folder: refuses a file, and (unless ``--force``) a folder that already
    holds the files to be written (``names``; ``None``: any file); creates a missing one."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ValidationError(f"{out}: {flag} is a file, not a folder; give a folder name.")
    if p.is_dir() and not getattr(args, "force", False):
        there = sorted(q.name for q in p.iterdir()
                       if names is None or q.name in set(names))
        if there:
            shown = ", ".join(there[:5]) + (", ..." if len(there) > 5 else "")
            raise ValidationError(
                f"{out}: {flag} already holds files this would replace ({shown}); pass --force "
                "to replace them, or choose another folder."
            )
    _make_folder(p, flag, notes)
    return p


def _make_folder(folder: Path, flag: str, notes: list[str] | None) -> None:
    if folder.is_dir() or str(folder) in ("", "."):
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"{folder}: cannot create the folder for {flag} ({exc.strerror or exc}); create it "
            "yourself or choose another place."
        ) from None
    if notes is not None:
        notes.append(f"created folder {folder}")


def _writing(path: Path | str, flag: str = "--out") -> Any:
    """A context that turns an OSError while writing ``path`` into a ValidationError."""
    import contextlib

    @contextlib.contextmanager
    def ctx():
        try:
            yield
        except OSError as exc:
            raise ValidationError(
                f"{path}: cannot write {flag} ({exc.strerror or exc}); check the folder's "
                "permissions and free space."
            ) from None

    return ctx()


def _fmt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cjmodels`` command."""
    ap = argparse.ArgumentParser(
        prog="cjmodels",
        description="Statistics of customer journeys from touchpoint event logs. Exit status: "
        "0 done, 2 bad input, file or flag (one line on stderr), 1 a check failed.",
    )
    ap.add_argument("--version", action="version", version=f"cjmodels {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check an event log file and describe it")
    p.add_argument("file", help="event log: CSV or TSV (optionally gzip-compressed) or Parquet")
    _file_args(p)
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("simulate", help="write a synthetic world and its ground truth")
    p.add_argument("world", choices=WORLDS)
    p.add_argument("--out", required=True, help="events file (.csv, .csv.gz or .parquet)")
    p.add_argument("--n-customers", type=int, default=None, help="number of customers")
    p.add_argument("--random-state", type=int, default=0,
                   help="seed of the simulation (default 0, so the command repeats exactly)")
    p.add_argument("--truth", default=None, help="ground-truth JSON (default: OUT.truth.json)")
    _force_arg(p)
    _fmt(p)

    p = sub.add_parser("paths", help="path table (ChannelAttribution layout) of an event log")
    p.add_argument("file")
    p.add_argument("--out", default=None, help="write the path table as CSV")
    p.add_argument("--timeout", default=None, help="gap that ends a journey, e.g. 30D")
    p.add_argument("--lookback", default=None, help="keep touches within this span, e.g. 30D")
    p.add_argument("--collapse-repeats", action="store_true")
    p.add_argument("--top", type=int, default=15, help="rows to print")
    _force_arg(p)
    _engine_arg(p)
    _file_args(p)
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("transitions", help="order-k transition counts of an event log")
    p.add_argument("file")
    p.add_argument("--sequence", choices=("channel", "stage"), default="channel",
                   help="what a journey is a sequence of (default: channel)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--censored", choices=("drop", "null", "state"), default="drop")
    p.add_argument("--collapse-repeats", action="store_true")
    _engine_arg(p)
    _file_args(p)
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("datasets", help="list, build or verify the shipped datasets")
    p.add_argument("action", choices=("list", "build", "verify"))
    p.add_argument("--out", default="datasets", help="folder for build / verify")
    _force_arg(p)
    _fmt(p)

    p = sub.add_parser("demo", help="end-to-end analysis of the shipped synthetic data")
    p.add_argument("--out", default="output/demo", help="folder for figures and tables")
    _force_arg(p)
    _fmt(p)
    for mod in _capability_clis():
        mod.add_parser(sub)
    return ap


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print ``text``, or with ``--format json`` the payload as strict JSON (no NaN/infinity:
    :func:`cjmodels._json.to_jsonable` first, then ``allow_nan=False``)."""
    if getattr(args, "format", "text") == "json":
        from cjmodels._json import to_jsonable

        print(json.dumps(to_jsonable(payload), indent=2, allow_nan=False))
    else:
        print(text)


def _read(args: argparse.Namespace):
    """The validated event log of ``args.file`` with the column, ``--sep``, ``--encoding`` and
    ``--event-map`` options of the subcommand."""
    from cjmodels.data.io import event_log_columns

    opts = _log_options(args)
    df = _read_table(args, what="event log", expected=event_log_columns(opts))
    return _events(args, df, opts)


def _events(args: argparse.Namespace, df: Any, opts: dict[str, Any]):
    """The event log of a table read from FILE: ``--event-map`` applied, and the columns set to
    ``none`` (``--value none``) left out instead of read as covariates."""
    from cjmodels.data.io import events_from_table

    ignored = [k for k in ("channel", "stage", "value") if k in opts and opts[k] is None]
    if ignored and any(k in df.columns for k in ignored):
        df = df.drop(columns=[k for k in ignored if k in df.columns])
    return events_from_table(df, event_map=_event_map(getattr(args, "event_map", None)), **opts)


def _read_table(args: argparse.Namespace, path: str | None = None, *, what: str = "file",
                expected: Sequence[str] | None = None, text: Sequence[str] = ()):
    """``path`` (default ``args.file``) as a DataFrame, read by
    :func:`cjmodels.data.io.read_table` with the subcommand's ``--sep`` and ``--encoding``."""
    from cjmodels.data.io import read_table

    return read_table(args.file if path is None else path, sep=getattr(args, "sep", None),
                      encoding=getattr(args, "encoding", None), what=what, expected=expected,
                      text=text)


def _cmd_validate(args: argparse.Namespace) -> int:
    log = _read(args)
    rep = {"valid": True, "file": args.file, **log.report()}
    lines = [f"{args.file}: valid event log", ""]
    for k in ("n_events", "n_customers", "observation_start", "observation_end", "time_kind"):
        lines.append(f"  {k:<20} {rep[k]}")
    lines.append(f"  {'events':<20} {rep['events']}")
    for k in ("channels", "stages", "scheme", "total_conversion_value", "covariates"):
        if k in rep:
            lines.append(f"  {k:<20} {rep[k]}")
    _emit(args, rep, "\n".join(lines))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from cjmodels import synthetic

    fn = {
        "journeys": synthetic.simulate_journeys,
        "subscriptions": synthetic.simulate_subscriptions,
        "transactions": synthetic.simulate_transactions,
        "experiment": synthetic.simulate_experiment,
    }[args.world]
    kw: dict[str, Any] = {"random_state": args.random_state}
    if args.n_customers is not None:
        kw["n_customers"] = args.n_customers
    out = Path(args.out)
    if out.suffix != ".parquet" and ".csv" not in out.suffixes:
        raise ValidationError(f"--out {str(out)!r}: use a .csv, .csv.gz or .parquet file name.")
    truth_path = Path(args.truth) if args.truth else out.with_name(out.name + ".truth.json")
    if _same_file(out, truth_path):
        raise ValidationError(f"{truth_path}: --truth and --out are the same file; choose "
                              "another --truth.")
    notes: list[str] = []
    _output_path(args, out, notes=notes)
    _output_path(args, truth_path, flag="--truth", notes=notes)
    world = fn(**kw)
    with _writing(out):
        if out.suffix == ".parquet":
            world.events.to_parquet(out, index=False)
        else:
            world.events.to_csv(out, index=False)
    payload = {**world.to_dict(), "events_file": str(out), "truth_file": str(truth_path),
               "notes": notes}
    from cjmodels._json import to_jsonable

    with _writing(truth_path, "--truth"):
        truth_path.write_text(json.dumps(to_jsonable(payload), indent=2, allow_nan=False) + "\n")
    text = "\n".join([
        *notes,
        f"wrote {len(world.events)} events of {payload['n_customers']} customers to {out}",
        f"ground truth: {truth_path}",
    ])
    _emit(args, payload, text)
    return 0


def _cmd_paths(args: argparse.Namespace) -> int:
    from cjmodels.data.journeys import path_table

    notes: list[str] = []
    if args.out:
        _output_path(args, args.out, notes=notes)
    log, opts = _source(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        pt = path_table(
            log,
            timeout=args.timeout,
            lookback=args.lookback,
            collapse_repeats=args.collapse_repeats,
            **opts,
        )
    if args.out:
        with _writing(args.out):
            pt.to_csv(args.out)
        notes.append(f"wrote the path table to {args.out}")
    top = pt.table.sort_values(["total_conversions", "total_null"], ascending=False).head(args.top)
    payload = {**pt._totals(), "warnings": [str(w.message) for w in caught], "out": args.out,
               "notes": notes}
    text = "\n".join(
        [repr(pt), *(f"warning: {w.message}" for w in caught), *notes, "",
         top.to_string(index=False)]
    )
    _emit(args, payload, text)
    return 0


def _cmd_transitions(args: argparse.Namespace) -> int:
    from cjmodels.data.transitions import transition_counts

    log, opts = _source(args)
    tc = transition_counts(
        log,
        sequence=args.sequence,
        order=args.order,
        censored=args.censored,
        collapse_repeats=args.collapse_repeats,
        **opts,
    )
    _emit(args, tc.to_dict(), f"{tc!r}\n\n{tc.matrix().to_string()}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from cjmodels import datasets

    if args.action == "list":
        payload = {n: datasets.DATASETS[n].description for n in datasets.list_datasets()}
        _emit(args, payload, "\n".join(f"{k:<14} {v}" for k, v in payload.items()))
        return 0
    if args.action == "build":
        names = [f"{n}{ext}" for n in datasets.list_datasets() for ext in (".csv.gz", ".json")]
        notes: list[str] = []
        _output_dir(args, args.out, names=[*names, "README.md"], notes=notes)
        with _writing(args.out):
            built = datasets.build_datasets(args.out)
        payload = {d.name: {"rows": d.n_events, "sha256_csv": d.datasheet["sha256_csv"]}
                   for d in built}
        text = "\n".join(
            f"{n:<14} {p['rows']:>8} rows  sha256 {p['sha256_csv'][:16]}..."
            for n, p in payload.items()
        )
        _emit(args, {"datasets": payload, "notes": notes},
              "\n".join([*notes, f"built datasets in {args.out}", text]))
        return 0
    if not Path(args.out).is_dir():
        raise ValidationError(f"{args.out}: no such folder to verify; give the folder of the "
                              "built datasets with --out.")
    check = datasets.verify_datasets(args.out)
    ok = check.table["ok"].to_dict()
    text = "\n".join(f"{n:<14} {'ok' if v else 'MISMATCH'}" for n, v in ok.items())
    _emit(args, {"ok": check.ok, "datasets": ok}, text)
    return 0 if check.ok else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from cjmodels.report import run_demo

    notes: list[str] = []
    _output_dir(args, args.out, notes=notes)
    with _writing(args.out):
        report = run_demo(args.out)
    text = report.text()
    _emit(args, {**report.to_dict(), "notes": notes}, "\n".join([*notes, text]))
    return 0


_EVENT_TYPES_HINT = re.compile(
    r"Map your event names onto these, or pass event_types=\[\.\.\.\] to allow more\.")


@functools.cache
def _flags(command: str | None = None) -> dict[str, str]:
    """Python keyword -> command-line flag, read from the parser (no table of its own): a
    flag is its API keyword in kebab-case, so the keyword is the flag's ``dest``. With
    ``command``, the flags of that subcommand; without, of every subcommand."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = [command] if command in sub.choices else list(sub.choices)
    out: dict[str, str] = {}
    for name in names:
        for action in sub.choices[name]._actions:
            long = [o for o in action.option_strings if o.startswith("--")]
            if long and action.dest not in ("help", "format"):
                out.setdefault(action.dest, long[0])
    return out


@functools.cache
def _keyword_pattern(command: str | None = None) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w.\-'\"])(" + "|".join(sorted(map(re.escape, _flags(command)), key=len,
                                              reverse=True))
        + r")(=| == )(None\b|'([^']*)'|\.\.\.)?"
    )


def cli_message(message: str, command: str | None = None) -> str:
    """An API error message in the words of the command line: ``customer=...`` becomes
    ``--customer ...``, ``event=None`` becomes ``--event none``, ``encoding='latin-1'`` becomes
    ``--encoding latin-1``, and the event-type hint names ``--event-map``; one line.

    The keywords translated are the flags of the subcommand ``command`` (default: of every
    subcommand), each the API keyword in kebab-case (``n_boot=`` reads ``--n-boot``).

    >>> cli_message("Name the right column with customer=... Pass event=None if all touch.")
    'Name the right column with --customer ... Pass --event none if all touch.'
    """
    message = _EVENT_TYPES_HINT.sub(
        "Map your event words onto these with --event-map, e.g. --event-map "
        "click=touch,purchase=conversion.", message)

    flags = _flags(command)

    def flag(m: re.Match[str]) -> str:
        value = m.group(3)
        if value is None:
            return flags[m.group(1)] + " "
        if value == "None":
            value = "none"
        elif m.group(4) is not None:
            value = m.group(4) if re.fullmatch(r"[\w.:+\-/]+", m.group(4)) else repr(m.group(4))
        return f"{flags[m.group(1)]} {value}"

    message = re.sub(r"(--[a-z][\w-]*) {2,}", r"\1 ",
                     _keyword_pattern(command).sub(flag, message))
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def _error_line(args: argparse.Namespace, exc: BaseException) -> str:
    """The one line of an error: the file first (unless the message starts with it or with a
    flag), then the message in CLI words."""
    msg = cli_message(str(exc), getattr(args, "command", None))
    file = getattr(args, "file", None)
    if file and not msg.startswith((str(file), "--")) and str(file) not in msg[:200]:
        msg = f"{file}: {msg}"
    return msg


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cjmodels`` command; returns the exit status (see the module)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {
        "validate": _cmd_validate,
        "simulate": _cmd_simulate,
        "paths": _cmd_paths,
        "transitions": _cmd_transitions,
        "datasets": _cmd_datasets,
        "demo": _cmd_demo,
    }
    handler = handlers.get(args.command)
    if handler is None:  # a capability's subcommand
        handler = next(m.run for m in _capability_clis() if _owns(m, parser, args.command))
    try:
        return handler(args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except CJModelsError as exc:
        msg = _error_line(args, exc)
        if getattr(args, "format", "text") == "json":
            print(json.dumps({"valid": False, "error": msg}, indent=2))
        else:
            print(f"cjmodels {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except _duckdb_errors() as exc:
        msg = f"{getattr(args, 'file', '')}: DuckDB cannot read it ({str(exc).splitlines()[0]})."
        if getattr(args, "format", "text") == "json":
            print(json.dumps({"valid": False, "error": msg}, indent=2))
        else:
            print(f"cjmodels {args.command}: error: {msg} Try --engine memory.", file=sys.stderr)
        return 2


def console(argv: Sequence[str] | None = None) -> int:
    """The installed ``cjmodels`` program: :func:`main`, with each warning printed as one line
    ``cjmodels COMMAND: warning: ...`` on stderr, like an error, instead of Python's
    ``file:line: UserWarning`` form. (:func:`main` itself leaves warnings to the caller.)"""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), "")

    def show(message: Any, category: Any, filename: Any, lineno: Any, file: Any = None,
             line: Any = None) -> None:
        text = " ".join(cli_message(str(message), command or None).split())
        print(f"cjmodels {command}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        return main(args)


def _duckdb_errors() -> tuple[type[BaseException], ...]:
    """DuckDB's exception type when DuckDB is loaded (``--engine duckdb``), else nothing."""
    mod = sys.modules.get("duckdb")
    err = getattr(mod, "Error", None) if mod is not None else None
    return (err,) if isinstance(err, type) else ()


def _owns(mod: Any, parser: argparse.ArgumentParser, command: str) -> bool:
    """Whether the capability module ``mod`` added the subcommand ``command``."""
    probe = argparse.ArgumentParser()
    sub = probe.add_subparsers(dest="command")
    mod.add_parser(sub)
    return command in sub.choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
