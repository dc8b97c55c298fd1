"""Attribution use cases: proposing and jointly approving a period's model of record."""
from __future__ import annotations

from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import clock
from domain.attribution import markov, rules, stored
from domain.attribution.models import ModelOfRecord, ModelOfRecordApproval, ProposalStatus
from domain.audit.service import record
from domain.errors import DomainError, ErrorCode, Problems, invalid, not_found
from domain.locks import bulk_lead_transaction
from domain.org.models import Period
from domain.org.rules import PeriodStatus, Principal
from domain.access.rules import enforce, joint_draft_refusal
from domain.org.service import approval_side, ensure_period, parse_key

SIDES = ("SALES", "MARKETING")


def _closed(period: Period) -> DomainError:
    return DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is closed: its model of record is frozen", "period")


async def propose(actor: Principal, period_key: str, model: rules.Model, half_life_days: Decimal | None = None,
                  custom: rules.CustomWeights | None = None, markov_order: int = 1) -> ModelOfRecord:
    """A proposal takes effect only when a sales leader and a marketing leader have both approved it."""
    enforce(joint_draft_refusal(actor, "a model-of-record proposal"), "model")
    problems = Problems()
    parse_key(period_key, "period")
    half_life = half_life_days if half_life_days is not None else rules.DEFAULT_HALF_LIFE_DAYS
    for argument, message in rules.model_choice_problems(model, half_life_days, custom):
        problems.add(ErrorCode.INVALID, message, argument)
    if (message := markov.order_problem(markov_order)) is not None:
        problems.add(ErrorCode.INVALID, message, "markovOrder")
    problems.raise_if_any()
    if rules.Model(model) is rules.Model.SHAPLEY:  # refused now rather than in every figure once approved
        from domain.attribution import training
        from domain.org.service import get_period
        await training.period_shapley(await get_period(period_key))
    async with in_transaction():
        period = await ensure_period(period_key)
        if period.status is PeriodStatus.CLOSED:
            raise _closed(period)
        proposal = await ModelOfRecord.create(
            period_id=period.id, model=model.value, half_life_days=half_life,
            custom_weights={k: str(v) for k, v in custom.__dict__.items()} if custom else None,
            markov_order=markov_order, proposed_by=actor.name, created_at=clock.now())
        await record(actor, "attributionModelOfRecordPropose", "ModelOfRecord", proposal.id, None,
                     {"period": period.key, "model": model.value, "half_life_days": str(half_life),
                      **({"markov_order": markov_order} if model is rules.Model.MARKOV else {})})
    return proposal


async def approve(actor: Principal, proposal_id: int) -> ModelOfRecord:
    side = approval_side(actor, "a model of record", "id")
    try:
        # The approval that activates a model rewrites every deal's stored credit rows: with the lead writers' lock.
        async with bulk_lead_transaction(what="An import or bulk change of leads"):
            proposal = await ModelOfRecord.get_or_none(id=proposal_id)
            if proposal is None:
                raise not_found("no model-of-record proposal has this id", "id")
            period = await Period.get(id=proposal.period_id)
            if period.status is PeriodStatus.CLOSED:
                raise _closed(period)
            if proposal.status is not ProposalStatus.PROPOSED:
                raise invalid(f"this proposal is {proposal.status.value}, not open for approval", "id")
            if await ModelOfRecordApproval.filter(proposal_id=proposal.id, side=side).exists():
                raise DomainError.one(ErrorCode.DUPLICATE, f"{side.lower()} has already approved it", "id")
            await ModelOfRecordApproval.create(proposal_id=proposal.id, side=side, person_id=actor.person_id,
                                               at=clock.now())
            sides = set(await ModelOfRecordApproval.filter(proposal_id=proposal.id).values_list("side", flat=True))
            after = {"approved_by": sorted(sides)}
            if sides == set(SIDES):
                await ModelOfRecord.filter(period_id=period.id, status=ProposalStatus.ACTIVE).update(
                    status=ProposalStatus.SUPERSEDED)
                await ModelOfRecord.filter(id=proposal.id).update(status=ProposalStatus.ACTIVE,
                                                                  activated_at=clock.now())
                after["status"] = ProposalStatus.ACTIVE.value
                await stored.models_changed()
            await record(actor, "attributionModelOfRecordApprove", "ModelOfRecord", proposal.id, None, after)
            proposal = await ModelOfRecord.get(id=proposal.id)
    except IntegrityError:
        raise DomainError.one(ErrorCode.DUPLICATE, f"{side.lower()} has already approved it", "id") from None
    return proposal
