"""SLA rules, tested against DOMAIN.md ("Service level agreement (both directions)" and
"Settled rules" -> Leads and SLA).

Every ratio and hour figure is a Decimal; every instant is timezone-aware.
"""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.leads.rules import LeadFacts, Stage
from domain.leads.sla import (
    Agreement, Award, ItemKind, ItemState, LeadSla, Side, add_business_hours, lead_items, lead_sla,
    median, monthly_awards, nearest_rank, sla_report,
)

UTC = timezone.utc
D = Decimal

# Marketing hands over within 4 h, sales touches within 24 h for 80 % of MQLs, 3 attempts and a decision in 5 days.
AGREEMENT = Agreement(
    mql_volume=10, acceptance_rate_target=D("0.6"), handover_hours=D(4), follow_up_hours=D(24),
    follow_up_rate_target=D("0.8"), minimum_attempts=3, decision_days=D(5))

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)       # Monday 2 November 2026
LATER = datetime(2026, 12, 31, tzinfo=UTC)             # long after every due time below

ANNA, BEN = 11, 12           # sales people
MIA, MAX = 21, 22            # marketing people


def lead(lead_id, *, mql=MONDAY, handover_after=1, owner=ANNA, marketer=MIA, follow_up_after=None, attempts=3,
         decision="SAL", decision_after=48):
    """A lead that became MQL at `mql`; the other times are hours after MQL (hand-over) or after hand-over."""
    handover = None if handover_after is None else mql + timedelta(hours=handover_after)
    at = lambda hours: None if hours is None or handover is None else handover + timedelta(hours=hours)
    return LeadSla(
        lead_id=lead_id, mql_at=mql, handover_at=handover, handover_owner_id=owner if handover else None,
        marketing_person_id=marketer, first_follow_up_at=at(follow_up_after), attempts=attempts,
        decision=decision, decision_at=at(decision_after) if decision else None)


def states(items):
    return {item.kind: item.state for item in items}


# --- the worked example: follow-up compliance ------------------------------------------------

def test_seven_of_ten_handed_over_mqls_touched_within_24_hours_is_70_percent_follow_up_compliance():
    on_time = [lead(i, follow_up_after=h) for i, h in enumerate([1, 2, 3, 5, 8, 12, 24], start=1)]
    late = [lead(i, follow_up_after=h) for i, h in enumerate([25, 30, 48], start=8)]
    figures = sla_report(AGREEMENT, on_time + late, LATER)
    assert figures.follow_up_compliance == D("0.7")
    assert isinstance(figures.follow_up_compliance, Decimal)
    assert figures.follow_up_met is False            # the target is 80 %
    assert figures.mql_volume == 10 and figures.volume_met is True


def test_a_first_touch_exactly_at_the_deadline_is_on_time():
    item = states(lead_items(AGREEMENT, lead(1, follow_up_after=24), LATER))
    assert item[ItemKind.FOLLOW_UP] is ItemState.MET


def test_mql_volume_below_the_commitment_is_not_met():
    figures = sla_report(AGREEMENT, [lead(i, follow_up_after=1) for i in range(1, 10)], LATER)
    assert figures.mql_volume == 9
    assert figures.volume_met is False


# --- item states: met, missed, open breach, pending --------------------------------------------

def test_a_follow_up_done_late_is_missed_and_one_never_done_is_an_open_breach():
    as_of = MONDAY + timedelta(hours=60)
    missed = lead(1, follow_up_after=30)
    open_breach = lead(2, follow_up_after=None)
    figures = sla_report(AGREEMENT, [missed, open_breach], as_of)
    follow_ups = [b for b in figures.breaches if b.item is ItemKind.FOLLOW_UP]
    assert [(b.lead_id, b.state) for b in follow_ups] == [(1, ItemState.MISSED), (2, ItemState.OPEN_BREACH)]
    assert follow_ups[0].done_at == MONDAY + timedelta(hours=31)
    assert follow_ups[0].overdue_hours == D(6)               # touched 30 h after hand-over, 24 h allowed
    assert follow_ups[1].done_at is None
    assert follow_ups[1].overdue_hours == D(35)              # due at 25 h after MQL, now 60 h after MQL
    assert figures.follow_up_compliance == D(0)


