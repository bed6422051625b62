"""All Cypher huitong runs, in one place. Values are always ``$parameters``."""

# -- migrations -----------------------------------------------------------------------------
APPLIED_MIGRATIONS = """
MATCH (m:HuitongMigration)
RETURN m.version AS version, m.checksum AS checksum
ORDER BY m.version
"""

RECORD_MIGRATION = """
MERGE (m:HuitongMigration {version: $version})
ON CREATE SET m.description = $description, m.checksum = $checksum,
              m.applied_at = datetime()
"""


# -- reset ----------------------------------------------------------------------------------
DELETE_ALL_BATCHED = """
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
"""

SHOW_CONSTRAINT_NAMES = "SHOW CONSTRAINTS YIELD name RETURN name"
SHOW_INDEX_NAMES = "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"


def drop_constraint(name: str) -> str:
    """``DROP CONSTRAINT``; names come from ``SHOW CONSTRAINTS``, quoted as identifiers."""
    return f"DROP CONSTRAINT {_quote(name)} IF EXISTS"


def drop_index(name: str) -> str:
    return f"DROP INDEX {_quote(name)} IF EXISTS"


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


COUNT_NODES = "MATCH (n) RETURN count(n) AS n"


# -- fingerprint ----------------------------------------------------------------------------
FINGERPRINT_NODES = """
MATCH (n)
RETURN elementId(n) AS element, labels(n) AS labels, properties(n) AS props
"""

FINGERPRINT_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
RETURN elementId(a) AS a, type(r) AS type, elementId(b) AS b, properties(r) AS props
"""
