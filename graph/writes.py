"""Writes: what a writer sends (the ``*In`` bodies) and the changes each write makes.

A write is planned against the read model as it stands (:class:`~graph.store.GraphStore`),
checked by the rules of :mod:`graph.validation`, and returned as a :class:`Plan`: the changes
to commit and the object to answer with. Nothing here writes anything: the service commits a
plan to the store of record and then applies it to the read model.

The bodies use the field names of the JSON answers. An event posts its ``participants`` as
``[{entity, role}]``; its role edges (``{event}.{role}.{entity}``) are made from them. Every
event and relation carries evidence (a source and a verbatim quote, offsets checked or found) or
says ``"analyst_assertion": true``; a named entity likewise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from graph.changes import Change, RenderedChange, record_json
from graph.dates import DateResolutionError, resolve_date, resolve_relative
from graph.errors import (
    ConflictError,
    NodeNotFoundError,
    PreconditionFailedError,
    Problem,
    RecordValidationError,
)
from graph.model import (
    Edge,
    Entity,
    Event,
    EventDate,
    Evidence,
    Identifier,
    NodeId,
    Quantity,
    Source,
    check_cameo_note,
)
from graph.ontology import EntityKind, EventKind, Modality, QuantityQualifier, RelationType, Role
from graph.queries import EventDetail, detail_of, event_detail
from graph.reference import cameo_codes, country_identifiers
from graph.storage.base import ProposalUpdate
from graph.store import GraphStore
from graph.validation import (
    LIMITS,
    AttributeName,
    CameoValue,
    Label,
    Line,
    LongText,
    Quote,
    SourceText,
    Url,
    check_text,
    locate_quote,
    mint_id,
)

__all__ = [
    "BulkPlan",
    "CreditIn",
    "DateIn",
    "EntityIn",
    "EventIn",
    "EvidenceIn",
    "ParticipantIn",
    "Plan",
    "QuantityIn",
    "QuoteIn",
    "RelationIn",
    "SourceIn",
    "WritableType",
    "etag",
    "plan_create",
    "plan_delete",
    "plan_update",
    "representation",
]

WritableType = Literal["source", "entity", "event", "relation"]
_ITEMS = LIMITS["list_items"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _edge_id(value: str) -> str:
    check_text(value, one_line=True)
    return value


EdgeId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=LIMITS["id_length"], pattern=r"^[A-Za-z0-9._~-]+$"),
    AfterValidator(_edge_id),
]


class EvidenceIn(_In):
    """A verbatim quote from a registered source; offsets are found when left out."""

    source: NodeId = Field(description="Id of a registered source.")
    quote: Quote = Field(description="The words, exactly as in the source text.")
    start: int | None = Field(default=None, ge=0, description="Offset of the first character.")
    end: int | None = Field(default=None, ge=0, description="Offset one past the last.")


class IdentifierIn(_In):
    """An identifier from outside the articles, with where it came from."""

    scheme: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    value: Line
    origin: Line = Field(description="Where the value came from.")


class QuoteIn(_In):
    """A verbatim quote from the source's own text; offsets are found when left out."""

    quote: Quote = Field(description="The words, exactly as in the source text.")
    start: int | None = Field(default=None, ge=0, description="Offset of the first character.")
    end: int | None = Field(default=None, ge=0, description="Offset one past the last.")


class CreditIn(_In):
    """Where the source's own text names its publisher or a contributor (a byline, a credit
    line): the quotes of its ``published_by`` or ``contributor`` edge."""

    entity: NodeId = Field(description="The publisher's or a contributor's id.")
    evidence: list[QuoteIn] = Field(min_length=1, max_length=_ITEMS)


