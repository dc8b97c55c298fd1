"""Root query fields of the shared goals."""
from __future__ import annotations

import strawberry

from domain.errors import DomainError
from domain.goals import metrics, queries
from domain.org.models import Period as PeriodRow
from domain.org.service import parse_key
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.core.pagination import Connection, connection, page_request
from schema.goals.types import MetricInfo, Objective


@strawberry.type
class GoalsQuery:
    @strawberry.field(description="The objectives of a period, optionally of one owner team.")
    async def objectives(self, info: Info, period: str, team_id: strawberry.ID | None = None,
                         include_archived: bool = False, first: int = 20,
                         after: str | None = None) -> Connection[Objective]:
        page = page_request(first, after)
        try:
            key = parse_key(period, "period").key
            team_pk = decode_id(team_id, "Team", "teamId") if team_id is not None else None
        except DomainError as e:
            raise client_error(e) from None
        stored = await PeriodRow.get_or_none(key=key)
        paged = await queries.objectives_page(stored.id if stored else None, page, team_pk,
                                                       include_archived)
        return connection(paged.rows, paged.has_next, page, Objective.from_model, count=paged.count)

    @strawberry.field(description="The figures METRIC key results can follow, and which have data here.")
    def key_result_metrics(self) -> list[MetricInfo]:
        out = []
        for name in metrics.MetricName:
            metric = metrics.get(name)
            out.append(MetricInfo(name=name, unit=metric.unit if metric else None,
                                  description=metric.description if metric else "no data source yet",
                                  available=metric is not None))
        return out
