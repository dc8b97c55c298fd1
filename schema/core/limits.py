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
    IntValueNode,
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
from graphql.utilities import get_operation_ast
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from domain.paging import MAX_PAGE

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


def estimate_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None,
                  variables: Mapping[str, Any] | None = None, *, default_list_size: int = DEFAULT_LIST_SIZE,
                  max_page_size: int = MAX_PAGE) -> int:
    """What an operation may cost: 1 a field, a subtree counted `first` times under a field with a `first`
    argument (the literal, else the variable, else the argument's default, else the largest page), and
    `default_list_size` times under any other list field. The `edges` and `nodes` of a paged field are not
    counted again. Introspection fields cost nothing. Expects a valid document."""
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

    def page_size(node: FieldNode, argument: Any) -> int:
        value: Any = Undefined
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(given, IntValueNode):
            value = int(given.value)
        elif isinstance(given, VariableNode):
            name = given.name.value
            if name in variables:
                value = variables[name]
            elif isinstance(variable_defaults.get(name), IntValueNode):
                value = int(variable_defaults[name].value)
        elif given is None:
            value = argument.default_value
        if not isinstance(value, int) or isinstance(value, bool):
            return max_page_size
        return max(0, min(value, max_page_size))

    def field_cost(node: FieldNode, parent: Any, in_page: bool) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        field = getattr(parent, "fields", {}).get(name)
        if field is None or node.selection_set is None:
            return 1
        multiplier, child_in_page = 1, False
        if "first" in field.args:
            multiplier, child_in_page = page_size(node, field.args["first"]), True
        elif is_list_type(get_nullable_type(field.type)) and not (in_page and name in ("edges", "nodes")):
            multiplier = default_list_size
        return 1 + multiplier * selections_cost(node.selection_set, get_named_type(field.type), child_in_page)

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


class CostLimit(SchemaExtension):
    """Refuses an operation whose estimated cost is above `max_cost`, before it runs."""

    def __init__(self, limits: GraphQLLimits) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None:  # not refused already
            cost = estimate_cost(context.schema._schema, context.graphql_document, context.operation_name,
                                 context.variables, default_list_size=self.limits.default_list_size,
                                 max_page_size=self.limits.max_page_size)
            if cost > self.limits.max_cost:
                context.result = ExecutionResult(data=None, errors=[GraphQLError(
                    f"This operation may cost {cost}, above the limit of {self.limits.max_cost}: ask for "
                    "smaller pages (`first`) or fewer nested lists, or split it.",
                    extensions={"code": LIMIT_EXCEEDED, "cost": cost, "maxCost": self.limits.max_cost})])
        yield


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