class SourceIn(_In):
    """A source document: metadata and the full text quotes point into."""

    id: NodeId | None = Field(default=None, description="Minted from the title if left out.")
    title: Label
    published: dt.date
    url: Url | None = None
    text: SourceText
    publisher: NodeId | None = Field(default=None, description="Id of the publishing entity.")
    contributors: list[NodeId] = Field(default=[], max_length=_ITEMS)
    credits: list[CreditIn] = Field(
        default=[],
        max_length=_ITEMS,
        description="Quotes of the text that name the publisher or a contributor "
        "(the byline): the evidence of the source's `published_by` and `contributor` edges.",
        examples=[[{"entity": "robert-burns", "evidence": [{"quote": "Robert Burns"}]}]],
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] = "en"
    metadata_origin: Line = "Given by the writer with the document."


class EntityIn(_In):
    """A state, person, organisation, place, force or group."""

    id: NodeId | None = Field(default=None, description="Minted from the label if left out.")
    kind: EntityKind
    label: Label
    aliases: list[Label] = Field(default=[], max_length=_ITEMS)
    unnamed: bool = False
    description: LongText | None = None
    iso3166: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    identifiers: list[IdentifierIn] = Field(default=[], max_length=_ITEMS)
    evidence: list[EvidenceIn] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


class ParticipantIn(_In):
    """An entity in a role of the event."""

    entity: NodeId
    role: Role
    evidence: list[EvidenceIn] = Field(default=[], max_length=_ITEMS)


class DateIn(_In):
    """When: the text's words and the rule that resolves them (see ``graph.dates``)."""

    expression: Line | None = None
    rule: str = "undated"
    anchor: NodeId | None = None
    offset_days: int | None = Field(default=None, ge=-36_500, le=36_500)
    value: dt.date | None = None


class QuantityIn(_In):
    """A number in the text with its hedge and unit."""

    value: float | None
    unit: Line
    qualifier: QuantityQualifier
    measure: Line
    text: Line
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=_ITEMS)


class EventIn(_In):
    """Something that happened, was claimed, planned, proposed, denied or warned of."""

    id: NodeId | None = Field(default=None, description="Minted from the label if left out.")
    kind: EventKind
    label: Label
    cameo: CameoValue | None = Field(
        description="The most specific CAMEO code that fits, as a string; null where none "
        "fits, with a `cameo_note` saying why (never `010` as filler).",
        examples=["036", None],
    )
    cameo_note: Line | None = Field(
        default=None,
        description="Why no CAMEO code fits; given exactly when `cameo` is null.",
        examples=["a market movement, not an interaction between political actors"],
    )
    modality: Modality
    date: DateIn = DateIn()
    place: NodeId | None = None
    participants: list[ParticipantIn] = Field(default=[], max_length=_ITEMS)
    quantities: list[QuantityIn] = Field(default=[], max_length=_ITEMS)
    evidence: list[EvidenceIn] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


class RelationIn(_In):
    """A binary relation between two entities or events."""

    id: EdgeId | None = Field(default=None, description="Derived from its ends if left out.")
    type: RelationType
    source: NodeId
    target: NodeId
    attributes: dict[AttributeName, Line] = Field(default={}, max_length=LIMITS["attributes"])
    evidence: list[EvidenceIn] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


_BODIES: dict[WritableType, type[_In]] = {
    "source": SourceIn,
    "entity": EntityIn,
    "event": EventIn,
    "relation": RelationIn,
}


@dataclass
class Plan:
    """The changes one write makes, and what it answers with (and, for a review, the new
    state of the proposal set, written in the same transaction)."""

    changes: list[Change] = field(default_factory=list)
    result: BaseModel | None = None
    proposals: ProposalUpdate | None = None
    source: str | None = None
    """The source the change log names for this write, when the plan decides it."""


@dataclass
class BulkPlan:
    """A write too large to hold as a list of changes (an import): ``count`` changes, rendered
    and handed over in batches by ``batches()`` (which may be called again if the write is
    retried), and the answer."""

    count: int
    batches: Callable[[], Iterable[Sequence[RenderedChange]]]
    result: BaseModel | None = None


