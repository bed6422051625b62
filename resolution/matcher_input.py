"""The matcher's input: each mention's model columns, its related values and neighbours, and
the profiles Splink trains on and compares.

Mentions identical on every matching column (a landlord written the same way on 2,000 rental
rows, an employer on every insured person's row) form a *profile*; Splink sees profiles, not
mentions, so the work grows with the number of distinct ways things are written rather than with
the square of a big entity's mention count. A model's columns are SQL over ``mentions`` and over
values read across the mention's relations (:class:`resolution.model_spec.RelatedColumnSpec`)
and the entities its row names (:class:`resolution.model_spec.NeighbourSpec`).
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from resolution.model_spec import CO_PARENT, EVENT, ModelSpec
from resolution.scratch import qualified, scalar

MENTIONS = "huitong_mentions"
RELATED = "huitong_related"
"""The mentions' related values: rows only where the workspace has relations or events."""
NEIGHBOURS = "huitong_neighbours"
"""The mentions' neighbours: rows only where the workspace has relations."""


PROFILES = "huitong_profiles"


def prepare_input(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    workspace: tuple[str, str],
    *,
    settle: bool = False,
    degrees_elsewhere: str | None = None,
    profiles: bool = True,
    empty: Collection[str] = (),
) -> tuple[int, int]:
    """Materialise the matcher's input; returns (mentions, profiles).

    ``huitong_mentions``: each mention's model columns and its ``profile_id`` (the smallest
    mention id with the same values on every model column). ``huitong_profiles``: one row per
    profile, keyed ``mention_id`` = its representative, with its ``mention_count`` and one
    capped block key per capped blocking rule (NULL where the block holds more than
    ``max_block_size`` profiles).

    ``degrees_elsewhere`` names a table ``(mate, rows)`` of rows naming each neighbour outside
    this workspace, counted with those here against ``max_degree`` (the real-time matcher
    prepares a few submitted rows, and the rest of the city names their neighbours too).
    With ``profiles`` False only ``huitong_mentions`` is made (returns (mentions, 0)): the
    real-time matcher reads a call's mentions as they are and keys them itself.

    ``empty`` names the parts (:data:`RELATED`, :data:`NEIGHBOURS`) the caller knows have no
    rows in this workspace (a real-time call without relations or events): each is read as an
    empty relation of the same columns and types, which DuckDB binds in a fraction of the
    ~15 ms the part's SQL costs it; the result is the same.
    """
    names = list(spec.columns)
    selected = ",\n".join(f"({sql}) AS {name}" for name, sql in spec.columns.items())
    ctes, joined = [], ""
    for cte, sql in (
        (RELATED, _related_sql(spec, workspace)),
        (
            NEIGHBOURS,
            _neighbours_sql(
                cursor, spec, workspace, settle=settle, degrees_elsewhere=degrees_elsewhere
            ),
        ),
    ):
        if sql:
            if cte in empty:
                sql = _typed_empty(cursor, sql)
            ctes.append(f"{cte} AS ({sql}),")
            joined += f" LEFT JOIN {cte} USING (mention_id)"
    cursor.execute(
        f"""
        CREATE TABLE {MENTIONS} AS
        WITH {" ".join(ctes)} base AS (
            SELECT mention_id,
            {selected}
            FROM {qualified(workspace, "mentions")} {joined}
            WHERE entity = ?
        )
        SELECT mention_id, min(mention_id) OVER (PARTITION BY {", ".join(names)}) AS profile_id,
               {", ".join(names)}
        FROM base
        """,
        [spec.entity],
    )
    if not profiles:
        return int(scalar(cursor, f"SELECT count(*) FROM {MENTIONS}")), 0
    # A capped rule's key: the hash of its columns where at most max_block_size profiles share
    # it; in a bigger group, its star: the group's first profile (see BlockingRuleSpec).
    blocks, keys, joins = [], [], []
    for i, rule in enumerate(spec.blocking_rules):
        if rule.capped_key is None:
            continue
        key = f"hash({', '.join(f'g.{column}' for column in rule.on)})"
        present = " AND ".join(f"g.{column} IS NOT NULL" for column in rule.on)
        blocks.append(
            f"huitong_block_{i} AS (SELECT {key} AS block, count(*) AS size, "
            f"min(g.mention_id) AS first FROM huitong_grouped g WHERE {present} GROUP BY 1)"
        )
        joins.append(f"LEFT JOIN huitong_block_{i} b{i} ON {present} AND b{i}.block = {key}")
        keys.append(
            f", CASE WHEN b{i}.size <= {rule.max_block_size} THEN b{i}.block END"
            f" AS {rule.capped_key}"
            f", CASE WHEN b{i}.size > {rule.max_block_size} AND b{i}.first <> g.mention_id"
            f" THEN b{i}.first END AS {rule.star_key}"
        )
    cursor.execute(
        f"""
        CREATE TABLE huitong_grouped AS
        SELECT profile_id AS mention_id, count(*) AS mention_count, {", ".join(names)}
        FROM {MENTIONS}
        GROUP BY ALL
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE {PROFILES} AS
        {"WITH " + ", ".join(blocks) if blocks else ""}
        SELECT g.*{"".join(keys)}
        FROM huitong_grouped g {" ".join(joins)}
        ORDER BY g.mention_id
        """
    )
    cursor.execute("DROP TABLE huitong_grouped")
    mentions = scalar(cursor, f"SELECT count(*) FROM {MENTIONS}")
    profiles = scalar(cursor, f"SELECT count(*) FROM {PROFILES}")
    return int(mentions), int(profiles)


