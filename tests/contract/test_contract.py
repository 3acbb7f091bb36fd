"""The contract every public result and estimator of cjmodels keeps (CONTRIBUTING.md, 1-2).

The classes are found from each subpackage's ``__all__``; their small instances come from the
``examples_*.py`` files beside this test (see ``_cases.py``). A public class that is missing
from them fails here, so a new result is covered the day it lands.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from cjmodels.errors import NotFittedError
from cjmodels.results import Estimator, Result
from tests.contract._cases import EstimatorCase

matplotlib.use("Agg")

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
    "cjmodels.errors",
)

HERE = Path(__file__).parent
_EXAMPLE_MODULES = [
    importlib.import_module(f"tests.contract.{m.name}")
    for m in pkgutil.iter_modules([str(HERE)])
    if m.name.startswith("examples_")
]
RESULTS: dict[type, object] = {}
ESTIMATORS: dict[type, EstimatorCase] = {}
NOT_RESULTS: dict[type, str] = {}
for _mod in _EXAMPLE_MODULES:
    RESULTS.update(getattr(_mod, "RESULTS", {}))
    ESTIMATORS.update(getattr(_mod, "ESTIMATORS", {}))
    NOT_RESULTS.update(getattr(_mod, "NOT_RESULTS", {}))


def public_classes() -> dict[type, str]:
    """Every class in a public ``__all__``, with the first place it was found."""
    found: dict[type, str] = {}
    for pkg in PACKAGES:
        module = importlib.import_module(pkg)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj not in found:
                found[obj] = f"{pkg}.{name}"
    return found


CLASSES = public_classes()
RESULT_CLASSES = sorted((c for c in CLASSES if issubclass(c, Result)), key=lambda c: CLASSES[c])
ESTIMATOR_CLASSES = sorted(
    (c for c in CLASSES if issubclass(c, Estimator)), key=lambda c: CLASSES[c]
)


def _exempt(c: type) -> bool:
    """Abstract bases and the declared base classes have no instances of their own."""
    return inspect.isabstract(c) or c in NOT_RESULTS


CONCRETE_RESULTS = [c for c in RESULT_CLASSES if not _exempt(c)]
CONCRETE_ESTIMATORS = [c for c in ESTIMATOR_CLASSES if not _exempt(c)]


def _ids(classes: list[type]) -> list[str]:
    return [CLASSES[c] for c in classes]


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_public_class_is_a_result_an_estimator_or_declared(pkg):
    undeclared = [
        CLASSES[c]
        for c in CLASSES
        if CLASSES[c].startswith(pkg + ".")
        and not issubclass(c, (Result, Estimator))
        and c not in NOT_RESULTS
    ]
    assert not undeclared, (
        "public classes that are neither a Result nor an Estimator, and not declared in a "
        f"NOT_RESULTS of tests/contract/examples_*.py: {undeclared}"
    )
    stale = [
        c.__name__
        for c in NOT_RESULTS
        if issubclass(c, (Result, Estimator)) and c not in (Result, Estimator)
    ]
    assert not stale, f"declared as not results but they are: {stale}"


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_result_and_estimator_has_an_example(pkg):
    missing = [CLASSES[c] for c in CONCRETE_RESULTS if c not in RESULTS]
    missing += [CLASSES[c] for c in CONCRETE_ESTIMATORS if c not in ESTIMATORS]
    missing = [m for m in missing if m.startswith(pkg + ".")]
    assert not missing, (
        f"no contract example for {missing}: add one to tests/contract/examples_*.py"
    )


_INSTANCES: dict[type, object] = {}


def _instance(cls: type) -> object:
    if cls not in _INSTANCES:
        if cls not in RESULTS:
            pytest.skip(f"{cls.__name__} has no example (reported by the test above)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = RESULTS[cls]()
        assert type(obj) is cls, f"the example of {cls.__name__} returned a {type(obj).__name__}"
        _INSTANCES[cls] = obj
    return _INSTANCES[cls]


def _scribble(frame: pd.DataFrame) -> None:
    """Overwrite every cell of ``frame`` in place with a value of its column's own type."""
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if pd.api.types.is_bool_dtype(col):
            new = ~col.fillna(False).astype(bool)
        elif pd.api.types.is_numeric_dtype(col):
            new = col.fillna(0) + 1
        elif pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col):
            new = col + pd.Timedelta(days=1)
        else:
            new = col.astype(str) + "~"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                frame.iloc[:, j] = new.to_numpy()
            except (TypeError, ValueError):  # a categorical or another closed dtype: leave it
                pass