def etag(representation: BaseModel) -> str:
    """A strong ETag of an object's JSON representation.

    Examples
    --------
    >>> etag(Entity(id="kyiv", kind="place", label="Kyiv"))[:1]
    '"'
    """
    digest = hashlib.sha256(representation.model_dump_json().encode()).hexdigest()[:24]
    return f'"{digest}"'


def representation(store: GraphStore, object_type: WritableType, object_id: str) -> BaseModel:
    """What ``GET`` answers for an object (raises :class:`NodeNotFoundError` if unknown)."""
    if object_type == "entity":
        return store.entity(object_id)
    if object_type == "event":
        return event_detail(store, object_id)
    if object_type == "source":
        return store.source(object_id)
    if not store.has_edge(object_id) or store.edge(object_id).category != "relation":
        raise NodeNotFoundError(object_id, "relation")
    return store.edge(object_id)


def _not_owned(store: GraphStore, object_type: WritableType, object_id: str) -> None:
    """Publisher and contributor edges belong to their source: they change through it."""
    if object_type == "relation" and store.edge(object_id).type in _SOURCE_EDGES:
        owner = store.edge(object_id).source
        raise ConflictError(
            f"{object_id!r} follows source {owner!r}: "
            "change its publisher, contributors or credits",
            [owner],
        )


def _check_if_match(rep: BaseModel, object_id: str, if_match: str | None) -> None:
    if if_match is None:
        return
    current = etag(rep)
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and current not in wanted:
        raise PreconditionFailedError(object_id, current)


# -- building records from bodies -------------------------------------------------------------


