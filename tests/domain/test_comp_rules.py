"""Compensation rules, tested against DOMAIN.md ("Compensation linked to the shared goals" and
"Settled rules" -> Numbers, Compensation).

Every value is an exact Decimal; money comes out rounded half-up to cents, once per line.
"""
from decimal import Decimal

import pytest

from domain.comp.rules import (
    CompMetric, Component, Gate, Line, Tier, attainment, component_problems, curve, gate_open,
    key_result_metric, payout, plan_problems, statement_line,
)

D = Decimal
M = CompMetric


def bookings(**kw) -> Component:
    """An own-bookings component: quota 500,000, weight 1 unless told."""
    fields = {"name": "Bookings", "metric": M.OWN_BOOKINGS, "quota": D("500000"), "weight": D("1")}
    fields.update(kw)
    return Component(**fields)


def kr_component(**kw) -> Component:
    fields = {"name": "Pipeline goal", "metric": M.KEY_RESULT_PROGRESS, "quota": D("1"), "weight": D("1"),
              "key_result_id": 7}
    fields.update(kw)
    return Component(**fields)


def fields_of(problems):
    return [path for path, _ in problems]


# --- the worked example --------------------------------------------------------------------

def test_seller_at_110_percent_of_quota_with_accelerator_2_earns_16800_of_a_20000_target():
    c = bookings(weight=D("0.7"), accelerator=D("2"))
    line = statement_line(D("20000"), c, D("550000"), None)
    assert line == Line(component="Bookings", metric=M.OWN_BOOKINGS, metric_value=D("550000"), quota=D("500000"),
                        attainment=D("1.1"), curve_value=D("1.2"), gate_open=True, payout=D("16800.00"))
    assert str(line.payout) == "16800.00"


def test_attainment_is_metric_over_quota_unrounded():
    assert attainment(D("550000"), D("500000")) == D("1.1")
    assert attainment(D("1"), D("3")) == D(1) / D(3)
    assert isinstance(attainment(D("1"), D("3")), Decimal)


def test_payout_is_target_times_weight_times_curve_in_cents():
    assert payout(D("20000"), D("0.7"), D("1.2")) == D("16800.00")
    assert payout(D("20000"), D("0.3"), D("0")) == D("0.00")


# --- the curve: threshold cliff, linear to quota, accelerator, cap ----------------------------

def test_just_below_the_threshold_pays_nothing():
    c = bookings(threshold=D("0.5"))
    assert curve(c, D("0.49")) == D("0")
    assert statement_line(D("20000"), c, D("245000"), None).payout == D("0.00")


def test_reaching_the_threshold_pays_from_zero_up_on_the_normal_curve_a_cliff():
    c = bookings(threshold=D("0.5"))
    assert curve(c, D("0.5")) == D("0.5")            # not 0.5 − 0.5
    line = statement_line(D("20000"), c, D("250000"), None)
    assert (line.attainment, line.curve_value, line.payout) == (D("0.5"), D("0.5"), D("10000.00"))


def test_between_threshold_and_quota_the_curve_is_the_attainment():
    c = bookings(threshold=D("0.5"), accelerator=D("3"))
    assert curve(c, D("0.8")) == D("0.8")
    assert curve(c, D("1")) == D("1")


def test_above_quota_the_accelerator_applies_only_to_the_part_above_one():
    assert curve(bookings(accelerator=D("2")), D("1.3")) == D("1.6")
    assert curve(bookings(), D("1.3")) == D("1.3")                          # default accelerator 1
    assert curve(bookings(accelerator=D("0")), D("1.3")) == D("1")          # flat above quota
    assert curve(bookings(accelerator=D("0.5")), D("1.4")) == D("1.2")      # a decelerator


