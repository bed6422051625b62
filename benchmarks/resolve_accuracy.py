"""Resolution accuracy and throughput on generated cities of several sizes, seeds and generators.

    .venv/bin/python benchmarks/resolve_accuracy.py --persons 5000 20000 --seeds 101 202
    .venv/bin/python benchmarks/resolve_accuracy.py --persons 100000 --seeds 7 --variant other_team
    .venv/bin/python benchmarks/resolve_accuracy.py --persons 20000 --seeds 21 22 23 \\
        --variant othercity standard other_team

``--variant`` picks the generator: ``standard`` and ``other_team`` are huitong's own
(``huitong generate``; the models are tuned on them), ``othercity`` is the judging city written
independently of it (``benchmarks/othercity``: its own population, layouts, noise and code).
For each (variant, size, seed) it generates the city (cached under the temp directory), runs
ingest + resolve in a fresh workdir, and prints pairwise precision/recall/F1 per entity type
against the city's ``truth.csv``, the time of every stage and end-to-end mentions per second;
at the end, one summary table of every run. Nothing is asserted.

``--plain`` also runs plain Splink 5 on the same staged person mentions, configured as a new
user would from Splink's comparison library (name, birth date, ID, phone, address; u by
random sampling, EM on two rules, connected components at 0.9), and prints its F1 and the
ratio of huitong's person resolve time (predict + cluster) to plain Splink's.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from huitong.citygen import generate_city
from loaders import staging
from loaders.config import load_config
from resolution.evaluate import load_truth, pairwise_metrics
from resolution.pipeline import evaluate_workdir, resolve

sys.path.insert(0, str(Path(__file__).resolve().parent))
import othercity

VARIANTS = ("standard", "other_team", "othercity")
from huitong.vocabulary import ENTITY_TYPES as ENTITIES  # noqa: E402


def matching_seconds(entity) -> float:
    """huitong's seconds for the work plain Splink does on an entity type's mentions: predict
    (training included) and cluster, with the settling pass when there was one."""
    return sum(entity.seconds.get(stage, 0.0) for stage in ("predict", "cluster", "settle"))


def city_dir(persons: int, seed: int, variant: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"huitong-city-{variant}-{persons}-{seed}"
    if not (path / "sources.toml").exists():
        if variant == "othercity":
            othercity.generate(persons, seed, path)
        else:
            generate_city(persons=persons, seed=seed, out=path, variant=variant)
    return path


def plain_splink(workdir: Path, truth: Path) -> dict:
    """Plain Splink on the workdir's staged person mentions; its metrics and seconds."""
    source = staging.connect(workdir, read_only=True)
    frame = source.execute(
        """
        SELECT mention_id, name, id_number, CAST(coalesce(birth_date, id_birth_date) AS VARCHAR)
               AS birth_date, phone, address
        FROM mentions WHERE entity = 'person' ORDER BY mention_id
        """
    ).to_arrow_table()
    source.close()
    connection = duckdb.connect()
    began = time.perf_counter()
    db_api = DuckDBAPI(connection=connection)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="mention_id",
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("phone"),
            block_on("name", "birth_date"),
        ],
    )
    linker = Linker(db_api.register(frame), settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name", "birth_date")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    )
    seconds = time.perf_counter() - began
    connection.execute(
        f"CREATE TABLE clusters_person AS SELECT mention_id, CAST(cluster_id AS VARCHAR) "
        f"AS cluster_key FROM {clusters.physical_name}"
    )
    load_truth(connection, truth)
    metrics = pairwise_metrics(connection, "person")
    connection.close()
    return {**metrics, "seconds": seconds}


def run(persons: int, seed: int, variant: str, keep: bool, plain: bool = False) -> dict:
    """Ingest + resolve one city; prints its table and returns its figures."""
    city = city_dir(persons, seed, variant)
    workdir = Path(tempfile.mkdtemp(prefix="huitong-bench-resolve-"))
    began = time.perf_counter()
    report = resolve(load_config(city / "sources.toml"), workdir, progress=False, decisions=[])
    elapsed = time.perf_counter() - began
    metrics = evaluate_workdir(workdir, city / "truth.csv")
    mentions = sum(e.mentions for e in report.entities)
    print(
        f"\n== {variant} city, {persons:,} persons, seed {seed}: "
        f"{mentions:,} mentions, ingest+resolve {elapsed:.1f}s "
        f"({mentions / elapsed:,.0f} mentions/s; ingest {report.ingest.seconds:.1f}s)"
    )
    print(
        f"{'entity':<12}{'mentions':>9}{'pairs':>10}{'precision':>10}{'recall':>9}"
        f"{'f1':>8}{'clusters':>9}{'true':>8}  stage seconds"
    )
    for entity in report.entities:
        m = metrics[entity.entity]
        stages = " ".join(f"{k}={v:.1f}" for k, v in entity.seconds.items())
        print(
            f"{entity.entity:<12}{entity.mentions:>9,}{entity.pairs_scored:>10,}"
            f"{m['precision']:>10.4f}{m['recall']:>9.4f}{m['f1']:>8.4f}"
            f"{m['clusters']:>9,}{m['true_clusters']:>8,}  {stages}"
        )
    if plain:
        baseline = plain_splink(workdir, city / "truth.csv")
        person = next(e for e in report.entities if e.entity == "person")
        ours = matching_seconds(person)
        print(
            f"plain Splink, same person mentions: precision {baseline['precision']:.4f} "
            f"recall {baseline['recall']:.4f} f1 {baseline['f1']:.4f} in "
            f"{baseline['seconds']:.1f}s; huitong person predict+cluster {ours:.1f}s "
            f"= {ours / baseline['seconds']:.2f}x"
        )
    if keep:
        print(f"workdir kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"variant": variant, "persons": persons, "seed": seed, "metrics": metrics}


def summary(runs: list[dict]) -> None:
    """One line per run: precision / recall / F1 of each entity type."""
    print("\n== summary (precision / recall / F1)")
    header = f"{'variant':<11}{'persons':>8}{'seed':>6}"
    for entity in ENTITIES:
        header += f"  {entity:<22}"
    print(header)
    for item in runs:
        line = f"{item['variant']:<11}{item['persons']:>8,}{item['seed']:>6}"
        for entity in ENTITIES:
            m = item["metrics"][entity]
            line += f"  {m['precision']:.4f}/{m['recall']:.4f}/{m['f1']:.4f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[5000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101])
    parser.add_argument("--variant", nargs="+", choices=VARIANTS, default=["standard"])
    parser.add_argument("--keep", action="store_true", help="keep the workdirs")
    parser.add_argument("--plain", action="store_true", help="also run plain Splink, time both")
    args = parser.parse_args()
    runs = [
        run(persons, seed, variant, args.keep, args.plain)
        for variant in args.variant
        for persons in args.persons
        for seed in args.seeds
    ]
    summary(runs)


if __name__ == "__main__":
    main()
