"""Attribution reads: a period's deals with their journeys, credit per group under any model, sourced and
influenced pipeline. Set-based: a fixed number of queries per request, then pure rules per deal."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from tortoise.expressions import Q, Subquery

from domain.batch import by_ids
from domain.errors import ErrorCode, Problems
from domain import clock
from domain.attribution import rules, stored
from domain.attribution.models import ModelOfRecord, ModelOfRecordApproval, Opportunity, OpportunityStatus, ProposalStatus, Touchpoint
from domain.leads.models import LeadFact
from domain.leads.queries import raw_values_list
from domain.rawsql import as_utc
from domain.org.models import Person, Team
from domain.org.service import PeriodView
from domain.paging import Page, Paged, fetch_page
from domain.turns import Turns

UNATTRIBUTED = "UNATTRIBUTED"
JOURNEY_READ_CHUNK = 250  # leads whose touches one statement reads, when a read covers more


class GroupBy(str, Enum):
    TEAM = "TEAM"
    PERSON = "PERSON"
    CHANNEL = "CHANNEL"
    CAMPAIGN = "CAMPAIGN"


@dataclass(frozen=True)
class ModelChoice:
    model: rules.Model
    half_life_days: Decimal = rules.DEFAULT_HALF_LIFE_DAYS
    custom: rules.CustomWeights | None = None


DEFAULT_MODEL = ModelChoice(rules.Model.W_SHAPED)


def model_choice(model: rules.Model, half_life_days: Decimal | None = None,
                 custom: rules.CustomWeights | None = None) -> ModelChoice:
    """A model a client named, with its half-life (default 7 days) and weights, or INVALID on each argument at
    fault (rules.model_choice_problems)."""
    problems = Problems()
    for argument, message in rules.model_choice_problems(model, half_life_days, custom):
        problems.add(ErrorCode.INVALID, message, argument)
    problems.raise_if_any()
    return ModelChoice(rules.Model(model), half_life_days if half_life_days is not None
                       else rules.DEFAULT_HALF_LIFE_DAYS, custom)


async def model_of_record(period_key: str) -> ModelChoice:
    """The period's approved model of record, W_SHAPED with a 7-day half-life until one is approved."""
    row = await ModelOfRecord.filter(period__key=period_key, status=ProposalStatus.ACTIVE).first()
    if row is None:
        return DEFAULT_MODEL
    custom = rules.CustomWeights(**{k: Decimal(str(v)) for k, v in row.custom_weights.items()}) \
        if row.custom_weights else None
    return ModelChoice(rules.Model(row.model), row.half_life_days, custom)


@dataclass(frozen=True, slots=True)
class DealOpportunity:
    """An Opportunity row as plain values (the attributes of the model a deal needs; times aware UTC)."""
    id: int
    external_id: str
    lead_id: int | None
    name: str
    amount_cents: int
    created_at: datetime
    status: OpportunityStatus
    closed_at: datetime | None
    owner_id: int | None


_OPPORTUNITY_FIELDS = ("id", "external_id", "lead_id", "name", "amount_cents", "created_at", "status", "closed_at",
                       "owner_id")


async def _opportunities(query) -> list[DealOpportunity]:
    status = OpportunityStatus
    return [DealOpportunity(i, external_id, lead_id, name, amount, as_utc(created_at), status(st), as_utc(closed_at),
                            owner_id)
            for i, external_id, lead_id, name, amount, created_at, st, closed_at, owner_id
            in await raw_values_list(query.values_list(*_OPPORTUNITY_FIELDS))]


@dataclass
class Deal:
    opportunity: Opportunity | DealOpportunity
    journey: rules.Journey
    in_pipeline: bool       # created in the period
    in_bookings: bool       # won in the period


def _in_period(period: PeriodView) -> Q:
    """Created in the period, or won in it."""
    return Q(created_at__gte=period.start, created_at__lt=period.end) | Q(
        status=OpportunityStatus.WON, closed_at__gte=period.start, closed_at__lt=period.end)


async def deals(period: PeriodView) -> list[Deal]:
    """Deals created in the period (pipeline) or won in it (bookings), each with its source lead's journey."""
    created = Opportunity.filter(created_at__gte=period.start, created_at__lt=period.end)
    won = Opportunity.filter(status=OpportunityStatus.WON, closed_at__gte=period.start, closed_at__lt=period.end)
    opportunities = {o.id: o for o in await _opportunities(created)}
    opportunities.update({o.id: o for o in await _opportunities(won)})
    leads = Subquery(Opportunity.filter(_in_period(period), lead_id__not_isnull=True).values("lead_id"))
    return await _with_journeys(list(opportunities.values()), period, leads)


