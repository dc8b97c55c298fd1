"""History as of any day (issue 18, point 1): KeyResult.series, Objective.series and
TeamContribution.goalProgressSeries against an evaluation with the clock set to that day, on data that has later
facts; the limits of a series; a closed period's last point; the cohort funnel and the SLA's weeks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.fixtures import agree, write_deal
from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org
from tests.harness import snapshot

UTC = timezone.utc
at = lambda m, d, h=12: datetime(2026, m, d, h, tzinfo=UTC)  # noqa: E731
END_OF = lambda m, d: datetime(2026, m, d, tzinfo=UTC) + timedelta(days=1, microseconds=-1)  # noqa: E731
NOW = at(11, 20)

METRICS = [  # (metric, teams: "sales"/"marketing", kind, unit, start, target)
    ("BOOKINGS", "sales", "INCREASE_TO", "CURRENCY", "0", "60000"),
    ("PIPELINE_CREATED", "sales", "INCREASE_TO", "CURRENCY", "0", "100000"),
    ("ATTRIBUTED_BOOKINGS", "marketing", "INCREASE_TO", "CURRENCY", "0", "60000"),
    ("SOURCED_PIPELINE", "marketing", "INCREASE_TO", "CURRENCY", "0", "100000"),
    ("MQL_COUNT", "marketing", "INCREASE_TO", "COUNT", "0", "4"),
    ("MQL_TO_SQL_RATE", "marketing", "INCREASE_TO", "PERCENT", "0", "1"),
    ("ACCEPTANCE_RATE", "marketing", "INCREASE_TO", "PERCENT", "0", "1"),
    ("SLA_FOLLOW_UP_RATE", "marketing", "INCREASE_TO", "PERCENT", "0", "1"),
    ("MEDIAN_RESPONSE_HOURS", "marketing", "DECREASE_TO", "HOURS", "48", "4"),
]

KR_FIGURES = "id title current progress status"
OBJECTIVES = """query($p: String!) { objectives(period: $p) { edges { node { id title progress expectedProgress status
  keyResults { %s } } } } }""" % KR_FIGURES
SERIES = """query($p: String!, $every: SeriesStep!, $from: Date, $to: Date) { objectives(period: $p) { edges { node {
  id title series(every: $every, from: $from, to: $to) { on value progress expectedProgress status score }
  keyResults { id title series(every: $every, from: $from, to: $to) { on value progress expectedProgress status } }
} } } }"""


def _kr(api, org, objective_id, title, kind, unit, start, target, **extra):
    result = api.gql(KR_CREATE, {"input": {"objectiveId": objective_id, "title": title, "kind": kind, "unit": unit,
                                           "start": start, "target": target, **extra}},
                     org.sales_leader)["keyResultCreate"]
    assert result["userErrors"] == [], result
    return result["keyResult"]["id"]


@snapshot
def history_org(api, admin):
    """2026-Q4 with facts before and after 18 October: three MQLs first touched by marketing (5 and 12 October,
    3 November), one accepted on 10 October and SQL on 20 October, one recycled on 14 October; deals won on
    15 October (10,000) and 10 November (20,000) and one open, created 20 October (5,000); an SLA; an objective
    with a key result on every metric and a MANUAL one checked in on 8 October (3) and 5 November (7)."""
    api.set_now(at(10, 1))
    org = Org(api, admin)
    agree(org, api)
    leads = {}
    for name, mql_day in (("L-1", at(10, 5)), ("L-2", at(10, 12)), ("L-3", at(11, 3))):
        lead = leads[name] = org.lead(name, company=f"{name} Inc", email=f"{name.lower()}@example.com")
        org.touch(lead, mql_day - timedelta(days=1), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="webinar", external_id=f"m-{name}")
        org.events(lead, (mql_day, "STAGE", "MQL"), (mql_day + timedelta(hours=2), "ASSIGNED", None,
                                                     "seller@example.com"))
        org.touch(lead, mql_day + timedelta(hours=5), channel="call", minutes=30, external_id=f"s-{name}")
    org.events(leads["L-1"], (at(10, 10), "STAGE", "SAL"), (at(10, 20), "STAGE", "SQL"))
    org.events(leads["L-2"], (at(10, 14), "STAGE", "RECYCLED", None, "BAD_TIMING"))
    write_deal(api, leads["L-1"], 1_000_000, at(10, 8), closed=at(10, 15), external_id="O-1",
               owner="seller@example.com")
    write_deal(api, leads["L-3"], 2_000_000, at(11, 4), closed=at(11, 10), external_id="O-2",
               owner="seller@example.com")
    write_deal(api, leads["L-2"], 500_000, at(10, 20), status="OPEN", external_id="O-3", owner="seller@example.com")
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Shared pipeline", "period": "2026-Q4", "owners": [
        {"teamId": org.sales, "share": "0.6"}, {"teamId": org.marketing, "share": "0.4"}]}},
                        org.sales_leader)["objectiveCreate"]["objective"]
    org.objective_id = objective["id"]
    teams = {"sales": org.sales, "marketing": org.marketing}
    for name, team, kind, unit, start, target in METRICS:
        _kr(api, org, objective["id"], name, kind, unit, start, target, source="METRIC",
            metric={"name": name, "teamIds": [teams[team]]})
    org.manual = _kr(api, org, objective["id"], "MANUAL", "INCREASE_TO", "COUNT", "0", "10")
    check_in = """mutation($input: KeyResultCheckInInput!) { keyResultCheckIn(input: $input) { userErrors { code } } }"""
    for day, value in ((at(10, 8), "3"), (at(11, 5), "7")):
        api.set_now(day)
        assert api.gql(check_in, {"input": {"keyResultId": org.manual, "value": value}},
                       org.seller_token)["keyResultCheckIn"]["userErrors"] == []
    api.set_now(NOW)
    return org


def _series(api, token, period="2026-Q4", every="DAY", start=None, end=None):
    return api.post(SERIES, {"p": period, "every": every, "from": start, "to": end}, token)


def _by_title(nodes):
    return {n["title"]: n for n in nodes}


def test_a_series_point_is_the_evaluation_with_the_clock_set_to_that_day(api, admin, history_org):
    """Every metric kind and a MANUAL key result: the point of a day equals the live figures with the clock at the
    end of that day, and differs from today's (later facts exist, so counting them would show)."""
    org = history_org
    today = _by_title(api.gql(OBJECTIVES, {"p": "2026-Q4"}, admin)["objectives"]["edges"][0]["node"]["keyResults"])
    differs = set()
    for month, d in ((10, 4), (10, 13), (10, 18), (11, 12)):
        api.set_now(END_OF(month, d))
        live = api.gql(OBJECTIVES, {"p": "2026-Q4"}, admin)["objectives"]["edges"][0]["node"]
        api.set_now(NOW)
        day = f"2026-{month:02d}-{d:02d}"
        body = _series(api, admin, start=day, end=day)
        assert "errors" not in body, body
        node = body["data"]["objectives"]["edges"][0]["node"]
        (objective_point,) = node["series"]
        assert objective_point["on"] == day
        assert (objective_point["progress"], objective_point["status"]) == (live["progress"], live["status"])
        assert objective_point["expectedProgress"] == pytest.approx(live["expectedProgress"], abs=1e-6)
        live_krs = _by_title(live["keyResults"])
        for kr in node["keyResults"]:
            (point,) = kr["series"]
            expected = live_krs[kr["title"]]
            assert (point["value"], point["progress"], point["status"]) == (
                expected["current"], expected["progress"], expected["status"]), (day, kr["title"])
            if point["value"] != today[kr["title"]]["current"]:
                differs.add(kr["title"])
    # each metric kind (and the check-ins) had a later fact that a wrong as-of rule would have counted
    assert differs == {name for name, *_ in METRICS} | {"MANUAL"}


