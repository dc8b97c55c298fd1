"""Imports of leads, lead events, touchpoints and opportunities: over HTTP (CSV and NDJSON), GraphQL and the command
line. Idempotent by external id; a changed lead or opportunity is updated and audited, a changed fact is refused; one
bad row imports nothing unless skip-bad; the lead facts follow the imported events and touches, the credit of
opportunities follows their import."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from domain.org.rules import operator
from domain.attribution.models import Opportunity, OpportunityStatus, Touchpoint
from domain.audit.models import AuditEntry
from domain.imports import service as import_service
from domain.imports.formats import Record
from domain.imports.kinds import OPPORTUNITIES
from domain.leads.facts import rebuild_all_facts
from domain.leads.models import Lead, LeadEvent, LeadFact
from domain.org.models import Team
from domain.org.rules import Role
from tests.api.fixtures import EVENT_HEADER, LEAD_HEADER, OPPORTUNITY_HEADER, TOUCH_HEADER, imported
from tests.api.fixtures import imports_org as org  # noqa: F401  (the fixture)
from tests.api.fixtures import post_import as post
from tests.api.support import create_person, create_team
from tests.harness import snapshot

UTC = timezone.utc
OPPORTUNITIES_CSV = (OPPORTUNITY_HEADER + "\n"
                     "O-1,L-1,Acme platform,12500.00,2026-11-02T09:00:00+00:00,OPEN,,\n"
                     "O-2,L-2,Beta rollout,4800.5,2026-11-03T09:00:00Z,WON,2026-11-20T17:00:00+01:00,"
                     "seller@example.com\n"
                     "O-3,L-1,Acme add-on,0,2026-11-04T09:00:00Z,LOST,2026-11-05T09:00:00Z,\n")
LEADS_CSV = (LEAD_HEADER + "\n"
             "L-1,Acme,Ann Buyer,ann@acme.example,Software,500,EMEA,VP Marketing,webinar,2026-11-02T09:00:00+00:00\n"
             "L-2,Beta GmbH,Bob,bob@beta.example,Fintech,40,EMEA,CFO,event,2026-11-02T10:00:00+01:00\n"
             "L-3,Gamma,,,,,,,,2026-11-03T08:00:00Z\n")


def counts(result: dict) -> tuple[int, int, int]:
    return result["created"], result["updated"], result["unchanged"]


def count(api, model) -> int:
    return api.run(model.all().count())


def lead_facts(api, external_id: str) -> LeadFact:
    return api.run(LeadFact.get(lead__external_id=external_id))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC)


# --- idempotence ------------------------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(api, org):
    first = imported(api, "leads", LEADS_CSV, org["leader"])
    assert counts(first) == (3, 0, 0)
    assert count(api, Lead) == 3
    audit_entries = count(api, AuditEntry)
    again = imported(api, "leads", LEADS_CSV, org["leader"])
    assert counts(again) == (0, 0, 3)
    assert count(api, Lead) == 3 and count(api, AuditEntry) == audit_entries
    beta = api.run(Lead.get(external_id="L-2"))
    assert (beta.email, beta.employees, beta.created_at) == ("bob@beta.example", 40, at(9))
    gamma = api.run(Lead.get(external_id="L-3"))
    assert (gamma.contact_name, gamma.industry, gamma.employees) == ("", None, None)


def test_times_are_stored_as_the_orm_stores_them_whatever_their_form_in_the_file(api, org):
    """On SQLite a time is text, compared and ordered as text by the reports: the import writes a time in UTC as
    Tortoise's adapter does (its isoformat(" ")), whether the file wrote it in that form already or not."""
    imported(api, "leads", LEADS_CSV + "L-4,Delta,,,,,,,,2026-11-03T08:00:00.250+00:00\n", org["leader"])
    from tortoise import connections
    db = connections.get("default")
    if db.capabilities.dialect != "sqlite":
        pytest.skip("PostgreSQL keeps timestamptz")
    _, rows = api.run(db.execute_query('SELECT "external_id", "created_at" FROM "lead" ORDER BY "external_id"'))
    assert [tuple(r) for r in rows] == [
        ("L-1", "2026-11-02 09:00:00+00:00"), ("L-2", "2026-11-02 09:00:00+00:00"),
        ("L-3", "2026-11-03 08:00:00+00:00"), ("L-4", "2026-11-03 08:00:00.250000+00:00")]
    again = imported(api, "leads", LEADS_CSV.replace("2026-11-02T09:00:00+00:00", "2026-11-02T10:00:00+01:00"),
                     org["leader"])
    assert counts(again) == (0, 0, 3)  # the same times, written otherwise


