"""Tokens, roles and the privacy rule, through GraphQL over HTTP."""
import hashlib
from datetime import datetime, timezone

from domain.org.models import ApiToken, Person
from domain.org.rules import Role
from domain.org.service import create_token
from tests.api.support import PERSON_UPDATE, TEAM_CREATE, codes, create_person, create_team

VIEWER = "{ viewer { name role person { email } token { id name } } }"


def test_without_a_token_every_operation_is_unauthenticated(api, admin):
    for token in (None, "sg_not-a-real-token", "garbage"):
        body = api.post(VIEWER, token=token)
        assert body["data"] is None
        assert codes(body["errors"]) == ["UNAUTHENTICATED"]
    body = api.post(TEAM_CREATE, {"input": {"name": "X", "function": "SALES"}})
    assert codes(body["errors"]) == ["UNAUTHENTICATED"]


def test_a_service_token_has_a_role_and_no_person(api):
    token = api.token("FINANCE")
    viewer = api.gql(VIEWER, token=token)["viewer"]
    assert viewer["role"] == "FINANCE" and viewer["person"] is None
    assert viewer["name"] == "finance service token"


def test_a_person_token_acts_as_the_person_with_their_role(api, admin):
    team = create_team(api, admin)
    create_person(api, admin, team, email="lead@example.com", name="Lee Leader", role="LEADER")
    viewer = api.gql(VIEWER, token=api.token(person="lead@example.com"))["viewer"]
    assert viewer == {"name": "Lee Leader", "role": "LEADER", "person": {"email": "lead@example.com"},
                      "token": viewer["token"]}


def test_a_person_token_follows_a_role_change(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team, email="m@example.com")
    token = api.token(person="m@example.com")
    assert api.gql(VIEWER, token=token)["viewer"]["role"] == "MEMBER"
    api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "role": "LEADER"}}, admin)
    assert api.gql(VIEWER, token=token)["viewer"]["role"] == "LEADER"


def test_only_the_hash_of_a_token_is_stored(api):
    secret, token = api.run(create_token(role=Role.ADMIN))
    stored = api.run(ApiToken.get(id=token.id))
    assert secret not in (stored.token_hash, stored.name)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_a_revoked_token_stops_working_at_once(api):
    token = api.token("MEMBER")
    token_id = api.gql(VIEWER, token=token)["viewer"]["token"]["id"]
    result = api.gql("mutation($id: ID!) { tokenRevoke(input: {id: $id}) { token { revokedAt } userErrors { code } } }",
                     {"id": token_id}, token)["tokenRevoke"]
    assert result["userErrors"] == [] and result["token"]["revokedAt"]
    assert codes(api.post(VIEWER, token=token)["errors"]) == ["UNAUTHENTICATED"]


def test_only_an_admin_revokes_someone_elses_token(api, admin):
    victim = api.token("MEMBER")
    victim_id = api.gql(VIEWER, token=victim)["viewer"]["token"]["id"]
    mutation = "mutation($id: ID!) { tokenRevoke(input: {id: $id}) { token { id } userErrors { code field } } }"
    result = api.gql(mutation, {"id": victim_id}, api.token("LEADER"))["tokenRevoke"]
    assert result["userErrors"] == [{"code": "FORBIDDEN", "field": ["input", "id"]}]
    assert api.gql(VIEWER, token=victim)["viewer"]["role"] == "MEMBER"  # still works
    assert api.gql(mutation, {"id": victim_id}, admin)["tokenRevoke"]["userErrors"] == []
    assert codes(api.post(VIEWER, token=victim)["errors"]) == ["UNAUTHENTICATED"]


def test_an_expired_token_is_unauthenticated(api):
    secret, _ = api.run(create_token(role=Role.ADMIN, expires_at=datetime(2026, 12, 1, tzinfo=timezone.utc)))
    api.set_now(datetime(2026, 11, 30, tzinfo=timezone.utc))
    assert api.gql(VIEWER, token=secret)["viewer"]["role"] == "ADMIN"
    api.set_now(datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert codes(api.post(VIEWER, token=secret)["errors"]) == ["UNAUTHENTICATED"]


def test_deactivating_a_person_ends_their_tokens_and_keeps_their_history(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team, email="leaver@example.com")
    token = api.token(person="leaver@example.com")
    result = api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "active": False}}, admin)["personUpdate"]
    assert result["person"]["active"] is False
    assert codes(api.post(VIEWER, token=token)["errors"]) == ["UNAUTHENTICATED"]
    assert api.run(Person.filter(email="leaver@example.com").count()) == 1


