"""Check the rules of ARCHITECTURE.md that import-linter's contracts do not state.

    python tools/check_imports.py [PACKAGE_DIR]      (default: cjmodels/ beside this folder)

Every module of the package is read as source (nothing is imported), and every import statement
counts, at the top of a module or inside a function (lazy), under ``if TYPE_CHECKING:`` or not,
and so does ``importlib.import_module("...")`` with a literal name. It fails (exit status 1, one
line per violation) on:

* ``private``: an import of a private name (``_x``) or of a private module (``_m``) that belongs
  to another top-level subpackage, e.g. ``from cjmodels.data.journeys import _subset`` in
  ``cjmodels.markov``, or reached as an attribute (``journeys._subset`` after
  ``from cjmodels.data import journeys``). The shared helpers at the top level (:data:`SHARED`) are meant to be
  imported: their public names are open to every package (their private names are not).
* ``cycle``: a cycle of imports between modules of the package, lazy imports included. A module
  that imports ``pkg.sub`` depends on ``pkg.sub``; ``from pkg import name`` depends on ``pkg``
  (its ``__init__``) unless ``name`` is a submodule of ``pkg``.
* ``find-spec``: ``importlib.util.find_spec`` asked about one of our own modules (or about a
  name computed at run time, which may be one): a package knows what it imports.
* ``unplaced``: a top-level module or subpackage that no layer of the ``layers`` contract in
  pyproject.toml (beside the package) names, so that no contract would see it.
* ``size``: a module over :data:`MAX_LINES` lines without a ``# size: <reason>`` comment at its
  top (before its first import, definition or statement after the docstring). Docstrings are
  not counted: documentation with examples does not make a module harder to follow.

The import contracts (layers, independent capabilities, private modules, acyclic siblings) are
import-linter's, in pyproject.toml; ``make lint`` runs both.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Top-level helpers shared by every package (layer 6 of ARCHITECTURE.md): their public names
#: may be imported from anywhere in the package although their module names are private.
SHARED = frozenset({
    "_json", "_checks", "_progress", "_resample", "_compat", "_threads", "_optim", "_chains",
    "results", "errors",
})
MAX_LINES = 700
SIZE_TAG = "# size:"


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule: where, which rule, and what."""

    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class _Import:
    target: str  # the module imported from (absolute)
    names: tuple[str, ...]  # the names imported from it ("" for a plain `import target`)
    line: int


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package."""
    root = package_dir.name
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        parts = [root, *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(module: str | None, level: int, importer: str, is_pkg: bool) -> str:
    if not level:
        return module or ""
    base = importer.split(".") if is_pkg else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(tree: ast.Module, importer: str, is_pkg: bool) -> Iterator[_Import]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _Import(alias.name, ("",), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module, node.level, importer, is_pkg)
            yield _Import(target, tuple(a.name for a in node.names), node.lineno)
        elif isinstance(node, ast.Call) and _call_name(node) == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield _Import(arg.value, ("",), node.lineno)


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def _unit(module: str) -> str:
    """The top-level subpackage (or top-level module) a module belongs to."""
    return ".".join(module.split(".")[:2])


def _private_part(target: str, modules: dict[str, Path]) -> str | None:
    """The first private component of ``target`` below its top-level unit (a shared helper's
    own name excepted), if any."""
    parts = target.split(".")
    tail = parts[2:] if len(parts) >= 2 and parts[1] in SHARED else parts[1:]
    return next((p for p in tail if _private(p)), None)


def _private_imports(imp: _Import, mod: str, modules: dict[str, Path], root: str,
                     shown: str) -> Iterator[Violation]:
    """Private modules and names of another top-level unit in one import statement."""
    names = [n for n in imp.names if n]
    what = f"from {imp.target} import {', '.join(names)}" if names else f"import {imp.target}"
    if imp.target != root and _unit(imp.target) != _unit(mod):
        bad = _private_part(imp.target, modules)
        if bad:
            yield Violation(shown, imp.line, "private", f"{what}: private module {bad} of "
                            f"{_unit(imp.target)} imported by {mod}")
            return
    for name in names:
        sub = f"{imp.target}.{name}"
        if _unit(sub) == _unit(mod):
            continue  # inside one top-level subpackage everything may be shared
        if imp.target == root:
            if _private(name) and name not in SHARED:
                yield Violation(shown, imp.line, "private", f"{what}: private module {name} "
                                f"of {root} imported by {mod}")
            continue
        if _private(name):
            kind = "module" if sub in modules else "name"
            yield Violation(shown, imp.line, "private", f"from {imp.target} import {name}: "
                            f"private {kind} of "
                            f"{_unit(sub)} imported by {mod}")


def _private_attributes(tree: ast.Module, mod: str, is_pkg: bool, modules: dict[str, Path],
                        root: str, shown: str) -> Iterator[Violation]:
    """``journeys._subset`` after ``from cjmodels.data import journeys``: a private name of
    another top-level unit reached as an attribute of a module imported from it."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == root or a.name.startswith(root + "."):
                    aliases[a.asname or root] = a.name if a.asname else root
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module, node.level, mod, is_pkg)
            for a in node.names:
                if f"{target}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{target}.{a.name}"
    if not aliases:
        return
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        attrs: list[str] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            attrs.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name) or cur.id not in aliases:
            continue
        full = ".".join([aliases[cur.id], *reversed(attrs)])
        if _unit(full) == _unit(mod) or full.split(".")[:2] == [root]:
            continue
        bad = _private_part(full, modules)
        if bad:
            yield Violation(shown, node.lineno, "private", f"{ast.unparse(node)}: private "
                            f"{'module' if full.split(bad)[0] + bad in modules else 'name'} "
                            f"{bad} of {_unit(full)} used by {mod}")


