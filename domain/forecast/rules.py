"""Forecast rules: how likely an open deal is to close won within the period, and what a revenue key result will
end the period at (expected value and a p10-p90 range). Pure: plain numbers in, plain numbers out; no I/O, no ORM.

The method (docs/rules.md, "Forecast"):
- A deal's probability of closing won within the period is learnt from the deals closed (won or lost) in the four
  quarters before the as-of day, in the deal's cell: its age bucket (days open: 0-30, 31-60, 61-90, 91+) and
  amount band (under 10,000; 10,000 to 50,000; 50,000 and over). Of the cell's deals that were still open at the
  deal's age and whose outcome by its age plus the days left is known, the share that closed won by then. The
  deals of the window still open on the as-of day count as known not to have closed by their present age (a young
  history would otherwise hold only the deals that closed fast).
- A cell with fewer than MIN_CELL closed deals falls back to the whole history (every band, every age), and the
  forecast says so in its basis.
- expected = already booked + sum(open deal's value x its probability); the range comes from a seeded Monte Carlo
  (DRAWS draws, each open deal won or not by its probability).
- A pipeline-created key result is projected from the period's creation run rate: its daily amounts so far,
  resampled (seeded) over the days left.
"""
from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy

from domain.goals.rules import KeyResultKind

AGE_BUCKETS = (0, 31, 61, 91)                        # lower bounds, in days open: 0-30, 31-60, 61-90, 91+
AMOUNT_BANDS = (0, 1_000_000, 5_000_000)             # lower bounds, in cents: <10k, 10k-50k, 50k+
MIN_CELL = 30
DRAWS = 10_000
HISTORY_QUARTERS = 4


class Basis(str, Enum):
    """Where a forecast's probabilities came from: the deals' own cells, the whole history for some deals (their
    cells had fewer than MIN_CELL closed deals), no history at all (every probability 0), or the run rate."""
    CELLS = "CELLS"
    WHOLE_HISTORY = "WHOLE_HISTORY"
    NO_HISTORY = "NO_HISTORY"
    RUN_RATE = "RUN_RATE"


class ForecastStatus(str, Enum):
    LIKELY = "LIKELY"
    AT_RISK = "AT_RISK"
    UNLIKELY = "UNLIKELY"


def age_bucket(days_open: int) -> int:
    """Index of the age bucket (0: 0-30 days, 1: 31-60, 2: 61-90, 3: 91+)."""
    return bisect.bisect_right(AGE_BUCKETS, max(days_open, 0)) - 1


def amount_band(amount_cents: int) -> int:
    """Index of the amount band (0: under 10,000, 1: 10,000 to under 50,000, 2: 50,000 and over)."""
    return bisect.bisect_right(AMOUNT_BANDS, max(amount_cents, 0)) - 1


@dataclass(frozen=True, slots=True)
class ClosedDeal:
    """A deal of the training history: days from creation to close, amount, and whether it was won."""
    age_days: int
    amount_cents: int
    won: bool


@dataclass(frozen=True, slots=True)
class Probability:
    p: float
    basis: Basis
    sample: int          # closed deals the probability was learnt from (those still open at the deal's age)


@dataclass(frozen=True, slots=True)
class OpenDeal:
    """A deal of the window still open on the as-of day: `age_days` old and not closed yet."""
    age_days: int
    amount_cents: int


class _Sample:
    """Close ages of a set of closed deals (all, and won only) and ages of the still-open ones, sorted: the counts
    the probability needs by bisection."""

    def __init__(self, deals: Sequence[ClosedDeal], still_open: Sequence[OpenDeal] = ()):
        self.size = len(deals)
        self.ages = sorted(d.age_days for d in deals)
        self.won_ages = sorted(d.age_days for d in deals if d.won)
        self.open_ages = sorted(d.age_days for d in still_open)

    def reached(self, age: int) -> int:
        """How many closed deals were still open at `age` days (closed at that age or later)."""
        return self.size - bisect.bisect_left(self.ages, age)

    def known_after(self, age: int, horizon: int) -> int:
        """Deals open at `age` whose outcome by `horizon` is known: the closed ones that reached `age`, and the
        still-open ones already older than `horizon` (they did not close by then). Still-open deals between the two
        ages are left out: whether they will close by `horizon` is not known yet."""
        return self.reached(age) + len(self.open_ages) - bisect.bisect_right(self.open_ages, horizon)

    def won_between(self, low: int, high: int) -> int:
        return bisect.bisect_right(self.won_ages, high) - bisect.bisect_left(self.won_ages, low)


class WinModel:
    """Probabilities of closing won within the days left, learnt once from a history of closed deals and the
    deals of the same window still open (without them, a young history holds only the deals that closed fast, and
    every open deal would look about to close)."""

    def __init__(self, history: Sequence[ClosedDeal], still_open: Sequence[OpenDeal] = ()):
        self.whole = _Sample(history, still_open)
        by_band: dict[int, list[ClosedDeal]] = {}
        open_by_band: dict[int, list[OpenDeal]] = {}
        for d in history:
            by_band.setdefault(amount_band(d.amount_cents), []).append(d)
        for o in still_open:
            open_by_band.setdefault(amount_band(o.amount_cents), []).append(o)
        self.bands = {band: _Sample(deals, open_by_band.get(band, ())) for band, deals in by_band.items()}

    def probability(self, age_days: int, amount_cents: int, days_left: int) -> Probability:
        """P(won within `days_left` more days | open at `age_days`), from the deal's cell or the whole history."""
        age_days, days_left = max(age_days, 0), max(days_left, 0)
        lower = AGE_BUCKETS[age_bucket(age_days)]
        cell = self.bands.get(amount_band(amount_cents))
        if cell is not None and cell.reached(lower) >= MIN_CELL:
            sample, basis = cell, Basis.CELLS
        elif self.whole.size:
            sample, basis = self.whole, Basis.WHOLE_HISTORY
        else:
            return Probability(0.0, Basis.NO_HISTORY, 0)
        horizon = age_days + days_left
        known = sample.known_after(age_days, horizon)
        if known == 0:
            return Probability(0.0, basis, 0)
        return Probability(sample.won_between(age_days, horizon) / known, basis, known)


