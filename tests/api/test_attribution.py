"""Attribution through GraphQL: one answer per model, credit that adds up to 100%, a jointly approved model of record."""
from datetime import datetime, timezone


from tests.api.fixtures import APPROVE, PROPOSE
from tests.api.fixtures import write_deal as _deal
from tests.api.fixtures import attribution_org as org  # noqa: F401  (the fixture)

UTC = timezone.utc
day = lambda d, m=10: datetime(2026, m, d, 12, tzinfo=UTC)
ATTRIBUTION = """query($m: AttributionModel, $g: CreditGroupBy!) { attribution(period: "2026-Q4", model: $m, groupBy: $g) {
  key label pipeline bookings pipelineShare bookingsShare } }"""
def _lines(api, token, model=None, group="TEAM"):
    return {line["label"]: line for line in api.gql(ATTRIBUTION, {"m": model, "g": group}, token)["attribution"]}


def test_w_shaped_credits_first_touch_lead_creation_and_opportunity_creation(org, api):
    lines = _lines(api, org.seller_token, "W_SHAPED")
    # FT (webinar) 30%, LC (email, last before MQL) 30%, OC (call before creation) 30%, the demo 10%
    assert lines["Demand Generation"]["bookings"] == "6000.00" and lines["Field Sales"]["bookings"] == "4000.00"
    assert lines["Demand Generation"]["bookingsShare"] == 0.6
    assert lines["Demand Generation"]["pipeline"] == "6000.00"  # created and won in the same quarter


def test_the_credits_of_a_deal_explain_every_touch_and_sum_to_its_amount(org, api):
    from schema.core.ids import encode_id
    query = """query($id: ID!) { node(id: $id) { ... on Opportunity { amount sourcedTeam { name }
        influencingTeams { name } credits(model: W_SHAPED) { channel weight amount team { name } } } } }"""
    deal = api.gql(query, {"id": encode_id("Opportunity", org.deal.id)}, org.seller_token)["node"]
    assert [(c["channel"], c["amount"]) for c in deal["credits"]] == [
        ("webinar", "3000.00"), ("email", "3000.00"), ("call", "3000.00"), ("demo", "1000.00")]
    assert sum(float(c["amount"]) for c in deal["credits"]) == float(deal["amount"])
    assert deal["sourcedTeam"]["name"] == "Demand Generation"
    assert {t["name"] for t in deal["influencingTeams"]} == {"Demand Generation", "Field Sales"}


def test_models_side_by_side(org, api):
    columns = api.gql("""{ attributionComparison(period: "2026-Q4", models: [FIRST_TOUCH, LAST_TOUCH, LINEAR]) {
        model lines { label bookings } } }""", token=org.seller_token)["attributionComparison"]
    by_model = {c["model"]: {line["label"]: line["bookings"] for line in c["lines"]} for c in columns}
    assert by_model["FIRST_TOUCH"] == {"Demand Generation": "10000.00"}
    assert by_model["LAST_TOUCH"] == {"Field Sales": "10000.00"}
    assert by_model["LINEAR"] == {"Demand Generation": "5000.00", "Field Sales": "5000.00"}


def test_a_deal_without_touches_is_unattributed_so_totals_still_add_up(org, api):
    _deal(api, None, 250_000, day(3, 11), status="OPEN", external_id="O-2")
    lines = api.gql(ATTRIBUTION, {"m": "W_SHAPED", "g": "CHANNEL"}, org.seller_token)["attribution"]
    unattributed = next(line for line in lines if line["key"] == "UNATTRIBUTED")
    assert (unattributed["pipeline"], unattributed["bookings"]) == ("2500.00", "0.00")
    assert sum(float(line["pipeline"]) for line in lines) == 12500.0
    assert sum(float(line["bookings"]) for line in lines) == 10000.0


def test_sourced_and_influenced_pipeline_per_team(org, api):
    rows = api.gql('{ pipelineByTeam(period: "2026-Q4") { team { name } sourcedPipeline influencedPipeline '
                   'sourcedBookings influencedBookings } }', token=org.seller_token)["pipelineByTeam"]
    by_team = {r["team"]["name"]: r for r in rows}
    assert by_team["Demand Generation"]["sourcedPipeline"] == "10000.00"
    assert by_team["Field Sales"]["sourcedPipeline"] == "0.00"
    assert by_team["Field Sales"]["influencedBookings"] == "10000.00"  # each influencer counts the full amount


