"""Leads through GraphQL: the jointly approved definition, scoring into MQL, the lifecycle and hand-back."""
from datetime import datetime, timedelta, timezone

from domain.leads.models import LeadEvent, LeadFact
from tests.api.leads_support import ASSIGN, DEFINITION_APPROVE, DEFINITION_CREATE, ICP, Org
from tests.api.support import codes
from tests.harness import snapshot

UTC = timezone.utc
LEAD = """query($id: ID!) { node(id: $id) { ... on Lead { company stage owner { name } firstTouchTeam { name }
  facts { mqlAt handoverAt firstFollowUpAt attempts decision responseHours }
  timeline { at type stage reasonCode actorName owner { name } }
  score { definitionVersion fit engagement qualifies fitLines { rule points } engagementLines { rule points } } } } }"""
TRANSITION = """mutation($input: LeadTransitionInput!) { leadTransition(input: $input) {
  lead { stage } userErrors { field message code } } }"""
RECYCLE = """mutation($input: LeadRecycleInput!) { leadRecycle(input: $input) {
  lead { stage } userErrors { field message code } } }"""


@snapshot
def org(api, admin):
    api.set_now(datetime(2026, 11, 2, 12, tzinfo=UTC))
    return Org(api, admin)


def _errors(result):
    return [(e["code"], e["field"]) for e in result["userErrors"]]


def test_one_approval_is_not_enough_both_sides_make_a_definition_active(org, api):
    draft = api.gql(DEFINITION_CREATE, {"input": ICP}, org.marketing_leader)["leadDefinitionCreate"]["leadDefinition"]
    assert (draft["version"], draft["status"]) == (1, "DRAFT")
    once = api.gql(DEFINITION_APPROVE, {"id": draft["id"]}, org.marketing_leader)["leadDefinitionApprove"]
    assert once["leadDefinition"]["status"] == "DRAFT"
    again = api.gql(DEFINITION_APPROVE, {"id": draft["id"]}, org.marketing_leader)["leadDefinitionApprove"]
    assert _errors(again) == [("DUPLICATE", ["input", "id"])]
    both = api.gql(DEFINITION_APPROVE, {"id": draft["id"]}, org.sales_leader)["leadDefinitionApprove"]["leadDefinition"]
    assert both["status"] == "ACTIVE" and both["activatedAt"] == "2026-11-02T12:00:00+00:00"
    assert sorted((a["side"], a["person"]["name"]) for a in both["approvals"]) == [
        ("MARKETING", "Maya Lead"), ("SALES", "Sam Lead")]


def test_a_new_version_supersedes_the_active_one_only_when_approved(org, api):
    first = org.active_definition()
    second = org.active_definition(name="Tighter", fitThreshold="75")
    versions = api.gql("{ leadDefinitions { version status } }", token=org.seller_token)["leadDefinitions"]
    assert versions == [{"version": 2, "status": "ACTIVE"}, {"version": 1, "status": "SUPERSEDED"}]
    assert first != second


def test_only_sales_and_marketing_leaders_approve(org, api):
    draft = api.gql(DEFINITION_CREATE, {"input": ICP}, org.marketing_leader)["leadDefinitionCreate"]["leadDefinition"]
    for token in (org.admin, org.seller_token):
        assert codes(api.post(DEFINITION_APPROVE, {"id": draft["id"]}, token)["errors"]) == ["FORBIDDEN"]


def test_a_definition_with_unknown_behaviours_is_invalid(org, api):
    result = api.gql(DEFINITION_CREATE, {"input": {**ICP, "behaviourPoints": {"TELEPATHY": 5}}},
                     org.marketing_leader)["leadDefinitionCreate"]
    assert _errors(result) == [("INVALID", ["input", "behaviourPoints"])]


def test_a_lead_becomes_mql_at_the_behaviour_that_passes_both_thresholds(org, api):
    org.active_definition()
    lead = org.lead()
    day = lambda d, h=9: datetime(2026, 11, d, h, tzinfo=UTC)
    org.events(lead, (day(3), "EMAIL_OPEN"), (day(4), "WEBINAR"), (day(5), "FORM_SUBMIT"), (day(6), "WEBINAR"))
    read = api.gql(LEAD, {"id": lead}, org.seller_token)["node"]
    # fit 100 (industry, size, region, title); engagement 1 + 15 on the 4th (< 30), + 20 on the 5th passes 30
    assert read["stage"] == "MQL"
    assert read["facts"]["mqlAt"] == "2026-11-05T09:00:00+00:00"
    mql = [e for e in read["timeline"] if e["type"] == "STAGE"]
    assert [(e["stage"], e["actorName"]) for e in mql] == [("MQL", "lead scoring")]


