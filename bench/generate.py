"""A deterministic generator of GDELT-like event graphs, written into a real store of record.

The graph is geokg's own model, as an import of a year of wire reporting would make it:

- **States** (invented names: the data is synthetic, so no real state is said to do anything),
  each with a capital and further cities (``place``, ``capital_of`` / ``located_in``), three
  ministries (``government_body``, ``part_of``) and memberships of international organisations
  (``member_of``); every state belongs to the first organisation, so the graph is connected.
- **Officials** (``person``), each holding a position in a state (``holds_position`` with a
  ``title``), some also ``member_of`` a ministry or ``head_of`` it; reporters
  ``affiliated_with`` a media outlet.
- **Events** with a real CAMEO code (:func:`graph.reference.cameo`, with its Goldstein score), a
  date resolved by the rules of :mod:`graph.dates` (``publication_day`` or
  ``weekday_near_publication``) over one year, 2–4 participants with roles (``actor``,
  ``target``, ``participant``) and a ``place``; now and then an event ``responds_to`` or
  ``follows`` an earlier one.
- **Sources**: one synthetic wire report per :data:`EVENTS_PER_SOURCE` events (and profile
  documents for the officials), published by a media outlet (``published_by``). Every event,
  role edge, relation and entity carries evidence quoting its source at the right offsets
  (``text[start:end] == quote``).

Activity follows a power law: actors and places are drawn with Zipf weights (exponent
:data:`ZIPF_EXPONENT`) over a fixed ranking in which a few states and officials come first, so a
few hubs take part in tens of thousands of events at the medium scale.

The records go into the store through :meth:`SQLiteRecordStore.commit` in batches of
:data:`BATCH` changes, as an import does (each node's export views rendered in the commit that
writes it, as geokg does); nothing holds more than one batch of records, and the
per-entity tables (names, weights) grow with the number of entities, not of edges. Every value
is a pure function of the seed: the same scale and seed give the same store, change for change.

A generated store is cached as ``bench/data/<scale>-<seed>.sqlite3`` beside a description
(``<scale>-<seed>.json``: counts, hubs, and the fixed query plan) written last; the cache is used
again while :data:`GENERATOR_VERSION` and the store's position match.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from graph.changes import Change
from graph.dates import resolve_date
from graph.export.prerendered import ExportRenderer
from graph.model import CameoCode, Edge, Entity, Event, EventDate, Evidence, Node, Source
from graph.ontology import EntityKind, EventKind, Modality, RelationType, Role
from graph.reference import cameo_codes
from graph.storage.base import Commit
from graph.storage.sqlite import SQLiteRecordStore

__all__ = [
    "BATCH",
    "DATA_DIR",
    "EVENTS_PER_SOURCE",
    "GENERATOR_VERSION",
    "SCALES",
    "ZIPF_EXPONENT",
    "Dataset",
    "Plan",
    "cached_dataset",
    "dataset",
    "generate",
    "immutable",
]

log = logging.getLogger(__name__)

GENERATOR_VERSION = 1
"""Bumped whenever the generated graph changes: a cached store of another version is rebuilt."""

SCALES: dict[str, int] = {"small": 10_000, "medium": 1_000_000, "large": 10_000_000}
"""Edges (role edges and relations) aimed at by each scale; a generated graph has at least that
many, and at most one event's worth more."""

DATA_DIR = Path(__file__).resolve().parent / "data"
"""Where generated stores are cached (ignored by git)."""

BATCH = 20_000
"""Changes per commit while generating."""

EVENTS_PER_SOURCE = 50
"""Events reported in one synthetic source document."""

ZIPF_EXPONENT = 1.0
"""Exponent of the power law by which actors and places are drawn."""

YEAR_START = dt.date(2023, 1, 1)
"""The generated events fall in the year from this day."""

PLAN_PAIRS = 200
"""Fixed pairs for path queries; the other query lists have as many entries."""

_ORIGIN = "Synthetic benchmark data (bench/generate.py): invented names, no real-world claim."

