"""Compensation use cases: plans, locking statements at close, adjustments and disputes; who may see whose pay."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from tortoise.transactions import in_transaction

from domain import clock
from domain.audit.service import record
from domain.comp import rules
from domain.comp.models import (
    Clawback, CompAdjustment, CompComponent, CompDispute, CompPlan, DisputeStatus, LockedDeal, LockedDraw, LockedLine,
    OpportunitySplit,
)
from domain.attribution.models import Opportunity
from domain.comp.queries import component_of, draw_of, statements
from domain import texts
from domain.access.rules import (
    dispute_raise_refusal, dispute_resolve_refusal, enforce, pay_manage_refusal, pay_set_refusal,
)
from domain.errors import DomainError, ErrorCode, Problems, invalid, not_found
from domain.goals.models import KeyResult
from domain.money import amount_problem, to_cents
from domain.org.models import Period, Person
from domain.org.rules import PeriodStatus, Principal
from domain.org.service import ensure_period, get_period, parse_key
from domain.access.rules import pay_scope
from domain.batch import fits_key
from domain.errors import forbidden


@dataclass
class PlanFields:
    person_id: int
    period: str
    target_variable: Decimal
    components: list[rules.Component] = field(default_factory=list)
    draw: rules.Draw = field(default_factory=rules.Draw)
    clawback_days: int | None = None


async def _check_plan(f: PlanFields, problems: Problems) -> None:
    for path, message in rules.plan_problems(f.target_variable, f.components) + rules.draw_problems(f.draw):
        problems.add(ErrorCode.INVALID, message, *path)
    if problem := rules.clawback_days_problem(f.clawback_days):
        problems.add(ErrorCode.INVALID, problem, "clawbackDays")
    kr_ids = {c.key_result_id for c in f.components if c.key_result_id} | \
        {c.gate.key_result_id for c in f.components if c.gate}
    found = set(await KeyResult.filter(id__in=kr_ids).values_list("id", flat=True)) if kr_ids else set()
    for i, c in enumerate(f.components):
        if c.key_result_id and c.key_result_id not in found:
            problems.add(ErrorCode.NOT_FOUND, "no key result has this id", "components", str(i), "keyResultId")
        if c.gate and c.gate.key_result_id not in found:
            problems.add(ErrorCode.NOT_FOUND, "no key result has this id", "components", str(i), "gate",
                         "keyResultId")


def _component_row(plan_id: int, position: int, c: rules.Component) -> CompComponent:
    return CompComponent(
        plan_id=plan_id, position=position, name=c.name, metric=c.metric.value, key_result_id=c.key_result_id,
        quota=c.quota, weight=c.weight, threshold=c.threshold, accelerator=c.accelerator, cap=c.cap,
        tiers=[{"from": str(t.from_attainment), "rate": str(t.rate)} for t in c.tiers] or None,
        gate_key_result_id=c.gate.key_result_id if c.gate else None,
        gate_min_progress=c.gate.min_progress if c.gate else None)


def _snapshot(target_cents: int, components: list[rules.Component], draw: rules.Draw) -> dict:
    return {"target_variable_cents": target_cents,
            "components": [{"name": c.name, "metric": c.metric.value, "quota": str(c.quota), "weight": str(c.weight)}
                           for c in components],
            **({"draw": {"minimum": str(draw.minimum), "recoverable": draw.recoverable,
                         "recovery_share": str(draw.recovery_share)}} if draw != rules.Draw() else {})}


def _draw_columns(f: PlanFields) -> dict:
    draw = f.draw
    return {"draw_minimum_cents": to_cents(draw.minimum) if draw.minimum is not None else None,
            "draw_recoverable": draw.recoverable, "draw_recovery_share": draw.recovery_share,
            "clawback_days": f.clawback_days}


async def _open(period_key: str) -> Period:
    period = await ensure_period(period_key)
    if period.status is PeriodStatus.CLOSED:
        raise DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is closed: change it with an adjustment",
                              "period")
    return period


async def create_plan(actor: Principal, f: PlanFields) -> CompPlan:
    enforce(pay_set_refusal(actor), "personId")
    problems = Problems()
    parse_key(f.period, "period")
    async with in_transaction():
        if not await Person.filter(id=f.person_id).exists():
            problems.add(ErrorCode.NOT_FOUND, "no person has this id", "personId")
        await _check_plan(f, problems)
        problems.raise_if_any()
        period = await _open(f.period)
        if await CompPlan.filter(person_id=f.person_id, period_id=period.id).exists():
            raise DomainError.one(ErrorCode.DUPLICATE, "this person already has a plan for the period; update it",
                                  "personId")
        plan = await CompPlan.create(person_id=f.person_id, period_id=period.id,
                                     target_variable_cents=to_cents(f.target_variable), created_at=clock.now(),
                                     **_draw_columns(f))
        await CompComponent.bulk_create([_component_row(plan.id, i, c) for i, c in enumerate(f.components)])
        await record(actor, "compPlanCreate", "CompPlan", plan.id, None,
                     {"period": period.key, **_snapshot(plan.target_variable_cents, f.components, f.draw)})
    return plan


_UNCHANGED = object()


async def update_plan(actor: Principal, plan_id: int, expected_version: int | None, target_variable: Decimal | None,
                      components: list[rules.Component] | None, draw: rules.Draw | None = None,
                      clawback_days=_UNCHANGED) -> CompPlan:
    """Change a plan of an open period: its target variable pay, all its components and/or its draw."""
    enforce(pay_set_refusal(actor), "id")
    problems = Problems()
    async with in_transaction():
        plan = await CompPlan.get_or_none(id=plan_id)
        if plan is None:
            raise not_found("no plan has this id", "id")
        period = await Period.get(id=plan.period_id)
        await _open(period.key)
        if expected_version is not None and expected_version != plan.version:
            raise DomainError.one(ErrorCode.CONFLICT, f"the plan was changed meanwhile (version {plan.version})",
                                  "expectedVersion")
        current = [component_of(r) for r in await CompComponent.filter(plan_id=plan.id).order_by("position")]
        current_draw = draw_of(plan)
        f = PlanFields(plan.person_id, period.key,
                       target_variable if target_variable is not None else Decimal(plan.target_variable_cents) / 100,
                       components if components is not None else current,
                       draw if draw is not None else current_draw,
                       plan.clawback_days if clawback_days is _UNCHANGED else clawback_days)
        await _check_plan(f, problems)
        problems.raise_if_any()
        before = _snapshot(plan.target_variable_cents, current, current_draw)
        changed = await CompPlan.filter(id=plan.id, version=plan.version).update(
            version=plan.version + 1, target_variable_cents=to_cents(f.target_variable), **_draw_columns(f))
        if not changed:
            raise DomainError.one(ErrorCode.CONFLICT, "the plan was changed meanwhile", "expectedVersion")
        if components is not None:
            await CompComponent.filter(plan_id=plan.id).delete()
            await CompComponent.bulk_create([_component_row(plan.id, i, c) for i, c in enumerate(components)])
        await record(actor, "compPlanUpdate", "CompPlan", plan.id, before,
                     _snapshot(to_cents(f.target_variable), f.components, f.draw))
        plan = await CompPlan.get(id=plan.id)
    return plan


_LOCKED_MAX = Decimal("999999999999999999.999999")  # NUMERIC(24, 6): what a locked line's figures can hold


def _storable(value: Decimal) -> Decimal:
    """A figure as a locked line holds it: to 6 places and within ±_LOCKED_MAX. The attainment or curve of an
    absurd plan (a tiny quota, a steep accelerator) could exceed it and stop the period from closing (found by
    fuzzing); such a line is kept at the limit, as its payout is kept at the largest amount."""
    with localcontext() as exact:
        exact.prec = 80
        return max(-_LOCKED_MAX, min(_LOCKED_MAX, value)).quantize(Decimal("0.000001"))


async def lock_statements(period: Period) -> int:
    """Freeze every statement of a period being closed (call inside the closing transaction)."""
    view = await get_period(period.key)
    now = clock.now()
    rows, draws, deals = [], [], []
    found = await statements(view)
    ids = {o for s in found for x in s.lines for o in x.evidence.deal_cents}
    closed = dict(await Opportunity.filter(id__in=list(ids)).values_list("id", "closed_at")) if ids else {}
    for s in found:
        for x in s.lines:
            rows.append(LockedLine(
                person_id=s.person_id, period_id=period.id, position=x.position, component=x.line.component,
                metric=x.line.metric.value, metric_value=_storable(x.line.metric_value), quota=_storable(x.line.quota),
                attainment=_storable(x.line.attainment), curve_value=_storable(x.line.curve_value),
                gate_open=x.line.gate_open,
                payout_cents=to_cents(x.line.payout), target_variable_cents=to_cents(s.target_variable),
                locked_at=now))
        deals.extend(LockedDeal(person_id=s.person_id, period_id=period.id, position=x.position, opportunity_id=o,
                                cents=cents, closed_at=closed[o])
                     for x in s.lines for o, cents in x.evidence.deal_cents.items())
        draws.append(LockedDraw(person_id=s.person_id, period_id=period.id, amount_cents=to_cents(s.draw.amount),
                                recoverable=s.draw_recoverable, balance_after_cents=to_cents(s.draw.balance_after),
                                locked_at=now))
    await LockedLine.bulk_create(rows)
    await LockedDraw.bulk_create(draws)
    await LockedDeal.bulk_create(deals, batch_size=5_000)
    return len(rows)


async def unlock_statements(period: Period) -> None:
    await LockedLine.filter(period_id=period.id).delete()
    await LockedDraw.filter(period_id=period.id).delete()
    await LockedDeal.filter(period_id=period.id).delete()


# --- who may see whose pay ---------------------------------------------------------------------

async def visible_people(viewer: Principal) -> list[int] | None:
    """None: everyone (FINANCE, ADMIN); else the people whose pay this viewer may see (access.pay_scope: their own,
    and a leader's team's people)."""
    scope = pay_scope(viewer)
    if scope.everyone:
        return None
    ids = set() if scope.person_id is None else {scope.person_id}
    if scope.led_team_id is not None:
        ids |= set(await Person.filter(team_id=scope.led_team_id).values_list("id", flat=True))
    return sorted(ids)


async def visible_statements(viewer: Principal, view, person_id: int | None = None, as_of=None) -> list:
    """A period's statements the viewer may see (`compStatements`, the payouts CSV): one person's, FORBIDDEN when
    that person's pay is private to the viewer, or all of those the viewer may see; as of a day when `as_of` is
    given (queries.statements)."""
    allowed = await visible_people(viewer)
    if person_id is not None:
        if allowed is not None and person_id not in allowed:
            raise forbidden("Pay statements of this person are private.", "personId")
        return await statements(view, [person_id], as_of)
    return await statements(view, allowed, as_of)


async def visible_pay_records(viewer: Principal, model, ids: list[int]) -> list:
    """Pay records (plans, disputes) by id, None for an unknown id; FORBIDDEN when one is of a person whose pay is
    private to the viewer."""
    rows = {r.id: r for r in await model.filter(id__in=[i for i in ids if fits_key(model, i)])}
    allowed = await visible_people(viewer)
    if allowed is not None and any(r.person_id not in allowed for r in rows.values()):
        raise forbidden("Pay records of this person are private.")
    return [rows.get(i) for i in ids]


# --- adjustments and disputes ---------------------------------------------------------------------

async def _closed_period(period_key: str) -> Period:
    q = parse_key(period_key, "period")
    period = await Period.get_or_none(key=q.key)
    if period is None or period.status is not PeriodStatus.CLOSED:
        raise invalid(f"{q.key} is not closed: statements of an open period follow the plan and the data", "period")
    return period


def _required_reason(text: str | None, missing: str, field: str, what: str | None = None) -> str:
    """texts.required_reason's text, or INVALID on `field` with its message (a dispute's, a resolution's, a
    waiver's reason)."""
    text, message = texts.required_reason(text, missing, what)
    if message is not None:
        raise invalid(message, field)
    return text


