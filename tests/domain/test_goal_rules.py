"""Shared-goal rules, tested against DOMAIN.md ("Shared goals (OKRs)" and "Settled rules" -> Numbers, Periods, Goals).

Every value is a Decimal; every instant is timezone-aware.
"""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.goals.rules import (
    KeyResultKind, Status, clamp, creates_cycle, expected_progress, raw_progress, score,
    shares_problem, status, target_problem, weakest, weighted_progress,
)

UTC = timezone.utc
D = Decimal
K = KeyResultKind

# 2026-Q4 with the default fiscal year (January) and timezone (UTC): [2026-10-01, 2027-01-01), 92 days.
Q4_START = datetime(2026, 10, 1, tzinfo=UTC)
Q4_END = datetime(2027, 1, 1, tzinfo=UTC)
Q4_MIDPOINT = datetime(2026, 11, 16, tzinfo=UTC)  # 46 days in, 46 days to go


def progress(kind, start, target, current):
    """Raw and clamped progress, as a pair."""
    raw = raw_progress(kind, D(start), D(target), D(current))
    return raw, clamp(raw)


# --- key result progress: INCREASE_TO / DECREASE_TO ------------------------------------------

def test_decreasing_response_time_from_48_to_24_hours_at_30_hours_is_three_quarters_done():
    raw, clamped = progress(K.DECREASE_TO, "48", "24", "30")
    assert raw == D("0.75")
    assert clamped == D("0.75")
    assert isinstance(raw, Decimal)


def test_increasing_from_10_to_20_at_15_is_half_done():
    raw, clamped = progress(K.INCREASE_TO, "10", "20", "15")
    assert raw == D("0.5")
    assert clamped == D("0.5")


def test_increase_that_fell_below_its_start_is_negative_raw_progress():
    raw, _ = progress(K.INCREASE_TO, "10", "20", "5")
    assert raw == D("-0.5")


def test_wrong_direction_counts_as_no_progress():
    _, clamped = progress(K.INCREASE_TO, "10", "20", "5")
    assert clamped == D("0")


def test_decrease_that_went_up_is_negative_raw_progress_never_its_absolute_value():
    raw, clamped = progress(K.DECREASE_TO, "48", "24", "60")
    assert raw == D("-0.5")
    assert clamped == D("0")


def test_overshooting_an_increase_stays_above_one_in_raw_progress():
    raw, _ = progress(K.INCREASE_TO, "10", "20", "25")
    assert raw == D("1.5")


def test_overshooting_an_increase_counts_as_one_once_clamped():
    _, clamped = progress(K.INCREASE_TO, "10", "20", "25")
    assert clamped == D("1")


def test_overshooting_a_decrease_stays_above_one_in_raw_progress_and_clamps_to_one():
    raw, clamped = progress(K.DECREASE_TO, "48", "24", "12")
    assert raw == D("1.5")
    assert clamped == D("1")


def test_hitting_the_target_exactly_is_full_progress():
    assert progress(K.INCREASE_TO, "10", "20", "20") == (D("1"), D("1"))
    assert progress(K.DECREASE_TO, "48", "24", "24") == (D("1"), D("1"))


@pytest.mark.parametrize("kind, start, target", [
    (K.INCREASE_TO, "10", "20"),
    (K.DECREASE_TO, "48", "24"),
    (K.INCREASE_TO, "0.12", "0.30"),       # a PERCENT key result, written as fractions
    (K.INCREASE_TO, "1500000.00", "2000000.00"),  # CURRENCY bookings
])
def test_before_the_first_check_in_current_equals_start_so_progress_is_zero(kind, start, target):
    raw, clamped = progress(kind, start, target, start)
    assert raw == D("0")
    assert clamped == D("0")


def test_percent_values_are_fractions_and_progress_is_exact_in_decimal():
    # MQL->SQL rate from 12% to 30%, now 21%: (0.21 - 0.12) / (0.30 - 0.12) = 0.5 exactly (no float drift)
    raw, _ = progress(K.INCREASE_TO, "0.12", "0.30", "0.21")
    assert raw == D("0.5")


def test_currency_progress_uses_exact_decimal_arithmetic():
    # bookings from 1,500,000.00 to 2,000,000.00, now 1,875,000.00 -> 375,000 / 500,000 = 0.75
    raw, _ = progress(K.INCREASE_TO, "1500000.00", "2000000.00", "1875000.00")
    assert raw == D("0.75")


# --- key result progress: STAY_AT_OR_ABOVE / STAY_AT_OR_BELOW ------------------------------

