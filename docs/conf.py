"""Sphinx configuration of the cjmodels site (``make docs`` builds it into build/docs/html).

Sphinx with the PyData theme, numpydoc and autodoc: the docstrings are numpydoc already (the
scientific Python convention our users read in numpy, pandas, statsmodels and lifelines), and
numpydoc's own validator checks them in ``make lint``; autodoc renders them from the installed
package, and the API pages are written from the public ``__all__`` lists by ``_ext/cjdocs.py``.
The notebooks are rendered by myst-nb from the executed copies the test suite writes (never
executed here). Nothing is fetched from the internet: no intersphinx, MathJax from Debian's
``libjs-mathjax`` copied into the site, and the theme's assets are bundled with it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS / "_ext")]

import cjmodels  # noqa: E402
from tools.public_api import PUBLIC_MODULES  # noqa: E402

project = "cjmodels"
author = "cjmodels developers"
copyright = "2026, cjmodels developers"
release = cjmodels.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "cjdocs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "conftest.py", "**.ipynb_checkpoints", "byod/*"]
templates_path: list[str] = []

# autodoc / autosummary / numpydoc
autosummary_generate = False  # the pages are written by _ext/cjdocs.py
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# A reference to a public name of ours (or a member of one, or a public module) that does not
# resolve is an error: the name was renamed or removed. References to other packages' names and
# to our internal modules stay plain text (no intersphinx: nothing is fetched).
_modules = "|".join(re.escape(m) for m in PUBLIC_MODULES)
nitpicky = True
nitpick_ignore_regex = [
    ("py:mod", rf"(?!(?:{_modules})$).*"),
    (r"py:(?!mod).*", rf"(?!(?:{_modules})\.[A-Za-z]\w*(?:\.[A-Za-z]\w*)?$).*"),
]

# Notebooks: rendered as the test suite executed them.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
# CONTRIBUTING.md, ARCHITECTURE.md and CHANGELOG.md are included below a page's own title, so
# their headings start at the second level.
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

# MathJax 2 from Debian, copied into _static/mathjax by _ext/cjdocs.py.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML"

html_theme = "pydata_sphinx_theme"
html_title = f"cjmodels {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
# The search page would fetch every hit's page for a snippet, which a browser refuses for pages
# opened from the file system: show the titles only, so that search works offline.
html_show_search_summary = False
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