def test_hand_worked_points_of_a_weekly_series(api, admin, history_org):
    """Weeks of 2026-Q4 up to 20 November end on Sundays (4, 11, 18, 25 October, 1, 8, 15 November) and today."""
    body = _series(api, admin, every="WEEK")
    assert "errors" not in body, body
    krs = _by_title(body["data"]["objectives"]["edges"][0]["node"]["keyResults"])
    on = [p["on"] for p in krs["BOOKINGS"]["series"]]
    assert on == ["2026-10-04", "2026-10-11", "2026-10-18", "2026-10-25", "2026-11-01", "2026-11-08",
                  "2026-11-15", "2026-11-20"]
    values = lambda title: [p["value"] for p in krs[title]["series"]]  # noqa: E731
    assert values("BOOKINGS") == ["0.00", "0.00", "10000.00", "10000.00", "10000.00", "10000.00", "30000.00",
                                  "30000.00"]
    assert values("PIPELINE_CREATED") == ["0.00", "10000.00", "10000.00", "15000.00", "15000.00", "35000.00",
                                          "35000.00", "35000.00"]
    assert values("MQL_COUNT") == ["0", "1", "2", "2", "2", "3", "3", "3"]
    assert values("MQL_TO_SQL_RATE") == ["0.000000", "0.000000", "0.000000", "0.500000", "0.500000", "0.333333",
                                         "0.333333", "0.333333"]
    assert values("ACCEPTANCE_RATE") == ["0.000000", "1.000000", "0.500000", "0.500000", "0.500000", "0.500000",
                                         "0.500000", "0.500000"]
    assert values("MANUAL") == ["0", "3", "3", "3", "3", "7", "7", "7"]
    manual = krs["MANUAL"]["series"]
    assert [p["progress"] for p in manual] == [0.0, 0.3, 0.3, 0.3, 0.3, 0.7, 0.7, 0.7]
    # 4 October ends 4 days into a 92-day quarter
    assert manual[0]["expectedProgress"] == pytest.approx(4 / 92, abs=1e-6)


