"""Time per transition: the distribution of the time along each edge, censoring-aware."""

from __future__ import annotations

__all__: list[str] = []
