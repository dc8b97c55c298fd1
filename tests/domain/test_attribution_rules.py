"""Attribution rules, tested against DOMAIN.md ("Attribution and credit" and "Settled rules" -> Numbers, Attribution).

Amounts are integer cents; weights are Decimals that sum to exactly 1; every instant is timezone-aware.
The story in most tests: a lead is touched over a few days, becomes MQL, an opportunity is created, and it closes.
"""
import random
from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal

import pytest

from domain.attribution.rules import (
    CustomWeights, Journey, Milestone, Model, Touch, credit, custom_weights_problem, influencing_teams, journey,
    milestones, sourced_team, split, weights,
)

UTC = timezone.utc
D = Decimal
M = Model
START = datetime(2026, 10, 1, 9, tzinfo=UTC)   # day 0, 09:00 UTC
MARKETING, SALES, PARTNERS = 10, 20, 30


# the models rules.weights computes alone (MARKOV and SHAPLEY weigh by a period's chain: test_data_driven_rules)
RULE_MODELS = [m for m in Model if m not in (Model.MARKOV, Model.SHAPLEY)]

def day(n: float) -> datetime:
    return START + timedelta(days=n)


def touches(*days: float, teams=None) -> list[Touch]:
    """Touches with ids 1, 2, ... on the given days (teams optional, one per touch)."""
    teams = teams or [None] * len(days)
    return [Touch(id=i + 1, at=day(d), team_id=team) for i, (d, team) in enumerate(zip(days, teams))]


