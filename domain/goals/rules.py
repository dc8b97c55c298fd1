"""Shared-goal rules: key-result progress, objective rollup, expected progress, status and score.
Pure: Decimal and datetime in, Decimal and enums out; no I/O, no ORM."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum

from domain.money import round_places

ZERO, ONE = Decimal(0), Decimal(1)
ON_TRACK_GAP = Decimal("0.165")   # gap below this is on track
AT_RISK_GAP = Decimal("0.33")     # gap up to this (inclusive) is at risk, above it off track
SHARE_TOLERANCE = Decimal("1e-9")


class KeyResultKind(str, Enum):
    INCREASE_TO = "INCREASE_TO"
    DECREASE_TO = "DECREASE_TO"
    STAY_AT_OR_ABOVE = "STAY_AT_OR_ABOVE"
    STAY_AT_OR_BELOW = "STAY_AT_OR_BELOW"
    MILESTONE = "MILESTONE"


class Unit(str, Enum):
    CURRENCY = "CURRENCY"
    COUNT = "COUNT"
    PERCENT = "PERCENT"
    HOURS = "HOURS"


class KeyResultSource(str, Enum):
    MANUAL = "MANUAL"
    METRIC = "METRIC"


class LinkKind(str, Enum):
    CONTRIBUTES = "CONTRIBUTES"
    SUPPORTS = "SUPPORTS"


class Status(str, Enum):
    OFF_TRACK = "OFF_TRACK"
    AT_RISK = "AT_RISK"
    ON_TRACK = "ON_TRACK"
    ACCOMPLISHED = "ACCOMPLISHED"


_STRENGTH = {Status.OFF_TRACK: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2, Status.ACCOMPLISHED: 3}


# --- key results -------------------------------------------------------------------------

def target_problem(kind: KeyResultKind, start: Decimal, target: Decimal) -> str | None:
    """Why a start/target pair does not fit the kind, or None."""
    if kind is KeyResultKind.INCREASE_TO and not target > start:
        return "an INCREASE_TO key result needs a target above its start"
    if kind is KeyResultKind.DECREASE_TO and not target < start:
        return "a DECREASE_TO key result needs a target below its start"
    return None


PERCENT_LIMIT = Decimal(10)  # a PERCENT value is a fraction: beyond ±10 (±1000%) it is a whole percent typed by mistake


def percent_value_problem(unit: Unit, value: Decimal | None) -> str | None:
    """Why a PERCENT key result's start, target or check-in value cannot be right, or None: PERCENT values are
    fractions (0.52 is 52%), so a value outside −10..10 was written as a whole percent (52 for 52%)."""
    if unit is not Unit.PERCENT or value is None or -PERCENT_LIMIT <= value <= PERCENT_LIMIT:
        return None
    fraction = format((value / 100).normalize(), "f")
    whole = format(value.normalize(), "f")
    return (f"a PERCENT value is a fraction between -10 and 10: write {fraction} for {whole}%")


def metric_teams(bound: "Iterable[int] | None", owners: Iterable[int]) -> list[int]:
    """The teams a METRIC key result measures: those it names, or its objective's owner teams."""
    return list(bound) if bound else list(owners)


def raw_progress(kind: KeyResultKind, start: Decimal, target: Decimal, current: Decimal) -> Decimal:
    """Progress before clamping: may exceed 1, and a move in the wrong direction is negative."""
    if kind is KeyResultKind.INCREASE_TO:
        return (current - start) / (target - start)
    if kind is KeyResultKind.DECREASE_TO:
        return (start - current) / (start - target)
    if kind is KeyResultKind.STAY_AT_OR_ABOVE:
        return ONE if current >= target else ZERO
    if kind is KeyResultKind.STAY_AT_OR_BELOW:
        return ONE if current <= target else ZERO
    if kind is KeyResultKind.MILESTONE:
        return ONE if current >= ONE else ZERO
    raise ValueError(f"unknown kind {kind}")


def clamp(progress: Decimal) -> Decimal:
    return min(ONE, max(ZERO, progress))


# --- time --------------------------------------------------------------------------------

def expected_progress(start: datetime, end: datetime, as_of: datetime, closed: bool = False) -> Decimal:
    """The elapsed fraction of the period, clamp((asOf − start) / (end − start), 0, 1); 1 once closed."""
    if closed:
        return ONE
    micro = timedelta(microseconds=1)
    return clamp(Decimal((as_of - start) // micro) / Decimal((end - start) // micro))


# --- status, rollup, score ---------------------------------------------------------------

def status(progress: Decimal, expected: Decimal) -> Status:
    """ACCOMPLISHED at progress ≥ 1; otherwise by the gap expected − progress, rounded to 6 places."""
    if progress >= ONE:
        return Status.ACCOMPLISHED
    gap = round_places(expected - progress, 6)
    if gap < ON_TRACK_GAP:
        return Status.ON_TRACK
    if gap <= AT_RISK_GAP:
        return Status.AT_RISK
    return Status.OFF_TRACK


def weakest(statuses: Iterable[Status]) -> Status | None:
    statuses = list(statuses)
    return min(statuses, key=_STRENGTH.__getitem__) if statuses else None


def weighted_progress(parts: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Weighted mean of (weight, clamped progress); 0 when there is nothing to weigh."""
    parts = list(parts)
    total = sum((w for w, _ in parts), ZERO)
    if total == ZERO:
        return ZERO
    return sum((w * p for w, p in parts), ZERO) / total


def score(progress: Decimal) -> Decimal:
    """The close-of-period score: the clamped progress rounded half-up to one decimal."""
    return round_places(clamp(progress), 1)


# --- shares and links --------------------------------------------------------------------

def shares_problem(shares: Iterable[Decimal]) -> str | None:
    """Owner shares (and component weights) must each be in (0, 1] and sum to 1 within 1e-9,
    after rounding each to 6 places."""
    shares = list(shares)
    if not shares:
        return "at least one is needed"
    if any(s <= ZERO or s > ONE for s in shares):
        return "each must be above 0 and at most 1"
    total = sum((round_places(s, 6) for s in shares), ZERO)
    if abs(total - ONE) > SHARE_TOLERANCE:
        return f"they must sum to 1 (they sum to {total.normalize()})"
    return None


def creates_cycle(child: int, new_parents: Iterable[int], parents_of: Mapping[int, Iterable[int]]) -> bool:
    """Would linking `child` under `new_parents` make an objective its own ancestor?"""
    seen: set[int] = set()
    stack = list(new_parents)
    while stack:
        node = stack.pop()
        if node == child:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(parents_of.get(node, ()))
    return False
