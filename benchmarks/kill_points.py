"""Kill huitong's writes with SIGKILL at random points, run them again, prove nothing differs.

    .venv/bin/python benchmarks/kill_points.py --persons 300 --kills 10 --seed 20

For each target (``ingest``, ``resolve``, ``publish`` into an empty graph, ``republish`` of a
newer run over an older one, ``stale`` — that republish killed as soon as its stale removal
has begun —, a real-time ``submit`` of a delta file, and a steward's ``decide`` mutation) the
harness restores the target's initial state and runs it once uninterrupted: that end state's
fingerprint is the reference, and the run's duration and the moment it began writing set the
window the kills fall in. Then, ``--kills`` times: restore the initial state, start the real
process (the ``huitong`` CLI, or ``huitong serve`` for the mutation), SIGKILL its process group
after a seeded random delay within the window, note what the kill left (nothing yet, a partial
state, or already the end state), run it again to completion and compare the fingerprint with
the reference. Fingerprints are complete: every workspace table row for row and the report
JSONs (:func:`workdir_fingerprint`), or every node and relationship of the graph
(:func:`graph_schema.fingerprint.graph_fingerprint`); only what records the time of a run is
left out (:data:`VOLATILE_COLUMNS`, :data:`RUN_RELATIVE`).

A new kind of target is one entry of :func:`targets`: a :class:`CommandTarget` (how to restore
its initial state, the command, how to tell it has begun writing, and its fingerprint). The
mutation is a :class:`RequestTarget`: the process
killed is the server, and "run again" is the client sending the same request again.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
from served import CLI, ServedApi

from api.auth import issue_token
from graph_schema.connection import Neo4jTarget, open_driver
from graph_schema.decisions import clear_decisions
from graph_schema.fingerprint import graph_fingerprint
from graph_schema.migrations import reset
from graph_schema.publish import run_id_of
from huitong.journal import JOURNAL_DIR, JOURNAL_FILE, Journal

SECRET = "kill-points-" + "k" * 40

VOLATILE_COLUMNS: dict[str, frozenset[str]] = {
    "batches": frozenset({"started_at", "finished_at"}),
    "golden_lineage": frozenset({"run_id", "at"}),
    "golden_ids": frozenset({"created_run", "retired_run"}),
    "change_entries": frozenset({"key", "run_id", "at"}),  # the key is "<run_id>:<ordinal>"
    "change_baseline_state": frozenset({"last_run"}),
}
"""Workspace columns that record when a run happened (or which run it was)."""

RUN_RELATIVE = frozenset(
    {
        "seconds", "run_id", "batch_id",  # when and how long
        "rows_new", "rows_changed", "rows_unchanged", "rows_removed",  # since the last run
        "skipped_unchanged_file", "golden_created", "golden_retired",
        "changes",  # the change-feed entries this run wrote, per kind
    }
)  # fmt: skip
"""Report keys, at any depth, that describe the run rather than the state it left: its ID and
duration, and what it changed since the run before it (a run again after a kill finds part of
the work done and reports only the rest: a resolve killed after its change entries committed
writes none when run again; the state itself, the entries included, is compared in full)."""

RUN_NAMED_FILE_KEYS: dict[str, frozenset[str]] = {
    "realtime/current.json": frozenset({"path"}),  # the run's snapshot file, named by run id
}
"""Per JSON file of the workdir, top-level keys whose value is named after the run."""


# -- fingerprints ------------------------------------------------------------------------------
def workdir_fingerprint(workdir: Path) -> dict[str, str]:
    """Per part (each workspace table, each JSON file) a digest of its content; empty when the
    workdir does not exist. The workspace is read from a copy, so a killed run's state (and its
    write-ahead log) is left as it was for the run that follows."""
    if not workdir.exists():
        return {}
    parts: dict[str, str] = {}
    for path in sorted(workdir.rglob("*.json")):
        name = path.relative_to(workdir).as_posix()
        content = _load_json(path)
        if isinstance(content, dict) and name in RUN_NAMED_FILE_KEYS:
            content = {k: v for k, v in content.items() if k not in RUN_NAMED_FILE_KEYS[name]}
        parts[name] = _digest(_without_run_keys(content))
    database = workdir / "workspace.duckdb"
    if database.exists():
        with tempfile.TemporaryDirectory() as scratch:
            for name in ("workspace.duckdb", "workspace.duckdb.wal"):
                if (workdir / name).exists():
                    shutil.copy2(workdir / name, Path(scratch) / name)
            connection = duckdb.connect(str(Path(scratch) / "workspace.duckdb"))
            try:
                tables = connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
                ).fetchall()
                for (table,) in tables:
                    parts[f"table {table}"] = _table_digest(connection, table)
            finally:
                connection.close()
    return parts


def _table_digest(connection, table: str) -> str:
    columns = [r[0] for r in connection.execute(f'DESCRIBE "{table}"').fetchall()]
    volatile = VOLATILE_COLUMNS.get(table, frozenset())
    select = ", ".join(
        f'CASE WHEN "{c}" IS NULL THEN NULL ELSE \'<run>\' END AS "{c}"'
        if c in volatile
        else f'"{c}"'
        for c in columns
    )
    rows = connection.execute(f'SELECT {select} FROM "{table}" ORDER BY ALL').fetchall()
    return _digest([columns, [list(row) for row in rows]])


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"unreadable: {type(error).__name__}"


def _without_run_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_run_keys(v) for k, v in value.items() if k not in RUN_RELATIVE}
    if isinstance(value, list):
        return [_without_run_keys(item) for item in value]
    return value


def _digest(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def combined(parts: dict[str, str]) -> str:
    return _digest(parts)


JOURNAL_VOLATILE = frozenset({"at"})
"""Keys, at any depth of a real-time journal entry, that record when the call was made."""


def journal_fingerprint(workdir: Path) -> dict[str, str]:
    """A digest of the workdir's real-time journal: its name and every complete entry, without
    the moment each call was made (a call made again after a kill is later); read without the
    journal's lock, which a running call holds, the way a crash leaves it."""
    path = workdir / JOURNAL_DIR / JOURNAL_FILE
    if not path.exists():
        return {}
    lines = path.read_bytes().split(b"\n")
    entries = [_without(json.loads(line), JOURNAL_VOLATILE) for line in lines[:-1] if line.strip()]
    return {"journal": _digest(entries)}


