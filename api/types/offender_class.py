from enum import Enum

import strawberry


@strawberry.enum(
    description="Street-vendor offender class of the urban-management report, by violation count."
)
class OffenderClass(Enum):
    FIRST = strawberry.enum_value("FIRST", description="初犯: exactly 1 violation.")
    OCCASIONAL = strawberry.enum_value("OCCASIONAL", description="偶犯: 2 to 5 violations.")
    HABITUAL = strawberry.enum_value("HABITUAL", description="惯犯: 6 or more violations.")
