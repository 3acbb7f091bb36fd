"""cjmodels.data.io.read_table: files read by content, every malformed file a clear error."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile

import pandas as pd
import pytest

from cjmodels.data import read_events
from cjmodels.data.io import read_table
from cjmodels.errors import ValidationError

GOOD = (
    "customer_id,timestamp,event,channel,value\n"
    "1,2025-01-01,touch,email,0\n"
    "1,2025-01-02,conversion,,20.5\n"
    "2,2025-01-03,touch,search,0\n"
)
COLUMNS = ["customer_id", "timestamp", "event", "channel", "value"]


def write(path, data: bytes | str):
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_sniffed(tmp_path, sep):
    p = write(tmp_path / "log.txt", GOOD.replace(",", sep))
    df = read_table(p)
    assert list(df.columns) == COLUMNS
    assert df.index.tolist() == [2, 3, 4]  # file lines, header = line 1
    assert df.attrs["rows_are"] == "file lines (the header is line 1)"


def test_semicolon_csv_with_decimal_commas_keeps_columns(tmp_path):
    """European exports: ';' between fields, ',' inside numbers; the delimiter is ';'."""
    p = write(tmp_path / "eu.csv", "customer_id;timestamp;event;value\n1;2025-01-01;touch;3,5\n")
    assert list(read_table(p).columns) == ["customer_id", "timestamp", "event", "value"]


def test_explicit_sep_wins(tmp_path):
    p = write(tmp_path / "log.csv", "a;b,c\n1;2,3\n")
    assert list(read_table(p, sep=",").columns) == ["a;b", "c"]
    assert list(read_table(p, sep=";").columns) == ["a", "b,c"]
    with pytest.raises(ValidationError, match="one character"):
        read_table(p, sep=";;")


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "zip"])
def test_compression_by_magic_bytes_not_name(tmp_path, kind):
    raw = GOOD.encode()
    p = tmp_path / "log.csv"  # no compression suffix
    if kind == "zip":
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("log.csv", raw)
    else:
        p.write_bytes({"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](raw))
    assert list(read_table(p).columns) == COLUMNS


def test_plain_text_named_gz_is_read(tmp_path):
    p = write(tmp_path / "log.csv.gz", GOOD)
    assert len(read_table(p)) == 3


def test_parquet_by_magic_bytes(tmp_path):
    df = pd.read_csv(write(tmp_path / "a.csv", GOOD))
    p = tmp_path / "log.data"
    df.to_parquet(p)
    out = read_table(p)
    assert list(out.columns) == COLUMNS and out.attrs["rows_are"] == "row positions"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_byte_order_marks(tmp_path, encoding):
    text = GOOD.replace("email", "e-mail \u00e9t\u00e9")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    df = read_table(write(tmp_path / "log.csv", data))
    assert list(df.columns) == COLUMNS and df.loc[2, "channel"] == "e-mail \u00e9t\u00e9"


def test_latin1_error_names_line_and_offset_and_the_fix(tmp_path):
    data = (GOOD + "3,2025-01-04,touch,caf\u00e9,0\n").encode("latin-1")
    p = write(tmp_path / "log.csv", data)
    with pytest.raises(ValidationError) as exc:
        read_table(p)
    msg = str(exc.value)
    assert msg.startswith(str(p)) and "line 5" in msg and "byte" in msg
    assert "encoding='latin-1'" in msg
    assert read_table(p, encoding="latin-1").loc[5, "channel"] == "caf\u00e9"


def test_undecodable_byte_deep_in_a_big_file_is_located(tmp_path):
    body = "".join(f"{i},2025-01-01,touch,email,0\n" for i in range(20_000))
    data = ("customer_id,timestamp,event,channel,value\n" + body).encode()
    data += "20000,2025-01-01,touch,\u00e9,0\n".encode("latin-1")
    with pytest.raises(ValidationError, match="line 20002"):
        read_table(write(tmp_path / "big.csv", data))


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("blank.csv", b"\n\n  \n", "only blank lines"),
        ("header.csv", b"customer_id,timestamp,event\n", "but no rows"),
        ("ragged.csv", (GOOD + "3,2025-01-04,touch,a,0,extra\n").encode(), "line 5 has 6 fields"),
        ("short.csv", (GOOD + "3,2025-01-04,touch\n").encode(), "line 5 has fewer fields"),
        ("short.csv.gz", gzip.compress((GOOD + "3,2025-01-04,touch\n").encode()),
         "line 5 has fewer fields"),
        ("garbage.csv", bytes(range(256)) * 8, "binary data"),
        ("utf16.csv", GOOD.encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        ("fake.parquet", GOOD.encode(), "not Parquet"),
        ("trunc.csv.gz", gzip.compress((GOOD * 500).encode())[:300], "damaged or cut short"),
        ("bad.gz", b"\x1f\x8b" + b"not really gzip" * 10, "damaged or cut short"),
        ("dupes.csv", b"a,a,b\n1,2,3\n", "more than once"),
        ("book.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "Excel"),
    ],
)
def test_malformed_files_are_one_clear_error(tmp_path, name, data, expected):
    p = write(tmp_path / name, data)
    with pytest.raises(ValidationError) as exc:
        read_table(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}: ") and expected in msg and "\n" not in msg


def test_missing_folder_and_truncated_parquet(tmp_path):
    with pytest.raises(ValidationError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(ValidationError, match="is a folder"):
        read_table(tmp_path)
    p = tmp_path / "t.parquet"
    pd.DataFrame({"a": range(100)}).to_parquet(p)
    write(p, p.read_bytes()[:200])
    with pytest.raises(ValidationError, match="damaged or incomplete Parquet"):
        read_table(p)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    p = write(tmp_path / "locked.csv", GOOD)
    p.chmod(0)
    try:
        with pytest.raises(ValidationError, match="permission denied"):
            read_table(p)
    finally:
        p.chmod(0o600)


def test_headerless_single_line_is_not_zero_rows(tmp_path):
    p = write(tmp_path / "one.csv", "1,2025-01-01,touch,email\n")
    with pytest.raises(ValidationError) as exc:
        read_events(p)
    msg = str(exc.value)
    assert "no header row" in msg and "0 rows" not in msg and "no rows" not in msg
    assert "'customer_id'" in msg and "'timestamp'" in msg and "'event'" in msg


def test_headerless_file_of_several_lines(tmp_path):
    p = write(tmp_path / "many.csv", "1,2025-01-01,touch,email\n2,2025-01-02,touch,search\n")
    with pytest.raises(ValidationError, match="no header row"):
        read_events(p)


def test_blank_lines_keep_file_line_numbers(tmp_path):
    p = write(tmp_path / "gaps.csv", GOOD.replace("\n2,", "\n\n2,"))
    df = read_table(p)
    assert df.index.tolist() == [2, 3, 5]


def test_read_events_rows_are_file_lines(tmp_path):
    p = write(tmp_path / "log.csv", GOOD.replace("2,2025-01-03", "2,not a date"))
    with pytest.raises(ValidationError, match=r"4\].*file lines") as exc:
        read_events(p)
    assert str(exc.value).startswith(str(p))


def test_read_events_event_map(tmp_path):
    p = write(tmp_path / "log.csv", GOOD.replace("touch", "click").replace("conversion", "buy"))
    log = read_events(p, event_map={"click": "touch", "buy": "conversion"})
    assert log.n_events == 3 and log.events["event"].tolist().count("conversion") == 1
    with pytest.raises(ValidationError, match="not event types"):
        read_events(p, event_map={"click": "visit"})
    with pytest.raises(ValidationError, match=r"unknown values \['buy'\]"):
        read_events(p, event_map={"click": "touch"})


def test_empty_trailing_fields_are_not_short_rows(tmp_path):
    p = write(tmp_path / "e.csv", "customer_id,timestamp,event,channel,value\n"
              "1,2025-01-01,touch,email,\n1,2025-01-02,conversion,,20\n")
    df = read_table(p)
    assert df["value"].isna().tolist() == [True, False]


def test_missing_words_stay_labels_in_text_columns(tmp_path):
    # A channel called "NA" or "null" is data: kept exactly, with a warning naming the column,
    # since readers that take the words as missing would give another answer.
    p = write(tmp_path / "e.csv", "customer_id,timestamp,event,channel,value\n"
              "1,2025-01-01,touch,NA,0\n1,2025-01-02,touch,null,0\n2,2025-01-03,touch,email,0\n")
    with pytest.warns(UserWarning, match=r"column 'channel' holds 2 cells .*first at lines \[2, 3\]"):
        df = read_table(p)
    assert df["channel"].tolist() == ["NA", "null", "email"]
    log = read_events(p)
    assert set(log.report()["channels"]) == {"NA", "null", "email"}


def test_missing_words_in_numeric_columns_are_missing(tmp_path):
    # R's write.csv spells a missing number NA: the column stays numeric, without a warning.
    p = write(tmp_path / "e.csv", "customer_id,timestamp,event,channel,value\n"
              "1,2025-01-01,touch,email,NA\n1,2025-01-02,conversion,,20.5\n")
    df = read_table(p)
    assert df["value"].dtype == float and df["value"].isna().tolist() == [True, False]


@pytest.mark.parametrize("blob", [b"\n\x0b\x01", b"\n\x01\t"])
def test_control_characters_around_a_blank_first_line(tmp_path, blob):
    # found by the long fuzz run: a file whose header splits into nothing (a vertical tab ends a
    # line for Python's splitlines) reached the short-row check with no columns
    p = write(tmp_path / "x.csv", blob)
    with pytest.raises(ValidationError, match="names no column|binary data") as exc:
        read_table(p)
    assert str(exc.value).startswith(f"{p}: ")


def test_customer_ids_that_are_not_whole_numbers_are_read_as_text(tmp_path):
    """GA4's user_pseudo_id (``1873420351.1740993245``) parsed as a float rounds two browsers
    to the same id and merges them; read_events and the command line read such a customer
    column as exact text (whole-number ids stay numbers, as before)."""
    import json
    import subprocess
    import sys

    from cjmodels.data import read_events

    p = tmp_path / "ga4.csv"
    p.write_text("user_pseudo_id,event_timestamp,event_name,channel\n"
                 "1873420351.1740993245,1,touch,email\n"
                 "1873420351.1740993246,2,touch,social\n"
                 "1873420351.1740993246,3,conversion,\n")
    opts = {"customer": "user_pseudo_id", "timestamp": "event_timestamp", "event": "event_name"}
    log = read_events(p, **opts)
    assert log.n_customers == 2
    assert set(log.events["customer_id"]) == {"1873420351.1740993245", "1873420351.1740993246"}
    out = subprocess.run(
        [sys.executable, "-m", "cjmodels.cli", "validate", str(p), "--customer", "user_pseudo_id",
         "--timestamp", "event_timestamp", "--event", "event_name", "--format", "json"],
        capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["n_customers"] == 2

    whole = tmp_path / "whole.csv"
    whole.write_text("customer_id,timestamp,event,channel\n7,1,touch,email\n8,2,touch,sms\n")
    assert read_events(whole).events["customer_id"].dtype.kind == "i"


def test_numpy_timedelta_is_a_span_not_a_number():
    """np.timedelta64 is a numpy integer: it was taken for a number of days and float() raised
    TypeError, although JourneySpec accepts it as a timeout."""
    import numpy as np

    from cjmodels.data import journeys
    from cjmodels.datasets import load_journeys
    from cjmodels.errors import ValidationError

    log = load_journeys().event_log()
    assert log.duration(np.timedelta64(36, "h")) == 1.5
    assert log.span_ticks(np.timedelta64(1, "s")) == log.span_ticks("1s")
    assert len(journeys(log, timeout=np.timedelta64(36, "h"))) == len(journeys(log, timeout="36h"))
    from cjmodels.data import EventLog

    numeric = EventLog(pd.DataFrame({"customer_id": [1], "timestamp": [0], "event": ["touch"],
                                     "channel": ["email"]}))
    with pytest.raises(ValidationError, match="must be a number"):
        numeric.duration(np.timedelta64(1, "h"))


def test_a_log_declared_without_conversions_has_journeys():
    """journey_index looked up the code of 'touch' and 'conversion' in the log's event types: a
    log declared with event_types=['touch'] raised a bare ValueError from journeys()."""
    from cjmodels.data import EventLog, journeys, path_table

    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [1, 2, 3],
                       "event": ["touch"] * 3, "channel": ["a", "b", "a"]})
    log = EventLog(df, event_types=["touch"])
    table = journeys(log)
    assert table["outcome"].tolist() == ["censored", "censored"]
    assert table["path"].tolist() == ["a > b", "a"]
    assert int(path_table(log).table["total_conversions"].sum()) == 0
