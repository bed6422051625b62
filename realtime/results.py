"""What a submission or retraction call answers, row by row (plain data; the API and the CLI
render it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ROW_STATUSES = ("CREATED", "UPDATED", "UNCHANGED", "QUARANTINED")
DECISIONS = ("MATCHED", "NEW", "REVIEW")


@dataclass
class MentionResult:
    """One entity a row mentions: where it went and why."""

    role: str
    entity: str
    entity_id: str
    decision: str
    """MATCHED (joined an existing golden record), NEW (a new one), REVIEW (a new one, and a
    review candidate for the existing record it may be)."""
    match_probability: float | None
    """the best pair's probability with the record it joined (or, for NEW and REVIEW, with
    the closest existing one); None when nothing was close."""
    merged_ids: list[str] = field(default_factory=list)
    """golden records this mention linked to ``entity_id`` and that were merged into it."""
    review_with: list[str] = field(default_factory=list)
    """golden records a review candidate now asks about (instead of a merge)."""


@dataclass
class RowResult:
    record_id: str | None
    status: str
    reason: str | None = None
    mentions: list[MentionResult] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SubmitResult:
    source: str
    rows: list[RowResult]
    sequence: int | None
    """the journal entry this call wrote (None when nothing changed)."""

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


@dataclass
class RetractResult:
    source: str
    retracted: list[str]
    not_found: list[str]
    sequence: int | None
