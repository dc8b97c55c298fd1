"""Lead rules: the lifecycle, reasons, the joint definition's fit and engagement scoring, and each lead's facts.
Pure: plain values in and out; no I/O, no ORM."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import lru_cache

from domain.decay import pow2
from domain.money import round_places


class Stage(str, Enum):
    LEAD = "LEAD"
    MQL = "MQL"
    SAL = "SAL"
    SQL = "SQL"
    OPPORTUNITY = "OPPORTUNITY"
    WON = "WON"
    LOST = "LOST"
    RECYCLED = "RECYCLED"
    DISQUALIFIED = "DISQUALIFIED"


class RecycleReason(str, Enum):
    BAD_TIMING = "BAD_TIMING"
    NO_BUDGET = "NO_BUDGET"
    NO_RESPONSE = "NO_RESPONSE"
    NOT_DECISION_MAKER = "NOT_DECISION_MAKER"
    NURTURE_REQUESTED = "NURTURE_REQUESTED"
    OTHER = "OTHER"


class DisqualifyReason(str, Enum):
    NOT_ICP = "NOT_ICP"
    COMPETITOR = "COMPETITOR"
    DUPLICATE = "DUPLICATE"
    BAD_DATA = "BAD_DATA"
    NOT_A_BUYER = "NOT_A_BUYER"
    OTHER = "OTHER"


class Behaviour(str, Enum):
    EMAIL_OPEN = "EMAIL_OPEN"
    EMAIL_CLICK = "EMAIL_CLICK"
    ASSET_DOWNLOAD = "ASSET_DOWNLOAD"
    PAGE_VISIT = "PAGE_VISIT"
    PRICING_PAGE_VISIT = "PRICING_PAGE_VISIT"
    SOCIAL_RESPONSE = "SOCIAL_RESPONSE"
    WEBINAR = "WEBINAR"
    EVENT_ATTENDED = "EVENT_ATTENDED"
    FORM_SUBMIT = "FORM_SUBMIT"
    DEMO_REQUEST = "DEMO_REQUEST"


# Event types besides behaviours
STAGE_EVENT = "STAGE"
ASSIGNED_EVENT = "ASSIGNED"

DECISIONS = frozenset({Stage.SAL, Stage.RECYCLED, Stage.DISQUALIFIED})

# Forward moves of the lifecycle; back only by an explicit recycle (to RECYCLED, then MQL again).
ALLOWED: Mapping[Stage, frozenset[Stage]] = {
    Stage.LEAD: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    Stage.MQL: frozenset({Stage.SAL, Stage.RECYCLED, Stage.DISQUALIFIED}),
    Stage.SAL: frozenset({Stage.SQL, Stage.RECYCLED, Stage.DISQUALIFIED}),
    Stage.SQL: frozenset({Stage.OPPORTUNITY, Stage.RECYCLED, Stage.DISQUALIFIED}),
    Stage.OPPORTUNITY: frozenset({Stage.WON, Stage.LOST}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset({Stage.RECYCLED}),
    Stage.RECYCLED: frozenset({Stage.MQL, Stage.DISQUALIFIED}),
    Stage.DISQUALIFIED: frozenset(),
}


def next_stages(current: Stage) -> list[Stage]:
    """The stages the lifecycle allows from this one, in the funnel's order."""
    return [s for s in Stage if s in ALLOWED[current]]


def transition_problem(current: Stage, new: Stage) -> str | None:
    if new in ALLOWED[current]:
        return None
    return f"a lead cannot move from {current.value} to {new.value}"


def reason_problem(stage: Stage, reason_code: str | None) -> str | None:
    """RECYCLED and DISQUALIFIED need a reason from their fixed list; other stages take none."""
    if stage is Stage.RECYCLED:
        return None if reason_code in RecycleReason.__members__ else \
            f"a recycle needs a reason: one of {', '.join(RecycleReason.__members__)}"
    if stage is Stage.DISQUALIFIED:
        return None if reason_code in DisqualifyReason.__members__ else \
            f"a disqualification needs a reason: one of {', '.join(DisqualifyReason.__members__)}"
    return None if reason_code is None else f"{stage.value} takes no reason code"


