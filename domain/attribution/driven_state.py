"""The stored data-driven models' state, as the credit write path (stored.py) keeps it: which stored periods a
change makes stale, and the effects a changed deal's own rows are weighed by in the periods still fresh.
driven_store.py computes and reads the periods; this module is what stored.py needs of them (it imports neither).

A stored period's key is `MARKOV:<order>@<period key>` or `SHAPLEY@<period key>` (a key with "@"): its DealCredit
rows are those of the deals created (pipeline) or won (bookings) in the period, weighed by that period's chain.

Stale: the chain is trained on the deals closed in the period (their leads' touches up to the close) and on the
leads disqualified in it without a deal. So a change to a lead (its touches or events) or to a deal marks stale
every stored period holding a close of that lead's deals or a disqualification of that lead. A deal whose close
or amount moved out of a period is seen on read (driven_store checks the period's closed deals as trained)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain import bulk
from domain.attribution import rules
from domain.attribution.credit import Deal, ModelChoice
from domain.attribution.models import DrivenEffect, DrivenPeriod, Opportunity, OpportunityStatus
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
        hit.update(k for k, s, e in periods if s <= moment < e)
    return hit


async def mark_stale(deal_ids: Sequence[int] = (), lead_ids: Sequence[int] = ()) -> set[str]:
    """Mark stale the stored periods whose training inputs these deals and leads are part of (module docstring);
    call in the changing transaction. One look-up when nothing is stored. Returns the period keys marked."""
    periods = await _periods(stale=False)
    if not periods or not (deal_ids or lead_ids):
        return set()
    leads, moments = set(lead_ids), []
    for chunk in bulk.chunks(sorted(set(deal_ids))):
        for lead_id, closed_at in await Opportunity.filter(id__in=list(chunk)).values_list("lead_id", "closed_at"):
            moments.append(closed_at)
            if lead_id is not None:
                leads.add(lead_id)
    if len(leads) > MANY_LEADS:  # opportunity.lead_id has no index: the stored periods' closes read once
        moments += [at for lead_id, at in await Opportunity.filter(
            closed_at__gte=min(s for _, s, _ in periods), closed_at__lt=max(e for _, _, e in periods)).values_list(
            "lead_id", "closed_at") if lead_id in leads]
    else:
        for chunk in bulk.chunks(sorted(leads)):
            moments += await Opportunity.filter(lead_id__in=list(chunk)).values_list("closed_at", flat=True)
    for chunk in bulk.chunks(sorted(leads)):
        moments += await LeadEvent.filter(lead_id__in=list(chunk), stage="DISQUALIFIED", type="STAGE").values_list(
            "at", flat=True)
    hit = _holding(periods, moments)
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
