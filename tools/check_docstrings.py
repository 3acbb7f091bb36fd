"""Check that every public name of cjmodels has a complete numpydoc docstring.

    python tools/check_docstrings.py [--module cjmodels.data] [--quiet]

Every name of every public ``__all__`` (:mod:`tools.public_api`), and every public method and
property its classes define, is validated with numpydoc's validator (``numpydoc.validate``); the
checks held are :data:`CHECKS`, and on top of them:

* a function, and a class a user constructs (not a result, an exception or a warning), has an
  ``Examples`` section (EX01); the examples run in the test suite (``--doctest-modules``);
* a result (a subclass of :class:`cjmodels.results.Result`) is built by the package, not by the
  user: its fields are described in an ``Attributes`` section (``AT01`` names the missing ones)
  instead of a ``Parameters`` section;
* a constant (a name of an ``__all__`` that is neither a class nor a function) is described by a
  ``#:`` comment on the line before its assignment in the module that defines it (``DC01``).

One line per problem (``file:line: name: CODE message``), exit status 1 when there is any;
``make lint`` runs it.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.public_api import PublicName, public_members, public_names

#: numpydoc's checks that every public docstring passes (numpydoc.validate.ERROR_MSGS).
CHECKS = frozenset({
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "GL10",  # reST directive without two colons
    "SS01",  # no summary
    "SS02",  # summary starts with a capital letter
    "SS03",  # summary ends with a period
    "PR01",  # parameters not documented
    "PR02",  # unknown parameters documented
    "PR03",  # parameters in another order than the signature
    "PR04",  # parameter without a type
    "PR07",  # parameter without a description
    "RT01",  # no Returns section (for what returns something)
    "RT03",  # return value without a description
    "YD01",  # no Yields section for a generator
})
PARAMETER_CHECKS = frozenset({"PR01", "PR02", "PR03"})


def _location(obj: object) -> str:
    target = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)  # type: ignore[arg-type]
    try:
        file = Path(inspect.getsourcefile(target) or "?")
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return "?"
    try:
        file = file.relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{file}:{line}"


def _definition_source(validator: object) -> str:
    target = inspect.unwrap(validator.obj)  # type: ignore[attr-defined]
    target = getattr(target, "fget", target)
    file = inspect.getsourcefile(target)
    line = inspect.getsourcelines(target)[1]
    tree = ast.parse(Path(file).read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == \
                target.__name__ and min([node.lineno, *(d.lineno for d in node.decorator_list)]) == line:
            return ast.unparse(node)
    return textwrap.dedent(inspect.getsource(target))


def _numpydoc(path: str, checks: frozenset[str]) -> list[tuple[str, str]]:
    from numpydoc import validate as nv

    if not getattr(nv.Validator, "_reads_definitions", False):
        # numpydoc parses a method's source text as is, which fails for a method whose
        # docstring has lines indented less than its ``def``: read the definition from the
        # parsed module instead.
        nv.Validator.method_source = property(_definition_source)
        nv.Validator._reads_definitions = True
    errors = nv.validate(path)["errors"]
    return [(code, msg) for code, msg in errors if code in checks]


def _is_result(obj: object) -> bool:
    from cjmodels.results import Result

    return inspect.isclass(obj) and issubclass(obj, Result)


def _is_exception(obj: object) -> bool:
    return inspect.isclass(obj) and issubclass(obj, BaseException)


def _attribute_errors(cls: type) -> list[tuple[str, str]]:
    """A result's dataclass fields missing from its ``Attributes`` section."""
    from numpydoc.docscrape import NumpyDocString

    doc = NumpyDocString(inspect.getdoc(cls) or "")
    described: set[str] = set()
    for item in doc["Attributes"]:
        described.update(n.strip() for n in item.name.split(","))
    fields = [f for f in getattr(cls, "__dataclass_fields__", {}) if not f.startswith("_")]
    missing = [f for f in fields if f not in described]
    return [("AT01", f"Attributes {missing} not described")] if missing else []


def _constant_documented(item: PublicName) -> bool:
    """Whether the constant's assignment has a ``#:`` comment line before it."""
    module = importlib.import_module(item.module)
    candidates = [module]
    # Follow ``from .x import NAME`` to the defining module.
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name in (item.name, "*")
                                                    for a in node.names):
            base = module.__name__ if module.__file__.endswith("__init__.py") else (
                module.__name__.rpartition(".")[0])
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            name = f"{base}.{node.module}" if node.level else node.module
            candidates.insert(0, importlib.import_module(name))
    for mod in candidates:
        try:
            lines = inspect.getsource(mod).splitlines()
        except (OSError, TypeError):
            continue
        for i, line in enumerate(lines):
            stripped = line.split(":")[0].split("=")[0].strip()
            if stripped == item.name and not line.startswith((" ", "\t")):
                return i > 0 and lines[i - 1].lstrip().startswith("#:")
    return False


def problems(module: str | None = None) -> Iterator[str]:
    """One line per problem of the public docstrings (of one module's names, if given)."""
    seen: set[str] = set()
    for item in public_names():
        if module is not None and item.module != module:
            continue
        if item.canonical != item.qualname or item.canonical in seen:
            continue
        seen.add(item.canonical)
        obj = item.obj
        if item.kind == "data":
            if not _constant_documented(item):
                yield (f"{item.module}: {item.qualname}: DC01 constant without a '#:' comment "
                       "on the line before its assignment")
            continue
        checks = set(CHECKS)
        if _is_result(obj):
            checks -= PARAMETER_CHECKS
        needs_example = item.kind == "function" or not (_is_result(obj) or _is_exception(obj))
        if needs_example:
            checks.add("EX01")
        errs = _numpydoc(item.qualname, frozenset(checks))
        if _is_result(obj):
            errs += _attribute_errors(obj)
        for code, msg in errs:
            yield f"{_location(obj)}: {item.qualname}: {code} {msg}"
        if item.kind != "class":
            continue
        for attr, value, kind in public_members(obj):
            path = f"{item.qualname}.{attr}"
            member_checks = frozenset({"GL08", "SS01", "SS02", "SS03"}) if kind == "property" \
                else frozenset(CHECKS)
            for code, msg in _numpydoc(path, member_checks):
                yield f"{_location(value)}: {path}: {code} {msg}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", help="only the names of this public module")
    parser.add_argument("--quiet", action="store_true", help="print only the count")
    args = parser.parse_args(argv)
    found = list(problems(args.module))
    if not args.quiet:
        print("\n".join(found))
    print(f"{len(found)} docstring problem(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
