"""The real-time matcher's Python scorer against Splink's SQL on a resolved workdir.

    .venv/bin/python benchmarks/pair_scoring.py --workdir W [--limit 200000]

For each entity type, every pair the batch compared between two profiles of the workdir's
real-time snapshot (``pairs_<entity>``, up to ``--limit``) is scored both ways by the matcher
(:meth:`EntityMatcher.score_python`, :meth:`EntityMatcher.score_sql`); prints how many pairs
differ (probability, weight or any comparison's weight, compared exactly), the largest
difference from the batch's own prediction, and the time per pair of each path, in calls of
``--call`` pairs (a one-row real-time call compares a few hundred).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from huitong.vocabulary import ENTITY_TYPES
from realtime.matcher import EntityMatcher, snapshot_connection
from resolution.snapshot import current_snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=200_000, help="pairs per entity type")
    parser.add_argument("--call", type=int, default=300, help="pairs per scoring call")
    args = parser.parse_args()
    path = Path(current_snapshot(args.workdir)["path"])
    con = snapshot_connection(path)
    con.execute(f"ATTACH '{args.workdir / 'workspace.duckdb'}' AS work (READ_ONLY)")
    models = dict(con.execute("SELECT entity, model FROM snap.models").fetchall())
    for entity in ENTITY_TYPES:
        matcher = EntityMatcher(con, entity, models[entity], path)
        if matcher.scorer is None:
            print(f"{entity}: the model is scored with Splink's SQL only")
            continue
        ids = matcher.profiles.column("mention_id").to_pylist()
        position = {m: i for i, m in enumerate(ids)}
        batch = {
            (left, right): (p, w)
            for left, right, p, w in con.execute(
                f"SELECT mention_id_l, mention_id_r, match_probability, match_weight "
                f"FROM work.pairs_{entity} ORDER BY hash(mention_id_l, mention_id_r)"
            ).fetchall()
            if left in position and right in position
        }
        pairs = list(batch)[: args.limit]
        free = next(i for i, rule in enumerate(matcher.spec.blocking_rules) if not rule.sql)
        nobody = matcher.profiles.slice(0, 0)
        timings = {"python": 0.0, "sql": 0.0}
        scored = {"python": {}, "sql": {}}
        for start in range(0, len(pairs), args.call):
            chunk = {pair: {free} for pair in pairs[start : start + args.call]}
            wanted = {position[m] for pair in chunk for m in pair}
            for name, score in (("python", matcher.score_python), ("sql", matcher.score_sql)):
                began = time.perf_counter()
                rows = score(nobody, chunk, wanted, set(), {})
                timings[name] += time.perf_counter() - began
                scored[name].update({(r[0], r[1]): r[2:] for r in rows})
        python, sql = scored["python"], scored["sql"]
        differing = sum(1 for pair in sql if python.get(pair) != sql[pair])
        from_batch = max((abs(python[pair][1] - batch[pair][1]) for pair in python), default=0.0)
        calls = max(1, -(-len(pairs) // args.call))
        per_call = {name: seconds / calls * 1000 for name, seconds in timings.items()}
        per_pair = {name: seconds / max(len(pairs), 1) * 1e6 for name, seconds in timings.items()}
        print(
            f"{entity}: {len(pairs):,} pairs (of {len(batch):,} between snapshot profiles), "
            f"{differing} differ from Splink's SQL; largest weight difference from the batch "
            f"{from_batch:.2e}; per call of {args.call}: Python {per_call['python']:.1f} ms, "
            f"SQL {per_call['sql']:.1f} ms ({per_pair['python']:.1f} / {per_pair['sql']:.1f} "
            "µs a pair)"
        )


if __name__ == "__main__":
    main()
