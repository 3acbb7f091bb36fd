"""Journey analytics: the descriptive questions analysts ask first, each with its uncertainty.

Funnels under explicit definitions (:mod:`~cjmodels.analytics.funnels`), step matrices around an
anchor event (:mod:`~cjmodels.analytics.steps`), path queries and selections
(:mod:`~cjmodels.analytics.paths`), the time along each transition
(:mod:`~cjmodels.analytics.edges`), cohort retention (:mod:`~cjmodels.analytics.cohorts`) and
behavioural segments (:mod:`~cjmodels.analytics.segments`). Every count is a reduction of the
event log by the data layer's rules (journeys, sessions, censoring); every share comes with its
interval, and every comparison of segments with its test and a multiplicity correction.

The package sits above the other capabilities (ARCHITECTURE.md): it uses the tests and
corrections of :mod:`cjmodels.experiments`, the survival curves of :mod:`cjmodels.survival` and
the chains of :mod:`cjmodels.markov`.
"""

from cjmodels.analytics import cohorts, edges, funnels, paths, segments, steps
from cjmodels.analytics.cohorts import *  # noqa: F403
from cjmodels.analytics.edges import *  # noqa: F403
from cjmodels.analytics.funnels import *  # noqa: F403
from cjmodels.analytics.paths import *  # noqa: F403
from cjmodels.analytics.segments import *  # noqa: F403
from cjmodels.analytics.steps import *  # noqa: F403

__all__ = [*funnels.__all__, *steps.__all__, *paths.__all__, *edges.__all__, *cohorts.__all__,
           *segments.__all__]
