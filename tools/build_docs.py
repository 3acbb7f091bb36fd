"""Build the documentation site and check it: ``make docs`` runs ``python -m tools.build_docs``.

1. The notebooks' pages show the copies the test suite executed (``output/notebooks/``, written
   by ``tests/test_notebooks.py``). When one is missing or older than its source (or than the
   package), those tests run first; a notebook is never executed by the build itself.
2. Sphinx builds ``docs/`` into ``build/docs/html`` from a fresh environment (``-E``, so that
   every page is read again and none of its warnings is hidden by an earlier build), with
   warnings as errors; nothing is fetched from the internet.
3. ``tools/check_links.py`` checks every internal link and anchor, and that no page loads
   anything from another server.
4. ``tests/docs/`` opens the site in headless Chromium (index, an API page, a user-guide page and
   a notebook page: no console error, no request leaving the file system, search answers
   offline) and writes screenshots to ``build/docs/screenshots/``.

Exit status 0 when all of it holds; the first failing step's status otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "docs" / "html"
EXECUTED = ROOT / "output" / "notebooks"


def stale_notebooks() -> list[str]:
    """The notebooks whose executed copy is missing or older than their source or the package."""
    newest_code = max(p.stat().st_mtime for p in (ROOT / "cjmodels").rglob("*.py"))
    stale = []
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        executed = EXECUTED / f"{source.stem}.ipynb"
        if not executed.exists() or executed.stat().st_mtime < max(
                source.stat().st_mtime, newest_code):
            stale.append(source.stem)
    return stale


def _run(args: list[str], **kwargs: object) -> None:
    print("+", " ".join(args), flush=True)
    done = subprocess.run(args, cwd=ROOT, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode:
        sys.exit(done.returncode)


def main() -> int:
    py = sys.executable
    stale = stale_notebooks()
    if stale:
        print(f"executing the notebooks through their tests (not executed yet or stale: "
              f"{', '.join(stale)})", flush=True)
        _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_notebooks.py",
              "-k", " or ".join(stale)])
    _run([py, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html", "docs", str(SITE)])
    _run([py, "tools/check_links.py", str(SITE)])
    env = {**os.environ, "CJMODELS_DOCS_SITE": str(SITE)}
    _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/docs"], env=env)
    print(f"the site is in {SITE}: open {SITE / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
