"""Path queries: top paths with coverage, a pattern language, per-journey metrics, selections."""

from __future__ import annotations

__all__: list[str] = []
