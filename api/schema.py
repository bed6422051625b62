"""The GraphQL schema: the ``Query`` root, assembled from :mod:`api.types`, and its limits."""

from __future__ import annotations

from datetime import date
from typing import IO, Annotated

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.types import ExecutionContext

from api import services
from api.audit import AuditExtension
from api.config import ApiSettings
from api.context import Context
from api.errors import ErrorLog, reported
from api.execution import PlainLeavesExecutionContext
from api.limits import (
    SmallDocumentParserCache,
    SmallDocumentValidationCache,
    VariableLimits,
    cost_limit_rule,
    input_size_rule,
)
from api.types import investigate as investigation
from api.types.address import AddressLookup, AddressPointConnection, ParsedAddress
from api.types.change import ChangeQueries, Subscription
from api.types.enterprise import Enterprise, EnterpriseConnection
from api.types.event import EVENT_TYPES
from api.types.household import Household
from api.types.lookups import (
    EnterpriseLookup,
    NotFound,
    OutOfJurisdiction,
    PersonLookup,
    RentalUnitLookup,
)
from api.types.pagination import After, First
from api.types.person import Person, PersonConnection
from api.types.quality import QualityQueries
from api.types.rental_unit import RentalUnit
from api.types.review import ReviewQueries, StewardMutation
from api.types.submission import SubmissionMutation
from api.types.unemployment import UnemployedResidentConnection
from api.types.viewer import Viewer

Info = strawberry.Info[Context, None]

IdArg = Annotated[
    strawberry.ID,
    strawberry.argument(description="Golden ID; a retired ID resolves to its successor."),
]
AddressArg = Annotated[
    str,
    strawberry.argument(
        description="Free-text address, read like any department's (繁体, 之N, 3栋502房…)."
    ),
]
CommunityArg = Annotated[
    str,
    strawberry.argument(description="Community (社区/居委会), e.g. 良口东社区 or 良口东居委会."),
]
DistrictArg = Annotated[
    str | None,
    strawberry.argument(description="District (区), to tell apart same-named places."),
]


def _unavailable(label: str, golden_id: str, ctx: Context, lookup: services.Lookup):
    if not lookup.found:
        return NotFound(id=strawberry.ID(golden_id), message=f"no {label} has ID {golden_id}")
    return OutOfJurisdiction.of(golden_id, f"{label} {golden_id}", ctx)


async def _golden(info: Info, label: str, word: str, cls: type, golden_id: str):
    """A golden record of ``label`` by ID (a retired ID redirects), or why none is shown."""
    found = await services.lookup(info.context, label, golden_id)
    if not found.visible:
        return _unavailable(word, golden_id, info.context, found)
    redirected = golden_id if found.redirected else None
    return cls.from_record(found.node, info.context, redirected_from=redirected)