@pytest.mark.parametrize("current, expected", [("0.9", "1"), ("0.95", "1"), ("0.89", "0")])
def test_stay_at_or_above_is_met_at_or_above_the_target_and_not_below(current, expected):
    # SLA follow-up rate must stay at or above 90%
    raw, clamped = progress(K.STAY_AT_OR_ABOVE, "0.95", "0.9", current)
    assert raw == D(expected)
    assert clamped == D(expected)


@pytest.mark.parametrize("current, expected", [("24", "1"), ("12", "1"), ("24.01", "0")])
def test_stay_at_or_below_is_met_at_or_below_the_target_and_not_above(current, expected):
    # median response hours must stay at or below 24
    raw, clamped = progress(K.STAY_AT_OR_BELOW, "20", "24", current)
    assert raw == D(expected)
    assert clamped == D(expected)


def test_stay_kinds_are_all_or_nothing_never_partial():
    assert progress(K.STAY_AT_OR_ABOVE, "0", "100", "99.99")[0] == D("0")
    assert progress(K.STAY_AT_OR_BELOW, "0", "100", "100.01")[0] == D("0")


# --- key result progress: MILESTONE ----------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("0", "0"), ("0.99", "0"), ("1", "1"), ("2", "1")])
def test_milestone_is_done_when_its_value_is_at_least_one(value, expected):
    raw, clamped = progress(K.MILESTONE, "0", "1", value)
    assert raw == D(expected)
    assert clamped == D(expected)


def test_milestone_not_yet_done_before_its_first_check_in():
    assert progress(K.MILESTONE, "0", "1", "0")[0] == D("0")


# --- target_problem ---------------------------------------------------------------------------

def test_increase_to_accepts_a_target_above_its_start():
    assert target_problem(K.INCREASE_TO, D("10"), D("20")) is None


@pytest.mark.parametrize("target", ["10", "9", "-5"])
def test_increase_to_refuses_a_target_equal_to_or_below_its_start(target):
    assert target_problem(K.INCREASE_TO, D("10"), D(target))


def test_decrease_to_accepts_a_target_below_its_start():
    assert target_problem(K.DECREASE_TO, D("48"), D("24")) is None


@pytest.mark.parametrize("target", ["48", "49", "100"])
def test_decrease_to_refuses_a_target_equal_to_or_above_its_start(target):
    assert target_problem(K.DECREASE_TO, D("48"), D(target))


@pytest.mark.parametrize("kind", [K.STAY_AT_OR_ABOVE, K.STAY_AT_OR_BELOW, K.MILESTONE])
@pytest.mark.parametrize("start, target", [("10", "20"), ("20", "10"), ("10", "10"), ("0", "0")])
def test_stay_and_milestone_kinds_accept_any_start_and_target(kind, start, target):
    assert target_problem(kind, D(start), D(target)) is None


# --- expected progress ------------------------------------------------------------------------

def test_expected_progress_is_zero_before_the_period_starts():
    assert expected_progress(Q4_START, Q4_END, Q4_START - timedelta(days=3)) == D("0")


def test_expected_progress_is_zero_at_the_first_instant_of_the_period():
    assert expected_progress(Q4_START, Q4_END, Q4_START) == D("0")


def test_expected_progress_is_one_half_at_the_exact_midpoint_of_the_quarter():
    result = expected_progress(Q4_START, Q4_END, Q4_MIDPOINT)
    assert result == D("0.5")
    assert isinstance(result, Decimal)


def test_expected_progress_is_the_elapsed_fraction_of_the_period():
    # one day into a 92-day quarter
    assert expected_progress(Q4_START, Q4_END, Q4_START + timedelta(days=1)) == D(1) / D(92)
    # 23 of 92 days is exactly a quarter
    assert expected_progress(Q4_START, Q4_END, Q4_START + timedelta(days=23)) == D("0.25")


def test_expected_progress_is_one_at_the_end_of_the_period():
    assert expected_progress(Q4_START, Q4_END, Q4_END) == D("1")


def test_expected_progress_is_one_after_the_period_has_ended():
    assert expected_progress(Q4_START, Q4_END, Q4_END + timedelta(days=40)) == D("1")


@pytest.mark.parametrize("as_of", [
    Q4_START - timedelta(days=30), Q4_START, Q4_MIDPOINT, Q4_END, Q4_END + timedelta(days=30),
])
def test_expected_progress_is_one_once_the_period_is_closed_whatever_the_clock(as_of):
    assert expected_progress(Q4_START, Q4_END, as_of, closed=True) == D("1")


