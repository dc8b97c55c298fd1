"""Crediting splits for pay (domain/comp/rules.py): the checks and the cent-exact shares."""
from decimal import Decimal as D

from domain.comp import rules


def test_splits_sum_to_exactly_100():
    assert rules.split_problems([D("70"), D("30")]) == []
    assert rules.split_problems([]) == []                      # no splits: the deal is its owner's
    assert rules.split_problems([D("70"), D("20")]) == [(None, "the splits sum to 90.00, not exactly 100.00")]
    assert rules.split_problems([D("33.33"), D("33.33"), D("33.34")]) == []


def test_each_split_is_above_0_at_most_100_with_2_decimals():
    assert rules.split_problems([D("0"), D("100")]) == [(0, "a split is more than 0 and at most 100 percent")]
    assert rules.split_problems([D("100.01")]) == [(0, "a split is more than 0 and at most 100 percent")]
    assert rules.split_problems([D("50.005"), D("49.995")]) == [(0, "a split has at most 2 decimals"),
                                                               (1, "a split has at most 2 decimals")]
    assert rules.split_problems([D("NaN")])[0][0] == 0
    assert rules.split_problems([D("5")] * 21) == [(None, "a deal is split among at most 20 people")]


def test_a_deal_without_splits_is_its_owners():
    assert rules.pay_credit(3_000_000, 7, []) == {7: 3_000_000}
    assert rules.pay_credit(3_000_000, None, []) == {}


def test_split_shares_are_cent_exact_by_largest_remainder():
    assert rules.pay_credit(1_000_000, 7, [(7, D("70")), (9, D("30"))]) == {7: 700_000, 9: 300_000}
    # 100.01 at 33.33/33.33/33.34 %: floors 33.33 + 33.33 + 33.34, and the cent left to the largest remainder (the third)
    shares = rules.pay_credit(10_001, 1, [(1, D("33.33")), (2, D("33.33")), (3, D("33.34"))])
    assert sum(shares.values()) == 10_001
    assert shares == {1: 3_333, 2: 3_333, 3: 3_335}