# Invented names: syllables joined by a seeded choice.
# fmt: off
_SYLLABLES = (
    "al", "ba", "cor", "da", "el", "fa", "gor", "ha", "ir", "ja", "ka", "lo", "mar", "na", "or",
    "pa", "qui", "ra", "sa", "ta", "ul", "va", "wen", "xo", "ya", "zan", "bel", "cas", "dor",
    "fen", "gal", "hil", "jor", "kel", "lum", "mor", "nes", "pol", "ros", "sil", "tor", "val",
    "wil", "zer",
)
# fmt: on
# fmt: off
_FIRST = (
    "Amira", "Boris", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Lev", "Maja", "Nikos", "Olga", "Pavel", "Rania", "Sven", "Tamar", "Umar", "Vera",
    "Wiktor", "Yara", "Zoltan", "Anouk", "Bram", "Celia", "Darius", "Edith", "Feliks",
)
# fmt: on

_TITLES = ("president", "prime minister", "foreign minister", "defence minister", "ambassador")
_MINISTRIES = ("Ministry of Foreign Affairs", "Ministry of Defence", "Ministry of the Interior")

# CAMEO root codes with a weight (GDELT-like: talk far more often than fighting), the event
# kind, a modality and the verb of the sentence that reports the event.
_ROOTS: tuple[tuple[str, int, EventKind, str], ...] = (
    ("01", 14, EventKind.STATEMENT, "made a statement about"),
    ("02", 8, EventKind.APPEAL, "appealed to"),
    ("03", 10, EventKind.OFFER, "offered cooperation to"),
    ("04", 20, EventKind.MEETING, "met"),
    ("05", 8, EventKind.TALKS, "held talks with"),
    ("06", 4, EventKind.OFFER, "agreed to cooperate with"),
    ("07", 3, EventKind.OFFER, "pledged aid to"),
    ("08", 3, EventKind.ANNOUNCEMENT, "made concessions to"),
    ("09", 2, EventKind.REPORT, "investigated"),
    ("10", 4, EventKind.DEMAND, "made demands of"),
    ("11", 5, EventKind.STATEMENT, "criticised"),
    ("12", 3, EventKind.DENIAL, "rejected a proposal of"),
    ("13", 3, EventKind.WARNING, "threatened"),
    ("14", 2, EventKind.DEMAND, "protested against"),
    ("15", 2, EventKind.DEPLOYMENT, "deployed forces against"),
    ("16", 2, EventKind.ANNOUNCEMENT, "reduced relations with"),
    ("17", 2, EventKind.MILITARY_ACTION, "coerced"),
    ("18", 2, EventKind.MILITARY_ACTION, "attacked"),
    ("19", 2, EventKind.MILITARY_ACTION, "fought"),
    ("20", 1, EventKind.MILITARY_ACTION, "used mass violence against"),
)
_MODALITIES = (Modality.OCCURRED,) * 7 + (Modality.REPORTED,) * 2 + (Modality.ASSERTED,)


@dataclass(frozen=True)
class _Name:
    """An entity as the generator refers to it: id, label and kind."""

    id: str
    label: str
    kind: EntityKind


