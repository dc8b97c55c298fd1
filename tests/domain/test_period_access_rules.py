"""Who may close or sign off a period, and when (domain/access/periods.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from domain.access.periods import (
    SIGN_OFF_MUTATION, PeriodBounds, SignOffSide, close_problems, closes_period, has_ended, is_stale, leader_side,
    may_close, may_sign_off,
)
from domain.errors import ErrorCode
from domain.org.rules import Role, TeamFunction

UTC = timezone.utc
Q4 = PeriodBounds("2026-Q4", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
BEFORE_END = datetime(2026, 12, 3, tzinfo=UTC)
AT_END = Q4.end
AFTER_END = datetime(2027, 1, 5, tzinfo=UTC)


def test_the_end_is_exclusive_so_the_period_has_ended_at_its_last_midnight():
    assert not has_ended(Q4, AT_END - timedelta(microseconds=1))
    assert has_ended(Q4, AT_END)


@pytest.mark.parametrize(("function", "side"), [
    (TeamFunction.SALES, SignOffSide.SALES), (TeamFunction.SDR, SignOffSide.SALES),
    (TeamFunction.MARKETING, SignOffSide.MARKETING), (TeamFunction.CUSTOMER_SUCCESS, None),
    (TeamFunction.FINANCE, None), (TeamFunction.LEADERSHIP, None), (None, None)])
def test_a_leader_signs_off_for_the_side_of_their_team(function, side):
    assert leader_side(Role.LEADER, function) is side


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE, Role.MEMBER])
def test_only_a_leader_has_a_side(role):
    assert leader_side(role, TeamFunction.SALES) is None


def test_before_the_end_only_an_admin_closes_and_needs_a_reason():
    admin = may_close(Role.ADMIN, None, Q4, BEFORE_END)
    assert admin.allowed and admin.needs_reason
    for role, function in ((Role.LEADER, TeamFunction.SALES), (Role.LEADER, TeamFunction.MARKETING),
                           (Role.FINANCE, None), (Role.MEMBER, TeamFunction.SALES)):
        decision = may_close(role, function, Q4, BEFORE_END)
        assert not decision.allowed and "only an ADMIN" in decision.message and "2027-01-01" in decision.message
        assert (SIGN_OFF_MUTATION in decision.message) is (role is Role.LEADER)  # a leader learns the later route


def test_after_the_end_finance_or_an_admin_close_alone_without_a_reason():
    for role in (Role.ADMIN, Role.FINANCE):
        decision = may_close(role, None, Q4, AT_END)
        assert decision.allowed and not decision.needs_reason


def test_a_leader_calling_close_after_the_end_is_told_about_the_sign_off():
    decision = may_close(Role.LEADER, TeamFunction.SALES, Q4, AFTER_END)
    assert not decision.allowed and SIGN_OFF_MUTATION in decision.message


def test_a_member_never_closes():
    assert not may_close(Role.MEMBER, TeamFunction.SALES, Q4, AFTER_END).allowed


def test_sales_side_and_marketing_side_leaders_sign_off_after_the_end():
    assert may_sign_off(Role.LEADER, TeamFunction.SDR, Q4, AT_END).side is SignOffSide.SALES
    assert may_sign_off(Role.LEADER, TeamFunction.MARKETING, Q4, AFTER_END).side is SignOffSide.MARKETING


def test_no_sign_off_before_the_end():
    decision = may_sign_off(Role.LEADER, TeamFunction.SALES, Q4, BEFORE_END)
    assert not decision.allowed and decision.side is None and "from its end on" in decision.message


@pytest.mark.parametrize(("role", "function"), [
    (Role.LEADER, TeamFunction.CUSTOMER_SUCCESS), (Role.LEADER, None), (Role.ADMIN, TeamFunction.SALES),
    (Role.FINANCE, None), (Role.MEMBER, TeamFunction.MARKETING)])
def test_only_a_sales_side_or_marketing_side_leader_signs_off(role, function):
    decision = may_sign_off(role, function, Q4, AFTER_END)
    assert not decision.allowed and decision.side is None


def test_both_sides_close_the_period_one_side_does_not():
    assert closes_period([SignOffSide.SALES, SignOffSide.MARKETING])
    assert not closes_period([SignOffSide.SALES, SignOffSide.SALES])
    assert not closes_period([SignOffSide.MARKETING])
    assert not closes_period([])


def test_open_disputes_need_force_and_a_reason():
    assert [(c, f) for c, f, _ in close_problems(2, False, None)] == [(ErrorCode.CONFLICT, "force")]
    assert [(c, f) for c, f, _ in close_problems(1, True, "  ")] == [(ErrorCode.INVALID, "reason")]
    assert close_problems(1, True, "two disputes are about next quarter's plan") == []


def test_without_disputes_force_is_not_needed():
    assert close_problems(0, False, None) == []


def test_an_early_close_needs_a_reason_whether_or_not_disputes_are_open():
    assert [(c, f) for c, f, _ in close_problems(0, False, None, needs_reason=True)] == [(ErrorCode.INVALID, "reason")]
    assert [(c, f) for c, f, _ in close_problems(3, False, "audit", needs_reason=True)] == [
        (ErrorCode.CONFLICT, "force")]
    assert close_problems(3, True, "audit", needs_reason=True) == []


def test_a_manual_key_result_is_stale_without_a_check_in_in_the_last_14_days():
    now = datetime(2027, 1, 5, 12, tzinfo=UTC)
    assert is_stale(None, now)
    assert is_stale(now - timedelta(days=14, seconds=1), now)
    assert not is_stale(now - timedelta(days=14), now)
    assert not is_stale(now - timedelta(hours=1), now)
