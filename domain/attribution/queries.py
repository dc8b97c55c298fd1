"""Attribution reads: credit per group under any model, sourced and influenced pipeline, shared wins, models
side by side. Stored models are summed from the per-day rollups of the stored credit rows (rollup_reads.py,
rollups.py, stored.py), the rest (and the deals without fresh rows) computed live over the deals read set-based
(journeys.py) and split by credit.py."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from tortoise.expressions import Q

from domain.batch import by_ids
from domain.errors import ErrorCode, Problems, invalid
from domain import clock
from domain.attribution import driven, driven_store, driven_totals, markov, rollup_reads, rules, stored, training
from domain.attribution.credit import (  # noqa: F401  (the deal and credit names other areas read from here)
    DEFAULT_MODEL, UNATTRIBUTED, CreditRow, Deal, ModelChoice, iter_credit_rows,
)
from domain.attribution import credit
from domain.attribution.journeys import DealOpportunity, deals, read_opportunities, with_journeys  # noqa: F401
from domain.attribution.models import ModelOfRecord, ModelOfRecordApproval, Opportunity, OpportunityStatus, ProposalStatus
from domain.org.models import Person, Team
from domain.org.service import PeriodView
from domain.paging import Page, Paged, fetch_page
from domain.turns import Turns


class GroupBy(str, Enum):
    TEAM = "TEAM"
    PERSON = "PERSON"
    CHANNEL = "CHANNEL"
    CAMPAIGN = "CAMPAIGN"


def model_choice(model: rules.Model, half_life_days: Decimal | None = None,
                 custom: rules.CustomWeights | None = None, markov_order: int = 1) -> ModelChoice:
    """A model a client named, with its half-life (default 7 days), weights and Markov order, or INVALID on each
    argument at fault (rules.model_choice_problems, markov.order_problem)."""
    problems = Problems()
    for argument, message in rules.model_choice_problems(model, half_life_days, custom):
        problems.add(ErrorCode.INVALID, message, argument)
    if (message := markov.order_problem(markov_order)) is not None:
        problems.add(ErrorCode.INVALID, message, "markovOrder")
    problems.raise_if_any()
    return ModelChoice(rules.Model(model), half_life_days if half_life_days is not None
                       else rules.DEFAULT_HALF_LIFE_DAYS, custom, markov_order)


async def with_effects(period: PeriodView, choice: ModelChoice) -> ModelChoice:
    """`choice` with the period's per-channel effects when it is a data-driven model (MARKOV, SHAPLEY: the chain
    of the period where the figures count), else as it is."""
    if not driven.is_data_driven(choice.model) or choice.effects is not None:
        return choice
    return replace(choice, effects=await driven_store.period_effects(period, choice.model, choice.markov_order))


async def model_of_record(period_key: str) -> ModelChoice:
    """The period's approved model of record, W_SHAPED with a 7-day half-life until one is approved."""
    row = await ModelOfRecord.filter(period__key=period_key, status=ProposalStatus.ACTIVE).first()
    if row is None:
        return DEFAULT_MODEL
    custom = rules.CustomWeights(**{k: Decimal(str(v)) for k, v in row.custom_weights.items()}) \
        if row.custom_weights else None
    choice = ModelChoice(rules.Model(row.model), row.half_life_days, custom, row.markov_order or 1)
    if driven.is_data_driven(choice.model):  # a model of record weighs its own period's deals: its chain
        from domain.org.service import get_period
        choice = await with_effects(await get_period(period_key), choice)
    return choice


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


