"""The shape of the synthetic organisation: its teams and people, and each lead's journey as import rows.
Pure: a seeded `random.Random` and plain values in, rows (tuples of text, in the import kinds' key order) out;
no I/O, no ORM. The same seed, scale and `as_of` give the same rows, byte for byte.

A lead's journey (times in whole seconds since the epoch, UTC; anything that would fall after `as_of` has not
happened yet and is left out, with everything after it):
- created somewhere in the window (the 4 fiscal quarters ending in the current one); MARKETING touches (webinar,
  email, ads, events, content; each with a campaign of its quarter) and the behaviours they cause follow;
- about 30% become MQL: half by an explicit STAGE event (a hand-raiser), half by the approved definition's
  scoring (a fitting lead whose DEMO_REQUEST takes its engagement over the threshold; the behaviours before it
  score less than the threshold, so the MQL time is the request's time, as the import's scoring will find);
  the other leads' behaviours cannot qualify (no fit, or only behaviours worth too few points);
- of the MQLs most are ASSIGNED to a seller within hours (some late, some never); SALES touches with durations
  follow (the first mostly within a day, some late, some never); then SAL, RECYCLED or DISQUALIFIED with reasons
  (or no decision yet);
- most SALs become SQL and an opportunity (5k-200k), WON or LOST once its sales cycle is over, else OPEN.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from domain.leads.rules import Behaviour, DisqualifyReason, RecycleReason
from domain.org.rules import Role, TeamFunction

VERSION = 1   # bump when the rows a seed gives change (it keys the benchmarks' cached databases)

DOMAIN = "gen.sharedgoals.dev"
HOUR, DAY = 3600, 86400

# --- the organisation: 40 people in 6 teams ------------------------------------------------

TEAMS = [
    ("Field Sales", TeamFunction.SALES),
    ("Demand Generation", TeamFunction.MARKETING),
    ("Sales Development", TeamFunction.SDR),
    ("Customer Success", TeamFunction.CUSTOMER_SUCCESS),
    ("Finance", TeamFunction.FINANCE),
    ("Revenue Leadership", TeamFunction.LEADERSHIP),
]
SALES_TEAM, MARKETING_TEAM, SDR_TEAM = "Field Sales", "Demand Generation", "Sales Development"

# team: (members, leader's role, members' role, annual cost range, annual quota range or None)
_STAFFING = {
    "Field Sales": (12, Role.LEADER, Role.MEMBER, (150_000, 230_000), (1_200_000, 2_400_000)),
    "Demand Generation": (8, Role.LEADER, Role.MEMBER, (95_000, 150_000), None),
    "Sales Development": (8, Role.LEADER, Role.MEMBER, (70_000, 105_000), (300_000, 600_000)),
    "Customer Success": (5, Role.LEADER, Role.MEMBER, (85_000, 125_000), (200_000, 400_000)),
    "Finance": (3, Role.FINANCE, Role.FINANCE, (110_000, 160_000), None),
    "Revenue Leadership": (4, Role.ADMIN, Role.LEADER, (220_000, 300_000), None),
}
_FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca", "Mina",
          "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wim", "Xena", "Yusuf", "Zoe"]
_LAST = ["Adler", "Brandt", "Costa", "Dahl", "Eze", "Fischer", "Garcia", "Haas", "Ito", "Jensen", "Kowalski", "Lund",
         "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Yilmaz"]


@dataclass(frozen=True)
class PersonSpec:
    name: str
    email: str
    team: str
    role: Role
    annual_cost: int
    annual_quota: int | None


def people(seed: int) -> list[PersonSpec]:
    """The 40 people, the first of each team its leader (the leadership team's first is the admin)."""
    rng = random.Random(f"people-{seed}")
    names = [(f, s) for f in _FIRST for s in _LAST]
    rng.shuffle(names)
    out = []
    for team, (count, lead_role, role, (cost_lo, cost_hi), quota) in _STAFFING.items():
        for n in range(count):
            first, last = names.pop()
            leader = n == 0
            cost = rng.randrange(cost_lo, cost_hi, 1000) + (40_000 if leader else 0)
            out.append(PersonSpec(
                name=f"{first} {last}", email=f"{first}.{last}@{DOMAIN}".lower(), team=team,
                role=lead_role if leader else role, annual_cost=cost,
                annual_quota=None if quota is None or leader else rng.randrange(quota[0], quota[1], 10_000)))
    return out


# --- the lead definition the scoring uses --------------------------------------------------

FIT_INDUSTRIES = ["Software", "Fintech", "Manufacturing"]
FIT_REGIONS = ["EMEA", "NA"]
FIT_TITLES = ["VP", "Head", "Director", "Chief"]
FIT_EMPLOYEES = (50, 5000)
BEHAVIOUR_POINTS = {"DEMO_REQUEST": 40, "PRICING_PAGE_VISIT": 20, "WEBINAR": 15, "EVENT_ATTENDED": 15,
                    "FORM_SUBMIT": 15, "ASSET_DOWNLOAD": 10, "EMAIL_CLICK": 5}
FIT_THRESHOLD, ENGAGEMENT_THRESHOLD = 50, 40
_QUIET = ["EMAIL_OPEN", "PAGE_VISIT"]          # no points: any number of them never qualifies a lead

INDUSTRIES = ["Software", "Fintech", "Retail", "Manufacturing", "Healthcare", "Logistics", "Media", "Education"]
OTHER_INDUSTRIES = ["Retail", "Healthcare", "Logistics", "Media", "Education"]
REGIONS = ["EMEA", "NA", "APAC", "LATAM"]
TITLES = ["VP Marketing", "Head of Sales", "CTO", "Director of Operations", "Analyst", "Chief Financial Officer",
          "Engineer", "Office Manager", "Head of IT", "Procurement Lead"]
PLAIN_TITLES = ["Analyst", "Engineer", "Office Manager", "Procurement Lead", "CTO"]
SOURCES = ["webinar", "web", "event", "paid", "content", "partner", "outbound"]

# marketing channel: the behaviours a touch on it may cause (first: the usual one)
CHANNELS = {
    "webinar": ["WEBINAR", "EMAIL_OPEN"],
    "email": ["EMAIL_OPEN", "EMAIL_CLICK"],
    "ads": ["PAGE_VISIT", "PRICING_PAGE_VISIT"],
    "events": ["EVENT_ATTENDED", "PAGE_VISIT"],
    "content": ["ASSET_DOWNLOAD", "PAGE_VISIT"],
}
SALES_CHANNELS = ["call", "email", "call", "meeting", "linkedin"]
RECYCLE_REASONS = list(RecycleReason.__members__)
DISQUALIFY_REASONS = list(DisqualifyReason.__members__)
assert set(BEHAVIOUR_POINTS) | set(_QUIET) <= set(Behaviour.__members__)

# --- import keys (the order of each kind's keys: required, then optional) ------------------

LEAD_KEYS = ("external_id", "company", "contact_name", "email", "industry", "employees", "region", "title",
             "source", "created_at")
EVENT_KEYS = ("external_id", "lead_external_id", "at", "type", "stage", "owner_email", "actor_email",
              "reason_code", "reason_text")
TOUCH_KEYS = ("external_id", "lead_external_id", "at", "kind", "channel", "team", "campaign", "person_email",
              "duration_minutes")
OPPORTUNITY_KEYS = ("external_id", "lead_external_id", "name", "amount", "created_at", "status", "closed_at",
                    "owner_email")


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


@dataclass
class Staff:
    """Emails of the people a journey names."""

    marketers: list[str]
    sellers: list[str]            # Field Sales members (quota carriers)
    sdrs: list[str]


@dataclass
class Window:
    start: int                    # the first quarter's start
    as_of: int                    # nothing happens after this
    quarter_starts: list[int]     # the 4 quarters' starts, then the end of the last
    quarter_keys: list[str]


@dataclass
class Rows:
    """One lead's rows by file: events in two passes (the second may follow the scoring of the first)."""

    lead: tuple
    events_first: list[tuple] = field(default_factory=list)
    events_later: list[tuple] = field(default_factory=list)
    touches: list[tuple] = field(default_factory=list)
    opportunity: tuple | None = None
    mql: bool = False


def _quarter_key(window: Window, at: int) -> str:
    for i in range(len(window.quarter_keys)):
        if at < window.quarter_starts[i + 1]:
            return window.quarter_keys[i]
    return window.quarter_keys[-1]


def _log_hours(rng: random.Random, fast: float, late: float, p_fast: float) -> int:
    """Seconds: within `fast` hours with probability p_fast, else between fast and `late` hours."""
    hours = rng.uniform(0.05, fast) if rng.random() < p_fast else rng.uniform(fast, late)
    return int(hours * HOUR)


def journeys(seed: int, leads: int, window: Window, staff: Staff) -> Iterator[Rows]:
    """Every lead's rows, lead by lead (constant memory)."""
    rng = random.Random()
    prefix = f"g{seed}-"
    span = window.as_of - window.start - 2 * HOUR
    for i in range(leads):
        rng.seed((seed << 32) + i)   # each lead its own stream: its rows do not depend on the leads before it
        yield _journey(rng, f"{prefix}L{i:07d}", f"{prefix}", i, window, staff, span)


def _journey(rng: random.Random, lead_id: str, prefix: str, i: int, window: Window, staff: Staff,
             span: int) -> Rows:
    as_of = window.as_of
    created = window.start + int(rng.random() * span)   # scaled, so another as-of date moves every lead
    draw = rng.random()
    path = "scored" if draw < 0.15 else "stage" if draw < 0.31 else "none"
    fits = path == "scored" or (path == "none" and rng.random() < 0.25)
    if fits:
        industry, region = rng.choice(FIT_INDUSTRIES), rng.choice(FIT_REGIONS)
        title = rng.choice(["VP Marketing", "Head of Sales", "Director of Operations", "Head of IT",
                            "Chief Financial Officer"])
        employees = str(rng.randrange(FIT_EMPLOYEES[0], FIT_EMPLOYEES[1]))
    else:
        industry, region = rng.choice(OTHER_INDUSTRIES), rng.choice(REGIONS)
        title, employees = rng.choice(PLAIN_TITLES), rng.choice(["", str(rng.randrange(1, 40))])
    company = f"{rng.choice(_LAST)} {rng.choice(['Labs', 'Systems', 'Group', 'Works', 'Analytics'])} {i}"
    first = rng.choice(_FIRST)
    rows = Rows(lead=(lead_id, company, f"{first} {rng.choice(_LAST)}", f"{first.lower()}.{i}@lead{i % 9973}.example",
                      industry, employees, region, title, rng.choice(SOURCES), iso(created)))
    n_event = n_touch = 0

    def event(at: int, type_: str, stage: str = "", owner: str = "", actor: str = "", reason: str = "",
              text: str = "", later: bool = False) -> None:
        nonlocal n_event
        n_event += 1
        row = (f"{lead_id}-E{n_event}", lead_id, iso(at), type_, stage, owner, actor, reason, text)
        (rows.events_later if later else rows.events_first).append(row)

    def touch(at: int, kind: str, channel: str, team: str, campaign: str, person: str, minutes: str) -> None:
        nonlocal n_touch
        n_touch += 1
        rows.touches.append((f"{lead_id}-T{n_touch}", lead_id, iso(at), kind, channel, team, campaign, person,
                             minutes))

    # Marketing before the MQL (or, for leads that never qualify, over their first weeks).
    mql_at = created + rng.randrange(1 * DAY, 40 * DAY)
    count = rng.randint(2, 5) if path != "none" else rng.randint(2, 7)
    moments = sorted([created + rng.randrange(60, 300)]
                     + [created + rng.randrange(HOUR, max(2 * HOUR, mql_at - created - HOUR)) for _ in range(count - 1)])
    scored_points = 0
    for at in moments:
        if at > as_of:
            break
        channel = rng.choice(list(CHANNELS))
        quarter = _quarter_key(window, at)
        touch(at, "MARKETING", channel, MARKETING_TEAM, f"{quarter} {channel} {1 + rng.randrange(4)}",
              rng.choice(staff.marketers), "")
        if rng.random() < 0.8:
            caused = CHANNELS[channel][0] if rng.random() < 0.7 else CHANNELS[channel][1]
            if fits and path == "none":
                caused = rng.choice(_QUIET)          # a fitting lead that never asks for a demo never qualifies
            elif path == "scored" and caused not in _QUIET and (
                    caused not in ("ASSET_DOWNLOAD", "EMAIL_CLICK") or scored_points):
                caused = rng.choice(_QUIET)          # at most 10 points before the request: the request qualifies
            scored_points += BEHAVIOUR_POINTS.get(caused, 0)
            behaviour_at = at + rng.randrange(30, 1800)
            if behaviour_at <= as_of:
                event(behaviour_at, caused)
    if path == "none":
        return rows
    mql_at = max(mql_at, moments[-1] + 2 * HOUR)
    if mql_at > as_of:
        return rows
    if path == "scored":
        event(mql_at, "DEMO_REQUEST")
    else:
        event(mql_at, "STAGE", stage="MQL", text="hand-raiser")
    rows.mql = True

    # Hand-over to a seller (most within hours, some late, some never).
    if rng.random() < 0.15:
        return rows
    owner = rng.choice(staff.sellers) if rng.random() < 0.9 else rng.choice(staff.sdrs)
    handover_at = mql_at + _log_hours(rng, 4, 72, 0.75)
    if handover_at > as_of:
        return rows
    event(handover_at, "ASSIGNED", owner=owner, actor=rng.choice(staff.marketers), later=True)
    team = SALES_TEAM if owner in staff.sellers else SDR_TEAM

    # Follow-up: SALES touches with durations (the first mostly within a day; some never).
    at = handover_at
    last_touch = handover_at
    if rng.random() < 0.9:
        at = handover_at + _log_hours(rng, 24, 120, 0.8)
        for n in range(rng.randint(1, 5)):
            if at > as_of:
                break
            touch(at, "SALES", rng.choice(SALES_CHANNELS), team, "", owner, str(rng.choice([5, 10, 15, 30, 45, 60])))
            last_touch = at
            at += rng.randrange(6 * HOUR, 3 * DAY)

    # The decision.
    draw = rng.random()
    decided_at = max(handover_at + rng.randrange(2 * HOUR, 10 * DAY), last_touch + 600)
    if draw >= 0.9 or decided_at > as_of:
        return rows
    if draw < 0.55:
        event(decided_at, "STAGE", stage="SAL", actor=owner, later=True)
    elif draw < 0.8:
        event(decided_at, "STAGE", stage="RECYCLED", actor=owner, reason=rng.choice(RECYCLE_REASONS),
              text="back to nurture", later=True)
        return rows
    else:
        event(decided_at, "STAGE", stage="DISQUALIFIED", actor=owner, reason=rng.choice(DISQUALIFY_REASONS),
              later=True)
        return rows

    # SAL -> SQL -> opportunity (most), then WON or LOST once the cycle is over.
    if rng.random() >= 0.72:
        return rows
    sql_at = decided_at + rng.randrange(DAY, 15 * DAY)
    if sql_at > as_of:
        return rows
    deal_owner = owner if owner in staff.sellers else rng.choice(staff.sellers)
    event(sql_at, "STAGE", stage="SQL", actor=deal_owner, later=True)
    opened = sql_at + rng.randrange(HOUR, 3 * DAY)
    if opened > as_of:
        return rows
    event(opened, "STAGE", stage="OPPORTUNITY", actor=deal_owner, later=True)
    amount = round(5000 * (40 ** rng.random()), 2)                  # 5k-200k, more small deals than big ones
    closes = opened + rng.randrange(20 * DAY, 100 * DAY)
    for _ in range(rng.randint(0, 3)):
        meeting = opened + rng.randrange(HOUR, max(2 * HOUR, closes - opened - HOUR))
        if meeting <= as_of:
            touch(meeting, "SALES", "meeting", SALES_TEAM, "", deal_owner, str(rng.choice([30, 45, 60, 90])))
    status, closed_at = "OPEN", ""
    won = rng.random() < 0.4
    if closes <= as_of:
        status, closed_at = ("WON" if won else "LOST"), iso(closes)
        event(closes, "STAGE", stage=status, actor=deal_owner, later=True)
    rows.opportunity = (f"{prefix}O{i:07d}", lead_id, f"{rows.lead[1]} - new business", f"{amount:.2f}",
                        iso(opened), status, closed_at, deal_owner)
    return rows


# --- pay: plans, splits, clawbacks and draws (the pay step, domain/dataset/pay.py) ----------------------------

PAY_VERSION = 1   # bump when the pay a seed gives changes (it keys the pay benchmark's cached databases)

KR_MQLS, KR_ACCEPTANCE, KR_BOOKINGS = "MQLs first touched by marketing", "MQL acceptance rate", "New-logo bookings"
SPLIT_SHARE = 0.10          # of won deals split 70/30 with a second person (a seller, or an SDR for every other)
SPLIT_PERCENTS = ("70.00", "30.00")
CLAWBACK_DAYS = 90          # every plan's clawback window
CLAWBACK_SHARE = 0.02       # of the won deals locked in a closed quarter and still in their window: lost or cut
CLAWBACK_CUT = 0.6          # a reduced deal keeps this share of its amount (every other clawed-back deal is LOST)
NEW_HIRES = 2               # the last sellers of the team are new hires: a recoverable draw in every quarter
DRAW_SHARE, DRAW_RECOVERY = "0.5", "0.5"   # the draw's minimum (of the quarter's target variable) and recovery


@dataclass(frozen=True)
class ComponentSpec:
    """A plan component by value; key results by their title in the quarter's objectives."""

    name: str
    metric: str                   # a CompMetric name
    quota: str
    weight: str
    accelerator: str = "1"
    cap: str | None = None
    key_result: str | None = None
    gate: tuple[str, str] | None = None   # (key result title, minimum progress)


@dataclass(frozen=True)
class PlanSpec:
    email: str
    target_variable: str
    components: tuple[ComponentSpec, ...]
    draw_minimum: str | None = None
    draw_recovery_share: str = "1"
    clawback_days: int = CLAWBACK_DAYS


def _money(value: float) -> str:
    return f"{max(100, round(value / 100) * 100)}"


def pay_plans(specs: list[PersonSpec], leads_per_quarter: int) -> list[PlanSpec]:
    """A quarter's plans: every Field Sales, Sales Development and Demand Generation member (not the leaders).
    Quotas scale with the leads of a quarter (about 0.037 won deals of ~53k a lead: the journeys' rates), so
    attainment is about the same at any scale."""
    sellers = [s for s in specs if s.team == SALES_TEAM and s.role is Role.MEMBER]
    new_hires = {s.email for s in sellers[-NEW_HIRES:]}
    team_bookings = max(10_000, leads_per_quarter * 1500)
    out = []
    for s in specs:
        if s.role is not Role.MEMBER or s.team not in (SALES_TEAM, SDR_TEAM, MARKETING_TEAM):
            continue
        if s.team == SALES_TEAM:
            share, components = 0.35, (
                ComponentSpec("Bookings", "OWN_BOOKINGS", _money(team_bookings / len(sellers)), "0.5", "1.5", "3"),
                ComponentSpec("Attributed bookings", "ATTRIBUTED_BOOKINGS", _money(team_bookings), "0.15"),
                ComponentSpec("SLA follow-up", "SLA_COMPLIANCE", "0.8", "0.15", cap="1.5"),
                ComponentSpec("Team bookings", "TEAM_BOOKINGS", _money(team_bookings), "0.2", "1.2", "2",
                              gate=(KR_ACCEPTANCE, "0.5")))
        elif s.team == SDR_TEAM:
            share, components = 0.25, (
                ComponentSpec("Split bookings", "OWN_BOOKINGS", _money(team_bookings * 0.002), "0.4", cap="3"),
                ComponentSpec("Attributed bookings", "ATTRIBUTED_BOOKINGS", _money(team_bookings * 0.1), "0.3"),
                ComponentSpec("New-logo progress", "KEY_RESULT_PROGRESS", "1", "0.3", cap="1.5",
                              key_result=KR_BOOKINGS, gate=(KR_ACCEPTANCE, "0.5")))
        else:
            share, components = 0.15, (
                ComponentSpec("MQLs delivered", "MQLS_DELIVERED", str(max(1, int(leads_per_quarter * 0.27))), "0.4",
                              "1.2", "2"),
                ComponentSpec("Attributed bookings", "ATTRIBUTED_BOOKINGS", _money(team_bookings), "0.25"),
                ComponentSpec("SLA hand-over", "SLA_COMPLIANCE", "0.8", "0.15", cap="1.5"),
                ComponentSpec("MQL goal", "KEY_RESULT_PROGRESS", "1", "0.2", cap="1.5", key_result=KR_MQLS,
                              gate=(KR_BOOKINGS, "0.3")))
        target = _money(s.annual_cost * share / 4)
        draw = _money(float(target) * float(DRAW_SHARE)) if s.email in new_hires else None
        out.append(PlanSpec(s.email, target, components, draw, DRAW_RECOVERY if draw else "1"))
    return out


def _rank(seed: int, purpose: str, external_id: str) -> float:
    return random.Random(f"{purpose}-{seed}-{external_id}").random()


def _picked(seed: int, purpose: str, external_ids: list[str], share: float) -> list[str]:
    """The `share` of these ids (at least one when there are any) ranked first by a seeded hash of each: the same
    ids whatever order they come in."""
    if not external_ids:
        return []
    ranked = sorted(external_ids, key=lambda e: (_rank(seed, purpose, e), e))
    return sorted(ranked[:max(1, round(len(ranked) * share))])


def split_deals(seed: int, won: list[tuple[str, str]], sellers: list[str], sdrs: list[str]) -> list[tuple[str, tuple]]:
    """[(deal external id, ((email, percent), ...))]: SPLIT_SHARE of the won deals ((external id, owner email)
    each), 70% to the owner and 30% to another seller, or to an SDR for every other one."""
    owner = dict(won)
    out = []
    for n, external_id in enumerate(_picked(seed, "split", list(owner), SPLIT_SHARE)):
        others = sdrs if n % 2 and sdrs else [e for e in sellers if e != owner[external_id]]
        if not others:
            continue
        second = others[int(_rank(seed, "second", external_id) * len(others))]
        out.append((external_id, ((owner[external_id], SPLIT_PERCENTS[0]), (second, SPLIT_PERCENTS[1]))))
    return out


def clawed_back(seed: int, candidates: list[tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """{deal external id: (new status, new amount in cents)}: CLAWBACK_SHARE of the candidates ((external id,
    amount in cents) of won deals locked in a closed quarter, still in their window), every other one LOST, the
    others cut to CLAWBACK_CUT of their amount."""
    amount = dict(candidates)
    return {e: ("LOST", amount[e]) if n % 2 == 0 else ("WON", int(amount[e] * CLAWBACK_CUT))
            for n, e in enumerate(_picked(seed, "clawback", list(amount), CLAWBACK_SHARE))}
