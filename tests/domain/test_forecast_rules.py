"""The forecast rules, with hand-worked numbers (domain/forecast/rules.py)."""
import pytest

from domain.forecast import rules
from domain.forecast.rules import Basis, ClosedDeal, ForecastStatus, Outlook, WinModel
from domain.goals.rules import KeyResultKind

SMALL = 500_000       # 5,000.00: the band under 10,000
LARGE = 6_000_000     # 60,000.00: the band of 50,000 and over


def history():
    """40 small deals: 10 lost at 10 days, 20 won at 20 days, 10 won at 50 days."""
    return ([ClosedDeal(10, SMALL, False)] * 10 + [ClosedDeal(20, SMALL, True)] * 20
            + [ClosedDeal(50, SMALL, True)] * 10)


@pytest.mark.parametrize("days, bucket", [(0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3), (900, 3),
                                          (-1, 0)])
def test_age_buckets_are_0_30_31_60_61_90_and_91_up(days, bucket):
    assert rules.age_bucket(days) == bucket


@pytest.mark.parametrize("cents, band", [(0, 0), (999_999, 0), (1_000_000, 1), (4_999_999, 1), (5_000_000, 2)])
def test_amount_bands_split_at_10k_and_50k(cents, band):
    assert rules.amount_band(cents) == band


def test_a_deal_in_a_full_cell_learns_from_the_deals_still_open_at_its_age():
    model = WinModel(history())
    # open at 15 days: 30 of the 40 were still open then (closed at 20 or 50); 20 of them won by day 15 + 10
    p = model.probability(15, SMALL, 10)
    assert (p.p, p.basis, p.sample) == (pytest.approx(20 / 30), Basis.CELLS, 30)
    # with 40 days left, the 10 won at day 50 fall inside too: 30 of 30
    assert model.probability(15, SMALL, 40).p == pytest.approx(1.0)
    # no days left: nothing more closes
    assert model.probability(15, SMALL, 0).p == 0.0


def test_deals_still_open_past_the_horizon_count_as_not_won_by_then():
    from domain.forecast.rules import OpenDeal
    # 10 small deals 60 days old and still open did not close by day 15 + 10: known, not won. 5 that are 20 days
    # old might still close by day 25: unknown, left out
    model = WinModel(history(), [OpenDeal(60, SMALL)] * 10 + [OpenDeal(20, SMALL)] * 5)
    p = model.probability(15, SMALL, 10)
    assert (p.p, p.basis, p.sample) == (pytest.approx(20 / 40), Basis.CELLS, 40)
    # the cell's threshold counts closed deals only: open deals do not make a thin cell full
    thin = WinModel(history()[:25], [OpenDeal(60, SMALL)] * 10)
    assert thin.probability(15, SMALL, 10).basis is Basis.WHOLE_HISTORY


def test_a_cell_with_fewer_than_30_closed_deals_falls_back_to_the_whole_history():
    model = WinModel(history())
    # 35 days open is the 31-60 bucket: only the 10 closed at day 50 reached 31 days (< 30), so the whole history
    p = model.probability(35, SMALL, 10)
    assert (p.p, p.basis) == (0.0, Basis.WHOLE_HISTORY)       # none of the 10 still open at 35 won by day 45
    assert model.probability(35, SMALL, 20).p == pytest.approx(1.0)   # all 10 won at day 50
    # a large deal has no cell at all
    assert model.probability(15, LARGE, 10).basis is Basis.WHOLE_HISTORY


def test_no_history_gives_no_chance_and_says_so():
    p = WinModel([]).probability(10, SMALL, 30)
    assert (p.p, p.basis, p.sample) == (0.0, Basis.NO_HISTORY, 0)


def test_the_weakest_basis_is_the_forecasts():
    assert rules.overall_basis([Basis.CELLS, Basis.WHOLE_HISTORY]) is Basis.WHOLE_HISTORY
    assert rules.overall_basis([Basis.CELLS, Basis.NO_HISTORY, Basis.WHOLE_HISTORY]) is Basis.NO_HISTORY
    assert rules.overall_basis([]) is Basis.CELLS


def test_certain_deals_give_a_point_forecast():
    o = rules.deals_outlook(1_000, [100, 200], [1.0, 0.0], seed=1)
    assert o == Outlook(1_100, 1_100, 1_100)


def test_the_range_is_the_10th_and_90th_percentile_of_the_draws():
    # two deals of 100 at one chance in two: 1,000 a quarter of the time, 1,100 half, 1,200 a quarter
    o = rules.deals_outlook(1_000, [100, 100], [0.5, 0.5], seed=7)
    assert o == Outlook(1_100, 1_000, 1_200)


def test_the_draws_are_seeded_by_key_result_and_day():
    values, probs = [1_000 * k for k in range(1, 60)], [0.37] * 59
    a = rules.deals_outlook(0, values, probs, seed=rules.seed_of(4, "2026-11-02"))
    assert a == rules.deals_outlook(0, values, probs, seed=rules.seed_of(4, "2026-11-02"))
    assert rules.seed_of(4, "2026-11-02") != rules.seed_of(4, "2026-11-03") != rules.seed_of(5, "2026-11-02")
    assert a.p10_cents < a.expected_cents < a.p90_cents


def test_the_run_rate_projects_the_mean_day_over_the_days_left():
    assert rules.run_rate_outlook([100, 100, 100], 2, seed=3) == Outlook(500, 500, 500)
    # days of 0 and 200: one more day adds 0 or 200, expected 100
    assert rules.run_rate_outlook([0, 200], 1, seed=3) == Outlook(300, 200, 400)
    assert rules.run_rate_outlook([50, 70], 0, seed=3) == Outlook(120, 120, 120)


@pytest.mark.parametrize("outlook, status", [
    (Outlook(1_000, 800, 1_200), ForecastStatus.LIKELY),
    (Outlook(999, 800, 1_000), ForecastStatus.AT_RISK),
    (Outlook(900, 800, 999), ForecastStatus.UNLIKELY),
])
def test_forecast_status_against_the_target(outlook, status):
    assert rules.forecast_status(KeyResultKind.INCREASE_TO, 1_000, outlook) is status


def test_a_key_result_that_must_go_down_reads_the_range_from_below():
    assert rules.forecast_status(KeyResultKind.DECREASE_TO, 1_000, Outlook(1_000, 900, 1_100)) is ForecastStatus.LIKELY
    assert rules.forecast_status(KeyResultKind.DECREASE_TO, 1_000, Outlook(1_050, 990, 1_100)) is ForecastStatus.AT_RISK
    assert rules.forecast_status(KeyResultKind.DECREASE_TO, 1_000, Outlook(1_050, 1_010, 1_100)) \
        is ForecastStatus.UNLIKELY


def test_an_objective_takes_its_weakest_forecast():
    assert rules.weakest_status([ForecastStatus.LIKELY, ForecastStatus.AT_RISK]) is ForecastStatus.AT_RISK
    assert rules.weakest_status([]) is None


def test_backtest_measures():
    assert rules.mape([(110, 100), (90, 100), (5, 0)]) == pytest.approx(0.10)
    assert rules.mape([]) is None
    assert rules.naive_projection(30, 10, 90) == 270