async def _with_journeys(opportunities: Sequence[Opportunity | DealOpportunity], period: PeriodView | None,
                         lead_filter=None, as_of: datetime | None = None) -> list[Deal]:
    """Each opportunity with its lead's journey as of `as_of` (the clock's now by default). `lead_filter` (a
    subquery of lead ids covering the opportunities' leads) stands in for the list of their ids in the reads."""
    lead_ids = {o.lead_id for o in opportunities if o.lead_id is not None}
    turns = Turns()
    touches: dict[int, list[rules.Touch]] = defaultdict(list)
    mql_at: dict[int, datetime | None] = {}
    # Many leads are read a chunk at a time: each statement holds SQLite's one connection only that long, so other
    # requests' statements run in between (one statement over a large period's touches held it for a second).
    if len(lead_ids) > JOURNEY_READ_CHUNK:
        ordered = sorted(lead_ids)
        chunks = [ordered[k:k + JOURNEY_READ_CHUNK] for k in range(0, len(ordered), JOURNEY_READ_CHUNK)]
    else:
        chunks = [lead_ids if lead_filter is None else lead_filter] if lead_ids else []
    touch = rules.Touch  # rules.journey puts each lead's touches in (time, id) order: read them in index order
    for leads in chunks:
        for i, (touch_id, lead_id, at, team_id, person_id, channel, campaign) in enumerate(await raw_values_list(
                Touchpoint.filter(lead_id__in=leads).order_by("lead_id", "at", "id").values_list(
                    "id", "lead_id", "at", "team_id", "person_id", "channel", "campaign"))):
            touches[lead_id].append(touch(touch_id, as_utc(at), team_id, person_id, channel, campaign))
            if turns.due(i):
                await turns.give()
        mql_at.update({lead_id: as_utc(at) for lead_id, at in await raw_values_list(
            LeadFact.filter(lead_id__in=leads).values_list("lead_id", "mql_at"))})
    now = clock.now() if as_of is None else as_of
    out = []
    for o in opportunities:
        closed = o.closed_at if o.status is not OpportunityStatus.OPEN else None
        j = rules.journey(touches.get(o.lead_id, []), mql_at.get(o.lead_id), o.created_at, closed, now)
        out.append(Deal(o, j,
                        in_pipeline=period is not None and period.start <= o.created_at < period.end,
                        in_bookings=period is not None and o.status is OpportunityStatus.WON
                        and o.closed_at is not None and period.start <= o.closed_at < period.end))
        if turns.due():
            await turns.give()
    return out


@dataclass
class Line:
    key: str
    label: str
    pipeline_cents: int = 0
    bookings_cents: int = 0


@dataclass
class Attribution:
    lines: list[Line]
    pipeline_total_cents: int
    bookings_total_cents: int


_GROUP_FIELD = {GroupBy.TEAM: "team_id", GroupBy.PERSON: "person_id", GroupBy.CHANNEL: "channel",
                GroupBy.CAMPAIGN: "campaign"}


def _group_key(group_by: GroupBy, touch: rules.Touch) -> str:
    value = getattr(touch, _GROUP_FIELD[group_by])
    return "NONE" if value is None else str(value)


def _weights(choice: ModelChoice, now) -> Callable[[rules.Journey], list[Decimal]]:
    """journey -> rules.weights(choice's model, journey, ...). Except under TIME_DECAY (which weighs the touches'
    times) the weights depend only on the number of touches and the positions of the milestones, so journeys that
    share them share one computation."""
    def compute(j: rules.Journey) -> list[Decimal]:
        return rules.weights(choice.model, j, choice.half_life_days, choice.custom, now)
    if rules.Model(choice.model) is rules.Model.TIME_DECAY:
        return compute
    memo: dict[tuple, list[Decimal]] = {}

    def weights(j: rules.Journey) -> list[Decimal]:
        key = (len(j.touches), tuple(rules.milestones(j).values()))
        found = memo.get(key)
        if found is None:
            found = memo[key] = compute(j)
        return found
    return weights


