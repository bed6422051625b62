"""The change feed's writer on the real Neo4j: keyed (written once), numbered without gaps in
commit order by concurrent writers, committed with the write it describes, pruned by age; and
publish writing a run's entries once."""

from __future__ import annotations

import csv
import io
import itertools
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from graph_schema import change_queries
from graph_schema.api_queries import in_scope, read_area
from graph_schema.changes import feed_state, prune_changes, write_changes
from graph_schema.errors import GraphError
from graph_schema.migrations import migrate, reset
from graph_schema.publish import publish
from huitong.citygen import generate_city
from loaders.config import load_config
from resolution.pipeline import resolve


def entry(key: str, kind: str = "UPDATED", district: str | None = "白云区", **more) -> dict:
    return {"key": key, "kind": kind, "entity": "person", "entity_id": f"P-{key}",
            "run_id": "r1", "at": datetime(2026, 3, 1, tzinfo=UTC), "district": district,
            "fields": [{"name": "phone", "before": "1", "after": "2", "source": "hukou"}],
            "source_records": ["hukou/1/resident"], **more}  # fmt: skip


def seqs(driver) -> list[tuple[int, str]]:
    records, _, _ = driver.execute_query("MATCH (c:Change) RETURN c.seq AS seq, c.key AS key")
    return sorted((r["seq"], r["key"]) for r in records)


def test_entries_are_written_once_and_numbered_in_order(driver):
    migrate(driver)
    with driver.session() as session:
        assert session.execute_write(write_changes, [entry("a"), entry("b")]) == 2
        assert session.execute_write(write_changes, [entry("b"), entry("c")]) == 1
        assert session.execute_write(write_changes, []) == 0
    assert seqs(driver) == [(1, "a"), (2, "b"), (3, "c")]
    records, _, _ = driver.execute_query("MATCH (c:Change {key: 'c'}) RETURN c {.*} AS c")
    change = records[0]["c"]
    assert change["kind"] == "UPDATED" and change["district"] == "白云区"
    assert '"after": "2"' in change["fields"] and change["source_records"] == ["hukou/1/resident"]
    assert feed_state(driver).head == 3
    with pytest.raises(ValueError, match="kind"), driver.session() as session:
        session.execute_write(write_changes, [entry("d", kind="RENAMED")])


def test_a_pages_moment_is_the_drivers_datetime(driver):
    """A page returns each change's ``at`` as numbers (hydrating a DateTime costs more than
    the rest of the row); :func:`change_queries.moment` gives back what the driver gives."""
    reset(driver)
    migrate(driver)
    moments = [
        datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=8))),
        datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 3, 1, tzinfo=UTC),
    ]
    with driver.session() as session:
        session.execute_write(
            write_changes, [entry(f"m{i}", at=at) for i, at in enumerate(moments)]
        )
    page = read_page(driver, change_queries.FEED_PAGE_CITY, read_area(driver, None), None, 10)
    records, _, _ = driver.execute_query("MATCH (c:Change) RETURN c.seq AS seq, c.at AS at")
    native = {r["seq"]: r["at"].to_native() for r in records}
    assert [change_queries.moment(c) for c in page] == moments
    for change in page:
        at = change_queries.moment(change)
        assert at == native[change["seq"]]
        assert at.isoformat() == native[change["seq"]].isoformat()


def test_entries_written_before_leave_the_feed_as_a_first_write_does(driver):
    """A publish killed after some batches and run again sends those entries again: the feed's
    counter is left exactly as one uninterrupted write leaves it (no lock flag behind)."""
    migrate(driver)
    with driver.session() as session:
        assert session.execute_write(write_changes, [entry("a"), entry("b")]) == 2
        assert session.execute_write(write_changes, [entry("a"), entry("b")]) == 0
    records, _, _ = driver.execute_query("MATCH (f:ChangeFeed) RETURN f {.*} AS f")
    assert [r["f"] for r in records] == [{"key": "feed", "seq": 2, "pruned_through": 0}]


def test_concurrent_writers_number_without_gaps_and_a_rollback_numbers_nothing(driver):
    migrate(driver)

    def writer(prefix: str) -> None:
        for batch in range(5):
            entries = [entry(f"{prefix}-{batch}-{i}") for i in range(40)]
            with driver.session() as session:
                session.execute_write(write_changes, entries)

    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(writer, p) for p in "xyz"]:
            future.result()
    numbered = seqs(driver)
    assert [s for s, _ in numbered] == list(range(1, 601))
    # each transaction's entries are consecutive: the counter was held until it committed
    runs = [key.rsplit("-", 1)[0] for _, key in numbered]
    assert sum(1 for a, b in itertools.pairwise(runs) if a != b) == 14

    def failing(tx) -> None:
        write_changes(tx, [entry("lost")])
        raise RuntimeError("the write it describes failed")

    with pytest.raises(RuntimeError), driver.session() as session:
        session.execute_write(failing)
    with driver.session() as session:
        session.execute_write(write_changes, [entry("next")])
    assert seqs(driver)[-1] == (601, "next")


