"""The attacks the trust issue found, refused; `viewerCan` says what the API would do; imports check each row's
owner over HTTP and at the command line (`--as`). The full caller × write grid is test_authorization_matrix."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from domain.audit.models import AuditEntry
from domain.goals.models import KeyResult, Objective
from domain.leads.models import LeadEvent, LeadFact
from tests.api.goals_support import ERRORS, KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import Org as LeadsOrg
from tests.api.support import create_person, create_team
from tests.api.fixtures import post_import as post

UTC = timezone.utc
NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)
TRANSITION = """mutation($input: LeadTransitionInput!) { leadTransition(input: $input) { lead { stage } %s } }""" % ERRORS
ASSIGN = """mutation($input: LeadAssignInput!) { leadAssign(input: $input) { lead { owner { name } } %s } }""" % ERRORS
OBJECTIVE_UPDATE = """mutation($input: ObjectiveUpdateInput!) {
  objectiveUpdate(input: $input) { objective { title } %s } }""" % ERRORS
OBJECTIVE_ARCHIVE = """mutation($input: ObjectiveArchiveInput!) {
  objectiveArchive(input: $input) { objective { archived } %s } }""" % ERRORS
KR_UPDATE = """mutation($input: KeyResultUpdateInput!) { keyResultUpdate(input: $input) { keyResult { target } %s } }
""" % ERRORS
OBJECTIVE_CAN = """query($id: ID!) { node(id: $id) { ... on Objective { version viewerCan {
  update archive overrideScore addKeyResult checkIn } keyResults { id version viewerCan { update archive checkIn } } } } }"""
LEAD_CAN = "query($id: ID!) { node(id: $id) { ... on Lead { viewerCan { assign recycle transitionTo } } } }"


def codes_of(payload: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


class Company:
    """Field Sales, an SDR team, Demand Generation and Customer Success, each with a leader and a member."""

    def __init__(self, api, admin):
        self.api, self.admin = api, admin
        api.set_now(NOW)
        self.teams = {key: create_team(api, admin, name, function) for key, name, function in (
            ("sales", "Field Sales", "SALES"), ("sdr", "Sales Development", "SDR"),
            ("marketing", "Demand Generation", "MARKETING"), ("cs", "Customer Success", "CUSTOMER_SUCCESS"))}
        self.people, self.tokens = {}, {}
        for team in self.teams:
            for role in ("LEADER", "MEMBER"):
                key = f"{team}{role.title()}"
                email = f"{key.lower()}@example.com"
                self.people[key] = create_person(api, admin, self.teams[team], email=email, name=key, role=role)
                self.tokens[key] = api.token(person=email)

    def objective(self, owners: dict[str, str]) -> dict:
        data = {"title": "Grow new-logo bookings", "period": "2026-Q4",
                "owners": [{"teamId": self.teams[t], "share": s} for t, s in owners.items()]}
        result = self.api.gql(OBJECTIVE_CREATE, {"input": data}, self.admin)["objectiveCreate"]
        assert result["userErrors"] == [], result
        kr = self.api.gql(KR_CREATE, {"input": {"objectiveId": result["objective"]["id"], "title": "Deals",
                                                "kind": "INCREASE_TO", "unit": "COUNT", "start": "0",
                                                "target": "40"}}, self.admin)["keyResultCreate"]
        assert kr["userErrors"] == [], kr
        return {**result["objective"], "kr": kr["keyResult"]["id"]}


@pytest.fixture
def company(api, admin):
    return Company(api, admin)


def lead_writer(api) -> LeadsOrg:
    """The leads tests' helpers that write leads and events as an import would (no organisation of their own)."""
    writer = LeadsOrg.__new__(LeadsOrg)
    writer.api = api
    return writer


# --- the attacks --------------------------------------------------------------------------------------------------

