"""The query limits beyond strawberry's own (depth, aliases, tokens): cost, input sizes, caches.

**Cost**: how many objects a query may ask the graph for, at most.

A connection (a field with ``first``) costs ``first`` per parent (the configured maximum page
size when ``first`` is a variable, the default page size when it is omitted) and multiplies
every connection selected below it; other fields cost nothing. So
``searchPeople(first: 50) { edges { node { spouses(first: 10) { … } } } }`` costs
50 + 50 × 10 = 550. Queries over ``max_cost`` are rejected before they run.

**Input sizes**: no string argument or variable longer than ``max_string_length`` characters,
no list longer than ``max_list_length`` items (:func:`input_size_rule` for literals in the
document, :class:`VariableLimits` for variables); the error quotes an excerpt only.

**Caches**: the parse and validation caches keep small documents only
(:data:`CACHED_DOCUMENT_CHARS`), so a few large queries cannot pin much memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_composite_type,
)
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from api.errors import BadRequest, excerpt

CACHED_DOCUMENT_CHARS = 16_384
"""Queries longer than this are parsed and validated afresh each time, never cached."""


def cost_limit_rule(max_cost: int, default_page: int, max_page: int) -> type[ValidationRule]:
    """A validation rule class rejecting operations that cost more than ``max_cost``."""

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            if root is None:
                return
            cost = self._cost(node.selection_set, root, 1, set())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost} (each connection "
                        "multiplies what is selected below it by its page size)",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost},
                    )
                )

        def _cost(
            self,
            selection_set: SelectionSetNode | None,
            parent,
            multiplier: int,
            fragments_seen: set[str],
        ) -> int:
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self._field_cost(selection, parent, multiplier, fragments_seen)
                elif isinstance(selection, InlineFragmentNode):
                    target = parent
                    if selection.type_condition is not None:
                        target = self.context.schema.get_type(selection.type_condition.name.value)
                    total += self._cost(selection.selection_set, target, multiplier, fragments_seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is None or name in fragments_seen:
                        continue
                    target = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(
                        fragment.selection_set, target, multiplier, fragments_seen | {name}
                    )
            return total

        def _field_cost(self, field: FieldNode, parent, multiplier: int, seen: set[str]) -> int:
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                return 0
            definition = parent.fields.get(field.name.value)
            if definition is None:
                return 0
            named = get_named_type(definition.type)
            if not is_composite_type(named):
                return 0
            if "first" not in definition.args:
                return self._cost(field.selection_set, named, multiplier, seen)
            size = default_page
            for argument in field.arguments or ():
                if argument.name.value == "first":
                    value = argument.value
                    size = int(value.value) if isinstance(value, IntValueNode) else max_page
            inner = multiplier * max(size, 1)
            return inner + self._cost(field.selection_set, named, inner, seen)

    return CostLimit


def _too_long(length: int, limit: int, what: str, sample: Any) -> str:
    return f"{what} of {length:,} is over the limit of {limit:,}: {excerpt(sample)!r}"


def input_size_rule(max_string: int, max_list: int) -> type[ValidationRule]:
    """A validation rule class rejecting string literals over ``max_string`` characters and
    list literals over ``max_list`` items (code ``BAD_USER_INPUT``)."""

    class InputSize(ValidationRule):
        def enter_string_value(self, node: StringValueNode, *_args) -> None:
            if len(node.value) > max_string:
                message = _too_long(len(node.value), max_string, "a string argument", node.value)
                self.report_error(GraphQLError(message, node, extensions=_BAD_INPUT))

        def enter_list_value(self, node: ListValueNode, *_args) -> None:
            if len(node.values) > max_list:
                message = f"a list argument of {len(node.values):,} items is over the limit of "
                self.report_error(
                    GraphQLError(f"{message}{max_list:,}", node, extensions=_BAD_INPUT)
                )

    return InputSize


_BAD_INPUT = {"code": BadRequest.code}


def oversized(value: Any, max_string: int, max_list: int, where: str) -> str | None:
    """Why a variable's value is too large (the first oversized part), or None."""
    if isinstance(value, str):
        if len(value) > max_string:
            return _too_long(len(value), max_string, f"{where}: a string", value)
        return None
    if isinstance(value, list | tuple):
        if len(value) > max_list:
            return f"{where}: a list of {len(value):,} items is over the limit of {max_list:,}"
        items = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        return None
    for key, item in items:
        problem = oversized(item, max_string, max_list, f"{where}.{key}")
        if problem:
            return problem
    return None


class VariableLimits(SchemaExtension):
    """Rejects operations whose variables hold an oversized string or list, before they are
    coerced (so no error ever echoes them whole). Runs after :class:`ValidationCache`."""

    def __init__(self, max_string: int, max_list: int) -> None:
        super().__init__()
        self.max_string = max_string
        self.max_list = max_list

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        for name, value in (context.variables or {}).items():
            problem = oversized(value, self.max_string, self.max_list, f"variable ${name}")
            if problem:
                error = GraphQLError(problem, extensions=_BAD_INPUT)
                context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
                break
        yield


def _large(context) -> bool:
    return len(context.query or "") > CACHED_DOCUMENT_CHARS


class SmallDocumentParserCache(ParserCache):
    """strawberry's parser cache, skipped for documents over :data:`CACHED_DOCUMENT_CHARS`."""

    def on_parse(self) -> Iterator[None]:
        if _large(self.execution_context):
            yield  # strawberry parses it, uncached
            return
        yield from super().on_parse()


class SmallDocumentValidationCache(ValidationCache):
    """strawberry's validation cache, skipped for documents over
    :data:`CACHED_DOCUMENT_CHARS`."""

    def on_validate(self) -> Iterator[None]:
        if _large(self.execution_context):
            yield  # strawberry validates it, uncached
            return
        yield from super().on_validate()
