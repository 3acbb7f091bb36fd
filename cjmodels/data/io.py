"""The one reader of table files: CSV (any common delimiter, any compression) and Parquet.

:func:`read_table` looks at a file's content, not its name: Parquet and the compressions are
recognised by their magic bytes, the delimiter of a text table is sniffed from its first lines,
a byte-order mark selects UTF-8 or UTF-16. Whatever is wrong with the file (missing, a folder,
unreadable, empty, binary, undecodable, truncated, ragged), the error is a
:class:`~cjmodels.errors.ValidationError` whose message starts with the file name and says what
to do. Rows of a text table are indexed by their line in the file (the header is line 1), so
that every later message naming rows names lines the user can open; Parquet rows keep their
positions. :func:`read_events` reads an event log this way and validates it
(:class:`~cjmodels.data.EventLog`).

Examples
--------
>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "e.csv")
>>> with open(p, "w") as f:
...     _ = f.write("customer_id;timestamp;event\\n1;2025-01-01;touch\\n")
>>> df = read_table(p)
>>> list(df.columns), df.index.tolist()
(['customer_id', 'timestamp', 'event'], [2])
>>> df.attrs["rows_are"]
'file lines (the header is line 1)'
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import lzma
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import IO, Any

import pandas as pd

from cjmodels.data.events import EventLog
from cjmodels.data.vocabulary import EVENT_TYPES
from cjmodels.errors import ValidationError

__all__ = ["SEPARATORS", "event_log_columns", "events_from_table", "read_events", "read_table"]

#: Delimiters tried when ``sep`` is not given, in order of preference on a tie.
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")

_HEAD_BYTES = 1 << 16  # what is sniffed: the first 64 KiB (decompressed)
_SNIFF_LINES = 200

#: magic bytes -> compression name understood by pandas
_COMPRESSIONS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
#: magic bytes of files that are not tables we read -> what they are, what to do
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office (OLE) file; save the sheet as CSV"),
    (b"SQLite format 3\x00", "a SQLite database; export the table as CSV"),
    (b"%PDF", "a PDF document; export the table as CSV"),
    (b"ARROW1", "an Arrow IPC file; write it as Parquet or CSV"),
    (b"\x89PNG", "a PNG image, not a table"),
    (b"\xff\xd8\xff", "a JPEG image, not a table"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FORMATS = "a CSV or TSV file (optionally gzip-compressed) or a Parquet file"


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}")


def _looks_like_data(cell: str) -> bool:
    """Whether a header cell looks like a value (a number or a date) rather than a name."""
    s = cell.strip()
    if not s:
        return False
    if re.fullmatch(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?", s):
        return True
    return bool(re.match(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", s))


def _open_decompressed(p: Path, compression: str | None) -> IO[bytes]:
    if compression is None:
        return p.open("rb")
    if compression == "gzip":
        return gzip.open(p, "rb")
    if compression == "bz2":
        return bz2.open(p, "rb")
    if compression == "xz":
        return lzma.open(p, "rb")
    if compression == "zip":
        zf = zipfile.ZipFile(p)
        return zf.open(zf.namelist()[0])
    import zstandard  # checked by the caller

    return zstandard.ZstdDecompressor().stream_reader(p.open("rb"))


_READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
)


def _compression_error(name: str, compression: str | None, exc: BaseException) -> ValidationError:
    kind = compression or "compressed"
    return _fail(
        name,
        f"the {kind} data is damaged or cut short ({type(exc).__name__}: {exc}). The file was "
        "probably not copied or downloaded completely; get a complete copy (check it with "
        f"'{'gzip -t' if kind == 'gzip' else kind + ' -t'}').",
    )


def _locate_bad_bytes(p: Path, compression: str | None, encoding: str) -> tuple[int, int, bytes]:
    """Byte offset (in the decompressed text), line number and the first bytes of the first
    undecodable character; ``(-1, -1, b"")`` if the whole text decodes."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    offset, line = 0, 1
    with _open_decompressed(p, compression) as fh:
        while True:
            chunk = fh.read(_HEAD_BYTES)
            pending = dec.getstate()[0]
            try:
                text = dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = bytes(exc.object)
                line += data[: exc.start].count(b"\n")
                pos = offset - len(pending) + exc.start if data == pending + chunk else offset
                return max(pos, 0), line, data[exc.start : exc.start + 4]
            line += text.count("\n")
            offset += len(chunk)
            if not chunk:
                return -1, -1, b""


