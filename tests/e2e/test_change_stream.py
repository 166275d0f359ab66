"""The live change feed over real connections: ``GET /changes/stream`` (server-sent events).

A stream sends the changes after ``since``, then each one as it commits, in order, with the
position as the event id; a client that reconnects with ``Last-Event-ID`` (after hanging up,
or after the server was killed and restarted) resumes where it stopped, missing nothing and
getting nothing twice; clients that hang up (idle, or in the middle
of a backlog) leave nothing behind in the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.e2e.serving import QUOTE, SOURCE, WRITE, ServerProcess, read_log

pytestmark = pytest.mark.e2e

WAIT = 10.0
"""Longest wait for an event that a committed write should bring."""


class Stream:
    """One SSE connection on a raw socket (HTTP/1.1, chunked), read by a thread into a queue of
    ``(id, event, data)``; ``close`` shuts the socket under the reading thread."""

    def __init__(self, port: int, since: int, headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[int, str, dict[str, Any]] | None] = queue.Queue()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        lines = [f"GET /changes/stream?since={since} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.body = self.sock.makefile("rb")
        head = self._head()
        assert head["status"].startswith("HTTP/1.1 200"), head
        assert head["content-type"].startswith("text/event-stream")
        assert head["transfer-encoding"] == "chunked"
        self.sock.settimeout(None)  # the reader blocks until data comes or close() shuts it
        self._thread = threading.Thread(target=self._read)
        self._thread.start()

    def _head(self) -> dict[str, str]:
        head = {"status": self.body.readline().decode().strip()}
        while line := self.body.readline().decode().strip():
            name, _, value = line.partition(":")
            head[name.lower()] = value.strip()
        return head

    def _chunks(self) -> Iterator[bytes]:
        while size_line := self.body.readline():
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return
            yield self.body.read(size)
            self.body.readline()

    def _read(self) -> None:
        text, fields = "", {}
        try:
            for chunk in self._chunks():
                text += chunk.decode()
                *lines, text = text.split("\n")
                for line in lines:
                    if not line and "data" in fields:
                        data = json.loads(fields["data"])
                        self.events.put((int(fields["id"]), fields["event"], data))
                        fields = {}
                    elif line and not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except (OSError, ValueError):
            pass  # shut by close()
        finally:
            self.events.put(None)

    def take(self, count: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The next ``count`` events (fails if they do not come in time)."""
        taken = []
        for _ in range(count):
            item = self.events.get(timeout=WAIT)
            assert item is not None, "the stream ended"
            taken.append(item)
        return taken

    def nothing_more(self, seconds: float = 0.3) -> bool:
        try:
            return self.events.get(timeout=seconds) is None
        except queue.Empty:
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the server may have gone first
            self.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=WAIT)
        assert not self._thread.is_alive()
        self.body.close()
        self.sock.close()


@contextlib.contextmanager
def _stream(
    server: ServerProcess, since: int, headers: dict[str, str] | None = None
) -> Iterator[Stream]:
    stream = Stream(server.port, since, headers or {})
    try:
        yield stream
    finally:
        stream.close()


def _write_entities(client: httpx.Client, prefix: str, count: int) -> list[int]:
    positions = []
    for i in range(count):
        body = {"kind": "person", "label": f"{prefix} {i}", "analyst_assertion": True}
        response = client.post("/entities", json=body, headers=WRITE)
        assert response.status_code == 201
        positions.append(int(response.headers["X-Geokg-Position"]))
    return positions


def _write_event(client: httpx.Client, label: str) -> int:
    body = {
        "kind": "meeting",
        "label": label,
        "cameo": "036",
        "modality": "asserted",
        "participants": [
            {"entity": "russia", "role": "actor"},
            {"entity": "ukraine", "role": "participant"},
            {"entity": "nato", "role": "participant"},
        ],
        "evidence": [{"source": SOURCE, "quote": QUOTE}],
    }
    response = client.post("/events", json=body, headers=WRITE)
    assert response.status_code == 201
    return int(response.headers["X-Geokg-Position"])


