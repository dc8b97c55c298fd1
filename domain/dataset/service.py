"""Writing the synthetic organisation: people, the lead definition, SLAs and goals through the use cases, then the
leads and their journeys through the bulk import users use (CSV files written in a stream to a temporary folder,
each imported with `import_file`, in the order the references need: leads, the first lead events, the later
ones, touchpoints, opportunities).

Idempotent: people, teams, the definition, SLAs and objectives are looked up before they are created, and every
imported row has an external id derived from the seed and the lead's number, so a second run with the same seed,
scale and as-of date changes nothing. A run with another as-of date gives other times for the same external ids:
the import refuses those rows (facts are never edited) and the run stops with the import's message.
"""
from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from domain import clock, config
from domain.attribution import stored
from domain.dataset import pay as pay_step
from domain.dataset import shape
from domain.errors import invalid
from domain.goals import metrics
from domain.goals import service as goals
from domain.goals.models import Objective
from domain.goals.rules import KeyResultKind, KeyResultSource, LinkKind, Unit
from domain.imports.service import ImportResult, import_file
from domain.leads import service as leads
from domain.leads.models import DefinitionStatus, Lead, LeadDefinition, SlaAgreement
from domain.org.models import Person, Team
from domain.org.rules import Principal, Role, period_bounds, quarter_of
from domain.org.service import PersonFields, create_person, create_team, ensure_period, person_principal

GENERATOR = Principal(token_id=None, name="generate", role=Role.ADMIN)
DEFINITION_NAME = f"Generated ICP v{shape.VERSION}"


@dataclass(frozen=True)
class Options:
    leads: int
    seed: int = 42
    quarters: int = 4
    as_of: datetime | None = None     # default: today's midnight (UTC) by the service's clock
    current_goals: bool = True        # goals for the current quarter too (the demo writes its own)
    pay: bool = True                  # the pay step (domain/dataset/pay.py): plans, splits, closes, clawbacks


@dataclass
class Summary:
    as_of: datetime
    periods: list[str]
    imports: dict[str, dict] = field(default_factory=dict)   # file -> {rows, created, unchanged, seconds}
    generate_seconds: float = 0.0
    rollup_seconds: float = 0.0   # after the imports: their pending deals' rollup sums (stored.settle)
    lead_mqls: int = 0
    opportunities: int = 0
    pay: pay_step.PaySummary | None = None


