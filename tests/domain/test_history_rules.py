"""The pure rules of history (issue 18): the steps of a series, its range, facts summed up to each instant, a
check-in replay, the SLA's weeks and the cohort funnel."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.goals import rules
from domain.goals.rules import SeriesStep
from domain.leads import sla
from domain.leads.rules import CohortLead, cohort_funnel

UTC = timezone.utc
D = Decimal


def test_weekly_steps_end_on_sundays_and_on_the_last_day():
    # 1 October 2026 is a Thursday
    assert rules.series_days(date(2026, 10, 1), date(2026, 10, 20), SeriesStep.WEEK) == [
        date(2026, 10, 4), date(2026, 10, 11), date(2026, 10, 18), date(2026, 10, 20)]
    assert rules.series_days(date(2026, 10, 1), date(2026, 10, 18), SeriesStep.WEEK)[-1] == date(2026, 10, 18)
    assert rules.series_days(date(2026, 10, 5), date(2026, 10, 5), SeriesStep.WEEK) == [date(2026, 10, 5)]
    assert rules.series_days(date(2026, 10, 5), date(2026, 10, 4), SeriesStep.DAY) == []
    assert len(rules.series_days(date(2026, 10, 1), date(2026, 12, 31), SeriesStep.DAY)) == 92


@pytest.mark.parametrize("start,days", [(date(2026, 10, 1), n) for n in range(0, 30)]
                         + [(date(2026, 10, 4), n) for n in (0, 1, 6, 7, 8, 400, 401)])
def test_series_length_counts_without_listing(start, days):
    end = start + timedelta(days=days)
    for every in SeriesStep:
        assert rules.series_length(start, end, every) == len(rules.series_days(start, end, every))


def test_a_range_must_lie_in_the_period_in_order():
    first, last = date(2026, 10, 1), date(2026, 12, 31)
    assert rules.series_range_problem(first, last, None, None) is None
    assert rules.series_range_problem(first, last, first, last) is None
    assert rules.series_range_problem(first, last, date(2026, 9, 30), None)[0] == "from"
    assert rules.series_range_problem(first, last, None, date(2027, 1, 1))[0] == "to"
    assert rules.series_range_problem(first, last, date(2026, 11, 2), date(2026, 11, 1))[0] == "from"


def test_an_as_of_day_is_a_day_of_the_period_not_after_today():
    first, last, today = date(2026, 10, 1), date(2026, 12, 31), date(2026, 11, 20)
    assert rules.as_of_day_problem(first, last, today, first) is None
    assert rules.as_of_day_problem(first, last, today, today) is None
    assert "a day of the period (2026-10-01 to 2026-12-31)" in rules.as_of_day_problem(first, last, today,
                                                                                        date(2026, 9, 30))
    assert "a day of the period" in rules.as_of_day_problem(first, last, today, date(2027, 1, 1))
    assert "after today (2026-11-20)" in rules.as_of_day_problem(first, last, today, date(2026, 11, 21))
    # a closed quarter: any of its days, its last included
    assert rules.as_of_day_problem(first, last, date(2027, 1, 5), last) is None


def test_an_as_of_day_is_written_year_month_day():
    assert rules.read_day("2026-09-30") == date(2026, 9, 30)
    for text in ("2026-13-01", "2026-02-30", "20260930", "2026-9-30", "30/09/2026", "", "yesterday", "２０２６-09-30"):
        assert rules.read_day(text) is None, text


def test_facts_count_from_their_bucket_at_each_instant():
    buckets = [(datetime(2026, 10, 2, 9, tzinfo=UTC), 3), (datetime(2026, 10, 1, 23, tzinfo=UTC), 2),
               (datetime(2026, 10, 5, 0, tzinfo=UTC), 10)]
    ends = [rules.as_of_end_of(date(2026, 10, d), "UTC") for d in (1, 2, 4, 5)]
    assert rules.bucketed_at(buckets, ends) == [2, 5, 5, 15]
    assert rules.bucketed_at([], ends) == [0, 0, 0, 0]


def test_facts_are_counted_by_the_coarsest_bucket_that_ends_with_the_days():
    day = lambda tz: [rules.as_of_end_of(date(2026, 10, 1), tz)]  # noqa: E731
    assert rules.bucket_size(day("UTC")) == "DAY"
    assert rules.bucket_size(day("Europe/Berlin")) == "HOUR"
    assert rules.bucket_size(day("Asia/Kolkata")) == "MINUTE"


def test_a_day_ends_at_the_next_local_midnight():
    assert rules.day_end(date(2026, 10, 1), "UTC") == datetime(2026, 10, 2, tzinfo=UTC)
    # Berlin is UTC+2 in summer time: 25 October 2026 has 25 hours (clocks go back)
    assert rules.day_end(date(2026, 10, 24), "Europe/Berlin") == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert rules.day_end(date(2026, 10, 25), "Europe/Berlin") == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_a_check_in_replay_takes_the_last_value_made_by_each_instant():
    values = [(datetime(2026, 10, 8, tzinfo=UTC), D(3)), (datetime(2026, 11, 5, tzinfo=UTC), D(7))]
    instants = [datetime(2026, 10, 7, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)]
    assert rules.latest_at(values, instants, D(0)) == [D(0), D(3), D(7)]


def test_iso_weeks_are_clipped_to_the_period():
    weeks = sla.iso_weeks(date(2026, 10, 1), date(2026, 12, 31))
    assert (weeks[0].start, weeks[0].end) == (date(2026, 10, 1), date(2026, 10, 4))
    assert (weeks[1].start, weeks[1].end) == (date(2026, 10, 5), date(2026, 10, 11))
    assert (weeks[-1].start, weeks[-1].end) == (date(2026, 12, 28), date(2026, 12, 31))
    assert len(weeks) == 14
    assert weeks[0].ends == weeks[1].begins == datetime(2026, 10, 5, tzinfo=UTC)
    berlin = sla.iso_weeks(date(2026, 10, 1), date(2026, 10, 4), "Europe/Berlin")
    assert berlin[0].begins == datetime(2026, 9, 30, 22, tzinfo=UTC)


def _lead(lead_id, mql_at):
    return sla.LeadSla(lead_id, mql_at, None, None, None, None, 0, None, None)


def _item(lead_id, side, state):
    kind = sla.ItemKind.HANDOVER if side is sla.Side.MARKETING else sla.ItemKind.FOLLOW_UP
    return sla.SlaItem(lead_id, side, kind, None, datetime(2026, 10, 1, tzinfo=UTC), None, state)


def test_weekly_compliance_groups_items_by_their_leads_mql_week():
    weeks = sla.iso_weeks(date(2026, 10, 1), date(2026, 10, 18))
    leads = [_lead(1, datetime(2026, 10, 2, tzinfo=UTC)), _lead(2, datetime(2026, 10, 5, tzinfo=UTC)),
             _lead(3, datetime(2026, 10, 11, 23, tzinfo=UTC))]
    met, missed, pending = sla.ItemState.MET, sla.ItemState.MISSED, sla.ItemState.PENDING
    items = [_item(1, sla.Side.MARKETING, met), _item(1, sla.Side.SALES, missed),
             _item(2, sla.Side.MARKETING, missed), _item(3, sla.Side.MARKETING, met),
             _item(3, sla.Side.SALES, met), _item(2, sla.Side.SALES, pending)]
    found = sla.weekly_compliance(leads, items, weeks)
    as_counts = [((m.met, m.counted), (s.met, s.counted)) for m, s in found]
    assert as_counts == [((1, 1), (0, 1)), ((1, 2), (1, 1)), ((0, 0), (0, 0))]


def test_the_cohort_credits_every_stage_to_the_first_touch_team_as_of_a_moment():
    t = lambda d: datetime(2026, 10, d, tzinfo=UTC)  # noqa: E731
    leads = [CohortLead(7, t(1), t(2), t(3), ((t(5), 100_00), (t(9), 50_00))),
             CohortLead(7, t(2), t(8), None, ()),
             CohortLead(None, t(3), None, None, ((t(4), 20_00),)),
             CohortLead(7, t(12), t(13), None, ())]
    found = cohort_funnel(leads, t(6))
    assert (found[7].mqls, found[7].sals, found[7].sqls, found[7].won, found[7].won_cents) == (2, 1, 1, 1, 100_00)
    assert (found[None].mqls, found[None].won, found[None].won_cents) == (1, 1, 20_00)
    later = cohort_funnel(leads, t(20))
    assert (later[7].mqls, later[7].sals, later[7].won_cents) == (3, 3, 150_00)


def test_follow_up_compliance_and_responses_count_from_when_they_hold():
    h = 3_600_000_000  # an hour in microseconds
    rows = [sla.FollowUpRow(0, 2 * h, 5 * h, 26 * h, True),        # followed up in time at 5h: met from 5h
            sla.FollowUpRow(0, 2 * h, 40 * h, 26 * h, True),       # late: counted from 26h (overdue), responds at 40h
            sla.FollowUpRow(0, 2 * h, None, 26 * h, True),         # never: counted once overdue
            sla.FollowUpRow(0, 2 * h, 3 * h, 26 * h, False),       # handed to someone outside the sales team
            sla.FollowUpRow(0, None, None, None, True)]            # not handed over
    found = sla.follow_up_as_of(rows, [4 * h, 5 * h, 26 * h, 26 * h + 1, 40 * h])
    assert [(met, counted) for met, counted, _ in found] == [(0, 0), (1, 1), (1, 1), (1, 3), (1, 3)]
    assert [responses for _, _, responses in found] == [[], [3 * h], [3 * h], [3 * h], [3 * h, 38 * h]]
    assert sla.median_of_sorted([3 * h, 38 * h]) == sla.median([Decimal(3), Decimal(38)]) == Decimal("20.5")
    assert sla.median_of_sorted([]) is None
