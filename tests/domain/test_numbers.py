"""The written form of each kind of number (domain/numbers.py): what GraphQL, the CSV exports and the dashboard
show. Rounding is half-up; a Float is written as JSON writes it."""
import json
from decimal import Decimal

import pytest

from domain import numbers

D = Decimal


def written(value) -> str:
    """The text GraphQL's JSON holds for the value (a Decimal crosses as a plain string)."""
    return format(value, "f") if isinstance(value, Decimal) else json.dumps(value)


@pytest.mark.parametrize("value, text", [
    (D("3787.878787"), "3787.88"), (D("0.005"), "0.01"), (D("12"), "12.00"), (D("-0.004"), "0.00"),
    (D("-2.345"), "-2.35"), (D("1E+3"), "1000.00"),
])
def test_money_has_exactly_two_places(value, text):
    assert written(numbers.money(value)) == text


@pytest.mark.parametrize("value, text", [
    (D("0.5132743362831858407079646018"), "0.513274"), (D("0.5"), "0.5"), (D(1) / D(3), "0.333333"),
    (D(2) / D(3), "0.666667"), (D("0.0000005"), "1e-06"), (D("-0.0000004"), "0.0"), (D(1), "1.0"),
    (D("0.6770067400000000000000000002"), "0.677007"), (1 / 7, "0.142857"), (D("-1.5"), "-1.5"),
])
def test_ratio_is_a_float_rounded_half_up_to_six_places(value, text):
    assert written(numbers.ratio(value)) == text


def test_a_huge_raw_progress_still_rounds():
    assert numbers.ratio(D("1e35") / D(3)) == pytest.approx(3.333333333333333e34)


def test_weight_is_a_float_of_six_places():
    assert written(numbers.weight(D("0.333333333333333333333333"))) == "0.333333"
    assert written(numbers.weight(D(1))) == "1.0"


def test_measured_hours_are_a_float_of_two_places():
    assert written(numbers.hours(26.504999)) == "26.5"
    assert written(numbers.hours(D("26.505"))) == "26.51"


@pytest.mark.parametrize("unit, value, text", [
    ("CURRENCY", D("12500.5"), "12500.50"), ("HOURS", D("4"), "4.00"), ("PERCENT", D("0.45"), "0.450000"),
    ("PERCENT", D("0.5132743362831858407079646018"), "0.513274"), ("COUNT", D("120.000000"), "120"),
    ("COUNT", D("12.5"), "12.5"), ("COUNT", D("100") / D(7), "14.29"), ("COUNT", D("1E+2"), "100"),
])
def test_key_result_values_are_written_at_their_units_scale(unit, value, text):
    assert written(numbers.key_result_value(value, unit)) == text


def test_comp_metric_values_follow_what_the_metric_measures():
    assert written(numbers.comp_metric_value(D("1000") / D(3), "OWN_BOOKINGS")) == "333.33"
    assert written(numbers.comp_metric_value(D("14.000000"), "MQLS_DELIVERED")) == "14"
    assert written(numbers.comp_metric_value(D(2) / D(3), "SLA_COMPLIANCE")) == "0.666667"


def test_settings_are_written_as_entered():
    assert written(numbers.setting(D("48.000"))) == "48"
    assert written(numbers.setting(D("0.500"))) == "0.5"
    assert written(numbers.setting(D("7.125"))) == "7.125"


def test_points_have_at_most_two_places():
    assert written(numbers.points(D("37.4553"))) == "37.46"
    assert written(numbers.points(D("40.000"))) == "40"


def test_none_stays_none():
    assert all(f(None) is None for f in (numbers.money, numbers.ratio, numbers.weight, numbers.hours,
                                         numbers.count, numbers.points, numbers.setting))
    assert numbers.key_result_value(None, "PERCENT") is None
