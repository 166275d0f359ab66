"""Planning an import: check every record read from a file, then add or update, all or nothing.

Imported records obey the rules of every write (:mod:`graph.validation`): text that every
export can carry, bounded lengths, vocabularies of the model, quotes verbatim against their
source's text (a text from the import itself or one already in the store), references to nodes
that exist (in the store or in the import) and have the right type, CAMEO codes of the
codebook (:func:`graph.reference.cameo_codes`, which also supplies name and scores), or no code
and a ``cameo_note`` saying why.

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

:class:`ImportPlanner` does this in bounded memory: :meth:`~ImportPlanner.add` checks a record
on its own and stages it (its JSON, where it came from, the nodes it names, its quotes) in the
import's workspace, a batch at a time; :meth:`~ImportPlanner.check` runs the checks across
records and against the store with a few queries over the staged records, and decides for each
one; :meth:`~ImportPlanner.batches` hands the changes to the store in batches.
"""

from __future__ import annotations

import datetime as dt
import json
import marshal
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    model_serializer,
)

from graph.changes import ObjectType, RenderedChange, record_json
from graph.dates import DATE_RULES
from graph.errors import Problem, RecordValidationError
from graph.imports._items import Item, Where
from graph.imports._workspace import Workspace
from graph.model import (
    Edge,
    EdgeCategory,
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

__all__ = ["MAX_IMPORT_ITEMS", "ImportPlanner", "ImportProblem", "ImportReport", "plan_import"]

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
    """A CAMEO code as an export writes it; the codebook, not the file, supplies the rest (and
    the row is written as the codebook's entry, see :func:`_record_json`)."""

    code: str = Field(pattern=r"^[0-9]{2,4}$")
    name: str | None = None
    goldstein: float | None = None
    quad_class: int | None = None
    origin: str | None = None

    @model_serializer(mode="wrap")
    def _as_in_the_codebook(self, write: SerializerFunctionWrapHandler) -> Any:
        found = _codebook_json().get(self.code)
        return found if found is not None else write(self)


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
    cameo: _CameoRow | None = None
    cameo_note: Line | None = None
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


@cache
def _codebook_json() -> dict[str, dict[str, Any]]:
    return {code: entry.model_dump(mode="json") for code, entry in cameo_codes().items()}


def _distinct_evidence(items: Sequence[_EvidenceRow]) -> bool:
    return len(items) < 2 or len({(e.source, e.quote, e.start, e.end) for e in items}) == len(items)


def _record_json(row: _EntityRow | _EventRow | _EdgeRow) -> str | None:
    """The record's JSON written straight from its row, when the row is already as the record
    has it (no repeated alias, identifier or quote; an event's code is in the codebook): the
    rows' fields are the records' fields, in the same order. None otherwise."""
    if not _distinct_evidence(row.evidence):
        return None
    if isinstance(row, _EntityRow):
        aliases = row.aliases
        if row.label in aliases or len(set(aliases)) != len(aliases):
            return None
        if len(row.identifiers) > 1 and len(set(row.identifiers)) != len(row.identifiers):
            return None
    elif isinstance(row, _EventRow):
        if row.cameo is not None and row.cameo.code not in _codebook_json():
            return None
        if not all(_distinct_evidence(q.evidence) for q in row.quantities):
            return None
    return row.model_dump_json()


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


def _where_blob(where: Where) -> bytes:
    return marshal.dumps((where.name, where.line, dict(where.lines), where.json_path))


def _where(blob: bytes) -> Where:
    name, line, lines, json_path = marshal.loads(blob)
    return Where(name, line=line, lines=lines, json_path=json_path)


_STAGING = """
CREATE TABLE staged_nodes (
    idx INTEGER PRIMARY KEY, id TEXT NOT NULL, node_type TEXT NOT NULL,
    body TEXT NOT NULL, text TEXT, at BLOB NOT NULL, decision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE staged_edges (
    idx INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL,
    target TEXT NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL, body TEXT NOT NULL,
    at BLOB NOT NULL, decision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE staged_refs (idx INTEGER, path TEXT, node_id TEXT, allowed TEXT);
CREATE TABLE staged_evidence (
    idx INTEGER, edge INTEGER, path TEXT, source TEXT, quote TEXT, start INTEGER, "end" INTEGER
);
"""
_ADD, _CHANGE, _SAME, _BAD = 0, 1, 2, 3
"""What the import does with a staged record (its ``decision``)."""
_STAGE_BATCH = 2048
_PARSE, _CHECK, _LINKS = 0, 1, 2
"""The order problems are listed in: reading, then records (nodes, then edges), then links."""


class ImportPlanner:
    """Plans an import record by record, in bounded memory (see the module's docstring).

    :meth:`add` checks each record on its own and stages it in the workspace; :meth:`check`
    runs the checks across records and against the store (under the service's write lock) and
    decides, for each record, add, change or leave alone; :meth:`batches` then hands the
    changes over in batches, and :meth:`report` says what was (or would be) done.
    """

    def __init__(self, fmt: str, workspace: Workspace) -> None:
        self.fmt = fmt
        self.ws = workspace
        self.codes = cameo_codes()
        self.items = 0
        self.problems: list[tuple[tuple[int, int, int, int], Problem]] = []
        self.bad: set[int] = set()
        self.rejected: Counter[str] = Counter()  # records refused before staging, by type
        self.counts: dict[str, Counter[str]] = {}
        self.count = 0
        self._nodes: list[tuple[Any, ...]] = []
        self._edges: list[tuple[Any, ...]] = []
        self._refs: list[tuple[Any, ...]] = []
        self._evidence: list[tuple[Any, ...]] = []
        self._created = False
        self._staged: tuple[int, set[int]] | None = None
        self._current = (0, 0)

    # -- problems ----------------------------------------------------------------------------

    def problem(self, where: Where, path: str, reason: str, phase: int = _CHECK) -> None:
        """A problem with the current record (see :meth:`about`)."""
        group, index = self._current
        key = (phase, group if phase == _CHECK else 0, index, len(self.problems))
        self.problems.append((key, Problem(where.at(path), reason)))
        self.bad.add(index)

    def about(self, index: int, group: int = 0) -> None:
        self._current = (group, index)

    # -- one record at a time: shape, vocabularies, lengths, safe text -------------------------

    def add(self, item: Item) -> None:
        """Check one record on its own and stage it."""
        index = self.items
        self.items += 1
        self.about(index)
        data = item.data
        if item.kind == "node":
            node_type = data.get("node_type") if isinstance(data, dict) else None
            model = _NODE_ROWS.get(node_type) if isinstance(node_type, str) else None
            if model is None:
                self.problem(item.where, ".node_type", "must be entity, event or source", _PARSE)
                self.rejected["node"] += 1
                return
            kind = str(node_type)
        else:
            model, kind = _EdgeRow, "edge"
        try:
            row: Any = model.__pydantic_validator__.validate_python(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self.problem(item.where, _path(err["loc"]), err["msg"], _PARSE)
            self.rejected[kind] += 1
            return
        where = item.where
        if kind == "edge":
            self.stage_edge(index, where, row)
        else:
            self.stage_node(index, where, row)
        if len(self._nodes) + len(self._edges) >= _STAGE_BATCH:
            self.flush()

    def stage_node(self, index: int, where: Where, row: _NodeRow) -> None:
        self.about(index, 0)
        text: str | None = None
        if not isinstance(row, _SourceRow):
            self.evidence_rows(index, ".evidence", row.evidence)
        if isinstance(row, _EntityRow):
            if not row.unnamed:
                self.supported(where, row)
            body = _record_json(row) or self.entity(row).model_dump_json()
        elif isinstance(row, _EventRow):
            self.check_event(index, where, row)
            if row.cameo is not None and row.cameo.code not in self.codes:
                body = row.model_dump_json()  # refused: never rendered as a record
            else:
                body = _record_json(row) or self.event(row).model_dump_json()
        else:
            self.source_refs(index, row)
            text = row.text
            body = row.model_dump_json(exclude={"text"})
        self._nodes.append((index, row.id, row.node_type, body, text, _where_blob(where), _ADD))

    def stage_edge(self, index: int, where: Where, row: _EdgeRow) -> None:
        self.about(index, 1)
        if row.category == "role":
            if row.type not in _ROLES:
                self.problem(where, ".type", f"unknown role {row.type!r}")
        elif row.type not in _RELATIONS:
            self.problem(where, ".type", f"unknown relation type {row.type!r}")
        if row.type not in _SOURCE_LINKS:
            self.supported(where, row)
        else:
            for i, ev in enumerate(row.evidence):
                if ev.source != row.source:
                    self.problem(
                        where,
                        f".evidence[{i}].source",
                        f"a {row.type} edge quotes its own source's text (the byline), "
                        f"{row.source!r}, not {ev.source!r}",
                    )
        self.evidence_rows(index, ".evidence", row.evidence, edge=1)
        body = _record_json(row) or self.edge(row).model_dump_json()
        self._edges.append(
            (
                index,
                row.id,
                row.source,
                row.target,
                row.type,
                row.category,
                body,
                _where_blob(where),
                _ADD,
            )
        )

    def evidence_rows(
        self, index: int, path: str, items: Sequence[_EvidenceRow], edge: int = 0
    ) -> None:
        for i, ev in enumerate(items):
            self._evidence.append(
                (index, edge, f"{path}[{i}]", ev.source, ev.quote, ev.start, ev.end)
            )

    def source_refs(self, index: int, row: _SourceRow) -> None:
        if row.publisher is not None:
            self._refs.append((index, ".publisher", row.publisher, "entity"))
        for i, person in enumerate(row.contributors):
            self._refs.append((index, f".contributors[{i}]", person, "entity"))

    def supported(self, where: Where, row: Any) -> None:
        if not row.evidence and not row.analyst_assertion:
            self.problem(
                where,
                ".evidence",
                'give at least one quote, or say "analyst_assertion": true',
            )

    def check_event(self, index: int, where: Where, row: _EventRow) -> None:
        code = None if row.cameo is None else row.cameo.code
        if code is not None and code not in self.codes:
            self.problem(where, ".cameo.code", f"unknown CAMEO code {code!r}")
        try:
            check_cameo_note(code, row.cameo_note)
        except ValueError as exc:
            self.problem(where, ".cameo_note", str(exc))
        date = row.date
        if date.rule not in DATE_RULES and date.rule != "relative_to_event":
            known = ", ".join([*DATE_RULES, "relative_to_event"])
            self.problem(where, ".date.rule", f"unknown date rule {date.rule!r}; known: {known}")
        if date.start and date.end and date.start > date.end:
            self.problem(where, ".date.end", f"ends ({date.end}) before it starts ({date.start})")
        self.supported(where, row)
        if row.place is not None:
            self._refs.append((index, ".place", row.place, "entity"))
        for j, q in enumerate(row.quantities):
            if q.value is None and q.qualifier != QuantityQualifier.SMALL_NUMBER:
                self.problem(
                    where,
                    f".quantities[{j}].value",
                    "only a small_number quantity may leave its value null",
                )
            self.evidence_rows(index, f".quantities[{j}].evidence", q.evidence)

    def flush(self) -> None:
        """Write the buffered records to the workspace."""
        ws = self.ws
        if not self._created:
            for statement in _STAGING.split(";"):
                if statement.strip():
                    ws.execute(statement)
            self._created = True
        ws.insert("staged_nodes", self._nodes)
        ws.insert("staged_edges", self._edges)
        ws.insert("staged_refs", self._refs)
        ws.insert("staged_evidence", self._evidence)
        self._nodes, self._edges, self._refs, self._evidence = [], [], [], []

    def index_staged(self) -> None:
        """Index the staged records by id (faster at once than record by record) and refuse
        each record whose id came before: the first read with an id stays."""
        ws = self.ws
        for table, kind in (("staged_nodes", "s.node_type"), ("staged_edges", "'edge'")):
            ws.execute(f"CREATE INDEX {table}_id ON {table} (id)")
            repeated = list(
                ws.rows(
                    f"SELECT s.idx, s.id, s.at, {kind}, f.at FROM {table} s"
                    f" JOIN (SELECT id, min(idx) AS first FROM {table} GROUP BY id"
                    " HAVING count(*) > 1) d ON d.id = s.id"
                    f" JOIN {table} f ON f.idx = d.first WHERE s.idx != d.first"
                )
            )
            for index, object_id, at, object_type, first in repeated:
                self.about(index)
                self.problem(
                    _where(at),
                    ".id",
                    f"{object_id!r} comes twice in the import ({_where(first).at()})",
                    _PARSE,
                )
                self.rejected[object_type] += 1
            gone = [(row[0],) for row in repeated]
            for staged in ("staged_refs", "staged_evidence", table):
                ws.conn.executemany(f"DELETE FROM {staged} WHERE idx = ?", gone)

    # -- records ------------------------------------------------------------------------------

    def entity(self, row: _EntityRow) -> Entity:
        return Entity.model_construct(
            id=row.id,
            kind=row.kind,
            label=row.label,
            aliases=tuple(dict.fromkeys(a for a in row.aliases if a != row.label)),
            unnamed=row.unnamed,
            description=row.description,
            identifiers=tuple(
                Identifier.model_construct(scheme=s, value=v, origin=o)
                for s, v, o in dict.fromkeys((i.scheme, i.value, i.origin) for i in row.identifiers)
            ),
            evidence=_evidence(row.evidence),
            analyst_assertion=row.analyst_assertion,
        )

    def event(self, row: _EventRow) -> Event:
        d = row.date
        return Event.model_construct(
            id=row.id,
            kind=row.kind,
            label=row.label,
            cameo=None if row.cameo is None else self.codes[row.cameo.code],
            cameo_note=row.cameo_note,
            modality=row.modality,
            date=EventDate.model_construct(
                expression=d.expression,
                value=d.value,
                start=d.start,
                end=d.end,
                granularity=d.granularity,
                rule=d.rule,
                note=d.note,
            ),
            place=row.place,
            quantities=tuple(
                Quantity.model_construct(
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

    @staticmethod
    def edge(row: _EdgeRow) -> Edge:
        return Edge.model_construct(
            id=row.id,
            category=row.category,
            type=row.type,
            source=row.source,
            target=row.target,
            attributes=dict(row.attributes),
            evidence=_evidence(row.evidence),
            analyst_assertion=row.analyst_assertion,
        )

    # -- across records and against the store --------------------------------------------------

    def check(self, store: GraphStore) -> None:
        """Check references, quotes and sources across the import and the store, and decide
        what happens to each record, after the last :meth:`add`. Checking again (a write that
        found the store moved on) forgets what the last check found."""
        self.flush()
        ws = self.ws
        if self._staged is None:
            self.index_staged()
            self._staged = (len(self.problems), set(self.bad))
        else:
            found, bad = self._staged
            del self.problems[found:]
            self.bad = set(bad)
            ws.execute("UPDATE staged_nodes SET decision = 0")
            ws.execute("UPDATE staged_edges SET decision = 0")
        conflicted = self.check_stored_types(store) if store.node_count() else set()
        self.check_refs(store, conflicted)
        self.check_edges(store)
        self.check_evidence(store, conflicted)
        self.check_sources(store, conflicted)
        self.check_source_links(store)
        ws.conn.executemany(
            "UPDATE staged_nodes SET decision = 3 WHERE idx = ?", [(i,) for i in self.bad]
        )
        ws.conn.executemany(
            "UPDATE staged_edges SET decision = 3 WHERE idx = ?", [(i,) for i in self.bad]
        )
        self.decide(store)

    def type_of(self, store: GraphStore, node_id: str, staged: str | None) -> str | None:
        return staged if staged is not None else store.type_of(node_id)

    def need(
        self, where: Where, path: str, node_id: str, found: str | None, types: Sequence[str]
    ) -> None:
        if found is None:
            self.problem(where, path, f"no {' or '.join(types)} with id {node_id!r}")
        elif found not in types:
            self.problem(where, path, f"{node_id!r} is a {found}, not a {' or '.join(types)}")

    def where_of(self, index: int, table: str = "staged_nodes") -> Where:
        row = self.ws.one(f"SELECT at FROM {table} WHERE idx = ?", (index,))
        assert row is not None
        return _where(row[0])

    def check_stored_types(self, store: GraphStore) -> set[int]:
        conflicted: set[int] = set()
        for index, node_id, node_type in self.ws.rows(
            "SELECT idx, id, node_type FROM staged_nodes"
        ):
            stored = store.type_of(node_id)
            if stored is not None and stored != node_type:
                self.about(index, 0)
                self.problem(self.where_of(index), ".id", f"{node_id!r} is a {stored} in the store")
                conflicted.add(index)
        return conflicted

    def check_refs(self, store: GraphStore, conflicted: set[int]) -> None:
        for index, path, node_id, allowed, staged in self.ws.rows(
            "SELECT r.idx, r.path, r.node_id, r.allowed, n.node_type FROM staged_refs r"
            " LEFT JOIN staged_nodes n ON n.id = r.node_id"
        ):
            if index in conflicted:
                continue
            types = allowed.split("|")
            found = self.type_of(store, node_id, staged)
            if found not in types:
                self.about(index, 0)
                self.need(self.where_of(index), path, node_id, found, types)

    def check_edges(self, store: GraphStore) -> None:
        type_of = store.type_of
        for index, edge_type, category, source, target, staged_s, staged_t in self.ws.rows(
            "SELECT e.idx, e.type, e.category, e.source, e.target, s.node_type, t.node_type"
            " FROM staged_edges e LEFT JOIN staged_nodes s ON s.id = e.source"
            " LEFT JOIN staged_nodes t ON t.id = e.target",
            size=8192,
        ):
            s_type = staged_s if staged_s is not None else type_of(source)
            t_type = staged_t if staged_t is not None else type_of(target)
            wanted: tuple[tuple[str, ...], tuple[str, ...]]
            if category == "role":
                wanted = (("event",), ("entity",))
            elif edge_type not in _RELATIONS:
                continue
            elif edge_type in _SOURCE_LINKS:
                wanted = (("source",), ("entity",))
            else:
                wanted = (_ENDS, _ENDS)
            if s_type in wanted[0] and t_type in wanted[1]:
                continue
            self.about(index, 1)
            where = self.where_of(index, "staged_edges")
            self.need(where, ".source", source, s_type, wanted[0])
            self.need(where, ".target", target, t_type, wanted[1])

    def check_evidence(self, store: GraphStore, conflicted: set[int]) -> None:
        """Every quote against its source's text (each text read once: rows come by source)."""
        current: str | None = None
        text: str | None = None
        found: str | None = None
        for index, edge, path, source, quote, start, end, staged, has_text in self.ws.rows(
            'SELECT v.idx, v.edge, v.path, v.source, v.quote, v.start, v."end",'
            " n.node_type, n.text IS NOT NULL FROM staged_evidence v"
            " LEFT JOIN staged_nodes n ON n.id = v.source ORDER BY v.source",
            size=8192,
        ):
            if source != current:
                current = source
                found = self.type_of(store, source, staged)
                text = None
                if has_text:
                    row = self.ws.one("SELECT text FROM staged_nodes WHERE id = ?", (source,))
                    text = row[0] if row is not None else None
                elif found == "source" and store.type_of(source) == "source":
                    text = store.source_text(source)
            if index in conflicted:
                continue
            if found != "source" or text is None or end > len(text) or text[start:end] != quote:
                self.about(index, edge)
                self.quote_problem(
                    index,
                    edge,
                    path=path,
                    source=source,
                    found=found,
                    text=text,
                    quote=quote,
                    start=start,
                    end=end,
                )

    def quote_problem(
        self,
        index: int,
        table: int,
        *,
        path: str,
        source: str,
        found: str | None,
        text: str | None,
        quote: str,
        start: int,
        end: int,
    ) -> None:
        where = self.where_of(index, "staged_edges" if table else "staged_nodes")
        if found != "source":
            self.need(where, f"{path}.source", source, found, ("source",))
        elif text is None:
            self.problem(where, f"{path}.source", f"source {source!r} has no text")
        else:
            try:
                locate_quote(text, quote, start, end)
            except ValueError as exc:
                self.problem(where, f"{path}.quote", f"{exc}: {quote[:80]!r}")

    def check_sources(self, store: GraphStore, conflicted: set[int]) -> None:
        rendered = []
        for index, source_id, body, text, at in list(
            self.ws.rows(
                "SELECT idx, id, body, text, at FROM staged_nodes WHERE node_type = 'source'"
            )
        ):
            if index in conflicted:
                continue
            self.about(index, 0)
            where = _where(at)
            row = _SourceRow.model_validate_json(body)
            in_store = store.type_of(source_id) == "source"
            if text is None and not in_store:
                self.problem(
                    where, ".text", "a new source needs its full text (quotes point into it)"
                )
            if text is not None and in_store and store.source_text(source_id) != text:
                self.problem(
                    where,
                    ".text",
                    "a source's text cannot change (quotes point into it): use a new id",
                )
            full = text if text is not None else store.source_text(source_id) if in_store else None
            if row.text_length is not None and full is not None and row.text_length != len(full):
                self.problem(
                    where,
                    ".text_length",
                    f"{row.text_length} is not the text's length, {len(full)}",
                )
            if full is None:
                continue
            text_file = row.text_file
            if text_file is None and in_store:
                text_file = store.source(source_id).text_file
            record = Source.model_construct(
                id=row.id,
                label=row.label,
                publisher=row.publisher,
                published=row.published,
                contributors=tuple(dict.fromkeys(row.contributors)),
                language=row.language,
                url=row.url,
                text_file=text_file,
                text_length=len(full),
                metadata_origin=row.metadata_origin,
            )
            rendered.append((record.model_dump_json(), index))
        self.ws.conn.executemany("UPDATE staged_nodes SET body = ? WHERE idx = ?", rendered)

    def owner(self, store: GraphStore, owner_id: str) -> Any:
        """The record of a source an edge names: the import's, else the store's."""
        row = self.ws.one(
            "SELECT body FROM staged_nodes WHERE id = ? AND node_type = 'source'", (owner_id,)
        )
        if row is not None:
            return json.loads(row[0])
        if store.type_of(owner_id) == "source":
            return record_json(store.source(owner_id))
        return None

    def link_problem(
        self, store: GraphStore, owner_id: str, edge_type: str, target: str
    ) -> str | None:
        """Why a source's publisher or contributor edge disagrees with the source's record."""
        owner = self.owner(store, owner_id)
        if owner is None:
            return None
        if edge_type == RelationType.PUBLISHED_BY and owner.get("publisher") != target:
            return f"source {owner_id!r} is published by {owner.get('publisher')!r}, not {target!r}"
        if edge_type == RelationType.CONTRIBUTOR and target not in owner.get("contributors", []):
            return f"{target!r} is not among the contributors of source {owner_id!r}"
        return None

    def check_source_links(self, store: GraphStore) -> None:
        links = ", ".join(f"'{t}'" for t in sorted(_SOURCE_LINKS))
        for index, source, edge_type, target in list(
            self.ws.rows(
                f"SELECT idx, source, type, target FROM staged_edges WHERE type IN ({links})"
            )
        ):
            reason = self.link_problem(store, source, edge_type, target)
            if reason is not None:
                self.about(index, 1)
                self.problem(self.where_of(index, "staged_edges"), ".target", reason)
        for index, source_id, at in list(
            self.ws.rows("SELECT idx, id, at FROM staged_nodes WHERE node_type = 'source'")
        ):
            if source_id not in store or store.type_of(source_id) != "source":
                continue
            for edge in store.out_edges(source_id):
                staged = self.ws.one("SELECT 1 FROM staged_edges WHERE id = ?", (edge.id,))
                if staged is not None:
                    continue
                reason = self.link_problem(store, source_id, edge.type, edge.target)
                if reason is not None:
                    self.about(index, 2)
                    key = (_LINKS, 0, index, len(self.problems))
                    location = _where(at).at("")
                    self.problems.append(
                        (key, Problem(location, f"{reason} (edge {edge.id!r} in the store)"))
                    )
                    self.bad.add(index)

    def decide(self, store: GraphStore) -> None:
        """Add, change or leave each good record; count them by type."""
        counts: dict[str, Counter[str]] = {k: Counter() for k in ("added", "changed", "unchanged")}
        ws = self.ws
        for table, kind in (("staged_nodes", "node_type"), ("staged_edges", "'edge'")):
            for object_type, decision, n in ws.rows(
                f"SELECT {kind}, decision, count(*) FROM {table} GROUP BY 1, 2"
            ):
                if decision == _ADD:
                    counts["added"][object_type] += n
        if store.node_count() or store.edge_count():
            counts = {k: Counter() for k in counts}
            self.compare(store, counts)
        self.counts = counts
        self.count = sum(counts["added"].values()) + sum(counts["changed"].values())

    def compare(self, store: GraphStore, counts: dict[str, Counter[str]]) -> None:
        """Decide against the store's records: new, changed or the same."""
        queries = (
            (
                "staged_nodes",
                "SELECT idx, id, node_type, body FROM staged_nodes WHERE decision != 3",
            ),
            ("staged_edges", "SELECT idx, id, 'edge', body FROM staged_edges WHERE decision != 3"),
        )
        for table, query in queries:
            decisions = []
            for index, object_id, object_type, body in self.ws.rows(query):
                if object_type == "edge":
                    stored: Any = store.edge(object_id) if store.has_edge(object_id) else None
                else:
                    stored = store.node(object_id) if object_id in store else None
                if stored is None:
                    counts["added"][object_type] += 1
                elif _canonical(json.loads(body)) == _canonical(record_json(stored)):
                    decisions.append((_SAME, index))
                    counts["unchanged"][object_type] += 1
                else:
                    decisions.append((_CHANGE, index))
                    counts["changed"][object_type] += 1
            self.ws.conn.executemany(f"UPDATE {table} SET decision = ? WHERE idx = ?", decisions)

    # -- the result ---------------------------------------------------------------------------

    def batches(self, store: GraphStore) -> Iterator[list[RenderedChange]]:
        """The changes, nodes then edges, each in the order read, in batches."""
        ws = self.ws
        batch: list[RenderedChange] = []
        for object_id, node_type, body, text, decision in ws.rows(
            "SELECT id, node_type, body, text, decision FROM staged_nodes"
            " WHERE decision IN (0, 1) ORDER BY idx",
            size=8192,
        ):
            before = record_json(store.node(object_id)) if decision == _CHANGE else None
            batch.append(
                RenderedChange(
                    "update" if before is not None else "create",
                    node_type,
                    object_id,
                    body,
                    text if before is None else None,  # a new source's text; a text never changes
                    _dumps(before) if before is not None else None,
                )
            )
            if len(batch) >= _STAGE_BATCH * 4:
                yield batch
                batch = []
        for object_id, source, target, body, decision in ws.rows(
            "SELECT id, source, target, body, decision FROM staged_edges"
            " WHERE decision IN (0, 1) ORDER BY idx",
            size=8192,
        ):
            before = record_json(store.edge(object_id)) if decision == _CHANGE else None
            batch.append(
                RenderedChange(
                    "update" if before is not None else "create",
                    "edge",
                    object_id,
                    body,
                    None,
                    _dumps(before) if before is not None else None,
                    (source, target),
                )
            )
            if len(batch) >= _STAGE_BATCH * 4:
                yield batch
                batch = []
        if batch:
            yield batch

    def report(self, dry_run: bool) -> ImportReport:
        """What the import does (or would do, in a dry run), with every problem, in order."""
        rejected = Counter(self.rejected)
        for table, kind in (("staged_nodes", "node_type"), ("staged_edges", "'edge'")):
            if self._created:
                for object_type, n in self.ws.rows(
                    f"SELECT {kind}, count(*) FROM {table} WHERE decision = 3 GROUP BY 1"
                ):
                    rejected[object_type] += n
        counts = self.counts or {k: Counter() for k in ("added", "changed", "unchanged")}
        return ImportReport(
            format=self.fmt,
            dry_run=dry_run,
            items=self.items,
            added=_by_type(counts["added"]),
            changed=_by_type(counts["changed"]),
            unchanged=_by_type(counts["unchanged"]),
            rejected=_by_type(rejected),
            problems=[ImportProblem(location=p.location, reason=p.reason) for p in self.ordered()],
        )

    def ordered(self) -> list[Problem]:
        """Every problem: reading first, then each record's, nodes before edges."""
        return [problem for _, problem in sorted(self.problems, key=lambda pair: pair[0])]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ENDS = ("entity", "event")


def _evidence(items: Sequence[_EvidenceRow]) -> tuple[Evidence, ...]:
    if len(items) == 1:
        e = items[0]
        return (Evidence.model_construct(source=e.source, quote=e.quote, start=e.start, end=e.end),)
    return tuple(
        Evidence.model_construct(source=s, quote=q, start=a, end=b)
        for s, q, a, b in dict.fromkeys((e.source, e.quote, e.start, e.end) for e in items)
    )


def _by_type(counter: Counter[str]) -> dict[str, int]:
    """Counts by object type; records whose type could not be told apart count as ``node``."""
    counts: dict[str, int] = {t: counter[t] for t in _OBJECT_TYPES}
    if counter["node"]:
        counts["node"] = counter["node"]
    return counts


def plan_import(
    store: GraphStore,
    items: Iterable[Item],
    fmt: str,
    *,
    dry_run: bool = False,
) -> Plan:
    """Plan the import of records read from a file, as one list of changes (small imports).

    Returns a :class:`~graph.writes.Plan` whose result is an :class:`ImportReport`. Raises
    :class:`~graph.errors.RecordValidationError` listing every problem, unless ``dry_run``: then
    the report lists them, and the plan holds no changes. Large imports go through
    :class:`ImportPlanner` and the service's bulk write instead.

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
    with Workspace() as workspace:
        planner = ImportPlanner(fmt, workspace)
        for item in items:
            planner.add(item)
        planner.check(store)
        if planner.problems and not dry_run:
            raise RecordValidationError(planner.ordered())
        report = planner.report(dry_run)
        if dry_run:
            return Plan([], report)
        changes = [c.change() for batch in planner.batches(store) for c in batch]
        return Plan(changes, report)
