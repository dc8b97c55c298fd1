"""Periods: any well-formed key names a fiscal quarter; reading one never stores it."""
from datetime import datetime, timezone

from domain import config
from domain.org.models import Period
from domain.org.service import ensure_period
from tests.api.support import codes

PERIOD = "query($k: String!) { period(key: $k) { key start end status } }"


def test_a_period_knows_its_bounds(api, admin):
    period = api.gql(PERIOD, {"k": "2026-Q4"}, admin)["period"]
    assert period == {"key": "2026-Q4", "start": "2026-10-01T00:00:00+00:00",
                      "end": "2027-01-01T00:00:00+00:00", "status": "OPEN"}


def test_the_fiscal_year_start_month_setting_moves_the_quarters(api, admin):
    config.configure(fiscal_year_start_month=2)
    period = api.gql(PERIOD, {"k": "2026-Q4"}, admin)["period"]
    assert (period["start"], period["end"]) == ("2026-11-01T00:00:00+00:00", "2027-02-01T00:00:00+00:00")


def test_reading_a_period_never_stores_it(api, admin):
    api.gql(PERIOD, {"k": "2031-Q2"}, admin)
    api.gql("{ periods { key } }", token=admin)
    assert api.run(Period.all().count()) == 0


def test_a_malformed_period_key_is_invalid(api, admin):
    for key in ("2026-Q5", "Q4-2026", "2026-4"):
        body = api.post(PERIOD, {"k": key}, admin)
        assert codes(body["errors"]) == ["INVALID"]


def test_periods_lists_those_in_use_and_the_current_one_newest_first(api, admin):
    api.set_now(datetime(2026, 11, 23, 12, tzinfo=timezone.utc))
    api.run(ensure_period("2026-Q2"))
    api.run(ensure_period("2027-Q1"))
    keys = [p["key"] for p in api.gql("{ periods { key status } }", token=admin)["periods"]]
    assert keys == ["2027-Q1", "2026-Q4", "2026-Q2"]
