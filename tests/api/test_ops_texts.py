"""Every free text a mutation takes has a limit, one a kind of text (domain/texts.py): one character over it is an
INVALID userError on the field, and nothing is written (no row, no audit entry)."""
import pytest
from strawberry import relay

from domain import texts
from domain.audit.models import AuditEntry
from domain.goals.models import CheckIn, Objective
from domain.leads.models import Lead, LeadEvent
from tests.api.fixtures import demo_org  # noqa: F401  (the fixture)
from tests.harness import snapshot

SOFIA = "sofia.seller@demo.sharedgoals.dev"
OMAR = "omar.seller@demo.sharedgoals.dev"  # has a pay plan with a "Team bookings" component
PAYLOAD = "userErrors { field code message }"


@snapshot
def demo(demo_org, api, admin):
    """The demo organisation, a lead to work and what the cases name (built once, restored for each case)."""
    period = api.gql("{ periods { key } }", token=admin)["periods"][0]["key"]
    objective = next(e["node"] for e in api.gql(
        "query($p: String!) { objectives(period: $p, first: 20) { edges { node { id version "
        "owners { team { id } } keyResults { id } } } } }", {"p": period}, admin)["objectives"]["edges"]
        if e["node"]["keyResults"])
    lead = api.gql("""mutation { leadImport(input: {records: [{externalId: "L-T", company: "Acme",
      createdAt: "2026-11-02T09:00:00+00:00"}]}) { created } }""", token=admin)
    assert lead["leadImport"]["created"] == 1
    lead = api.run(Lead.get(external_id="L-T"))
    sofia = api.gql("{ people(first: 100) { edges { node { id email } } } }", token=admin)["people"]["edges"]
    return {"period": period, "objective": objective, "admin": admin, "omar_token": api.token(person=OMAR),
            "lead": str(relay.GlobalID("Lead", str(lead.id))),
            "sofia": next(e["node"]["id"] for e in sofia if e["node"]["email"] == SOFIA)}


def _cases():
    over = lambda limit: "x" * (limit + 1)
    return [
        ("keyResultCheckIn", "comment", texts.COMMENT, "KeyResultCheckInInput",
         lambda d, t: {"keyResultId": d["objective"]["keyResults"][0]["id"], "comment": t}),
        ("objectiveCreate", "description", texts.DESCRIPTION, "ObjectiveCreateInput",
         lambda d, t: {"title": "Grow", "period": d["period"], "description": t,
                       "owners": [{"teamId": d["objective"]["owners"][0]["team"]["id"], "share": "1"}]}),
        ("objectiveUpdate", "description", texts.DESCRIPTION, "ObjectiveUpdateInput",
         lambda d, t: {"id": d["objective"]["id"], "expectedVersion": d["objective"]["version"], "description": t}),
        ("objectiveScoreOverride", "reason", texts.REASON, "ObjectiveScoreOverrideInput",
         lambda d, t: {"objectiveId": d["objective"]["id"], "score": "0.5", "reason": t}),
        ("periodReopen", "reason", texts.REASON, "PeriodReopenInput", lambda d, t: {"period": d["period"], "reason": t}),
        ("compAdjustmentCreate", "reason", texts.REASON, "CompAdjustmentCreateInput",
         lambda d, t: {"personId": d["sofia"], "period": d["period"], "amount": "10", "reason": t}),
        ("compDisputeCreate", "reason", texts.REASON, "CompDisputeCreateInput",
         lambda d, t: {"period": d["period"], "component": "Team bookings", "reason": t}),
        ("leadTransition", "reasonText", texts.REASON, "LeadTransitionInput",
         lambda d, t: {"leadId": d["lead"], "stage": "DISQUALIFIED", "reasonCode": "NO_BUDGET", "reasonText": t}),
        ("leadRecycle", "reasonText", texts.REASON, "LeadRecycleInput",
         lambda d, t: {"leadId": d["lead"], "reason": "NO_BUDGET", "reasonText": t}),
    ], over


CASES, OVER = _cases()


@pytest.mark.parametrize("mutation, field, limit, input_type, make", CASES, ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_a_free_text_over_its_limit_is_invalid_and_writes_nothing(api, demo, mutation, field, limit, input_type,
                                                                  make):
    token = demo["omar_token"] if mutation == "compDisputeCreate" else demo["admin"]
    before = api.run(AuditEntry.all().count()), api.run(CheckIn.all().count()), api.run(Objective.all().count()), \
        api.run(LeadEvent.all().count())
    query = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {PAYLOAD} }} }}"
    errors = api.gql(query, {"input": make(demo, OVER(limit))}, token)[mutation]["userErrors"]
    ours = [e for e in errors if e["field"] == ["input", field]]
    assert ours and ours[0]["code"] == "INVALID" and f"at most {limit:,} characters" in ours[0]["message"], errors
    after = api.run(AuditEntry.all().count()), api.run(CheckIn.all().count()), api.run(Objective.all().count()), \
        api.run(LeadEvent.all().count())
    assert after == before


def test_a_free_text_at_its_limit_is_kept_whole(api, demo):
    comment = "c" * texts.COMMENT
    query = "mutation($input: KeyResultCheckInInput!) { keyResultCheckIn(input: $input) { %s } }" % PAYLOAD
    kr = demo["objective"]["keyResults"][0]["id"]
    assert api.gql(query, {"input": {"keyResultId": kr, "comment": comment}}, demo["admin"])[
        "keyResultCheckIn"]["userErrors"] == []
    assert api.run(CheckIn.filter(comment=comment).count()) == 1


def test_a_dispute_resolution_over_its_limit_is_invalid(api, demo):
    made = api.gql("""mutation($input: CompDisputeCreateInput!) { compDisputeCreate(input: $input) {
      compDispute { id } userErrors { code } } }""", {"input": {"period": demo["period"], "component": "Team bookings",
                                                                  "reason": "the deal closed in time"}},
                   demo["omar_token"])["compDisputeCreate"]
    assert made["userErrors"] == [], made
    before = api.run(AuditEntry.all().count())
    query = "mutation($input: CompDisputeResolveInput!) { compDisputeResolve(input: $input) { %s } }" % PAYLOAD
    errors = api.gql(query, {"input": {"id": made["compDispute"]["id"], "resolution": OVER(texts.REASON)}},
                     demo["admin"])["compDisputeResolve"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "resolution"], "INVALID")]
    assert api.run(AuditEntry.all().count()) == before