def test_a_lead_outside_the_profile_does_not_qualify_however_engaged(org, api):
    org.active_definition()
    lead = org.lead(industry="Retail", region="APAC", title="Intern", employees=5)
    org.events(lead, *[(datetime(2026, 11, 3, h, tzinfo=UTC), "FORM_SUBMIT") for h in range(9, 15)])
    assert api.gql(LEAD, {"id": lead}, org.seller_token)["node"]["stage"] == "LEAD"


def test_behaviours_before_the_definition_was_active_are_not_rescored(org, api):
    lead = org.lead()
    org.events(lead, (datetime(2026, 11, 1, 9, tzinfo=UTC), "FORM_SUBMIT"),
               (datetime(2026, 11, 1, 10, tzinfo=UTC), "WEBINAR"))
    org.active_definition()  # activated 2026-11-02 12:00
    org.events(lead, (datetime(2026, 11, 2, 13, tzinfo=UTC), "EMAIL_OPEN"))
    read = api.gql(LEAD, {"id": lead}, org.seller_token)["node"]
    assert read["facts"]["mqlAt"] == "2026-11-02T13:00:00+00:00"  # qualifies at its first behaviour after activation


def test_the_score_explains_every_rule_and_point(org, api):
    org.active_definition()
    lead = org.lead(region="APAC")
    org.events(lead, (datetime(2026, 11, 2, 12, tzinfo=UTC), "WEBINAR"))
    score = api.gql(LEAD, {"id": lead}, org.seller_token)["node"]["score"]
    assert score["fit"] == "75" and score["engagement"] == "15"
    assert [line["rule"] for line in score["fitLines"]] == [
        "industry is Software", "500 employees is within the range", "title contains 'VP'"]
    assert score["engagementLines"] == [{"rule": "WEBINAR on 2026-11-02 (15 points, decayed)", "points": "15"}]


def test_engagement_decays_with_the_half_life(org, api):
    org.active_definition()
    lead = org.lead()
    org.events(lead, (datetime(2026, 10, 3, 12, tzinfo=UTC), "FORM_SUBMIT"))  # 30 days before now
    score = api.gql(LEAD, {"id": lead}, org.seller_token)["node"]["score"]
    assert score["engagement"] == "10"  # 20 points halved once


def test_the_lifecycle_refuses_moves_it_does_not_allow(org, api):
    lead = org.lead()
    result = api.gql(TRANSITION, {"input": {"leadId": lead, "stage": "SQL"}}, org.admin)["leadTransition"]
    assert _errors(result) == [("INVALID", ["input", "stage"])]
    assert api.run(LeadEvent.all().count()) == 0


def test_disqualifying_needs_a_reason_from_the_list(org, api):
    lead = org.lead()
    result = api.gql(TRANSITION, {"input": {"leadId": lead, "stage": "DISQUALIFIED", "reasonCode": "UGLY"}},
                     org.marketer_token)["leadTransition"]
    assert _errors(result) == [("INVALID", ["input", "reasonCode"])]
    ok = api.gql(TRANSITION, {"input": {"leadId": lead, "stage": "DISQUALIFIED", "reasonCode": "NOT_ICP",
                                        "reasonText": "a student project"}}, org.marketer_token)["leadTransition"]
    assert ok == {"lead": {"stage": "DISQUALIFIED"}, "userErrors": []}