def test_a_deal_both_sides_touched_is_a_shared_win(org, api):
    wins = api.gql('{ sharedWins(period: "2026-Q4") { name touchingTeams { name } touchingPeople { name } } }',
                   token=org.seller_token)["sharedWins"]
    assert wins == [{"name": "Deal O-1", "touchingTeams": [{"name": "Field Sales"}, {"name": "Demand Generation"}],
                     "touchingPeople": [{"name": "Sofia Seller"}, {"name": "Dana Demand"}]}]


def test_the_model_of_record_changes_only_when_both_sides_approve(org, api):
    assert _lines(api, org.seller_token)["Demand Generation"]["bookings"] == "6000.00"  # W_SHAPED by default
    proposal = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "FIRST_TOUCH"}},
                       org.marketing_leader)["attributionModelOfRecordPropose"]["modelOfRecord"]
    one = api.gql(APPROVE, {"id": proposal["id"]}, org.marketing_leader)["attributionModelOfRecordApprove"]
    assert one["modelOfRecord"]["status"] == "PROPOSED"
    assert _lines(api, org.seller_token)["Demand Generation"]["bookings"] == "6000.00"
    again = api.gql(APPROVE, {"id": proposal["id"]}, org.marketing_leader)["attributionModelOfRecordApprove"]
    assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE"]
    both = api.gql(APPROVE, {"id": proposal["id"]}, org.sales_leader)["attributionModelOfRecordApprove"]
    assert both["modelOfRecord"]["status"] == "ACTIVE" and both["modelOfRecord"]["approvedBy"] == ["MARKETING", "SALES"]
    assert _lines(api, org.seller_token)["Demand Generation"]["bookings"] == "10000.00"


def test_attributed_bookings_never_pay_a_deal_twice(org, api):
    from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Shared bookings", "period": "2026-Q4", "owners": [
        {"teamId": org.marketing, "share": "0.5"}, {"teamId": org.sales, "share": "0.5"}]}},
                        org.sales_leader)["objectiveCreate"]["objective"]
    credited = []
    for team in (org.marketing, org.sales):
        kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "Attributed", "kind": "INCREASE_TO",
                                           "unit": "CURRENCY", "start": "0", "target": "20000", "source": "METRIC",
                                           "metric": {"name": "ATTRIBUTED_BOOKINGS", "teamIds": [team]}}},
                     org.sales_leader)["keyResultCreate"]["keyResult"]
        credited.append(float(kr["current"]))
    assert credited == [6000.0, 4000.0] and sum(credited) == 10000.0  # all teams together: exactly the amount
    bookings = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": "Own bookings",
                                             "kind": "INCREASE_TO", "unit": "CURRENCY", "start": "0", "target": "20000",
                                             "source": "METRIC", "metric": {"name": "BOOKINGS", "teamIds": [org.sales]}}},
                       org.sales_leader)["keyResultCreate"]["keyResult"]
    assert bookings["current"] == "10000.00" and bookings["progress"] == 0.5


def test_a_closed_period_freezes_its_model_of_record(org, api):
    api.gql('mutation { periodClose(input: {period: "2026-Q4", reason: "early close"}) { userErrors { code } } }',
            token=org.admin)
    result = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "LINEAR"}},
                     org.marketing_leader)["attributionModelOfRecordPropose"]
    assert [e["code"] for e in result["userErrors"]] == ["PERIOD_CLOSED"]


def test_custom_weights_must_sum_to_one(org, api):
    result = api.gql(PROPOSE, {"input": {"period": "2026-Q4", "model": "CUSTOM", "weights": {
        "ft": "0.5", "lc": "0.5", "oc": "0.5", "cw": "0", "others": "0"}}}, org.marketing_leader)
    assert [(e["code"], e["field"]) for e in result["attributionModelOfRecordPropose"]["userErrors"]] == [
        ("INVALID", ["input", "weights"])]