def test_a_changed_lead_is_updated_and_audited(api, org):
    imported(api, "leads", LEADS_CSV, org["leader"])
    changed = LEADS_CSV.replace("Beta GmbH,Bob,bob@beta.example,Fintech,40", "Beta AG,Bob,bob@beta.example,Fintech,45")
    result = imported(api, "leads", changed, org["leader"])
    assert counts(result) == (0, 1, 2)
    beta = api.run(Lead.get(external_id="L-2"))
    assert (beta.company, beta.employees) == ("Beta AG", 45)
    entry = api.run(AuditEntry.get(entity="Lead", entity_id=str(beta.id)))
    assert entry.actor_name == "Sam Lead"
    assert (entry.before["company"], entry.after["company"]) == ("Beta GmbH", "Beta AG")
    assert (entry.before["employees"], entry.after["employees"]) == (40, 45)


def test_a_changed_event_is_a_line_error_and_nothing_is_written(api, org):
    imported(api, "leads", LEADS_CSV, org["leader"])
    events = (EVENT_HEADER + "\n"
              "E-1,L-1,2026-11-02T09:00:00Z,WEBINAR,,,,,\n"
              "E-2,L-1,2026-11-02T09:30:00Z,EMAIL_OPEN,,,,,\n")
    assert counts(imported(api, "lead-events", events, org["admin"])) == (2, 0, 0)
    changed = events.replace("E-2,L-1,2026-11-02T09:30:00Z", "E-2,L-1,2026-11-02T09:45:00Z") + \
        "E-3,L-2,2026-11-02T10:00:00Z,FORM_SUBMIT,,,,,\n"
    response = post(api, "lead-events", changed, org["admin"])
    assert response.status_code == 422
    result = response.json()
    assert result["imported"] is False and counts(result) == (0, 0, 0)
    assert [e["line"] for e in result["errors"]] == [3]
    assert "differs in at" in result["errors"][0]["reason"] and "never edited" in result["errors"][0]["reason"]
    assert count(api, LeadEvent) == 2


def test_the_same_external_id_twice_in_one_file_is_one_record(api, org):
    rows = LEADS_CSV + "L-1,Acme,Ann Buyer,ann@acme.example,Software,500,EMEA,VP Marketing,webinar,2026-11-02T09:00:00Z\n"
    assert counts(imported(api, "leads", rows, org["leader"])) == (3, 0, 1)


# --- bad rows ---------------------------------------------------------------------------------------

def test_bad_csv_lines_are_reported_by_number_and_nothing_is_written(api, org):
    body = (LEAD_HEADER + "\n"
            "L-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n"
            "L-2,Beta,,,,lots,,,,2026-11-02T09:00:00Z\n"
            '"L-3","Gamma\nGroup",,,,,,,,2026-11-02T09:00:00Z\n'
            "L-4,Delta,,,,,,,,2026-11-02 09:00\n")
    response = post(api, "leads", body, org["leader"])
    assert response.status_code == 422
    result = response.json()
    assert result["imported"] is False and counts(result) == (0, 0, 0)
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [
        (3, "employees 'lots' is not a whole number"),
        (6, "created_at '2026-11-02 09:00' has no zone offset; write it like 2026-11-23T09:00:00+00:00")]
    assert result["errorCount"] == 2 and result["moreErrors"] == 0
    assert count(api, Lead) == 0 and count(api, LeadFact) == 0


def test_skip_bad_imports_the_good_rows_and_reports_the_bad(api, org):
    body = (LEAD_HEADER + "\n"
            "L-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n"
            "L-2,,,,,,,,,2026-11-02T09:00:00Z\n"
            "L-3,Gamma,,,,,,,,2026-11-02T09:00:00Z\n")
    response = post(api, "leads", body, org["leader"], skip_bad=True)
    assert response.status_code == 200
    result = response.json()
    assert result["imported"] is True and counts(result) == (2, 0, 0)
    assert result["errors"] == [{"line": 3, "reason": "company is required"}]
    assert sorted(api.run(Lead.all().values_list("external_id", flat=True))) == ["L-1", "L-3"]


def test_a_file_without_a_required_column_is_refused_at_its_header(api, org):
    response = post(api, "leads", "external_id,company\nL-1,Acme\n", org["leader"], skip_bad=True)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["line"] == 1 and error["reason"].startswith("header: missing keys: contact_name")
    assert count(api, Lead) == 0


