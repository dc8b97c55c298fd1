"""SLA rules: the per-lead commitments of both sides, their states, compliance, response times, breaches and the
monthly cross-team award (DOMAIN.md "Service level agreement (both directions)" and "Settled rules" -> Leads and SLA).

Pure: plain values in (dataclasses, Decimal, aware datetimes), dataclasses out; no I/O, no ORM.

The commitments ("items") of each lead:
- MARKETING  HANDOVER   due mql_at + handover_hours,       done at handover_at.
- SALES      FOLLOW_UP  due handover_at + follow_up_hours, done at first_follow_up_at.
- SALES      DECISION   due handover_at + decision_days,   done at decision_at.
- SALES      ATTEMPTS   due handover_at + decision_days,   met iff attempts >= minimum_attempts.
Sales items exist only once the lead has been handed over.

States: MET (done at or before due), MISSED (done after due), OPEN_BREACH (not done and due < as_of),
PENDING (not done and due >= as_of). An item counts once it is due or met, i.e. every state but PENDING;
compliance = met / counted.

Choices made here (where the brief left room):
- "As of" is honoured: a fact dated after `as_of` has not happened yet (a lead whose MQL is later is left out
  altogether; a later hand-over, follow-up or decision counts as not done). The attempt count carries no dates,
  so it is used as given.
- ATTEMPTS: only the current count is known, so the item is MET as soon as attempts >= minimum_attempts (whenever
  that happened; it is never MISSED) and an OPEN_BREACH once its due time has passed with fewer attempts;
  its done_at is None.
- An item due exactly at `as_of` and not done is still PENDING (not overdue yet).
- Business hours (`business_hours_only`): due times count only Monday-Friday 09:00-17:00 wall-clock time in
  `Agreement.timezone` (default UTC; no public holidays). A business day is 8 business hours, so `decision_days`
  is counted as decision_days x 8 business hours. Only due times use business hours: response times and overdue
  hours are elapsed (calendar) hours.
- Ratios (compliance, acceptance rate) and hours are unrounded Decimals (DOMAIN.md names no rounding for them;
  the GraphQL edge turns ratios into floats). Hours are exact to the microsecond before division by 3600.
- A "met" flag whose figure cannot be measured yet (no decided lead, no counted follow-up) is None, not False.
- Per-person compliance lists everyone with at least one item on that side (counted may be 0, compliance None);
  the award only considers people with at least one counted item, and names the best even if that is 0.
- Awards are grouped by the calendar month (UTC) of each item's due time; output is ordered by month, then side
  (MARKETING before SALES).

The SQL twin: for speed, reports count states, compliance, people, awards and breaches in SQL over stored due times
(domain/leads/sla_store.py: `_HANDOVER_MET` ... `_BREACHES` say item_state, compliance_of, _by_person, _awards and
the breaches in SQL). tests/api/test_sla_twins.py runs both on random facts and compares every figure.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from zoneinfo import ZoneInfo

from domain.leads.rules import (
    DECISIONS, MICROS_PER_HOUR as _MICROS_PER_HOUR, LeadFacts, Stage, hours_of, lead_response_micros, micros_between,
)

UTC = timezone.utc
OPENING = time(9, 0)
CLOSING = time(17, 0)
BUSINESS_DAY_HOURS = Decimal(8)
_WEEK_MICROS = 5 * 8 * _MICROS_PER_HOUR


class Side(str, Enum):
    MARKETING = "MARKETING"
    SALES = "SALES"


class ItemKind(str, Enum):
    HANDOVER = "HANDOVER"
    FOLLOW_UP = "FOLLOW_UP"
    DECISION = "DECISION"
    ATTEMPTS = "ATTEMPTS"


class ItemState(str, Enum):
    MET = "MET"
    MISSED = "MISSED"
    OPEN_BREACH = "OPEN_BREACH"
    PENDING = "PENDING"


SIDE_OF: dict[ItemKind, Side] = {
    ItemKind.HANDOVER: Side.MARKETING,
    ItemKind.FOLLOW_UP: Side.SALES,
    ItemKind.DECISION: Side.SALES,
    ItemKind.ATTEMPTS: Side.SALES,
}
_KIND_ORDER = {kind: i for i, kind in enumerate(ItemKind)}
_SIDE_ORDER = {side: i for i, side in enumerate(Side)}
_DECISION_NAMES = frozenset(d.value for d in DECISIONS)
_P90 = Decimal("0.9")
_PENDING, _MET = ItemState.PENDING, ItemState.MET


# --- inputs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Agreement:
    mql_volume: int
    acceptance_rate_target: Decimal
    handover_hours: Decimal
    follow_up_hours: Decimal
    follow_up_rate_target: Decimal
    minimum_attempts: int
    decision_days: Decimal
    business_hours_only: bool = False
    timezone: str = "UTC"          # the zone of the business hours' wall clock


@dataclass(frozen=True)
class LeadSla:
    lead_id: int
    mql_at: datetime
    handover_at: datetime | None
    handover_owner_id: int | None          # the sales person the lead was handed over to
    marketing_person_id: int | None        # the person of the lead's first marketing touch
    first_follow_up_at: datetime | None
    attempts: int
    decision: str | None                   # "SAL", "RECYCLED" or "DISQUALIFIED" (a Stage works too)
    decision_at: datetime | None


def lead_sla(lead_id: int, facts: LeadFacts, marketing_person_id: int | None) -> LeadSla | None:
    """A lead's SLA input from its facts (see rules.lead_facts); None when it never became MQL."""
    if facts.mql_at is None:
        return None
    return LeadSla(
        lead_id=lead_id, mql_at=facts.mql_at, handover_at=facts.handover_at,
        handover_owner_id=facts.handover_owner_id, marketing_person_id=marketing_person_id,
        first_follow_up_at=facts.first_follow_up_at, attempts=facts.attempts,
        decision=_decision(facts.decision), decision_at=facts.decision_at)


