"""Real uvicorn processes over a store file, for the tests that kill, restart and compare them.

A :class:`ServerProcess` serves ``app.main:create_app`` (through uvicorn's ``--factory``, so it
needs nothing built at import time) on 127.0.0.1 over one ``GEOKG_DB``. It can be started,
killed with SIGKILL at any moment and started again on the same file, and more than one can
serve the same file at once. Helpers read the whole change log and replay it, so a test can
compare what the log says with what the read model answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
WRITE_TOKEN = "e2e-writer-0123456789abcdef"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}
SOURCE = "ap-2022-02-15-russia-forces-pulling-back"
"""The seed article: evidence in the tests quotes it."""
QUOTE = "Russia stated Tuesday"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


APP_FACTORY = "app.main:create_app"
GEOKG_SERVE = "geokg serve"
"""As ``factory``: run ``geokg serve`` (the CLI, which logs at INFO) rather than uvicorn."""


class ServerProcess:
    """One uvicorn process serving the store at ``db`` (the real seed on first start).

    ``factory`` is the application factory uvicorn calls (``module:function``), or
    :data:`GEOKG_SERVE`.
    """

    def __init__(
        self,
        db: Path | str,
        log: Path,
        env: Mapping[str, str] | None = None,
        factory: str = APP_FACTORY,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.db = db
        self.startup_timeout = startup_timeout
        self.log = log
        self.factory = factory
        self.env = {
            **os.environ,
            "GEOKG_DB": str(db),
            "GEOKG_TOKENS": f"e2e:write:{WRITE_TOKEN}",
            "GEOKG_FOLLOW_INTERVAL": "0.05",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start on a fresh port and wait until ``/health`` answers."""
        assert self.process is None, "already running"
        self.port = free_port()
        where = ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.factory == GEOKG_SERVE:  # the command a user runs, with its logging
            command = [str(Path(sys.executable).with_name("geokg")), "serve", *where]
        else:
            command = [sys.executable, "-m", "uvicorn", "--factory", self.factory, *where]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + self.startup_timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"uvicorn did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lifespan exit, no flush."""
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), SIGKILL if it takes too long."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def read_log(client: httpx.Client, since: int = 0) -> list[dict[str, Any]]:
    """Every change after ``since``, read page by page."""
    entries: list[dict[str, Any]] = []
    while True:
        page = client.get("/changes", params={"since": since, "limit": 1000})
        page.raise_for_status()
        items = page.json()["items"]
        if not items:
            return entries
        entries += items
        since = items[-1]["position"]


def replay(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The state the log ends in: ``(object_type, id)`` to the last ``after`` of each object."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["object_type"], entry["object_id"])
        if entry["after"] is None:
            state.pop(key, None)
        else:
            state[key] = entry["after"]
    return state


def counts_of(state: Mapping[tuple[str, str], object]) -> dict[str, int]:
    """What ``/health`` should count for a replayed state."""
    plural = {"entity": "entities", "event": "events", "source": "sources", "edge": "edges"}
    counts = dict.fromkeys(plural.values(), 0)
    for object_type, _ in state:
        counts[plural[object_type]] += 1
    return counts


def assert_gapless(entries: list[dict[str, Any]], position: int) -> None:
    """Positions are exactly 1..position; each commit's entries end at its own position."""
    assert [e["position"] for e in entries] == list(range(1, position + 1))
    for i, entry in enumerate(entries):
        assert entry["position"] <= entry["commit"] <= position
        if i + 1 < len(entries) and entry["commit"] != entry["position"]:
            assert entries[i + 1]["commit"] == entry["commit"], "a commit's entries are adjacent"
        if entry["commit"] == entry["position"] and i + 1 < len(entries):
            assert entries[i + 1]["commit"] > entry["position"]


def _pages(client: httpx.Client, path: str) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = client.get(path, params={"limit": 1000, "offset": offset})
        page.raise_for_status()
        items = page.json()["items"]
        yield from items
        offset += len(items)
        if not items or offset >= page.json()["total"]:
            return


def read_model(client: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    """Every record the service answers with, keyed like :func:`replay` (quiet store only)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in _pages(client, "/entities"):
        found["entity", entity["id"]] = entity
    for event in _pages(client, "/events"):
        found["event", event["id"]] = {k: v for k, v in event.items() if k != "participants"}
    for edge in _pages(client, "/relations"):
        found["edge", edge["id"]] = edge
    sources = client.get("/sources")
    sources.raise_for_status()
    for source in sources.json():
        found["source", source["id"]] = source
    return found


def without_texts(state: Mapping[tuple[str, str], dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """A replayed state as the API shows it (a source's text is not in its answer)."""
    return {k: {f: v for f, v in after.items() if f != "text"} for k, after in state.items()}
