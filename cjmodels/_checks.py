"""Small validators for scalar parameters shared by all subpackages."""

from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from cjmodels.errors import ValidationError

__all__ = ["as_generator", "check_scalar", "warn_user"]


def check_scalar(
    value: Any,
    name: str,
    *,
    typ: type | tuple[type, ...] | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    in_: Collection[Any] | None = None,
) -> Any:
    """Check a scalar parameter and return it unchanged.

    Messages read like ``alpha == 1.5, must be < 1.``.

    Examples
    --------
    >>> check_scalar(0.05, "alpha", typ=float, gt=0, lt=1)
    0.05
    >>> check_scalar(True, "n_boot", typ=int)
    Traceback (most recent call last):
    ...
    cjmodels.errors.ValidationError: n_boot == True, must be of type int.
    """
    if typ is not None:
        ok_types = typ if isinstance(typ, tuple) else (typ,)
        # Accept numpy scalars for int/float; never accept bool where a number is asked for.
        if float in ok_types and isinstance(value, numbers.Real) and not isinstance(value, bool):
            pass
        elif int in ok_types and isinstance(value, numbers.Integral) and not isinstance(value, bool):
            pass
        elif not isinstance(value, ok_types) or (
            isinstance(value, (bool, np.bool_)) and bool not in ok_types
        ):  # True is an int to Python, never a count or a size here
            names = " or ".join(t.__name__ for t in ok_types)
            raise ValidationError(f"{name} == {value!r}, must be of type {names}.")
    if in_ is not None and value not in in_:
        options = ", ".join(repr(v) for v in in_)
        raise ValidationError(f"{name} == {value!r}, must be one of {options}.")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if np.isnan(value):
            raise ValidationError(f"{name} == {value!r}, must not be NaN.")
        if ge is not None and not value >= ge:
            raise ValidationError(f"{name} == {value!r}, must be >= {ge}.")
        if gt is not None and not value > gt:
            raise ValidationError(f"{name} == {value!r}, must be > {gt}.")
        if le is not None and not value <= le:
            raise ValidationError(f"{name} == {value!r}, must be <= {le}.")
        if lt is not None and not value < lt:
            raise ValidationError(f"{name} == {value!r}, must be < {lt}.")
    return value


def as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``random_state`` (int, Generator or None) into a :class:`numpy.random.Generator`.

    A Generator is returned as is (so callers share its stream); an int seeds a new one.

    Examples
    --------
    >>> bool(as_generator(1).integers(10) == as_generator(1).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise ValidationError(
        f"random_state == {random_state!r}, must be an int, a numpy Generator or None."
    )


def warn_user(message: str) -> None:
    """Warn with a :class:`UserWarning` attributed to the first caller outside cjmodels.

    The warning points at the user's line however deep inside the package it is raised (frames
    of cjmodels' own files and of generated code, such as a dataclass's ``__init__``, are
    skipped).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_user("3 journeys have no touch")
    >>> str(caught[0].message), caught[0].category.__name__
    ('3 journeys have no touch', 'UserWarning')
    """
    root = str(Path(__file__).resolve().parent)
    frame = sys._getframe(1)
    level = 2
    while frame is not None and (  # "<string>": a dataclass's generated __init__
        frame.f_code.co_filename == "<string>"
        or str(Path(frame.f_code.co_filename).resolve()).startswith(root)
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)
