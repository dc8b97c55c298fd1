"""Lead rules, tested against DOMAIN.md ("Leads and their lifecycle" and "Settled rules" -> Leads and SLA).

Pure tests: plain values in and out. Every number is a Decimal; every instant is timezone-aware.
"""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.leads.rules import (
    ASSIGNED_EVENT, STAGE_EVENT, Event, LeadProfile, Profile, SalesTouch, ScoreLine, Stage, current_stage,
    decayed, engagement_lines, first_qualifying_time, fit_lines, lead_facts, reason_problem, total,
    transition_problem, wasted_selling_cost,
)

UTC = timezone.utc
D = Decimal

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Fit: 25 points per criterion, 50 to pass. Engagement: 40 to pass, 30-day half-life. EMAIL_OPEN earns nothing.
PROFILE = Profile(
    industries=frozenset({"Software", "Fintech"}),
    employees_min=50, employees_max=500,
    regions=frozenset({"EMEA"}),
    titles=("VP", "Head of"),
    behaviour_points={"FORM_SUBMIT": D(30), "EMAIL_CLICK": D(20), "WEBINAR": D(15), "DEMO_REQUEST": D(50),
                      "PAGE_VISIT": D(5)},
    half_life_days=D(30), fit_threshold=D(50), engagement_threshold=D(40))

FITTING_LEAD = LeadProfile(industry="Software", employees=200, region="EMEA", title="VP Marketing")
UNFIT_LEAD = LeadProfile(industry="Retail", employees=10, region="APAC", title="Intern")

ANNA, BEN = 11, 12            # sales people
MIA = 21                      # a marketer
SALES_PEOPLE = frozenset({ANNA, BEN})


def lead(industry=None, employees=None, region=None, title=None):
    return LeadProfile(industry=industry, employees=employees, region=region, title=title)


def rules_met(lines):
    return [line.rule for line in lines]


def stage(at, event_id, to):
    return Event(at=at, id=event_id, type=STAGE_EVENT, stage=to)


def assigned(at, event_id, owner):
    return Event(at=at, id=event_id, type=ASSIGNED_EVENT, owner_person_id=owner)


def touch(at, touch_id, person=ANNA):
    return SalesTouch(at=at, id=touch_id, person_id=person)


# --- the lifecycle -------------------------------------------------------------------------------

@pytest.mark.parametrize("current, new", [
    (Stage.LEAD, Stage.MQL),
    (Stage.MQL, Stage.SAL),
    (Stage.SAL, Stage.SQL),
    (Stage.SQL, Stage.OPPORTUNITY),
    (Stage.OPPORTUNITY, Stage.WON),
    (Stage.OPPORTUNITY, Stage.LOST),
])
def test_a_lead_may_move_forward_along_the_funnel(current, new):
    assert transition_problem(current, new) is None


@pytest.mark.parametrize("current", [Stage.MQL, Stage.SAL, Stage.SQL])
def test_sales_may_hand_a_qualified_lead_back_to_marketing_by_recycling_it(current):
    assert transition_problem(current, Stage.RECYCLED) is None


@pytest.mark.parametrize("current", [Stage.LEAD, Stage.MQL, Stage.SAL, Stage.SQL])
def test_an_open_lead_may_be_disqualified(current):
    assert transition_problem(current, Stage.DISQUALIFIED) is None


def test_a_recycled_lead_may_become_an_mql_again():
    assert transition_problem(Stage.RECYCLED, Stage.MQL) is None


def test_a_lost_lead_may_be_recycled_for_nurture():
    assert transition_problem(Stage.LOST, Stage.RECYCLED) is None


@pytest.mark.parametrize("current, new", [
    (Stage.MQL, Stage.LEAD),
    (Stage.SAL, Stage.MQL),
    (Stage.SQL, Stage.SAL),
    (Stage.SQL, Stage.MQL),
    (Stage.OPPORTUNITY, Stage.SQL),
    (Stage.LOST, Stage.OPPORTUNITY),
    (Stage.RECYCLED, Stage.LEAD),
])
def test_a_lead_cannot_move_back_except_by_an_explicit_recycle(current, new):
    assert transition_problem(current, new) is not None