async def credit_by_group(deal_list: Sequence[Deal], choice: ModelChoice, group_by: GroupBy) -> dict[str, list[int]]:
    """{group key: [pipeline cents, bookings cents]}: each deal's credit split by the model, deals without touches
    on UNATTRIBUTED, so every total equals the deals' amounts. Gives the event loop a turn every few ms."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    weights_of = _weights(choice, clock.now())
    turns = Turns()
    for deal in deal_list:
        if turns.due():
            await turns.give()
        amount = deal.opportunity.amount_cents
        if not deal.journey.touches:
            shares = [(UNATTRIBUTED, amount)]
        else:
            cents = rules.split(amount, weights_of(deal.journey))  # = rules.credit(...) of a journey with touches
            shares = [(_group_key(group_by, t), c) for t, c in zip(deal.journey.touches, cents)]
        for key, cents in shares:
            if deal.in_pipeline:
                totals[key][0] += cents
            if deal.in_bookings:
                totals[key][1] += cents
    return totals


async def _labels(group_by: GroupBy, keys: Sequence[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group_by is GroupBy.TEAM and ids:
        return {str(i): name for i, name in await Team.filter(id__in=ids).values_list("id", "name")}
    if group_by is GroupBy.PERSON and ids:
        return {str(i): name for i, name in await Person.filter(id__in=ids).values_list("id", "name")}
    return {}


async def _live_deals(period: PeriodView, ids: set[int]) -> list[Deal]:
    return await _with_journeys(await _opportunities(Opportunity.filter(id__in=sorted(ids))), period) if ids else []


async def period_credit_totals(period: PeriodView, choice: ModelChoice, group_by: GroupBy, *, pipeline: bool = True,
                               bookings: bool = True) -> dict[str, list[int]]:
    """credit_by_group over the period's deals: summed in SQL from the stored rows where the model is stored (the
    deals without fresh rows computed live and added), else all computed live. Without `pipeline` (or `bookings`)
    every pipeline (bookings) figure is 0 and only the deals the other figure counts are read."""
    if not await stored.is_stored(choice):
        totals = await credit_by_group(await deals(period), choice, group_by)
    else:
        totals, live = await stored.credit_totals(period.start, period.end, choice, group_by.value, clock.now(),
                                                  pipeline=pipeline, bookings=bookings)
        for key, (p, b) in (await credit_by_group(await _live_deals(period, live), choice, group_by)).items():
            line = totals.setdefault(key, [0, 0])
            line[0] += p
            line[1] += b
    return {key: [p if pipeline else 0, b if bookings else 0] for key, (p, b) in totals.items()}


async def attribution(period: PeriodView, choice: ModelChoice, group_by: GroupBy,
                      deal_list: Sequence[Deal] | None = None) -> Attribution:
    """Credit per group; from `deal_list` when given, else the period's deals (see period_credit_totals). Every
    deal's credit sums to its amount, so the lines sum to the period's pipeline and bookings."""
    if deal_list is None:
        totals = await period_credit_totals(period, choice, group_by)
    else:
        totals = await credit_by_group(deal_list, choice, group_by)
    labels = await _labels(group_by, list(totals))
    labels.update({UNATTRIBUTED: "Unattributed (no touches)", "NONE": f"(no {group_by.value.lower()})"})
    lines = [Line(key, labels.get(key, key), p, b) for key, (p, b) in totals.items() if p or b]
    lines.sort(key=lambda line: (-line.bookings_cents, -line.pipeline_cents, line.label))
    return Attribution(lines, sum(p for p, _ in totals.values()), sum(b for _, b in totals.values()))


@dataclass
class TeamPipeline:
    team_id: int
    sourced_pipeline_cents: int = 0
    sourced_bookings_cents: int = 0
    influenced_pipeline_cents: int = 0
    influenced_bookings_cents: int = 0


def sourced_and_influenced(deal_list: Sequence[Deal]) -> dict[int, TeamPipeline]:
    """Sourced: the team of the first touch. Influenced: every team with a touch at or before OC, in full."""
    teams: dict[int, TeamPipeline] = {}
    for deal in deal_list:
        amount = deal.opportunity.amount_cents
        source = rules.sourced_team(deal.journey)
        if source is not None:
            row = teams.setdefault(source, TeamPipeline(source))
            row.sourced_pipeline_cents += amount if deal.in_pipeline else 0
            row.sourced_bookings_cents += amount if deal.in_bookings else 0
        for team_id in rules.influencing_teams(deal.journey):
            row = teams.setdefault(team_id, TeamPipeline(team_id))
            row.influenced_pipeline_cents += amount if deal.in_pipeline else 0
            row.influenced_bookings_cents += amount if deal.in_bookings else 0
    return teams


async def pipeline_by_team(period: PeriodView, *, bookings: bool = True) -> dict[int, TeamPipeline]:
    """sourced_and_influenced over the period's deals, summed in SQL from the stored rows (deals without fresh rows
    computed live and added). Without `bookings` both bookings figures are 0 and only the deals created in the
    period are read."""
    stored_teams, live = await stored.team_pipeline(period.start, period.end, clock.now(), bookings=bookings)
    teams = {t: TeamPipeline(t, *cents) for t, cents in stored_teams.items()}
    for team_id, row in sourced_and_influenced(await _live_deals(period, live)).items():
        mine = teams.setdefault(team_id, TeamPipeline(team_id))
        mine.sourced_pipeline_cents += row.sourced_pipeline_cents
        mine.influenced_pipeline_cents += row.influenced_pipeline_cents
        if bookings:
            mine.sourced_bookings_cents += row.sourced_bookings_cents
            mine.influenced_bookings_cents += row.influenced_bookings_cents
    return teams


async def opportunities_page(page: Page, period: PeriodView | None = None,
                             status: OpportunityStatus | None = None) -> Paged:
    qs = Opportunity.all()
    if period is not None:
        qs = qs.filter(created_at__gte=period.start, created_at__lt=period.end)
    if status is not None:
        qs = qs.filter(status=status)
    return await fetch_page(qs, page)


async def opportunities_by_ids(ids: Sequence[int]) -> list[Opportunity | None]:
    return await by_ids(Opportunity, ids)


async def deals_by_opportunity(ids: Sequence[int]) -> list[Deal | None]:
    found = {d.opportunity.id: d for d in await _with_journeys(await Opportunity.filter(id__in=list(ids)), None)}
    return [found.get(i) for i in ids]


async def opportunities_open_at(as_of: datetime) -> list[DealOpportunity]:
    """The deals that were open at `as_of` in business time: created by then, not closed by then, whatever they
    are now (what a forecast made on that day knew)."""
    return await _opportunities(Opportunity.filter(
        Q(created_at__lte=as_of) & (Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))))


async def deals_open_at(as_of: datetime) -> list[Deal]:
    """opportunities_open_at, each with its lead's journey as of then."""
    return await _with_journeys(await opportunities_open_at(as_of), None, as_of=as_of)


