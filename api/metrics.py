"""Prometheus metrics of the API, in a registry of their own (one per app).

Under ``huitong serve --workers N`` every worker process records into files in the directory
``PROMETHEUS_MULTIPROC_DIR`` names (prometheus_client's multiprocess mode, chosen when the
process starts), and ``/metrics`` adds up all workers' files, whichever worker answers.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Requests and latency per operation (the root fields asked for, a bounded set)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "huitong_graphql_requests",
            "GraphQL requests by operation (root fields) and outcome.",
            ("operation", "outcome"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "huitong_graphql_request_seconds",
            "GraphQL request latency by operation (root fields).",
            ("operation",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.records = Counter(
            "huitong_graphql_records_returned",
            "Records returned to clients by operation.",
            ("operation",),
            registry=self.registry,
        )

    def observe(self, operation: str, outcome: str, seconds: float, records: int) -> None:
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation).observe(seconds)
        if records:
            self.records.labels(operation).inc(records)

    def render(self) -> bytes:
        if os.environ.get(MULTIPROCESS_ENV):
            every_worker = CollectorRegistry()
            MultiProcessCollector(every_worker)
            return generate_latest(every_worker)
        return generate_latest(self.registry)