@pytest.mark.parametrize("new", list(Stage))
def test_a_won_lead_is_final(new):
    assert transition_problem(Stage.WON, new) is not None


@pytest.mark.parametrize("new", list(Stage))
def test_a_disqualified_lead_is_final(new):
    assert transition_problem(Stage.DISQUALIFIED, new) is not None


def test_a_refused_move_says_which_move_was_refused():
    problem = transition_problem(Stage.SAL, Stage.MQL)
    assert "SAL" in problem and "MQL" in problem


# --- reasons -------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["BAD_TIMING", "NO_BUDGET", "NO_RESPONSE", "NOT_DECISION_MAKER",
                                    "NURTURE_REQUESTED", "OTHER"])
def test_a_recycle_accepts_each_reason_of_the_recycle_list(reason):
    assert reason_problem(Stage.RECYCLED, reason) is None


def test_a_recycle_without_a_reason_is_refused():
    assert reason_problem(Stage.RECYCLED, None) is not None


@pytest.mark.parametrize("reason", ["NOT_ICP", "COMPETITOR", "DUPLICATE", "BAD_DATA", "NOT_A_BUYER", "TOO_SMALL"])
def test_a_recycle_refuses_a_reason_outside_the_recycle_list(reason):
    assert reason_problem(Stage.RECYCLED, reason) is not None


@pytest.mark.parametrize("reason", ["NOT_ICP", "COMPETITOR", "DUPLICATE", "BAD_DATA", "NOT_A_BUYER", "OTHER"])
def test_a_disqualification_accepts_each_reason_of_the_disqualify_list(reason):
    assert reason_problem(Stage.DISQUALIFIED, reason) is None


def test_a_disqualification_without_a_reason_is_refused():
    assert reason_problem(Stage.DISQUALIFIED, None) is not None


@pytest.mark.parametrize("reason", ["BAD_TIMING", "NO_BUDGET", "NO_RESPONSE", "NOT_DECISION_MAKER",
                                    "NURTURE_REQUESTED", "SPAM"])
def test_a_disqualification_refuses_a_reason_outside_the_disqualify_list(reason):
    assert reason_problem(Stage.DISQUALIFIED, reason) is not None


@pytest.mark.parametrize("to", [Stage.LEAD, Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.WON,
                                Stage.LOST])
def test_stages_other_than_recycle_and_disqualify_take_no_reason(to):
    assert reason_problem(to, None) is None
    assert reason_problem(to, "OTHER") is not None


# --- fit -----------------------------------------------------------------------------------------

def test_a_lead_meeting_every_criterion_scores_the_points_of_each():
    lines = fit_lines(PROFILE, FITTING_LEAD)
    assert len(lines) == 4
    assert total(lines) == D(100)


def test_industry_matches_regardless_of_case():
    assert total(fit_lines(PROFILE, lead(industry="sOFTWARE"))) == D(25)


def test_an_industry_outside_the_profile_scores_nothing():
    assert fit_lines(PROFILE, lead(industry="Retail")) == []


def test_region_matches_regardless_of_case():
    assert total(fit_lines(PROFILE, lead(region="emea"))) == D(25)


def test_a_region_outside_the_profile_scores_nothing():
    assert fit_lines(PROFILE, lead(region="APAC")) == []


@pytest.mark.parametrize("employees", [50, 51, 499, 500])
def test_the_employee_range_includes_both_ends(employees):
    assert total(fit_lines(PROFILE, lead(employees=employees))) == D(25)


@pytest.mark.parametrize("employees", [49, 501])
def test_a_head_count_outside_the_employee_range_scores_nothing(employees):
    assert fit_lines(PROFILE, lead(employees=employees)) == []


def test_a_range_with_only_a_minimum_has_no_ceiling():
    profile = Profile(employees_min=1000)
    assert total(fit_lines(profile, lead(employees=1000))) == D(25)
    assert total(fit_lines(profile, lead(employees=250_000))) == D(25)
    assert fit_lines(profile, lead(employees=999)) == []


