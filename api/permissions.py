"""Who may ask what: strawberry permission classes, put on fields (``permission_classes=``).

A refused call gets a ``FORBIDDEN`` error (:class:`~api.errors.Forbidden`) before its resolver
runs, and no data. Jurisdiction is not a permission: every read is filtered to it in Cypher
(see :mod:`api.graph`).
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from api.errors import Forbidden

STEWARD_ROLES = frozenset({"steward", "admin"})
SUBMITTER_ROLES = frozenset({"department_app", "admin"})
INVESTIGATOR_ROLES = frozenset({"investigator", "admin"})


class StewardsOnly(BasePermission):
    """The review queue, the decision history and decisions: stewards and admins."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        role = info.context.caller.role
        if role not in STEWARD_ROLES:
            raise Forbidden(f"role {role} may not review or decide; stewards and admins may")
        return True


class SubmittersOnly(BasePermission):
    """Real-time submission: department apps (to their own department's sources, checked by
    :func:`api.submission.check_department`) and admins."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        role = info.context.caller.role
        if role not in SUBMITTER_ROLES:
            raise Forbidden(f"role {role} may not submit records; department apps and admins may")
        return True


class InvestigatorsOnly(BasePermission):
    """The investigators' queries: investigators and admins. Every call, refused or not, puts
    its arguments into the request's audit line."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ctx = info.context
        ctx.audit.arguments[info.field_name] = {
            to_camel_case(name): _audited(value) for name, value in kwargs.items()
        }
        if ctx.caller.role not in INVESTIGATOR_ROLES:
            raise Forbidden(
                f"{info.field_name} is open to investigators and admins, not to {ctx.caller.role}"
            )
        return True


def _audited(value: Any) -> Any:
    """An argument as the audit line shows it: enums by value, dates as ISO text."""
    if isinstance(value, list):
        return [_audited(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value
