"""The streamed sheet is a workbook openpyxl reads back cell for cell, whatever the values."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from openpyxl import load_workbook

from api.xlsx import StreamedSheet


def written(title: str, rows: list[list], *, take_every: int = 1) -> bytes:
    sheet = StreamedSheet(title, max(len(r) for r in rows))
    out = bytearray()
    for i, row in enumerate(rows):
        sheet.append(row)
        if i % take_every == 0:
            out += sheet.take()
    return bytes(out + sheet.close())


def read_back(data: bytes) -> tuple[str, list[list]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.worksheets[0]
    return sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_values_come_back_as_written():
    rows = [
        ["区", "姓名", "人数", "比例", "是否", "出生日期", "备注"],
        ["白云区", "陈 伟", 3, 0.25, True, date(1985, 3, 2), None],
        [None, "<a & b>", 0, -1.5, False, "1985-03-02", "  前后空格  "],
        ["控制\x01字符\x1f", "换行\n和\t制表", 10**12, None, None, "", "'引号\""],
    ]
    title, back = read_back(written("households", rows))
    assert title == "households"
    assert back[0] == rows[0]
    assert back[1] == ["白云区", "陈 伟", 3, 0.25, True, "1985-03-02", None]
    assert back[2] == [None, "<a & b>", 0, -1.5, False, "1985-03-02", "  前后空格  "]
    # characters XML cannot hold are dropped; an empty string is a blank cell
    assert back[3] == ["控制字符", "换行\n和\t制表", 10**12, None, None, None, "'引号\""]


def test_many_rows_stream_out_before_the_end_and_the_zip_is_whole():
    rows = [["A", "B"]] + [[f"第{i}行", i] for i in range(20_000)]
    sheet = StreamedSheet("big", 2)
    early = bytearray()
    for row in rows:
        sheet.append(row)
        early += sheet.take()
    assert len(early) > 10_000  # bytes were ready long before the end
    data = bytes(early + sheet.close())
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    _, back = read_back(data)
    assert back == rows


def test_a_title_is_made_a_legal_sheet_name_and_extra_cells_are_left_out():
    title, back = read_back(written("a/b:c*d?[e]" + "x" * 40, [["x"]]))
    assert title == "a_b_c_d__e_" + "x" * 20 and back == [["x"]]
    sheet = StreamedSheet("t", 2)
    sheet.append(["a", "b", "c"])
    assert read_back(sheet.close())[1] == [["a", "b"]]
