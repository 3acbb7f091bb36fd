"""The journey specification: what a journey is, in one frozen object.

Every reduction of an event log into journeys (:func:`~cjmodels.data.journey_transitions`,
:func:`~cjmodels.data.stage_visits`, :func:`~cjmodels.data.lifecycle_transitions`) and every
model of :mod:`cjmodels.markov` (and :func:`cjmodels.experiments.compare_transitions`) reads its
journeys through one :class:`JourneySpec` instead of repeating the same keywords.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels.errors import ValidationError

__all__ = ["JourneySpec"]

_SEQUENCES = ("stage", "channel")
_JOURNEYS = ("all", "first", "repeat")
_CENSORED = ("drop", "null", "state")


def _check_span(value: Any, name: str) -> None:
    """A time span: None, a positive number, a Timedelta (or timedelta) or a string like '30D'."""
    if value is None:
        return
    fix = (f"Pass a positive time span: a number (in the log's unit for numeric timestamps, "
           f"days for datetimes), a string such as '30D' or a Timedelta, or None for no "
           f"{name}.")
    if isinstance(value, bool | np.bool_):
        raise ValidationError(f"{name} == {value!r} is not a time span. {fix}")
    if isinstance(value, str | _dt.timedelta | np.timedelta64):  # timedelta64 is an integer
        try:
            span = as_timedelta(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} == {value!r} is not a time span. {fix}") from None
        if pd.isna(span) or span <= pd.Timedelta(0):
            raise ValidationError(f"{name} == {value!r}, must be positive. {fix}")
        return
    if isinstance(value, numbers.Real):
        try:  # a Python int beyond float64 (10**400) is not a span; np.isfinite cannot take it
            finite = bool(np.isfinite(float(value)))
        except OverflowError:
            finite = False
        if not finite or value <= 0:
            raise ValidationError(f"{name} == {value!r}, must be positive and finite. {fix}")
        return
    raise ValidationError(
        f"{name} == {value!r} (a {type(value).__name__}) is not a time span. {fix}"
    )


@dataclass(frozen=True)
class JourneySpec:
    """A journey specification: how an event log is cut into journeys and read as sequences.

    One frozen, validated object that every reduction of the log into journeys and every model
    of journeys takes as ``spec=``. A function documents the default it uses when ``spec`` is
    None (most use ``JourneySpec()``) and which fields it reads; a field it cannot honour raises
    a :class:`~cjmodels.errors.ValidationError` when set to anything but its default.

    Parameters
    ----------
    sequence : {"stage", "channel"}
        What a journey is a sequence of: the touches' stages or their channels.
    order : int
        Markov order ``k >= 1``: a state is the last ``k`` symbols (for
        :func:`cjmodels.markov.order_test`, the null order).
    timeout : time span, optional
        A silence longer than ``timeout`` ends a journey as a drop-out (logs without
        ``drop_out`` events need one): a number (the log's unit for numeric timestamps, days
        for datetimes), a string such as ``"30D"`` or a Timedelta.
    lookback : time span, optional
        Touches more than ``lookback`` before a journey's end are left out of it.
    journeys : {"all", "first", "repeat"}
        Keep every journey, each customer's first, or the later ones.
    censored : {"drop", "null", "state"}
        Journeys still open at the end of observation: their last state has no outgoing
        transition (``"drop"``, the likelihood of a right-censored chain), they count as
        drop-outs (``"null"``), or they end in a separate ``(censored)`` state (``"state"``).
    censor_recent : bool
        With a ``timeout``: treat transitions out of touches in the last ``timeout`` before
        the observation end as censored (their outcome is not known yet: a customer who has
        just dropped out cannot be told from one whose next touch is still to come). Default
        True; see :func:`~cjmodels.data.censor_recent`.
    collapse_repeats : bool
        Merge a symbol repeated in a row into one (default False: data are never merged
        unasked).

    Examples
    --------
    >>> from cjmodels.data import JourneySpec
    >>> spec = JourneySpec(timeout="30D", journeys="first")
    >>> spec
    JourneySpec(timeout='30D', journeys='first')
    >>> spec.replace(sequence="channel").sequence
    'channel'
    >>> JourneySpec(order=0)
    Traceback (most recent call last):
    ...
    cjmodels.errors.ValidationError: JourneySpec(order=0): order must be an integer >= 1 (the \
number of symbols in a state); use order=1 for a first-order chain.
    """

    sequence: str = "stage"
    order: int = 1
    timeout: Any = None
    lookback: Any = None
    journeys: str = "all"
    censored: str = "drop"
    censor_recent: bool = True
    collapse_repeats: bool = False

    def __post_init__(self) -> None:
        for name, options in (("sequence", _SEQUENCES), ("journeys", _JOURNEYS),
                              ("censored", _CENSORED)):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in options:
                raise ValidationError(
                    f"JourneySpec({name}={value!r}): {name} must be one of "
                    f"{', '.join(repr(o) for o in options)}."
                )
        # numpy's timedelta64 is an Integral too: a span (or NaT) is not an order
        if (not isinstance(self.order, numbers.Integral)
                or isinstance(self.order, bool | np.bool_ | np.timedelta64)
                or self.order < 1):
            raise ValidationError(
                f"JourneySpec(order={self.order!r}): order must be an integer >= 1 (the number "
                "of symbols in a state); use order=1 for a first-order chain."
            )
        object.__setattr__(self, "order", int(self.order))
        for name in ("censor_recent", "collapse_repeats"):
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):
                raise ValidationError(
                    f"JourneySpec({name}={value!r}): {name} must be True or False."
                )
            object.__setattr__(self, name, bool(value))
        _check_span(self.timeout, "timeout")
        _check_span(self.lookback, "lookback")

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={v!r}" for k, v in self._changed().items())
        return f"JourneySpec({changed})"

    def _changed(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != f.default}

    @classmethod
    def resolve(
        cls,
        spec: Any,
        *,
        default: JourneySpec | None = None,
        fields: tuple[str, ...] | None = None,
        purpose: str = "this analysis",
    ) -> JourneySpec:
        """The specification an analysis reads: ``spec``, or ``default`` when it is None.

        Every function with a ``spec=`` keyword reads it through this one check.

        Parameters
        ----------
        spec : JourneySpec or None
            What the user passed.
        default : JourneySpec, optional
            The analysis's default (``JourneySpec()`` when None).
        fields : tuple of str, optional
            The fields the analysis reads; a field set away from its default that is not among
            them is refused (:meth:`check_fields`).
        purpose : str
            The analysis, for the message of :meth:`check_fields`.

        Returns
        -------
        JourneySpec
            ``spec``, or ``default``.

        Raises
        ------
        ValidationError
            When ``spec`` is not a JourneySpec, or sets a field the analysis does not read.

        Examples
        --------
        >>> JourneySpec.resolve(None, default=JourneySpec(sequence="channel")).sequence
        'channel'
        >>> JourneySpec.resolve({"timeout": 30})
        Traceback (most recent call last):
        ...
        cjmodels.errors.ValidationError: spec == {'timeout': 30} (a dict); pass a \