class _Builder:
    """Turns a body into records against the store, collecting located problems."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.problems: list[Problem] = []

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason))

    def done(self) -> None:
        if self.problems:
            raise RecordValidationError(self.problems)

    def need(self, where: str, node_id: str | None, node_type: str) -> bool:
        if node_id is None:
            return False
        found = self.store.type_of(node_id)
        if found is None:
            self.problem(where, f"no {node_type} with id {node_id!r}")
            return False
        if found != node_type:
            self.problem(where, f"{node_id!r} is a {found}, not a {node_type}")
            return False
        return True

    def evidence(self, where: str, items: Iterable[EvidenceIn]) -> tuple[Evidence, ...]:
        out = []
        for i, ev in enumerate(items):
            here = f"{where}[{i}]"
            if not self.need(f"{here}.source", ev.source, "source"):
                continue
            try:
                start, end = locate_quote(
                    self.store.source_text(ev.source), ev.quote, ev.start, ev.end
                )
            except ValueError as exc:
                self.problem(f"{here}.quote", f"{exc}: {ev.quote[:80]!r}")
                continue
            out.append(Evidence(source=ev.source, quote=ev.quote, start=start, end=end))
        return tuple(dict.fromkeys(out))

    def supported(
        self, body: EntityIn | EventIn | RelationIn, evidence: tuple[Evidence, ...]
    ) -> None:
        if not body.evidence and not body.analyst_assertion:
            self.problem(
                "$.evidence",
                "give at least one quote (source and verbatim text), "
                'or say "analyst_assertion": true',
            )


def _mint(store: GraphStore, given: str | None, label: str, prefix: str) -> str:
    if given is not None:
        if given in store:
            raise ConflictError(
                f"id {given!r} is already used by a {store.type_of(given)}", [given]
            )
        return given
    return mint_id(label, lambda i: i in store, prefix)


def _source(
    store: GraphStore, body: SourceIn, source_id: str, old: Source | None
) -> tuple[Plan, Source]:
    b = _Builder(store)
    b.need("$.publisher", body.publisher, "entity")
    for i, person in enumerate(body.contributors):
        b.need(f"$.contributors[{i}]", person, "entity")
    if old is not None and store.source_text(source_id) != body.text:
        b.problem(
            "$.text", "a source's text cannot change (quotes point into it): register a new source"
        )
    credits = _credits(b, body, source_id)
    b.done()
    record = Source(
        id=source_id,
        label=body.title,
        publisher=body.publisher,
        published=body.published,
        contributors=tuple(dict.fromkeys(body.contributors)),
        language=body.language,
        url=body.url,
        text_file=old.text_file if old is not None else None,
        text_length=len(body.text),
        metadata_origin=body.metadata_origin,
    )
    metadata = {"origin": "metadata"}
    edges = (
        [
            Edge(
                id=f"{source_id}.published_by.{body.publisher}",
                category="relation",
                type=RelationType.PUBLISHED_BY,
                source=source_id,
                target=body.publisher,
                attributes=metadata,
                evidence=credits.get(body.publisher, ()),
            )
        ]
        if body.publisher
        else []
    )
    edges += [
        Edge(
            id=f"{source_id}.contributor.{person}",
            category="relation",
            type=RelationType.CONTRIBUTOR,
            source=source_id,
            target=person,
            attributes=metadata,
            evidence=credits.get(person, ()),
        )
        for person in record.contributors
    ]
    plan = Plan()
    plan.changes = _node_and_owned(
        store,
        record,
        edges,
        body.text if old is None else None,
        {RelationType.PUBLISHED_BY, RelationType.CONTRIBUTOR},
    )
    plan.result = record
    return plan, record


def _credits(b: _Builder, body: SourceIn, source_id: str) -> dict[str, tuple[Evidence, ...]]:
    """The quotes of the publisher and each contributor, found in the body's own text."""
    credited = {body.publisher, *body.contributors}
    found: dict[str, tuple[Evidence, ...]] = {}
    for i, credit in enumerate(body.credits):
        where = f"$.credits[{i}]"
        if credit.entity not in credited:
            b.problem(
                f"{where}.entity", f"{credit.entity!r} is neither the publisher nor a contributor"
            )
        elif credit.entity in found:
            b.problem(f"{where}.entity", f"{credit.entity!r} is credited twice")
        quotes = []
        for j, q in enumerate(credit.evidence):
            try:
                start, end = locate_quote(body.text, q.quote, q.start, q.end)
            except ValueError as exc:
                b.problem(f"{where}.evidence[{j}].quote", f"{exc}: {q.quote[:80]!r}")
                continue
            quotes.append(Evidence(source=source_id, quote=q.quote, start=start, end=end))
        found.setdefault(credit.entity, tuple(dict.fromkeys(quotes)))
    return found


def _entity(store: GraphStore, body: EntityIn, entity_id: str) -> Entity:
    b = _Builder(store)
    identifiers: list[Identifier] = []
    if body.iso3166 is not None:
        if body.kind != EntityKind.STATE:
            b.problem("$.iso3166", "only states have ISO 3166 codes")
        try:
            identifiers.extend(country_identifiers(body.iso3166))
        except LookupError as exc:
            b.problem("$.iso3166", str(exc))
    identifiers += [
        Identifier(scheme=i.scheme, value=i.value, origin=i.origin) for i in body.identifiers
    ]
    evidence = b.evidence("$.evidence", body.evidence)
    if not body.unnamed:
        b.supported(body, evidence)
    b.done()
    return Entity(
        id=entity_id,
        kind=body.kind,
        label=body.label,
        aliases=tuple(dict.fromkeys(a for a in body.aliases if a != body.label)),
        unnamed=body.unnamed,
        description=body.description,
        identifiers=tuple(dict.fromkeys(identifiers)),
        evidence=evidence,
        analyst_assertion=body.analyst_assertion,
    )


