"""GraphQL types of the forecast (domain/forecast): revenue key results' outlooks and deals' win probabilities."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from domain import numbers
from domain.forecast import queries, rules
from schema.forecast import loaders

ForecastBasis = strawberry.enum(rules.Basis, description=(
    "Where a forecast's probabilities came from: CELLS (each open deal's age bucket and amount band), WHOLE_HISTORY "
    "(some deals' cells had fewer than 30 closed deals, so the whole history of the four quarters before), "
    "NO_HISTORY (no closed deals to learn from: every probability 0), RUN_RATE (a pipeline figure, projected from "
    "the period's creation so far)."))
ForecastStatus = strawberry.enum(rules.ForecastStatus, description=(
    "LIKELY: the expected value reaches the target; AT_RISK: only the optimistic end of the range (p90) does; "
    "UNLIKELY: not even that."))


@strawberry.type(description="Where a revenue figure is heading at the period's end, as of `asOf`: what is booked "
                             "plus each open deal's value times its probability of closing won within the period "
                             "(`expected`), and the 10th-90th percentile of 10,000 seeded draws.")
class Forecast:
    as_of: datetime
    booked: Decimal = strawberry.field(description="Already counted as of `asOf`.")
    expected: Decimal
    p10: Decimal
    p90: Decimal
    basis: ForecastBasis
    open_deals: int = strawberry.field(description="Open deals weighed (0 for a run-rate forecast).")
    fallback_deals: int = strawberry.field(description="Of which weighed by the whole history (basis).")
    status: ForecastStatus | None = strawberry.field(description="Against the key result's target (null on a team).")

    @classmethod
    def of(cls, f: queries.Forecast | None) -> "Forecast | None":
        if f is None:
            return None
        return cls(as_of=f.as_of, booked=numbers.money(f.booked), expected=numbers.money(f.expected),
                   p10=numbers.money(f.p10), p90=numbers.money(f.p90), basis=f.basis, open_deals=f.open_deals,
                   fallback_deals=f.fallback_deals, status=f.status)


@strawberry.type(description="An open deal's probability of closing won within the current period, learnt from the "
                             "deals closed in the four quarters before (by age bucket and amount band).")
class WinProbability:
    probability: float
    basis: ForecastBasis
    sample: int = strawberry.field(description="Closed deals it was learnt from (those still open at this age).")
    period: str = strawberry.field(description="The period it is the probability of closing within.")

    @classmethod
    def of(cls, w: queries.WinChance | None) -> "WinProbability | None":
        if w is None:
            return None
        return cls(probability=numbers.ratio(w.probability), basis=w.basis, sample=w.sample, period=w.period_key)


async def key_result_forecast(info, key_result_id: int) -> queries.Forecast | None:
    """One key result's forecast, batched with the others of the request (one win model, one read of open deals)."""
    return await info.context.loaders(loaders.key_result_forecasts).load(key_result_id)


async def objective_forecast_status(info, key_result_ids: list[int]) -> rules.ForecastStatus | None:
    found = await info.context.loaders(loaders.key_result_forecasts).load_many(key_result_ids)
    return rules.weakest_status([f.status for f in found if f is not None and f.status is not None])


async def win_probability(info, opportunity_id: int) -> WinProbability | None:
    return WinProbability.of(await info.context.loaders(loaders.win_chances).load(opportunity_id))
