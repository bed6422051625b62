import pytest

from graph_schema import migrations
from graph_schema.errors import MigrationError
from graph_schema.migrations import MIGRATIONS, migrate, reset, schema_inventory


def test_migrate_applies_every_version_once(driver):
    first = migrate(driver)
    assert first.applied == tuple(m.version for m in MIGRATIONS)
    assert first.already == ()
    inventory = schema_inventory(driver)
    assert ("constraint", "person_id") in inventory
    assert ("index", "person_names") in inventory

    second = migrate(driver)
    assert second.applied == ()
    assert second.already == first.applied
    assert schema_inventory(driver) == inventory
    records, _, _ = driver.execute_query("MATCH (m:HuitongMigration) RETURN count(m) AS n")
    assert records[0]["n"] == len(MIGRATIONS)


def test_constraints_are_enforced(driver):
    migrate(driver)
    driver.execute_query("CREATE (:Person {id: 'P-1'})")
    with pytest.raises(Exception, match="already exists"):
        driver.execute_query("CREATE (:Person {id: 'P-1'})")


def test_edited_applied_migration_is_refused(driver, monkeypatch):
    migrate(driver)
    edited = (
        migrations.Migration(1, "edited", ("CREATE INDEX x IF NOT EXISTS FOR (n:X) ON (n.x)",)),
        *MIGRATIONS[1:],
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", edited)
    with pytest.raises(MigrationError, match="add a new migration"):
        migrations.migrate(driver)


def test_reset_empties_everything(driver):
    migrate(driver)
    driver.execute_query("UNWIND range(1, 25000) AS i CREATE (:Person {id: 'P-' + i})")
    reset(driver)
    records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] == 0
    assert schema_inventory(driver) == []


def test_versions_are_unique_and_increasing():
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions)) == list(range(1, len(versions) + 1))


def test_migration_12_places_the_changes_of_a_graph_written_before_it(driver):
    """A graph whose change entries were written before the writer set their place keys gets
    the keys the writer sets now, and the indexes that read a page in order."""
    from graph_schema.change_queries import PLACE_KEY_PROPERTIES
    from graph_schema.changes import write_changes
    from tests.graph_schema.test_changes import placed_entries

    migrate(driver)
    with driver.session() as session:
        session.execute_write(write_changes, placed_entries(300))
    keys = "RETURN c.seq AS seq, [k IN $keys | c[k]] AS keys ORDER BY seq"
    written, _, _ = driver.execute_query(f"MATCH (c:Change) {keys}", keys=PLACE_KEY_PROPERTIES)
    assert sum(1 for r in written if any(r["keys"])) > 100
    driver.execute_query(
        "MATCH (c:Change) REMOVE c.streetless_community, c.communityless_road, c.placeless_road"
    )
    for index in ("change_street_seq", "change_community_seq", "change_streetless_community_seq",
                  "change_communityless_road_seq", "change_placeless_road_seq"):  # fmt: skip
        driver.execute_query(f"DROP INDEX {index}")
    driver.execute_query("MATCH (m:HuitongMigration {version: 12}) DELETE m")

    assert migrate(driver).applied == (12,)
    again, _, _ = driver.execute_query(f"MATCH (c:Change) {keys}", keys=PLACE_KEY_PROPERTIES)
    assert [dict(r) for r in again] == [dict(r) for r in written]
    assert ("index", "change_placeless_road_seq") in schema_inventory(driver)
