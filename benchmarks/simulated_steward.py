"""A simulated data steward: answer the top N review candidates from truth, re-resolve, compare.

    .venv/bin/python benchmarks/simulated_steward.py --persons 5000 --seed 21 --decisions 200

Resolves a generated city, prints pairwise F1 per entity type, then for the N highest-priority
review candidates (over all entity types) records the decision a perfect steward would make
(MATCH when truth gives both records the same entity, else NOT_A_MATCH) in Neo4j, fetches the
decisions back as ``huitong resolve`` does, re-resolves the same workdir and prints F1 again.
Uses NEO4J_URI or the local server (started if needed). Its decisions are cleared first.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import duckdb

from graph_schema.connection import local_server, open_driver, resolve_target
from graph_schema.decisions import (
    PairConstraint,
    StewardDecision,
    clear_decisions,
    fetch_decisions,
    record_decision,
)
from huitong.citygen import generate_city
from huitong.settings import get_settings
from loaders.config import load_config
from resolution.pipeline import ENTITIES, evaluate_workdir, resolve


def truth_of(city: Path) -> dict[str, str]:
    with (city / "truth.csv").open(encoding="utf-8") as handle:
        return {
            f"{row['source']}/{row['record_id']}/{row['role']}": row["true_id"]
            for row in csv.DictReader(handle)
        }


def top_candidates(workdir: Path, limit: int) -> list[tuple]:
    connection = duckdb.connect(str(workdir / "workspace.duckdb"), read_only=True)
    try:
        union = " UNION ALL ".join(
            f"SELECT '{entity}' AS entity, candidate_id, mention_id_l, mention_id_r, priority "
            f"FROM review_candidates_{entity}"
            for entity in ENTITIES
        )
        return connection.execute(
            f"SELECT * FROM ({union}) ORDER BY priority DESC, candidate_id LIMIT ?", [limit]
        ).fetchall()
    finally:
        connection.close()


def show(title: str, metrics: dict) -> None:
    print(title)
    for entity, m in metrics.items():
        print(
            f"  {entity:<12} precision {m['precision']:.4f}  recall {m['recall']:.4f}  "
            f"f1 {m['f1']:.4f}  clusters {m['clusters']:,} (true {m['true_clusters']:,})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    city = Path(tempfile.gettempdir()) / f"huitong-city-standard-{args.persons}-{args.seed}"
    if not (city / "sources.toml").exists():
        generate_city(persons=args.persons, seed=args.seed, out=city)
    workdir = Path(tempfile.mkdtemp(prefix="huitong-steward-"))
    config = load_config(city / "sources.toml")
    resolve(config, workdir, progress=False, decisions=[])
    show("before the steward:", evaluate_workdir(workdir, city / "truth.csv"))

    if not get_settings().neo4j_uri:
        local_server().start()
    target = resolve_target()
    truth = truth_of(city)
    answered = {"MATCH": 0, "NOT_A_MATCH": 0}
    with open_driver(target) as driver:
        clear_decisions(driver, target.database)
        for entity, candidate_id, left, right, _ in top_candidates(workdir, args.decisions):
            same = truth.get(left) is not None and truth.get(left) == truth.get(right)
            decision = "MATCH" if same else "NOT_A_MATCH"
            answered[decision] += 1
            record_decision(
                driver,
                StewardDecision(
                    kind="candidate",
                    entity=entity,
                    subject=candidate_id,
                    reason="simulated steward answering from truth.csv",
                    decided_by="simulated-steward",
                    role="steward",
                    pairs=(PairConstraint(decision, left, right),),
                ),
                target.database,
            )
        rows = fetch_decisions(driver, target.database)
    print(
        f"\n{len(rows)} decisions recorded and fetched back "
        f"({answered['MATCH']} MATCH, {answered['NOT_A_MATCH']} NOT_A_MATCH)\n"
    )
    resolve(config, workdir, progress=False, decisions=rows)
    show("after re-resolving with the decisions:", evaluate_workdir(workdir, city / "truth.csv"))
    print(f"\nworkdir: {workdir}")


if __name__ == "__main__":
    main()