def test_events_and_touches_must_name_known_leads_people_and_teams(api, org):
    imported(api, "leads", LEADS_CSV, org["leader"])
    events = (EVENT_HEADER + "\n"
              "E-1,L-404,2026-11-02T09:00:00Z,WEBINAR,,,,,\n"
              "E-2,L-1,2026-11-02T09:00:00Z,ASSIGNED,,ghost@example.com,,,\n"
              "E-3,L-1,2026-11-02T09:00:00Z,STAGE,RECYCLED,,,,\n")
    result = post(api, "lead-events", events, org["admin"]).json()
    assert [(e["line"], e["reason"].split(" (")[0]) for e in result["errors"]] == [
        (2, "lead_external_id 'L-404' names no lead"),
        (3, "owner_email 'ghost@example.com' names no person"),
        (4, "a recycle needs a reason: one of BAD_TIMING, NO_BUDGET, NO_RESPONSE, NOT_DECISION_MAKER, "
            "NURTURE_REQUESTED, OTHER")]
    touches = TOUCH_HEADER + "\nT-1,L-1,2026-11-02T12:00:00Z,SALES,phone,,Nobody's Team,,\n"
    result = post(api, "touchpoints", touches, org["admin"]).json()
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [(2, "team 'Nobody's Team' names no team")]
    assert count(api, LeadEvent) == 0 and count(api, Touchpoint) == 0


# --- formats ----------------------------------------------------------------------------------------