def test_items_not_yet_due_are_not_counted():
    as_of = MONDAY + timedelta(hours=10)    # hand-over at +1 h; follow-up due at +25 h; decision in 5 days
    figures = sla_report(AGREEMENT, [lead(1, follow_up_after=None, attempts=0, decision=None)], as_of)
    assert figures.follow_up_compliance is None
    assert figures.follow_up_met is None
    assert (figures.sales.met, figures.sales.counted, figures.sales.compliance) == (0, 0, None)
    assert (figures.marketing.met, figures.marketing.counted) == (1, 1)      # the hand-over was in time
    assert figures.breaches == []


def test_an_item_met_before_it_is_due_counts_at_once():
    as_of = MONDAY + timedelta(hours=10)
    figures = sla_report(AGREEMENT, [lead(1, follow_up_after=2, attempts=0, decision=None)], as_of)
    assert (figures.sales.met, figures.sales.counted) == (1, 1)      # the follow-up; decision and attempts pending
    assert figures.follow_up_compliance == D(1)


def test_an_undone_item_due_exactly_now_is_still_pending():
    as_of = MONDAY + timedelta(hours=25)         # the follow-up deadline itself
    items = states(lead_items(AGREEMENT, lead(1, follow_up_after=None), as_of))
    assert items[ItemKind.FOLLOW_UP] is ItemState.PENDING


def test_late_hand_over_is_a_missed_marketing_item_and_no_hand_over_is_an_open_breach():
    as_of = MONDAY + timedelta(hours=12)
    late = lead(1, handover_after=6, follow_up_after=1)
    never = lead(2, handover_after=None, decision=None)
    figures = sla_report(AGREEMENT, [late, never], as_of)
    marketing = [(b.lead_id, b.item, b.state, b.overdue_hours) for b in figures.breaches if b.side is Side.MARKETING]
    assert marketing == [(1, ItemKind.HANDOVER, ItemState.MISSED, D(2)),
                         (2, ItemKind.HANDOVER, ItemState.OPEN_BREACH, D(8))]
    assert figures.marketing.compliance == D(0)


def test_a_lead_not_handed_over_has_no_sales_commitments_yet():
    items = lead_items(AGREEMENT, lead(1, handover_after=None, decision=None), LATER)
    assert [(i.side, i.kind) for i in items] == [(Side.MARKETING, ItemKind.HANDOVER)]


def test_decision_within_five_days_is_met_and_after_is_missed():
    on_time = states(lead_items(AGREEMENT, lead(1, follow_up_after=1, decision_after=120), LATER))
    late = states(lead_items(AGREEMENT, lead(2, follow_up_after=1, decision_after=121), LATER))
    assert on_time[ItemKind.DECISION] is ItemState.MET
    assert late[ItemKind.DECISION] is ItemState.MISSED


def test_too_few_attempts_is_an_open_breach_once_the_decision_window_closed():
    during = states(lead_items(AGREEMENT, lead(1, follow_up_after=1, attempts=2), MONDAY + timedelta(days=2)))
    after = states(lead_items(AGREEMENT, lead(1, follow_up_after=1, attempts=2), MONDAY + timedelta(days=6)))
    enough = states(lead_items(AGREEMENT, lead(1, follow_up_after=1, attempts=3), MONDAY + timedelta(days=2)))
    assert during[ItemKind.ATTEMPTS] is ItemState.PENDING
    assert after[ItemKind.ATTEMPTS] is ItemState.OPEN_BREACH
    assert enough[ItemKind.ATTEMPTS] is ItemState.MET


def test_side_compliance_is_met_over_counted_across_all_that_sides_commitments():
    good = lead(1, follow_up_after=1, attempts=3, decision_after=48)          # 3 of 3 sales items met
    poor = lead(2, follow_up_after=30, attempts=1, decision_after=200)        # 0 of 3 met
    figures = sla_report(AGREEMENT, [good, poor], LATER)
    assert (figures.sales.met, figures.sales.counted) == (3, 6)
    assert figures.sales.compliance == D("0.5")
    assert (figures.marketing.met, figures.marketing.counted, figures.marketing.compliance) == (2, 2, D(1))