def _docstring_lines(tree: ast.Module) -> int:
    """Lines of the module's, classes' and functions' docstrings."""
    n = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                n += body[0].end_lineno - body[0].lineno + 1
    return n


def _size_reason(text: str) -> bool:
    """A ``# size: <reason>`` comment before the module's first statement after its docstring."""
    tree = ast.parse(text)
    body = tree.body
    first = body[0] if body else None
    if (first is not None and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        first = body[1] if len(body) > 1 else None
    stop = first.lineno if first is not None else len(text.splitlines()) + 1
    for line in text.splitlines()[: stop - 1]:
        s = line.strip()
        if s.startswith(SIZE_TAG) and s[len(SIZE_TAG):].strip():
            return True
    return False


def _find_spec_violation(node: ast.Call, root: str) -> str | None:
    if _call_name(node) != "find_spec" or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        name = arg.value
        if name == root or name.startswith(root + ".") or name.startswith("."):
            return f"find_spec({name!r}) asks whether one of our own modules exists"
        return None
    return (f"find_spec({ast.unparse(arg)}) of a name computed at run time (our own modules are "
            "imported, not discovered)")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _shortest_cycle(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected component."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w not in seen:
                    seen.add(w)
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def check(package_dir: Path | str, *, relative_to: Path | str | None = None) -> list[Violation]:
    """Every violation of the rules above in the package at ``package_dir``."""
    package_dir = Path(package_dir).resolve()
    base = Path(relative_to).resolve() if relative_to is not None else package_dir.parent
    root = package_dir.name
    modules = _modules(package_dir)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    lines: dict[tuple[str, str], int] = {}
    found: list[Violation] = []
    for mod, path in modules.items():
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
        tree = ast.parse(text, filename=str(path))
        n_lines = len(text.splitlines()) - _docstring_lines(tree)
        if n_lines > MAX_LINES and not _size_reason(text):
            found.append(Violation(shown, 1, "size", f"{n_lines} lines besides docstrings "
                                   f"(more than {MAX_LINES}) "
                                   f"and no '{SIZE_TAG} <reason>' comment at the top"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                msg = _find_spec_violation(node, root)
                if msg:
                    found.append(Violation(shown, node.lineno, "find-spec", msg))
        for imp in _imports(tree, mod, _is_package(path)):
            if imp.target != root and not imp.target.startswith(root + "."):
                continue
            for name in imp.names:
                sub = f"{imp.target}.{name}" if name else imp.target
                dep = sub if sub in modules else imp.target
                if dep not in modules:  # a module we do not have: its nearest ancestor
                    dep = next((m for m in _ancestors(dep) if m in modules), "")
                if dep and dep != mod:
                    graph[mod].add(dep)
                    lines.setdefault((mod, dep), imp.line)
            found.extend(_private_imports(imp, mod, modules, root, shown))
        found.extend(_private_attributes(tree, mod, _is_package(path), modules, root, shown))
    for comp in _cycles(graph):
        cyc = _shortest_cycle(graph, comp)
        first = modules[cyc[0]]
        shown = first.relative_to(base).as_posix() if first.is_relative_to(base) else str(first)
        steps = " -> ".join(
            f"{a} (line {lines[(a, b)]})" for a, b in zip(cyc, cyc[1:], strict=False)
        )
        found.append(Violation(shown, lines[(cyc[0], cyc[1])], "cycle",
                               f"import cycle of {len(comp)} modules: {steps} -> {cyc[-1]}"))
    found.extend(_unplaced(package_dir, modules, base))
    return sorted(found)


def _unplaced(package_dir: Path, modules: dict[str, Path], base: Path) -> list[Violation]:
    """Top-level units of the package that the layers contract of pyproject.toml leaves out."""
    pyproject = package_dir.parent / "pyproject.toml"
    if not pyproject.exists():
        return []
    config = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    contracts = config.get("importlinter", {}).get("contracts", [])
    layers = next((c.get("layers", []) for c in contracts if c.get("type") == "layers"), None)
    if layers is None:
        return [Violation(pyproject.name, 1, "unplaced", "no layers contract in [tool.importlinter]")]
    named = {n.strip().strip("()") for layer in layers for n in re.split(r"[|:]", layer)}
    root = package_dir.name
    units = sorted({_unit(m) for m in modules if m != root and not m.endswith(".__main__")})
    shown = pyproject.relative_to(base).as_posix() if pyproject.is_relative_to(base) else pyproject
    return [Violation(str(shown), 1, "unplaced", f"{u} is in no layer of the layers contract")
            for u in units if u not in named]


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    here = Path(__file__).resolve().parent.parent
    package_dir = Path(args[0]) if args else here / "cjmodels"
    found = check(package_dir, relative_to=Path.cwd())
    for v in found:
        print(v)
    n_modules = len(_modules(Path(package_dir).resolve()))
    if found:
        rules = sorted({v.rule for v in found})
        print(f"check_imports: {len(found)} violation(s) ({', '.join(rules)}) "
              f"in {n_modules} modules of {Path(package_dir).resolve().name}")
        return 1
    print(f"check_imports: {n_modules} modules, no private cross-package import, no cycle, "
          f"no find_spec of our own modules, no oversize module without a reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
