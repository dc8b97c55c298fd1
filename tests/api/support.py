"""GraphQL snippets the API tests share."""
from __future__ import annotations

TEAM_CREATE = """
mutation($input: TeamCreateInput!) {
  teamCreate(input: $input) { team { id name function } userErrors { field message code } }
}"""

PERSON_FIELDS = """id name email role active version team { id name } annualCost annualQuota
  sellingHoursPerWeek workingWeeksPerYear costPerSellingHour quotaPerSellingHour"""

PERSON_CREATE = """
mutation($input: PersonCreateInput!) {
  personCreate(input: $input) { person { %s } userErrors { field message code } }
}""" % PERSON_FIELDS

PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { %s } userErrors { field message code } }
}""" % PERSON_FIELDS


def create_team(api, token, name="Field Sales", function="SALES") -> str:
    result = api.gql(TEAM_CREATE, {"input": {"name": name, "function": function}}, token)["teamCreate"]
    assert result["userErrors"] == [], result
    return result["team"]["id"]


def create_person(api, token, team_id, email="sofia@example.com", name="Sofia Seller", role="MEMBER",
                  **figures) -> dict:
    data = {"name": name, "email": email, "teamId": team_id, "role": role, **figures}
    result = api.gql(PERSON_CREATE, {"input": data}, token)["personCreate"]
    assert result["userErrors"] == [], result
    return result["person"]


def codes(errors) -> list[str]:
    return [e["extensions"]["code"] for e in errors or []]
