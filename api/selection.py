"""What a GraphQL request selected below a field, so a resolver reads no more than it shows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection


def selected(root: Iterable[Selection], *path: str | tuple[str, ...]) -> set[str]:
    """GraphQL names of the fields selected at ``path`` below the resolver's own field
    (``info.selected_fields``): each step a field name or a tuple of names, fragments
    flattened. ``@include``/``@skip`` are not evaluated, so the set may hold more than the
    answer shows, never less."""
    level = [child for field in _fields(root) for child in field.selections]
    for step in path:
        names = step if isinstance(step, tuple) else (step,)
        level = [
            child for field in _fields(level) if field.name in names for child in field.selections
        ]
    return {field.name for field in _fields(level)}


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment, inline or spread
            yield from _fields(selection.selections)
