"""The journey specification (cjmodels.data.JourneySpec): validation and its small API."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import JourneySpec
from cjmodels.errors import ValidationError


def test_defaults_repr_and_equality():
    spec = JourneySpec()
    assert (spec.sequence, spec.order, spec.timeout, spec.lookback, spec.journeys,
            spec.censored, spec.censor_recent, spec.collapse_repeats) == (
        "stage", 1, None, None, "all", "drop", True, False)
    assert repr(spec) == "JourneySpec()"
    assert JourneySpec(timeout="30D") == JourneySpec(timeout="30D")
    assert hash(JourneySpec(order=2)) == hash(JourneySpec(order=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.order = 2


@pytest.mark.parametrize("field, value, words", [
    ("sequence", "touch", "sequence must be one of 'stage', 'channel'"),
    ("journeys", "last", "journeys must be one of"),
    ("censored", "keep", "censored must be one of"),
    ("order", 0, "order must be an integer >= 1"),
    ("order", 1.5, "order must be an integer >= 1"),
    ("order", True, "order must be an integer >= 1"),
    # numpy's timedelta64 counts as an Integral; NaT used to escape as a TypeError (fuzz)
    ("order", np.timedelta64("NaT"), "order must be an integer >= 1"),
    ("order", np.timedelta64(2, "D"), "order must be an integer >= 1"),
    ("censor_recent", "yes", "censor_recent must be True or False"),
    ("collapse_repeats", 1, "collapse_repeats must be True or False"),
    ("timeout", -1, "timeout == -1, must be positive"),
    ("timeout", np.nan, "must be positive and finite"),
    ("timeout", "soon", "timeout == 'soon' is not a time span"),
    ("timeout", [30], "is not a time span"),
    ("lookback", pd.Timedelta(0), "must be positive"),
])
def test_bad_fields_name_the_field_and_the_fix(field, value, words):
    with pytest.raises(ValidationError, match=words):
        JourneySpec(**{field: value})


def test_time_spans_of_every_kind():
    for span in ("30D", pd.Timedelta(days=2), np.timedelta64(3, "D"), 5, 2.5):
        assert JourneySpec(timeout=span, lookback=span).timeout is span
    assert JourneySpec(order=np.int64(2)).order == 2


def test_replace_to_dict_and_check_fields():
    spec = JourneySpec(timeout=pd.Timedelta(days=30), journeys="first")
    assert spec.replace(order=2) == JourneySpec(timeout=pd.Timedelta(days=30),
                                                journeys="first", order=2)
    with pytest.raises(ValidationError, match="no fields"):
        spec.replace(by="stage")
    assert spec.to_dict()["timeout"] == "30 days 00:00:00"
    spec.check_fields(("timeout", "journeys"), "x")
    with pytest.raises(ValidationError, match="journeys='first' would be ignored"):
        spec.check_fields(("timeout",), "x")
    with pytest.raises(ValidationError, match="reads no field"):
        spec.check_fields((), "x")


def test_spans_beyond_float64_integers():
    """A Python int beyond int64 as a span: np.isfinite raised TypeError (found by the fuzz
    suite). 2**70 is a (long) positive span; 10**400 is beyond any float and refused."""
    assert JourneySpec(lookback=2**70).lookback == 2**70
    with pytest.raises(ValidationError, match="timeout == .* must be positive and finite"):
        JourneySpec(timeout=10**400)
    with pytest.raises(ValidationError, match="lookback == .* must be positive and finite"):
        JourneySpec(lookback=-(2**70))
