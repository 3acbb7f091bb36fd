"""The one resampling helper: per-replicate generators and the resampling schemes.

Replicate ``b`` always draws from child ``b`` of ``as_generator(random_state).spawn(n_boot)``,
so a result does not depend on how replicates are batched, run in parallel or interrupted, and
``progress=`` behaves as everywhere else (:mod:`cjmodels._progress`). Every bootstrap of the
package draws through the schemes here:

* :func:`resample_units` -- the nonparametric bootstrap over units (customers): how many times
  each of ``n`` units is drawn in ``n`` draws with replacement (markov's chain and life-cycle
  bootstraps, the hidden Markov model's);
* :func:`reweight` -- a replicate of frequency weights (counts of identical rows): multinomial
  (the ``N`` journeys drawn with replacement) or Poisson(1) per journey (attribution; markov's
  chain bootstrap with fractional weights);
* :func:`bca_bootstrap` -- independent resampling of each sample with scipy's BCa interval
  (experiments' bootstrap of means and lifts).

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
from cjmodels.errors import ValidationError

__all__ = ["bca_bootstrap", "bootstrap", "replicate_generators", "resample_units", "reweight"]


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


def resample_units(rng: np.random.Generator, n: int) -> np.ndarray:
    """How many times each of ``n`` units is drawn in ``n`` draws with replacement.

    Examples
    --------
    >>> c = resample_units(np.random.default_rng(0), 5)
    >>> int(c.sum()), len(c)
    (5, 5)
    """
    return np.bincount(rng.integers(0, n, n), minlength=n)


def reweight(weight: np.ndarray, rng: np.random.Generator, method: str = "poisson") -> np.ndarray:
    """One bootstrap replicate of frequency weights ``weight`` (counts of identical rows).

    ``"multinomial"`` resamples the N units with replacement (counts multinomial with
    probabilities ``weight / N``); ``"poisson"`` gives every unit a Poisson(1) count, so a row
    of ``w`` units gets Poisson(w): the same to first order, and independent across rows.

    Examples
    --------
    >>> w = reweight(np.array([5.0, 0.0, 3.0]), np.random.default_rng(0), "multinomial")
    >>> float(w.sum()), float(w[1])
    (8.0, 0.0)
    """
    if method == "poisson":
        return rng.poisson(weight).astype(float)
    if method == "multinomial":
        n = int(round(float(weight.sum())))
        return rng.multinomial(n, weight / weight.sum()).astype(float)
    raise ValidationError(f"method == {method!r}, must be one of 'poisson', 'multinomial'.")


def bca_bootstrap(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., Any],
    n_boot: int,
    confidence_level: float,
    rng: np.random.Generator,
) -> Any:
    """Resample each sample independently ``n_boot`` times; scipy's BCa interval.

    :func:`scipy.stats.bootstrap` (``method="BCa"``, vectorised ``statistic``), drawing from
    ``rng`` in batches of 200. Returns scipy's ``BootstrapResult`` (``confidence_interval``,
    ``bootstrap_distribution``).

    Examples
    --------
    >>> x = np.arange(20.0)
    >>> r = bca_bootstrap((x,), lambda a, axis=-1: a.mean(axis=axis), 999, 0.95,
    ...                   np.random.default_rng(1))
    >>> r.bootstrap_distribution.shape
    (999,)
    """
    from scipy import stats

    return stats.bootstrap(samples, statistic, n_resamples=n_boot,
                           confidence_level=confidence_level, method="BCa", vectorized=True,
                           random_state=rng, batch=200)