def test_ndjson_imports_like_csv(api, org):
    lines = [{"external_id": "L-1", "company": "Acme", "contact_name": "Ann", "email": "ann@acme.example",
              "industry": "Software", "employees": 500, "region": "EMEA", "title": "VP", "source": None,
              "created_at": "2026-11-02T09:00:00+00:00"},
             {"external_id": "L-2", "company": "Beta", "contact_name": "", "email": "", "industry": None,
              "employees": None, "region": None, "title": None, "source": None,
              "created_at": "2026-11-02T09:00:00+00:00"}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    assert counts(imported(api, "leads", body, org["leader"], content_type="application/x-ndjson")) == (2, 0, 0)
    assert counts(imported(api, "leads", body, org["leader"], content_type="application/x-ndjson")) == (0, 0, 2)
    assert api.run(Lead.get(external_id="L-1")).employees == 500
    bad = body + '{"external_id": "L-3", "company": "Gamma"}\n'
    result = post(api, "leads", bad, org["leader"], content_type="application/x-ndjson").json()
    assert result["errors"][0]["line"] == 3 and result["errors"][0]["reason"].startswith("missing keys")


def test_a_file_larger_than_the_graphql_body_limit_imports_in_batches(api, org):
    rows = [LEAD_HEADER] + [f"L-{i},Company {i},Contact {i},c{i}@example.com,Software,{i % 5000},EMEA,"
                            f"Head of Sales,web,2026-11-02T09:00:00Z" for i in range(12_000)]
    body = "\n".join(rows) + "\n"
    assert len(body) > 1_000_000  # above SHAREDGOALS_MAX_BODY_BYTES: /import has its own limit
    assert counts(imported(api, "leads", body, org["leader"])) == (12_000, 0, 0)
    # new leads have no events or touches yet: no facts rows (their facts are the empty facts, stage LEAD)
    assert count(api, Lead) == 12_000 and count(api, LeadFact) == 0
    stages = api.gql('{ leads(first: 100, stage: LEAD) { edges { node { stage facts { attempts mqlAt } } } } }',
                     token=org["leader"])["leads"]["edges"]
    assert len(stages) == 100 and {e["node"]["stage"] for e in stages} == {"LEAD"}
    assert stages[0]["node"]["facts"] == {"attempts": 0, "mqlAt": None}
    assert counts(imported(api, "leads", body, org["leader"])) == (0, 0, 12_000)


# --- access -----------------------------------------------------------------------------------------

def test_imports_are_for_leaders_and_admins(api, org):
    anonymous = post(api, "leads", LEADS_CSV, None)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for token in (org["member"], api.token(Role.FINANCE)):
        refused = post(api, "leads", LEADS_CSV, token)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert count(api, Lead) == 0
    assert post(api, "leads", LEADS_CSV, api.token(Role.ADMIN)).status_code == 200


def test_an_unknown_kind_is_not_found_and_an_unknown_format_is_unsupported(api, org):
    unknown = post(api, "deals", LEADS_CSV, org["leader"])
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert post(api, "leads", LEADS_CSV, org["leader"], content_type="application/json").status_code == 415


# --- derived facts ----------------------------------------------------------------------------------

def test_imported_stage_assignment_and_sales_touch_make_the_lead_facts(api, org):
    imported(api, "leads", LEADS_CSV, org["leader"])
    events = (EVENT_HEADER + "\n"
              "E-1,L-1,2026-11-02T09:00:00Z,STAGE,MQL,,dana@example.com,,\n"
              "E-2,L-1,2026-11-02T10:00:00Z,ASSIGNED,,seller@example.com,saleslead@example.com,,\n")
    assert counts(imported(api, "lead-events", events, org["admin"])) == (2, 0, 0)
    facts = lead_facts(api, "L-1")
    assert (facts.stage.value, facts.mql_at, facts.handover_at) == ("MQL", at(9), at(10))
    assert (facts.first_follow_up_at, facts.attempts) == (None, 0)
    touches = (TOUCH_HEADER + "\n"
               "T-1,L-1,2026-11-02T08:00:00Z,MARKETING,webinar,Autumn webinar,Demand Generation,dana@example.com,\n"
               "T-2,L-1,2026-11-02T12:00:00Z,SALES,phone,,Field Sales,seller@example.com,30\n")
    assert counts(imported(api, "touchpoints", touches, org["admin"])) == (2, 0, 0)
    facts = lead_facts(api, "L-1")
    assert (facts.first_follow_up_at, facts.attempts) == (at(12), 1)
    assert facts.first_touch_team_id is not None and facts.owner_person_id == facts.handover_owner_id
    assert counts(imported(api, "touchpoints", touches, org["admin"])) == (0, 0, 2)
    assert lead_facts(api, "L-1").attempts == 1


def test_rows_of_a_file_are_stored_in_its_order_so_that_ties_in_time_go_by_line(api, org):
    """Two touches at the same time: the first touch is the one on the earlier line (ties go by id), on either
    database."""
    imported(api, "leads", LEADS_CSV, org["leader"])
    touches = (TOUCH_HEADER + "\n"
               "T-1,L-1,2026-11-02T12:00:00Z,MARKETING,web,,Demand Generation,,\n"
               "T-2,L-1,2026-11-02T12:00:00Z,SALES,phone,,Field Sales,,\n"
               "T-3,L-1,2026-11-02T12:00:00Z,SALES,phone,,Field Sales,,\n")
    assert counts(imported(api, "touchpoints", touches, org["admin"])) == (3, 0, 0)
    ids = api.run(Touchpoint.all().order_by("id").values_list("external_id", flat=True))
    assert list(ids) == ["T-1", "T-2", "T-3"]
    marketing = api.run(Team.get(name="Demand Generation"))
    assert lead_facts(api, "L-1").first_touch_team_id == marketing.id


def test_the_facts_kept_current_by_imports_equal_a_rebuild(api, org):
    imported(api, "leads", LEADS_CSV, org["leader"])
    imported(api, "lead-events", EVENT_HEADER + "\n"
             "E-1,L-2,2026-11-02T09:00:00Z,STAGE,MQL,,,,\n"
             "E-2,L-2,2026-11-02T11:00:00Z,ASSIGNED,,seller@example.com,,,\n"
             "E-3,L-2,2026-11-03T09:00:00Z,STAGE,RECYCLED,,,NO_BUDGET,next year\n", org["admin"])
    imported(api, "touchpoints", TOUCH_HEADER + "\nT-1,L-2,2026-11-02T13:00:00Z,SALES,email,,Field Sales,,\n",
             org["admin"])
    fields = ("lead_id", "stage", "owner_person_id", "first_touch_team_id", "mql_at", "handover_at",
              "first_follow_up_at", "attempts", "decision", "decision_at")
    kept = api.run(LeadFact.all().order_by("lead_id").values_list(*fields))
    assert len(kept) == 1  # L-1 and L-3 have no events or touches: no facts rows
    api.run(rebuild_all_facts())
    assert api.run(LeadFact.all().order_by("lead_id").values_list(*fields)) == kept


# --- opportunities ----------------------------------------------------------------------------------

@pytest.fixture
def refreshed(monkeypatch) -> list[list[int]]:
    """The opportunity ids each import asks the credit to be refreshed for."""
    calls: list[list[int]] = []

    async def record_call(ids: list[int]) -> None:
        calls.append(list(ids))
    monkeypatch.setitem(import_service._REFRESH_WRITTEN, "opportunities", record_call)
    return calls


def opportunity_ids(api, *external_ids: str) -> list[int]:
    return sorted(api.run(Opportunity.filter(external_id__in=external_ids).values_list("id", flat=True)))


def test_opportunities_import_in_cents_and_a_reimport_changes_nothing(api, org, refreshed):
    imported(api, "leads", LEADS_CSV, org["leader"])
    assert counts(imported(api, "opportunities", OPPORTUNITIES_CSV, org["admin"])) == (3, 0, 0)
    won = api.run(Opportunity.get(external_id="O-2").prefetch_related("lead", "owner"))
    assert (won.lead.external_id, won.name, won.amount_cents, won.status) == ("L-2", "Beta rollout", 480_050,
                                                                               OpportunityStatus.WON)
    assert (won.created_at, won.closed_at, won.owner.email) == (
        datetime(2026, 11, 3, 9, tzinfo=UTC), datetime(2026, 11, 20, 16, tzinfo=UTC), "seller@example.com")
    open_ = api.run(Opportunity.get(external_id="O-1"))
    assert (open_.amount_cents, open_.closed_at, open_.owner_id) == (1_250_000, None, None)
    assert refreshed == [opportunity_ids(api, "O-1", "O-2", "O-3")]

    audit_entries = count(api, AuditEntry)
    again = imported(api, "opportunities", OPPORTUNITIES_CSV, org["admin"])
    assert counts(again) == (0, 0, 3)
    assert count(api, Opportunity) == 3 and count(api, AuditEntry) == audit_entries
    assert len(refreshed) == 1  # nothing written, nothing to refresh


def test_a_changed_opportunity_is_updated_audited_and_its_credit_refreshed(api, org, refreshed):
    imported(api, "leads", LEADS_CSV, org["leader"])
    imported(api, "opportunities", OPPORTUNITIES_CSV, org["admin"])
    changed = OPPORTUNITIES_CSV.replace("O-1,L-1,Acme platform,12500.00,2026-11-02T09:00:00+00:00,OPEN,,",
                                        "O-1,L-1,Acme platform,13750.25,2026-11-02T09:00:00+00:00,WON,"
                                        "2026-11-30T12:00:00Z,saleslead@example.com")
    result = imported(api, "opportunities", changed, org["admin"])
    assert counts(result) == (0, 1, 2)
    deal = api.run(Opportunity.get(external_id="O-1"))
    assert (deal.amount_cents, deal.status, deal.closed_at) == (1_375_025, OpportunityStatus.WON,
                                                                datetime(2026, 11, 30, 12, tzinfo=UTC))
    entry = api.run(AuditEntry.get(entity="Opportunity", entity_id=str(deal.id)))
    assert entry.actor_name == "admin service token"
    assert (entry.before["amount_cents"], entry.after["amount_cents"]) == (1_250_000, 1_375_025)
    assert (entry.before["status"], entry.after["status"]) == ("OPEN", "WON")
    assert (entry.before["closed_at"], entry.after["closed_at"]) == (None, "2026-11-30T12:00:00+00:00")
    assert refreshed[-1] == [deal.id]


def test_bad_opportunity_rows_are_reported_by_line_and_nothing_is_written(api, org, refreshed):
    imported(api, "leads", LEADS_CSV, org["leader"])
    body = (OPPORTUNITY_HEADER + "\n"
            "O-1,L-1,Fine,100.00,2026-11-02T09:00:00Z,OPEN,,\n"
            "O-2,L-1,Won but when,100.00,2026-11-02T09:00:00Z,WON,,\n"
            "O-3,L-1,Refund,-5.00,2026-11-02T09:00:00Z,OPEN,,\n"
            "O-4,L-1,Fractions,10.125,2026-11-02T09:00:00Z,OPEN,,\n"
            "O-5,L-404,Nobody's,10,2026-11-02T09:00:00Z,OPEN,,\n"
            "O-6,L-1,Closed early,10,2026-11-02T09:00:00Z,LOST,2026-11-01T09:00:00Z,\n"
            "O-7,L-1,Open but closed,10,2026-11-02T09:00:00Z,OPEN,2026-11-03T09:00:00Z,\n"
            "O-8,L-1,Ghost owner,10,2026-11-02T09:00:00Z,OPEN,,ghost@example.com\n")
    response = post(api, "opportunities", body, org["admin"])
    assert response.status_code == 422
    result = response.json()
    assert result["imported"] is False and counts(result) == (0, 0, 0)
    assert [(e["line"], e["reason"]) for e in result["errors"]] == [
        (3, "closed_at is required for a WON opportunity"),
        (4, "amount must be 0 or more"),
        (5, "amount '10.125' has more than 2 decimal places"),
        (6, "lead_external_id 'L-404' names no lead (import the lead first)"),
        (7, "closed_at is before created_at"),
        (8, "closed_at is only for WON and LOST opportunities (an OPEN one is not closed)"),
        (9, "owner_email 'ghost@example.com' names no person")]
    assert count(api, Opportunity) == 0 and refreshed == []

    skipped = post(api, "opportunities", body, org["admin"], skip_bad=True).json()
    assert skipped["imported"] is True and counts(skipped) == (1, 0, 0) and skipped["errorCount"] == 7
    assert refreshed == [opportunity_ids(api, "O-1")]


def test_opportunities_import_from_ndjson(api, org, refreshed):
    imported(api, "leads", LEADS_CSV, org["leader"])
    lines = [{"external_id": "O-1", "lead_external_id": "L-1", "name": "Acme platform", "amount": 12500,
              "created_at": "2026-11-02T09:00:00+00:00", "status": "OPEN"},
             {"external_id": "O-2", "lead_external_id": "L-2", "name": "Beta rollout", "amount": "4800.50",
              "created_at": "2026-11-03T09:00:00Z", "status": "WON", "closed_at": "2026-11-20T16:00:00Z",
              "owner_email": "SELLER@example.com"},
             {"external_id": "O-3", "lead_external_id": "L-3", "name": "Gamma pilot", "amount": 19.99,
              "created_at": "2026-11-04T09:00:00Z", "status": "LOST", "closed_at": None, "owner_email": None}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = post(api, "opportunities", body, org["admin"], content_type="application/x-ndjson").json()
    assert result["errors"] == [{"line": 3, "reason": "closed_at is required for a LOST opportunity"}]
    assert count(api, Opportunity) == 0
    lines[2]["closed_at"] = "2026-11-05T09:00:00Z"
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    ndjson = {"content_type": "application/x-ndjson"}
    assert counts(imported(api, "opportunities", body, org["admin"], **ndjson)) == (3, 0, 0)
    assert counts(imported(api, "opportunities", body, org["admin"], **ndjson)) == (0, 0, 3)
    stored = dict(api.run(Opportunity.all().values_list("external_id", "amount_cents")))
    assert stored == {"O-1": 1_250_000, "O-2": 480_050, "O-3": 1999}
    assert api.run(Opportunity.get(external_id="O-2")).owner_id is not None


def test_the_credit_refresh_runs_in_the_import_transaction(api, org, monkeypatch):
    imported(api, "leads", LEADS_CSV, org["leader"])

    async def failing(ids: list[int]) -> None:
        assert await Opportunity.filter(id__in=ids).count() == len(ids)  # it sees the rows just written
        raise RuntimeError("credit refresh failed")
    monkeypatch.setitem(import_service._REFRESH_WRITTEN, "opportunities", failing)
    record = Record(1, ("O-1", "L-1", "Deal", "10.00", "2026-11-02T09:00:00Z", "OPEN", None, None))
    assert len(record.values) == len(OPPORTUNITIES.keys)
    with pytest.raises(RuntimeError, match="credit refresh failed"):
        api.run(import_service.import_records("opportunities", [record], actor=operator("test")))
    assert count(api, Opportunity) == 0


# --- GraphQL ----------------------------------------------------------------------------------------

LEAD_IMPORT = """mutation($input: LeadImportInput!) { leadImport(input: $input) {
  created updated unchanged imported errors { line reason } userErrors { field message code } } }"""
TOUCHPOINT_IMPORT = """mutation($input: TouchpointImportInput!) { touchpointImport(input: $input) {
  created updated unchanged imported errors { line reason } userErrors { field message code } } }"""

OPPORTUNITY_IMPORT = """mutation($input: OpportunityImportInput!) { opportunityImport(input: $input) {
  created updated unchanged imported errors { line reason } userErrors { field message code } } }"""


def lead_record(external_id: str, **values) -> dict:
    return {"externalId": external_id, "company": f"{external_id} Inc", "createdAt": "2026-11-02T09:00:00+00:00",
            **values}


def test_lead_import_through_graphql_is_idempotent_and_numbers_bad_records_from_one(api, org):
    records = [lead_record("L-1", employees=300, email="ANN@Acme.example"), lead_record("L-2")]
    result = api.gql(LEAD_IMPORT, {"input": {"records": records}}, org["leader"])["leadImport"]
    assert (result["created"], result["imported"], result["userErrors"]) == (2, True, [])
    again = api.gql(LEAD_IMPORT, {"input": {"records": records}}, org["leader"])["leadImport"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert api.run(Lead.get(external_id="L-1")).email == "ann@acme.example"

    bad = [lead_record("L-3"), lead_record("L-4", employees=-3)]
    refused = api.gql(LEAD_IMPORT, {"input": {"records": bad}}, org["leader"])["leadImport"]
    assert refused["imported"] is False and refused["errors"] == [{"line": 2, "reason": "employees must be 0 or more"}]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "records"], "INVALID")]
    skipped = api.gql(LEAD_IMPORT, {"input": {"records": bad, "skipBad": True}}, org["leader"])["leadImport"]
    assert (skipped["created"], skipped["imported"], skipped["userErrors"]) == (1, True, [])
    assert count(api, Lead) == 3