def test_a_range_with_only_a_maximum_has_no_floor():
    profile = Profile(employees_max=100)
    assert total(fit_lines(profile, lead(employees=1))) == D(25)
    assert total(fit_lines(profile, lead(employees=100))) == D(25)
    assert fit_lines(profile, lead(employees=101)) == []


def test_an_unknown_head_count_meets_no_employee_range():
    assert fit_lines(PROFILE, lead(employees=None)) == []


def test_a_title_keyword_matches_anywhere_within_the_title_regardless_of_case():
    assert total(fit_lines(PROFILE, lead(title="Senior vp, Revenue Operations"))) == D(25)
    assert total(fit_lines(PROFILE, lead(title="HEAD OF GROWTH"))) == D(25)


def test_a_title_without_any_keyword_scores_nothing():
    assert fit_lines(PROFILE, lead(title="Marketing Manager")) == []


def test_a_title_matching_several_keywords_counts_the_title_criterion_once():
    lines = fit_lines(PROFILE, lead(title="VP and Head of Sales"))
    assert len(lines) == 1
    assert total(lines) == D(25)


def test_each_criterion_scores_its_own_points_from_the_model():
    profile = Profile(
        industries=frozenset({"Software"}), employees_min=50, employees_max=500, regions=frozenset({"EMEA"}),
        titles=("VP",),
        fit_points={"industry": D(40), "employees": D(30), "region": D("20.5"), "title": D(10)})
    assert [line.points for line in fit_lines(profile, lead(industry="Software"))] == [D(40)]
    assert [line.points for line in fit_lines(profile, lead(employees=100))] == [D(30)]
    assert [line.points for line in fit_lines(profile, lead(region="EMEA"))] == [D("20.5")]
    assert [line.points for line in fit_lines(profile, lead(title="VP Sales"))] == [D(10)]
    assert total(fit_lines(profile, FITTING_LEAD)) == D("100.5")


def test_every_fit_line_explains_the_rule_it_met():
    lines = fit_lines(PROFILE, FITTING_LEAD)
    assert all(isinstance(line, ScoreLine) and line.rule for line in lines)
    assert all(isinstance(line.points, Decimal) for line in lines)


# --- decay ---------------------------------------------------------------------------------------

def test_a_behaviour_one_half_life_old_is_worth_half_its_points():
    assert decayed(D(40), timedelta(days=30), D(30)) == D(20)


def test_a_behaviour_two_half_lives_old_is_worth_a_quarter_of_its_points():
    assert decayed(D(40), timedelta(days=60), D(30)) == D(10)


def test_a_behaviour_just_now_is_worth_its_full_points():
    assert decayed(D(40), timedelta(0), D(30)) == D(40)


def test_a_future_behaviour_counts_in_full():
    assert decayed(D(40), -timedelta(days=30), D(30)) == D(40)


def test_the_half_life_of_the_model_sets_the_decay():
    assert decayed(D(40), timedelta(days=7), D(7)) == D(20)


# --- engagement lines ----------------------------------------------------------------------------

def test_engagement_counts_a_behaviour_at_as_of_in_full():
    lines = engagement_lines(PROFILE, [(MONDAY, "FORM_SUBMIT")], MONDAY)
    assert [line.points for line in lines] == [D("30.00")]


def test_engagement_ignores_behaviours_after_as_of():
    lines = engagement_lines(PROFILE, [(MONDAY, "FORM_SUBMIT"), (MONDAY + HOUR, "DEMO_REQUEST")], MONDAY)
    assert total(lines) == D(30)
    assert len(lines) == 1


def test_engagement_ignores_behaviours_the_model_gives_no_points():
    lines = engagement_lines(PROFILE, [(MONDAY, "EMAIL_OPEN"), (MONDAY, "FORM_SUBMIT")], MONDAY)
    assert len(lines) == 1
    assert total(lines) == D(30)


