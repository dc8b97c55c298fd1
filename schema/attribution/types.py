"""GraphQL types of attribution: opportunities, their credit under any model, credit lines, models of record."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import numbers
from domain.attribution import models as m
from domain.attribution import driven, queries, rules
from domain.comp import queries as comp_queries
from domain.errors import DomainError
from domain.leads import queries as lead_queries
from domain.money import from_cents
from domain.org import queries as org_queries
from schema.core.context import Info
from schema.core.errors import client_error
from schema.leads.types import Lead
from schema.org.types import Person, Team, load_nodes, load_person, load_team_row, load_team_rows
from schema.forecast.types import WinProbability, win_probability

AttributionModel = strawberry.enum(rules.Model, name="AttributionModel", description="How credit is shared.")
GroupBy = strawberry.enum(queries.GroupBy, name="CreditGroupBy", description="What credit lines group by.")
OpportunityStatus = strawberry.enum(m.OpportunityStatus)
ProposalStatus = strawberry.enum(m.ProposalStatus, name="ModelOfRecordStatus")


@strawberry.input(description="Position weights of a CUSTOM model; they sum to 1.")
class CustomWeightsInput:
    ft: Decimal
    lc: Decimal
    oc: Decimal
    cw: Decimal
    others: Decimal

    def to_rules(self) -> rules.CustomWeights:
        return rules.CustomWeights(self.ft, self.lc, self.oc, self.cw, self.others)


@strawberry.type(description="A person's share of a deal's credit for pay (the shares of a deal sum to 100.00).")
class OpportunitySplit:
    person_id: strawberry.Private[int]
    percent: Decimal = strawberry.field(description="Percent of the deal's amount, 2 decimals.")

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A group's credit in a period: pipeline created and bookings won, with shares of the "
                             "period's totals. `key` is the group's id, or UNATTRIBUTED for deals with no touches.")
class CreditLine:
    key: str
    label: str
    pipeline: Decimal
    bookings: Decimal
    pipeline_share: float | None
    bookings_share: float | None

    @classmethod
    def of(cls, line: queries.Line, result: queries.Attribution) -> "CreditLine":
        return cls(key=line.key, label=line.label, pipeline=numbers.money(from_cents(line.pipeline_cents)),
                   bookings=numbers.money(from_cents(line.bookings_cents)),
                   pipeline_share=numbers.ratio(rules.share_of_total(line.pipeline_cents, result.pipeline_total_cents)),
                   bookings_share=numbers.ratio(rules.share_of_total(line.bookings_cents, result.bookings_total_cents)))


@strawberry.type(description="One touchpoint's share of a deal under a model: the explanation of its credit.")
class Credit:
    at: datetime
    channel: str | None
    campaign: str | None
    weight: float
    amount: Decimal
    team_id: strawberry.Private[int | None]
    person_id: strawberry.Private[int | None]

    @strawberry.field
    async def team(self, info: Info) -> Team | None:
        if self.team_id is None:
            return None
        row = await load_team_row(info, self.team_id)
        return Team.from_model(row) if row else None

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A deal from the CRM.")
class Opportunity(relay.Node):
    id: relay.NodeID[int]
    external_id: str
    name: str
    amount: Decimal
    status: OpportunityStatus
    created_at: datetime
    closed_at: datetime | None
    owner_id: strawberry.Private[int | None]
    lead_pk: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, o: m.Opportunity) -> "Opportunity":
        return cls(id=o.id, external_id=o.external_id, name=o.name, amount=numbers.money(from_cents(o.amount_cents)),
                   status=o.status, created_at=o.created_at, closed_at=o.closed_at, owner_id=o.owner_id,
                   lead_pk=o.lead_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.opportunities_by_ids, node_ids, cls.from_model)

    @strawberry.field
    async def owner(self, info: Info) -> Person | None:
        return await load_person(info, self.owner_id)

    @strawberry.field(description="Its crediting splits for pay (empty: all its owner's). Team credit ignores them.")
    async def splits(self, info: Info) -> list[OpportunitySplit]:
        rows = await info.context.loaders(comp_queries.splits_by_opportunity).load(self.id)
        return [OpportunitySplit(person_id=r.person_id, percent=numbers.money(r.percent)) for r in rows]

    @strawberry.field(description="The probability of closing won within the current period, for an open deal "
                                  "(null once closed). See docs/rules.md, Forecast.")
    async def win_probability(self, info: Info) -> WinProbability | None:
        if self.status is not m.OpportunityStatus.OPEN:
            return None
        return await win_probability(info, self.id)

    @strawberry.field(description="The source lead.")
    async def lead(self, info: Info) -> Lead | None:
        if self.lead_pk is None:
            return None
        row = await info.context.loaders(lead_queries.leads_by_ids).load(self.lead_pk)
        return Lead.from_model(row) if row else None

    async def _deal(self, info: Info) -> queries.Deal:
        return await info.context.loaders(queries.deals_by_opportunity).load(self.id)

    @strawberry.field(description="Every touch's share under a model (default: W_SHAPED); they sum to the amount. "
                                  "Empty for a deal with no touches (it is credited to UNATTRIBUTED).")
    async def credits(self, info: Info, model: AttributionModel = rules.Model.W_SHAPED,
                      half_life_days: Decimal | None = None, weights: CustomWeightsInput | None = None,
                      markov_order: int = 1) -> list[Credit]:
        try:  # checked as the same arguments of `attribution` are
            choice = queries.model_choice(model, half_life_days, weights.to_rules() if weights else None,
                                          markov_order)
            deal = await self._deal(info)
            if driven.is_data_driven(choice.model):  # the chain of the period where the deal's credit counts
                choice = replace(choice, effects=await info.context.loaders(queries.effects_by_key).load(
                    (queries.counting_period_key(deal.opportunity), choice.model.value, choice.markov_order)))
        except DomainError as e:
            raise client_error(e) from None
        if not deal.journey.touches:
            return []
        return [Credit(at=row.touch.at, channel=row.touch.channel, campaign=row.touch.campaign,
                       weight=numbers.weight(row.weight), amount=numbers.money(from_cents(row.cents)),
                       team_id=row.touch.team_id, person_id=row.touch.person_id)
                for row in queries.credit_rows([deal], choice)]

    @strawberry.field(description="The team of the first touch.")
    async def sourced_team(self, info: Info) -> Team | None:
        team_id = rules.sourced_team((await self._deal(info)).journey)
        if team_id is None:
            return None
        return Team.from_model(await load_team_row(info, team_id))

    @strawberry.field(description="Every team that touched the deal (up to its close), for the shared celebration.")
    async def touching_teams(self, info: Info) -> list[Team]:
        ids = sorted({t.team_id for t in (await self._deal(info)).journey.touches if t.team_id is not None})
        return [Team.from_model(t) for t in await load_team_rows(info, ids) if t]

    @strawberry.field(description="Every person who touched the deal (up to its close).")
    async def touching_people(self, info: Info) -> list[Person]:
        ids = sorted({t.person_id for t in (await self._deal(info)).journey.touches if t.person_id is not None})
        return [Person.from_model(p) for p in await info.context.loaders(org_queries.people_by_ids).load_many(ids) if p]

    @strawberry.field(description="Every team with a touch at or before the opportunity was created.")
    async def influencing_teams(self, info: Info) -> list[Team]:
        ids = sorted(rules.influencing_teams((await self._deal(info)).journey))
        return [Team.from_model(t) for t in await load_team_rows(info, ids) if t]


@strawberry.type(description="A proposed or approved model of record for a period.")
class ModelOfRecord(relay.Node):
    id: relay.NodeID[int]
    model: AttributionModel
    half_life_days: Decimal
    markov_order: int = strawberry.field(description="The chain order of a MARKOV model (1 for the others).")
    status: ProposalStatus
    proposed_by: str
    created_at: datetime
    activated_at: datetime | None

    @classmethod
    def from_model(cls, r: m.ModelOfRecord) -> "ModelOfRecord":
        return cls(id=r.id, model=rules.Model(r.model), half_life_days=numbers.setting(r.half_life_days),
                   markov_order=r.markov_order or 1, status=r.status,
                   proposed_by=r.proposed_by, created_at=r.created_at, activated_at=r.activated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.proposals_by_ids, node_ids, cls.from_model)

    @strawberry.field(description="The sides (SALES, MARKETING) whose leaders approved it.")
    async def approved_by(self, info: Info) -> list[str]:
        return await info.context.loaders(queries.approval_sides_by_proposal).load(self.id)

