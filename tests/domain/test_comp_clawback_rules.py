"""Clawback rules (domain/comp/rules.py): the window and the payout recomputed with one deal changed."""
from datetime import datetime, timezone
from decimal import Decimal as D

from domain.comp import rules
from domain.comp.rules import CompMetric, Component, Gate, Tier

UTC = timezone.utc
CLOSE = datetime(2026, 9, 1, tzinfo=UTC)
BOOKINGS = Component("Bookings", CompMetric.OWN_BOOKINGS, quota=D("60000"), weight=D(1))


def locked(component, value, target=D("20000"), gate_open=True):
    line = rules.statement_line(target, component, value, D(1) if component.gate else None)
    return rules.Line(**{**line.__dict__, "gate_open": gate_open, "payout": line.payout if gate_open else D("0.00")})


def test_the_window_counts_from_the_deals_close():
    assert rules.in_clawback_window(CLOSE, 90, datetime(2026, 11, 30, tzinfo=UTC))
    assert not rules.in_clawback_window(CLOSE, 90, datetime(2026, 11, 30, 0, 0, 1, tzinfo=UTC))
    assert not rules.in_clawback_window(CLOSE, None, datetime(2026, 9, 2, tzinfo=UTC))


def test_a_lost_deal_gives_back_what_it_paid_and_a_smaller_one_the_difference():
    line = locked(BOOKINGS, D("30000"))                       # 20,000 × 0.5 = 10,000 paid
    assert rules.clawback(D("20000"), BOOKINGS, line, 3_000_000, 0) == D("-10000.00")
    assert rules.clawback(D("20000"), BOOKINGS, line, 3_000_000, 2_400_000) == D("-2000.00")
    assert rules.clawback(D("20000"), BOOKINGS, line, 3_000_000, 3_500_000) == D(0)    # grew: nothing more here


def test_only_that_deal_changes_on_the_curve_the_plan_had():
    # two deals made 70,000 of a 60,000 quota at a 2x accelerator above it: losing the 20,000 one drops the line to
    # 50,000 (below quota, linear): the recomputation follows the curve, not a pro rata share
    accelerated = Component("Bookings", CompMetric.OWN_BOOKINGS, quota=D("60000"), weight=D(1), accelerator=D(2))
    line = locked(accelerated, D("70000"))
    again = rules.statement_line(D("20000"), accelerated, D("50000"), None)
    assert rules.clawback(D("20000"), accelerated, line, 2_000_000, 0) == again.payout - line.payout
    tiered = Component("Bookings", CompMetric.OWN_BOOKINGS, quota=D("60000"), weight=D(1),
                       tiers=(Tier(D(0), D(1)), Tier(D(1), D(3))))
    assert rules.clawback(D("20000"), tiered, locked(tiered, D("70000")), 2_000_000, 0) < D(0)


def test_a_line_whose_gate_was_closed_paid_nothing_and_gives_nothing_back():
    gated = Component("Bookings", CompMetric.OWN_BOOKINGS, quota=D("60000"), weight=D(1), gate=Gate(1, D("0.5")))
    assert rules.clawback(D("20000"), gated, locked(gated, D("30000"), gate_open=False), 3_000_000, 0) == D(0)


def test_the_window_is_1_to_3650_days():
    assert rules.clawback_days_problem(None) is None and rules.clawback_days_problem(90) is None
    assert rules.clawback_days_problem(0) == rules.clawback_days_problem(3651) == "a clawback window is 1 to 3,650 days"