@pytest.mark.parametrize("cls", CONCRETE_RESULTS, ids=_ids(CONCRETE_RESULTS))
def test_result_contract(cls):
    r = _instance(cls)

    # summary() returns a new DataFrame on every call; editing it changes nothing.
    s1 = r.summary()
    assert isinstance(s1, pd.DataFrame)
    s2 = r.summary()
    assert s1 is not s2
    before = s2.copy()
    _scribble(s1)
    pd.testing.assert_frame_equal(r.summary(), before)

    # One-line repr; HTML repr for notebooks.
    text = repr(r)
    assert "\n" not in text and text.startswith(cls.__name__) and len(text) <= 300, text
    html = r._repr_html_()
    assert isinstance(html, str) and html.lstrip().startswith("<")

    # Strict JSON.
    d = r.to_dict()
    json.dumps(d, allow_nan=False)

    # Equality and hashing on the content, never raising.
    assert r == r
    assert r == copy.copy(r)
    assert hash(r) == hash(copy.copy(r))
    assert (r == object()) is False
    assert r != 1

    # plot(ax) returns ax, for results with a figure.
    if type(r)._plot is not Result._plot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert r.plot(ax) is ax
                assert r.plot(ax=ax) is ax
        finally:
            plt.close("all")


@pytest.mark.parametrize("cls", CONCRETE_ESTIMATORS, ids=_ids(CONCRETE_ESTIMATORS))
def test_estimator_contract(cls):
    if cls not in ESTIMATORS:
        pytest.skip(f"{cls.__name__} has no example (reported above)")
    case = ESTIMATORS[cls]
    est = case.make()
    assert type(est) is cls

    # The constructor stores its parameters; repr is one line and round-trips them.
    params = est.get_params()
    assert "\n" not in repr(est) and repr(est).startswith(cls.__name__)
    assert repr(cls(**params)) == repr(est)
    assert est.set_params(**params) is est

    # Used before fit: NotFittedError.
    calls = [("summary", (), {}), ("to_dict", (), {}), ("plot", (), {})] + case.before_fit
    for name, args, kwargs in calls:
        with pytest.raises(NotFittedError):
            getattr(est, name)(*args, **kwargs)
    assert not est.is_fitted

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = est.fit(case.data_a(), **case.fit_kwargs)
        assert fitted is est
        assert isinstance(est.result_, Result)
        first = est.result_
        # Refitting does not depend on the previous fit.
        est.fit(case.data_b(), **case.fit_kwargs)
        fresh = case.make().fit(case.data_b(), **case.fit_kwargs)
    assert est.result_ == fresh.result_
    assert first is not est.result_
    assert isinstance(est.summary(), pd.DataFrame)
    json.dumps(est.to_dict(), allow_nan=False)
    assert "\n" not in repr(est)


def test_the_contract_catches_a_result_that_breaks_it():
    """A result declared with a plain @dataclass (multi-line repr, == raising on its table) and
    one that hands out its own table from summary() both fail the contract."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Plain(Result):
        table: pd.DataFrame

        def _summary(self):
            return self.table

    class Leaky(Result):
        def __init__(self):
            self.table = pd.DataFrame({"x": [1.0, 2.0]})

        def summary(self):  # hands out its own table
            return self.table

    for cls, make in ((Plain, lambda: Plain(pd.DataFrame({"x": [1.0, 2.0]}))), (Leaky, Leaky)):
        RESULTS[cls], CLASSES[cls] = make, cls.__name__
        try:
            with pytest.raises((AssertionError, ValueError)):
                test_result_contract(cls)
        finally:
            del RESULTS[cls], CLASSES[cls]
            _INSTANCES.pop(cls, None)