def test_expected_progress_compares_instants_not_wall_clock_times():
    # the UTC midpoint, seen from New York time (UTC-5 in November)
    new_york = timezone(timedelta(hours=-5))
    as_of = datetime(2026, 11, 15, 19, 0, tzinfo=new_york)
    assert as_of == Q4_MIDPOINT
    assert expected_progress(Q4_START, Q4_END, as_of) == D("0.5")


# --- status ------------------------------------------------------------------------------------

def test_no_gap_is_on_track():
    assert status(D("0.5"), D("0.5")) is Status.ON_TRACK


def test_being_ahead_of_schedule_is_on_track():
    assert status(D("0.9"), D("0.5")) is Status.ON_TRACK


def test_nothing_done_before_the_period_starts_is_on_track():
    assert status(D("0"), D("0")) is Status.ON_TRACK


def test_gap_just_below_0_165_is_on_track():
    assert status(D("0"), D("0.164999")) is Status.ON_TRACK
    assert status(D("0.335001"), D("0.5")) is Status.ON_TRACK


def test_gap_of_exactly_0_165_is_at_risk():
    assert status(D("0"), D("0.165")) is Status.AT_RISK
    assert status(D("0.335"), D("0.5")) is Status.AT_RISK


def test_gap_between_the_thresholds_is_at_risk():
    assert status(D("0.25"), D("0.5")) is Status.AT_RISK


def test_gap_of_exactly_0_33_is_at_risk():
    assert status(D("0"), D("0.33")) is Status.AT_RISK
    assert status(D("0.17"), D("0.5")) is Status.AT_RISK


def test_gap_just_above_0_33_is_off_track():
    assert status(D("0"), D("0.330001")) is Status.OFF_TRACK
    assert status(D("0.169999"), D("0.5")) is Status.OFF_TRACK


def test_large_gap_is_off_track():
    assert status(D("0"), D("1")) is Status.OFF_TRACK


def test_gap_that_rounds_up_to_0_165_at_six_places_is_at_risk():
    assert status(D("0"), D("0.1649999996")) is Status.AT_RISK


def test_gap_that_rounds_down_below_0_165_at_six_places_is_on_track():
    assert status(D("0"), D("0.1649994")) is Status.ON_TRACK


def test_gap_that_rounds_down_to_0_33_at_six_places_is_at_risk():
    assert status(D("0"), D("0.3300000004")) is Status.AT_RISK


def test_gap_rounding_is_half_up_so_0_3300005_becomes_0_330001_and_off_track():
    # banker's rounding would give 0.330000 (AT_RISK); ROUND_HALF_UP gives 0.330001
    assert status(D("0"), D("0.3300005")) is Status.OFF_TRACK


def test_progress_of_one_is_accomplished_even_when_the_period_is_over():
    assert status(D("1"), D("1")) is Status.ACCOMPLISHED


def test_progress_of_one_is_accomplished_at_any_point_in_the_period():
    assert status(D("1"), D("0")) is Status.ACCOMPLISHED
    assert status(D("1"), D("0.5")) is Status.ACCOMPLISHED


def test_overshoot_is_accomplished():
    assert status(D("1.5"), D("1")) is Status.ACCOMPLISHED


def test_almost_done_is_not_accomplished_but_on_track():
    assert status(D("0.9999999"), D("1")) is Status.ON_TRACK


def test_status_from_worked_numbers_at_the_midpoint_of_the_quarter():
    expected = expected_progress(Q4_START, Q4_END, Q4_MIDPOINT)       # 0.5
    _, response_time = progress(K.DECREASE_TO, "48", "24", "30")      # 0.75
    _, bookings = progress(K.INCREASE_TO, "10", "20", "5")            # 0 (wrong direction)
    _, mqls = progress(K.INCREASE_TO, "100", "200", "130")            # 0.3, gap 0.2
    assert status(response_time, expected) is Status.ON_TRACK
    assert status(mqls, expected) is Status.AT_RISK
    assert status(bookings, expected) is Status.OFF_TRACK


# --- weakest -----------------------------------------------------------------------------------

def test_off_track_is_weaker_than_at_risk():
    assert weakest([Status.AT_RISK, Status.OFF_TRACK]) is Status.OFF_TRACK


def test_at_risk_is_weaker_than_on_track():
    assert weakest([Status.ON_TRACK, Status.AT_RISK]) is Status.AT_RISK


def test_on_track_is_weaker_than_accomplished():
    assert weakest([Status.ACCOMPLISHED, Status.ON_TRACK]) is Status.ON_TRACK


