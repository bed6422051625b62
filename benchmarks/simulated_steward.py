"""A simulated data steward: answer the top N review candidates from truth, re-resolve, compare.

    .venv/bin/python benchmarks/simulated_steward.py --persons 5000 --seed 21 --decisions 200
    .venv/bin/python benchmarks/simulated_steward.py --variant other_team --decisions 1000

Resolves a generated city, prints pairwise F1 per entity type, then for the N highest-priority
review candidates (over all entity types) records the decision a perfect steward would make
(MATCH when truth gives both records the same entity, else NOT_A_MATCH) in Neo4j, fetches the
decisions back as ``huitong resolve`` does, and re-resolves twice from the same state: with the
decisions as constraints only, and with their MATCH pairs also as training labels (Splink's m
from pairwise labels). Prints F1 for all three, and how many labels each model used.
Uses NEO4J_URI or the local server (started if needed). Its decisions are cleared first.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

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
from huitong.vocabulary import ENTITY_TYPES as ENTITIES
from loaders.config import load_config
from resolution.evaluate import load_truth, pairwise_metrics
from resolution.pipeline import evaluate_workdir, resolve


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


def held_out(workdir: Path, truth: Path, decided: set[str]) -> dict:
    """Pairwise metrics over the mentions no decision touched: what training changed beyond
    the pairs the constraints settle."""
    connection = duckdb.connect(str(workdir / "workspace.duckdb"))
    try:
        load_truth(connection, truth, "truth_all")
        connection.register("decided", pa.table({"mention_id": sorted(decided)}))
        connection.execute(
            """CREATE OR REPLACE TABLE truth_held_out AS SELECT * FROM truth_all
               WHERE source || '/' || record_id || '/' || role
                     NOT IN (SELECT mention_id FROM decided)"""
        )
        return {e: pairwise_metrics(connection, e, "truth_held_out") for e in ENTITIES}
    finally:
        connection.close()


def show(title: str, metrics: dict, untouched: dict | None = None) -> None:
    print(title)
    for entity, m in metrics.items():
        line = (
            f"  {entity:<12} precision {m['precision']:.4f}  recall {m['recall']:.4f}  "
            f"f1 {m['f1']:.4f}  clusters {m['clusters']:,} (true {m['true_clusters']:,})"
        )
        if untouched:
            h = untouched[entity]
            line += (
                f"   | untouched mentions: P {h['precision']:.5f} R {h['recall']:.5f} "
                f"F1 {h['f1']:.5f} (fp {h['predicted_pairs'] - h['tp']:,}, "
                f"fn {h['true_pairs'] - h['tp']:,})"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--variant", choices=["standard", "other_team"], default="standard")
    args = parser.parse_args()
    name = f"huitong-city-{args.variant}-{args.persons}-{args.seed}"
    city = Path(tempfile.gettempdir()) / name
    if not (city / "sources.toml").exists():
        generate_city(persons=args.persons, seed=args.seed, out=city, variant=args.variant)
    workdir = Path(tempfile.mkdtemp(prefix="huitong-steward-"))
    config = load_config(city / "sources.toml")
    resolve(config, workdir, progress=False, decisions=[])
    before = evaluate_workdir(workdir, city / "truth.csv")
    before_copy = workdir.with_name(workdir.name + "-before")
    shutil.copytree(workdir, before_copy)

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
        f"{len(rows)} decisions recorded and fetched back "
        f"({answered['MATCH']} MATCH, {answered['NOT_A_MATCH']} NOT_A_MATCH)\n"
    )
    decided = {p[k] for d in rows for p in d["pairs"] for k in ("mention_id_l", "mention_id_r")}
    truth_file = city / "truth.csv"
    show("before the steward:", before, held_out(before_copy, truth_file, decided))
    taught = workdir.with_name(workdir.name + "-labels")
    shutil.copytree(workdir, taught)
    resolve(config, workdir, progress=False, decisions=rows, train_from_decisions=False)
    show(
        "after re-resolving, decisions as constraints only:",
        evaluate_workdir(workdir, truth_file),
        held_out(workdir, truth_file, decided),
    )
    report = resolve(config, taught, progress=False, decisions=rows)
    used = ", ".join(f"{e.entity} {e.labels_used}" for e in report.entities)
    show(
        f"after re-resolving, constraints + m trained from MATCH labels ({used} used):",
        evaluate_workdir(taught, truth_file),
        held_out(taught, truth_file, decided),
    )
    print(f"\nworkdirs: {workdir} {taught}")


if __name__ == "__main__":
    main()
