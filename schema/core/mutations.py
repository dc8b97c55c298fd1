"""Running a use case for a mutation: DomainError becomes the payload's userErrors."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.errors import DomainError
from schema.core.errors import user_errors

P = TypeVar("P")


async def payload(payload_cls: type[P], field: str, use_case: Callable[[], Awaitable[Any]],
                  convert: Callable[[Any], Any]) -> P:
    """Run `use_case`; on success put `convert(result)` in `field`, on a business error fill userErrors."""
    try:
        result = await use_case()
    except DomainError as error:
        return payload_cls(**{field: None, "user_errors": user_errors(error)})
    return payload_cls(**{field: convert(result), "user_errors": []})