async def credit_by_group(deal_list: Sequence[Deal], choice: ModelChoice, group_by: GroupBy) -> dict[str, list[int]]:
    """{group key: [pipeline cents, bookings cents]}: each deal's credit split by the model (credit.py), deals without
    touches on UNATTRIBUTED, so every total equals the deals' amounts. Gives the event loop a turn every few ms."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    turns = Turns()
    for rows in iter_credit_rows(deal_list, choice, clock.now()):
        if turns.due():
            await turns.give()
        deal = rows[0].deal
        for row in rows:
            key = UNATTRIBUTED if row.touch is None else _group_key(group_by, row.touch)
            if deal.in_pipeline:
                totals[key][0] += row.cents
            if deal.in_bookings:
                totals[key][1] += row.cents
    return totals


async def _labels(group_by: GroupBy, keys: Sequence[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group_by is GroupBy.TEAM and ids:
        return {str(i): name for i, name in await Team.filter(id__in=ids).values_list("id", "name")}
    if group_by is GroupBy.PERSON and ids:
        return {str(i): name for i, name in await Person.filter(id__in=ids).values_list("id", "name")}
    return {}


async def _live_deals(period: PeriodView, ids: set[int]) -> list[Deal]:
    return await with_journeys(await read_opportunities(Opportunity.filter(id__in=sorted(ids))), period) if ids else []


async def period_credit_totals(period: PeriodView, choice: ModelChoice, group_by: GroupBy, *, pipeline: bool = True,
                               bookings: bool = True) -> dict[str, list[int]]:
    """credit_by_group over the period's deals: summed in SQL from the stored rows where the model is stored (the
    deals without fresh rows computed live and added), else all computed live. Without `pipeline` (or `bookings`)
    every pipeline (bookings) figure is 0 and only the deals the other figure counts are read."""
    choice = await with_effects(period, choice)
    if not driven.is_data_driven(choice.model) and not await stored.is_stored(choice):
        totals = await credit_by_group(await deals(period), choice, group_by)
    else:
        stored_key = choice.effects.stored_key if driven.is_data_driven(choice.model) else None
        if stored_key is not None and not stored_key.endswith("@" + period.key):
            stored_key = None  # (effects of another period's chain: weighed live)
        if stored_key is not None:  # a closed period's stored data-driven rows, from their rollups
            totals, live = await rollup_reads.credit_totals(period.start, period.end, choice, group_by.value,
                                                            clock.now(), pipeline=pipeline, bookings=bookings,
                                                            key=stored_key)
        elif driven.is_data_driven(choice.model):  # an open period: the default model's rows re-weighed live
            totals, live = await driven_totals.credit_totals(period, choice, group_by)
        else:
            totals, live = await rollup_reads.credit_totals(period.start, period.end, choice, group_by.value,
                                                            clock.now(), pipeline=pipeline, bookings=bookings)
        await _add_live(totals, period, live, choice, group_by)
    return {key: [p if pipeline else 0, b if bookings else 0] for key, (p, b) in totals.items()}


async def _add_live(totals: dict[str, list[int]], period: PeriodView, live: set[int], choice: ModelChoice,
                    group_by: GroupBy) -> None:
    """The credit of the deals without fresh rows, computed live, added to `totals`."""
    for key, (p, b) in (await credit_by_group(await _live_deals(period, live), choice, group_by)).items():
        line = totals.setdefault(key, [0, 0])
        line[0] += p
        line[1] += b


async def attribution(period: PeriodView, choice: ModelChoice, group_by: GroupBy,
                      deal_list: Sequence[Deal] | None = None) -> Attribution:
    """Credit per group; from `deal_list` when given, else the period's deals (see period_credit_totals). Every
    deal's credit sums to its amount, so the lines sum to the period's pipeline and bookings."""
    choice = await with_effects(period, choice)
    if deal_list is None:
        totals = await period_credit_totals(period, choice, group_by)
    else:
        totals = await credit_by_group(deal_list, choice, group_by)
    return await _attribution_of(totals, group_by)


async def _attribution_of(totals: dict[str, list[int]], group_by: GroupBy) -> Attribution:
    """{group key: [pipeline, bookings]} as labelled lines, largest bookings first, with their totals."""
    labels = await _labels(group_by, list(totals))
    labels.update({UNATTRIBUTED: "Unattributed (no touches)", "NONE": f"(no {group_by.value.lower()})"})
    lines = [Line(key, labels.get(key, key), p, b) for key, (p, b) in totals.items() if p or b]
    lines.sort(key=lambda line: (-line.bookings_cents, -line.pipeline_cents, line.label))
    return Attribution(lines, sum(p for p, _ in totals.values()), sum(b for _, b in totals.values()))


MAX_COMPARED = len(rules.Model)


def compared_models(models: Sequence[rules.Model]) -> list[rules.Model]:
    """The models of a side-by-side comparison, each once in first-seen order, or INVALID: one to ten models, no
    CUSTOM (its weights go through `attribution(weights:)`)."""
    if not 1 <= len(models) <= MAX_COMPARED:
        raise invalid(f"name between one and {MAX_COMPARED} models", "models")
    if rules.Model.CUSTOM in models:
        raise invalid("compare CUSTOM weights through `attribution(weights:)`", "models")
    return list(dict.fromkeys(rules.Model(m) for m in models))


async def attribution_comparison(period: PeriodView, models: Sequence[rules.Model], group_by: GroupBy,
                                 markov_order: int = 1) -> list[tuple[rules.Model, Attribution]]:
    """Each distinct model's credit per group (compared_models): a stored model summed from its rows (attribution),
    the others computed over the period's deals, read once for them all (MARKOV with its chain of `markov_order`)."""
    choices = {model: model_choice(model, markov_order=markov_order) for model in compared_models(models)}
    stored_models = [m for m, c in choices.items() if await stored.is_stored(c)]
    # every stored model's rollups read at once (a few statements for them all)
    read = await rollup_reads.credit_totals_of([choices[m] for m in stored_models], period.start, period.end,
                                               group_by.value, clock.now())
    columns = []
    deal_list: list[Deal] | None = None
    for model, choice in choices.items():
        if model in stored_models:
            totals, live = read[stored.key_of(choice)]
            await _add_live(totals, period, live, choice, group_by)
            columns.append((model, await _attribution_of(totals, group_by)))
            continue
        if driven.is_data_driven(model):  # a closed period's stored rows (period_credit_totals), else its chain live
            columns.append((model, await attribution(period, choice, group_by)))
            continue
        if deal_list is None:
            deal_list = await deals(period)
        columns.append((model, await attribution(period, choice, group_by, deal_list)))
    return columns


