"""Behavioural segments: a finite mixture of Markov chains over journeys, fitted by EM."""

from __future__ import annotations

__all__: list[str] = []