async def create_adjustment(actor: Principal, person_id: int, period_key: str, component: str | None,
                            amount: Decimal, reason: str) -> CompAdjustment:
    reason, message = texts.required_reason(reason, "an adjustment needs a reason")
    problems = Problems()
    if message is not None:
        problems.add(ErrorCode.INVALID, message, "reason")
    if amount != amount.quantize(Decimal("0.01")) or amount == 0:
        problems.add(ErrorCode.INVALID, "an adjustment is a non-zero amount in cents", "amount")
    elif message := amount_problem(amount, "an adjustment"):
        problems.add(ErrorCode.INVALID, message, "amount")
    problems.raise_if_any()  # the input first: nothing is read for a request that cannot be right
    async with in_transaction():
        person = await Person.get_or_none(id=person_id)
        if person is None:
            raise not_found("no person has this id", "personId")
        enforce(pay_manage_refusal(actor, person.team_id), "personId")
        period = await _closed_period(period_key)
        problems.raise_if_any()
        adjustment = await CompAdjustment.create(person_id=person.id, period_id=period.id, component=component,
                                                 amount_cents=to_cents(amount), reason=reason,
                                                 author_name=actor.name, at=clock.now())
        await record(actor, "compAdjustmentCreate", "CompAdjustment", adjustment.id, None,
                     {"person_id": person.id, "period": period.key, "amount_cents": adjustment.amount_cents,
                      "reason": reason})
    return adjustment