def test_pruning_deletes_old_entries_and_remembers_how_far(driver):
    migrate(driver)
    with driver.session() as session:
        session.execute_write(write_changes, [entry(str(i)) for i in range(10)])
    assert prune_changes(driver, retention_days=30) == 0
    later = datetime.now(UTC) + timedelta(days=31)
    assert prune_changes(driver, retention_days=30, now=later) == 10
    assert seqs(driver) == []
    state = feed_state(driver)
    assert (state.head, state.pruned_through) == (10, 10)
    with driver.session() as session:
        session.execute_write(write_changes, [entry("after-pruning")])
    scope = read_area(driver, None)
    records, _, _ = driver.execute_query(
        change_queries.FEED_PAGE_CITY, feed="feed", scope=scope, after=None, limit=5,
        kinds=None, entity=None,
    )  # fmt: skip
    # a reader without a cursor starts where retention left the feed
    assert (records[0]["head"], records[0]["pruned_through"], records[0]["after"]) == (11, 10, 10)
    assert [c["seq"] for c in records[0]["changes"]] == [11]


# -- reading: a page per jurisdiction ---------------------------------------------------------
# 白云区 has streets 景泰 (communities 景泰东 and 景泰西) and 三元里 (community 松柏); 越秀区 has
# 北京街 (community 西湖). Roads: 云城路 in 景泰东, 永泰路 in 景泰西 and in 松柏, 机场路 in 三元里.
PLACES = (
    ("白云区", "景泰街道", "景泰东社区", "云城路"),
    ("白云区", "景泰街道", "景泰西社区", "永泰路"),
    ("白云区", "三元里街道", "松柏社区", "永泰路"),
    ("白云区", "三元里街道", "松柏社区", "机场路"),
    ("越秀区", "北京街道", "西湖社区", "西湖路"),
)
# Where a change may lie: everything known, a street or community unknown (placed by its
# community or road), only a district, nothing; a community named in another street.
PLACEMENTS = (
    ("白云区", "景泰街道", "景泰东社区", "云城路"),
    ("白云区", "景泰街道", "景泰西社区", "永泰路"),
    ("白云区", "三元里街道", "松柏社区", "机场路"),
    ("越秀区", "北京街道", "西湖社区", "西湖路"),
    ("白云区", None, "景泰东社区", "云城路"),
    ("白云区", None, "松柏社区", "永泰路"),
    ("白云区", None, None, "云城路"),
    ("白云区", None, None, "永泰路"),
    ("白云区", None, None, "机场路"),
    ("白云区", "景泰街道", None, "永泰路"),
    ("白云区", "三元里街道", None, "永泰路"),
    ("白云区", "三元里街道", "景泰东社区", "机场路"),
    ("白云区", None, None, None),
    (None, None, None, "云城路"),
    (None, None, None, None),
)
SCOPES = (
    (None, None, None),
    ("白云区", None, None),
    ("越秀区", None, None),
    ("白云区", "景泰街道", None),
    ("白云区", "三元里街道", None),
    ("白云区", "景泰街道", "景泰东社区"),
    ("白云区", "景泰街道", "景泰西社区"),
    ("白云区", "三元里街道", "松柏社区"),
    ("白云区", None, "松柏社区"),
)
EVERY_CHANGE_IN_SCOPE = f"""
MATCH (c:Change) WHERE {in_scope("c")}
  AND ($kinds IS NULL OR c.kind IN $kinds) AND ($entity IS NULL OR c.entity = $entity)
RETURN c.seq AS seq ORDER BY seq
"""


def placed_entries(count: int) -> list[dict]:
    rng = random.Random(11)
    entries = []
    for i in range(count):
        district, street, community, road = rng.choice(PLACEMENTS)
        entries.append(entry(
            f"placed-{i}", kind=rng.choice(["UPDATED", "EVENT", "MOVED_OUT"]),
            district=district, street=street, community=community,
            point_key=f"{road}|{i % 40}|" if road else None,
        ))  # fmt: skip
    return entries


def read_page(driver, query: str, scope: dict, after: int | None, limit: int, **filters):
    """The changes of one page after ``after`` (from the oldest kept when None)."""
    filters = {"kinds": None, "entity": None, **filters}
    records, _, _ = driver.execute_query(
        query, feed="feed", scope=scope, after=after, limit=limit, **filters
    )
    return records[0]["changes"]


