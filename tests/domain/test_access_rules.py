"""The ownership rules of every write (domain/access/rules.py), without a database."""
from __future__ import annotations

import pytest

from domain.access import rules as access
from domain.access.rules import LeadOwnership
from domain.imports import ownership
from domain.org.rules import Principal, Role, TeamFunction as F

SALES, SDR, MARKETING, CS = 1, 2, 3, 4
FUNCTIONS = {SALES: F.SALES, SDR: F.SDR, MARKETING: F.MARKETING, CS: F.CUSTOMER_SUCCESS}


def person(role: Role, team: int, person_id: int = 100) -> Principal:
    return Principal(token_id=person_id, name=f"{role.value} of {team}", role=role, person_id=person_id, team_id=team,
                     team_function=FUNCTIONS[team])


def service(role: Role) -> Principal:
    return Principal(token_id=9, name=f"{role.value} service token", role=role)


ADMIN = service(Role.ADMIN)
SALES_LEADER, SALES_MEMBER = person(Role.LEADER, SALES, 10), person(Role.MEMBER, SALES, 11)
SDR_LEADER = person(Role.LEADER, SDR, 20)
MARKETING_LEADER, MARKETER = person(Role.LEADER, MARKETING, 30), person(Role.MEMBER, MARKETING, 31)
CS_LEADER, CS_MEMBER = person(Role.LEADER, CS, 40), person(Role.MEMBER, CS, 41)
FINANCE = service(Role.FINANCE)
LEADER_SERVICE, MEMBER_SERVICE = service(Role.LEADER), service(Role.MEMBER)


# --- goals --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("actor", "may"), [
    (ADMIN, True), (SALES_LEADER, True), (MARKETING_LEADER, True), (CS_LEADER, False), (SALES_MEMBER, False),
    (LEADER_SERVICE, False), (FINANCE, False)])
def test_an_objective_is_changed_by_a_leader_of_an_owner_team_or_an_admin(actor, may):
    assert (access.objective_edit_refusal(actor, [SALES, MARKETING]) is None) is may


def test_a_leader_keeps_a_team_they_lead_among_the_owners():
    assert access.objective_owners_refusal(SALES_LEADER, [SALES, MARKETING]) is None
    assert "a team you lead" in access.objective_owners_refusal(SALES_LEADER, [MARKETING])
    assert access.objective_owners_refusal(ADMIN, [CS]) is None
    assert access.objective_owners_refusal(LEADER_SERVICE, [SALES]) is not None


def test_members_of_an_owner_team_check_in_whatever_their_role():
    assert access.check_in_refusal(SALES_MEMBER, [SALES]) is None
    assert access.check_in_refusal(SALES_LEADER, [SALES]) is None
    assert access.check_in_refusal(CS_MEMBER, [SALES]) is not None
    assert access.check_in_refusal(MEMBER_SERVICE, [SALES]) is not None
    assert access.check_in_refusal(ADMIN, [SALES]) is None


# --- leads --------------------------------------------------------------------------------------------------------

UNOWNED = LeadOwnership(None, None)
OWNED_BY_SELLER = LeadOwnership(SALES_MEMBER.person_id, SALES)
HANDED_BACK = LeadOwnership(SALES_MEMBER.person_id, SALES, handed_back=True)


@pytest.mark.parametrize(("actor", "may"), [
    (MARKETER, True), (MARKETING_LEADER, True), (ADMIN, True), (SALES_LEADER, False), (SALES_MEMBER, False),
    (CS_MEMBER, False), (MEMBER_SERVICE, False), (LEADER_SERVICE, False)])
def test_before_hand_over_marketing_qualifies_and_disqualifies(actor, may):
    assert (access.lead_stage_refusal(actor, UNOWNED, "MQL") is None) is may
    assert (access.lead_stage_refusal(actor, UNOWNED, "DISQUALIFIED") is None) is may


def test_sales_decisions_need_an_owner_first():
    for stage in ("SAL", "SQL", "RECYCLED"):
        refusal = access.lead_stage_refusal(SALES_LEADER, UNOWNED, stage)
        assert refusal is not None and "handed over first" in refusal
        assert access.lead_stage_refusal(ADMIN, UNOWNED, stage) is None


@pytest.mark.parametrize(("actor", "may"), [
    (SALES_MEMBER, True), (person(Role.MEMBER, SALES, 12), True), (SALES_LEADER, True), (ADMIN, True),
    (SDR_LEADER, False), (MARKETING_LEADER, False), (MARKETER, False), (CS_LEADER, False), (MEMBER_SERVICE, False)])
def test_after_hand_over_sales_decisions_belong_to_the_owner_and_their_team(actor, may):
    for stage in ("SAL", "SQL", "RECYCLED", "DISQUALIFIED", "OPPORTUNITY", "WON", "LOST"):
        assert (access.lead_stage_refusal(actor, OWNED_BY_SELLER, stage) is None) is may, stage