def _csv(api, token, report, **params):
    import csv
    import io
    response = api.http.get(f"/export/{report}.csv", params={"period": "2026-Q4", **params},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_attribution_csv_has_the_graphql_lines(org, api):
    for model in ("W_SHAPED", "LINEAR"):
        rows = {r["label"]: r for r in _csv(api, org.seller_token, "attribution", model=model, groupBy="TEAM")}
        lines = _lines(api, org.seller_token, model)
        assert {k: (r["pipeline"], r["bookings"]) for k, r in rows.items()} == {
            k: (v["pipeline"], v["bookings"]) for k, v in lines.items()}
        assert {float(r["bookings_share"]) for r in rows.values()} == {v["bookingsShare"] for v in lines.values()}


def test_the_credits_csv_has_one_row_per_deal_and_touch_summing_to_the_amount(org, api):
    _deal(api, None, 250_000, day(3, 11), status="OPEN", external_id="O-2")
    rows = _csv(api, org.seller_token, "credits")
    won = [r for r in rows if r["opportunity"] == "O-1"]
    assert [(r["channel"], r["amount"]) for r in won] == [("webinar", "3000.00"), ("email", "3000.00"),
                                                          ("call", "3000.00"), ("demo", "1000.00")]
    assert sum(float(r["amount"]) for r in won) == 10000.0 and won[0]["model"] == "W_SHAPED"
    assert [(r["team"], r["amount"]) for r in rows if r["opportunity"] == "O-2"] == [("UNATTRIBUTED", "2500.00")]


def test_an_unknown_model_in_the_csv_is_a_clear_error(org, api):
    response = api.http.get("/export/attribution.csv", params={"period": "2026-Q4", "model": "MAGIC"},
                            headers={"Authorization": f"Bearer {org.seller_token}"})
    assert response.status_code == 400 and "model is one of" in response.text


def test_grouped_totals_equal_the_sum_of_per_deal_credits(org, api):
    lead = org.lead("L-2", company="Second")
    org.touch(lead, day(3), kind="MARKETING", team="Demand Generation", person="dana@example.com",
              channel="ads", external_id="s1")
    org.touch(lead, day(8), channel="call", external_id="s2")
    org.touch(lead, day(9), channel="call", external_id="s3")
    _deal(api, lead, 333_333, day(9), closed=day(30), external_id="O-3")
    for model in ("W_SHAPED", "LINEAR", "TIME_DECAY", "J_SHAPED"):
        per_team = {}
        for deal in api.gql("""query($m: AttributionModel!) { opportunities(first: 50) { edges { node {
                credits(model: $m) { amount team { name } } } } } }""", {"m": model}, org.seller_token)[
                "opportunities"]["edges"]:
            for credit in deal["node"]["credits"]:
                per_team[credit["team"]["name"]] = per_team.get(credit["team"]["name"], 0) + round(
                    float(credit["amount"]) * 100)
        lines = _lines(api, org.seller_token, model)
        assert {k: round(float(v["bookings"]) * 100) for k, v in lines.items()} == per_team, model


def test_pipeline_metrics_for_key_results(org, api):
    from tests.api.goals_support import KR_CREATE, OBJECTIVE_CREATE
    objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Pipeline", "period": "2026-Q4", "owners": [
        {"teamId": org.marketing, "share": "1"}]}}, org.marketing_leader)["objectiveCreate"]["objective"]
    values = {}
    for metric in ("SOURCED_PIPELINE", "PIPELINE_CREATED"):
        kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": metric, "kind": "INCREASE_TO",
                                           "unit": "CURRENCY", "start": "0", "target": "20000", "source": "METRIC",
                                           "metric": {"name": metric}}}, org.marketing_leader)["keyResultCreate"]
        values[metric] = kr["keyResult"]["current"]
    # marketing sourced the 10,000 deal; it is owned by a seller, so marketing's own created pipeline is 0
    assert values == {"SOURCED_PIPELINE": "10000.00", "PIPELINE_CREATED": "0.00"}  # CURRENCY: 2 places
