"""Periods by name: "current", "previous" and "next" against a given current quarter; the request's pinned instant."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from domain import clock
from domain.org.rules import FiscalQuarter, PeriodKeyError, resolve_period_key

Q4 = FiscalQuarter(2026, 4)


@pytest.mark.parametrize(("written", "quarter"), [
    ("current", FiscalQuarter(2026, 4)), ("previous", FiscalQuarter(2026, 3)), ("next", FiscalQuarter(2027, 1)),
    ("CURRENT", FiscalQuarter(2026, 4)), (" Next ", FiscalQuarter(2027, 1)),
    ("2025-Q1", FiscalQuarter(2025, 1)),  # a key is itself, whatever the current quarter
])
def test_a_name_is_read_against_the_current_quarter(written, quarter):
    assert resolve_period_key(written, Q4) == quarter


def test_previous_and_next_cross_the_fiscal_year():
    assert resolve_period_key("previous", FiscalQuarter(2027, 1)) == FiscalQuarter(2026, 4)
    assert resolve_period_key("next", FiscalQuarter(2026, 4)) == FiscalQuarter(2027, 1)


@pytest.mark.parametrize("written", ["last", "this", "currnt", "current quarter", "", "2026-Q5", "Q4"])
def test_anything_else_is_refused_with_what_may_be_written(written):
    with pytest.raises(PeriodKeyError) as refused:
        resolve_period_key(written, Q4)
    assert "2026-Q4" in str(refused.value) and "current, previous or next" in str(refused.value)


def test_a_request_keeps_the_instant_it_began_with():
    began = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    clock.set_now(began)
    try:
        with clock.pinned_for_request():
            clock.set_now(datetime(2027, 1, 1, 0, 0, 1, tzinfo=timezone.utc))  # the quarter turns mid-request
            assert clock.request_now() == began
        assert clock.request_now() == datetime(2027, 1, 1, 0, 0, 1, tzinfo=timezone.utc)  # outside: the clock
    finally:
        clock.set_now(None)
