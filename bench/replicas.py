"""Replicas of one PostgreSQL store under writes: how many writes a second the API sustains, and
how soon every other replica has applied each write.

Several ``geokg serve`` processes share one database (``GEOKG_DB=postgresql://...``). Writes
(``POST /entities``, one new entity each, with a write token) go through the API:

- **sustained writes/s**: closed loop, ``connections`` clients writing back to back for
  ``duration`` seconds, to one replica or spread over several (round robin by connection);
- **apply lag**: writes paced at ``rate`` a second (open loop: write ``i`` is due at
  ``start + i / rate``, whatever the answers before it did; a write due while every connection
  is busy goes out late, and the figures say how late) to one replica, while every other
  replica's change feed (``GET /changes/stream``, server-sent events) is read. A replica sends
  a change there once it has applied it (the feed wakes when the replica applies a commit), so
  the time a write's entry arrives from a replica, minus the time the write's answer arrived
  (its position in ``X-Geokg-Position``), is that replica's apply lag for it, as a client sees
  it: read-after-write from another replica.

The client is this one Python process (asyncio): it shares the machine's cores with the
replicas and PostgreSQL, which every figure records with the load average.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.load import Connection, summarise
from graph.storage import open_record_store

__all__ = [
    "Feed",
    "WriteLog",
    "apply_lag",
    "due",
    "fill_views",
    "lag_figures",
    "paced_writes",
    "store_apply_lag",
    "sustained_writes",
]

HOST = "127.0.0.1"
POSITION = "X-Geokg-Position"


def due(start: float, rate: float, index: int) -> float:
    """When write ``index`` (from 0) is due in an open loop at ``rate`` writes a second.

    Examples
    --------
    >>> due(10.0, 1000, 0), due(10.0, 1000, 250)
    (10.0, 10.25)
    """
    return start + index / rate


def lag_figures(
    answered: dict[int, float], seen: dict[int, float], *, first: int, last: int
) -> dict[str, Any]:
    """Apply lag of one replica: for each write position answered (time its answer came) that
    the replica's feed carried (time it came), the difference; with how many writes the feed
    never carried (``missing``) and how many came before the writer's own answer
    (``before_answer``, a negative lag: the replica applied it while the answer was on its
    way). Positions outside ``first..last`` (other commits) are left out.

    Examples
    --------
    >>> f = lag_figures({5: 1.0, 6: 2.0, 7: 3.0}, {5: 1.010, 6: 1.995}, first=5, last=7)
    >>> f["n"], f["p50_ms"], f["missing"], f["before_answer"]  # 10 ms, and -5 ms counted as 0
    (2, 5.0, 1, 1)
    """
    lags = [
        seen[position] - at
        for position, at in answered.items()
        if first <= position <= last and position in seen
    ]
    figures = summarise([max(0.0, lag) for lag in lags])
    figures["missing"] = sum(
        1 for position in answered if first <= position <= last and position not in seen
    )
    figures["before_answer"] = sum(1 for lag in lags if lag < 0)
    figures["min_ms"] = round(min(lags) * 1000, 3) if lags else None
    return figures


@dataclass
class WriteLog:
    """What the writer did: each write's due time, send time, answer time, status, position."""

    due: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    positions: dict[int, float] = field(default_factory=dict)
    """Position of each write's commit (``X-Geokg-Position``) -> when its answer came."""
    errors: int = 0
    unsent: int = 0
    """Writes that fell due in the window but were not sent before it ended."""

    def record(
        self, due_at: float, sent: float, answered: float, status: int, position: int | None
    ) -> None:
        self.due.append(due_at)
        self.sent.append(sent)
        self.answered.append(answered)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if status == 201 and position is not None:
            self.positions[position] = answered

    def figures(self, seconds: float) -> dict[str, Any]:
        done = sum(n for s, n in self.statuses.items() if s == "201")
        late = [s - d for s, d in zip(self.sent, self.due, strict=True)]
        latency = [a - s for a, s in zip(self.answered, self.sent, strict=True)]
        return {
            "writes": done,
            "seconds": round(seconds, 3),
            "writes_per_s": round(done / seconds, 1) if seconds else None,
            "statuses": self.statuses,
            "errors": self.errors,
            "unsent": self.unsent,
            "latency": summarise(latency),
            "sent_late": summarise(late),
        }


def _entity(run: str, index: int) -> bytes:
    body = {
        "id": f"bench-write-{run}-{index}",
        "kind": "organisation",
        "label": f"Bench Writer {run} {index}",
        "analyst_assertion": True,
    }
    return json.dumps(body).encode()


def _write_request(conn: Connection, token: str, run: str, index: int) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return conn.encode("/entities", "POST", _entity(run, index), headers)