def test_qualifying_is_marketings_even_after_a_hand_back():
    assert access.lead_stage_refusal(MARKETER, HANDED_BACK, "MQL") is None
    assert access.lead_stage_refusal(MARKETER, HANDED_BACK, "DISQUALIFIED") is None
    assert access.lead_stage_refusal(SALES_MEMBER, OWNED_BY_SELLER, "MQL") is not None


@pytest.mark.parametrize(("actor", "first", "again"), [
    (MARKETER, True, False), (MARKETING_LEADER, True, False), (ADMIN, True, True), (SALES_LEADER, False, True),
    (SDR_LEADER, False, True), (SALES_MEMBER, False, False), (CS_LEADER, False, False),
    (MEMBER_SERVICE, False, False), (LEADER_SERVICE, False, False)])
def test_the_hand_over_is_marketings_and_a_reassignment_a_sales_leaders(actor, first, again):
    assert (access.lead_assign_refusal(actor, UNOWNED) is None) is first
    assert (access.lead_assign_refusal(actor, OWNED_BY_SELLER) is None) is again


def test_a_leader_of_the_owners_team_reassigns_even_outside_the_sales_side():
    owned_by_cs = LeadOwnership(CS_MEMBER.person_id, CS)
    assert access.lead_assign_refusal(CS_LEADER, owned_by_cs) is None


def test_an_owner_is_a_person_of_a_sales_or_sdr_team():
    assert access.owner_problem(F.SALES) is None and access.owner_problem(F.SDR) is None
    assert access.owner_problem(F.MARKETING) is not None and access.owner_problem(None) is not None


# --- joint decisions, agreements, pay ---------------------------------------------------------------------------

def test_approval_sides_are_leaders_of_sales_sdr_or_marketing_teams():
    assert [access.approval_side(a) for a in (SALES_LEADER, SDR_LEADER, MARKETING_LEADER, CS_LEADER, SALES_MEMBER,
                                               LEADER_SERVICE, ADMIN)] == [
        "SALES", "SALES", "MARKETING", None, None, None, None]
    assert access.joint_draft_refusal(CS_LEADER, "a lead definition") is not None
    assert access.joint_draft_refusal(ADMIN, "a lead definition") is None


def test_an_sla_is_agreed_by_a_leader_of_either_team():
    assert access.sla_agreement_refusal(MARKETING_LEADER, MARKETING, SALES) is None
    assert access.sla_agreement_refusal(SALES_LEADER, MARKETING, SALES) is None
    assert access.sla_agreement_refusal(SDR_LEADER, MARKETING, SALES) is not None
    assert access.sla_agreement_refusal(LEADER_SERVICE, MARKETING, SALES) is not None


def test_pay_is_adjusted_by_finance_admins_and_the_persons_team_leaders_and_never_by_the_disputant():
    assert access.pay_manage_refusal(FINANCE, SALES) is None
    assert access.pay_manage_refusal(SALES_LEADER, SALES) is None
    assert access.pay_manage_refusal(MARKETING_LEADER, SALES) is not None
    assert access.dispute_resolve_refusal(SALES_LEADER, SALES_LEADER.person_id, SALES) is not None
    assert access.dispute_raise_refusal(FINANCE) is not None and access.dispute_raise_refusal(SALES_MEMBER) is None


# --- imports ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("actor", "kinds"), [
    (ADMIN, {"leads", "lead-events", "touchpoints", "opportunities"}),
    (SALES_LEADER, {"leads", "lead-events", "touchpoints", "opportunities"}),
    (MARKETING_LEADER, {"leads", "lead-events", "touchpoints"}),
    (CS_LEADER, {"leads", "lead-events", "touchpoints"}),
    (FINANCE, {"opportunities"}), (LEADER_SERVICE, set()), (SALES_MEMBER, set())])
def test_who_may_import_each_kind(actor, kinds):
    allowed = {k for k in ("leads", "lead-events", "touchpoints", "opportunities")
               if access.import_refusal(actor, k) is None}
    assert allowed == kinds


OWNERS = dict(team_of_person={10: SALES, 11: SALES, 30: MARKETING, 31: MARKETING, 41: CS},
              function_of_team=FUNCTIONS)


def touch(team, person_id):
    return ("T-1", 1, None, "SALES", "call", None, team, person_id, 10)


def test_a_leader_imports_the_touches_of_their_team_and_its_people():
    owners = ownership.Owners(**OWNERS)
    assert ownership.touchpoint_refusal(SALES_LEADER, touch(SALES, 11), owners) is None
    assert ownership.touchpoint_refusal(SALES_LEADER, touch(SALES, None), owners) is None
    assert ownership.touchpoint_refusal(SALES_LEADER, touch(MARKETING, 31), owners) is not None
    assert ownership.touchpoint_refusal(SALES_LEADER, touch(SALES, 31), owners) is not None  # not their person


