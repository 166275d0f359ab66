"""Load and validate seed files (``geokg-seed/1``) into a :class:`~graph.store.GraphStore`.

A seed directory holds one JSON file per source document, beside the source text. Loading is
all or nothing: every file is checked first (schema, vocabularies, references, quotes against
the text, dates, reference codes), every problem is collected with its file and JSON path, and
only a clean directory is turned into a store. See ``seeds/README.md`` for the format.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph.changes import Change
from graph.dates import DateResolutionError, resolve_date, resolve_relative
from graph.errors import SeedProblem, SeedValidationError
from graph.model import (
    Edge,
    Entity,
    Event,
    EventDate,
    Evidence,
    Node,
    NodeId,
    Quantity,
    Source,
    check_cameo_note,
)
from graph.ontology import EntityKind, EventKind, Modality, QuantityQualifier, RelationType, Role
from graph.reference import cameo_codes, country_identifiers, wikidata_identifier
from graph.store import GraphStore
from graph.validation import CameoValue, Label, Line, LongText, Quote, check_text, locate_quote

__all__ = [
    "SEED_FORMAT",
    "SeedFile",
    "has_seed_files",
    "load_seed_dir",
    "load_seed_files",
    "merge_entities",
    "seed_changes",
    "seed_files",
    "validate_seed_paths",
]

SEED_FORMAT = "geokg-seed/1"


class _In(BaseModel):
    # Whatever is stored must export in every format: no NaN, no text an export cannot carry.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SeedEvidence(_In):
    quote: Quote
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class SeedCredit(_In):
    """Where the text itself names the publisher or a contributor (a byline, a credit line):
    the quotes of the source's ``published_by`` or ``contributor`` edge."""

    entity: NodeId
    evidence: list[SeedEvidence] = Field(min_length=1)


class SeedSource(_In):
    id: NodeId
    title: Label
    text_file: str = Field(min_length=1)
    publisher: NodeId
    published: dt.date
    contributors: list[NodeId] = []
    credits: list[SeedCredit] = []
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
    metadata_origin: Line


class SeedEntity(_In):
    id: NodeId
    kind: EntityKind
    label: Label
    aliases: list[Label] = []
    unnamed: bool = False
    description: LongText | None = None
    iso3166: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    evidence: list[SeedEvidence] = []


class SeedDate(_In):
    expression: Line | None = None
    rule: str
    anchor: NodeId | None = None
    offset_days: int | None = None
    value: dt.date | None = None


class SeedParticipant(_In):
    role: Role
    entity: NodeId
    evidence: list[SeedEvidence] = []


class SeedQuantity(_In):
    value: float | None
    unit: Line
    qualifier: QuantityQualifier
    measure: Line
    text: Line
    evidence: list[SeedEvidence] = Field(min_length=1)


class SeedEvent(_In):
    id: NodeId
    kind: EventKind
    label: Label
    cameo: CameoValue | None
    cameo_note: Line | None = None
    modality: Modality
    date: SeedDate
    place: NodeId | None = None
    participants: list[SeedParticipant] = []
    quantities: list[SeedQuantity] = []
    evidence: list[SeedEvidence] = Field(min_length=1)


class SeedRelation(_In):
    type: RelationType
    source: NodeId
    target: NodeId
    attributes: dict[str, Line] = {}
    evidence: list[SeedEvidence] = Field(min_length=1)


class SeedFile(_In):
    """The whole of one seed file."""

    format: Literal["geokg-seed/1"]
    source: SeedSource
    entities: list[SeedEntity] = []
    events: list[SeedEvent] = []
    relations: list[SeedRelation] = []


