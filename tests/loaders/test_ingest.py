import json
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huitong.cli import app
from loaders import ingest as ingest_module
from loaders import sources as sources_module
from loaders import staging
from loaders.config import load_config
from loaders.errors import LoaderError
from loaders.ingest import ingest

SOURCES = """
[[sources]]
name = "rental"
department = "出租屋管理中心"
path = "rental.csv"
format = "csv"
encoding = "gbk"
record_id = "登记编号"
[[sources.mentions]]
role = "unit"
entity = "rental_unit"
fields = { address = "房屋地址" }
[[sources.mentions]]
role = "tenant"
entity = "person"
fields = { name = "承租人姓名", id_number = "证件号码", phone = "联系电话" }
attributes = { registered_on = "登记日期" }
[[sources.relations]]
from = "tenant"
type = "RENTS"
to = "unit"

[[sources]]
name = "violations"
department = "城管执法局"
path = "violations.jsonl"
format = "jsonl"
record_id = "case_no"
[[sources.mentions]]
role = "vendor"
entity = "person"
fields = { name = ["surname", "given"], id_number = "id", phone = "phone" }
[sources.event]
type = "Violation"
date = "date"
place = "place"
attributes = { kind = "type" }

[[sources]]
name = "registry"
department = "市场监管局"
path = "registry.parquet"
format = "parquet"
record_id = "reg_no"
[[sources.mentions]]
role = "company"
entity = "enterprise"
fields = { name = "企业名称", uscc = "统一社会信用代码", address = "住所" }
[[sources.mentions]]
role = "legal_rep"
entity = "person"
fields = { name = "法定代表人" }
[[sources.relations]]
from = "legal_rep"
type = "LEGAL_REPRESENTATIVE_OF"
to = "company"
"""

RENTAL = [
    "登记编号,房屋地址,承租人姓名,证件号码,联系电话,登记日期",
    "R1,越秀区中山五路12号之3 3栋502房,陳偉,11010519491231002x,+86 138 1234 5678,2024-01-02",
    "R2,广州市越秀区中山五路12-3号3栋502室,陈 伟,110105491231002,138-1234-5678,2024/1/3",
    "R3,中山五路12号之三3座502,王芳,,020-87654321,2024年1月4日",
    "R4,天河区天河路100号,,,,",  # unit only: the tenant is absent, not an error
    "R5,只有两个字段",  # wrong number of fields
    "R6,,,,,",  # no mention at all
    "R1,越秀区中山五路12号,李四,,,",  # duplicate record id
]


def write_city(directory, rental=RENTAL):
    (directory / "sources.toml").write_text(textwrap.dedent(SOURCES), encoding="utf-8")
    data = ("\n".join(rental) + "\n").encode("gbk")
    data += b"R7,\xff\xff\xff,x,y,z,w\n"  # undecodable bytes
    (directory / "rental.csv").write_bytes(data)
    lines = [
        json.dumps(row, ensure_ascii=False)
        for row in [
            {"case_no": "V1", "surname": "欧阳", "given": "娜", "id": None, "phone": None,
             "date": "20240305", "place": "越秀区北京路1号", "type": "占道经营"},
            {"case_no": "V2", "surname": "", "given": "", "id": "", "phone": "13800000000",
             "date": "2024-03-06",
             "place": "越秀区北京路1号", "type": "无证摊贩"},
        ]
    ]  # fmt: skip
    lines.append('{"case_no": "V3", "surname": "陈"')  # malformed JSON
    (directory / "violations.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pq.write_table(
        pa.table(
            {
                "reg_no": ["C1", "C2"],
                "企业名称": ["广州市恒通贸易有限公司", "恒通贸易（广州）有限公司天河分公司"],
                "统一社会信用代码": ["91440101MA5CXXXX00", None],
                "住所": ["越秀区中山五路12号", "天河区天河路100号"],
                "法定代表人": ["陈伟", None],
            }
        ),
        directory / "registry.parquet",
    )
    return directory / "sources.toml"


def by_name(report, name):
    return next(s for s in report.sources if s.name == name)


def tables(workdir):
    connection = staging.connect(workdir, read_only=True)
    try:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (*staging.PER_SOURCE_TABLES, "records")
        }
    finally:
        connection.close()


