"""The one bootstrap helper: per-replicate generators spawned from ``random_state``.

Replicate ``b`` always draws from child ``b`` of ``as_generator(random_state).spawn(n_boot)``,
so a result does not depend on how replicates are batched, run in parallel or interrupted, and
``progress=`` behaves as everywhere else (:mod:`cjmodels._progress`).

Examples
--------
>>> import numpy as np
>>> gens = replicate_generators(7, 3)
>>> [int(g.integers(100)) for g in gens] == [int(g.integers(100)) for g in replicate_generators(7, 3)]
True
>>> bootstrap(lambda rng: float(rng.normal()), 4, random_state=1).shape
(4,)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cjmodels._checks import as_generator, check_scalar
from cjmodels._progress import check_progress, progress_bar

__all__ = ["bootstrap", "replicate_generators"]


def replicate_generators(random_state: Any, n_boot: int) -> list[np.random.Generator]:
    """``n_boot`` independent generators, child ``b`` for replicate ``b``."""
    n_boot = check_scalar(n_boot, "n_boot", typ=int, ge=0)
    return list(as_generator(random_state).spawn(n_boot)) if n_boot else []


def bootstrap(
    replicate: Callable[[np.random.Generator], Any],
    n_boot: int,
    *,
    random_state: Any = None,
    progress: Any = False,
    desc: str = "bootstrap",
) -> np.ndarray:
    """Run ``replicate(rng_b)`` for ``b = 0 .. n_boot - 1`` and stack the answers.

    Each call gets its own child generator (:func:`replicate_generators`); the answers (scalars
    or equal-shaped arrays) are stacked along a new first axis.
    """
    check_progress(progress)
    gens = replicate_generators(random_state, n_boot)
    out = [np.asarray(replicate(g)) for g in progress_bar(gens, progress, total=n_boot, desc=desc)]
    if not out:
        return np.empty((0,))
    return np.stack(out)
