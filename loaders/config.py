"""The sources contract: a TOML file listing department sources (see the README).

:func:`load_config` checks everything it can before any row is read — structure, names, entity
types, fields, relation types, files, encodings and columns — and raises one
:class:`ConfigError` listing *every* problem, each naming the source and the offending key or
column, instead of stopping at the first.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from huitong.vocabulary import ENTITY_FIELDS, IDENTIFYING_FIELDS, RELATION_TYPES
from loaders.errors import ConfigError
from loaders.readers import read_columns

FORMATS = ("csv", "jsonl", "parquet")
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
_NAME = re.compile(r"^[a-z0-9_]+$")
_ROLE = re.compile(r"^[a-z0-9_]+$")
_EVENT_TYPE = re.compile(r"^[A-Z][A-Za-z]*$")
_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class MentionSpec:
    role: str
    entity: str
    fields: dict[str, tuple[str, ...]]
    """canonical field → the column(s) holding it (several are joined with one space)."""
    attributes: dict[str, str] = field(default_factory=dict)
    """attribute name → column: kept with the mention, not matched on."""


@dataclass(frozen=True)
class RelationSpec:
    from_role: str
    type: str
    to_role: str


@dataclass(frozen=True)
class EventSpec:
    type: str
    date: str | None
    place: str | None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    department: str
    path: Path
    format: str
    encoding: str
    record_id: str
    mentions: tuple[MentionSpec, ...]
    relations: tuple[RelationSpec, ...] = ()
    event: EventSpec | None = None

    def columns_used(self) -> list[str]:
        """Every column the source's mapping reads, in a stable order, without repeats."""
        used = [self.record_id]
        for mention in self.mentions:
            for columns in mention.fields.values():
                used.extend(columns)
            used.extend(mention.attributes.values())
        if self.event:
            used.extend(c for c in (self.event.date, self.event.place) if c)
            used.extend(self.event.attributes.values())
        return list(dict.fromkeys(used))


@dataclass(frozen=True)
class SurvivorshipSpec:
    """A deployment's survivorship settings (``[survivorship]``); unset keys keep the package's
    defaults (``resolution/survivorship_rules.json``)."""

    file: Path | None = None
    """a rules document (JSON or TOML, shaped like the package's) replacing the defaults."""
    source_trust: tuple[str, ...] | None = None
    """sources from most to least trusted, replacing the rules' ``source_trust``."""


@dataclass(frozen=True)
class SourcesConfig:
    path: Path
    sources: tuple[SourceSpec, ...]
    survivorship: SurvivorshipSpec = SurvivorshipSpec()

    def source(self, name: str) -> SourceSpec:
        return next(s for s in self.sources if s.name == name)


