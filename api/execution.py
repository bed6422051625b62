"""GraphQL execution without per-field machinery for objects that are nothing but plain values.

graphql-core completes every field of every object on its own: a response path, a resolve
info, the resolver, then completion (null checks, list and leaf handling). A page of the change
feed or of the review queue is mostly objects whose selected fields are all *plain leaves*:
scalars and enums read from an attribute by strawberry's default resolver, with no arguments,
permission or extension. For such an object :class:`PlainLeavesExecutionContext` reads each
attribute through the field's own resolver and coerces it with the field's own type, as
graphql-core would, and nothing else. Whatever is not ordinary — a null in a non-null field, a
value the type refuses, an awaitable — goes back to graphql-core's path for the whole object,
which reports it where the standard executor reports it; the plain path has no side effects to
undo (default resolvers only read attributes).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLObjectType,
    TypeNameMetaFieldDef,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_TYPENAME = object()
"""A plan entry's resolver for ``__typename``: the parent type's name."""


class _NotPlain(Exception):
    """A value the plain path does not complete: graphql-core's path takes the object."""


class PlainLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain-leaf objects in one loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[Any, list[tuple] | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, grouped_field_set)
        if plan is not None:
            try:
                return _complete_plain(plan, parent_type, source_value, self.is_awaitable)
            except _NotPlain:
                pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _wrapped(self, resolve: Any) -> bool:
        """Whether middleware (an extension's ``resolve`` hook) wraps this resolver."""
        manager = self.middleware_manager
        return manager is not None and manager.get_field_resolver(resolve) is not resolve

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[tuple] | None:
        """``(response name, resolver, leaf type, non-null)`` per field when every field of the
        set is a plain leaf, else None; computed once per selection set and type (the set is
        kept with its plan, so its id cannot be reused while the plan is cached)."""
        key = (parent_type.name, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan: list[tuple] | None = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            if node.name.value == "__typename":
                plan.append((response_name, _TYPENAME, None, True))
                continue
            field = self.schema.get_field(parent_type, node.name.value)
            leaf = field.type if field is not None else None
            if (
                field is None
                or field is TypeNameMetaFieldDef
                or not getattr(field.resolve, "_is_default", False)
                or self._wrapped(field.resolve)
                or field.args
                or any(d.node.arguments or d.fragment_variable_values for d in details)
                or not is_leaf_type(get_nullable_type(leaf))
            ):
                plan = None
                break
            plan.append(
                (response_name, field.resolve, get_nullable_type(leaf), is_non_null_type(leaf))
            )
        self._plans[key] = (grouped_field_set, plan)
        return plan


def _complete_plain(
    plan: list[tuple], parent_type: GraphQLObjectType, source: Any, is_awaitable: Any
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for response_name, resolve, leaf, non_null in plan:
        if resolve is _TYPENAME:
            results[response_name] = parent_type.name
            continue
        value = resolve(source, None)
        if value is None:
            if non_null:
                raise _NotPlain
            results[response_name] = None
            continue
        if isinstance(value, Exception) or is_awaitable(value):
            raise _NotPlain
        try:
            coerced = leaf.coerce_output_value(value)
        except Exception as error:
            raise _NotPlain from error
        if coerced is None or coerced is Undefined:
            raise _NotPlain
        results[response_name] = coerced
    return results
