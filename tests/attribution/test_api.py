"""The one API in attribution: estimators, compare() labels, option strings, defaults."""

from __future__ import annotations

import pandas as pd
import pytest

from cjmodels.attribution import (
    HEURISTICS,
    MODELS,
    HeuristicAttribution,
    MarkovAttribution,
    ShapleyAttribution,
    attribute,
    compare,
    cross_validate_order,
    make_model,
)
from cjmodels.errors import NotFittedError, ValidationError

PT = pd.DataFrame({
    "path": ["a > a > b", "b > c", "c > a", "b"],
    "total_conversions": [30, 10, 5, 8],
    "total_null": [70, 90, 95, 92],
})
PT2 = pd.DataFrame({
    "path": ["c > c", "a > b > c", "b"],
    "total_conversions": [7, 9, 4],
    "total_null": [93, 91, 96],
})


def test_option_strings_are_kebab_case():
    assert all("_" not in m for m in MODELS)
    assert {"last-non-direct", "linear-unique", "time-decay"} <= set(HEURISTICS)
    with pytest.raises(ValidationError, match="last_non_direct"):
        make_model("last_non_direct")


def test_estimator_before_and_after_fit():
    m = MarkovAttribution(order=2)
    with pytest.raises(NotFittedError, match="call fit"):
        m.bootstrap(10)
    with pytest.raises(NotFittedError):
        m.summary()
    assert repr(m) == "MarkovAttribution(order=2)"
    m.fit(PT)
    public = [k for k in vars(m) if k.endswith("_") and not k.startswith("_")]
    assert public == ["result_"]
    assert m.summary()["channel"].tolist() == ["a", "b", "c"]


def test_refit_does_not_depend_on_the_earlier_fit():
    for make in (lambda: MarkovAttribution(order=2), lambda: ShapleyAttribution("rate"),
                 lambda: HeuristicAttribution("position")):
        m = make().fit(PT)
        m.fit(PT2)
        assert m.result_ == make().fit(PT2).result_
        pd.testing.assert_frame_equal(m.bootstrap(5, random_state=1).table,
                                      make().fit(PT2).bootstrap(5, random_state=1).table)


def test_set_params_is_read_at_the_next_fit():
    m = MarkovAttribution().fit(PT)
    m.set_params(order=2).fit(PT)
    assert m.result_.params["order"] == 2 and m.result_.info["order"] == 2


def test_collapse_repeats_is_off_by_default():
    assert MarkovAttribution().collapse_repeats is False
    kept = attribute(PT, "markov").tables["transitions"]
    merged = attribute(PT, "markov", collapse_repeats=True).tables["transitions"]
    assert ((kept.from_state == "a") & (kept.to_state == "a")).any()  # a self-loop
    assert not ((merged.from_state == "a") & (merged.to_state == "a")).any()
    a = cross_validate_order(PT, orders=(1, 2), n_splits=2, random_state=0)
    b = cross_validate_order(PT, orders=(1, 2), n_splits=2, random_state=0,
                             collapse_repeats=True)
    assert a.params["collapse_repeats"] is False and b.params["collapse_repeats"] is True


def test_compare_names_results_of_one_model_by_their_parameters():
    res = [attribute(PT, "markov", order=k) for k in (1, 2)] + [attribute(PT, "first")]
    assert compare(res).columns.tolist() == ["markov_1", "markov_2", "first"]
    sh = [attribute(PT, "shapley", value_function=v) for v in ("within", "rate")]
    assert compare(sh).columns.tolist() == ["shapley_within", "shapley_rate"]
    # both Markov columns are kept (the last one used to replace the first)
    t = compare(res)
    assert not t["markov_1"].equals(t["markov_2"])
    with pytest.raises(ValidationError, match="pass a dict"):
        compare([attribute(PT, "last"), attribute(PT, "last")])
    labelled = compare({"one": res[0], "two": res[1]}, what="conversions")
    assert labelled.columns.tolist() == ["one", "two"]
    with pytest.raises(ValidationError, match="Attribution"):
        compare([PT])


def test_ordered_shapley_is_a_result_with_a_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cjmodels.attribution import ordered_shapley

    res = ordered_shapley(PT)
    fig, ax = plt.subplots()
    assert res.plot(ax) is ax
    plt.close(fig)
    assert res.summary()["channel"].tolist() == ["a", "b", "c"]
