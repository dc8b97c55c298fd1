"""Permission classes: who may call a field. Refusals carry `extensions.code` FORBIDDEN."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.permission import BasePermission

from domain.access import rules as access
from domain.org.rules import Principal, Role


class _RolePermission(BasePermission):
    roles: frozenset[Role] = frozenset()
    message = "Your role may not do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.role in self.roles


def role_in(*roles: Role) -> type[BasePermission]:
    """A permission class that admits the given roles (one of the role sets of `domain.access.rules`)."""
    names = "/".join(r.value for r in roles)
    return type(f"RoleIn{''.join(r.value.title() for r in roles)}", (_RolePermission,), {
        "roles": frozenset(roles), "message": f"Only {names} may do this.",
    })


IsAdmin = role_in(*access.ADMINS)
EditsGoals = role_in(*access.GOAL_EDITORS)
SideLeaders = role_in(*access.SIDE_LEADERS)
WorksLeads = role_in(*access.LEAD_WORKERS)
SetsPay = role_in(*access.PAY_SETTERS)
ManagesPay = role_in(*access.PAY_MANAGERS)


def refused_unless(rule: Callable[[Principal], str | None], name: str) -> type[BasePermission]:
    """A permission class that asks a domain rule (`domain.access.rules`) whether the caller may call the field at
    all: for callers who may never do it, a top-level FORBIDDEN with the rule's words. Record-level refusals stay in
    the use case (FORBIDDEN in userErrors)."""
    message = rule(Principal(token_id=None, name="", role=Role.MEMBER)) or "You may not do this."

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and rule(principal) is None

    return type(name, (BasePermission,), {"message": message[0].upper() + message[1:] + ".",
                                           "error_extensions": {"code": "FORBIDDEN"},
                                           "has_permission": has_permission})


class IsAuthenticated(BasePermission):
    """For subscriptions, where the operation-wide check cannot stop the stream from starting."""

    message = "A valid API token is required: send it in the connection_init payload as Authorization."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class CanSeePay(BasePermission):
    """Pay and cost of a person: the person, leaders of their team, FINANCE and ADMIN.
    The source object provides `can_see_pay(principal)`."""

    message = "Pay and cost figures of this person are private."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and source.can_see_pay(principal)
