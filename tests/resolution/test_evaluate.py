"""Pairwise metrics on a tiny example worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from loaders import staging
from resolution.errors import MissingTable
from resolution.evaluate import load_truth, pairwise_metrics
from resolution.golden import SCHEMA_SQL


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = staging.connect(tmp_path)
    yield connection
    connection.close()


TRUTH_CSV = """source,record_id,role,entity,true_id
s,1,p,person,T1
s,2,p,person,T1
s,3,p,person,T2
s,4,p,person,T2
s,5,p,person,T2
s,007,p,person,T3
s,1,e,enterprise,T1
"""


def write_truth(tmp_path: Path, connection) -> int:
    path = tmp_path / "truth.csv"
    path.write_text(TRUTH_CSV, encoding="utf-8")
    return load_truth(connection, path)


def test_load_truth_keeps_ids_as_text(tmp_path, connection):
    assert write_truth(tmp_path, connection) == 7
    rows = connection.execute("SELECT record_id FROM truth WHERE true_id = 'T3'").fetchall()
    assert rows == [("007",)]


def test_pairwise_metrics_on_clusters(tmp_path, connection):
    write_truth(tmp_path, connection)
    # predicted {1,2,3} {4,5} {9}; truth {1,2} {3,4,5} {007}; 9 and 007 are on one side only
    connection.execute("CREATE TABLE clusters_person (mention_id VARCHAR, cluster_key VARCHAR)")
    connection.execute(
        """INSERT INTO clusters_person VALUES
        ('s/1/p', 's/1/p'), ('s/2/p', 's/1/p'), ('s/3/p', 's/1/p'),
        ('s/4/p', 's/4/p'), ('s/5/p', 's/4/p'), ('s/9/p', 's/9/p')"""
    )
    metrics = pairwise_metrics(connection, "person")
    # predicted pairs: 3 + 1 = 4; true pairs: 1 + 3 = 4;
    # true positives: (1,2) and (4,5) = 2 → precision 2/4, recall 2/4, F1 0.5
    assert metrics == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "true_pairs": 4,
        "predicted_pairs": 4,
        "tp": 2,
        "clusters": 2,
        "true_clusters": 2,
        "mentions": 5,
    }


def test_golden_members_take_precedence_over_clusters(tmp_path, connection):
    write_truth(tmp_path, connection)
    for statement in SCHEMA_SQL:
        connection.execute(statement)
    connection.execute("CREATE TABLE clusters_person (mention_id VARCHAR, cluster_key VARCHAR)")
    # golden: {1,2} {3,4} {5}: predicted 2 pairs, both true; true pairs 4
    connection.execute(
        """INSERT INTO golden_members VALUES
        ('s/1/p', 'person', 'P-a'), ('s/2/p', 'person', 'P-a'), ('s/3/p', 'person', 'P-b'),
        ('s/4/p', 'person', 'P-b'), ('s/5/p', 'person', 'P-c'), ('s/1/e', 'enterprise', 'P-a')"""
    )
    metrics = pairwise_metrics(connection, "person")
    assert (metrics["tp"], metrics["predicted_pairs"], metrics["true_pairs"]) == (2, 2, 4)
    assert (metrics["precision"], metrics["recall"]) == (1.0, 0.5)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["clusters"] == 3


def test_no_pairs_on_either_side_is_perfect_not_a_division_by_zero(tmp_path, connection):
    write_truth(tmp_path, connection)
    connection.execute("CREATE TABLE clusters_enterprise (mention_id VARCHAR, cluster_key VARCHAR)")
    connection.execute("INSERT INTO clusters_enterprise VALUES ('s/1/e', 's/1/e')")
    metrics = pairwise_metrics(connection, "enterprise")
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == (1.0, 1.0, 1.0)


def test_missing_inputs_are_named(tmp_path, connection):
    with pytest.raises(MissingTable, match="truth"):
        pairwise_metrics(connection, "person")
    write_truth(tmp_path, connection)
    with pytest.raises(MissingTable, match="clusters_person"):
        pairwise_metrics(connection, "person")


def test_cli_refuses_an_unresolved_workdir_clearly(tmp_path):
    from typer.testing import CliRunner

    from huitong.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app, ["export", "clusters", "--workdir", str(tmp_path), "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 1
    assert "holds no resolved run" in result.output
    result = runner.invoke(
        app, ["evaluate", "--truth", str(tmp_path / "t.csv"), "--workdir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "run `huitong resolve` first" in result.output