def test_the_cap_limits_the_curve_value_and_attainment_is_still_reported():
    c = bookings(accelerator=D("3"), cap=D("1.5"))
    assert curve(c, D("1.4")) == D("1.5")                                    # 1 + 0.4 × 3 = 2.2, capped
    line = statement_line(D("20000"), c, D("700000"), None)
    assert line.attainment == D("1.4")
    assert line.curve_value == D("1.5")
    assert line.payout == D("30000.00")


def test_below_the_cap_the_curve_is_untouched():
    c = bookings(accelerator=D("3"), cap=D("1.5"))
    assert curve(c, D("1.1")) == D("1.3")


def test_no_sales_or_negative_net_bookings_pay_nothing():
    assert curve(bookings(), D("0")) == D("0")
    assert curve(bookings(), D("-0.1")) == D("0")
    assert statement_line(D("20000"), bookings(), D("-50000"), None).payout == D("0.00")


# --- tiers: a marginal rate table ------------------------------------------------------------

def test_marginal_tiers_pay_each_band_at_its_own_rate():
    c = bookings(tiers=(Tier(D("0"), D("1")), Tier(D("1"), D("2"))))
    assert curve(c, D("1.3")) == D("1.6")                                    # 1 × 1 + 0.3 × 2
    assert curve(c, D("0.7")) == D("0.7")
    assert curve(c, D("1")) == D("1")


def test_three_band_rate_table_with_a_slow_start():
    c = bookings(tiers=(Tier(D("0"), D("0.5")), Tier(D("0.5"), D("1")), Tier(D("1"), D("2"))))
    assert curve(c, D("0.4")) == D("0.2")                                    # 0.4 × 0.5
    assert curve(c, D("0.8")) == D("0.55")                                   # 0.25 + 0.3
    assert curve(c, D("1.2")) == D("1.15")                                   # 0.25 + 0.5 + 0.4
    line = statement_line(D("20000"), bookings(weight=D("0.7"), tiers=c.tiers), D("600000"), None)
    assert (line.curve_value, line.payout) == (D("1.15"), D("16100.00"))


def test_tiers_keep_the_threshold_cliff_and_the_cap():
    tiers = (Tier(D("0"), D("1")), Tier(D("1"), D("3")))
    c = bookings(threshold=D("0.5"), cap=D("1.5"), tiers=tiers)
    assert curve(c, D("0.49")) == D("0")
    assert curve(c, D("0.5")) == D("0.5")                                    # the cliff, then the whole table
    assert curve(c, D("1.1")) == D("1.3")
    assert curve(c, D("1.4")) == D("1.5")                                    # 1 + 1.2 = 2.2, capped


# --- gates ------------------------------------------------------------------------------------

def test_a_closed_gate_pays_nothing_but_the_metric_and_attainment_are_still_reported():
    c = bookings(weight=D("0.7"), accelerator=D("2"), gate=Gate(key_result_id=3, min_progress=D("0.8")))
    line = statement_line(D("20000"), c, D("550000"), D("0.75"))
    assert line.gate_open is False
    assert (line.metric_value, line.attainment, line.curve_value) == (D("550000"), D("1.1"), D("1.2"))
    assert line.payout == D("0.00")


def test_the_gate_opens_when_the_shared_key_result_reaches_its_level():
    c = bookings(weight=D("0.7"), accelerator=D("2"), gate=Gate(key_result_id=3, min_progress=D("0.8")))
    line = statement_line(D("20000"), c, D("550000"), D("0.8"))
    assert line.gate_open is True
    assert line.payout == D("16800.00")


def test_a_gate_uses_clamped_progress():
    gate = Gate(key_result_id=3, min_progress=D("0"))
    assert gate_open(gate, D("0")) is True
    assert gate_open(gate, D("-0.2")) is True                                # clamps to 0, which meets 0
    assert gate_open(Gate(3, D("1")), D("1.3")) is True
    assert gate_open(Gate(3, D("1")), D("0.99")) is False