def _without(value: Any, keys: frozenset[str]) -> Any:
    """``value`` without ``keys`` at any depth, its lists in a canonical order (an entry's
    state lists golden records, members and counts in the order the engine's sets gave them,
    which differs from one process to the next)."""
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        items = [_without(item, keys) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return value


# -- targets -----------------------------------------------------------------------------------
@dataclass
class Lab:
    """Where the targets work: a generated city, workdirs, a Neo4j, and the environment for the
    processes started."""

    root: Path
    neo4j: Neo4jTarget
    persons: int
    seed: int
    city: Path = field(init=False)
    dropped_records: int = field(init=False, default=0)
    """source records of :data:`DROPPED_SOURCE` the older run published (set by its prepare)."""

    def __post_init__(self) -> None:
        self.city = self.root / "city"
        self.home = self.root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self._driver = None
        self._stack = contextlib.ExitStack()

    @property
    def driver(self):
        """One driver for the harness's own graph reads (probes, fingerprints, resets)."""
        if self._driver is None:
            self._driver = self._stack.enter_context(open_driver(self.neo4j))
        return self._driver

    def close(self) -> None:
        self._stack.close()
        self._driver = None

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "NEO4J_URI": self.neo4j.uri,
            "NEO4J_USER": self.neo4j.user,
            "NEO4J_PASSWORD": self.neo4j.password,
            "NEO4J_DATABASE": self.neo4j.database,
            "HUITONG_HOME": str(self.home),
            "HUITONG_JWT_SECRET": SECRET,
            "HUITONG_AUDIT_FILE": str(self.root / "audit" / "audit.jsonl"),
            "COLUMNS": "140",
            **extra,
        }

    def workdir(self, name: str) -> Path:
        return self.root / "work" / name

    def template(self, name: str) -> Path:
        return self.root / "templates" / name


