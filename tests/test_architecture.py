"""The architecture is checked (ARCHITECTURE.md): tools/check_imports.py finds each kind of
violation it is meant to find in a planted package, import-linter's contracts in pyproject.toml
catch a forbidden import, and the real package keeps every rule."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_imports", REPO / "tools" / "check_imports.py")
assert _spec is not None and _spec.loader is not None
check_imports = importlib.util.module_from_spec(_spec)
sys.modules["check_imports"] = check_imports  # dataclasses look their module up by name
_spec.loader.exec_module(check_imports)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package named cjmodels under tmp_path with the given modules (and empty __init__s)."""
    root = tmp_path / "cjmodels"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            init = root / parent / "__init__.py"
            if not init.exists():
                init.write_text("")
        path.write_text(textwrap.dedent(text))
    return root


CLEAN = {
    "errors.py": "class ValidationError(ValueError):\n    pass\n",
    "_checks.py": "from cjmodels.errors import ValidationError\n\ndef check_scalar(x):\n    return x\n",
    "data/__init__.py": "from cjmodels.data.journeys import journey_set\n",
    "data/journeys.py": "def _subset(x):\n    return x\n\ndef journey_set(x):\n    return _subset(x)\n",
    "data/_engine.py": "def engine_of(x):\n    return x\n",
    "markov/__init__.py": "from cjmodels.markov.fit import fit_chain\n",
    "markov/_data.py": "from cjmodels.data import journey_set\n",
    "markov/fit.py": """\
        from cjmodels._checks import check_scalar
        from cjmodels.errors import ValidationError
        from cjmodels.markov._data import journey_set


        def fit_chain(x):
            return check_scalar(journey_set(x))
        """,
}


def _rules(found: list) -> list[tuple[str, str, str]]:
    return [(Path(v.path).name, v.rule, v.message) for v in found]


def test_clean_package_passes(tmp_path):
    # shared helpers, a package's own private modules and names, public names across packages
    assert check_imports.check(_package(tmp_path, CLEAN)) == []


def test_private_name_of_another_package_is_caught(tmp_path):
    files = dict(CLEAN)
    files["markov/timing.py"] = """\
        def dwell(x):
            from cjmodels.data.journeys import _subset  # lazy, still counted
            return _subset(x)
        """
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r) for p, r, _ in _rules(found)] == [("timing.py", "private")]
    assert "_subset" in found[0].message and found[0].line == 2


def test_private_name_reached_as_an_attribute_is_caught(tmp_path):
    files = dict(CLEAN)
    files["markov/timing.py"] = """\
        import cjmodels.data.journeys as jn
        from cjmodels.data import journeys


        def dwell(x):
            return journeys._subset(x), jn.journey_set(x)


        def other(x):
            return jn._subset(x)
        """
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r, v.line) for (p, r, _), v in zip(_rules(found), found, strict=True)] == [
        ("timing.py", "private", 6), ("timing.py", "private", 10)]


def test_private_module_of_another_package_is_caught(tmp_path):
    files = dict(CLEAN)
    files["markov/engine.py"] = "from cjmodels.data._engine import engine_of\n"
    files["markov/other.py"] = "from cjmodels.data import _engine\n"
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r) for p, r, _ in _rules(found)] == [("engine.py", "private"),
                                                      ("other.py", "private")]
    assert all("_engine" in v.message for v in found)


def test_private_name_of_a_shared_helper_is_caught(tmp_path):
    files = dict(CLEAN)
    files["_checks.py"] += "\ndef _hidden():\n    return 1\n"
    files["markov/uses.py"] = "from cjmodels._checks import _hidden\n"
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r) for p, r, _ in _rules(found)] == [("uses.py", "private")]


def test_import_cycle_is_caught_even_through_a_lazy_import(tmp_path):
    files = dict(CLEAN)
    files["data/events.py"] = "from cjmodels.data.engine import run\n\ndef log():\n    return 1\n"
    files["data/engine.py"] = """\
        def run():
            from cjmodels.data.events import log  # lazy: hides the cycle from Python, not here
            return log()
        """
    found = check_imports.check(_package(tmp_path, files))
    assert [r for _, r, _ in _rules(found)] == ["cycle"]
    assert "cjmodels.data.engine" in found[0].message
    assert "cjmodels.data.events" in found[0].message