def test_a_leader_of_an_unrelated_team_cannot_change_other_teams_goals(api, company):
    objective = company.objective({"sales": "0.6", "marketing": "0.4"})
    cs_leader = company.tokens["csLeader"]
    audit = api.run(AuditEntry.all().count())
    update = api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": objective["version"],
                                                  "title": "Renewals only"}}, cs_leader)["objectiveUpdate"]
    archive = api.gql(OBJECTIVE_ARCHIVE, {"input": {"id": objective["id"]}}, cs_leader)["objectiveArchive"]
    kr_version = api.run(KeyResult.get(title="Deals")).version
    target = api.gql(KR_UPDATE, {"input": {"id": objective["kr"], "expectedVersion": kr_version, "target": "1"}},
                     cs_leader)["keyResultUpdate"]
    assert codes_of(update) == [("FORBIDDEN", ["input", "id"])]
    assert codes_of(archive) == [("FORBIDDEN", ["input", "id"])]
    assert codes_of(target) == [("FORBIDDEN", ["input", "id"])]
    assert "owner teams" in update["userErrors"][0]["message"]
    stored = api.run(Objective.get(title="Grow new-logo bookings"))
    assert stored.archived_at is None and api.run(KeyResult.get(title="Deals")).target == 40
    assert api.run(AuditEntry.all().count()) == audit
    # a leader of an owner team may
    ok = api.gql(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": objective["version"],
                                              "title": "Grow new logos"}}, company.tokens["marketingLeader"])
    assert ok["objectiveUpdate"]["userErrors"] == []


def test_key_results_of_an_archived_objective_are_frozen(api, company):
    objective = company.objective({"sales": "1"})
    api.gql(OBJECTIVE_ARCHIVE, {"input": {"id": objective["id"]}}, company.tokens["salesLeader"])
    kr_version = api.run(KeyResult.get(title="Deals")).version
    result = api.gql(KR_UPDATE, {"input": {"id": objective["kr"], "expectedVersion": kr_version, "target": "50"}},
                     company.tokens["salesLeader"])["keyResultUpdate"]
    assert codes_of(result) == [("INVALID", ["input", "id"])]
    assert api.run(KeyResult.get(title="Deals")).target == 40


def test_members_outside_the_leads_side_cannot_rewrite_its_lifecycle(api, company):
    lead_org = lead_writer(api)
    gid = lead_org.lead("L-MQL")
    sdr_owned = lead_org.lead("L-SDR", company="Owned Co")
    lead_org.events(gid, (datetime(2026, 11, 2, tzinfo=UTC), "STAGE", "MQL"),
                    (datetime(2026, 11, 2, 1, tzinfo=UTC), "ASSIGNED", None, "salesmember@example.com"))
    lead_org.events(sdr_owned, (datetime(2026, 11, 2, tzinfo=UTC), "STAGE", "MQL"),
                    (datetime(2026, 11, 2, 1, tzinfo=UTC), "ASSIGNED", None, "sdrmember@example.com"))
    events = api.run(LeadEvent.all().count())
    to_sal = api.gql(TRANSITION, {"input": {"leadId": gid, "stage": "SAL"}}, company.tokens["csMember"])
    disqualify = api.gql(TRANSITION, {"input": {"leadId": sdr_owned, "stage": "DISQUALIFIED", "reasonCode": "NOT_ICP"}},
                         company.tokens["marketingMember"])
    member_service = api.token("MEMBER")
    to_admin = api.gql(ASSIGN, {"input": {"leadId": gid, "ownerId": company.people["salesLeader"]["id"]}},
                       member_service)
    for result in (to_sal["leadTransition"], disqualify["leadTransition"], to_admin["leadAssign"]):
        assert codes_of(result) == [("FORBIDDEN", ["input", "leadId"])], result
    assert api.run(LeadEvent.all().count()) == events
    # the owner's side decides
    accepted = api.gql(TRANSITION, {"input": {"leadId": sdr_owned, "stage": "SAL"}}, company.tokens["sdrLeader"])
    assert accepted["leadTransition"] == {"lead": {"stage": "SAL"}, "userErrors": []}


