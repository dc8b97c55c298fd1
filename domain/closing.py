"""Closing and reopening a period: every area freezes its figures in the same transaction.

Who may close, and when, is decided by the pure rules of `domain/access/periods.py`: before the end only an ADMIN
(with a reason); after it FINANCE or an ADMIN alone, or the sign-offs of a sales-side and a marketing-side leader,
the second of which closes the period in its own transaction. Every close and sign-off locks the period's row first
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite runs one transaction at a time), so of two racing sign-offs of the
two sides exactly one sees the other's and closes the period, and a period is never frozen twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import clock
from domain.access import periods as access
from domain.attribution.models import ModelOfRecord, ProposalStatus
from domain.attribution.queries import ModelChoice, model_of_record
from domain.audit.service import record
from domain.comp.models import CompDispute, DisputeStatus
from domain.comp.queries import Statement, statements
from domain.comp.service import lock_statements, unlock_statements, visible_people
from domain.errors import DomainError, ErrorCode, Problem, forbidden, invalid
from domain.goals.models import CheckIn, KeyResult, Objective
from domain.goals.queries import evaluate_objectives
from domain.goals.rules import KeyResultSource, score
from domain import texts
from domain.goals.service import freeze_goals, thaw_goals
from domain.leads.models import DefinitionStatus, LeadDefinition
from domain.org.models import Period, PeriodCloseSignOff, Person
from domain.org.rules import PeriodStatus, Principal
from domain.org.service import PeriodView, ensure_period, get_period, parse_key


# --- the period -----------------------------------------------------------------------------

def _bounds(view: PeriodView) -> access.PeriodBounds:
    return access.PeriodBounds(view.key, view.start, view.end)


async def _locked(key: str) -> Period:
    """The stored period, its row locked until the transaction ends (call inside it)."""
    period = await ensure_period(key)
    return await Period.filter(id=period.id).select_for_update().get()


def _raise_close_problems(open_disputes: int, force: bool, reason: str | None, needs_reason: bool = False) -> None:
    problems = access.close_problems(open_disputes, force, reason, needs_reason)
    if problems:
        raise DomainError([Problem(code, message, (path,)) for code, path, message in problems])


async def _open_dispute_count(period: Period) -> int:
    return await CompDispute.filter(period_id=period.id, status=DisputeStatus.OPEN).count()


async def _freeze(actor: Principal, period: Period, route: str, reason: str | None, force: bool,
                  open_disputes: int, sign_offs: list[dict] | None = None) -> None:
    """Scores, key-result figures and pay statements are frozen as they are now; the model of record with them."""
    scored = await freeze_goals(period)
    lines = await lock_statements(period)
    await Period.filter(id=period.id).update(status=PeriodStatus.CLOSED, closed_at=clock.now())
    after = {"status": "CLOSED", "route": route, "objectives_scored": scored, "statement_lines_locked": lines}
    if reason:
        after["reason"] = reason
    if open_disputes:
        after.update(forced=force, open_disputes=open_disputes)
    if sign_offs is not None:
        after["sign_offs"] = sign_offs
    await record(actor, "periodClose", "Period", period.key, {"status": "OPEN"}, after)


def _already_closed(period: Period) -> DomainError:
    return DomainError.one(ErrorCode.PERIOD_CLOSED, f"{period.key} is already closed", "period")


# --- closing -----------------------------------------------------------------------------

async def close_period(actor: Principal, key: str, reason: str | None = None, force: bool = False) -> Period:
    """An ADMIN before the end (with a reason), FINANCE or an ADMIN after it. Open disputes need force and a reason."""
    q = parse_key(key, "period")
    reason = (reason or "").strip() or None
    decision = access.may_close(actor.role, actor.team_function, _bounds(await get_period(q.key)),
                                clock.now())
    if not decision.allowed:
        raise forbidden(decision.message, "period")
    async with in_transaction():
        period = await _locked(q.key)
        if period.status is PeriodStatus.CLOSED:
            raise _already_closed(period)
        disputes = await _open_dispute_count(period)
        _raise_close_problems(disputes, force, reason, decision.needs_reason)
        await _freeze(actor, period, "CLOSE", reason, force, disputes)
        period = await Period.get(id=period.id)
    return period


def _sign_off_snapshot(row: PeriodCloseSignOff) -> dict:
    return {"side": row.side, "person_id": row.person_id, "at": row.at.isoformat()}


async def sign_off_period(actor: Principal, key: str, reason: str | None = None, force: bool = False) -> Period:
    """A sales-side or marketing-side leader signs an ended period off; the second side's sign-off closes it."""
    q = parse_key(key, "period")
    reason = (reason or "").strip() or None
    decision = access.may_sign_off(actor.role, actor.team_function, _bounds(await get_period(q.key)),
                                   clock.now())
    if not decision.allowed:
        raise forbidden(decision.message, "period")
    side = decision.side
    duplicate = DomainError.one(ErrorCode.DUPLICATE, f"the {side.value.lower()} side has already signed off {q.key}",
                                "period")
    try:
        async with in_transaction():
            period = await _locked(q.key)
            if period.status is PeriodStatus.CLOSED:
                raise _already_closed(period)
            earlier = await PeriodCloseSignOff.filter(period_id=period.id).order_by("at", "id")
            if any(row.side == side.value for row in earlier):
                raise duplicate
            closing = access.closes_period([access.SignOffSide(r.side) for r in earlier] + [side])
            disputes = await _open_dispute_count(period) if closing else 0
            if closing:
                _raise_close_problems(disputes, force, reason)
            row = await PeriodCloseSignOff.create(period_id=period.id, side=side.value, person_id=actor.person_id,
                                                  at=clock.now())
            after = {**_sign_off_snapshot(row), "closes": closing}
            if reason:
                after["reason"] = reason
            await record(actor, "periodCloseSignOff", "Period", period.key, None, after)
            if closing:
                await _freeze(actor, period, "SIGN_OFF", reason, force, disputes,
                              [_sign_off_snapshot(r) for r in [*earlier, row]])
            period = await Period.get(id=period.id)
    except IntegrityError:  # the same side signed off meanwhile (the row lock makes this a last resort)
        raise duplicate from None
    return period


