"""Errors of the ingest layer: one root, and a config error that lists every problem at once."""

from __future__ import annotations

from pathlib import Path


class LoaderError(Exception):
    """Root of every error raised by :mod:`loaders`."""


class ConfigError(LoaderError):
    """The sources file is wrong; ``problems`` holds every problem found, each naming its place."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the sources config:\n{listing}")


class SourceUnreadable(LoaderError):
    """A whole source file cannot be read (missing, not the declared format); stops the run."""
