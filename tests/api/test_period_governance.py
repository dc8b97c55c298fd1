"""Period governance: closing a quarter freezes scores and pay for everyone, so who may close it depends on the
moment. Before its end only an ADMIN, with a reason; after it FINANCE or an ADMIN alone, or a sales-side and a
marketing-side leader's sign-offs (the second closes it). Open disputes need force and a reason. The clock is pinned."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import httpx
import pytest

from domain.audit.models import AuditEntry
from domain.comp.models import LockedLine
from domain.goals.models import ObjectiveScore
from domain.org.models import Period, PeriodCloseSignOff
from tests.api.goals_support import CHECK_IN, KR_CREATE, OBJECTIVE_CREATE
from tests.api.leads_support import DEFINITION_CREATE, ICP, Org
from tests.api.support import codes, create_person, create_team

UTC = timezone.utc
DURING = datetime(2026, 12, 10, 12, tzinfo=UTC)    # 2026-Q4 runs until 2027-01-01
AFTER = datetime(2027, 1, 4, 9, tzinfo=UTC)
ERRORS = "userErrors { field message code }"
PERIOD = "period { key status closeSignOffs { side at person { name } } }"
CLOSE = """mutation($input: PeriodCloseInput!) { periodClose(input: $input) { %s %s } }""" % (PERIOD, ERRORS)
SIGN_OFF = """mutation($input: PeriodCloseSignOffInput!) { periodCloseSignOff(input: $input) { %s %s } }""" % (
    PERIOD, ERRORS)
REOPEN = """mutation($p: String!) { periodReopen(input: {period: $p, reason: "a deal was booked late"}) {
  %s %s } }""" % (PERIOD, ERRORS)
READ = "query($k: String!) { period(key: $k) { key status closeSignOffs { side person { name } } } }"
PREVIEW = """query($p: String!) { periodClosePreview(period: $p) {
  period { key status } modelOfRecord keyResultsFrozen needsForce openDisputeCount
  objectives { objective { title } progress score }
  statements { person { name } locked lineCount totalPayout }
  openDisputes { component reason }
  staleKeyResults { title }
  pendingLeadDefinitions { name status }
  pendingModelsOfRecord { model status } } }"""
PLAN = """mutation($input: CompPlanCreateInput!) { compPlanCreate(input: $input) { compPlan { id } %s } }""" % ERRORS
DISPUTE = """mutation { compDisputeCreate(input: {period: "2026-Q4", component: "Bookings",
  reason: "a deal is missing"}) { compDispute { id } %s } }""" % ERRORS
PROPOSE = """mutation { attributionModelOfRecordPropose(input: {period: "2026-Q4", model: LINEAR}) {
  modelOfRecord { id } %s } }""" % ERRORS


class Gov(Org):
    """Field Sales and Demand Generation with their leaders (leads_support.Org), an SDR team's leader (the sales side
    too), a Customer Success leader (no side), finance, an objective with two MANUAL key results and pay plans."""

    def __init__(self, api, admin):
        super().__init__(api, admin)
        self.sdr = create_team(api, admin, "Outbound", "SDR")
        self.cs = create_team(api, admin, "Customer Success", "CUSTOMER_SUCCESS")
        create_person(api, admin, self.sdr, email="sdrlead@example.com", name="Omar Outbound", role="LEADER")
        create_person(api, admin, self.cs, email="cslead@example.com", name="Casey Lead", role="LEADER")
        self.sdr_leader = api.token(person="sdrlead@example.com")
        self.cs_leader = api.token(person="cslead@example.com")
        self.finance = api.token("FINANCE")
        self.leader_service = api.token("LEADER")
        objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": "Grow new-logo bookings", "period": "2026-Q4",
                                                         "owners": [{"teamId": self.sales, "share": "0.5"},
                                                                    {"teamId": self.marketing, "share": "0.5"}]}},
                            admin)["objectiveCreate"]["objective"]
        self.krs = {}
        for title in ("Qualified meetings", "Reference customers"):
            kr = api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": title, "kind": "INCREASE_TO",
                                               "unit": "COUNT", "start": "0", "target": "100"}},
                         admin)["keyResultCreate"]
            assert kr["userErrors"] == [], kr
            self.krs[title] = kr["keyResult"]["id"]
        for person in (self.seller, self.marketer):
            plan = api.gql(PLAN, {"input": {"personId": person["id"], "period": "2026-Q4", "targetVariable": "20000",
                                            "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS",
                                                            "quota": "500000", "weight": "1"}]}},
                           self.finance)["compPlanCreate"]
            assert plan["userErrors"] == [], plan

    def check_in(self, title: str, value: str) -> None:
        result = self.api.gql(CHECK_IN, {"input": {"keyResultId": self.krs[title], "value": value}},
                              self.seller_token)["keyResultCheckIn"]
        assert result["userErrors"] == [], result

    def close(self, token: str, **extra) -> dict:
        return self.api.gql(CLOSE, {"input": {"period": "2026-Q4", **extra}}, token)["periodClose"]

    def sign_off(self, token: str, **extra) -> dict:
        return self.api.gql(SIGN_OFF, {"input": {"period": "2026-Q4", **extra}}, token)["periodCloseSignOff"]

    def status(self) -> str:
        return self.api.gql(READ, {"k": "2026-Q4"}, self.admin)["period"]["status"]


@pytest.fixture
def gov(api, admin):
    api.set_now(DURING)
    return Gov(api, admin)


def _frozen(api) -> tuple[int, int]:
    """(objective scores, locked statement lines) written by closes."""
    return api.run(ObjectiveScore.all().count()), api.run(LockedLine.all().count())


def _closes(api) -> list[dict]:
    return [e.after for e in api.run(AuditEntry.filter(action="periodClose").order_by("id"))]


def _error(result: dict) -> tuple[str, list[str]]:
    (error,) = result["userErrors"]
    return error["code"], error["field"]


# --- before the end ------------------------------------------------------------------------------------------------

def test_before_the_end_a_leader_or_finance_may_not_close(gov, api):
    for token in (gov.sales_leader, gov.marketing_leader, gov.finance):
        result = gov.close(token, reason="we are done early")
        assert result["period"] is None and _error(result) == ("FORBIDDEN", ["input", "period"])
        assert "only an ADMIN" in result["userErrors"][0]["message"]
        assert ("periodCloseSignOff" in result["userErrors"][0]["message"]) is (token != gov.finance)
    assert gov.status() == "OPEN" and _frozen(api) == (0, 0) and _closes(api) == []


def test_before_the_end_an_admin_closes_only_with_a_reason(gov, api):
    refused = gov.close(gov.admin)
    assert refused["period"] is None and _error(refused) == ("INVALID", ["input", "reason"])
    assert gov.status() == "OPEN" and _frozen(api) == (0, 0)
    closed = gov.close(gov.admin, reason="the company is acquired on 15 December")
    assert closed["userErrors"] == [] and closed["period"]["status"] == "CLOSED"
    assert _frozen(api) == (1, 2)  # one objective scored, two statements locked (one line each)
    (audit,) = _closes(api)
    assert (audit["route"], audit["reason"]) == ("CLOSE", "the company is acquired on 15 December")


def test_no_sign_off_before_the_end(gov, api):
    result = gov.sign_off(gov.sales_leader)
    assert _error(result) == ("FORBIDDEN", ["input", "period"]) and "from its end on" in result["userErrors"][0]["message"]
    assert api.run(PeriodCloseSignOff.all().count()) == 0


# --- after the end -------------------------------------------------------------------------------------------------

def test_after_the_end_finance_closes_alone_without_a_reason(gov, api):
    api.set_now(AFTER)
    closed = gov.close(gov.finance)
    assert closed == {"period": {"key": "2026-Q4", "status": "CLOSED", "closeSignOffs": []}, "userErrors": []}
    assert _frozen(api) == (1, 2) and [a["route"] for a in _closes(api)] == ["CLOSE"]


def test_after_the_end_a_leader_calling_close_is_told_about_the_sign_off(gov, api):
    api.set_now(AFTER)
    result = gov.close(gov.sales_leader)
    assert _error(result) == ("FORBIDDEN", ["input", "period"])
    assert "periodCloseSignOff" in result["userErrors"][0]["message"]
    assert gov.status() == "OPEN"


def test_a_member_may_never_close(gov, api):
    api.set_now(AFTER)
    body = api.post(CLOSE, {"input": {"period": "2026-Q4"}}, gov.seller_token)
    assert codes(body["errors"]) == ["FORBIDDEN"] and gov.status() == "OPEN"


def test_the_sales_and_marketing_sign_offs_close_the_period(gov, api):
    api.set_now(AFTER)
    first = gov.sign_off(gov.sdr_leader)  # an SDR team's leader signs for the sales side
    assert first["userErrors"] == [] and first["period"]["status"] == "OPEN"
    assert [(s["side"], s["person"]["name"]) for s in first["period"]["closeSignOffs"]] == [("SALES", "Omar Outbound")]
    assert _frozen(api) == (0, 0)
    second = gov.sign_off(gov.marketing_leader)
    assert second["userErrors"] == [] and second["period"]["status"] == "CLOSED"
    assert [(s["side"], s["person"]["name"]) for s in second["period"]["closeSignOffs"]] == [
        ("SALES", "Omar Outbound"), ("MARKETING", "Maya Lead")]
    assert _frozen(api) == (1, 2)
    (audit,) = _closes(api)
    assert audit["route"] == "SIGN_OFF" and [s["side"] for s in audit["sign_offs"]] == ["SALES", "MARKETING"]


def test_two_sign_offs_of_one_side_do_not_close_it(gov, api):
    api.set_now(AFTER)
    assert gov.sign_off(gov.sales_leader)["userErrors"] == []
    for token in (gov.sdr_leader, gov.sales_leader):  # another sales-side leader, then the same one again
        result = gov.sign_off(token)
        assert result["period"] is None and _error(result) == ("DUPLICATE", ["input", "period"])
    assert gov.status() == "OPEN" and _frozen(api) == (0, 0)
    assert api.run(PeriodCloseSignOff.all().count()) == 1


def test_only_sales_side_and_marketing_side_leaders_sign_off(gov, api):
    api.set_now(AFTER)
    for token in (gov.cs_leader, gov.leader_service):  # a leader of no side; a service token leads no team
        result = gov.sign_off(token)
        assert result["period"] is None and _error(result) == ("FORBIDDEN", ["input", "period"])
    for token in (gov.admin, gov.finance, gov.seller_token):  # these roles never sign off
        body = api.post(SIGN_OFF, {"input": {"period": "2026-Q4"}}, token)
        assert codes(body["errors"]) == ["FORBIDDEN"]
    assert "periodClose" in api.post(SIGN_OFF, {"input": {"period": "2026-Q4"}}, gov.finance)["errors"][0]["message"]
    assert api.run(PeriodCloseSignOff.all().count()) == 0


def test_reopening_drops_the_sign_offs(gov, api):
    api.set_now(AFTER)
    gov.sign_off(gov.sales_leader)
    gov.sign_off(gov.marketing_leader)
    reopened = api.gql(REOPEN, {"p": "2026-Q4"}, gov.admin)["periodReopen"]
    assert reopened["period"] == {"key": "2026-Q4", "status": "OPEN", "closeSignOffs": []}
    assert api.run(PeriodCloseSignOff.all().count()) == 0 and _frozen(api) == (0, 0)
    # a new close needs both sides again
    assert gov.sign_off(gov.marketing_leader)["period"]["status"] == "OPEN"
    assert gov.sign_off(gov.sales_leader)["period"]["status"] == "CLOSED"
    assert _frozen(api) == (1, 2)


def test_a_closed_period_takes_no_more_sign_offs(gov, api):
    api.set_now(AFTER)
    gov.close(gov.finance)
    result = gov.sign_off(gov.sales_leader)
    assert _error(result) == ("PERIOD_CLOSED", ["input", "period"])
    assert api.run(PeriodCloseSignOff.all().count()) == 0


# --- open disputes ----------------------------------------------------------------------------------------------

def _dispute(gov) -> None:
    result = gov.api.gql(DISPUTE, token=gov.seller_token)["compDisputeCreate"]
    assert result["userErrors"] == [], result


def test_open_disputes_need_force_and_a_reason(gov, api):
    _dispute(gov)
    api.set_now(AFTER)
    refused = gov.close(gov.finance)
    assert _error(refused) == ("CONFLICT", ["input", "force"]) and "force: true" in refused["userErrors"][0]["message"]
    no_reason = gov.close(gov.finance, force=True)
    assert _error(no_reason) == ("INVALID", ["input", "reason"])
    assert gov.status() == "OPEN" and _frozen(api) == (0, 0)
    forced = gov.close(gov.finance, force=True, reason="the dispute is about Q1's plan")
    assert forced["userErrors"] == [] and forced["period"]["status"] == "CLOSED"
    (audit,) = _closes(api)
    assert (audit["forced"], audit["open_disputes"], audit["reason"]) == (True, 1, "the dispute is about Q1's plan")


def test_the_closing_sign_off_needs_force_over_open_disputes_and_a_refused_one_is_not_kept(gov, api):
    _dispute(gov)
    api.set_now(AFTER)
    assert gov.sign_off(gov.sales_leader)["userErrors"] == []  # it does not close: no force needed yet
    refused = gov.sign_off(gov.marketing_leader)
    assert _error(refused) == ("CONFLICT", ["input", "force"])
    assert api.run(PeriodCloseSignOff.all().count()) == 1 and gov.status() == "OPEN"
    forced = gov.sign_off(gov.marketing_leader, force=True, reason="resolved next week with an adjustment")
    assert forced["userErrors"] == [] and forced["period"]["status"] == "CLOSED"


# --- the preview ---------------------------------------------------------------------------------------------------

def test_the_preview_lists_what_a_close_would_freeze_and_what_is_still_open(gov, api):
    gov.check_in("Qualified meetings", "40")           # 10 December: more than 14 days before the preview
    api.gql(DEFINITION_CREATE, {"input": {**ICP, "name": "Enterprise buyers"}}, gov.marketing_leader)
    assert api.gql(PROPOSE, token=gov.sales_leader)["attributionModelOfRecordPropose"]["userErrors"] == []
    _dispute(gov)
    api.set_now(datetime(2026, 12, 30, tzinfo=UTC))
    gov.check_in("Reference customers", "20")         # 30 December: recent
    api.set_now(AFTER)
    preview = api.gql(PREVIEW, {"p": "2026-Q4"}, gov.finance)["periodClosePreview"]
    assert preview["period"] == {"key": "2026-Q4", "status": "OPEN"}
    assert (preview["modelOfRecord"], preview["keyResultsFrozen"]) == ("W_SHAPED", 2)
    # progress (0.4 + 0.2) / 2 = 0.3
    assert preview["objectives"] == [{"objective": {"title": "Grow new-logo bookings"}, "progress": 0.3, "score": 0.3}]
    assert preview["statements"] == [
        {"person": {"name": "Sofia Seller"}, "locked": False, "lineCount": 1, "totalPayout": "0.00"},
        {"person": {"name": "Dana Demand"}, "locked": False, "lineCount": 1, "totalPayout": "0.00"}]
    assert (preview["needsForce"], preview["openDisputeCount"]) == (True, 1)
    assert preview["openDisputes"] == [{"component": "Bookings", "reason": "a deal is missing"}]
    assert preview["staleKeyResults"] == [{"title": "Qualified meetings"}]
    assert preview["pendingLeadDefinitions"] == [{"name": "Enterprise buyers", "status": "DRAFT"}]
    assert preview["pendingModelsOfRecord"] == [{"model": "LINEAR", "status": "PROPOSED"}]
    assert gov.status() == "OPEN" and _frozen(api) == (0, 0)  # a preview writes nothing


def test_the_preview_shows_statement_totals_only_to_those_who_may_see_them(gov, api):
    _dispute(gov)
    api.set_now(AFTER)
    body = api.post(PREVIEW, {"p": "2026-Q4"}, gov.marketing_leader)
    preview = body["data"]["periodClosePreview"]
    totals = {s["person"]["name"]: s["totalPayout"] for s in preview["statements"]}
    assert totals == {"Sofia Seller": None, "Dana Demand": "0.00"}  # the marketing leader leads Dana's team
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["periodClosePreview", "statements", 0, "totalPayout"], "FORBIDDEN")]
    # the dispute is counted, but its details are the seller's pay: not listed for this viewer
    assert (preview["openDisputeCount"], preview["openDisputes"]) == (1, [])
    assert codes(api.post(PREVIEW, {"p": "2026-Q4"}, gov.seller_token)["errors"]) == ["FORBIDDEN"]


def test_the_preview_of_a_period_never_used_is_empty_and_stores_nothing(gov, api):
    preview = api.gql(PREVIEW, {"p": "2031-Q2"}, gov.admin)["periodClosePreview"]
    assert (preview["objectives"], preview["statements"], preview["openDisputeCount"]) == ([], [], 0)
    assert api.run(Period.filter(key="2031-Q2").count()) == 0
    assert codes(api.post(PREVIEW, {"p": "2031-Q5"}, gov.admin)["errors"]) == ["INVALID"]


# --- racing sign-offs ----------------------------------------------------------------------------------------------

def _together(api, calls: list[tuple[str, dict, str]]) -> list[dict]:
    """Send the operations at the same moment, each on its own connection."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def send(i, query, variables, token):
        with httpx.Client(base_url=api.http.base_url, timeout=60) as client:
            barrier.wait()
            response = client.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {token}"})
            results[i] = response.json()

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_sign_offs_of_both_sides_close_the_period_exactly_once(gov, api):
    api.set_now(AFTER)
    variables = {"input": {"period": "2026-Q4"}}
    for round_ in range(5):
        results = _together(api, [(SIGN_OFF, variables, gov.sales_leader), (SIGN_OFF, variables, gov.marketing_leader),
                                  (SIGN_OFF, variables, gov.sdr_leader)])
        payloads = [r["data"]["periodCloseSignOff"] for r in results]
        assert all(not r.get("errors") for r in results), results
        statuses = sorted(p["period"]["status"] if p["period"] else p["userErrors"][0]["code"] for p in payloads)
        # the two sales-side leaders race for one side: one of them is DUPLICATE (or finds the period closed)
        assert statuses in (["CLOSED", "DUPLICATE", "OPEN"], ["CLOSED", "OPEN", "PERIOD_CLOSED"]), payloads
        assert gov.status() == "CLOSED"
        assert len(_closes(api)) == round_ + 1
        assert _frozen(api) == (1, 2)  # frozen once, never twice
        assert api.run(PeriodCloseSignOff.all().count()) == 2
        api.gql(REOPEN, {"p": "2026-Q4"}, gov.admin)


