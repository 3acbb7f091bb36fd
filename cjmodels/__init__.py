"""cjmodels: statistics of customer journeys.

Stage-transition Markov chains, multi-touch attribution, survival and customer-base models, and
A/B experiments, all from one validated touchpoint event log (:mod:`cjmodels.data`), with
synthetic worlds of known ground truth (:mod:`cjmodels.synthetic`) to show that each method
recovers the truth.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cjmodels")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