def test_each_engagement_line_is_decayed_to_as_of():
    lines = engagement_lines(PROFILE, [(MONDAY, "FORM_SUBMIT")], MONDAY + timedelta(days=30))
    assert [line.points for line in lines] == [D("15.00")]


def test_each_engagement_line_is_rounded_to_two_places():
    # 10 × 2^(−1/30) = 9.7716 …; 30 × 2^(−1/30) = 29.3148 …
    profile = Profile(behaviour_points={"PAGE_VISIT": D(10), "FORM_SUBMIT": D(30)}, half_life_days=D(30))
    lines = engagement_lines(profile, [(MONDAY, "PAGE_VISIT"), (MONDAY, "FORM_SUBMIT")], MONDAY + DAY)
    assert [line.points for line in lines] == [D("9.77"), D("29.31")]
    assert all(line.points.as_tuple().exponent == -2 for line in lines)
    assert total(lines) == D("39.08")


def test_engagement_compares_instants_not_wall_clocks():
    two_hours_east = timezone(timedelta(hours=2))
    same_instant = MONDAY.astimezone(two_hours_east)
    lines = engagement_lines(PROFILE, [(same_instant, "FORM_SUBMIT")], MONDAY)
    assert total(lines) == D(30)


# --- the MQL moment ------------------------------------------------------------------------------

def test_the_mql_takes_the_time_of_the_behaviour_after_which_both_thresholds_pass():
    # at MONDAY: 30 (< 40); a day later: 29.31 + 20 = 49.31
    behaviours = [(MONDAY, "FORM_SUBMIT"), (MONDAY + DAY, "EMAIL_CLICK")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) == MONDAY + DAY


def test_the_mql_moment_is_the_first_passing_behaviour_not_a_later_one():
    behaviours = [(MONDAY, "FORM_SUBMIT"), (MONDAY + DAY, "EMAIL_CLICK"), (MONDAY + 2 * DAY, "DEMO_REQUEST")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) == MONDAY + DAY


def test_a_score_at_a_behaviour_counts_no_later_behaviour():
    # given out of order; at MONDAY only the form (30) has happened, so MONDAY is not the moment
    behaviours = [(MONDAY + DAY, "EMAIL_CLICK"), (MONDAY, "FORM_SUBMIT")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) == MONDAY + DAY


def test_decay_between_behaviours_can_keep_a_lead_from_qualifying():
    # raw points 30 + 15 = 45 would pass 40, but 60 days later the form is worth 7.50: 7.50 + 15 = 22.50
    behaviours = [(MONDAY, "FORM_SUBMIT"), (MONDAY + timedelta(days=60), "WEBINAR")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) is None


def test_the_same_behaviours_close_together_do_qualify():
    # control for the decay case: a day apart, 29.31 + 15 = 44.31
    behaviours = [(MONDAY, "FORM_SUBMIT"), (MONDAY + DAY, "WEBINAR")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) == MONDAY + DAY


def test_a_behaviour_before_not_before_cannot_be_the_mql_moment():
    # the demo request alone passes at MONDAY, but MONDAY is before not_before
    behaviours = [(MONDAY, "DEMO_REQUEST"), (MONDAY + DAY, "PAGE_VISIT")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY + HOUR) == MONDAY + DAY


def test_behaviours_before_not_before_still_add_their_decayed_points():
    # the webinar alone (15) would not pass; with the form a day earlier (29.31) it does
    behaviours = [(MONDAY, "FORM_SUBMIT"), (MONDAY + DAY, "WEBINAR")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY + HOUR) == MONDAY + DAY


def test_a_behaviour_exactly_at_not_before_can_be_the_mql_moment():
    behaviours = [(MONDAY, "DEMO_REQUEST")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) == MONDAY


def test_a_lead_failing_fit_never_qualifies_however_engaged():
    behaviours = [(MONDAY + i * HOUR, "DEMO_REQUEST") for i in range(10)]
    assert first_qualifying_time(PROFILE, UNFIT_LEAD, behaviours, MONDAY) is None


