"""Live updates of key results."""
from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain import events
from domain.errors import DomainError
from domain.goals import service
from schema.core.context import Info
from schema.core.errors import client_error
from schema.core.ids import decode_id
from schema.core.permissions import IsAuthenticated
from schema.goals.types import KeyResult


@strawberry.type
class GoalsSubscription:
    @strawberry.subscription(permission_classes=[IsAuthenticated],
                             description="A key result of this objective after each check-in or change.")
    async def key_result_updated(self, info: Info, objective_id: strawberry.ID) -> AsyncGenerator[KeyResult, None]:
        try:
            objective_pk = decode_id(objective_id, "Objective", "objectiveId")
            await service.get_live_objective(objective_pk)
        except DomainError as e:
            raise client_error(e) from None
        async for key_result_id in events.subscribe(events.objective_topic(objective_pk)):
            info.context.loaders = type(info.context.loaders)()  # fresh figures for each update
            yield KeyResult.from_model(await service.get_key_result(key_result_id))
