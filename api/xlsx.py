"""An XLSX workbook of one sheet, written row by row and handed out as it grows.

The registers are exported to community staff as spreadsheets; the household register of a
city of 100,000 people has about 100,000 rows of 17 cells. openpyxl's write-only mode took
12.7 s to append such rows and XlsxWriter's constant-memory mode 8.3 s (measured on this
machine, 101,000 rows of the household register's shape), and both finish the file before its
first byte can be sent, because a ZIP's entries are finished one after another. The sheet
here is SpreadsheetML written directly: each cell an inline string (or a number or boolean),
deflated into a ZIP streamed without seeking (Python's :mod:`zipfile` writes data descriptors
then): 2.1 s for the same rows, and the first bytes leave while Neo4j is still being read.
The package holds what a reader needs and nothing else: content types, the relationships,
the workbook with one sheet, minimal styles, the sheet. Characters XML cannot hold (control
characters other than tab and line breaks) are dropped from the cell they appear in.
"""

from __future__ import annotations

import math
import re
import zipfile
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STATIC = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_DOCUMENT}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_DOCUMENT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_DOCUMENT}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PACKAGE}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TITLE_ILLEGAL = re.compile(r"[\[\]:*?/\\]")
_ROWS_PER_WRITE = 256


class _Sink:
    """Where the ZIP is written: bytes kept until taken. No ``seek``, so :mod:`zipfile`
    streams (each entry's sizes in a data descriptor after it)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


class StreamedSheet:
    """One sheet named ``title``: :meth:`append` rows, :meth:`take` what is ready to send,
    :meth:`close` for the rest (the sheet's end and the ZIP's directory)."""

    def __init__(self, title: str, columns: int) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_DEFLATED)
        name = _TITLE_ILLEGAL.sub("_", title)[:31] or "Sheet1"
        workbook = (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            f'<sheet name={quoteattr(name)} sheetId="1" r:id="rId1"/></sheets></workbook>'
        )
        for part, xml in (*_STATIC.items(), ("xl/workbook.xml", workbook)):
            self._zip.writestr(part, _HEAD + xml)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write(
            (_HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheetData>').encode()
        )
        self._columns = columns
        self._pending: list[str] = []

    @property
    def ready(self) -> int:
        """Bytes of the ZIP written so far and not yet taken."""
        return self._sink.size

    def append(self, cells: list[Any]) -> None:
        """One row; cells beyond the sheet's columns are left out. A cell carries no reference
        (a reader counts them: an empty one is written as ``<c/>``)."""
        self._pending.append("<row>" + "".join(map(_cell, cells[: self._columns])) + "</row>")
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._write_pending()

    def take(self) -> bytes:
        """The ZIP's bytes written since the last call."""
        return self._sink.take()

    def close(self) -> bytes:
        """End the sheet and the ZIP; the remaining bytes."""
        self._write_pending()
        self._sheet.write(b"</sheetData></worksheet>")
        self._sheet.close()
        self._zip.close()
        return self._sink.take()

    def _write_pending(self) -> None:
        if self._pending:
            self._sheet.write("".join(self._pending).encode("utf-8"))
            self._pending.clear()


def _cell(value: Any) -> str:
    if value is None or value == "":  # a blank cell, as openpyxl wrote an empty string
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime | date):
        value = value.isoformat()
    text = str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    text = escape(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'