def test_a_lead_meeting_one_fit_criterion_of_two_needed_never_qualifies():
    behaviours = [(MONDAY, "DEMO_REQUEST")]
    assert first_qualifying_time(PROFILE, lead(industry="Software"), behaviours, MONDAY) is None


def test_a_lead_whose_engagement_never_passes_never_qualifies():
    behaviours = [(MONDAY, "PAGE_VISIT"), (MONDAY + HOUR, "WEBINAR"), (MONDAY + 2 * HOUR, "EMAIL_OPEN")]
    assert first_qualifying_time(PROFILE, FITTING_LEAD, behaviours, MONDAY) is None


# --- each lead's facts ---------------------------------------------------------------------------

def test_a_lead_without_events_is_a_plain_lead_without_owner_or_sla_facts():
    facts = lead_facts([], [], SALES_PEOPLE)
    assert facts.stage is Stage.LEAD
    assert facts.owner_person_id is None
    assert facts.mql_at is None and facts.handover_at is None and facts.first_follow_up_at is None
    assert facts.attempts == 0
    assert facts.decision is None and facts.decision_at is None


def test_the_current_stage_is_the_last_stage_event():
    events = [stage(MONDAY + DAY, 2, Stage.SAL), stage(MONDAY, 1, Stage.MQL)]
    assert lead_facts(events, [], SALES_PEOPLE).stage is Stage.SAL
    assert current_stage(events) is Stage.SAL


def test_a_lead_with_only_behaviours_and_assignments_is_still_at_lead():
    events = [Event(at=MONDAY, id=1, type="FORM_SUBMIT"), assigned(MONDAY, 2, MIA)]
    assert lead_facts(events, [], SALES_PEOPLE).stage is Stage.LEAD
    assert current_stage(events) is Stage.LEAD


def test_stage_events_at_the_same_time_are_ordered_by_id():
    events = [stage(MONDAY, 6, Stage.SAL), stage(MONDAY, 5, Stage.MQL)]
    assert lead_facts(events, [], SALES_PEOPLE).stage is Stage.SAL
    assert current_stage(events) is Stage.SAL


def test_the_owner_is_the_latest_assignment_even_to_a_non_sales_owner():
    events = [assigned(MONDAY + DAY, 3, MIA), assigned(MONDAY, 2, ANNA), stage(MONDAY, 1, Stage.MQL)]
    assert lead_facts(events, [], SALES_PEOPLE).owner_person_id == MIA


def test_assignments_at_the_same_time_are_ordered_by_id_for_the_owner():
    events = [assigned(MONDAY, 11, BEN), assigned(MONDAY, 10, ANNA)]
    assert lead_facts(events, [], SALES_PEOPLE).owner_person_id == BEN


def test_the_mql_time_is_the_first_mql_even_after_a_recycle():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + DAY, 2, Stage.RECYCLED),
              stage(MONDAY + 10 * DAY, 3, Stage.MQL)]
    assert lead_facts(events, [], SALES_PEOPLE).mql_at == MONDAY


def test_hand_over_is_the_first_assignment_to_a_sales_owner_after_mql():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + 2 * HOUR, 2, ANNA), assigned(MONDAY + 5 * HOUR, 3, BEN)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.handover_at == MONDAY + 2 * HOUR
    assert facts.handover_owner_id == ANNA


def test_an_assignment_at_the_mql_moment_is_the_hand_over():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY, 2, ANNA)]
    assert lead_facts(events, [], SALES_PEOPLE).handover_at == MONDAY


def test_an_assignment_to_sales_before_mql_is_not_a_hand_over():
    events = [assigned(MONDAY - DAY, 1, ANNA), stage(MONDAY, 2, Stage.MQL)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.handover_at is None
    assert facts.handover_owner_id is None
    assert facts.owner_person_id == ANNA


def test_an_assignment_to_a_non_sales_owner_after_mql_is_not_a_hand_over():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, MIA), assigned(MONDAY + 3 * HOUR, 3, BEN)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.handover_at == MONDAY + 3 * HOUR
    assert facts.handover_owner_id == BEN


