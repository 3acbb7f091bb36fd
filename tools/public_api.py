"""The public names of cjmodels: every name in a public module's ``__all__``, and their members.

One list for the API reference (``docs/_ext/apipages.py`` writes a page per name), the docstring
check (``tools/check_docstrings.py``) and the tests that hold them to it. A name exported by two
modules (``cjmodels.markov.HMMFit`` is ``cjmodels.markov.hmm.HMMFit``) has one page, at the first
module of :data:`PUBLIC_MODULES` that exports it (its *canonical* name); the other module's page
links to it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass

#: The public modules, in the order of the reference (a name's canonical module is the first that
#: exports it).
PUBLIC_MODULES: tuple[str, ...] = (
    "cjmodels.data",
    "cjmodels.data.sql",
    "cjmodels.data.spark",
    "cjmodels.markov",
    "cjmodels.markov.hmm",
    "cjmodels.markov.multistate",
    "cjmodels.attribution",
    "cjmodels.survival",
    "cjmodels.experiments",
    "cjmodels.analytics",
    "cjmodels.synthetic",
    "cjmodels.synthetic.customer_base",
    "cjmodels.datasets",
    "cjmodels.results",
    "cjmodels.errors",
    "cjmodels.report",
    "cjmodels.cli",
)


@dataclass(frozen=True)
class PublicName:
    """One name of a public ``__all__``: where it is exported and where it is documented."""

    module: str
    name: str
    canonical: str  # "module.name" of the page that documents it
    obj: object

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def kind(self) -> str:
        """``class``, ``function`` or ``data`` (a constant)."""
        if inspect.isclass(self.obj):
            return "class"
        if callable(self.obj):
            return "function"
        return "data"


def public_names() -> list[PublicName]:
    """Every name of every public module's ``__all__``, in reference order."""
    out: list[PublicName] = []
    canonical: dict[object, str] = {}
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            # Constants (strings, tuples, numbers) are documented where they are exported.
            key = id(obj) if (inspect.isclass(obj) or callable(obj)) else (modname, name)
            here = f"{modname}.{name}"
            out.append(PublicName(modname, name, canonical.setdefault(key, here), obj))
    return out


def _own(cls: type, attr: str) -> bool:
    """Whether ``attr`` is defined by a cjmodels class in ``cls``'s MRO."""
    for klass in cls.__mro__:
        if attr in vars(klass):
            return klass.__module__.startswith("cjmodels")
    return False


def public_members(cls: type) -> Iterator[tuple[str, object, str]]:
    """``(name, attribute, kind)`` for the public methods and properties ``cls`` defines itself.

    Inherited members are documented on the class that defines them; dataclass fields are
    documented in the class's ``Attributes`` section. ``kind`` is ``method``, ``property`` or
    ``classmethod``.
    """
    fields = set(getattr(cls, "__dataclass_fields__", {}))
    for attr, value in vars(cls).items():
        if attr.startswith("_") or attr in fields:
            continue
        if isinstance(value, property) or type(value).__name__ == "cached_property":
            yield attr, value, "property"
        elif isinstance(value, (classmethod, staticmethod)):
            yield attr, getattr(cls, attr), "classmethod"
        elif inspect.isfunction(value):
            yield attr, value, "method"