def test_series_limits_and_ranges(api, admin, history_org):
    krs = api.gql(OBJECTIVES, {"p": "2026-Q4"}, admin)["objectives"]["edges"][0]["node"]["keyResults"]
    one = """query($id: ID!, $from: Date, $to: Date) { node(id: $id) { ... on KeyResult {
      series(every: DAY, from: $from, to: $to) { on } } } }"""
    over = api.post(one, {"id": krs[0]["id"], "from": "2026-01-01", "to": "2027-02-05"}, admin)  # 401 days
    assert over["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED", over
    assert "400" in over["errors"][0]["message"]
    ask = lambda start, end: api.post(one, {"id": krs[0]["id"], "from": start, "to": end}, admin)  # noqa: E731
    backwards = ask("2026-11-10", "2026-11-01")
    assert backwards["errors"][0]["extensions"]["code"] == "INVALID"
    outside = ask("2026-09-30", "2026-10-05")
    assert outside["errors"][0]["extensions"]["code"] == "INVALID"
    assert "from" in outside["errors"][0]["message"]
    after = ask("2026-12-01", "2027-01-01")
    assert after["errors"][0]["extensions"]["code"] == "INVALID"
    assert "to" in after["errors"][0]["message"]
    # a whole quarter of days is within the limit
    whole = ask("2026-10-01", "2026-12-31")
    assert "errors" not in whole, whole
    assert len(whole["data"]["node"]["series"]) == 92


def test_the_team_series_is_goal_progress_by_day(api, admin, history_org):
    query = """query($p: String!) { teamContribution(period: $p) { team { name } goalProgress
      goalProgressSeries(every: DAY, from: "2026-11-20") { on progress expectedProgress status } } }"""
    rows = {r["team"]["name"]: r for r in api.gql(query, {"p": "2026-Q4"}, admin)["teamContribution"]}
    for name in ("Field Sales", "Demand Generation"):
        (point,) = rows[name]["goalProgressSeries"]
        assert point["on"] == "2026-11-20"
        assert point["progress"] == pytest.approx(rows[name]["goalProgress"], abs=1e-6)


def test_a_closed_period_ends_at_its_frozen_score(api, admin):
    """A quarter closed with a manual key result at 6 of 10 and its score overridden to 0.8: the last point is
    the frozen figure and score, earlier points replay the check-ins."""
    api.set_now(at(7, 1))
    org = Org(api, admin)
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Q3 goal", "period": "2026-Q3", "owners": [
        {"teamId": org.sales, "share": "1"}]}}, org.sales_leader)["objectiveCreate"]["objective"]
    kr = _kr(api, org, objective["id"], "Manual", "INCREASE_TO", "COUNT", "0", "10")
    check_in = """mutation($input: KeyResultCheckInInput!) { keyResultCheckIn(input: $input) { userErrors { code } } }"""
    for day, value in ((at(7, 10), "2"), (at(9, 1), "6")):
        api.set_now(day)
        assert api.gql(check_in, {"input": {"keyResultId": kr, "value": value}},
                       org.seller_token)["keyResultCheckIn"]["userErrors"] == []
    api.set_now(at(10, 2))
    finance = api.token("FINANCE")
    closed = api.gql("""mutation { periodClose(input: {period: "2026-Q3"}) { userErrors { code message } } }""",
                     None, finance)
    assert closed["periodClose"]["userErrors"] == []
    override = api.gql("""mutation($input: ObjectiveScoreOverrideInput!) { objectiveScoreOverride(input: $input) {
      userErrors { code message } } }""", {"input": {"objectiveId": objective["id"], "score": "0.8",
                                                     "reason": "the pilot counted"}}, org.sales_leader)
    assert override["objectiveScoreOverride"]["userErrors"] == []
    body = _series(api, admin, period="2026-Q3", every="WEEK")
    assert "errors" not in body, body
    node = body["data"]["objectives"]["edges"][0]["node"]
    last = node["series"][-1]
    assert last["on"] == "2026-09-30"  # the default end of a closed period is its last day
    frozen = api.gql("""query($id: ID!) { node(id: $id) { ... on Objective { progress status score } } }""",
                     {"id": objective["id"]}, admin)["node"]
    assert (last["progress"], last["expectedProgress"], last["status"], last["score"]) == (
        frozen["progress"], 1.0, frozen["status"], 0.8)
    assert (frozen["progress"], frozen["status"]) == (0.6, "OFF_TRACK")
    kr_points = node["keyResults"][0]["series"]
    assert kr_points[-1]["value"] == "6" and kr_points[-1]["expectedProgress"] == 1.0
    assert kr_points[0]["on"] == "2026-07-05" and kr_points[0]["value"] == "0"
    assert [p["value"] for p in kr_points if p["on"] == "2026-07-12"] == ["2"]
    assert all(p["score"] is None for p in node["series"][:-1])


