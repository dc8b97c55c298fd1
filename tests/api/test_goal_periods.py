"""Closing a quarter freezes scores; overrides carry a reason; reopening is for admins; roll-over copies goals."""
from datetime import datetime, timezone

from domain.goals.models import CheckIn, Objective
from tests.api.goals_support import OBJECTIVE_UPDATE, Goals
from tests.api.support import codes
from tests.harness import snapshot

# The clock is 20 December, before 2026-Q4 ends: only an ADMIN may close it then, with a reason (test_period_governance).
CLOSE = """mutation($p: String!) { periodClose(input: {period: $p, reason: "the year-end close is brought forward"}) {
  period { key status } userErrors { code field } } }"""
REOPEN = """mutation($p: String!, $r: String!) { periodReopen(input: {period: $p, reason: $r}) {
  period { key status } userErrors { code field } } }"""
OVERRIDE = """mutation($id: ID!, $s: Decimal!, $r: String!) {
  objectiveScoreOverride(input: {objectiveId: $id, score: $s, reason: $r}) {
    objective { score scoreOverrideReason } userErrors { code field } } }"""
ROLL = """mutation($input: ObjectiveRollOverInput!) { objectiveRollOver(input: $input) {
  objectives { id title period { key } owners { share team { name } } rolledOverFrom { title }
               keyResults { title start target current checkIns { value } } }
  userErrors { code field message } } }"""


@snapshot
def goals(api, admin):
    api.set_now(datetime(2026, 12, 20, tzinfo=timezone.utc))
    return Goals(api, admin)


def _quarter_with_progress(goals, value="45"):
    objective = goals.objective()
    kr = goals.key_result(objective["id"], target="100")
    goals.check_in(kr["id"], value)
    return objective, kr


def test_closing_freezes_the_score_rounded_to_one_decimal(goals, api):
    objective, kr = _quarter_with_progress(goals, "45")
    assert api.gql(CLOSE, {"p": "2026-Q4"}, goals.admin)["periodClose"] == {
        "period": {"key": "2026-Q4", "status": "CLOSED"}, "userErrors": []}
    read = goals.read(objective["id"])
    assert (read["score"], read["progress"], read["expectedProgress"]) == (0.5, 0.45, 1.0)
    assert read["period"]["status"] == "CLOSED"


def test_a_closed_period_refuses_changes(goals, api):
    objective, kr = _quarter_with_progress(goals)
    api.gql(CLOSE, {"p": "2026-Q4"}, goals.admin)
    assert [e["code"] for e in goals.check_in(kr["id"], "90")["userErrors"]] == ["PERIOD_CLOSED"]
    result = api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": 1, "title": "Later"}},
                     goals.leader)["objectiveUpdate"]
    assert [e["code"] for e in result["userErrors"]] == ["PERIOD_CLOSED"]
    assert api.gql(CLOSE, {"p": "2026-Q4"}, goals.admin)["periodClose"]["userErrors"][0]["code"] == "PERIOD_CLOSED"
    assert api.run(CheckIn.all().count()) == 1
    assert goals.read(objective["id"])["score"] == 0.5


def test_a_leader_overrides_a_score_with_a_reason(goals, api):
    objective, _ = _quarter_with_progress(goals)
    before_close = api.gql(OVERRIDE, {"id": objective["id"], "s": "0.7", "r": "x"}, goals.leader)
    assert before_close["objectiveScoreOverride"]["userErrors"] == [{"code": "INVALID", "field": ["input", "objectiveId"]}]
    api.gql(CLOSE, {"p": "2026-Q4"}, goals.admin)
    bad = api.gql(OVERRIDE, {"id": objective["id"], "s": "0.75", "r": " "}, goals.leader)["objectiveScoreOverride"]
    assert sorted(e["field"][-1] for e in bad["userErrors"]) == ["reason", "score"]
    done = api.gql(OVERRIDE, {"id": objective["id"], "s": "0.7", "r": "two deals slipped a week past close"},
                   goals.leader)["objectiveScoreOverride"]
    assert done == {"objective": {"score": 0.7, "scoreOverrideReason": "two deals slipped a week past close"},
                    "userErrors": []}
    body = api.post(OVERRIDE, {"id": objective["id"], "s": "1.0", "r": "mine"}, goals.seller)
    assert codes(body["errors"]) == ["FORBIDDEN"]


