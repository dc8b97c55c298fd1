"""Statements: each plan component's metric, attainment, curve point, gate and payout, with the deals or leads
behind it. The figures of a period are read once (set-based) and shared by every statement of the request."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from domain.attribution import queries as attribution
from domain.batch import grouped
from domain.rawsql import raw_values_list
from tortoise.expressions import Subquery
from domain.attribution.models import Opportunity, OpportunityStatus
from domain.comp import rules
from domain.comp.models import (
    Clawback, CompAdjustment, CompComponent, CompPlan, LockedDraw, LockedLine, OpportunitySplit,
)
from domain.goals import history
from domain.goals.models import KeyResult
from domain.goals.queries import evaluate_objectives
from domain.leads import queries as lead_queries
from domain.leads import sla
from domain.money import from_cents
from domain.org.models import Period, Person
from domain.org.rules import PeriodStatus
from domain.org.service import PeriodView


def component_of(row: CompComponent) -> rules.Component:
    tiers = tuple(rules.Tier(Decimal(str(t["from"])), Decimal(str(t["rate"]))) for t in (row.tiers or []))
    gate = rules.Gate(row.gate_key_result_id, row.gate_min_progress) if row.gate_key_result_id else None
    return rules.Component(name=row.name, metric=rules.CompMetric(row.metric), quota=row.quota, weight=row.weight,
                           threshold=row.threshold, accelerator=row.accelerator, cap=row.cap, tiers=tiers,
                           key_result_id=row.key_result_id, gate=gate)


@dataclass
class PeriodFigures:
    """What every statement of a period reads, loaded once: one grouped read per figure for all its people."""

    period: PeriodView
    won: list[tuple[int, int | None, int]] = field(default_factory=list)  # (deal, owner, cents) won in the period
    pay_credit: dict[int, dict[int, int]] = field(default_factory=dict)  # deal -> {person: cents}, splits applied
    team_of: dict[int, int] = field(default_factory=dict)
    credit_by_person: dict[int, dict[int, int]] = field(default_factory=dict)  # person -> {deal: cents}
    credit_by_team: dict[int, dict[int, int]] = field(default_factory=dict)    # team -> {deal: cents}
    attributed_by_team: dict[str, list[int]] = field(default_factory=dict)
    mqls_by_team: dict[int, int] = field(default_factory=dict)               # team -> MQLs first touched by it
    sla_by_team: dict[int, sla.SideCompliance] = field(default_factory=dict)
    kr_progress: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)  # raw, clamped


def credit_indexes(pay_credit: dict[int, dict[int, int]], team_of: dict[int, int]):
    """({person: {deal: cents}}, {team: {deal: cents}}) of the deals' pay credit, in the deals' order: what an
    OWN_BOOKINGS and a TEAM_BOOKINGS line sum (one pass over the deals for every statement of the period)."""
    by_person: dict[int, dict[int, int]] = defaultdict(dict)
    by_team: dict[int, dict[int, int]] = defaultdict(dict)
    for deal, credit in pay_credit.items():
        for person, cents in credit.items():
            by_person[person][deal] = by_person[person].get(deal, 0) + cents
            team = team_of.get(person)
            by_team[team][deal] = by_team[team].get(deal, 0) + cents
    return by_person, by_team


async def period_figures(period: PeriodView, key_result_ids: set[int], as_of: history.AsOf | None = None,
                         metrics: set[rules.CompMetric] | None = None) -> PeriodFigures:
    """The figures the statements of a period read; `metrics`: only those their components measure (None: all);
    as of the end of a day when `as_of` is given (only facts dated at or before it: the metrics' window, the SLA
    report and the key results' series step as of that instant)."""
    wanted = (lambda m: True) if metrics is None else metrics.__contains__  # noqa: E731
    full, period = period, history.window(period, as_of)
    figures = PeriodFigures(period)  # (the window: the MQLs a line's `leads` reads are those of the day too)
    figures.team_of = dict(await Person.all().values_list("id", "team_id"))
    if wanted(rules.CompMetric.OWN_BOOKINGS) or wanted(rules.CompMetric.TEAM_BOOKINGS):
        won = Opportunity.filter(status=OpportunityStatus.WON, closed_at__gte=period.start, closed_at__lt=period.end)
        figures.won = [tuple(r) for r in await raw_values_list(won.order_by("id").values_list(
            "id", "owner_id", "amount_cents"))]
        figures.pay_credit = credits_of(figures.won, await _splits_of(
            OpportunitySplit.filter(opportunity_id__in=Subquery(won.values("id")))))
        figures.credit_by_person, figures.credit_by_team = credit_indexes(figures.pay_credit, figures.team_of)
    if wanted(rules.CompMetric.ATTRIBUTED_BOOKINGS):
        choice = await attribution.model_of_record(period.key)
        figures.attributed_by_team = await attribution.period_credit_totals(period, choice, attribution.GroupBy.TEAM,
                                                                            pipeline=False)
    if wanted(rules.CompMetric.MQLS_DELIVERED):
        figures.mqls_by_team = await lead_queries.mql_counts_by_first_touch_team(period)
    stored = await Period.get_or_none(key=period.key)
    if stored is not None and wanted(rules.CompMetric.SLA_COMPLIANCE):
        for agreement in await lead_queries.agreements(stored.id):
            sides = await (await lead_queries.sla_report(agreement, full, as_of and as_of.instant)).sides()
            figures.sla_by_team[agreement.marketing_team_id] = sides[sla.Side.MARKETING]
            figures.sla_by_team[agreement.sales_team_id] = sides[sla.Side.SALES]
    if key_result_ids and as_of is not None:
        for kr_id, point in (await history.key_results_as_of(key_result_ids, as_of)).items():
            figures.kr_progress[kr_id] = (point.raw_progress, point.progress)
    elif key_result_ids:
        objective_of = dict(await KeyResult.filter(id__in=key_result_ids).values_list("id", "objective_id"))
        evaluated = await evaluate_objectives(sorted(set(objective_of.values())))
        for kr_id, objective_id in objective_of.items():
            kr = evaluated.get(objective_id) and evaluated[objective_id].key_results.get(kr_id)
            if kr is not None:
                figures.kr_progress[kr_id] = (kr.raw_progress, kr.progress)
    return figures


async def splits_by_opportunity(ids) -> list[list[OpportunitySplit]]:
    rows = await OpportunitySplit.filter(opportunity_id__in=list(ids)).order_by("id")
    return grouped(rows, lambda r: r.opportunity_id, ids)


async def _splits_of(query) -> dict[int, list[tuple[int, Decimal]]]:
    """{deal: [(person, percent)]} of the splits a query selects, in their order."""
    splits: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for opportunity_id, person_id, percent in await query.order_by("opportunity_id", "id").values_list(
            "opportunity_id", "person_id", "percent"):
        splits[opportunity_id].append((person_id, Decimal(str(percent))))
    return splits


def credits_of(deals: list[tuple[int, int | None, int]],
               splits: dict[int, list[tuple[int, Decimal]]]) -> dict[int, dict[int, int]]:
    """{deal: {person: cents}} of deals given as (id, owner, cents): rules.pay_credit of each."""
    return {deal: rules.pay_credit(cents, owner, splits.get(deal, ())) for deal, owner, cents in deals}


async def pay_credits(deals: list[Opportunity]) -> dict[int, dict[int, int]]:
    """{deal: {person: cents}}: each deal's credit for pay, by its crediting splits or else all its owner's."""
    ids = [o.id for o in deals]
    splits: dict[int, list[tuple[int, Decimal]]] = {}
    for k in range(0, len(ids), 5_000):
        splits.update(await _splits_of(OpportunitySplit.filter(opportunity_id__in=ids[k:k + 5_000])))
    return credits_of([(o.id, o.owner_id, o.amount_cents) for o in deals], splits)


@dataclass
class Evidence:
    opportunity_ids: list[int] = field(default_factory=list)
    deal_cents: dict[int, int] = field(default_factory=dict)  # a bookings line: each deal's credit in the figure
    # an MQLS_DELIVERED line: (period, team) of the MQLs it counts, read only when asked for
    # (lead_queries.mql_lead_ids_by_team)
    mqls: tuple[PeriodView, int] | None = None


def metric_value(c: rules.Component, person_id: int, figures: PeriodFigures) -> tuple[Decimal, Evidence]:
    team_id = figures.team_of.get(person_id)
    evidence = Evidence()
    if c.metric in (rules.CompMetric.OWN_BOOKINGS, rules.CompMetric.TEAM_BOOKINGS):
        credit = figures.credit_by_person.get(person_id, {}) if c.metric is rules.CompMetric.OWN_BOOKINGS \
            else figures.credit_by_team.get(team_id, {})
        evidence.opportunity_ids = list(credit)
        evidence.deal_cents = dict(credit)
        return from_cents(sum(credit.values())), evidence
    if c.metric is rules.CompMetric.ATTRIBUTED_BOOKINGS:
        return from_cents(figures.attributed_by_team.get(str(team_id), [0, 0])[1]), evidence
    if c.metric is rules.CompMetric.MQLS_DELIVERED:
        evidence.mqls = (figures.period, team_id)
        return Decimal(figures.mqls_by_team.get(team_id, 0)), evidence
    if c.metric is rules.CompMetric.SLA_COMPLIANCE:
        side = figures.sla_by_team.get(team_id)
        return (side.compliance if side and side.compliance is not None else Decimal(0)), evidence
    raw, _ = figures.kr_progress.get(c.key_result_id, (Decimal(0), Decimal(0)))
    return rules.key_result_metric(raw), evidence


@dataclass
class StatementLine:
    line: rules.Line
    evidence: Evidence
    position: int


@dataclass
class Statement:
    person_id: int
    period: PeriodView
    target_variable: Decimal
    locked: bool
    lines: list[StatementLine]
    adjustments: list[CompAdjustment]
    draw: rules.DrawOutcome = field(default_factory=lambda: rules.DrawOutcome(Decimal(0), Decimal(0)))
    draw_recoverable: bool = True
    clawbacks: list[Clawback] = field(default_factory=list)
    as_of: history.AsOf | None = None       # recomputed as of the end of this day
    locked_record: "Statement | None" = None  # a closed period's locked statement, beside its recomputation

    @property
    def computed(self) -> Decimal:
        """What the plan computes (lines and draw): what a recomputation compares with the locked record."""
        return self.earnings + self.draw.amount

    @property
    def difference_from_locked(self) -> Decimal | None:
        """A recomputation's computed pay less the locked statement's (None: no locked record beside it)."""
        return None if self.locked_record is None else self.computed - self.locked_record.computed

    @property
    def earnings(self) -> Decimal:
        return sum((x.line.payout for x in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.earnings + self.draw.amount + self.clawed_back + \
            sum((from_cents(a.amount_cents) for a in self.adjustments), Decimal(0))

    @property
    def clawed_back(self) -> Decimal:
        """The clawbacks charged to this statement, waived ones left out (negative or 0)."""
        return sum((from_cents(c.amount_cents) for c in self.clawbacks if c.waived_at is None), Decimal(0))


def live_lines(plan: CompPlan, components: list[CompComponent], figures: PeriodFigures) -> list[StatementLine]:
    target = from_cents(plan.target_variable_cents)
    out = []
    for row in sorted(components, key=lambda r: r.position):
        c = component_of(row)
        value, evidence = metric_value(c, plan.person_id, figures)
        gate = figures.kr_progress.get(c.gate.key_result_id, (Decimal(0), Decimal(0)))[1] if c.gate else None
        out.append(StatementLine(rules.statement_line(target, c, value, gate), evidence, row.position))
    return out


async def statements(period: PeriodView, person_ids: list[int] | None = None,
                     as_of: date | None = None) -> list[Statement]:
    """The statements of a period (of some people): locked lines once it is closed, accruals to date before. As of
    a day (INVALID outside the period or after today): recomputed from the facts dated at or before its end, with
    the adjustments and clawbacks recorded by then; on a closed period each beside its locked record."""
    when = history.as_of(period, as_of) if as_of is not None else None
    stored = await Period.get_or_none(key=period.key)
    if stored is None:
        return []
    plans = CompPlan.filter(period_id=stored.id)
    if person_ids is not None:
        plans = plans.filter(person_id__in=person_ids)
    plans = await plans.order_by("person_id")
    if not plans:
        return []
    people = [p.person_id for p in plans]
    adjustments = defaultdict(list)
    for a in await _dated(CompAdjustment.filter(period_id=stored.id, person_id__in=people), "at", when):
        adjustments[a.person_id].append(a)
    balances = await draw_balances_before(stored, people)
    clawbacks = defaultdict(list)
    for c in await _dated(Clawback.filter(period_id=stored.id, person_id__in=people), "detected_at", when):
        clawbacks[c.person_id].append(c)
    locked_records: dict[int, Statement] = {}
    if stored.status is PeriodStatus.CLOSED:
        locked = defaultdict(list)
        for row in await LockedLine.filter(period_id=stored.id, person_id__in=people).order_by("position"):
            locked[row.person_id].append(row)
        draws = {d.person_id: d for d in await LockedDraw.filter(period_id=stored.id, person_id__in=people)}
        locked_records = {
            p.person_id: Statement(p.person_id, period, from_cents(p.target_variable_cents), True,
                                   [StatementLine(locked_line(r), Evidence(), r.position) for r in locked[p.person_id]],
                                   adjustments[p.person_id],
                                   *_locked_draw(draws.get(p.person_id), balances[p.person_id]), clawbacks[p.person_id])
            for p in plans}
        if when is None:
            return list(locked_records.values())
    components = defaultdict(list)
    for row in await CompComponent.filter(plan_id__in=[p.id for p in plans]):
        components[row.plan_id].append(row)
    kr_ids = {r.key_result_id for rows in components.values() for r in rows if r.key_result_id} | \
        {r.gate_key_result_id for rows in components.values() for r in rows if r.gate_key_result_id}
    figures = await period_figures(period, kr_ids, when, {rules.CompMetric(r.metric) for rows in components.values()
                                                           for r in rows})
    out = []
    for p in plans:
        lines = live_lines(p, components[p.id], figures)
        draw = draw_of(p)
        outcome = rules.draw_outcome(sum((x.line.payout for x in lines), Decimal(0)), draw, balances[p.person_id])
        out.append(Statement(p.person_id, period, from_cents(p.target_variable_cents), False, lines,
                             adjustments[p.person_id], outcome, draw.recoverable, clawbacks[p.person_id], when,
                             locked_records.get(p.person_id)))
    return out


def _dated(rows, column: str, when: history.AsOf | None):
    """Records (adjustments, clawbacks) in id order, those dated after the as-of instant left out."""
    return (rows.filter(**{f"{column}__lte": when.instant}) if when is not None else rows).order_by("id")


def draw_of(plan: CompPlan) -> rules.Draw:
    return rules.Draw(from_cents(plan.draw_minimum_cents), plan.draw_recoverable,
                      Decimal(str(plan.draw_recovery_share)))


def _locked_draw(row: LockedDraw | None, balance_before: Decimal) -> tuple[rules.DrawOutcome, bool]:
    if row is None:  # locked before draws existed, or without one
        return rules.DrawOutcome(Decimal(0), balance_before), True
    return rules.DrawOutcome(from_cents(row.amount_cents), from_cents(row.balance_after_cents)), row.recoverable


async def draw_balances_before(period: Period, person_ids: list[int]) -> dict[int, Decimal]:
    """{person: draw balance owed before this period}: from the draws of their statements locked in earlier
    periods (whatever the plans)."""
    locked: dict[int, list[tuple[Decimal, bool]]] = defaultdict(list)
    for person_id, amount, recoverable in await LockedDraw.filter(
            person_id__in=person_ids, period__start__lt=period.start).values_list(
            "person_id", "amount_cents", "recoverable"):
        locked[person_id].append((from_cents(amount), bool(recoverable)))
    return defaultdict(lambda: Decimal(0), {p: rules.draw_balance(rows) for p, rows in locked.items()})


def locked_line(r: LockedLine) -> rules.Line:
    return rules.Line(component=r.component, metric=rules.CompMetric(r.metric), metric_value=r.metric_value,
                      quota=r.quota, attainment=r.attainment, curve_value=r.curve_value, gate_open=r.gate_open,
                      payout=from_cents(r.payout_cents))


async def team_payouts_accrued(period: PeriodView, as_of: date | None = None) -> dict[int, Decimal]:
    """Per team: the total of its people's statements (lines plus adjustments): the sum of its payout_rows."""
    return {team_id: sum((r.amount for r in rows), Decimal(0))
            for team_id, rows in (await team_payout_rows(period, as_of)).items()}


class PayoutKind(str, Enum):
    ACCRUED = "ACCRUED"        # a line of an open period's statement, from the metrics to date
    LOCKED = "LOCKED"          # a line locked when the period closed
    ADJUSTMENT = "ADJUSTMENT"  # a change to a locked statement
    DRAW = "DRAW"              # a draw's top-up (positive) or the repayment of an earlier one (negative)
    CLAWBACK = "CLAWBACK"      # what comes back of an earlier locked payout (a deal lost or reduced in its window)


@dataclass(frozen=True)
class PayoutRow:
    """One line or adjustment of a person's statement: the rows behind a team's payouts accrued."""
    person_id: int
    kind: PayoutKind
    amount: Decimal
    line: StatementLine | None = None
    adjustment: CompAdjustment | None = None
    clawback: Clawback | None = None


def payout_rows(s: Statement) -> list[PayoutRow]:
    """A statement's lines, its draw and clawbacks (not the waived), then its adjustments: their amounts sum to its
    total."""
    kind = PayoutKind.LOCKED if s.locked else PayoutKind.ACCRUED
    draw = [PayoutRow(s.person_id, PayoutKind.DRAW, s.draw.amount)] if s.draw.amount else []
    draw += [PayoutRow(s.person_id, PayoutKind.CLAWBACK, from_cents(c.amount_cents), clawback=c)
             for c in s.clawbacks if c.waived_at is None]
    return [PayoutRow(s.person_id, kind, x.line.payout, line=x) for x in s.lines] + draw + \
        [PayoutRow(s.person_id, PayoutKind.ADJUSTMENT, from_cents(a.amount_cents), adjustment=a)
         for a in s.adjustments]


async def team_payout_rows(period: PeriodView, as_of: date | None = None) -> dict[int, list[PayoutRow]]:
    """Per team: the lines and adjustments of its people's statements (as of a day: their recomputation), by person,
    then line, then adjustment."""
    team_of = dict(await Person.all().values_list("id", "team_id"))
    rows: dict[int, list[PayoutRow]] = defaultdict(list)
    for s in await statements(period, as_of=as_of):
        rows[team_of[s.person_id]].extend(payout_rows(s))
    return dict(rows)

