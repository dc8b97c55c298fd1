"""GraphQL types of the organisation: teams, people, tokens, periods, the viewer."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain import numbers
from domain import clock
from domain.access import periods as period_access
from domain.errors import DomainError
from domain.leads.rules import wasted_selling_cost
from domain.money import from_cents
from domain.org import queries, rules
from domain.org import models as m
from domain.org.service import PeriodView, is_current
from domain.access import rules as access
from schema.core.context import Info
from schema.org import loaders
from schema.core.errors import ClientError, client_error
from schema.core.ids import node_pk
from schema.core.permissions import CanSeePay

Role = strawberry.enum(rules.Role, description="What a person or token may do in the service.")
TeamFunction = strawberry.enum(rules.TeamFunction, description="What a team does.")
PeriodStatus = strawberry.enum(rules.PeriodStatus, description="OPEN, or CLOSED (scores, statements and credit frozen).")
SignOffSide = strawberry.enum(period_access.SignOffSide, name="PeriodSignOffSide",
                              description="The side a leader signs a period off for: SALES (sales and SDR teams) or "
                                          "MARKETING.")


async def load_nodes(info: Info, batch_fn, node_ids: Iterable[str], convert, visible=lambda principal, row: True):
    """Relay nodes by global id (each type's `resolve_nodes`): the rows through the request's loader of
    `batch_fn`, converted; None for an unknown id, FORBIDDEN for a row `visible` refuses the viewer."""
    rows = await info.context.loaders(batch_fn).load_many([node_pk(i) for i in node_ids])
    principal = info.context.viewer
    out = []
    for row in rows:
        if row is not None and not visible(principal, row):
            raise ClientError("You may not see this record.", "FORBIDDEN")
        out.append(convert(row) if row is not None else None)
    return out


@strawberry.type(description="A team of sales, marketing or another function.")
class Team(relay.Node):
    id: relay.NodeID[int]
    name: str
    function: TeamFunction

    @classmethod
    def from_model(cls, team: m.Team) -> "Team":
        return cls(id=team.id, name=team.name, function=team.function)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.teams_by_ids, node_ids, cls.from_model)


@strawberry.type(description="A person in a team. Pay and cost figures are private (see `annualCost`).")
class Person(relay.Node):
    id: relay.NodeID[int]
    name: str
    email: str
    role: Role
    active: bool
    version: int
    annual_quota: Decimal | None
    selling_hours_per_week: Decimal
    working_weeks_per_year: Decimal
    team_id: strawberry.Private[int]
    annual_cost_value: strawberry.Private[Decimal | None]

    @classmethod
    def from_model(cls, p: m.Person) -> "Person":
        return cls(
            id=p.id, name=p.name, email=p.email, role=p.role, active=p.active, version=p.version,
            annual_quota=from_cents(p.annual_quota_cents),
            selling_hours_per_week=numbers.setting(p.selling_hours_per_week),
            working_weeks_per_year=numbers.setting(p.working_weeks_per_year), team_id=p.team_id,
            annual_cost_value=from_cents(p.annual_cost_cents),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.people_by_ids, node_ids, cls.from_model)

    def can_see_pay(self, principal: rules.Principal) -> bool:
        return access.can_see_pay(principal, self.id, self.team_id)

    @strawberry.field
    async def team(self, info: Info) -> Team:
        return Team.from_model(await load_team_row(info, self.team_id))

    @strawberry.field(permission_classes=[CanSeePay],
                      description="Annual fully loaded cost. Private: the person, their team's leaders, FINANCE, ADMIN.")
    def annual_cost(self) -> Decimal | None:
        return self.annual_cost_value

    @strawberry.field(permission_classes=[CanSeePay],
                      description="annualCost / (sellingHoursPerWeek × workingWeeksPerYear), to the cent. Private.")
    def cost_per_selling_hour(self) -> Decimal | None:
        return numbers.money(rules.cost_per_selling_hour(self.annual_cost_value, self.selling_hours_per_week,
                                                         self.working_weeks_per_year))

    @strawberry.field(permission_classes=[CanSeePay],
                      description="Selling hours logged in the period on leads later recycled or disqualified, "
                                  "× costPerSellingHour. Private, like annualCost.")
    async def wasted_selling_cost(self, info: Info, period: str) -> Decimal | None:
        try:
            minutes = await info.context.loaders(loaders.wasted_minutes_by_period).load(period)
        except DomainError as e:
            raise client_error(e) from None
        cost = rules.cost_per_selling_hour(self.annual_cost_value, self.selling_hours_per_week,
                                           self.working_weeks_per_year)
        return numbers.money(wasted_selling_cost(minutes.get(self.id, 0), cost))

    @strawberry.field(description="annualQuota / (sellingHoursPerWeek × workingWeeksPerYear), to the cent.")
    def quota_per_selling_hour(self) -> Decimal | None:
        return numbers.money(rules.quota_per_selling_hour(self.annual_quota, self.selling_hours_per_week,
                                                          self.working_weeks_per_year))


async def load_team_row(info: Info, team_id: int | None) -> m.Team | None:
    """A team's row by id (None for no id or a missing row), from the team table read once a request."""
    if team_id is None:
        return None
    return (await info.context.loaders(queries.team_table).load(None)).get(team_id)


async def load_team_rows(info: Info, team_ids) -> list[m.Team | None]:
    teams = await info.context.loaders(queries.team_table).load(None)
    return [teams.get(i) for i in team_ids]


async def load_person(info: Info, person_id: int | None) -> Person | None:
    """A person by id through the request's loader (None for no id or a missing row)."""
    if person_id is None:
        return None
    row = await info.context.loaders(queries.people_by_ids).load(person_id)
    return Person.from_model(row) if row else None


def _can_see_token(principal: rules.Principal, token: m.ApiToken) -> bool:
    return access.token_refusal(principal, token.id, token.person_id, token.created_by_token_id) is None


@strawberry.type(description="An API token (its secret is never shown again after creation).")
class ApiToken(relay.Node):
    id: relay.NodeID[int]
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description=(
        "When a request last used it, to within a few minutes (it is not written on every request)."))
    export_only: bool = strawberry.field(description="A read-only export token (CSV exports and GraphQL reads).")
    person_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, t: m.ApiToken) -> "ApiToken":
        return cls(id=t.id, name=t.name, role=t.role, created_at=t.created_at, expires_at=t.expires_at,
                   revoked_at=t.revoked_at, last_used_at=t.last_used_at, export_only=bool(t.export_only),
                   person_id=t.person_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, queries.tokens_by_ids, node_ids, cls.from_model, _can_see_token)

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A leader's sign-off of an ended period for one side; both sides' sign-offs close it.")
class PeriodCloseSignOff:
    side: SignOffSide
    at: datetime
    person_id: strawberry.Private[int]

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)