def test_a_lead_that_never_became_mql_has_no_hand_over():
    events = [assigned(MONDAY, 1, ANNA)]
    assert lead_facts(events, [touch(MONDAY + HOUR, 1)], SALES_PEOPLE).handover_at is None


def test_sales_assignments_at_the_same_time_hand_over_to_the_lower_id():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 8, BEN), assigned(MONDAY + HOUR, 7, ANNA)]
    assert lead_facts(events, [], SALES_PEOPLE).handover_owner_id == ANNA


def test_first_follow_up_is_the_earliest_sales_touch_after_hand_over():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, ANNA)]
    touches = [touch(MONDAY + 9 * HOUR, 2), touch(MONDAY + 4 * HOUR, 1)]
    assert lead_facts(events, touches, SALES_PEOPLE).first_follow_up_at == MONDAY + 4 * HOUR


def test_a_sales_touch_at_the_hand_over_moment_is_the_first_follow_up():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, ANNA)]
    assert lead_facts(events, [touch(MONDAY + HOUR, 1)], SALES_PEOPLE).first_follow_up_at == MONDAY + HOUR


def test_sales_touches_before_hand_over_are_not_a_follow_up():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + 3 * HOUR, 2, ANNA)]
    touches = [touch(MONDAY - DAY, 1), touch(MONDAY + HOUR, 2), touch(MONDAY + 5 * HOUR, 3)]
    assert lead_facts(events, touches, SALES_PEOPLE).first_follow_up_at == MONDAY + 5 * HOUR


def test_without_a_hand_over_there_is_no_follow_up_and_no_attempt():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, MIA)]
    facts = lead_facts(events, [touch(MONDAY + 2 * HOUR, 1)], SALES_PEOPLE)
    assert facts.first_follow_up_at is None
    assert facts.attempts == 0


def test_attempts_count_the_sales_touches_at_or_after_hand_over():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + 2 * HOUR, 2, ANNA)]
    touches = [touch(MONDAY + HOUR, 1), touch(MONDAY + 2 * HOUR, 2), touch(MONDAY + DAY, 3),
               touch(MONDAY + 2 * DAY, 4)]
    assert lead_facts(events, touches, SALES_PEOPLE).attempts == 3


def test_the_decision_is_the_first_sal_after_mql():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + 2 * DAY, 2, Stage.SAL),
              stage(MONDAY + 3 * DAY, 3, Stage.SQL)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.decision is Stage.SAL
    assert facts.decision_at == MONDAY + 2 * DAY


def test_a_recycle_after_mql_is_the_decision_even_if_the_lead_is_accepted_later():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + DAY, 2, Stage.RECYCLED),
              stage(MONDAY + 10 * DAY, 3, Stage.MQL), stage(MONDAY + 11 * DAY, 4, Stage.SAL)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.decision is Stage.RECYCLED
    assert facts.decision_at == MONDAY + DAY
    assert facts.sal_at == MONDAY + 11 * DAY
    assert facts.stage is Stage.SAL


def test_a_disqualification_after_mql_is_a_decision():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + DAY, 2, Stage.DISQUALIFIED)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.decision is Stage.DISQUALIFIED
    assert facts.decision_at == MONDAY + DAY


def test_a_disqualification_before_any_mql_is_not_an_sla_decision():
    events = [stage(MONDAY, 1, Stage.DISQUALIFIED)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.decision is None
    assert facts.stage is Stage.DISQUALIFIED


def test_an_mql_not_yet_decided_has_no_decision():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, ANNA)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.decision is None and facts.decision_at is None


def test_decisions_at_the_same_time_are_ordered_by_id():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + DAY, 9, Stage.DISQUALIFIED),
              stage(MONDAY + DAY, 8, Stage.SAL)]
    assert lead_facts(events, [], SALES_PEOPLE).decision is Stage.SAL


