"""One word for each thing (CONTRIBUTING.md, 3): every public signature is read here.

Per subpackage (run one with ``-k markov``):

* no parameter uses a word the rule replaced (``source`` for the data, ``by``, ``subject``,
  ``reps``, ``level``, ...), and no result attribute does (``loglik``, ``std_err``, ...);
* the data argument, when a function or ``fit`` takes one first, is called ``data``;
* option strings are kebab-case (a string default with ``_`` is only allowed for a column
  keyword, whose default is a column name);
* one option has one default across the package (``collapse_repeats``, ``random_state``, ...);
* no two public names are the same unless they are the same object.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from cjmodels.results import Result

PACKAGES = (
    "cjmodels.data",
    "cjmodels.markov",
    "cjmodels.attribution",
    "cjmodels.survival",
    "cjmodels.experiments",
    "cjmodels.analytics",
    "cjmodels.synthetic",
    "cjmodels.datasets",
    "cjmodels.results",
)

#: Parameter names the rule replaced, with the word to use.
REPLACED_PARAMETERS = {
    "source": "data",
    "table": "data",
    "events": "data",
    "sequences": "data",
    "frame": "data",
    "panel": "data",
    "subject": "customer",
    "id": "customer",
    "time": "timestamp",
    "state": "stage",
    "by": "sequence (what a journey is made of) or group (a grouping column)",
    "segment": "group",
    "n_resamples": "n_boot",
    "reps": "n_simulations",
    "n_sim": "n_simulations",
    "level": "alpha",
    "proportion_test": "test",
    "loglik": "log_likelihood",
    "minus2loglik": "log_likelihood",
    "std_err": "se",
    "standard_errors": "se",
    "weights": "weight",
    "df": "df_method (an option) or a result's df (degrees of freedom)",
    "stage_col": "stage",
}

#: Result attribute names the rule replaced.
REPLACED_ATTRIBUTES = {
    "loglik": "log_likelihood",
    "minus2loglik": "log_likelihood",
    "std_err": "se",
    "standard_errors": "se",
    "level": "alpha",
    "n_resamples": "n_boot",
    "reps": "n_simulations",
    "n_sim": "n_simulations",
}

#: Keywords that name a column of the data: their string defaults are column names.
COLUMN_KEYWORDS = {
    "customer", "timestamp", "event", "channel", "stage", "value", "variant", "group", "strata",
    "duration", "entry", "start", "stop", "cause", "weight", "covariates", "metric", "metrics",
    "frequency", "recency", "T", "monetary_value", "path", "conversions", "null",
    "frequency_holdout", "duration_holdout", "n_periods", "assigned_at", "numerator",
    "denominator", "column", "indicator", "outcome",
}

#: Options that must have one default across the package.
ONE_DEFAULT = (
    "collapse_repeats", "censor_recent", "random_state", "progress", "alpha", "ci", "timeout",
    "lookback", "unit", "alternative", "censored", "separator", "journeys",
)

DATA_TYPES = ("DataFrame", "EventLog", "PathTable", "JourneySet", "SufficientStats",
              "PanelData", "TransitionCounts")

#: (qualified name, parameter) pairs allowed an exception, with the reason, and further column
#: keywords: from ``VOCABULARY_EXCEPTIONS`` and ``COLUMN_KEYWORDS`` of the examples_*.py files.
EXCEPTIONS: dict[tuple[str, str], str] = {}
for _m in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if _m.name.startswith("examples_"):
        _mod = importlib.import_module(f"tests.contract.{_m.name}")
        EXCEPTIONS.update(getattr(_mod, "VOCABULARY_EXCEPTIONS", {}))
        COLUMN_KEYWORDS |= set(getattr(_mod, "COLUMN_KEYWORDS", ()))


def _public(pkg: str) -> list[tuple[str, object]]:
    module = importlib.import_module(pkg)
    return [(f"{pkg}.{n}", getattr(module, n)) for n in module.__all__]


def _callables(pkg: str):
    """(qualified name, signature, is_data_taker) of public functions, constructors, methods."""
    for qual, obj in _public(pkg):
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            if not issubclass(obj, Result):
                try:
                    yield f"{qual}.__init__", inspect.signature(obj.__init__), False
                except (TypeError, ValueError):
                    pass
            for name, member in inspect.getmembers(obj):
                if name.startswith("_") or not callable(member):
                    continue
                if getattr(member, "__module__", "").startswith("cjmodels") is False:
                    continue
                try:
                    yield f"{qual}.{name}", inspect.signature(member), name == "fit"
                except (TypeError, ValueError):
                    pass
        elif callable(obj):
            try:
                yield qual, inspect.signature(obj), True
            except (TypeError, ValueError):
                pass


def _params(sig: inspect.Signature):
    return [
        p for p in sig.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def _signature_problems(qual: str, sig: inspect.Signature, takes_data: bool) -> list[str]:
    problems = []
    params = _params(sig)
    for p in params:
        if p.name in REPLACED_PARAMETERS and (qual, p.name) not in EXCEPTIONS:
            problems.append(f"{qual}({p.name}=...): use {REPLACED_PARAMETERS[p.name]}")
        if (
            isinstance(p.default, str)
            and "_" in p.default
            and p.name not in COLUMN_KEYWORDS
            and (qual, p.name) not in EXCEPTIONS
        ):
            problems.append(
                f"{qual}({p.name}={p.default!r}): option strings are kebab-case "
                "(or add the keyword to the column vocabulary if it names a column)"
            )
    if takes_data and params:
        first = params[0]
        ann = str(first.annotation)
        if (
            first.kind is not first.KEYWORD_ONLY
            and any(t in ann for t in DATA_TYPES)
            and first.name != "data"
            and (qual, first.name) not in EXCEPTIONS
        ):
            problems.append(f"{qual}({first.name}: {ann}): the data argument is `data`")
    return problems


@pytest.mark.parametrize("pkg", PACKAGES)
def test_parameters_use_the_agreed_words(pkg):
    problems = []
    for qual, sig, takes_data in _callables(pkg):
        problems += _signature_problems(qual, sig, takes_data)
    assert not problems, "\n".join(problems)


def test_the_vocabulary_check_catches_old_words():
    def fit_thing(events: pd.DataFrame, *, by: str = "stage", test: str = "z_pooled",
                  progress: bool = False) -> None: ...

    problems = _signature_problems("fit_thing", inspect.signature(fit_thing), True)
    assert len(problems) == 4, problems  # events=, events as data, by=, the snake-case option
    assert any("by=" in p for p in problems) and any("kebab" in p for p in problems)


@pytest.mark.parametrize("pkg", PACKAGES)
def test_result_attributes_use_the_agreed_words(pkg):
    problems = []
    for qual, obj in _public(pkg):
        if inspect.isclass(obj) and issubclass(obj, Result):
            names = set()
            if dataclasses.is_dataclass(obj):
                names |= {f.name for f in dataclasses.fields(obj)}
            names |= {n for n, v in vars(obj).items() if isinstance(v, property)}
            for name in sorted(names):
                if name in REPLACED_ATTRIBUTES:
                    problems.append(f"{qual}.{name}: use {REPLACED_ATTRIBUTES[name]}")
    assert not problems, "\n".join(problems)


def test_one_default_per_option():
    defaults: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pkg in PACKAGES:
        for qual, sig, _ in _callables(pkg):
            for p in _params(sig):
                if p.name in ONE_DEFAULT and p.default is not inspect.Parameter.empty:
                    defaults[p.name][repr(p.default)].append(qual)
    problems = [
        f"{name}: " + "; ".join(f"{d} in {places[:3]}" for d, places in by_default.items())
        for name, by_default in defaults.items()
        if len(by_default) > 1
    ]
    assert not problems, "one option, several defaults:\n" + "\n".join(problems)


def test_progress_and_random_state_defaults():
    wrong = []
    for pkg in PACKAGES:
        for qual, sig, _ in _callables(pkg):
            for p in _params(sig):
                if p.name == "progress" and p.default is not False:
                    wrong.append(f"{qual}(progress={p.default!r})")
                if p.name == "random_state" and p.default is not None:
                    wrong.append(f"{qual}(random_state={p.default!r})")
    assert not wrong, "progress defaults to False and random_state to None:\n" + "\n".join(wrong)


def test_no_two_public_names_are_different_objects():
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for pkg in PACKAGES:
        for qual, obj in _public(pkg):
            name = qual.rsplit(".", 1)[1]
            if name in seen and seen[name][1] is not obj and not name.isupper():
                clashes.append(f"{seen[name][0]} and {qual}")
            seen.setdefault(name, (qual, obj))
    assert not clashes, "the same public name for different things: " + "; ".join(clashes)
