"""The registers a street office or community works in, as spreadsheets (数据返还):
``GET /exports/{register}.{xlsx|csv}?district=&street=&community=``.

Registers: ``households`` (the electronic household register: persons by address, with their
household number, relation to the head, spouses, parents and children), ``rental-units``
(units, landlords, tenants), ``enterprises`` (legal representatives, the non-public flag) and
``unemployed`` (the 五清四知 columns). Headers are Chinese; identifiers are masked for
department apps like everywhere else.

Every export needs ``Authorization: Bearer <JWT>`` (401 otherwise); the area asked for must
lie inside the token's jurisdiction (403 otherwise) and every row is filtered to both in
Cypher. Rows are streamed from Neo4j and go out as they are read, CSV as text, XLSX as a ZIP
written as it grows (:mod:`api.xlsx`): flat memory, nothing on disk. One audit line per
export.

An export that cannot be answered is told so before its first byte where that can be decided:
Neo4j away or too busy, or the query over ``HUITONG_EXPORT_TIMEOUT_SECONDS`` before the first
64 KiB of the file are written, is HTTP 503 with ``Retry-After``. A file that fails after its
first bytes went out (its status 200 sent) is cut off: the connection is
closed before the chunked body's end, which every HTTP client reports as a failed download,
and one ``stream_aborted`` line is logged; never a 500 after the headers, never a hang.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api import services
from api.audit import AuditLog
from api.auth import Caller, bearer_token, verify_token
from api.context import AuditEntry
from api.errors import ApiError, ErrorLog, GraphUnavailable, InvalidToken
from api.graph import ScopedGraph
from api.masking import Masker
from api.xlsx import StreamedSheet
from graph_schema import export_queries as q

Row = dict[str, Any]
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Register:
    name: str
    query: str
    headers: tuple[str, ...]
    cells: Callable[[Row, Masker], Iterable[list[Any]]]
    params: dict[str, Any]


def _person_cells(person: Row | None, masker: Masker) -> list[Any]:
    person = person or {}
    return [
        person.get("name"),
        masker.resident_id(person.get("id_number")),
        masker.phone(person.get("phone")),
    ]


def _joined(people: list[Row], masker: Masker) -> list[str]:
    """Several persons in three cells: names, IDs, phones, each joined by 、."""
    cells = [_person_cells(p, masker) for p in sorted(people, key=lambda p: p.get("id") or "")]
    return ["、".join(str(c[i] or "") for c in cells) for i in range(3)]


def _place(node: Row) -> list[Any]:
    return [node.get("district"), node.get("street"), node.get("community")]


_HOUSEHOLD_KEYS = ("household_no", "relation_to_head")
"""The household register's attributes; the query keeps only records whose JSON names one."""


def _household_cells(row: Row, masker: Masker) -> Iterable[list[Any]]:
    node = row["node"]
    hukou: dict[str, Any] = {}
    for text in row["attributes"]:  # only records naming one of them (the query's filter)
        attributes = services.attributes_of({"attributes": text})
        if any(key in attributes for key in _HOUSEHOLD_KEYS):
            hukou = attributes
            break
    yield [
        *_place(node),
        node.get("address"),
        hukou.get("household_no"),
        hukou.get("relation_to_head"),
        node.get("id"),
        node.get("name"),
        node.get("gender"),
        _text(node.get("birth_date")),
        masker.resident_id(node.get("id_number")),
        masker.phone(node.get("phone")),
        "、".join(sorted(row["spouses"])),
        "、".join(sorted(row["parents"])),
        "、".join(sorted(row["children"])),
        "、".join(sorted(row["sources"])),
    ]


def _unit_cells(row: Row, masker: Masker) -> Iterable[list[Any]]:
    node = row["node"]
    yield [
        *_place(node),
        node.get("address"),
        node.get("building"),
        node.get("room"),
        node.get("id"),
        *_joined(row["landlords"], masker),
        len(row["tenants"]),
        *_joined(row["tenants"], masker),
    ]


def _enterprise_cells(row: Row, masker: Masker) -> Iterable[list[Any]]:
    node = row["node"]
    registry: dict[str, Any] = {}
    for text in row["attributes"]:
        registry.update(services.attributes_of({"attributes": text}))
    yield [
        *_place(node),
        node.get("id"),
        node.get("name"),
        node.get("uscc"),
        node.get("address"),
        *_joined(row["representatives"], masker),
        registry.get(services.NON_PUBLIC),
        registry.get(services.ECONOMIC_NATURE),
        "、".join(sorted(row["sources"])),
    ]


