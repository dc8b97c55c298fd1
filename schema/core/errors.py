"""User errors on mutation payloads, and client errors for queries."""
from __future__ import annotations

from enum import Enum

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError, ErrorCode


@strawberry.enum(description="Why a request was refused.")
class UserErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    PERIOD_CLOSED = "PERIOD_CLOSED"


assert {c.value for c in UserErrorCode} == {c.value for c in ErrorCode}


@strawberry.type(description="A business reason a mutation changed nothing.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path to the input field at fault, from `input`.")
    message: str
    code: UserErrorCode


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(field=["input", *p.field] if p.field else None, message=p.message, code=UserErrorCode(p.code.value))
        for p in error.problems
    ]


class ClientError(GraphQLError):
    """A refused query argument or access: shown to the client as is (never masked)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def client_error(error: DomainError) -> ClientError:
    problem = error.problems[0]
    return ClientError(problem.message, problem.code.value)
