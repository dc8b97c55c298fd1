"""Fuzzing the GraphQL endpoint with schemathesis, as an admin, on the demo organisation plus a generated history.

Every query and mutation field of the live schema (loaded by introspection from the loopback server) gets
generated operations, positive (valid per the schema) and negative (invalid ones the server must refuse), with
our scalar strategies (tests/fuzz_support.py) that often name real rows; each case goes as schemathesis would send
it through the app's whole ASGI stack in process (the harness's transport: no socket to open per case). A case fails when the server answers a
5xx, logs an unexpected error (what production masks as "Unexpected error"), returns an execution error without
a code, or lets Python, ORM or SQL internals into a message. A refusal by a limit, a validation error, FORBIDDEN,
NOT_FOUND or userErrors is a right answer.

`make test` runs a bounded, derandomized run (FUZZ_EXAMPLES examples per operation, 15 by default); `make fuzz`
a longer one (FUZZ_EXAMPLES=500 by default there). Each operation has its own seed derived from FUZZ_SEED, so
a run is the same every time; FUZZ_SEED picks other cases. Mutations run after all queries, in the same test, on
data the `api` fixture empties before the next test. Cases alternate between two admins: a service token and
Ada, an admin who is a person (made an active admin again before each operation).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections import Counter
from dataclasses import replace

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode, derive_operation_seed

from api.app import create_app
from api.demo import ADMIN_EMAIL
from domain.dataset.service import Options, generate
from domain.org.models import Person
from domain.org.rules import Role
from domain.org.service import create_token
from tests.api.fixtures import demo_org as demo  # noqa: F401  (the fixture)
from tests.api.support import codes
from tests.harness import snapshot
from tests.fuzz_support import (POOL, REACH, Pool, ServerLog, Stats, dumps, is_known, nested_cases,
                                 nested_fields_with_arguments, outcome, problems, register_scalars, shape_arguments)

# Both kinds of admin: a service token, and Ada's (an admin who is a person in a team)
SERVICE, PERSON = "service token", ADMIN_EMAIL
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or "15")
SEED = int(os.environ.get("FUZZ_SEED") or "20261123")
# No example database and no "explain" phase: the same seed gives the same cases on every run
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)

register_scalars()

# Queries that show the seeded rows, so the strategies can name them (ids, cursors, period keys, names)
HARVEST = [
    "{ periods { key } teams { id name } }",
    "{ people(first: 100) { edges { cursor node { id name email } } } }",
    """query($p: String!) { objectives(period: $p, first: 100, includeArchived: true) { edges { cursor node {
         id title keyResults { id title history(first: 20) { edges { cursor } } } } } } }""",
    "{ leads(first: 100) { edges { cursor node { id externalId source industry region } } } }",
    "{ opportunities(first: 100) { edges { cursor node { id externalId name } } } }",
    "{ leadDefinitions { id name } }",
    """query($p: String!) { compStatements(period: $p) { person { id } lines { component } } }""",
    """query($p: String!) { slaReport(period: $p) { agreement { id } }
         attributionModelsOfRecord(period: $p) { id } }""",
    "{ auditLog(first: 100) { edges { cursor node { entity entityId action actorName } } } }",
]

PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { compPlan { id }
  userErrors { message } } }"""
PROPOSE = """mutation($p: String!) { attributionModelOfRecordPropose(input: {period: $p, model: LINEAR}) {
  modelOfRecord { id } userErrors { message } } }"""
EXPORT_TOKEN = """mutation { exportTokenCreate(input: {name: "fuzz"}) { token { id } userErrors { message } } }"""


@snapshot
def demo_with_history(demo, api, admin):
    """The demo organisation and a generated history of 120 leads over two quarters."""
    api.run(generate(Options(leads=120, seed=7, quarters=2)))



def _sent(case) -> str:
    """The text of a case's request (its query and variables), which a message may quote back."""
    return json.dumps([getattr(case, "body", None), getattr(case, "query", None)], default=str)

