"""The per-touch credit split: the one place a deal's amount is shared out over its touches under a model. Every
credit figure comes from here (credit per group, the stored credit rows, a deal's `credits`, the credits CSV, the
bookings trace), so they all split alike: the same weights, the same cents.

Pure: deals with their journeys in, rows out; no I/O, no ORM (the reads that build the deals are in journeys.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.attribution import driven, rules

UNATTRIBUTED = "UNATTRIBUTED"


@dataclass(frozen=True)
class ModelChoice:
    model: rules.Model
    half_life_days: Decimal = rules.DEFAULT_HALF_LIFE_DAYS
    custom: rules.CustomWeights | None = None
    markov_order: int = 1                  # MARKOV's chain order (1-3); ignored by the other models
    effects: object = None                 # training.Effects of the period, once resolved (MARKOV, SHAPLEY)


DEFAULT_MODEL = ModelChoice(rules.Model.W_SHAPED)


class _Opportunity(Protocol):
    id: int
    amount_cents: int


@dataclass
class Deal:
    opportunity: _Opportunity  # an Opportunity row or a journeys.DealOpportunity
    journey: rules.Journey
    in_pipeline: bool       # created in the period
    in_bookings: bool       # won in the period


@dataclass(frozen=True, slots=True)
class CreditRow:
    """One touch's share of one deal under a model: the row behind a credit figure. `touch` is None (and the weight
    1) for a deal without touches, credited in full to UNATTRIBUTED."""
    deal: Deal
    touch: rules.Touch | None
    weight: Decimal
    cents: int


def weights_of(choice: ModelChoice, now: datetime) -> Callable[[rules.Journey], list[Decimal]]:
    """journey -> rules.weights(choice's model, journey, ...). Except under TIME_DECAY (which weighs the touches'
    times) the weights depend only on the number of touches and the positions of the milestones, so journeys that
    share them share one computation."""
    def compute(j: rules.Journey) -> list[Decimal]:
        return rules.weights(choice.model, j, choice.half_life_days, choice.custom, now)
    if driven.is_data_driven(choice.model):
        if choice.effects is None:
            raise ValueError("a data-driven model needs its period's effects: with_effects()")
        return driven.memoised(choice.effects.by_channel)
    if rules.Model(choice.model) is rules.Model.TIME_DECAY:
        return compute
    memo: dict[tuple, list[Decimal]] = {}

    def weights(j: rules.Journey) -> list[Decimal]:
        key = (len(j.touches), j.milestone_positions)
        found = memo.get(key)
        if found is None:
            found = memo[key] = compute(j)
        return found
    return weights


def deal_split(deal: Deal, weigh: Callable[[rules.Journey], list[Decimal]]) -> tuple[list[Decimal], list[int]]:
    """One deal's weights and cents per touch (journey order), the cents summing to its amount: the split itself
    (rules.split of the model's weights); ([], []) for a deal without touches (deal_credit books it in full to
    UNATTRIBUTED)."""
    if not deal.journey.touches:
        return [], []
    ws = weigh(deal.journey)
    return ws, rules.split(deal.opportunity.amount_cents, ws)


def deal_credit(deal: Deal, weigh: Callable[[rules.Journey], list[Decimal]]) -> list[CreditRow]:
    """One deal's credit per touch (journey order), summing to its amount (deal_split); a deal without touches is
    one row of its whole amount on UNATTRIBUTED."""
    touches = deal.journey.touches
    if not touches:
        return [CreditRow(deal, None, Decimal(1), deal.opportunity.amount_cents)]
    ws, cents = deal_split(deal, weigh)
    return [CreditRow(deal, t, w, c) for t, w, c in zip(touches, ws, cents)]


def iter_credit_rows(deal_list: Iterable[Deal], choice: ModelChoice, now: datetime) -> Iterator[list[CreditRow]]:
    """Each deal's credit rows (deal_credit), deal by deal, with one weights memo for them all."""
    weigh = weights_of(choice, now)
    for deal in deal_list:
        yield deal_credit(deal, weigh)


def credit_rows(deal_list: Sequence[Deal], choice: ModelChoice, now: datetime) -> list[CreditRow]:
    """Every deal's credit per touch, deals in the given order and touches in journey order: summed by group they
    give the credit per group."""
    return [row for rows in iter_credit_rows(deal_list, choice, now) for row in rows]
