"""A ``geokg serve`` process for the benchmark: start it, time it, watch its memory, stop it.

Memory is read from ``/proc/<pid>/status`` (Linux): ``VmRSS`` (resident), ``RssAnon`` (the
anonymous part: the heap, without mapped files), ``VmHWM`` (the peak, which writing ``5`` to
``/proc/<pid>/clear_refs`` resets, so the peak of one export can be read on its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from bench.load import fetch

__all__ = [
    "PeakWatch",
    "Server",
    "cpu_ms_per_request",
    "cpu_seconds",
    "descendants",
    "free_port",
    "memory",
    "tree_memory",
]

HOST = "127.0.0.1"
_PAGE = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> list[int]:
    """Every descendant of a process (worker processes a server may start)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _pss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tree_memory(pid: int) -> dict[str, int]:
    """Memory of a process and all its descendants: ``VmRSS`` and ``RssAnon`` summed (pages
    shared between processes count once per process), ``Pss`` summed (shared pages split
    between their processes: the fair total), and how many ``processes`` there are."""
    total: dict[str, int] = {}
    pids = [pid, *descendants(pid)]
    for each in pids:
        for name, value in memory(each).items():
            if name != "VmHWM":
                total[name] = total.get(name, 0) + value
        pss = _pss(each)
        if pss is not None:
            total["Pss"] = total.get("Pss", 0) + pss
    if total:
        total["processes"] = len(pids)
    return total


def memory(pid: int) -> dict[str, int]:
    """``VmRSS``, ``RssAnon``, ``RssFile`` and ``VmHWM`` of a process, in bytes ({} if gone)."""
    wanted = {"VmRSS", "RssAnon", "RssFile", "VmHWM"}
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in wanted:
                    found[name] = int(value.split()[0]) * 1024
    except OSError:
        return {}
    return found


def cpu_ms_per_request(
    before: float | None, after: float | None, requests: int | None
) -> float | None:
    """Milliseconds of CPU per request between two :func:`cpu_seconds` readings (None when a
    reading or the count is missing)."""
    if before is None or after is None or not requests:
        return None
    return round((after - before) * 1000 / requests, 3)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process and its descendants have used so far."""
    total = 0.0
    for each in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{each}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            if each == pid:
                return None
            continue
        total += (int(fields[11]) + int(fields[12])) / _PAGE
    return total


def reset_peak(pid: int) -> bool:
    """Reset a process's ``VmHWM`` to its current RSS; False where the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class PeakWatch:
    """Samples the RSS of a process and its descendants every ``interval`` seconds while in
    use; ``peak`` is the largest of the samples and of the process's ``VmHWM`` (reset on
    entry). Past ``cap`` bytes it kills the process (``capped`` tells), so a runaway export
    cannot take the machine's memory."""

    def __init__(self, pid: int, interval: float = 0.05, cap: int | None = None) -> None:
        self.pid = pid
        self.interval = interval
        self.cap = cap
        self.peak = 0
        self.capped = False
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakWatch:
        self.hwm_reset = reset_peak(self.pid)
        self.peak = tree_memory(self.pid).get("VmRSS", 0)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = tree_memory(self.pid).get("VmRSS", 0)
            self.peak = max(self.peak, rss)
            if self.cap is not None and rss > self.cap and not self.capped:
                self.capped = True
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        if self.hwm_reset:  # the server's own peak (a worker's is only sampled)
            self.peak = max(self.peak, memory(self.pid).get("VmHWM", 0))


class Server:
    """``geokg serve --db <store> --workers N`` on a free port of 127.0.0.1, its output in
    ``log``; the store is a SQLite file or a ``postgresql://`` URL."""

    def __init__(
        self, db: Path | str, log: Path, workers: int = 1, env: dict[str, str] | None = None
    ) -> None:
        self.db = db
        self.workers = workers
        self.env = env or {}
        """``GEOKG_`` settings for the server; any other the harness's environment holds are
        left out."""
        self.log_path = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        script = Path(sys.executable).with_name("geokg")
        entry = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
        serve = ["serve", "--db", str(self.db), "--host", HOST, "--port", str(self.port)]
        return [*entry, *serve, "--workers", str(self.workers)]

    def start(self, first_path: str, timeout: float) -> dict[str, Any]:
        """Start the server; time until ``/health`` answers 200 and until ``first_path`` is
        answered. Raises ``TimeoutError`` (after stopping it) if either takes over ``timeout``
        seconds, ``RuntimeError`` if the process exits."""
        self.port = free_port()
        self._log = self.log_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GEOKG_")} | self.env
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        deadline = started + timeout
        health_s = self._wait_for("/health", deadline, started)
        answer = asyncio.run(fetch(HOST, self.port, first_path, deadline - time.perf_counter()))
        first_s = time.perf_counter() - started
        return {
            "health_s": round(health_s, 3),
            "first_query_s": round(first_s, 3),
            "first_query_status": answer.status,
            "command": " ".join(self.command()),
        }

    def _wait_for(self, path: str, deadline: float, started: float) -> float:
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"geokg serve exited with {self.process.returncode} (see {self.log_path})"
                )
            left = deadline - time.perf_counter()
            if left <= 0:
                self.stop()
                raise TimeoutError(f"{path} did not answer 200 within the start-up budget")
            try:
                answer = asyncio.run(fetch(HOST, self.port, path, min(left, 60.0)))
                if answer.status == 200:
                    return time.perf_counter() - started
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
