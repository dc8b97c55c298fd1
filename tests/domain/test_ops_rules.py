"""Pure rules of operational hygiene: bounds on what clients and operators may ask for."""
from datetime import timedelta

import pytest

from domain.errors import DomainError
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
