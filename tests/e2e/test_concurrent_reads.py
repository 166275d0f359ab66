"""Reads while writes run, against one real server: no error and no torn answer.

Writers create events with three participants, swap all three in one PATCH, and delete them
with their roles; readers meanwhile ask for those events, their relations and neighbourhoods,
paths, the counts and whole exports. Every event answer must show one of the two whole sets
of participants (some of one and some of the other, or two of three, would be half a write),
every edge must join nodes of the same answer, and the counts must add up.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx2 as httpx
import pytest
from rdflib import RDF, Graph, URIRef

from tests.e2e.serving import WRITE, ServerProcess

pytestmark = pytest.mark.e2e

WRITERS = 2
CYCLES = 20
"""Events each writer creates, changes and deletes."""
READERS = 3
SECONDS = 45.0
"""A bound on the whole run: the writers finish long before."""

BEFORE = frozenset({("actor", "russia"), ("participant", "ukraine"), ("participant", "nato")})
AFTER = frozenset({("actor", "germany"), ("participant", "poland"), ("participant", "italy")})
WHOLE = (BEFORE, AFTER)
LABEL = "Concurrency probe"
NODE = "https://geokg.example.org/id/"


def _participants(pairs: frozenset[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"role": role, "entity": entity} for role, entity in sorted(pairs)]


@dataclass(frozen=True)
class Ask:
    """A read, and how to tell a torn answer (a description of what is wrong, or None)."""

    path: str
    params: dict[str, Any]
    check: Callable[[Any], str | None]


class Run:
    """What the threads share: the events written so far, the reads made, the problems seen."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.problems: list[str] = []
        self.reads: dict[str, int] = {}
        self.done = threading.Event()
        self.deadline = time.monotonic() + SECONDS

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def running(self) -> bool:
        return not self.done.is_set() and time.monotonic() < self.deadline


def _writer(server: ServerProcess, run: Run, name: str) -> None:
    with server.client(headers=WRITE) as client:
        for i in range(CYCLES):
            if time.monotonic() > run.deadline:
                return
            body = {
                "kind": "meeting",
                "label": f"{LABEL} {name} {i}",
                "cameo": "036",
                "modality": "asserted",
                "participants": _participants(BEFORE),
                "analyst_assertion": True,
            }
            created = client.post("/events", json=body)
            if created.status_code != 201:
                run.problem(f"POST /events: {created.status_code} {created.text[:300]}")
                return
            event_id = created.json()["id"]
            run.events.append(event_id)
            patch = {"participants": _participants(AFTER)}
            changed = client.patch(f"/events/{event_id}", json=patch)
            deleted = client.delete(f"/events/{event_id}", params={"cascade": "true"})
            if (changed.status_code, deleted.status_code) != (200, 204):
                run.problem(f"PATCH/DELETE {event_id}: {changed.status_code} {deleted.status_code}")
                return


def _roles(edges: list[dict[str, Any]], event_id: str) -> frozenset[tuple[str, str]]:
    return frozenset(
        (e["type"], e["target"])
        for e in edges
        if e["source"] == event_id and e["category"] == "role"
    )


def _check_event(answer: dict[str, Any]) -> str | None:
    roles = frozenset((p["role"], p["id"]) for p in answer["participants"])
    return None if roles in WHOLE else f"event {answer['id']} with participants {sorted(roles)}"


def _check_subgraph(answer: dict[str, Any], root: str) -> str | None:
    ids = {n["id"] for n in answer["nodes"]}
    for edge in answer["edges"]:
        if edge["source"] not in ids or edge["target"] not in ids:
            return f"edge {edge['id']} leaves the answer's nodes"
    for node in answer["nodes"]:
        if not node["label"].startswith(LABEL):
            continue
        roles = _roles(answer["edges"], node["id"])
        if not (roles <= BEFORE or roles <= AFTER):
            return f"neighbourhood with {node['id']}: {sorted(roles)}"
        # Within two hops of the root, an event next to it has all its participants.
        near = node["id"] == root or any(entity == root for _, entity in roles)
        if near and not answer["truncated"] and roles not in WHOLE:
            return f"neighbourhood of {root} with {node['id']}: {sorted(roles)}"
    return None


def _check_path(answer: dict[str, Any]) -> str | None:
    nodes = [n["id"] for n in answer["nodes"]]
    for (u, v), edge in zip(itertools.pairwise(nodes), answer["edges"], strict=True):
        if {edge["source"], edge["target"]} != {u, v}:
            return f"path edge {edge['id']} does not join {u} and {v}"
    return None


