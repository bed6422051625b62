"""Property-based fuzzing of the served GraphQL API with schemathesis: every root field of the
schema (queries and mutations), arguments generated from their types, seeded.

    .venv/bin/python benchmarks/fuzz.py --examples 60 --seed 20

Serves the API (``huitong serve``, on the graph NEO4J_* points at) and sends, for each root
field, ``--examples`` generated operations with an admin token and as many with a district's
department_app token. Counts the answers: HTTP 5xx, "Unexpected error.", GraphQL error codes,
and the server's own error lines (a client's error is one line, an unexpected one carries a
traceback). Exits 1 on any 5xx or unexpected error.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import graphql
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from served import ServedApi

from api.auth import issue_token

SECRET = "fuzz-" + "f" * 43


@dataclass
class FuzzReport:
    requests: int = 0
    operations: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    log_lines: Counter = field(default_factory=Counter)
    tracebacks: int = 0

    def summary(self) -> str:
        return (
            f"{self.requests:,} requests over {self.operations} root fields: "
            f"HTTP {dict(sorted(self.statuses.items()))}, 5xx {len(self.server_errors)}, "
            f'"Unexpected error." {len(self.unexpected)}, error codes {dict(self.codes)}, '
            f"server error lines {dict(self.log_lines)}, tracebacks {self.tracebacks}"
        )


def _json_rows() -> st.SearchStrategy[graphql.ValueNode]:
    """Literals of the ``JSON`` scalar (a submitted row): objects of a few column → text
    fields, or a bare string or number (not a row at all)."""
    names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
    texts = st.text(max_size=24)
    row = st.dictionaries(names, texts, max_size=5).map(
        lambda fields: graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value=name), value=graphql.StringValueNode(value=text)
                )
                for name, text in fields.items()
            )
        )
    )
    other = st.one_of(
        texts.map(lambda text: graphql.StringValueNode(value=text)),
        st.integers(-10, 10**6).map(lambda n: graphql.IntValueNode(value=str(n))),
    )
    return st.one_of(row, other)


def fuzz(url: str, tokens: list[str], examples: int, seed: int) -> FuzzReport:
    """Send ``examples`` generated operations per root field per token to ``url``."""
    report = FuzzReport()
    schemathesis.graphql.scalar("JSON", _json_rows())
    schema = schemathesis.graphql.from_url(
        f"{url}/graphql", headers={"Authorization": f"Bearer {tokens[0]}"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    report.operations = len(operations)
    for token in tokens:
        for operation in operations:
            _sender(operation, {"Authorization": f"Bearer {token}"}, examples, seed, report)()
    return report


def _sender(operation, headers: dict[str, str], examples: int, seed: int, report: FuzzReport):
    """A seeded hypothesis test sending ``examples`` generated operations, noting answers."""

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case) -> None:
        response = case.call(headers=headers, timeout=60)
        report.requests += 1
        report.statuses[response.status_code] += 1
        sent = getattr(case, "body", "")
        if response.status_code >= 500:
            report.server_errors.append(f"{response.status_code}: {sent}")
            return
        try:
            payload = response.json()
        except ValueError:
            return
        for error in payload.get("errors") or ():
            report.codes[(error.get("extensions") or {}).get("code") or "none"] += 1
            if error.get("message") == "Unexpected error.":
                report.unexpected.append(str(sent)[:2000])

    return send


def read_server_log(path: Path, report: FuzzReport) -> None:
    """Count the server's error lines by event, and tracebacks anywhere in its output."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "Traceback (most recent call last)" in line:
            report.tracebacks += 1
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("event", "")).startswith("graphql_"):
            if "exception" in record:
                report.tracebacks += 1
            report.log_lines[record["event"]] += 1


def tokens(district: str | None) -> list[str]:
    found = [issue_token(SECRET, role="admin", subject="fuzz:admin")]
    if district:
        found.append(
            issue_token(
                SECRET,
                role="department_app",
                subject="fuzz:department_app",
                department="城市管理和综合执法局",
                district=district,
            )
        )
    return found


def served_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HUITONG_JWT_SECRET": SECRET,
        "HUITONG_HOME": str(home),
        "HUITONG_AUDIT_FILE": str(home / "audit.jsonl"),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="per root field and token")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--district", default="白云区", help="the department_app token's")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="huitong-fuzz-"))
    log = home / "server.log"
    with ServedApi(served_env(home), log=log) as api:
        report = fuzz(api.url, tokens(args.district), args.examples, args.seed)
    read_server_log(log, report)
    print(report.summary())
    for sent in report.server_errors[:5] + report.unexpected[:5]:
        print("---\n" + sent)
    if report.server_errors or report.unexpected:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