async def create_dispute(actor: Principal, period_key: str, component: str, reason: str) -> CompDispute:
    """A person disputes a line of their own statement."""
    enforce(dispute_raise_refusal(actor), "component")
    reason = _required_reason(reason, "a dispute needs a reason", "reason")
    async with in_transaction():
        view = await get_period(period_key)
        mine = await statements(view, [actor.person_id])
        if not mine or component not in {x.line.component for x in mine[0].lines}:
            raise not_found(f"your statement for {view.key} has no line '{component}'", "component")
        period = await ensure_period(view.key)
        dispute = await CompDispute.create(person_id=actor.person_id, period_id=period.id, component=component,
                                           reason=reason, created_at=clock.now())
        await record(actor, "compDisputeCreate", "CompDispute", dispute.id, None,
                     {"period": view.key, "component": component, "reason": reason})
    return dispute


async def resolve_dispute(actor: Principal, dispute_id: int, resolution: str,
                          adjustment_amount: Decimal | None) -> CompDispute:
    resolution = _required_reason(resolution, "a resolution says what was decided", "resolution", "a resolution")
    async with in_transaction():
        dispute = await CompDispute.get_or_none(id=dispute_id)
        if dispute is None:
            raise not_found("no dispute has this id", "id")
        person = await Person.get(id=dispute.person_id)
        enforce(dispute_resolve_refusal(actor, person.id, person.team_id), "id")
        if dispute.status is DisputeStatus.RESOLVED:
            raise invalid("this dispute is already resolved", "id")
        period = await Period.get(id=dispute.period_id)
        if adjustment_amount is not None:
            adjustment = await create_adjustment(actor, person.id, period.key, dispute.component, adjustment_amount,
                                                 f"dispute #{dispute.id}: {resolution}")
            dispute.adjustment_id = adjustment.id
        dispute.status, dispute.resolution = DisputeStatus.RESOLVED, resolution
        dispute.resolved_by, dispute.resolved_at = actor.name, clock.now()
        await dispute.save()
        await record(actor, "compDisputeResolve", "CompDispute", dispute.id, {"status": "OPEN"},
                     {"status": "RESOLVED", "resolution": resolution, "adjustment_id": dispute.adjustment_id})
    return dispute