def test_a_sign_off_racing_finance_closes_the_period_once(gov, api):
    api.set_now(AFTER)
    assert gov.sign_off(gov.sales_leader)["userErrors"] == []
    variables = {"input": {"period": "2026-Q4"}}
    results = _together(api, [(SIGN_OFF, variables, gov.marketing_leader), (CLOSE, variables, gov.finance)])
    payloads = [r["data"][name] for r, name in zip(results, ("periodCloseSignOff", "periodClose"))]
    outcomes = sorted(p["period"]["status"] if p["period"] else p["userErrors"][0]["code"] for p in payloads)
    assert outcomes == ["CLOSED", "PERIOD_CLOSED"], payloads
    assert len(_closes(api)) == 1 and _frozen(api) == (1, 2)


# --- no N+1 -------------------------------------------------------------------------------------------------------

PREVIEW_NESTED = """query($p: String!) { periodClosePreview(period: $p) {
  objectives { objective { title owners { team { name } } } score }
  statements { person { name team { name } } lineCount totalPayout }
  openDisputes { component } staleKeyResults { title current progress }
  closeStatus: period { status closeSignOffs { side person { name } } } } }"""


def test_the_preview_takes_as_many_statements_for_many_people_as_for_few(gov, api):
    def grow(n: int) -> None:
        for _ in range(n):
            gov.grown = getattr(gov, "grown", 0) + 1
            person = create_person(api, gov.admin, gov.sales, email=f"rep{gov.grown}@example.com",
                                   name=f"Rep {gov.grown}")
            assert api.gql(PLAN, {"input": {"personId": person["id"], "period": "2026-Q4", "targetVariable": "1000",
                                            "components": [{"name": "Bookings", "metric": "OWN_BOOKINGS",
                                                            "quota": "1000", "weight": "1"}]}},
                           gov.finance)["compPlanCreate"]["userErrors"] == []
            objective = api.gql(OBJECTIVE_CREATE, {"input": {"title": f"Objective {gov.grown}", "period": "2026-Q4",
                                                             "owners": [{"teamId": gov.sales, "share": "1"}]}},
                                gov.admin)["objectiveCreate"]["objective"]
            api.gql(KR_CREATE, {"input": {"objectiveId": objective["id"], "title": f"KR {gov.grown}",
                                          "kind": "INCREASE_TO", "unit": "COUNT", "start": "0", "target": "10"}},
                    gov.admin)

    def ask() -> tuple[int, int]:
        with api.count_queries() as counter:
            preview = api.gql(PREVIEW_NESTED, {"p": "2026-Q4"}, gov.finance)["periodClosePreview"]
        return len(preview["statements"]) + len(preview["staleKeyResults"]), counter.count

    api.set_now(AFTER)
    grow(1)
    few = ask()
    grow(5)
    many = ask()
    assert many[0] > few[0] and many[1] == few[1], (few, many)


