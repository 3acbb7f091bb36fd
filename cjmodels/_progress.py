"""One meaning of ``progress=`` for every long-running function.

``progress`` is ``False`` or ``None`` (no bar), ``True`` (``tqdm.auto.tqdm``: a widget in a
notebook, text in a terminal; tqdm is a dependency of cjmodels) or a tqdm-like callable, called
as ``progress(iterable, total=n, desc=text)`` and returning an iterable (``tqdm.tqdm``,
``tqdm.auto.tqdm``, ``functools.partial(tqdm.tqdm, leave=False)``, or your own).

Examples
--------
>>> list(progress_bar(range(3), False, total=3, desc="fits"))
[0, 1, 2]
>>> seen = []
>>> def bar(it, total, desc):
...     seen.append((total, desc))
...     return it
>>> list(progress_bar(range(2), bar, total=2, desc="bootstrap"))
[0, 1]
>>> seen
[(2, 'bootstrap')]
>>> progress_bar(range(2), "yes", total=2, desc="bootstrap")
Traceback (most recent call last):
...
cjmodels.errors.ValidationError: progress == 'yes', must be True, False, None or a tqdm-like callable such as tqdm.tqdm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from cjmodels.errors import ValidationError

__all__ = ["Progress", "check_progress", "progress_bar"]

T = TypeVar("T")

#: What ``progress=`` accepts.
Progress = bool | Callable[..., Iterable[Any]] | None


def check_progress(progress: Any) -> Any:
    """Check a ``progress`` argument and return it unchanged (validate before long work)."""
    if progress is None or isinstance(progress, (bool, np.bool_)) or callable(progress):
        return progress
    raise ValidationError(
        f"progress == {progress!r}, must be True, False, None or a tqdm-like callable such as "
        "tqdm.tqdm."
    )


def progress_bar(
    iterable: Iterable[T], progress: Any, *, total: int | None = None, desc: str | None = None
) -> Iterable[T]:
    """``iterable`` wrapped in the progress bar that ``progress`` asks for (see the module)."""
    check_progress(progress)
    if progress is None or not (callable(progress) or progress):
        return iterable
    if not callable(progress):  # True
        try:
            from tqdm.auto import tqdm
        except ImportError as exc:  # tqdm is a dependency; only a broken install lands here
            raise ValidationError(
                "progress=True draws a bar with tqdm, which is not installed; "
                "`pip install tqdm`, or pass progress=False."
            ) from exc
        return tqdm(iterable, total=total, desc=desc)
    return progress(iterable, total=total, desc=desc)