class Fuzz:
    def __init__(self, api) -> None:
        self.api = api
        self.url = api.server.base_url + "/graphql"
        self.tokens: dict[str, str] = {}
        self.mint(SERVICE)
        self.stats = Stats()
        self.log = ServerLog()

    def mint(self, who: str) -> None:
        if who == SERVICE:
            self.tokens[who] = self.api.token(Role.ADMIN)
        else:
            self.tokens[who], _ = self.api.run(_ada_token(self.ada))

    def headers(self, who: str = SERVICE) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    @property
    def token(self) -> str:
        return self.tokens[SERVICE]

    def seed(self) -> None:
        period = self.api.gql("{ periods { key } }", token=self.token)["periods"][0]["key"]
        people = self.api.gql("{ people(first: 100) { edges { node { id email } } } }", token=self.token)
        seller = next(e["node"]["id"] for e in people["people"]["edges"] if e["node"]["email"].startswith("sofia"))
        made = [
            self.api.gql(PLAN, {"input": {"personId": seller, "period": period, "targetVariable": "20000",
                                          "components": [
                {"name": "Bookings", "metric": "OWN_BOOKINGS", "quota": "500000", "weight": "0.7", "accelerator": "2"},
                {"name": "Shared MQLs", "metric": "MQLS_DELIVERED", "quota": "4", "weight": "0.3"}]}},
                self.token)["compPlanCreate"],
            self.api.gql(PROPOSE, {"p": period}, self.token)["attributionModelOfRecordPropose"],
            self.api.gql(EXPORT_TOKEN, token=self.token)["exportTokenCreate"],
        ]
        assert all(not m["userErrors"] for m in made), made
        self.ada = self.api.run(Person.get(email=ADMIN_EMAIL)).id
        self.mint(PERSON)

    def harvest(self, node_types: list[str]) -> None:
        pool = Pool(node_types=sorted(node_types))
        for period in ("2026-Q4", "2026-Q3"):
            for query in HARVEST:
                body = self.api.post(query, {"p": period} if "$p" in query else None, self.token)
                assert not body.get("errors"), body
                pool.harvest(body["data"])
        pool.by_key["team"] = [t["name"] for t in self.api.gql("{ teams { name } }", token=self.token)["teams"]]
        pool.freeze()
        POOL.__dict__.update(pool.__dict__)

    def send(self, case, who: str) -> httpx.Response:
        """The request schemathesis would send for the case, through the app in process (the harness's transport)."""
        request = case.as_transport_kwargs(base_url=self.url, headers=self.headers(who))
        assert request["url"] == self.url, request
        return self.api.http.request(request["method"], "/graphql", headers=request["headers"],
                                     **{k: request[k] for k in ("json", "data", "params") if request.get(k)})

    def check(self, case, who: str) -> None:
        response = self.send(case, who)
        if response.status_code == 200 and _unauthenticated(response):
            # A fuzzed tokenRevoke (or a personUpdate deactivating Ada) ended the token: take a new one
            self.mint(who)
            response = self.send(case, who)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        found = problems(response.status_code, body, self.log.take(), _sent(case))
        self.stats.cases += 1
        self.stats.by_operation[case.operation.label] += 1
        mode = case.meta.generation.mode.value if case.meta else "?"
        kind = f"{mode:8s} {outcome(response.status_code, body)}"
        self.stats.outcomes[kind] += 1
        self.stats.per_operation.setdefault(case.operation.label, Counter())[kind] += 1
        if found:
            report = f"{case.operation.label} as {who}: {'; '.join(found)}\nquery: {case.body}\nresponse: {dumps(body)}"
            if is_known(case.operation.label, found):
                self.stats.known.append(report)
                return
            self.stats.failures.append(report)
            raise AssertionError(report)


async def _ada_token(pk: int):
    """A token of Ada, made an active admin again first: fuzzed personUpdates may have changed her."""
    taken = await Person.filter(email=ADMIN_EMAIL).exclude(id=pk).exists()
    await Person.filter(id=pk).update(active=True, role=Role.ADMIN, **({} if taken else {"email": ADMIN_EMAIL}))
    return await create_token(person_email=(await Person.get(id=pk)).email)


def _unauthenticated(response) -> bool:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any((e.get("extensions") or {}).get("code") == "UNAUTHENTICATED" for e in errors)