def test_the_funnel_as_a_cohort(api, admin, history_org):
    """Q4's three MQLs were first touched by marketing: one reached SAL and SQL and was won (10,000), one was won
    without an SAL (20,000), one was recycled. The common view credits the SAL and SQL to sales, the cohort to
    marketing."""
    query = """query($p: String!) { funnelCohort(period: $p) { team { name } mqls sals sqls won wonAmount } }"""
    lines = api.gql(query, {"p": "2026-Q4"}, admin)["funnelCohort"]
    assert lines == [{"team": {"name": "Demand Generation"}, "mqls": 3, "sals": 1, "sqls": 1, "won": 2,
                      "wonAmount": "30000.00"}]
    # as of 1 November the deal won on 10 November has not happened
    api.set_now(END_OF(11, 1))
    (line,) = api.gql(query, {"p": "2026-Q4"}, admin)["funnelCohort"]
    assert (line["mqls"], line["won"], line["wonAmount"]) == (2, 1, "10000.00")
    assert api.gql(query, {"p": "2027-Q1"}, admin)["funnelCohort"] == []
    bad = api.post(query, {"p": "2026-Q9"}, admin)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"


def test_sla_weeks_add_up_to_the_sides(api, admin, history_org):
    query = """query($p: String!) { slaReport(period: $p) { marketing { met counted } sales { met counted }
      weeks { start end marketing { met counted } sales { met counted } } } }"""
    report = api.gql(query, {"p": "2026-Q4"}, admin)["slaReport"]
    weeks = report["weeks"]
    assert (weeks[0]["start"], weeks[0]["end"]) == ("2026-10-01", "2026-10-04")   # Thursday to Sunday
    assert (weeks[1]["start"], weeks[1]["end"]) == ("2026-10-05", "2026-10-11")
    assert (weeks[-1]["start"], weeks[-1]["end"]) == ("2026-12-28", "2026-12-31")
    assert len(weeks) == 14
    for side in ("marketing", "sales"):
        assert sum(w[side]["met"] for w in weeks) == report[side]["met"]
        assert sum(w[side]["counted"] for w in weeks) == report[side]["counted"]
    # each MQL was handed over two hours after qualifying (within 4 hours) and followed up three hours later
    # (within 24): the weeks of 5, 12 October and 2 November hold one lead each
    by_start = {w["start"]: w for w in weeks}
    assert by_start["2026-10-05"]["marketing"] == {"met": 1, "counted": 1}
    assert by_start["2026-10-12"]["marketing"] == {"met": 1, "counted": 1}
    assert by_start["2026-11-02"]["marketing"] == {"met": 1, "counted": 1}
    assert by_start["2026-10-19"]["marketing"] == {"met": 0, "counted": 0}
    assert by_start["2026-10-05"]["sales"]["met"] >= 1