# --- outputs -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaItem:
    lead_id: int
    side: Side
    kind: ItemKind
    person_id: int | None
    due: datetime
    done_at: datetime | None
    state: ItemState

    @property
    def counted(self) -> bool:
        return self.state is not ItemState.PENDING

    @property
    def met(self) -> bool:
        return self.state is ItemState.MET


@dataclass
class SideCompliance:
    met: int
    counted: int
    compliance: Decimal | None     # met / counted, unrounded; None when nothing is counted

    @classmethod
    def of(cls, met: int, counted: int) -> "SideCompliance":
        return cls(met, counted, Decimal(met) / Decimal(counted) if counted else None)


@dataclass(frozen=True)
class Breach:
    lead_id: int
    side: Side
    item: ItemKind
    state: ItemState               # OPEN_BREACH or MISSED
    due: datetime
    done_at: datetime | None
    as_of: datetime

    @property
    def overdue_hours(self) -> Decimal:
        """(done_at or as_of) - due, elapsed hours (worked out when read: a report pages its breaches)."""
        return hours_between(self.due, self.done_at if self.done_at is not None else self.as_of)


@dataclass
class Headline:
    """The agreement-level figures of a report: volume, acceptance, follow-up, each side, response times."""
    mql_volume: int
    volume_met: bool
    acceptance_rate: Decimal | None
    acceptance_met: bool | None
    follow_up_compliance: Decimal | None
    follow_up_met: bool | None
    marketing: SideCompliance
    sales: SideCompliance
    response_median_hours: Decimal | None
    response_p90_hours: Decimal | None


def headline(agreement: Agreement, volume: int, accepted: int, decided: int, follow_up: SideCompliance,
             marketing: SideCompliance, sales: SideCompliance, response_median_hours: Decimal | None,
             response_p90_hours: Decimal | None) -> Headline:
    """The headline from its counts: acceptance = accepted / decided (None when none is decided), each figure
    against the agreement's target (None when it cannot be measured yet)."""
    rate = Decimal(accepted) / Decimal(decided) if decided else None
    return Headline(
        mql_volume=volume, volume_met=volume >= agreement.mql_volume, acceptance_rate=rate,
        acceptance_met=None if rate is None else rate >= agreement.acceptance_rate_target,
        follow_up_compliance=follow_up.compliance,
        follow_up_met=None if follow_up.compliance is None
        else follow_up.compliance >= agreement.follow_up_rate_target,
        marketing=marketing, sales=sales, response_median_hours=response_median_hours,
        response_p90_hours=response_p90_hours)


