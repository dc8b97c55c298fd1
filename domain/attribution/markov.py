"""Markov-chain attribution (MARKOV): the removal-effect method of Anderl et al. ("Mapping the customer journey",
2016), computed exactly with absorbing-chain algebra, as ChannelAttribution's `markov_model` estimates it by
simulation.

Pure: training journeys in (tuples of channel names, converted or not, the value of a conversion in cents), floats
out; no I/O, no ORM.

The chain. Each journey is a path start -> its states -> conversion (converted) or null (not converted). A state of
a chain of order k is a tuple of up to k consecutive channels: the journey's windows of k channels, sliding one
channel at a time (a journey of k channels or fewer is one state, all its channels), and consecutive equal states
are one state (a repeat of the same channel, in order 1, is not a step): exactly ChannelAttribution's reading of a
path. The transition probability i -> j is the number of i -> j steps over the number of steps out of i. A journey
without touches carries no channel: it is not a path of the chain (the caller leaves it out).

Exact. With Q the transitions among the transient states (start and the channel states) and r the probabilities
of a step into conversion, the probability of converting from each state solves (I - Q) x = r; P = x[start]. The
value: each conversion's value is drawn (as ChannelAttribution does) from the values of the conversions that left
the same state, so the expected value solves (I - Q) w = r * mean value of those conversions; V = w[start].
Removing channel c sends every step into a state holding c to null: the same systems over the states without c
give P(-c) and V(-c). (I - Q) is invertible because every state of the chain was left at least once and every
journey ends absorbed, so from every state absorption is reachable.

The figures of a channel c:
  removal effect  1 - P(-c) / P  (ChannelAttribution's `removal_effects`), 0 when P is 0;
  share           (P - P(-c)) / sum over channels of (P - P(-d))   (its `total_conversions` over the total);
  value share     (V - V(-c)) / sum over channels of (V - V(-d))   (its `total_conversion_value` likewise);
  journeys        how many journeys it appears in.
P - P(-c) is the probability of converting through a state holding c, never below 0: removing a channel can only
lose conversions. Shares are 0 when no channel has an effect (no conversion in the period).

numpy solves the linear systems: a chain of order 3 over a dozen channels has hundreds to thousands of states, and
one dense solve per channel (LAPACK) takes milliseconds where Gaussian elimination in Python takes minutes.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

MIN_ORDER, MAX_ORDER = 1, 3
START, CONVERSION, NULL = ("(start)",), ("(conversion)",), ("(null)",)


@dataclass(frozen=True)
class TrainingJourney:
    """One journey of a period's training set: its touches' channels in time order, and whether (and for how much,
    in cents) it converted."""
    channels: tuple[str, ...]
    converted: bool
    value_cents: int = 0


@dataclass(frozen=True)
class Driver:
    channel: str
    removal_effect: float   # 1 - P(-c)/P
    effect: float           # P - P(-c): the probability of converting through c
    share: float            # of the period's conversions
    value_effect: float     # V - V(-c), in cents
    value_share: float      # of the period's conversion value
    journeys: int


@dataclass(frozen=True)
class Chain:
    order: int
    conversion_probability: float   # P, from start
    expected_value_cents: float     # V, from start
    drivers: tuple[Driver, ...]     # one per channel, by channel name

    def effects(self) -> dict[str, float]:
        """{channel: P - P(-c)}: what a deal's touches are weighed by."""
        return {d.channel: d.effect for d in self.drivers}


def order_problem(order: object) -> str | None:
    if isinstance(order, bool) or not isinstance(order, int) or not MIN_ORDER <= order <= MAX_ORDER:
        return f"the Markov order is {MIN_ORDER} to {MAX_ORDER}"
    return None


def states(channels: Sequence[str], order: int) -> list[tuple[str, ...]]:
    """The chain states of one journey: windows of `order` channels sliding by one (the whole journey when it is
    shorter), consecutive equal states merged."""
    if not channels:
        return []
    if len(channels) <= order:
        windows = [tuple(channels)]
    else:
        windows = [tuple(channels[i:i + order]) for i in range(len(channels) - order + 1)]
    out = [windows[0]]
    for w in windows[1:]:
        if w != out[-1]:
            out.append(w)
    return out


def transitions(journeys: Iterable[TrainingJourney], order: int = 1
                ) -> tuple[dict[tuple, Counter], dict[tuple, list[int]]]:
    """({from state: Counter of to-states}, {state: values of the conversions that left it}) of the journeys with
    touches."""
    problem = order_problem(order)
    if problem:
        raise ValueError(problem)
    steps: dict[tuple, Counter] = defaultdict(Counter)
    values: dict[tuple, list[int]] = defaultdict(list)
    for j in journeys:
        path = states(j.channels, order)
        if not path:
            continue
        previous = START
        for s in path:
            steps[previous][s] += 1
            previous = s
        steps[previous][CONVERSION if j.converted else NULL] += 1
        if j.converted:
            values[previous].append(int(j.value_cents))
    return steps, values


def chain(journeys: Iterable[TrainingJourney], order: int = 1) -> Chain:
    """The period's chain of `order` and every channel's removal effect and shares (module docstring)."""
    journeys = [j for j in journeys if j.channels]
    steps, values = transitions(journeys, order)
    appears = Counter(c for j in journeys for c in set(j.channels))
    channels = sorted(appears)
    if not journeys:
        return Chain(order, 0.0, 0.0, ())
    transient = [START] + sorted(s for s in steps if s != START)
    index = {s: i for i, s in enumerate(transient)}
    n = len(transient)
    a = np.eye(n)
    b = np.zeros((n, 2))
    for s, outs in steps.items():
        i = index[s]
        total = sum(outs.values())
        for to, count in outs.items():
            if to in index:
                a[i, index[to]] -= count / total
        b[i, 0] = outs[CONVERSION] / total
        b[i, 1] = sum(values[s]) / total          # P(s -> conversion) x the mean value of those conversions
    p, v = np.linalg.solve(a, b)[0]
    effects = {}
    for c in channels:
        keep = [0] + [i for i, s in enumerate(transient) if i and c not in s]
        p_c, v_c = np.linalg.solve(a[np.ix_(keep, keep)], b[keep])[0]
        effects[c] = (_clean(p - p_c), _clean(v - v_c))
    total_p = sum(e for e, _ in effects.values())
    total_v = sum(e for _, e in effects.values())
    drivers = tuple(Driver(
        channel=c, removal_effect=effects[c][0] / p if p > 0 else 0.0, effect=effects[c][0],
        share=effects[c][0] / total_p if total_p > 0 else 0.0, value_effect=effects[c][1],
        value_share=effects[c][1] / total_v if total_v > 0 else 0.0, journeys=appears[c]) for c in channels)
    return Chain(order, float(p), float(v), drivers)


def _clean(x: float) -> float:
    """An effect rounded to 12 places and floored at 0: the solver's rounding noise (1e-17 for a channel that
    moves nothing, or a hair below 0) is not an effect."""
    return max(round(float(x), 12), 0.0)
