"""CRM exports imported as the vendors write them (tests/fixtures/crm), over HTTP and on the command line, and the
figures they give (MQLs, SLA response, credit under a model) against numbers worked out by hand below; dry runs
of native and vendor files write nothing; file errors stop a whole file, even with skip-bad."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from domain.audit.models import AuditEntry
from domain.attribution.models import Opportunity
from domain.comp.models import OpportunitySplit
from domain.imports.crm.models import CrmLink
from domain.leads.models import Lead, LeadEvent, LeadFact
from tests.api.crm_support import (FIXTURES, fixture, mappings_dir, post_export, post_native,  # noqa: F401
                                   salesforce_mapping, table_counts)
from tests.api.fixtures import cli_env  # noqa: F401
from tests.api.leads_support import Org
from tests.api.support import create_person
from tests.harness import snapshot

UTC = timezone.utc
SALESFORCE_ORDER = ["Lead.csv", "LeadHistory.csv", "Campaign.csv", "CampaignMember.csv", "Task.csv", "Event.csv",
                    "Opportunity.csv"]
HUBSPOT_ORDER = ["contacts.csv", "deals.csv", "calls.csv", "emails.csv", "meetings.csv"]
LEADS = """{ leads(first: 20) { edges { node { externalId company stage owner { name }
  facts { mqlAt handoverAt firstFollowUpAt attempts decision responseHours } } } } }"""
ATTRIBUTION = """query($m: AttributionModel, $g: CreditGroupBy!) { attribution(period: "2026-Q4", model: $m,
  groupBy: $g) { label pipeline bookings } }"""


@snapshot
def org(api, admin):
    api.set_now(datetime(2026, 11, 20, tzinfo=UTC))
    return Org(api, admin)


def t(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


def leads_by_id(api, token) -> dict:
    return {e["node"]["externalId"]: e["node"] for e in api.gql(LEADS, token=token)["leads"]["edges"]}


def credit(api, token, model: str, group: str) -> dict:
    rows = api.gql(ATTRIBUTION, {"m": model, "g": group}, token)["attribution"]
    return {r["label"]: (Decimal(r["pipeline"]), Decimal(r["bookings"])) for r in rows}


def import_salesforce(api, org) -> dict:
    answers = {}
    for name in SALESFORCE_ORDER:
        response = post_export(api, name.removesuffix(".csv"), "acme-sf", fixture("salesforce", name), org.admin)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()
        assert answers[name]["imported"] is True and answers[name]["errors"] == [], answers[name]
    return answers


# --- Salesforce over HTTP -----------------------------------------------------------------------------------------

def test_a_salesforce_org_imports_unchanged_and_gives_the_hand_worked_figures(api, org, mappings_dir):
    answers = import_salesforce(api, org)
    assert answers["Lead.csv"]["kinds"] == {"leads": {"created": 3, "updated": 0, "unchanged": 0, "refused": 0},
                                            "lead-events": {"created": 1, "updated": 0, "unchanged": 0,
                                                            "refused": 0}}  # the conversion
    assert answers["Lead.csv"]["links"] == {"opportunity: created": 1, "contact: created": 1}
    # LeadHistory: 2 owner changes (their name rows skipped), 3 status changes, the initial status of both leads
    assert answers["LeadHistory.csv"]["kinds"]["lead-events"]["created"] == 2 + 3 + 2
    assert answers["LeadHistory.csv"]["skipped"] == {
        "LeadHistory owner rows with names (their id rows are read)": 1,
        "LeadHistory rows of other fields (created)": 1, "LeadHistory rows of other fields (leadConverted)": 1}
    assert answers["Campaign.csv"]["links"] == {"campaign: created": 2}
    assert answers["CampaignMember.csv"]["skipped"] == {"campaign members who did not respond": 1}
    assert answers["Task.csv"]["skipped"] == {"tasks not completed": 1}
    assert answers["Event.csv"]["skipped"] == {"activities longer than a day": 1}
    assert answers["Opportunity.csv"]["kinds"]["opportunities"]["created"] == 1

    # Ids: a 15-character id and its 18-character form are the same lead (Lead2 is written both ways).
    leads = leads_by_id(api, org.admin)
    assert sorted(leads) == ["sf:00QHp00000Lead1MAB", "sf:00QHp00000Lead2MAB", "sf:00QHp00000Lead3MAB"]
    acme, beta, gamma = (leads[f"sf:00QHp00000Lead{i}MAB"] for i in (1, 2, 3))
    assert (acme["company"], acme["stage"], acme["owner"]["name"]) == ("Acme, Inc.", "OPPORTUNITY", "Sofia Seller")
    assert (gamma["stage"], gamma["owner"], gamma["facts"]["mqlAt"]) == ("LEAD", None, None)  # no history, a queue
    # Acme: MQL at creation (its first status change's OldValue, Open - Not Contacted = MQL), 5 Oct 09:00; handed
    # from the queue to Sofia at 11:00; first call 13:30 (2.5 h later); 3 sales touches after the hand-over (the
    # call, the email to its converted contact, the demo; the 2-day workshop is skipped); decided SAL 6 Oct 10:00.
    assert acme["facts"] == {"mqlAt": t("2026-10-05T09:00"), "handoverAt": t("2026-10-05T11:00"),
                             "firstFollowUpAt": t("2026-10-05T13:30"), "attempts": 3, "decision": "SAL",
                             "responseHours": 2.5}
    # Beta: MQL at creation 7 Oct 15:00, handed over at 16:00, never followed up (the task is not completed).
    assert beta["facts"] == {"mqlAt": t("2026-10-07T15:00"), "handoverAt": t("2026-10-07T16:00"),
                             "firstFollowUpAt": None, "attempts": 0, "decision": "SAL", "responseHours": None}

    # The 12,000.00 deal, created 20 Oct, won 10 Nov, links to Acme through the Lead's ConvertedOpportunityId.
    # Its journey: webinar (4 Oct, marketing), call (5 Oct), trade show via the contact (12 Oct, marketing),
    # email (15 Oct), demo (18 Oct). LINEAR: 2,400 each: marketing 4,800, sales 7,200.
    linear = credit(api, org.admin, "LINEAR", "TEAM")
    assert linear["Demand Generation"] == (Decimal("4800.00"), Decimal("4800.00"))
    assert linear["Field Sales"] == (Decimal("7200.00"), Decimal("7200.00"))
    # W_SHAPED: FT and LC (last touch at or before the MQL of 5 Oct 09:00) both the webinar: 0.6 = 7,200; OC (last
    # touch at or before creation) the demo: 0.3 = 3,600; the three others 0.1 / 3 = 400 each.
    w_shaped = credit(api, org.admin, "W_SHAPED", "CHANNEL")
    assert w_shaped["webinar"][1] == Decimal("7200.00") and w_shaped["meeting"][1] == Decimal("3600.00")
    assert (w_shaped["call"][1], w_shaped["event"][1], w_shaped["email"][1]) == (Decimal("400.00"),) * 3

    # Again, unchanged: every file leaves everything as it is.
    counts = table_counts(api)
    again = import_salesforce(api, org)
    assert all(k["created"] == 0 and k["updated"] == 0 for a in again.values() for k in a["kinds"].values())
    assert again["Campaign.csv"]["links"] == {"campaign: unchanged": 2}
    assert table_counts(api) == counts


def test_an_opportunity_file_before_its_lead_file_is_refused_line_by_line_then_links_up(api, org, mappings_dir):
    body = fixture("salesforce", "Opportunity.csv")
    early = post_export(api, "Opportunity", "acme-sf", body, org.admin)
    assert early.status_code == 422
    assert early.json()["errors"] == [{"line": 2, "reason": (
        "no imported lead was converted into opportunity 006Hp00000Opp01IAB: import the Lead export first (its "
        "ConvertedOpportunityId links them), then this file again")}]
    assert api.run(Opportunity.all().count()) == 0
    assert post_export(api, "Lead", "acme-sf", fixture("salesforce", "Lead.csv"), org.admin).status_code == 200
    late = post_export(api, "Opportunity", "acme-sf", body, org.admin)
    assert late.status_code == 200 and late.json()["kinds"]["opportunities"]["created"] == 1
    deal = api.run(Opportunity.get(external_id="sf:006Hp00000Opp01IAB").prefetch_related("lead"))
    assert (deal.lead.external_id, deal.amount_cents, deal.status.value) == ("sf:00QHp00000Lead1MAB", 1_200_000, "WON")


def test_a_dry_run_of_a_vendor_file_counts_and_writes_nothing(api, org, mappings_dir):
    before = table_counts(api)
    response = post_export(api, "Lead", "acme-sf", fixture("salesforce", "Lead.csv"), org.admin, dryRun=True)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["dryRun"], answer["imported"]) == (True, False)
    assert answer["kinds"]["leads"] == {"created": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert answer["links"] == {"opportunity: created": 1, "contact: created": 1}
    assert table_counts(api) == before


def test_a_dry_run_of_a_native_file_counts_and_writes_nothing(api, org):
    header = "external_id,company,contact_name,email,industry,employees,region,title,source,created_at"
    body = header + "\nL-1,Acme,Ann,ann@acme.example,,,,,,2026-11-02T09:00:00Z\nL-2,Beta,,,,many,,,,2026-11-02T09:00:00Z\n"
    before = table_counts(api)
    response = post_native(api, "leads", body, org.admin, dryRun="true")
    assert response.status_code == 422  # as it is, the import would import nothing: a bad row
    answer = response.json()
    assert (answer["dryRun"], answer["imported"], answer["created"], answer["errorCount"]) == (True, False, 1, 1)
    assert answer["errors"] == [{"line": 3, "reason": "employees 'many' is not a whole number"}]
    skipping = post_native(api, "leads", body, org.admin, dryRun="true", skipBad="true")
    assert skipping.status_code == 200 and skipping.json()["created"] == 1
    assert table_counts(api) == before
    imported = post_native(api, "leads", body, org.admin, skipBad="true").json()  # the real one: as the dry run said
    assert (imported["created"], imported["dryRun"]) == (1, False) and api.run(Lead.all().count()) == 1
    again = post_native(api, "leads", body, org.admin, dryRun="true", skipBad="true").json()
    assert (again["created"], again["unchanged"]) == (0, 1)


# --- file errors ----------------------------------------------------------------------------------------------------

def test_an_unmapped_status_and_a_missing_column_are_file_errors_even_with_skip_bad(api, org, mappings_dir):
    lead = fixture("salesforce", "Lead.csv").decode("utf-8-sig")
    renamed = lead.replace('"Working - Contacted"', '"Nurturing"').replace('"Open - Not Contacted"', '"Nurturing"')
    response = post_export(api, "Lead", "acme-sf", renamed.encode(), org.admin, skipBad=True)
    assert response.status_code == 422
    assert response.json()["fileErrors"] == [
        "values not in the mapping's [status]: 'Nurturing' (2 rows); add them there"]
    no_company = lead.replace('"Company",', '"Account",', 1)
    response = post_export(api, "Lead", "acme-sf", no_company.encode(), org.admin, skipBad=True)
    assert response.json()["fileErrors"] == [
        "column 'Company' is missing (required; the mapping's [objects.Lead.columns] company names it)"]
    assert api.run(Lead.all().count()) == 0 and api.run(CrmLink.all().count()) == 0


def test_an_owner_name_two_people_share_is_a_file_error(api, org):
    create_person(api, org.admin, org.sales, email="sofia.two@example.com", name="Sofia Seller")
    response = post_export(api, "deals", "hubspot", fixture("hubspot", "deals.csv"), org.admin)
    assert response.status_code == 422
    assert response.json()["fileErrors"] == [
        "values not in the mapping's [owners]: 'Sofia Seller (a name several people have)' (2 rows); add them there"]


def test_a_bad_mapping_in_the_admins_folder_is_refused_whole(api, org, mappings_dir):
    (mappings_dir / "broken.toml").write_text('source = "x"\n[objects.Lead]\ntranslator = "salesforce.Lead"\n'
                                              '[objects.Lead.columns]\nid = 1\n')
    (mappings_dir / "unreadable.toml").write_text("[objects\n")
    broken = post_export(api, "Lead", "broken", fixture("salesforce", "Lead.csv"), org.admin)
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["message"] == ("mapping broken.toml: [objects.Lead.columns] must map text to "
                                                     "text")
    unreadable = post_export(api, "Lead", "unreadable", fixture("salesforce", "Lead.csv"), org.admin)
    assert unreadable.status_code == 400 and "not readable TOML" in unreadable.json()["errors"][0]["message"]
    assert api.run(Lead.all().count()) == 0


def test_a_crm_export_is_an_admins(api, org):
    response = post_export(api, "contacts", "hubspot", fixture("hubspot", "contacts.csv"), org.sales_leader)
    assert response.status_code == 403 and response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = post_export(api, "contacts", "../etc/passwd", b"x", org.admin)
    assert unknown.status_code == 400
    missing = post_export(api, "Widgets", "hubspot", b"a\n", org.admin)
    assert missing.status_code == 404 and "contacts" in missing.json()["errors"][0]["message"]


# --- HubSpot over HTTP ----------------------------------------------------------------------------------------------

def import_hubspot(api, org, names=HUBSPOT_ORDER) -> dict:
    answers = {}
    for name in names:
        response = post_export(api, name.removesuffix(".csv"), "hubspot", fixture("hubspot", name), org.admin)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()
    return answers


def test_a_hubspot_org_imports_unchanged_and_gives_the_hand_worked_figures(api, org):
    answers = import_hubspot(api, org)
    # contacts: 3 leads; Ann's owner and her 3 lifecycle dates, Bob's MQL date: 5 events
    assert answers["contacts.csv"]["kinds"]["leads"]["created"] == 3
    assert answers["contacts.csv"]["kinds"]["lead-events"]["created"] == 5
    assert answers["calls.csv"]["skipped"] == {"activities longer than a day": 1}
    leads = leads_by_id(api, org.admin)
    ann = leads["hs:contact:101"]
    # MQL 6 Oct 10:00, owner assigned 12:00, first call 14:00: 2 h; call, email and meeting after the hand-over
    assert ann["facts"] == {"mqlAt": t("2026-10-06T10:00"), "handoverAt": t("2026-10-06T12:00"),
                            "firstFollowUpAt": t("2026-10-06T14:00"), "attempts": 3, "decision": None,
                            "responseHours": 2.0}
    assert leads["hs:contact:102"]["facts"]["mqlAt"] == t("2026-10-07T09:30")
    assert leads["hs:contact:103"]["facts"]["mqlAt"] is None
    # Record ID 101 is a contact and a deal: namespaced apart.
    assert api.run(Opportunity.filter(external_id="hs:deal:101").count()) == 1
    # Deal 101 (9,000, created 9 Oct 10:00, won 12 Nov): call 6 Oct, email 7 Oct, meeting 10 Oct. W_SHAPED: no touch
    # at or before the MQL (6 Oct 10:00), so LC's 0.3 goes to FT (the call) and OC (the email) in proportion: 0.45
    # each = 4,050; the meeting is the other: 0.1 = 900. Pipeline adds the open 5,000 deal 102, whose contact Bob
    # has no touches (UNATTRIBUTED).
    w_shaped = credit(api, org.admin, "W_SHAPED", "CHANNEL")
    assert (w_shaped["call"][1], w_shaped["email"][1], w_shaped["meeting"][1]) == (
        Decimal("4050.00"), Decimal("4050.00"), Decimal("900.00"))
    assert sum(p for p, _ in w_shaped.values()) == Decimal("14000.00")
    counts = table_counts(api)
    again = import_hubspot(api, org)
    assert all(k["created"] == 0 and k["updated"] == 0 for a in again.values() for k in a["kinds"].values())
    assert table_counts(api) == counts


def test_a_moved_hubspot_lifecycle_date_moves_its_stage_event_audited(api, org):
    import_hubspot(api, org, ["contacts.csv"])
    moved = fixture("hubspot", "contacts.csv").replace(b"2026-10-06 10:00", b"2026-10-06 08:00")
    audits = api.run(AuditEntry.filter(entity="LeadEvent").count())
    response = post_export(api, "contacts", "hubspot", moved, org.admin)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["movedStageEvents"] == 1 and answer["kinds"]["lead-events"]["unchanged"] == 5
    event = api.run(LeadEvent.get(external_id="hs:contact:101:stage:MQL"))
    assert event.at == datetime(2026, 10, 6, 8, tzinfo=UTC)
    assert api.run(AuditEntry.filter(entity="LeadEvent").count()) == audits + 1
    facts = api.run(LeadFact.get(lead__external_id="hs:contact:101"))
    assert facts.mql_at == datetime(2026, 10, 6, 8, tzinfo=UTC)


# --- the command line -----------------------------------------------------------------------------------------------

def test_the_command_line_imports_vendor_files_with_a_mapping_file_and_dry_runs(cli_env, tmp_path):  # noqa: F811
    cli_env.seeded()  # as `migrate` and `seed-demo` leave it (test_cli runs those commands themselves)
    mapping = tmp_path / "our-salesforce.toml"
    mapping.write_text(salesforce_mapping("sofia.seller@demo.sharedgoals.dev"))
    lead = str(FIXTURES / "salesforce" / "Lead.csv")
    dry = cli_env("import", "Lead", lead, "--source", str(mapping), "--dry-run")
    assert "leads: would be 3 created, 0 updated, 0 unchanged, 0 refused" in dry.stdout
    assert "dry run: nothing was written" in dry.stdout
    done = cli_env("import", "Lead", lead, "--source", str(mapping))
    assert "leads: 3 created, 0 updated, 0 unchanged, 0 refused" in done.stdout
    for name in SALESFORCE_ORDER[1:]:
        cli_env("import", name.removesuffix(".csv"), str(FIXTURES / "salesforce" / name), "--source", str(mapping))
    again = cli_env("import", "Task", str(FIXTURES / "salesforce" / "Task.csv"), "--source", str(mapping))
    assert "touchpoints: 0 created, 0 updated, 2 unchanged, 0 refused" in again.stdout
    assert "skipped: 1 tasks not completed" in again.stdout
    hubspot = cli_env("import", "contacts", str(FIXTURES / "hubspot" / "contacts.csv"), "--source", "hubspot")
    assert "leads: 3 created" in hubspot.stdout and "lead-events: 5 created" in hubspot.stdout
    expected = {"deals.csv": "opportunities: 2 created", "calls.csv": "touchpoints: 1 created",
                "emails.csv": "touchpoints: 1 created", "meetings.csv": "touchpoints: 1 created"}
    for name, line in expected.items():
        done = cli_env("import", name.removesuffix(".csv"), str(FIXTURES / "hubspot" / name), "--source", "hubspot")
        assert line in done.stdout, done.stdout
    as_member = cli_env("import", "contacts", str(FIXTURES / "hubspot" / "contacts.csv"), "--source", "hubspot",
                        "--as", "sofia.seller@demo.sharedgoals.dev", check=False)
    assert as_member.returncode == 2 and "imported by an ADMIN or on the command line" in as_member.stderr
    bad = tmp_path / "contacts.csv"
    bad.write_bytes(fixture("hubspot", "contacts.csv").replace(b"Subscriber", b"Zombie"))
    refused = cli_env("import", "contacts", str(bad), "--source", "hubspot", "--skip-bad", check=False)
    assert refused.returncode == 1
    assert ("file error: values not in the mapping's [objects.contacts.lifecycle_stage]: 'Zombie' (1 row); add them "
            "there") in refused.stderr
    native_dry = cli_env("import", "leads", str(_native_leads(tmp_path)), "--dry-run")
    assert "leads: would be 1 created" in native_dry.stdout and native_dry.returncode == 0


def _native_leads(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("external_id,company,contact_name,email,industry,employees,region,title,source,created_at\n"
                    "N-1,Acme,,,,,,,,2026-11-02T09:00:00Z\n")
    return path


# --- Salesforce opportunity splits (crediting splits for pay) ------------------------------------------------------

SALES_LEAD_SF_ID = "005Hp00000SalesIAB"
SPLIT_TYPES = '\n"149Hp00000Rev01IAB" = "REVENUE"\n"149Hp00000Ovr01" = "OTHER"\n'


def _pay_plan(api, org, email: str, target: str) -> None:
    people = {e["node"]["email"]: e["node"]["id"] for e in api.gql(
        "{ people(first: 50) { edges { node { id email } } } }", token=org.admin)["people"]["edges"]}
    result = api.gql("""mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) {
      userErrors { code } } }""", {"input": {"personId": people[email], "period": "2026-Q4", "targetVariable": target,
                                             "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS",
                                                             "quota": "60000", "weight": "1"}]}}, org.admin)
    assert result["compPlanCreate"]["userErrors"] == []


def test_salesforce_revenue_splits_credit_pay_and_other_split_types_are_skipped(api, org, mappings_dir):
    mapping = salesforce_mapping("seller@example.com", f'"{SALES_LEAD_SF_ID}" = "saleslead@example.com"')
    (mappings_dir / "acme-splits.toml").write_text(mapping.replace(
        "[objects.OpportunitySplit.split_type]", "[objects.OpportunitySplit.split_type]" + SPLIT_TYPES, 1))
    import_salesforce(api, org)
    _pay_plan(api, org, "seller@example.com", "20000")
    _pay_plan(api, org, "saleslead@example.com", "10000")
    response = post_export(api, "OpportunitySplit", "acme-splits", fixture("salesforce", "OpportunitySplit.csv"),
                           org.admin)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["kinds"] == {"opportunity-splits": {"created": 2, "updated": 0, "unchanged": 0, "refused": 0}}
    assert answer["skipped"] == {"opportunity splits of other split types (only revenue splits credit pay)": 1}
    # the 12,000 deal won 10 Nov: 60% = 7,200 of 60,000 × 20,000 = 2,400; 40% = 4,800 of 60,000 × 10,000 = 800
    statements = api.gql("""{ compStatements(period: "2026-Q4") { person { email } lines { metricValue payout } } }""",
                         token=org.admin)["compStatements"]
    assert {s["person"]["email"]: (s["lines"][0]["metricValue"], s["lines"][0]["payout"]) for s in statements} == {
        "seller@example.com": ("7200.00", "2400.00"), "saleslead@example.com": ("4800.00", "800.00")}
    again = post_export(api, "OpportunitySplit", "acme-splits", fixture("salesforce", "OpportunitySplit.csv"),
                        org.admin).json()
    assert again["kinds"]["opportunity-splits"] == {"created": 0, "updated": 0, "unchanged": 2, "refused": 0}


def test_an_unknown_split_type_is_a_file_error_naming_the_table(api, org, mappings_dir):
    import_salesforce(api, org)
    response = post_export(api, "OpportunitySplit", "acme-sf", fixture("salesforce", "OpportunitySplit.csv"),
                           org.admin)
    assert response.status_code == 422, response.text
    errors = " ".join(response.json()["fileErrors"]) if "fileErrors" in response.json() else response.text
    assert "objects.OpportunitySplit.split_type" in errors and "149Hp00000Rev01" in errors, errors
    assert api.run(OpportunitySplit.all().count()) == 0
