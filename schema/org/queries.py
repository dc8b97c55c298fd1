"""Root query fields of the organisation."""
from __future__ import annotations

import strawberry

from domain.errors import DomainError
from domain.org import queries, service
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.core.pagination import Connection, connection, page_request
from schema.org.types import ApiToken, Period, Person, Role, Team, Viewer


@strawberry.type
class OrgQuery:
    @strawberry.field(description="Who is asking.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.viewer
        return Viewer(name=p.name, role=p.role, person_id=p.person_id, token_id=p.token_id)

    @strawberry.field(description=(
        "The tokens you may see and revoke (with `tokenRevoke`): the tokens acting as you and the export tokens you "
        "made; every token for ADMIN. Newest first; secrets are never shown again."))
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        return [ApiToken.from_model(t) for t in await service.tokens_of(info.context.viewer)]

    @strawberry.field(description="All teams, by name.")
    async def teams(self, info: Info) -> list[Team]:
        return [Team.from_model(t) for t in await queries.all_teams()]

    @strawberry.field(description="People, in the order they were added.")
    async def people(self, info: Info, first: int = 20, after: str | None = None,
                     team_id: strawberry.ID | None = None, role: Role | None = None,
                     active: bool | None = None) -> Connection[Person]:
        page = page_request(first, after)
        try:
            team_pk = decode_id(team_id, "Team", "teamId") if team_id is not None else None
        except DomainError as e:
            raise client_error(e) from None
        paged = await queries.people_page(page, team_id=team_pk, role=role, active=active)
        return connection(paged.rows, paged.has_next, page, Person.from_model, count=paged.count)

    @strawberry.field(description="Periods in use plus the current one, newest first by start; `isCurrent` marks "
                                  "the current one.")
    async def periods(self, info: Info) -> list[Period]:
        return [Period.from_view(v) for v in await service.list_periods()]

    @strawberry.field(description="A fiscal quarter by key, e.g. \"2026-Q4\" (any well-formed key), or by name: "
                                  "\"current\", \"previous\" or \"next\" (against the service clock).")
    async def period(self, info: Info, key: str) -> Period:
        try:
            return Period.from_view(await service.get_period(key))
        except DomainError as e:
            raise client_error(e) from None

    @strawberry.field(description="The quarter the service clock is in: the same as `period(key: \"current\")`.")
    async def current_period(self, info: Info) -> Period:
        return Period.from_view(await service.current_period())
