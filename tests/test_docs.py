"""The README documents every CLI command and every environment variable huitong reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import typer.main

from api.config import ApiSettings
from huitong.cli import app
from huitong.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(command, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every leaf command of the CLI, as typed (``neo4j start``, ``audit verify``…)."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(prefix)
        return
    for name, sub in subcommands.items():
        yield from commands(sub, (*prefix, name))


def test_every_cli_command_is_in_the_readme_command_table():
    found = set(commands(typer.main.get_command(app)))
    assert found and "audit verify" in found
    missing = [
        command for command in found if not re.search(rf"^\| `huitong {command}[` ]", README, re.M)
    ]
    assert sorted(missing) == []


def test_every_environment_variable_is_in_the_configuration_table():
    names = {
        field.alias
        for model in (Settings, ApiSettings)
        for field in model.model_fields.values()
        if field.alias
    }
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, re.M))
    assert sorted(names - documented) == []
