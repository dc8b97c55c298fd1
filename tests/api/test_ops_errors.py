"""Bad input is the client's error, with a code, never an unexpected error: what the hygiene review found."""
import logging

import pytest
from strawberry import relay

from tests.api.fixtures import demo_org  # noqa: F401  (the fixture)
from tests.api.support import codes
from tests.api.fixtures import attribution_org as org  # noqa: F401  (the fixture: one won deal with five touches)

CREDITS = """query($id: ID!, $m: AttributionModel!, $h: Decimal, $w: CustomWeightsInput) { node(id: $id) {
  ... on Opportunity { credits(model: $m, halfLifeDays: $h, weights: $w) { weight } } } }"""
ROOT = """query($m: AttributionModel!, $h: Decimal, $w: CustomWeightsInput) {
  attribution(period: "2026-Q4", model: $m, halfLifeDays: $h, weights: $w) { key } }"""
WEIGHTS = {"ft": "0.4", "lc": "0.2", "oc": "0.2", "cw": "0.2",
           "others": "0"}


@pytest.fixture
def unexpected(caplog):
    """The unexpected errors the server logs (what production masks as INTERNAL)."""
    with caplog.at_level(logging.ERROR, logger="sharedgoals.graphql"):
        yield lambda: [r for r in caplog.records if r.name == "sharedgoals.graphql"]


def _deal_id(api, token):
    edges = api.gql("{ opportunities(first: 1) { edges { node { id } } } }", token=token)["opportunities"]["edges"]
    return edges[0]["node"]["id"]


@pytest.mark.parametrize("model, half_life, weights, argument", [
    ("CUSTOM", None, None, "weights"),           # rules.weights raised ValueError: logged with a traceback
    ("TIME_DECAY", "0", None, "halfLifeDays"),   # `half_life_days or 7` took 0 for the default
    ("TIME_DECAY", "-3", None, "halfLifeDays"),
    ("TIME_DECAY", "1000000", None, "halfLifeDays"),
    ("W_SHAPED", None, WEIGHTS, "weights"),      # weights only go with CUSTOM
])
def test_credits_arguments_are_checked_like_the_same_arguments_of_attribution(org, api, unexpected, model,
                                                                              half_life, weights, argument):
    variables = {"m": model, "h": half_life, "w": weights}
    nested = api.post(CREDITS, {"id": _deal_id(api, org.seller_token), **variables}, org.seller_token)
    root = api.post(ROOT, variables, org.seller_token)
    assert codes(nested["errors"]) == codes(root["errors"]) == ["INVALID"], (nested, root)
    assert nested["errors"][0]["message"] == root["errors"][0]["message"]
    assert nested["errors"][0]["path"] == ["node", "credits"]
    assert unexpected() == []


def test_credits_with_valid_custom_weights_follow_them(org, api):
    body = api.gql(CREDITS, {"id": _deal_id(api, org.seller_token), "m": "CUSTOM", "w": WEIGHTS}, org.seller_token)
    weights = [c["weight"] for c in body["node"]["credits"]]
    assert weights[0] == pytest.approx(0.4) and sum(weights) == pytest.approx(1)


@pytest.mark.parametrize("query", ['{ node(id: "") { id } }', '{ nodes(ids: ["", "VGVhbTox"]) { id } }',
                                   '{ node(id: "!!!") { id } }'])
def test_an_id_strawberry_cannot_read_is_an_invalid_error_with_a_code(api, admin, unexpected, query):
    # "Value cannot represent a GlobalID" came without extensions.code
    body = api.post(query, token=admin)
    assert body["errors"] and codes(body["errors"]) == ["INVALID"] * len(body["errors"]), body
    assert unexpected() == []


def test_every_execution_error_carries_a_code(demo_org, api, admin):
    body = api.post('{ a: node(id: "") { id } b: period(key: "nope") { key } }', token=admin)
    assert len(body["errors"]) == 2 and all(e["extensions"]["code"] for e in body["errors"]), body


def test_the_period_before_1900_q1_is_invalid_not_internal(demo_org, api, admin, unexpected):
    body = api.post('{ teamContribution(period: "1900-Q1") { team { name } previousPeriod { mqlsDelivered } } }',
                    token=admin)
    assert body["errors"] and set(codes(body["errors"])) == {"INVALID"}, body
    assert "1900-Q1 is the first period" in body["errors"][0]["message"]
    assert unexpected() == []  # was one unexpected error with a traceback per team
    assert api.gql('{ teamContribution(period: "1900-Q2") { previousPeriod { mqlsDelivered } } }', token=admin)


def test_a_subscription_over_http_post_is_a_bad_request(demo_org, api, admin, unexpected):
    # It ran, and ended at its first event with "Cannot return null" (an unexpected error in the log)
    objective = api.gql('{ objectives(period: "2026-Q4", first: 1) { edges { node { id } } } }',
                        token=admin)["objectives"]["edges"]
    subscription = "subscription($id: ID!) { keyResultUpdated(objectiveId: $id) { title } }"
    body = api.post(subscription, {"id": objective[0]["node"]["id"] if objective else "x"}, admin)
    assert body["data"] is None and codes(body["errors"]) == ["BAD_REQUEST"], body
    assert "websocket" in body["errors"][0]["message"]
    assert unexpected() == []


@pytest.mark.parametrize("last", [0, -1, 501])
def test_a_timeline_size_out_of_range_is_refused_like_a_page_size(api, admin, last):
    # It was clamped quietly to 1..500, where `first` of every connection is refused out of 1..100
    lead = api.gql("""mutation { leadImport(input: {records: [{externalId: "L-1", company: "Acme",
      createdAt: "2026-11-02T09:00:00+00:00"}]}) { created } }""", token=admin)
    assert lead["leadImport"]["created"] == 1
    body = api.post("query($n: Int!) { leads(first: 1) { edges { node { timeline(last: $n) { type } } } } }",
                    {"n": last}, admin)
    assert codes(body["errors"]) == ["INVALID"] and "between 1 and 500" in body["errors"][0]["message"], body
