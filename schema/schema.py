"""The GraphQL schema: every area's root fields merged, with the extensions every request needs."""
from __future__ import annotations

import asyncio
import logging

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult

import domain.attribution.metrics  # noqa: F401  (registers the deal figures key results can follow)
import domain.leads.metrics  # noqa: F401  (registers the lead figures key results can follow)
from schema.attribution.mutations import AttributionMutation
from schema.attribution.queries import AttributionQuery
from schema.audit.queries import AuditQuery
from schema.closing.mutations import ClosingMutation
from schema.closing.queries import ClosingQuery
from schema.comp.mutations import CompMutation
from schema.comp.queries import CompQuery
from schema.contribution.queries import ContributionQuery
from schema.core.extensions import (
    MaskUnexpectedErrors, RefuseNulCharacters, RefuseSubscriptionsOverHttp, RequireAuthentication, code_unavailable,
    ensure_code, is_unexpected,
)
from schema.core.limits import GraphQLLimits, limit_extensions, strip_suggestions
from schema.core.scalars import SCALAR_MAP
from schema.goals.mutations import GoalsMutation
from schema.goals.queries import GoalsQuery
from schema.goals.subscriptions import GoalsSubscription
from schema.leads.imports import ImportMutation
from schema.leads.mutations import LeadsMutation
from schema.leads.queries import LeadsQuery
from schema.leads.sla import SlaMutation, SlaQuery
from schema.org.mutations import OrgMutation
from schema.org.queries import OrgQuery

log = logging.getLogger("sharedgoals.graphql")


def _query_type() -> type:
    # Made anew for each schema: relay's node field binds its resolver when a schema is built.
    @strawberry.type(name="Query")
    class Query(OrgQuery, GoalsQuery, LeadsQuery, SlaQuery, AttributionQuery, CompQuery, ContributionQuery, AuditQuery,
                ClosingQuery):
        node: relay.Node | None = relay.node(description="Any record by its global id.")
        nodes: list[relay.Node | None] = relay.node(description="Records by their global ids, in order.")
    return Query


@strawberry.type
class Mutation(OrgMutation, GoalsMutation, LeadsMutation, SlaMutation, ImportMutation, AttributionMutation, CompMutation,
               ClosingMutation):
    pass


@strawberry.type
class Subscription(GoalsSubscription):
    pass


TIMEOUT = "TIMEOUT"


class SharedGoalsSchema(strawberry.Schema):
    """The schema, with a time budget on every query and mutation: past `operation_timeout` seconds the operation is
    cancelled (its DataLoader batches too) and answers one TIMEOUT error. A cancellation from outside (the client
    hung up) ends the batches the same way."""

    operation_timeout: float | None = None

    async def execute(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                      allowed_operation_types=None, operation_extensions=None) -> ExecutionResult:
        run = super().execute(query, variable_values, context_value, root_value, operation_name,
                              allowed_operation_types, operation_extensions)
        loaders = getattr(context_value, "loaders", None)
        try:
            if not self.operation_timeout:
                return await run
            return await asyncio.wait_for(run, self.operation_timeout)
        except TimeoutError:
            if loaders is not None:
                loaders.cancel()
            seconds = self.operation_timeout
            log.warning("operation stopped after its time budget of %s s (request id %s)", seconds,
                        getattr(context_value, "request_id", None))
            rate_limit = getattr(context_value, "rate_limit", None)
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"The operation ran out of its time budget of {seconds:g} s and was stopped: ask for less (fewer "
                "models, a smaller page, fewer figures) or split it.",
                extensions={"code": TIMEOUT, "timeoutSeconds": seconds})],
                extensions={"rateLimit": rate_limit} if rate_limit else None)
        except asyncio.CancelledError:
            if loaders is not None:
                loaders.cancel()
            raise

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        # Client errors are answers, not incidents: log only what the client did not cause.
        if self.config.disable_field_suggestions:  # production: no schema hints in any message
            strip_suggestions(errors)
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        client_id = getattr(context, "client_request_id", None)
        for error in errors:
            if code_unavailable(error):
                log.warning("database unavailable (request id %s): %s", request_id, error.original_error)
            elif is_unexpected(error) and not getattr(error, "_sharedgoals_logged", False):
                log.error("unexpected error (request id %s%s)", request_id,
                          f", client's request id {client_id!r}" if client_id else "", exc_info=error.original_error)
                error._sharedgoals_logged = True
            ensure_code(error)


def build_schema(production: bool = False, limits: GraphQLLimits | None = None,
                 operation_timeout: float | None = None) -> strawberry.Schema:
    limits = limits or GraphQLLimits()
    # Factories: a fresh extension per request (the parse and validation caches are shared module-wide).
    extensions = [RequireAuthentication, RefuseSubscriptionsOverHttp, RefuseNulCharacters, *limit_extensions(limits, production),
                  lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)]
    if production:
        extensions.append(MaskUnexpectedErrors)
    schema = SharedGoalsSchema(
        query=_query_type(),
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP, disable_field_suggestions=production,
                                batching_config={"max_operations": limits.max_batch}),
    )
    schema.operation_timeout = operation_timeout
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