_EMPTY: dict[str, str] = {}
"""SQL of a part → an empty relation of its columns and types (one per model and workspace
naming: a handful)."""


def _typed_empty(cursor: duckdb.DuckDBPyConnection, sql: str) -> str:
    if sql not in _EMPTY:
        described = cursor.execute(f"DESCRIBE SELECT * FROM ({sql})").fetchall()
        columns = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind, *_ in described)
        _EMPTY[sql] = f"SELECT {columns} WHERE false"
    return _EMPTY[sql]


def _related_sql(spec: ModelSpec, workspace: tuple[str, str]) -> str:
    """SQL giving, per mention with any, the model's related values (``mention_id`` and one
    column per :attr:`ModelSpec.related`, the smallest over the mention's relations); empty
    when the model reads none."""
    if not spec.related:
        return ""
    mentions_table = qualified(workspace, "mentions")
    relations_table = f"({_with_co_parents(qualified(workspace, 'relations'))})"
    selects = []
    across = [r for r in spec.related if r.relation != EVENT]
    ends = {"out": ("from_mention", "to_mention"), "in": ("to_mention", "from_mention")}
    for direction, (here, there) in ends.items():
        if not any(r.direction in (direction, "both") for r in across):
            continue
        values = ", ".join(
            f"CASE WHEN r.huitong_type = '{r.relation}' THEN ({r.value}) END AS {r.name}"
            if r.direction in (direction, "both") and r.relation != EVENT
            else f"NULL AS {r.name}"
            for r in spec.related
        )
        types = ", ".join(sorted({f"'{r.relation}'" for r in across}))
        selects.append(
            f"""
            SELECT r.huitong_here AS mention_id, {values}
            FROM (SELECT {here} AS huitong_here, {there} AS huitong_there, type AS huitong_type
                  FROM {relations_table} WHERE type IN ({types})) r
            JOIN {mentions_table} ON mention_id = r.huitong_there
            """
        )
    if any(r.relation == EVENT for r in spec.related):
        values = ", ".join(
            f"({r.value}) AS {r.name}" if r.relation == EVENT else f"NULL AS {r.name}"
            for r in spec.related
        )
        selects.append(
            f"""
            SELECT p.mention_id, {values}
            FROM {qualified(workspace, "event_participants")} p
            JOIN {qualified(workspace, "events")} USING (event_id)
            """
        )
    aggregated = ", ".join(f"min({r.name}) AS {r.name}" for r in spec.related)
    return (
        f"SELECT mention_id, {aggregated} FROM ({' UNION ALL '.join(selects)}) GROUP BY mention_id"
    )


def _with_co_parents(relations: str) -> str:
    """The relations table plus, for every two mentions a row names as parents of one child,
    a ``CO_PARENT`` edge each way: a father and mother on a birth registration are a couple
    though the row states no ``SPOUSE_OF``."""
    return f"""
        SELECT source, record_id, type, from_mention, to_mention FROM {relations}
        UNION ALL
        SELECT a.source, a.record_id, '{CO_PARENT}', a.from_mention, b.from_mention
        FROM {relations} a
        JOIN {relations} b
          ON a.to_mention = b.to_mention AND a.from_mention <> b.from_mention
        WHERE a.type = 'PARENT_OF' AND b.type = 'PARENT_OF'
    """


