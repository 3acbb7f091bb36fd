"""Shipped datasets: regenerated from their recipes, they match the recorded checksums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjmodels import datasets
from cjmodels.data import EventLog

REPO_DATA = Path(__file__).resolve().parents[1] / "datasets"


def test_shipped_files_match_a_fresh_regeneration():
    ok = datasets.verify_datasets(REPO_DATA)
    assert ok == {name: True for name in datasets.list_datasets()}, (
        "regenerate with `make datasets` and commit, or find what made the generators change"
    )


@pytest.mark.parametrize("name", ["experiment", "journeys", "subscriptions", "transactions"])
def test_loaders_give_valid_logs_matching_the_datasheet(name):
    ds = getattr(datasets, f"load_{name}")()
    sheet = json.loads((REPO_DATA / f"{name}.json").read_text())
    assert len(ds.events) == sheet["n_rows"]
    log = ds.event_log()
    assert isinstance(log, EventLog)
    assert log.n_customers == sheet["n_customers"]
    assert ds.truth == sheet["truth"]
    for key in ("generator", "sha256_csv", "columns", "event_log_options"):
        assert key in sheet


def test_build_into_other_folder_is_byte_identical(tmp_path):
    sheet = datasets.build_dataset("subscriptions", tmp_path)
    shipped = json.loads((REPO_DATA / "subscriptions.json").read_text())
    assert sheet["sha256_csv"] == shipped["sha256_csv"]
    assert (tmp_path / "subscriptions.csv.gz").read_bytes() == (
        REPO_DATA / "subscriptions.csv.gz"
    ).read_bytes()


def test_loader_regenerates_when_files_are_absent(tmp_path, monkeypatch):
    monkeypatch.setenv("CJMODELS_DATA", str(tmp_path))
    ds = datasets.load("transactions")
    assert (tmp_path / "transactions.csv.gz").exists()
    shipped = json.loads((REPO_DATA / "transactions.json").read_text())
    assert ds.datasheet["sha256_csv"] == shipped["sha256_csv"]


def test_unknown_dataset():
    with pytest.raises(ValueError, match="dataset 'nope' is unknown"):
        datasets.load("nope")


def test_gzip_bytes_do_not_depend_on_the_python_version():
    # gzip.compress(mtime=0) writes OS byte 3 up to Python 3.12 and 255 from 3.13 (and zlib its
    # own per-platform code): the shipped files carry a header written by hand (RFC 1952)
    import gzip

    raw = b"customer_id,timestamp\n1,2025-01-01\n" * 50
    packed = datasets._gzip_bytes(raw)
    assert packed[:10] == bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 2, 3])
    assert gzip.decompress(packed) == raw
    assert (REPO_DATA / "journeys.csv.gz").read_bytes()[:10] == packed[:10]