async def reopen_period(actor: Principal, key: str, reason: str) -> Period:
    """The only way back from a close (admins, with a reason): frozen figures and sign-offs are dropped, live
    figures return."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reopening a period needs a reason", "reason")
    if (message := texts.too_long(reason, texts.REASON)) is not None:
        raise invalid(message, "reason")
    q = parse_key(key, "period")
    async with in_transaction():
        period = await Period.get_or_none(key=q.key)
        if period is not None:
            period = await Period.filter(id=period.id).select_for_update().get()
        if period is None or period.status is not PeriodStatus.CLOSED:
            raise invalid(f"{q.key} is not closed", "period")
        await thaw_goals(period)
        await unlock_statements(period)
        dropped = [_sign_off_snapshot(r) for r in await PeriodCloseSignOff.filter(period_id=period.id).order_by("id")]
        await PeriodCloseSignOff.filter(period_id=period.id).delete()
        await Period.filter(id=period.id).update(status=PeriodStatus.OPEN, closed_at=None)
        await record(actor, "periodReopen", "Period", period.key, {"status": "CLOSED", "sign_offs": dropped},
                     {"status": "OPEN", "reason": reason})
        period = await Period.get(id=period.id)
    return period


# --- what a close would freeze, and what is still open -------------------------------------------

@dataclass(frozen=True)
class FrozenObjective:
    objective: Objective
    progress: Decimal
    score: Decimal


@dataclass(frozen=True)
class LockedStatement:
    """A statement the close would lock; its total is shown only to those who may see the person's pay
    (`access.rules.can_see_pay` of the person and their team)."""

    statement: Statement
    person_team_id: int


@dataclass
class ClosePreview:
    period: PeriodView
    model_of_record: ModelChoice
    objectives: list[FrozenObjective] = field(default_factory=list)
    key_results_frozen: int = 0
    statements: list[LockedStatement] = field(default_factory=list)
    open_dispute_count: int = 0
    open_disputes: list[CompDispute] = field(default_factory=list)  # those the viewer may see
    stale_key_results: list[KeyResult] = field(default_factory=list)
    pending_definitions: list[LeadDefinition] = field(default_factory=list)
    pending_models: list[ModelOfRecord] = field(default_factory=list)

    @property
    def needs_force(self) -> bool:
        return self.open_dispute_count > 0


async def close_preview(viewer: Principal, key: str) -> ClosePreview:
    """What closing the period would freeze (scores, key-result figures, statements, the model of record) and what is
    still open: unresolved disputes, MANUAL key results without a recent check-in, pending lead definitions and
    model-of-record proposals. Reads only; works on a closed period too (then it shows what was frozen)."""
    view = await get_period(key)
    preview = ClosePreview(view, await model_of_record(view.key))
    preview.pending_definitions = await LeadDefinition.filter(status=DefinitionStatus.DRAFT).order_by("version")
    stored = await Period.get_or_none(key=view.key)
    if stored is None:
        return preview
    preview.pending_models = await ModelOfRecord.filter(period_id=stored.id, status=ProposalStatus.PROPOSED) \
        .order_by("id")
    objectives = await Objective.filter(period_id=stored.id, archived_at=None).order_by("id")
    figures = await evaluate_objectives([o.id for o in objectives])
    preview.objectives = [FrozenObjective(o, figures[o.id].progress, score(figures[o.id].progress))
                          for o in objectives if o.id in figures]
    preview.key_results_frozen = sum(len(f.key_results) for f in figures.values())
    manual = await KeyResult.filter(objective__period_id=stored.id, objective__archived_at=None, archived_at=None,
                                    source=KeyResultSource.MANUAL).order_by("id")
    recent = set(await CheckIn.filter(key_result_id__in=[k.id for k in manual],
                                      at__gte=access.stale_check_in_cutoff(clock.now()))
                 .values_list("key_result_id", flat=True)) if manual else set()
    preview.stale_key_results = [k for k in manual if k.id not in recent]
    team_of = dict(await Person.all().values_list("id", "team_id"))
    preview.statements = [LockedStatement(s, team_of[s.person_id]) for s in await statements(view)]
    disputes = await CompDispute.filter(period_id=stored.id, status=DisputeStatus.OPEN).order_by("id")
    allowed = await visible_people(viewer)
    preview.open_dispute_count = len(disputes)
    preview.open_disputes = [d for d in disputes if allowed is None or d.person_id in allowed]
    return preview