def _check(events: list[tuple[int, str, dict[str, Any]]], log: list[dict[str, Any]]) -> None:
    """Events are consecutive log entries, each exactly as ``/changes`` shows it."""
    by_position = {e["position"]: e for e in log}
    first = events[0][0]
    assert [i for i, _, _ in events] == list(range(first, first + len(events)))
    for event_id, kind, data in events:
        assert kind == "change" and data["position"] == event_id
        assert data == by_position[event_id]


def test_stream_sends_past_then_live_changes_in_order(launch: Callable[..., ServerProcess]) -> None:
    server = launch()
    server.start()
    with server.client() as client:
        start = client.get("/changes", params={"limit": 1}).json()["position"]
        past = _write_entities(client, "Streamed before", 3)
        with _stream(server, since=start) as stream:
            before = stream.take(3)
            live = [_write_event(client, "Streamed meeting")]  # four changes, one commit
            live += _write_entities(client, "Streamed live", 3)
            after = stream.take(live[-1] - past[-1])
            assert stream.nothing_more()
        log = read_log(client, since=start)
    assert [i for i, _, _ in before] == past
    assert [i for i, _, _ in after][3:] == live
    _check(before + after, log)
    event = [(d["object_type"], d["commit"]) for _, _, d in after[:4]]
    assert event == [("event", live[0])] + [("edge", live[0])] * 3


def test_reconnecting_with_last_event_id_resumes_without_loss_or_duplicates(
    launch: Callable[..., ServerProcess],
) -> None:
    server = launch()
    server.start()
    with server.client() as client:
        start = client.get("/changes", params={"limit": 1}).json()["position"]
        first = _write_entities(client, "Before the drop", 4)
        with _stream(server, since=start) as stream:
            seen = stream.take(4)
        # Gone: these commit while no one listens.
        missed = _write_entities(client, "While away", 3)
        resume = {"Last-Event-ID": str(seen[-1][0])}
        with _stream(server, since=0, headers=resume) as stream:  # the header wins over since
            again = stream.take(3)
            later = _write_entities(client, "After the return", 2)
            again += stream.take(2)
            assert stream.nothing_more()
            server.kill()  # the stream ends with the server
            assert stream.events.get(timeout=WAIT) is None
    server.start()
    with server.client() as client:
        after_crash = _write_entities(client, "After the crash", 2)
        resume = {"Last-Event-ID": str(again[-1][0])}
        with _stream(server, since=0, headers=resume) as stream:
            again += stream.take(2)
            assert stream.nothing_more()
        log = read_log(client, since=start)
    assert [i for i, _, _ in seen] == first
    assert [i for i, _, _ in again] == missed + later + after_crash
    _check(seen + again, log)


def _sockets(pid: int) -> int:
    """Sockets the process holds open (each worker thread also keeps its own store files)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed since the listing (the store opens and closes files)
            continue
    return count


def _hang_up(server: ServerProcess, since: int) -> None:
    """Open a stream on a raw socket, read a little of it, and close it (RST if data is left)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        request = f"GET /changes/stream?since={since} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(request.encode())
        head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 200"), head[:200]


def test_streams_whose_clients_hang_up_leave_nothing_behind(
    launch: Callable[..., ServerProcess],
) -> None:
    server = launch()
    server.start()
    with server.client() as client:
        position = client.get("/changes", params={"limit": 1}).json()["position"]
        time.sleep(0.2)
        idle = _sockets(server.pid)
        for i in range(30):  # idle streams, and streams dropped in the middle of a backlog
            _hang_up(server, position if i % 2 else 0)
        deadline = time.monotonic() + WAIT
        while _sockets(server.pid) > idle:
            assert time.monotonic() < deadline, f"{_sockets(server.pid) - idle} sockets left"
            time.sleep(0.05)
        # Still serving: writes and reads answer, and a new stream gets the new changes.
        with _stream(server, since=position) as stream:
            written = _write_entities(client, "After hang-ups", 5)
            assert [i for i, _, _ in stream.take(5)] == written
        assert client.get("/health").status_code == 200