def test_each_jurisdiction_pages_exactly_its_changes_in_order(driver):
    """A page for a city, district, street or community is the changes the jurisdiction rule
    admits, oldest first (those without a street or community placed by their community or
    road), page after page. How many index rows a page reads is the benchmark's figure
    (``benchmarks/change_feed.py``, "Cypher alone"): a PROFILE bound here held on a fresh
    server but not after the API's feed tests had run on the same one (the street's page read
    289 rows for 5), so the planner's choice is not something a test can pin."""
    reset(driver)
    migrate(driver)
    driver.execute_query(
        "UNWIND $places AS p "
        "MERGE (c:Community {key: p[0] + '|' + p[2]}) SET c.district = p[0], c.street = p[1], "
        "c.name = p[2] "
        "CREATE (:AddressPoint {key: p[3] + '|1|' + p[2], district: p[0], street: p[1], "
        "community: p[2], road: p[3]})",
        places=[list(p) for p in PLACES],
    )
    with driver.session() as session:
        session.execute_write(write_changes, placed_entries(1500))
    for jurisdiction in SCOPES:
        scope = read_area(driver, *jurisdiction)
        query = change_queries.feed_page(scope)
        for filters in ({"kinds": None, "entity": None}, {"kinds": ["MOVED_OUT"], "entity": None}):
            records, _, _ = driver.execute_query(EVERY_CHANGE_IN_SCOPE, scope=scope, **filters)
            expected = [r["seq"] for r in records]
            assert len(expected) > 30, (jurisdiction, filters)
            seen, after = [], None
            while True:
                page = read_page(driver, query, scope, after, 7, **filters)
                seen += [change["seq"] for change in page]
                if len(page) < 7:
                    break
                after = seen[-1]
            assert seen == expected, (jurisdiction, filters)
    page = read_page(driver, change_queries.FEED_PAGE_CITY, read_area(driver, None), 0, 1)
    assert set(page[0]) & set(change_queries.PLACE_KEY_PROPERTIES) == set()


# -- publish ----------------------------------------------------------------------------------
def move_people(city: Path, count: int) -> dict[str, tuple[str, str]]:
    """Rewrite ``hukou.csv`` so its first ``count`` residents of the most common district are
    registered at addresses of another district; returns record id → (old, new) address."""
    text = (city / "hukou.csv").read_text(encoding="utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    rid, address = header.index("人员编号"), header.index("户籍地址")
    rows_ok = [r for r in rows if len(r) == len(header)]
    districts = [d for r in rows_ok if (d := _district(r[address]))]
    home = max(sorted(set(districts)), key=districts.count)
    targets = [r[address] for r in rows_ok if _district(r[address]) not in (None, home)]
    moved: dict[str, tuple[str, str]] = {}
    for row in rows_ok:
        if len(moved) == count:
            break
        if _district(row[address]) == home:
            new = targets[len(moved) % len(targets)]
            moved[row[rid]] = (row[address], new)
            row[address] = new
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    (city / "hukou.csv").write_text(out.getvalue(), encoding="utf-8")
    return moved


def _district(address: str) -> str | None:
    start = address.find("市") + 1
    end = address.find("区", start)
    return address[start : end + 1] if end > start else None


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    city = tmp_path_factory.mktemp("feed-city")
    generate_city(persons=300, seed=5, out=city)
    workdir = tmp_path_factory.mktemp("feed-work")
    resolve(load_config(city / "sources.toml"), workdir, progress=False)
    return city, workdir


def workspace_entries(workdir: Path) -> int:
    connection = duckdb.connect(str(workdir / "workspace.duckdb"), read_only=True)
    try:
        return connection.execute("SELECT count(*) FROM change_entries").fetchone()[0]
    finally:
        connection.close()


def test_publish_writes_each_entry_once_with_what_it_describes(driver, resolved, tmp_path):
    city, workdir = resolved
    entries = workspace_entries(workdir)
    with pytest.raises(GraphError, match="simulated"):
        publish(workdir, driver, batch_size=50, fail_after_batches=3)
    # what was written so far carries its entries, and only those
    records, _, _ = driver.execute_query(
        "MATCH (c:Change {kind: 'CREATED', entity: 'person'}) "
        "OPTIONAL MATCH (p:Person {id: c.entity_id}) RETURN count(c) AS c, count(p) AS p"
    )
    assert 0 < records[0]["c"] == records[0]["p"] < entries
    before_crash = feed_state(driver).head
    first = publish(workdir, driver, batch_size=50)
    assert feed_state(driver).head == entries  # the crash and the retry wrote each entry once
    assert first.changes_written + before_crash == entries
    assert publish(workdir, driver).changes_written == 0  # a re-publish of the same run

    # a new run: people move, the feed numbers on from the head
    moved_city = tmp_path / "city"
    shutil.copytree(city, moved_city)
    moved_work = tmp_path / "work"
    shutil.copytree(workdir, moved_work)
    move_people(moved_city, 5)
    resolve(load_config(moved_city / "sources.toml"), moved_work, progress=False)
    again = publish(moved_work, driver)
    assert again.changes_written == workspace_entries(moved_work) - entries > 0
    records, _, _ = driver.execute_query(
        "MATCH (c:Change) WHERE c.seq > $head RETURN c.kind AS kind, count(*) AS n",
        head=entries,
    )
    kinds = {r["kind"]: r["n"] for r in records}
    assert kinds["MOVED_OUT"] >= 5 and kinds["MOVED_IN"] >= 5 and kinds["UPDATED"] >= 5