class Run:
    """A started write: the process to kill, and how to wait for it to end."""

    def __init__(self, process: subprocess.Popen, done: Callable[[], bool] | None = None):
        self.process = process
        self._done = done

    def finished(self) -> bool:
        if self._done is not None:
            return self._done()
        return self.process.poll() is not None

    def wait(self, timeout: float = 900) -> None:
        if self._done is None:
            code = self.process.wait(timeout)
            if code != 0:
                raise RuntimeError(f"{self.process.args} exited {code}")
            return
        deadline = time.monotonic() + timeout
        while not self._done():
            if time.monotonic() > deadline:
                raise TimeoutError("the request did not complete")
            time.sleep(0.01)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)


@dataclass
class CommandTarget:
    """A write done by one ``huitong`` command."""

    name: str
    prepare: Callable[[Lab], None]
    """restore the initial state."""
    command: Callable[[Lab], list[str]]
    fingerprint: Callable[[Lab], dict[str, str]]
    began_writing: Callable[[Lab, float], bool]
    """whether the run started at (epoch) time t has written anything yet."""
    env: Callable[[Lab], dict[str, str]] = lambda lab: lab.env()
    kill_when: Callable[[Lab], bool] | None = None
    """when set, a kill falls as soon as this holds (a phase of the run), not after a delay."""

    def ready(self, lab: Lab) -> None:
        pass

    def start(self, lab: Lab) -> Run:
        log = (lab.root / "logs" / f"{self.name}.log").open("ab")
        process = subprocess.Popen(
            self.command(lab),
            env=self.env(lab),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the kill takes its workers too
        )
        log.close()
        return Run(process)

    def close(self, lab: Lab) -> None:
        pass


class RequestTarget:
    """A write done by one GraphQL request to ``huitong serve``: the server is what is killed;
    running again is restarting it (when dead) and sending the same request again."""

    def __init__(
        self,
        name: str,
        prepare: Callable[[Lab], None],
        request: Callable[[Lab], dict[str, Any]],
        fingerprint: Callable[[Lab], dict[str, str]],
        token: Callable[[], str],
    ) -> None:
        self.name = name
        self.prepare = prepare
        self.request = request
        self.fingerprint = fingerprint
        self.token = token
        self.api: ServedApi | None = None
        self.body: dict[str, Any] | None = None

    def began_writing(self, lab: Lab, started: float) -> bool:
        return True

    def ready(self, lab: Lab) -> None:
        """The server up (started again when a kill took it down), the request made."""
        if self.api is None:
            self.api = ServedApi(lab.env(), log=lab.root / "logs" / f"{self.name}-server.log")
        if not self.api.alive():
            self.api.start()
        if self.body is None:
            self.body = self.request(lab)

    def start(self, lab: Lab) -> Run:
        assert self.api is not None and self.api.process is not None
        server = self.api.process
        answered = threading.Event()
        body = self.body
        headers = {"Authorization": f"Bearer {self.token()}"}
        url = f"{self.api.url}/graphql"

        def send() -> None:
            try:
                response = httpx.post(url, json=body, headers=headers, timeout=30)
                payload = response.json()
                if response.status_code == 200 and not payload.get("errors"):
                    answered.set()
            except (httpx.TransportError, ValueError):
                pass  # the server died under it

        thread = threading.Thread(target=send, daemon=True)
        thread.start()

        def done() -> bool:
            if answered.is_set():
                return True
            if not thread.is_alive() and server.poll() is None:
                raise RuntimeError(f"the request was not answered: {body}")
            return False

        return Run(server, done)

    def close(self, lab: Lab) -> None:
        if self.api is not None:
            self.api.stop()


def _newer_than(directory: Path, started: float) -> bool:
    if not directory.exists():
        return False
    return any(p.stat().st_mtime >= started for p in directory.rglob("*") if p.is_file())


