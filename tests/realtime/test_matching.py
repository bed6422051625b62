"""Record-to-entity matching in real time against a resolved city: a row the file already holds
is UNCHANGED with its batch golden ID; a copy of it under a new record ID joins that entity;
the same copy with another valid resident ID does not (the batch's hard constraint)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from graph_schema.connection import open_driver
from huitong.standardise.identifiers import resident_id_check_char
from realtime.engine import Engine, rows_from_objects
from realtime.matcher import GoldenRows, mapped_table
from resolution.snapshot import KEEP, _prune, current_snapshot, mapped_path
from tests.realtime.conftest import plain_rows


def _valid_id(value: str) -> bool:
    return len(value) == 18 and resident_id_check_char(value[:17]) == value[17].upper()


def _other_id(value: str) -> str:
    """Another valid ID of the same region, birth date and sex (sequence + 2)."""
    sequence = (int(value[14:17]) + 2) % 1000
    first17 = f"{value[:14]}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


@pytest.fixture(scope="module")
def engine(city, neo4j_target):
    with open_driver(neo4j_target) as driver:
        engine = Engine(city.workdir, driver, database=neo4j_target.database)
        yield engine
        engine.close()


def test_a_copy_joins_the_entity_and_another_resident_id_keeps_it_apart(city, engine):
    rows = plain_rows(city.out / "hukou.csv", "utf-8")
    known = next(r for r in rows if _valid_id(r["公民身份号码"]) and r["姓名"] and r["现住址"])
    (same,) = engine.submit("hukou", rows_from_objects([known]), "test").rows
    assert same.status == "UNCHANGED", "the file's own row, submitted again, changes nothing"
    golden = {m.role: m.entity_id for m in same.mentions}["resident"]
    assert golden.startswith("P-")

    copy = {**known, "人员编号": "RT-MATCH-COPY"}
    another_id = _other_id(known["公民身份号码"])
    other = {**known, "人员编号": "RT-MATCH-OTHER", "公民身份号码": another_id}
    result = engine.submit("hukou", rows_from_objects([copy]), "test")
    (joined,) = [m for m in result.rows[0].mentions if m.role == "resident"]
    assert result.rows[0].status == "CREATED"
    assert joined.decision == "MATCHED" and joined.entity_id == golden
    assert joined.match_probability >= engine.specs["person"].cluster_threshold

    result = engine.submit("hukou", rows_from_objects([other]), "test")
    (apart,) = [m for m in result.rows[0].mentions if m.role == "resident"]
    assert apart.entity_id != golden, "a different valid resident ID never joins"
    assert apart.decision in ("NEW", "REVIEW")


def test_the_mapped_tables_are_the_snapshots_and_leave_with_it(city, engine, tmp_path):
    """The matcher takes a call's snapshot profiles and their members from Arrow files beside
    the snapshot: row ``idx`` of the profiles is the snapshot's profile ``idx``, every column
    equal; a profile's members are the snapshot's; a file not in ``idx`` order is refused; a
    pruned snapshot takes its files with it."""
    snapshot = Path(current_snapshot(city.workdir)["path"])
    for entity, matcher in engine.matchers.items():
        assert mapped_path(snapshot, f"matcher_profiles_{entity}").exists()
        expected = engine.con.sql(
            f"SELECT * EXCLUDE (idx) FROM snap.matcher_profiles_{entity} ORDER BY idx"
        ).to_arrow_table()
        assert matcher.profiles.equals(expected.select(matcher.profiles.column_names))
        some = [0, len(expected) // 2, len(expected) - 1]
        assert matcher.profiles.take(some).to_pylist() == expected.take(some).to_pylist()
        members = engine.con.execute(
            f"SELECT idx, mention_id, golden_id FROM snap.profile_members_{entity} "
            "WHERE list_contains(?, idx) ORDER BY idx, mention_id",
            [some],
        ).fetchall()
        assert sorted(matcher.members_of(some + some[:1])) == members and len(members) >= 3
        assert matcher.members_of([]) == []
    assert engine._profile_idx("person", engine.profile_ids["person"][7]) == 7
    assert engine._profile_idx("person", "no such mention") is None
    # a copy of the snapshot whose person profiles are reversed: refused, not read as them
    copy = tmp_path / snapshot.name
    shutil.copy(snapshot, copy)
    table = "matcher_profiles_person"
    wrong = pa.ipc.open_file(pa.memory_map(str(mapped_path(snapshot, table)))).read_all()
    wrong = wrong.take(list(range(len(wrong)))[::-1])
    target = str(mapped_path(copy, table))
    with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, wrong.schema) as out:
        out.write_table(wrong)
    con = duckdb.connect()
    con.execute(f"ATTACH '{copy}' AS snap (READ_ONLY)")
    with pytest.raises(RuntimeError, match="idx order"):
        mapped_table(con, table, copy, dense=True)
    written = mapped_table(con, "profile_members_enterprise", copy)  # written on first use
    assert mapped_path(copy, "profile_members_enterprise").exists() and written.num_rows > 0
    con.close()
    # pruning: older snapshots beyond KEEP go with their files
    for i in range(KEEP):
        shutil.copy(copy, tmp_path / f"9{i}{copy.name}")
    _prune(tmp_path, keep=set())
    assert not copy.exists() and not list(tmp_path.glob(f"{copy.stem}.*"))


def test_golden_records_rows_come_from_the_mapped_files_as_from_the_snapshot(city, engine):
    """A call reads the golden records it touches (their mentions, surviving values and
    place) from Arrow files in golden-record order: for every golden record of the city, the
    same rows, every column equal, as the snapshot's tables give; a golden ID the snapshot
    lacks has none."""
    tables = {
        "mentions": engine.mentions_by_golden,
        "golden_places": engine.golden_places,
        "constraint_values": engine.constraint_rows,
        **{f"golden_records_{e}": rows for e, rows in engine.golden_values.items()},
    }
    for table, mapped in tables.items():
        result = engine.con.execute(f"SELECT * FROM snap.{table}")
        names = [d[0] for d in result.description]
        expected: dict[str, list[dict]] = {}
        for values in result.fetchall():
            row = dict(zip(names, values, strict=True))
            expected.setdefault(row["golden_id"], []).append(row)
        assert len(expected) >= 10, table
        goldens = sorted(expected)
        got: dict[str, list[dict]] = {}
        for row in mapped.rows_of(goldens):
            got.setdefault(row["golden_id"], []).append(row)
        assert {g: sorted(r, key=_text) for g, r in got.items()} == {
            g: sorted(r, key=_text) for g, r in expected.items()
        }, table
        some = goldens[len(goldens) // 3 : len(goldens) // 3 + 3]
        assert mapped.rows_of(some) == [r for g in some for r in got[g]]  # in golden order
        assert mapped.rows_of(["no such golden"]) == mapped.rows_of([]) == []


@pytest.mark.parametrize("widths", [(14,), (3, 14, 15)], ids=["one width", "several"])
def test_golden_rows_are_found_whether_ids_have_one_width_or_several(tmp_path, widths):
    """IDs of one width are searched as fixed-width bytes, of several by bisection: both give
    each golden record's rows, across the file's chunks, in the file's order, and none for an
    ID the table lacks (one that only shares a prefix with one it has, a longer one)."""
    snapshot = tmp_path / "s.duckdb"
    con = duckdb.connect(str(snapshot))
    con.execute(
        "CREATE TABLE t AS SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE "
        f"left(md5((i // 3)::VARCHAR), list_extract({list(widths)}, 1 + i % {len(widths)})) "
        "END AS golden_id, i AS n FROM range(200000) r(i)"
    )
    expected: dict[str, list[int]] = {}
    for golden, n in con.execute("SELECT golden_id, n FROM t ORDER BY golden_id, n").fetchall():
        if golden is not None:
            expected.setdefault(golden, []).append(n)
    con.close()
    con = duckdb.connect()
    con.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
    rows = GoldenRows(con, "t", snapshot, order="n")
    assert rows.rows.column("golden_id").num_chunks > 1
    assert (rows._fixed is not None) == (len(widths) == 1)
    ordered = sorted(expected)
    some = sorted({*ordered[:: len(ordered) // 40], ordered[-1]})
    missing = ["0", some[0][:-1], some[0] + "0", "~" * 14]
    got = rows.rows_of([*reversed(some), *missing, some[0]])
    assert [r["n"] for r in got] == [n for g in some for n in expected[g]]
    assert {r["golden_id"] for r in got} == set(some)
    assert rows.rows_of(missing) == []
    con.close()


def _text(row: dict) -> tuple[str, ...]:
    return tuple(str(v) for v in row.values())


def test_a_records_mentions_come_from_the_records_table_as_from_the_mentions(city, engine):
    """Snapshots hold each record's mention ids with its content hash, so finding a record's
    mentions reads the small, sorted records table instead of scanning every mention: the
    same ids the mentions table gives, for every record of two sources."""
    assert engine.records_hold_mentions
    for source in ("hukou", "rental"):
        expected: dict[str, list[str]] = {}
        for record_id, mention_id in engine.con.execute(
            "SELECT record_id, mention_id FROM snap.mentions WHERE source = ? "
            "ORDER BY record_id, mention_id",
            [source],
        ).fetchall():
            expected.setdefault(record_id, []).append(mention_id)
        record_ids = [
            r[0]
            for r in engine.con.execute(
                "SELECT record_id FROM snap.records WHERE source = ?", [source]
            ).fetchall()
        ]
        assert len(expected) > 100 and set(expected) <= set(record_ids)
        found = engine._record_mentions(source, record_ids)
        assert {k: sorted(v) for k, v in found.items()} == expected