def _unemployed_cells(row: Row, masker: Masker) -> Iterable[list[Any]]:
    node = row["node"]
    registrations, statuses, employers = [], [], set()
    for record in sorted(row["records"], key=lambda r: (r["source"], r["record_id"])):
        attributes = services.attributes_of(record)
        if any(key in attributes for key in services.UNEMPLOYMENT_MARKERS):
            registrations.append(attributes)
        if services.EMPLOYMENT_STATUS in attributes:
            statuses.append(f"{record['source']}:{attributes[services.EMPLOYMENT_STATUS]}")
        employers.update(record["employers"])
    out_of_work = any(s.endswith(":" + services.UNEMPLOYED) for s in statuses)
    if not registrations and not out_of_work:
        return
    latest = max(registrations, key=lambda a: str(a.get("registered_on") or ""), default={})
    yield [
        *_place(node),
        node.get("address"),
        node.get("id"),
        node.get("name"),
        node.get("gender"),
        _text(node.get("birth_date")),
        masker.resident_id(node.get("id_number")),
        masker.phone(node.get("phone")),
        "是" if registrations else "否",
        latest.get("registered_on"),
        latest.get("situation"),
        latest.get("wants_work"),
        latest.get("training_wanted"),
        "、".join(statuses),
        "、".join(sorted(employers)),
        "、".join(sorted({f"{r['source']}/{r['record_id']}" for r in row["records"]})),
    ]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_PLACE = ("区", "街道", "社区")
REGISTERS: dict[str, Register] = {
    "households": Register(
        "households",
        q.HOUSEHOLDS,
        (*_PLACE, "户籍地址", "户号", "与户主关系", "人员ID", "姓名", "性别", "出生日期",
         "公民身份号码", "联系电话", "配偶", "父母", "子女", "数据来源"),
        _household_cells,
        {"household_keys": [f'"{key}"' for key in _HOUSEHOLD_KEYS]},
    ),
    "rental-units": Register(
        "rental-units",
        q.RENTAL_UNITS,
        (*_PLACE, "房屋地址", "栋", "房号", "出租屋ID", "房东姓名", "房东证件号码",
         "房东联系电话", "租客人数", "租客姓名", "租客证件号码", "租客联系电话"),
        _unit_cells,
        {},
    ),
    "enterprises": Register(
        "enterprises",
        q.ENTERPRISES,
        (*_PLACE, "法人ID", "单位名称", "统一社会信用代码", "注册地址", "法定代表人",
         "法定代表人证件号码", "法定代表人联系电话", "是否非公企业", "经济性质", "数据来源"),
        _enterprise_cells,
        {},
    ),
    "unemployed": Register(
        "unemployed",
        q.UNEMPLOYED,
        (*_PLACE, "现住址（在哪里）", "人员ID", "姓名", "性别", "出生日期", "公民身份号码",
         "联系电话", "失业登记", "失业登记日期", "目前状况（干什么）", "就业意愿",
         "培训需求", "各来源就业状态", "原工作单位", "来源记录"),
        _unemployed_cells,
        {
            "attribute_markers": [
                f'"{key}"' for key in (services.EMPLOYMENT_STATUS, *services.UNEMPLOYMENT_MARKERS)
            ]
        },
    ),
}  # fmt: skip
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ApiError):
    status = 400


class ExportForbidden(ExportError):
    code = "FORBIDDEN"
    status = 403


class ExportNotFound(ExportError):
    code = "NOT_FOUND"
    status = 404


def _area_asked(request: Request, caller: Caller) -> tuple[str | None, str | None, str | None]:
    """The district, street and community asked for, narrowed to the token's jurisdiction;
    ExportForbidden when the request names a place outside it."""
    params = request.query_params
    district = services.district_name(params.get("district"))
    street = services.street_name(params["street"]) if params.get("street") else None
    community = services.community_name(params["community"]) if params.get("community") else None
    j = caller.jurisdiction
    for asked, allowed, level in (
        (district, j.district, "district"),
        (street, j.street, "street"),
        (community, j.community, "community"),
    ):
        if allowed and asked and asked != allowed:
            raise ExportForbidden(f"{level} {asked} lies outside your jurisdiction ({allowed})")
    if (street or community) and not (district or j.district):
        raise ExportError("name the district of a street or community (district=…)")
    return district or j.district, street or j.street, community or j.community


async def _rows(
    graph: ScopedGraph, register: Register, area: dict, masker: Masker, counted, timeout: float
):
    rows = graph.stream(register.query, timeout=timeout, area=area, **register.params)
    async with contextlib.aclosing(rows):
        async for row in rows:
            for cells in register.cells(row, masker):
                counted[0] += 1
                yield cells