def overall_basis(bases: Sequence[Basis]) -> Basis:
    """The weakest basis among a forecast's deals (no deals: CELLS, nothing was guessed)."""
    for weakest in (Basis.NO_HISTORY, Basis.WHOLE_HISTORY):
        if weakest in bases:
            return weakest
    return Basis.CELLS


def seed_of(key_result_id: int, day: str) -> int:
    """The Monte Carlo seed of a key result's forecast on a day: the same answer all day, another the next."""
    return int.from_bytes(hashlib.sha256(f"{key_result_id}:{day}".encode()).digest()[:8], "big")


@dataclass(frozen=True, slots=True)
class Outlook:
    """A forecast in cents: the expected end-of-period value and the 10th and 90th percentiles of the draws."""
    expected_cents: int
    p10_cents: int
    p90_cents: int


def _percentiles(totals: numpy.ndarray) -> tuple[int, int]:
    p10, p90 = numpy.percentile(totals, [10, 90], method="lower")
    return int(p10), int(p90)


def deals_outlook(booked_cents: int, values_cents: Sequence[int], probabilities: Sequence[float], seed: int,
                  draws: int = DRAWS) -> Outlook:
    """What is booked plus each open deal's value times its probability (expected, exact), and the p10-p90 of
    `draws` seeded draws in which each deal is won or not by its probability."""
    values = numpy.asarray(values_cents, dtype=numpy.int64)
    probs = numpy.asarray(probabilities, dtype=numpy.float64)
    expected = booked_cents + int(round(float(values @ probs))) if len(values) else booked_cents
    rng = numpy.random.default_rng(seed)
    totals = numpy.full(draws, booked_cents, dtype=numpy.int64)
    chunk = max(1, 4_000_000 // draws)  # at most 4M draws in memory at once
    for k in range(0, len(values), chunk):
        # float32 draws: half the work of float64, and 2^-24 is far finer than any probability learnt here
        won = rng.random((draws, len(values[k:k + chunk])), dtype=numpy.float32) < probs[k:k + chunk]
        totals += won.astype(numpy.int64) @ values[k:k + chunk]
    p10, p90 = _percentiles(totals)
    return Outlook(expected, p10, p90)


def run_rate_outlook(daily_cents: Sequence[int], days_left: int, seed: int, draws: int = DRAWS) -> Outlook:
    """A period's created amounts so far (one number per elapsed day, zeros included) projected over the days left:
    expected = so far + the mean day x days left; the range resamples the elapsed days (seeded)."""
    so_far = int(sum(daily_cents))
    if not daily_cents or days_left <= 0:
        return Outlook(so_far, so_far, so_far)
    days = numpy.asarray(daily_cents, dtype=numpy.int64)
    expected = so_far + int(round(float(days.mean()) * days_left))
    rng = numpy.random.default_rng(seed)
    totals = so_far + rng.choice(days, size=(draws, days_left), replace=True).sum(axis=1)
    p10, p90 = _percentiles(totals)
    return Outlook(expected, p10, p90)


def forecast_status(kind: KeyResultKind, target_cents: int, outlook: Outlook) -> ForecastStatus:
    """LIKELY when the expected value reaches the target, AT_RISK when only the optimistic end of the range (p90;
    p10 for a key result that must go down) does, UNLIKELY when not even that does."""
    if kind in (KeyResultKind.DECREASE_TO, KeyResultKind.STAY_AT_OR_BELOW):
        if outlook.expected_cents <= target_cents:
            return ForecastStatus.LIKELY
        return ForecastStatus.AT_RISK if outlook.p10_cents <= target_cents else ForecastStatus.UNLIKELY
    if outlook.expected_cents >= target_cents:
        return ForecastStatus.LIKELY
    return ForecastStatus.AT_RISK if outlook.p90_cents >= target_cents else ForecastStatus.UNLIKELY


_STATUS_ORDER = (ForecastStatus.UNLIKELY, ForecastStatus.AT_RISK, ForecastStatus.LIKELY)


def weakest_status(statuses: Sequence[ForecastStatus]) -> ForecastStatus | None:
    """An objective's forecast status: the weakest of its forecast key results' (None when it has none)."""
    for status in _STATUS_ORDER:
        if status in statuses:
            return status
    return None


def mape(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Mean absolute percentage error of (forecast, actual) pairs, over those with a non-zero actual."""
    errors = [abs(f - a) / abs(a) for f, a in pairs if a]
    return sum(errors) / len(errors) if errors else None


def naive_projection(value_so_far: float, elapsed_days: float, period_days: float) -> float:
    """The naive forecast: the value so far scaled by the elapsed share of the period."""
    return value_so_far * period_days / elapsed_days if elapsed_days > 0 else value_so_far
