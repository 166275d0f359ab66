"""The knowledge graph as a service: the store of record, the read model, and one writer.

:class:`KnowledgeGraph` ties a :class:`~graph.storage.RecordStore` (where the facts live) to a
:class:`~graph.store.GraphStore` (the in-memory read model derived from it):

- Many readers at once: :meth:`KnowledgeGraph.reading` hands out the read model under a shared
  lock. A writer takes the lock exclusively only to apply an already committed change, which
  takes microseconds, so readers never see half a write and never fail on a structure that
  changes under them.
- One writer at a time: a write is planned against the read model, committed to the store of
  record in one transaction (with its change-log entries and, if given, its idempotency key),
  and only then applied to the read model. A write that fails leaves no trace.
- The read model follows the log: :meth:`KnowledgeGraph.sync` applies whatever other processes
  committed, whole commits at a time; every write catches up first. When the log has moved on
  by more than :func:`~graph.store.replay_limit` changes (an import of a million records), the
  read model is built afresh from the store at the new position instead: the same model (it is
  derived from the store), in a fraction of the time replaying would take.
- Bulk writes (:meth:`KnowledgeGraph.write_bulk`, imports) hand their changes to the store in
  batches, in one transaction, with one log entry per change like any write.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from graph.changes import Change
from graph.errors import IdempotencyKeyReusedError, ReplicaPausedError, StoreError
from graph.index import CsrBuild
from graph.search import NameMerge
from graph.seed import has_seed_files, seed_changes, seed_files
from graph.storage import (
    Commit,
    Filled,
    RecordSnapshot,
    RecordStore,
    StaleError,
    StoredResponse,
    is_postgres_location,
    is_unreachable,
    open_record_store,
)
from graph.store import GraphStore, replay_limit
from graph.writes import BulkPlan, Plan

__all__ = ["KnowledgeGraph", "ReadWriteLock", "WriteOutcome", "freeze_heap", "return_free_memory"]

log = logging.getLogger(__name__)

SYNC_BATCH = 10_000


def return_free_memory() -> None:
    """Give the C allocator's free pages back to the system after a build (building the model
    frees large temporaries) or once a model is dropped: glibc would otherwise keep them
    resident (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def freeze_heap() -> None:
    """Collect garbage once, then leave every object alive now out of the cyclic collector's
    later passes (:func:`gc.freeze`), for a serving process once its read model is built.

    A full collection walks every tracked object with the interpreter's lock held: in a
    replica at a million edges (the model, the modules of the service), 90-130 ms, a few
    times a minute under a thousand writes a second, and the follower stood still that long.
    Frozen objects are still freed when their last reference goes; only garbage in cycles
    among them would stay, so :meth:`KnowledgeGraph._build` (a model replaced whole) thaws
    the heap and freezes it again.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _refreeze() -> None:
    """After the read model was replaced whole: in a serving process (whose heap is frozen),
    collect the old model's cycles and freeze the new one (a pause of a full collection, once
    per rebuild, which itself took seconds)."""
    if gc.get_freeze_count():
        freeze_heap()


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come later.

    Not tied to threads: a read may be released by another thread than the one that took it
    (FastAPI may enter and leave a dependency on different worker threads).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    def try_acquire_read(self) -> bool:
        """Take the lock shared if that needs no waiting; say whether it was taken."""
        with self._cond:
            if self._writer or self._waiting_writers:
                return False
            self._readers += 1
            return True

    def acquire_read(self) -> None:
        """Take the lock shared, waiting for a writer to finish."""
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1

    def release_read(self) -> None:
        """Let go of a shared hold (from any thread)."""
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold the lock shared."""
        self.acquire_read()
        try:
            yield
        finally:
            self.release_read()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the lock exclusively."""
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class WriteOutcome:
    """What a write did: the position after it, its answer, and whether it was a replay."""

    position: int
    result: BaseModel | None
    replayed: StoredResponse | None = None


Render = Callable[[BaseModel | None, int], StoredResponse]
"""Turns a write's answer and position into the response kept for its idempotency key."""


