"""Mutations of the organisation: teams, people, tokens (only ADMIN manages people and teams)."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.org import service
from schema.core.context import Info
from domain.errors import DomainError
from schema.core.errors import UserError, user_errors
from schema.core.ids import decode_id
from schema.core.mutations import payload
from schema.core.permissions import IsAdmin
from schema.org.types import ApiToken, Person, Role, Team, TeamFunction


@strawberry.input
class TeamCreateInput:
    name: str
    function: TeamFunction


@strawberry.type
class TeamCreatePayload:
    team: Team | None
    user_errors: list[UserError]


@strawberry.input
class PersonCreateInput:
    name: str
    email: str
    team_id: strawberry.ID
    role: Role
    annual_cost: Decimal | None = None
    annual_quota: Decimal | None = None
    selling_hours_per_week: Decimal = Decimal("11")
    working_weeks_per_year: Decimal = Decimal("48")


@strawberry.input(description="Set only the fields to change; `active: false` deactivates (tokens stop working, history stays).")
class PersonUpdateInput:
    id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET
    annual_cost: Decimal | None = strawberry.UNSET
    annual_quota: Decimal | None = strawberry.UNSET
    selling_hours_per_week: Decimal | None = strawberry.UNSET
    working_weeks_per_year: Decimal | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class PersonPayload:
    person: Person | None
    user_errors: list[UserError]


@strawberry.input
class TokenRevokeInput:
    id: strawberry.ID


@strawberry.type
class TokenRevokePayload:
    token: ApiToken | None
    user_errors: list[UserError]


# Fields of PersonUpdateInput that cannot be cleared (null means "leave as is" for them too).
_REQUIRED_ON_UPDATE = ("name", "email", "team_id", "role", "selling_hours_per_week", "working_weeks_per_year")


def _person_changes(data: PersonUpdateInput) -> dict:
    changes = {}
    for name in ("name", "email", "role", "annual_cost", "annual_quota",
                 "selling_hours_per_week", "working_weeks_per_year"):
        value = getattr(data, name)
        if value is strawberry.UNSET or (value is None and name in _REQUIRED_ON_UPDATE):
            continue
        changes[name] = value
    if data.team_id not in (strawberry.UNSET, None):
        changes["team_id"] = decode_id(data.team_id, "Team", "teamId")
    return changes


@strawberry.input
class ExportTokenCreateInput:
    name: str | None = None
    expires_in_days: int = 7


@strawberry.type(description="The secret is shown once: use it as ?token= on /export/{report}.csv.")
class ExportTokenCreatePayload:
    token: ApiToken | None
    secret: str | None
    user_errors: list[UserError]


@strawberry.type
class OrgMutation:
    @strawberry.mutation(permission_classes=[IsAdmin], description="Add a team (ADMIN).")
    async def team_create(self, info: Info, input: TeamCreateInput) -> TeamCreatePayload | None:
        return await payload(TeamCreatePayload, "team",
                             lambda: service.create_team(info.context.viewer, input.name, input.function),
                             Team.from_model)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Add a person to a team (ADMIN).")
    async def person_create(self, info: Info, input: PersonCreateInput) -> PersonPayload | None:
        async def use_case():
            fields = service.PersonFields(
                name=input.name, email=input.email, team_id=decode_id(input.team_id, "Team", "teamId"),
                role=input.role, annual_cost=input.annual_cost, annual_quota=input.annual_quota,
                selling_hours_per_week=input.selling_hours_per_week,
                working_weeks_per_year=input.working_weeks_per_year)
            return await service.create_person(info.context.viewer, fields)
        return await payload(PersonPayload, "person", use_case, Person.from_model)

    @strawberry.mutation(permission_classes=[IsAdmin], description="Change or deactivate a person (ADMIN).")
    async def person_update(self, info: Info, input: PersonUpdateInput) -> PersonPayload | None:
        async def use_case():
            person_id = decode_id(input.id, "Person", "id")
            active = None if input.active in (strawberry.UNSET, None) else input.active
            return await service.update_person(info.context.viewer, person_id, _person_changes(input),
                                               expected_version=input.expected_version, active=active)
        return await payload(PersonPayload, "person", use_case, Person.from_model)

    @strawberry.mutation(description=(
        "A read-only, expiring token for spreadsheet tools (it may travel in `?token=`): it reads the CSV exports "
        "and GraphQL queries you may read, as you, and changes nothing."))
    async def export_token_create(self, info: Info, input: ExportTokenCreateInput) -> ExportTokenCreatePayload | None:
        try:
            secret, token = await service.create_export_token(info.context.viewer, input.name, input.expires_in_days)
        except DomainError as error:
            return ExportTokenCreatePayload(token=None, secret=None, user_errors=user_errors(error))
        return ExportTokenCreatePayload(token=ApiToken.from_model(token), secret=secret, user_errors=[])

    @strawberry.mutation(description="End a token at once: your own, or any token for ADMIN.")
    async def token_revoke(self, info: Info, input: TokenRevokeInput) -> TokenRevokePayload | None:
        return await payload(TokenRevokePayload, "token",
                             lambda: service.revoke_token(info.context.viewer, decode_id(input.id, "ApiToken", "id")),
                             ApiToken.from_model)
