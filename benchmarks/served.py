"""``huitong serve`` in a process of its own, on a free local port: the real served API that the
fault, load and fuzzing runs (and their tests) talk to over HTTP.

    with ServedApi(env) as api:
        httpx.get(f"{api.url}/readyz")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "huitong.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApi:
    """One ``huitong serve`` process; ``env`` holds NEO4J_*, HUITONG_JWT_SECRET, HUITONG_HOME…"""

    def __init__(self, env: dict[str, str], *, port: int | None = None, log: Path | None = None):
        self.env = env
        self.port = port or free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 120.0, ready: bool = True) -> ServedApi:
        """Start the server and wait until ``/healthz`` (and, with ``ready``, ``/readyz``)
        answers 200."""
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if self.log:
            out.close()
        self.wait_for("/readyz" if ready else "/healthz", timeout)
        return self

    def wait_for(self, path: str, timeout: float) -> float:
        """Poll ``path`` until it answers 200; the seconds it took."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"huitong serve exited {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.url}{path} did not answer 200 in {timeout:g}s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_bytes(self) -> int:
        """Resident memory of the server process now (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        """SIGKILL the server (its whole process group)."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServedApi:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
