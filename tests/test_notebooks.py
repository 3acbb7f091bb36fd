"""Every notebook runs from a clean kernel and reproduces its committed text outputs.

Notebooks are jupytext percent files, executed with nbclient. Each writes its numbers and tables
(through :class:`tools.outputs.Outputs`) into ``$CJMODELS_GENERATED``; here that is a fresh
folder, and every text file (``.tex``, ``.csv``, ``.json``) must equal the committed copy in
``paper/generated/`` byte for byte. Figures are regenerated, not compared. The executed
notebooks are kept in ``output/notebooks/`` for the documentation, which renders them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.reproduce import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
COMMITTED = ROOT / "paper" / "generated"
EXECUTED = ROOT / "output" / "notebooks"
TEXT = (".tex", ".csv", ".json")
BUDGET_SECONDS = 120


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_and_reproduces_its_outputs(path, tmp_path):
    pytest.importorskip("jupytext", reason="install the 'notebooks' extra")
    pytest.importorskip("nbclient", reason="install the 'notebooks' extra")
    saved = tmp_path / f"{path.stem}.ipynb"
    elapsed = execute_notebook(path, tmp_path, timeout=BUDGET_SECONDS, save=saved)
    assert elapsed < BUDGET_SECONDS, f"{path.name} took {elapsed:.0f} s"

    prefix = path.name[:2]
    fresh = {p.name: p for p in tmp_path.glob(f"{prefix}_*") if p.suffix in TEXT}
    committed = {p.name: p for p in COMMITTED.glob(f"{prefix}_*") if p.suffix in TEXT}
    hint = "rerun `make paper` (or the notebook) and commit paper/generated/"
    assert sorted(fresh) == sorted(committed), f"{path.name}: outputs differ in name; {hint}"
    changed = [n for n in fresh if fresh[n].read_bytes() != committed[n].read_bytes()]
    assert not changed, f"{path.name}: regenerated {changed} differ from the committed ones; {hint}"
    # Kept for the documentation only once the notebook passed.
    EXECUTED.mkdir(parents=True, exist_ok=True)
    saved.replace(EXECUTED / saved.name)