def test_an_owner_is_always_a_person_of_a_sales_side_team(api, company):
    lead_org = lead_writer(api)
    gid = lead_org.lead("L-1")
    result = api.gql(ASSIGN, {"input": {"leadId": gid, "ownerId": company.people["csMember"]["id"]}},
                     company.tokens["marketingLeader"])["leadAssign"]
    assert codes_of(result) == [("INVALID", ["input", "ownerId"])]
    assert "SALES or SDR" in result["userErrors"][0]["message"]
    assert api.run(LeadFact.filter(owner_person_id__not_isnull=True).count()) == 0


# --- viewerCan follows the same rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("caller", ["salesLeader", "salesMember", "marketingLeader", "csLeader", "csMember"])
def test_viewer_can_on_an_objective_says_what_the_api_does(api, company, caller):
    objective = company.objective({"sales": "0.6", "marketing": "0.4"})
    token = company.tokens[caller]
    can = api.gql(OBJECTIVE_CAN, {"id": objective["id"]}, token)["node"]
    body = api.post(OBJECTIVE_UPDATE, {"input": {"id": objective["id"], "expectedVersion": can["version"],
                                                 "title": f"Renamed by {caller}"}}, token)
    did_update = not body.get("errors") and body["data"]["objectiveUpdate"]["userErrors"] == []
    assert can["viewerCan"]["update"] is did_update
    check_in = api.post("mutation($i: KeyResultCheckInInput!) { keyResultCheckIn(input: $i) { %s } }" % ERRORS,
                        {"i": {"keyResultId": objective["kr"], "value": "3"}}, token)
    did_check_in = not check_in.get("errors") and check_in["data"]["keyResultCheckIn"]["userErrors"] == []
    assert can["viewerCan"]["checkIn"] is did_check_in
    assert can["keyResults"][0]["viewerCan"]["checkIn"] is did_check_in
    assert can["viewerCan"]["overrideScore"] is False  # the period is open


def test_viewer_can_on_a_lead_before_and_after_the_hand_over(api, company):
    lead_org = lead_writer(api)
    gid = lead_org.lead("L-1")
    lead_org.events(gid, (datetime(2026, 11, 2, tzinfo=UTC), "STAGE", "MQL"))
    can = lambda who: api.gql(LEAD_CAN, {"id": gid}, company.tokens[who])["node"]["viewerCan"]
    assert can("marketingMember") == {"assign": True, "recycle": False, "transitionTo": ["DISQUALIFIED"]}
    assert can("salesMember") == {"assign": False, "recycle": False, "transitionTo": []}
    assert can("salesLeader") == {"assign": False, "recycle": False, "transitionTo": []}
    api.gql(ASSIGN, {"input": {"leadId": gid, "ownerId": company.people["salesMember"]["id"]}},
            company.tokens["marketingMember"])
    assert can("salesMember") == {"assign": False, "recycle": True,
                                  "transitionTo": ["SAL", "RECYCLED", "DISQUALIFIED"]}
    assert can("salesLeader")["assign"] is True and can("sdrLeader")["assign"] is True
    assert can("marketingMember") == {"assign": False, "recycle": False, "transitionTo": []}
    assert can("csLeader") == {"assign": False, "recycle": False, "transitionTo": []}


# --- imports check each row's owner -------------------------------------------------------------------------------

EVENT_HEADER = "external_id,lead_external_id,at,type,stage,owner_email,actor_email,reason_code,reason_text"
TOUCH_HEADER = "external_id,lead_external_id,at,kind,channel,campaign,team,person_email,duration_minutes"
LEADS = ("external_id,company,contact_name,email,industry,employees,region,title,source,created_at\n"
         "L-1,Acme,,,,,,,,2026-11-02T09:00:00Z\nL-2,Beta,,,,,,,,2026-11-02T09:00:00Z\n")