def test_only_an_admin_reopens_with_a_reason_and_live_figures_return(goals, api):
    objective, kr = _quarter_with_progress(goals)
    api.gql(CLOSE, {"p": "2026-Q4"}, goals.admin)
    assert codes(api.post(REOPEN, {"p": "2026-Q4", "r": "late deal"}, goals.leader)["errors"]) == ["FORBIDDEN"]
    no_reason = api.gql(REOPEN, {"p": "2026-Q4", "r": ""}, goals.admin)["periodReopen"]
    assert no_reason["userErrors"] == [{"code": "INVALID", "field": ["input", "reason"]}]
    reopened = api.gql(REOPEN, {"p": "2026-Q4", "r": "a deal was booked late"}, goals.admin)["periodReopen"]
    assert reopened["period"]["status"] == "OPEN"
    assert goals.check_in(kr["id"], "80")["userErrors"] == []
    read = goals.read(objective["id"])
    assert (read["score"], read["progress"]) == (None, 0.8)


def test_members_cannot_close_a_period(goals, api):
    assert codes(api.post(CLOSE, {"p": "2026-Q4"}, goals.seller)["errors"]) == ["FORBIDDEN"]


def test_roll_over_copies_objectives_and_key_results_with_edited_targets_but_no_history(goals, api):
    parent = goals.objective("Company goal")
    objective = goals.objective("Grow bookings", parents=[{"objectiveId": parent["id"], "link": "CONTRIBUTES"}])
    kr = goals.key_result(objective["id"], title="New-logo bookings", start="0", target="100")
    goals.check_in(kr["id"], "60")
    result = api.gql(ROLL, {"input": {"fromPeriod": "2026-Q4", "objectiveIds": [objective["id"], parent["id"]],
                                      "targets": [{"keyResultId": kr["id"], "target": "130"}]}},
                     goals.leader)["objectiveRollOver"]
    assert result["userErrors"] == []
    copies = {o["title"]: o for o in result["objectives"]}
    copy = copies["Grow bookings"]
    assert copy["period"]["key"] == "2027-Q1" and copy["rolledOverFrom"]["title"] == "Grow bookings"
    assert [(o["team"]["name"], o["share"]) for o in copy["owners"]] == [("Field Sales", 0.6),
                                                                         ("Demand Generation", 0.4)]
    assert copy["keyResults"] == [{"title": "New-logo bookings", "start": "0", "target": "130", "current": "0",
                                   "checkIns": []}]
    parents = api.gql("query($id: ID!) { node(id: $id) { ... on Objective { parents { objective { id } } } } }",
                      {"id": copy["id"]}, goals.seller)["node"]["parents"]
    assert parents == [{"objective": {"id": copies["Company goal"]["id"]}}]  # aligned to the copied parent
    again = api.gql(ROLL, {"input": {"fromPeriod": "2026-Q4"}}, goals.leader)["objectiveRollOver"]
    assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE"]
    assert api.run(Objective.all().count()) == 4


def test_roll_over_refuses_a_wrong_side_target_and_writes_nothing(goals, api):
    objective = goals.objective()
    kr = goals.key_result(objective["id"], start="10", target="100")
    result = api.gql(ROLL, {"input": {"fromPeriod": "2026-Q4", "targets": [{"keyResultId": kr["id"], "target": "5"}]}},
                     goals.leader)["objectiveRollOver"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", ["input", "targets"])]
    assert api.run(Objective.all().count()) == 1