def test_an_objective_is_as_weak_as_its_weakest_key_result():
    statuses = [Status.ACCOMPLISHED, Status.ON_TRACK, Status.OFF_TRACK, Status.AT_RISK, Status.ACCOMPLISHED]
    assert weakest(statuses) is Status.OFF_TRACK
    assert weakest(iter(statuses)) is Status.OFF_TRACK


def test_all_accomplished_is_accomplished():
    assert weakest([Status.ACCOMPLISHED, Status.ACCOMPLISHED]) is Status.ACCOMPLISHED


def test_a_single_status_is_its_own_weakest():
    for s in Status:
        assert weakest([s]) is s


def test_no_statuses_give_no_status():
    assert weakest([]) is None


# --- weighted progress (objective rollup) ------------------------------------------------------

def test_objective_progress_is_the_weighted_mean_of_its_key_results():
    assert weighted_progress([(D("1"), D("1")), (D("3"), D("0"))]) == D("0.25")


def test_equal_weights_give_the_plain_mean():
    assert weighted_progress([(D("1"), D("0.75")), (D("1"), D("0.25")), (D("1"), D("0.5"))]) == D("0.5")


def test_a_contributing_child_counts_with_weight_one():
    # two key results of weight 2 and 1 at 0.5 and 0, and one contributing child objective at 0.9
    parts = [(D("2"), D("0.5")), (D("1"), D("0")), (D("1"), D("0.9"))]
    assert weighted_progress(parts) == D("0.475")


def test_rollup_uses_clamped_progress_so_overshoot_cannot_hide_a_miss():
    raws = [progress(K.INCREASE_TO, "10", "20", "40")[0], progress(K.INCREASE_TO, "10", "20", "5")[0]]  # 3, -0.5
    assert weighted_progress([(D("1"), clamp(r)) for r in raws]) == D("0.5")


def test_weighted_progress_keeps_exact_decimal_fractions():
    result = weighted_progress([(D("1"), D("1")), (D("2"), D("0"))])
    assert result == D(1) / D(3)
    assert isinstance(result, Decimal)


def test_zero_total_weight_gives_zero_progress():
    assert weighted_progress([(D("0"), D("1")), (D("0"), D("0.5"))]) == D("0")


def test_nothing_to_weigh_gives_zero_progress():
    assert weighted_progress([]) == D("0")


def test_team_goal_progress_is_the_share_weighted_mean_over_its_objectives():
    # a team owns 0.6 of an objective at 0.5 and 0.2 of one at 1: (0.3 + 0.2) / 0.8 = 0.625
    assert weighted_progress([(D("0.6"), D("0.5")), (D("0.2"), D("1"))]) == D("0.625")


# --- score -------------------------------------------------------------------------------------

@pytest.mark.parametrize("progress_value, expected", [
    ("0.45", "0.5"),
    ("0.44", "0.4"),
    ("0.05", "0.1"),
    ("0.25", "0.3"),
    ("0.75", "0.8"),
    ("0.7", "0.7"),
])
def test_score_rounds_progress_half_up_to_one_decimal(progress_value, expected):
    assert score(D(progress_value)) == D(expected)


def test_score_of_overshoot_is_capped_at_one():
    assert score(D("1.3")) == D("1.0")


def test_score_of_wrong_direction_progress_is_zero():
    assert score(D("-0.2")) == D("0.0")


def test_score_just_below_one_rounds_to_one():
    assert score(D("0.96")) == D("1.0")


@pytest.mark.parametrize("progress_value", ["0.45", "1.3", "-0.2", "0", "1", "0.123456"])
def test_score_is_written_with_exactly_one_decimal_place(progress_value):
    result = score(D(progress_value))
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -1
    assert D("0.0") <= result <= D("1.0")


# --- owner shares ------------------------------------------------------------------------------

def test_sales_and_marketing_sharing_sixty_forty_is_fine():
    assert shares_problem([D("0.6"), D("0.4")]) is None


def test_a_single_owner_with_the_whole_share_is_fine():
    assert shares_problem([D("1")]) is None


def test_three_thirds_written_to_six_places_are_fine():
    assert shares_problem([D("0.333333"), D("0.333333"), D("0.333334")]) is None


@pytest.mark.parametrize("shares", [["0.5", "0.4"], ["0.6", "0.6"], ["0.333333", "0.333333", "0.333333"]])
def test_shares_not_summing_to_one_are_refused(shares):
    assert shares_problem([D(s) for s in shares])


def test_a_zero_share_is_refused():
    assert shares_problem([D("0"), D("1")])


def test_a_negative_share_is_refused_even_when_the_sum_is_one():
    assert shares_problem([D("-0.2"), D("1.2")])