def test_more_than_a_thousand_records_are_refused(api, org):
    records = [lead_record(f"L-{i}") for i in range(1001)]
    result = api.gql(LEAD_IMPORT, {"input": {"records": records}}, org["leader"])["leadImport"]
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["input", "records"], "INVALID")]
    assert count(api, Lead) == 0


def test_touchpoint_import_through_graphql_refuses_a_changed_touch(api, org):
    api.gql(LEAD_IMPORT, {"input": {"records": [lead_record("L-1")]}}, org["leader"])
    touch = {"externalId": "T-1", "leadExternalId": "L-1", "at": "2026-11-02T12:00:00+00:00", "kind": "SALES",
             "channel": "phone", "team": "Field Sales", "personEmail": "seller@example.com", "durationMinutes": 20}
    result = api.gql(TOUCHPOINT_IMPORT, {"input": {"records": [touch]}}, org["leader"])["touchpointImport"]
    assert (result["created"], result["userErrors"]) == (1, [])
    changed = api.gql(TOUCHPOINT_IMPORT, {"input": {"records": [{**touch, "durationMinutes": 25}]}},
                      org["leader"])["touchpointImport"]
    assert changed["imported"] is False
    assert [e["line"] for e in changed["errors"]] == [1] and "duration_minutes" in changed["errors"][0]["reason"]
    assert api.run(Touchpoint.get(external_id="T-1")).duration_minutes == 20


