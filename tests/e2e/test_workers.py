"""``geokg serve --workers 2``: two processes over one store, each with its own read model.

A client must read its own writes whichever worker answers: a write committed by one worker is
applied by the other before it answers a read (not only at its next poll of the log, which is
set to an hour here so that it cannot be what makes the read right). A worker must not outlive
its parent, even when the parent is killed with SIGKILL (it would keep the port).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from bench.server import descendants
from tests.e2e.serving import ROOT, WRITE, WRITE_TOKEN, free_port

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT = 60.0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GEOKG_TOKENS": f"e2e:write:{WRITE_TOKEN}",
        "GEOKG_FOLLOW_INTERVAL": "3600",
    }
    args = ["serve", "--db", str(tmp_path / "geokg.sqlite3"), "--port", str(port)]
    with (tmp_path / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args, "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"geokg serve --workers 2 did not start:\n{(tmp_path / 'serve.log').read_text()}"
            )
        time.sleep(0.1)


def _workers(parent: int) -> list[int]:
    """The uvicorn workers: children of the parent that listen (not its helper processes)."""
    return [
        pid for pid in descendants(parent) if "create_worker_app" in _cmdline(pid) or _serving(pid)
    ]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
            return cmd.read().decode(errors="replace")
    except OSError:
        return ""


def _serving(pid: int) -> bool:
    return "multiprocessing" in _cmdline(pid) and "resource_tracker" not in _cmdline(pid)


def test_reads_see_every_write_whichever_worker_answers(tmp_path: Path) -> None:
    port = free_port()
    process = _serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        assert len(_workers(process.pid)) == 2
        for i in range(40):
            body = {"kind": "person", "label": f"Worker probe {i}", "analyst_assertion": True}
            # A new connection for every request: the kernel hands each to either worker.
            with httpx.Client(base_url=url, timeout=30) as client:
                written = client.post("/entities", json=body, headers=WRITE)
            assert written.status_code == 201, written.text
            entity = written.json()["id"]
            if i % 4 == 0:  # an export takes its own read hold: it is as fresh
                with httpx.Client(base_url=url, timeout=30) as client:
                    dump = client.get("/export", params={"format": "ntriples"})
                assert dump.status_code == 200
                assert f"/{entity}>".encode() in dump.content, i
                continue
            for _ in range(2):
                with httpx.Client(base_url=url, timeout=30) as client:
                    read = client.get(f"/entities/{entity}")
                    assert read.status_code == 200, (i, read.text)
                    found = client.get("/entities", params={"q": f"Worker probe {i}"})
                    assert entity in [item["id"] for item in found.json()["items"]]
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/health").json()["counts"]["entities"] >= 40
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    port = free_port()
    process = _serve(tmp_path, port)
    workers = _workers(process.pid)
    assert len(workers) == 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its killed parent"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_workers_refuse_a_memory_store(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--db", ":memory:", "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "needs a store file" in done.stderr
    assert "Traceback" not in done.stderr
