"""The two-way SLA through GraphQL, with the worked numbers."""
from datetime import datetime, timedelta, timezone

from tests.api.fixtures import SLA_CREATE as CREATE
from tests.api.fixtures import agree as _agree
from tests.api.leads_support import Org
from tests.api.support import codes
from tests.harness import snapshot

UTC = timezone.utc
REPORT = """query($p: String!) { slaReport(period: $p) {
  period { key } mqlVolume volumeMet acceptanceRate followUpCompliance followUpMet medianResponseHours p90ResponseHours
  marketing { met counted compliance } sales { met counted compliance }
  people { side person { name } met counted compliance }
  breaches(first: 50) { edges { node { side item state overdueHours lead { company } } } }
  awards { month side person { name } compliance } } }"""
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@snapshot
def org(api, admin):
    api.set_now(NOW)
    return Org(api, admin)


def test_ten_mqls_handed_over_seven_touched_within_a_day_is_seventy_percent_follow_up(org, api):
    assert _agree(org, api)["userErrors"] == []
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(10):
        lead = org.lead(f"L-{i}", company=f"Company {i}")
        mql = start + timedelta(days=i)
        org.touch(lead, mql - timedelta(hours=1), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="webinar", external_id=f"M-{i}")
        org.events(lead, (mql, "STAGE", "MQL"), (mql + timedelta(hours=1), "ASSIGNED", None, "seller@example.com"))
        response = timedelta(hours=5) if i < 7 else timedelta(hours=30)
        org.touch(lead, mql + timedelta(hours=1) + response, external_id=f"S-{i}")
        if i < 6:
            org.events(lead, (mql + timedelta(days=2), "STAGE", "SAL"))
        elif i < 8:
            org.events(lead, (mql + timedelta(days=2), "STAGE", "RECYCLED", None, "NO_BUDGET"))
    report = api.gql(REPORT, {"p": "2026-Q4"}, org.seller_token)["slaReport"]
    assert (report["mqlVolume"], report["volumeMet"]) == (10, True)
    assert report["followUpCompliance"] == 0.7 and report["followUpMet"] is False
    assert report["acceptanceRate"] == 0.75  # 6 SAL of 8 decided
    assert report["medianResponseHours"] == 5.0 and report["p90ResponseHours"] == 30.0
    assert report["marketing"] == {"met": 10, "counted": 10, "compliance": 1.0}  # every hand-over within 4 h
    missed = [e["node"] for e in report["breaches"]["edges"] if e["node"]["item"] == "FOLLOW_UP"]
    assert [(b["state"], b["overdueHours"]) for b in missed] == [("MISSED", 6.0)] * 3
    # two leads were never decided: their decision is overdue (5 days after hand-over)
    open_decisions = [e["node"]["lead"]["company"] for e in report["breaches"]["edges"]
                      if e["node"]["item"] == "DECISION" and e["node"]["state"] == "OPEN_BREACH"]
    assert sorted(open_decisions) == ["Company 8", "Company 9"]  # handed over by Nov 11 10:00, due by Nov 16
    people = {(p["side"], p["person"]["name"]) for p in report["people"]}
    assert people == {("MARKETING", "Dana Demand"), ("SALES", "Sofia Seller")}
    assert [(a["month"], a["side"], a["person"]["name"]) for a in report["awards"]] == [
        ("2026-11", "MARKETING", "Dana Demand"), ("2026-11", "SALES", "Sofia Seller")]


def test_an_sla_needs_a_marketing_and_a_sales_team_and_sane_targets(org, api):
    result = _agree(org, api, marketingTeamId=org.sales, acceptanceRateTarget=1.5, followUpHours="0")
    assert sorted((e["code"], e["field"][-1]) for e in result["userErrors"]) == [
        ("INVALID", "acceptanceRateTarget"), ("INVALID", "followUpHours"), ("INVALID", "marketingTeamId")]
    assert _agree(org, api)["userErrors"] == []
    assert [e["code"] for e in _agree(org, api)["userErrors"]] == ["DUPLICATE"]


def test_a_period_without_an_sla_has_no_report(org, api):
    assert codes(api.post(REPORT, {"p": "2026-Q4"}, org.seller_token)["errors"]) == ["NOT_FOUND"]


def test_members_cannot_agree_an_sla(org, api):
    body = api.post(CREATE, {"input": {"period": "2026-Q4", "marketingTeamId": org.marketing, "salesTeamId": org.sales,
                                       "mqlVolume": 1, "acceptanceRateTarget": 0.5, "handoverHours": "1",
                                       "followUpHours": "1", "followUpRateTarget": 0.5, "decisionDays": "1"}},
                    org.seller_token)
    assert codes(body["errors"]) == ["FORBIDDEN"]


def test_facts_kept_current_equal_facts_rebuilt_from_the_raw_rows(org, api):
    from domain.leads.facts import rebuild_all_facts
    from domain.leads.models import LeadFact
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(4):
        lead = org.lead(f"L-{i}")
        org.touch(lead, start, kind="MARKETING", team="Demand Generation", person="dana@example.com",
                  channel="ads", external_id=f"M-{i}")
        org.events(lead, (start + timedelta(hours=i), "STAGE", "MQL"))
        if i % 2:
            org.events(lead, (start + timedelta(hours=i + 1), "ASSIGNED", None, "seller@example.com"))
            org.touch(lead, start + timedelta(hours=i + 3), external_id=f"S-{i}", minutes=20)
    fields = ("lead_id", "stage", "owner_person_id", "owner_team_id", "first_touch_team_id", "mql_at", "handover_at",
              "handover_owner_id", "first_follow_up_at", "attempts", "decision", "decision_at", "sal_at", "sql_at")
    kept = api.run(LeadFact.all().order_by("lead_id").values_list(*fields))
    api.run(LeadFact.all().delete())
    api.run(rebuild_all_facts())
    assert api.run(LeadFact.all().order_by("lead_id").values_list(*fields)) == kept
    assert len(kept) == 4 and sum(1 for row in kept if row[6] is not None) == 2


def test_the_per_person_rows_come_through_a_fragment_too(org, api):
    """slaReport looks up each lead's marketing person only when people or awards are selected, fragments included."""
    _agree(org, api)
    lead = org.lead("L-F", created_at=datetime(2026, 10, 1, tzinfo=UTC))
    org.touch(lead, datetime(2026, 10, 2, 9, tzinfo=UTC), kind="MARKETING", team="Demand Generation",
              person="dana@example.com", channel="webinar", external_id="m-f")
    org.events(lead, (datetime(2026, 10, 2, 10, tzinfo=UTC), "STAGE", "MQL"))
    direct = api.gql('{ slaReport(period: "2026-Q4") { people { side person { name } counted } } }',
                     token=org.sales_leader)["slaReport"]["people"]
    through = api.gql('query { slaReport(period: "2026-Q4") { ...F } } fragment F on SlaReport { '
                      '... on SlaReport { people { side person { name } counted } } }',
                      token=org.sales_leader)["slaReport"]["people"]
    assert direct == through and {"side": "MARKETING", "person": {"name": "Dana Demand"}, "counted": 1} in direct