def test_opportunity_import_through_graphql_updates_a_changed_deal_and_numbers_bad_records(api, org, refreshed):
    api.gql(LEAD_IMPORT, {"input": {"records": [lead_record("L-1")]}}, org["leader"])
    deal = {"externalId": "O-1", "leadExternalId": "L-1", "name": "Acme platform", "amount": "12500.00",
            "createdAt": "2026-11-02T09:00:00+00:00", "status": "OPEN", "ownerEmail": "seller@example.com"}
    result = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": [deal]}}, org["leader"])["opportunityImport"]
    assert (result["created"], result["imported"], result["userErrors"]) == (1, True, [])
    again = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": [deal]}}, org["leader"])["opportunityImport"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)

    won = {**deal, "amount": "13000.5", "status": "WON", "closedAt": "2026-11-30T12:00:00+00:00",
           "ownerEmail": "seller@example.com"}
    changed = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": [won]}}, api.token(Role.ADMIN))["opportunityImport"]
    assert (changed["updated"], changed["userErrors"]) == (1, [])
    stored = api.run(Opportunity.get(external_id="O-1"))
    assert (stored.amount_cents, stored.status, stored.owner_id is not None) == (1_300_050, OpportunityStatus.WON,
                                                                                   True)
    assert api.run(AuditEntry.filter(entity="Opportunity", entity_id=str(stored.id)).count()) == 1
    assert refreshed == [[stored.id], [stored.id]]

    bad = [{**deal, "externalId": "O-2"}, {**deal, "externalId": "O-3", "amount": "1.001"},
           {**deal, "externalId": "O-4", "status": "LOST"}]
    refused = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": bad}}, org["leader"])["opportunityImport"]
    assert refused["imported"] is False
    assert refused["errors"] == [{"line": 2, "reason": "amount '1.001' has more than 2 decimal places"},
                                 {"line": 3, "reason": "closed_at is required for a LOST opportunity"}]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "records"], "INVALID")]
    assert count(api, Opportunity) == 1

    member = api.post(OPPORTUNITY_IMPORT, {"input": {"records": [{**deal, "externalId": "O-9"}]}}, org["member"])
    assert member["data"]["opportunityImport"] is None
    assert [e["extensions"]["code"] for e in member["errors"]] == ["FORBIDDEN"]
    too_many = [{**deal, "externalId": f"O-{i}"} for i in range(1001)]
    result = api.gql(OPPORTUNITY_IMPORT, {"input": {"records": too_many}}, org["leader"])["opportunityImport"]
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["input", "records"], "INVALID")]
    assert count(api, Opportunity) == 1


