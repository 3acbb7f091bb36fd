"""Stage schemes: the ordered stages of a customer journey, as data.

Practitioners cut the journey into different numbers of stages, so cjmodels never hard-codes one.
Three presets follow the schemes in the project's domain notes; any ordered list of stages can be
declared with :class:`StageScheme`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cjmodels._json import to_jsonable
from cjmodels.errors import ValidationError

__all__ = [
    "CONVERSION",
    "DROP_OUT",
    "FIVE_STAGE",
    "NULL",
    "SEVEN_STAGE",
    "SIX_STAGE",
    "START",
    "StageScheme",
    "get_scheme",
    "list_schemes",
]

#: Name of the explicit start state of every journey (ChannelAttribution's convention).
START = "(start)"
#: Name of the absorbing conversion state of a journey.
CONVERSION = "(conversion)"
#: Name of the absorbing non-conversion state (drop-out) of a journey.
NULL = "(null)"
#: Name of the drop-out state in stage schemes.
DROP_OUT = "drop_out"


@dataclass(frozen=True)
class StageScheme:
    """An ordered set of journey stages.

    Parameters
    ----------
    name : str
        Short name of the scheme.
    stages : tuple of str
        Stages in their natural order, from first awareness to loyalty.
    purchase : str
        The stage that marks a conversion; it ends a journey.
    absorbing : tuple of str, optional
        Stages that end a journey for good. The purchase stage and ``drop_out`` always end a
        journey; list further ones here (for example ``"churn"``).
    drop_out : str
        Name of the drop-out state (not one of ``stages``).
    description : str
        One line on where the scheme comes from.

    Examples
    --------
    >>> s = StageScheme("funnel", ("visit", "cart", "checkout", "purchase"), purchase="purchase")
    >>> s.pre_purchase
    ('visit', 'cart', 'checkout')
    >>> s.index("cart")
    1
    """

    name: str
    stages: tuple[str, ...]
    purchase: str
    absorbing: tuple[str, ...] = ()
    drop_out: str = DROP_OUT
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        stages = tuple(self.stages)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "absorbing", tuple(self.absorbing))
        if len(stages) < 2:
            raise ValidationError(
                f"StageScheme {self.name!r}: stages == {stages!r}, must list at least two stages."
            )
        if any(not isinstance(s, str) or not s for s in stages):
            raise ValidationError(
                f"StageScheme {self.name!r}: every stage must be a non-empty string, got {stages!r}."
            )
        dupes = sorted({s for s in stages if stages.count(s) > 1})
        if dupes:
            raise ValidationError(
                f"StageScheme {self.name!r}: stages {dupes} are listed more than once."
            )
        if self.purchase not in stages:
            raise ValidationError(
                f"StageScheme {self.name!r}: purchase == {self.purchase!r} is not one of the "
                f"stages {list(stages)}."
            )
        unknown = [a for a in self.absorbing if a not in stages]
        if unknown:
            raise ValidationError(
                f"StageScheme {self.name!r}: absorbing stages {unknown} are not among the "
                f"stages {list(stages)}."
            )
        if self.drop_out in stages:
            raise ValidationError(
                f"StageScheme {self.name!r}: drop_out == {self.drop_out!r} must not be one of "
                "the stages; it names the state a journey enters when the customer leaves."
            )

    @property
    def pre_purchase(self) -> tuple[str, ...]:
        """Stages before the purchase stage."""
        return self.stages[: self.stages.index(self.purchase)]

    @property
    def post_purchase(self) -> tuple[str, ...]:
        """Stages after the purchase stage (they open the customer's next journey)."""
        return self.stages[self.stages.index(self.purchase) + 1 :]

    @property
    def terminal(self) -> tuple[str, ...]:
        """States that end a journey: the purchase stage, further absorbing stages, drop-out."""
        extra = tuple(a for a in self.absorbing if a != self.purchase)
        return (self.purchase, *extra, self.drop_out)

    def index(self, stage: str) -> int:
        """Position of ``stage`` in the scheme.

        Parameters
        ----------
        stage : str
            One of :attr:`stages`.

        Returns
        -------
        int
            Its position, 0 for the first stage.

        Raises
        ------
        ValidationError
            When ``stage`` is not in the scheme (the message lists the known stages).

        Examples
        --------
        >>> SEVEN_STAGE.index("purchase")
        4
        """
        try:
            return self.stages.index(stage)
        except ValueError:
            raise ValidationError(
                f"stage {stage!r} is not in scheme {self.name!r}; known stages: {list(self.stages)}."
            ) from None

    def to_dict(self) -> dict:
        """JSON-serialisable description of the scheme.

        Returns
        -------
        dict
            ``name``, ``stages``, ``purchase``, ``absorbing``, ``drop_out`` and
            ``description``, lists for the tuples.

        Examples
        --------
        >>> FIVE_STAGE.to_dict()["stages"]
        ['need', 'search_evaluation', 'purchase', 'use_experience', 'repeat_advocacy']
        """
        return to_jsonable({
            "name": self.name,
            "stages": list(self.stages),
            "purchase": self.purchase,
            "absorbing": list(self.absorbing),
            "drop_out": self.drop_out,
            "description": self.description,
        })


#: The seven-stage scheme: awareness, interest, consideration, decision, purchase,
#: post-purchase, loyalty (purchase marks the conversion).
SEVEN_STAGE = StageScheme(
    "seven",
    (
        "awareness",
        "interest",
        "consideration",
        "decision",
        "purchase",
        "post_purchase",
        "loyalty",
    ),
    purchase="purchase",
    description="awareness > interest > consideration > decision > purchase > "
    "post-purchase service > loyalty",
)

#: The six-stage scheme: awareness, consideration, intent, purchase, post-purchase, loyalty.
SIX_STAGE = StageScheme(
    "six",
    ("awareness", "consideration", "intent", "purchase", "post_purchase", "loyalty"),
    purchase="purchase",
    description="awareness/discovery > consideration/interest > acquisition/intent > purchase > "
    "post-purchase (fulfilment, use) > loyalty/retention",
)

#: The five-stage consumer decision process: need, search and evaluation, purchase, use
#: experience, repeat purchase and advocacy.
FIVE_STAGE = StageScheme(
    "five",
    ("need", "search_evaluation", "purchase", "use_experience", "repeat_advocacy"),
    purchase="purchase",
    description="need forms > search and evaluation > purchase > use experience > "
    "repeat purchase and advocacy",
)

_PRESETS = {s.name: s for s in (SEVEN_STAGE, SIX_STAGE, FIVE_STAGE)}


def list_schemes() -> list[str]:
    """Names of the preset stage schemes.

    Returns
    -------
    list of str
        The names :func:`get_scheme` accepts, sorted: ``"five"`` (:data:`cjmodels.data.FIVE_STAGE`),
        ``"seven"`` (:data:`cjmodels.data.SEVEN_STAGE`) and ``"six"`` (:data:`cjmodels.data.SIX_STAGE`).

    Examples
    --------
    >>> list_schemes()
    ['five', 'seven', 'six']
    """
    return sorted(_PRESETS)


def get_scheme(scheme: str | StageScheme) -> StageScheme:
    """Return a preset scheme by name, or a :class:`StageScheme` unchanged.

    Parameters
    ----------
    scheme : str or StageScheme
        A name of :func:`list_schemes` or a scheme.

    Returns
    -------
    StageScheme
        The preset of that name, or ``scheme`` itself.

    Raises
    ------
    ValidationError
        When ``scheme`` is neither a scheme nor a preset's name.

    Examples
    --------
    >>> get_scheme("six").stages[:2]
    ('awareness', 'consideration')
    """
    if isinstance(scheme, StageScheme):
        return scheme
    if isinstance(scheme, str) and scheme in _PRESETS:
        return _PRESETS[scheme]
    raise ValidationError(
        f"scheme == {scheme!r}, must be a StageScheme or one of {list_schemes()}."
    )
