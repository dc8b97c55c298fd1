"""MARKOV and SHAPLEY rules, checked against examples worked by hand (markov.py, shapley.py, driven.py)."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from domain.attribution import driven, markov, rules, shapley
from domain.attribution.markov import TrainingJourney as J

UTC = timezone.utc


def _drivers(chain):
    return {d.channel: d for d in chain.drivers}


def test_markov_three_channels_by_hand():
    """Journeys: A>B converts (100.00), A>C does not, B converts (50.00), C>B converts (30.00).

    Transitions: start -> A 2/4, B 1/4, C 1/4;  A -> B 1/2, C 1/2;  B -> conversion 3/3;  C -> null 1/2, B 1/2.
    Conversion from B = 1, from C = 1/2, from A = 1/2 + 1/2 x 1/2 = 3/4;
    P = 1/2 x 3/4 + 1/4 x 1 + 1/4 x 1/2 = 3/4 (3 of 4 journeys converted).
    Without A: start -> A is null: P = 1/4 + 1/8 = 3/8, removal effect 1 - (3/8)/(3/4) = 1/2, P - P(-A) = 3/8.
    Without B: nothing converts: P = 0, removal effect 1, P - P(-B) = 3/4.
    Without C: A converts with 1/2: P = 1/4 + 1/4 = 1/2, removal effect 1/3, P - P(-C) = 1/4.
    Shares: 3/8 : 6/8 : 2/8 of 11/8 = 3/11, 6/11, 2/11. Every conversion leaves B (mean value 60.00), so the value
    shares are the same: V = 3/4 x 6000 = 4500 cents, V(-A) = 2250, V(-B) = 0, V(-C) = 3000.
    """
    chain = markov.chain([J(("A", "B"), True, 10_000), J(("A", "C"), False), J(("B",), True, 5_000),
                          J(("C", "B"), True, 3_000)])
    d = _drivers(chain)
    assert chain.conversion_probability == pytest.approx(0.75)
    assert chain.expected_value_cents == pytest.approx(4_500)
    assert [d[c].removal_effect for c in "ABC"] == pytest.approx([1 / 2, 1, 1 / 3])
    assert [d[c].effect for c in "ABC"] == pytest.approx([3 / 8, 3 / 4, 1 / 4])
    assert [d[c].share for c in "ABC"] == pytest.approx([3 / 11, 6 / 11, 2 / 11])
    assert [d[c].value_effect for c in "ABC"] == pytest.approx([2_250, 4_500, 1_500])
    assert [d[c].value_share for c in "ABC"] == pytest.approx([3 / 11, 6 / 11, 2 / 11])
    assert [d[c].journeys for c in "ABC"] == [2, 3, 2]


FOUR = [J(("A", "B"), True, 30_000), J(("A", "C", "D"), True, 10_000), J(("C",), False), J(("B", "D"), False),
        J(("D",), True, 20_000)]


def test_markov_four_channels_by_hand():
    """Journeys: A>B converts (300), A>C>D converts (100), C does not, B>D does not, D converts (200).

    Transitions: start -> A 2/5, B 1/5, C 1/5, D 1/5;  A -> B 1/2, C 1/2;  B -> conversion 1/2, D 1/2;
    C -> D 1/2, null 1/2;  D -> conversion 2/3, null 1/3.
    Conversion from D = 2/3, C = 1/3, B = 1/2 + 1/3 = 5/6, A = 5/12 + 1/6 = 7/12;
    P = 2/5 x 7/12 + 1/5 (5/6 + 1/3 + 2/3) = 14/60 + 22/60 = 3/5 = 18/30.
    Without A: P = 1/5 x 11/6 = 11/30 -> P - P(-A) = 7/30, removal effect 7/18.
    Without B: A = 1/6; P = 2/30 + 2/30 + 4/30 = 8/30 -> 10/30, removal effect 5/9.
    Without C: A = 5/12; P = 5/30 + 5/30 + 4/30 = 14/30 -> 4/30, removal effect 2/9.
    Without D: B = 1/2, C = 0, A = 1/4; P = 3/30 + 3/30 = 6/30 -> 12/30, removal effect 2/3.
    Shares of 33/30: A 7/33, B 10/33, C 4/33, D 12/33.
    Value (mean value of the conversions leaving B: 300, leaving D: 150), expected value from each state:
    D 2/3 x 150 = 100, C 50, B 150 + 50 = 200, A 100 + 25 = 125; V = 50 + 40 + 10 + 20 = 120 (600 / 5 journeys).
    Without A: V = (200 + 50 + 100)/5 = 70 -> 50.  Without B: A = 25, V = 10 + 10 + 20 = 40 -> 80.
    Without C: A = 100, V = 40 + 40 + 20 = 100 -> 20.  Without D: B = 150, A = 75, V = 30 + 30 = 60 -> 60.
    Value shares of 210: A 5/21, B 8/21, C 2/21, D 6/21.
    """
    chain = markov.chain(FOUR)
    d = _drivers(chain)
    assert chain.conversion_probability == pytest.approx(3 / 5)
    assert chain.expected_value_cents == pytest.approx(12_000)
    assert [d[c].removal_effect for c in "ABCD"] == pytest.approx([7 / 18, 5 / 9, 2 / 9, 2 / 3])
    assert [d[c].share for c in "ABCD"] == pytest.approx([7 / 33, 10 / 33, 4 / 33, 12 / 33])
    assert [d[c].value_share for c in "ABCD"] == pytest.approx([5 / 21, 8 / 21, 2 / 21, 6 / 21])
    assert [d[c].journeys for c in "ABCD"] == [2, 2, 2, 3]


def test_markov_order_two_states_are_pairs_of_channels():
    """Order 2, the same journeys: states (A,B); (A,C) then (C,D); (C); (B,D); (D), each reached from start with
    1/5, and (A,C) -> (C,D). P = 3/5 ((A,B), (C,D) and (D) convert). Removing a channel removes every state
    holding it: without A, (A,B) and (A,C) go: P = 1/5, effect 2/5; without B, (A,B) and (B,D): P = 2/5, effect
    1/5; without C, (A,C), (C,D), (C): P = 2/5, effect 1/5; without D, (C,D), (B,D), (D): P = 1/5, effect 2/5.
    Shares of 6/5: A 1/3, B 1/6, C 1/6, D 1/3."""
    assert markov.states(("A", "C", "D"), 2) == [("A", "C"), ("C", "D")]
    d = _drivers(markov.chain(FOUR, order=2))
    assert [d[c].effect for c in "ABCD"] == pytest.approx([2 / 5, 1 / 5, 1 / 5, 2 / 5])
    assert [d[c].share for c in "ABCD"] == pytest.approx([1 / 3, 1 / 6, 1 / 6, 1 / 3])


def test_markov_states_merge_repeats_and_slide_by_one():
    assert markov.states(("A", "A", "B", "A"), 1) == [("A",), ("B",), ("A",)]
    assert markov.states(("A", "B", "A", "B", "C"), 3) == [("A", "B", "A"), ("B", "A", "B"), ("A", "B", "C")]
    assert markov.states(("A", "B"), 3) == [("A", "B")]
    assert markov.states(("A", "A", "A"), 2) == [("A", "A")]


def test_markov_loops_are_solved_exactly():
    """A>B>A>B converts, B does not. Order 1: start -> A 1/2, B 1/2; A -> B 2/2; B -> A 1/3, conversion 1/3,
    null 1/3. From B: x = 1/3 x_A + 1/3 and x_A = x, so x = 1/2; P = 1/2. Without A: B -> A is null,
    x_B = 1/3, P = 1/6, effect 1/3 (removal effect 2/3); without B nothing converts: effect 1/2. Shares 2/5, 3/5."""
    d = _drivers(markov.chain([J(("A", "B", "A", "B"), True, 100), J(("B",), False)]))
    assert [d[c].effect for c in "AB"] == pytest.approx([1 / 3, 1 / 2])
    assert [d[c].share for c in "AB"] == pytest.approx([2 / 5, 3 / 5])


def test_markov_without_conversions_has_no_effects_and_orders_are_checked():
    d = _drivers(markov.chain([J(("A",), False), J((), True, 500)]))
    assert (d["A"].effect, d["A"].share, d["A"].removal_effect) == (0, 0, 0)
    assert markov.chain([]).drivers == ()
    assert markov.order_problem(4) and markov.order_problem(0) and markov.order_problem(True)
    assert markov.order_problem(3) is None
    with pytest.raises(ValueError):
        markov.transitions([], order=5)


def test_shapley_three_channels_by_hand():
    """Journeys by channel set: {A} 2 (1 converts), {B} 2 (none), {A,B} 2 (both), {C} 1 (converts), {A,C} 1 (not).
    v(0) = 0, v(A) = 1/2, v(B) = 0, v(C) = 1, v(AB) = 3/6 = 1/2, v(AC) = 2/4 = 1/2, v(BC) = 1/3, v(ABC) = 4/8 = 1/2.
    Weights for |S| = 0, 1, 2: 1/3, 1/6, 1/3.
    phi(A) = 1/3 (1/2) + 1/6 (1/2 - 0) + 1/6 (1/2 - 1) + 1/3 (1/2 - 1/3) = 1/6 + 1/18 = 2/9
    phi(B) = 1/3 (0) + 1/6 (1/2 - 1/2) + 1/6 (1/3 - 1) + 1/3 (1/2 - 1/2) = -1/9
    phi(C) = 1/3 (1) + 1/6 (1/2 - 1/2) + 1/6 (1/3 - 0) + 1/3 (1/2 - 1/2) = 7/18
    They sum to 1/2 = v(ABC), the conversion rate."""
    journeys = [J(("A",), True), J(("A",), False), J(("B",), False), J(("B", "B"), False), J(("A", "B"), True),
                J(("B", "A"), True), J(("C",), True), J(("A", "C"), False), J((), True)]
    phi = shapley.shapley_values(journeys)
    assert phi == {"A": Fraction(2, 9), "B": Fraction(-1, 9), "C": Fraction(7, 18)}
    assert sum(phi.values()) == Fraction(1, 2)


def test_shapley_four_channels_by_hand():
    """{A} 1 (converts), {B} 1 (not), {A,B} 1 (converts), {C,D} 2 (one converts).
    v: A 1, B 0, C 0, D 0, AB 2/3, AC 1, AD 1, BC 0, BD 0, CD 1/2, ABC 2/3, ABD 2/3, ACD 2/3, BCD 1/3, ABCD 3/5.
    Weights for |S| = 0..3: 1/4, 1/12, 1/12, 1/4.
    phi(A) = 1/4 (1) + 1/12 (2/3 + 1 + 1) + 1/12 (2/3 + 2/3 + (2/3 - 1/2)) + 1/4 (3/5 - 1/3)
           = 1/4 + 2/9 + 1/8 ... = 90/360 + 60/360 + 5/360 + 60/360 + 24/360 = 239/360
    phi(B) = 1/12 (2/3 - 1) + 1/12 ((2/3 - 1) + (2/3 - 1) + (1/3 - 1/2)) + 1/4 (3/5 - 2/3) = -41/360
    phi(C) = phi(D) (they always come together) = 1/12 (1/2) + 1/12 ((2/3 - 1) + 1/3) + 1/4 (3/5 - 2/3) = 9/360
    Sum 216/360 = 3/5 = v(ABCD)."""
    journeys = [J(("A",), True), J(("B",), False), J(("A", "B"), True), J(("C", "D"), True), J(("D", "C"), False)]
    phi = shapley.shapley_values(journeys)
    assert phi == {"A": Fraction(239, 360), "B": Fraction(-41, 360), "C": Fraction(9, 360), "D": Fraction(9, 360)}


def test_shapley_refuses_more_than_twelve_channels_naming_the_count():
    journeys = [J((f"c{i}",), i % 2 == 0) for i in range(13)]
    with pytest.raises(shapley.TooManyChannels) as e:
        shapley.shapley_values(journeys)
    assert e.value.count == 13 and "13" in str(e.value)
    assert len(shapley.shapley_values(journeys[:12])) == 12


def _journey(*channels):
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    touches = [rules.Touch(i + 1, t0 + timedelta(days=i), channel=c) for i, c in enumerate(channels)]
    return rules.journey(touches, None, t0, t0 + timedelta(days=30), t0 + timedelta(days=60))


def test_a_deal_is_split_by_its_touches_effects_to_the_cent():
    """Effects A 3/8, B 3/4 (the three-channel chain): a deal touched A, B, A weighs 3/8 : 3/4 : 3/8 of 3/2,
    so 1/4, 1/2, 1/4; 100.01 is 25.00 / 50.01 / 25.00 (2500.25, 5000.50, 2500.25 cents: the odd cent goes to
    the largest fraction, .50)."""
    effects = {"A": driven.as_effect(3 / 8), "B": driven.as_effect(3 / 4)}
    ws = driven.weights(effects, _journey("A", "B", "A"))
    assert ws == [Decimal("0.25"), Decimal("0.5"), Decimal("0.25")]
    cents = rules.split(10_001, ws)
    assert cents == [2_500, 5_001, 2_500] and sum(cents) == 10_001


def test_a_deal_whose_channels_have_no_effect_is_split_linear_and_negative_values_weigh_nothing():
    effects = {"A": driven.as_effect(Fraction(2, 9)), "B": driven.as_effect(Fraction(-1, 9))}
    assert effects["B"] == 0
    assert driven.weights(effects, _journey("B", "X", None)) == rules.weights(rules.Model.LINEAR, _journey("B", "X", None))
    assert rules.split(100, driven.weights(effects, _journey("A", "B"))) == [100, 0]
    assert driven.weights(effects, _journey()) == []
    with pytest.raises(ValueError):
        rules.weights(rules.Model.MARKOV, _journey("A"))
