"""Funnels over arbitrary event steps under explicit definitions, and conversion within a window."""

from __future__ import annotations

__all__: list[str] = []
