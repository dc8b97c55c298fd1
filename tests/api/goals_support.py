"""GraphQL snippets and set-up shared by the goals tests."""
from __future__ import annotations

from tests.api.support import create_person, create_team

ERRORS = "userErrors { field message code }"

OBJECTIVE_FIELDS = """id title version archived progress expectedProgress status score scoreOverrideReason
  period { key status } owners { share team { name } }
  keyResults { id title kind current progress rawProgress status weight
               checkIns { value confidence comment author { name } } }"""

OBJECTIVE_CREATE = """mutation($input: ObjectiveCreateInput!) {
  objectiveCreate(input: $input) { objective { %s } %s } }""" % (OBJECTIVE_FIELDS, ERRORS)
OBJECTIVE_UPDATE = """mutation($input: ObjectiveUpdateInput!) {
  objectiveUpdate(input: $input) { objective { %s } %s } }""" % (OBJECTIVE_FIELDS, ERRORS)
KR_CREATE = """mutation($input: KeyResultCreateInput!) {
  keyResultCreate(input: $input) { keyResult { id title current progress rawProgress status } %s } }""" % ERRORS
CHECK_IN = """mutation($input: KeyResultCheckInInput!) {
  keyResultCheckIn(input: $input) { checkIn { value confidence comment author { name } }
    keyResult { current progress rawProgress status } %s } }""" % ERRORS
OBJECTIVE = "query($id: ID!) { node(id: $id) { ... on Objective { %s } } }" % OBJECTIVE_FIELDS


class Goals:
    """A small organisation with a sales and a marketing team, their leaders and members."""

    def __init__(self, api, admin):
        self.api, self.admin = api, admin
        self.sales = create_team(api, admin, "Field Sales", "SALES")
        self.marketing = create_team(api, admin, "Demand Generation", "MARKETING")
        self.cs = create_team(api, admin, "Customer Success", "CUSTOMER_SUCCESS")
        create_person(api, admin, self.sales, email="saleslead@example.com", name="Sam Lead", role="LEADER")
        create_person(api, admin, self.sales, email="seller@example.com", name="Sofia Seller")
        create_person(api, admin, self.cs, email="cs@example.com", name="Casey Success")
        self.leader = api.token(person="saleslead@example.com")
        self.seller = api.token(person="seller@example.com")
        self.outsider = api.token(person="cs@example.com")

    def objective(self, title="Grow new-logo bookings 30%", period="2026-Q4", shares=("0.6", "0.4"), parents=None,
                  token=None) -> dict:
        owners = [{"teamId": self.sales, "share": shares[0]}, {"teamId": self.marketing, "share": shares[1]}]
        data = {"title": title, "period": period, "owners": owners}
        if parents:
            data["parents"] = parents
        result = self.api.gql(OBJECTIVE_CREATE, {"input": data}, token or self.leader)["objectiveCreate"]
        assert result["userErrors"] == [], result
        return result["objective"]

    def key_result(self, objective_id, kind="INCREASE_TO", start="0", target="100", weight="1", unit="COUNT",
                   title="Key result", **extra) -> dict:
        data = {"objectiveId": objective_id, "title": title, "kind": kind, "unit": unit, "start": start,
                "target": target, "weight": weight, **extra}
        result = self.api.gql(KR_CREATE, {"input": data}, self.leader)["keyResultCreate"]
        assert result["userErrors"] == [], result
        return result["keyResult"]

    def check_in(self, key_result_id, value=None, token=None, **extra) -> dict:
        data = {"keyResultId": key_result_id, **({"value": value} if value is not None else {}), **extra}
        return self.api.gql(CHECK_IN, {"input": data}, token or self.seller)["keyResultCheckIn"]

    def read(self, objective_id) -> dict:
        return self.api.gql(OBJECTIVE, {"id": objective_id}, self.seller)["node"]