def test_compliance_is_reported_per_person_on_each_side():
    leads = [
        lead(1, owner=ANNA, marketer=MIA, follow_up_after=1),
        lead(2, owner=BEN, marketer=MAX, handover_after=5, follow_up_after=30),
        lead(3, owner=BEN, marketer=None, follow_up_after=1),                 # no marketing person: not listed
    ]
    figures = sla_report(AGREEMENT, leads, LATER)
    assert figures.sales_by_person[ANNA].compliance == D(1)
    assert (figures.sales_by_person[BEN].met, figures.sales_by_person[BEN].counted) == (5, 6)
    assert set(figures.marketing_by_person) == {MIA, MAX}
    assert figures.marketing_by_person[MAX].compliance == D(0)


def test_breaches_are_listed_by_due_time_then_lead():
    leads = [lead(2, follow_up_after=None), lead(1, follow_up_after=None),
             lead(3, mql=MONDAY - timedelta(days=1), follow_up_after=None)]
    figures = sla_report(AGREEMENT, leads, MONDAY + timedelta(hours=30))
    assert [(b.lead_id, b.item) for b in figures.breaches] == [
        (3, ItemKind.FOLLOW_UP), (1, ItemKind.FOLLOW_UP), (2, ItemKind.FOLLOW_UP)]


def test_facts_after_as_of_have_not_happened_yet():
    as_of = MONDAY + timedelta(hours=30)
    future_touch = lead(1, follow_up_after=40, decision_after=50)
    figures = sla_report(AGREEMENT, [future_touch, lead(2, mql=as_of + timedelta(days=1))], as_of)
    assert figures.mql_volume == 1
    assert [(b.item, b.state) for b in figures.breaches] == [(ItemKind.FOLLOW_UP, ItemState.OPEN_BREACH)]
    assert figures.acceptance_rate is None
    assert figures.response_median_hours is None


# --- acceptance rate ---------------------------------------------------------------------

def test_acceptance_rate_is_sal_over_decided_leads():
    decisions = ["SAL"] * 6 + ["RECYCLED"] * 2 + ["DISQUALIFIED", None]
    leads = [lead(i, decision=d, follow_up_after=1) for i, d in enumerate(decisions, start=1)]
    figures = sla_report(AGREEMENT, leads, LATER)
    assert figures.acceptance_rate == D(6) / D(9)
    assert figures.acceptance_met is True            # 0.666… ≥ 0.6


def test_acceptance_rate_is_unknown_while_nothing_is_decided():
    figures = sla_report(AGREEMENT, [lead(1, decision=None)], LATER)
    assert figures.acceptance_rate is None
    assert figures.acceptance_met is None


def test_acceptance_below_target_is_not_met_and_stages_are_accepted_as_decisions():
    leads = [lead(1, decision=Stage.SAL), lead(2, decision=Stage.RECYCLED), lead(3, decision=Stage.DISQUALIFIED)]
    figures = sla_report(AGREEMENT, leads, LATER)
    assert figures.acceptance_rate == D(1) / D(3)
    assert figures.acceptance_met is False


def test_an_unknown_decision_is_refused():
    with pytest.raises(ValueError):
        sla_report(AGREEMENT, [lead(1, decision="WON")], LATER)


# --- response times ------------------------------------------------------------------------

def test_median_of_an_odd_count_is_the_middle_value():
    assert median([D(5), D(1), D(3)]) == D(3)


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    assert median([D(4), D(1), D(2), D(10)]) == D(3)
    assert median([]) is None


def test_p90_is_nearest_rank():
    ten = [D(h) for h in range(1, 11)]
    assert nearest_rank(ten, D("0.9")) == D(9)              # ceil(0.9 × 10) = 9th
    eleven = [D(h) for h in range(1, 12)]
    assert nearest_rank(eleven, D("0.9")) == D(10)          # ceil(9.9) = 10th
    assert nearest_rank([D(7)], D("0.9")) == D(7)
    assert nearest_rank([], D("0.9")) is None