async def proposals_by_ids(ids: Sequence[int]) -> list[ModelOfRecord | None]:
    return await by_ids(ModelOfRecord, ids)


async def approval_sides_by_proposal(ids: Sequence[int]) -> list[list[str]]:
    sides: dict[int, list[str]] = defaultdict(list)
    for proposal_id, side in await ModelOfRecordApproval.filter(proposal_id__in=list(ids)).order_by(
            "side").values_list("proposal_id", "side"):
        sides[proposal_id].append(side)
    return [sides.get(i, []) for i in ids]


async def proposals(period_key: str) -> list[ModelOfRecord]:
    return await ModelOfRecord.filter(period__key=period_key).order_by("-id")


async def team_functions() -> dict[int, str]:
    """Team id → function name ("SALES", "MARKETING", ...)."""
    return {i: getattr(f, "value", f) for i, f in await Team.all().values_list("id", "function")}


# --- the rows behind the common view's figures -------------------------------------------

@dataclass(frozen=True, slots=True)
class CreditRow:
    """One touch's share of one deal under a model: the row behind a credit figure. `touch` is None (and the weight
    1) for a deal without touches, credited in full to UNATTRIBUTED."""
    deal: Deal
    touch: rules.Touch | None
    weight: Decimal
    cents: int


def credit_rows(deal_list: Sequence[Deal], choice: ModelChoice, now: datetime | None = None) -> list[CreditRow]:
    """Every deal's credit per touch, split as credit_by_group splits it (the same weights, the same cents), deals in
    the given order and touches in journey order: summed by group they give credit_by_group's totals."""
    weights_of = _weights(choice, now or clock.now())
    rows = []
    for deal in deal_list:
        amount = deal.opportunity.amount_cents
        if not deal.journey.touches:
            rows.append(CreditRow(deal, None, Decimal(1), amount))
            continue
        ws = weights_of(deal.journey)
        rows.extend(CreditRow(deal, t, w, c) for t, w, c in zip(deal.journey.touches, ws, rules.split(amount, ws)))
    return rows


@dataclass
class PipelineDeals:
    """The deals behind a team's sourced and influenced pipeline (created in the period)."""
    sourced: list[Deal]
    influenced: list[Deal]


def pipeline_deals_by_team(deal_list: Sequence[Deal]) -> dict[int, PipelineDeals]:
    """Per team, the period's pipeline deals it sourced (team of the first touch) and influenced (a touch at or
    before OC), by sourced_and_influenced's rules, in opportunity id order."""
    teams: dict[int, PipelineDeals] = {}
    for deal in sorted((d for d in deal_list if d.in_pipeline), key=lambda d: d.opportunity.id):
        source = rules.sourced_team(deal.journey)
        if source is not None:
            teams.setdefault(source, PipelineDeals([], [])).sourced.append(deal)
        for team_id in sorted(rules.influencing_teams(deal.journey)):
            teams.setdefault(team_id, PipelineDeals([], [])).influenced.append(deal)
    return teams
