"""Each department's data-quality scorecard (``sourceQuality``): what its source gave and how
well — rows read, staged and quarantined by reason; completeness and validity per field;
records contradicting their golden record; duplicates inside the source. A department app sees
its own department's sources only; stewards and admins see every source."""

from __future__ import annotations

import json
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import Forbidden
from graph_schema import api_queries as q

Info = strawberry.Info[Context, None]
QUALITY_ROLES = frozenset({"department_app", "steward", "admin"})


@strawberry.type(description="How many of something, and why.")
class ReasonCount:
    reason: str = strawberry.field(description="The reason (a quarantine reason, a field…).")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="Completeness and validity of one field in one source.")
class FieldQuality:
    field: str = strawberry.field(description="Canonical field (name, id_number, phone, …).")
    mentions: int = strawberry.field(description="Mentions the source staged.")
    filled: int = strawberry.field(description="Mentions where the field was given.")
    invalid: int = strawberry.field(
        description="Given but unusable: a bad check character (IDs, USCCs), not a phone, an "
        "unreadable date or address."
    )
    completeness: float = strawberry.field(description="filled / mentions.")
    validity: float = strawberry.field(description="(filled − invalid) / filled.")


@strawberry.type(description="A department source's data-quality scorecard, as of the last run.")
class SourceQuality:
    source: str = strawberry.field(description="Source name from the sources contract.")
    department: str | None = strawberry.field(description="Department keeping the source.")
    rows_read: int = strawberry.field(description="Rows read from the file.")
    rows_staged: int = strawberry.field(description="Rows staged (rows read − quarantined).")
    rows_quarantined: int = strawberry.field(description="Rows set aside unread.")
    quarantined: list[ReasonCount] = strawberry.field(
        description="Quarantined rows by reason, most first."
    )
    fields: list[FieldQuality] = strawberry.field(description="Per field the source maps.")
    contradictions: list[ReasonCount] = strawberry.field(
        description="Person mentions contradicting their golden record: birth_date or gender "
        "(which the resident ID decides), name (another name)."
    )
    duplicate_records: int = strawberry.field(
        description="Records resolving to a golden record another record of the same source "
        "already resolves to: duplicates inside the source."
    )

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> SourceQuality:
        report = json.loads(row["report"])
        return cls(
            source=row["source"],
            department=row.get("department"),
            rows_read=report["rows_read"],
            rows_staged=report["rows_staged"],
            rows_quarantined=report["rows_quarantined"],
            quarantined=[ReasonCount(reason=k, count=v) for k, v in report["quarantined"].items()],
            fields=[
                FieldQuality(
                    field=f["field"],
                    mentions=f["mentions"],
                    filled=f["filled"],
                    invalid=f["invalid"],
                    completeness=round(f["filled"] / f["mentions"], 4) if f["mentions"] else 0.0,
                    validity=round(1 - f["invalid"] / f["filled"], 4) if f["filled"] else 0.0,
                )
                for f in report["fields"]
            ],
            contradictions=[
                ReasonCount(reason=k, count=v) for k, v in report["contradictions"].items()
            ],
            duplicate_records=report["duplicate_records"],
        )


@strawberry.type
class QualityQueries:
    """The scorecard's root field (mixed into ``Query``)."""

    @strawberry.field(
        description="A department source's data-quality scorecard. Department apps see their "
        "own department's sources; stewards and admins every source; null for an unknown source."
    )
    async def source_quality(
        self,
        info: Info,
        source: Annotated[str, strawberry.argument(description="Source name (e.g. hukou).")],
    ) -> SourceQuality | None:
        ctx = info.context
        caller = ctx.caller
        ctx.audit.arguments["sourceQuality"] = {"source": source}
        if caller.role not in QUALITY_ROLES:
            raise Forbidden(f"role {caller.role} may not read data-quality scorecards")
        rows = await ctx.graph.read(q.SOURCE_QUALITY, source=source)
        if not rows:
            return None
        quality = rows[0]["quality"]
        if caller.role == "department_app" and quality.get("department") != caller.department:
            raise Forbidden(
                f"source {source} belongs to {quality.get('department')}, not to your "
                f"department ({caller.department})"
            )
        ctx.returned(1)
        return SourceQuality.from_record(quality)