def _json_path(loc: Iterable[int | str]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class _Checker:
    """Collects problems across all files, then builds the store if there are none."""

    def __init__(self) -> None:
        self.problems: list[SeedProblem] = []
        self.files: list[tuple[str, Path, SeedFile, str]] = []  # name, dir, parsed, text

    def problem(self, file: str, path: str, reason: str) -> None:
        self.problems.append(SeedProblem(file, path, reason))

    def parse(self, path: Path) -> None:
        name = str(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self.problem(name, "$", f"cannot read file: {exc.strerror}")
            return
        except UnicodeDecodeError as exc:
            self.problem(name, "$", f"not UTF-8: {exc.reason} at byte {exc.start}")
            return
        except json.JSONDecodeError as exc:
            self.problem(
                name, "$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            )
            return
        try:
            seed = SeedFile.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self.problem(name, _json_path(err["loc"]), err["msg"])
            return
        text_path = path.parent / seed.source.text_file
        try:
            text = text_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(name, "$.source.text_file", f"cannot read source text {text_path}: {exc}")
            return
        try:
            check_text(text)
        except ValueError as exc:
            self.problem(name, "$.source.text_file", f"source text {text_path}: {exc}")
            return
        self.files.append((name, path.parent, seed, text))

    def check_evidence(self, file: str, path: str, text: str, items: list[SeedEvidence]) -> None:
        for i, ev in enumerate(items):
            try:
                locate_quote(text, ev.quote, ev.start, ev.end)
            except ValueError as exc:
                field = "" if str(exc).startswith("offsets") else ".quote"
                self.problem(file, f"{path}[{i}]{field}", str(exc))

    def check(self) -> None:
        entities: dict[str, tuple[str, SeedEntity]] = {}
        events: dict[str, tuple[str, SeedEvent]] = {}
        sources: dict[str, str] = {}
        codes = cameo_codes()
        for file, _, seed, text in self.files:
            if seed.source.id in sources:
                self.problem(
                    file,
                    "$.source.id",
                    f"source {seed.source.id!r} is also defined in {sources[seed.source.id]}",
                )
            sources[seed.source.id] = file
            credited = {seed.source.publisher, *seed.source.contributors}
            seen: set[str] = set()
            for i, credit in enumerate(seed.source.credits):
                where = f"$.source.credits[{i}]"
                if credit.entity not in credited:
                    self.problem(
                        file,
                        f"{where}.entity",
                        f"{credit.entity!r} is neither the publisher nor a contributor",
                    )
                elif credit.entity in seen:
                    self.problem(file, f"{where}.entity", f"{credit.entity!r} is credited twice")
                seen.add(credit.entity)
                self.check_evidence(file, f"{where}.evidence", text, credit.evidence)
            for i, ent in enumerate(seed.entities):
                where = f"$.entities[{i}]"
                if ent.id in entities and entities[ent.id][0] == file:
                    self.problem(file, f"{where}.id", f"duplicate entity id {ent.id!r}")
                elif ent.id in entities and entities[ent.id][1].kind != ent.kind:
                    other = entities[ent.id]
                    self.problem(
                        file,
                        f"{where}.kind",
                        f"{ent.id!r} is a {other[1].kind.value} in {other[0]},"
                        f" not a {ent.kind.value}",
                    )
                entities.setdefault(ent.id, (file, ent))
                if ent.iso3166 is not None:
                    if ent.kind != EntityKind.STATE:
                        self.problem(file, f"{where}.iso3166", "only states have ISO 3166 codes")
                    try:
                        country_identifiers(ent.iso3166)
                    except LookupError as exc:
                        self.problem(file, f"{where}.iso3166", str(exc))
                if not ent.evidence and not ent.unnamed:
                    self.problem(
                        file,
                        f"{where}.evidence",
                        "a named entity needs at least one quote naming it",
                    )
                self.check_evidence(file, f"{where}.evidence", text, ent.evidence)
            for i, event in enumerate(seed.events):
                where = f"$.events[{i}]"
                if event.id in events:
                    self.problem(
                        file,
                        f"{where}.id",
                        f"duplicate event id {event.id!r} (also in {events[event.id][0]})",
                    )
                events.setdefault(event.id, (file, event))
                if event.cameo is not None and event.cameo not in codes:
                    self.problem(file, f"{where}.cameo", f"unknown CAMEO code {event.cameo!r}")
                try:
                    check_cameo_note(event.cameo, event.cameo_note)
                except ValueError as exc:
                    self.problem(file, f"{where}.cameo_note", str(exc))
                self.check_evidence(file, f"{where}.evidence", text, event.evidence)
                for j, part in enumerate(event.participants):
                    self.check_evidence(
                        file, f"{where}.participants[{j}].evidence", text, part.evidence
                    )
                for j, qty in enumerate(event.quantities):
                    if qty.value is None and qty.qualifier != QuantityQualifier.SMALL_NUMBER:
                        self.problem(
                            file,
                            f"{where}.quantities[{j}].value",
                            "only a small_number quantity may leave its value null",
                        )
                    self.check_evidence(
                        file, f"{where}.quantities[{j}].evidence", text, qty.evidence
                    )
            for i, rel in enumerate(seed.relations):
                self.check_evidence(file, f"$.relations[{i}].evidence", text, rel.evidence)
        clashes = (set(entities) & set(events)) | (set(sources) & (set(entities) | set(events)))
        for clash in sorted(clashes):
            self.problem(
                sources.get(clash) or entities.get(clash, events.get(clash, ("?",)))[0],
                "$",
                f"id {clash!r} is used by more than one node",
            )

        def need(file: str, path: str, node_id: str, allowed: dict[str, Any], what: str) -> None:
            if node_id not in allowed:
                self.problem(file, path, f"unknown {what} {node_id!r}")

        both = {**entities, **events}
        for file, _, seed, _ in self.files:
            need(file, "$.source.publisher", seed.source.publisher, entities, "entity")
            for i, c in enumerate(seed.source.contributors):
                need(file, f"$.source.contributors[{i}]", c, entities, "entity")
            for i, event in enumerate(seed.events):
                where = f"$.events[{i}]"
                if event.place is not None:
                    need(file, f"{where}.place", event.place, entities, "entity")
                for j, part in enumerate(event.participants):
                    need(file, f"{where}.participants[{j}].entity", part.entity, entities, "entity")
            for i, rel in enumerate(seed.relations):
                need(file, f"$.relations[{i}].source", rel.source, both, "entity or event")
                need(file, f"$.relations[{i}].target", rel.target, both, "entity or event")
        self.dates = self._resolve_dates(events, {f: s for f, _, s, _ in self.files})

    def _resolve_dates(
        self, events: dict[str, tuple[str, SeedEvent]], seeds: dict[str, SeedFile]
    ) -> dict[str, EventDate]:
        resolved: dict[str, EventDate] = {}
        positions = {e.id: i for s in seeds.values() for i, e in enumerate(s.events)}

        def resolve(event_id: str, chain: tuple[str, ...]) -> EventDate | None:
            if event_id in resolved:
                return resolved[event_id]
            file, event = events[event_id]
            where = f"$.events[{positions[event_id]}].date"
            spec = event.date
            published = seeds[file].source.published
            result: EventDate | None = None
            if spec.rule == "relative_to_event":
                if spec.anchor is None or spec.offset_days is None:
                    self.problem(file, where, "relative_to_event needs 'anchor' and 'offset_days'")
                elif spec.anchor not in events:
                    self.problem(file, f"{where}.anchor", f"unknown event {spec.anchor!r}")
                elif spec.anchor in chain:
                    self.problem(
                        file,
                        f"{where}.anchor",
                        f"date anchors form a cycle: {' -> '.join((*chain, spec.anchor))}",
                    )
                else:
                    anchor = resolve(spec.anchor, (*chain, spec.anchor))
                    if anchor is not None:
                        try:
                            result = resolve_relative(
                                spec.expression, spec.anchor, anchor, spec.offset_days
                            )
                        except DateResolutionError as exc:
                            self.problem(file, f"{where}.offset_days", str(exc))
            else:
                if spec.anchor is not None or spec.offset_days is not None:
                    self.problem(
                        file,
                        where,
                        f"'anchor' and 'offset_days' belong to relative_to_event, not {spec.rule}",
                    )
                try:
                    result = resolve_date(spec.rule, spec.expression, published)
                except DateResolutionError as exc:
                    self.problem(file, f"{where}.rule", str(exc))
            if result is not None and spec.value is not None and spec.value != result.value:
                self.problem(
                    file,
                    f"{where}.value",
                    f"{spec.value} does not match {spec.rule}, which gives {result.value}",
                )
                result = None
            if result is not None:
                resolved[event_id] = result
            return result

        for event_id in events:
            resolve(event_id, (event_id,))
        return resolved

    def build(self) -> list[Change]:
        """The changes that put every record of the checked files into an empty store."""
        nodes: dict[str, Node] = {}
        texts: dict[str, str] = {}
        edges: dict[str, Edge] = {}

        def add_node(record: Node) -> None:
            old = nodes.get(record.id)
            if isinstance(old, Entity) and isinstance(record, Entity):
                record = merge_entities(old, record)
            nodes[record.id] = record

        def add_edge(edge: Edge) -> None:
            old = edges.get(edge.id)
            if old is not None:
                edge = old.model_copy(update={"evidence": _union(old.evidence, edge.evidence)})
            edges[edge.id] = edge

        codes = cameo_codes()
        for _, _, seed, _ in self.files:
            src = seed.source
            for ent in seed.entities:
                add_node(_entity(ent, src.id))
        for _, _, seed, text in self.files:
            src = seed.source
            add_node(
                Source(
                    id=src.id,
                    label=src.title,
                    publisher=src.publisher,
                    published=src.published,
                    contributors=tuple(dict.fromkeys(src.contributors)),
                    language=src.language,
                    text_file=src.text_file,
                    text_length=len(text),
                    metadata_origin=src.metadata_origin,
                )
            )
            texts[src.id] = text
            for event in seed.events:
                add_node(
                    Event(
                        id=event.id,
                        kind=event.kind,
                        label=event.label,
                        cameo=None if event.cameo is None else codes[event.cameo],
                        cameo_note=event.cameo_note,
                        modality=event.modality,
                        date=self.dates[event.id],
                        place=event.place,
                        quantities=tuple(_quantity(q, src.id) for q in event.quantities),
                        evidence=_evidence(event.evidence, src.id),
                    )
                )
        for _, _, seed, _ in self.files:
            src = seed.source
            metadata = {"origin": "metadata"}
            credits = {c.entity: _evidence(c.evidence, src.id) for c in src.credits}
            add_edge(
                Edge(
                    id=f"{src.id}.published_by.{src.publisher}",
                    category="relation",
                    type=RelationType.PUBLISHED_BY,
                    source=src.id,
                    target=src.publisher,
                    attributes=metadata,
                    evidence=credits.get(src.publisher, ()),
                )
            )
            for person in dict.fromkeys(src.contributors):
                add_edge(
                    Edge(
                        id=f"{src.id}.contributor.{person}",
                        category="relation",
                        type=RelationType.CONTRIBUTOR,
                        source=src.id,
                        target=person,
                        attributes=metadata,
                        evidence=credits.get(person, ()),
                    )
                )
            for event in seed.events:
                event_evidence = _evidence(event.evidence, src.id)
                roles = [(p.role, p.entity, p.evidence) for p in event.participants]
                if event.place is not None:
                    roles.append((Role.PLACE, event.place, []))
                for role, entity_id, ev in roles:
                    add_edge(
                        Edge(
                            id=f"{event.id}.{role.value}.{entity_id}",
                            category="role",
                            type=role,
                            source=event.id,
                            target=entity_id,
                            evidence=_evidence(ev, src.id) if ev else event_evidence,
                        )
                    )
            for rel in seed.relations:
                suffix = f".{_slug(rel.attributes['title'])}" if "title" in rel.attributes else ""
                add_edge(
                    Edge(
                        id=f"{rel.source}.{rel.type.value}.{rel.target}{suffix}",
                        category="relation",
                        type=rel.type,
                        source=rel.source,
                        target=rel.target,
                        attributes=dict(rel.attributes),
                        evidence=_evidence(rel.evidence, src.id),
                    )
                )
        return [
            *(Change.put(n, None, texts.get(n.id)) for n in nodes.values()),
            *(Change.put(e, None) for e in edges.values()),
        ]


def _union(first: tuple[object, ...], second: tuple[object, ...]) -> tuple[object, ...]:
    return first + tuple(x for x in second if x not in first)


def merge_entities(old: Entity, new: Entity) -> Entity:
    """Merge two records of one entity seen in two sources (same id, same kind).

    Raises ``ValueError`` if the kinds differ.

    Examples
    --------
    >>> a = Entity(id="russia", kind="state", label="Russia", aliases=("Moscow",))
    >>> b = Entity(id="russia", kind="state", label="Russia", aliases=("Kremlin",))
    >>> merge_entities(a, b).aliases
    ('Moscow', 'Kremlin')
    """
    if old.kind != new.kind:
        raise ValueError(
            f"entity {old.id!r} is a {old.kind.value} and cannot also be {new.kind.value}"
        )
    aliases = _union(old.aliases, tuple(a for a in new.aliases if a != old.label))
    if new.label != old.label and new.label not in aliases:
        aliases += (new.label,)
    return old.model_copy(
        update={
            "aliases": aliases,
            "unnamed": old.unnamed and new.unnamed,
            "description": old.description or new.description,
            "identifiers": _union(old.identifiers, new.identifiers),
            "evidence": _union(old.evidence, new.evidence),
        }
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _evidence(items: Iterable[SeedEvidence], source_id: str) -> tuple[Evidence, ...]:
    return tuple(Evidence(source=source_id, quote=e.quote, start=e.start, end=e.end) for e in items)


def _quantity(q: SeedQuantity, source_id: str) -> Quantity:
    return Quantity(
        value=q.value,
        unit=q.unit,
        qualifier=q.qualifier,
        measure=q.measure,
        text=q.text,
        evidence=_evidence(q.evidence, source_id),
    )


def _entity(ent: SeedEntity, source_id: str) -> Entity:
    identifiers = country_identifiers(ent.iso3166) if ent.iso3166 else ()
    wikidata = wikidata_identifier(ent.label)
    if wikidata is not None:
        identifiers = (*identifiers, wikidata)
    return Entity(
        id=ent.id,
        kind=ent.kind,
        label=ent.label,
        aliases=tuple(dict.fromkeys(a for a in ent.aliases if a != ent.label)),
        unnamed=ent.unnamed,
        description=ent.description,
        identifiers=identifiers,
        evidence=_evidence(ent.evidence, source_id),
    )


def seed_changes(paths: Iterable[Path]) -> list[Change]:
    """Validate seed files, all or nothing, and return the changes that load them.

    Raises :class:`~graph.errors.SeedValidationError` listing every problem found.
    """
    checker = _Checker()
    for path in paths:
        checker.parse(path)
    if not checker.problems:
        checker.check()
    if checker.problems:
        raise SeedValidationError(checker.problems)
    return checker.build()


def load_seed_files(paths: Iterable[Path]) -> GraphStore:
    """Validate seed files and load them into a new in-memory store, all or nothing.

    Raises :class:`~graph.errors.SeedValidationError` listing every problem found.
    """
    store = GraphStore()
    store.apply(seed_changes(paths))
    return store


def seed_files(directory: Path) -> list[Path]:
    """The seed files of a directory (``*.json``, in name order)."""
    if not directory.is_dir():
        raise SeedValidationError([SeedProblem(str(directory), "$", "not a directory")])
    files = sorted(directory.glob("*.json"))
    if not files:
        raise SeedValidationError([SeedProblem(str(directory), "$", "no *.json seed files")])
    return files


def load_seed_dir(directory: Path) -> GraphStore:
    """Load every seed file of a directory (see :func:`load_seed_files`)."""
    return load_seed_files(seed_files(directory))


def has_seed_files(directory: Path) -> bool:
    """Whether a directory holds seed files (``*.json``)."""
    return directory.is_dir() and any(directory.glob("*.json"))


def validate_seed_paths(paths: Iterable[Path]) -> GraphStore:
    """Validate files and/or directories together; return the store they would load into."""
    files: dict[Path, None] = {}
    for path in paths:
        for file in seed_files(path) if path.is_dir() else [path]:
            files.setdefault(file.resolve(), None)
    return load_seed_files(files)