def test_series_for_many_key_results_costs_the_statements_of_a_few(api, admin, history_org):
    """Objectives with a MANUAL key result (checked in) and METRIC ones of the same figures and teams: the series
    of every key result of the period take a fixed number of statements, whatever their number."""
    org = history_org
    query = """query($p: String!) { objectives(period: $p, first: 50) { edges { node { title
      series(every: WEEK) { on progress status } keyResults { title series(every: WEEK) { on value status } } } } } }"""
    check_in = """mutation($input: KeyResultCheckInInput!) { keyResultCheckIn(input: $input) { userErrors { code } } }"""
    made = []

    def add(n):
        for _ in range(n):
            made.append(api.gql(OBJECTIVE_CREATE, {"input": {"title": f"More {len(made)}", "period": "2026-Q4",
                                                             "owners": [{"teamId": org.sales, "share": "1"}]}},
                                org.sales_leader)["objectiveCreate"]["objective"]["id"])
            manual = _kr(api, org, made[-1], "manual", "INCREASE_TO", "COUNT", "0", "10")
            api.gql(check_in, {"input": {"keyResultId": manual, "value": "4"}}, org.seller_token)
            for name in ("BOOKINGS", "MQL_COUNT", "ACCEPTANCE_RATE"):
                _kr(api, org, made[-1], name, "INCREASE_TO", "COUNT", "0", "10", source="METRIC",
                    metric={"name": name, "teamIds": [org.sales if name == "BOOKINGS" else org.marketing]})

    def statements():
        with api.count_queries() as counter:
            edges = api.gql(query, {"p": "2026-Q4"}, admin)["objectives"]["edges"]
        return sum(len(e["node"]["keyResults"]) for e in edges), counter.count

    add(2)
    statements()  # the first read of the period warms what a request reads once (the token's last use)
    few = statements()
    add(8)
    many = statements()
    assert many[0] == few[0] + 8 * 4
    assert many[1] == few[1], f"{few[1]} statements for {few[0]} key results but {many[1]} for {many[0]}"
