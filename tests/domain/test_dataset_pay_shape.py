"""The generated pay's pure choices (domain/dataset/shape.py): plans that pass the plan rules, 70/30 splits and
clawbacks picked by a seeded hash, the same whatever order the deals come in."""
from decimal import Decimal

from domain.comp import rules
from domain.comp.queries import credit_indexes
from domain.dataset import shape


def test_every_plan_passes_the_plan_rules_and_the_new_hires_have_a_recoverable_draw():
    plans = shape.pay_plans(shape.people(42), 250_000)
    assert len(plans) == 11 + 7 + 7
    for p in plans:
        components = [rules.Component(c.name, rules.CompMetric(c.metric), Decimal(c.quota), Decimal(c.weight),
                                      accelerator=Decimal(c.accelerator), cap=Decimal(c.cap) if c.cap else None,
                                      key_result_id=1 if c.key_result else None,
                                      gate=rules.Gate(2, Decimal(c.gate[1])) if c.gate else None)
                      for c in p.components]
        assert rules.plan_problems(Decimal(p.target_variable), components) == [], p.email
        assert sum(1 for c in p.components if c.gate) == 1
    drawn = [p for p in plans if p.draw_minimum]
    assert len(drawn) == shape.NEW_HIRES
    assert all(abs(Decimal(p.draw_minimum) - Decimal(p.target_variable) * Decimal(shape.DRAW_SHARE)) <= 50
               for p in drawn)  # to the hundred


def test_a_tenth_of_the_won_deals_are_split_70_30_with_someone_else_whatever_their_order():
    won = [(f"g1-O{i:07d}", f"seller{i % 3}") for i in range(200)]
    sellers, sdrs = ["seller0", "seller1", "seller2"], ["sdr0", "sdr1"]
    picked = shape.split_deals(1, won, sellers, sdrs)
    assert len(picked) == 20 and picked == shape.split_deals(1, list(reversed(won)), sellers, sdrs)
    owner = dict(won)
    for deal, ((first, p1), (second, p2)) in picked:
        assert (first, p1, p2) == (owner[deal], "70.00", "30.00") and second != first
    assert {s for _, (_, (s, _)) in picked} & set(sdrs)  # every other one with an SDR
    assert shape.split_deals(2, won, sellers, sdrs) != picked  # another seed, other deals


def test_clawed_back_deals_are_lost_or_cut_and_at_least_one_is_picked():
    deals = [(f"d{i}", 10_000 + i) for i in range(300)]
    changed = shape.clawed_back(7, deals)
    assert len(changed) == round(300 * shape.CLAWBACK_SHARE)
    amounts = dict(deals)
    for deal, (status, cents) in changed.items():
        assert (status, cents) in (("LOST", amounts[deal]), ("WON", int(amounts[deal] * shape.CLAWBACK_CUT)))
    assert len(shape.clawed_back(7, deals[:3])) == 1 and shape.clawed_back(7, []) == {}


def test_credit_indexes_sum_each_persons_and_teams_share_of_every_deal():
    credit = {1: {10: 700, 11: 300}, 2: {10: 500}, 3: {12: 40}}
    by_person, by_team = credit_indexes(credit, {10: 100, 11: 100, 12: 200})
    assert by_person == {10: {1: 700, 2: 500}, 11: {1: 300}, 12: {3: 40}}
    assert by_team == {100: {1: 1000, 2: 500}, 200: {3: 40}}
