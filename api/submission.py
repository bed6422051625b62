"""Departments submitting records in real time: who may, and the call to the engine.

A ``department_app`` token may submit to (and retract from) the sources of its own department,
an ``admin`` to any; anyone else gets ``FORBIDDEN`` before anything is read or written
(:class:`api.permissions.SubmittersOnly` checks the role, :func:`check_department` the
department). The work itself is the real-time engine's (:mod:`realtime.engine`), run in a
worker thread: it holds the workdir's journal for the whole call and writes the graph in one
transaction of its own.
"""

from __future__ import annotations

from typing import Any

import anyio

from api.context import Context
from api.errors import BadRequest, Forbidden, GraphUnavailable
from realtime.engine import MAX_ROWS, rows_from_objects
from realtime.errors import NotApplied, UnknownSource
from realtime.results import RetractResult, SubmitResult


def _engine(ctx: Context):
    engine = ctx.realtime
    if engine is None:
        raise BadRequest(
            "real-time submission is off: the server was started without a resolved workdir "
            "(`huitong serve --workdir W`)"
        )
    return engine


def check_department(ctx: Context, source: str) -> None:
    """A department app submits to its own department's sources only."""
    engine = _engine(ctx)
    try:
        spec = engine.source(source)
    except UnknownSource as error:
        raise BadRequest(str(error)) from None
    caller = ctx.caller
    if caller.role == "department_app" and caller.department != spec.department:
        raise Forbidden(
            f"source {source} belongs to {spec.department}; your token is for "
            f"{caller.department or 'no department'}"
        )


async def submit(ctx: Context, source: str, rows: list[Any]) -> SubmitResult:
    """Stage, match and write ``rows`` of ``source``; each row's outcome."""
    check_department(ctx, source)
    if len(rows) > MAX_ROWS:
        raise BadRequest(f"{len(rows)} rows in one call; at most {MAX_ROWS}")
    engine = _engine(ctx)
    raw = rows_from_objects(rows)
    by = ctx.caller.subject
    try:
        result = await anyio.to_thread.run_sync(lambda: engine.submit(source, raw, by))
    except NotApplied as error:
        raise GraphUnavailable(str(error)) from error
    ctx.returned(len(result.rows))
    return result


async def retract(ctx: Context, source: str, record_ids: list[str]) -> RetractResult:
    """Remove records from ``source``."""
    check_department(ctx, source)
    if len(record_ids) > MAX_ROWS:
        raise BadRequest(f"{len(record_ids)} records in one call; at most {MAX_ROWS}")
    engine = _engine(ctx)
    by = ctx.caller.subject
    try:
        result = await anyio.to_thread.run_sync(lambda: engine.retract(source, record_ids, by))
    except NotApplied as error:
        raise GraphUnavailable(str(error)) from error
    ctx.returned(len(result.retracted))
    return result