def test_sal_and_sql_times_are_the_first_of_each_stage():
    events = [stage(MONDAY, 1, Stage.MQL), stage(MONDAY + DAY, 2, Stage.SAL), stage(MONDAY + 2 * DAY, 3, Stage.SQL),
              stage(MONDAY + 3 * DAY, 4, Stage.OPPORTUNITY)]
    facts = lead_facts(events, [], SALES_PEOPLE)
    assert facts.sal_at == MONDAY + DAY
    assert facts.sql_at == MONDAY + 2 * DAY
    assert facts.stage is Stage.OPPORTUNITY


def test_lead_facts_do_not_depend_on_the_order_events_are_given_in():
    events = [stage(MONDAY, 1, Stage.MQL), assigned(MONDAY + HOUR, 2, ANNA), stage(MONDAY + DAY, 3, Stage.SAL)]
    touches = [touch(MONDAY + 2 * HOUR, 1), touch(MONDAY + 3 * HOUR, 2)]
    assert lead_facts(events, touches, SALES_PEOPLE) == lead_facts(events[::-1], touches[::-1], SALES_PEOPLE)


# --- wasted selling cost -------------------------------------------------------------------------

def test_ninety_minutes_at_399_per_selling_hour_wastes_598_50():
    assert wasted_selling_cost(90, D("399.00")) == D("598.50")


def test_no_selling_minutes_waste_nothing():
    assert wasted_selling_cost(0, D("399.00")) == D("0.00")


def test_wasted_selling_cost_rounds_a_half_cent_up():
    # 30 minutes at 0.01 an hour is exactly 0.005
    assert wasted_selling_cost(30, D("0.01")) == D("0.01")


def test_wasted_selling_cost_rounds_the_exact_product_half_up():
    # 110 minutes = 11/6 hours; 11/6 × 399.03 = 731.555 exactly, so 731.56
    assert wasted_selling_cost(110, D("399.03")) == D("731.56")


def test_wasted_selling_cost_is_in_cents():
    assert wasted_selling_cost(7, D("399.00")).as_tuple().exponent == -2


def test_an_unknown_cost_per_selling_hour_gives_no_wasted_cost():
    assert wasted_selling_cost(90, None) is None


def test_the_fit_score_is_the_total_of_the_fit_lines():
    """fit_score (what the scoring compares with the threshold) is total(fit_lines) for every mix of criteria,
    a profile given plain sets included; fits is it against the threshold."""
    from itertools import product
    from domain.leads.rules import LeadProfile, Profile, fit_score, fits
    profiles = [PROFILE, Profile(industries={"Software"}, regions=["EMEA"], titles=("vp",), employees_max=10,
                                 fit_points={"industry": Decimal("12.5"), "title": Decimal(40)},
                                 fit_threshold=Decimal("52.5"))]
    for profile in profiles:
        for industry, employees, region, title in product(
                (None, "", "software", " Software ", "Retail"), (None, 5, 50, 5000, 20000),
                (None, "emea", "NA", "APAC"),
                (None, "", "VP Sales", "Head of Growth", "Analyst")):
            lead = LeadProfile(industry, employees, region, title)
            assert fit_score(profile, lead) == total(fit_lines(profile, lead))
            assert fits(profile, lead) == (total(fit_lines(profile, lead)) >= profile.fit_threshold)


def test_the_engagement_score_is_the_total_of_the_engagement_lines():
    """engagement_score (what first_qualifying_time compares with the threshold) is total(engagement_lines) as of
    any moment: behaviours with and without points, before, at and after it, in any order."""
    from domain.leads.rules import engagement_score
    day = lambda d, h=9: datetime(2026, 11, d, h, tzinfo=timezone.utc)
    behaviours = [(day(5), "WEBINAR"), (day(3), "EMAIL_OPEN"), (day(4, 17), "FORM_SUBMIT"), (day(6), "WEBINAR"),
                  (day(4, 17), "PAGE_VISIT"), (day(20), "DEMO_REQUEST")]
    for as_of in (day(1), day(4, 17), day(5), day(6, 8), day(30)):
        for order in (behaviours, sorted(behaviours), behaviours[::-1]):
            assert engagement_score(PROFILE, order, as_of) == total(engagement_lines(PROFILE, order, as_of))