# --- crediting splits ----------------------------------------------------------------------------------------------

def split_set_problems(person_ids: list[int], percents: list[Decimal]) -> list[tuple[ErrorCode, str, int | None, str]]:
    """(code, message, index or None for the whole set, field) of what is wrong with a deal's new splits: the
    percentages' rule (rules.split_problems) and each person once. opportunitySplitSet and the splits import ask it."""
    found = [(ErrorCode.INVALID, message, i, "percent") for i, message in rules.split_problems(percents)]
    seen: set[int] = set()
    for i, person_id in enumerate(person_ids):
        if person_id in seen:
            found.append((ErrorCode.DUPLICATE, "a person has one split of a deal", i, "personId"))
        seen.add(person_id)
    return found


async def replace_splits(actor: Principal, opportunity_id: int, splits: list[tuple[int, Decimal]], action: str,
                         connection=None) -> bool:
    """Write a deal's checked splits in place of its stored ones (in the caller's transaction), audited as
    `action`; False (nothing written) when they are the same set."""
    before = await _splits_snapshot(opportunity_id, connection)
    after = {"splits": [{"person_id": person, "percent": f"{Decimal(percent):.2f}"} for person, percent in splits]}
    if sorted(before["splits"], key=lambda x: x["person_id"]) == sorted(after["splits"], key=lambda x: x["person_id"]):
        return False
    await OpportunitySplit.filter(opportunity_id=opportunity_id).using_db(connection).delete()
    await OpportunitySplit.bulk_create([OpportunitySplit(opportunity_id=opportunity_id, person_id=person,
                                                         percent=percent) for person, percent in splits],
                                       using_db=connection)
    await record(actor, action, "Opportunity", opportunity_id, before,
                 await _splits_snapshot(opportunity_id, connection), connection=connection)
    return True


