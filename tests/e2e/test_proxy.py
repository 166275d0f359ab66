"""The proxy of docker/compose.yml, for real: HAProxy (Debian's, `make proxy` installs it) with
docker/haproxy.cfg, its servers pointed at replicas on this machine. A replica paused past the
lag bound leaves the rotation (no request reaches it) and comes back when it catches up."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from graph.service import KnowledgeGraph
from graph.writes import plan_create
from tests.e2e.serving import ROOT, WRITE, ServerProcess, free_port

pytestmark = pytest.mark.e2e

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CONFIG = ROOT / "docker" / "haproxy.cfg"


def local_config(ports: list[int], listen: int, stats: int) -> str:
    """docker/haproxy.cfg with the replicas at 127.0.0.1 and no Docker DNS."""
    text = CONFIG.read_text()
    text = re.sub(r"\nresolvers docker\n(    .*\n)+", "\n", text)
    text = text.replace(" resolvers docker", "")
    text = text.replace("bind :8000", f"bind 127.0.0.1:{listen}")
    text = text.replace("bind :8404", f"bind 127.0.0.1:{stats}")
    for i, port in enumerate(ports, 1):
        text, n = re.subn(
            rf"(server replica-{i}(-any)?) replica-{i}:8000", rf"\1 127.0.0.1:{port}", text
        )
        assert n == 2, f"docker/haproxy.cfg has not two lines (ready, any) for replica-{i}"
    return text


@pytest.fixture
def replicas(postgres_db: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    env = {"GEOKG_MAX_LAG": "1", "GEOKG_FOLLOW_INTERVAL": "1"}
    started = [ServerProcess(postgres_db, tmp_path / f"r{i}.log", env=env) for i in range(3)]
    try:
        for replica in started:  # one after the other: the first seeds the store
            replica.start()
        yield started
    finally:
        for replica in started:
            replica.stop()


def _servers(stats: str) -> dict[str, dict[str, str]]:
    """The replicas as HAProxy's stats page lists them ({} while it is not listening)."""
    try:
        page = httpx.get(f"{stats}/;csv", timeout=5).text
    except httpx.TransportError:
        return {}
    rows = csv.DictReader(io.StringIO(page.lstrip("# ")))
    return {r["svname"]: r for r in rows if r["pxname"] == "replicas" and r["svname"] != "BACKEND"}


def _statuses(stats: str, names: list[str]) -> list[str]:
    servers = _servers(stats)
    return [servers[n]["status"] if n in servers else "?" for n in names]


def _until(check: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="no haproxy: `make proxy` installs it")
def test_the_proxy_takes_a_lagging_replica_out_and_back(
    replicas: list[ServerProcess], tmp_path: Path
) -> None:
    listen, stats_port = free_port(), free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(local_config([r.port for r in replicas], listen, stats_port))
    check = [HAPROXY, "-c", "-f", str(config)]
    checked = subprocess.run(check, check=False, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    proxy = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base, stats = f"http://127.0.0.1:{listen}", f"http://127.0.0.1:{stats_port}"
    try:
        primaries = [f"replica-{i}" for i in (1, 2, 3)]
        _until(lambda: _statuses(stats, primaries) == ["UP"] * 3, "three UP")
        paused = replicas[1]
        assert httpx.post(f"{paused.url}/admin/replica/pause", headers=WRITE).status_code == 200
        # A write through the proxy (any replica but the paused one takes it).
        written = None
        for n in range(20):
            answer = httpx.post(
                f"{base}/entities",
                json={"label": f"Proxy probe {n}", "kind": "person", "analyst_assertion": True},
                headers=WRITE,
                timeout=10,
            )
            if answer.status_code == 201:
                written = answer
                break
            assert answer.json()["type"].endswith("/replica-paused")
        assert written is not None
        position = written.headers["x-geokg-position"]
        _until(lambda: _servers(stats)["replica-2"]["status"] == "DOWN", "replica-2 DOWN")
        before = int(_servers(stats)["replica-2"]["stot"])
        reads = [
            httpx.get(f"{base}/entities/{written.json()['id']}", params={"after": position})
            for _ in range(30)
        ]
        assert {r.status_code for r in reads} == {200}  # never the paused replica's 404
        assert int(_servers(stats)["replica-2"]["stot"]) == before
        assert "replica not ready" in paused.log.read_text()
        assert httpx.post(f"{paused.url}/admin/replica/resume", headers=WRITE).status_code == 200
        _until(lambda: _servers(stats)["replica-2"]["status"] == "UP", "replica-2 back UP")
        for _ in range(60):
            assert httpx.get(f"{base}/entities", params={"limit": 1}).status_code == 200
        assert int(_servers(stats)["replica-2"]["stot"]) > before  # in rotation again

        # No replica ready (all three behind): any replica that is up answers, not a 503.
        for replica in replicas:
            httpx.post(f"{replica.url}/admin/replica/pause", headers=WRITE).raise_for_status()
        other = KnowledgeGraph.open(replicas[0].db, saving=False)
        try:
            body = {"label": "Behind everywhere", "kind": "person", "analyst_assertion": True}
            other.write(lambda view: plan_create(view, "entity", body), actor="test")
        finally:
            other.close()
        _until(lambda: _statuses(stats, primaries) == ["DOWN"] * 3, "all DOWN")
        answers = [httpx.get(f"{base}/entities", params={"limit": 1}) for _ in range(9)]
        assert {a.status_code for a in answers} == {200}
        assert sum(int(_servers(stats)[f"{n}-any"]["stot"]) for n in primaries) >= 9
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
