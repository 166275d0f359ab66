"""Planning an import: check every record read from a file, then add or update, all or nothing.

Imported records obey the rules of every write (:mod:`graph.validation`): text that every
export can carry, bounded lengths, vocabularies of the model, quotes verbatim against their
source's text (a text from the import itself or one already in the store), references to nodes
that exist (in the store or in the import) and have the right type, CAMEO codes of the
codebook (:func:`graph.reference.cameo_codes`, which also supplies name and scores).

Each record is then compared with the store:

- an id the store does not hold is **added** (nodes first, then edges);
- an id the store holds with an equal record is **unchanged** and not written;
- an id the store holds with another record is **changed**: the import replaces it (as a PUT
  would). A source's text cannot change (quotes point into it).

Lists that some formats do not order (aliases, contributors, evidence) are compared as sets,
and a source without ``text_file`` keeps the stored one, so importing a store's own export in
any format changes nothing. Imports never delete. Any problem refuses the whole import with a
:class:`~graph.errors.RecordValidationError` listing every problem, each located (JSON path,
line, id or IRI); a dry run reports them instead.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from graph.changes import Change, ObjectType, record_json
from graph.dates import DATE_RULES
from graph.errors import Problem, RecordValidationError
from graph.imports._items import Item, Where
from graph.model import (
    Edge,
    EdgeCategory,
    Entity,
    Event,
    EventDate,
    Evidence,
    Identifier,
    Node,
    NodeId,
    Quantity,
    Source,
)
from graph.ontology import (
    EntityKind,
    EventKind,
    Granularity,
    Modality,
    QuantityQualifier,
    RelationType,
    Role,
)
from graph.reference import cameo_codes
from graph.store import GraphStore
from graph.validation import (
    LIMITS,
    AttributeName,
    Label,
    Line,
    LongText,
    Quote,
    SourceText,
    Url,
    locate_quote,
)
from graph.writes import EdgeId, Plan

__all__ = ["MAX_IMPORT_ITEMS", "ImportProblem", "ImportReport", "plan_import"]

MAX_IMPORT_ITEMS = 2_000_000
"""Most records (nodes and edges) one import may hold (``import_items`` in ``GET /limits``)."""

_ITEMS = LIMITS["list_items"]
_OBJECT_TYPES: tuple[ObjectType, ...] = ("source", "entity", "event", "edge")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _EvidenceRow(_Row):
    source: NodeId
    quote: Quote
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class _IdentifierRow(_Row):
    scheme: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    value: Line
    origin: Line


class _EntityRow(_Row):
    node_type: Literal["entity"]
    id: NodeId
    kind: EntityKind
    label: Label
    aliases: list[Label] = Field(default=[], max_length=_ITEMS)
    unnamed: bool = False
    description: LongText | None = None
    identifiers: list[_IdentifierRow] = Field(default=[], max_length=_ITEMS)
    evidence: list[_EvidenceRow] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


class _CameoRow(_Row):
    """A CAMEO code as an export writes it; the codebook, not the file, supplies the rest."""

    code: str = Field(pattern=r"^[0-9]{2,4}$")
    name: str | None = None
    goldstein: float | None = None
    quad_class: int | None = None
    origin: str | None = None


class _DateRow(_Row):
    expression: Line | None = None
    value: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    granularity: Granularity | None = None
    rule: Line
    note: LongText | None = None


class _QuantityRow(_Row):
    value: float | None
    unit: Line
    qualifier: QuantityQualifier
    measure: Line
    text: Line
    evidence: list[_EvidenceRow] = Field(min_length=1, max_length=_ITEMS)


class _EventRow(_Row):
    node_type: Literal["event"]
    id: NodeId
    kind: EventKind
    label: Label
    cameo: _CameoRow
    modality: Modality
    date: _DateRow
    place: NodeId | None = None
    quantities: list[_QuantityRow] = Field(default=[], max_length=_ITEMS)
    evidence: list[_EvidenceRow] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


class _SourceRow(_Row):
    node_type: Literal["source"]
    id: NodeId
    kind: Literal["news_article"] = "news_article"
    label: Label
    publisher: NodeId | None = None
    published: dt.date
    contributors: list[NodeId] = Field(default=[], max_length=_ITEMS)
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")] = "en"
    url: Url | None = None
    text_file: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")] | None
    ) = None
    text_length: int | None = Field(default=None, ge=0)
    metadata_origin: Line
    text: SourceText | None = None


class _EdgeRow(_Row):
    id: EdgeId
    category: EdgeCategory
    type: str
    source: NodeId
    target: NodeId
    attributes: dict[AttributeName, Line] = Field(default={}, max_length=LIMITS["attributes"])
    evidence: list[_EvidenceRow] = Field(default=[], max_length=_ITEMS)
    analyst_assertion: bool = False


_NodeRow = _EntityRow | _EventRow | _SourceRow
_NODE_ROWS: dict[str, type[_Row]] = {
    "entity": _EntityRow,
    "event": _EventRow,
    "source": _SourceRow,
}
_RELATIONS = {t.value for t in RelationType}
_ROLES = {r.value for r in Role}
_SOURCE_LINKS = {RelationType.PUBLISHED_BY.value, RelationType.CONTRIBUTOR.value}


class ImportProblem(BaseModel):
    """One thing wrong in an import: where (JSON path, line, id or IRI) and why."""

    location: str
    reason: str


class ImportReport(BaseModel):
    """What an import did, or would do (``dry_run``): counts by object type, and problems."""

    format: str = Field(description="The format read.")
    dry_run: bool = Field(description="True if nothing was written.")
    items: int = Field(description="Records read (nodes and edges).")
    added: dict[str, int] = Field(description="New objects, by type.")
    changed: dict[str, int] = Field(description="Objects replaced by the import's record.")
    unchanged: dict[str, int] = Field(description="Objects the store already holds as they are.")
    rejected: dict[str, int] = Field(description="Records with at least one problem.")
    problems: list[ImportProblem] = Field(description="Every problem found, located.")


@dataclass
class _Parsed:
    index: int
    row: Any
    where: Where


def _path(loc: Iterable[int | str]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON with the lists some formats do not order sorted, for comparison."""
    out = dict(body)
    for key in ("aliases", "contributors"):
        if key in out:
            out[key] = sorted(out[key])
    if "evidence" in out:
        out["evidence"] = sorted(
            out["evidence"], key=lambda e: (e["source"], e["start"], e["end"], e["quote"])
        )
    if "quantities" in out:
        out["quantities"] = [_canonical(q) for q in out["quantities"]]
    return out