@strawberry.type(description="Cross-department questions, answered within your jurisdiction.")
class Query(ReviewQueries, ChangeQueries, QualityQueries):
    @strawberry.field(description="Who you are to the API: role, department, jurisdiction.")
    def me(self, info: Info) -> Viewer:
        return Viewer.from_caller(info.context.caller)

    @strawberry.field(description="One person, the 360° view across departments.")
    async def person(self, info: Info, id: IdArg) -> PersonLookup:
        return await _golden(info, "Person", "person", Person, id)

    @strawberry.field(description="One enterprise or other legal person, the 360° view.")
    async def enterprise(self, info: Info, id: IdArg) -> EnterpriseLookup:
        return await _golden(info, "Enterprise", "enterprise", Enterprise, id)

    @strawberry.field(description="One rental unit, with landlord, tenants and lineage.")
    async def rental_unit(self, info: Info, id: IdArg) -> RentalUnitLookup:
        return await _golden(info, "RentalUnit", "rental unit", RentalUnit, id)

    @strawberry.field(
        description="Persons matching every criterion given. Names match as the resolver "
        "matches them: traditional characters, same pinyin (伟/玮), romanised (CHEN WEI) and, "
        "with homophones, Cantonese-blurred sounds (黄/王, zh/z, n/l, -ng). Best first."
    )
    async def search_people(
        self,
        info: Info,
        name: Annotated[str | None, strawberry.argument(description="Name, any script.")] = None,
        id_number: Annotated[
            str | None, strawberry.argument(description="Resident ID (15 or 18 digits).")
        ] = None,
        phone: Annotated[
            str | None, strawberry.argument(description="Phone, any writing (+86, spaces…).")
        ] = None,
        homophones: Annotated[
            bool, strawberry.argument(description="Also match names that sound alike.")
        ] = True,
        first: First = None,
        after: After = None,
    ) -> PersonConnection:
        ctx = info.context
        window = await services.search_people(
            ctx, ctx.page(first, after), name, id_number, phone, homophones
        )
        return PersonConnection.of(window, ctx)

    @strawberry.field(
        description="Enterprises matching every criterion given: name (any of its writings, "
        "or a part of it) and/or USCC. Best first."
    )
    async def search_enterprises(
        self,
        info: Info,
        name: Annotated[str | None, strawberry.argument(description="Name or part of it.")] = None,
        uscc: Annotated[
            str | None, strawberry.argument(description="Unified social credit code.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> EnterpriseConnection:
        ctx = info.context
        window = await services.search_enterprises(ctx, ctx.page(first, after), name, uscc)
        return EnterpriseConnection.of(window, ctx)

    @strawberry.field(
        description="Free text read by the ingest's address parser, to address points (with "
        "their district, street, community, rental units, registered persons and events)."
    )
    async def address(
        self, info: Info, text: AddressArg, first: First = None, after: After = None
    ) -> AddressLookup:
        ctx = info.context
        match = await services.find_address(ctx, text, ctx.page(first, after))
        return AddressLookup(
            parsed=ParsedAddress.from_address(text, match.address),
            points=AddressPointConnection.of(match.points, ctx),
        )

    @strawberry.field(
        description="Which repeat-offender street vendors are at this address? Persons with at "
        "least `minViolations` violations in total (since `since`) who are registered or rent "
        "at the address point, or were cited there. Most violations first; each person's "
        "violationCount, offenderClass and violations follow the same `since`."
    )
    async def repeat_offenders(
        self,
        info: Info,
        address: AddressArg,
        min_violations: Annotated[
            int, strawberry.argument(description="Least number of violations (default 2).")
        ] = 2,
        since: Annotated[
            date | None, strawberry.argument(description="Count violations from this date.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> PersonConnection:
        ctx = info.context
        _, window = await services.repeat_offenders(
            ctx, address, min_violations, since, ctx.page(first, after)
        )
        return PersonConnection.of(window, ctx, violation_window=since)

    @strawberry.field(
        description="The electronic household register of an address: who is registered or "
        "rents there, by source. With a room (…号 502房) only that flat."
    )
    async def household(
        self, info: Info, address: AddressArg, first: First = None, after: After = None
    ) -> Household:
        ctx = info.context
        register = await services.household(ctx, address, ctx.page(first, after))
        return Household.from_register(address, register, ctx)

    @strawberry.field(
        description="Non-public enterprises (非公企业) of a street office, per the commerce "
        "registry, with their legal representatives — for party building."
    )
    async def non_public_enterprises(
        self,
        info: Info,
        street: Annotated[
            str, strawberry.argument(description="Street office (北京街道, 北京街…).")
        ],
        district: DistrictArg = None,
        first: First = None,
        after: After = None,
    ) -> EnterpriseConnection:
        ctx = info.context
        window = await services.non_public_enterprises(
            ctx, street, district, ctx.page(first, after)
        )
        return EnterpriseConnection.of(window, ctx)

    @strawberry.field(
        description="Married women of childbearing age (15–49) of a community — for family "
        "planning: women with a marriage registration (SPOUSE_OF or a Marriage event), not "
        "recorded dead."
    )
    async def married_women_of_childbearing_age(
        self,
        info: Info,
        community: CommunityArg,
        district: DistrictArg = None,
        as_of: Annotated[
            date | None, strawberry.argument(description="Age on this day (default today).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> PersonConnection:
        ctx = info.context
        window = await services.married_women(
            ctx, community, district, as_of, ctx.page(first, after)
        )
        return PersonConnection.of(window, ctx)

    @strawberry.field(
        description="Residents of a community out of work — registered unemployed or 失业 in "
        "social insurance — with what the data says about each (五清四知)."
    )
    async def unemployed_residents(
        self,
        info: Info,
        community: CommunityArg,
        district: DistrictArg = None,
        include_flexible_employment: Annotated[
            bool, strawberry.argument(description="Also list 灵活就业 (informal work).")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> UnemployedResidentConnection:
        ctx = info.context
        window = await services.unemployed_residents(
            ctx, community, district, include_flexible_employment, ctx.page(first, after)
        )
        return UnemployedResidentConnection.of(window, ctx)

    neighborhood = investigation.neighborhood_field
    connections = investigation.connections_field
    shared_identifiers = investigation.shared_identifiers_field
    timeline = investigation.timeline_field


@strawberry.type(
    name="Mutation",
    description="Changes: the stewards' decisions (steward or admin role) and departments' "
    "real-time submissions (a department app to its own sources, or admin).",
)
class Mutation(StewardMutation, SubmissionMutation):
    pass


def _should_mask(error: GraphQLError) -> bool:
    """Mask unexpected errors; ours (ApiError) and validation errors are shown as they are."""
    original = error.original_error
    return original is not None and not reported(original)


class HuitongSchema(strawberry.Schema):
    """The schema, logging its errors through :class:`api.errors.ErrorLog` (a client's error as
    one line, an unexpected one with its traceback) instead of strawberry's tracebacks."""

    error_log: ErrorLog

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        self.error_log.errors(errors)


def build_schema(
    settings: ApiSettings | None = None, *, error_stream: IO[str] | None = None
) -> strawberry.Schema:
    """The schema with its limits; introspection off when ``HUITONG_INTROSPECTION=0``. Errors
    are logged to ``error_stream`` (stderr by default)."""
    settings = settings or ApiSettings()
    # Validation rules are built once: the validation cache is keyed by the rule classes, and
    # the limiters would otherwise make new classes for every request.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_limit_rule(settings.max_cost, settings.default_page_size, settings.max_page_size),
        input_size_rule(settings.max_string_length, settings.max_list_length),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions = [
        lambda: SmallDocumentParserCache(maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: SmallDocumentValidationCache(maxsize=256),
        lambda: VariableLimits(settings.max_string_length, settings.max_list_length),
        AuditExtension,
        lambda: MaskErrors(should_mask_error=_should_mask),
    ]
    schema = HuitongSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(EVENT_TYPES),
        extensions=extensions,
        execution_context_class=PlainLeavesExecutionContext,
    )
    schema.error_log = ErrorLog(error_stream)
    return schema


schema = build_schema(ApiSettings(HUITONG_INTROSPECTION=True))
