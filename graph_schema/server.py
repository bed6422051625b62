"""The project's own Neo4j Community server: provisioned from Maven Central, run as a process.

Layout under ``$HUITONG_HOME/neo4j``::

    password            generated on first start, mode 0600
    state.json          pid, port and version of the running server
    <version>/lib/      jars resolved by Maven (cached: provisioning happens once;
                        HUITONG_NEO4J_RUNTIME may point several homes at one copy)
    <version>/classes/  the compiled launcher
    data/               the DBMS home (databases, transaction logs, Neo4j's own logs/)
    logs/neo4j.out      the launcher's stdout and stderr
    logs/import.log     the last offline import's output (:meth:`LocalNeo4j.import_database`)
    import-pending      present while an offline import replaces the database: a start
                        that finds it empties the database (the import did not finish)

Used only when ``NEO4J_URI`` is not set; see :mod:`graph_schema.connection`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from graph_schema.errors import Neo4jServerError

NEO4J_VERSION = "5.26.30"
"""Neo4j 5.26 LTS: runs on the Java 17 every machine here has (the 2025+ line needs Java 21)."""

MIN_JAVA = 17
DATABASE = "neo4j"
"""The one user database of Neo4j Community."""
LAUNCHER_CLASS = "HuitongNeo4j"
_RUNTIME = resources.files("graph_schema") / "neo4j_runtime"
_JVM_ACCESS = (
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dfile.encoding=UTF-8",
)
"""What Neo4j's code needs of the JDK (the server's own scripts pass these), server and tools."""
_SIZE = re.compile(r"^(\d+)([kmg]?)$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``'512m'`` → bytes. Accepts k, m, g suffixes (binary units)."""
    match = _SIZE.match(text.strip())
    if not match:
        raise Neo4jServerError(f"invalid memory size {text!r}: use e.g. 512m or 4g")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int | None
    version: str | None
    home: Path