cjmodels.data.JourneySpec, e.g. spec=JourneySpec(timeout='30D').
        """
        if spec is None:
            spec = cls() if default is None else default
        elif not isinstance(spec, cls):
            raise ValidationError(
                f"spec == {spec!r} (a {type(spec).__name__}); pass a cjmodels.data.JourneySpec, "
                "e.g. spec=JourneySpec(timeout='30D')."
            )
        if fields is not None:
            spec.check_fields(fields, purpose)
        return spec

    def replace(self, **changes: Any) -> JourneySpec:
        """A new specification with ``changes`` (validated again).

        Parameters
        ----------
        **changes
            New values of fields (``sequence=``, ``order=``, ``timeout=``, ...).

        Returns
        -------
        JourneySpec
            A copy with the changes; ``self`` is unchanged (the specification is frozen).

        Raises
        ------
        ValidationError
            For a name that is not a field, or a value the field refuses.

        Examples
        --------
        >>> JourneySpec().replace(order=2)
        JourneySpec(order=2)
        """
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValidationError(
                f"JourneySpec has no fields {unknown}; its fields are "
                f"{[f.name for f in fields(self)]}."
            )
        return JourneySpec(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (numbers and strings as given; other time spans as strings).

        Returns
        -------
        dict
            Every field by name; a ``timeout`` or ``lookback`` given as a Timedelta (or
            ``timedelta64``) becomes its string, a numpy number a Python number.

        Examples
        --------
        >>> JourneySpec(timeout=30).to_dict()
        {'sequence': 'stage', 'order': 1, 'timeout': 30, 'lookback': None, 'journeys': 'all', \
'censored': 'drop', 'censor_recent': True, 'collapse_repeats': False}
        """
        out = asdict(self)
        for name in ("timeout", "lookback"):
            v = out[name]
            if isinstance(v, _dt.timedelta | np.timedelta64):
                out[name] = str(v)
            elif isinstance(v, np.generic):
                out[name] = v.item()
        return out

    def check_fields(self, used: tuple[str, ...], purpose: str) -> None:
        """Refuse a field that ``purpose`` does not read, unless it has its default value.

        Parameters
        ----------
        used : tuple of str
            The fields the caller reads (empty: it reads none).
        purpose : str
            What reads them, for the message (``"a life-cycle chain"``).

        Raises
        ------
        ValidationError
            When a field outside ``used`` differs from its default (it would be ignored).

        Examples
        --------
        >>> JourneySpec(order=2).check_fields(("sequence", "timeout"), "a life-cycle chain")
        Traceback (most recent call last):
        ...
        cjmodels.errors.ValidationError: a life-cycle chain reads only sequence, timeout of \
the journey specification; order=2 would be ignored. Leave it at its default \
(JourneySpec(sequence='stage', timeout=...)).
        """
        extra = {k: v for k, v in self._changed().items() if k not in used}
        if extra and not used:
            shown = ", ".join(f"{k}={v!r}" for k, v in extra.items())
            raise ValidationError(
                f"{purpose} reads no field of the journey specification; {shown} would be "
                "ignored. Leave spec=None."
            )
        if extra:
            shown = ", ".join(f"{k}={v!r}" for k, v in extra.items())
            example = ", ".join(f"{k}=..." if k != "sequence" else f"sequence={self.sequence!r}"
                                for k in used)
            raise ValidationError(
                f"{purpose} reads only {', '.join(used)} of the journey specification; "
                f"{shown} would be ignored. Leave {'it' if len(extra) == 1 else 'them'} at "
                f"{'its' if len(extra) == 1 else 'their'} default (JourneySpec({example}))."
            )