class Progress:
    """What the caller shows: a stage with a total (rows or leads), then advances."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, done: int) -> None: ...

    def close(self) -> None: ...


def window(options: Options) -> shape.Window:
    cfg = config.current()
    as_of = options.as_of or clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    as_of = as_of.astimezone(timezone.utc)
    q = quarter_of(as_of, cfg.fiscal_year_start_month, cfg.timezone)
    quarters = [q]
    for _ in range(options.quarters - 1):
        quarters.insert(0, quarters[0].previous())
    bounds = [period_bounds(x, cfg.fiscal_year_start_month, cfg.timezone) for x in quarters]
    starts = [int(b[0].timestamp()) for b in bounds] + [int(bounds[-1][1].timestamp())]
    return shape.Window(start=starts[0], as_of=int(as_of.timestamp()), quarter_starts=starts,
                        quarter_keys=[x.key for x in quarters])


# --- the organisation, through the use cases (each looked up first) ------------------------

async def organisation(seed: int) -> tuple[dict[str, Team], dict[str, Person], list[shape.PersonSpec]]:
    teams = {t.name: t for t in await Team.filter(name__in=[n for n, _ in shape.TEAMS])}
    for name, function in shape.TEAMS:
        if name not in teams:
            teams[name] = await create_team(GENERATOR, name, function)
        elif teams[name].function is not function:
            raise invalid(f"the team '{name}' exists with the function {teams[name].function.value}, "
                          f"not {function.value}: generate into another database", "team")
    specs = shape.people(seed)
    found = {p.email: p for p in await Person.filter(email__in=[s.email for s in specs])}
    for s in specs:
        if s.email not in found:
            found[s.email] = await create_person(GENERATOR, PersonFields(
                name=s.name, email=s.email, team_id=teams[s.team].id, role=s.role,
                annual_cost=Decimal(s.annual_cost), annual_quota=Decimal(s.annual_quota) if s.annual_quota else None))
    return teams, found, specs


async def _as(person: Person) -> Principal:
    return await person_principal(person)


async def lead_definition(leaders: dict[str, Person], since: datetime) -> LeadDefinition:
    """The joint definition, approved by the sales and the marketing leader and in force since the start of the
    generated history (its activation is dated there, so the history's behaviours are scored under it)."""
    existing = await LeadDefinition.filter(name=DEFINITION_NAME).first()
    if existing is not None:
        return existing
    definition = await leads.create_definition(GENERATOR, leads.DefinitionFields(
        name=DEFINITION_NAME, industries=shape.FIT_INDUSTRIES, employees_min=shape.FIT_EMPLOYEES[0],
        employees_max=shape.FIT_EMPLOYEES[1], regions=shape.FIT_REGIONS, titles=shape.FIT_TITLES,
        behaviour_points={k: Decimal(v) for k, v in shape.BEHAVIOUR_POINTS.items()},
        fit_threshold=Decimal(shape.FIT_THRESHOLD), engagement_threshold=Decimal(shape.ENGAGEMENT_THRESHOLD)))
    await leads.approve_definition(await _as(leaders[shape.SALES_TEAM]), definition.id)
    definition = await leads.approve_definition(await _as(leaders[shape.MARKETING_TEAM]), definition.id)
    if definition.status is DefinitionStatus.ACTIVE:
        await LeadDefinition.filter(id=definition.id).update(activated_at=since - timedelta(days=1))
    return definition


async def agreements(teams: dict[str, Team], periods: list[str], leads_per_quarter: int) -> None:
    marketing, sales = teams[shape.MARKETING_TEAM], teams[shape.SALES_TEAM]
    for key in periods:
        period = await ensure_period(key)
        if await SlaAgreement.filter(period_id=period.id, marketing_team_id=marketing.id,
                                     sales_team_id=sales.id).exists():
            continue
        await leads.create_sla_agreement(GENERATOR, leads.SlaFields(
            period=key, marketing_team_id=marketing.id, sales_team_id=sales.id,
            mql_volume=max(1, int(leads_per_quarter * 0.27)), acceptance_rate_target=Decimal("0.55"),
            handover_hours=Decimal(4), follow_up_hours=Decimal(24), follow_up_rate_target=Decimal("0.8"),
            minimum_attempts=2, decision_days=Decimal(5)))


def _metric_or_manual(name: metrics.MetricName, team_ids: list[int]) -> dict:
    if metrics.get(name) is not None:
        return {"source": KeyResultSource.METRIC, "metric_name": name, "metric_team_ids": team_ids}
    return {}


async def objectives(teams: dict[str, Team], people: dict[str, Person], periods: list[str],
                     leads_per_quarter: int) -> None:
    """A few shared objectives a quarter; key results bound to MQL_COUNT, ACCEPTANCE_RATE and BOOKINGS where
    those figures are registered, the others checked in by hand."""
    import domain.attribution.metrics  # noqa: F401  (registers the deal figures)
    import domain.leads.metrics  # noqa: F401  (registers the lead figures)
    t = {name: team.id for name, team in teams.items()}
    leader = {p.team_id: p for p in sorted(people.values(), key=lambda p: p.id) if p.role is Role.LEADER}
    for key in periods:
        plan = [
            (f"{key}: win the mid-market", {"Revenue Leadership": "1"}, None, []),
            (f"{key}: deliver qualified pipeline", {shape.MARKETING_TEAM: "0.5", shape.SALES_TEAM: "0.5"},
             f"{key}: win the mid-market", [
                ("MQLs first touched by marketing", KeyResultKind.INCREASE_TO, Unit.COUNT, "0",
                 str(max(1, int(leads_per_quarter * 0.3))), _metric_or_manual(metrics.MetricName.MQL_COUNT,
                                                                                [t[shape.MARKETING_TEAM]])),
                ("MQL acceptance rate", KeyResultKind.STAY_AT_OR_ABOVE, Unit.PERCENT, "0.4", "0.55",
                 _metric_or_manual(metrics.MetricName.ACCEPTANCE_RATE, [t[shape.MARKETING_TEAM]])),
            ]),
            (f"{key}: close new business", {shape.SALES_TEAM: "0.7", shape.SDR_TEAM: "0.3"},
             f"{key}: win the mid-market", [
                ("New-logo bookings", KeyResultKind.INCREASE_TO, Unit.CURRENCY, "0",
                 str(max(10_000, leads_per_quarter * 1500)),
                 _metric_or_manual(metrics.MetricName.BOOKINGS, [t[shape.SALES_TEAM]])),
                ("Median hours to first follow-up", KeyResultKind.DECREASE_TO, Unit.HOURS, "24", "8", {}),
            ]),
        ]
        period = await ensure_period(key)
        made: dict[str, Objective] = {o.title: o for o in await Objective.filter(period_id=period.id)}
        for title, owners, parent, key_results in plan:
            if title in made:
                continue
            parents = [goals.ParentLink(made[parent].id, LinkKind.CONTRIBUTES)] if parent in made else []
            made[title] = objective = await goals.create_objective(
                GENERATOR, title, "generated", key,
                [goals.OwnerShare(t[name], Decimal(share)) for name, share in owners.items()], parents)
            for kr_title, kind, unit, start, target, bound in key_results:
                kr = await goals.create_key_result(GENERATOR, objective.id, goals.KeyResultFields(
                    title=kr_title, kind=kind, unit=unit, start=Decimal(start), target=Decimal(target), **bound))
                if not bound:
                    author = leader.get(t[shape.SALES_TEAM])
                    await goals.check_in(await _as(author) if author else GENERATOR, kr.id, Decimal("14"), Decimal("0.6"),
                                         "rota covers mornings now")


# --- the journeys, written to files and imported ---------------------------------------------

FILES = [  # (file, import kind, Rows attribute, keys)
    ("leads.csv", "leads", "lead", shape.LEAD_KEYS),
    ("lead-events-first.csv", "lead-events", "events_first", shape.EVENT_KEYS),
    ("lead-events-later.csv", "lead-events", "events_later", shape.EVENT_KEYS),
    ("touchpoints.csv", "touchpoints", "touches", shape.TOUCH_KEYS),
    ("opportunities.csv", "opportunities", "opportunity", shape.OPPORTUNITY_KEYS),
]


def write_files(folder: Path, options: Options, win: shape.Window, staff: shape.Staff,
                progress: Progress | None = None, deals: dict[str, tuple] | None = None) -> tuple[dict[str, int], int]:
    """The import files of every lead's journey, written lead by lead; (rows per file, MQLs). `deals`: rows written
    instead of the journeys' own opportunities (by external id: the deals an earlier pay step changed)."""
    deals = deals or {}
    handles = {name: (folder / name).open("w", newline="", encoding="utf-8") for name, *_ in FILES}
    counts = dict.fromkeys(handles, 0)
    mqls = 0
    try:
        writers = {}
        for name, _, _, keys in FILES:
            writers[name] = csv.writer(handles[name])
            writers[name].writerow(keys)
        w_leads, w_first, w_later, w_touch, w_opp = (writers[name] for name, *_ in FILES)
        step = max(1, options.leads // 200)
        for n, rows in enumerate(shape.journeys(options.seed, options.leads, win, staff), start=1):
            w_leads.writerow(rows.lead)
            w_first.writerows(rows.events_first)
            w_later.writerows(rows.events_later)
            w_touch.writerows(rows.touches)
            counts["lead-events-first.csv"] += len(rows.events_first)
            counts["lead-events-later.csv"] += len(rows.events_later)
            counts["touchpoints.csv"] += len(rows.touches)
            if rows.opportunity is not None:
                w_opp.writerow(deals.get(rows.opportunity[0], rows.opportunity))
                counts["opportunities.csv"] += 1
            mqls += rows.mql
            if progress and n % step == 0:
                progress.advance(n)
        counts["leads.csv"] = options.leads
        if progress:
            progress.advance(options.leads)
    finally:
        for handle in handles.values():
            handle.close()
    return counts, mqls


class ImportRefused(Exception):
    def __init__(self, name: str, result: ImportResult) -> None:
        reasons = "; ".join(f"line {e.line}: {e.reason}" for e in result.errors[:3])
        super().__init__(f"{name}: the import refused {result.error_count} rows, nothing of it was written "
                         f"({reasons}). Generated data is kept by external id: a second run with the same seed and "
                         f"scale changes nothing, but only with the same --as-of date as the first run.")
        self.result = result


async def import_files(folder: Path, counts: dict[str, int], summary: Summary,
                       progress: Progress | None = None,
                       importer: Callable = import_file) -> None:
    for name, kind, _, _ in FILES:
        if progress:
            progress.stage(f"importing {name}", counts[name])
        began = time.perf_counter()
        with (folder / name).open("rb") as stream:
            result = await importer(kind, stream, "csv", actor=GENERATOR,
                                    progress=(lambda rows: progress.advance(rows)) if progress else None)
        seconds = time.perf_counter() - began
        if not result.imported:
            raise ImportRefused(name, result)
        summary.imports[name] = {"rows": result.rows, "created": result.created, "unchanged": result.unchanged,
                                 "updated": result.updated, "seconds": round(seconds, 3),
                                 "rows_per_s": round(result.rows / seconds) if seconds else None}


async def _refuse_other_history(options: Options, win: shape.Window, staff: shape.Staff) -> None:
    """A run over a history generated with the same seed but another as-of date would rewrite its leads and then be
    refused on their events: refused before anything is written instead."""
    first = next(shape.journeys(options.seed, 1, win, staff)).lead
    stored = await Lead.filter(external_id=first[0]).values_list("created_at", flat=True)
    if stored and stored[0] != datetime.fromisoformat(first[-1]):  # lead times scale with the window's length
        raise invalid(f"this database holds a history generated with seed {options.seed} as of another day (lead "
                      f"{first[0]} was created at {stored[0].isoformat()}, not {first[-1]}): give the --as-of date "
                      f"of the first run, another --seed, or another database", "asOf")


async def generate(options: Options, progress: Progress | None = None, workdir: Path | None = None,
                   keep_files: Path | None = None) -> Summary:
    """Write the synthetic organisation into the database the caller opened; returns what was written. The import
    files are written to a temporary folder, or kept in `keep_files` (an existing folder) when given."""
    if options.leads < 1:
        raise ValueError("--leads must be at least 1")
    if not 1 <= options.quarters <= 12:
        raise ValueError("--quarters is between 1 and 12")
    win = window(options)
    summary = Summary(as_of=datetime.fromtimestamp(win.as_of, timezone.utc), periods=win.quarter_keys)
    if progress:
        progress.stage("organisation, definition, SLAs, goals", None)
    teams, people, specs = await organisation(options.seed)
    leaders = {}
    for s in specs:
        if s.role is Role.LEADER and s.team not in leaders and s.team != "Revenue Leadership":
            leaders[s.team] = people[s.email]
    await lead_definition(leaders, datetime.fromtimestamp(win.start, timezone.utc))
    per_quarter = max(1, options.leads // options.quarters)
    await agreements(teams, win.quarter_keys, per_quarter)
    await objectives(teams, people, win.quarter_keys if options.current_goals else win.quarter_keys[:-1],
                     per_quarter)
    staff = shape.Staff(
        marketers=[s.email for s in specs if s.team == shape.MARKETING_TEAM],
        sellers=[s.email for s in specs if s.team == shape.SALES_TEAM and s.role is Role.MEMBER],
        sdrs=[s.email for s in specs if s.team == shape.SDR_TEAM and s.role is Role.MEMBER])
    await _refuse_other_history(options, win, staff)
    with tempfile.TemporaryDirectory(prefix="sharedgoals-generate-", dir=workdir) as tmp:
        folder = Path(tmp) if keep_files is None else keep_files
        if progress:
            progress.stage("writing journeys", options.leads)
        began = time.perf_counter()
        changed = await pay_step.clawed_back_rows(options.seed)
        counts, summary.lead_mqls = write_files(folder, options, win, staff, progress, changed)
        summary.generate_seconds = round(time.perf_counter() - began, 3)
        summary.opportunities = counts["opportunities.csv"]
        await import_files(folder, counts, summary, progress)
    began = time.perf_counter()
    await stored.settle()  # the rollups of the deals the imports left pending, before the pay steps read them
    summary.rollup_seconds = round(time.perf_counter() - began, 3)
    if options.pay:
        if progress:
            progress.stage("pay: plans, splits, closing the past quarters, clawbacks", None)
        summary.pay = await pay_step.generate_pay(GENERATOR, options.seed, win, per_quarter)
    if progress:
        progress.close()
    return summary
