"""Errors of the resolution layer: one root, and errors that list every problem at once."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class ResolutionError(Exception):
    """Root of every error raised by :mod:`resolution`."""


class UnknownEntity(ResolutionError, ValueError):
    """An entity type that is not one of the known ones (it would become part of a table name)."""

    def __init__(self, entity: str, known: Iterable[str]) -> None:
        self.entity = entity
        self.known = tuple(known)
        super().__init__(f"unknown entity type {entity!r}; expected one of {', '.join(self.known)}")


class MissingTable(ResolutionError):
    """A stage's input table does not exist yet: the stage that produces it has not run."""

    def __init__(self, table: str, produced_by: str) -> None:
        self.table = table
        self.produced_by = produced_by
        super().__init__(f"table {table!r} does not exist; it is produced by {produced_by}")


class ConflictingDecisions(ResolutionError):
    """Steward must-link decisions join mentions that a cannot-link decision keeps apart."""

    def __init__(self, entity: str, pairs: Iterable[tuple[str, str]]) -> None:
        self.entity = entity
        self.pairs = list(pairs)
        listing = "; ".join(f"{left} / {right}" for left, right in self.pairs)
        super().__init__(
            f"{entity}: must-link decisions join {len(self.pairs)} cannot-link pair(s): {listing}"
        )


class RulesError(ResolutionError):
    """The survivorship rules are wrong; ``problems`` holds every problem found."""

    def __init__(self, problems: list[str], path: Path | str | None = None) -> None:
        self.problems = problems
        self.path = path
        listing = "\n".join(f"  - {problem}" for problem in problems)
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{len(problems)} problem(s) in the survivorship rules:\n{listing}")


class ModelSpecError(ResolutionError):
    """A model file is wrong; ``problems`` holds every problem found, each naming its place."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the model:\n{listing}")