def test_response_times_count_every_lead_with_a_first_follow_up_late_ones_included():
    hours = [1, 2, 3, 5, 8, 12, 24, 25, 30, 48]
    leads = [lead(i, follow_up_after=h) for i, h in enumerate(hours, start=1)]
    leads.append(lead(99, follow_up_after=None))             # never touched: no response time
    figures = sla_report(AGREEMENT, leads, LATER)
    assert figures.response_median_hours == D(10)            # (8 + 12) / 2
    assert figures.response_p90_hours == D(30)               # the 9th of 10
    assert isinstance(figures.response_median_hours, Decimal)


def test_response_time_in_minutes_is_a_fraction_of_an_hour():
    figures = sla_report(AGREEMENT, [lead(1, follow_up_after=0.5)], LATER)
    assert figures.response_median_hours == D("0.5")


# --- business hours ------------------------------------------------------------------------

FRIDAY_4PM = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)


def test_two_business_hours_from_friday_4pm_end_monday_10am():
    assert add_business_hours(FRIDAY_4PM, D(2)) == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


def test_business_hours_start_at_the_next_opening_outside_hours():
    saturday = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
    early_tuesday = datetime(2026, 11, 10, 7, 30, tzinfo=UTC)
    assert add_business_hours(saturday, D(1)) == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    assert add_business_hours(early_tuesday, D("1.5")) == datetime(2026, 11, 10, 10, 30, tzinfo=UTC)


def test_a_deadline_at_closing_time_stays_that_evening():
    assert add_business_hours(datetime(2026, 11, 6, 15, 0, tzinfo=UTC), D(2)) == \
        datetime(2026, 11, 6, 17, 0, tzinfo=UTC)


def test_a_full_week_is_forty_business_hours():
    assert add_business_hours(MONDAY, D(40)) == datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
    assert add_business_hours(MONDAY, D(41)) == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)


def test_business_hours_follow_the_wall_clock_of_the_agreed_zone():
    # 09:00-17:00 in Berlin (UTC+1 in November): Friday 15:00 UTC is 16:00 there.
    due = add_business_hours(datetime(2026, 11, 6, 15, 0, tzinfo=UTC), D(2), "Europe/Berlin")
    assert due == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)     # Monday 10:00 in Berlin


def test_negative_business_hours_are_refused():
    with pytest.raises(ValueError):
        add_business_hours(FRIDAY_4PM, D(-1))


def test_a_business_hours_agreement_does_not_breach_over_the_weekend():
    agreement = replace(AGREEMENT, handover_hours=D(2), business_hours_only=True)
    friday_lead = lead(1, mql=FRIDAY_4PM, handover_after=None, decision=None)
    monday_9_30 = datetime(2026, 11, 9, 9, 30, tzinfo=UTC)
    items = lead_items(agreement, friday_lead, monday_9_30)
    assert items[0].due == datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    assert items[0].state is ItemState.PENDING
    calendar = lead_items(AGREEMENT, friday_lead, monday_9_30)      # calendar hours: long overdue
    assert calendar[0].state is ItemState.OPEN_BREACH


def test_business_hours_decision_days_are_eight_hour_business_days():
    agreement = replace(AGREEMENT, business_hours_only=True, decision_days=D(1))
    handed_over_friday = lead(1, mql=FRIDAY_4PM - timedelta(hours=1), handover_after=1, follow_up_after=None,
                              decision=None)
    decision = next(i for i in lead_items(agreement, handed_over_friday, LATER) if i.kind is ItemKind.DECISION)
    assert decision.due == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)      # Friday 1 h + Monday 7 h


# --- the monthly cross-team award ------------------------------------------------------------