@strawberry.type(description="A fiscal quarter, keyed like 2026-Q4; bounds are [start, end). Wherever a period is "
                              "asked for, \"current\", \"previous\" and \"next\" may be written instead of a key; "
                              "`key` is always the quarter's own key.")
class Period:
    key: str
    start: datetime
    end: datetime
    status: PeriodStatus
    is_current: bool = strawberry.field(description="Whether the service clock is in this quarter (as of the start "
                                                    "of the request): the period that \"current\" names.")

    @classmethod
    def from_view(cls, v: PeriodView | m.Period) -> "Period":
        return cls(key=v.key, start=v.start, end=v.end, status=v.status, is_current=is_current(v.key))

    @strawberry.field(description="Sign-offs of the close so far (dropped when the period is reopened), oldest "
                                  "first.")
    async def close_sign_offs(self, info: Info) -> list[PeriodCloseSignOff]:
        rows = await info.context.loaders(queries.close_sign_offs_by_period_keys).load(self.key)
        return [PeriodCloseSignOff(side=period_access.SignOffSide(r.side), at=r.at, person_id=r.person_id)
                for r in rows]

    @strawberry.field(description="What the viewer may do to this period now (the rules periodClose, "
                                  "periodCloseSignOff and periodReopen apply).")
    async def viewer_can(self, info: Info) -> PeriodViewerCan:
        viewer = info.context.viewer
        signed = await info.context.loaders(queries.close_sign_offs_by_period_keys).load(self.key)
        can = period_access.period_abilities(
            viewer.role, viewer.team_function, viewer.read_only,
            period_access.PeriodBounds(self.key, self.start, self.end), clock.now(),
            self.status is PeriodStatus.CLOSED, [period_access.SignOffSide(r.side) for r in signed])
        return PeriodViewerCan(close=can.close, sign_off=can.sign_off, reopen=can.reopen)


@strawberry.type(description="What the viewer may do to a period now: a front end hides what the API would refuse.")
class PeriodViewerCan:
    close: bool = strawberry.field(description="periodClose.")
    sign_off: bool = strawberry.field(description="periodCloseSignOff, for the viewer's side.")
    reopen: bool = strawberry.field(description="periodReopen.")


@strawberry.type(description="Who is asking.")
class Viewer:
    name: str
    role: Role
    person_id: strawberry.Private[int | None]
    token_id: strawberry.Private[int | None]

    @strawberry.field(description="The person the token acts as; null for a service token.")
    async def person(self, info: Info) -> Person | None:
        return await load_person(info, self.person_id)

    @strawberry.field(description="The token of this request.")
    async def token(self, info: Info) -> ApiToken | None:
        if self.token_id is None:
            return None
        row = await info.context.loaders(queries.tokens_by_ids).load(self.token_id)
        return ApiToken.from_model(row) if row else None