def _event_date(
    b: _Builder, body: EventIn, evidence: tuple[Evidence, ...], event_id: str
) -> EventDate | None:
    spec = body.date
    if spec.rule == "relative_to_event":
        if spec.anchor is None or spec.offset_days is None:
            b.problem("$.date", "relative_to_event needs 'anchor' and 'offset_days'")
            return None
        if spec.anchor == event_id:
            b.problem("$.date.anchor", "an event cannot be dated relative to itself")
            return None
        if not b.need("$.date.anchor", spec.anchor, "event"):
            return None
        try:
            result = resolve_relative(
                spec.expression, spec.anchor, b.store.event(spec.anchor).date, spec.offset_days
            )
        except DateResolutionError as exc:
            b.problem("$.date.offset_days", str(exc))
            return None
    else:
        if spec.anchor is not None or spec.offset_days is not None:
            b.problem(
                "$.date", f"'anchor' and 'offset_days' belong to relative_to_event, not {spec.rule}"
            )
            return None
        if evidence:
            published = b.store.source(evidence[0].source).published
        elif spec.rule == "undated":
            published = dt.date.min
        else:
            b.problem(
                "$.date.rule",
                f"{spec.rule} resolves against a source's publication date: "
                "give evidence, or use 'undated'",
            )
            return None
        try:
            result = resolve_date(spec.rule, spec.expression, published)
        except DateResolutionError as exc:
            b.problem("$.date.rule", str(exc))
            return None
    if spec.value is not None and spec.value != result.value:
        b.problem(
            "$.date.value", f"{spec.value} does not match {spec.rule}, which gives {result.value}"
        )
        return None
    return result


def _event(
    store: GraphStore, body: EventIn, event_id: str, keep_date: EventDate | None
) -> tuple[Event, list[Edge]]:
    b = _Builder(store)
    codes = cameo_codes()
    if body.cameo is not None and body.cameo not in codes:
        b.problem("$.cameo", f"unknown CAMEO code {body.cameo!r}")
    try:
        check_cameo_note(body.cameo, body.cameo_note)
    except ValueError as exc:
        b.problem("$.cameo_note", str(exc))
    evidence = b.evidence("$.evidence", body.evidence)
    b.supported(body, evidence)
    date = keep_date if keep_date is not None else _event_date(b, body, evidence, event_id)
    quantities = []
    for j, q in enumerate(body.quantities):
        if q.value is None and q.qualifier != QuantityQualifier.SMALL_NUMBER:
            b.problem(
                f"$.quantities[{j}].value", "only a small_number quantity may leave its value null"
            )
        quantities.append(
            Quantity(
                value=q.value,
                unit=q.unit,
                qualifier=q.qualifier,
                measure=q.measure,
                text=q.text,
                evidence=b.evidence(f"$.quantities[{j}].evidence", q.evidence),
            )
        )
    b.need("$.place", body.place, "entity")
    roles: dict[str, Edge] = {}
    for j, part in enumerate(body.participants):
        where = f"$.participants[{j}]"
        if part.role == Role.PLACE:
            b.problem(f"{where}.role", "give the place as the event's 'place' field")
            continue
        b.need(f"{where}.entity", part.entity, "entity")
        edge_id = f"{event_id}.{part.role.value}.{part.entity}"
        if edge_id in roles:
            b.problem(where, f"{part.entity!r} is already a {part.role.value} of this event")
        own = b.evidence(f"{where}.evidence", part.evidence)
        roles[edge_id] = Edge(
            id=edge_id,
            category="role",
            type=part.role,
            source=event_id,
            target=part.entity,
            evidence=own or evidence,
            analyst_assertion=body.analyst_assertion and not own and not evidence,
        )
    if body.place is not None:
        edge_id = f"{event_id}.place.{body.place}"
        roles[edge_id] = Edge(
            id=edge_id,
            category="role",
            type=Role.PLACE,
            source=event_id,
            target=body.place,
            evidence=evidence,
            analyst_assertion=body.analyst_assertion and not evidence,
        )
    b.done()
    assert date is not None
    event = Event(
        id=event_id,
        kind=body.kind,
        label=body.label,
        cameo=None if body.cameo is None else codes[body.cameo],
        cameo_note=body.cameo_note,
        modality=body.modality,
        date=date,
        place=body.place,
        quantities=tuple(quantities),
        evidence=evidence,
        analyst_assertion=body.analyst_assertion,
    )
    return event, list(roles.values())