class KnowledgeGraph:
    """The store of record and its read model, kept in step."""

    def __init__(
        self, records: RecordStore, saved_model: Path | None = None, *, saving: bool = True
    ) -> None:
        """``saved_model`` is where the read model is loaded from if it is there and usable;
        with ``saving``, a model built afresh is saved there, and again on :meth:`close`
        (a read-only user, such as the command line's ``export`` and ``path``, loads it but
        never writes one next to the store)."""
        self.records = records
        self._saved_model = saved_model
        self._saving = saving
        self._lock = ReadWriteLock()
        self._writing = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []
        self._behind = False  # a bulk write did not follow (see write_bulk)
        self._paused = False  # following the log is paused (see pause)
        # Reads catch up with the log first where asking where it ends is a local file
        # lookup (SQLite); a database server's replicas follow it in the background instead.
        self.reads_catch_up = not is_postgres_location(records.location)
        snapshot = records.pin()
        loaded = None
        if saved_model is not None:
            loaded = GraphStore.load(saved_model, snapshot, records.store_id())
        self._compaction: threading.Thread | None = None
        self._name_merge: threading.Thread | None = None
        self._closed = False
        if loaded is None:
            self._view = _adopt(GraphStore.from_snapshot(snapshot))
            self.save_model()
        else:
            self._view = _adopt(loaded)
            log.info("read model loaded from %s and the log after it", saved_model)
        self.position = snapshot.position
        return_free_memory()

    @classmethod
    def open(
        cls,
        location: str | Path,
        seeds: Path | None = None,
        *,
        saving: bool = True,
        model: Path | None = None,
    ) -> KnowledgeGraph:
        """Open the store at ``location``; a store with no history is seeded from ``seeds``.

        Seeds load once: a store that has ever been written to is never seeded again. A seed
        directory without seed files leaves the new store empty. The read model is loaded from
        ``model`` (default: ``<location>.model`` beside a SQLite file, none for a database
        server) when that is usable, and brought up to date by the log after it;
        ``saving=False`` never writes that file.
        """
        records = open_record_store(str(location))
        try:
            if records.position() == 0 and seeds is not None and has_seed_files(seeds):
                changes = seed_changes(seed_files(seeds))
                try:
                    records.commit(changes, Commit(actor="seed", source=str(seeds)), expect=0)
                    log.info("seeded %s with %d records from %s", location, len(changes), seeds)
                except StaleError:  # replicas starting at once: another one seeded it first
                    log.info("%s was seeded by another process meanwhile", records.location)
            # A saved read model lies beside a store file; a database server has no "beside".
            local = str(location) != ":memory:" and not is_postgres_location(str(location))
            saved = model or (Path(f"{location}.model") if local else None)
            return cls(records, saved, saving=saving)
        except BaseException:
            records.close()
            raise

    def save_model(self) -> None:
        """Save the read model beside the store, for a fast next start (a failure is logged:
        the next start then builds the model from the store)."""
        if self._saved_model is None or not self._saving:
            return
        try:
            with self.reading() as view:
                view.save(self._saved_model, self.records.store_id())
        except Exception as exc:
            if not isinstance(exc, OSError) and not is_unreachable(exc):  # a disk; the store
                raise
            reason = " ".join(str(exc).split())
            log.warning("could not save the read model to %s: %s", self._saved_model, reason)

    def fill_views(self, budget: int = 500) -> Filled:
        """Render the pre-rendered export views of up to ``budget`` nodes that lack them or
        hold stale ones (a store written before they existed, or by a writer without a
        renderer), in one short transaction; call again until ``done``. Exports are right
        meanwhile: they render what is missing as they stream."""
        return self.records.fill_views(budget)

    def close(self) -> None:
        """Save the read model (unless a bulk write left it behind), then close the store of
        record. A catch-up or write running in another thread finishes first; any later one
        does nothing."""
        with self._writing:
            if self._closed:
                return
            self._closed = True
            self.wait_for_compaction()
            if not self._behind:
                self.save_model()
            self.records.close()

    @contextmanager
    def reading(self) -> Iterator[GraphStore]:
        """The read model, for reading only, as of the last applied commit."""
        with self._lock.read():
            yield self._view

    def try_begin_read(self) -> GraphStore | None:
        """The read model, held for reading, if no writer is applying a change right now
        (never waits); release it with :meth:`end_read`."""
        return self._view if self._lock.try_acquire_read() else None

    def begin_read(self) -> GraphStore:
        """The read model, held for reading (waits for a writer applying a change)."""
        self._lock.acquire_read()
        return self._view

    def end_read(self) -> None:
        """Release a hold taken by :meth:`begin_read` or :meth:`try_begin_read`."""
        self._lock.release_read()

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` after each commit is applied (from the writer's thread)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[int], None]) -> None:
        """Stop calling a listener."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def behind(self) -> bool:
        """Whether the store has commits this read model has not applied yet, and is not
        paused (one indexed lookup: cheap enough to ask before every read)."""
        if self._closed or self._paused:
            return False
        return self.records.position() != self.position

    def reads_work(self) -> bool:
        """Whether the read model can still read its records (a database server restart ends
        the read transaction it reads them in, until the next :meth:`sync` opens another)."""
        snapshot = self._view.reads_from()
        alive = getattr(snapshot, "alive", None)
        return alive is None or bool(alive())

    @property
    def paused(self) -> bool:
        """Whether following the log is paused (:meth:`pause`)."""
        return self._paused

    def pause(self) -> None:
        """Stop applying the log: the read model stays at its position (reads answer from
        it) and writes are refused with :class:`~graph.errors.ReplicaPausedError` until
        :meth:`resume`. For an operator who wants a replica to hold still, and for seeing a
        lagging replica leave a load balancer's rotation."""
        with self._writing:
            self._paused = True

    def resume(self) -> None:
        """Follow the log again (the next :meth:`sync` applies what was missed)."""
        self._paused = False

    def sync(self) -> int:
        """Apply what other processes committed since (nothing while paused); return the
        position now applied."""
        with self._writing:
            if self._closed or self._paused:
                return self.position
            return self._catch_up()

    def _catch_up(self, snapshot: RecordSnapshot | None = None) -> int:
        """Apply the log up to ``snapshot`` (a fresh one if not given) and read records from it."""
        if snapshot is None:
            # If nothing is new, let the store fold its journal into the file (nothing of ours
            # reads past this position); the fresh snapshot below ends the old read
            # transaction, so that the journal can start over at the next write.
            self.records.checkpoint(self.position)
            snapshot = self.records.pin()
        self._behind = False
        if snapshot.position == self.position:
            self._view.advance(snapshot, [])
            return self.position
        if snapshot.position - self.position > replay_limit(self._records_held()):
            self._build(snapshot)
            return self.position
        with self._lock.write():
            try:
                changes: list[Change] = []
                for logged in snapshot.changes_since(self.position):
                    changes.append(logged.change)
                    if len(changes) >= SYNC_BATCH:
                        self._view.apply(changes, first=logged.position - len(changes) + 1)
                        self._view.forget(changes)
                        changes = []
                self._view.advance(snapshot, changes)
            except Exception:
                self._rebuild(snapshot)
            self.position = snapshot.position
        self._schedule_compaction()
        self._notify(snapshot.position)
        return self.position

    def _records_held(self) -> int:
        return self._view.node_count() + self._view.edge_count()

    def _build(self, snapshot: RecordSnapshot) -> None:
        """Build the read model afresh at ``snapshot`` (far behind the log), then swap it in:
        readers keep the old model until the new one is ready."""
        behind = snapshot.position - self.position
        log.info("read model %d changes behind: building it from the store", behind)
        view = _adopt(GraphStore.from_snapshot(snapshot))
        with self._lock.write():
            self._view = view
            self.position = snapshot.position
        _refreeze()
        return_free_memory()
        self._notify(snapshot.position)

    def _rebuild(self, snapshot: RecordSnapshot) -> None:
        """Build the read model afresh from the store (when following the log failed, so that
        one bad entry cannot leave the model half-applied)."""
        log.exception("could not apply the change log; building the read model from the store")
        self._view = _adopt(GraphStore.from_snapshot(snapshot))
        _refreeze()

    def _applied(self, changes: list[Change], position: int) -> None:
        """Move the read model on after this process committed ``changes`` at ``position``."""
        snapshot = self.records.pin()
        if snapshot.position != position:  # another process committed right after: follow
            self._catch_up(snapshot)
            return
        with self._lock.write():
            try:
                self._view.advance(snapshot, changes)
            except Exception:
                self._rebuild(snapshot)
            self.position = position
        self._schedule_compaction()
        self._notify(position)

    def _schedule_compaction(self) -> None:
        """Rebuild the adjacency index in a background thread once enough edges sit in the
        write overlay, and the name index's arrays once enough names sit in its. Called with
        ``_writing`` held: no write changes the arrays while the build copies them; reads and
        writes go on while it runs, and only the swap at its end excludes them (for a few
        milliseconds)."""
        view = self._view
        if self._name_merge is None and view.needs_name_merge():
            merge = view.start_name_merge()
            self._name_merge = threading.Thread(
                target=self._merge_names, args=(view, merge), name="geokg-names", daemon=True
            )
            self._name_merge.start()
        if self._compaction is not None or not view.needs_compaction():
            return
        build = view.start_compaction()
        thread = threading.Thread(
            target=self._compact, args=(view, build), name="geokg-compaction", daemon=True
        )
        self._compaction = thread
        thread.start()

    def _merge_names(self, view: GraphStore, merge: NameMerge) -> None:
        """Rebuild the name index's arrays off the lock (about half a second at 280,000
        nodes, which under the lock held every read and the follower), then swap them in."""
        _lower_priority()
        try:
            merge.run()
            with self._lock.write():
                if self._view is view:
                    view.finish_name_merge(merge)
        except Exception:
            log.exception("could not rebuild the name index; its overlay stays")
        finally:
            self._name_merge = None

    def _compact(self, view: GraphStore, build: CsrBuild) -> None:
        _lower_priority()
        try:
            build.run()
            with self._lock.write():
                if self._view is view:
                    view.finish_compaction(build)
        except Exception:
            log.exception("could not rebuild the adjacency index; the write overlay stays")
            with self._lock.write():
                view.abandon_compaction()
        finally:
            self._compaction = None

    def wait_for_compaction(self, timeout: float | None = None) -> None:
        """Wait until no adjacency or name index rebuild runs in the background (tests,
        shutdown)."""
        for thread in (self._compaction, self._name_merge):
            if thread is not None:
                thread.join(timeout)

    def _notify(self, position: int) -> None:
        for listener in list(self._listeners):
            listener(position)

    def write(
        self,
        plan: Callable[[GraphStore], Plan],
        *,
        actor: str,
        source: str | None = None,
        idempotency: tuple[str, str] | None = None,
        render: Render | None = None,
    ) -> WriteOutcome:
        """Plan a write against the current graph, commit it, apply it, return the outcome.

        ``idempotency`` is ``(key, fingerprint of the request)``: a key seen before with the
        same fingerprint returns the first answer (``replayed``), with another fingerprint it
        raises :class:`IdempotencyKeyReusedError`. Errors raised by ``plan`` leave no trace.
        """
        with self._writing:
            if self._closed:
                raise StoreError("the store is closed")
            if self._paused:
                raise ReplicaPausedError()
            for _ in range(100):
                self._catch_up()
                if idempotency is not None:
                    stored = self.records.stored_response(actor, idempotency[0])
                    if stored is not None:
                        if stored.fingerprint != idempotency[1]:
                            raise IdempotencyKeyReusedError(idempotency[0])
                        return WriteOutcome(self.position, None, stored)
                planned = plan(self._view)
                if not planned.changes and idempotency is None and planned.proposals is None:
                    return WriteOutcome(self.position, planned.result)
                position = self.position + len(planned.changes)
                response = render(planned.result, position) if render and idempotency else None
                commit = Commit(
                    actor=actor,
                    source=planned.source or source,
                    idempotency_key=idempotency[0] if idempotency else None,
                    response=response,
                    proposals=planned.proposals,
                )
                try:
                    position = self.records.commit(planned.changes, commit, expect=self.position)
                except StaleError:
                    continue
                self._applied(planned.changes, position)
                return WriteOutcome(position, planned.result)
            raise RuntimeError("the store kept moving under this writer")

    def write_bulk(
        self,
        plan: Callable[[GraphStore], BulkPlan],
        *,
        actor: str,
        source: str | None = None,
        follow: bool = True,
    ) -> WriteOutcome:
        """Plan a large write (an import) against the current graph and commit its changes in
        batches, in one transaction; then follow the log (or rebuild the read model, past
        :func:`~graph.store.replay_limit`). Errors raised by ``plan`` leave no trace; so does a
        crash before the commit ends.

        With ``follow=False`` the read model stays as it was until the next write or
        :meth:`sync` (and :meth:`close` does not save it): for a process that closes right
        after, such as ``geokg import``, which would build a model only to throw it away.
        """
        with self._writing:
            if self._closed:
                raise StoreError("the store is closed")
            if self._paused:
                raise ReplicaPausedError()
            for _ in range(100):
                self._catch_up()
                planned = plan(self._view)
                if not planned.count:
                    return WriteOutcome(self.position, planned.result)
                commit = Commit(actor=actor, source=source)
                try:
                    position = self.records.commit_bulk(
                        planned.batches(), planned.count, commit, expect=self.position
                    )
                except StaleError:
                    continue
                if follow:
                    self._catch_up()
                else:
                    self._behind = True
                return WriteOutcome(position, planned.result)
            raise RuntimeError("the store kept moving under this writer")


def _lower_priority() -> None:
    """Run this thread at the lowest CPU priority (Linux: a thread's own nice value), so that a
    rebuild in the background takes the CPU time the follower, the requests and, on a shared
    machine, the database leave; elsewhere, or if refused, it runs as it is."""
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _adopt(view: GraphStore) -> GraphStore:
    """A read model this service owns: it rebuilds the adjacency index in the background."""
    view.defer_compaction = True
    return view