def test_a_gated_line_needs_the_gate_progress():
    c = bookings(gate=Gate(key_result_id=3, min_progress=D("0.5")))
    with pytest.raises(ValueError):
        statement_line(D("20000"), c, D("500000"), None)


# --- a component measuring a shared key result --------------------------------------------------

def test_key_result_progress_below_its_start_counts_as_zero():
    assert key_result_metric(D("-0.2")) == D("0")
    line = statement_line(D("10000"), kr_component(), D("-0.2"), None)
    assert (line.metric_value, line.attainment, line.payout) == (D("0"), D("0"), D("0.00"))


def test_key_result_overshoot_is_kept_not_clamped_so_it_reaches_the_accelerator():
    assert key_result_metric(D("1.3")) == D("1.3")
    line = statement_line(D("10000"), kr_component(weight=D("0.3"), accelerator=D("2")), D("1.3"), None)
    assert (line.quota, line.attainment, line.curve_value, line.payout) == (D("1"), D("1.3"), D("1.6"),
                                                                            D("4800.00"))


# --- rounding: half-up, each line once -----------------------------------------------------------

def three_thirds():
    return [Component("Own bookings", M.OWN_BOOKINGS, D("100000"), D("0.333333")),
            Component("MQLs", M.MQLS_DELIVERED, D("400"), D("0.333333")),
            Component("SLA", M.SLA_COMPLIANCE, D("0.9"), D("0.333334"))]


def test_thirds_written_to_six_places_are_a_valid_plan():
    assert plan_problems(D("25000"), three_thirds()) == []


def test_each_line_rounds_half_up_and_the_total_is_the_sum_of_the_rounded_lines():
    own, mqls, sla = three_thirds()
    lines = [statement_line(D("25000"), own, D("100000"), None),     # 25,000 × 0.333333 = 8,333.325
             statement_line(D("25000"), mqls, D("400"), None),
             statement_line(D("25000"), sla, D("0.9"), None)]       # 25,000 × 0.333334 = 8,333.35
    assert [x.payout for x in lines] == [D("8333.33"), D("8333.33"), D("8333.35")]   # half-up, not half-even
    assert sum(x.payout for x in lines) == D("25000.01")


def test_an_odd_attainment_rounds_its_half_cent_up():
    sla = three_thirds()[2]
    mqls = Component("MQLs", M.MQLS_DELIVERED, D("100"), D("0.333334"))
    assert statement_line(D("10000"), mqls, D("75"), None).payout == D("2500.01")   # 2,500.005
    assert statement_line(D("10000"), sla, D("0.9"), None).payout == D("3333.34")


def test_payout_of_an_unending_attainment_is_still_exact_to_the_cent():
    c = Component("MQLs", M.MQLS_DELIVERED, D("3"), D("1"))
    line = statement_line(D("30000"), c, D("1"), None)
    assert line.payout == D("10000.00")


# --- plan problems ---------------------------------------------------------------------------------

def test_weights_that_sum_to_more_than_one_are_refused():
    plan = [bookings(weight=D("0.6")), Component("MQLs", M.MQLS_DELIVERED, D("400"), D("0.5"))]
    problems = plan_problems(D("20000"), plan)
    assert fields_of(problems) == [("components",)]
    assert "sum to 1.1" in problems[0][1]


def test_a_plan_needs_a_component_and_a_target_that_is_not_negative():
    problems = plan_problems(D("-1"), [])
    assert fields_of(problems) == [("targetVariable",), ("components",)]
    assert plan_problems(D("0"), [bookings()]) == []


def test_a_negative_or_zero_quota_is_refused_where_it_was_written():
    plan = [bookings(weight=D("0.5")), bookings(name="Team", metric=M.TEAM_BOOKINGS, weight=D("0.5"),
                                                quota=D("-500000"))]
    assert fields_of(plan_problems(D("20000"), plan)) == [("components", "1", "quota")]
    assert [f for f, _ in component_problems(bookings(quota=D("0")))] == ["quota"]


