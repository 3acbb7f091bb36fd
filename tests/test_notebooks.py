"""Every notebook runs from a clean kernel (jupytext percent files executed with nbclient)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.py"))
BUDGET_SECONDS = 120


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext", reason="install the 'notebooks' extra")
    nbclient = pytest.importorskip("nbclient", reason="install the 'notebooks' extra")
    # the kernel must be this interpreter, the one with cjmodels installed
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(
        nb,
        timeout=BUDGET_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parents[1])}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    assert elapsed < BUDGET_SECONDS, f"{path.name} took {elapsed:.0f} s"