def test_lead_event_rows_follow_the_lead_rules_in_file_order(api, company):
    assert post(api, "leads", LEADS, company.tokens["salesLeader"]).status_code == 200
    handover = (EVENT_HEADER + "\n"
                "E-1,L-1,2026-11-02T10:00:00Z,WEBINAR,,,marketingmember@example.com,,\n"
                "E-2,L-1,2026-11-02T11:00:00Z,STAGE,MQL,,,,\n"
                "E-3,L-1,2026-11-02T12:00:00Z,ASSIGNED,,salesmember@example.com,,,\n"
                "E-4,L-1,2026-11-02T13:00:00Z,STAGE,SAL,,,,\n")
    by_sales = post(api, "lead-events", handover, company.tokens["salesLeader"])
    assert by_sales.status_code == 422
    assert [(e["line"], e["reason"].split(":")[0]) for e in by_sales.json()["errors"]] == [
        (2, "refused"), (3, "refused"), (4, "refused"), (5, "refused")]
    # the behaviour, the MQL and the hand-over are marketing's; SAL then has no owner to decide it
    by_marketing = post(api, "lead-events", handover, company.tokens["marketingLeader"])
    assert by_marketing.status_code == 422  # SAL, after the hand-over in line 4, is the owner side's
    assert [e["line"] for e in by_marketing.json()["errors"]] == [5]
    assert "owner" in by_marketing.json()["errors"][0]["reason"]
    assert api.run(LeadEvent.all().count()) == 0
    assert post(api, "lead-events", handover.rsplit("E-4", 1)[0], company.tokens["marketingLeader"]).status_code == 200
    sal = EVENT_HEADER + "\nE-4,L-1,2026-11-02T13:00:00Z,STAGE,SAL,,,,\n"
    assert post(api, "lead-events", sal, company.tokens["marketingLeader"]).status_code == 422
    assert post(api, "lead-events", sal, company.tokens["salesLeader"]).status_code == 200
    assert api.run(LeadFact.get(lead__external_id="L-1")).stage.value == "SAL"


def test_touch_rows_of_another_team_are_line_errors_and_durations_are_bounded(api, company):
    assert post(api, "leads", LEADS, company.tokens["salesLeader"]).status_code == 200
    touches = (TOUCH_HEADER + "\n"
               "T-1,L-1,2026-11-02T10:00:00Z,SALES,call,,Field Sales,salesmember@example.com,30\n"
               "T-2,L-1,2026-11-02T11:00:00Z,MARKETING,webinar,,Demand Generation,,\n"
               "T-3,L-1,2026-11-02T12:00:00Z,SALES,call,,Field Sales,csmember@example.com,10\n"
               "T-4,L-2,2026-11-02T12:00:00Z,SALES,call,,Field Sales,,1441\n")
    result = post(api, "touchpoints", touches, company.tokens["salesLeader"])
    assert result.status_code == 422
    assert [(e["line"], e["reason"]) for e in result.json()["errors"]] == [
        (3, "refused: a leader imports only the touches of the team they lead and of its people"),
        (4, "refused: a leader imports only the touches of the team they lead and of its people"),
        (5, "duration_minutes is at most 1440 (a day)")]


def test_finance_imports_deals_and_a_member_may_not_import_at_all(api, company):
    assert post(api, "leads", LEADS, company.tokens["salesLeader"]).status_code == 200
    deals = ("external_id,lead_external_id,name,amount,created_at,status,closed_at,owner_email\n"
             "O-1,L-1,Acme,100.00,2026-11-02T09:00:00Z,OPEN,,\n")
    assert post(api, "opportunities", deals, api.token("FINANCE")).status_code == 200
    refused = post(api, "leads", LEADS, company.tokens["salesMember"])
    error = refused.json()["errors"][0]
    assert refused.status_code == 403 and error["extensions"]["code"] == "FORBIDDEN" and "LEADER" in error["message"]