@pytest.fixture
def fuzz(demo_with_history, api, request):
    fuzz = Fuzz(api)
    fuzz.seed()
    began = time.perf_counter()
    with fuzz.log:
        yield fuzz
    if os.environ.get("FUZZ_REPORT"):  # outcomes per operation and every failing (or known) case, for the record
        with open(os.environ["FUZZ_REPORT"], "w") as out:
            out.write("\n\n".join([fuzz.stats.summary(time.perf_counter() - began, verbose=True),
                                    *fuzz.stats.failures, *fuzz.stats.known]))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown whether the test passed or not
            reporter.write_line("\n" + fuzz.stats.summary(time.perf_counter() - began))


def _operations(fuzz):
    """Every query and mutation field of the live schema, queries first, with the harvested pool ready."""
    loaded = schemathesis.graphql.from_url(fuzz.url, headers=fuzz.headers(), timeout=60)
    node_types = [t.name for t in loaded.client_schema.type_map.values()
                  if getattr(t, "interfaces", None) and any(i.name == "Node" for i in t.interfaces)]
    fuzz.harvest(node_types)
    return [result.ok() for result in loaded.get_all_operations()]


@st.composite
def _cases(draw, operation, mode: GenerationMode):
    """Schemathesis' cases for one operation; positive ones with their arguments fitted to their names."""
    case = draw(operation.as_strategy(generation_mode=mode))
    if case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE:
        case.body = shape_arguments(draw, case.body, operation.definition.field_name)
    return case


def test_the_graphql_api_survives_fuzzing(fuzz):
    # One Hypothesis test per operation, run here rather than through `schemathesis.pytest.from_fixture(...)
    # .parametrize()`: that needs the live server's fixture, and its lazy loader sets `item._nodeid`, which pytest 9.2
    # no longer has (AttributeError). The cases are schemathesis' own (`operation.as_strategy`).
    failures = {}
    for operation in _operations(fuzz):
        fuzz.mint(PERSON)
        strategy = st.one_of([_cases(operation, mode) for mode in GenerationMode])

        @seed(derive_operation_seed(SEED, operation.label))
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
                  suppress_health_check=list(HealthCheck), phases=PHASES)
        @given(case=strategy, who=st.sampled_from([SERVICE, SERVICE, PERSON]))
        def fuzz_one(case, who):
            fuzz.check(case, who)

        try:
            fuzz_one()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}: {exc}" for label, exc in failures.items())


def test_the_arguments_of_nested_fields_survive_fuzzing(fuzz):
    """Every field with arguments below the root (Opportunity.credits, the trace connections, Lead.timeline, ...)
    fuzzed on its own, on rows of its type: its arguments must be checked like the same arguments of a root field."""
    loaded = schemathesis.graphql.from_url(fuzz.url, headers=fuzz.headers(), timeout=60)
    schema = loaded.client_schema
    nested = nested_fields_with_arguments(schema)
    assert nested and not [t for t, _ in nested if t not in REACH], "add a REACH query for each type listed"
    fuzz.harvest([t.name for t in schema.type_map.values()
                  if getattr(t, "interfaces", None) and any(i.name == "Node" for i in t.interfaces)])
    failures = {}
    for type_name, field_name in nested:
        label = f"{type_name}.{field_name}"

        @seed(derive_operation_seed(SEED, label))
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
                  suppress_health_check=list(HealthCheck), phases=PHASES)
        @given(query=nested_cases(schema, type_name, field_name), period=st.sampled_from(["2026-Q4", "2026-Q3"]),
               data=st.data())
        def fuzz_one(query, period, data):
            query = shape_arguments(data.draw, query, field_name)
            response = fuzz.api.http.post("/graphql", json={"query": query, "variables": {"p": period}},
                                          headers=fuzz.headers())
            try:
                body = response.json()
            except ValueError:
                body = response.text
            found = problems(response.status_code, body, fuzz.log.take(), json.dumps([query, period]))
            fuzz.stats.cases += 1
            fuzz.stats.by_operation[label] += 1
            fuzz.stats.outcomes[f"nested   {outcome(response.status_code, body)}"] += 1
            if found:
                report = f"{label}: {'; '.join(found)}\nquery: {query}\nresponse: {dumps(body)}"
                fuzz.stats.failures.append(report)
                raise AssertionError(report)

        try:
            fuzz_one()
        except Exception as exc:  # every field's failure, then all of them
            failures[label] = exc
    assert not failures, "\n\n".join(f"{label}: {exc}" for label, exc in failures.items())


