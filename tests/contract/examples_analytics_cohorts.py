"""Contract examples for the cohort retention result (see _cases.py)."""

from __future__ import annotations

from functools import cache

from cjmodels.analytics import CohortRetention, cohort_retention


@cache
def _retention() -> CohortRetention:
    from cjmodels.synthetic import simulate_subscriptions

    w = simulate_subscriptions(300, model="sbg", days=240, random_state=3)
    return cohort_retention(w.events, period="30D", active="subscribed")


RESULTS = {CohortRetention: _retention}
