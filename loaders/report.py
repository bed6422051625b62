"""What an ingest run did, per source and in total: the counts that must reconcile
(``rows_read == rows_staged + rows_quarantined``) and what changed since the last run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class SourceReport:
    name: str
    department: str
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    mentions_staged: int = 0
    relations_staged: int = 0
    events_staged: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0
    skipped_unchanged_file: bool = False
    seconds: float = 0.0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestReport:
    batch_id: int | None
    sources: list[SourceReport]
    seconds: float
    submitted_through: int = 0
    """The last entry of the real-time journal read as part of the sources (0: none)."""

    def to_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "seconds": round(self.seconds, 3),
            "submitted_through": self.submitted_through,
            "sources": [asdict(source) for source in self.sources],
            "totals": {
                key: sum(getattr(s, key) for s in self.sources)
                for key in (
                    "rows_read",
                    "rows_staged",
                    "rows_quarantined",
                    "mentions_staged",
                    "relations_staged",
                    "events_staged",
                )
            },
        }