def test_hand_over_follow_up_and_recycle_with_feedback(org, api):
    lead = org.lead()
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    org.events(lead, (now - timedelta(hours=3), "STAGE", "MQL"))
    assigned = api.gql(ASSIGN, {"input": {"leadId": lead, "ownerId": org.seller["id"]}},
                       org.marketing_leader)["leadAssign"]["lead"]
    assert assigned["owner"]["name"] == "Sofia Seller"
    assert assigned["facts"]["handoverAt"] == "2026-11-02T12:00:00+00:00"
    org.touch(lead, now + timedelta(hours=5), minutes=30)
    facts = api.gql(LEAD, {"id": lead}, org.seller_token)["node"]["facts"]
    assert (facts["attempts"], facts["responseHours"]) == (1, 5.0)
    recycled = api.gql(RECYCLE, {"input": {"leadId": lead, "reason": "NO_BUDGET", "reasonText": "budget in Q2"}},
                       org.seller_token)["leadRecycle"]
    assert recycled == {"lead": {"stage": "RECYCLED"}, "userErrors": []}
    stored = api.run(LeadFact.get(lead_id=int(__import__("strawberry").relay.GlobalID.from_id(lead).node_id)))
    assert stored.decision.value == "RECYCLED"
    feedback = api.gql('{ leadFeedback(period: "2026-Q4") { stage reasonCode source count } }', token=org.admin)
    assert feedback["leadFeedback"] == [{"stage": "RECYCLED", "reasonCode": "NO_BUDGET", "source": "webinar",
                                         "count": 1}]


def test_finance_does_not_work_leads(org, api):
    lead = org.lead()
    body = api.post(TRANSITION, {"input": {"leadId": lead, "stage": "MQL"}}, api.token("FINANCE"))
    assert codes(body["errors"]) == ["FORBIDDEN"]


def test_leads_filter_by_stage_and_mql_period(org, api):
    a, b = org.lead("A"), org.lead("B", company="Beta")
    org.events(a, (datetime(2026, 10, 20, tzinfo=UTC), "STAGE", "MQL"))
    query = 'query($s: LeadStage, $p: String) { leads(stage: $s, period: $p) { edges { node { company } } } }'
    names = lambda **v: [e["node"]["company"] for e in api.gql(query, v, org.seller_token)["leads"]["edges"]]
    assert names(s="MQL") == ["Acme"]
    assert names(s="LEAD") == ["Beta"]
    assert names(p="2026-Q4") == ["Acme"] and names(p="2026-Q3") == []


def test_a_key_result_can_follow_the_mql_count_of_its_owner_teams(org, api):
    from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Fill the funnel", "period": "2026-Q4", "owners": [
        {"teamId": org.marketing, "share": "1"}]}}, org.marketing_leader)["objectiveCreate"]["objective"]
    for i in range(3):
        lead = org.lead(f"M-{i}")
        org.touch(lead, datetime(2026, 10, 5, tzinfo=UTC), kind="MARKETING", team="Demand Generation",
                  person="dana@example.com", channel="webinar")
        org.events(lead, (datetime(2026, 10, 6, tzinfo=UTC), "STAGE", "MQL"))
    other = org.lead("S-1")  # first touched by sales: not marketing's MQL
    org.touch(other, datetime(2026, 10, 5, tzinfo=UTC))
    org.events(other, (datetime(2026, 10, 6, tzinfo=UTC), "STAGE", "MQL"))
    kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "MQLs delivered", "kind": "INCREASE_TO",
                                       "unit": "COUNT", "start": "0", "target": "12", "source": "METRIC",
                                       "metric": {"name": "MQL_COUNT"}}}, org.marketing_leader)["keyResultCreate"]
    assert kr["userErrors"] == []
    assert (kr["keyResult"]["current"], kr["keyResult"]["progress"]) == ("3", 0.25)


def test_wasted_selling_cost_counts_hours_on_leads_handed_back_later(org, api):
    kept, recycled = org.lead("K"), org.lead("R", company="Recycled Co")
    for lead in (kept, recycled):
        org.events(lead, (datetime(2026, 10, 1, tzinfo=UTC), "STAGE", "MQL"),
                   (datetime(2026, 10, 1, 1, tzinfo=UTC), "ASSIGNED", None, "seller@example.com"))
        org.touch(lead, datetime(2026, 10, 2, tzinfo=UTC), minutes=90, external_id=f"call-{lead}")
    api.gql(RECYCLE, {"input": {"leadId": recycled, "reason": "NOT_DECISION_MAKER"}}, org.seller_token)
    query = 'query($id: ID!) { node(id: $id) { ... on Person { wastedSellingCost(period: "2026-Q4") } } }'
    # 1.5 h × 399.00 per selling hour
    assert api.gql(query, {"id": org.seller["id"]}, org.seller_token)["node"]["wastedSellingCost"] == "598.50"
    body = api.post(query, {"id": org.seller["id"]}, org.marketing_leader)
    assert body["data"]["node"]["wastedSellingCost"] is None and codes(body["errors"]) == ["FORBIDDEN"]