def _neighbours_sql(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    workspace: tuple[str, str],
    *,
    settle: bool = False,
    degrees_elsewhere: str | None = None,
) -> str:
    """SQL giving, per mention of ``spec.entity`` related to other entities in its own row,
    the :class:`~resolution.model_spec.NeighbourSpec` columns; empty when the model reads none.

    Each neighbour is written ``<role>:<identity>``, the role being how the row relates it to
    the mention (``SPOUSE_OF`` and a co-parent of the same child are both ``partner``; a
    parent's child is ``child``, a child's parent ``parent``; ``RENTS``, ``OWNS``,
    ``EMPLOYED_BY``, ``LEGAL_REPRESENTATIVE_OF`` keep their names), so a father on a birth
    registration meets his marriage record through the mother (``partner``), not his children
    through theirs. A person stands for its valid resident ID (``P:…``) and for its name's
    fuzzy pinyin (``N:…``: the wife named on a household register and on a marriage record);
    enterprises and rental units for their clusters where ``clusters_<entity>`` exists (the
    pipeline resolves them before persons); with ``settle`` a person stands for its cluster
    from the first pass instead of its ID. A neighbour named in the same role in more rows
    than ``max_degree`` (a big employer's employees, a wife as common as 王芳) is left out,
    while the few rows naming that employer's legal representative keep it; so is one the
    mention has itself (a wife written with her husband's ID).
    """
    if spec.neighbours is None:
        return ""
    ctes = _neighbour_ctes(cursor, spec, workspace, settle, degrees_elsewhere)
    return f"""
        {ctes},
        mates AS (
            SELECT DISTINCT n.mention_id, n.mate, n.is_person
            FROM named n JOIN degrees d USING (mate)
            WHERE d.rows <= {spec.neighbours.max_degree})
        SELECT mention_id,
               list_sort(list(mate) FILTER (is_person)) AS mates_person,
               list_sort(list(mate) FILTER (NOT is_person)) AS mates_other,
               min(mate) FILTER (starts_with(mate, 'partner:P:')) AS mate_partner_id,
               min(mate) FILTER (starts_with(mate, 'partner:N:')) AS mate_partner_name,
               min(mate) FILTER (NOT is_person) AS mate_other_key
        FROM mates
        GROUP BY mention_id
    """


def neighbour_degrees_sql(
    cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, workspace: tuple[str, str]
) -> str:
    """SQL giving ``(mate, rows)``: every neighbour mentions of ``spec.entity`` are named
    with, and in how many rows (what ``max_degree`` is checked against); empty when the model
    reads no neighbours."""
    if spec.neighbours is None:
        return ""
    return f"{_neighbour_ctes(cursor, spec, workspace, False, None)} SELECT * FROM degrees"


def _neighbour_ctes(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    workspace: tuple[str, str],
    settle: bool,
    degrees_elsewhere: str | None,
) -> str:
    """``WITH identities, roles, named, degrees``: the common part of the neighbour SQL."""
    assert spec.neighbours is not None
    mentions = qualified(workspace, "mentions")
    relations = qualified(workspace, "relations")
    person = (
        f"""SELECT m.mention_id, m.source, m.record_id, 'P:' || c.cluster_key AS identity
            FROM {mentions} m JOIN {qualified(workspace, "clusters_person")} c USING (mention_id)
            WHERE m.entity = 'person'"""
        if settle
        else f"""SELECT mention_id, source, record_id, 'P:' || id_number AS identity
            FROM {mentions} WHERE entity = 'person' AND id_valid
              AND NOT coalesce(id_contradicted, false)"""
    )
    selects = [
        person,
        f"""SELECT mention_id, source, record_id, 'N:' || name_homophone_key
            FROM {mentions} WHERE entity = 'person' AND name_homophone_key IS NOT NULL""",
    ]
    for entity, tag in (("enterprise", "E"), ("rental_unit", "U")):
        table = f"clusters_{entity}"
        present = scalar(
            cursor,
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
            [workspace[0], workspace[1], table],
        )
        if present:
            selects.append(
                f"""SELECT m.mention_id, m.source, m.record_id, '{tag}:' || c.cluster_key
                    FROM {mentions} m JOIN {qualified(workspace, table)} c USING (mention_id)
                    WHERE m.entity = '{entity}'"""
            )
    degrees = "SELECT mate, count(DISTINCT (source, record_id)) AS rows FROM named GROUP BY 1"
    if degrees_elsewhere:
        degrees = f"""
            SELECT h.mate, h.rows + coalesce(e.rows, 0) AS rows
            FROM ({degrees}) h LEFT JOIN {degrees_elsewhere} e USING (mate)"""
    return f"""
        WITH identities AS ({" UNION ALL ".join(selects)}),
        roles AS (
            SELECT from_mention AS here, to_mention AS there,
                   CASE type WHEN 'SPOUSE_OF' THEN 'partner' WHEN 'PARENT_OF' THEN 'child'
                        ELSE type END AS role
            FROM {relations}
            UNION ALL
            SELECT to_mention, from_mention,
                   CASE type WHEN 'SPOUSE_OF' THEN 'partner' WHEN 'PARENT_OF' THEN 'parent'
                        ELSE type || '_OF_ME' END
            FROM {relations}
            UNION ALL
            SELECT from_mention, to_mention, 'partner'
            FROM ({_with_co_parents(relations)}) WHERE type = '{CO_PARENT}'),
        named AS (
            SELECT r.here AS mention_id, a.source, a.record_id,
                   r.role || ':' || i.identity AS mate, i.identity[1] IN ('P', 'N') AS is_person
            FROM roles r
            JOIN {mentions} a ON a.mention_id = r.here AND a.entity = '{spec.entity}'
            JOIN identities i ON i.mention_id = r.there
            WHERE NOT EXISTS (
                SELECT 1 FROM identities own
                WHERE own.mention_id = r.here AND own.identity = i.identity)),
        degrees AS ({degrees})"""