def test_a_share_above_one_is_refused():
    assert shares_problem([D("1.5")])
    assert shares_problem([D("1.5"), D("-0.5")])


def test_no_owners_at_all_is_refused():
    assert shares_problem([])


def test_shares_are_rounded_to_six_places_before_summing_so_a_hidden_remainder_is_refused():
    # raw sum is exactly 1, but each rounds to 0.333333 and 3 x 0.333333 = 0.999999
    assert sum([D("0.3333334"), D("0.3333333"), D("0.3333333")]) == D("1")
    assert shares_problem([D("0.3333334"), D("0.3333333"), D("0.3333333")])


def test_rounding_shares_to_six_places_is_half_up_and_can_make_them_sum_to_one():
    # raw sum 0.9999995 is refused as is; half up: 0.333335 + 0.333333 + 0.333332 = 1 (banker's would give 0.333334)
    assert shares_problem([D("0.3333345"), D("0.333333"), D("0.333332")]) is None


def test_shares_accept_any_iterable():
    assert shares_problem(iter([D("0.25"), D("0.75")])) is None


# --- alignment cycles --------------------------------------------------------------------------
# parents_of maps an objective to the objectives it is already linked under.

def test_linking_an_objective_under_itself_is_a_cycle():
    assert creates_cycle(1, [1], {}) is True


def test_linking_an_objective_under_its_own_child_is_a_cycle():
    assert creates_cycle(1, [2], {2: [1]}) is True


def test_linking_an_objective_under_its_own_grandchild_is_a_cycle():
    assert creates_cycle(1, [3], {2: [1], 3: [2]}) is True


def test_a_cycle_through_any_one_of_several_new_parents_is_refused():
    assert creates_cycle(1, [7, 3], {2: [1], 3: [2], 7: []}) is True


def test_a_cycle_through_a_second_parent_of_a_descendant_is_found():
    # 3 sits under both 2 and 1; linking 1 under 3 is a cycle
    assert creates_cycle(1, [3], {2: [5], 3: [2, 1]}) is True


def test_linking_under_an_unrelated_objective_is_not_a_cycle():
    assert creates_cycle(1, [9], {2: [1], 9: [8]}) is False


def test_linking_under_a_sibling_is_not_a_cycle():
    # 2 and 3 both sit under 1; linking 2 under 3 as well
    assert creates_cycle(2, [3], {2: [1], 3: [1]}) is False


def test_linking_under_its_own_parent_or_grandparent_again_is_not_a_cycle():
    assert creates_cycle(3, [1], {2: [1], 3: [2]}) is False


def test_two_parents_sharing_an_ancestor_is_a_diamond_not_a_cycle():
    # 2 and 3 both under 1; 4 linked under both 2 and 3
    assert creates_cycle(4, [2, 3], {2: [1], 3: [1]}) is False


def test_linking_below_an_existing_diamond_is_not_a_cycle():
    assert creates_cycle(5, [4], {2: [1], 3: [1], 4: [2, 3]}) is False


def test_linking_the_top_of_a_diamond_under_its_bottom_is_a_cycle():
    assert creates_cycle(1, [4], {2: [1], 3: [1], 4: [2, 3]}) is True


def test_an_objective_with_no_parents_can_be_linked_anywhere_else():
    assert creates_cycle(1, [], {2: [1]}) is False


# --- PERCENT values are fractions ------------------------------------------------------------

from domain.goals.rules import Unit, percent_value_problem  # noqa: E402


def test_a_whole_percent_is_refused_with_the_fraction_to_write():
    assert percent_value_problem(Unit.PERCENT, D("52")) == (
        "a PERCENT value is a fraction between -10 and 10: write 0.52 for 52%")


def test_a_negative_whole_percent_is_refused_too():
    assert "write -0.455 for -45.5%" in percent_value_problem(Unit.PERCENT, D("-45.5"))


@pytest.mark.parametrize("value", ["0.52", "10", "-10", "0", "1.5", "-3"])
def test_fractions_up_to_ten_are_accepted(value):
    assert percent_value_problem(Unit.PERCENT, D(value)) is None


@pytest.mark.parametrize("value", ["10.000001", "-10.5", "100"])
def test_just_beyond_ten_is_refused(value):
    assert percent_value_problem(Unit.PERCENT, D(value)) is not None


@pytest.mark.parametrize("unit", [Unit.COUNT, Unit.CURRENCY, Unit.HOURS])
def test_other_units_take_any_value(unit):
    assert percent_value_problem(unit, D("52")) is None


def test_no_value_is_no_problem():
    assert percent_value_problem(Unit.PERCENT, None) is None
