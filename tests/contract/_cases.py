"""How a subpackage tells the contract test about its results and estimators.

Each ``examples_<subpackage>.py`` beside this file defines

* ``RESULTS``: ``{ResultClass: factory}``, a factory returning a small instance (cached data
  keeps the whole contract test within seconds);
* ``ESTIMATORS``: ``{EstimatorClass: EstimatorCase(...)}``;
* ``NOT_RESULTS``: ``{Class: reason}`` for public classes that are neither (an input object,
  a specification, an exception or a warning), with the reason in a few words.

A public class found in an ``__all__`` that is in none of them fails the contract test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EstimatorCase:
    """An estimator's contract case.

    ``make()`` returns an unfitted estimator with fixed seeds; ``data_a()`` and ``data_b()``
    return two different data sets (the first positional argument of ``fit``); ``fit_kwargs``
    are passed to every ``fit``. ``before_fit`` lists ``(method name, args, kwargs)`` calls that
    must raise ``NotFittedError`` on an unfitted estimator (``summary``, ``to_dict`` and
    ``plot`` are always tried).
    """

    make: Callable[[], Any]
    data_a: Callable[[], Any]
    data_b: Callable[[], Any]
    fit_kwargs: dict[str, Any] = field(default_factory=dict)
    before_fit: list[tuple[str, tuple, dict]] = field(default_factory=list)
