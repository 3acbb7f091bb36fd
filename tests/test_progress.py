"""``progress=`` means the same everywhere: True (tqdm), False/None, or a tqdm-like callable."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import cjmodels
from cjmodels._progress import progress_bar
from cjmodels.analytics import edge_times, top_paths
from cjmodels.attribution import (
    HeuristicAttribution,
    LogisticAttribution,
    MarkovAttribution,
    ShapleyAttribution,
    attribute,
    ground_truth_comparison,
)
from cjmodels.errors import ValidationError
from cjmodels.experiments import aa_simulation
from cjmodels.markov import HiddenMarkovModel, fit_chain, lifecycle_chain

PATHS = pd.DataFrame({
    "path": ["a > a > b", "a > b > c", "c", "b > a > a > b"],
    "total_conversions": [3, 1, 0, 2],
    "total_null": [2, 4, 5, 1],
})
SEQS = [["a", "b", "b"], ["b", "a"], ["a", "a", "c"]] * 4
LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4],
    "timestamp": [0.0, 1, 3, 0, 2, 0, 1, 0, 2],
    "event": ["touch", "touch", "conversion", "touch", "drop_out", "touch", "conversion",
              "touch", "touch"],
    "channel": ["a", "b", None, "a", None, "b", None, "a", "b"],
})


def _hmm(progress: Any) -> Any:
    m = HiddenMarkovModel(2, n_init=1, max_iter=500, random_state=0).fit(SEQS)
    return m.bootstrap(SEQS, n_boot=2, random_state=1, progress=progress)


def _stage_log() -> pd.DataFrame:
    """A small event log of stage journeys (three copies of six journeys)."""
    paths = [
        ["awareness", "interest", "consideration", "decision", "purchase"],
        ["awareness", "interest", "drop_out"],
        ["awareness", "consideration", "purchase", "post_purchase", "loyalty"],
        ["interest", "decision", "drop_out"],
        ["awareness", "interest", "consideration", "drop_out"],
        ["awareness", "decision", "purchase", "loyalty"],
    ] * 3
    event = {"purchase": "conversion", "drop_out": "drop_out"}
    rows = [
        {"customer_id": i, "timestamp": pd.Timestamp("2025-01-01") + pd.Timedelta(days=k),
         "event": event.get(stage, "touch"), "stage": stage,
         "channel": None if stage in event else "email"}
        for i, path in enumerate(paths) for k, stage in enumerate(path)
    ]
    return pd.DataFrame(rows)


def _chain(call: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def run(progress: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # loyalty is never left: prior rows
            chain = fit_chain(_stage_log(), prior="jeffreys")
        return call(chain, progress)
    return run


def _lifecycle(call: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def run(progress: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            chain = lifecycle_chain(_stage_log(), prior="jeffreys", restart=True)
        return call(chain, progress)
    return run


def _model(make: Callable[[], Any]) -> Callable[[Any], Any]:
    return lambda progress: make().fit(PATHS).bootstrap(2, random_state=0, progress=progress)


#: One cheap call of every public function or method that takes ``progress`` (two iterations).
CALLS: dict[str, Callable[[Any], Any]] = {
    "analytics.edge_times": lambda progress: edge_times(
        LOG, n_boot=2, random_state=0, progress=progress),
    "analytics.top_paths": lambda progress: top_paths(
        LOG, k=2, n_boot=2, random_state=0, progress=progress),
    "attribution.attribute": lambda progress: attribute(
        PATHS, model="last", n_boot=2, random_state=0, progress=progress),
    "attribution.ground_truth_comparison": lambda progress: ground_truth_comparison(
        PATHS, {"a": 0.4, "b": 0.4, "c": 0.2}, {"last": HeuristicAttribution("last")},
        n_boot=2, progress=progress),
    "attribution.AttributionModel.bootstrap": _model(lambda: HeuristicAttribution("linear")),
    "attribution.MarkovAttribution.bootstrap": _model(MarkovAttribution),
    "attribution.ShapleyAttribution.bootstrap": _model(lambda: ShapleyAttribution(
        random_state=0)),
    "attribution.LogisticAttribution.bootstrap": _model(lambda: LogisticAttribution(
        n_estimators=2, random_state=0)),
    "markov.HiddenMarkovModel.bootstrap": _hmm,
    # 100 revenue replicates in chunks of 4e6 // (2 * n_per_arm) = 50: a bar of two chunks
    "experiments.aa_simulation": lambda progress: aa_simulation(
        40_000, n_simulations=100, random_state=0, progress=progress),
    "markov.FittedChain.bootstrap": _chain(
        lambda c, progress: c.bootstrap(2, random_state=0, progress=progress)),
    "markov.FittedChain.intervals": _chain(lambda c, progress: c.intervals(
        "bootstrap", n_boot=2, random_state=0, progress=progress)),
    "markov.FittedChain.absorbing": _chain(lambda c, progress: c.absorbing(
        method="bootstrap", n_boot=2, random_state=0, progress=progress)),
    "markov.FittedChain.funnel": _chain(lambda c, progress: c.funnel(
        method="bootstrap", n_boot=2, random_state=0, progress=progress)),
    "markov.LifecycleChain.stationary": _lifecycle(lambda c, progress: c.stationary(
        method="bootstrap", n_boot=2, random_state=0, progress=progress)),
    "markov.LifecycleChain.passage": _lifecycle(lambda c, progress: c.passage(
        "awareness", "decision", method="bootstrap", n_boot=2, random_state=0,
        progress=progress)),
}


def _public_progress_functions() -> set[str]:
    """Names (``subpackage.function`` or ``subpackage.Class.method``) of public callables in
    the subpackages' ``__all__`` whose signature has a ``progress`` parameter."""
    found = set()
    for info in pkgutil.iter_modules(cjmodels.__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        mod = importlib.import_module(f"cjmodels.{info.name}")
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            members = [(name, obj)] if inspect.isfunction(obj) else [
                (f"{name}.{m}", f) for m, f in inspect.getmembers(obj, inspect.isfunction)
                if not m.startswith("_") and f.__qualname__.startswith(f"{obj.__name__}.")
            ] if inspect.isclass(obj) else []
            for label, f in members:
                if "progress" in inspect.signature(f).parameters:
                    found.add(f"{info.name}.{label}")
    return found


def test_every_public_progress_argument_is_tested_here():
    # a new function taking progress= must be added to CALLS (and route through progress_bar)
    assert _public_progress_functions() <= set(CALLS)
    assert {k for k in CALLS if k.count(".") == 1} <= _public_progress_functions()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_progress_accepts_true_false_none_and_a_callable(name, capsys):
    call = CALLS[name]
    call(False)
    call(None)
    assert capsys.readouterr().err == ""
    call(True)  # tqdm.auto draws on stderr outside a notebook
    assert "2/2" in capsys.readouterr().err
    seen = []

    def bar(it, total, desc):
        seen.append((total, desc))
        return it

    call(bar)
    assert seen and all(total == 2 and isinstance(desc, str) for total, desc in seen)
    with pytest.raises(ValidationError, match="progress == 'yes', must be True, False, None"):
        call("yes")


def test_progress_bar_passes_the_iterable_through_unchanged():
    items = [3, 1, 2]
    assert list(progress_bar(items, True, total=3, desc="x")) == items
    assert progress_bar(items, False) is items
