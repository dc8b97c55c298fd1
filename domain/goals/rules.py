"""Shared-goal rules: key-result progress, objective rollup, expected progress, status and score.
Pure: Decimal and datetime in, Decimal and enums out; no I/O, no ORM."""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum

from zoneinfo import ZoneInfo

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


# --- history: the figures as they stood at the end of each step -----------------------------------------

class SeriesStep(str, Enum):
    DAY = "DAY"
    WEEK = "WEEK"


MAX_SERIES_POINTS = 400
_MICRO = timedelta(microseconds=1)


def series_range_problem(first_day: date, last_day: date, start: date | None, end: date | None) -> tuple[str, str] | None:
    """(argument, why) when a series' `from`/`to` cannot be answered for a period whose days are first_day..last_day;
    None when they can. A range must lie inside the period, `from` on or before `to`."""
    for name, day in (("from", start), ("to", end)):
        if day is not None and not first_day <= day <= last_day:
            return name, f"{name} must be a day of the period ({first_day.isoformat()} to {last_day.isoformat()})"
    if start is not None and end is not None and start > end:
        return "from", "from must be on or before to"
    return None


def read_day(text: str) -> date | None:
    """A day written YYYY-MM-DD (as an `asOf` argument gives it), or None when it is not one."""
    try:
        if len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
            return date.fromisoformat(text)
    except ValueError:
        pass
    return None


def as_of_day_problem(first_day: date, last_day: date, today: date, day: date) -> str | None:
    """Why the figures of a period whose days are first_day..last_day cannot be given as of `day` (today being
    `today`); None when they can: a day of the period, not after today."""
    if not first_day <= day <= last_day:
        return f"asOf must be a day of the period ({first_day.isoformat()} to {last_day.isoformat()})"
    if day > today:
        return f"asOf must not be after today ({today.isoformat()}): figures are not known ahead of time"
    return None


def series_days(start: date, end: date, every: SeriesStep) -> list[date]:
    """The last day of each step from `start` to `end` (both included): every day, or the Sunday of each ISO week
    (the week clipped to the range, so the last point is `end` itself). Empty when end is before start."""
    if end < start:
        return []
    if every is SeriesStep.DAY:
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days, day = [], start + timedelta(days=6 - start.weekday())  # the first Sunday on or after start
    while day < end:
        days.append(day)
        day += timedelta(days=7)
    return days + [end]


def series_length(start: date, end: date, every: SeriesStep) -> int:
    """len(series_days(start, end, every)), without listing the days (a range asked for may be years long)."""
    if end < start:
        return 0
    if every is SeriesStep.DAY:
        return (end - start).days + 1
    first_sunday = start + timedelta(days=6 - start.weekday())
    if first_sunday >= end:
        return 1
    return -(-(end - first_sunday).days // 7) + 1   # the Sundays before `end`, and `end`


def day_end(day: date, tz: str) -> datetime:
    """The instant a day ends in the time zone: the next local midnight, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tz)).astimezone(timezone.utc)


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def as_of_end_of(day: date, tz: str) -> datetime:
    """The last instant of a day (its end less a microsecond): facts dated at or before it are the day's and
    earlier ones."""
    return day_end(day, tz) - _MICRO


BUCKETS = ("DAY", "HOUR", "MINUTE")


def bucket_size(instants: Iterable[datetime]) -> str:
    """The coarsest UTC bucket facts can be counted by and still add up exactly to each instant (each just before a
    day's end): DAY when every day ends at a UTC midnight (the zone is UTC), HOUR when at whole UTC hours (most
    zones), else MINUTE (a zone whose midnight falls between hours)."""
    ends = [m + _MICRO for m in instants]
    if all((e.hour, e.minute, e.second, e.microsecond) == (0, 0, 0, 0) for e in ends):
        return "DAY"
    if all((e.minute, e.second, e.microsecond) == (0, 0, 0) for e in ends):
        return "HOUR"
    return "MINUTE"


def bucketed_at(buckets: Iterable[tuple[datetime, int | Decimal]], instants: Sequence[datetime]) -> list:
    """For each instant, the sum of the buckets that start at or before it (buckets of facts, each bucket wholly
    before the instants that count it: see needs_minute_buckets)."""
    ordered = sorted(buckets, key=lambda b: b[0])
    starts = [b[0] for b in ordered]
    running, total = [], 0
    for _, amount in ordered:
        total += amount
        running.append(total)
    out = []
    for moment in instants:
        i = bisect.bisect_right(starts, moment)
        out.append(running[i - 1] if i else 0)
    return out


def latest_at(values: Iterable[tuple[datetime, Decimal]], instants: Sequence[datetime], default: Decimal) -> list[Decimal]:
    """A check-in replay: for each instant, the value of the last check-in (in the order they were made) dated at
    or before it, else `default` (a key result's start before its first check-in)."""
    ordered = list(values)
    out = []
    for moment in instants:
        found = [v for t, v in ordered if t <= moment]
        out.append(found[-1] if found else default)
    return out
