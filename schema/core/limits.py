"""Abuse limits on GraphQL documents: depth, aliases, tokens and estimated cost.

Every refusal is an error with `extensions.code = LIMIT_EXCEEDED`, before any resolver runs. Depth and aliases
are validation rules (strawberry's, wrapped so their errors carry the code), tokens are counted by the parser
(strawberry's MaxTokensLimiter), and the cost is estimated once the document is valid and the variables are
known (validation rules see no variables, and the validation cache is keyed by the document alone).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    SelectionSetNode,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.language import DocumentNode
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast, value_from_ast
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from domain.paging import MAX_PAGE
from schema.core import costs

LIMIT_EXCEEDED = "LIMIT_EXCEEDED"

# A list field without `first` is assumed to return this many items when estimating a query's cost.
DEFAULT_LIST_SIZE = 10


@dataclass(frozen=True)
class GraphQLLimits:
    """The limits of one schema; the defaults are those of the settings (`SHAREDGOALS_MAX_*`)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    max_cost: int = 50_000
    max_batch: int = 10
    default_list_size: int = DEFAULT_LIST_SIZE
    max_page_size: int = MAX_PAGE


def _coded(error: GraphQLError) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": LIMIT_EXCEEDED}
    return error


def _with_code(rule: type[ValidationRule]) -> type[ValidationRule]:
    """A rule that runs `rule` (one that checks the whole document when created) and codes its errors."""

    class CodedRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            rule(ValidationContext(context.schema, context.document, TypeInfo(context.schema),
                                   lambda error: context.report_error(_coded(error))))

    CodedRule.__name__ = CodedRule.__qualname__ = f"Coded{rule.__name__}"
    return CodedRule


class TokenLimit(MaxTokensLimiter):
    """strawberry's token limit (the parser stops after `max_token_count` tokens), its error coded."""

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_token_count
        try:
            yield
        except GraphQLSyntaxError as error:  # raised through the parser cache's hook
            self._code(error)
            raise
        for error in self.execution_context.pre_execution_errors or ():
            self._code(error)

    def _code(self, error: GraphQLError) -> None:
        if isinstance(error, GraphQLSyntaxError) and "Document contains more than" in error.message:
            _coded(error)


class CostRefused(Exception):
    """An operation refused while its cost is estimated (a list argument above its limit)."""

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


def estimate_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None,
                  variables: Mapping[str, Any] | None = None, *, default_list_size: int = DEFAULT_LIST_SIZE,
                  max_page_size: int = MAX_PAGE) -> int:
    """What an operation may cost: each field its own cost (1, or its entry in `schema/core/costs.py`'s table, a
    function of its arguments), plus its subtree counted `first` times under a field with that argument (the literal, else the variable, else the argument's default, else the largest page), under any
    other list field as many times as the table says, else the length of its list argument (`nodes(ids:)`), else
    `default_list_size` times. The `edges` and `nodes` of a paged field are not counted again. Introspection
    fields cost nothing. A list argument above its limit in the table raises CostRefused. Expects a valid
    document."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    variables = variables or {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    variable_defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
    memo: dict[tuple[str, bool], int] = {}

    def argument_values(node: FieldNode, field: Any) -> dict[str, Any]:
        given = {a.name.value: a.value for a in node.arguments or ()}
        values: dict[str, Any] = {}
        for name, argument in field.args.items():
            value_node = given.get(name)
            try:
                if value_node is None:
                    value = argument.default_value
                elif isinstance(value_node, VariableNode):
                    variable = value_node.name.value
                    if variable in variables:
                        value = variables[variable]
                    elif variable_defaults.get(variable) is not None:
                        value = value_from_ast(variable_defaults[variable], argument.type)
                    else:
                        value = None
                else:
                    value = value_from_ast(value_node, argument.type, variables)
            except Exception:  # noqa: BLE001  (a value execution refuses anyway: it costs as unknown)
                value = None
            values[name] = None if value is Undefined else value
        return values

    def page_size(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            return max_page_size
        return max(0, min(value, max_page_size))

    def field_cost(node: FieldNode, parent: Any, in_page: bool) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        field = getattr(parent, "fields", {}).get(name)
        if field is None:
            return 1
        entry = costs.field_cost(parent.name, name)
        arguments = argument_values(node, field) if field.args else {}
        for argument, most in (entry.max_items or {}).items():
            value = arguments.get(argument)
            if isinstance(value, (list, tuple)) and len(value) > most:
                raise CostRefused(f"`{name}` takes at most {most} items in `{argument}` ({len(value)} given): "
                                  "ask in several operations.", field=name, argument=argument, maxItems=most,
                                  given=len(value))
        own = entry.of(arguments)
        if node.selection_set is None:
            return own
        multiplier, child_in_page = 1, False
        is_list = is_list_type(get_nullable_type(field.type))
        if "first" in field.args:
            multiplier, child_in_page = page_size(arguments.get("first")), True
        elif is_list and not (in_page and name in ("edges", "nodes")):
            items = entry.items(arguments)
            if items is None:
                items = next((len(v) for v in arguments.values() if isinstance(v, (list, tuple))), None)
            multiplier = default_list_size if items is None else items
        return own + multiplier * selections_cost(node.selection_set, get_named_type(field.type), child_in_page)

    def selections_cost(selection_set: SelectionSetNode, parent: Any, in_page: bool) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += field_cost(selection, parent, in_page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += selections_cost(selection.selection_set,
                                         schema.get_type(condition.name.value) if condition else parent, in_page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None:
                    continue
                if (name, in_page) not in memo:  # also keeps fragments spread many times linear
                    memo[(name, in_page)] = 0  # a cycle (refused by validation anyway) costs nothing more
                    memo[(name, in_page)] = selections_cost(
                        fragment.selection_set, schema.get_type(fragment.type_condition.name.value), in_page)
                total += memo[(name, in_page)]
        return total

    return selections_cost(operation.selection_set, root, False)


RATE_LIMITED = "RATE_LIMITED"


def _allowance(context: Any):
    """The request's share of its token's cost budget (put in the ASGI scope by the API's rate limit), if any."""
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None) or {}
    return (scope.get("state") or {}).get("cost_allowance") if scope.get("type") == "http" else None