def test_the_command_line_imports_as_the_operator_or_as_a_person(cli_env, tmp_path):  # noqa: F811
    cli_env.seeded()
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS.replace("L-1", "CLI-1").replace("L-2", "CLI-2"))
    assert "2 created" in cli_env("import", "leads", str(leads)).stdout
    events = tmp_path / "events.csv"
    events.write_text(EVENT_HEADER + "\nCE-1,CLI-1,2026-11-02T10:00:00Z,STAGE,MQL,,,,\n")
    as_seller = cli_env("import", "lead-events", str(events), "--as", "sam.lead@demo.sharedgoals.dev", check=False)
    assert as_seller.returncode == 1 and "line 2: refused:" in as_seller.stderr
    as_marketing = cli_env("import", "lead-events", str(events), "--as", "maya.lead@demo.sharedgoals.dev")
    assert "1 created" in as_marketing.stdout
    unknown = cli_env("import", "lead-events", str(events), "--as", "nobody@example.com", check=False)
    assert unknown.returncode == 2 and "nobody@example.com" in unknown.stderr


# --- tokens: list what you may revoke -----------------------------------------------------------------------------

TOKENS = "{ apiTokens { id name role exportOnly lastUsedAt revokedAt } }"
EXPORT_TOKEN = """mutation { exportTokenCreate(input: {name: "sheet", expiresInDays: 7}) { secret token { id } %s } }
""" % ERRORS


def test_api_tokens_lists_yours_and_the_export_tokens_you_made_and_all_for_an_admin(api, company):
    seller = company.tokens["salesMember"]
    made = api.gql(EXPORT_TOKEN, token=seller)["exportTokenCreate"]
    mine = api.gql(TOKENS, token=seller)["apiTokens"]
    assert {t["name"] for t in mine} == {"salesMember", "sheet"}
    assert [t["exportOnly"] for t in mine if t["name"] == "sheet"] == [True]
    others = api.gql(TOKENS, token=company.tokens["salesLeader"])["apiTokens"]
    assert made["token"]["id"] not in {t["id"] for t in others}
    everyone = api.gql(TOKENS, token=company.admin)["apiTokens"]
    assert {t["id"] for t in mine} <= {t["id"] for t in everyone} and len(everyone) > len(mine)
    revoke = "mutation($id: ID!) { tokenRevoke(input: {id: $id}) { token { revokedAt } %s } }" % ERRORS
    assert api.gql(revoke, {"id": made["token"]["id"]}, seller)["tokenRevoke"]["userErrors"] == []
    refused = api.gql(revoke, {"id": made["token"]["id"]}, company.tokens["salesLeader"])["tokenRevoke"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]


def test_a_tokens_last_use_is_written_at_most_every_few_minutes(api, company):
    from datetime import timedelta
    from domain.org.models import ApiToken
    import time
    seller = company.tokens["salesMember"]

    def last_used():
        for _ in range(50):  # written in the background, after the request
            row = api.run(ApiToken.get(name="salesMember"))
            if row.last_used_at is not None:
                return row.last_used_at
            time.sleep(0.02)
        return None
    api.gql("{ viewer { name } }", token=seller)
    first = last_used()
    assert first == NOW
    api.set_now(NOW + timedelta(minutes=4))
    api.gql("{ viewer { name } }", token=seller)
    time.sleep(0.1)
    assert api.run(ApiToken.get(name="salesMember")).last_used_at == NOW
    api.set_now(NOW + timedelta(minutes=6))
    api.gql("{ viewer { name } }", token=seller)
    for _ in range(50):
        if api.run(ApiToken.get(name="salesMember")).last_used_at == NOW + timedelta(minutes=6):
            break
        time.sleep(0.02)
    assert api.run(ApiToken.get(name="salesMember")).last_used_at == NOW + timedelta(minutes=6)
