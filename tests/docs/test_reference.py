"""Every public name has a page in the API reference, and the site's link checker finds faults.

The API pages are written from the public ``__all__`` lists (``docs/_ext/cjdocs.py``); here they
are written into a temporary folder and every name of every public module must have its page
(at its canonical module) and be listed on its module's page. When the site is built, every page
must also be in it.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from tools.check_links import problems as link_problems
from tools.public_api import PUBLIC_MODULES, public_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cjdocs():
    pytest.importorskip("sphinx", reason="install the 'docs' extra")
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        yield importlib.import_module("cjdocs")
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))


def test_every_public_name_has_a_page(cjdocs, tmp_path):
    pages = set(cjdocs.write_api_pages(tmp_path))
    names = public_names()
    assert {n.canonical for n in names} <= pages
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        listing = (tmp_path / f"{modname}.rst").read_text()
        for name in module.__all__:
            item = next(n for n in names if n.module == modname and n.name == name)
            assert (tmp_path / f"{item.canonical}.rst").exists(), item.qualname
            shown = name if item.canonical == item.qualname else f"~{item.canonical}"
            assert f"   {shown}\n" in listing, f"{item.qualname} is not listed on {modname}'s page"
    index = (tmp_path / "index.rst").read_text()
    assert all(f"   {m}\n" in index for m in PUBLIC_MODULES)


def test_a_public_module_is_in_the_reference():
    """A package with an ``__all__`` under cjmodels is a public module of the reference."""
    init_files = sorted((ROOT / "cjmodels").rglob("__init__.py"))
    with_all = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in init_files if "__all__" in p.read_text()
    } - {"cjmodels"}
    assert with_all <= set(PUBLIC_MODULES), sorted(with_all - set(PUBLIC_MODULES))


def test_the_built_site_has_every_page():
    # Run by `make docs` on the site it has just built (a site built earlier may be stale).
    if "CJMODELS_DOCS_SITE" not in os.environ:
        pytest.skip("make docs builds the site and checks its pages")
    site = Path(os.environ["CJMODELS_DOCS_SITE"])
    missing = [n.canonical for n in public_names()
               if not (site / "api" / f"{n.canonical}.html").exists()]
    assert not missing, f"no page in {site} for {missing[:10]}"


def test_the_link_checker_finds_broken_links_and_remote_loads(tmp_path):
    (tmp_path / "a.html").write_text(
        '<html><body id="top"><a href="b.html#here">ok</a><a href="b.html#gone">x</a>'
        '<a href="missing.html">x</a><a href="https://example.org/">followed, not loaded</a>'
        '<script src="https://cdn.example.org/x.js"></script><a href="#top">ok</a></body></html>')
    (tmp_path / "b.html").write_text('<html><body><p id="here">b</p></body></html>')
    found, external = link_problems(tmp_path)
    assert len(found) == 3, found
    assert any("#gone" in f and "anchor" in f for f in found)
    assert any("missing.html" in f and "missing file" in f for f in found)
    assert any("cdn.example.org" in f and "another server" in f for f in found)
    assert external == 2