def _decode_error(name: str, p: Path, compression: str | None, encoding: str) -> ValidationError:
    try:
        where, line, bad = _locate_bad_bytes(p, compression, encoding)
    except _READ_ERRORS as exc:
        return _compression_error(name, compression, exc)
    at = f" at line {line} (byte {where}: {bad!r})" if where >= 0 else ""
    hint = (
        "Give the file's encoding with encoding='latin-1' (or 'cp1252'), or save it as UTF-8."
        if codecs.lookup(encoding).name == "utf-8"
        else "Give the file's encoding with encoding=..., or save it as UTF-8."
    )
    return _fail(name, f"the text is not valid {encoding}{at}. {hint}")


def _pick_encoding(name: str, head: bytes, encoding: str | None) -> str:
    """The encoding to read with: the one asked for, else what a byte-order mark says, else
    UTF-8; UTF-16 without a mark is refused with the encoding to give."""
    for mark, enc in _BOMS:
        if head.startswith(mark):
            if encoding is None:
                return enc
            if enc == "utf-8-sig" and codecs.lookup(encoding).name == "utf-8":
                return enc
            return encoding  # asked for explicitly
    enc = encoding or "utf-8"
    if encoding is None and b"\x00" in head[:4096]:
        evens, odds = head[0:4096:2], head[1:4096:2]
        if odds.count(0) > 0.4 * len(odds) and evens.count(0) < 0.1 * len(evens):
            guess = "utf-16-le"
        elif evens.count(0) > 0.4 * len(evens) and odds.count(0) < 0.1 * len(odds):
            guess = "utf-16-be"
        else:
            guess = None
        if guess is not None:
            raise _fail(
                name,
                f"the text looks like UTF-16 without a byte-order mark. Read it with "
                f"encoding='{guess}', or save it as UTF-8.",
            )
    return enc


def _sniff(text: str, seps: Sequence[str]) -> str:
    """The delimiter whose header splits into the most fields that the other rows repeat."""
    lines = text.splitlines()[:_SNIFF_LINES]
    best, best_score = seps[0], (-1.0, 0, 0)
    for i, sep in enumerate(seps):
        try:
            rows = list(csv.reader(lines, delimiter=sep))
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if not rows or len(rows[0]) < 2:
            continue
        n = len(rows[0])
        body = rows[1:]
        agree = sum(len(r) == n for r in body) / len(body) if body else 1.0
        score = (agree, n, -i)
        if score > best_score:
            best, best_score = sep, score
    return best


