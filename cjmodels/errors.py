"""Exception types of cjmodels.

Every problem with user input (data or parameters) raises :class:`ValidationError`, a subclass of
:class:`ValueError`, with a message that names the column, row or parameter, what was expected and
how to fix it.
"""

from __future__ import annotations

__all__ = ["CJModelsError", "ConvergenceError", "NotFittedError", "ValidationError"]


class CJModelsError(Exception):
    """Base class of all cjmodels exceptions."""


class ValidationError(CJModelsError, ValueError):
    """Input data or a parameter is not what cjmodels expects.

    The message names the column, rows or parameter at fault and suggests a fix.

    Examples
    --------
    >>> from cjmodels.errors import ValidationError
    >>> issubclass(ValidationError, ValueError)
    True
    """


class ConvergenceError(CJModelsError, RuntimeError):
    """An optimiser did not converge; the message lists what to try.

    Examples
    --------
    >>> from cjmodels.errors import ConvergenceError
    >>> issubclass(ConvergenceError, RuntimeError)
    True
    """


class NotFittedError(CJModelsError, ValueError, AttributeError):
    """An estimator was used before ``fit``; the message names it and says to call ``fit``.

    Examples
    --------
    >>> from cjmodels.errors import NotFittedError
    >>> issubclass(NotFittedError, AttributeError)
    True
    """
