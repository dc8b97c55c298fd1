"""The stored data-driven models' state, as the credit write path (stored.py) keeps it: which stored periods a
change makes stale, and the effects a changed deal's own rows are weighed by in the periods still fresh.
driven_store.py computes and reads the periods; this module is what stored.py needs of them (it imports neither).

A stored period's key is `MARKOV:<order>@<period key>` or `SHAPLEY@<period key>` (a key with "@"): its DealCredit
rows are those of the deals created (pipeline) or won (bookings) in the period, weighed by that period's chain.

Stale: the chain is trained on the deals closed in the period (their leads' touches up to the close) and on the
leads disqualified in it without a deal. A change to a deal marks stale the periods of its close and of its
lead's disqualifications; a touch or a disqualification added to a lead marks stale the periods whose journeys it
enters (mark_stale). A deal whose close or amount moved out of a period is seen on read (driven_store checks the
period's closed deals as trained)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain import bulk
from domain.attribution import rules
from domain.attribution.credit import Deal, ModelChoice
from domain.attribution.models import DrivenEffect, DrivenPeriod, Opportunity, OpportunityStatus, Touchpoint
from domain.attribution.training import Effects
from domain.bulk import utc
from domain.leads.models import LeadEvent

MANY_LEADS = 2000  # above this many changed leads their deals' closes are read by time, not by lead
# (model, order) of every stored data-driven model of a closed period
KINDS = ((rules.Model.MARKOV, 1), (rules.Model.MARKOV, 2), (rules.Model.MARKOV, 3), (rules.Model.SHAPLEY, 1))


def driven_key(model: rules.Model, order: int, period_key: str) -> str:
    model = rules.Model(model)
    return f"MARKOV:{order}@{period_key}" if model is rules.Model.MARKOV else f"{model.value}@{period_key}"


def is_driven_key(key: str) -> bool:
    return "@" in key


async def _periods(**filters) -> list[tuple[str, datetime, datetime]]:
    """(period key, start, end) of the stored periods (each once)."""
    rows = await DrivenPeriod.filter(**filters).values_list("period_key", "start", "end")
    return sorted({(k, utc(s), utc(e)) for k, s, e in rows})


def _holding(periods, moments: Iterable[datetime | None]) -> set[str]:
    hit = set()
    for moment in moments:
        if moment is None:
            continue
        moment = utc(moment)
        hit.update(p[0] for p in periods if p[1] <= moment < p[2])
    return hit


async def _closes_of(leads: set[int], periods) -> dict[int, list[datetime]]:
    """{lead: the closes of its deals} (every close, or those within the stored periods when many leads)."""
    out: dict[int, list[datetime]] = {}
    if len(leads) > MANY_LEADS:  # opportunity.lead_id has no index: the stored periods' closes read once
        rows = await Opportunity.filter(closed_at__gte=min(p[1] for p in periods),
                                        closed_at__lt=max(p[2] for p in periods)).values_list("lead_id", "closed_at")
    else:
        rows = []
        for chunk in bulk.chunks(sorted(leads)):
            rows += await Opportunity.filter(lead_id__in=list(chunk)).values_list("lead_id", "closed_at")
    for lead_id, at in rows:
        if lead_id in leads and at is not None:
            out.setdefault(lead_id, []).append(utc(at))
    return out


async def _by_lead(model, leads: Sequence[int], **filters) -> list[tuple]:
    rows = []
    for chunk in bulk.chunks(sorted(leads)):
        rows += await model.filter(lead_id__in=list(chunk), **filters).values_list("lead_id", "at", "id")
    return [(lead, utc(at), i) for lead, at, i in rows]


async def mark_stale(deal_ids: Sequence[int] = (), lead_ids: Sequence[int] = ()) -> set[str]:
    """Mark stale the stored periods whose training journeys these changes move (call in the changing transaction):
    - changed deals: the periods of their closes, and of their leads' disqualifications (a deal takes a lead out
      of the disqualified journeys);
    - changed leads: a period where a touch added since it was trained (an id above the newest it saw; touches and
      events are facts, only ever added) lies at or before a close of the lead's deals or a disqualification of the
      lead in it, or where a disqualification was added. A touch after the close trains nothing.
    One look-up when nothing is stored. Returns the period keys marked."""
    rows = await DrivenPeriod.filter(stale=False).values_list("period_key", "start", "end", "touch_max_id",
                                                              "event_max_id")
    periods = sorted({(k, utc(s), utc(e), t, ev) for k, s, e, t, ev in rows})
    if not periods or not (deal_ids or lead_ids):
        return set()
    hit: set[str] = set()
    if deal_ids:
        leads, moments = set(), []
        for chunk in bulk.chunks(sorted(set(deal_ids))):
            for lead_id, closed_at in await Opportunity.filter(id__in=list(chunk)).values_list("lead_id", "closed_at"):
                moments.append(closed_at)
                if lead_id is not None:
                    leads.add(lead_id)
        moments += [at for _, at, _ in await _by_lead(LeadEvent, sorted(leads), stage="DISQUALIFIED", type="STAGE")]
        hit |= _holding(periods, moments)
    if lead_ids:
        leads = sorted(set(lead_ids))
        oldest_touch = min(p[3] for p in periods)
        touches = await _by_lead(Touchpoint, leads, id__gt=oldest_touch)
        disqualified = await _by_lead(LeadEvent, leads, stage="DISQUALIFIED", type="STAGE")
        newest_event = {p[0]: p[4] for p in periods}
        for _, at, event_id in disqualified:
            hit.update(k for k in _holding(periods, [at]) if event_id > newest_event[k])
        if touches:
            ends = await _closes_of({lead for lead, _, _ in touches}, periods)
            for lead, at, _ in disqualified:
                ends.setdefault(lead, []).append(at)
            for lead, at, touch_id in touches:
                for key, start, end, seen, _ in periods:
                    if touch_id > seen and any(start <= m < end and at <= m for m in ends.get(lead, ())):
                        hit.add(key)
    if hit:
        await DrivenPeriod.filter(period_key__in=sorted(hit)).update(stale=True)
    return hit


async def stored_effects(key: str) -> dict[str, Decimal]:
    return {c: Decimal(e) for c, e in await DrivenEffect.filter(model_key=key).values_list("channel", "effect")}


async def deal_choices(deals: Sequence[Deal]) -> list[tuple[str, ModelChoice, list[Deal]]]:
    """(key, the model with its stored effects, the deals it weighs) of every fresh stored period holding the
    creation or the win of some of `deals`: what stored.refresh_deals writes for them besides the other models."""
    periods = await _periods(stale=False)
    if not periods or not deals:
        return []
    by_period: dict[str, list[Deal]] = {}
    for deal in deals:
        o = deal.opportunity
        won_at = o.closed_at if o.status is OpportunityStatus.WON else None
        for key in _holding(periods, (o.created_at, won_at)):
            by_period.setdefault(key, []).append(deal)
    if not by_period:
        return []
    out = []
    rows = await DrivenPeriod.filter(stale=False, period_key__in=sorted(by_period)).values_list(
        "model_key", "period_key", "model", "markov_order")
    for key, period_key, model, order in sorted(rows):
        effects = Effects(rules.Model(model), order, await stored_effects(key))
        choice = replace(ModelChoice(rules.Model(model), markov_order=order), effects=effects)
        out.append((key, choice, by_period[period_key]))
    return out
