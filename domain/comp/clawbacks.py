"""Clawbacks: when a deal behind a locked bookings line turns LOST or drops in amount within its plan's window, the
line's payout is recomputed with only that deal changed, and the difference is charged to the person's statement
of the period open when the change was seen (domain/comp/rules.py: `clawback`, `in_clawback_window`)."""
from __future__ import annotations

from collections.abc import Iterable

from domain import clock
from domain.attribution.models import Opportunity, OpportunityStatus
from domain.comp import rules
from domain.comp.models import Clawback, CompComponent, CompPlan, LockedDeal, LockedLine
from domain.comp.queries import component_of, locked_line, pay_credits
from domain.money import from_cents, to_cents
from domain.org.models import Period, Person
from domain.org.rules import PeriodStatus
from domain.org.service import current_quarter, ensure_period


def _current_credit(credit: dict[int, int], metric: rules.CompMetric, person_id: int, team_of: dict[int, int]) -> int:
    """The person's (OWN_BOOKINGS) or their team's (TEAM_BOOKINGS) share of a deal's pay credit now (`credit`:
    {person: cents}, empty unless the deal is won)."""
    if metric is rules.CompMetric.OWN_BOOKINGS:
        return credit.get(person_id, 0)
    team = team_of.get(person_id)
    return sum(c for p, c in credit.items() if team_of.get(p) == team)


async def deals_changed(opportunity_ids: Iterable[int]) -> int:
    """Bring the clawbacks of these deals up to date (call in the transaction that changed them): a deal now worth
    less to a locked line than it counted for, within its plan's window, gets (or updates) its clawback in the
    period open now; one worth as much again loses its clawback while that period is open. Returns how many
    clawbacks were written or removed."""
    ids = sorted(set(opportunity_ids))
    if not ids:
        return 0
    locked = await LockedDeal.filter(opportunity_id__in=ids)
    if not locked:
        return 0
    now = clock.now()
    charged = await ensure_period(current_quarter().key)
    if charged.status is PeriodStatus.CLOSED:
        return 0
    periods = {p.id: p for p in await Period.filter(id__in={r.period_id for r in locked})}
    plans = {(p.person_id, p.period_id): p for p in await CompPlan.filter(
        person_id__in={r.person_id for r in locked}, period_id__in=list(periods))}
    components = {(c.plan_id, c.position): c for c in await CompComponent.filter(
        plan_id__in=[p.id for p in plans.values()])}
    lines = {(r.person_id, r.period_id, r.position): r for r in await LockedLine.filter(
        person_id__in={r.person_id for r in locked}, period_id__in=list(periods))}
    deals = {o.id: o for o in await Opportunity.filter(id__in=ids)}
    credits = await pay_credits([o for o in deals.values() if o.status is OpportunityStatus.WON])
    team_of = dict(await Person.all().values_list("id", "team_id"))
    existing = {(c.person_id, c.source_period_id, c.position, c.opportunity_id): c
                for c in await Clawback.filter(opportunity_id__in=ids)}
    written = 0
    for row in locked:
        plan = plans.get((row.person_id, row.period_id))
        component = components.get((plan.id, row.position)) if plan else None
        line = lines.get((row.person_id, row.period_id, row.position))
        deal = deals.get(row.opportunity_id)
        if plan is None or component is None or line is None or deal is None or \
                periods[row.period_id].status is not PeriodStatus.CLOSED:
            continue
        if not rules.in_clawback_window(row.closed_at, plan.clawback_days, now):
            continue
        c = component_of(component)
        new_cents = _current_credit(credits.get(deal.id, {}), c.metric, row.person_id, team_of)
        amount = rules.clawback(from_cents(line.target_variable_cents), c, locked_line(line), row.cents, new_cents)
        key = (row.person_id, row.period_id, row.position, row.opportunity_id)
        found = existing.get(key)
        if found is not None and (found.period_id != charged.id or found.waived_at is not None):
            continue  # charged to a statement already closed, or waived: it stays as it is
        if amount < 0 and found is None:
            await Clawback.create(person_id=row.person_id, period_id=charged.id, source_period_id=row.period_id,
                                  position=row.position, component=c.name, opportunity_id=row.opportunity_id,
                                  amount_cents=to_cents(amount), detected_at=now)
            written += 1
        elif amount < 0 and found.amount_cents != to_cents(amount):
            await Clawback.filter(id=found.id).update(amount_cents=to_cents(amount), detected_at=now)
            written += 1
        elif amount >= 0 and found is not None:
            await Clawback.filter(id=found.id).delete()
            written += 1
    return written