# --- what fuzzing found, as explicit examples ---------------------------------------------------------------

def _production(api, live_server, query: str, token: str) -> dict:
    app = create_app(replace(live_server.settings, env="production"), manage_db=False)

    async def ask():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return (await client.post("/graphql", json={"query": query},
                                      headers={"Authorization": f"Bearer {token}"})).json()
    return api.run(ask())


def test_a_scalar_literal_the_scalar_refuses_is_the_clients_error_in_production(api, admin, live_server, caplog):
    # Was masked as "Unexpected error" (INTERNAL) and logged as an incident; 0001-01-01T00:00:00+01:00 overflowed.
    queries = {
        '{ attribution(period: "2026-Q4", halfLifeDays: "abc") { __typename } }': "'abc' is not a decimal number",
        '{ attribution(period: "2026-Q4", halfLifeDays: "1e19") { __typename } }': "18 before the point",
        """mutation { leadImport(input: {records: [{externalId: "L-1", company: "Acme",
             createdAt: "0001-01-01T00:00:00+01:00"}]}) { created } }""": "out of the range of dates",
        """mutation { leadImport(input: {records: [{externalId: "L-1", company: "Acme",
             createdAt: "2026-11-23T09:00:00"}]}) { created } }""": "has no zone offset",
    }
    with caplog.at_level(logging.ERROR, logger="sharedgoals.graphql"):
        for query, message in queries.items():
            body = _production(api, live_server, query, admin)
            assert body["data"] is None and message in body["errors"][0]["message"], body
            assert "INTERNAL" not in str(body)
    assert not caplog.records


@pytest.mark.parametrize("node_id", ["", "abc", "-1", "0", "1.5", str(2**63), "1" + "0" * 40])
def test_node_with_a_key_no_row_can_have_is_null(api, admin, node_id):
    # `node`/`nodes` with Team:<not an int> raised ValueError, and Team:<beyond 64 bits> overflowed the query
    gid = base64.b64encode(f"Team:{node_id}".encode()).decode()
    body = api.post("query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }", {"id": gid}, admin)
    assert body == {"data": {"node": None, "nodes": [None]}}, body


def test_an_id_argument_beyond_64_bits_is_not_found(api, admin):
    gid = base64.b64encode(f"Person:{2**64}".encode()).decode()
    body = api.post("query($id: ID!) { people(teamId: $id) { edges { cursor } } }",
                    {"id": base64.b64encode(f"Team:{2**64}".encode()).decode()}, admin)
    assert codes(body["errors"]) == ["NOT_FOUND"], body
    body = api.post("query($id: ID!) { auditLog(actorPersonId: $id) { edges { cursor } } }", {"id": gid}, admin)
    assert codes(body["errors"]) == ["NOT_FOUND"], body


@pytest.mark.parametrize("key", [str(2**63), str(-(2**63) - 1), "1" + "0" * 30])
def test_a_cursor_beyond_64_bits_is_refused(api, admin, key):
    after = base64.b64encode(f"cursor:{key}".encode()).decode()
    for query in ('query($after: String) { objectives(period: "2026-Q4", after: $after) { edges { cursor } } }',
                  "query($after: String) { people(after: $after) { edges { cursor } } }"):
        body = api.post(query, {"after": after}, admin)
        assert codes(body["errors"]) == ["INVALID"], body
        assert body["errors"][0]["message"] == "after is not a cursor this API gave out"


def test_period_9999_q4_is_not_a_period_key(api, admin):
    # Its end (the start of 10000-Q1) is not a date: compStatements and others raised "year 10000 is out of range"
    body = api.post('{ compStatements(period: "9999-Q4") { totalPayout } }', token=admin)
    assert codes(body["errors"]) == ["INVALID"] and "is not a period key" in body["errors"][0]["message"], body
    assert api.gql('{ period(key: "9998-Q4") { key } }', token=admin) == {"period": {"key": "9998-Q4"}}