def _check_export(text: str) -> str | None:
    graph = Graph()
    graph.parse(data=text, format="nt")
    roles: dict[str, set[tuple[str, str]]] = {}
    for statement in graph.subjects(RDF.type, RDF.Statement):
        subject = str(graph.value(statement, RDF.subject))
        edge_id = str(statement).removeprefix(f"{NODE}edge/")
        if subject.startswith(f"{NODE}concurrency-probe-"):
            event_id, role, entity = edge_id.split(".")
            roles.setdefault(event_id, set()).add((role, entity))
            if (URIRef(subject), RDF.type, None) not in graph:
                return f"export has role {edge_id} without its event"
    for event_id, pairs in roles.items():
        if frozenset(pairs) not in WHOLE:
            return f"export has {event_id} with {sorted(pairs)}"
    return None


def _check_health(answer: dict[str, Any], base: dict[str, int]) -> str | None:
    counts = answer["counts"]
    events = counts["events"] - base["events"]
    if counts["edges"] - base["edges"] != 3 * events or counts["entities"] != base["entities"]:
        return f"counts {counts} against {base} before the run"
    return None


def _asks(event_id: str, base: dict[str, int]) -> list[Ask]:
    return [
        Ask(f"/events/{event_id}", {}, _check_event),
        Ask(
            f"/entities/{event_id}/neighbors", {"depth": 2}, partial(_check_subgraph, root=event_id)
        ),
        Ask("/entities/russia/neighbors", {"depth": 2}, partial(_check_subgraph, root="russia")),
        Ask("/relations", {"source": event_id, "limit": 10}, _check_relations),
        Ask("/paths/shortest", {"source": "italy", "target": "nato"}, _check_path),
        Ask("/health", {}, partial(_check_health, base=base)),
    ]


EXPORT = [Ask("/export", {"format": "ntriples"}, _check_export)]


def _reader(server: ServerProcess, run: Run, base: dict[str, int], seed: int | None) -> None:
    """Ask at random (``seed``), or export over and over (``None``: parsing takes a while)."""
    rng = random.Random(seed)
    with server.client() as client:
        while run.running():
            event_id = rng.choice(run.events[-4:]) if run.events else "russia"
            ask = rng.choice(_asks(event_id, base)) if seed is not None else EXPORT[0]
            try:
                response = client.get(ask.path, params=ask.params)
            except httpx.TransportError as exc:
                run.problem(f"GET {ask.path}: {exc!r}")
                return
            name = ask.path.split("/")[1]
            run.reads[name] = run.reads.get(name, 0) + 1
            if response.status_code == 404 and name != "health":
                continue  # the event was deleted, or no path right now
            if response.status_code != 200:
                run.problem(f"GET {ask.path}: {response.status_code} {response.text[:300]}")
                continue
            found = ask.check(response.text if name == "export" else response.json())
            if found:
                run.problem(f"GET {ask.path} {ask.params}: {found}")


def _check_relations(answer: dict[str, Any]) -> str | None:
    items = answer["items"]
    if not items or items[0]["category"] != "role":
        return None  # the source was not one of the probe events
    roles = _roles(items, items[0]["source"])
    return None if roles in WHOLE else f"relations of an event: {sorted(roles)}"


def test_reads_during_writes_never_fail_and_never_see_half_a_write(
    launch: Callable[..., ServerProcess],
) -> None:
    server = launch()
    server.start()
    with server.client() as client:
        base = client.get("/health").json()["counts"]
    run = Run()
    readers = [
        threading.Thread(target=_reader, args=(server, run, base, n)) for n in range(READERS)
    ]
    readers.append(threading.Thread(target=_reader, args=(server, run, base, None)))
    writers = [
        threading.Thread(target=_writer, args=(server, run, f"w{n}")) for n in range(WRITERS)
    ]
    for thread in [*readers, *writers]:
        thread.start()
    for thread in writers:
        thread.join(timeout=SECONDS + 10)
    run.done.set()
    for thread in readers:
        thread.join(timeout=30)
    assert not run.problems, "\n".join(run.problems[:20])
    assert len(run.events) == WRITERS * CYCLES, "the writers did not finish in time"
    assert set(run.reads) == {"events", "entities", "relations", "paths", "health", "export"}
    with server.client() as client:
        assert client.get("/health").json()["counts"] == base