async def shared_wins(period: PeriodView) -> list[DealOpportunity]:
    """The deals won in the period that marketing and sales (or SDR) both touched before the opportunity was created
    (rules.is_shared_win over the functions of its influencing teams), by id: the influencing teams read from the
    default model's stored rows of the period's wins, the wins without fresh rows computed live from their
    journeys."""
    influencers, live = await rollup_reads.won_influencing_teams(period.start, period.end, clock.now())
    for deal in await _live_deals(period, live):
        if deal.in_bookings:
            influencers[deal.opportunity.id] = rules.influencing_teams(deal.journey)
    functions = await team_functions()
    shared = [i for i, teams in influencers.items() if rules.is_shared_win({functions.get(t) for t in teams})]
    return await read_opportunities(Opportunity.filter(id__in=shared).order_by("id")) if shared else []


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
    stored_teams, live = await rollup_reads.team_pipeline(period.start, period.end, clock.now(), bookings=bookings)
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
    found = {d.opportunity.id: d for d in await with_journeys(await Opportunity.filter(id__in=list(ids)), None)}
    return [found.get(i) for i in ids]


async def opportunities_open_at(as_of: datetime) -> list[DealOpportunity]:
    """The deals that were open at `as_of` in business time: created by then, not closed by then, whatever they
    are now (what a forecast made on that day knew)."""
    return await read_opportunities(Opportunity.filter(
        Q(created_at__lte=as_of) & (Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))))


async def deals_open_at(as_of: datetime) -> list[Deal]:
    """opportunities_open_at, each with its lead's journey as of then."""
    return await with_journeys(await opportunities_open_at(as_of), None, as_of=as_of)


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

def credit_rows(deal_list: Sequence[Deal], choice: ModelChoice, now: datetime | None = None) -> list[CreditRow]:
    """Every deal's credit per touch (credit.credit_rows, as of the clock's now unless given), deals in the given
    order and touches in journey order: summed by group they give credit_by_group's totals."""
    return credit.credit_rows(deal_list, choice, now or clock.now())


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


# --- the data-driven models' chains, per deal and per period ----------------------------------------

def touch_weights(choice: ModelChoice, now: datetime | None = None) -> Callable[[rules.Journey], list[Decimal]]:
    """journey -> its touches' weights under `choice` (with its period's effects resolved when data-driven): the
    split every report, export and trace uses."""
    return credit.weights_of(choice, now or clock.now())


def counting_period_key(o: Opportunity | DealOpportunity) -> str:
    """The period where a deal's credit counts, for one deal alone (`Opportunity.credits`): its win period when
    WON (bookings), else its creation period (pipeline)."""
    from domain import config
    from domain.org.rules import quarter_of
    cfg = config.current()
    moment = o.closed_at if o.status is OpportunityStatus.WON and o.closed_at is not None else o.created_at
    return quarter_of(moment, cfg.fiscal_year_start_month, cfg.timezone).key


async def effects_by_key(keys: Sequence[tuple[str, str, int]]) -> list:
    """DataLoader batch: (period key, model, order) -> training.Effects (each period's chain once a request)."""
    from domain.org.service import get_period
    return [await driven_store.period_effects(await get_period(key), rules.Model(model), order)
            for key, model, order in keys]


async def drivers(period: PeriodView, order: int = 1):
    """The period's Markov chain of `order`: every channel's removal effect, shares and journeys."""
    return await training.period_chain(period, order)