def _relation(store: GraphStore, body: RelationIn, edge_id: str | None) -> Edge:
    b = _Builder(store)
    if body.type in _SOURCE_EDGES:
        b.problem(
            "$.type", f"{body.type.value} edges come from a source's publisher and contributors"
        )
    for end, node_id in (("source", body.source), ("target", body.target)):
        found = store.type_of(node_id)
        if found not in ("entity", "event"):
            b.problem(f"$.{end}", f"no entity or event with id {node_id!r}")
    evidence = b.evidence("$.evidence", body.evidence)
    b.supported(body, evidence)
    b.done()
    if edge_id is None:
        title = body.attributes.get("title")
        suffix = f".{mint_id(title, lambda i: False)}" if title else ""
        edge_id = body.id or f"{body.source}.{body.type.value}.{body.target}{suffix}"
        if store.has_edge(edge_id):
            raise ConflictError(
                f"relation {edge_id!r} already exists: PATCH it to add evidence", [edge_id]
            )
    return Edge(
        id=edge_id,
        category="relation",
        type=body.type,
        source=body.source,
        target=body.target,
        attributes=dict(body.attributes),
        evidence=evidence,
        analyst_assertion=body.analyst_assertion,
    )


def _node_and_owned(
    store: GraphStore,
    record: Source | Event,
    owned: list[Edge],
    text: str | None,
    owned_types: set[str],
) -> list[Change]:
    """Changes that write a node and exactly the edges it owns (its roles, its metadata)."""
    changes: list[Change] = []
    new = {e.id: e for e in owned}
    before_node = record_json(store.node(record.id)) if record.id in store else None
    old_owned = (
        [e for e in store.out_edges(record.id) if e.type in owned_types] if before_node else []
    )
    for e in old_owned:
        if e.id not in new:
            changes.append(Change.delete("edge", e.id, record_json(e)))
    if before_node != record_json(record) or text is not None:
        changes.append(Change.put(record, before_node, text))
    for e in owned:
        before = record_json(store.edge(e.id)) if store.has_edge(e.id) else None
        if before != record_json(e):
            changes.append(Change.put(e, before))
    return changes


_ROLE_TYPES = {r.value for r in Role}
_SOURCE_EDGES = {RelationType.PUBLISHED_BY.value, RelationType.CONTRIBUTOR.value}