class CostLimit(SchemaExtension):
    """Refuses an operation whose estimated cost is above `max_cost`, before it runs; then spends that cost from the
    token's budget of the minute (refused with RATE_LIMITED, HTTP 429 and Retry-After when it does not fit) and
    answers what it spent and what is left as `extensions.rateLimit` (like GitHub's `rateLimit`)."""

    def __init__(self, limits: GraphQLLimits) -> None:
        self.limits = limits
        self.receipt = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None:  # not refused already
            context.result = self._check(context)
        yield

    def _check(self, context) -> ExecutionResult | None:
        try:
            cost = estimate_cost(context.schema._schema, context.graphql_document, context.operation_name,
                                 context.variables, default_list_size=self.limits.default_list_size,
                                 max_page_size=self.limits.max_page_size)
        except CostRefused as refused:
            return ExecutionResult(data=None, errors=[GraphQLError(
                refused.message, extensions={"code": LIMIT_EXCEEDED, **refused.extensions})])
        if cost > self.limits.max_cost:
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"This operation may cost {cost}, above the limit of {self.limits.max_cost}: ask for "
                "smaller pages (`first`) or fewer nested lists, or split it.",
                extensions={"code": LIMIT_EXCEEDED, "cost": cost, "maxCost": self.limits.max_cost})])
        allowance = _allowance(context.context)
        if allowance is None:
            return None
        self.receipt = receipt = allowance.spend(cost)
        if hasattr(context.context, "rate_limit"):
            context.context.rate_limit = receipt.as_json()
        if not receipt.refused:
            return None
        response = getattr(context.context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(receipt.retry_after)
        return ExecutionResult(data=None, errors=[GraphQLError(
            f"This operation may cost {cost}, more than the {receipt.remaining} left of this token's budget of "
            f"{receipt.limit} a minute: retry after {receipt.retry_after} s (resetAt is when it is full again).",
            extensions={"code": RATE_LIMITED, "retryAfter": receipt.retry_after, **receipt.as_json()})])

    def get_results(self) -> dict[str, Any]:
        return {"rateLimit": self.receipt.as_json()} if self.receipt is not None else {}


def limit_extensions(limits: GraphQLLimits, production: bool) -> list[Callable[[], SchemaExtension] | type]:
    """Extension factories for a schema (made once, so the validation cache sees the same rule classes)."""
    rules = [_with_code(max_depth_rule(limits.max_depth, None)), _with_code(max_aliases_rule(limits.max_aliases))]
    extensions: list[Callable[[], SchemaExtension] | type] = [
        lambda: TokenLimit(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: CostLimit(limits),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return extensions


_SUGGESTION = re.compile(r"\s*Did you mean .*\Z", re.DOTALL)


def strip_suggestions(errors: list[GraphQLError]) -> None:
    """Removes graphql-core's "Did you mean ...?" hints (fields, arguments, types, enum values) from messages."""
    for error in errors:
        if "Did you mean" in error.message:
            error.message = _SUGGESTION.sub("", error.message)
