"""What every fuzz test does with an entry point: call it, let only our exceptions through,
treat foreign warnings as failures, check strict JSON, and count the cases run.

Profiles (registered here, chosen by the environment variable ``HYPOTHESIS_PROFILE`` or by
pytest's ``--hypothesis-profile``):

- ``ci`` (default): deterministic (``derandomize=True``), a few examples per test, the whole
  ``tests/fuzz`` run well under a minute;
- ``long`` (``make fuzz``): random, no example database in the way of fresh cases, ``weight x``
  :data:`LONG_EXAMPLES` examples per test, at least 100,000 cases in total.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, settings

from cjmodels.errors import CJModelsError

CI_EXAMPLES = 12
LONG_EXAMPLES = 1600

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # no shrinking: a failing case is reported as drawn, so a known finding costs no time
    phases=[Phase.explicit, Phase.generate],
    # the strategies draw whole data frames; some draws are refused by design
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=LONG_EXAMPLES,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)

# Triage: random cases without shrinking, to list many failures quickly (not for CI).
settings.register_profile(
    "explore",
    settings.get_profile("long"),
    max_examples=40,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=True,
)

#: Cases run per test in this process (written out and printed by ``conftest.py``).
CASES: Counter[str] = Counter()


def profile_name() -> str:
    """``long`` (or ``explore``) when asked for by the environment or ``--hypothesis-profile``,
    else ``ci``."""
    for name in (os.environ.get("HYPOTHESIS_PROFILE"), settings.get_current_profile_name()):
        if name in ("long", "explore"):
            return name
    return "ci"


def fuzz(weight: float = 1.0) -> settings:
    """Settings of one fuzz test: the active profile, ``weight`` times its example count.

    Weights below 1 are for tests whose every case fits a model (lifelines, an HMM)."""
    base = settings.get_profile(profile_name())
    return settings(base, max_examples=max(1, int(round(base.max_examples * weight))))


def count() -> None:
    """Count one case of the running test."""
    name = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    CASES[name] += 1


class Refused:
    """The entry point raised one of our exceptions (a clear refusal, never a finding)."""

    def __init__(self, exc: CJModelsError) -> None:
        self.exc = exc

    def __repr__(self) -> str:
        return f"Refused({type(self.exc).__name__}: {self.exc})"


def _ours(w: warnings.WarningMessage) -> bool:
    """A warning cjmodels itself issued on purpose (a UserWarning of ours, from our code)."""
    cat = w.category
    from_us = cat.__module__.startswith("cjmodels") or cat is UserWarning
    return from_us and "site-packages" not in str(w.filename)


def _inside_a_dependency(w: warnings.WarningMessage) -> bool:
    """A deprecation notice that one dependency's own code gets from another (lifelines calling
    pandas in a way pandas 4 will drop): the library's upgrade to make, not an answer changed
    or an error hidden from the user. A deprecation pointed at our lines still fails."""
    return issubclass(w.category, (DeprecationWarning, FutureWarning)) and (
        "site-packages" in str(w.filename) and "cjmodels" not in str(w.filename))


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or :class:`Refused` for one of our exceptions.

    Any other exception propagates (a finding). A warning that is not one of ours (numpy's
    RuntimeWarning, pandas' FutureWarning, a DeprecationWarning, lifelines' warnings) fails the
    test as well: it is an error the user was not told about in our words."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except CJModelsError as exc:
            out = Refused(exc)
    foreign = [w for w in caught if not (_ours(w) or _inside_a_dependency(w))]
    assert not foreign, "foreign warning from {}: {}: {} ({}:{})".format(
        getattr(fn, "__name__", fn), foreign[0].category.__name__, foreign[0].message,
        foreign[0].filename, foreign[0].lineno)
    return out


def refused(out: Any) -> bool:
    return isinstance(out, Refused)


def strict_json(result: Any) -> None:
    """``result.to_dict()`` passes ``json.dumps(..., allow_nan=False)``."""
    if isinstance(result, (pd.DataFrame, pd.Series, dict, tuple, list)) or refused(result):
        return
    to_dict = getattr(result, "to_dict", None)
    if to_dict is None:
        return
    d = call(to_dict)
    assert not refused(d), f"{type(result).__name__}.to_dict() refused: {d}"
    json.dumps(d, allow_nan=False)


def same_frame(a: pd.DataFrame, b: pd.DataFrame, what: str, rtol: float = 1e-9) -> None:
    """Two results equal up to float rounding (same labels, same numbers)."""
    assert list(a.columns) == list(b.columns), f"{what}: columns differ"
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}\n{a}\n{b}"
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number):
            ok = np.isclose(x.astype(float), y.astype(float), rtol=rtol, atol=1e-12,
                            equal_nan=True)
            assert ok.all(), f"{what}: column {c!r} differs\n{a}\n{b}"
        else:
            assert [repr(v) for v in x] == [repr(v) for v in y], (
                f"{what}: column {c!r} differs\n{a}\n{b}")


def close(a: float, b: float, what: str, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    ok = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
    assert ok, f"{what}: {a!r} != {b!r}"


def surface(result: Any, plot: bool = True) -> None:
    """The surface every Result shares (CONTRIBUTING.md section 2): ``summary()`` a new
    DataFrame, strict-JSON ``to_dict()``, ``==`` and ``hash`` on the content, never raising,
    and ``plot(ax)`` returning ``ax`` for results with a figure. Refusals are not results."""
    from cjmodels.results import Result

    if not isinstance(result, Result):
        return
    s = call(result.summary)
    assert refused(s) or isinstance(s, pd.DataFrame), (
        f"{type(result).__name__}.summary() returned a {type(s).__name__}")
    strict_json(result)
    h = call(hash, result)
    assert isinstance(h, int), f"hash({type(result).__name__}) refused: {h}"
    eq = call(lambda: result == result and not (result != result))
    assert eq is True, f"{type(result).__name__} is not equal to itself: {eq}"
    other = call(lambda: result == object())
    assert other is False, f"{type(result).__name__} == object() gave {other!r}"
    if plot and type(result)._plot is not Result._plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        try:
            out = call(result.plot, ax)
            assert refused(out) or out is ax, f"{type(result).__name__}.plot(ax) did not return ax"
        finally:
            plt.close(fig)