def test_an_audit_filter_longer_than_the_column_finds_nothing(api, admin):
    # The ORM refused to compare a value longer than the column (ValidationError): unexpected error
    long = "a" * 300
    data = api.gql('query($v: String) { auditLog(entity: $v) { edges { cursor } } a: auditLog(entityId: $v) '
                   '{ edges { cursor } } b: auditLog(action: $v) { edges { cursor } } }', {"v": long}, admin)
    assert data == {"auditLog": {"edges": []}, "a": {"edges": []}, "b": {"edges": []}}


def test_a_failing_field_does_not_cancel_a_loader_that_other_fields_wait_for(demo, api, admin):
    # graphql-core cancels the sibling fields of a field that fails; a cancelled field waiting on a DataLoader
    # cancelled the loader's shared future, so every other field waiting on it raised CancelledError: HTTP 500
    edges = api.gql('{ objectives(period: "%s") { edges { node { id keyResults { id } } } } }'
                    % _current_period(api, admin), token=admin)["objectives"]["edges"]
    objective = next(e["node"]["id"] for e in edges if e["node"]["keyResults"])
    query = """query($id: ID!) {
      a: node(id: $id) { ... on Objective { keyResults { rawProgress checkIns(first: 0) { at } } } }
      b: node(id: $id) { ... on Objective { progress keyResults { rawProgress } } } }"""
    response = api.http.post("/graphql", json={"query": query, "variables": {"id": objective}},
                             headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["a"] is None and codes(body["errors"]) == ["INVALID"] * len(body["errors"]), body
    assert body["data"]["b"]["keyResults"], body


def _current_period(api, admin) -> str:
    return api.gql("{ periods { key } }", token=admin)["periods"][0]["key"]


def test_an_export_token_name_longer_than_the_column_is_a_user_error(demo, api, admin):
    # Was a tortoise ValidationError on save; the default name of a person with a 200-character name was too
    query = """mutation($name: String) { exportTokenCreate(input: {name: $name}) { token { name }
      userErrors { field code message } } }"""
    result = api.gql(query, {"name": "a" * 201}, admin)["exportTokenCreate"]
    assert result == {"token": None, "userErrors": [
        {"field": ["input", "name"], "code": "INVALID", "message": "a token name has at most 200 characters"}]}
    long_name = "L" * 200
    ada = api.gql("{ people(first: 1) { edges { node { id version } } } }", token=admin)["people"]["edges"][0]["node"]
    renamed = api.gql("""mutation($id: ID!, $name: String) { personUpdate(input: {id: $id, name: $name}) {
      userErrors { message } } }""", {"id": ada["id"], "name": long_name}, admin)["personUpdate"]
    assert renamed["userErrors"] == []
    created = api.gql(query, {"name": None}, api.token(person=ADMIN_EMAIL))["exportTokenCreate"]
    assert created["userErrors"] == [] and created["token"]["name"] == f"export token of {long_name}"[:200]


def _demo_person(api, admin, email_start: str) -> dict:
    people = api.gql("{ people(first: 100) { edges { node { id email } } } }", token=admin)["people"]["edges"]
    return next(e["node"] for e in people if e["node"]["email"].startswith(email_start))


@pytest.mark.parametrize("figures, field", [
    ({"annualQuota": "1E+17"}, "annualQuota"),                       # 10^19 cents overflowed the cents column
    ({"annualCost": "999999999999999999.99"}, "annualCost"),
    ({"sellingHoursPerWeek": "0.001"}, "sellingHoursPerWeek"),       # stored as 0.00: costPerSellingHour / 0
    ({"workingWeeksPerYear": "1E-18"}, "workingWeeksPerYear"),
])
def test_person_figures_the_columns_cannot_hold_are_user_errors(demo, api, admin, figures, field):
    sofia = _demo_person(api, admin, "sofia")
    result = api.gql("""mutation($input: PersonUpdateInput!) { personUpdate(input: $input) {
      person { costPerSellingHour } userErrors { field code } } }""", {"input": {"id": sofia["id"], **figures}},
                     admin)["personUpdate"]
    assert result == {"person": None, "userErrors": [{"field": ["input", field], "code": "INVALID"}]}
    assert api.gql('{ people(first: 100) { edges { node { costPerSellingHour } } } }', token=admin)


def test_pay_amounts_the_columns_cannot_hold_are_user_errors(demo, api, admin):
    sofia = _demo_person(api, admin, "sofia")
    period = _current_period(api, admin)
    component = {"name": "B", "metric": "OWN_BOOKINGS", "quota": "1", "weight": "1"}
    plan = api.gql(PLAN, {"input": {"personId": sofia["id"], "period": period, "targetVariable": "999999999999999999",
                                    "components": [component]}}, admin)["compPlanCreate"]
    assert plan["compPlan"] is None and plan["userErrors"], plan
    api.gql('mutation($p: String!) { periodClose(input: {period: $p, reason: "r"}) { userErrors { code } } }', {"p": period}, admin)
    adjustment = api.gql("""mutation($input: CompAdjustmentCreateInput!) { compAdjustmentCreate(input: $input) {
      compAdjustment { amount } userErrors { field code } } }""", {"input": {
        "personId": sofia["id"], "period": period, "amount": "-999999999999999999", "reason": "r"}},
                         admin)["compAdjustmentCreate"]
    assert adjustment == {"compAdjustment": None, "userErrors": [{"field": ["input", "amount"], "code": "INVALID"}]}


NUMERIC_OVERFLOWS = [
    'mutation { leadDefinitionCreate(input: {name: "x", behaviourPoints: {WEBINAR: 1}, halfLifeDays: "99999999"}) '
    '{ userErrors { code } } }',
    'mutation { leadDefinitionCreate(input: {name: "x", behaviourPoints: {WEBINAR: 1}, fitThreshold: "1e13"}) '
    '{ userErrors { code } } }',
    'mutation($m: ID!, $s: ID!) { slaAgreementCreate(input: {period: "2026-Q4", marketingTeamId: $m, salesTeamId: $s, '
    'mqlVolume: 5, acceptanceRateTarget: 0.5, handoverHours: "1e11", followUpHours: "1", followUpRateTarget: 0.5, '
    'decisionDays: "1"}) { userErrors { code } } }',
    'mutation { attributionModelOfRecordPropose(input: {period: "2026-Q4", model: TIME_DECAY, halfLifeDays: "1e17"}) '
    '{ userErrors { code } } }',
]


@pytest.mark.parametrize("query", NUMERIC_OVERFLOWS)
def test_numbers_beyond_a_numeric_column_are_refused_as_invalid(demo, api, admin, query):
    # Found by the fuzzer on PostgreSQL ("numeric field overflow"): the domain now bounds these numbers by their
    # columns, on both databases, and answers a userError on the field.
    teams = {t["name"]: t["id"] for t in api.gql("{ teams { id name } }", token=admin)["teams"]}
    body = api.post(query, {"m": teams["Demand Generation"], "s": teams["Field Sales"]} if "$m" in query else None,
                    admin)
    assert not body.get("errors"), body
    (payload,) = body["data"].values()
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID"], payload


def test_a_plan_with_a_tiny_quota_still_has_statements_and_the_period_still_closes(demo_with_history, api, admin):
    # The payout of a tiny quota × a steep curve was too long to round to cents: compStatements and periodClose
    # failed with decimal.InvalidOperation; locking a curve beyond NUMERIC(24, 6) failed the close too. A line now
    # pays at most what an amount can be, and a locked line keeps its figures at the column's limit.
    period, sofia = _current_period(api, admin), _demo_person(api, admin, "sofia")
    plan = api.gql(PLAN, {"input": {"personId": sofia["id"], "period": period, "targetVariable": "999999999999",
                                    "components": [{"name": "B", "metric": "TEAM_BOOKINGS", "quota": "0.000001",
                                                    "weight": "1", "accelerator": "999999999999999999"}]}}, admin)
    assert plan["compPlanCreate"]["userErrors"] == [], plan
    statements = """query($p: String!, $id: ID) { compStatements(period: $p, personId: $id) {
      totalPayout locked lines { payout } } }"""
    mine = {"p": period, "id": sofia["id"]}
    assert api.gql(statements, mine, admin)["compStatements"] == [
        {"totalPayout": "999999999999.99", "locked": False, "lines": [{"payout": "999999999999.99"}]}]
    closed = api.gql('mutation($p: String!) { periodClose(input: {period: $p, reason: "r"}) { userErrors { code } } }',
                     {"p": period}, admin)
    assert closed["periodClose"]["userErrors"] == []
    assert api.gql(statements, mine, admin)["compStatements"][0]["locked"] is True


# --- found on PostgreSQL --------------------------------------------------------------------------------------

def test_ids_and_cursors_beyond_a_32_bit_id_column_find_nothing(demo, api, admin):
    # Most ids are 32-bit on PostgreSQL ("value out of int32 range"), some (leads, deals) 64-bit
    big = 2**40
    gid = lambda type_name: base64.b64encode(f"{type_name}:{big}".encode()).decode()
    body = api.post("query($t: ID!, $l: ID!, $a: ID!, $s: ID!) { t: node(id: $t) { id } l: node(id: $l) { id } "
                    "a: node(id: $a) { id } s: node(id: $s) { id } nodes(ids: [$t, $l]) { id } }",
                    {"t": gid("Team"), "l": gid("Lead"), "a": gid("ApiToken"), "s": gid("SlaAgreement")}, admin)
    assert body == {"data": {"t": None, "l": None, "a": None, "s": None, "nodes": [None, None]}}, body
    body = api.post("query($id: ID!) { people(teamId: $id) { edges { cursor } } }", {"id": gid("Team")}, admin)
    assert codes(body["errors"]) == ["NOT_FOUND"], body
    after = base64.b64encode(f"cursor:{big}".encode()).decode()
    data = api.gql("query($a: String) { people(after: $a) { edges { cursor } } leads(after: $a) { edges { cursor } } "
                   "auditLog(after: $a) { edges { cursor } } }", {"a": after}, admin)
    assert data == {"people": {"edges": []}, "leads": {"edges": []}, "auditLog": {"edges": []}}
    before = base64.b64encode(f"cursor:{-big}".encode()).decode()
    assert len(api.gql("query($a: String) { people(first: 5, after: $a) { edges { cursor } } }", {"a": before},
                       admin)["people"]["edges"]) == 5  # a cursor below every id starts at the first


@pytest.mark.parametrize("query, variables", [
    ('mutation { exportTokenCreate(input: {name: "a\\u0000b"}) { userErrors { code } } }', None),
    ("mutation($name: String) { exportTokenCreate(input: {name: $name}) { userErrors { code } } }", {"name": "\x00"}),
    ('query($e: String) { auditLog(entityId: $e) { edges { cursor } } }', {"e": "x\x00"}),
    ("mutation($p: JSON!) { leadDefinitionCreate(input: {name: \"x\", behaviourPoints: $p}) { userErrors { code } } }",
     {"p": {"WEBINAR\x00": 1}}),
])
def test_text_with_a_nul_character_is_refused(api, admin, query, variables):
    # PostgreSQL cannot store or compare it: "invalid byte sequence for encoding UTF8: 0x00"
    body = api.post(query, variables, admin)
    assert body["data"] is None and codes(body["errors"]) == ["INVALID"], body
    assert "NUL character" in body["errors"][0]["message"]


def test_a_decimal_has_at_most_18_digits_before_the_point(api, admin):
    # 1E+18 (19 digits) passed the scalar and overflowed NUMERIC(24, 6) on PostgreSQL (keyResultUpdate weight)
    query = '{ attribution(period: "2026-Q4", halfLifeDays: "%s") { __typename } }'
    assert "18 before the point" in api.post(query % "1E+18", token=admin)["errors"][0]["message"]
    assert api.gql(query % "999999999999999999.9999999999", token=admin) == {"attribution": []}