# --- the joint definition: fit and engagement --------------------------------------------

@dataclass(frozen=True)
class Profile:
    """The ideal customer profile and scoring model of one definition version."""

    industries: frozenset[str] = frozenset()
    employees_min: int | None = None
    employees_max: int | None = None
    regions: frozenset[str] = frozenset()
    titles: tuple[str, ...] = ()              # keywords matched case-insensitively within a title
    fit_points: Mapping[str, Decimal] = field(default_factory=lambda: {
        "industry": Decimal(25), "employees": Decimal(25), "region": Decimal(25), "title": Decimal(25)})
    behaviour_points: Mapping[str, Decimal] = field(default_factory=dict)
    half_life_days: Decimal = Decimal(30)
    fit_threshold: Decimal = Decimal(50)
    engagement_threshold: Decimal = Decimal(40)


@dataclass(frozen=True)
class LeadProfile:
    industry: str | None
    employees: int | None
    region: str | None
    title: str | None


@dataclass(frozen=True)
class ScoreLine:
    rule: str
    points: Decimal


@lru_cache(maxsize=256)
def _lowered_once(values: frozenset[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


def _lowered(values) -> frozenset[str]:
    """The values in lower case (worked out once a profile's frozenset)."""
    try:
        return _lowered_once(values)
    except TypeError:  # a profile built with a set or a list
        return frozenset(v.lower() for v in values)


def _fit_criteria(profile: Profile, lead: LeadProfile) -> list[tuple[str, object]]:
    """The fit criteria a lead meets, in order, each with what its line names (the industry, the head count, the
    region, the title's keyword)."""
    met: list[tuple[str, object]] = []
    if lead.industry and lead.industry.strip().lower() in _lowered(profile.industries):
        met.append(("industry", lead.industry))
    if lead.employees is not None and (profile.employees_min is not None or profile.employees_max is not None):
        low = profile.employees_min if profile.employees_min is not None else 0
        if lead.employees >= low and (profile.employees_max is None or lead.employees <= profile.employees_max):
            met.append(("employees", lead.employees))
    if lead.region and lead.region.strip().lower() in _lowered(profile.regions):
        met.append(("region", lead.region))
    if lead.title:
        title = lead.title.lower()
        keyword = next((k for k in profile.titles if k.lower() in title), None)
        if keyword is not None:
            met.append(("title", keyword))
    return met


_FIT_LINE = {"industry": "industry is {}", "employees": "{} employees is within the range", "region": "region is {}",
             "title": "title contains '{}'"}


def fit_lines(profile: Profile, lead: LeadProfile) -> list[ScoreLine]:
    """The fit criteria a lead meets, each with its points."""
    return [ScoreLine(_FIT_LINE[criterion].format(named), profile.fit_points.get(criterion, Decimal(0)))
            for criterion, named in _fit_criteria(profile, lead)]


def decayed(points: Decimal, age: timedelta, half_life_days: Decimal) -> Decimal:
    """points × 2^(−age / halfLife); a behaviour in the future (negative age) counts in full."""
    if age <= timedelta(0):
        return points
    halvings = Decimal(age.total_seconds()) / (half_life_days * Decimal(86400))
    return points * pow2(-halvings)


def _engagement(profile: Profile, behaviours: Iterable[tuple[datetime, str]],
                as_of: datetime) -> list[tuple[datetime, str, Decimal, Decimal]]:
    """(time, behaviour, points, decayed value to 2 places) of each behaviour at or before `as_of` that the model
    gives points, in the order given."""
    found = []
    for at, kind in behaviours:
        points = profile.behaviour_points.get(kind)
        if points is None or at > as_of:
            continue
        found.append((at, kind, points, round_places(decayed(points, as_of - at, profile.half_life_days), 2)))
    return found


def engagement_lines(profile: Profile, behaviours: Iterable[tuple[datetime, str]], as_of: datetime) -> list[ScoreLine]:
    """Each behaviour at or before `as_of` that the model gives points, decayed to `as_of`, to 2 places."""
    return [ScoreLine(f"{kind} on {at.date().isoformat()} ({points} points, decayed)", value)
            for at, kind, points, value in _engagement(profile, behaviours, as_of)]


def engagement_score(profile: Profile, behaviours: Iterable[tuple[datetime, str]], as_of: datetime) -> Decimal:
    """total(engagement_lines(profile, behaviours, as_of)), without writing the lines."""
    return sum((value for *_, value in _engagement(profile, behaviours, as_of)), Decimal(0))


def total(lines: Iterable[ScoreLine]) -> Decimal:
    return sum((line.points for line in lines), Decimal(0))


def qualifies(profile: Profile, fit: Decimal, engagement: Decimal) -> bool:
    return fit >= profile.fit_threshold and engagement >= profile.engagement_threshold


def fit_score(profile: Profile, lead: LeadProfile) -> Decimal:
    """total(fit_lines(profile, lead)), without writing the lines."""
    points = profile.fit_points
    return sum((points.get(c, Decimal(0)) for c, _ in _fit_criteria(profile, lead)), Decimal(0))


def fits(profile: Profile, lead: LeadProfile) -> bool:
    """Whether the lead passes the profile's fit threshold: without it no behaviour can qualify it
    (first_qualifying_time), so the scoring need not read its behaviours."""
    return fit_score(profile, lead) >= profile.fit_threshold


def scored_behaviours(profiles: Iterable[Profile]) -> frozenset[str]:
    """The behaviours some of these profiles give points: the only ones that can move a score (engagement_lines
    and first_qualifying_time pass over the others)."""
    return frozenset(kind for p in profiles for kind in p.behaviour_points)


def first_qualifying_time(profile: Profile, lead: LeadProfile, behaviours: Sequence[tuple[datetime, str]],
                          not_before: datetime, fit: Decimal | None = None) -> datetime | None:
    """The time of the first behaviour (at or after `not_before`, in time order) after which the lead passes both
    thresholds: the MQL event takes that time. Scores are computed as of each behaviour's time. `fit`: the lead's
    fit_score under the profile, when the caller has it (many leads share a profile)."""
    if fit is None:
        fit = fit_score(profile, lead)
    if fit < profile.fit_threshold:
        return None
    ordered = sorted(behaviours)
    for at, kind in ordered:
        if at < not_before or kind not in profile.behaviour_points:
            continue
        if qualifies(profile, fit, engagement_score(profile, ordered, at)):
            return at
    return None


# --- each lead's facts -------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    at: datetime
    id: int
    type: str                      # a behaviour, STAGE or ASSIGNED
    stage: Stage | None = None
    owner_person_id: int | None = None


@dataclass(frozen=True)
class SalesTouch:
    at: datetime
    id: int
    person_id: int | None = None


@dataclass(frozen=True)
class LeadFacts:
    stage: Stage
    owner_person_id: int | None
    mql_at: datetime | None
    handover_at: datetime | None
    handover_owner_id: int | None
    first_follow_up_at: datetime | None
    attempts: int
    decision: Stage | None
    decision_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None


def _ordered(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.at, e.id))


def current_stage(events: Iterable[Event]) -> Stage:
    stages = [e.stage for e in _ordered(events) if e.type == STAGE_EVENT and e.stage is not None]
    return stages[-1] if stages else Stage.LEAD


def lead_facts(events: Iterable[Event], sales_touches: Iterable[SalesTouch], sales_people: frozenset[int]) -> LeadFacts:
    """The SLA facts of a lead's first MQL: hand-over is the first assignment to a sales owner at or after it,
    first follow-up the earliest SALES touch at or after hand-over, a decision the first SAL, RECYCLED or
    DISQUALIFIED after it."""
    ordered = _ordered(events)
    stage_events = [e for e in ordered if e.type == STAGE_EVENT and e.stage is not None]
    assignments = [e for e in ordered if e.type == ASSIGNED_EVENT]
    first = lambda stage: next((e.at for e in stage_events if e.stage is stage), None)
    mql_at = first(Stage.MQL)
    handover = None
    if mql_at is not None:
        handover = next((e for e in assignments if e.at >= mql_at and e.owner_person_id in sales_people), None)
    touches = sorted((t for t in sales_touches), key=lambda t: (t.at, t.id))
    after_handover = [t for t in touches if handover is not None and t.at >= handover.at]
    decision = next((e for e in stage_events if mql_at is not None and e.at >= mql_at and e.stage in DECISIONS), None)
    return LeadFacts(
        stage=stage_events[-1].stage if stage_events else Stage.LEAD,
        owner_person_id=assignments[-1].owner_person_id if assignments else None,
        mql_at=mql_at,
        handover_at=handover.at if handover else None,
        handover_owner_id=handover.owner_person_id if handover else None,
        first_follow_up_at=after_handover[0].at if after_handover else None,
        attempts=len(after_handover),
        decision=decision.stage if decision else None,
        decision_at=decision.at if decision else None,
        sal_at=first(Stage.SAL),
        sql_at=first(Stage.SQL),
    )


# --- wasted selling time -----------------------------------------------------------------

def wasted_selling_cost(minutes: int, cost_per_selling_hour: Decimal | None) -> Decimal | None:
    """Selling hours logged on leads later recycled or disqualified × the seller's cost per selling hour."""
    if cost_per_selling_hour is None:
        return None
    return round_places(Decimal(minutes) * cost_per_selling_hour / Decimal(60), 2)  # exact product, then round


# --- response time ------------------------------------------------------------------------

MICROS_PER_HOUR = 3_600_000_000
_MICROSECOND = timedelta(microseconds=1)


def micros_between(start: datetime, end: datetime) -> int:
    """Whole microseconds from start to end (negative if end is earlier): exact integers."""
    return (end - start) // _MICROSECOND


def hours_of(micros: int) -> Decimal:
    """Microseconds as hours, exactly."""
    return Decimal(micros) / Decimal(MICROS_PER_HOUR)


def lead_response_micros(handover_at: datetime | None, first_follow_up_at: datetime | None) -> int | None:
    """A lead's response time: from its hand-over to its first sales touch, in microseconds (None until both
    happened). The one definition: `Lead.responseHours`, the leads CSV and the SLA's median and p90 (sla.py, and its
    SQL twin `follow_up_us - handover_us` in sla_store.py) all use it."""
    if handover_at is None or first_follow_up_at is None:
        return None
    return micros_between(handover_at, first_follow_up_at)


def lead_response_hours(handover_at: datetime | None, first_follow_up_at: datetime | None) -> Decimal | None:
    """Hours from a lead's hand-over to its first sales touch, exactly (None until both happened)."""
    micros = lead_response_micros(handover_at, first_follow_up_at)
    return None if micros is None else hours_of(micros)


# --- the funnel as a cohort ----------------------------------------------------------------

@dataclass(frozen=True)
class CohortLead:
    """A lead that became MQL in the period (at `mql_at`): its first-touch team (None: no touch) and when it reached
    SAL and SQL, and its won deals as (close time, amount in cents)."""
    first_touch_team_id: int | None
    mql_at: datetime
    sal_at: datetime | None
    sql_at: datetime | None
    won: tuple[tuple[datetime, int], ...] = ()


@dataclass
class CohortCounts:
    mqls: int = 0
    sals: int = 0
    sqls: int = 0
    won: int = 0
    won_cents: int = 0


def cohort_funnel(leads: Iterable[CohortLead], as_of: datetime) -> dict[int | None, CohortCounts]:
    """The period's MQLs by first-touch team, with how many of them reached SAL and SQL and were won (a lead with
    a won deal; the amount sums all its won deals), counting only what happened at or before `as_of`. Unlike the
    common view's sals and sqls (credited to the owner's team in the period they happened), every stage here is
    credited to the lead's first-touch team, whenever it happened."""
    out: dict[int | None, CohortCounts] = {}
    for lead in leads:
        if lead.mql_at > as_of:
            continue
        line = out.setdefault(lead.first_touch_team_id, CohortCounts())
        line.mqls += 1
        line.sals += lead.sal_at is not None and lead.sal_at <= as_of
        line.sqls += lead.sql_at is not None and lead.sql_at <= as_of
        won = [cents for closed, cents in lead.won if closed <= as_of]
        line.won += bool(won)
        line.won_cents += sum(won)
    return out
