"""Stage schemes: presets follow the domain notes; user schemes are checked."""

from __future__ import annotations

import pytest

from cjmodels.data import FIVE_STAGE, SEVEN_STAGE, SIX_STAGE, StageScheme, get_scheme, list_schemes
from cjmodels.errors import ValidationError


def test_presets():
    assert list_schemes() == ["five", "seven", "six"]
    assert SEVEN_STAGE.pre_purchase == ("awareness", "interest", "consideration", "decision")
    assert SEVEN_STAGE.post_purchase == ("post_purchase", "loyalty")
    assert SIX_STAGE.pre_purchase == ("awareness", "consideration", "intent")
    assert FIVE_STAGE.post_purchase == ("use_experience", "repeat_advocacy")
    assert get_scheme("six") is SIX_STAGE
    assert SEVEN_STAGE.terminal == ("purchase", "drop_out")
    assert SEVEN_STAGE.to_dict()["stages"][0] == "awareness"


def test_user_scheme_with_extra_absorbing_stage():
    s = StageScheme("saas", ("trial", "active", "paid", "churn"), purchase="paid", absorbing=("churn",))
    assert s.terminal == ("paid", "churn", "drop_out")
    assert s.index("active") == 1
    with pytest.raises(ValidationError, match="'lost' is not in scheme 'saas'"):
        s.index("lost")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stages": ("a",), "purchase": "a"}, "at least two stages"),
        ({"stages": ("a", "a", "b"), "purchase": "b"}, "more than once"),
        ({"stages": ("a", "b"), "purchase": "c"}, "purchase == 'c' is not one of the stages"),
        ({"stages": ("a", "b"), "purchase": "b", "absorbing": ("z",)}, "absorbing stages ['z']"),
        ({"stages": ("a", "drop_out"), "purchase": "a"}, "drop_out == 'drop_out' must not be"),
        ({"stages": ("a", ""), "purchase": "a"}, "non-empty string"),
    ],
)
def test_bad_schemes(kwargs, message):
    with pytest.raises(ValidationError) as err:
        StageScheme("x", **kwargs)
    assert message in str(err.value)


def test_unknown_preset():
    with pytest.raises(ValidationError, match="one of \\['five', 'seven', 'six'\\]"):
        get_scheme("nine")