class _Planner:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.problems: list[Problem] = []
        self.bad: set[int] = set()
        self.types: list[str] = []
        self.nodes: dict[str, _Parsed] = {}
        self.edges: dict[str, _Parsed] = {}
        self.codes = cameo_codes()
        self.current = -1

    def problem(self, where: Where, path: str, reason: str) -> None:
        self.problems.append(Problem(where.at(path), reason))
        self.bad.add(self.current)

    # -- one record at a time: shape, vocabularies, lengths, safe text -------------------------

    def parse(self, index: int, item: Item) -> None:
        self.current = index
        data = item.data
        if item.kind == "node":
            node_type = data.get("node_type") if isinstance(data, dict) else None
            model = _NODE_ROWS.get(node_type) if isinstance(node_type, str) else None
            self.types.append(str(node_type) if model is not None else "node")
            if model is None:
                self.problem(item.where, ".node_type", "must be entity, event or source")
                return
            into = self.nodes
        else:
            self.types.append("edge")
            model, into = _EdgeRow, self.edges
        try:
            row = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self.problem(item.where, _path(err["loc"]), err["msg"])
            return
        object_id: str = row.id  # type: ignore[attr-defined]
        if object_id in into:
            first = into[object_id].where.at()
            self.problem(item.where, ".id", f"{object_id!r} comes twice in the import ({first})")
            return
        into[object_id] = _Parsed(index, row, item.where)

    # -- across records: references, quotes, codes ------------------------------------------

    def type_of(self, node_id: str) -> str | None:
        parsed = self.nodes.get(node_id)
        return parsed.row.node_type if parsed is not None else self.store.type_of(node_id)

    def text_of(self, source_id: str) -> str | None:
        parsed = self.nodes.get(source_id)
        text = getattr(parsed.row, "text", None) if parsed is not None else None
        if text is not None:
            return str(text)
        if self.store.type_of(source_id) == "source":
            return self.store.source_text(source_id)
        return None

    def need(self, where: Where, path: str, node_id: str | None, *types: str) -> None:
        if node_id is None:
            return
        found = self.type_of(node_id)
        if found is None:
            self.problem(where, path, f"no {' or '.join(types)} with id {node_id!r}")
        elif found not in types:
            self.problem(where, path, f"{node_id!r} is a {found}, not a {' or '.join(types)}")

    def evidence(self, where: Where, path: str, items: Sequence[_EvidenceRow]) -> None:
        for i, ev in enumerate(items):
            if self.type_of(ev.source) != "source":
                self.need(where, f"{path}[{i}].source", ev.source, "source")
                continue
            text = self.text_of(ev.source)
            if text is None:
                self.problem(where, f"{path}[{i}].source", f"source {ev.source!r} has no text")
                continue
            try:
                locate_quote(text, ev.quote, ev.start, ev.end)
            except ValueError as exc:
                self.problem(where, f"{path}[{i}].quote", f"{exc}: {ev.quote[:80]!r}")

    def supported(self, where: Where, row: Any) -> None:
        if not row.evidence and not row.analyst_assertion:
            self.problem(
                where,
                ".evidence",
                'give at least one quote, or say "analyst_assertion": true',
            )

    def check(self) -> None:
        for parsed in self.nodes.values():
            self.current = parsed.index
            row, where = parsed.row, parsed.where
            stored = self.store.type_of(row.id)
            if stored is not None and stored != row.node_type:
                self.problem(where, ".id", f"{row.id!r} is a {stored} in the store")
                continue
            if isinstance(row, _EntityRow):
                self.evidence(where, ".evidence", row.evidence)
                if not row.unnamed:
                    self.supported(where, row)
            elif isinstance(row, _EventRow):
                self.check_event(where, row)
            else:
                self.check_source(where, row)
        for parsed in self.edges.values():
            self.current = parsed.index
            self.check_edge(parsed.where, parsed.row)
        for parsed in self.nodes.values():
            self.current = parsed.index
            if parsed.row.node_type == "source" and parsed.row.id in self.store:
                self.check_stored_links(parsed.where, parsed.row)

    def check_event(self, where: Where, row: _EventRow) -> None:
        if row.cameo.code not in self.codes:
            self.problem(where, ".cameo.code", f"unknown CAMEO code {row.cameo.code!r}")
        date = row.date
        if date.rule not in DATE_RULES and date.rule != "relative_to_event":
            known = ", ".join([*DATE_RULES, "relative_to_event"])
            self.problem(where, ".date.rule", f"unknown date rule {date.rule!r}; known: {known}")
        if date.start and date.end and date.start > date.end:
            self.problem(where, ".date.end", f"ends ({date.end}) before it starts ({date.start})")
        self.evidence(where, ".evidence", row.evidence)
        self.supported(where, row)
        self.need(where, ".place", row.place, "entity")
        for j, q in enumerate(row.quantities):
            if q.value is None and q.qualifier != QuantityQualifier.SMALL_NUMBER:
                self.problem(
                    where,
                    f".quantities[{j}].value",
                    "only a small_number quantity may leave its value null",
                )
            self.evidence(where, f".quantities[{j}].evidence", q.evidence)

    def check_source(self, where: Where, row: _SourceRow) -> None:
        self.need(where, ".publisher", row.publisher, "entity")
        for i, person in enumerate(row.contributors):
            self.need(where, f".contributors[{i}]", person, "entity")
        in_store = self.store.type_of(row.id) == "source"
        if row.text is None and not in_store:
            self.problem(where, ".text", "a new source needs its full text (quotes point into it)")
        if row.text is not None and in_store and self.store.source_text(row.id) != row.text:
            self.problem(
                where, ".text", "a source's text cannot change (quotes point into it): use a new id"
            )
        text = self.text_of(row.id)
        if row.text_length is not None and text is not None and row.text_length != len(text):
            self.problem(
                where, ".text_length", f"{row.text_length} is not the text's length, {len(text)}"
            )

    def check_edge(self, where: Where, row: _EdgeRow) -> None:
        if row.category == "role":
            if row.type not in _ROLES:
                self.problem(where, ".type", f"unknown role {row.type!r}")
            self.need(where, ".source", row.source, "event")
            self.need(where, ".target", row.target, "entity")
        elif row.type not in _RELATIONS:
            self.problem(where, ".type", f"unknown relation type {row.type!r}")
        elif row.type in _SOURCE_LINKS:
            self.need(where, ".source", row.source, "source")
            self.need(where, ".target", row.target, "entity")
        else:
            self.need(where, ".source", row.source, "entity", "event")
            self.need(where, ".target", row.target, "entity", "event")
        self.evidence(where, ".evidence", row.evidence)
        if row.type not in _SOURCE_LINKS:
            self.supported(where, row)
        reason = self.link_problem(row.source, row.type, row.target)
        if reason is not None:
            self.problem(where, ".target", reason)

    def link_problem(self, owner_id: str, edge_type: str, target: str) -> str | None:
        """Why a source's publisher or contributor edge disagrees with the source's record."""
        parsed = self.nodes.get(owner_id)
        owner: Any = parsed.row if parsed is not None else None
        if owner is None and owner_id in self.store:
            owner = self.store.node(owner_id)
        if edge_type == RelationType.PUBLISHED_BY and isinstance(owner, _SourceRow | Source):
            if owner.publisher != target:
                return f"source {owner_id!r} is published by {owner.publisher!r}, not {target!r}"
        elif (
            edge_type == RelationType.CONTRIBUTOR
            and isinstance(owner, _SourceRow | Source)
            and target not in owner.contributors
        ):
            return f"{target!r} is not among the contributors of source {owner_id!r}"
        return None

    def check_stored_links(self, where: Where, row: _SourceRow) -> None:
        """An updated source must still agree with the edges it owns in the store."""
        for edge in self.store.out_edges(row.id):
            if edge.id in self.edges:
                continue
            reason = self.link_problem(row.id, edge.type, edge.target)
            if reason is not None:
                self.problem(where, "", f"{reason} (edge {edge.id!r} in the store)")

    # -- records and changes ------------------------------------------------------------------

    def node_record(self, row: _NodeRow) -> tuple[Node, str | None]:
        if isinstance(row, _EntityRow):
            entity = Entity(
                id=row.id,
                kind=row.kind,
                label=row.label,
                aliases=tuple(dict.fromkeys(a for a in row.aliases if a != row.label)),
                unnamed=row.unnamed,
                description=row.description,
                identifiers=tuple(
                    dict.fromkeys(Identifier(**i.model_dump()) for i in row.identifiers)
                ),
                evidence=_evidence(row.evidence),
                analyst_assertion=row.analyst_assertion,
            )
            return entity, None
        if isinstance(row, _EventRow):
            event = Event(
                id=row.id,
                kind=row.kind,
                label=row.label,
                cameo=self.codes[row.cameo.code],
                modality=row.modality,
                date=EventDate(**row.date.model_dump()),
                place=row.place,
                quantities=tuple(
                    Quantity(
                        value=q.value,
                        unit=q.unit,
                        qualifier=q.qualifier,
                        measure=q.measure,
                        text=q.text,
                        evidence=_evidence(q.evidence),
                    )
                    for q in row.quantities
                ),
                evidence=_evidence(row.evidence),
                analyst_assertion=row.analyst_assertion,
            )
            return event, None
        text = self.text_of(row.id)
        assert text is not None
        text_file = row.text_file
        if text_file is None and self.store.type_of(row.id) == "source":
            text_file = self.store.source(row.id).text_file
        source = Source(
            id=row.id,
            label=row.label,
            publisher=row.publisher,
            published=row.published,
            contributors=tuple(dict.fromkeys(row.contributors)),
            language=row.language,
            url=row.url,
            text_file=text_file,
            text_length=len(text),
            metadata_origin=row.metadata_origin,
        )
        return source, text

    def changes(self) -> tuple[list[Change], dict[str, Counter[str]]]:
        counts: dict[str, Counter[str]] = {k: Counter() for k in ("added", "changed", "unchanged")}
        changes: list[Change] = []
        for parsed in self.nodes.values():
            if parsed.index in self.bad:
                continue
            record, text = self.node_record(parsed.row)
            before = record_json(self.store.node(record.id)) if record.id in self.store else None
            self.decide(changes, counts, record, before, text)
        for parsed in self.edges.values():
            if parsed.index in self.bad:
                continue
            row = parsed.row
            edge = Edge(
                id=row.id,
                category=row.category,
                type=row.type,
                source=row.source,
                target=row.target,
                attributes=dict(row.attributes),
                evidence=_evidence(row.evidence),
                analyst_assertion=row.analyst_assertion,
            )
            stored = self.store.has_edge(edge.id)
            self.decide(
                changes, counts, edge, record_json(self.store.edge(edge.id)) if stored else None
            )
        return changes, counts

    @staticmethod
    def decide(
        changes: list[Change],
        counts: dict[str, Counter[str]],
        record: Node | Edge,
        before: dict[str, Any] | None,
        text: str | None = None,
    ) -> None:
        object_type = "edge" if isinstance(record, Edge) else record.node_type
        if before is None:
            changes.append(Change.put(record, None, text))
            counts["added"][object_type] += 1
        elif _canonical(before) == _canonical(record_json(record)):
            counts["unchanged"][object_type] += 1
        else:
            changes.append(Change.put(record, before))
            counts["changed"][object_type] += 1


