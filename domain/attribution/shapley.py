"""Shapley-value attribution (SHAPLEY): the exact Shapley value of each channel for the game whose value of a set
of channels S is the conversion rate of the period's journeys whose channels all lie in S (the characteristic
function of Dalessandro et al., "Causally motivated attribution for online advertising", 2012).

Pure: training journeys in (markov.TrainingJourney: channels, converted), exact Fractions out; no I/O, no ORM.

  v(S)    = converting journeys with channels in S / journeys with channels in S (0 when there are none);
  phi(c)  = sum over S not holding c of |S|! (n - |S| - 1)! / n! x (v(S + c) - v(S)),  n the number of channels.
The values sum to v(all channels) - v(no channel) = the period's conversion rate (efficiency). A journey without
touches has no channel and is left out, as in the Markov chain, so v(no channel) = 0. A value can be below 0 (a
channel whose journeys convert less than the others lowers the rate it joins); a deal's split floors it at 0.

Exact: every v(S) is a Fraction, the 2^n subset counts come from one pass over the journeys' channel sets and a
subset-sum transform (n x 2^n additions), so 12 channels is 4,096 coalitions and 24,576 marginal contributions.
Above MAX_CHANNELS it is refused (the caller answers INVALID with the count)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from math import factorial

MAX_CHANNELS = 12


class TooManyChannels(ValueError):
    def __init__(self, count: int) -> None:
        super().__init__(f"Shapley values are computed exactly for up to {MAX_CHANNELS} channels; "
                         f"this period's journeys have {count}")
        self.count = count


def coalition_values(journeys: Iterable) -> tuple[list[str], list[Fraction]]:
    """(the channels in name order, v of every coalition as a bit mask over them)."""
    journeys = [j for j in journeys if j.channels]
    channels = sorted({c for j in journeys for c in j.channels})
    n = len(channels)
    if n > MAX_CHANNELS:
        raise TooManyChannels(n)
    bit = {c: 1 << i for i, c in enumerate(channels)}
    seen, won = Counter(), Counter()
    for j in journeys:
        mask = 0
        for c in j.channels:
            mask |= bit[c]
        seen[mask] += 1
        won[mask] += 1 if j.converted else 0
    size = 1 << n
    total, converted = [0] * size, [0] * size
    for mask, count in seen.items():
        total[mask] = count
        converted[mask] = won[mask]
    for i in range(n):                      # subset sums: total[S] = journeys whose mask lies in S
        step = 1 << i
        for mask in range(size):
            if mask & step:
                total[mask] += total[mask ^ step]
                converted[mask] += converted[mask ^ step]
    return channels, [Fraction(converted[m], total[m]) if total[m] else Fraction(0) for m in range(size)]


def shapley_values(journeys: Iterable) -> dict[str, Fraction]:
    """{channel: its exact Shapley value} (module docstring); TooManyChannels above MAX_CHANNELS."""
    channels, v = coalition_values(journeys)
    n = len(channels)
    weight = [Fraction(factorial(s) * factorial(n - s - 1), factorial(n)) for s in range(n)]
    out = {}
    for i, c in enumerate(channels):
        step = 1 << i
        phi = Fraction(0)
        for mask in range(1 << n):
            if not mask & step:
                phi += weight[mask.bit_count()] * (v[mask | step] - v[mask])
        out[c] = phi
    return out
