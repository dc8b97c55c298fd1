"""Teams and people through GraphQL: economics, bad input, and nothing written on failure."""
from domain.org.models import Person, Team
from tests.api.support import (
    PERSON_CREATE, PERSON_UPDATE, TEAM_CREATE, codes, create_person, create_team,
)


def count(api, model) -> int:
    return api.run(model.all().count())


def test_person_economics_come_out_exactly(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team, annualCost="210672", annualQuota="2000000")
    assert person["sellingHoursPerWeek"] == "11"
    assert person["workingWeeksPerYear"] == "48"
    assert person["annualCost"] == "210672.00"
    assert person["costPerSellingHour"] == "399.00"
    assert person["quotaPerSellingHour"] == "3787.88"
    assert person["team"]["name"] == "Field Sales"


def test_team_create_records_the_team(api, admin):
    data = api.gql(TEAM_CREATE, {"input": {"name": "Demand Generation", "function": "MARKETING"}}, admin)
    assert data["teamCreate"]["team"]["function"] == "MARKETING"
    assert api.run(Team.filter(name="Demand Generation").count()) == 1
    teams = api.gql("{ teams { name function } }", token=admin)["teams"]
    assert teams == [{"name": "Demand Generation", "function": "MARKETING"}]


def test_duplicate_team_name_is_refused(api, admin):
    create_team(api, admin, "Field Sales")
    result = api.gql(TEAM_CREATE, {"input": {"name": "Field Sales", "function": "SALES"}}, admin)["teamCreate"]
    assert result["team"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("DUPLICATE", ["input", "name"])]
    assert count(api, Team) == 1


def test_duplicate_email_is_refused_case_insensitively(api, admin):
    team = create_team(api, admin)
    create_person(api, admin, team, email="sofia@example.com")
    result = api.gql(PERSON_CREATE, {"input": {"name": "Other", "email": "Sofia@Example.com", "teamId": team,
                                               "role": "MEMBER"}}, admin)["personCreate"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("DUPLICATE", ["input", "email"])]
    assert count(api, Person) == 1


def test_negative_figures_and_zero_hours_are_invalid_with_their_field_paths(api, admin):
    team = create_team(api, admin)
    result = api.gql(PERSON_CREATE, {"input": {
        "name": "Bad", "email": "bad@example.com", "teamId": team, "role": "MEMBER",
        "annualCost": "-1", "annualQuota": "-100", "sellingHoursPerWeek": "0"}}, admin)["personCreate"]
    assert result["person"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in result["userErrors"]) == [
        ("INVALID", ("input", "annualCost")),
        ("INVALID", ("input", "annualQuota")),
        ("INVALID", ("input", "sellingHoursPerWeek")),
    ]
    assert count(api, Person) == 0


def test_a_team_id_that_names_nothing_is_not_found(api, admin):
    create_team(api, admin)
    from schema.core.ids import encode_id
    for bad in (encode_id("Team", 999), encode_id("Person", 1), "not-an-id"):
        result = api.gql(PERSON_CREATE, {"input": {"name": "X", "email": "x@example.com", "teamId": bad,
                                                   "role": "MEMBER"}}, admin)["personCreate"]
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["input", "teamId"])]
    assert count(api, Person) == 0


def test_a_bad_email_is_invalid(api, admin):
    team = create_team(api, admin)
    result = api.gql(PERSON_CREATE, {"input": {"name": "X", "email": "not an email", "teamId": team,
                                               "role": "MEMBER"}}, admin)["personCreate"]
    assert [e["code"] for e in result["userErrors"]] == ["INVALID"]


def test_a_malformed_decimal_is_refused_by_graphql_itself(api, admin):
    team = create_team(api, admin)
    body = api.post(PERSON_CREATE, {"input": {"name": "X", "email": "x@example.com", "teamId": team,
                                              "role": "MEMBER", "annualCost": "12abc"}}, admin)
    assert body["errors"] and "decimal" in body["errors"][0]["message"]
    assert count(api, Person) == 0


def test_person_update_changes_fields_and_bumps_the_version(api, admin):
    sales, marketing = create_team(api, admin), create_team(api, admin, "Demand Generation", "MARKETING")
    person = create_person(api, admin, sales, annualCost="210672")
    result = api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "expectedVersion": 1, "teamId": marketing,
                                               "sellingHoursPerWeek": "12", "annualQuota": "600000"}},
                     admin)["personUpdate"]
    assert result["userErrors"] == []
    updated = result["person"]
    assert updated["team"]["name"] == "Demand Generation"
    assert updated["version"] == 2
    assert updated["costPerSellingHour"] == "365.75"  # 210672 / 576 = 365.75
    assert updated["name"] == "Sofia Seller"  # untouched fields stay