async def _csv(rows: AsyncIterator[list[Any]], headers: tuple[str, ...]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a BOM: spreadsheet programs then read the Chinese as UTF-8
    writer.writerow(headers)
    async for cells in rows:
        writer.writerow(["" if c is None else c for c in cells])
        if buffer.tell() > _CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


async def _xlsx(
    rows: AsyncIterator[list[Any]], headers: tuple[str, ...], title: str
) -> AsyncIterator[bytes]:
    """The rows as an XLSX workbook, streamed as it is written (:mod:`api.xlsx`)."""
    sheet = StreamedSheet(title, len(headers))
    sheet.append(list(headers))
    async for cells in rows:
        sheet.append(cells)
        if sheet.ready > _CHUNK:
            yield sheet.take()
    yield sheet.close()


class StreamAborted(Exception):
    """A download failed after its status was sent."""


class CuttableStream(StreamingResponse):
    """A streamed body that may end unfinished: when its iterator raises :class:`StreamAborted`
    the response returns without the body's last message, so the server closes the connection
    mid-body and the client sees the download fail (chunked encoding never terminated)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with contextlib.suppress(StreamAborted):
            await super().__call__(scope, receive, send)


def _unavailable(error: GraphUnavailable) -> JSONResponse:
    return JSONResponse(
        {"error": error.message, "code": "SERVICE_UNAVAILABLE"}, 503, headers={"Retry-After": "30"}
    )


def export_routes(secret: str, audit: AuditLog, errors: ErrorLog | None = None) -> list[Route]:
    """The ``/exports/{register}.{format}`` route, authenticated and audited; a download cut
    off midway is logged to ``errors`` (stderr by default)."""
    errors = errors or ErrorLog()

    async def export(request: Request) -> Response:
        began = time.perf_counter()
        client = request.client.host if request.client else None
        name, _, fmt = request.path_params["file"].rpartition(".")
        entry = AuditEntry(root_fields=(f"export:{name}",))
        caller: Caller | None = None
        counted = [0]
        try:
            caller = verify_token(secret, bearer_token(request.headers.get("authorization")))
        except InvalidToken as error:
            audit.request(caller=None, entry=entry, status=401, seconds=0.0, client=client,
                          reason=str(error))  # fmt: skip
            return JSONResponse({"error": str(error), "code": "UNAUTHENTICATED"}, 401)

        def finish(status: int) -> None:
            entry.records_returned = counted[0]
            audit.request(caller=caller, entry=entry, status=status,
                          seconds=time.perf_counter() - began, client=client)  # fmt: skip

        try:
            register = REGISTERS.get(name)
            if register is None or fmt not in FORMATS:
                raise ExportNotFound(
                    f"no register {request.path_params['file']!r}: one of "
                    f"{', '.join(REGISTERS)} as .xlsx or .csv"
                )
            district, street, community = _area_asked(request, caller)
            entry.arguments = {"export": {"register": name, "format": fmt, "district": district,
                                          "street": street, "community": community}}  # fmt: skip
            graph = ScopedGraph(request.state.graph, caller.jurisdiction)
            area = await graph.area(district, street, community)
            masker = Masker(caller.sees_identifiers)
            timeout = request.app.state.settings.export_timeout_seconds
            rows = _rows(graph, register, area, masker, counted, timeout)
            place = "-".join(p for p in (district, street, community) if p) or "全市"
            filename = f"{name}-{place}.{fmt}"
            headers = {
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
                "Cache-Control": "no-store",
            }
            if fmt == "xlsx":
                body: AsyncIterator[bytes] = _xlsx(rows, register.headers, name)
            else:
                body = _csv(rows, register.headers)
            first = await anext(body)  # the status is decided by the first 64 KiB
        except ExportError as error:
            finish(error.status)
            return JSONResponse({"error": error.message, "code": error.code}, error.status)
        except ApiError as error:
            finish(400)
            return JSONResponse({"error": error.message, "code": error.code}, 400)
        except GraphUnavailable as error:
            finish(503)
            return _unavailable(error)

        async def audited() -> AsyncIterator[bytes]:
            reason = "the download was given up by the client"
            try:
                if first:
                    yield first
                async with contextlib.aclosing(body):
                    async for chunk in body:
                        yield chunk
                reason = None
            except GraphUnavailable as error:
                reason = error.message
                errors.stream_aborted(
                    path=request.url.path, who=caller.subject, rows_read=counted[0], reason=reason
                )
                raise StreamAborted(reason) from error
            except Exception:
                reason = "unexpected error"
                raise
            finally:
                entry.records_returned = counted[0]
                audit.request(caller=caller, entry=entry, status=200, client=client,
                              seconds=time.perf_counter() - began,
                              reason=reason and f"cut off: {reason}")  # fmt: skip

        return CuttableStream(audited(), media_type=FORMATS[fmt], headers=headers)

    return [Route("/exports/{file}", export, methods=["GET"])]


def _quote(text: str) -> str:
    return quote(text, safe="")
