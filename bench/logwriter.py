"""A writer that commits straight to the store of record at a paced rate, for measuring how
soon replicas apply the log when it grows faster than the API writes (about 60 writes/s at the
medium scale on this machine, against 1,000/s asked).

Run as a process of its own (so that its timing shares no interpreter with the clients that
read the replicas' feeds)::

    python -m bench.logwriter postgresql://... --rate 1000 --duration 20

Write ``i`` (one new entity, one change) falls due at ``start + i / rate``. Each time round,
the writer takes every write that has fallen due and commits them together with
:meth:`~graph.storage.base.RecordStore.commit_many` (group commit: one transaction, each write
a commit of its own in the log, with its own position), then prints a line for the group as
soon as it is committed (``{"group": [last position, commit time, id of its last entity,
writes]}``), so that a reader can go and look for it on the replicas, and at the end one JSON
object with what it did. The store keeps no pre-rendered views for these writes (a writer
without a renderer, as ``prerendered=False``: the views are marked stale, and exports render
them as they stream).

Timestamps are ``time.perf_counter()``, the machine's monotonic clock, which other processes
on the same machine read alike.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from graph.changes import Change
from graph.errors import StoreError
from graph.model import Entity
from graph.storage import Commit, StaleError, is_postgres_location, open_record_store

__all__ = ["paced_commits"]

MAX_GROUP = 200
"""At most this many writes go in one transaction (a writer far behind catches up in steps)."""


def _write(run: str, index: int) -> tuple[list[Change], Commit]:
    entity = Entity(
        id=f"bench-log-{run}-{index}", kind="organisation", label=f"Bench Log Writer {run} {index}"
    )
    return [Change.put(entity, None)], Commit(actor="bench-logwriter")


def paced_commits(
    location: str, *, rate: float, duration: float, warmup: float = 0.0, report: Any = None
) -> dict[str, Any]:
    """Commit writes due at ``rate`` a second for ``warmup`` then ``duration`` seconds; what
    happened in the ``duration`` (the writes of the warm-up, while this process's connection
    and the replicas' settle, are written the same way but not counted: their groups'
    lines say ``"warmup": true``). ``report(line)`` is given each group's line as it is
    committed."""
    store = open_record_store(location, prerendered=False)
    run = uuid.uuid4().hex[:8]
    due: list[float] = []
    committed: list[float] = []
    groups: list[int] = []
    stale = 0
    measured_from = 0.0
    try:
        position = store.position()
        first = int(rate * warmup)  # writes before this one are the warm-up's
        total = first + int(rate * duration)
        start = time.perf_counter() + 0.05
        sent = 0
        while sent < total:
            now = time.perf_counter()
            ready = min(total, math.floor((now - start) * rate) + 1, sent + MAX_GROUP)
            if ready <= sent:
                time.sleep(max(0.0, start + sent / rate - now))
                continue
            writes = [_write(run, i) for i in range(sent, ready)]
            try:
                lasts = store.commit_many(writes, expect=position)
            except StaleError:  # another writer committed: take its position and go again
                stale += 1
                position = store.position()
                continue
            done = time.perf_counter()
            counted = [i for i in range(sent, ready) if i >= first]
            if report is not None:
                line: dict[str, Any] = {
                    "group": [lasts[-1], done, f"bench-log-{run}-{ready - 1}", len(counted)]
                }
                if not counted:
                    line["warmup"] = True
                report(json.dumps(line))
            for i in counted:
                due.append(start + i / rate)
                committed.append(done)
            if counted:
                groups.append(len(counted))
                if len(groups) == 1:
                    measured_from = start + first / rate
            position = lasts[-1]
            sent = ready
        # From the first measured write's due time to the end of the window, or to the last
        # commit if that came later (a writer that fell behind took longer than asked).
        seconds = max(time.perf_counter(), measured_from + duration) - measured_from
    finally:
        store.close()
    return {
        "writes": len(committed),
        "seconds": round(seconds, 3),
        "writes_per_s": round(len(committed) / seconds, 1) if seconds else None,
        "transactions": len(groups),
        "writes_per_transaction": {
            "mean": round(sum(groups) / len(groups), 2) if groups else None,
            "max": max(groups, default=None),
        },
        "stale_retries": stale,
        "warmup_s": warmup,
        "warmup_writes": first,
        "due_to_committed_s": [round(c - d, 6) for c, d in zip(committed, due, strict=True)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.logwriter", description=__doc__)
    parser.add_argument("location", help="the store: a postgresql:// URL or a SQLite file")
    parser.add_argument("--rate", type=float, default=1000.0, help="writes a second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument(
        "--warmup", type=float, default=0.0, help="seconds written first, not measured"
    )
    args = parser.parse_args(argv)
    numbers = (args.rate, args.duration, args.warmup)
    if not all(map(math.isfinite, numbers)) or args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive numbers, --warmup 0 or more")
    if args.warmup < 0 or args.rate * args.duration < 1:
        parser.error("--warmup must be 0 or more, and --rate times --duration at least 1 write")
    if not is_postgres_location(args.location) and not Path(args.location).is_file():
        parser.error(f"{args.location}: no such store file (a SQLite store must exist)")

    def report(line: str) -> None:
        print(line, flush=True)

    try:
        found = paced_commits(
            args.location, rate=args.rate, duration=args.duration, warmup=args.warmup, report=report
        )
    except StoreError as exc:
        print(f"bench.logwriter: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(found), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