def _parse(object_type: WritableType, body: Mapping[str, Any]) -> Any:
    try:
        return _BODIES[object_type].model_validate(body)
    except ValidationError as exc:
        raise RecordValidationError(
            [Problem(_json_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        ) from None


def _json_path(loc: Iterable[int | str]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def plan_create(store: GraphStore, object_type: WritableType, body: Mapping[str, Any]) -> Plan:
    """Plan the creation of an object from a JSON body.

    Raises :class:`RecordValidationError` (with every problem located by JSON path) or
    :class:`ConflictError` (an id in use).
    """
    parsed = _parse(object_type, body)
    return _build(store, object_type, parsed, None)


def _build(
    store: GraphStore,
    object_type: WritableType,
    parsed: Any,
    object_id: str | None,
    keep_date: EventDate | None = None,
) -> Plan:
    if isinstance(parsed, SourceIn):
        old = store.source(object_id) if object_id else None
        sid = object_id or _mint(store, parsed.id, parsed.title, "source")
        return _source(store, parsed, sid, old)[0]
    if isinstance(parsed, EntityIn):
        eid = object_id or _mint(store, parsed.id, parsed.label, str(parsed.kind))
        record = _entity(store, parsed, eid)
        before = record_json(store.entity(eid)) if object_id else None
        changes = [] if before == record_json(record) else [Change.put(record, before)]
        return Plan(changes, record)
    if isinstance(parsed, EventIn):
        vid = object_id or _mint(store, parsed.id, parsed.label, "event")
        event, roles = _event(store, parsed, vid, keep_date)
        changes = _node_and_owned(store, event, roles, None, _ROLE_TYPES)
        return Plan(changes, _detail(store, event, roles))
    assert isinstance(parsed, RelationIn)
    edge = _relation(store, parsed, object_id)
    before = record_json(store.edge(object_id)) if object_id else None
    return Plan([] if before == record_json(edge) else [Change.put(edge, before)], edge)


def _detail(store: GraphStore, event: Event, roles: list[Edge]) -> EventDetail:
    """The event as :func:`event_detail` will answer once the write is applied: role edges it
    keeps stay where they are, new ones follow in the order given (so the answer's ETag is
    the one a GET gives next)."""
    roles = sorted(
        roles, key=lambda e: (0, store.edge_rank(e.id)) if store.has_edge(e.id) else (1, 0)
    )
    return detail_of(store, event, roles)


def _as_body(store: GraphStore, object_type: WritableType, object_id: str) -> dict[str, Any]:
    """The body that would create the object as it stands (for patches)."""

    def ev(items: Iterable[Evidence]) -> list[dict[str, Any]]:
        return [e.model_dump(mode="json") for e in items]

    if object_type == "source":
        s = store.source(object_id)
        credits = [
            {"entity": e.target, "evidence": quotes}
            for e in store.out_edges(object_id)
            if e.type in _SOURCE_EDGES
            and (quotes := [_quote(q) for q in e.evidence if q.source == object_id])
        ]
        return {
            "title": s.label,
            "published": s.published.isoformat(),
            "url": s.url,
            "text": store.source_text(object_id),
            "publisher": s.publisher,
            "contributors": list(s.contributors),
            "credits": list({c["entity"]: c for c in credits}.values()),
            "language": s.language,
            "metadata_origin": s.metadata_origin,
        }
    if object_type == "entity":
        e = store.entity(object_id)
        return {
            "kind": e.kind.value,
            "label": e.label,
            "aliases": list(e.aliases),
            "unnamed": e.unnamed,
            "description": e.description,
            "identifiers": [i.model_dump() for i in e.identifiers],
            "evidence": ev(e.evidence),
            "analyst_assertion": e.analyst_assertion,
        }
    if object_type == "event":
        v = store.event(object_id)
        parts = [
            {
                "entity": r.target,
                "role": r.type,
                "evidence": ev(r.evidence) if r.evidence != v.evidence else [],
            }
            for r in store.out_edges(object_id)
            if r.category == "role" and r.type != Role.PLACE
        ]
        return {
            "kind": v.kind.value,
            "label": v.label,
            "cameo": None if v.cameo is None else v.cameo.code,
            "cameo_note": v.cameo_note,
            "modality": v.modality.value,
            "place": v.place,
            "participants": parts,
            "quantities": [
                {**q.model_dump(mode="json"), "evidence": ev(q.evidence)} for q in v.quantities
            ],
            "evidence": ev(v.evidence),
            "analyst_assertion": v.analyst_assertion,
        }
    r = store.edge(object_id)
    return {
        "id": r.id,
        "type": r.type,
        "source": r.source,
        "target": r.target,
        "attributes": {k: str(v) for k, v in r.attributes.items()},
        "evidence": ev(r.evidence),
        "analyst_assertion": r.analyst_assertion,
    }


def _listed(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _quote(ev: Evidence) -> dict[str, Any]:
    return {"quote": ev.quote, "start": ev.start, "end": ev.end}


def plan_update(
    store: GraphStore,
    object_type: WritableType,
    object_id: str,
    patch: Mapping[str, Any],
    if_match: str | None = None,
) -> Plan:
    """Plan a partial update: the fields in ``patch`` replace the object's own.

    Raises :class:`NodeNotFoundError`, :class:`PreconditionFailedError` (``if_match`` no longer
    matches), :class:`RecordValidationError` or :class:`ConflictError`.
    """
    _check_if_match(representation(store, object_type, object_id), object_id, if_match)
    _not_owned(store, object_type, object_id)
    if "id" in patch and patch["id"] != object_id:
        raise RecordValidationError([Problem("$.id", "an id cannot change")])
    body = {
        **_as_body(store, object_type, object_id),
        **{k: v for k, v in patch.items() if k != "id"},
    }
    if object_type == "relation":
        body["id"] = object_id
    if object_type == "source" and "credits" not in patch:
        # A publisher or contributor the patch removes takes its quotes with it.
        credited = {*_listed([body.get("publisher")]), *_listed(body.get("contributors"))}
        body["credits"] = [c for c in body["credits"] if c["entity"] in credited]
    keep_date = None
    if object_type == "event" and "date" not in patch:
        keep_date = store.event(object_id).date
    parsed = _parse(object_type, body)
    return _build(store, object_type, parsed, object_id, keep_date)


def plan_delete(
    store: GraphStore,
    object_type: WritableType,
    object_id: str,
    *,
    cascade: bool = False,
    if_match: str | None = None,
) -> Plan:
    """Plan a deletion.

    Whatever still refers to the object is a :class:`ConflictError` listing it, unless
    ``cascade`` (entities and events: the referring relations and roles go too, and events and
    sources drop the reference). A source quoted by any record cannot be deleted.
    """
    _check_if_match(representation(store, object_type, object_id), object_id, if_match)
    _not_owned(store, object_type, object_id)
    if object_type == "relation":
        return Plan([Change.delete("edge", object_id, record_json(store.edge(object_id)))])
    node = store.node(object_id)
    owned = (
        _ROLE_TYPES
        if object_type == "event"
        else _SOURCE_EDGES
        if object_type == "source"
        else set()
    )
    changes: list[Change] = []
    refs: list[Edge] = []
    touching = {e.id: e for e in [*store.out_edges(object_id), *store.in_edges(object_id)]}
    for e in touching.values():  # a self-loop leaves and enters: once
        if e.source == object_id and e.type in owned:
            changes.append(Change.delete("edge", e.id, record_json(e)))
        else:
            refs.append(e)
    if object_type == "source":
        quoting = store.quoting(object_id)
        if quoting:
            raise ConflictError(
                f"source {object_id!r} is quoted by {len(quoting)} record(s); "
                f"delete or change them first: {', '.join(quoting[:20])}",
                quoting,
            )
    if refs and not cascade:
        ids = [e.id for e in refs]
        raise ConflictError(
            f"{object_type} {object_id!r} is referred to by {len(ids)} edge(s): "
            f"{', '.join(ids[:20])}; delete them first or use cascade=true",
            ids,
        )
    updated: dict[str, Any] = {}
    for e in refs:
        changes.append(Change.delete("edge", e.id, record_json(e)))
        owner = store.node(e.source)
        current = updated.get(owner.id, owner)
        if isinstance(current, Event) and e.type == Role.PLACE:
            updated[owner.id] = current.model_copy(update={"place": None})
        elif isinstance(current, Source) and e.type == RelationType.PUBLISHED_BY:
            updated[owner.id] = current.model_copy(update={"publisher": None})
        elif isinstance(current, Source) and e.type == RelationType.CONTRIBUTOR:
            kept = tuple(c for c in current.contributors if c != object_id)
            updated[owner.id] = current.model_copy(update={"contributors": kept})
    for owner_id, record in updated.items():
        changes.append(Change.put(record, record_json(store.node(owner_id))))
    changes.append(
        Change.delete(node.node_type, object_id, record_json(node, _text(store, node.id)))
    )
    return Plan(changes)


def _text(store: GraphStore, node_id: str) -> str | None:
    return store.source_text(node_id) if store.type_of(node_id) == "source" else None