async def _write(
    conn: Connection, token: str, run: str, index: int, timeout: float
) -> tuple[int, int | None]:
    async with asyncio.timeout(timeout):
        answer = await conn.send(_write_request(conn, token, run, index))
    position = answer.headers.get("x-geokg-position")
    return answer.status, int(position) if position and position.isdigit() else None


async def _logged_write(
    log: WriteLog,
    conn: Connection,
    token: str,
    run: str,
    index: int,
    *,
    timeout: float,
    due_at: float | None,
) -> None:
    """One write, recorded in ``log`` (due at ``due_at``, or when sent); a failed one is
    counted, and its connection closed for the next write to open again."""
    sent = time.perf_counter()
    try:
        status, position = await _write(conn, token, run, index, timeout)
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        log.errors += 1
        await conn.close()
        return
    log.record(sent if due_at is None else due_at, sent, time.perf_counter(), status, position)


async def paced_writes(
    port: int,
    token: str,
    *,
    rate: float,
    duration: float,
    connections: int,
    timeout: float = 30.0,
) -> tuple[WriteLog, float]:
    """Writes due at ``rate`` a second for ``duration`` seconds, on up to ``connections``
    keep-alive connections to one replica; returns the log and the seconds it took. A write
    still unsent when the window ends is not sent (``WriteLog.unsent`` counts them): a
    machine that cannot keep the rate writes what it can in the window, no more."""
    log = WriteLog()
    run = uuid.uuid4().hex[:8]
    counter = itertools.count()
    start = time.perf_counter() + 0.05
    end = start + duration

    async def worker() -> None:
        conn = Connection(HOST, port)
        try:
            while True:
                index = next(counter)
                due_at = due(start, rate, index)
                if due_at >= end:
                    return
                if time.perf_counter() >= end:
                    log.unsent += 1
                    continue
                await asyncio.sleep(max(0.0, due_at - time.perf_counter()))
                await _logged_write(log, conn, token, run, index, timeout=timeout, due_at=due_at)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return log, time.perf_counter() - start


