"""The pay step of `sharedgoals generate`: plans for the sellers, SDRs and marketers of every generated quarter,
crediting splits on some won deals, the past quarters closed (statements locked, in order, so draws carry over),
then a few locked deals lost or cut inside their clawback window, so clawbacks land in the open quarter. What each
gets is decided by the pure `shape.pay_plans`, `shape.split_deals` and `shape.clawed_back`; everything is written
through the use cases (comp.service.create_plan and set_splits, closing.close_period, the opportunities import),
with the service's clock at the dataset's as-of instant.

It runs on its own too (`generate_pay`), on a database whose journeys were generated before (the pay benchmark
applies it to a copy of the cached reference dataset). Idempotent: plans, splits and closed periods are looked up
first, and the deals are changed once (a second run finds their clawbacks and leaves them)."""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tortoise.expressions import Q

from domain import clock
from domain.attribution.models import Opportunity
from domain.closing import close_period
from domain.comp import rules as comp_rules
from domain.comp import service as comp
from domain.comp.models import Clawback, CompPlan, LockedDeal, OpportunitySplit
from domain.dataset import shape
from domain.goals.models import KeyResult
from domain.imports.service import import_file
from domain.leads.models import Lead
from domain.org.models import Period, Person
from domain.org.rules import PeriodStatus, Principal, Role
from domain.org.service import ensure_period


@dataclass
class PaySummary:
    plans: int = 0            # created by this run
    splits: int = 0           # deals split by this run
    closed: list[str] | None = None   # periods closed by this run
    clawbacks: int = 0        # clawbacks standing in the open quarter after this run
    seconds: float = 0.0


def _prefix(seed: int) -> str:
    return f"g{seed}-"


def _component(c: shape.ComponentSpec, kr: dict[str, int]) -> comp_rules.Component:
    gate = comp_rules.Gate(kr[c.gate[0]], Decimal(c.gate[1])) if c.gate else None
    return comp_rules.Component(
        name=c.name, metric=comp_rules.CompMetric(c.metric), quota=Decimal(c.quota), weight=Decimal(c.weight),
        accelerator=Decimal(c.accelerator), cap=Decimal(c.cap) if c.cap else None,
        key_result_id=kr[c.key_result] if c.key_result else None, gate=gate)


async def _plans(actor: Principal, keys: list[str], people: dict[str, Person], leads_per_quarter: int,
                 seed: int) -> int:
    made = 0
    specs = shape.pay_plans(shape.people(seed), leads_per_quarter)
    for key in keys:
        period = await ensure_period(key)
        if period.status is PeriodStatus.CLOSED:
            continue
        kr = dict(await KeyResult.filter(objective__period_id=period.id, title__in=[
            shape.KR_MQLS, shape.KR_ACCEPTANCE, shape.KR_BOOKINGS]).order_by("id").values_list("title", "id"))
        if len(kr) < 3:
            continue  # a quarter without the generated goals (--no-current-goals) has no plans either
        planned = set(await CompPlan.filter(period_id=period.id).values_list("person_id", flat=True))
        for p in specs:
            person = people[p.email]
            if person.id in planned:
                continue
            await comp.create_plan(actor, comp.PlanFields(
                person_id=person.id, period=key, target_variable=Decimal(p.target_variable),
                components=[_component(c, kr) for c in p.components],
                draw=comp_rules.Draw(Decimal(p.draw_minimum) if p.draw_minimum else None, True,
                                     Decimal(p.draw_recovery_share)),
                clawback_days=p.clawback_days))
            made += 1
    return made


async def _splits(actor: Principal, seed: int, people: dict[str, Person], specs: list[shape.PersonSpec]) -> int:
    email_of = {p.id: e for e, p in people.items()}
    # the deals won when the step first ran: the won ones, and those its clawbacks made LOST since
    lost = await Clawback.filter(opportunity__external_id__startswith=_prefix(seed)).values_list(
        "opportunity_id", flat=True)
    won = [(e, email_of[o]) for e, o in await Opportunity.filter(
        Q(status="WON") | Q(id__in=list(lost)), external_id__startswith=_prefix(seed),
        owner_id__isnull=False).values_list("external_id", "owner_id") if o in email_of]
    sellers = [s.email for s in specs if s.team == shape.SALES_TEAM and s.role is Role.MEMBER]
    sdrs = [s.email for s in specs if s.team == shape.SDR_TEAM and s.role is Role.MEMBER]
    picked = shape.split_deals(seed, won, sellers, sdrs)
    ids = dict(await Opportunity.filter(external_id__in=[e for e, _ in picked]).values_list("external_id", "id"))
    done = set(await OpportunitySplit.filter(opportunity_id__in=list(ids.values())).values_list(
        "opportunity_id", flat=True))
    made = 0
    for external_id, shares in picked:
        if ids[external_id] in done:
            continue
        await comp.set_splits(actor, ids[external_id], [(people[e].id, Decimal(p)) for e, p in shares])
        made += 1
    return made