def test_graphql_imports_are_for_leaders_and_admins(api, org):
    body = api.post(LEAD_IMPORT, {"input": {"records": [lead_record("L-1")]}}, org["member"])
    assert body["data"]["leadImport"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert count(api, Lead) == 0


# --- command line -----------------------------------------------------------------------------------

def test_the_command_line_imports_a_file_and_a_reimport_changes_nothing(cli_env, tmp_path):  # noqa: F811
    cli_env.migrated()
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS_CSV)
    first = cli_env("import", "leads", str(leads))
    assert "leads: 3 created, 0 updated, 0 unchanged, 0 refused" in first.stdout
    again = cli_env("import", "leads", str(leads))
    assert "leads: 0 created, 0 updated, 3 unchanged, 0 refused" in again.stdout

    events = tmp_path / "events.ndjson"
    events.write_text(json.dumps({"external_id": "E-1", "lead_external_id": "L-1", "at": "2026-11-02T09:00:00Z",
                                  "type": "WEBINAR"}) + "\n" +
                      json.dumps({"external_id": "E-2", "lead_external_id": "L-9", "at": "2026-11-02T09:00:00Z",
                                  "type": "WEBINAR"}) + "\n")
    refused = cli_env("import", "lead-events", str(events), check=False)
    assert refused.returncode == 1
    assert "line 2: lead_external_id 'L-9' names no lead" in refused.stderr
    assert "lead-events: nothing imported (1 refused)" in refused.stderr
    skipped = cli_env("import", "lead-events", str(events), "--skip-bad")
    assert "lead-events: 1 created" in skipped.stdout and "line 2:" in skipped.stderr

    deals = tmp_path / "deals.csv"
    deals.write_text(OPPORTUNITY_HEADER + "\n"
                     "O-1,L-1,Acme platform,12500.00,2026-11-02T09:00:00Z,OPEN,,\n"
                     "O-2,L-2,Beta rollout,4800.50,2026-11-03T09:00:00Z,WON,2026-11-20T16:00:00Z,\n")
    assert "opportunities: 2 created, 0 updated, 0 unchanged, 0 refused" in cli_env("import", "opportunities",
                                                                                    str(deals)).stdout
    assert "opportunities: 0 created, 0 updated, 2 unchanged" in cli_env("import", "opportunities", str(deals)).stdout

    unknown = tmp_path / "leads.xlsx"
    unknown.write_text("")
    assert cli_env("import", "leads", str(unknown), check=False).returncode == 2


@pytest.mark.skipif(not __import__("os").environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="PostgreSQL's planner statistics")
def test_a_large_import_renews_postgresqls_statistics_of_its_table(api, admin, org):
    """The rows of an import are in its transaction, which autovacuum cannot see: the import itself analyses the
    table before refreshing the facts, so the planner does not take a filled table for an empty one."""
    from tortoise import connections
    imported(api, "leads", LEADS_CSV, admin)
    rows = import_service.ANALYZE_AFTER
    body = TOUCH_HEADER + "\n" + "\n".join(
        f"T-{i},L-{1 + i % 3},2026-11-{1 + i % 28:02d}T09:{i % 60:02d}:00Z,MARKETING,email,spring,"
        f"Demand Generation,dana@example.com," for i in range(rows))
    assert imported(api, "touchpoints", body, admin)["created"] == rows

    async def estimate(table):
        _, found = await connections.get("default").execute_query(
            "SELECT reltuples FROM pg_class WHERE relname = $1", [table])
        return found[0][0]
    assert api.run(estimate("touchpoint")) >= rows * 0.9  # what the planner believes the table holds
    assert api.run(estimate("lead_fact")) == 3  # the derived rows the import rewrote: analysed too (-1: never)