def test_person_update_with_a_stale_version_conflicts_and_changes_nothing(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team)
    api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "name": "First"}}, admin)
    result = api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "expectedVersion": 1, "name": "Second"}},
                     admin)["personUpdate"]
    assert [e["code"] for e in result["userErrors"]] == ["CONFLICT"]
    assert api.run(Person.get(email="sofia@example.com")).name == "First"


def test_person_update_can_clear_the_cost(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team, annualCost="100000")
    result = api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "annualCost": None}}, admin)["personUpdate"]
    assert result["person"]["annualCost"] is None
    assert result["person"]["costPerSellingHour"] is None


def test_person_update_refuses_bad_input_and_keeps_the_row(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team, annualCost="100000")
    result = api.gql(PERSON_UPDATE, {"input": {"id": person["id"], "annualCost": "-5", "name": "Changed"}},
                     admin)["personUpdate"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", ["input", "annualCost"])]
    stored = api.run(Person.get(email="sofia@example.com"))
    assert (stored.name, stored.annual_cost_cents, stored.version) == ("Sofia Seller", 10000000, 1)


def test_unknown_person_is_not_found(api, admin):
    from schema.core.ids import encode_id
    result = api.gql(PERSON_UPDATE, {"input": {"id": encode_id("Person", 42), "name": "X"}}, admin)["personUpdate"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["input", "id"])]


def test_people_is_a_connection_paged_by_cursor(api, admin):
    team = create_team(api, admin)
    for i in range(5):
        create_person(api, admin, team, email=f"p{i}@example.com", name=f"P{i}")
    query = """query($after: String) { people(first: 2, after: $after) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }"""
    names, after = [], None
    while True:
        page = api.gql(query, {"after": after}, admin)["people"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["P0", "P1", "P2", "P3", "P4"]


def test_page_size_outside_1_to_100_is_refused(api, admin):
    for first in (0, 101):
        body = api.post("query($f: Int!) { people(first: $f) { edges { cursor } } }", {"f": first}, admin)
        assert codes(body["errors"]) == ["INVALID"]


def test_people_filters_by_team_and_role(api, admin):
    sales, marketing = create_team(api, admin), create_team(api, admin, "Demand Generation", "MARKETING")
    create_person(api, admin, sales, email="a@example.com", name="A", role="LEADER")
    create_person(api, admin, sales, email="b@example.com", name="B")
    create_person(api, admin, marketing, email="c@example.com", name="C")
    query = "query($t: ID, $r: Role) { people(teamId: $t, role: $r) { edges { node { name } } } }"
    names = lambda **v: [e["node"]["name"] for e in api.gql(query, v, admin)["people"]["edges"]]
    assert names(t=sales) == ["A", "B"]
    assert names(t=sales, r="LEADER") == ["A"]
    assert names(t=marketing) == ["C"]


def test_node_and_nodes_resolve_people_and_teams(api, admin):
    team = create_team(api, admin)
    person = create_person(api, admin, team)
    data = api.gql("""query($p: ID!, $ids: [ID!]!) {
        node(id: $p) { __typename ... on Person { email } }
        nodes(ids: $ids) { __typename ... on Team { name } ... on Person { name } } }""",
                   {"p": person["id"], "ids": [team, person["id"]]}, admin)
    assert data["node"] == {"__typename": "Person", "email": "sofia@example.com"}
    assert data["nodes"] == [{"__typename": "Team", "name": "Field Sales"},
                             {"__typename": "Person", "name": "Sofia Seller"}]


def test_listing_people_with_their_teams_takes_a_constant_number_of_queries(api, admin):
    teams = [create_team(api, admin, f"Team {i}", "SALES") for i in range(3)]
    query = "{ people(first: 100) { edges { node { name team { name } costPerSellingHour } } } }"

    def statements(n_people):
        with api.count_queries() as counter:
            data = api.gql(query, token=admin)
        assert len(data["people"]["edges"]) == n_people
        return counter.count

    create_person(api, admin, teams[0], email="first@example.com")
    few = statements(1)
    for i in range(12):
        create_person(api, admin, teams[i % 3], email=f"p{i}@example.com")
    assert statements(13) == few == 3  # token, people page, teams of the page
