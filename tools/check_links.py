"""Check the links of the built documentation site, without the network.

    python tools/check_links.py [SITE_DIR]      (default: build/docs/html)

Every ``href`` and ``src`` of every HTML page is read. A link inside the site must reach a file
that exists, and its ``#fragment`` an element with that ``id`` (or ``name``) in the target page.
A page must load nothing from another server: a ``<script src>``, ``<link href>`` (style sheet,
font, icon), ``<img src>`` or ``<iframe src>`` with a scheme (``https:``) or ``//`` fails, since
the site must work offline and from the file system. Links a reader follows to another site
(``<a href="https://...">``) are counted, not fetched. One line per problem, exit status 1 when
there is any.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Tags whose URL attribute the browser loads by itself when the page opens.
LOADED = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
          ("source", "src"), ("video", "src"), ("audio", "src")}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            if name in ("href", "src"):
                self.urls.append((tag, name, value))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def problems(site: Path) -> tuple[list[str], int]:
    """The problems of the site's links, and the number of links to other sites."""
    pages = {p: _parse(p) for p in sorted(site.rglob("*.html"))
             if p.relative_to(site).parts[0] not in ("_static", "_sources")}
    found: list[str] = []
    external = 0
    fragments: dict[Path, set[str]] = defaultdict(set)
    for path, page in pages.items():
        fragments[path] = page.ids
    for path, page in pages.items():
        where = path.relative_to(site)
        for tag, attr, url in page.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                if parts.scheme in ("data", "javascript"):
                    continue
                if (tag, attr) in LOADED and not (tag == "link" and "canonical" in url):
                    found.append(f"{where}: <{tag} {attr}={url!r}> loads from another server")
                external += 1
                continue
            if not parts.path:  # "#fragment" within the page
                target = path
            else:
                target = (path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    found.append(f"{where}: {url!r} points to a missing file")
                    continue
            if parts.fragment and target.suffix == ".html":
                ids = fragments.get(target)
                if ids is None:
                    ids = fragments[target] = _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    found.append(f"{where}: {url!r} points to a missing anchor")
    return found, external


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0] if args else "build/docs/html")
    if not (site / "index.html").exists():
        print(f"{site}: no index.html; build the site first (make docs)", file=sys.stderr)
        return 1
    found, external = problems(site)
    for line in found:
        print(line)
    n_pages = sum(1 for p in site.rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("_static", "_sources"))
    print(f"{n_pages} pages, {len(found)} broken or remote-loading link(s), "
          f"{external} link(s) to other sites not followed", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
