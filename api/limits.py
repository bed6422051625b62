"""A query-cost limit: how many objects a query may ask the graph for, at most.

A connection (a field with ``first``) costs ``first`` per parent (the configured maximum page
size when ``first`` is a variable, the default page size when it is omitted) and multiplies
every connection selected below it; other fields cost nothing. So
``searchPeople(first: 50) { edges { node { spouses(first: 10) { … } } } }`` costs
50 + 50 × 10 = 550. Queries over ``max_cost`` are rejected before they run.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_composite_type,
)


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