PERIOD_CAN = 'query($k: String!) { period(key: $k) { status viewerCan { close signOff reopen } } }'


def test_period_viewer_can_follows_the_closing_rules(api, admin):
    from datetime import datetime, timezone
    from tests.api.support import create_person, create_team
    sales = create_team(api, admin, "Field Sales", "SALES")
    marketing = create_team(api, admin, "Demand Generation", "MARKETING")
    create_person(api, admin, sales, email="sl@example.com", name="Sam", role="LEADER")
    create_person(api, admin, marketing, email="ml@example.com", name="Maya", role="LEADER")
    leader, finance = api.token(person="sl@example.com"), api.token("FINANCE")
    api.set_now(datetime(2026, 11, 16, tzinfo=timezone.utc))
    can = lambda token, key="2026-Q4": api.gql(PERIOD_CAN, {"k": key}, token)["period"]["viewerCan"]
    assert can(admin) == {"close": True, "signOff": False, "reopen": False}  # before the end: ADMIN, with a reason
    assert can(finance) == {"close": False, "signOff": False, "reopen": False}
    assert can(leader) == {"close": False, "signOff": False, "reopen": False}
    assert can(finance, "2026-Q3") == {"close": True, "signOff": False, "reopen": False}
    assert can(leader, "2026-Q3") == {"close": False, "signOff": True, "reopen": False}
    signed = api.gql('mutation { periodCloseSignOff(input: {period: "2026-Q3"}) { userErrors { code } } }',
                     token=leader)
    assert signed["periodCloseSignOff"]["userErrors"] == []
    assert can(leader, "2026-Q3")["signOff"] is False  # the sales side has signed
    assert can(api.token(person="ml@example.com"), "2026-Q3")["signOff"] is True
    api.gql('mutation { periodClose(input: {period: "2026-Q3"}) { userErrors { code } } }', token=finance)
    assert can(admin, "2026-Q3") == {"close": False, "signOff": False, "reopen": True}
