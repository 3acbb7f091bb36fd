"""Cohort retention tables with intervals, next to the survival models' reading."""

from __future__ import annotations

__all__: list[str] = []