def test_a_cap_below_the_threshold_is_refused():
    problems = plan_problems(D("20000"), [bookings(threshold=D("0.5"), cap=D("0.4"))])
    assert problems == [(("components", "0", "cap"), "the cap cannot be below the threshold")]
    assert component_problems(bookings(threshold=D("0.5"), cap=D("0.5"))) == []
    assert [f for f, _ in component_problems(bookings(cap=D("0")))] == ["cap"]


def test_a_key_result_component_needs_its_key_result_and_others_must_not_name_one():
    assert fields_of(plan_problems(D("20000"), [kr_component(key_result_id=None)])) == \
        [("components", "0", "keyResultId")]
    assert [f for f, _ in component_problems(bookings(key_result_id=7))] == ["keyResultId"]


def test_a_key_result_component_measures_progress_so_its_quota_is_one():
    assert [f for f, _ in component_problems(kr_component(quota=D("0.8")))] == ["quota"]


def test_weight_threshold_and_accelerator_out_of_range_are_refused():
    c = bookings(weight=D("1.2"), threshold=D("-0.1"), accelerator=D("-1"))
    assert [f for f, _ in component_problems(c)] == ["weight", "threshold", "accelerator"]
    assert [f for f, _ in component_problems(bookings(weight=D("0")))] == ["weight"]


def test_an_out_of_range_weight_is_reported_on_its_component_not_again_as_a_sum():
    plan = [bookings(weight=D("1.5")), bookings(name="Team", metric=M.TEAM_BOOKINGS, weight=D("0.5"))]
    assert fields_of(plan_problems(D("20000"), plan)) == [("components", "0", "weight")]


def test_tiers_must_start_at_zero_ascend_strictly_and_have_rates_of_at_least_zero():
    assert component_problems(bookings(tiers=(Tier(D("0"), D("1")), Tier(D("1"), D("2"))))) == []
    assert [f for f, _ in component_problems(bookings(tiers=(Tier(D("0.5"), D("1")),)))] == \
        ["tiers.0.fromAttainment"]
    unsorted = (Tier(D("0"), D("1")), Tier(D("1.2"), D("2")), Tier(D("1.2"), D("3")), Tier(D("1.1"), D("-1")))
    problems = plan_problems(D("20000"), [bookings(tiers=unsorted)])
    assert fields_of(problems) == [("components", "0", "tiers", "2", "fromAttainment"),
                                   ("components", "0", "tiers", "3", "fromAttainment"),
                                   ("components", "0", "tiers", "3", "rate")]


def test_tiers_replace_the_accelerator_so_both_together_are_refused():
    c = bookings(accelerator=D("2"), tiers=(Tier(D("0"), D("1")), Tier(D("1"), D("2"))))
    assert [f for f, _ in component_problems(c)] == ["accelerator"]


def test_a_gate_level_must_be_a_progress_between_0_and_1():
    assert component_problems(bookings(gate=Gate(3, D("1")))) == []
    assert component_problems(bookings(gate=Gate(3, D("0")))) == []
    assert fields_of(plan_problems(D("20000"), [bookings(gate=Gate(3, D("1.1")))])) == \
        [("components", "0", "gate", "minProgress")]


def test_components_need_distinct_non_blank_names():
    plan = [bookings(weight=D("0.5")), bookings(name=" bookings ", weight=D("0.5"))]
    assert fields_of(plan_problems(D("20000"), plan)) == [("components", "1", "name")]
    assert [f for f, _ in component_problems(bookings(name="  "))] == ["name"]


def test_numbers_that_are_not_finite_are_refused_rather_than_crashing():
    c = bookings(quota=D("NaN"), cap=D("Infinity"))
    assert [f for f, _ in component_problems(c)] == ["quota", "cap"]
    assert fields_of(plan_problems(D("NaN"), [bookings()])) == [("targetVariable",)]
