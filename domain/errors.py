"""Business errors: raised by services, shown to clients as `userErrors`."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ErrorCode(str, Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    PERIOD_CLOSED = "PERIOD_CLOSED"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] = ()


@dataclass
class DomainError(Exception):
    """One or more problems with a request; nothing has been written when it is raised."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, code: ErrorCode, message: str, *field_path: str) -> "DomainError":
        return cls([Problem(code, message, tuple(field_path))])


def invalid(message: str, *field_path: str) -> DomainError:
    return DomainError.one(ErrorCode.INVALID, message, *field_path)


def not_found(message: str, *field_path: str) -> DomainError:
    return DomainError.one(ErrorCode.NOT_FOUND, message, *field_path)


def forbidden(message: str, *field_path: str) -> DomainError:
    return DomainError.one(ErrorCode.FORBIDDEN, message, *field_path)


class Problems:
    """Collects problems so a request reports all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: ErrorCode, message: str, *field_path: str) -> None:
        self.items.append(Problem(code, message, tuple(field_path)))

    def raise_if_any(self) -> None:
        if self.items:
            raise DomainError(list(self.items))
