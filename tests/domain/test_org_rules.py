from datetime import datetime, timezone
from decimal import Decimal

import pytest

from domain.money import from_cents, round_cents, to_cents
from domain.org.rules import (
    FiscalQuarter, PeriodKeyError, cost_per_selling_hour,
    parse_period_key, period_bounds, person_figure_problems, quarter_of, quota_per_selling_hour,
)

UTC = timezone.utc


def test_cost_per_selling_hour_of_the_worked_example_is_399():
    assert cost_per_selling_hour(Decimal("210672"), Decimal("11"), Decimal("48")) == Decimal("399.00")


def test_quota_per_selling_hour_of_a_two_million_quota_is_3787_88():
    assert quota_per_selling_hour(Decimal("2000000"), Decimal("11"), Decimal("48")) == Decimal("3787.88")


def test_economics_round_half_up_to_the_cent():
    # 1 / 8 = 0.125 -> 0.13 (half up, not banker's 0.12)
    assert cost_per_selling_hour(Decimal("1"), Decimal("1"), Decimal("8")) == Decimal("0.13")


def test_no_cost_or_quota_gives_no_figure():
    assert cost_per_selling_hour(None, Decimal("11"), Decimal("48")) is None
    assert quota_per_selling_hour(None, Decimal("11"), Decimal("48")) is None


def test_negative_cost_and_zero_hours_are_refused_by_field():
    problems = dict(person_figure_problems(Decimal("-1"), Decimal("-5"), Decimal("0"), Decimal("48")))
    assert set(problems) == {"annualCost", "annualQuota", "sellingHoursPerWeek"}


def test_cents_round_trip_exactly():
    assert to_cents(Decimal("3787.875")) == 378788
    assert from_cents(378788) == Decimal("3787.88")
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert from_cents(None) is None


def test_period_key_parses_year_and_quarter():
    assert parse_period_key("2026-Q4") == FiscalQuarter(2026, 4)
    assert FiscalQuarter(2026, 4).next() == FiscalQuarter(2027, 1)
    assert FiscalQuarter(2027, 1).previous() == FiscalQuarter(2026, 4)


@pytest.mark.parametrize("key", ["2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-q1", "", "2026-Q1x",
                                 "1899-Q4", "9999-Q4", "9999-Q1"])  # (found by fuzzing: 9999-Q4 ended in year 10000)
def test_malformed_period_keys_are_refused(key):
    with pytest.raises(PeriodKeyError):
        parse_period_key(key)


def test_the_last_period_key_has_bounds_whatever_the_fiscal_year():
    for start_month in (1, 12):
        start, end = period_bounds(parse_period_key("9998-Q4"), start_month, "Pacific/Kiritimati")
        assert start < end


def test_calendar_year_quarters_by_default():
    start, end = period_bounds(FiscalQuarter(2026, 4), 1, "UTC")
    assert (start, end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_fiscal_year_starting_in_february_names_quarters_from_its_start_year():
    # FY2026 starts 2026-02-01; its Q4 runs November 2026 to January 2027.
    start, end = period_bounds(FiscalQuarter(2026, 4), 2, "UTC")
    assert (start, end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    assert quarter_of(datetime(2027, 1, 15, tzinfo=UTC), 2, "UTC") == FiscalQuarter(2026, 4)
    assert quarter_of(datetime(2027, 2, 1, tzinfo=UTC), 2, "UTC") == FiscalQuarter(2027, 1)


def test_period_bounds_are_midnights_in_the_installation_time_zone():
    start, end = period_bounds(FiscalQuarter(2026, 1), 1, "America/New_York")
    assert start == datetime(2026, 1, 1, 5, tzinfo=UTC)  # EST is UTC-5
    assert end == datetime(2026, 4, 1, 4, tzinfo=UTC)    # EDT is UTC-4
    # 02:00 UTC on 1 January is still 31 December in New York: the previous quarter
    assert quarter_of(datetime(2026, 1, 1, 2, tzinfo=UTC), 1, "America/New_York") == FiscalQuarter(2025, 4)


def test_times_without_a_zone_offset_are_refused_at_the_edge():
    from schema.core.scalars import _parse_datetime
    assert _parse_datetime("2026-11-23T09:00:00+01:00") == datetime(2026, 11, 23, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="zone offset"):
        _parse_datetime("2026-11-23T09:00:00")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1e400", "abc", ""])
def test_decimals_must_be_finite_numbers(text):
    from schema.core.scalars import _parse_decimal
    with pytest.raises(ValueError):
        _parse_decimal(text)