@dataclass
class Plan:
    """The fixed queries a benchmark run asks of one generated graph."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    """Entity pairs for path queries (every entity pair is connected, see the module doc)."""
    nodes: list[str] = field(default_factory=list)
    """Nodes for neighbourhood queries."""
    names: list[str] = field(default_factory=list)
    """Name searches: whole labels, surnames, prefixes."""
    windows: list[tuple[str, str, str]] = field(default_factory=list)
    """(hub id, first day, last day): events of a hub in a week."""


@dataclass
class Dataset:
    """A generated store and what the generator knows about it."""

    path: Path
    scale: str
    seed: int
    edges_target: int
    counts: dict[str, int]
    position: int
    hubs: list[dict[str, Any]]
    plan: Plan
    build_seconds: float
    generator_version: int = GENERATOR_VERSION

    def as_json(self) -> dict[str, Any]:
        """The description kept beside the store (and copied into the results)."""
        return {
            "generator_version": self.generator_version,
            "scale": self.scale,
            "seed": self.seed,
            "edges_target": self.edges_target,
            "counts": self.counts,
            "position": self.position,
            "hubs": self.hubs,
            "plan": {
                "pairs": self.plan.pairs,
                "nodes": self.plan.nodes,
                "names": self.plan.names,
                "windows": self.plan.windows,
            },
            "build_seconds": self.build_seconds,
        }

    @classmethod
    def from_json(cls, path: Path, body: dict[str, Any]) -> Dataset:
        """A dataset from the description kept beside its store."""
        plan = body["plan"]
        return cls(
            path=path,
            scale=body["scale"],
            seed=body["seed"],
            edges_target=body["edges_target"],
            counts=body["counts"],
            position=body["position"],
            hubs=body["hubs"],
            plan=Plan(
                pairs=[(a, b) for a, b in plan["pairs"]],
                nodes=list(plan["nodes"]),
                names=list(plan["names"]),
                windows=[(h, s, e) for h, s, e in plan["windows"]],
            ),
            build_seconds=body["build_seconds"],
            generator_version=body["generator_version"],
        )


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


class _Names:
    """Every entity of the graph, by kind, from the seed alone (the ids and labels are kept:
    they grow with the number of entities, never with the number of events)."""

    def __init__(self, edges: int, seed: int) -> None:
        rng = random.Random(f"{seed}:names")
        n_states = min(400, max(20, edges // 5000))
        n_persons = max(100, edges // 40)
        n_cities = max(n_states * 2, edges // 2000)
        n_orgs = max(5, n_states // 10)
        n_media = max(5, n_states // 5)
        self.states = [self._make(f"State of {_word(rng, 2)}", "state", i) for i in range(n_states)]
        self.cities = [self._make(_word(rng, 3), "place", i) for i in range(n_cities)]
        self.orgs = [
            self._make(f"{_word(rng, 2)} Union", "international_organisation", i)
            for i in range(n_orgs)
        ]
        self.media = [
            self._make(f"{_word(rng, 2)} News Agency", "media_outlet", i) for i in range(n_media)
        ]
        self.ministries = [
            self._make(
                f"{ministry} of {state.label.removeprefix('State of ')}", "government_body", i
            )
            for i, (state, ministry) in enumerate(itertools.product(self.states, _MINISTRIES))
        ]
        self.persons = [
            self._make(f"{rng.choice(_FIRST)} {_word(rng, rng.choice((2, 3)))}", "person", i)
            for i in range(n_persons)
        ]

    @staticmethod
    def _make(label: str, kind: str, index: int) -> _Name:
        slug = "-".join(label.lower().split())
        return _Name(f"{slug}-{index}", label, EntityKind(kind))

    def actors(self) -> list[_Name]:
        """Every possible event participant, most active first (the power law's ranking)."""
        s, p, o, m = self.states, self.persons, self.orgs, self.ministries
        return [*s[:8], *p[:12], *o[:2], *s[8:], *o[2:], *p[12:], *m, *self.media]


class _Writer:
    """Commits changes in batches, as an import does, and counts what it wrote."""

    def __init__(self, records: SQLiteRecordStore) -> None:
        self.records = records
        self.position = records.position()
        self.pending: list[Change] = []
        self.counts = {"entities": 0, "events": 0, "sources": 0, "edges": 0, "role_edges": 0}

    def node(self, record: Node, text: str | None = None) -> None:
        self.pending.append(Change.put(record, None, text))
        self.counts[f"{record.node_type}s" if record.node_type != "entity" else "entities"] += 1
        self._maybe_flush()

    def edge(self, record: Edge) -> None:
        self.pending.append(Change.put(record, None))
        self.counts["edges"] += 1
        if record.category == "role":
            self.counts["role_edges"] += 1
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            commit = Commit(actor="bench", source="bench:generate")
            self.position = self.records.commit(self.pending, commit, expect=self.position)
            self.pending = []


class _Text:
    """A source text being written, sentence by sentence, with the offsets of its quotes."""

    def __init__(self, source_id: str, heading: str) -> None:
        self.source_id = source_id
        self.parts = [heading, "\n\n"]
        self.length = len(heading) + 2

    def sentence(self, *pieces: str) -> list[Evidence]:
        """Append a sentence made of ``pieces``; return evidence for the sentence (first) and
        for each piece at an odd index (the names inside it)."""
        start = self.length
        offsets = []
        at = start
        for i, piece in enumerate(pieces):
            if i % 2:
                offsets.append((at, piece))
            at += len(piece)
        sentence = "".join(pieces)
        self.parts.append(sentence + " ")
        self.length += len(sentence) + 1
        found = [Evidence(source=self.source_id, quote=sentence, start=start, end=at)]
        found += [
            Evidence(source=self.source_id, quote=q, start=s, end=s + len(q)) for s, q in offsets
        ]
        return found

    def text(self) -> str:
        return "".join(self.parts).rstrip() + "\n"


def _zipf_cumulative(n: int) -> list[float]:
    weights = (1.0 / (rank**ZIPF_EXPONENT) for rank in range(1, n + 1))
    return list(itertools.accumulate(weights))


def _draw(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _source(source_id: str, title: str, published: dt.date, publisher: _Name, text: str) -> Source:
    return Source(
        id=source_id,
        label=title,
        publisher=publisher.id,
        published=published,
        text_length=len(text),
        metadata_origin=_ORIGIN,
    )


def _published_by(source_id: str, publisher: _Name) -> Edge:
    return Edge(
        id=f"{source_id}.published_by.{publisher.id}",
        category="relation",
        type=RelationType.PUBLISHED_BY,
        source=source_id,
        target=publisher.id,
        attributes={"origin": "metadata"},
    )


def _relation(
    kind: RelationType, a: _Name, b: _Name, evidence: Evidence, title: str | None = None
) -> Edge:
    suffix = f".{'-'.join(title.split())}" if title else ""
    return Edge(
        id=f"{a.id}.{kind.value}.{b.id}{suffix}",
        category="relation",
        type=kind,
        source=a.id,
        target=b.id,
        attributes={"title": title} if title else {},
        evidence=(evidence,),
    )


def _static(names: _Names, rng: random.Random, out: _Writer) -> None:
    """Entities and their standing relations, told by profile documents (one per 200 facts)."""
    media = names.media[0]
    profiles = itertools.count()
    facts: list[tuple[str, ...]] = []
    entities: list[_Name] = []
    relations: list[tuple[RelationType, _Name, _Name, str | None]] = []

    def flush_profile() -> None:
        number = next(profiles)
        source_id = f"profile-{number}"
        doc = _Text(source_id, f"Synthetic profiles, part {number + 1}")
        evidence = [doc.sentence(*fact) for fact in facts]
        text = doc.text()
        title = f"Synthetic profiles, part {number + 1}"
        out.node(_source(source_id, title, YEAR_START, media, text), text)
        out.edge(_published_by(source_id, media))
        for name, ev in zip(entities, evidence[: len(entities)], strict=True):
            out.node(Entity(id=name.id, kind=name.kind, label=name.label, evidence=(ev[1],)))
        for (kind, a, b, title_), ev in zip(relations, evidence[len(entities) :], strict=True):
            out.edge(_relation(kind, a, b, ev[0], title_))
        facts.clear()
        entities.clear()
        relations.clear()

    def entity(name: _Name, description: str) -> None:
        facts.insert(len(entities), ("", name.label, f" is {description}."))
        entities.append(name)

    def relation(kind: RelationType, a: _Name, b: _Name, words: str, title: str | None) -> None:
        facts.append(("", a.label, f" {words} ", b.label, "."))
        relations.append((kind, a, b, title))
        if len(facts) >= 200:
            flush_profile()

    # Media outlets come first: every source document names its publisher.
    for outlet in names.media:
        entity(outlet, "a news agency")
    for org in names.orgs:
        entity(org, "an international organisation")
    for i, state in enumerate(names.states):
        entity(state, "a state")
        capital = names.cities[i]
        entity(capital, "a city")
        relation(RelationType.CAPITAL_OF, capital, state, "is the capital of", None)
        relation(RelationType.MEMBER_OF, state, names.orgs[0], "is a member of", None)
        for org in rng.sample(names.orgs[1:], k=min(2, len(names.orgs) - 1)):
            relation(RelationType.MEMBER_OF, state, org, "is a member of", None)
        for j, ministry in enumerate(names.ministries[3 * i : 3 * i + 3]):
            entity(ministry, f"a ministry ({_MINISTRIES[j]})")
            relation(RelationType.PART_OF, ministry, state, "is part of the government of", None)
    for city in names.cities[len(names.states) :]:
        entity(city, "a city")
        state = names.states[rng.randrange(len(names.states))]
        relation(RelationType.LOCATED_IN, city, state, "lies in", None)
    for i, person in enumerate(names.persons):
        entity(person, "an official" if i % 10 else "a reporter")
        if i % 10 == 0:
            outlet = names.media[rng.randrange(len(names.media))]
            relation(RelationType.AFFILIATED_WITH, person, outlet, "reports for", None)
            city = names.cities[rng.randrange(len(names.cities))]
            relation(RelationType.RESIDENT_OF, person, city, "lives in", None)
            continue
        state_index = min(len(names.states) - 1, int(rng.paretovariate(1.2)) - 1)
        state = names.states[state_index]
        title = _TITLES[i % len(_TITLES)] if i < 5 * len(names.states) else "official"
        relation(RelationType.HOLDS_POSITION, person, state, f"serves as {title} of", title)
        if i % 3 == 0:
            ministry = names.ministries[3 * state_index + rng.randrange(3)]
            relation(RelationType.MEMBER_OF, person, ministry, "works at", None)
    if facts:
        flush_profile()


def _codes() -> tuple[list[tuple[CameoCode, EventKind, str]], list[float]]:
    table = cameo_codes()
    choices: list[tuple[CameoCode, EventKind, str]] = []
    weights: list[float] = []
    for root, weight, kind, verb in _ROOTS:
        codes = [c for code, c in table.items() if code.startswith(root)]
        for code in codes:
            choices.append((code, kind, verb))
            weights.append(weight / len(codes))
    return choices, list(itertools.accumulate(weights))


def _event_date(rng: random.Random, published: dt.date) -> EventDate:
    if rng.random() < 0.7:
        return resolve_date("publication_day", published.strftime("%A"), published)
    before = published - dt.timedelta(days=1)
    return resolve_date("weekday_near_publication", before.strftime("on %A"), published)


class _Events:
    """Makes events one by one: the tables of the power law, and each actor's activity."""

    def __init__(self, names: _Names, rng: random.Random) -> None:
        self.names = names
        self.rng = rng
        self.actors = names.actors()
        self.actor_weights = _zipf_cumulative(len(self.actors))
        self.place_weights = _zipf_cumulative(len(names.cities))
        self.media_weights = _zipf_cumulative(len(names.media))
        self.codes, self.code_weights = _codes()
        self.activity = [0] * len(self.actors)
        self.recent: list[str] = []
        self.made = 0

    def hubs(self, n: int) -> list[dict[str, Any]]:
        """The ``n`` most active actors with their numbers of events."""
        ranked = sorted(range(len(self.actors)), key=lambda i: -self.activity[i])[:n]
        return [
            {"id": self.actors[i].id, "label": self.actors[i].label, "events": self.activity[i]}
            for i in ranked
        ]

    def write(self, out: _Writer, edges_target: int) -> None:
        """Events until the graph holds ``edges_target`` edges, a source per batch of them."""
        # Sources are spread evenly over the year, so events come roughly in date order; an
        # event makes 3.8 edges on average (2.75 participants, a place, a few relations).
        events_wanted = max(1, (edges_target - out.counts["edges"]) * 100 // 382)
        n_sources = max(1, -(-events_wanted // EVENTS_PER_SOURCE))
        for k in itertools.count():
            if out.counts["edges"] >= edges_target:
                break
            published = YEAR_START + dt.timedelta(days=min(364, k * 365 // n_sources))
            outlet = self.names.media[_draw(self.rng, self.media_weights)]
            source_id = f"report-{k}"
            title = f"Synthetic wire report {k + 1} ({published.isoformat()})"
            doc = _Text(source_id, title)
            batch: list[tuple[Event, list[Edge]]] = []
            planned = out.counts["edges"] + 1  # the source's published_by edge
            for _ in range(EVENTS_PER_SOURCE):
                if planned >= edges_target:
                    break
                event, edges = self.event(doc, published)
                batch.append((event, edges))
                planned += len(edges)
            text = doc.text()
            out.node(_source(source_id, title, published, outlet, text), text)
            out.edge(_published_by(source_id, outlet))
            for event, edges in batch:
                out.node(event)
                for edge in edges:
                    out.edge(edge)

    def event(self, doc: _Text, published: dt.date) -> tuple[Event, list[Edge]]:
        """One event reported in ``doc``, with its role edges and perhaps a relation."""
        rng = self.rng
        self.made += 1
        event_id = f"event-{self.made}"
        code, kind, verb = self.codes[_draw(rng, self.code_weights)]
        date = _event_date(rng, published)
        chosen: list[int] = []
        for _ in range(rng.choice((2, 2, 3, 4))):
            index = _draw(rng, self.actor_weights)
            while index in chosen:
                index = _draw(rng, self.actor_weights)
            chosen.append(index)
        people = [self.actors[i] for i in chosen]
        place = self.names.cities[_draw(rng, self.place_weights)]
        roles = [Role.ACTOR, Role.TARGET, *([Role.PARTICIPANT] * (len(people) - 2))]
        when = date.expression or ""
        pieces = [f"{when[:1].upper()}{when[1:]}, ", people[0].label, f" {verb} ", people[1].label]
        for i, extra in enumerate(people[2:]):
            pieces += [" and " if i else ", with ", extra.label]
        pieces += [" in ", place.label, "."]
        # The sentence, then each name in it: actor, target, participants, place.
        found = doc.sentence(*pieces)
        event = Event(
            id=event_id,
            kind=kind,
            label=f"{people[0].label} {verb} {people[1].label}",
            cameo=code,
            modality=rng.choice(_MODALITIES),
            date=date,
            place=place.id,
            evidence=(found[0],),
        )
        edges = [
            _role(event_id, role, person, ev)
            for role, person, ev in zip(roles, people, found[1:-1], strict=True)
        ]
        edges.append(_role(event_id, Role.PLACE, place, found[-1]))
        for i in chosen:
            self.activity[i] += 1
        if self.recent and rng.random() < 0.05:
            earlier = self.recent[rng.randrange(len(self.recent))]
            link = RelationType.RESPONDS_TO if rng.random() < 0.5 else RelationType.FOLLOWS
            edges.append(
                Edge(
                    id=f"{event_id}.{link.value}.{earlier}",
                    category="relation",
                    type=link,
                    source=event_id,
                    target=earlier,
                    evidence=(found[0],),
                )
            )
        self.recent.append(event_id)
        if len(self.recent) > 500:
            del self.recent[:250]
        return event, edges


def _role(event_id: str, role: Role, entity: _Name, evidence: Evidence) -> Edge:
    return Edge(
        id=f"{event_id}.{role.value}.{entity.id}",
        category="role",
        type=role,
        source=event_id,
        target=entity.id,
        evidence=(evidence,),
    )


def _plan(names: _Names, hubs: list[dict[str, Any]], seed: int) -> Plan:
    rng = random.Random(f"{seed}:plan")
    pool = [*names.states, *names.orgs, *names.ministries, *names.cities, *names.persons]
    plan = Plan()
    for _ in range(PLAN_PAIRS):
        a, b = rng.sample(pool, 2)
        plan.pairs.append((a.id, b.id))
    plan.nodes = [a for a, _ in plan.pairs]
    for i in range(PLAN_PAIRS):
        person = names.persons[rng.randrange(len(names.persons))]
        first, last = person.label.split(" ", 1)
        plan.names.append((person.label, last, last[:4], first)[i % 4])
    top = [h["id"] for h in hubs[:5]]
    for i in range(PLAN_PAIRS):
        day = YEAR_START + dt.timedelta(days=rng.randrange(358))
        plan.windows.append(
            (top[i % len(top)], day.isoformat(), (day + dt.timedelta(6)).isoformat())
        )
    return plan


def generate(path: Path, scale: str, seed: int, edges: int | None = None) -> Dataset:
    """Write a new graph of ``scale`` (or of ``edges`` edges) into a new store at ``path``.

    Raises ``FileExistsError`` if ``path`` exists (the store must start empty).
    """
    if path.exists():
        raise FileExistsError(path)
    started = time.perf_counter()
    target = edges if edges is not None else SCALES[scale]
    rng = random.Random(f"{seed}:graph")
    names = _Names(target, seed)
    # As geokg writes: each node's export views are rendered in the commit that writes it.
    records = SQLiteRecordStore(str(path), renderer=ExportRenderer())
    try:
        out = _Writer(records)
        _static(names, rng, out)
        events = _Events(names, rng)
        events.write(out, target)
        out.flush()
        position = out.position
    finally:
        records.close()
    hubs = events.hubs(10)
    counts = dict(out.counts)
    counts["relation_edges"] = counts["edges"] - counts["role_edges"]
    counts["nodes"] = counts["entities"] + counts["events"] + counts["sources"]
    return Dataset(
        path=path,
        scale=scale,
        seed=seed,
        edges_target=target,
        counts=counts,
        position=position,
        hubs=hubs,
        plan=_plan(names, hubs, seed),
        build_seconds=round(time.perf_counter() - started, 3),
    )


def dataset(
    scale: str,
    seed: int,
    data_dir: Path = DATA_DIR,
    edges: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """The cached store of ``scale`` and ``seed`` (generated first if missing or stale).

    ``edges`` overrides the scale's edge count (the cache name then says so).
    """
    name = f"{scale}-{seed}" if edges is None else f"{scale}-{edges}e-{seed}"
    store = data_dir / f"{name}.sqlite3"
    description = data_dir / f"{name}.json"
    cached = _cached(store, description, scale, seed)
    if cached is not None:
        return cached
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in _files_of(store):
        stale.unlink(missing_ok=True)
    description.unlink(missing_ok=True)
    if progress is not None:
        progress(f"generating {name} into {store} (generator version {GENERATOR_VERSION})")
    made = generate(store, scale, seed, edges)
    tmp = description.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(made.as_json(), indent=1) + "\n", encoding="utf-8")
    tmp.replace(description)
    return made


def cached_dataset(
    scale: str, seed: int, data_dir: Path = DATA_DIR, edges: int | None = None
) -> Dataset | None:
    """The cached store of ``scale`` and ``seed`` if it is there and current, read without
    writing anything (SQLite's ``immutable`` mode: no journal, no lock file), so that a store
    another run uses, or a read-only copy, can be the source of a PostgreSQL load; else None.
    A store whose write-ahead log still holds pages is not read this way (None)."""
    name = f"{scale}-{seed}" if edges is None else f"{scale}-{edges}e-{seed}"
    store = data_dir / f"{name}.sqlite3"
    description = data_dir / f"{name}.json"
    wal = Path(f"{store}-wal")
    if not (store.is_file() and description.is_file()) or (wal.exists() and wal.stat().st_size):
        return None
    try:
        made = Dataset.from_json(store, json.loads(description.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None
    if (made.generator_version, made.scale, made.seed) != (GENERATOR_VERSION, scale, seed):
        return None
    with contextlib.closing(immutable(store)) as conn:
        (position,) = conn.execute("SELECT coalesce(max(position), 0) FROM changes").fetchone()
    return made if position == made.position else None


def immutable(store: Path) -> sqlite3.Connection:
    """A connection that reads a SQLite store and never writes to it or beside it."""
    return sqlite3.connect(f"file:{quote(str(store.resolve()))}?immutable=1", uri=True)


def _files_of(store: Path) -> Iterator[Path]:
    yield store
    for suffix in ("-wal", "-shm", ".lock"):
        yield Path(f"{store}{suffix}")


def _cached(store: Path, description: Path, scale: str, seed: int) -> Dataset | None:
    if not (store.is_file() and description.is_file()):
        return None
    try:
        body = json.loads(description.read_text(encoding="utf-8"))
        made = Dataset.from_json(store, body)
    except (ValueError, KeyError, TypeError):
        return None
    if (made.generator_version, made.scale, made.seed) != (GENERATOR_VERSION, scale, seed):
        return None
    records = SQLiteRecordStore(str(store))
    try:
        if records.position() != made.position:
            return None
    finally:
        records.close()
    return made