def test_only_admins_manage_teams_and_people(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team)
    for role in ("LEADER", "FINANCE", "MEMBER"):
        token = api.token(role)
        body = api.post(TEAM_CREATE, {"input": {"name": f"By {role}", "function": "SALES"}}, token)
        assert body["data"] == {"teamCreate": None} and codes(body["errors"]) == ["FORBIDDEN"]
        body = api.post(PERSON_UPDATE, {"input": {"id": person["id"], "name": "Hacked"}}, token)
        assert codes(body["errors"]) == ["FORBIDDEN"]
    assert api.run(Person.get(email="sofia@example.com")).name == "Sofia Seller"
    assert api.gql("{ teams { name } }", token=admin)["teams"] == [{"name": "Field Sales"}]


COST = "query($id: ID!) { node(id: $id) { ... on Person { name annualCost costPerSellingHour quotaPerSellingHour } } }"
COSTS_IN_LIST = "{ people { edges { node { email annualCost costPerSellingHour } } } }"


def _org(api, admin):
    sales, marketing = create_team(api, admin), create_team(api, admin, "Demand Generation", "MARKETING")
    seller = create_person(api, admin, sales, email="seller@example.com", annualCost="210672", annualQuota="2000000")
    create_person(api, admin, sales, email="mate@example.com", name="Mate")
    create_person(api, admin, sales, email="saleslead@example.com", name="Sales Lead", role="LEADER")
    create_person(api, admin, marketing, email="mktlead@example.com", name="Mkt Lead", role="LEADER")
    return seller


def test_cost_is_visible_to_the_person_their_leader_finance_and_admin(api, admin):
    seller = _org(api, admin)
    for token in (api.token(person="seller@example.com"), api.token(person="saleslead@example.com"),
                  api.token("FINANCE"), admin):
        node = api.gql(COST, {"id": seller["id"]}, token)["node"]
        assert (node["annualCost"], node["costPerSellingHour"]) == ("210672.00", "399.00")


def test_cost_of_someone_else_is_null_and_forbidden_for_everyone_else(api, admin):
    seller = _org(api, admin)
    for token in (api.token(person="mate@example.com"), api.token(person="mktlead@example.com"),
                  api.token("LEADER"), api.token("MEMBER")):
        body = api.post(COST, {"id": seller["id"]}, token)
        node = body["data"]["node"]
        assert node["annualCost"] is None and node["costPerSellingHour"] is None
        assert node["quotaPerSellingHour"] == "3787.88"  # quota is not private
        assert sorted(codes(body["errors"])) == ["FORBIDDEN", "FORBIDDEN"]
        assert all(e["path"][-1] in ("annualCost", "costPerSellingHour") for e in body["errors"])


def test_cost_in_lists_is_shown_only_where_allowed(api, admin):
    _org(api, admin)
    body = api.post(COSTS_IN_LIST, token=api.token(person="mate@example.com"))
    by_email = {e["node"]["email"]: e["node"] for e in body["data"]["people"]["edges"]}
    assert by_email["mate@example.com"]["annualCost"] is None  # no cost set, but visible
    assert by_email["seller@example.com"]["annualCost"] is None
    forbidden_paths = {(e["path"][2], e["path"][-1]) for e in body["errors"]}
    assert all(code == "FORBIDDEN" for code in codes(body["errors"]))
    assert len(forbidden_paths) == 2 * 3  # three other people, two private fields each


def test_the_viewer_person_path_follows_the_privacy_rule_too(api, admin):
    _org(api, admin)
    body = api.post("{ viewer { person { annualCost costPerSellingHour } } }", token=api.token(person="seller@example.com"))
    assert body["data"]["viewer"]["person"] == {"annualCost": "210672.00", "costPerSellingHour": "399.00"}


def test_someone_elses_token_is_forbidden_through_node(api, admin):
    other = api.token("MEMBER")
    other_id = api.gql(VIEWER, token=other)["viewer"]["token"]["id"]
    body = api.post("query($id: ID!) { node(id: $id) { id } }", {"id": other_id}, api.token("MEMBER"))
    assert body["data"]["node"] is None and codes(body["errors"]) == ["FORBIDDEN"]
    assert api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": other_id}, admin)["node"]["id"] == other_id
