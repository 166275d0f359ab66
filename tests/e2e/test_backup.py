"""Backups taken while a server writes, restored and served again.

``POST /admin/backup`` and ``geokg backup`` run in the middle of a stream of writes; each file
is accepted by ``geokg restore``, and a server on the restored store serves exactly the
history of the original up to one whole commit: positions 1..P without a gap, the counts that
history replays to, a new store id. ``geokg restore`` will not overwrite a store that holds
data unless told ``--force``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.service import KnowledgeGraph
from graph.storage.sqlite import restore_backup
from tests.conftest import MINI
from tests.e2e.serving import (
    QUOTE,
    SOURCE,
    WRITE,
    ServerProcess,
    assert_gapless,
    counts_of,
    read_log,
    read_model,
    replay,
    without_texts,
)

pytestmark = pytest.mark.e2e

MAX_WRITES = 2000
"""A bound on the writer: it is stopped long before."""


def _geokg(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("geokg")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=60, check=False
    )


def _writer(server: ServerProcess, stop: threading.Event, acks: list[int]) -> None:
    with server.client(headers=WRITE) as client:
        for i in range(MAX_WRITES):
            if stop.is_set():
                return
            if i % 3:
                body: dict[str, Any] = {
                    "kind": "person",
                    "label": f"Backup probe {i}",
                    "analyst_assertion": True,
                }
                response = client.post("/entities", json=body)
            else:
                body = {
                    "kind": "meeting",
                    "label": f"Backup meeting {i}",
                    "cameo": "036",
                    "modality": "asserted",
                    "participants": [
                        {"entity": "russia", "role": "actor"},
                        {"entity": "ukraine", "role": "participant"},
                    ],
                    "evidence": [{"source": SOURCE, "quote": QUOTE}],
                }
                response = client.post("/events", json=body)
            assert response.status_code == 201, response.text
            acks.append(int(response.headers["X-Geokg-Position"]))


def _wait_for(acks: list[int], count: int) -> None:
    deadline = time.monotonic() + 20
    while len(acks) < count:
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.01)


def test_backups_taken_while_writing_restore_to_a_consistent_store(
    launch: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    server = launch()
    server.start()
    stop = threading.Event()
    acks: list[int] = []
    writer = threading.Thread(target=_writer, args=(server, stop, acks))
    writer.start()
    backups: dict[str, tuple[Path, int]] = {}
    try:
        with server.client() as client:
            _wait_for(acks, 10)
            assert client.post("/admin/backup").status_code == 401
            before = acks[-1]
            response = client.post("/admin/backup", headers=WRITE)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/vnd.sqlite3"
            (tmp_path / "http.sqlite3").write_bytes(response.content)
            backups["http"] = tmp_path / "http.sqlite3", before
            _wait_for(acks, len(acks) + 10)
            before = acks[-1]
            made = _geokg("backup", str(tmp_path / "cli.sqlite3"), "--db", str(server.db))
            assert made.returncode == 0, made.stderr
            backups["cli"] = tmp_path / "cli.sqlite3", before
            _wait_for(acks, len(acks) + 10)  # the writes went on meanwhile
    finally:
        stop.set()
        writer.join(timeout=30)
    with server.client() as client:
        original = read_log(client)
        store_id = client.get("/changes", params={"limit": 1}).json()["store_id"]
    server.stop()

    for name, (backup, before) in backups.items():
        target = tmp_path / f"restored-{name}.sqlite3"
        restored = _geokg("restore", str(backup), "--db", str(target))
        assert restored.returncode == 0, restored.stderr
        copy = launch(target)
        copy.start()
        with copy.client() as client:
            log = read_log(client)
            page = client.get("/changes", params={"since": len(log)}).json()
            state = replay(log)
            assert before <= page["position"] == len(log) < len(original)
            assert_gapless(log, len(log))
            assert log[-1]["commit"] == len(log), "the backup ends inside a commit"
            assert log == original[: len(log)]
            assert page["store_id"] != store_id
            assert client.get("/health").json()["counts"] == counts_of(state)
            assert read_model(client) == without_texts(state)
        copy.stop()


def test_restore_refuses_to_overwrite_a_store_that_holds_data(tmp_path: Path) -> None:
    backup, target = tmp_path / "backup.sqlite3", tmp_path / "target.sqlite3"
    KnowledgeGraph.open(backup, MINI).close()
    restore_backup(backup, target)
    held = target.read_bytes()

    refused = _geokg("restore", str(backup), "--db", str(target))
    assert refused.returncode == 1
    assert len(refused.stderr.splitlines()) == 1 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert target.read_bytes() == held

    forced = _geokg("restore", str(backup), "--db", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
