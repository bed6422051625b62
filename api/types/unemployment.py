from typing import Any

import strawberry

from api import services
from api.context import Context
from api.types.enterprise import Enterprise
from api.types.pagination import connection_type, edge_type
from api.types.person import Person
from api.types.source_record import SourceRecord


@strawberry.type(description="An employment status one source records for a person.")
class EmploymentStatus:
    source: str = strawberry.field(description="Source name (e.g. social_insurance).")
    department: str | None = strawberry.field(description="Department keeping the source.")
    record_id: str = strawberry.field(description="Record ID within the source.")
    status: str | None = strawberry.field(description="就业状态: 在职, 失业, 灵活就业.")
    insurance_status: str | None = strawberry.field(description="参保状态: 参保, 停保.")
    since: str | None = strawberry.field(description="参保日期 as recorded.")
    stopped_on: str | None = strawberry.field(description="停保日期 as recorded.")


@strawberry.type(
    description="A resident out of work and what the data says about them — the labour "
    "bureau's 'five clear, four know' (五清四知): where they are, what they do now, whether "
    "they want work, what training they want."
)
class UnemployedResident:
    person: Person = strawberry.field(description="The resident (their address: where they are).")
    registered_unemployed: bool = strawberry.field(
        description="Whether an unemployment registration (失业登记) names them."
    )
    registered_on: str | None = strawberry.field(description="失业登记日期, latest registration.")
    situation: str | None = strawberry.field(description="目前状况: what they do now.")
    wants_work: bool | None = strawberry.field(description="就业意愿: whether they want work.")
    training_wanted: str | None = strawberry.field(description="培训需求: training they want.")
    employment_statuses: list[EmploymentStatus] = strawberry.field(
        description="Employment status by source (social insurance …), conflicts included."
    )
    former_employers: list[Enterprise] = strawberry.field(
        description="Employers named on their unemployment or insurance records (in scope)."
    )
    source_records: list[SourceRecord] = strawberry.field(
        description="Every employment-related record behind this answer."
    )

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context) -> "UnemployedResident":
        entries = sorted(
            row["records"], key=lambda r: (r["record"].get("source"), r["record"]["record_id"])
        )
        registrations = []
        statuses = []
        employers: dict[str, dict[str, Any]] = {}
        for entry in entries:
            record = entry["record"]
            attributes = services.attributes_of(record)
            if any(key in attributes for key in services.UNEMPLOYMENT_MARKERS):
                registrations.append(attributes)
            if services.EMPLOYMENT_STATUS in attributes:
                statuses.append(
                    EmploymentStatus(
                        source=record.get("source") or "",
                        department=record.get("department"),
                        record_id=record.get("record_id") or "",
                        status=attributes.get(services.EMPLOYMENT_STATUS),
                        insurance_status=attributes.get("insurance_status"),
                        since=attributes.get("insured_since"),
                        stopped_on=attributes.get("stopped_on"),
                    )
                )
            for enterprise in entry.get("enterprises") or []:
                employers[enterprise["id"]] = enterprise
        latest = max(registrations, key=lambda a: str(a.get("registered_on") or ""), default={})
        wants = latest.get("wants_work")
        return cls(
            person=Person.from_record(row["node"], ctx),
            registered_unemployed=bool(registrations),
            registered_on=latest.get("registered_on"),
            situation=latest.get("situation"),
            wants_work=None if wants in (None, "") else wants == services.YES,
            training_wanted=latest.get("training_wanted"),
            employment_statuses=statuses,
            former_employers=[Enterprise.from_record(e, ctx) for _, e in sorted(employers.items())],
            source_records=[SourceRecord.from_record(e["record"], ctx) for e in entries],
        )


UnemployedResidentEdge = edge_type(
    UnemployedResident,
    name="UnemployedResidentEdge",
    description="An unemployed resident in a list.",
    node_description="The resident.",
)
UnemployedResidentConnection = connection_type(
    UnemployedResidentEdge,
    name="UnemployedResidentConnection",
    description="A page of unemployed residents (Relay connection).",
    edges="This page's residents.",
    total_count="How many residents the list holds.",
)
