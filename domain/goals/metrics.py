"""The registry of named metrics a METRIC key result binds to. Each area registers the figures it can compute;
a key result's current value is computed from stored rows when asked for, never typed in."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


# (team ids, period start, period end) -> value
MetricFn = Callable[[Sequence[int], object], Awaitable[Decimal]]


@dataclass(frozen=True)
class Metric:
    name: MetricName
    unit: Unit
    description: str
    compute: MetricFn


_registry: dict[MetricName, Metric] = {}


def register(name: MetricName, unit: Unit, description: str):
    def decorate(fn: MetricFn) -> MetricFn:
        _registry[name] = Metric(name, unit, description, fn)
        return fn
    return decorate


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
