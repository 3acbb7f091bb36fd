"""The ``cjmodels`` command line: a thin layer over the Python API.

One module per subcommand (``cjmodels.cli.<subcommand>``: ``add_parser`` and ``run``); the
options they share (reading an event log, ``--format``, ``--force``, strict JSON) are defined
once, in ``cjmodels.cli._options``.

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

Files are read by content (as :func:`cjmodels.data.read_events` reads them): Parquet and gzip/bz2/xz/zip by
their magic bytes, the delimiter sniffed unless ``--sep`` is given, ``--encoding`` for text that
is not UTF-8. Outputs never replace an existing file unless ``--force`` is given, and never the
input file.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from cjmodels import __version__
from cjmodels.cli import (
    abtest,
    attribute,
    datasets,
    demo,
    funnel,
    paths,
    power,
    simulate,
    stages,
    steps,
    survival,
    transitions,
    validate,
)
from cjmodels.cli._options import dump
from cjmodels.errors import CJModelsError

__all__ = ["COMMANDS", "build_parser", "cli_message", "console", "main"]

#: The subcommands, in the order ``cjmodels --help`` lists them: name -> module.
COMMANDS: dict[str, ModuleType] = {
    "validate": validate,
    "simulate": simulate,
    "paths": paths,
    "funnel": funnel,
    "steps": steps,
    "transitions": transitions,
    "stages": stages,
    "attribute": attribute,
    "survival": survival,
    "abtest": abtest,
    "power": power,
    "datasets": datasets,
    "demo": demo,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cjmodels`` command.

    One subparser per entry of :data:`COMMANDS`, each added by its module's ``add_parser``;
    flags are the API's keywords in kebab-case, with the API's defaults (except
    ``--random-state``, 0).

    Returns
    -------
    argparse.ArgumentParser
        A new parser; ``parse_args`` gives a namespace whose ``command`` is the subcommand
        (None when none was given).

    Examples
    --------
    >>> args = build_parser().parse_args(["attribute", "events.csv", "--model", "markov",
    ...                                   "--order", "2"])
    >>> args.command, args.model, args.order, args.n_boot, args.format
    ('attribute', 'markov', 2, 0, 'text')
    """
    ap = argparse.ArgumentParser(
        prog="cjmodels",
        description="Statistics of customer journeys from touchpoint event logs. Exit status: "
        "0 done, 2 bad input, file or flag (one line on stderr), 1 a check failed.",
    )
    ap.add_argument("--version", action="version", version=f"cjmodels {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return ap


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

    Parameters
    ----------
    message : str
        The message of an exception or warning raised by the Python API.
    command : str or None, default None
        The subcommand whose flags are translated; None (or an unknown name) for the flags
        of every subcommand.

    Returns
    -------
    str
        The message on one line (line breaks and surrounding blanks removed), keywords
        replaced by their flags.

    Examples
    --------
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
    """Entry point of the ``cjmodels`` command; returns the exit status (see the module).

    Runs one subcommand. A :mod:`cjmodels.errors` exception (bad input, file or flag) is
    caught and reported in one line: on stderr as ``cjmodels COMMAND: error: ...``, or with
    ``--format json`` as ``{"valid": false, "error": ...}`` on stdout. Warnings are left to
    the caller (:func:`console` prints them as one line each).

    Parameters
    ----------
    argv : sequence of str or None, default None
        The arguments after the program name, as a shell would split them; None reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        0 done; 2 a bad input, file or flag, or no subcommand (the help is printed); 1 a
        check the command performs failed (or the reader of the output went away).

    Raises
    ------
    SystemExit
        From argparse: status 2 for a usage error (unknown flag, bad choice), 0 after
        ``--help`` or ``--version``.

    Examples
    --------
    >>> from cjmodels.datasets import data_dir
    >>> events = str(data_dir() / "journeys.csv.gz")  # the shipped journeys log
    >>> main(["attribute", events, "--model", "last", "--format", "json"])
    {
      "type": "Attribution",
      "model": "last",
      "total_conversions": 743.0,
    ...
    0
    >>> main(["validate", "no-such-file.csv", "--format", "json"])
    {
      "valid": false,
      "error": "no-such-file.csv: no such file; check the path and the current folder."
    }
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command].run(args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except CJModelsError as exc:
        msg = _error_line(args, exc)
        if getattr(args, "format", "text") == "json":
            print(dump({"valid": False, "error": msg}))
        else:
            print(f"cjmodels {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except _duckdb_errors() as exc:
        msg = f"{getattr(args, 'file', '')}: DuckDB cannot read it ({str(exc).splitlines()[0]})."
        if getattr(args, "format", "text") == "json":
            print(dump({"valid": False, "error": msg}))
        else:
            print(f"cjmodels {args.command}: error: {msg} Try --engine memory.", file=sys.stderr)
        return 2


def console(argv: Sequence[str] | None = None) -> int:
    """The installed ``cjmodels`` program: :func:`main`, with warnings printed as one line each.

    Each warning goes to stderr as ``cjmodels COMMAND: warning: ...`` in the command line's
    words (:func:`cli_message`), like an error, instead of Python's ``file:line:
    UserWarning`` form; :func:`main` itself leaves warnings to the caller.

    Parameters
    ----------
    argv : sequence of str or None, default None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status of :func:`main`.

    Examples
    --------
    >>> console(["power", "--baseline", "0.1", "--mde", "0.02", "--format", "json"])
    {
      "metric": "proportions",
      "solve_for": "n",
      "baseline": 0.1,
    ...
      "n_arm": 3841,
    ...
    0
    """
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
