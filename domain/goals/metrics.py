"""The registry of named metrics a METRIC key result binds to. Each area registers the figures it can compute;
a key result's current value is computed from stored rows when asked for, never typed in."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from domain.goals.rules import Unit


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