@dataclass
class SlaFigures(Headline):
    """The headline, each person's compliance on their side, every item, and the breaches among them."""
    marketing_by_person: dict[int, SideCompliance]
    sales_by_person: dict[int, SideCompliance]
    items: list[SlaItem]
    as_of: datetime
    _breaches: list[Breach] | None = None

    @property
    def breaches(self) -> list[Breach]:
        """Open and missed items by due time, then lead and kind (built when first read)."""
        if self._breaches is None:
            breached = [i for i in self.items if i.state is ItemState.OPEN_BREACH or i.state is ItemState.MISSED]
            self._breaches = [  # filtered, then sorted (stable): the same order as sorting every item first
                Breach(i.lead_id, i.side, i.kind, i.state, i.due, i.done_at, self.as_of)
                for i in sorted(breached, key=lambda i: (i.due, i.lead_id, _KIND_ORDER[i.kind]))]
        return self._breaches


@dataclass(frozen=True)
class Award:
    month: str                     # "2026-11"
    side: Side
    person_id: int
    compliance: Decimal
    met: int
    counted: int


# --- durations and business hours ----------------------------------------------------------

def _micros(hours: Decimal) -> int:
    return int((Decimal(hours) * _MICROS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Elapsed hours from start to end (negative if end is earlier), exact to the microsecond."""
    return hours_of(micros_between(start, end))


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} needs an aware datetime")


def _open_or_next(local: datetime) -> datetime:
    """The same moment if within business hours, else the next opening (09:00 of the next weekday)."""
    if local.weekday() < 5 and OPENING <= local.time() < CLOSING:
        return local
    if local.weekday() < 5 and local.time() < OPENING:
        return local.replace(hour=9, minute=0, second=0, microsecond=0)
    day = local.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def add_business_hours(start: datetime, hours: Decimal, tz: str = "UTC") -> datetime:
    """The moment (in UTC) when `hours` business hours (Monday-Friday 09:00-17:00 wall clock in `tz`) have passed
    since `start`. A start outside business hours begins at the next opening; a due time that falls exactly at
    closing stays at 17:00 rather than moving to the next morning. Zero hours gives `start` itself."""
    _require_aware(start, "a start time")
    remaining = _micros(hours)
    if remaining < 0:
        raise ValueError("business hours cannot be negative")
    if remaining == 0:
        return start.astimezone(UTC)
    return _add_business_micros(start, remaining, tz)


def _add_business_micros(start: datetime, remaining: int, tz: str) -> datetime:
    """add_business_hours for an aware `start` and a positive whole number of microseconds."""
    zone = ZoneInfo(tz)
    local = _open_or_next(start.astimezone(zone))
    if remaining > _WEEK_MICROS:  # whole weeks at once: 7 wall-clock days from a business moment hold 40 hours
        weeks = (remaining - 1) // _WEEK_MICROS
        local += timedelta(days=7 * weeks)
        remaining -= weeks * _WEEK_MICROS
    while True:
        local = _open_or_next(local)
        closing = local.replace(hour=17, minute=0, second=0, microsecond=0)
        available = closing - local        # wall-clock arithmetic within the zone
        available_micros = (available.days * 86_400 + available.seconds) * 1_000_000 + available.microseconds
        if remaining <= available_micros:
            return (local + timedelta(microseconds=remaining)).astimezone(UTC)
        remaining -= available_micros
        local = closing


def due_after(agreement: Agreement, start: datetime, hours: Decimal) -> datetime:
    """start + hours, in business hours when the agreement says so."""
    if agreement.business_hours_only:
        return add_business_hours(start, hours, agreement.timezone)
    if hours < 0:
        raise ValueError("hours cannot be negative")
    return (start + timedelta(microseconds=_micros(hours))).astimezone(UTC)


def _decision_hours(agreement: Agreement) -> Decimal:
    per_day = BUSINESS_DAY_HOURS if agreement.business_hours_only else Decimal(24)
    return Decimal(agreement.decision_days) * per_day


def _due_after_fn(agreement: Agreement, hours_of: Callable[[Agreement], Decimal]) -> Callable[[datetime], datetime]:
    """start -> due_after(agreement, start, hours_of(agreement)), the hours turned into microseconds once. Whatever
    due_after would refuse (negative hours, hours that are not numbers) is left to due_after itself, so the same
    error is raised at the same point (the first lead that needs that due time)."""
    try:
        hours = hours_of(agreement)
        if agreement.business_hours_only:
            micros = _micros(hours)
            if micros > 0:
                tz = agreement.timezone
                return lambda start: _add_business_micros(start, micros, tz)
        elif not hours < 0:
            delta = timedelta(microseconds=_micros(hours))
            return lambda start: (start + delta).astimezone(UTC)
    except Exception:  # noqa: BLE001 - raised again, by due_after, when the due time is needed
        pass
    return lambda start: due_after(agreement, start, hours_of(agreement))


LAST_MOMENT = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def _saturating(due: Callable[[datetime], datetime]) -> Callable[[datetime], datetime]:
    """A due-time function whose result past the last moment a datetime can hold is that last moment (an MQL late
    in year 9999 with an hours figure near its bound), so a report and an import never fail on it."""
    def saturated(start: datetime) -> datetime:
        try:
            return due(start)
        except OverflowError:
            return LAST_MOMENT
    return saturated


@dataclass(frozen=True)
class DueTimes:
    """An agreement's three due-time functions (start -> due), built once per report rather than once per lead."""
    handover: Callable[[datetime], datetime]
    follow_up: Callable[[datetime], datetime]
    decision: Callable[[datetime], datetime]

    @classmethod
    def of(cls, agreement: Agreement) -> "DueTimes":
        return cls(_saturating(_due_after_fn(agreement, lambda a: a.handover_hours)),
                   _saturating(_due_after_fn(agreement, lambda a: a.follow_up_hours)),
                   _saturating(_due_after_fn(agreement, _decision_hours)))


# --- per-lead items ------------------------------------------------------------------------

def _decision(value: str | Stage | None) -> str | None:
    if value is None:
        return None
    name = value.value if isinstance(value, Enum) else str(value)
    if name not in _DECISION_NAMES:
        raise ValueError(f"'{name}' is not a decision: SAL, RECYCLED or DISQUALIFIED")
    return name


def _known(moment: datetime | None, as_of: datetime) -> datetime | None:
    """A fact dated after as_of has not happened yet."""
    return moment if moment is not None and moment <= as_of else None


def item_state(due: datetime, done_at: datetime | None, as_of: datetime) -> ItemState:
    """An item's state (its SQL twin: the `_..._MET` and `_..._COUNTED` expressions of sla_store.py)."""
    if done_at is not None:
        return ItemState.MET if done_at <= due else ItemState.MISSED
    return ItemState.OPEN_BREACH if due < as_of else ItemState.PENDING


def lead_items(agreement: Agreement, lead: LeadSla, as_of: datetime) -> list[SlaItem]:
    """The commitments of one lead and their states as of `as_of` (none if the lead's MQL is later)."""
    return _lead_items(agreement, DueTimes.of(agreement), lead, as_of)


def _lead_items(agreement: Agreement, dues: DueTimes, lead: LeadSla, as_of: datetime) -> list[SlaItem]:
    """lead_items with the agreement's due-time functions built by the caller (once for all its leads)."""
    mql_at, handover_at = lead.mql_at, lead.handover_at
    for moment, what in ((mql_at, "mql_at"), (handover_at, "handover_at"),
                         (lead.first_follow_up_at, "first_follow_up_at"), (lead.decision_at, "decision_at"),
                         (as_of, "as_of")):
        if moment is not None:
            _require_aware(moment, what)
    _decision(lead.decision)
    if mql_at > as_of:
        return []
    if handover_at is None or handover_at > as_of:
        return items_from_dues(lead, as_of, dues.handover(mql_at), None, None, False)
    return items_from_dues(lead, as_of, dues.handover(mql_at), dues.follow_up(handover_at),
                           dues.decision(handover_at), lead.attempts >= agreement.minimum_attempts)


def items_from_dues(lead: LeadSla, as_of: datetime, handover_due: datetime, follow_up_due: datetime | None,
                    decision_due: datetime | None, attempts_ok: bool) -> list[SlaItem]:
    """The items of one lead from its due times (worked out beforehand, from the lead's MQL and hand-over times),
    as of `as_of`. The sales dues are needed only when the hand-over happened by `as_of`."""
    if lead.mql_at > as_of:
        return []
    handover_at = lead.handover_at
    if handover_at is not None and handover_at > as_of:
        handover_at = None
    lead_id = lead.lead_id
    items = [SlaItem(lead_id, Side.MARKETING, ItemKind.HANDOVER, lead.marketing_person_id, handover_due, handover_at,
                     item_state(handover_due, handover_at, as_of))]
    if handover_at is None:
        return items
    owner = lead.handover_owner_id
    follow_up_at, decision_at = lead.first_follow_up_at, lead.decision_at
    done = follow_up_at if follow_up_at is not None and follow_up_at <= as_of else None
    items.append(SlaItem(lead_id, Side.SALES, ItemKind.FOLLOW_UP, owner, follow_up_due, done,
                         item_state(follow_up_due, done, as_of)))
    done = decision_at if lead.decision and decision_at is not None and decision_at <= as_of else None
    items.append(SlaItem(lead_id, Side.SALES, ItemKind.DECISION, owner, decision_due, done,
                         item_state(decision_due, done, as_of)))
    items.append(SlaItem(lead_id, Side.SALES, ItemKind.ATTEMPTS, owner, decision_due, None,
                         ItemState.MET if attempts_ok else item_state(decision_due, None, as_of)))
    return items


# --- figures -------------------------------------------------------------------------------

def compliance_of(items: Iterable[SlaItem]) -> SideCompliance:
    met = counted = 0
    for item in items:
        state = item.state
        if state is not _PENDING:       # counted (see SlaItem.counted); MET is counted
            counted += 1
            if state is _MET:
                met += 1
    return SideCompliance.of(met, counted)


def _by_person(items: Sequence[SlaItem]) -> dict[int, SideCompliance]:
    groups: dict[int, list[SlaItem]] = defaultdict(list)
    for item in items:
        if item.person_id is not None:
            groups[item.person_id].append(item)
    return {person: compliance_of(group) for person, group in sorted(groups.items())}


@dataclass(frozen=True)
class BreachTally:
    """An agreement's breaches counted (the SLA CSV's `open_breaches` and `missed`): in all, by side, and by person
    on a side; `person_of` names whose commitment each breach was, by (lead, item kind)."""
    counts: dict[tuple[Side | None, int | None, ItemState], int]
    person_of: dict[tuple[int, ItemKind], int | None]

    def open_and_missed(self, side: Side | None = None, person_id: int | None = None) -> tuple[int, int]:
        return (self.counts.get((side, person_id, ItemState.OPEN_BREACH), 0),
                self.counts.get((side, person_id, ItemState.MISSED), 0))


def breach_tally(items: Iterable[SlaItem]) -> BreachTally:
    """Count the OPEN_BREACH and MISSED items once in all, once for their side, once for their person (if any)."""
    counts: dict[tuple[Side | None, int | None, ItemState], int] = defaultdict(int)
    person_of: dict[tuple[int, ItemKind], int | None] = {}
    for item in items:
        if item.state is ItemState.OPEN_BREACH or item.state is ItemState.MISSED:
            person_of[(item.lead_id, item.kind)] = item.person_id
            counts[(None, None, item.state)] += 1
            counts[(item.side, None, item.state)] += 1
            if item.person_id is not None:
                counts[(item.side, item.person_id, item.state)] += 1
    return BreachTally(dict(counts), person_of)


def median(values: Sequence[Decimal]) -> Decimal | None:
    """The middle value, or the mean of the two middle values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def nearest_rank(values: Sequence[Decimal], p: Decimal) -> Decimal | None:
    """The nearest-rank percentile: the ceil(p x n)-th smallest value (at least the first); None for no values."""
    if not values:
        return None
    if not Decimal(0) < Decimal(p) <= Decimal(1):
        raise ValueError("a percentile is a fraction in (0, 1]")
    ordered = sorted(values)
    rank = max(1, math.ceil(Decimal(p) * len(ordered)))
    return ordered[rank - 1]


def response_hours(leads: Iterable[LeadSla], as_of: datetime) -> list[Decimal]:
    """first follow-up - hand-over, in hours, for every lead with both by `as_of` (late ones included)."""
    return [hours_of(micros) for micros in response_micros_of(leads, as_of)]


def response_micros_of(leads: Iterable[LeadSla], as_of: datetime) -> list[int]:
    """response_hours in whole microseconds (exact integers; turned into hours only where a figure needs them)."""
    out = []
    for lead in leads:
        if lead.mql_at > as_of:
            continue
        micros = lead_response_micros(_known(lead.handover_at, as_of), _known(lead.first_follow_up_at, as_of))
        if micros is not None:
            out.append(micros)
    return out


def response_ranks(n: int) -> tuple[int, int, int]:
    """The 1-based ranks, among n sorted response times, of the median's two middle values (the same one when n is
    odd) and of the nearest-rank 90th percentile."""
    return (n + 1) // 2, n // 2 + 1, max(1, math.ceil(_P90 * n))


def median_and_p90_hours(n: int, micros_at: Callable[[int], int]) -> tuple[Decimal | None, Decimal | None]:
    """median() and nearest_rank(·, 0.9) of n response times given by rank (micros_at(r): the r-th smallest, in
    microseconds): hours are a monotone function of microseconds, so the same elements are picked, and only those
    are turned into Decimal hours."""
    if not n:
        return None, None
    low, high, p90 = response_ranks(n)
    middle = hours_of(micros_at(low)) if low == high else (hours_of(micros_at(low)) + hours_of(micros_at(high))) / 2
    return middle, hours_of(micros_at(p90))


def _median_and_p90_hours(micros: list[int]) -> tuple[Decimal | None, Decimal | None]:
    ordered = sorted(micros)
    return median_and_p90_hours(len(ordered), lambda rank: ordered[rank - 1])


def acceptance_rate(leads: Iterable[LeadSla], as_of: datetime) -> Decimal | None:
    """SAL / decided over the leads (each counted once, by its first decision); None when none is decided."""
    sal, decided = _acceptance_counts(leads, as_of)
    return Decimal(sal) / Decimal(decided) if decided else None


def _acceptance_counts(leads: Iterable[LeadSla], as_of: datetime) -> tuple[int, int]:
    """(SAL, decided) over the leads, each counted once, by its first decision known by as_of."""
    decided = sal = 0
    for lead in leads:
        if lead.mql_at > as_of or _decision(lead.decision) is None or _known(lead.decision_at, as_of) is None:
            continue
        decided += 1
        sal += lead.decision == Stage.SAL.value
    return sal, decided


def all_items(agreement: Agreement, leads: Iterable[LeadSla], as_of: datetime) -> list[SlaItem]:
    dues = DueTimes.of(agreement)
    return [item for lead in leads for item in _lead_items(agreement, dues, lead, as_of)]


def sla_report(agreement: Agreement, leads: list[LeadSla], as_of: datetime) -> SlaFigures:
    """The SLA figures over the leads that became MQL in the period (the caller picks them), as of `as_of`."""
    _require_aware(as_of, "as_of")
    _require_unique(leads)
    return _figures(agreement, leads, as_of, all_items(agreement, leads, as_of))


def sla_report_and_awards(agreement: Agreement, leads: list[LeadSla],
                          as_of: datetime) -> tuple[SlaFigures, list[Award]]:
    """(sla_report(...), monthly_awards(...)) of the same arguments, the per-lead items worked out once."""
    _require_aware(as_of, "as_of")
    _require_unique(leads)
    return report_of_items(agreement, leads, as_of, all_items(agreement, leads, as_of))


def report_of_items(agreement: Agreement, leads: list[LeadSla], as_of: datetime,
                    items: list[SlaItem]) -> tuple[SlaFigures, list[Award]]:
    """sla_report_and_awards from the leads' items worked out beforehand (all_items, or items_from_dues over
    stored due times)."""
    return _figures(agreement, leads, as_of, items), _awards(items)


def _require_unique(leads: list[LeadSla]) -> None:
    ids = [lead.lead_id for lead in leads]
    if len(ids) != len(set(ids)):
        raise ValueError("each lead appears once")


def _figures(agreement: Agreement, leads: list[LeadSla], as_of: datetime, items: list[SlaItem]) -> SlaFigures:
    volume = sum(1 for lead in leads if lead.mql_at <= as_of)
    accepted, decided = _acceptance_counts(leads, as_of)
    marketing_items = [i for i in items if i.side is Side.MARKETING]
    sales_items = [i for i in items if i.side is Side.SALES]
    response_median, response_p90 = _median_and_p90_hours(response_micros_of(leads, as_of))
    head = headline(agreement, volume, accepted, decided,
                    compliance_of(i for i in items if i.kind is ItemKind.FOLLOW_UP),
                    compliance_of(marketing_items), compliance_of(sales_items), response_median, response_p90)
    return SlaFigures(**vars(head), marketing_by_person=_by_person(marketing_items),
                      sales_by_person=_by_person(sales_items), items=items, as_of=as_of)


def monthly_awards(agreement: Agreement, leads: list[LeadSla], as_of: datetime) -> list[Award]:
    """For each calendar month (UTC, of each item's due time) and side: the person with the best compliance on that
    side's counted items that month; ties go to more counted items, then the lower person id."""
    _require_aware(as_of, "as_of")
    return _awards(all_items(agreement, leads, as_of))


def _awards(items: Iterable[SlaItem]) -> list[Award]:
    counts: dict[tuple[str, Side, int], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        if item.state is not _PENDING and item.person_id is not None:
            found = counts[(due_month(item.due), item.side, item.person_id)]
            found[0] += item.state is _MET
            found[1] += 1
    return awards_of(((month, side, person, met, counted) for (month, side, person), (met, counted)
                      in counts.items()))


def due_month(due: datetime) -> str:
    """The award month of an item: the calendar month (UTC) of its due time, as "2026-11"."""
    due = due.astimezone(UTC)
    return f"{due.year:04d}-{due.month:02d}"


def awards_of(counts: Iterable[tuple[str, Side, int, int, int]]) -> list[Award]:
    """The awards from (month, side, person, met, counted) of the counted items of each person with a person's
    side that month (counted > 0): per month and side the best compliance, ties to more counted items, then the
    lower person id; by month, then side (MARKETING before SALES)."""
    groups: dict[tuple[str, Side], list[tuple[int, SideCompliance]]] = defaultdict(list)
    for month, side, person, met, counted in counts:
        groups[(month, Side(side))].append((person, SideCompliance.of(met, counted)))
    awards = []
    for (month, side) in sorted(groups, key=lambda k: (k[0], _SIDE_ORDER[k[1]])):
        person, best = min(groups[(month, side)], key=lambda ps: (-ps[1].compliance, -ps[1].counted, ps[0]))
        awards.append(Award(month, side, person, best.compliance, best.met, best.counted))
    return awards


# --- compliance by week ------------------------------------------------------------------

@dataclass(frozen=True)
class Week:
    start: date                 # a Monday, or the period's first day
    end: date                   # a Sunday, or the period's last day
    begins: datetime            # the instant the week (so clipped) begins, UTC
    ends: datetime              # and ends (exclusive)


def iso_weeks(first_day: date, last_day: date, tz: str = "UTC") -> list[Week]:
    """The ISO weeks (Monday to Sunday) of first_day..last_day, the first and last clipped to the range, with the
    instants they begin and end at midnight in the zone."""
    zone = ZoneInfo(tz)
    midnight = lambda day: datetime.combine(day, time(0), zone).astimezone(UTC)
    weeks, day = [], first_day
    while day <= last_day:
        end = min(last_day, day + timedelta(days=6 - day.weekday()))
        weeks.append(Week(day, end, midnight(day), midnight(end + timedelta(days=1))))
        day = end + timedelta(days=1)
    return weeks


def weekly_compliance(leads: Iterable[LeadSla], items: Iterable[SlaItem],
                      weeks: Sequence[Week]) -> list[tuple[SideCompliance, SideCompliance]]:
    """(marketing, sales) compliance of each week: over the items of the leads that became MQL in that week (so
    the weeks add up to the report's sides; a sales item belongs to the week its lead qualified in, however
    late it falls due)."""
    begins = [w.begins for w in weeks]
    week_of_lead = {}
    for lead in leads:
        i = bisect.bisect_right(begins, lead.mql_at) - 1
        if 0 <= i < len(weeks) and lead.mql_at < weeks[i].ends:
            week_of_lead[lead.lead_id] = i
    grouped: list[tuple[list[SlaItem], list[SlaItem]]] = [([], []) for _ in weeks]
    for item in items:
        i = week_of_lead.get(item.lead_id)
        if i is not None:
            grouped[i][0 if item.side is Side.MARKETING else 1].append(item)
    return [(compliance_of(m), compliance_of(s)) for m, s in grouped]


# --- follow-up compliance and response times as of many instants ----------------------------------------------

@dataclass(frozen=True)
class FollowUpRow:
    """A stored SLA row as the follow-up figures read it (microseconds since the epoch): `in_team` when the lead
    was handed over to a person of the agreement's sales team."""
    mql_us: int
    handover_us: int | None
    follow_up_us: int | None
    follow_up_due_us: int | None
    in_team: bool


def follow_up_as_of(rows: Iterable[FollowUpRow], instants_us: Sequence[int]) -> list[tuple[int, int, list[int]]]:
    """For each instant (ascending), the FOLLOW_UP items' (met, counted) and the response times (microseconds) as
    the report as of that instant gives them (sla_store's _FOLLOW_UP_MET, _FOLLOW_UP_COUNTED and response_micros):
    a row counts from the instant all its conditions hold, found once per row."""
    met_from, counted_from, responses = [], [], []
    for r in rows:
        if not r.in_team or r.handover_us is None:
            continue
        start = max(r.mql_us, r.handover_us)
        if r.follow_up_us is not None:
            responses.append((max(start, r.follow_up_us), r.follow_up_us - r.handover_us))
            if r.follow_up_due_us is not None and r.follow_up_us <= r.follow_up_due_us:
                met_from.append(max(start, r.follow_up_us))
        candidates = [c for c in (r.follow_up_us, None if r.follow_up_due_us is None else r.follow_up_due_us + 1)
                      if c is not None]
        if candidates:
            counted_from.append(max(start, min(candidates)))
    met_from.sort()
    counted_from.sort()
    responses.sort()
    out, known, i = [], [], 0
    for moment in instants_us:
        while i < len(responses) and responses[i][0] <= moment:
            bisect.insort(known, responses[i][1])
            i += 1
        out.append((bisect.bisect_right(met_from, moment), bisect.bisect_right(counted_from, moment), list(known)))
    return out


def median_of_sorted(micros: Sequence[int]) -> Decimal | None:
    """median() of hours_of these response times, already sorted."""
    if not micros:
        return None
    n = len(micros)
    if n % 2:
        return hours_of(micros[n // 2])
    return (hours_of(micros[n // 2 - 1]) + hours_of(micros[n // 2])) / 2
