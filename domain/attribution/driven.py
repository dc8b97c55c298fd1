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
    return channel_weights(effects, tuple(t.channel for t in j.touches))


def channel_weights(effects: Mapping[str, Decimal], channels: tuple[str | None, ...]) -> list[Decimal]:
    """weights() of a journey whose touches have these channels, in order (all a data-driven split depends on)."""
    if not channels:
        return []
    raw = [effects.get(c, ZERO) if c is not None else ZERO for c in channels]
    if not sum(raw, ZERO) > ZERO:
        return rules.proportional([Decimal(1)] * len(channels))  # LINEAR: rules.weights(LINEAR) is the same
    return rules.proportional(raw)


def memoised(effects: Mapping[str, Decimal]):
    """journey -> weights(effects, journey), computed once per sequence of channels (a report's deals share few)."""
    by_channels = memoised_channels(effects)
    return lambda j: by_channels(tuple(t.channel for t in j.touches))


def memoised_channels(effects: Mapping[str, Decimal]):
    """channels -> channel_weights(effects, channels), computed once per sequence."""
    memo: dict[tuple, list[Decimal]] = {}

    def of(channels: tuple) -> list[Decimal]:
        found = memo.get(channels)
        if found is None:
            found = memo[channels] = channel_weights(effects, channels)
        return found
    return of
