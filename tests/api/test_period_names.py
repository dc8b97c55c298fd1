"""Periods by name: "current", "previous" and "next" wherever a period is asked for (GraphQL arguments, mutation
inputs, `?period=` of every CSV), read against the service clock, with the quarter's own key in what comes back.

The clock is pinned: a spreadsheet's `?period=current` link gives this quarter's figures today and the next
quarter's once it has begun.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from api.exports import REPORTS
from domain.goals.models import Objective
from domain.org.models import Period
from tests.api.goals_support import OBJECTIVE_CREATE, Goals
from tests.api.support import codes

NOV_15 = datetime(2026, 11, 15, 12, tzinfo=timezone.utc)  # in 2026-Q4
NEW_YEAR = datetime(2027, 1, 1, 0, 0, tzinfo=timezone.utc)  # the first instant of 2027-Q1

PERIOD = "query($k: String!) { period(key: $k) { key start end status isCurrent } }"
AUDIT = """query($entity: String) { auditLog(first: 50, entity: $entity) {
  edges { node { action entityId after } } } }"""
ROLL_OVER = """mutation($input: ObjectiveRollOverInput!) { objectiveRollOver(input: $input) {
  objectives { title period { key } } userErrors { field code message } } }"""
PERIOD_CLOSE = """mutation($input: PeriodCloseInput!) { periodClose(input: $input) {
  period { key status isCurrent } userErrors { field code message } } }"""
SLA_CREATE = """mutation($input: SlaAgreementCreateInput!) { slaAgreementCreate(input: $input) {
  slaAgreement { id period { key } } userErrors { field code message } } }"""


@pytest.fixture
def goals(api, admin):
    api.set_now(NOV_15)
    return Goals(api, admin)


def _audit(api, admin, entity: str) -> list[dict]:
    return [e["node"] for e in api.gql(AUDIT, {"entity": entity}, admin)["auditLog"]["edges"]]


def _csv(api, token: str, report: str, period: str):
    return api.http.get(f"/export/{report}.csv", params={"period": period},
                        headers={"Authorization": f"Bearer {token}"})


# --- reading -------------------------------------------------------------------------------------------
def test_current_period_and_the_names_give_this_quarter_and_its_neighbours(api, admin):
    api.set_now(NOV_15)
    current = api.gql("{ currentPeriod { key start end status isCurrent } }", token=admin)["currentPeriod"]
    assert current == {"key": "2026-Q4", "start": "2026-10-01T00:00:00+00:00", "end": "2027-01-01T00:00:00+00:00",
                       "status": "OPEN", "isCurrent": True}
    assert api.gql(PERIOD, {"k": "current"}, admin)["period"] == current
    assert api.gql(PERIOD, {"k": "2026-Q4"}, admin)["period"] == current
    previous = api.gql(PERIOD, {"k": "previous"}, admin)["period"]
    assert (previous["key"], previous["isCurrent"], previous["end"]) == ("2026-Q3", False, current["start"])
    following = api.gql(PERIOD, {"k": "next"}, admin)["period"]
    assert (following["key"], following["isCurrent"], following["start"]) == ("2027-Q1", False, current["end"])

    api.set_now(NEW_YEAR)  # the quarter turned: the same names now mean the next quarters
    assert api.gql("{ currentPeriod { key isCurrent } }", token=admin)["currentPeriod"] == {
        "key": "2027-Q1", "isCurrent": True}
    assert api.gql(PERIOD, {"k": "previous"}, admin)["period"]["key"] == "2026-Q4"


def test_one_request_reads_every_name_against_one_instant(api, admin):
    api.set_now(NOV_15)
    data = api.gql("""{ a: period(key: "current") { key } b: currentPeriod { key } c: period(key: "NEXT") { key }
      d: objectives(period: "current") { edges { node { id } } } e: periods { key isCurrent } }""", token=admin)
    assert (data["a"]["key"], data["b"]["key"], data["c"]["key"]) == ("2026-Q4", "2026-Q4", "2027-Q1")
    assert [p["key"] for p in data["e"] if p["isCurrent"]] == ["2026-Q4"]


def test_periods_are_newest_first_by_start_with_the_current_one_marked(api, admin, goals):
    goals.objective(title="Next quarter's pipeline", period="next")
    goals.objective(title="Last quarter's pipeline", period="2026-Q2")
    periods = api.gql("{ periods { key start isCurrent } }", token=admin)["periods"]
    assert [(p["key"], p["isCurrent"]) for p in periods] == [("2027-Q1", False), ("2026-Q4", True),
                                                             ("2026-Q2", False)]
    assert [p["start"] for p in periods] == sorted((p["start"] for p in periods), reverse=True)
    api.set_now(NEW_YEAR)
    periods = api.gql("{ periods { key isCurrent } }", token=admin)["periods"]
    assert [p["key"] for p in periods if p["isCurrent"]] == ["2027-Q1"]


def test_a_name_that_is_not_a_period_is_invalid(api, admin):
    for written in ("last", "this quarter", "currnt", "Q4"):
        body = api.post(PERIOD, {"k": written}, admin)
        assert body["data"] is None and codes(body["errors"]) == ["INVALID"], body
        assert "current, previous or next" in body["errors"][0]["message"]
    body = api.post('{ teamContribution(period: "last") { team { name } } }', token=admin)
    assert codes(body["errors"]) == ["INVALID"]


# --- CSV -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_csv_takes_current_as_this_quarters_key(api, admin, goals, report):
    goals.objective(title="This quarter's pipeline")
    by_name, by_key = _csv(api, admin, report, "current"), _csv(api, admin, report, "2026-Q4")
    assert by_name.status_code == by_key.status_code == 200, by_name.text
    assert by_name.text == by_key.text
    assert by_name.headers["content-disposition"] == f'attachment; filename="{report}-2026-Q4.csv"'


def test_a_spreadsheet_link_to_current_follows_the_quarter(api, admin, goals):
    goals.objective(title="Win the mid-market this quarter")
    goals.objective(title="Open the new year strong", period="next")

    def objectives_of_current() -> set[tuple[str, str]]:
        response = _csv(api, admin, "objectives", "current")
        assert response.status_code == 200, response.text
        return {(row["period"], row["objective"]) for row in csv.DictReader(io.StringIO(response.text))}

    assert objectives_of_current() == {("2026-Q4", "Win the mid-market this quarter")}
    api.set_now(datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc))
    assert objectives_of_current() == {("2026-Q4", "Win the mid-market this quarter")}
    api.set_now(NEW_YEAR)
    assert objectives_of_current() == {("2027-Q1", "Open the new year strong")}
    previous = _csv(api, admin, "objectives", "previous")
    assert {row["objective"] for row in csv.DictReader(io.StringIO(previous.text))} == {
        "Win the mid-market this quarter"}
    contribution = _csv(api, admin, "team-contribution", "current")
    assert {row["period"] for row in csv.DictReader(io.StringIO(contribution.text))} == {"2027-Q1"}


def test_a_csv_with_a_bad_period_name_is_refused_with_the_reason(api, admin):
    for written in ("last", "this"):
        response = _csv(api, admin, "team-contribution", written)
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "INVALID" and "current, previous or next" in error["message"]
    missing = api.http.get("/export/objectives.csv", headers={"Authorization": f"Bearer {admin}"})
    assert missing.status_code == 400 and "current" in missing.json()["errors"][0]["message"]


# --- mutations -----------------------------------------------------------------------------------------
def test_an_objective_created_for_next_is_stored_and_audited_under_its_key(api, admin, goals):
    objective = goals.objective(title="Open the new year strong", period="next")
    assert objective["period"] == {"key": "2027-Q1", "status": "OPEN"}
    assert api.run(Period.filter(key="2027-Q1").count()) == 1
    assert api.run(Period.filter(key="next").count()) == 0
    [created] = [e for e in _audit(api, admin, "Objective") if e["action"] == "objectiveCreate"]
    assert created["after"]["period"] == "2027-Q1"


def test_a_misspelt_name_in_a_mutation_changes_nothing(api, admin, goals):
    data = {"title": "Typo", "period": "nxt", "owners": [{"teamId": goals.sales, "share": "1"}]}
    result = api.gql(OBJECTIVE_CREATE, {"input": data}, goals.leader)["objectiveCreate"]
    assert result["objective"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", ["input", "period"])]
    assert "current, previous or next" in result["userErrors"][0]["message"]
    assert api.run(Objective.all().count()) == 0 and api.run(Period.all().count()) == 0


def test_roll_over_from_current_lands_in_next_and_close_previous_closes_the_last_quarter(api, admin, goals):
    goals.objective(title="Grow bookings")
    rolled = api.gql(ROLL_OVER, {"input": {"fromPeriod": "current", "toPeriod": "next"}},
                     goals.leader)["objectiveRollOver"]
    assert rolled["userErrors"] == [] and rolled["objectives"] == [{"title": "Grow bookings",
                                                                   "period": {"key": "2027-Q1"}}]
    api.set_now(NEW_YEAR)
    closed = api.gql(PERIOD_CLOSE, {"input": {"period": "previous"}}, admin)["periodClose"]
    assert closed == {"period": {"key": "2026-Q4", "status": "CLOSED", "isCurrent": False}, "userErrors": []}
    assert [e["entityId"] for e in _audit(api, admin, "Period") if e["action"] == "periodClose"] == ["2026-Q4"]
    again = api.gql(PERIOD_CLOSE, {"input": {"period": "previous"}}, admin)["periodClose"]
    assert [e["code"] for e in again["userErrors"]] == ["PERIOD_CLOSED"]


def test_an_sla_agreed_for_next_names_its_quarter_in_the_payload_and_the_audit(api, admin, goals):
    terms = {"period": "next", "marketingTeamId": goals.marketing, "salesTeamId": goals.sales, "mqlVolume": 10,
             "acceptanceRateTarget": 0.6, "handoverHours": "4", "followUpHours": "24", "followUpRateTarget": 0.8,
             "decisionDays": "5"}
    result = api.gql(SLA_CREATE, {"input": terms}, goals.leader)["slaAgreementCreate"]
    assert result["userErrors"] == [] and result["slaAgreement"]["period"] == {"key": "2027-Q1"}
    [audited] = _audit(api, admin, "SlaAgreement")
    assert audited["after"]["period"] == "2027-Q1"
    report = api.post('{ slaReport(period: "next") { period { key } } }', token=admin)  # found by the name too
    assert report["data"]["slaReport"] == {"period": {"key": "2027-Q1"}}, report
