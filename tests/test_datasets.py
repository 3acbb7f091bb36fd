"""Shipped datasets: regenerated from their recipes, they match the recorded checksums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjmodels import datasets
from cjmodels.data import EventLog

REPO_DATA = Path(__file__).resolve().parents[1] / "datasets"


def test_shipped_files_match_a_fresh_regeneration():
    check = datasets.verify_datasets(REPO_DATA)
    assert check.table.index.tolist() == datasets.list_datasets()
    assert check.ok, (
        "regenerate with `make datasets` and commit, or find what made the generators change:\n"
        f"{check.summary()}"
    )


def test_verify_reports_a_missing_or_changed_file(tmp_path):
    datasets.build_dataset("transactions", tmp_path)
    check = datasets.verify_datasets(tmp_path)
    assert check.table["ok"].to_dict() == {
        "experiment": False, "journeys": False, "subscriptions": False, "transactions": True
    }
    assert not check.ok and check.table.loc["journeys", "recorded"] == ""
    (tmp_path / "transactions.csv.gz").write_bytes(datasets._gzip_bytes(b"customer_id\n1\n"))
    assert not datasets.verify_datasets(tmp_path).table.loc["transactions", "ok"]


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
    built = datasets.build_dataset("subscriptions", tmp_path)
    shipped = json.loads((REPO_DATA / "subscriptions.json").read_text())
    assert built.datasheet["sha256_csv"] == shipped["sha256_csv"]
    assert built == datasets.Dataset("subscriptions", built.events, shipped)
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


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_recipe_names_where_its_simulator_lives(name):
    # the datasheet records module.function; the recipe runs cjmodels.synthetic.<function>,
    # which is the function module.function names (defined there or in one of its modules)
    import importlib

    from cjmodels import synthetic

    spec = datasets.DATASETS[name]
    fn = getattr(synthetic, spec.function)
    assert getattr(importlib.import_module(spec.module), spec.function) is fn
    assert fn.__module__.startswith(spec.module)
