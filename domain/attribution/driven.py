"""A deal's credit under the data-driven models (MARKOV, SHAPLEY): each touch weighs its channel's effect in the
chain of the period where the figure counts, over the sum of those effects across the deal's touches.

Pure: {channel: effect} and a journey in, weights out (rules.split turns them into cents, largest remainder).

- MARKOV's effect of a channel is P - P(-c) (markov.py), SHAPLEY's its Shapley value floored at 0 (shapley.py):
  shares of a deal are never below 0.
- A touch whose channel has no effect in the chain (a channel the period's journeys never had, a touch without a
  channel) weighs 0, so it gets no cent; a deal whose touches all weigh 0 is split LINEAR (rules.weights).
- A channel touched twice weighs twice: the effect is per touch, as the position models are.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from fractions import Fraction

from domain.attribution import rules

ZERO = Decimal(0)
MODELS = frozenset({rules.Model.MARKOV, rules.Model.SHAPLEY})
EFFECT_PLACES = Decimal("1e-15")


def is_data_driven(model) -> bool:
    return rules.Model(model) in MODELS


def as_effect(value: float | Fraction) -> Decimal:
    """An effect as a Decimal of 15 places, floored at 0 (a float from the Markov solve, a Fraction from Shapley)."""
    with localcontext() as ctx:
        ctx.prec = 40
        if isinstance(value, Fraction):
            d = Decimal(value.numerator) / Decimal(value.denominator)
        else:
            d = Decimal(repr(float(value)))
        d = d.quantize(EFFECT_PLACES)
    return d if d > ZERO else ZERO


def weights(effects: Mapping[str, Decimal], j: rules.Journey) -> list[Decimal]:
    """One weight per touch of `j`, summing to exactly 1 ([] without touches): effect over the deal's sum, or LINEAR
    when every touch's channel has no effect."""
    if not j.touches:
        return []
    raw = [effects.get(t.channel, ZERO) if t.channel is not None else ZERO for t in j.touches]
    if not sum(raw, ZERO) > ZERO:
        return rules.weights(rules.Model.LINEAR, j)
    return rules.proportional(raw)


def memoised(effects: Mapping[str, Decimal]):
    """journey -> weights(effects, journey), computed once per sequence of channels (a report's deals share few)."""
    memo: dict[tuple, list[Decimal]] = {}

    def of(j: rules.Journey) -> list[Decimal]:
        key = tuple(t.channel for t in j.touches)
        found = memo.get(key)
        if found is None:
            found = memo[key] = weights(effects, j)
        return found
    return of