def D_list(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


def close_to(values, expected, places=23):
    return all(abs(v - e) < D(1).scaleb(-places) for v, e in zip(values, expected)) and len(values) == len(expected)


# A won deal: touches on days 0 (FT), 2 (LC: MQL on day 3), 5, 8 (OC: created on day 9) and 12 (CW: won on day 20).
WON = journey(touches(0, 2, 5, 8, 12), mql_at=day(3), created_at=day(9), closed_at=day(20), as_of=day(30))


# --- journey and milestones ----------------------------------------------------------------------------------------

def test_milestones_of_a_won_deal_with_every_milestone_on_its_own_touch():
    assert milestones(WON) == {Milestone.FT: 0, Milestone.LC: 1, Milestone.OC: 3, Milestone.CW: 4}


def test_a_touch_exactly_at_the_mql_or_the_creation_counts_for_lc_and_oc():
    j = journey(touches(0, 3, 9), mql_at=day(3), created_at=day(9), closed_at=None, as_of=day(10))
    assert milestones(j) == {Milestone.FT: 0, Milestone.LC: 1, Milestone.OC: 2, Milestone.CW: None}


def test_a_lead_that_never_became_mql_has_no_lc_and_an_open_deal_has_no_cw():
    j = journey(touches(1, 2), mql_at=None, created_at=day(3), closed_at=None, as_of=day(4))
    assert milestones(j) == {Milestone.FT: 0, Milestone.LC: None, Milestone.OC: 1, Milestone.CW: None}


def test_no_lc_when_every_touch_came_after_the_mql_and_no_oc_when_every_touch_came_after_creation():
    j = journey(touches(5, 6), mql_at=day(1), created_at=day(2), closed_at=day(7), as_of=day(30))
    assert milestones(j) == {Milestone.FT: 0, Milestone.LC: None, Milestone.OC: None, Milestone.CW: 1}


def test_touches_after_the_close_are_ignored_but_a_touch_at_the_close_counts():
    j = journey(touches(0, 4, 10, 11), mql_at=None, created_at=day(1), closed_at=day(10), as_of=day(30))
    assert [t.id for t in j.touches] == [1, 2, 3]
    assert credit(M.LAST_TOUCH, j, 50_000) == [0, 0, 50_000]


def test_an_open_deal_counts_touches_up_to_as_of_only():
    j = journey(touches(0, 4, 10), mql_at=None, created_at=day(1), closed_at=None, as_of=day(5))
    assert [t.id for t in j.touches] == [1, 2]


def test_a_close_or_an_mql_after_as_of_has_not_happened_yet():
    j = journey(touches(0, 4, 10), mql_at=day(6), created_at=day(1), closed_at=day(8), as_of=day(5))
    assert j.closed_at is None and j.mql_at is None
    assert [t.id for t in j.touches] == [1, 2]
    assert milestones(j)[Milestone.CW] is None and milestones(j)[Milestone.LC] is None


def test_touches_at_the_same_moment_are_ordered_by_id():
    same = day(1)
    j = journey([Touch(7, same, team_id=SALES), Touch(3, same, team_id=MARKETING), Touch(9, day(0))],
                mql_at=None, created_at=day(2), closed_at=day(2), as_of=day(5))
    assert [t.id for t in j.touches] == [9, 3, 7]
    # ids 3 and 7 touched together: 7 is the later one, so it is the last touch
    assert credit(M.LAST_TOUCH, j, 100) == [0, 0, 100]
    j2 = journey([Touch(7, same), Touch(3, same)], None, day(2), None, day(5))
    assert credit(M.FIRST_TOUCH, j2, 100) == [100, 0]


def test_a_journey_built_by_hand_must_be_in_time_and_id_order_and_end_by_the_close():
    with pytest.raises(ValueError):
        Journey((Touch(2, day(1)), Touch(1, day(1))), None, day(2), None)
    with pytest.raises(ValueError):
        Journey((Touch(1, day(1)), Touch(1, day(1))), None, day(2), None)
    with pytest.raises(ValueError):
        Journey((Touch(1, day(1)), Touch(2, day(5))), None, day(2), day(3))


# --- W_SHAPED (the default model of record) ------------------------------------------------------------------------

def test_w_shaped_gives_30_percent_each_to_ft_lc_oc_and_splits_10_percent_over_the_two_others():
    assert weights(M.W_SHAPED, WON) == D_list("0.3", "0.3", "0.05", "0.3", "0.05")
    # a 1,000.00 deal: 300.00 / 300.00 / 50.00 / 300.00 / 50.00
    assert credit(M.W_SHAPED, WON, 100_000) == [30_000, 30_000, 5_000, 30_000, 5_000]


def test_w_shaped_first_touch_that_is_also_the_last_before_mql_gets_60_percent():
    # MQL on day 1 after a single touch on day 0: FT = LC. OC on day 4 (created day 5), two more touches before close.
    j = journey(touches(0, 4, 6, 7), mql_at=day(1), created_at=day(5), closed_at=day(10), as_of=day(30))
    assert weights(M.W_SHAPED, j) == D_list("0.6", "0.3", "0.05", "0.05")


def test_w_shaped_without_mql_the_lc_share_goes_to_ft_and_oc_in_proportion():
    # LC never happened: its 0.3 goes to FT and OC in proportion to their weights 0.3 : 0.3, i.e. 0.15 each,
    # so FT and OC hold 0.45 each (together 0.9, what the three milestones held); the others keep their 0.1.
    j = journey(touches(0, 2, 4, 6), mql_at=None, created_at=day(5), closed_at=day(10), as_of=day(30))
    assert milestones(j)[Milestone.OC] == 2
    assert weights(M.W_SHAPED, j) == D_list("0.45", "0.05", "0.45", "0.05")
    assert credit(M.W_SHAPED, j, 200_000) == [90_000, 10_000, 90_000, 10_000]


def test_w_shaped_with_no_other_touches_spreads_their_10_percent_over_the_milestones_in_proportion():
    # three touches, each a milestone: 0.3 + 0.1 x 0.3/0.9 = 1/3 each
    j = journey(touches(0, 2, 8), mql_at=day(3), created_at=day(9), closed_at=day(9), as_of=day(30))
    w = weights(M.W_SHAPED, j)
    assert close_to(w, [D(1) / 3] * 3) and sum(w) == 1
    assert credit(M.W_SHAPED, j, 10_000) == [3_334, 3_333, 3_333]
    # FT = LC on day 0 (0.6), OC on day 8 (0.3), nothing else: 0.6 + 0.1 x 0.6/0.9 = 2/3, 0.3 + 0.1 x 0.3/0.9 = 1/3
    j = journey(touches(0, 8), mql_at=day(1), created_at=day(9), closed_at=day(9), as_of=day(30))
    w = weights(M.W_SHAPED, j)
    assert close_to(w, [D(2) / 3, D(1) / 3]) and sum(w) == 1
    assert credit(M.W_SHAPED, j, 90_000) == [60_000, 30_000]


def test_w_shaped_missing_milestone_and_no_others_together():
    # no MQL (LC missing) and no other touches: FT and OC end with half each
    j = journey(touches(0, 8), mql_at=None, created_at=day(9), closed_at=day(12), as_of=day(30))
    assert weights(M.W_SHAPED, j) == D_list("0.5", "0.5")


# --- FULL_PATH, U_SHAPED, J_SHAPED, INVERSE_J, FIRST/LAST_TOUCH, LINEAR --------------------------------------------

def test_full_path_won_deal_gives_22_5_percent_to_each_milestone_and_10_percent_to_the_other():
    assert weights(M.FULL_PATH, WON) == D_list("0.225", "0.225", "0.1", "0.225", "0.225")


def test_full_path_open_deal_gives_the_missing_cw_share_to_ft_lc_oc():
    # CW did not happen: its 0.225 goes to FT, LC, OC in proportion (equal): 0.225 + 0.075 = 0.3 each
    j = journey(touches(0, 1, 2, 5, 8), mql_at=day(3), created_at=day(6), closed_at=None, as_of=day(10))
    assert weights(M.FULL_PATH, j) == D_list("0.3", "0.05", "0.3", "0.3", "0.05")


def test_u_shaped_gives_40_percent_to_ft_and_lc_and_20_percent_evenly_to_the_rest():
    j = journey(touches(0, 2, 4, 6), mql_at=day(2), created_at=day(5), closed_at=day(7), as_of=day(30))
    assert weights(M.U_SHAPED, j) == D_list("0.4", "0.4", "0.1", "0.1")
    assert credit(M.U_SHAPED, j, 12_345) == [4_938, 4_938, 1_235, 1_234]


def test_u_shaped_without_mql_gives_ft_80_percent():
    j = journey(touches(0, 2, 4, 6), mql_at=None, created_at=day(5), closed_at=day(7), as_of=day(30))
    w = weights(M.U_SHAPED, j)
    assert w[0] == D("0.8") and close_to(w[1:], [D("0.2") / 3] * 3) and sum(w) == 1


@pytest.mark.parametrize("model, expected", [
    (M.J_SHAPED, {1: ["1"], 2: ["0.25", "0.75"], 4: ["0.2", "0.1", "0.1", "0.6"]}),
    (M.INVERSE_J, {1: ["1"], 2: ["0.75", "0.25"], 4: ["0.6", "0.1", "0.1", "0.2"]}),
])
def test_j_shapes_with_one_two_and_four_touches(model, expected):
    # two touches: no others, so their 0.2 is spread 0.2 : 0.6 over FT and last -> 0.25 / 0.75
    for n, shares in expected.items():
        j = journey(touches(*range(n)), mql_at=None, created_at=day(0), closed_at=day(n), as_of=day(30))
        assert weights(model, j) == D_list(*shares), n


def test_first_and_last_touch_take_everything():
    assert credit(M.FIRST_TOUCH, WON, 99_999) == [99_999, 0, 0, 0, 0]
    assert credit(M.LAST_TOUCH, WON, 99_999) == [0, 0, 0, 0, 99_999]


def test_linear_100_dollars_over_three_touches_gives_the_odd_cent_to_the_earliest():
    j = journey(touches(0, 1, 2), mql_at=None, created_at=day(3), closed_at=day(3), as_of=day(30))
    assert credit(M.LINEAR, j, 10_000) == [3_334, 3_333, 3_333]
    # two cents left over: the two earliest touches get one each
    j = journey(touches(0, 1, 2), mql_at=None, created_at=day(3), closed_at=day(3), as_of=day(30))
    assert credit(M.LINEAR, j, 10_001) == [3_334, 3_334, 3_333]


def test_a_single_touch_gets_everything_under_every_model():
    j = journey(touches(4), mql_at=None, created_at=day(5), closed_at=None, as_of=day(6))
    custom = CustomWeights(D("0.1"), D("0.2"), D("0.3"), D("0.4"), D(0))
    for model in RULE_MODELS:
        assert weights(model, j, custom=custom, as_of=day(6)) == [D(1)], model
        assert credit(model, j, 123_456, custom=custom, as_of=day(6)) == [123_456], model


# --- TIME_DECAY ----------------------------------------------------------------------------------------------------

def test_time_decay_a_touch_a_half_life_older_weighs_half():
    # won on day 10: touches aged 7 days and 0 days weigh 2^-1 and 2^0 -> 1/3 and 2/3
    j = journey(touches(3, 10), mql_at=None, created_at=day(4), closed_at=day(10), as_of=day(30))
    w = weights(M.TIME_DECAY, j)
    assert close_to(w, [D(1) / 3, D(2) / 3]) and sum(w) == 1
    assert credit(M.TIME_DECAY, j, 9_000) == [3_000, 6_000]
    # a 14-day half-life: 2^-0.5 : 1
    w14 = weights(M.TIME_DECAY, j, half_life_days=D(14))
    assert close_to(w14, [1 / (1 + D(2).sqrt()), D(2).sqrt() / (1 + D(2).sqrt())])


def test_time_decay_of_an_open_deal_ages_to_as_of_and_the_reference_point_does_not_change_the_shares():
    j = journey(touches(0, 7, 14), mql_at=None, created_at=day(1), closed_at=None, as_of=day(20))
    w = weights(M.TIME_DECAY, j, as_of=day(20))
    assert close_to(w, [D(1) / 7, D(2) / 7, D(4) / 7]) and sum(w) == 1
    assert weights(M.TIME_DECAY, j, as_of=day(400)) == w
    assert weights(M.TIME_DECAY, j) == w


def test_time_decay_needs_a_positive_half_life():
    with pytest.raises(ValueError):
        weights(M.TIME_DECAY, WON, half_life_days=D(0))


# --- CUSTOM --------------------------------------------------------------------------------------------------------

def test_custom_position_weights():
    custom = CustomWeights(ft=D("0.5"), lc=D(0), oc=D("0.2"), cw=D("0.2"), others=D("0.1"))
    # LC weighted 0 is not a milestone: the LC touch (day 2) is one of the three others
    assert weights(M.CUSTOM, WON, custom=custom) == D_list("0.5", "0.05", "0.05", "0.2", "0.2")
    assert credit(M.CUSTOM, WON, 100_000, custom=custom) == [50_000, 5_000, 5_000, 20_000, 20_000]


def test_custom_weights_shaped_like_u_give_the_u_shaped_split():
    u_like = CustomWeights(ft=D("0.4"), lc=D("0.4"), oc=D(0), cw=D(0), others=D("0.2"))
    assert weights(M.CUSTOM, WON, custom=u_like) == weights(M.U_SHAPED, WON)
    w_like = CustomWeights(ft=D("0.3"), lc=D("0.3"), oc=D("0.3"), cw=D(0), others=D("0.1"))
    assert weights(M.CUSTOM, WON, custom=w_like) == weights(M.W_SHAPED, WON)


def test_custom_weights_all_on_a_milestone_that_did_not_happen_fall_to_the_others():
    # everything on LC, but the lead never became MQL: nobody holds a milestone, so all touches share evenly
    only_lc = CustomWeights(ft=D(0), lc=D(1), oc=D(0), cw=D(0), others=D(0))
    j = journey(touches(0, 1, 2, 3), mql_at=None, created_at=day(2), closed_at=day(3), as_of=day(30))
    assert weights(M.CUSTOM, j, custom=only_lc) == D_list("0.25", "0.25", "0.25", "0.25")


def test_custom_weights_validation():
    assert custom_weights_problem(CustomWeights(D("0.2"), D("0.2"), D("0.2"), D("0.2"), D("0.2"))) is None
    # 0.2500004 rounds to 0.250000 at 6 places: accepted
    assert custom_weights_problem(CustomWeights(D("0.2500004"), D("0.25"), D("0.25"), D("0.25"), D(0))) is None
    assert "at least 0" in custom_weights_problem(CustomWeights(D("-0.1"), D("0.5"), D("0.3"), D("0.3"), D(0)))
    assert "sum to 1" in custom_weights_problem(CustomWeights(D("0.3"), D("0.3"), D("0.3"), D(0), D(0)))
    with pytest.raises(ValueError):
        weights(M.CUSTOM, WON, custom=CustomWeights(D("0.3"), D("0.3"), D("0.3"), D(0), D(0)))
    with pytest.raises(ValueError):
        weights(M.CUSTOM, WON)


# --- the cent split ------------------------------------------------------------------------------------------------

def test_largest_remainder_beats_earliness_and_ties_go_to_the_earliest():
    assert split(1, D_list("0.25", "0.75")) == [0, 1]
    assert split(1, D_list("0.5", "0.5")) == [1, 0]
    assert split(2, D_list("0.2", "0.4", "0.4")) == [0, 1, 1]
    assert split(5, D_list("0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1")) == [1] * 5 + [0] * 5


def test_weights_equal_up_to_decimal_rounding_noise_count_as_equal_so_the_earliest_touch_wins():
    third, third_up = "0.3333333333333333333333333333", "0.3333333333333333333333333334"
    thirds = D_list(third, third_up, third)
    assert sum(thirds) == 1
    assert split(1, thirds) == [1, 0, 0]
    assert split(2, thirds) == [1, 1, 0]


def test_a_zero_weight_touch_never_gets_a_cent():
    assert split(1, D_list("0", "0.5", "0.5")) == [0, 1, 0]


def test_a_negative_amount_is_the_mirror_of_the_positive_one():
    ws = weights(M.U_SHAPED, WON)
    assert split(-100_001, ws) == [-c for c in split(100_001, ws)]
    assert sum(split(-100_001, ws)) == -100_001
    assert split(0, ws) == [0] * len(ws)


def test_split_refuses_weights_that_do_not_sum_to_one_or_are_negative():
    with pytest.raises(ValueError):
        split(100, D_list("0.5", "0.4"))
    with pytest.raises(ValueError):
        split(100, D_list("1.5", "-0.5"))
    with pytest.raises(ValueError):
        split(100, [])
    assert split(0, []) == []


def test_a_deal_without_touches_gets_no_touch_credit_and_goes_to_unattributed():
    j = journey([], mql_at=None, created_at=day(1), closed_at=day(2), as_of=day(3))
    assert credit(M.W_SHAPED, j, 100_000) == []
    assert weights(M.W_SHAPED, j) == []
    assert sourced_team(j) is None and influencing_teams(j) == set()


def test_credits_always_sum_to_the_amount_for_random_journeys():
    rng = random.Random(20261001)
    for case in range(500):
        n = rng.randint(0, 12)
        raw = [Touch(id=rng.randint(1, 40), at=day(rng.randint(0, 60)) + timedelta(minutes=rng.randint(0, 3)),
                     team_id=rng.choice([MARKETING, SALES, None]))
               for _ in range(n)]
        raw = list({t.id: t for t in raw}.values())        # ids are unique
        created = day(rng.randint(0, 60))
        mql = rng.choice([None, day(rng.randint(0, 60))])
        closed = rng.choice([None, created + timedelta(days=rng.randint(0, 30))])
        as_of = day(rng.randint(30, 100))
        j = journey(raw, mql, created, closed, as_of)
        parts = [D(rng.randint(0, 5)) for _ in range(5)]
        if not any(parts):
            parts[0] = D(1)
        total = sum(parts)
        parts = [(p / total).quantize(D("1e-6"), rounding=ROUND_DOWN) for p in parts]
        parts[parts.index(max(parts))] += 1 - sum(parts)
        custom = CustomWeights(*parts)
        amount = rng.randint(0, 10 ** 9)
        half_life = D(rng.choice([1, 7, 30]))
        for model in RULE_MODELS:
            w = weights(model, j, half_life_days=half_life, custom=custom, as_of=as_of)
            assert len(w) == len(j.touches) and all(x >= 0 for x in w), (case, model)
            assert w == [] or sum(w) == 1, (case, model, w)
            c = credit(model, j, amount, half_life_days=half_life, custom=custom, as_of=as_of)
            assert len(c) == len(j.touches), (case, model)
            assert c == [] or sum(c) == amount, (case, model, c)
            assert all(x >= 0 for x in c), (case, model, c)
            assert all(x == 0 for x, wt in zip(c, w) if wt == 0), (case, model)
            # no touch is further than one cent from its exact share
            assert all(abs(x - amount * wt) < 1 for x, wt in zip(c, w)), (case, model)


# --- sourced and influenced ----------------------------------------------------------------------------------------

def test_sourced_pipeline_belongs_to_the_team_of_the_first_touch():
    j = journey(touches(0, 1, 5, teams=[MARKETING, SALES, PARTNERS]), None, day(3), None, day(10))
    assert sourced_team(j) == MARKETING


def test_influenced_pipeline_goes_to_every_team_with_a_touch_at_or_before_creation():
    # created on day 3: touches on days 0, 1, 3 (exactly at creation) count; the day-5 touch (after OC) does not
    j = journey(touches(0, 1, 3, 5, teams=[MARKETING, None, SALES, PARTNERS]), None, day(3), None, day(10))
    assert milestones(j)[Milestone.OC] == 2
    assert influencing_teams(j) == {MARKETING, SALES}


def test_no_team_is_influencing_when_every_touch_came_after_creation():
    j = journey(touches(4, 5, teams=[MARKETING, SALES]), None, day(3), None, day(10))
    assert influencing_teams(j) == set()
    assert sourced_team(j) == MARKETING


# --- the integer fast path of split ---------------------------------------------------------------------------------

def test_split_of_model_weights_equals_the_decimal_largest_remainder():
    """split() takes model weights (24 places, summing to 1) through whole units of 1e-24; it must give exactly
    the cents of the general Decimal computation, ties to the earliest touch included."""
    from domain.attribution import rules
    rng = random.Random(7)
    compared = 0
    for _ in range(5000):
        raw = [D(rng.choice([0, 1, 2, 3, 5, 7])) + D(rng.random()).quantize(D("1e-6")) * rng.choice([0, 1])
               for _ in range(rng.randint(1, 9))]
        if sum(raw) == 0:
            continue
        ws = rules._exact(raw)
        for amount in (0, 1, 2, 3, 99, 100, 12345, 10**9 + 7, rng.randint(0, 10**10)):
            assert split(amount, ws) == rules._largest_remainder(amount, ws), (amount, ws)
            compared += 1
    assert compared > 40000
    # equal thirds: the cent left over goes to the earliest touch, on both paths
    thirds = weights(M.LINEAR, journey(touches(0, 1, 2), None, day(3), None, day(10)))
    assert split(100, thirds) == [34, 33, 33]


def test_pow2_is_the_decimal_power_of_two_it_replaces():
    """The decays' 2^(-age / half-life) (TIME_DECAY's touch weights, a lead's behaviour points) by exp(x ln 2) with
    guard digits: the same Decimal as TWO ** x, for ages to the microsecond and to the second over the half-lives
    either uses."""
    import random
    from decimal import Decimal as D
    from domain.decay import pow2
    rng = random.Random(15)
    exponents = [D(rng.randrange(0, 400 * 86_400_000_000)) / D(86_400_000_000) / D(rng.choice([1, 3, 7, 14, 30]))
                 for _ in range(3_000)]
    exponents += [D(rng.randrange(1, 400 * 86_400)) / (D(rng.choice(["7", "14", "30", "45", "0.5"])) * D(86400))
                  for _ in range(3_000)]
    exponents += [D(0), D(1), D(-1), D("0.5"), D(-1000), D("-0.000001")]
    for x in exponents:
        assert pow2(-x) == D(2) ** (-x), x


def test_positional_weights_are_worked_out_once_a_shape_and_each_caller_gets_its_own_list():
    """W_SHAPED's weights of one journey shape are memoised: the same figures again, in a fresh list each call."""
    first = weights(M.W_SHAPED, WON)
    first[0] = D(0)  # a caller changing its list leaves the next caller's alone
    again = weights(M.W_SHAPED, WON)
    assert again == D_list("0.3", "0.3", "0.05", "0.3", "0.05") and sum(again) == 1
    other = journey(touches(0, 1, 2), mql_at=day(3), created_at=day(9), closed_at=None, as_of=day(30))
    assert sum(weights(M.W_SHAPED, other)) == 1 and len(weights(M.W_SHAPED, other)) == 3