def _evidence(items: Sequence[_EvidenceRow]) -> tuple[Evidence, ...]:
    return tuple(
        dict.fromkeys(
            Evidence(source=e.source, quote=e.quote, start=e.start, end=e.end) for e in items
        )
    )


def _by_type(counter: Counter[str]) -> dict[str, int]:
    """Counts by object type; records whose type could not be told apart count as ``node``."""
    counts: dict[str, int] = {t: counter[t] for t in _OBJECT_TYPES}
    if counter["node"]:
        counts["node"] = counter["node"]
    return counts


def plan_import(
    store: GraphStore,
    items: Sequence[Item],
    fmt: str,
    *,
    dry_run: bool = False,
) -> Plan:
    """Plan the import of records read from a file (see the module's docstring).

    Returns a :class:`~graph.writes.Plan` whose result is an :class:`ImportReport`. Raises
    :class:`~graph.errors.RecordValidationError` listing every problem, unless ``dry_run``: then
    the report lists them, and the plan holds no changes.

    Examples
    --------
    >>> from graph.imports._items import Item, Where
    >>> kyiv = {"node_type": "entity", "id": "kyiv", "kind": "place", "label": "Kyiv",
    ...         "analyst_assertion": True}
    >>> plan = plan_import(GraphStore(), [Item("node", kyiv, Where("$.nodes[0]", json_path=True))],
    ...                    "json")
    >>> [c.op for c in plan.changes], plan.result.added["entity"]
    (['create'], 1)
    >>> kyiv["label"] = "Kyiv\\x00"
    >>> plan_import(GraphStore(), [Item("node", kyiv, Where("$.nodes[0]", json_path=True))],
    ...             "json")
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): $.nodes[0].label: Value error, control \
character U+0000 at offset 4; remove it
    """
    planner = _Planner(store)
    for index, item in enumerate(items):
        planner.parse(index, item)
    planner.check()
    if planner.problems and not dry_run:
        raise RecordValidationError(planner.problems)
    changes, counts = planner.changes()
    report = ImportReport(
        format=fmt,
        dry_run=dry_run,
        items=len(items),
        added=_by_type(counts["added"]),
        changed=_by_type(counts["changed"]),
        unchanged=_by_type(counts["unchanged"]),
        rejected=_by_type(Counter(planner.types[i] for i in planner.bad)),
        problems=[ImportProblem(location=p.location, reason=p.reason) for p in planner.problems],
    )
    return Plan([] if dry_run else changes, report)
