"""Step matrices and step Sankey diagrams around an anchor event."""

from __future__ import annotations

__all__: list[str] = []
