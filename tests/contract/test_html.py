"""Every result's notebook view (``_repr_html_``) renders in a real browser.

The HTML of every contract example is put on one page and opened in headless Chromium (Debian's
``chromium``, installed by ``make browser``, which ``make test`` runs); the rendered DOM must
hold one block per result, each with its one-line repr and, where the summary has rows, a table.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import warnings

import pytest

from tests.contract.test_contract import CLASSES, CONCRETE_RESULTS, RESULTS, _instance


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is not installed: run `make browser` (apt-get install chromium)")


def test_every_result_renders_in_chromium(tmp_path):
    classes = [c for c in CONCRETE_RESULTS if c in RESULTS]
    blocks = []
    for cls in classes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = _instance(cls)
        blocks.append(f'<section id="{CLASSES[cls]}">{r._repr_html_()}</section>')
    page = tmp_path / "results.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>results</title></head><body>"
        + "".join(blocks)
        + "</body></html>",
        encoding="utf-8",
    )
    out = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    missing = []
    for cls in classes:
        sid = f'<section id="{CLASSES[cls]}">'
        start = dom.find(sid)
        if start < 0:
            missing.append(CLASSES[cls])
            continue
        section = dom[start: dom.find("</section>", start)]
        r = _instance(cls)
        if 'class="cjmodels-result"' not in section or html.escape(repr(r), quote=False) not in section:
            missing.append(CLASSES[cls])
        if len(r.summary()) and "<table" not in section:
            missing.append(f"{CLASSES[cls]} (no table)")
    assert not missing, f"not rendered as expected in Chromium: {missing}"
    assert len(classes) >= 1