async def set_splits(actor: Principal, opportunity_id: int, splits: list[tuple[int, Decimal]]):
    """Replace a deal's crediting splits for pay ((person, percent) each; none: the deal is its owner's again).
    FINANCE and admins only; the percentages sum to exactly 100.00; each person once. Audited."""
    enforce(pay_set_refusal(actor), "opportunityId")
    problems = Problems()
    for code, message, i, name in split_set_problems([p for p, _ in splits], [p for _, p in splits]):
        problems.add(code, message, "splits", *((str(i), name) if i is not None else ()))
    async with in_transaction():
        opportunity = await Opportunity.get_or_none(id=opportunity_id)
        if opportunity is None:
            raise not_found("no opportunity has this id", "opportunityId")
        seen = {person for person, _ in splits}
        found = set(await Person.filter(id__in=list(seen)).values_list("id", flat=True)) if seen else set()
        for i, (person_id, _) in enumerate(splits):
            if person_id not in found:
                problems.add(ErrorCode.NOT_FOUND, "no person has this id", "splits", str(i), "personId")
        problems.raise_if_any()
        await replace_splits(actor, opportunity_id, splits, "opportunitySplitSet")
    return opportunity


async def _splits_snapshot(opportunity_id: int, connection=None) -> dict:
    rows = await OpportunitySplit.filter(opportunity_id=opportunity_id).using_db(connection).order_by("id") \
        .values_list("person_id", "percent")
    return {"splits": [{"person_id": person, "percent": f"{percent:.2f}"} for person, percent in rows]}


async def waive_clawback(actor: Principal, clawback_id: int, reason: str) -> Clawback:
    """FINANCE (or an admin) waives a clawback of an open statement, with a reason; it stays listed, not counted."""
    enforce(pay_set_refusal(actor), "id")
    reason = _required_reason(reason, "a waiver gives its reason", "reason")
    async with in_transaction():
        row = await Clawback.get_or_none(id=clawback_id)
        if row is None:
            raise not_found("no clawback has this id", "id")
        period = await Period.get(id=row.period_id)
        if period.status is PeriodStatus.CLOSED:
            raise DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is closed: change it with an adjustment",
                                  "id")
        if row.waived_at is not None:
            raise DomainError.one(ErrorCode.CONFLICT, "this clawback is already waived", "id")
        changed = await Clawback.filter(id=row.id, waived_at__isnull=True).update(
            waived_reason=reason, waived_by=actor.name, waived_at=clock.now())
        if not changed:
            raise DomainError.one(ErrorCode.CONFLICT, "this clawback is already waived", "id")
        await record(actor, "compClawbackWaive", "Clawback", row.id, {"amount_cents": row.amount_cents},
                     {"amount_cents": row.amount_cents, "waived": True, "reason": reason})
        return await Clawback.get(id=row.id)