def test_cycle_through_a_package_init_is_caught(tmp_path):
    files = dict(CLEAN)
    files["markov/plots.py"] = "from cjmodels.markov import fit_chain\n"  # __init__ -> fit
    files["markov/fit.py"] = textwrap.dedent(CLEAN["markov/fit.py"]) + "from cjmodels.markov import plots\n"
    found = check_imports.check(_package(tmp_path, files))
    assert [r for _, r, _ in _rules(found)] == ["cycle"]


def test_find_spec_of_our_own_modules_is_caught(tmp_path):
    files = dict(CLEAN)
    files["report.py"] = """\
        import importlib.util

        HAVE_DUCKDB = importlib.util.find_spec("duckdb") is not None  # another package: fine


        def parts(name):
            return importlib.util.find_spec(f"cjmodels.{name}._report")


        def one():
            return importlib.util.find_spec("cjmodels.markov")
        """
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r, v.line) for (p, r, _), v in zip(_rules(found), found, strict=True)] == [
        ("report.py", "find-spec", 7), ("report.py", "find-spec", 11)]


def test_oversize_module_is_caught_unless_it_says_why(tmp_path):
    body = "".join(f"X{i} = {i}\n" for i in range(check_imports.MAX_LINES))
    files = dict(CLEAN)
    files["survival/big.py"] = '"""Many constants."""\n' + body + "Y = 0\n"
    files["survival/reasoned.py"] = ('"""Many constants."""\n\n# size: one table of constants, '
                                     "read as one\n" + body + "Y = 0\n")
    files["survival/edge.py"] = body  # exactly MAX_LINES lines
    # Docstrings are not counted: a documented function does not make a module bigger.
    files["survival/documented.py"] = (body.rpartition("X")[0]  # MAX_LINES - 1 lines
                                       + 'def f():\n    """One.\n\n    Two.\n    """\n')
    found = check_imports.check(_package(tmp_path, files))
    assert [(p, r) for p, r, _ in _rules(found)] == [("big.py", "size")]
    assert f"{check_imports.MAX_LINES + 1} lines besides docstrings" in found[0].message


def test_top_level_module_outside_every_layer_is_caught(tmp_path):
    pkg = _package(tmp_path, {**CLEAN, "newthing/__init__.py": ""})
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.importlinter]
        root_package = "cjmodels"

        [[tool.importlinter.contracts]]
        name = "layers"
        type = "layers"
        layers = ["cjmodels.markov", "cjmodels.data", "cjmodels.errors : (cjmodels._checks)"]
        """))
    found = check_imports.check(pkg)
    assert [(r, m) for _, r, m in _rules(found)] == [
        ("unplaced", "cjmodels.newthing is in no layer of the layers contract")]


def test_command_line_exit_status(tmp_path, capsys):
    files = dict(CLEAN)
    assert check_imports.main([str(_package(tmp_path / "ok", files))]) == 0
    files["markov/bad.py"] = "from cjmodels.data.journeys import _subset\n"
    assert check_imports.main([str(_package(tmp_path / "bad", files))]) == 1
    assert "[private]" in capsys.readouterr().out


def test_the_package_keeps_the_rules():
    found = check_imports.check(REPO / "cjmodels", relative_to=REPO)
    assert not found, "\n".join(map(str, found))


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (the dev extra has it)")
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(exe), "--no-cache", "--no-logo"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_contracts_catch_a_forbidden_import(tmp_path):
    # a copy of the package in which a capability imports the command line (the face)
    shutil.copytree(REPO / "cjmodels", tmp_path / "cjmodels",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    fit = tmp_path / "cjmodels" / "markov" / "fit.py"
    fit.write_text(fit.read_text() + "\n\ndef _face():\n    import cjmodels.cli  # noqa: F401\n")
    out = _lint_imports(tmp_path)
    assert out.returncode != 0
    assert "cjmodels.markov is not allowed to import cjmodels.cli" in out.stdout
    assert "cjmodels.markov.fit -> cjmodels.cli" in out.stdout


def test_the_package_keeps_the_contracts():
    out = _lint_imports(REPO)
    assert out.returncode == 0, out.stdout[-4000:]