def read_table(
    path: str | PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    what: str = "file",
    expected: Sequence[str] | None = None,
    text: Sequence[str] = (),
    ids: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a table from CSV/TSV (plain, gzip, bz2, xz, zip or zstd) or Parquet, by content.

    Parameters
    ----------
    path : str or path-like
        The file. Its name does not decide the format: Parquet and compressions are recognised
        by their first bytes.
    sep : str, optional
        Delimiter of a text table (one character). Default: sniffed from the first lines among
        ``,`` ``;`` tab and ``|``.
    encoding : str, optional
        Text encoding. Default UTF-8, or what a byte-order mark says (UTF-8 with BOM, UTF-16).
    what : str
        What the file should hold (``"event log"``, ``"path table"``), used in messages.
    expected : sequence of str, optional
        Columns the caller needs; a file whose first line holds none of them and has a value
        that looks like data (a number, a date) is reported as having no header row. Without
        ``expected``, only a first line made entirely of such values is.
    text : sequence of str
        Columns read as exact text, never as numbers, when the file has them (a path column
        ``"1 > 2"`` or ``"01"``, an arm column where ``01`` and ``1`` differ).
    ids : sequence of str
        Identifier columns (the customer): read as numbers when every value is a whole number,
        otherwise as exact text, so that ids such as GA4's ``1873420351.1740993245`` are not
        rounded to the same float and merged.

    Returns
    -------
    pandas.DataFrame
        Rows of a text table are indexed by file line (header = line 1); Parquet rows by
        position. ``df.attrs["rows_are"]`` says which, for messages; ``df.attrs["format"]`` is
        ``"csv"`` or ``"parquet"``.

    Raises
    ------
    ValidationError
        Whatever the file's problem; the message starts with the file name and says what to do.
    """
    name = os.fspath(path)
    p = Path(path)
    as_text = [str(c) for c in text]
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ValidationError(
            f"sep == {sep!r}, must be one character such as ',', ';', '\\t' or '|'."
        )
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationError(
                f"encoding == {encoding!r} is not an encoding Python knows; try 'utf-8', "
                "'latin-1', 'cp1252' or 'utf-16'."
            ) from None
    if not p.exists():
        broken = " (a broken symbolic link)" if p.is_symlink() else ""
        raise _fail(name, f"no such file{broken}; check the path and the current folder.")
    if p.is_dir():
        inside = "file" if what == "file" else f"{what} file"
        raise _fail(name, f"is a folder, not a file; give the {inside} inside it.")
    try:
        with p.open("rb") as fh:
            raw = fh.read(_HEAD_BYTES)
    except PermissionError:
        raise _fail(name, "cannot be read: permission denied. Check the file's permissions "
                    "(chmod u+r) or copy it somewhere readable.") from None
    except OSError as exc:
        raise _fail(name, f"cannot be read ({exc.strerror or exc}).") from None
    if not raw:
        raise _fail(name, f"is empty (0 bytes): no header and no rows. Export the {what} again, "
                    "with a header line naming the columns.")
    suffixes = "".join(p.suffixes).lower()

    if raw.startswith(b"PAR1"):
        return _read_parquet(p, name)
    if suffixes.endswith((".parquet", ".pq")):
        looks = "text" if b"\x00" not in raw[:4096] else "binary data"
        raise _fail(name, f"is named like a Parquet file but holds {looks}, not Parquet (no "
                    "'PAR1' magic bytes). Write it again as Parquet, or give it the name of what "
                    "it holds (e.g. .csv).")
    for magic, kind in _OTHER_FORMATS:
        if raw.startswith(magic):
            raise _fail(name, f"is {kind}; give {_FORMATS} instead.")

    compression = next((kind for magic, kind in _COMPRESSIONS if raw.startswith(magic)), None)
    if compression == "zstd":
        import importlib.util

        if importlib.util.find_spec("zstandard") is None:
            raise _fail(name, "is zstd-compressed and the 'zstandard' package is not installed; "
                        "install it (pip install zstandard) or decompress the file first.")
    if compression == "zip":
        try:
            with zipfile.ZipFile(p) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
        except _READ_ERRORS as exc:
            raise _compression_error(name, "zip", exc) from None
        if any(m.startswith(("xl/", "word/", "ppt/")) for m in members):
            raise _fail(name, f"is an Office document (xlsx/docx), not a table file; save the "
                        f"sheet as CSV. give {_FORMATS} instead.")
        if len(members) != 1:
            raise _fail(name, f"is a zip archive with {len(members)} files {members[:5]}; "
                        "extract the table file and give it alone.")
    head = raw
    if compression is not None:
        try:
            with _open_decompressed(p, compression) as fh:
                head = fh.read(_HEAD_BYTES)
        except _READ_ERRORS as exc:
            raise _compression_error(name, compression, exc) from None
        if not head:
            raise _fail(name, f"is {compression}-compressed but holds nothing (0 bytes "
                        f"decompressed). Export the {what} again.")
        if head.startswith(b"PAR1"):
            raise _fail(name, f"is a {compression}-compressed Parquet file; decompress it first "
                        "(Parquet compresses its own columns).")

    enc = _pick_encoding(name, head, encoding)
    wide = codecs.lookup(enc).name.startswith(("utf-16", "utf-32"))
    sample = head[:4096]
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if not wide and control > max(2, len(sample) // 100):
        raise _fail(name, f"holds binary data, not text (it starts with {head[:8]!r}); "
                    f"give {_FORMATS} instead.")
    text_head = head
    if len(head) == _HEAD_BYTES and not wide:  # cut at the last complete line: more follows
        cut = head.rfind(b"\n")
        text_head = head[: cut + 1] if cut > 0 else head
    try:
        text = text_head.decode(enc, errors="replace" if wide else "strict")
    except UnicodeDecodeError:
        raise _decode_error(name, p, compression, enc) from None
    text = text.lstrip("\ufeff")
    control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    if wide and control > max(2, len(text[:4096]) // 100):
        raise _fail(name, f"holds binary data, not text (it starts with {head[:8]!r}); "
                    f"give {_FORMATS} instead.")
    if not text.strip():
        raise _fail(name, f"holds only blank lines: no header and no rows. Export the {what} "
                    "again, with a header line naming the columns.")
    chosen = sep if sep is not None else _sniff(text, SEPARATORS)
    header_line = text.lstrip("\r\n").splitlines()[0]
    try:
        header = next(csv.reader([header_line], delimiter=chosen))
    except csv.Error:
        header = header_line.split(chosen)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise _fail(name, f"the header line names columns {dupes} more than once; rename them "
                    "so that every column has its own name.")
    _check_header(name, header, header_line, expected, what)

    try:
        # only an empty field is missing: a channel called "NA" or "null" stays a label
        # (the words pandas would read as missing are settled per column below)
        for _ in range(2):
            df = pd.read_csv(p, sep=chosen, encoding=enc, compression=compression,
                             low_memory=False, skip_blank_lines=False, keep_default_na=False,
                             na_values=[""], dtype={c: str for c in as_text if c in header} or None)
            # An identifier read as a float may have been rounded into another: read it again
            # as text.
            inexact = [str(c) for c in ids if str(c) in df.columns and str(c) not in as_text
                       and df[str(c)].dtype.kind == "f"]
            if not inexact:
                break
            as_text = [*as_text, *inexact]
    except UnicodeDecodeError:
        raise _decode_error(name, p, compression, enc) from None
    except pd.errors.EmptyDataError:
        raise _fail(name, f"has no header and no rows. Export the {what} again, with a header "
                    "line naming the columns.") from None
    except pd.errors.ParserError as exc:
        raise _parser_error(name, exc, chosen, len(header)) from None
    except _READ_ERRORS as exc:
        raise _compression_error(name, compression, exc) from None
    lead = len(text) - len(text.lstrip("\r\n"))  # blank lines before the header
    first = 2 + text[:lead].count("\n")
    df.index = pd.RangeIndex(first, first + len(df))
    blank = df.isna().all(axis=1).to_numpy() if df.shape[1] else None
    if blank is not None and blank.any():  # empty lines are no rows; the others keep their line
        df = df.loc[~blank]
    if df.shape[1] == 0:
        raise _fail(name, f"names no column on its first line: it is not a table. Export the "
                    f"{what} again, with a header line naming the columns.")
    if len(df) == 0:
        raise _fail(name, f"has a header line ({', '.join(map(str, header))}) but no rows. "
                    f"Export the {what} again with its rows.")
    _check_short_rows(df, p, name, compression, enc, chosen, header)
    _settle_missing_words(df, name, exact=as_text)
    df.attrs["rows_are"] = "file lines (the header is line 1)"
    df.attrs["format"] = "csv"
    df.attrs["file"] = name
    return df


#: Words that spreadsheet and R/pandas exports write for a missing value.
_MISSING_WORDS: frozenset[str] = frozenset({
    "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "<NA>", "#N/A",
    "#N/A N/A", "#NA", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
})


def _settle_missing_words(df: pd.DataFrame, name: str, exact: Sequence[str] = ()) -> None:
    """Read the missing-value words (``NA``, ``null``, ...) of each text column, in place.

    A column whose other values are all numbers is a numeric column written by a tool that
    spells missing as a word: the words become NaN and the column numeric. In a column of text
    the words are kept as they are (a channel may be called ``"NA"``), with a warning that
    names the column and the first line, since a reader that treats them as missing would give
    another answer. Columns in ``exact`` were asked for as text: they are left alone.
    """
    for col in df.columns:
        s = df[col]
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or col in exact:
            continue
        words = s.isin(_MISSING_WORDS).to_numpy()
        if not words.any():
            continue
        rest = s[~words & s.notna().to_numpy()]
        numbers = pd.to_numeric(rest, errors="coerce")
        if len(rest) and numbers.notna().all():
            df[col] = pd.to_numeric(s.where(~words), errors="coerce")
            continue
        if not len(rest):
            df[col] = s.where(~words)  # nothing but missing words: an empty column
            continue
        lines = df.index[words][:3].tolist()
        shown = sorted(set(s[words].head(1000)))[:4]
        warnings.warn(
            f"{name}: column {col!r} holds {int(words.sum())} cells with {shown} (first at "
            f"lines {lines}), kept as text labels. If they mean a missing value, leave those "
            "cells empty.",
            UserWarning,
            stacklevel=3,
        )


def _check_short_rows(df: pd.DataFrame, p: Path, name: str, compression: str | None, enc: str,
                      sep: str, header: list[str]) -> None:
    """Refuse rows with fewer fields than the header, which pandas fills with NaN unsaid.

    Only a row whose last field is missing can be short, so the file is scanned again (with the
    same quoting rules) only when such rows exist.
    """
    n_header = len(header)
    if n_header < 2 or df.shape[1] < 2 or not df.iloc[:, -1].isna().any():
        return
    first = header[0]
    import pyarrow as pa
    import pyarrow.csv as pacsv

    short: list[int] = []

    def invalid(row: Any) -> str:
        if row.actual_columns < row.expected_columns and len(short) <= 5:
            short.append(row.number)
        return "skip"

    try:
        with _open_decompressed(p, compression) as raw:
            pacsv.read_csv(
                raw,
                read_options=pacsv.ReadOptions(encoding=enc, use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=invalid),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[first], column_types={first: pa.string()}
                ),
            )
    except (pa.ArrowException, *_READ_ERRORS):
        return  # the full read above succeeded; this is only a finer check
    if short:
        shown = ", ".join(map(str, short[:5])) + (" and more" if len(short) > 5 else "")
        which = f"line {shown} has" if len(short) == 1 else f"lines {shown} have"
        raise _fail(name, f"{which} fewer fields than the header's {n_header} "
                    f"(delimiter {sep!r}): a field is missing, not empty. Add the missing "
                    "delimiters (an empty field is written as nothing between two delimiters) or "
                    "fix those lines.")


def _check_header(name: str, header: list[str], line: str, expected: Sequence[str] | None,
                  what: str) -> None:
    """Refuse a file whose first line is data: it has no header row."""
    want = [c for c in (expected or ()) if c is not None]
    if want and any(c in header for c in want):
        return
    n_data = sum(_looks_like_data(h) for h in header)
    if n_data == 0 or (not want and n_data < len(header)):
        return
    need = f"; the {what} needs columns {want}" if want else ""
    raise _fail(name, f"seems to have no header row: its first line {line.strip()[:80]!r} looks "
                f"like data{need}. Add a header line naming the columns (or name yours with the "
                "column options).")


def _parser_error(name: str, exc: Exception, sep: str, n_header: int) -> ValidationError:
    msg = str(exc)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if m:
        expected, line, saw = m.groups()
        return _fail(
            name,
            f"line {line} has {saw} fields but the header has {expected} (delimiter "
            f"{sep!r}). Quote values that contain the delimiter, fix or remove that line, or "
            "give the right delimiter with sep=...",
        )
    return _fail(name, f"cannot be parsed as a table with delimiter {sep!r} ({msg.strip()}). "
                 "Check the delimiter (sep=...) and the quoting.")


def _read_parquet(p: Path, name: str) -> pd.DataFrame:
    errors: tuple[type[BaseException], ...] = (OSError, ValueError, EOFError)
    try:
        import pyarrow

        errors = (*errors, pyarrow.ArrowException)
    except ImportError:  # pragma: no cover - pandas then says which engine to install
        pass
    try:
        df = pd.read_parquet(p)
    except ImportError as exc:
        raise _fail(name, f"is Parquet, and reading Parquet needs pyarrow ({exc}); install it "
                    "(pip install pyarrow) or give the table as CSV.") from None
    except errors as exc:
        raise _fail(name, f"is a damaged or incomplete Parquet file ({type(exc).__name__}: "
                    f"{str(exc).strip()[:200]}). Write it again, or get a complete copy.") from None
    if df.shape[1] == 0:
        raise _fail(name, "is a Parquet file with no columns.")
    if len(df) == 0:
        raise _fail(name, f"is a Parquet file with columns {list(df.columns)[:10]} but no rows.")
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0:
        df = df.reset_index(drop=not any(df.index.names))
    df.attrs["rows_are"] = "row positions"
    df.attrs["format"] = "parquet"
    df.attrs["file"] = name
    return df


def event_log_columns(options: dict[str, Any]) -> list[str]:
    """The columns an event log read with these :class:`~cjmodels.data.EventLog` options
    needs (customer, timestamp and, unless ``event=None``, event)."""
    cols = [options.get("customer", "customer_id"), options.get("timestamp", "timestamp"),
            options.get("event", "event")]
    return [str(c) for c in cols if c is not None]


def events_from_table(
    data: pd.DataFrame, *, event_map: dict[str, str] | None = None, **kwargs: Any
) -> EventLog:
    """The :class:`~cjmodels.data.EventLog` of a frame read by :func:`read_table`.

    ``event_map`` renames your event words onto ours before validation (exact labels only);
    every target must be an allowed event type. A validation error is prefixed with the file
    name and says whether rows are file lines or row positions.
    """
    df = data
    allowed = tuple(kwargs.get("event_types") or EVENT_TYPES)
    if event_map is not None:
        if not isinstance(event_map, dict) or not event_map or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in event_map.items()
        ):
            raise ValidationError(
                f"event_map == {event_map!r}, must map your event words onto ours, e.g. "
                "{'click': 'touch', 'purchase': 'conversion'}."
            )
        wrong = sorted({v for v in event_map.values() if v not in allowed})
        if wrong:
            raise ValidationError(
                f"event_map maps onto {wrong}, which are not event types; map onto "
                f"{list(allowed)}."
            )
    name = df.attrs.get("file")
    where = df.attrs.get("rows_are", "row positions")
    ev = kwargs.get("event", "event")
    if event_map and ev is not None and ev in df.columns:
        df = df.copy()
        df[ev] = df[ev].map(lambda x: event_map.get(x, x) if isinstance(x, str) else x)
    try:
        return EventLog(df, **kwargs)
    except ValidationError as exc:
        if name is None:
            raise
        rows = f" Rows are {where}." if "row" in str(exc) else ""
        raise ValidationError(f"{name}: {exc}{rows}") from None


def read_events(
    path: str | PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    event_map: dict[str, str] | None = None,
    **kwargs: Any,
) -> EventLog:
    """Read an event log from a CSV (any delimiter, optionally compressed) or Parquet file.

    The file's format, compression (gzip, bz2, xz, zip, zstd), delimiter and byte-order mark
    are recognised by content, not by its name; the table is then validated as an
    :class:`~cjmodels.data.EventLog`. Rows in messages are file lines (the header is line 1),
    or row positions in Parquet, and every message starts with the file name.

    Parameters
    ----------
    path : str or path-like
        The file.
    sep : str, optional
        Delimiter of a text file, one character (default: sniffed among ``,`` ``;`` tab and
        ``|``).
    encoding : str, optional
        Text encoding (default UTF-8, or what a byte-order mark says).
    event_map : dict, optional
        Your event words onto ours, e.g. ``{"click": "touch", "purchase": "conversion"}``,
        applied to exact labels before validation. Every target must be an allowed event type.
    **kwargs
        Options of :class:`~cjmodels.data.EventLog`: column names (``customer=``,
        ``timestamp=``, ...), ``scheme``, the observation window, ``event_types``.

    Returns
    -------
    EventLog
        The validated event log.

    Raises
    ------
    ValidationError
        When the file cannot be read (missing, a folder, empty, binary, an unknown encoding,
        no header row, short rows) or its table is not a valid event log.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "e.csv")
    >>> _ = pd.DataFrame({"customer_id": [1], "timestamp": ["2025-01-01"],
    ...                   "event": ["click"], "channel": ["email"]}).to_csv(p, index=False)
    >>> read_events(p, event_map={"click": "touch"}).n_events
    1
    """
    df = read_table(path, sep=sep, encoding=encoding, what="event log",
                    expected=event_log_columns(kwargs),
                    ids=[str(kwargs.get("customer", "customer_id"))])
    return events_from_table(df, event_map=event_map, **kwargs)


