"""The options every subcommand shares, defined once, and the helpers that act on them.

* :func:`add_event_log` gives a subcommand that reads an event log its FILE argument, how to
  read it (``--sep``, ``--encoding``) and the event-log columns (``--customer``,
  ``--timestamp``, ``--event``, ``--channel``, ``--stage``, ``--value``, ``--scheme``,
  ``--observation-end``, ``--event-map``); :func:`read_log` reads it as a validated
  :class:`~cjmodels.data.EventLog`.
* :func:`add_format` (``--format text|json``) and :func:`emit`, which prints the text or the
  payload as strict JSON (no NaN or infinity).
* :func:`add_force` (``--force``) and :func:`output_path` / :func:`output_dir` /
  :func:`writing`, the checks every output goes through: never the input file, never an
  existing file without ``--force``, a missing folder created and said so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cjmodels.errors import ValidationError

#: The dests of the options :func:`add_event_log` adds (besides FILE), in order.
EVENT_LOG_OPTIONS = ("sep", "encoding", "customer", "timestamp", "event", "channel", "stage",
                     "value", "scheme", "observation_end", "event_map")

#: Spellings of --sep that a shell makes awkward to type.
_SEP_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


# --------------------------------------------------------------------------- the options
def _sep(text: str) -> str:
    """``--sep``: one character, or tab / \\t / comma / semicolon / pipe."""
    sep = _SEP_NAMES.get(text.lower(), text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give one character, e.g. ';', or tab, comma, semicolon, pipe"
        )
    return sep


def add_file(p: argparse.ArgumentParser, help: str) -> None:
    """FILE, and how to read it when it is text: ``--sep`` and ``--encoding``."""
    p.add_argument("file", help=help)
    g = p.add_argument_group("reading FILE")
    g.add_argument("--sep", type=_sep, default=None,
                   help="field delimiter of a text file: one character, or tab, comma, "
                   "semicolon, pipe (default: detected among , ; tab |)")
    g.add_argument("--encoding", default=None,
                   help="text encoding, e.g. latin-1, cp1252, utf-16 (default: utf-8, or what "
                   "a byte-order mark says)")


def add_event_log(p: argparse.ArgumentParser,
                  help: str = "event log: CSV or TSV (optionally compressed) or Parquet") -> None:
    """FILE as an event log: :func:`add_file`, the event-log columns and ``--event-map``."""
    add_file(p, help)
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


def add_format(p: argparse.ArgumentParser) -> None:
    """``--format text|json``."""
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def add_force(p: argparse.ArgumentParser) -> None:
    """``--force``: let the outputs of a subcommand replace existing files."""
    p.add_argument("--force", action="store_true",
                   help="replace output files that exist already (never the input file)")


def add_engine(p: argparse.ArgumentParser) -> None:
    """``--engine memory|duckdb``: where a count over the event log runs."""
    p.add_argument(
        "--engine",
        choices=("memory", "duckdb"),
        default="memory",
        help="where the counting runs: 'duckdb' reads the file in the engine (larger than "
        "memory; same rules, same table; needs the 'scale' extra)",
    )


# --------------------------------------------------------------------------- reading
def parse_event_map(text: str | None) -> dict[str, str] | None:
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


def log_options(a: argparse.Namespace) -> dict[str, Any]:
    """The event-log column options as the keywords of :func:`cjmodels.data.io.events_from_table`
    (a column set to ``none`` is ``None``)."""
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


def read_table(args: argparse.Namespace, path: str | None = None, *, what: str = "file",
               expected: Sequence[str] | None = None, text: Sequence[str] = ()):
    """``path`` (default ``args.file``) as a DataFrame, read by
    :func:`cjmodels.data.io.read_table` with the subcommand's ``--sep`` and ``--encoding``; the
    ``--customer`` column is an identifier (read as text unless its values are whole numbers)."""
    from cjmodels.data.io import read_table as _read_table

    customer = getattr(args, "customer", None) if path is None else None
    return _read_table(args.file if path is None else path, sep=getattr(args, "sep", None),
                       encoding=getattr(args, "encoding", None), what=what, expected=expected,
                       text=text, ids=[customer] if isinstance(customer, str) else [])


def events(args: argparse.Namespace, df: Any, opts: dict[str, Any]):
    """The event log of a table read from FILE: ``--event-map`` applied, and the columns set to
    ``none`` (``--value none``) left out instead of read as covariates."""
    from cjmodels.data.io import events_from_table

    ignored = [k for k in ("channel", "stage", "value") if k in opts and opts[k] is None]
    if ignored and any(k in df.columns for k in ignored):
        df = df.drop(columns=[k for k in ignored if k in df.columns])
    return events_from_table(df, event_map=parse_event_map(getattr(args, "event_map", None)), **opts)


def read_log(args: argparse.Namespace):
    """The validated event log of ``args.file`` with the column, ``--sep``, ``--encoding`` and
    ``--event-map`` options of the subcommand."""
    from cjmodels.data.io import event_log_columns

    opts = log_options(args)
    df = read_table(args, what="event log", expected=event_log_columns(opts))
    return events(args, df, opts)


def check_input(path: str) -> None:
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


def source(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The event log to count, and the options it takes: a validated in-memory log, or a DuckDB
    relation over the file with the column names (``--engine duckdb``)."""
    if args.engine == "memory":
        return read_log(args), {}
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
    check_input(args.file)
    opts = {k: getattr(args, k) for k in ("customer", "timestamp", "event", "channel", "stage",
                                          "value", "observation_end")
            if getattr(args, k) is not None}
    return scan(args.file), opts


