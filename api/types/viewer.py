import strawberry

from api.auth import Caller


@strawberry.type(description="Who you are to the API, as your token says.")
class Viewer:
    subject: str = strawberry.field(description="Who the token was issued to.")
    role: str = strawberry.field(description="department_app, steward, investigator or admin.")
    department: str | None = strawberry.field(description="Your department.")
    district: str | None = strawberry.field(description="District you may see (null: city).")
    street: str | None = strawberry.field(description="Street office you may see, if narrowed.")
    community: str | None = strawberry.field(description="Community you may see, if narrowed.")
    identifiers_visible: bool = strawberry.field(
        description="Whether resident IDs and phones are shown to you unmasked."
    )

    @classmethod
    def from_caller(cls, caller: Caller) -> "Viewer":
        j = caller.jurisdiction
        return cls(
            subject=caller.subject,
            role=caller.role,
            department=caller.department,
            district=j.district,
            street=j.street,
            community=j.community,
            identifiers_visible=caller.sees_identifiers,
        )
