"""From an article's text to a proposal set: the stages, timed, and the proposals built from
what they found, linked to what the graph already holds.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from graph.dates import resolve_date
from graph.ingest.events import FoundEvent, find_events
from graph.ingest.mentions import Cluster, Mentions, find_mentions
from graph.ingest.proposals import ProposalItem, ProposalSet, SkippedSpan, Span
from graph.ingest.text import boilerplate, fold, sentences
from graph.model import EventDate
from graph.ontology import EntityKind, EventKind, Modality
from graph.reference import cameo_codes
from graph.store import GraphStore
from graph.validation import mint_id

__all__ = ["MAX_CANDIDATES", "MAX_ITEM_QUOTES", "MAX_PROPOSALS", "OPPOSED", "read_article"]

MAX_CANDIDATES = 200
"""Events of one entity compared with a new one at most (the latest in load order)."""
_SLACK = dt.timedelta(days=3)
_SIDE_ROLES = ("actor", "according_to", "place", "target", "participant")

MAX_PROPOSALS = 3_000
"""Items one set proposes at most (an article's first ones, in text order of kind): a long
real article gives about 1,500; a text made to repeat itself stops here, and the set says
how many were left out."""

MAX_ITEM_QUOTES = 20
"""Quotes one proposed item carries at most (its first mentions): a record holds at most
``LIMITS["list_items"]`` pieces of evidence, and a reviewer reads a few."""

OPPOSED: dict[EventKind, frozenset[EventKind]] = {
    EventKind.WITHDRAWAL: frozenset(
        {EventKind.TROOP_MOVEMENT, EventKind.DEPLOYMENT, EventKind.MILITARY_ACTION}
    ),
    EventKind.TROOP_MOVEMENT: frozenset({EventKind.WITHDRAWAL}),
    EventKind.DEPLOYMENT: frozenset({EventKind.WITHDRAWAL}),
    EventKind.MILITARY_ACTION: frozenset({EventKind.WITHDRAWAL}),
}
"""Kinds of event that contradict each other when the same side is said to do both at the
same time ('moving to the border' against 'returning to bases'): a proposed ``disputes``."""

_SYMMETRIC = frozenset({EventKind.MEETING, EventKind.TALKS})
"""Kinds where actor and participant are the two sides alike: who met whom."""


def _span(text: str, a: int, b: int) -> Span:
    return Span(start=a, end=b, quote=text[a:b])


def _evidence(source: str, spans: list[Span]) -> list[dict[str, Any]]:
    return [{"source": source, "quote": s.quote, "start": s.start, "end": s.end} for s in spans]


class _Builder:
    def __init__(
        self,
        text: str,
        source: str,
        store: GraphStore | None,
        taken: Callable[[str], bool],
    ) -> None:
        self.text = text
        self.source = source
        self.store = store
        self.taken_outside = taken
        self.minted: set[str] = set()
        self.suffix: dict[str, int] = {}
        self.adding: dict[str, ProposalItem] = {}
        self.listed: dict[
            tuple[str, tuple[str, ...]], list[tuple[str, str, dt.date | None, dt.date | None]]
        ] = {}
        """Items adding evidence to a node the graph holds, by the node's id."""
        self.items: list[ProposalItem] = []
        self.entity_ids: dict[str, str] = {}
        """cluster key -> graph id (existing or minted)."""
        self.entity_items: dict[str, str] = {}
        """cluster key -> item id of a new entity."""
        self.state_of: dict[str, str] = {}
        """cluster key -> cluster key of the state it belongs to."""

    def taken(self, node_id: str) -> bool:
        return node_id in self.minted or self.taken_outside(node_id)

    def mint(self, label: str, prefix: str) -> str:
        """A free id from the label; a base minted before goes on from its last number, so
        an article with many like events costs one probe each, not one per earlier twin."""
        base = mint_id(label, lambda _: False, prefix)
        n = self.suffix.get(base, 1)
        new = base if n == 1 else f"{base}-{n}"
        while self.taken(new):
            n += 1
            new = f"{base}-{n}"
        self.suffix[base] = n + 1
        self.minted.add(new)
        return new

    def evidence_for(
        self, kind: str, node_id: str, spans: list[Span], confidence: float, rule: str
    ) -> ProposalItem:
        """One item of new quotes for a node the graph holds, however many mentions or
        reports of it the article has (the first item's rule and confidence stand)."""
        held = self.adding.get(node_id)
        if held is None:
            held = self.adding[node_id] = self.add(
                type=kind,
                action="add_evidence",
                existing=node_id,
                record={"evidence": []},
                confidence=confidence,
                rule=rule,
                evidence=[],
            )
        seen = {(s.start, s.end) for s in held.evidence}
        for span in spans:
            if (span.start, span.end) not in seen and len(held.evidence) < MAX_ITEM_QUOTES:
                seen.add((span.start, span.end))
                held.evidence.append(span)
        held.record = {"evidence": _evidence(self.source, held.evidence)}
        return held

    def add(self, **fields: Any) -> ProposalItem:
        if fields["action"] == "create":
            fields["proposed_id"] = fields["record"]["id"]
        item = ProposalItem(id=f"p{len(self.items) + 1}", **fields)
        self.items.append(item)
        return item

    # entities

    def entities(self, found: Mentions) -> None:
        for c in found.clusters.values():
            if not c.mentions:
                continue
            spans = [_span(self.text, m.start, m.end) for m in c.mentions]
            spans = list({(s.start, s.end): s for s in spans}.values())[:MAX_ITEM_QUOTES]
            if c.state is not None:
                self.state_of[c.key] = c.state
            if c.linked is not None:
                self.entity_ids[c.key] = c.linked
                self.evidence_for("entity", c.linked, spans, c.confidence, c.rule)
                continue
            node_id = self.mint(c.label, c.kind.value)
            self.entity_ids[c.key] = node_id
            aliases = sorted(a for a in c.aliases if a != c.label)
            record = {
                "node_type": "entity",
                "id": node_id,
                "kind": c.kind.value,
                "label": c.label,
                "aliases": aliases,
                "unnamed": c.unnamed,
                "description": None,
                "identifiers": [],
                "evidence": _evidence(self.source, spans),
                "analyst_assertion": False,
            }
            item = self.add(
                type="entity",
                action="create",
                record=record,
                confidence=c.confidence,
                rule=c.rule,
                evidence=spans,
            )
            self.entity_items[c.key] = item.id

    def titles(self, found: Mentions) -> None:
        for c in found.clusters.values():
            for title, of, start, end in c.titles:
                if of is None or of not in self.entity_ids or c.key not in self.entity_ids:
                    continue
                person, body = self.entity_ids[c.key], self.entity_ids[of]
                edge_id = f"{person}.holds_position.{body}"
                if self.store is not None and (
                    self.store.has_edge(edge_id)
                    or (
                        person in self.store
                        and body in self.store
                        and any(
                            e.type in ("holds_position", "head_of")
                            for e in self.store.edges_between(person, body)
                        )
                    )
                ):
                    continue
                span = _span(self.text, start, end)
                self.add(
                    type="relation",
                    action="create",
                    record={
                        "id": edge_id,
                        "category": "relation",
                        "type": "holds_position",
                        "source": person,
                        "target": body,
                        "attributes": {"title": title},
                        "evidence": _evidence(self.source, [span]),
                        "analyst_assertion": False,
                    },
                    confidence=0.8,
                    rule="a title before or beside a name",
                    evidence=[span],
                    needs=self.needs([c.key, of]),
                )

    def needs(self, keys: list[str]) -> list[str]:
        return list(dict.fromkeys(self.entity_items[k] for k in keys if k in self.entity_items))

    # events

    def events(self, found: list[FoundEvent], clusters: dict[str, Cluster]) -> None:
        event_items: dict[int, str] = {}
        event_ids: dict[int, str] = {}
        for index, e in enumerate(found):
            span = _span(self.text, *e.quote)
            roles: list[tuple[str, str, Span]] = []
            seen: set[tuple[str, str]] = set()
            for role, key, mention in e.roles:
                if key not in self.entity_ids or (role, key) in seen:
                    continue
                seen.add((role, key))
                a, b = min(mention.start, e.trigger[0]), max(mention.end, e.trigger[1])
                roles.append((role, key, _span(self.text, a, b)))
            existing = self.same_event(e, roles)
            if existing is not None:
                item = self.evidence_for(
                    "event",
                    existing,
                    [span],
                    round(e.confidence * 0.9, 2),
                    e.rule + "; the same event as one the graph holds",
                )
                event_items[index] = item.id
                event_ids[index] = existing
                continue
            label = self.label(e, roles, clusters)
            event_id = self.mint(label[:60], "event")
            event_ids[index] = event_id
            date = e.date or resolve_date("undated", None, dt.date(2000, 1, 1))
            record = {
                "node_type": "event",
                "id": event_id,
                "kind": e.kind.value,
                "label": label,
                "cameo": cameo_codes()[e.cameo].model_dump(mode="json") if e.cameo else None,
                **({} if e.cameo else {"cameo_note": e.cameo_note}),
                "modality": e.modality.value,
                "date": _date_json(date),
                "place": next(
                    (
                        self.entity_ids[k]
                        for r, k, _ in roles
                        if r == "place" and clusters[k].kind == EntityKind.PLACE
                    ),
                    None,
                ),
                "quantities": [
                    {
                        "value": q.value,
                        "unit": q.unit,
                        "qualifier": q.qualifier.value,
                        "measure": q.measure,
                        "text": self.text[q.start : q.end],
                        "evidence": _evidence(self.source, [_span(self.text, q.start, q.end)]),
                    }
                    for q in e.quantities
                ],
                "evidence": _evidence(self.source, [span]),
                "analyst_assertion": False,
            }
            role_edges = [
                {
                    "id": f"{event_id}.{role}.{self.entity_ids[key]}",
                    "category": "role",
                    "type": role,
                    "source": event_id,
                    "target": self.entity_ids[key],
                    "attributes": {},
                    "evidence": _evidence(self.source, [rspan]),
                    "analyst_assertion": False,
                }
                for role, key, rspan in roles
            ]
            item = self.add(
                type="event",
                action="create",
                record=record,
                roles=role_edges,
                confidence=e.confidence,
                rule=e.rule,
                evidence=[span],
                needs=self.needs([key for _, key, _ in roles]),
            )
            event_items[index] = item.id
            self.disputes(e, event_id, item, roles)
        for index, e in enumerate(found):
            if e.anchor is not None and index in event_items and e.anchor in event_items:
                item = self.items[int(event_items[index][1:]) - 1]
                if item.action == "create" and e.anchor != index:
                    anchor_item = event_items[e.anchor]
                    if anchor_item not in item.needs and anchor_item != item.id:
                        item.needs.append(anchor_item)

    def label(
        self, e: FoundEvent, roles: list[tuple[str, str, Span]], clusters: dict[str, Cluster]
    ) -> str:
        """A short label: who, the trigger's words, whom ('Olaf Scholz met Volodymyr
        Zelenskyy'); the reviewer may edit it."""

        def name(key: str) -> str:
            c = clusters[key]
            if c.linked is not None and self.store is not None:
                return self.store.entity(c.linked).label
            return c.label

        by_role = {r: name(k) for r, k, _ in reversed(roles)}
        words = [by_role.get("actor", ""), " ".join(self.text[e.trigger[0] : e.trigger[1]].split())]
        other = by_role.get("target") or by_role.get("participant")
        if other:
            words.append(other)
        label = " ".join(w for w in words if w)
        return label if len(label) <= 120 else label[:117].rsplit(" ", 1)[0] + "…"

    def sides(self, entity_ids: list[str]) -> set[str]:
        """The states the entities belong to (themselves, for states), from the index."""
        out: set[str] = set()
        if self.store is None:
            return set(entity_ids)
        for node_id in entity_ids:
            out.add(node_id)
            if node_id not in self.store:
                continue
            for relation in ("part_of", "holds_position", "head_of", "affiliated_with"):
                out.update(self.store.neighbours_by(node_id, "out", relation))
        return out

    def same_event(self, e: FoundEvent, roles: list[tuple[str, str, Span]]) -> str | None:
        """The graph's event this one reports again: same kind, same actor, and dates that
        do not disagree."""
        if self.store is None:
            return None
        actors = [self.entity_ids[k] for r, k, _ in roles if r == "actor"]
        if not actors or actors[0] not in self.store:
            return None
        targets = {
            self.entity_ids[k]
            for r, k, _ in roles
            if r in ("target", "participant") and self.entity_ids[k] in self.store
        }
        sides = ("actor", "participant") if e.kind in _SYMMETRIC else ("actor",)
        for event_id in self.candidates(actors[0], sides, {e.kind.value}, e.date):
            event = self.store.event(event_id)
            if e.kind in _SYMMETRIC:
                # who met whom: the same people, whoever the article puts first
                theirs = {
                    x.target
                    for x in self.store.out_edges(event.id)
                    if x.type in ("actor", "participant")
                }
                if targets | {actors[0]} <= theirs:
                    return event.id
                continue
            if e.kind in _SAID and not _same_day(event.date, e.date):
                continue  # one person says many things: only the same day's words are one act
            if _contradicts(event.modality, e.modality):
                continue
            if targets:
                theirs = {
                    x.target
                    for x in self.store.out_edges(event.id)
                    if x.type in ("target", "participant")
                }
                if theirs and not theirs & targets:
                    continue
            return event.id
        return None

    def candidates(
        self, node_id: str, roles: tuple[str, ...], kinds: set[str], date: EventDate | None
    ) -> list[str]:
        """Events the node takes part in by one of ``roles``, of one of ``kinds``, at dates
        that agree, found in the index (no record read); the most recent
        :data:`MAX_CANDIDATES` of them. A hub state takes part in tens of thousands of events:
        reading each one's record for every event of an article took seconds. The node's
        events are listed once per article and filtered for each event."""
        assert self.store is not None
        key = (node_id, roles)
        listed = self.listed.get(key)
        if listed is None:
            ids = dict.fromkeys(
                event_id
                for role in roles
                for event_id in self.store.neighbours_by(node_id, "in", role)
            )
            listed = self.listed[key] = [
                (event_id, self.store.kind_of(event_id), *self.store.event_days(event_id))
                for event_id in ids
            ]
        found = [
            event_id
            for event_id, kind, first, last in listed
            if kind in kinds and _days_agree(first, last, date)
        ]
        return found[-MAX_CANDIDATES:]

    def disputes(
        self, e: FoundEvent, event_id: str, item: ProposalItem, roles: list[tuple[str, str, Span]]
    ) -> None:
        """A ``disputes`` relation to each graph event this one contradicts."""
        opposed = OPPOSED.get(e.kind)
        if self.store is None or not opposed:
            return
        keys = [k for r, k, _ in roles if r in ("actor", "place", "target")]
        keys += [self.state_of[k] for k in keys if k in self.state_of]
        ours = self.sides([self.entity_ids[k] for k in keys if k in self.entity_ids])
        if not ours:
            return
        kinds = {k.value for k in opposed}
        for side in list(ours):
            if side not in self.store:
                continue
            for other_id in self.candidates(side, _SIDE_ROLES, kinds, e.date):
                other = self.store.event(other_id)
                theirs = self.sides(
                    [
                        x.target
                        for x in self.store.out_edges(other.id)
                        if x.type in ("actor", "according_to")
                    ]
                )
                if not theirs & ours:
                    continue
                edge_id = f"{event_id}.disputes.{other.id}"
                if any(i.record.get("id") == edge_id for i in self.items):
                    continue
                self.add(
                    type="relation",
                    action="create",
                    record={
                        "id": edge_id,
                        "category": "relation",
                        "type": "disputes",
                        "source": event_id,
                        "target": other.id,
                        "attributes": {},
                        "evidence": item.record["evidence"],
                        "analyst_assertion": False,
                    },
                    confidence=0.5,
                    rule=f"{e.kind.value} against {other.kind} by the same side at a time "
                    "that agrees: sources disagree",
                    evidence=item.evidence,
                    needs=[item.id],
                )


_SAID = frozenset(
    {
        EventKind.STATEMENT,
        EventKind.ANNOUNCEMENT,
        EventKind.REPORT,
        EventKind.WARNING,
        EventKind.DENIAL,
        EventKind.APPEAL,
        EventKind.DEMAND,
    }
)


def _same_day(held: EventDate, new: EventDate | None) -> bool:
    return (
        new is not None
        and held.value is not None
        and held.value == new.value
        and held.granularity == new.granularity == "day"
    )


_REALIS = frozenset({Modality.OCCURRED, Modality.ASSERTED, Modality.REPORTED})


def _contradicts(held: str, new: Modality) -> bool:
    """Whether one report cannot be the other: one says it happened (or is claimed to have),
    the other that it may, is planned, proposed, denied or dropped; denials only match
    denials."""
    if (held == "denied") != (new == Modality.DENIED):
        return True
    return (Modality(held) in _REALIS) != (new in _REALIS)


def _days_agree(first: dt.date | None, last: dt.date | None, date: EventDate | None) -> bool:
    """Whether an event of the graph dated ``first`` to ``last`` (None if undated) and one
    dated ``date`` can be one event: undated ones agree with any; else within three days."""
    if date is None or date.start is None or first is None:
        return True
    return date.start - (last or first) <= _SLACK and first - (date.end or date.start) <= _SLACK


def _date_json(date: EventDate) -> dict[str, Any]:
    return date.model_dump(mode="json")


def read_article(
    text: str,
    *,
    ingest_id: str,
    title: str,
    published: dt.date,
    url: str | None,
    source: str,
    actor: str,
    store: GraphStore | None,
    taken: Callable[[str], bool] = lambda _: False,
) -> ProposalSet:
    """Read an article into a proposal set (nothing is written anywhere).

    ``store`` is the graph to link against (entities by name, events reported again,
    contradictions); ``taken`` says which ids are in use elsewhere (other pending sets), so
    minted ids stay free.

    Examples
    --------
    >>> text = ("Talks\\n\\nForeign Minister Anna Berg of Norland met Prime Minister Ivo Tamm "
    ...         "in Varnia on Monday.\\n")
    >>> found = read_article(text, ingest_id="i1", title="Talks", published=dt.date(2023, 5, 3),
    ...                      url=None, source="s", actor="ann", store=None)
    >>> sorted({(i.type, i.action) for i in found.items})
    [('entity', 'create'), ('event', 'create'), ('relation', 'create')]
    >>> [e for e in found.items if e.type == "event"][0].record["date"]["value"]
    '2023-05-01'
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[stage] = round((now - started) * 1000, 2)
        started = now

    folded = fold(text)
    skipped = boilerplate(text, title)
    said = sentences(text, skipped)
    lap("sentences")
    found = find_mentions(text, folded, said, store)
    lap("entities")
    events = find_events(text, folded, said, found, published)
    lap("events")
    builder = _Builder(text, source, store, taken)
    builder.entities(found)
    builder.titles(found)
    builder.events(events, found.clusters)
    lap("proposals")
    read = len(builder.items)
    if read > MAX_PROPOSALS:
        kept = {i.id for i in builder.items[:MAX_PROPOSALS]}
        builder.items = [
            i for i in builder.items[:MAX_PROPOSALS] if all(n in kept for n in i.needs)
        ]
    left_out = read - len(builder.items)
    counts = {"pending": len(builder.items), "accepted": 0, "rejected": 0}
    return ProposalSet(
        id=ingest_id,
        title=title,
        published=published,
        url=url,
        source=source,
        ingested_by=actor,
        ingested_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        counts=counts,
        text_length=len(text),
        sentences=len(said),
        skipped=[
            SkippedSpan(start=s.start, end=s.end, reason=s.reason, text=text[s.start : s.end])
            for s in skipped
        ],
        items=builder.items,
        left_out=left_out,
        timings_ms=timings,
    )