def event(type_, stage=None, owner=None, actor=None, lead=1):
    return ("E-1", lead, None, type_, stage, owner, actor, "x", None, "")


def test_an_import_hands_a_lead_over_for_the_rows_after_it():
    owners = ownership.Owners(**OWNERS)
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("STAGE", "MQL"), owners) is None
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("ASSIGNED", owner=11), owners) is None
    # now owned: a second assignment is a sales leader's, and SAL the owner side's
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("ASSIGNED", owner=10), owners) is not None
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("STAGE", "SAL"), owners) is not None
    assert ownership.lead_event_refusal(SALES_LEADER, event("STAGE", "SAL"), owners) is None


def test_an_owner_outside_sales_is_refused_in_an_import():
    owners = ownership.Owners(**OWNERS)
    assert "SALES or SDR" in ownership.lead_event_refusal(MARKETING_LEADER, event("ASSIGNED", owner=31), owners)


def test_behaviours_are_imported_by_marketing_leaders():
    owners = ownership.Owners(**OWNERS)
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("WEBINAR"), owners) is None
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("WEBINAR", actor=31), owners) is None
    assert ownership.lead_event_refusal(MARKETING_LEADER, event("WEBINAR", actor=11), owners) is not None
    assert ownership.lead_event_refusal(SALES_LEADER, event("WEBINAR"), owners) is not None


def test_a_sales_leader_imports_the_deals_of_their_teams_people():
    owners = ownership.Owners(**OWNERS)
    deal = lambda owner: ("O-1", 1, "Deal", 100, None, "OPEN", None, owner)
    assert ownership.opportunity_refusal(SALES_LEADER, deal(11), owners) is None
    assert ownership.opportunity_refusal(SALES_LEADER, deal(None), owners) is not None
    assert ownership.opportunity_refusal(SDR_LEADER, deal(11), owners) is not None
    assert ownership.opportunity_refusal(FINANCE, deal(None), owners) is None


# --- pay and cost privacy ----------------------------------------------------------------------------------------

SELLER = dict(person_id=5, person_team_id=1)


@pytest.mark.parametrize("viewer, allowed", [
    (Principal(1, "admin svc", Role.ADMIN), True),
    (Principal(2, "finance svc", Role.FINANCE), True),
    (Principal(3, "self", Role.MEMBER, person_id=5, team_id=1), True),
    (Principal(4, "own leader", Role.LEADER, person_id=9, team_id=1), True),
    (Principal(5, "other leader", Role.LEADER, person_id=8, team_id=2), False),
    (Principal(6, "team mate", Role.MEMBER, person_id=7, team_id=1), False),
    (Principal(7, "leader service token", Role.LEADER), False),
])
def test_pay_is_visible_to_the_person_their_leaders_finance_and_admin(viewer, allowed):
    assert access.can_see_pay(viewer, **SELLER) is allowed


@pytest.mark.parametrize("viewer, allowed", [
    (ADMIN, True), (FINANCE, True), (SALES_LEADER, True), (SDR_LEADER, False), (SALES_MEMBER, False),
    (LEADER_SERVICE, False), (MEMBER_SERVICE, False),
])
def test_a_teams_pay_totals_are_visible_to_its_leaders_finance_and_admin(viewer, allowed):
    assert access.can_see_team_pay(viewer, SALES) is allowed


def test_a_member_sees_their_own_pay_but_not_their_teams_totals():
    assert access.can_see_pay(SALES_MEMBER, SALES_MEMBER.person_id, SALES)
    assert not access.can_see_team_pay(SALES_MEMBER, SALES)


@pytest.mark.parametrize("viewer", [ADMIN, FINANCE, SALES_LEADER, SALES_MEMBER, SDR_LEADER, MARKETER, LEADER_SERVICE,
                                    MEMBER_SERVICE])
def test_whose_pay_a_viewer_sees_is_one_scope_for_people_and_teams(viewer):
    """The people list of the statements (pay_scope) and the per-person and per-team answers agree for everyone."""
    scope = access.pay_scope(viewer)
    people = [(pid, team) for team in FUNCTIONS for pid in (10, 11, 20, 30, 31, 40, 41, team * 1000)]
    for pid, team in people:
        assert access.can_see_pay(viewer, pid, team) is scope.covers_person(pid, team)
        assert access.can_see_pay(viewer, pid, team) is (
            scope.everyone or pid == viewer.person_id or (scope.led_team_id is not None and team == viewer.team_id))
    for team in FUNCTIONS:
        assert access.can_see_team_pay(viewer, team) is (scope.everyone or scope.led_team_id == team)