def test_awards_name_the_best_person_per_month_and_side():
    november, december = MONDAY, datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    leads = [
        lead(1, mql=november, owner=ANNA, marketer=MIA, follow_up_after=1),                   # Anna 3/3
        lead(2, mql=november, owner=BEN, marketer=MAX, handover_after=6, follow_up_after=30),  # Ben 2/3, Max 0/1
        lead(3, mql=december, owner=BEN, marketer=MAX, follow_up_after=1),                    # Ben 3/3, Max 1/1
        lead(4, mql=december, owner=ANNA, marketer=MIA, handover_after=6, follow_up_after=30, attempts=0),
    ]
    awards = monthly_awards(AGREEMENT, leads, LATER)
    assert awards == [
        Award("2026-11", Side.MARKETING, MIA, D(1), 1, 1),
        Award("2026-11", Side.SALES, ANNA, D(1), 3, 3),
        Award("2026-12", Side.MARKETING, MAX, D(1), 1, 1),
        Award("2026-12", Side.SALES, BEN, D(1), 3, 3),
    ]
    assert awards[1].side == "SALES" and awards[0].side == "MARKETING"


def test_award_ties_go_to_more_counted_items_then_the_lower_person_id():
    leads = [
        lead(1, owner=BEN, marketer=MAX, follow_up_after=1),
        lead(2, owner=BEN, marketer=MAX, follow_up_after=1),       # Ben 6/6, Max 2/2
        lead(3, owner=ANNA, marketer=MIA, follow_up_after=1),      # Anna 3/3, Mia 1/1
    ]
    awards = {a.side: a for a in monthly_awards(AGREEMENT, leads, LATER)}
    assert (awards[Side.SALES].person_id, awards[Side.SALES].counted) == (BEN, 6)
    assert awards[Side.MARKETING].person_id == MAX

    equal = [lead(1, owner=BEN, marketer=MAX, follow_up_after=1), lead(2, owner=ANNA, marketer=MIA, follow_up_after=1)]
    awards = {a.side: a for a in monthly_awards(AGREEMENT, equal, LATER)}
    assert awards[Side.SALES].person_id == ANNA          # 11 < 12
    assert awards[Side.MARKETING].person_id == MIA       # 21 < 22


def test_awards_group_items_by_their_due_month():
    # MQL on 30 November 19:00: the hand-over is due that evening, the follow-up on 1 December.
    late_november = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    leads = [lead(1, mql=late_november, handover_after=1, owner=ANNA, marketer=MIA, follow_up_after=30)]
    awards = monthly_awards(AGREEMENT, leads, LATER)
    assert [(a.month, a.side, a.person_id, a.met, a.counted) for a in awards] == [
        ("2026-11", Side.MARKETING, MIA, 1, 1),
        ("2026-12", Side.SALES, ANNA, 2, 3),
    ]


def test_people_with_nothing_counted_get_no_award():
    as_of = MONDAY + timedelta(hours=2)        # hand-over counted; sales items not yet due or met
    awards = monthly_awards(AGREEMENT, [lead(1, follow_up_after=None, attempts=0, decision=None)], as_of)
    assert [(a.side, a.person_id) for a in awards] == [(Side.MARKETING, MIA)]


# --- from a lead's facts --------------------------------------------------------------------

def test_sla_input_from_lead_facts():
    facts = LeadFacts(stage=Stage.SAL, owner_person_id=ANNA, mql_at=MONDAY, handover_at=MONDAY + timedelta(hours=1),
                      handover_owner_id=ANNA, first_follow_up_at=MONDAY + timedelta(hours=2), attempts=3,
                      decision=Stage.SAL, decision_at=MONDAY + timedelta(hours=5), sal_at=MONDAY, sql_at=None)
    sla = lead_sla(7, facts, MIA)
    assert sla.decision == "SAL" and sla.marketing_person_id == MIA and sla.lead_id == 7
    assert lead_sla(7, replace(facts, mql_at=None), MIA) is None


def _business_hours_day_by_day(start, hours, tz):
    from domain.leads import sla
    """add_business_hours walked a business day at a time (the reference for the whole-week shortcut)."""
    from zoneinfo import ZoneInfo
    remaining = round(Decimal(hours) * 3_600_000_000)
    local = start.astimezone(ZoneInfo(tz))
    while True:
        local = sla._open_or_next(local)
        closing = local.replace(hour=17, minute=0, second=0, microsecond=0)
        available = (closing - local) // timedelta(microseconds=1)
        if remaining <= available:
            return (local + timedelta(microseconds=remaining)).astimezone(timezone.utc)
        remaining -= available
        local = closing