class _Problems:
    """Collects every problem of a config file, then raises them together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.path, self.items)


def load_config(path: Path | str, *, check_columns: bool = True) -> SourcesConfig:
    """Parse and validate a sources TOML file; every problem is reported in one ConfigError."""
    path = Path(path)
    problems = _Problems(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    unknown_top = set(document) - {"sources", "survivorship"}
    for key in sorted(unknown_top):
        problems.add(f"[{key}]", "unknown top-level key (expected [[sources]] or [survivorship])")
    raw_sources = document.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.add("[[sources]]", "no sources listed")
        problems.raise_if_any()
    sources: list[SourceSpec] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_sources, start=1):
        spec = _parse_source(raw, index, path.parent, problems)
        if spec is None:
            continue
        if spec.name in seen:
            problems.add(
                f"source '{spec.name}'", f"duplicate name (also source #{seen[spec.name]})"
            )
        seen.setdefault(spec.name, index)
        sources.append(spec)
    survivorship = _parse_survivorship(
        document.get("survivorship", {}), {spec.name for spec in sources}, path.parent, problems
    )
    problems.raise_if_any()
    if check_columns:
        for spec in sources:
            _check_file_and_columns(spec, problems)
    problems.raise_if_any()
    return SourcesConfig(path.resolve(), tuple(sources), survivorship)


_SOURCE_KEYS = {
    "name", "department", "path", "format", "encoding", "record_id",
    "mentions", "relations", "event",
}  # fmt: skip


def _parse_source(raw: object, index: int, base: Path, problems: _Problems) -> SourceSpec | None:
    if not isinstance(raw, dict):
        problems.add(f"source #{index}", "must be a table")
        return None
    name = raw.get("name")
    where = f"source '{name}'" if isinstance(name, str) and name else f"source #{index}"
    for key in sorted(set(raw) - _SOURCE_KEYS):
        problems.add(where, f"unknown key '{key}'")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add(where, f"'name' must match [a-z0-9_]+ (got {name!r})")
    department = _required_str(raw, "department", where, problems)
    file_path = _required_str(raw, "path", where, problems)
    record_id = _required_str(raw, "record_id", where, problems)
    fmt = raw.get("format")
    if fmt not in FORMATS:
        problems.add(where, f"'format' must be one of {', '.join(FORMATS)} (got {fmt!r})")
    encoding = raw.get("encoding", "utf-8")
    if encoding not in ENCODINGS:
        problems.add(where, f"'encoding' must be one of {', '.join(ENCODINGS)} (got {encoding!r})")
    mentions = _parse_mentions(raw.get("mentions"), where, problems)
    roles = {m.role: m.entity for m in mentions}
    relations = _parse_relations(raw.get("relations", []), roles, where, problems)
    event = _parse_event(raw.get("event"), where, problems)
    if not all(isinstance(v, str) for v in (name, department, file_path, record_id, fmt)):
        return None
    return SourceSpec(
        name=name,
        department=department,
        path=(base / file_path).resolve(),
        format=fmt,
        encoding=encoding if isinstance(encoding, str) else "utf-8",
        record_id=record_id,
        mentions=tuple(mentions),
        relations=tuple(relations),
        event=event,
    )


def _required_str(raw: dict, key: str, where: str, problems: _Problems) -> str | None:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"'{key}' is required (a non-empty string)")
        return None
    return value


def _parse_mentions(raw: object, where: str, problems: _Problems) -> list[MentionSpec]:
    if not isinstance(raw, list) or not raw:
        problems.add(where, "needs at least one [[sources.mentions]]")
        return []
    mentions: list[MentionSpec] = []
    roles: set[str] = set()
    for index, item in enumerate(raw, start=1):
        at = f"{where} mention #{index}"
        if not isinstance(item, dict):
            problems.add(at, "must be a table")
            continue
        for key in sorted(set(item) - {"role", "entity", "fields", "attributes"}):
            problems.add(at, f"unknown key '{key}'")
        role, entity = item.get("role"), item.get("entity")
        if isinstance(role, str):
            at = f"{where} mention '{role}'"
        if not isinstance(role, str) or not _ROLE.match(role):
            problems.add(at, f"'role' must match [a-z0-9_]+ (got {role!r})")
            continue
        if role in roles:
            problems.add(at, "duplicate role in this source")
        roles.add(role)
        if entity not in ENTITY_FIELDS:
            problems.add(at, f"unknown entity {entity!r} (expected {', '.join(ENTITY_FIELDS)})")
            continue
        fields = _parse_fields(item.get("fields"), entity, at, problems)
        attributes = _parse_attributes(item.get("attributes", {}), at, problems)
        if fields:
            mentions.append(MentionSpec(role, entity, fields, attributes))
    return mentions


def _parse_fields(
    raw: object, entity: str, at: str, problems: _Problems
) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        problems.add(at, "'fields' must map canonical fields to columns")
        return {}
    fields: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if key not in ENTITY_FIELDS[entity]:
            problems.add(
                at,
                f"unknown field '{key}' for {entity} (expected {', '.join(ENTITY_FIELDS[entity])})",
            )
            continue
        columns = (value,) if isinstance(value, str) else value
        if (
            not isinstance(columns, list | tuple)
            or not columns
            or not all(isinstance(c, str) and c for c in columns)
        ):
            problems.add(at, f"field '{key}' must name a column or a list of columns")
            continue
        fields[key] = tuple(columns)
    if fields and not set(fields) & set(IDENTIFYING_FIELDS[entity]):
        problems.add(
            at,
            f"maps no identifying field for {entity} "
            f"(needs one of {', '.join(IDENTIFYING_FIELDS[entity])})",
        )
    return fields


def _parse_attributes(raw: object, at: str, problems: _Problems) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.add(at, "'attributes' must map attribute names to columns")
        return {}
    attributes: dict[str, str] = {}
    for key, column in raw.items():
        if not _ATTRIBUTE.match(key):
            problems.add(at, f"attribute name '{key}' must match [a-z][a-z0-9_]*")
        elif not isinstance(column, str) or not column:
            problems.add(at, f"attribute '{key}' must name a column")
        else:
            attributes[key] = column
    return attributes


def _parse_relations(
    raw: object, roles: dict[str, str], where: str, problems: _Problems
) -> list[RelationSpec]:
    if not isinstance(raw, list):
        problems.add(where, "'relations' must be an array of tables")
        return []
    relations = []
    for index, item in enumerate(raw, start=1):
        at = f"{where} relation #{index}"
        if not isinstance(item, dict):
            problems.add(at, "must be a table")
            continue
        for key in sorted(set(item) - {"from", "type", "to"}):
            problems.add(at, f"unknown key '{key}'")
        kind, source_role, target_role = item.get("type"), item.get("from"), item.get("to")
        if kind not in RELATION_TYPES:
            problems.add(
                at, f"unknown relation type {kind!r} (expected {', '.join(RELATION_TYPES)})"
            )
            continue
        ok = True
        for end, role, expected in zip(
            ("from", "to"), (source_role, target_role), RELATION_TYPES[kind], strict=True
        ):
            if role not in roles:
                problems.add(at, f"'{end}' names unknown role {role!r}")
                ok = False
            elif roles[role] != expected:
                problems.add(
                    at, f"{kind} needs '{end}' to be a {expected}, role {role!r} is {roles[role]}"
                )
                ok = False
        if ok:
            relations.append(RelationSpec(source_role, kind, target_role))
    return relations


def _parse_event(raw: object, where: str, problems: _Problems) -> EventSpec | None:
    if raw is None:
        return None
    at = f"{where} event"
    if not isinstance(raw, dict):
        problems.add(at, "must be a table")
        return None
    for key in sorted(set(raw) - {"type", "date", "place", "attributes"}):
        problems.add(at, f"unknown key '{key}'")
    kind = raw.get("type")
    if not isinstance(kind, str) or not _EVENT_TYPE.match(kind):
        problems.add(at, f"'type' must be a capitalised word such as Violation (got {kind!r})")
        return None
    date, place = raw.get("date"), raw.get("place")
    for key, value in (("date", date), ("place", place)):
        if value is not None and (not isinstance(value, str) or not value):
            problems.add(at, f"'{key}' must name a column")
    attributes = _parse_attributes(raw.get("attributes", {}), at, problems)
    return EventSpec(kind, date or None, place or None, attributes)


def _check_file_and_columns(spec: SourceSpec, problems: _Problems) -> None:
    where = f"source '{spec.name}'"
    if not spec.path.is_file():
        problems.add(where, f"file not found: {spec.path}")
        return
    try:
        columns = read_columns(spec.path, spec.format, spec.encoding)
    except Exception as error:  # unreadable header: say so, keep collecting
        problems.add(where, f"cannot read the columns of {spec.path}: {error}")
        return
    if not columns and spec.format == "jsonl":
        return  # no row to say which keys it has: a department with nothing to send this time
    available = set(columns)
    for column in spec.columns_used():
        if column not in available:
            problems.add(where, f"unknown column '{column}' (not in {spec.path.name})")


def _parse_survivorship(
    raw: object, names: set[str], base: Path, problems: _Problems
) -> SurvivorshipSpec:
    """``[survivorship]``: ``file`` (a rules document beside the config) and ``source_trust``."""
    if not isinstance(raw, dict):
        problems.add("[survivorship]", "must be a table")
        return SurvivorshipSpec()
    for key in sorted(set(raw) - {"file", "source_trust"}):
        problems.add("[survivorship]", f"unknown key '{key}' (expected file, source_trust)")
    file = raw.get("file")
    path = None
    if file is not None:
        if not isinstance(file, str) or not file.strip():
            problems.add("[survivorship]", "'file' must name a rules file (JSON or TOML)")
        else:
            path = (base / file).resolve()
            if not path.is_file():
                problems.add("[survivorship]", f"'file': rules file not found: {path}")
            elif path.suffix not in (".json", ".toml"):
                problems.add("[survivorship]", f"'file' must be a .json or .toml file ({file})")
    trust = raw.get("source_trust")
    if trust is not None:
        if not isinstance(trust, list) or not all(isinstance(t, str) for t in trust):
            problems.add("[survivorship]", "'source_trust' must be a list of source names")
            trust = None
        else:
            for name in trust:
                if name not in names:
                    problems.add("[survivorship]", f"'source_trust' names unknown source {name!r}")
    return SurvivorshipSpec(path, tuple(trust) if trust is not None else None)