def test_counts_reconcile_and_bad_rows_are_quarantined_with_reasons(tmp_path):
    config = load_config(write_city(tmp_path))
    report = ingest(config, tmp_path / "work", progress=False)
    rental = by_name(report, "rental")
    assert rental.rows_read == 8
    assert (rental.rows_staged, rental.rows_quarantined) == (4, 4)
    violations = by_name(report, "violations")
    assert (violations.rows_read, violations.rows_staged, violations.rows_quarantined) == (3, 1, 2)
    for source in report.sources:
        assert source.rows_read == source.rows_staged + source.rows_quarantined
    saved = json.loads((tmp_path / "work" / "ingest_report.json").read_text())
    assert {s["name"] for s in saved["sources"]} == {"rental", "violations", "registry"}
    for source in saved["sources"]:
        assert source["rows_read"] == source["rows_staged"] + source["rows_quarantined"]

    connection = staging.connect(tmp_path / "work", read_only=True)
    quarantine = connection.execute(
        "SELECT source, row_number, reason, raw FROM quarantine ORDER BY source, row_number"
    ).fetchall()
    reasons = {(s, n): reason for s, n, reason, _ in quarantine}
    assert reasons[("rental", 5)] == "wrong number of fields: 2, header has 6"
    assert reasons[("rental", 6)] == "no mention: every mapped field is empty"
    assert reasons[("rental", 7)].startswith("duplicate record id: 'R1' already at row 1")
    assert reasons[("rental", 8)].startswith("undecodable bytes for encoding gbk")
    assert reasons[("violations", 2)].startswith("no identifying field: mention 'vendor'")
    assert reasons[("violations", 3)].startswith("malformed JSON")
    assert all(raw for *_, raw in quarantine)
    connection.close()


def test_an_unterminated_quote_costs_one_row_and_counts_still_reconcile(tmp_path):
    broken = '"R9,越秀区中山五路9号,张三,,,2024-01-09'  # the quote is never closed
    rental = [*RENTAL[:2], broken, *RENTAL[2:]]
    report = ingest(load_config(write_city(tmp_path, rental)), tmp_path / "work", progress=False)
    source = by_name(report, "rental")
    assert (source.rows_read, source.rows_staged, source.rows_quarantined) == (9, 4, 5)
    assert source.quarantine_reasons["unterminated quote"] == 1
    connection = staging.connect(tmp_path / "work", read_only=True)
    quarantined = connection.execute(
        "SELECT row_number, raw FROM quarantine WHERE reason LIKE 'unterminated quote%'"
    ).fetchall()
    staged = connection.execute(
        "SELECT record_id FROM records WHERE source = 'rental' ORDER BY record_id"
    ).fetchall()
    connection.close()
    assert quarantined == [(2, broken)]
    assert [r[0] for r in staged] == ["R1", "R2", "R3", "R4"]


def test_mentions_are_standardised_with_lineage(tmp_path):
    ingest(load_config(write_city(tmp_path)), tmp_path / "work", progress=False)
    connection = staging.connect(tmp_path / "work", read_only=True)
    rows = connection.execute(
        "SELECT mention_id, name, name_key, id_number, id_valid, id_converted_from_15, phone, "
        "point_key, unit_key FROM mentions WHERE source = 'rental' ORDER BY mention_id"
    ).fetchall()
    by_id = {row[0]: row[1:] for row in rows}
    r1, r2 = by_id["rental/R1/tenant"], by_id["rental/R2/tenant"]
    assert r1[0] == r2[0] == "陈伟"
    assert r1[1] == r2[1] == "chen wei"
    assert r1[2] == r2[2] == "11010519491231002X"
    assert r1[3] is True and r2[4] is True
    assert r1[5] == r2[5] == "13812345678"
    units = [by_id[f"rental/R{i}/unit"] for i in (1, 2, 3)]
    assert len({unit[6] for unit in units}) == 1  # three surface forms, one point
    assert len({unit[7] for unit in units}) == 1  # and one unit
    assert "rental/R4/tenant" not in by_id
    relation = connection.execute(
        "SELECT type, from_mention, to_mention FROM relations WHERE record_id = 'R1'"
    ).fetchall()
    assert relation == [("RENTS", "rental/R1/tenant", "rental/R1/unit")]
    event = connection.execute(
        "SELECT type, date, place, attributes FROM events WHERE event_id = 'violations/V1'"
    ).fetchone()
    assert event[0] == "Violation" and str(event[1]) == "2024-03-05"
    assert json.loads(event[3]) == {"kind": "占道经营"}
    vendor = connection.execute(
        "SELECT name, surname FROM mentions WHERE mention_id = 'violations/V1/vendor'"
    ).fetchone()
    assert vendor == ("欧阳娜", "欧阳")
    participants = connection.execute(
        "SELECT mention_id, role FROM event_participants WHERE event_id = 'violations/V1'"
    ).fetchall()
    assert participants == [("violations/V1/vendor", "vendor")]
    connection.close()


def test_reingesting_unchanged_files_changes_nothing(tmp_path):
    config = load_config(write_city(tmp_path))
    first = ingest(config, tmp_path / "work", progress=False)
    before = tables(tmp_path / "work")
    second = ingest(config, tmp_path / "work", progress=False)
    assert second.batch_id is None
    assert all(s.skipped_unchanged_file for s in second.sources)
    assert [s.rows_read for s in second.sources] == [s.rows_read for s in first.sources]
    reasons = [s.quarantine_reasons for s in first.sources]
    assert any(reasons) and [s.quarantine_reasons for s in second.sources] == reasons
    assert tables(tmp_path / "work") == before


def test_changed_and_removed_rows_are_detected_by_hash(tmp_path):
    path = write_city(tmp_path)
    ingest(load_config(path), tmp_path / "work", progress=False)
    changed = list(RENTAL)
    changed[3] = changed[3].replace("王芳", "王芳芳")
    del changed[4]  # R4 removed
    write_city(tmp_path, rental=changed)
    report = ingest(load_config(path), tmp_path / "work", progress=False)
    rental = by_name(report, "rental")
    assert (rental.rows_new, rental.rows_changed, rental.rows_removed) == (0, 1, 1)
    assert rental.rows_unchanged == 2
    assert by_name(report, "registry").skipped_unchanged_file
    connection = staging.connect(tmp_path / "work", read_only=True)
    changes = connection.execute(
        "SELECT record_id, change FROM record_changes WHERE batch_id = ? ORDER BY record_id",
        [report.batch_id],
    ).fetchall()
    assert changes == [("R3", "changed"), ("R4", "removed")]
    connection.close()


def test_a_crash_mid_run_then_a_rerun_gives_the_clean_result(tmp_path, monkeypatch):
    path = write_city(tmp_path)
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    ingest(load_config(path), clean_dir, progress=False)

    real_write = ingest_module._write_source

    def failing_write(connection, spec, *args, **kwargs):
        if spec.name == "violations":
            raise RuntimeError("power cut")
        return real_write(connection, spec, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "_write_source", failing_write)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest(load_config(path), crash_dir, progress=False)
    monkeypatch.setattr(ingest_module, "_write_source", real_write)
    ingest(load_config(path), crash_dir, progress=False)
    assert tables(crash_dir) == tables(clean_dir)


def test_cli_ingest_reports_and_config_errors_exit_non_zero(tmp_path):
    path = write_city(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "--config", str(path), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "ingest_report.json").exists()
    path.write_text(path.read_text().replace('"登记编号"', '"编号"', 1))
    result = runner.invoke(app, ["ingest", "--config", str(path), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 1
    assert "source 'rental': unknown column '编号'" in result.output


def test_parallel_workers_stage_exactly_what_one_process_does(tmp_path, monkeypatch):
    """Staged in this process, in two workers, or (an input past ``PARALLEL_MIN_BYTES``) in
    one worker process: the same rows."""
    path = write_city(tmp_path)
    ingest(load_config(path), tmp_path / "one", progress=False, workers=1)
    monkeypatch.setattr(ingest_module, "PARALLEL_MIN_BYTES", 0)
    ingest(load_config(path), tmp_path / "two", progress=False, workers=2)
    assert tables(tmp_path / "two") == tables(tmp_path / "one")
    ingest(load_config(path), tmp_path / "worker", progress=False, workers=1)
    assert tables(tmp_path / "worker") == tables(tmp_path / "one")


def test_rows_spilled_in_small_chunks_stage_what_one_chunk_does(tmp_path, monkeypatch):
    """Staged rows go to Parquet a chunk at a time; many chunks must stage the same rows, and
    nothing of the spill is left in the workdir."""
    path = write_city(tmp_path)
    ingest(load_config(path), tmp_path / "one", progress=False, workers=1)
    monkeypatch.setattr(sources_module, "SPILL_ROWS", 2)
    report = ingest(load_config(path), tmp_path / "chunks", progress=False, workers=1)
    assert tables(tmp_path / "chunks") == tables(tmp_path / "one")
    assert sum(s.rows_read for s in report.sources) > 2 * 3
    assert not (tmp_path / "chunks" / ingest_module.SPILL_DIR).exists()


def test_a_csv_is_read_without_holding_the_file(tmp_path, monkeypatch):
    """The CSV reader streams: it never reads a file whole (``Path.read_bytes``)."""
    path = write_city(tmp_path)

    def refused(self):
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(type(path), "read_bytes", refused)
    report = ingest(load_config(path), tmp_path / "work", progress=False, workers=1)
    assert by_name(report, "rental").rows_read > 0


def test_a_workspace_with_the_older_primary_keys_is_rebuilt_without_them(tmp_path):
    """An older huitong gave ``mentions``, ``events`` and ``records`` a primary key (DuckDB
    builds its index in memory at commit). Opening such a workspace drops them, rows and columns
    kept, and ingest then writes into it as into a new one; a repeated record id is still
    quarantined, now without a key to catch it."""
    import duckdb

    path = write_city(tmp_path)
    config = load_config(path)
    ingest(config, tmp_path / "new", progress=False, workers=1)
    ingest(config, tmp_path / "old", progress=False, workers=1)
    keys = {"mentions": "mention_id", "events": "event_id", "records": "source, record_id"}
    connection = duckdb.connect(str(staging.workspace_path(tmp_path / "old")))
    for table, key in keys.items():
        connection.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
    connection.close()
    before = tables(tmp_path / "old")

    connection = staging.connect(tmp_path / "old")
    keyed = connection.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    columns = connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'mentions' "
        "ORDER BY ordinal_position"
    ).fetchall()
    connection.close()
    assert not {table for (table,) in keyed} & set(keys)
    assert [name for (name,) in columns] == staging.MENTION_SCHEMA.names
    assert tables(tmp_path / "old") == before == tables(tmp_path / "new")

    (tmp_path / "rental.csv").write_bytes((tmp_path / "rental.csv").read_bytes() + b"R2,x,y,,,\n")
    changed = ingest(config, tmp_path / "old", progress=False, workers=1)
    ingest(config, tmp_path / "new", progress=False, workers=1)
    assert by_name(changed, "rental").quarantine_reasons["duplicate record id"] == 2
    assert tables(tmp_path / "old") == tables(tmp_path / "new")


def test_a_tight_duckdb_memory_limit_stages_the_same_rows(tmp_path, monkeypatch):
    """``HUITONG_INGEST_MEMORY`` caps DuckDB while it loads the staged rows (it spills past
    it): the result is the same. Too little for a source stops the run naming the setting, and
    a run with enough then gives the clean result; a value that is not a size is refused."""
    path = write_city(tmp_path)
    ingest(load_config(path), tmp_path / "default", progress=False, workers=1)
    monkeypatch.setenv("HUITONG_INGEST_MEMORY", "64MB")
    ingest(load_config(path), tmp_path / "tight", progress=False, workers=1)
    assert tables(tmp_path / "tight") == tables(tmp_path / "default")
    monkeypatch.setenv("HUITONG_INGEST_MEMORY", "1MB")
    with pytest.raises(LoaderError, match=r"rental: .* ran out of .*HUITONG_INGEST_MEMORY"):
        ingest(load_config(path), tmp_path / "tiny", progress=False, workers=1)
    monkeypatch.delenv("HUITONG_INGEST_MEMORY")
    ingest(load_config(path), tmp_path / "tiny", progress=False, workers=1)
    assert tables(tmp_path / "tiny") == tables(tmp_path / "default")
    monkeypatch.setenv("HUITONG_INGEST_MEMORY", "lots")
    with pytest.raises(LoaderError, match="HUITONG_INGEST_MEMORY"):
        ingest(load_config(path), tmp_path / "bad", progress=False, workers=1)
