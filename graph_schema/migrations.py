"""Versioned, idempotent schema migrations, recorded in the graph as ``(:HuitongMigration)``.

Each migration is a list of ``... IF NOT EXISTS`` statements, or of data statements that set
what a later write would set anyway; applying one twice changes nothing. A statement that
commits as it goes (``CALL {...} IN TRANSACTIONS``) is run in an auto-commit transaction.
A migration's checksum is recorded when it is applied; if the code's statements for an applied
version later differ, :func:`migrate` refuses to go on (edit by adding a new version, never by
rewriting an applied one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from neo4j import Driver

from graph_schema import change_queries, queries
from graph_schema.decisions import SETTLE_CANDIDATES
from graph_schema.errors import MigrationError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]

    @property
    def checksum(self) -> str:
        return hashlib.sha256("\n;\n".join(self.statements).encode()).hexdigest()[:16]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "golden entities and source records",
        (
            "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT enterprise_id IF NOT EXISTS "
            "FOR (n:Enterprise) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT rental_unit_id IF NOT EXISTS "
            "FOR (n:RentalUnit) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT source_record_key IF NOT EXISTS "
            "FOR (n:SourceRecord) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT redirect_id IF NOT EXISTS "
            "FOR (n:RetiredEntity) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX source_record_source IF NOT EXISTS "
            "FOR (n:SourceRecord) ON (n.source, n.record_id)",
            "CREATE INDEX person_id_number IF NOT EXISTS FOR (n:Person) ON (n.id_number)",
            "CREATE INDEX person_phone IF NOT EXISTS FOR (n:Person) ON (n.phone)",
            "CREATE INDEX enterprise_uscc IF NOT EXISTS FOR (n:Enterprise) ON (n.uscc)",
        ),
    ),
    Migration(
        2,
        "address hierarchy: district, street, community, address point",
        (
            "CREATE CONSTRAINT district_key IF NOT EXISTS FOR (n:District) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT street_key IF NOT EXISTS FOR (n:Street) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT community_key IF NOT EXISTS "
            "FOR (n:Community) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT address_point_key IF NOT EXISTS "
            "FOR (n:AddressPoint) REQUIRE n.key IS UNIQUE",
        ),
    ),
    Migration(
        3,
        "events",
        (
            "CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX event_type_date IF NOT EXISTS FOR (n:Event) ON (n.type, n.date)",
        ),
    ),
    Migration(
        4,
        "full-text search on names and addresses",
        (
            "CREATE FULLTEXT INDEX person_names IF NOT EXISTS "
            "FOR (n:Person) ON EACH [n.name, n.name_key]",
            "CREATE FULLTEXT INDEX enterprise_names IF NOT EXISTS "
            "FOR (n:Enterprise) ON EACH [n.name, n.brand]",
            "CREATE FULLTEXT INDEX address_texts IF NOT EXISTS "
            "FOR (n:AddressPoint) ON EACH [n.text]",
        ),
    ),
    Migration(
        5,
        "departments and publish bookkeeping",
        (
            "CREATE CONSTRAINT department_name IF NOT EXISTS "
            "FOR (n:Department) REQUIRE n.name IS UNIQUE",
            "CREATE CONSTRAINT publish_key IF NOT EXISTS "
            "FOR (n:HuitongPublish) REQUIRE n.key IS UNIQUE",
            "CREATE INDEX person_district IF NOT EXISTS FOR (n:Person) ON (n.district)",
            "CREATE INDEX address_point_road IF NOT EXISTS FOR (n:AddressPoint) ON (n.road)",
        ),
    ),
    Migration(
        6,
        "steward decisions and review candidates",
        (
            "CREATE CONSTRAINT steward_decision_id IF NOT EXISTS "
            "FOR (n:StewardDecision) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT review_candidate_id IF NOT EXISTS "
            "FOR (n:ReviewCandidate) REQUIRE n.id IS UNIQUE",
            "CREATE INDEX review_candidate_entity IF NOT EXISTS "
            "FOR (n:ReviewCandidate) ON (n.entity, n.priority)",
        ),
    ),
    Migration(
        7,
        "API look-ups: source-record search keys, jurisdiction of golden records",
        (
            "CREATE INDEX source_record_name_key IF NOT EXISTS "
            "FOR (n:SourceRecord) ON (n.name_key)",
            "CREATE INDEX source_record_id_number IF NOT EXISTS "
            "FOR (n:SourceRecord) ON (n.id_number)",
            "CREATE INDEX source_record_phone IF NOT EXISTS FOR (n:SourceRecord) ON (n.phone)",
            "CREATE INDEX source_record_uscc IF NOT EXISTS FOR (n:SourceRecord) ON (n.uscc)",
            "CREATE INDEX person_community IF NOT EXISTS FOR (n:Person) ON (n.community)",
            "CREATE INDEX enterprise_street IF NOT EXISTS FOR (n:Enterprise) ON (n.street)",
            "CREATE INDEX enterprise_community IF NOT EXISTS FOR (n:Enterprise) ON (n.community)",
            "CREATE INDEX community_street IF NOT EXISTS FOR (n:Community) ON (n.street)",
            "CREATE INDEX address_point_street IF NOT EXISTS FOR (n:AddressPoint) ON (n.street)",
            "CREATE INDEX address_point_community IF NOT EXISTS "
            "FOR (n:AddressPoint) ON (n.community)",
        ),
    ),
    Migration(
        8,
        "steward decisions by subject (the review queue hides decided candidates)",
        (
            "CREATE INDEX steward_decision_subject IF NOT EXISTS "
            "FOR (n:StewardDecision) ON (n.subject)",
        ),
    ),
    Migration(
        9,
        "the change feed: entries by key and seq, by district in seq order, its counter",
        (
            "CREATE CONSTRAINT change_key IF NOT EXISTS FOR (n:Change) REQUIRE n.key IS UNIQUE",
            "CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (n:Change) REQUIRE n.seq IS UNIQUE",
            "CREATE INDEX change_district_seq IF NOT EXISTS FOR (n:Change) ON (n.district, n.seq)",
            "CREATE INDEX change_written IF NOT EXISTS FOR (n:Change) ON (n.written)",
            "CREATE CONSTRAINT change_feed_key IF NOT EXISTS "
            "FOR (n:ChangeFeed) REQUIRE n.key IS UNIQUE",
        ),
    ),
    Migration(
        10,
        "each department's data-quality scorecard, by source",
        (
            "CREATE CONSTRAINT source_quality_source IF NOT EXISTS "
            "FOR (n:SourceQuality) REQUIRE n.source IS UNIQUE",
        ),
    ),
    Migration(
        11,
        "review candidates a decision settles are marked settled (the queue reads the flag)",
        (SETTLE_CANDIDATES,),
    ),
    Migration(
        12,
        "the change feed: a street's and a community's changes in seq order, and by the "
        "community or road that places a change whose street or community is unknown",
        (
            "CREATE INDEX change_street_seq IF NOT EXISTS "
            "FOR (n:Change) ON (n.district, n.street, n.seq)",
            "CREATE INDEX change_community_seq IF NOT EXISTS "
            "FOR (n:Change) ON (n.district, n.community, n.seq)",
            "CREATE INDEX change_streetless_community_seq IF NOT EXISTS "
            "FOR (n:Change) ON (n.streetless_community, n.seq)",
            "CREATE INDEX change_communityless_road_seq IF NOT EXISTS "
            "FOR (n:Change) ON (n.communityless_road, n.seq)",
            "CREATE INDEX change_placeless_road_seq IF NOT EXISTS "
            "FOR (n:Change) ON (n.placeless_road, n.seq)",
            change_queries.BACKFILL_PLACE_KEYS,
        ),
    ),
)


@dataclass(frozen=True)
class MigrationReport:
    applied: tuple[int, ...]
    already: tuple[int, ...]


def migrate(driver: Driver, database: str = "neo4j") -> MigrationReport:
    """Apply every migration not yet recorded in the graph, in version order."""
    records, _, _ = driver.execute_query(queries.APPLIED_MIGRATIONS, database_=database)
    recorded = {record["version"]: record["checksum"] for record in records}
    applied, already = [], []
    for migration in MIGRATIONS:
        if migration.version in recorded:
            if recorded[migration.version] != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version} ({migration.description}) was applied with "
                    f"checksum {recorded[migration.version]} but the code now has "
                    f"{migration.checksum}: add a new migration instead of editing an applied one"
                )
            already.append(migration.version)
            continue
        for statement in migration.statements:
            try:
                if "IN TRANSACTIONS" in statement:
                    with driver.session(database=database) as session:
                        session.run(statement).consume()
                else:
                    driver.execute_query(statement, database_=database)
            except Exception as error:
                raise MigrationError(
                    f"migration {migration.version} ({migration.description}) failed on "
                    f"{statement!r}: {error}"
                ) from error
        driver.execute_query(
            queries.RECORD_MIGRATION,
            version=migration.version,
            description=migration.description,
            checksum=migration.checksum,
            database_=database,
        )
        applied.append(migration.version)
    return MigrationReport(tuple(applied), tuple(already))


def reset(driver: Driver, database: str = "neo4j") -> None:
    """Empty the database: every node, relationship, constraint and index (dev and tests)."""
    with driver.session(database=database) as session:  # IN TRANSACTIONS needs auto-commit
        session.run(queries.DELETE_ALL_BATCHED).consume()
    constraints, _, _ = driver.execute_query(queries.SHOW_CONSTRAINT_NAMES, database_=database)
    for record in constraints:
        driver.execute_query(queries.drop_constraint(record["name"]), database_=database)
    indexes, _, _ = driver.execute_query(queries.SHOW_INDEX_NAMES, database_=database)
    for record in indexes:
        driver.execute_query(queries.drop_index(record["name"]), database_=database)


def schema_inventory(driver: Driver, database: str = "neo4j") -> list[tuple[str, str]]:
    """Sorted ``(kind, name)`` of every constraint and non-lookup index: what a test compares."""
    constraints, _, _ = driver.execute_query(queries.SHOW_CONSTRAINT_NAMES, database_=database)
    indexes, _, _ = driver.execute_query(queries.SHOW_INDEX_NAMES, database_=database)
    constraint_names = {record["name"] for record in constraints}
    return sorted(
        [("constraint", name) for name in constraint_names]
        + [("index", r["name"]) for r in indexes if r["name"] not in constraint_names]
    )
