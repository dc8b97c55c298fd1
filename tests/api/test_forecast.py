"""Forecasts of revenue key results, deals' win probabilities and the common view's attributed-bookings forecast,
through GraphQL on a real database, with hand-worked numbers (the rules: tests/domain/test_forecast_rules.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from strawberry import relay

from domain.forecast import queries as forecast
from tests.api.fixtures import contribution_org, write_deal  # noqa: F401  (a fixture)
from tests.api.goals_support import KR_CREATE

UTC = timezone.utc
NOW = datetime(2026, 11, 20, tzinfo=UTC)       # the contribution org's clock: 42 days before 2026-Q4 ends

FORECAST = """{ objectives(period: "2026-Q4") { edges { node { title forecastStatus keyResults { title
  forecast { asOf booked expected p10 p90 basis openDeals fallbackDeals status } } } } } }"""


def history(api):
    """40 deals of 5,000 owned by the seller, closed in 2026-Q3: 10 lost at 10 days, 20 won at 20, 10 won at 50."""
    start = datetime(2026, 7, 1, tzinfo=UTC)
    n = 0
    for count, age, status in ((10, 10, "LOST"), (20, 20, "WON"), (10, 50, "WON")):
        for _ in range(count):
            n += 1
            write_deal(api, None, 500_000, start, status=status, closed=start + timedelta(days=age),
                       external_id=f"H-{n}", owner="seller@example.com")


def open_deals(api, n=3, amount=500_000, created=datetime(2026, 11, 15, tzinfo=UTC), lead=None, prefix="N"):
    for k in range(n):
        write_deal(api, lead, amount, created, status="OPEN", external_id=f"{prefix}-{k}", owner="seller@example.com")


def add_kr(api, org, title, target, metric="BOOKINGS", teams=None):
    objective = api.gql(FORECAST, token=org.sales_leader)["objectives"]["edges"][0]["node"]
    gid = api.gql("""{ objectives(period: "2026-Q4") { edges { node { id } } } }""",
                  token=org.sales_leader)["objectives"]["edges"][0]["node"]["id"]
    result = api.gql(KR_CREATE, {"input": {"objectiveId": gid, "title": title, "kind": "INCREASE_TO",
                                           "unit": "CURRENCY", "start": "0", "target": target, "source": "METRIC",
                                           "metric": {"name": metric, "teamIds": teams or [org.sales]}}},
                     org.sales_leader)["keyResultCreate"]
    assert result["userErrors"] == [] and objective
    return result["keyResult"]["id"]


def key_results(api, token):
    node = api.gql(FORECAST, token=token)["objectives"]["edges"][0]["node"]
    return node["forecastStatus"], {k["title"]: k["forecast"] for k in node["keyResults"]}


def test_bookings_forecast_adds_each_open_deal_times_its_chance(api, contribution_org):
    org = contribution_org
    history(api)
    open_deals(api)   # 3 open deals of 5,000, 5 days old: of the 40 closed, all still open at 5 days, 20 won by 47
    add_kr(api, org, "Within reach", "40000")
    status, krs = key_results(api, org.sales_leader)
    f = krs["Bookings"]   # target 60,000; the won 30,000 deal is booked
    assert f["booked"] == "30000.00"
    assert f["expected"] == "37500.00"                  # 30,000 + 3 × 5,000 × 0.5
    # 0, 1, 2 or 3 of them won (1/8, 3/8, 3/8, 1/8): the 10th percentile none, the 90th all three
    assert (f["p10"], f["p90"]) == ("30000.00", "45000.00")
    assert (f["basis"], f["openDeals"], f["fallbackDeals"]) == ("CELLS", 3, 0)
    assert f["status"] == "UNLIKELY"                    # even p90 (45,000) misses 60,000
    assert krs["Within reach"]["status"] == "AT_RISK"   # 37,500 misses 40,000, p90 reaches it
    assert status == "UNLIKELY"                         # the objective's weakest
    assert f["asOf"].startswith("2026-11-20")


def test_the_forecast_is_the_same_all_day_and_learns_nothing_from_later_facts(api, contribution_org):
    org = contribution_org
    history(api)
    open_deals(api)
    before = key_results(api, org.sales_leader)[1]["Bookings"]
    assert key_results(api, org.sales_leader)[1]["Bookings"] == before     # seeded: the same answer twice
    # one of the three is won on 25 November, and a deal created on 21 November is lost on the 24th: as of 20
    # November the won deal was still open and the other did not exist, so the forecast made that day is unchanged
    from domain.attribution.models import Opportunity
    api.run(Opportunity.filter(external_id="N-0").update(status="WON", closed_at=datetime(2026, 11, 25, tzinfo=UTC)))
    write_deal(api, None, 500_000, datetime(2026, 11, 21, tzinfo=UTC), status="LOST",
               closed=datetime(2026, 11, 24, tzinfo=UTC), external_id="H-late", owner="seller@example.com")
    api.set_now(datetime(2026, 12, 10, tzinfo=UTC))
    kr_id = int(relay.GlobalID.from_id(_kr_gid(api, org, "Bookings")).node_id)
    [then] = api.run(forecast.key_result_forecasts([kr_id], as_of=NOW))
    assert (str(then.booked), str(then.expected), str(then.p90)) == ("30000.00", "37500.00", "45000.00")
    [today] = api.run(forecast.key_result_forecasts([kr_id]))
    assert str(today.booked) == "35000.00"              # the deal won on 25 November is booked by 10 December


def _kr_gid(api, org, title):
    node = api.gql("""{ objectives(period: "2026-Q4") { edges { node { keyResults { id title } } } } }""",
                   token=org.sales_leader)["objectives"]["edges"][0]["node"]
    return next(k["id"] for k in node["keyResults"] if k["title"] == title)


def test_without_history_every_chance_is_zero_and_the_basis_says_so(api, contribution_org):
    org = contribution_org
    open_deals(api)
    f = key_results(api, org.sales_leader)[1]["Bookings"]
    # the only closed deal (won 25 October) is a history of one: the whole history, and it was won at 18 days, so a
    # 5-day-old deal with 42 days left has a chance of 1 in that history
    assert (f["basis"], f["fallbackDeals"]) == ("WHOLE_HISTORY", 3)
    assert f["expected"] == "45000.00"


def test_a_closed_deal_has_no_win_probability_and_an_open_one_has_its_cells(api, contribution_org):
    org = contribution_org
    history(api)
    open_deals(api, n=1)
    rows = api.gql("""{ opportunities(first: 50, period: "2026-Q4") { edges { node { externalId status
      winProbability { probability basis sample period } } } } }""", token=org.sales_leader)
    by_id = {e["node"]["externalId"]: e["node"] for e in rows["opportunities"]["edges"]}
    assert by_id["N-0"]["winProbability"] == {"probability": 0.5, "basis": "CELLS", "sample": 40, "period": "2026-Q4"}
    assert by_id["O-1"]["winProbability"] is None     # won


def test_a_pipeline_key_result_is_projected_from_the_run_rate(api, contribution_org):
    org = contribution_org
    add_kr(api, org, "Pipeline", "100000", metric="PIPELINE_CREATED")
    f = key_results(api, org.sales_leader)[1]["Pipeline"]
    # created so far (1 Oct to 20 Nov, 50 days): the 30,000 deal of 7 October; 42 days left at 600 a day
    assert (f["basis"], f["booked"], f["expected"]) == ("RUN_RATE", "30000.00", "55200.00")
    assert f["p10"] == "30000.00"           # most resampled 42 days miss the one day a deal was created
    assert f["status"] == "UNLIKELY"


def test_a_manual_key_result_and_a_closed_period_have_no_forecast(api, contribution_org):
    org = contribution_org
    assert key_results(api, org.sales_leader)[1]["Bookings"] is not None
    closed = api.gql("""mutation { periodClose(input: {period: "2026-Q4", reason: "test close", force: true}) {
      userErrors { code } } }""", token=org.admin)["periodClose"]
    assert closed["userErrors"] == []
    status, krs = key_results(api, org.sales_leader)
    assert krs["Bookings"] is None and status is None


def test_the_common_view_forecasts_each_teams_attributed_bookings(api, contribution_org):
    org = contribution_org
    history(api)
    lead = org.lead("L-2", email="bo@beta.example", company="Beta")
    org.touch(lead, datetime(2026, 11, 10, tzinfo=UTC), kind="MARKETING", team="Demand Generation",
              person="dana@example.com", channel="webinar", external_id="t-beta")
    # a 10,000 deal (the 10k-50k band, which has no closed deal: the whole history), its one touch marketing's
    open_deals(api, n=1, amount=1_000_000, lead=lead, prefix="B")
    rows = api.gql("""{ teamContribution(period: "2026-Q4") { team { name } attributedBookings
      attributedBookingsForecast { booked expected basis openDeals fallbackDeals status } } }""",
                   token=org.sales_leader)["teamContribution"]
    by_team = {r["team"]["name"]: r for r in rows}
    marketing = by_team["Demand Generation"]
    f = marketing["attributedBookingsForecast"]
    assert f["booked"] == marketing["attributedBookings"]
    # the whole history is the 40 deals and the won 30,000 (won at 18 days): 21 of the 41 still open at 5 days were
    # won within the 42 days left
    assert float(f["expected"]) == pytest.approx(float(marketing["attributedBookings"]) + 10_000 * 21 / 41, abs=0.01)
    assert (f["basis"], f["openDeals"], f["fallbackDeals"], f["status"]) == ("WHOLE_HISTORY", 1, 1, None)
    sales = by_team["Field Sales"]["attributedBookingsForecast"]
    assert sales["openDeals"] == 0 and sales["expected"] == by_team["Field Sales"]["attributedBookings"]