# --------------------------------------------------------------------------- writing
def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print ``text``, or with ``--format json`` the payload as strict JSON (no NaN/infinity:
    :func:`cjmodels._json.to_jsonable` first, then ``allow_nan=False``)."""
    if getattr(args, "format", "text") == "json":
        print(dump(payload))
    else:
        print(text)


def dump(payload: dict[str, Any]) -> str:
    """``payload`` as strict, indented JSON."""
    from cjmodels._json import to_jsonable

    return json.dumps(to_jsonable(payload), indent=2, allow_nan=False)


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a subcommand reads (FILE, and a --qmatrix)."""
    return [v for v in (getattr(args, "file", None), getattr(args, "qmatrix", None)) if v]


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (a link counts)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def output_path(args: argparse.Namespace, out: str | os.PathLike[str], *, flag: str = "--out",
                notes: list[str] | None = None) -> Path:
    """Check an output file before anything is written.

    Refuses (ValidationError, exit 2) the input file itself (even with ``--force``), a folder,
    and an existing file unless ``--force``; creates a missing parent folder and records that in
    ``notes``.
    """
    p = Path(out)
    for src in _inputs(args):
        if same_file(p, Path(src)):
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


def output_dir(args: argparse.Namespace, out: str | os.PathLike[str], *, flag: str = "--out",
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


@contextlib.contextmanager
def writing(path: Path | str, flag: str = "--out") -> Iterator[None]:
    """A context that turns an OSError while writing ``path`` into a ValidationError."""
    try:
        yield
    except OSError as exc:
        raise ValidationError(
            f"{path}: cannot write {flag} ({exc.strerror or exc}); check the folder's "
            "permissions and free space."
        ) from None


# --------------------------------------------------------------------------- numbers
def in_unit(flag: str, value: float) -> float:
    """``value`` of ``flag`` (a level, a threshold), refused unless strictly within (0, 1)."""
    if not (isinstance(value, float | int) and 0 < value < 1):
        raise ValidationError(f"{flag} {value:g}: must lie strictly between 0 and 1.")
    return float(value)


def number(x: Any, digits: int = 4) -> str:
    """A number for a text report (same value as the JSON, rounded for reading)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "undefined"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def percent(x: float) -> str:
    """A relative change as a signed percentage (``+12.50%``)."""
    if not math.isfinite(x):
        return number(x)
    return f"{x:+.2%}"
