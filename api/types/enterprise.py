from typing import Any, ClassVar

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.pagination import Page
from api.types import relations
from api.types.common import provenance_field
from api.types.pagination import Edge, connection_type

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="What the commerce registry (工商登记) records about an enterprise, merged over "
    "its registry records."
)
class RegistryFacts:
    non_public: bool | None = strawberry.field(
        description="Non-public enterprise (非公企业: private, foreign, HK/Macao/Taiwan)."
    )
    economic_nature: str | None = strawberry.field(description="经济性质: 私营, 国有, 外资, …")
    company_type: str | None = strawberry.field(description="企业类型 as registered.")
    status: str | None = strawberry.field(description="登记状态: 存续, 在业, 吊销, 注销.")
    industry: str | None = strawberry.field(description="行业.")
    founded_on: str | None = strawberry.field(description="成立日期 as registered.")
    registered_capital: str | None = strawberry.field(description="注册资本 (万元).")
    parent_enterprise: str | None = strawberry.field(description="隶属企业 of a branch.")
    authority: str | None = strawberry.field(description="登记机关.")

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any]) -> "RegistryFacts":
        def text(key: str) -> str | None:
            value = attributes.get(key)
            return None if value in (None, "") else str(value)

        non_public = text(services.NON_PUBLIC)
        return cls(
            non_public=None if non_public is None else non_public == services.YES,
            economic_nature=text(services.ECONOMIC_NATURE),
            company_type=text("company_type"),
            status=text("status"),
            industry=text("industry"),
            founded_on=text("founded_on"),
            registered_capital=text("registered_capital"),
            parent_enterprise=text("parent_enterprise"),
            authority=text("authority"),
        )


@strawberry.type(
    description="A golden enterprise or other legal person (法人), resolved across departments."
)
class Enterprise:
    LABEL: ClassVar[str] = "Enterprise"
    id: strawberry.ID = strawberry.field(description="Stable golden ID (E-…).")
    name: str | None = strawberry.field(description="Surviving name.")
    uscc: str | None = strawberry.field(
        description="Unified social credit code (统一社会信用代码)."
    )
    address: str | None = strawberry.field(description="Registered address (住所), standardised.")
    phone: str | None = strawberry.field(description="Phone, masked for department apps.")
    is_branch: bool | None = strawberry.field(description="Whether it is a branch (分公司).")
    branch_name: str | None = strawberry.field(description="Branch name, for branches.")
    district: str | None = strawberry.field(description="District of the registered address.")
    street: str | None = strawberry.field(description="Street office of that address.")
    community: str | None = strawberry.field(description="Community of that address.")
    mention_count: int = strawberry.field(description="How many source records resolve here.")
    source_names: list[str] = strawberry.field(description="Sources that mention it.")
    redirected_from: str | None = strawberry.field(
        description="The retired ID that was asked for, when it redirected here."
    )
    provenance_json: strawberry.Private[str | None]
    masker: strawberry.Private[Masker]
    known_registry: strawberry.Private[dict[str, Any] | None]

    @classmethod
    def from_record(
        cls,
        row: dict[str, Any],
        ctx: Context,
        *,
        redirected_from: str | None = None,
        registry: dict[str, Any] | None = None,
    ) -> "Enterprise":
        return cls(
            id=strawberry.ID(row["id"]),
            name=row.get("name"),
            uscc=row.get("uscc"),
            address=row.get("address"),
            phone=ctx.masker.phone(row.get("phone")),
            is_branch=row.get("is_branch"),
            branch_name=row.get("branch_name"),
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
            mention_count=int(row.get("mention_count") or 0),
            source_names=list(row.get("sources") or []),
            provenance_json=row.get("provenance"),
            masker=ctx.masker,
            redirected_from=redirected_from,
            known_registry=registry,
        )

    provenance = provenance_field()

    @strawberry.field(description="What the commerce registry records (non-public, nature, …).")
    async def registry(self, info: Info) -> RegistryFacts:
        if self.known_registry is None:
            records = await services.source_records(info.context, self.LABEL, self.id, Page.whole())
            self.known_registry = services.merged_attributes(
                [r.get("attributes") for r in records.items if r.get("attributes")]
            )
        return RegistryFacts.from_attributes(self.known_registry)

    legal_representatives = relations.related(
        "LEGAL_REPRESENTATIVE_OF",
        "in",
        "Person",
        description="Legal representatives (法定代表人) in your jurisdiction.",
    )
    employees = relations.related(
        "EMPLOYED_BY",
        "in",
        "Person",
        description="Employees (social insurance, migrant registration) in scope.",
    )
    source_records = relations.lineage(
        description="The department records resolved into this enterprise."
    )
    registered_at = relations.registered_at(
        description="Address points the enterprise is registered at, by source."
    )
    events = relations.events(description="Events involving this enterprise (newest first).")


@strawberry.type(description="An enterprise in a list, with why it is in it.")
class EnterpriseEdge(Edge[Enterprise]):
    node: Enterprise = strawberry.field(description="The enterprise.")
    via: list[str] = strawberry.field(
        description="How it is linked to what was asked (LEGAL_REPRESENTATIVE_OF, EMPLOYED_BY, "
        "REGISTERED_AT; NAME / NAME_KEY / NAME_CONTAINS / USCC for searches; STREET, "
        "COMMUNITY_OF_STREET or ROAD_OF_STREET: how a street question placed it)."
    )
    sources: list[str] = strawberry.field(
        description="The records stating the link; empty when the link is computed."
    )
    score: int | None = strawberry.field(description="Search relevance; null outside searches.")

    @classmethod
    def from_row(
        cls, row: dict[str, Any], cursor: str, ctx: Context, *, via: str | None = None
    ) -> "EnterpriseEdge":
        return cls(
            node=Enterprise.from_record(row["node"], ctx, registry=row.get("registry")),
            cursor=cursor,
            via=list(row.get("via") or ([via] if via else [])),
            sources=list(row.get("sources") or []),
            score=row.get("score"),
        )


EnterpriseConnection = connection_type(
    EnterpriseEdge,
    name="EnterpriseConnection",
    description="A page of enterprises (Relay connection).",
    edges="The enterprises of this page.",
    total_count="How many enterprises the list holds.",
)
