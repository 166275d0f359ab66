"""A small HTTP/1.1 load client: keep-alive connections on asyncio streams, per-request timing.

There is no wrk on this machine, so the harness brings its own client. It is deliberately thin
(requests are pre-encoded bytes, responses are parsed just enough to find their end), but it is
Python: it shares the machine's two cores with the server it measures, and every figure it
reports says so. Only addresses on this machine are ever asked (the harness starts the server
on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Answer",
    "Connection",
    "LoadResult",
    "Stream",
    "closed_loop",
    "fetch",
    "summarise",
    "wrk",
]

_READ = 1 << 20
"""The most a body read takes at once, and a quarter of what a connection buffers: the client
shares the server's cores, and reading an export of 2.25 GB in pieces of 64 KiB cost it 7.7 s
of CPU, against 4.3 s in pieces of 1 MiB (the server sending the same bytes as fast as it can)."""


@dataclass
class Answer:
    """One response: status, body size, and when its head and first body byte came."""

    status: int
    body_bytes: int
    head_s: float
    first_byte_s: float | None
    total_s: float
    complete: bool = True
    """False when a chunked body ended without its last chunk (a cut stream)."""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers, names in lower case."""


class Stream:
    """Where a streamed body goes: counts bytes and lines, and optionally writes a file."""

    def __init__(self, sink: Callable[[bytes], object] | None = None) -> None:
        self.sink = sink
        self.bytes = 0
        self.lines = 0

    def feed(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        self.lines += chunk.count(b"\n")
        if self.sink is not None:
            self.sink(chunk)


class Connection:
    """One keep-alive HTTP/1.1 connection to ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=4 * _READ
        )

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    def encode(
        self,
        path: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """The request's bytes (encode once, send many times)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        return (head + "\r\n").encode("ascii") + (body or b"")

    async def send(
        self, request: bytes, stream: Stream | None = None, keep: bool = False
    ) -> Answer:
        """Send a request and read its whole answer (the body into ``stream`` if given, else
        counted, or kept when ``keep``)."""
        if self._writer is None:
            await self.open()
        assert self._reader is not None and self._writer is not None
        reader = self._reader
        started = time.perf_counter()
        self._writer.write(request)
        await self._writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        head_s = time.perf_counter() - started
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        kept: list[bytes] = []
        first: list[float] = []

        def take(chunk: bytes) -> None:
            if not first:
                first.append(time.perf_counter() - started)
            if stream is not None:
                stream.feed(chunk)
            elif keep:
                kept.append(chunk)

        size = 0
        complete = True
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = await reader.readline()
                if not size_line:
                    complete = False
                    break
                length = int(size_line.split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    await reader.readuntil(b"\r\n")  # no trailers: the empty line
                    break
                remaining = length
                while remaining:
                    chunk = await reader.read(min(remaining, _READ))
                    if not chunk:
                        raise ConnectionError("connection closed inside a chunk")
                    take(chunk)
                    remaining -= len(chunk)
                    size += len(chunk)
                await reader.readexactly(2)
        else:
            remaining = int(headers.get("content-length", "0"))
            while remaining:
                chunk = await reader.read(min(remaining, _READ))
                if not chunk:
                    raise ConnectionError("connection closed inside a body")
                take(chunk)
                remaining -= len(chunk)
                size += len(chunk)
        if headers.get("connection", "").lower() == "close" or not complete:
            await self.close()
        return Answer(
            status=status,
            body_bytes=size,
            head_s=head_s,
            first_byte_s=first[0] if first else None,
            total_s=time.perf_counter() - started,
            complete=complete,
            body=b"".join(kept),
            headers=headers,
        )


async def fetch(
    host: str, port: int, path: str, timeout: float, stream: Stream | None = None
) -> Answer:
    """One request on a fresh connection, with a timeout (``TimeoutError`` past it)."""
    conn = Connection(host, port)
    try:
        async with asyncio.timeout(timeout):
            return await conn.send(conn.encode(path), stream, keep=stream is None)
    finally:
        await conn.close()


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(seconds: Sequence[float]) -> dict[str, Any]:
    """Median, p99, mean and max in milliseconds, and the count.

    Examples
    --------
    >>> summarise([0.001, 0.002, 0.003])["p50_ms"]
    2.0
    >>> summarise([])["n"]
    0
    """
    if not seconds:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(_quantile(ordered, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


@dataclass
class LoadResult:
    """What one class of requests got during a load run."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    error_examples: list[str] = field(default_factory=list)

    def record(self, answer: Answer) -> None:
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
        if 200 <= answer.status < 300 or answer.status == 404:
            # 404 is a real answer here (no path joins the pair), timed like any other.
            self.latencies.append(answer.total_s)
        else:
            self.errors += 1

    def failed(self, exc: BaseException) -> None:
        self.errors += 1
        if len(self.error_examples) < 3:
            self.error_examples.append(f"{type(exc).__name__}: {exc}"[:200])

    def as_json(self, duration: float) -> dict[str, Any]:
        return {
            **summarise(self.latencies),
            "requests": len(self.latencies),
            "per_second": round(len(self.latencies) / duration, 1) if duration else None,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "error_examples": self.error_examples,
        }


async def _worker(
    *,
    host: str,
    port: int,
    paths: Sequence[str],
    offset: int,
    until: float,
    timeout: float,
    result: LoadResult,
    pause: float = 0.0,
) -> None:
    conn = Connection(host, port)
    requests = [conn.encode(p) for p in paths]
    i = offset
    try:
        while time.perf_counter() < until:
            request = requests[i % len(requests)]
            i += 1
            try:
                async with asyncio.timeout(min(timeout, max(0.001, until - time.perf_counter()))):
                    result.record(await conn.send(request))
            except TimeoutError as exc:
                if time.perf_counter() < until:
                    result.failed(exc)
                await conn.close()
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                result.failed(exc)
                await conn.close()
                await asyncio.sleep(0.05)
            if pause:
                await asyncio.sleep(pause)
    finally:
        await conn.close()


@dataclass
class Group:
    """Connections that cycle through the same requests."""

    name: str
    paths: Sequence[str]
    connections: int
    pause: float = 0.0
    """Seconds between a connection's requests (0: back to back, a closed loop)."""


async def _run(
    host: str, port: int, groups: Sequence[Group], duration: float, timeout: float
) -> dict[str, LoadResult]:
    until = time.perf_counter() + duration
    results = {g.name: LoadResult() for g in groups}
    tasks = []
    for group in groups:
        step = max(1, len(group.paths) // max(1, group.connections))
        for c in range(group.connections):
            tasks.append(
                _worker(
                    host=host,
                    port=port,
                    paths=group.paths,
                    offset=c * step,
                    until=until,
                    timeout=timeout,
                    result=results[group.name],
                    pause=group.pause,
                )
            )
    await asyncio.gather(*tasks)
    return results


def closed_loop(
    host: str,
    port: int,
    groups: Sequence[Group],
    *,
    duration: float,
    timeout: float,
    combine: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Run every group's connections for ``duration`` seconds; each connection sends its next
    request when the last one is answered. Returns each group's figures, and those of the
    groups named in each entry of ``combine`` taken together."""
    started = time.perf_counter()
    results = asyncio.run(_run(host, port, groups, duration, timeout))
    took = time.perf_counter() - started
    for name, members in (combine or {}).items():
        merged = LoadResult()
        for member in members:
            part = results[member]
            merged.latencies += part.latencies
            merged.errors += part.errors
            for status, count in part.statuses.items():
                merged.statuses[status] = merged.statuses.get(status, 0) + count
        results[name] = merged
    return {name: r.as_json(took) for name, r in results.items()} | {"seconds": round(took, 3)}


_WRK_SCRIPT = """-- written by the geokg bench: cycle through the request paths
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(
    host: str, port: int, paths: Sequence[str], *, connections: int, duration: float
) -> dict[str, Any] | None:
    """The same closed loop through ``wrk`` (a C load generator), when it is installed: it
    needs far less CPU than this Python client, so more of the machine is left to the server.
    None when there is no ``wrk``."""
    program = shutil.which("wrk")
    if program is None:
        return None
    listed = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % listed)
    try:
        command = [
            program,
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            script.name,
            f"http://{host}:{port}",
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    finally:
        os.unlink(script.name)
    return _parse_wrk(done.stdout) | {"client": "wrk", "exit_status": done.returncode}


def _parse_wrk(output: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("50%", "99%"):
            number = re.fullmatch(r"([\d.]+)(us|ms|s|m)", words[1])
            if number:
                key = f"p{words[0][:-1]}_ms"
                figures[key] = round(float(number[1]) * _UNITS[number[2]], 3)
        elif line.startswith("Requests/sec:"):
            figures["per_second"] = float(words[1])
        elif "requests in" in line:
            figures["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["errors"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            figures["socket_errors"] = line.strip().split(":", 1)[1].strip()
    figures.setdefault("errors", 0)
    return figures
