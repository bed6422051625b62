"""The real-time matcher's Python scores are Splink's, on every blocked pair of a city.

The held-out city's snapshot (resolved by the batch) holds each entity type's profiles and
trained model; the batch's ``pairs_<entity>`` are every pair its blocking compared. Each of
those between two snapshot profiles, and every pair sharing a block key of the snapshot, is
scored by :meth:`EntityMatcher.score_python` and by Splink's
SQL (:meth:`score_sql`): the same pairs kept, and the same match probability, match weight and
per-comparison weights, to the last bit; and both within 1e-9 of the batch's own prediction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from huitong.vocabulary import ENTITY_TYPES
from realtime.matcher import EntityMatcher, snapshot_connection
from resolution.matcher_state import MATCHER_TF
from resolution.snapshot import current_snapshot


@pytest.fixture(scope="module")
def snapshot(city):
    path = Path(current_snapshot(city.workdir)["path"])
    con = snapshot_connection(path)
    models = dict(con.execute("SELECT entity, model FROM snap.models").fetchall())
    yield con, path, models
    con.close()


def _scored(rows: list) -> dict:
    return {(left, right): (p, w, weights) for left, right, p, w, weights in rows}


@pytest.mark.parametrize("entity", ENTITY_TYPES)
def test_python_scores_are_splinks_on_every_blocked_pair(city, snapshot, entity: str) -> None:
    con, path, models = snapshot
    matcher = EntityMatcher(con, entity, models[entity], path)
    assert matcher.scorer is not None, "the shipped models are scored in Python"
    with duckdb.connect(str(city.workdir / "workspace.duckdb"), read_only=True) as workspace:
        batch = {
            (left, right): (p, w)
            for left, right, p, w in workspace.execute(
                f"SELECT mention_id_l, mention_id_r, match_probability, match_weight "
                f"FROM pairs_{entity}"
            ).fetchall()
        }
    ids = matcher.profiles.column("mention_id").to_pylist()
    position = {mention_id: i for i, mention_id in enumerate(ids)}
    # the pairs between two of the snapshot's profiles (the batch also scored mentions the
    # snapshot keeps only as members of a profile)
    batch = {pair: v for pair, v in batch.items() if pair[0] in position and pair[1] in position}
    blocked = set(batch) | _block_pairs(matcher, ids)
    assert len(batch) > 20 and len(blocked) > 50, "a city's worth of pairs"
    snapshot_idx = {position[m] for pair in blocked for m in pair}
    nobody = matcher.profiles.slice(0, 0)
    rules = matcher.spec.blocking_rules
    free = next(i for i, rule in enumerate(rules) if not rule.sql)
    filtered = [i for i, rule in enumerate(rules) if rule.sql]
    for found_by in [{free}, *({i} for i in filtered)]:
        pairs = {pair: set(found_by) for pair in blocked}
        python = _scored(matcher.score_python(nobody, pairs, snapshot_idx, set(), {}))
        splink = _scored(matcher.score_sql(nobody, pairs, snapshot_idx, set(), {}))
        assert python.keys() == splink.keys()
        differing = [pair for pair in splink if python[pair] != splink[pair]]
        assert not differing, [(pair, python[pair], splink[pair]) for pair in differing[:3]]
        if found_by == {free}:
            assert python.keys() == blocked
            for pair, (p, w) in batch.items():  # the batch's model, kept as JSON in the
                # snapshot, round-trips its floats; its sums may be ordered otherwise
                assert python[pair][0] == pytest.approx(p, abs=1e-9)
                assert python[pair][1] == pytest.approx(w, abs=1e-9)
        else:  # the rule's extra condition keeps some pairs and not others
            assert 0 < len(python) < len(blocked)


def _block_pairs(matcher: EntityMatcher, ids: list[str], largest: int = 40) -> set:
    """Every pair of profiles sharing a block key of the snapshot, in blocks of up to
    ``largest`` profiles (what a submitted mention is compared with)."""
    pairs = set()
    for blocks, idx in matcher.keys:
        start = 0
        for end in range(1, len(blocks) + 1):
            if end < len(blocks) and blocks[end] == blocks[start]:
                continue
            members = sorted(ids[i] for i in idx[start:end]) if end - start <= largest else []
            pairs.update(
                (members[a], members[b])
                for a in range(len(members))
                for b in range(a + 1, len(members))
            )
            start = end
    return pairs


def test_mentions_remembered_from_the_journal_score_as_in_splinks_sql(snapshot) -> None:
    """Submitted mentions come back from the journal as JSON (dates as text): the Python
    scorer reads them typed as the SQL path's table does, and both score them alike."""
    con, path, models = snapshot
    matcher = EntityMatcher(con, "person", models["person"], path)
    originals = matcher.profiles.slice(0, 60).select(matcher.columns).to_pylist()
    journalled = []
    for row in originals:
        row = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        journalled.append({**row, "mention_id": f"submitted/{row['mention_id']}"})
    assert any(isinstance(row["dob"], str) for row in journalled)
    keys = [[None] * len(matcher.spec.blocking_rules) for _ in journalled]
    matcher.remember(pa.Table.from_pylist(journalled), keys)
    overlay = {row["mention_id"] for row in journalled}
    free = next(i for i, rule in enumerate(matcher.spec.blocking_rules) if not rule.sql)
    pairs = {}
    for k, row in enumerate(originals):
        twin, other = journalled[k]["mention_id"], originals[(k + 1) % len(originals)]
        pairs[(row["mention_id"], twin)] = {free}
        pairs[(other["mention_id"], twin)] = {free}
    snapshot_idx = set(range(60))
    nobody = matcher.profiles.slice(0, 0)
    python = _scored(matcher.score_python(nobody, pairs, snapshot_idx, overlay, {}))
    splink = _scored(matcher.score_sql(nobody, pairs, snapshot_idx, overlay, {}))
    assert len(python) == len(pairs) and python == splink
    matcher.forget(sorted(overlay))
    assert not matcher.overlay_rows


@pytest.mark.parametrize("entity", ENTITY_TYPES)
def test_term_frequencies_are_looked_up_as_the_snapshot_has_them(snapshot, entity: str) -> None:
    """A call's mentions get their term frequencies from sorted, memory-mapped copies of the
    snapshot's tables: every value's, and none for a value the city never wrote."""
    con, path, models = snapshot
    matcher = EntityMatcher(con, entity, models[entity], path)
    assert set(matcher.tf_lookups) == set(matcher.tf)
    assert matcher.tf or entity == "rental_unit"  # the unit model adjusts nothing
    for column, lookup in matcher.tf_lookups.items():
        table = MATCHER_TF.format(entity=entity, column=column)
        rows = con.execute(f"SELECT {column}, tf_{column} FROM snap.{table}").fetchall()
        assert rows
        for value, tf in rows:
            assert lookup.get(value) == (tf if value is not None else None), value
        assert lookup.get("从未出现的值 never written") is None
        assert lookup.get(None) is None