async def _close(actor: Principal, keys: list[str]) -> list[str]:
    closed = []
    for key in keys:
        period = await ensure_period(key)
        if period.status is not PeriodStatus.CLOSED:
            await close_period(actor, key)
            closed.append(key)
    return closed


def _row_of(o: Opportunity, lead: str | None, owner: str | None) -> tuple:
    """A deal as an opportunities import row (shape.OPPORTUNITY_KEYS)."""
    return (o.external_id, lead or "", o.name, f"{Decimal(o.amount_cents) / 100:.2f}", o.created_at.isoformat(),
            o.status.value, o.closed_at.isoformat() if o.closed_at else "", owner or "")


async def _rows(deals: list[Opportunity]) -> list[tuple]:
    leads = dict(await Lead.filter(id__in=[o.lead_id for o in deals if o.lead_id]).values_list("id", "external_id"))
    emails = dict(await Person.all().values_list("id", "email"))
    return [_row_of(o, leads.get(o.lead_id), emails.get(o.owner_id)) for o in deals]


async def clawed_back_rows(seed: int) -> dict[str, tuple]:
    """{external id: import row} of the generated deals the pay step changed (those with a clawback), as they stand:
    a second `generate` writes these rows instead of the journeys' own, so it changes nothing."""
    ids = set(await Clawback.filter(opportunity__external_id__startswith=_prefix(seed)).values_list(
        "opportunity_id", flat=True))
    if not ids:
        return {}
    return {row[0]: row for row in await _rows(await Opportunity.filter(id__in=list(ids)).order_by("id"))}


async def _clawbacks(actor: Principal, seed: int, as_of: datetime) -> None:
    if await Clawback.filter(opportunity__external_id__startswith=_prefix(seed)).exists():
        return  # changed by an earlier run
    since = as_of - timedelta(days=shape.CLAWBACK_DAYS)
    locked = set(await LockedDeal.filter(closed_at__gte=since, closed_at__lte=as_of,
                                         opportunity__external_id__startswith=_prefix(seed)).values_list(
        "opportunity_id", flat=True))
    if not locked:
        return
    deals = {o.external_id: o for o in await Opportunity.filter(id__in=list(locked), status="WON")}
    changes = shape.clawed_back(seed, [(e, o.amount_cents) for e, o in deals.items()])
    if not changes:
        return
    changed = []
    for external_id, (status, cents) in changes.items():
        o = deals[external_id]
        o.status, o.amount_cents = type(o.status)(status), cents
        changed.append(o)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(shape.OPPORTUNITY_KEYS)
    writer.writerows(await _rows(changed))
    result = await import_file("opportunities", io.BytesIO(buffer.getvalue().encode()), "csv", actor=actor)
    if not result.imported:
        raise ValueError(f"the pay step's deal changes were refused: {result.errors[:3]}")


async def generate_pay(actor: Principal, seed: int, win: shape.Window, leads_per_quarter: int) -> PaySummary:
    """Plans, splits, closes and clawbacks of a generated history (see the module's docstring)."""
    began = time.perf_counter()
    summary = PaySummary()
    as_of = datetime.fromtimestamp(win.as_of, timezone.utc)
    specs = shape.people(seed)
    people = {p.email: p for p in await Person.filter(email__in=[s.email for s in specs])}
    with clock.at(as_of):
        summary.plans = await _plans(actor, win.quarter_keys, people, leads_per_quarter, seed)
        summary.splits = await _splits(actor, seed, people, specs)
        ended = [k for k, end in zip(win.quarter_keys, win.quarter_starts[1:]) if end <= win.as_of]
        summary.closed = await _close(actor, ended)
        await _clawbacks(actor, seed, as_of)
        current = await Period.get_or_none(key=win.quarter_keys[-1])
        summary.clawbacks = await Clawback.filter(period_id=current.id).count() if current else 0
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary
