import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaders.errors import SourceUnreadable
from loaders.readers import as_text, iter_rows, read_columns


def test_csv_gbk_with_bad_bytes_and_wrong_field_count(tmp_path):
    path = tmp_path / "a.csv"
    good = "id,姓名,地址\n1,陈伟,越秀区中山五路12号\n".encode("gbk")
    bad_bytes = b"2,\xff\xfe\xff,x\n"
    wrong_fields = "3,王芳\n".encode("gbk")
    quoted = '4,"李, 明","多行\n地址"\n'.encode("gbk")
    path.write_bytes(good + bad_bytes + wrong_fields + quoted + b"\n")
    rows = list(iter_rows(path, "csv", "gbk"))
    assert [r.row_number for r in rows] == [1, 2, 3, 4]
    assert rows[0].values == {"id": "1", "姓名": "陈伟", "地址": "越秀区中山五路12号"}
    assert rows[1].values is None and "undecodable bytes for encoding gbk" in rows[1].error
    assert "\\xff" in rows[1].raw
    assert rows[2].error == "wrong number of fields: 2, header has 3"
    assert rows[2].raw == "3,王芳"
    assert rows[3].values["姓名"] == "李, 明"
    assert rows[3].values["地址"] == "多行\n地址"


def test_utf8_bom_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes("\ufeffid,name\n1,x\n".encode())
    assert read_columns(path, "csv", "utf-8-sig") == ["id", "name"]
    assert next(iter(iter_rows(path, "csv", "utf-8-sig"))).values == {"id": "1", "name": "x"}
    assert next(iter(iter_rows(path, "csv", "utf-8"))).values == {"id": "1", "name": "x"}


def test_jsonl_malformed_and_non_object_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [
        json.dumps({"id": 1, "name": "陈伟", "n": 3.0}, ensure_ascii=False),
        '{"id": 2, "name": ',
        "[1, 2]",
        "",
        json.dumps({"id": "4", "name": None}),
    ]
    path.write_text("\n".join(lines) + "\n")
    rows = list(iter_rows(path, "jsonl", "utf-8"))
    assert [r.row_number for r in rows] == [1, 2, 3, 4]
    assert rows[0].values == {"id": "1", "name": "陈伟", "n": "3"}
    assert rows[1].error.startswith("malformed JSON")
    assert rows[2].error == "a JSON line must be an object, got list"
    assert rows[3].values == {"id": "4", "name": None}
    assert read_columns(path, "jsonl", "utf-8") == ["id", "name", "n"]


def test_a_json_escape_of_a_lone_surrogate_quarantines_its_row(tmp_path):
    """``"\\ud800"`` is valid JSON but not text (no UTF-8 carries it): the row is unreadable,
    with its reason, in a key or a value, nested or not; an escaped pair is one character."""
    path = tmp_path / "s.jsonl"
    lines = [
        '{"id": "V\\ud800", "name": "x"}',
        '{"id": "2", "\\udfff": "x"}',
        '{"id": "3", "tags": ["\\ud83d"]}',
        '{"id": "4", "name": "\\ud83d\\ude00"}',
    ]
    path.write_text("\n".join(lines) + "\n")
    rows = list(iter_rows(path, "jsonl", "utf-8"))
    assert [r.values for r in rows[:3]] == [None, None, None]
    assert all("lone surrogate" in r.error for r in rows[:3])
    assert rows[0].raw == lines[0]
    assert rows[3].values == {"id": "4", "name": "\U0001f600"}


def test_parquet_rows_are_text(tmp_path):
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [1, 2], "amount": [1.5, None], "name": ["a", ""]}), path)
    rows = list(iter_rows(path, "parquet", "utf-8"))
    assert rows[0].values == {"id": "1", "amount": "1.5", "name": "a"}
    assert rows[1].values == {"id": "2", "amount": None, "name": None}
    assert read_columns(path, "parquet", "utf-8") == ["id", "amount", "name"]


def test_unreadable_files_stop_with_a_clear_error(tmp_path):
    with pytest.raises(SourceUnreadable, match="file not found"):
        list(iter_rows(tmp_path / "none.csv", "csv", "utf-8"))
    bogus = tmp_path / "e.parquet"
    bogus.write_text("not parquet")
    with pytest.raises(SourceUnreadable, match="not a readable Parquet file"):
        list(iter_rows(bogus, "parquet", "utf-8"))


def test_as_text():
    assert as_text("  x ") == "x"
    assert as_text("   ") is None
    assert as_text(12.0) == "12"
    assert as_text(float("nan")) is None


def test_an_unterminated_quote_quarantines_its_row_only(tmp_path):
    path = tmp_path / "f.csv"
    lines = ["id,姓名,地址", "1,陈伟,越秀区中山五路12号", '2,"王芳,天河区天河路100号']
    lines += [f"{n},李明{n},越秀区北京路{n}号" for n in range(3, 2003)]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    rows = list(iter_rows(path, "csv", "gbk"))
    assert len(rows) == 2002
    assert rows[1].values is None
    assert rows[1].error.startswith("unterminated quote: the quoted field opened on line 3")
    assert rows[1].raw == '2,"王芳,天河区天河路100号'
    assert [r.values["id"] for r in rows[2:]] == [str(n) for n in range(3, 2003)]
    assert rows[-1].values == {"id": "2002", "姓名": "李明2002", "地址": "越秀区北京路2002号"}


def test_quotes_that_balance_across_broken_rows_do_not_join_them(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        'id,name,note\n1,"a,x\n2,b,y\n3,c",z,extra\n4,d,"two\nlines"\n5,e,"last\n',
        encoding="utf-8",
    )
    rows = list(iter_rows(path, "csv", "utf-8"))
    assert [r.row_number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].error.startswith("unterminated quote") and rows[0].raw == '1,"a,x'
    assert rows[1].values == {"id": "2", "name": "b", "note": "y"}
    assert rows[2].error == "wrong number of fields: 4, header has 3"
    assert rows[3].values == {"id": "4", "name": "d", "note": "two\nlines"}
    assert rows[4].error.startswith("unterminated quote") and rows[4].raw == '5,e,"last'


def test_a_stray_quote_inside_an_unquoted_field_is_text(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('id,name\n1,O"Brien\n2,x\n', encoding="utf-8")
    rows = list(iter_rows(path, "csv", "utf-8"))
    assert [r.values for r in rows] == [{"id": "1", "name": 'O"Brien'}, {"id": "2", "name": "x"}]
