"""Pages of the cjmodels site written from the code at build time (into ignored folders).

* ``api/``: the API reference, one page per public module listing its names and one page per
  name (at its canonical module, :mod:`tools.public_api`), so that a public name without a page
  cannot exist;
* ``cli.rst``: the command-line reference, the help of every command and subcommand as the
  parser prints it (no second description of the flags);
* ``notebooks/``: the notebooks as the test suite executed them (``output/notebooks/*.ipynb``,
  written by ``tests/test_notebooks.py``; ``make docs`` runs those tests first when they are
  missing or older than the notebooks' sources);
* ``_static/mathjax``: the parts of Debian's MathJax (``libjs-mathjax``) that render formulas,
  copied into the built site so that no page fetches anything from the internet.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

from tools.public_api import PUBLIC_MODULES, public_names

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
EXECUTED = ROOT / "output" / "notebooks"
MATHJAX = Path("/usr/share/javascript/mathjax")
#: What of MathJax 2.7 the site loads: the TeX input, the CommonHTML output and its fonts.
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML.js", "extensions", "jax/input/TeX",
                 "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff")


def _title(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (so that Sphinx rebuilds only changes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_api_pages(out: Path = DOCS / "api") -> list[str]:
    """Write the API reference's pages; return the canonical names that got a page."""
    names = public_names()
    pages: list[str] = []
    for item in names:
        if item.canonical != item.qualname:
            continue
        pages.append(item.canonical)
        if item.kind == "class":
            body = (f".. currentmodule:: {item.module}\n\n"
                    f".. autoclass:: {item.name}\n   :members:\n   :show-inheritance:\n")
        elif item.kind == "function":
            body = f".. currentmodule:: {item.module}\n\n.. autofunction:: {item.name}\n"
        else:
            body = f".. currentmodule:: {item.module}\n\n.. autodata:: {item.name}\n"
        # Short names are unique across the package (tests/contract/test_vocabulary.py).
        _write(out / f"{item.canonical}.rst", _title(item.name) + "\n" + body)

    index = [_title("API reference"), "",
             "Every name of every public module's ``__all__``, one page each. A name exported "
             "by two modules is documented at the first, and listed by both.", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    for modname in PUBLIC_MODULES:
        index.append(f"   {modname}")
        mod_items = [i for i in names if i.module == modname]
        lines = [_title(modname), "", f".. automodule:: {modname}", "   :no-members:", "",
                 f".. currentmodule:: {modname}", ""]
        for kind, heading in (("class", "Classes"), ("function", "Functions"),
                              ("data", "Constants")):
            group = [i for i in mod_items if i.kind == kind]
            if not group:
                continue
            lines += [_title(heading, "-"), ".. autosummary::", ""]
            # A name documented here by its short name; one documented elsewhere by its page's.
            lines += [f"   {i.name}" if i.canonical == i.qualname else f"   ~{i.canonical}"
                      for i in group]
            lines.append("")
        own = [i.canonical for i in mod_items if i.canonical == i.qualname]
        if own:
            lines += [".. toctree::", "   :hidden:", "", *(f"   {c}" for c in own), ""]
        _write(out / f"{modname}.rst", "\n".join(lines))
    _write(out / "index.rst", "\n".join(index) + "\n")
    return pages


def _subcommands(parser: argparse.ArgumentParser, prog: str) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _subcommands(sub, f"{prog} {name}")
    return found


def write_cli_page(out: Path = DOCS / "cli.rst") -> None:
    """Write the command-line reference from the parser."""
    from cjmodels.cli import build_parser

    os.environ["COLUMNS"] = "96"  # argparse wraps help text to the terminal width
    lines = [_title("Command line"), "",
             "The ``cjmodels`` command is a thin layer over the Python API: its flags are the "
             "API's keywords in kebab-case and take the API's option strings, with the API's "
             "defaults (except ``--random-state 0``, so that a command repeats). Every command "
             "prints a readable report, or strict JSON with ``--format json``. The help below "
             "is printed by the parser itself when this page is built.", ""]
    for prog, parser in _subcommands(build_parser(), "cjmodels"):
        depth = prog.count(" ")
        lines += [_title(f"``{prog}``", "-~^"[min(depth, 2)]), "", ".. code-block:: text", ""]
        lines += [f"   {line}".rstrip() for line in parser.format_help().splitlines()]
        lines.append("")
    _write(out, "\n".join(lines))


def copy_notebooks(out: Path = DOCS / "notebooks") -> None:
    """Copy the executed notebooks into the site's source (they are not executed again)."""
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    missing = [p.stem for p in sources if not (EXECUTED / f"{p.stem}.ipynb").exists()]
    if missing:
        raise ConfigError(
            f"executed notebooks {missing} are missing from {EXECUTED}: run `make docs` (it runs "
            "tests/test_notebooks.py, which writes them) or `pytest tests/test_notebooks.py`")
    out.mkdir(exist_ok=True)
    for p in sources:
        target = out / f"{p.stem}.ipynb"
        source = EXECUTED / f"{p.stem}.ipynb"
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    """Copy the parts of MathJax the pages load into the built site."""
    if exception is not None or app.builder.format != "html":
        return
    if not (MATHJAX / "MathJax.js").exists():
        raise ConfigError("MathJax is missing: run `make docs` (it installs Debian's "
                          "libjs-mathjax) or apt-get install libjs-mathjax")
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def _generate(app: Sphinx) -> None:
    write_api_pages()
    write_cli_page()
    copy_notebooks()


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("builder-inited", _generate)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