def _graph_nodes(lab: Lab) -> int:
    records, _, _ = lab.driver.execute_query(
        "MATCH (n) WHERE NOT n:HuitongMigration RETURN count(n) AS n",
        database_=lab.neo4j.database,
    )
    return records[0]["n"]


def _graph_fingerprint(lab: Lab) -> dict[str, str]:
    found = graph_fingerprint(lab.driver, lab.neo4j.database)
    return {"graph": found.digest}


def _restore(template: Path, workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    if template.exists():
        shutil.copytree(template, workdir)
    else:
        workdir.mkdir(parents=True)


def _reset_graph(lab: Lab) -> None:
    reset(lab.driver, lab.neo4j.database)


def _published(lab: Lab) -> None:
    """The city published, no steward decision: the mutation's initial state."""
    clear_decisions(lab.driver, lab.neo4j.database)


def _first_candidate(lab: Lab) -> str:
    records, _, _ = lab.driver.execute_query(
        "MATCH (c:ReviewCandidate) RETURN c.id AS id ORDER BY c.priority DESC, c.id LIMIT 1",
        database_=lab.neo4j.database,
    )
    if not records:
        raise RuntimeError("the published city has no review candidate to decide")
    return records[0]["id"]


DROPPED_SOURCE = "violations"
"""The source the newer run's config leaves out: publishing it over the older run removes that
source's records, events and the golden records they alone made (stale removal)."""


def _older_run_published(lab: Lab) -> None:
    """The graph as the older run (the whole city) left it: the newer run's initial state."""
    from graph_schema.publish import publish

    reset(lab.driver, lab.neo4j.database)
    publish(lab.template("resolved"), lab.driver, lab.neo4j.database, progress=False)
    lab.dropped_records = _dropped_records(lab)


def _dropped_records(lab: Lab) -> int:
    records, _, _ = lab.driver.execute_query(
        "MATCH (n:SourceRecord) WHERE n.key STARTS WITH $prefix RETURN count(n) AS n",
        prefix=f"{DROPPED_SOURCE}/",
        database_=lab.neo4j.database,
    )
    return records[0]["n"]


def _nodes_of_run(lab: Lab, run_id: str) -> bool:
    records, _, _ = lab.driver.execute_query(
        "MATCH (n:SourceRecord) WHERE n.publish_run = $run RETURN count(n) > 0 AS any",
        run=run_id,
        database_=lab.neo4j.database,
    )
    return records[0]["any"]


def _stale_removal_began(lab: Lab) -> bool:
    """Some of the dropped source's records are deleted: the publish is removing stale nodes
    (golden records first, then source records, events, places, then relationships)."""
    return _dropped_records(lab) < lab.dropped_records


def without_source(config_text: str, name: str) -> str:
    """A sources.toml with the ``[[sources]]`` block named ``name`` removed."""
    head, *blocks = config_text.split("[[sources]]\n")
    kept = [b for b in blocks if f'name = "{name}"' not in b.split("\n[[", 1)[0]]
    if len(kept) != len(blocks) - 1:
        raise ValueError(f"no source {name!r} in the config")
    return "[[sources]]\n".join([head, *kept])


SUBMIT_SOURCE = "hukou"
SUBMIT_ROWS = 150
"""The real-time target submits this many copies of the source's rows under new record IDs,
in one call (a new resident, or one more record of a known one)."""


def _resolved_and_published(lab: Lab) -> None:
    """The resolved city published, its workdir with an empty journal (named once, in the
    template: a journal's name is in the graph, so every run must share it)."""
    from graph_schema.publish import publish

    _restore(lab.template("submit"), lab.workdir("submit"))
    reset(lab.driver, lab.neo4j.database)
    publish(lab.workdir("submit"), lab.driver, lab.neo4j.database, progress=False)


def _submit_template(lab: Lab) -> None:
    """The resolved workdir with its journal named, and the delta file the target submits."""
    import csv
    import io

    from loaders.config import load_config
    from loaders.readers import iter_rows

    template = lab.template("submit")
    if not (template / JOURNAL_DIR / JOURNAL_FILE).exists():
        shutil.rmtree(template, ignore_errors=True)
        shutil.copytree(lab.template("resolved"), template)
        with Journal(template).writer():
            pass  # names the journal
    spec = load_config(lab.city / "sources.toml").source(SUBMIT_SOURCE)
    if spec.format != "csv":
        raise ValueError(f"the submit target writes a CSV delta; {SUBMIT_SOURCE} is {spec.format}")
    rows = [r.values for r in iter_rows(spec.path, spec.format, spec.encoding) if r.values]
    rng = random.Random(lab.seed)
    picked = [rng.choice(rows) for _ in range(SUBMIT_ROWS)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(picked[0]), lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(picked, start=1):
        writer.writerow({**row, spec.record_id: f"KP{number:05d}"})
    (lab.root / "submit-delta.csv").write_bytes(buffer.getvalue().encode(spec.encoding))


DECIDE = """mutation($id: ID!) { decideCandidate(id: $id, decision: MATCH, reason: "同一人") {
  __typename ... on StewardDecision { id } } }"""


def _cli(*args: object) -> list[str]:
    return [*CLI, *map(str, args)]


def targets(lab: Lab) -> list[CommandTarget | RequestTarget]:
    """The writes the harness kills, in the order their states build on each other."""
    config = str(lab.city / "sources.toml")
    no_graph = {"NEO4J_URI": "bolt://127.0.0.1:9"}  # decisions from the workdir: no Neo4j needed
    return [
        CommandTarget(
            name="ingest",
            prepare=lambda lab: _restore(lab.template("empty"), lab.workdir("ingest")),
            command=lambda lab: _cli(
                "ingest", "--config", config, "--workdir", lab.workdir("ingest")
            ),
            fingerprint=lambda lab: workdir_fingerprint(lab.workdir("ingest")),
            began_writing=lambda lab, t: _newer_than(lab.workdir("ingest"), t),
            env=lambda lab: lab.env(**no_graph),
        ),
        CommandTarget(
            name="resolve",
            prepare=lambda lab: _restore(lab.template("ingested"), lab.workdir("resolve")),
            command=lambda lab: _cli(
                "resolve", "--config", config, "--workdir", lab.workdir("resolve")
            ),
            fingerprint=lambda lab: workdir_fingerprint(lab.workdir("resolve")),
            began_writing=lambda lab, t: _newer_than(lab.workdir("resolve"), t),
            env=lambda lab: lab.env(**no_graph),
        ),
        CommandTarget(
            name="publish",
            prepare=_reset_graph,
            command=lambda lab: _cli(
                "publish", "--workdir", lab.template("resolved"), "--batch-size", 200
            ),
            fingerprint=_graph_fingerprint,
            began_writing=lambda lab, t: _graph_nodes(lab) > 0,
        ),
        CommandTarget(
            name="republish",
            prepare=_older_run_published,
            command=lambda lab: _cli(
                "publish", "--workdir", lab.template("dropped"), "--batch-size", 200
            ),
            fingerprint=_graph_fingerprint,
            began_writing=lambda lab, t: _nodes_of_run(lab, run_id_of(lab.template("dropped"))),
        ),
        CommandTarget(
            name="stale",
            prepare=_older_run_published,
            command=lambda lab: _cli("publish", "--workdir", lab.template("dropped")),
            fingerprint=_graph_fingerprint,
            began_writing=lambda lab, t: _nodes_of_run(lab, run_id_of(lab.template("dropped"))),
            kill_when=_stale_removal_began,
        ),
        CommandTarget(
            name="submit",
            prepare=_resolved_and_published,
            command=lambda lab: _cli(
                *("submit", "--config", config, "--workdir", lab.workdir("submit")),
                *("--source", SUBMIT_SOURCE, lab.root / "submit-delta.csv"),
            ),
            fingerprint=lambda lab: {
                **_graph_fingerprint(lab),
                **journal_fingerprint(lab.workdir("submit")),
            },
            # the engine's first write is its call's journal line, late in the call: kills fall
            # from the start, so that some come before it, some between it and the graph's
            # transaction, some after
            began_writing=lambda lab, t: True,
        ),
        RequestTarget(
            name="decide",
            prepare=_published,
            request=lambda lab: {"query": DECIDE, "variables": {"id": _first_candidate(lab)}},
            fingerprint=_graph_fingerprint,
            token=lambda: issue_token(SECRET, role="steward", subject="kill-points:steward"),
        ),
    ]


def build_lab(lab: Lab) -> None:
    """The city and the templates the targets start from: nothing, ingested, resolved."""
    from huitong.citygen import generate_city

    (lab.root / "logs").mkdir(parents=True, exist_ok=True)
    if not (lab.city / "sources.toml").exists():
        generate_city(persons=lab.persons, seed=lab.seed, out=lab.city)
    config = str(lab.city / "sources.toml")
    env = lab.env(NEO4J_URI="bolt://127.0.0.1:9")
    for name, command in (("ingested", "ingest"), ("resolved", "resolve")):
        if not (lab.template(name) / "ingest_report.json").exists():
            subprocess.run(
                [*CLI, command, "--config", config, "--workdir", str(lab.template(name))],
                env=env,
                check=True,
                capture_output=True,
            )
    # A newer run of the same workspace whose config no longer names one source.
    dropped = lab.template("dropped")
    if not (lab.root / "templates" / "dropped.done").exists():
        trimmed = lab.root / "city-dropped"
        trimmed.mkdir(exist_ok=True)
        for path in lab.city.iterdir():
            if path.name != "sources.toml" and not (trimmed / path.name).exists():
                (trimmed / path.name).symlink_to(path)
        text = (lab.city / "sources.toml").read_text(encoding="utf-8")
        (trimmed / "sources.toml").write_text(without_source(text, DROPPED_SOURCE), "utf-8")
        shutil.rmtree(dropped, ignore_errors=True)
        shutil.copytree(lab.template("resolved"), dropped)
        subprocess.run(
            [*CLI, "resolve", "--config", str(trimmed / "sources.toml"), "--workdir", str(dropped)],
            env=env,
            check=True,
            capture_output=True,
        )
        (lab.root / "templates" / "dropped.done").touch()
    _submit_template(lab)


# -- the harness -------------------------------------------------------------------------------
@dataclass
class Outcome:
    target: str
    reference_seconds: float
    write_began: float
    kills: list[dict[str, Any]] = field(default_factory=list)
    control_identical: bool | None = None

    @property
    def identical(self) -> int:
        return sum(1 for k in self.kills if k["identical"])

    @property
    def left(self) -> Counter:
        return Counter(k["left"] for k in self.kills)


def _timed_run(target, lab: Lab) -> tuple[float, float]:
    """Run uninterrupted; (seconds it took, seconds until it began writing)."""
    target.ready(lab)
    began = time.time()
    run = target.start(lab)
    write_began = None
    while not run.finished():
        if write_began is None and target.began_writing(lab, began):
            write_began = time.time() - began
        time.sleep(0.02)
    run.wait()
    seconds = time.time() - began
    return seconds, seconds if write_began is None else write_began


def kill_target(target, lab: Lab, kills: int, rng: random.Random, control: bool) -> Outcome:
    """The reference run (and, with ``control``, a second uninterrupted run that must match it),
    then ``kills`` killed runs, each run again and compared."""
    try:
        target.prepare(lab)
        initial = combined(target.fingerprint(lab))
        seconds, write_began = _timed_run(target, lab)
        reference = target.fingerprint(lab)
        outcome = Outcome(target.name, round(seconds, 3), round(write_began, 3))
        if control:
            target.prepare(lab)
            _timed_run(target, lab)
            outcome.control_identical = target.fingerprint(lab) == reference
        for number in range(kills):
            delay = rng.uniform(write_began, KILL_WINDOW_END * seconds)
            killed = _kill_and_rerun(target, lab, delay, initial, reference)
            outcome.kills.append({"kill": number + 1, "after_seconds": round(delay, 3), **killed})
            differs = killed["differs"]
            print(
                f"  {target.name} kill {number + 1}/{kills} at {delay:.2f}s: {killed['left']}; "
                f"run again: {'identical' if not differs else 'DIFFERS ' + ', '.join(differs)}",
                flush=True,
            )
        return outcome
    finally:
        target.close(lab)


def _kill_and_rerun(
    target, lab: Lab, delay: float, initial: str, reference: dict[str, str]
) -> dict[str, Any]:
    target.prepare(lab)
    target.ready(lab)
    run = target.start(lab)
    kill_when = getattr(target, "kill_when", None)
    if kill_when is None:
        time.sleep(delay)
    else:
        while not run.finished() and not kill_when(lab):
            time.sleep(0.005)
    finished_first = run.finished()
    run.kill()
    left = combined(target.fingerprint(lab))
    if finished_first:
        state = "finished before the kill"
    elif left == initial:
        state = "nothing written yet"
    elif left == combined(reference):
        state = "all written"
    else:
        state = "partial"
    target.ready(lab)
    target.start(lab).wait()
    final = target.fingerprint(lab)
    differs = sorted(k for k in set(final) | set(reference) if final.get(k) != reference.get(k))
    return {"left": state, "identical": not differs, "differs": differs}


KILL_WINDOW_END = 0.85
"""Kills fall between the moment the reference run began writing and this share of its
duration (runs vary in length on a busy machine; a kill after the end tests nothing)."""


def run_harness(
    lab: Lab, kills: int | dict[str, int], seed: int, control: bool = True
) -> list[Outcome]:
    """Kill every target ``kills`` times (or as many as a ``{target: kills}`` map says; a target
    it leaves out is not run)."""
    build_lab(lab)
    rng = random.Random(seed)
    counts = kills if isinstance(kills, dict) else {t.name: kills for t in targets(lab)}
    chosen = [t for t in targets(lab) if t.name in counts]
    outcomes = []
    try:
        for target in chosen:
            if target.name == "decide" and (
                "publish" not in counts or "republish" in counts or "stale" in counts
            ):
                _publish_reference(lab)
            outcomes.append(kill_target(target, lab, counts[target.name], rng, control))
    finally:
        lab.close()
    return outcomes


def _publish_reference(lab: Lab) -> None:
    from graph_schema.publish import publish

    reset(lab.driver, lab.neo4j.database)
    publish(lab.template("resolved"), lab.driver, lab.neo4j.database, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--kills", type=int, default=10, help="per target")
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--root", type=Path, default=None, help="working directory (kept)")
    args = parser.parse_args()
    from graph_schema.connection import resolve_target

    root = args.root or Path(tempfile.mkdtemp(prefix="huitong-kill-points-"))
    lab = Lab(root, resolve_target(), args.persons, args.seed)
    print(f"kill points in {root} against {lab.neo4j.uri} (a city of {args.persons} persons)")
    names = args.targets or [t.name for t in targets(lab)]
    outcomes = run_harness(lab, {name: args.kills for name in names}, args.seed)
    header = f"{'target':<10}{'clean s':>9}{'writes at':>11}{'kills':>7}{'identical':>11}"
    print(f"\n{header}  left by the kill")
    for o in outcomes:
        left = ", ".join(f"{n} {state}" for state, n in sorted(o.left.items()))
        print(f"{o.target:<10}{o.reference_seconds:>9.2f}{o.write_began:>11.2f}"
              f"{len(o.kills):>7}{o.identical:>11}  {left}")  # fmt: skip
    (root / "kill_points.json").write_text(
        json.dumps([o.__dict__ for o in outcomes], indent=2, default=str), encoding="utf-8"
    )
    if any(o.identical < len(o.kills) or o.control_identical is False for o in outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