async def sustained_writes(
    ports: Sequence[int],
    token: str,
    *,
    duration: float,
    connections: int,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Writes back to back on ``connections`` connections spread over ``ports`` (round robin)
    for ``duration`` seconds: what the API sustains."""
    log = WriteLog()
    run = uuid.uuid4().hex[:8]
    counter = itertools.count()
    start = time.perf_counter()
    end = start + duration

    async def worker(port: int) -> None:
        conn = Connection(HOST, port)
        try:
            while time.perf_counter() < end:
                await _logged_write(
                    log, conn, token, run, next(counter), timeout=timeout, due_at=None
                )
        finally:
            await conn.close()

    await asyncio.gather(*(worker(ports[i % len(ports)]) for i in range(connections)))
    figures = log.figures(time.perf_counter() - start)
    figures.pop("sent_late")
    figures["connections"] = connections
    figures["replicas_written_to"] = len(ports)
    return figures


class Feed:
    """A replica's change feed (``/changes/stream?since=``), read in the background: when each
    position arrived (``seen``)."""

    def __init__(self, port: int, since: int) -> None:
        self.port = port
        self.since = since
        self.seen: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self.error: str | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port)
        except OSError as exc:
            self.error = str(exc)
            return
        try:
            writer.write(
                f"GET /changes/stream?since={self.since} HTTP/1.1\r\n"
                f"Host: {HOST}:{self.port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            # A chunked body of events; only the "id: N" lines matter, wherever chunks cut.
            while line := await reader.readline():
                if line.startswith(b"id: "):
                    self.seen[int(line[4:])] = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            writer.close()


async def apply_lag(
    writer_port: int,
    follower_ports: Sequence[int],
    token: str,
    since: int,
    *,
    rate: float,
    duration: float,
    connections: int,
    settle: float = 5.0,
) -> dict[str, Any]:
    """Paced writes to one replica while the others' feeds are read; each follower's lag."""
    feeds = [Feed(port, since) for port in follower_ports]
    for feed in feeds:
        feed.start()
    await asyncio.sleep(1.0)  # the feeds are open and caught up before the first write
    load_before = os.getloadavg()
    log, seconds = await paced_writes(
        writer_port, token, rate=rate, duration=duration, connections=connections
    )
    load_after = os.getloadavg()
    deadline = time.perf_counter() + settle
    wanted = set(log.positions)
    while time.perf_counter() < deadline and not all(wanted <= set(f.seen) for f in feeds):
        await asyncio.sleep(0.05)
    for feed in feeds:
        await feed.stop()
    first, last = (min(wanted), max(wanted)) if wanted else (0, -1)
    figures = log.figures(seconds)
    figures.update(
        rate_asked=rate,
        connections=connections,
        loadavg_before=load_before,
        loadavg_after=load_after,
        followers={
            str(feed.port): {
                **lag_figures(log.positions, feed.seen, first=first, last=last),
                "feed_error": feed.error,
            }
            for feed in feeds
        },
    )
    every = [
        max(0.0, feed.seen[p] - at)
        for feed in feeds
        for p, at in log.positions.items()
        if p in feed.seen
    ]
    figures["all_followers"] = summarise(every)
    figures["rate_reached"] = figures["writes_per_s"]
    figures["on_time_share"] = (
        round(
            sum(1 for s, d in zip(log.sent, log.due, strict=True) if s - d < 0.01) / len(log.due), 4
        )
        if log.due
        else None
    )
    return figures


async def store_apply_lag(
    location: str,
    ports: Sequence[int],
    *,
    rate: float,
    duration: float,
    warmup: float = 2.0,
    connections: int = 4,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Writes committed straight to the store at ``rate`` a second by a process of their own
    (:mod:`bench.logwriter`, group commit), each group read back on every replica as soon as
    it is committed: ``GET /entities/<its last entity>`` with ``X-Geokg-Position`` (the read
    waits until the replica has applied it, read-your-writes). A replica's apply lag for each
    write of a group is the time that read answered minus the time the group's commit
    returned (the same machine's monotonic clock): an upper bound, as it includes the read's
    own round trip. The first ``warmup`` seconds of writes are written and read back (the
    connections and the replicas' read path warm up), and not measured."""
    load_before = os.getloadavg()
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.logwriter",
        location,
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 26,
    )  # fmt: skip (the last line holds every write's figures)
    assert writer.stdout is not None and writer.stderr is not None
    pools: dict[int, asyncio.Queue[Connection]] = {}
    for port in ports:
        pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(connections):
            pool.put_nowait(Connection(HOST, port))
        pools[port] = pool
    lags: dict[int, list[float]] = {port: [] for port in ports}
    statuses: dict[str, int] = {}
    failures: list[str] = []

    async def probe(
        port: int, last: int, committed: float, entity: str, writes: int, *, warmup: bool
    ) -> None:
        conn = await pools[port].get()
        try:
            request = conn.encode(f"/entities/{entity}", headers={POSITION: str(last)})
            async with asyncio.timeout(timeout):
                answer = await conn.send(request)
            if warmup:  # the connections and the replicas' read path warm up, unmeasured
                return
            statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
            if answer.status == 200:
                lags[port].extend([time.perf_counter() - committed] * writes)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            if not warmup:
                failures.append(f"{port}: {type(exc).__name__}: {exc}")
            await conn.close()
        finally:
            pools[port].put_nowait(conn)

    probes: list[asyncio.Task[None]] = []
    summary: dict[str, Any] | None = None
    while line := await writer.stdout.readline():
        found = json.loads(line)
        if "group" not in found:
            summary = found
            continue
        last, committed, entity, writes = found["group"]
        warmup = bool(found.get("warmup"))
        probes.extend(
            asyncio.ensure_future(probe(port, last, committed, entity, writes, warmup=warmup))
            for port in ports
        )
    err = await writer.stderr.read()
    await writer.wait()
    await asyncio.gather(*probes)
    load_after = os.getloadavg()
    for pool in pools.values():
        while not pool.empty():
            await pool.get_nowait().close()
    if writer.returncode != 0 or summary is None:
        raise RuntimeError(f"bench.logwriter failed: {err.decode(errors='replace')[-2000:]}")
    latency = summary.pop("due_to_committed_s")
    every = [lag for port in ports for lag in lags[port]]
    return {
        **summary,
        "rate_asked": rate,
        "rate_reached": summary["writes_per_s"],
        "due_to_committed": summarise(latency),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "reads": {"statuses": statuses, "failures": len(failures), "examples": failures[:5]},
        "replicas": {str(port): summarise(lags[port]) for port in ports},
        "all_replicas": summarise(every),
    }


def fill_views(location: str, *, seconds: float = 1.0) -> dict[str, Any]:
    """Render the export views that :mod:`bench.logwriter`'s writes left stale (it writes
    without a renderer), in this process, until none is left: the next step starts from a
    store as writes through the API leave it, and no replica spends its time rendering them
    meanwhile (a replica renders them only after an import-sized jump in the log)."""
    started = time.perf_counter()
    store = open_record_store(location)
    rendered = calls = 0
    try:
        while True:
            filled = store.fill_views(500, seconds)
            rendered += filled.rendered
            calls += 1
            if filled.done:
                break
    finally:
        store.close()
    return {
        "rendered": rendered,
        "calls": calls,
        "seconds": round(time.perf_counter() - started, 1),
    }