def find_java(java_home: Path | None) -> Path:
    """The ``java`` executable to use, checked to be Java >= 17; a clear error otherwise."""
    candidates = []
    if java_home:
        candidates.append(java_home / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    for java in candidates:
        if java.exists():
            version = java_major_version(java)
            if version >= MIN_JAVA:
                return java
    raise Neo4jServerError(
        f"Java {MIN_JAVA} or newer is needed to run Neo4j {NEO4J_VERSION} and was not found "
        f"(looked at JAVA_HOME and PATH). Install a JDK, e.g. `apt-get install openjdk-17-jdk`, "
        "or set JAVA_HOME."
    )


def java_major_version(java: Path) -> int:
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_maven() -> Path:
    mvn = shutil.which("mvn")
    if not mvn:
        raise Neo4jServerError(
            "Maven (`mvn`) is needed once, to fetch Neo4j's jars from Maven Central, and was not "
            "found on PATH. Install it, e.g. `apt-get install maven`."
        )
    return Path(mvn)


class LocalNeo4j:
    """Provision, start, stop and inspect the Neo4j server kept under one huitong home."""

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        heap: str = "4g",
        pagecache: str = "4g",
        java_home: Path | None = None,
        start_timeout: float = 120.0,
        runtime_dir: Path | None = None,
    ) -> None:
        self.root = home.expanduser().resolve() / "neo4j"
        self._runtime_dir = runtime_dir.expanduser().resolve() if runtime_dir else None
        self.port = port
        self.heap = heap
        self.pagecache = pagecache
        self.java_home = java_home
        self.start_timeout = start_timeout

    # -- files ---------------------------------------------------------------------------
    @property
    def runtime_dir(self) -> Path:
        """Jars and launcher; shareable between homes (``HUITONG_NEO4J_RUNTIME``)."""
        return self._runtime_dir or self.root / NEO4J_VERSION

    @property
    def lib_dir(self) -> Path:
        return self.runtime_dir / "lib"

    @property
    def classes_dir(self) -> Path:
        return self.runtime_dir / "classes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / "neo4j.out"

    @property
    def import_marker(self) -> Path:
        return self.root / "import-pending"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def password(self) -> str:
        """The generated password of the ``neo4j`` user, created (mode 0600) on first use."""
        if self.password_file.exists():
            return self.password_file.read_text().strip()
        self.root.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        return password

    # -- provisioning --------------------------------------------------------------------
    def _has_jars(self) -> bool:
        return any(self.lib_dir.glob("neo4j-bolt-*.jar"))

    def _launcher_is_current(self) -> bool:
        """The launcher is compiled from the source this version of huitong ships."""
        stamp = self.classes_dir / f"{LAUNCHER_CLASS}.sha256"
        return (
            (self.classes_dir / f"{LAUNCHER_CLASS}.class").exists()
            and stamp.exists()
            and stamp.read_text().strip() == _launcher_digest()
        )

    def is_provisioned(self) -> bool:
        return self._has_jars() and self._launcher_is_current()

    def provision(self) -> None:
        """Resolve the pinned jars with Maven (once per version) and compile the launcher (again
        whenever its source changes).

        A file lock lets several homes sharing one runtime directory start at the same time.
        """
        if self.is_provisioned():
            return
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        with (self.runtime_dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self._has_jars():
                self._fetch_jars()
            if not self._launcher_is_current():
                self._compile_launcher()

    def _fetch_jars(self) -> None:
        find_java(self.java_home)  # fail early, before a long download, without a JDK
        mvn = find_maven()
        log = self.runtime_dir / "provision.log"
        staging = self.runtime_dir / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with resources.as_file(_RUNTIME / "pom.xml") as pom:
            command = [
                str(mvn),
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
            ]
            with log.open("w") as out:
                result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise Neo4jServerError(
                f"Maven could not resolve Neo4j {NEO4J_VERSION} from Maven Central "
                f"(exit {result.returncode}); see {log}:\n{tail(log)}"
            )
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        staging.rename(self.lib_dir)

    def _compile_launcher(self) -> None:
        java = find_java(self.java_home)
        javac = java.parent / "javac"
        if not javac.exists():
            raise Neo4jServerError(
                f"{java} has no javac beside it: install a full JDK (e.g. openjdk-17-jdk)."
            )
        self.classes_dir.mkdir(parents=True, exist_ok=True)
        with resources.as_file(_RUNTIME / f"{LAUNCHER_CLASS}.java") as source:
            compiled = subprocess.run(
                [str(javac), "-cp", f"{self.lib_dir}/*", "-d", str(self.classes_dir), str(source)],
                capture_output=True,
                text=True,
                check=False,
            )
        if compiled.returncode != 0:
            raise Neo4jServerError(f"could not compile the Neo4j launcher:\n{compiled.stderr}")
        (self.classes_dir / f"{LAUNCHER_CLASS}.sha256").write_text(_launcher_digest() + "\n")

    # -- lifecycle -----------------------------------------------------------------------
    def status(self) -> ServerStatus:
        state = self._read_state()
        pid = state.get("pid")
        running = bool(pid) and _alive(pid) and _is_launcher(pid)
        return ServerStatus(
            running=running,
            pid=pid if running else None,
            port=state.get("port") if running else None,
            version=state.get("version") if running else None,
            home=self.root,
        )

    def start(self) -> ServerStatus:
        """Start the server (provisioning first if needed) and wait until Bolt answers."""
        current = self.status()
        if current.running:
            return current
        if _port_in_use(self.port):
            raise Neo4jServerError(
                f"port {self.port} on 127.0.0.1 is already in use by another process; "
                "set HUITONG_NEO4J_PORT to a free port"
            )
        self.provision()
        java = find_java(self.java_home)
        password = self.password()
        if self.import_marker.exists():
            # an offline import was interrupted: what it left of the database is not a graph
            # anyone wrote; the database it replaced was empty, so start from an empty one
            for folder in ("databases", "transactions"):
                shutil.rmtree(self.data_dir / "data" / folder / DATABASE, ignore_errors=True)
            self.import_marker.unlink()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(java),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:+ExitOnOutOfMemoryError",
            *_JVM_ACCESS,
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-cp",
            f"{self.classes_dir}{os.pathsep}{self.lib_dir}/*",
            LAUNCHER_CLASS,
            str(self.data_dir),
            str(self.port),
            str(parse_size(self.pagecache)),
        ]
        env = {**os.environ, "HUITONG_NEO4J_PASSWORD": password}
        with self.log_file.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self._write_state({"pid": process.pid, "port": self.port, "version": NEO4J_VERSION})
        try:
            self._wait_ready(process, password)
        except Neo4jServerError:
            _terminate(process.pid, timeout=10)
            self.state_file.unlink(missing_ok=True)
            raise
        return self.status()

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server cleanly (SIGTERM, then SIGKILL after ``timeout``). True if it ran."""
        state = self._read_state()
        pid = state.get("pid")
        was_running = bool(pid) and _alive(pid) and _is_launcher(pid)
        if was_running:
            _terminate(pid, timeout=timeout)
        self.state_file.unlink(missing_ok=True)
        return was_running

    def import_database(
        self,
        nodes: list[str],
        relationships: list[str],
        *,
        array_delimiter: str,
        multiline: Sequence[str] = (),
    ) -> str:
        """Replace the ``neo4j`` database with CSV files (Neo4j's offline importer, ``neo4j-admin
        database import full``; ``nodes`` and ``relationships`` are its ``Label=header,data``
        specs) and return the importer's output: the server is stopped, the files imported, the
        server started again. ``multiline`` lists the data files with a line break inside a
        field (parsing every file for them is slower). Meant for an empty database only (the
        caller checks): whatever the database held is gone. A crash before the server is back
        leaves :attr:`import_marker`, and the next start empties the database."""
        self.provision()
        java = find_java(self.java_home)
        self.stop()
        self.import_marker.write_text(json.dumps({"started": time.time()}))
        conf = self.root / "import-conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "neo4j.conf").write_text(f"server.memory.pagecache.size={self.pagecache}\n")
        log = self.log_file.parent / "import.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(java),
            f"-Xmx{self.heap}",
            *_JVM_ACCESS,
            "-cp",
            f"{self.lib_dir}/*",
            "org.neo4j.cli.AdminTool",
            "database",
            "import",
            "full",
            DATABASE,
            "--overwrite-destination=true",
            *(
                ["--multiline-fields-format=v2", f"--multiline-fields={','.join(multiline)}"]
                if multiline
                else ["--multiline-fields=false"]
            ),
            f"--array-delimiter={array_delimiter}",
            "--strict=true",
            f"--report-file={self.log_file.parent / 'import-bad.log'}",
            *(f"--nodes={path}" for path in nodes),
            *(f"--relationships={path}" for path in relationships),
        ]
        env = {**os.environ, "NEO4J_HOME": str(self.data_dir), "NEO4J_CONF": str(conf)}
        with log.open("wb") as out:
            result = subprocess.run(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent,
            )
        if result.returncode != 0:
            self.start()  # with the database the import left behind emptied
            raise Neo4jServerError(
                f"the offline import failed (exit {result.returncode}); log {log}:\n{tail(log)}"
            )
        self.import_marker.unlink()
        self.start()
        return log.read_text(encoding="utf-8", errors="replace")

    def _wait_ready(self, process: subprocess.Popen, password: str) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, ServiceUnavailable

        deadline = time.monotonic() + self.start_timeout
        uri = f"bolt://127.0.0.1:{self.port}"
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise Neo4jServerError(
                    f"Neo4j exited during start-up (exit {process.returncode}); "
                    f"log {self.log_file}:\n{tail(self.log_file)}"
                )
            if b"ready" in _read_bytes(self.log_file)[-4096:]:
                try:
                    with (
                        GraphDatabase.driver(uri, auth=("neo4j", password)) as driver,
                        driver.session() as session,
                    ):
                        session.run("RETURN 1").consume()
                    return
                except (ServiceUnavailable, AuthError, OSError) as error:
                    last_error = error
            time.sleep(0.3)
        raise Neo4jServerError(
            f"Neo4j did not answer on {uri} within {self.start_timeout:.0f}s "
            f"(last error: {last_error}); log {self.log_file}:\n{tail(self.log_file)}"
        )

    def _read_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _write_state(self, state: dict) -> None:
        self.state_file.write_text(json.dumps(state))

    def connection_env(self) -> dict[str, str]:
        """``NEO4J_URI/USER/PASSWORD`` for this server (its running port, else the configured)."""
        port = self.status().port or self.port
        return {
            "NEO4J_URI": f"bolt://127.0.0.1:{port}",
            "NEO4J_USER": "neo4j",
            "NEO4J_PASSWORD": self.password(),
        }


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, or a note that there is none."""
    data = _read_bytes(path)
    if not data:
        return f"(no output in {path})"
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _die_with_parent() -> None:
    """Run in a child before it execs: it is killed when the process that started it dies
    (Linux's parent-death signal), so an importer never outlives the publish that ran it and
    writes a database a later start has already emptied."""
    # not Linux (no prctl): the import-pending marker still holds
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child of this process) still answers kill(0); reap it if it is ours.
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        return finished == 0
    except ChildProcessError:
        return _not_zombie(pid)


def _is_launcher(pid: int) -> bool:
    """Whether ``pid`` is our launcher (a stale state file may name a reused pid)."""
    try:
        return LAUNCHER_CLASS.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the state file


def _not_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while _alive(pid):
        time.sleep(0.1)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _launcher_digest() -> str:
    """SHA-256 of the launcher's source, so a changed launcher is compiled again."""
    source = (_RUNTIME / f"{LAUNCHER_CLASS}.java").read_bytes()
    return hashlib.sha256(source).hexdigest()
