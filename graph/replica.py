"""A replica: a read model that follows the store of record's change log as it grows.

Any number of processes may serve one store of record. Each holds its own read model
(:class:`~graph.service.KnowledgeGraph`) and applies every commit, whole commits at a time, in
commit order: the store hands out positions in commit order with no gaps (see
:mod:`graph.storage.postgres`), so a replica that has applied up to position N and reads the
log after N never misses a change and never applies one twice.

:class:`Replica` runs the following in a thread of its own:

- It waits for a wake-up: PostgreSQL announces each commit (``NOTIFY``, received through a
  ``LISTEN``\\ ing connection); SQLite announces nothing, so there the replica looks every
  ``poll_interval`` seconds (and at once when :meth:`Replica.wake` is called). Either way it
  also looks every ``poll_interval`` seconds, so a lost announcement costs at most that.
- Then it applies whatever the log holds past its position (:meth:`KnowledgeGraph.sync`).

:meth:`Replica.status` says how far behind the replica is: in changes, and in seconds (the age
of the oldest commit it has not applied, by the writer's clock), and whether it is *ready*:
the store reachable, its last catch-up done, its lag within ``max_lag`` seconds. A second
thread looks once a second, so a replica that falls behind, or catches up again, says so in
its log even when no one asks.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from graph.service import KnowledgeGraph
from graph.storage import ChangeWaiter

__all__ = ["Replica", "ReplicaStatus"]

log = logging.getLogger(__name__)

MONITOR_INTERVAL = 1.0
"""Seconds between the monitor's looks at the replica's lag."""

WAIT_SLICE = 0.25
"""Longest a follower blocks on its wake-up before it checks whether it was stopped."""


@dataclass(frozen=True)
class ReplicaStatus:
    """Where a replica is in the log, and whether it is fit to serve."""

    position: int
    """The last change applied to this replica's read model."""
    store_position: int | None
    """The last change committed to the store of record (None: the store is unreachable)."""
    lag_changes: int | None
    """Changes committed but not applied here."""
    lag_seconds: float | None
    """Age of the oldest change not applied here (0 when there is none)."""
    max_lag_seconds: float
    """The lag past which the replica reports not ready."""
    ready: bool
    reason: str | None
    """Why the replica is not ready (None when it is)."""
    paused: bool
    following: str
    """``notifications`` (woken by the store's announcements) or ``polling``."""


class Replica:
    """Follows the store's log for ``graph`` in a background thread (:meth:`start`)."""

    def __init__(
        self, graph: KnowledgeGraph, *, max_lag: float = 5.0, poll_interval: float = 1.0
    ) -> None:
        self.graph = graph
        self.max_lag = max_lag
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._waiter: ChangeWaiter | None = None
        self._threads: list[threading.Thread] = []
        self._was_ready: bool | None = None
        self._reporting = threading.Lock()
        # (position, when its announcement came), in order: when this replica learnt of each
        # commit, by its own clock (a long import's log entries carry the time it began).
        self._heard: collections.deque[tuple[int, float]] = collections.deque(maxlen=10_000)
        self._failing: str | None = None  # why the last catch-up failed
        self.following = "polling"
        self.announced = 0
        """The last position the store announced (with notifications; 0 when polling): the log
        reaches at least this far, and the follower has been woken for it."""

    def start(self) -> None:
        """Start following (and the monitor); :meth:`stop` ends both."""
        if self._threads:
            return
        try:
            self._waiter = self.graph.records.waiter()
        except Exception as exc:  # the follower polls until the store announces again
            log.warning(
                "no wake-up from the store (%s): looking every %gs", exc, self.poll_interval
            )
        self.following = "polling" if self._waiter is None else "notifications"
        for target, name in ((self._follow, "geokg-follower"), (self._monitor, "geokg-monitor")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop following; returns once the threads have ended (within about a quarter of a
        second, or when a catch-up under way ends)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._waiter is not None:
            self._waiter.close()
            self._waiter = None

    def wake(self) -> None:
        """Look at the log now (a read waits for a change the replica lacks)."""
        self._wake.set()

    def _sleep(self) -> None:
        """Until a wake-up, :meth:`wake`, stop, or ``poll_interval`` seconds."""
        deadline = time.monotonic() + self.poll_interval
        while not self._stop.is_set() and not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._waiter is None:
                self._wake.wait(left)
                continue
            heard = self._waiter.wait(min(left, WAIT_SLICE))
            if heard is not None:
                self.announced = max(self.announced, heard)
                with self._reporting:
                    if heard > (self._heard[-1][0] if self._heard else 0):
                        self._heard.append((heard, time.monotonic()))
                return

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._sleep()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.graph.sync()
            except Exception as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                if self._failing is None:  # once per outage, not once a second
                    log.error("could not follow the change log (%s); retrying", reason)
                self._failing = reason
                self._stop.wait(self.poll_interval)
                continue
            if self._failing is not None:
                log.info("following the change log again, at change %d", self.graph.position)
                self._failing = None

    def _monitor(self) -> None:
        while not self._stop.wait(MONITOR_INTERVAL):
            try:
                self.status()
            except Exception:  # pragma: no cover - status() catches what the store raises
                log.exception("could not tell the replica's lag")

    def status(self) -> ReplicaStatus:
        """Where this replica stands (one or two indexed lookups in the store); a change of
        readiness is logged."""
        position = self.graph.position
        try:
            head = self.graph.records.head(position)
        except Exception as exc:  # (where the store is, and why, go to the log only)
            detail = " ".join(str(exc).split()) or type(exc).__name__
            unreachable = "the store of record cannot be reached"
            return self._report(position, None, None, None, unreachable, detail=detail)
        lag = max(head.position - position, 0)
        seconds = 0.0
        if lag and head.next_at is not None:
            age = dt.datetime.now(dt.UTC) - head.next_at.astimezone(dt.UTC)
            seconds = max(age.total_seconds(), 0.0)
        with self._reporting:
            while self._heard and self._heard[0][0] <= position:
                self._heard.popleft()
            if lag and self._heard:  # announced at commit: not older than that
                seconds = min(seconds, time.monotonic() - self._heard[0][1])
        reason: str | None = None
        if self._failing is not None:  # the store answers again, but the last catch-up failed
            reason = "its last catch-up with the change log failed (the log says why)"
        elif not self.graph.reads_work():  # the server restarted since the last catch-up
            self.wake()  # (which reads from a new snapshot)
            reason = "its read model's connection to the store was lost; catching up"
        elif seconds > self.max_lag:
            reason = (
                f"{lag} changes behind the store, the oldest {seconds:.1f} s old "
                f"(bound {self.max_lag:g} s)"
            )
            if self.graph.paused:
                reason += "; following is paused"
        return self._report(position, head.position, lag, round(seconds, 3), reason)

    def _report(
        self,
        position: int,
        store_position: int | None,
        lag: int | None,
        seconds: float | None,
        reason: str | None,
        *,
        detail: str | None = None,
    ) -> ReplicaStatus:
        ready = reason is None
        with self._reporting:
            if ready != self._was_ready:
                if not ready:
                    log.warning("replica not ready: %s%s", reason, f" ({detail})" if detail else "")
                elif self._was_ready is not None:
                    log.info("replica ready again, at change %d", position)
                self._was_ready = ready
        return ReplicaStatus(
            position=position,
            store_position=store_position,
            lag_changes=lag,
            lag_seconds=seconds,
            max_lag_seconds=self.max_lag,
            ready=ready,
            reason=reason,
            paused=self.graph.paused,
            following=self.following,
        )