def test_long_business_hours_skip_whole_weeks_with_the_same_result_across_daylight_saving():
    from domain.leads import sla
    import random
    rng = random.Random(5)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]
    for _ in range(400):
        start = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
        hours = Decimal(rng.choice([rng.randrange(1, 100), rng.randrange(100, 20_000)])) + Decimal(
            rng.randrange(0, 1000)) / 1000
        tz = rng.choice(zones)
        assert sla.add_business_hours(start, hours, tz) == _business_hours_day_by_day(start, hours, tz), (
            start, hours, tz)
    far = sla.add_business_hours(datetime(2026, 1, 1, tzinfo=timezone.utc), Decimal(999_999), "Europe/Berlin")
    assert far.year == 2505  # 999,999 business hours are 25,000 weeks less an hour, worked out at once


def test_a_leads_response_time_is_one_rule_for_the_lead_and_the_slas_median():
    """Lead.responseHours (and the leads CSV) and the SLA's response times read the same function, exactly."""
    from domain.leads import rules as lead_rules, sla as sla_rules
    t0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    lags = [timedelta(hours=1, microseconds=1), timedelta(minutes=90), timedelta(days=2, seconds=7)]
    leads = [sla_rules.LeadSla(lead_id=i, mql_at=t0, handover_at=t0, handover_owner_id=1, marketing_person_id=None,
                               first_follow_up_at=t0 + lag, attempts=1, decision=None, decision_at=None)
             for i, lag in enumerate(lags)]
    each = [lead_rules.lead_response_hours(lead.handover_at, lead.first_follow_up_at) for lead in leads]
    assert each[0] == Decimal(3_600_000_001) / Decimal(3_600_000_000)  # exact to the microsecond
    assert sla_rules.response_hours(leads, t0 + timedelta(days=3)) == each
    assert sla_rules.response_hours(leads, t0 + timedelta(hours=2)) == each[:2]  # a follow-up not yet made
    assert lead_rules.lead_response_hours(t0, None) is None and lead_rules.lead_response_hours(None, t0) is None
    assert sla_rules.hours_between(t0, t0 + lags[1]) == Decimal("1.5") == each[1]


def test_breaches_are_tallied_in_all_by_side_and_by_person():
    from domain.leads.sla import ItemKind, ItemState, Side, SlaItem, breach_tally
    t = datetime(2026, 11, 2, tzinfo=timezone.utc)
    item = lambda lead, side, kind, person, state: SlaItem(lead, side, kind, person, t, None, state)
    tally = breach_tally([
        item(1, Side.MARKETING, ItemKind.HANDOVER, 7, ItemState.OPEN_BREACH),
        item(1, Side.SALES, ItemKind.FOLLOW_UP, 8, ItemState.MISSED),
        item(2, Side.SALES, ItemKind.DECISION, 8, ItemState.OPEN_BREACH),
        item(2, Side.SALES, ItemKind.ATTEMPTS, None, ItemState.MISSED),
        item(3, Side.SALES, ItemKind.FOLLOW_UP, 9, ItemState.MET),
        item(3, Side.MARKETING, ItemKind.HANDOVER, 7, ItemState.PENDING),
    ])
    assert tally.open_and_missed() == (2, 2)
    assert tally.open_and_missed(Side.SALES) == (1, 2) and tally.open_and_missed(Side.MARKETING) == (1, 0)
    assert tally.open_and_missed(Side.SALES, 8) == (1, 1) and tally.open_and_missed(Side.SALES, 9) == (0, 0)
    assert tally.person_of == {(1, ItemKind.HANDOVER): 7, (1, ItemKind.FOLLOW_UP): 8, (2, ItemKind.DECISION): 8,
                               (2, ItemKind.ATTEMPTS): None}
