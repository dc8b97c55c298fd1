"""Pure rules of operational hygiene: bounds on what clients and operators may ask for."""
from datetime import timedelta

import pytest

from decimal import Decimal

from domain.attribution.rules import CustomWeights, Model, model_choice_problems
from domain.errors import DomainError
from domain.org.rules import PeriodKeyError, previous_period_key
from domain.org.service import TOKEN_MAX_DAYS, token_lifetime


def test_a_token_lives_one_to_ten_years_of_days():
    assert token_lifetime(None) is None
    assert token_lifetime(1) == timedelta(days=1)
    assert token_lifetime(TOKEN_MAX_DAYS) == timedelta(days=3650)


@pytest.mark.parametrize("days", [0, -1, 3651, 10**9, True])
def test_a_token_lifetime_out_of_range_is_invalid(days):
    with pytest.raises(DomainError) as refused:
        token_lifetime(days)
    (problem,) = refused.value.problems
    assert problem.code.value == "INVALID" and problem.field == ("expiresDays",)


def test_the_period_before_1900_q1_does_not_exist():
    assert previous_period_key("1900-Q2") == "1900-Q1"
    assert previous_period_key("2027-Q1") == "2026-Q4"
    with pytest.raises(PeriodKeyError, match="1900-Q1 is the first period"):
        previous_period_key("1900-Q1")


_FITS = CustomWeights(Decimal("0.4"), Decimal("0.2"), Decimal("0.2"), Decimal("0.2"), Decimal(0))


@pytest.mark.parametrize("model, half_life, custom, argument", [
    (Model.CUSTOM, None, None, "weights"),
    (Model.CUSTOM, None, CustomWeights(Decimal(1), Decimal(1), Decimal(0), Decimal(0), Decimal(0)), "weights"),
    (Model.W_SHAPED, None, _FITS, "weights"),
    (Model.TIME_DECAY, Decimal(0), None, "halfLifeDays"),
    (Model.TIME_DECAY, Decimal(-1), None, "halfLifeDays"),
    (Model.TIME_DECAY, Decimal("NaN"), None, "halfLifeDays"),
    (Model.TIME_DECAY, Decimal(1_000_000), None, "halfLifeDays"),
])
def test_a_model_choice_that_cannot_be_used_names_its_argument(model, half_life, custom, argument):
    assert [a for a, _ in model_choice_problems(model, half_life, custom)] == [argument]


def test_a_model_choice_that_fits_has_no_problem():
    assert model_choice_problems(Model.CUSTOM, None, _FITS) == []
    assert model_choice_problems(Model.TIME_DECAY, Decimal("0.5"), None) == []
    assert model_choice_problems(Model.W_SHAPED, None, None) == []


# --- JSON nesting, found without parsing ---------------------------------------------------------

from domain.jsondepth import nests_deeper_than  # noqa: E402


@pytest.mark.parametrize("text, deeper", [
    ("[" * 33 + "]" * 33, True),
    ("[" * 32 + "]" * 32, False),
    ('{"a": ' * 33 + "1" + "}" * 33, True),
    ('["' + "[" * 100 + '"]', False),                 # brackets inside a string do not count
    ('["\\"' + "[" * 100 + '"]', False),              # nor after an escaped quote
    ("[]" * 1000, False),                             # many, side by side
    (b"[" * 100_000, True),                           # unbalanced, as bytes
])
def test_json_nesting_is_measured_without_parsing(text, deeper):
    assert nests_deeper_than(text, 32) is deeper


# --- free texts --------------------------------------------------------------------------------

from domain import texts  # noqa: E402


def test_a_free_text_may_reach_its_limit_not_pass_it():
    assert texts.too_long("x" * texts.COMMENT, texts.COMMENT) is None
    assert texts.too_long(None, texts.COMMENT) is None
    assert texts.too_long("x" * (texts.COMMENT + 1), texts.COMMENT) == \
        "a comment has at most 2,000 characters (this one has 2,001)"
    assert texts.too_long("x" * 10_001, texts.REASON, "a resolution").startswith("a resolution has at most 10,000")


def test_each_kind_of_text_has_its_own_limit():
    assert texts.NAME < texts.TITLE < texts.COMMENT < texts.DESCRIPTION < texts.REASON


def test_a_required_reason_is_stripped_and_refused_when_empty_or_too_long():
    assert texts.required_reason("  late deal  ", "needs one") == ("late deal", None)
    assert texts.required_reason(None, "needs one") == ("", "needs one")
    assert texts.required_reason(" \n\t ", "needs one") == ("", "needs one")
    text, message = texts.required_reason(" " + "x" * (texts.REASON + 1), "needs one", "a resolution")
    assert text == "x" * (texts.REASON + 1) and message.startswith("a resolution has at most 10,000 characters")
    assert texts.required_reason("x" * texts.REASON, "needs one") == ("x" * texts.REASON, None)

