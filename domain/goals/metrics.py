"""The registry of named metrics a METRIC key result binds to. Each area registers the figures it can compute;
a key result's current value is computed from stored rows when asked for, never typed in."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from domain.goals.rules import Unit

T = TypeVar("T")


class MetricName(str, Enum):
    BOOKINGS = "BOOKINGS"
    ATTRIBUTED_BOOKINGS = "ATTRIBUTED_BOOKINGS"
    PIPELINE_CREATED = "PIPELINE_CREATED"
    SOURCED_PIPELINE = "SOURCED_PIPELINE"
    MQL_COUNT = "MQL_COUNT"
    MQL_TO_SQL_RATE = "MQL_TO_SQL_RATE"
    ACCEPTANCE_RATE = "ACCEPTANCE_RATE"
    SLA_FOLLOW_UP_RATE = "SLA_FOLLOW_UP_RATE"
    MEDIAN_RESPONSE_HOURS = "MEDIAN_RESPONSE_HOURS"


# (team ids, period, as of) -> the value as of that instant: only facts dated at or before it count
MetricFn = Callable[[Sequence[int], object, datetime], Awaitable[Decimal]]
# (team ids, period, as-of instants in order) -> the value as of each, from one set-based read
SeriesFn = Callable[[Sequence[int], object, Sequence[datetime]], Awaitable[list[Decimal]]]


@dataclass(frozen=True)
class Metric:
    name: MetricName
    unit: Unit
    description: str
    compute: MetricFn
    series: SeriesFn | None = None

    async def values_as_of(self, team_ids: Sequence[int], period, instants: Sequence[datetime]) -> list[Decimal]:
        """The value as of each instant: the metric's set-based series when it has one, else one evaluation each."""
        if self.series is not None:
            return await self.series(team_ids, period, instants)
        return [await self.compute(team_ids, period, moment) for moment in instants]


_registry: dict[MetricName, Metric] = {}


def register(name: MetricName, unit: Unit, description: str):
    def decorate(fn: MetricFn) -> MetricFn:
        _registry[name] = Metric(name, unit, description, fn)
        return fn
    return decorate


def register_series(name: MetricName):
    """Gives a registered metric its set-based series (it must agree with compute at every instant)."""
    def decorate(fn: SeriesFn) -> SeriesFn:
        _registry[name] = replace(_registry[name], series=fn)
        return fn
    return decorate


_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class PeriodWindow:
    """What a metric reads of a period (id, key, bounds, status), its end possibly brought back."""
    id: int | None
    key: str
    start: datetime
    end: datetime
    status: object


def as_of_window(period, as_of: datetime) -> PeriodWindow:
    """The period with its end brought back to just after `as_of` (never past its own end): a fact dated in
    [start, end) and at or before `as_of` is one dated in the window's [start, end). Takes any period-like value
    (a stored period, a PeriodView)."""
    end = min(period.end, as_of + _MICRO)
    return PeriodWindow(getattr(period, "id", None), period.key, period.start, end, period.status)


def get(name: MetricName) -> Metric | None:
    return _registry.get(name)


def available() -> list[Metric]:
    return [_registry[n] for n in MetricName if n in _registry]


# --- reads shared by the metrics of one evaluation ----------------------------------------------

_shared: ContextVar[dict | None] = ContextVar("metric_reads", default=None)


@contextmanager
def shared_reads():
    """Within the block, a read one metric makes (through `shared`) is made once: two key results following
    MQL_COUNT and ACCEPTANCE_RATE of the same teams count the same leads in one statement."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


async def shared(key: tuple, compute: Callable[[], Awaitable[T]]) -> T:
    """compute() once per key inside shared_reads() (each time outside it)."""
    memo = _shared.get()
    if memo is None:
        return await compute()
    if key not in memo:
        memo[key] = await compute()
    return memo[key]
