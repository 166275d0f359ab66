"""Queries over a :class:`~graph.store.GraphStore`: lists, neighbourhoods and paths.

Every query is bounded: page sizes, neighbourhood depth and path length have documented
maxima (the constants below), and a query past a bound raises
:class:`~graph.errors.InvalidQueryError` naming it. Traversals walk only the part of the graph
they reach, straight over the store's adjacency (no views or copies), so their cost does not
grow with the whole graph.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice, pairwise
from operator import itemgetter
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from graph.errors import (
    AmbiguousNameError,
    InvalidCursorError,
    InvalidQueryError,
    NodeNotFoundError,
    NoPathError,
    PathBudgetError,
    clip,
)
from graph.index import NO_DATE, TraversalFilter
from graph.model import AnyNode, Edge, Entity, Event
from graph.ontology import EntityKind, EventKind, RelationType, Role, entity_kinds_under
from graph.paging import decode_cursor, encode_cursor, query_scope
from graph.search import SEARCH_LIMIT, Match, normalise
from graph.store import EventKey, GraphStore, IdView

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPORT_NODES",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_PATH_LENGTH",
    "NEIGHBOUR_LIMIT",
    "TIMELINE_LIMIT",
    "EdgePage",
    "EntityPage",
    "EventDetail",
    "EventPage",
    "NodeRef",
    "Page",
    "Participant",
    "Path",
    "PathFilter",
    "Subgraph",
    "Timeline",
    "detail_of",
    "entity_relations",
    "event_detail",
    "export_scope",
    "find_entities",
    "find_events",
    "find_relations",
    "k_shortest_paths",
    "neighbourhood",
    "path_filter",
    "reachable",
    "resolve_node",
    "shortest_path",
    "source_text",
    "timeline",
]

MAX_LIMIT = 1000
"""Largest page size of any list query."""
MAX_DEPTH = 4
"""Largest neighbourhood depth."""
MAX_PATH_LENGTH = 6
"""Longest path (in edges) that path queries look for."""
NEIGHBOUR_LIMIT = 500
"""Default cap on the nodes of a neighbourhood."""

T = TypeVar("T")
Direction = Literal["out", "in", "both"]


class Page(BaseModel, Generic[T]):
    """One page of a list answer."""

    items: list[T]
    total: int | None = Field(
        description="How many items match, over all pages; null when counting them would cost "
        "more than the page itself (follow `next_cursor` to the end instead)."
    )
    limit: int
    offset: int = Field(description="Items skipped before this page (0 when paging by cursor).")
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` for the next page; null on the last page. A page may "
        "hold fewer than `limit` items, even none, and still have one (a walk stopped at its "
        "bound, see `GET /limits`).",
    )


class Subgraph(BaseModel):
    """Nodes and the edges between them."""

    nodes: list[AnyNode]
    edges: list[Edge]
    truncated: bool = Field(
        default=False, description="True if a cap (node limit) cut the answer short."
    )


class Path(BaseModel):
    """A path: ``nodes[i]`` and ``nodes[i+1]`` are joined by ``hops[i]``'s edges."""

    length: int = Field(description="Number of hops.")
    nodes: list[AnyNode]
    edges: list[Edge] = Field(description="For each hop, the edge that joins its two nodes.")
    hops: list[list[Edge]] = Field(
        description="For each hop, every edge that joins its two nodes (parallel edges)."
    )


_VOCABULARIES: dict[str, frozenset[str]] = {
    "entity kind": frozenset(k.value for k in EntityKind),
    "event kind": frozenset(k.value for k in EventKind),
    "edge type": frozenset([*(t.value for t in RelationType), *(r.value for r in Role)]),
}
_VOCABULARIES["node kind"] = (
    _VOCABULARIES["entity kind"] | _VOCABULARIES["event kind"] | {"news_article"}
)


def _check_vocab(field: str, value: str | None, vocabulary: str) -> None:
    """Refuse a value outside its vocabulary (an empty value means no filter)."""
    allowed = _VOCABULARIES[vocabulary]
    if value and value not in allowed:
        raise InvalidQueryError(
            field, f"unknown {vocabulary} {clip(value)!r}; one of: {', '.join(sorted(allowed))}"
        )


def _check_bound(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidQueryError(field, f"must be between {low} and {high} (got {clip(value)})")


class EntityPage(Page[Entity]):
    """A page of entities."""


class Participant(BaseModel):
    """An entity in one of an event's roles (from the event's role edges)."""

    role: str
    id: str
    label: str
    kind: str
    edge: str = Field(description="Id of the role edge, which carries the evidence.")


class EventDetail(Event):
    """An event with its participants, read from its role edges."""

    participants: list[Participant] = Field(
        description="Who took part and how: actor, target, participant, place, ..."
    )


class EventPage(Page[EventDetail]):
    """A page of events."""


class EdgePage(Page[Edge]):
    """A page of edges."""


MAX_OFFSET = 10_000
"""Deepest ``offset`` of any list query: offsets are for the first few pages; past them,
follow ``next_cursor``."""
EVENT_SCAN_LIMIT = 10_000
"""Most events one page of :func:`find_events` examines (or reads from a kind or CAMEO index)."""

_EDGE_TYPES = [*(t.value for t in RelationType), *(r.value for r in Role)]


def _start(cursor: str | None, offset: int, scope: str) -> list[Any] | None:
    """Check ``offset``, and read ``cursor`` (the key of the last item seen) if one is given."""
    _check_bound("offset", offset, 0, MAX_OFFSET)
    if not cursor:
        return None
    if offset:
        raise InvalidQueryError("offset", "give a cursor or an offset, not both")
    return decode_cursor(cursor, scope)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _grouped_page(
    groups: Sequence[tuple[str, IdView]],
    scope: str,
    *,
    cursor: str | None,
    offset: int,
    limit: int,
) -> tuple[list[str], str | None]:
    """One page of a list made of groups one after another, each in load order, and the cursor
    of the next page.

    A cursor holds the last item's group and rank: a stable key, not a place in the list, so
    the next page starts at the first item ranked after it in that group (then the groups
    after it), whatever was added or deleted meanwhile. An item added later ranks higher than
    every other, so it never comes back before the cursor; deleting the last item seen, or any
    other, moves nothing. Only the page's ids are decoded.
    """
    _check_bound("limit", limit, 1, MAX_LIMIT)
    key = _start(cursor, offset, scope)
    names = [name for name, _ in groups]
    first, after, skip = 0, None, offset
    if key is not None:
        if len(key) != 2 or key[0] not in names or not _is_int(key[1]) or key[1] < 0:
            raise InvalidCursorError("not a cursor of this list")
        first, after = names.index(key[0]), key[1]
    chosen: list[tuple[str, int, str]] = []
    for name, view in groups[first:]:
        if after is None and skip >= len(view):
            skip -= len(view)  # a whole group before the offset: counted, not scanned
            continue
        found = view.ranked(after=after, skip=skip, count=limit + 1 - len(chosen))
        chosen += [(name, rank, item) for rank, item in found]
        after, skip = None, 0
        if len(chosen) > limit:
            break
    ids = [item for _, _, item in chosen[:limit]]
    if len(chosen) <= limit:
        return ids, None
    name, rank, _ = chosen[limit - 1]
    return ids, encode_cursor(scope, [name, rank])


_NAME_IN_CURSOR = 100
"""Characters of a matched name a search cursor keeps (a cursor stays short whatever the name)."""


def _search_page(
    matches: list[Match],
    scope: str,
    *,
    cursor: str | None,
    offset: int,
    limit: int,
) -> tuple[list[str], str | None]:
    """One page of search matches (in their sort order), and the cursor of the next page.

    A cursor holds the last match's sort key (kind of match, length of the name, name, id), so
    the next page starts after it even if matches were added before it or it was deleted. A
    name longer than :data:`_NAME_IN_CURSOR` is cut in the cursor and read again from the
    match of the same id; if that entity is gone or renamed meanwhile, the matches that share
    the cut name come again rather than being skipped.
    """
    _check_bound("limit", limit, 1, MAX_LIMIT)
    key = _start(cursor, offset, scope)
    begin = offset
    if key is not None:
        if (
            len(key) != 4
            or not all(_is_int(k) and k >= 0 for k in key[:2])
            or not all(isinstance(k, str) for k in key[2:])
        ):
            raise InvalidCursorError("not a cursor of this list")
        rank, length, name, last = key
        if length > len(name):
            for match in matches:
                if match.id == last and (match.rank, match.length) == (rank, length):
                    if match.name.startswith(name):
                        name = match.name
                    break
        begin = bisect.bisect_right(matches, (rank, length, name, last))
    chosen = matches[begin : begin + limit + 1]
    ids = [match.id for match in chosen[:limit]]
    if len(chosen) <= limit:
        return ids, None
    rank, length, name, last = chosen[limit - 1]
    return ids, encode_cursor(scope, [rank, length, name[:_NAME_IN_CURSOR], last])


def _edge_page(
    store: GraphStore,
    ranked: Iterable[tuple[int, str]],
    scope: str,
    *,
    cursor: str | None,
    offset: int,
    limit: int,
) -> EdgePage:
    """One page of the edges of a node, given as (rank, id) in any order, in load order
    (:meth:`GraphStore.edge_rank`).

    The ranks are counted for ``total`` and only the page is kept (a heap); only the page's
    records are read. A cursor holds the last edge's rank.
    """
    _check_bound("limit", limit, 1, MAX_LIMIT)
    key = _start(cursor, offset, scope)
    if key is not None and (len(key) != 1 or not _is_int(key[0]) or key[0] < 0):
        raise InvalidCursorError("not a cursor of this list")
    after = -1 if key is None else key[0]
    ids = dict(ranked)
    top = heapq.nsmallest(offset + limit + 1, (r for r in ids if r > after))[offset:]
    next_cursor = encode_cursor(scope, [top[limit - 1]]) if len(top) > limit else None
    return EdgePage(
        items=[store.edge(ids[r]) for r in top[:limit]],
        total=len(ids),
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


def _kinds(kind: str | None) -> set[str] | None:
    if not kind:
        return None
    try:
        return {str(k) for k in entity_kinds_under(EntityKind(kind))}
    except ValueError:
        return {kind}


def resolve_node(store: GraphStore, ref: str) -> str:
    """Return the id of the node ``ref`` names: its id, or an entity's name.

    The rule, in order:

    1. ``ref`` is the id of a node (entity, event or source): that node. Ids are matched
       exactly and come first, so an id always means itself.
    2. ``ref`` is an entity's label or alias, compared after
       :func:`~graph.search.normalise` (case, accents and punctuation folded): that entity;
       if several entities have that name, it is ambiguous.
    3. ``ref`` is a run of whole words of an entity's label or alias ("Kuleba" in
       "Dmytro Kuleba", "jean pierre" in "Karine Jean-Pierre"), again after normalising: if
       exactly one entity has such a name, that entity; if several do, it is ambiguous, however
       the search would rank them. A part of a word is no match ("Kule" names no one).

    The one entity step 3 finds is what :meth:`GraphStore.search_entities` lists first among
    whole-word matches; the search also lists partial-word matches, which never resolve.

    Parameters
    ----------
    store : GraphStore
        The graph.
    ref : str
        An id or a name.

    Returns
    -------
    str
        The node's id.

    Raises
    ------
    NodeNotFoundError
        If no node has that id and no entity that name.
    AmbiguousNameError
        If several entities fit; ``candidates`` lists their ids (best search match first).

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="olaf-scholz", kind="person", label="Olaf Scholz"))
    >>> store.put_node(Entity(id="sylvie-corbet", kind="person", label="Sylvie Corbet"))
    >>> store.put_node(Entity(id="sylvie-moulson", kind="person", label="Sylvie Moulson"))
    >>> store.settle()
    >>> resolve_node(store, "olaf-scholz")
    'olaf-scholz'
    >>> resolve_node(store, "OLAF SCHOLZ")
    'olaf-scholz'
    >>> resolve_node(store, "scholz")
    'olaf-scholz'
    >>> resolve_node(store, "Sylvie")
    Traceback (most recent call last):
    ...
    graph.errors.AmbiguousNameError: 'Sylvie' names 2 entities (sylvie-corbet, sylvie-moulson): ...
    >>> resolve_node(store, "Schol")
    Traceback (most recent call last):
    ...
    graph.errors.NodeNotFoundError: no node with id 'Schol'
    """
    if ref in store:
        return ref
    named = store.entities_named(ref) or _named_by_words(store, ref)
    if not named:
        raise NodeNotFoundError(ref)
    if len(named) > 1:
        raise AmbiguousNameError(ref, named)
    return named[0]


def _named_by_words(store: GraphStore, ref: str) -> list[str]:
    """Entities with a label or alias holding ``ref`` as whole words, in search order."""
    words = normalise(ref)
    if not words:
        return []
    found = []
    for entity_id in store.search_entities(ref):
        entity = store.entity(entity_id)
        names = [f" {normalise(name)} " for name in (entity.label, *entity.aliases)]
        if not any(f" {words}" in name for name in names):
            break  # the search ranks matches at a word start first: only substrings remain
        if any(f" {words} " in name for name in names):
            found.append(entity_id)
    return found


def source_text(
    store: GraphStore, source_id: str, start: int | None = None, end: int | None = None
) -> str:
    """The text of a source document, or its slice ``text[start:end]``.

    Offsets are Python string offsets (code points), the ones evidence uses, so
    ``source_text(store, ev.source, ev.start, ev.end) == ev.quote`` for every evidence ``ev``.

    Parameters
    ----------
    store : GraphStore
        The graph.
    source_id : str
        The source's id.
    start, end : int, optional
        The slice; from the beginning and to the end by default.

    Raises
    ------
    NodeNotFoundError
        If no source has the id.
    InvalidQueryError
        Naming ``start`` or ``end`` when it is negative or past the end of the text, or
        ``start`` when it is after ``end``.

    Examples
    --------
    >>> import datetime as dt
    >>> from graph.model import Source
    >>> store = GraphStore()
    >>> store.put_node(Source(id="note", label="A note", publisher="press",
    ...                       published=dt.date(2022, 2, 15), text_file="note.txt",
    ...                       text_length=12, metadata_origin="example"))
    >>> store.put_text("note", "Kyiv, Monday")
    >>> source_text(store, "note", 6)
    'Monday'
    >>> source_text(store, "note", 0, 20)
    Traceback (most recent call last):
    ...
    graph.errors.InvalidQueryError: end: must be between 0 and 12 (the text's length; got 20)
    """
    text = store.source_text(source_id)
    for field, offset in (("start", start), ("end", end)):
        if offset is not None and not 0 <= offset <= len(text):
            raise InvalidQueryError(
                field,
                f"must be between 0 and {len(text)} (the text's length; got {clip(offset)})",
            )
    if start is not None and end is not None and start > end:
        raise InvalidQueryError("start", f"start {start} is after end {end}")
    return text[start:end]


def find_entities(
    store: GraphStore,
    q: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    cursor: str | None = None,
) -> EntityPage:
    """Entities whose label or an alias contains ``q`` (best match first), of a kind.

    Without ``q``, entities come in load order (grouped by kind when ``kind`` covers several)
    and ``total`` is exact. With ``q``, the search answers its best
    :data:`~graph.search.SEARCH_LIMIT` matches, and ``total`` is ``None`` when more match
    (refine ``q``). Pages follow ``cursor`` (the previous page's ``next_cursor``) or, for the
    first :data:`MAX_OFFSET` items, ``offset``.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> for name in ["Kyiv", "Kharkiv", "Kherson"]:
    ...     store.put_node(Entity(id=name.lower(), kind="place", label=name))
    >>> first = find_entities(store, limit=2)
    >>> [e.id for e in first.items], first.total
    (['kyiv', 'kharkiv'], 3)
    >>> [e.id for e in find_entities(store, limit=2, cursor=first.next_cursor).items]
    ['kherson']
    """
    _check_vocab("kind", kind, "entity kind")
    kinds = _kinds(kind)
    scope = query_scope("entities", q=q or None, kind=kind or None)
    total: int | None
    if q:
        found = store.search_matches(q)
        matched = found if kinds is None else [m for m in found if store.kind_of(m.id) in kinds]
        total = len(matched) if len(found) < SEARCH_LIMIT else None
        chosen, next_cursor = _search_page(
            matched, scope, cursor=cursor, offset=offset, limit=limit
        )
    else:
        groups = (
            [("entity", store.ids("entity"))]
            if kinds is None
            else [(k, store.ids_of_kind(k)) for k in sorted(kinds)]
        )
        total = sum(len(view) for _, view in groups)
        chosen, next_cursor = _grouped_page(
            groups, scope, cursor=cursor, offset=offset, limit=limit
        )
    return EntityPage.model_validate(
        {
            "items": list(store.iter_records(chosen)),
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_cursor": next_cursor,
        }
    )


def _role_events(store: GraphStore, entity_id: str, role: str) -> list[str]:
    store.entity(entity_id)
    return store.neighbours_by(entity_id, "in", role)


def find_events(
    store: GraphStore,
    *,
    kind: str | None = None,
    actor: str | None = None,
    place: str | None = None,
    cameo: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> EventPage:
    """Events filtered by kind, actor, place, CAMEO code prefix and date window, by date.

    ``actor`` and ``place`` name an entity by id or name (:func:`resolve_node`). An event
    matches ``start``/``end`` if its date interval overlaps the window; events the article does
    not date never match a date window. Undated events sort last.

    Every page costs a bounded amount of work, and a cursor (the sort key of the last event
    seen) seeks in the date index by binary search. The events of an actor or a place, and
    those of a kind or CAMEO prefix that at most :data:`EVENT_SCAN_LIMIT` events have, are read
    from their own index, and counted. Otherwise the page walks the date index and examines at
    most :data:`EVENT_SCAN_LIMIT` events: it may then hold fewer than ``limit`` events, even
    none, and still have a ``next_cursor`` that goes on from where it stopped. ``total`` is
    exact when it costs no more than the page (no filter, only a kind, only a CAMEO prefix, an
    actor or place, or a walk that reached the end), else ``None``.

    Examples
    --------
    >>> from graph.model import Event, EventDate
    >>> from graph.reference import cameo
    >>> store = GraphStore()
    >>> for day in (17, 15, 16):
    ...     date = dt.date(2022, 2, day)
    ...     store.put_node(Event(
    ...         id=f"talks-{day}", kind="talks", label=f"Talks on the {day}th",
    ...         cameo=cameo("040"), modality="occurred", evidence=(),
    ...         date=EventDate(expression="that day", value=date, start=date, end=date,
    ...                        granularity="day", rule="publication_day")))
    >>> page = find_events(store, kind="talks", limit=2)
    >>> [e.id for e in page.items], page.total
    (['talks-15', 'talks-16'], 3)
    >>> [e.id for e in find_events(store, kind="talks", cursor=page.next_cursor).items]
    ['talks-17']
    """
    _check_vocab("kind", kind, "event kind")
    _check_window(start, end)
    _check_bound("limit", limit, 1, MAX_LIMIT)
    actor = resolve_node(store, actor) if actor else None
    place = resolve_node(store, place) if place else None
    kind, cameo = kind or None, cameo or None
    scope = query_scope(
        "events", kind=kind, actor=actor, place=place, cameo=cameo, start=start, end=end
    )
    after = _event_key(_start(cursor, offset, scope))
    if not (kind or actor or place or cameo or start or end):
        ordered = store.events_by_date()
        begin = offset if after is None else bisect.bisect_right(ordered, after)
        keys = list(islice(ordered, begin, begin + limit + 1))
        return _event_page(store, keys, scope, total=len(ordered), limit=limit, offset=offset)

    place_events = set(_role_events(store, place, "place")) if place and actor else None

    def match(event_id: str) -> bool:
        if kind and store.kind_of(event_id) != kind:
            return False
        if place_events is not None and event_id not in place_events:
            return False
        if cameo and not store.cameo_of(event_id).startswith(cameo):
            return False
        if not (start or end):
            return True
        first, last = store.event_days(event_id)  # from the index: no record read
        if first is None or last is None:
            return False
        return not ((start and last < start) or (end and first > end))

    if actor or place:
        role = "actor" if actor else "place"
        events = dict.fromkeys(_role_events(store, actor or place or "", role))
        return _indexed_events(store, events, match, scope, after=after, limit=limit, offset=offset)
    indexes: list[tuple[int, Callable[[], Iterable[str]]]] = []
    if kind:
        of_kind = store.ids_of_kind(kind)
        indexes.append((len(of_kind), lambda: of_kind))
    if cameo:
        codes = [store.ids_of_cameo(c) for c in store.cameo_codes_in_use() if c.startswith(cameo)]
        indexes.append((sum(map(len, codes)), lambda: chain(*codes)))
    counted = indexes[0][0] if len(indexes) == 1 and not (start or end) else None
    if indexes:
        size, smallest = min(indexes, key=itemgetter(0))
        if size <= EVENT_SCAN_LIMIT:
            return _indexed_events(
                store, smallest(), match, scope, after=after, limit=limit, offset=offset
            )
    # Only events whose interval can reach the window: their sort date lies at most the
    # longest event span before it.
    first = start - min(store.longest_event_span, start - dt.date.min) if start else None
    ordered = store.events_by_date(first, end)
    return _walked_events(
        store, ordered, match, scope, after=after, limit=limit, offset=offset, counted=counted
    )


def _event_key(key: list[Any] | None) -> EventKey | None:
    """The sort key (:meth:`GraphStore.event_sort_key`) a cursor holds."""
    if key is None:
        return None
    if len(key) == 3 and isinstance(key[0], str) and _is_int(key[1]) and isinstance(key[2], str):
        try:
            return dt.date.fromisoformat(key[0]), key[1], key[2]
        except ValueError:
            pass
    raise InvalidCursorError("not a cursor of this list")


def _event_page(
    store: GraphStore,
    keys: list[EventKey],
    scope: str,
    *,
    total: int | None,
    limit: int,
    offset: int,
    resume: EventKey | None = None,
) -> EventPage:
    """A page of the events of ``keys`` (one more than ``limit`` if more follow); ``resume``
    is where the next page starts when a walk stopped before filling this one."""
    if len(keys) > limit:
        resume = keys[limit - 1]
    next_cursor = None
    if resume is not None:
        next_cursor = encode_cursor(scope, [resume[0].isoformat(), resume[1], resume[2]])
    return EventPage(
        items=[event_detail(store, key[2]) for key in keys[:limit]],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


def _indexed_events(
    store: GraphStore,
    ids: Iterable[str],
    match: Callable[[str], bool],
    scope: str,
    *,
    after: EventKey | None,
    limit: int,
    offset: int,
) -> EventPage:
    """A page of the events among ``ids`` that ``match``, in date order: every one is examined
    and counted, and only the page is kept (a heap)."""
    total = 0
    later: list[EventKey] = []
    for event_id in ids:
        if match(event_id):
            total += 1
            key = store.event_sort_key(event_id)
            if after is None or key > after:
                later.append(key)
    keys = heapq.nsmallest(offset + limit + 1, later)[offset:]
    return _event_page(store, keys, scope, total=total, limit=limit, offset=offset)


def _walked_events(
    store: GraphStore,
    ordered: Sequence[EventKey],
    match: Callable[[str], bool],
    scope: str,
    *,
    after: EventKey | None,
    limit: int,
    offset: int,
    counted: int | None,
) -> EventPage:
    """A page of the events of ``ordered`` (a date index) that ``match``, examining at most
    :data:`EVENT_SCAN_LIMIT` of them from the cursor on."""
    at = 0 if after is None else bisect.bisect_right(ordered, after)
    stop = min(len(ordered), at + EVENT_SCAN_LIMIT)
    keys: list[EventKey] = []
    skipped = 0
    while at < stop and len(keys) <= limit:
        key = ordered[at]
        at += 1
        if not match(key[2]):
            continue
        if skipped < offset:
            skipped += 1
        else:
            keys.append(key)
    ended = at == len(ordered)
    if skipped < offset and not ended:
        raise InvalidQueryError(
            "offset",
            f"this filter reaches no event {offset} deep within {EVENT_SCAN_LIMIT} events; "
            "page with next_cursor instead",
        )
    resume = None if ended or len(keys) > limit else ordered[at - 1]
    if counted is None and ended and len(keys) <= limit and after is None:
        counted = skipped + len(keys)
    return _event_page(store, keys, scope, total=counted, limit=limit, offset=offset, resume=resume)


def _check_window(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise InvalidQueryError("start", f"start {start} is after end {end}")


def event_detail(store: GraphStore, event_id: str) -> EventDetail:
    """An event record with its participants, in the order their role edges were added
    (raise :class:`NodeNotFoundError` if unknown)."""
    roles = sorted(
        (e for e in store.out_edges(event_id) if e.category == "role"),
        key=lambda e: store.edge_rank(e.id),
    )
    return detail_of(store, store.event(event_id), roles)


def detail_of(store: GraphStore, event: Event, roles: Iterable[Edge]) -> EventDetail:
    """An event record with the entities of its role edges (in the order given)."""
    participants = []
    for edge in roles:
        entity = store.entity(edge.target)
        participants.append(
            Participant(
                role=edge.type, id=entity.id, label=entity.label, kind=entity.kind, edge=edge.id
            )
        )
    return EventDetail(**dict(event), participants=participants)


TIMELINE_LIMIT = 500
"""Default cap on the events of a timeline (at most :data:`MAX_LIMIT`)."""


class NodeRef(BaseModel):
    """A node named by its id, with its label and kind."""

    id: str
    label: str
    kind: str


class Timeline(BaseModel):
    """The events of an entity, or of a pair of entities (a dyad), on a date axis."""

    entities: list[NodeRef] = Field(
        description="The entity, and the other one of a dyad, in the order the request named them."
    )
    dated: list[EventDetail] = Field(
        description="Events with a date, by the first day of their interval, then load order."
    )
    undated: list[EventDetail] = Field(
        description="Events the sources do not date, in load order: never given a date here."
    )
    total: int = Field(description="How many events the entity (or the dyad) takes part in.")
    truncated: bool = Field(
        description="True if `limit` cut the answer short (dated events are kept first)."
    )


def _role_event_ids(store: GraphStore, entity_id: str) -> dict[str, None]:
    """The events an entity takes part in, in any role, each once (from the index)."""
    found: dict[str, None] = {}
    for role in Role:
        found.update(dict.fromkeys(store.neighbours_by(entity_id, "in", role.value)))
    return found


def _timeline_entity(store: GraphStore, field: str, ref: str) -> Entity:
    node_id = resolve_node(store, ref)
    if store.type_of(node_id) != "entity":
        raise InvalidQueryError(
            field, f"{clip(ref)!r} is {_a(store.type_of(node_id))}, not an entity"
        )
    return store.entity(node_id)


def timeline(
    store: GraphStore, entity: str, other: str | None = None, *, limit: int = TIMELINE_LIMIT
) -> Timeline:
    """The events an entity takes part in (any role), or that two entities both take part in.

    Dated events come in date order (the first day of their interval, then load order);
    undated events are kept apart, in load order, and never given a date. Each event carries
    its date with the expression and rule it came from, its CAMEO code with Goldstein score
    and QuadClass, and its participants.

    Parameters
    ----------
    store : GraphStore
        The graph.
    entity : str
        An entity's id or name (:func:`resolve_node`).
    other : str, optional
        A second entity: only the events both take part in (a dyad).
    limit : int
        Most events answered (1 to :data:`MAX_LIMIT`); dated events are kept first.

    Raises
    ------
    NodeNotFoundError, AmbiguousNameError
        If a name names no node, or several entities.
    InvalidQueryError
        If a name resolves to an event or a source, if ``other`` is ``entity``, or on ``limit``.

    Examples
    --------
    >>> from graph.model import Entity, EventDate
    >>> from graph.reference import cameo
    >>> store = GraphStore()
    >>> for name in ["Alpha", "Beta"]:
    ...     store.put_node(Entity(id=name.lower(), kind="state", label=name))
    >>> def event(id, day):
    ...     when = dt.date(2022, 2, day) if day else None
    ...     rule = "publication_day" if day else "undated"
    ...     date = EventDate(expression=None, value=when, start=when, end=when,
    ...                      granularity="day" if day else None, rule=rule)
    ...     return Event(id=id, kind="meeting", label=id, cameo=cameo("036"),
    ...                  modality="occurred", date=date, evidence=())
    >>> for id, day in [("talks", 16), ("call", None), ("visit", 14)]:
    ...     store.put_node(event(id, day))
    ...     store.put_edge(Edge(id=f"{id}.actor", category="role", type="actor",
    ...                         source=id, target="alpha"))
    >>> store.put_edge(Edge(id="talks.target", category="role", type="target",
    ...                     source="talks", target="beta"))
    >>> store.settle()
    >>> line = timeline(store, "Alpha")
    >>> [e.id for e in line.dated], [e.id for e in line.undated]
    (['visit', 'talks'], ['call'])
    >>> [e.id for e in timeline(store, "alpha", "beta").dated]
    ['talks']
    """
    _check_bound("limit", limit, 1, MAX_LIMIT)
    first = _timeline_entity(store, "entity", entity)
    events = _role_event_ids(store, first.id)
    chosen = [first]
    if other is not None:
        second = _timeline_entity(store, "other", other)
        if second.id == first.id:
            raise InvalidQueryError("other", f"{clip(other)!r} names the same entity as `entity`")
        theirs = _role_event_ids(store, second.id)
        events = {e: None for e in events if e in theirs}
        chosen.append(second)
    keys = heapq.nsmallest(limit, (store.event_sort_key(e) for e in events))
    details = [event_detail(store, key[2]) for key in keys]
    return Timeline(
        entities=[NodeRef(id=e.id, label=e.label, kind=e.kind) for e in chosen],
        dated=[d for d in details if _is_dated(d)],
        undated=[d for d in details if not _is_dated(d)],
        total=len(events),
        truncated=len(events) > limit,
    )


def _is_dated(event: Event) -> bool:
    return event.date.start is not None or event.date.end is not None


def find_relations(
    store: GraphStore,
    *,
    type: str | None = None,
    source: str | None = None,
    target: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> EdgePage:
    """Edges (relations and role edges) filtered by type, source and target node.

    ``source`` and ``target`` name a node by id, or an entity by name (:func:`resolve_node`).
    Edges of a node come in load order; edges by type only in load order; all edges grouped
    by type (relation types, then roles, in the vocabulary's order), in load order within each.
    ``total`` is exact: O(1) by type or for every edge, one pass over a node's edges otherwise.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> for i in "abc":
    ...     store.put_node(Entity(id=i, kind="place", label=i.upper()))
    >>> for u, v in ["ab", "bc", "ac"]:
    ...     store.put_edge(Edge(id=u + v, category="relation", type="located_in",
    ...                         source=u, target=v))
    >>> page = find_relations(store, type="located_in", limit=2)
    >>> [e.id for e in page.items], page.total
    (['ab', 'bc'], 3)
    >>> [e.id for e in find_relations(store, type="located_in", cursor=page.next_cursor).items]
    ['ac']
    """
    _check_vocab("type", type, "edge type")
    source = resolve_node(store, source) if source else None
    target = resolve_node(store, target) if target else None
    type = type or None
    scope = query_scope("relations", type=type, source=source, target=target)
    page = {"cursor": cursor, "offset": offset, "limit": limit}
    if source or target:
        if source:
            chosen = store.ranked_edge_ids(source, "out", type, other=target)
        else:
            chosen = store.ranked_edge_ids(target or "", "in", type)
        return _edge_page(store, chosen, scope, **page)  # type: ignore[arg-type]
    groups = [(t, store.edge_ids_of_type(t)) for t in ([type] if type else _EDGE_TYPES)]
    total = len(groups[0][1]) if type else store.edge_count()
    ids, next_cursor = _grouped_page(groups, scope, **page)  # type: ignore[arg-type]
    return EdgePage(
        items=[store.edge(i) for i in ids],
        total=total,
        limit=limit,
        offset=offset,
        next_cursor=next_cursor,
    )


def entity_relations(
    store: GraphStore,
    node_id: str,
    direction: Direction = "both",
    type: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> EdgePage:
    """The edges of one node, leaving it, entering it or both, optionally of one type; a page
    of at most ``limit`` in load order (a hub has tens of thousands)."""
    _check_vocab("type", type, "edge type")
    chosen = store.ranked_edge_ids(node_id, direction, type)
    scope = query_scope("entity-relations", node=node_id, direction=direction, type=type or None)
    return _edge_page(store, chosen, scope, cursor=cursor, offset=offset, limit=limit)


def neighbourhood(
    store: GraphStore,
    node_id: str,
    *,
    depth: int = 1,
    kind: str | None = None,
    type: str | None = None,
    limit: int = NEIGHBOUR_LIMIT,
) -> Subgraph:
    """Nodes within ``depth`` hops of a node (edges followed both ways) and the edges among them.

    ``type`` follows only edges of that type. ``kind`` keeps only nodes of that kind in the
    answer (the start node always stays); the walk still passes through other nodes. At most
    ``limit`` nodes are returned, and the walk visits at most :data:`WALK_LIMIT` nodes: an
    answer cut by either has ``truncated`` set.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> for i in "abc":
    ...     store.put_node(Entity(id=i, kind="place", label=i.upper()))
    >>> def link(a, b):
    ...     return Edge(id=f"{a}-{b}", category="relation", type="located_in", source=a, target=b)
    >>> store.put_edge(link("a", "b"))
    >>> store.put_edge(link("b", "c"))
    >>> [n.id for n in neighbourhood(store, "a", depth=1).nodes]
    ['a', 'b']
    >>> [e.id for e in neighbourhood(store, "b", depth=1).edges]
    ['b-c', 'a-b']
    """
    _check_bound("limit", limit, 1, MAX_LIMIT)
    _check_vocab("kind", kind, "node kind")
    _check_vocab("type", type, "edge type")
    kinds = _kinds(kind)

    def keep(node: str) -> bool:
        return kinds is None or node == node_id or store.kind_of(node) in kinds

    kept, truncated = _walk(store, node_id, depth, type=type, keep=keep, limit=limit)
    return Subgraph(
        nodes=list(store.iter_records(kept)),
        edges=_edges_among(store, kept, type),
        truncated=truncated,
    )


WALK_LIMIT = 100_000
"""Most nodes one neighbourhood walk visits (kept or passed through)."""


def reachable(store: GraphStore, node_id: str, depth: int) -> set[str]:
    """Ids of every node within ``depth`` hops of a node, edges followed both ways.

    Raises :class:`InvalidQueryError` (on ``depth``) rather than return part of a
    neighbourhood larger than :data:`WALK_LIMIT` nodes.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> sorted(reachable(store, "kyiv", 2))
    ['kyiv']
    """
    kept, truncated = _walk(store, node_id, depth, type=None, keep=None, limit=None)
    if truncated:
        raise InvalidQueryError(
            "depth",
            f"the neighbourhood of {clip(node_id)!r} at depth {depth} exceeds {WALK_LIMIT} nodes",
        )
    return set(kept)


MAX_EXPORT_NODES = 1000
"""Most node ids an export's ``nodes`` list may name. A list travels in a URL, and uvicorn
refuses a request line much over 64 KB: a thousand ids of the usual length fit."""


def export_scope(
    store: GraphStore,
    root: str | None,
    depth: int | None = None,
    nodes: Sequence[str] | None = None,
) -> set[str] | None:
    """The nodes an export covers: the neighbourhood of ``root``, the ``nodes`` listed, or
    ``None`` for the whole graph.

    Parameters
    ----------
    store : GraphStore
        The graph.
    root : str or None
        A node id or an entity's name (:func:`resolve_node`); ``None`` for the whole graph.
    depth : int, optional
        Hops from ``root`` (1 to :data:`MAX_DEPTH`, default 1); only with ``root``.
    nodes : sequence of str, optional
        Node ids (not names) to export with the edges among them, such as a view on screen;
        at most :data:`MAX_EXPORT_NODES`, never with ``root``. Repeated ids count once.

    Raises
    ------
    InvalidQueryError
        On ``depth`` when it is given without ``root`` or out of its bounds, or when the
        neighbourhood exceeds :data:`WALK_LIMIT` nodes; on ``nodes`` when it is empty, names
        more than :data:`MAX_EXPORT_NODES` ids, or comes with ``root``.
    NodeNotFoundError
        If ``root`` names nothing, or an id of ``nodes`` is no node's.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.put_node(Entity(id="lviv", kind="place", label="Lviv"))
    >>> export_scope(store, "KYIV", 2)
    {'kyiv'}
    >>> export_scope(store, None) is None
    True
    >>> sorted(export_scope(store, None, nodes=["lviv", "kyiv", "lviv"]))
    ['kyiv', 'lviv']
    >>> export_scope(store, None, 2)
    Traceback (most recent call last):
    ...
    graph.errors.InvalidQueryError: depth: a depth needs a root node
    >>> export_scope(store, None, nodes=["odesa"])
    Traceback (most recent call last):
    ...
    graph.errors.NodeNotFoundError: no node with id 'odesa'
    """
    if nodes is not None:
        return _listed_nodes(store, root, depth, nodes)
    if root is None:
        if depth is not None:
            raise InvalidQueryError("depth", "a depth needs a root node")
        return None
    return reachable(store, resolve_node(store, root), 1 if depth is None else depth)


def _listed_nodes(
    store: GraphStore, root: str | None, depth: int | None, nodes: Sequence[str]
) -> set[str]:
    if root is not None or depth is not None:
        raise InvalidQueryError("nodes", "give `nodes` or `root` (with `depth`), not both")
    if not nodes:
        raise InvalidQueryError("nodes", "name at least one node id")
    if len(nodes) > MAX_EXPORT_NODES:
        raise InvalidQueryError("nodes", f"at most {MAX_EXPORT_NODES} node ids (got {len(nodes)})")
    for node_id in nodes:
        if node_id not in store:
            raise NodeNotFoundError(node_id)
    return set(nodes)


def _walk(
    store: GraphStore,
    node_id: str,
    depth: int,
    *,
    type: str | None,
    keep: Callable[[str], bool] | None,
    limit: int | None,
) -> tuple[dict[str, None], bool]:
    """Breadth-first walk; returns the kept nodes in the order met and whether it was cut."""
    _check_bound("depth", depth, 1, MAX_DEPTH)
    store.node(node_id)
    visited: set[str] = {node_id}
    kept: dict[str, None] = {node_id: None}
    frontier = [node_id]
    for _ in range(depth):
        level = []
        for current in frontier:
            for other in store.neighbour_ids(current, type):
                if other in visited:
                    continue
                wanted = keep is None or keep(other)
                full = limit is not None and len(kept) >= limit
                if (wanted and full) or len(visited) >= WALK_LIMIT:
                    return kept, True
                visited.add(other)
                level.append(other)
                if wanted:
                    kept[other] = None
        frontier = level
    return kept, False


def _edges_among(store: GraphStore, nodes: dict[str, None], type: str | None) -> list[Edge]:
    return store.edges_among(nodes, type)


class PathFilter(BaseModel):
    """What a path may go through."""

    directed: bool = Field(default=False, description="Follow edges only in their direction.")
    types: frozenset[str] | None = Field(default=None, description="Edge types allowed.")
    kinds: frozenset[str] | None = Field(
        default=None, description="Node kinds allowed for inner nodes (ends always allowed)."
    )
    start: dt.date | None = Field(default=None, description="Inner events must end on or after.")
    end: dt.date | None = Field(default=None, description="Inner events must start on or before.")


def _vocabulary_set(
    field: str, values: Iterable[str] | None, vocabulary: str
) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        # A string is an iterable of characters: refuse it rather than check each letter.
        raise TypeError(f"{field}: give an iterable of strings, not one string")
    items = frozenset(values)
    allowed = _VOCABULARIES[vocabulary]
    for item in sorted(items):
        if item not in allowed:
            raise InvalidQueryError(
                field, f"unknown {vocabulary} {clip(item)!r}; one of: {', '.join(sorted(allowed))}"
            )
    return items or None


def path_filter(
    *,
    directed: bool = False,
    types: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> PathFilter:
    """Build a :class:`PathFilter`, checking each type and kind against its vocabulary.

    Parameters
    ----------
    directed : bool
        Follow edges only in their direction.
    types : iterable of str, optional
        Edge types (relation types or roles) the path may use; none or empty: any.
    kinds : iterable of str, optional
        Node kinds the inner nodes may have; none or empty: any.
    start, end : datetime.date, optional
        Inner events must overlap this window.

    Raises
    ------
    InvalidQueryError
        Naming ``types`` or ``kinds`` for a term outside its vocabulary, or ``start`` for a
        window that ends before it starts.

    Examples
    --------
    >>> sorted(path_filter(types=["actor", "holds_position"]).types)
    ['actor', 'holds_position']
    >>> path_filter(kinds=[]).kinds is None
    True
    >>> path_filter(types=["friend_of"])
    Traceback (most recent call last):
    ...
    graph.errors.InvalidQueryError: types: unknown edge type 'friend_of'; one of: ...
    """
    _check_window(start, end)
    return PathFilter(
        directed=directed,
        types=_vocabulary_set("types", types, "edge type"),
        kinds=_vocabulary_set("kinds", kinds, "node kind"),
        start=start,
        end=end,
    )


class _Walk:
    """A path filter as the topology applies it, with the ends of the path.

    Deterministic on purpose: equal-length paths are chosen by the graph's load order, the same
    way on every run, so an analyst who repeats a query gets the same answer.
    """

    def __init__(self, store: GraphStore, ends: tuple[str, str], flt: PathFilter) -> None:
        self.store = store
        self.ends = ends
        self.flt = flt
        kinds = None
        if flt.kinds:
            kinds = frozenset().union(*(_kinds(k) or set() for k in flt.kinds))
        self.traversal = TraversalFilter(
            directed=flt.directed,
            types=flt.types or None,
            kinds=kinds,
            start=flt.start.toordinal() if flt.start else NO_DATE,
            end=flt.end.toordinal() if flt.end else NO_DATE,
        )

    def edge_ok(self, edge: Edge) -> bool:
        return not self.flt.types or edge.type in self.flt.types


def _bfs(
    walk: _Walk,
    source: str,
    target: str,
    *,
    max_hops: int,
    banned_nodes: frozenset[str] = frozenset(),
    banned_hops: frozenset[tuple[str, str]] = frozenset(),
) -> list[str] | None:
    """Bidirectional breadth-first search: a shortest path of at most ``max_hops``, or None.

    Runs over the read model's integer topology (:meth:`GraphStore.shortest_nodes`): no record
    is read until the path is known.
    """
    return walk.store.shortest_nodes(
        source,
        target,
        walk.traversal,
        max_hops=max_hops,
        banned_nodes=banned_nodes,
        banned_hops=banned_hops,
    )


def _hop_edges(store: GraphStore, u: str, v: str, walk: _Walk) -> list[Edge]:
    found = store.edges_between(u, v)
    if not walk.flt.directed:
        found += store.edges_between(v, u)
    return sorted(
        (e for e in found if walk.edge_ok(e)), key=lambda e: (e.category != "relation", e.id)
    )


def _to_path(store: GraphStore, nodes: list[str], walk: _Walk) -> Path:
    hops = [_hop_edges(store, u, v, walk) for u, v in pairwise(nodes)]
    return Path(
        length=len(nodes) - 1,
        nodes=list(store.iter_records(nodes)),
        edges=[h[0] for h in hops],
        hops=hops,
    )


def shortest_path(
    store: GraphStore, source: str, target: str, flt: PathFilter | None = None
) -> Path:
    """The shortest path between two nodes (any node: entity, event or source).

    Equal-length paths are broken by the graph's insertion order, so answers are repeatable.
    Raises :class:`NoPathError` if they are not connected under the filter.
    """
    flt = flt or PathFilter()
    _check_window(flt.start, flt.end)
    store.node(source)
    store.node(target)
    walk = _Walk(store, (source, target), flt)
    nodes = _bfs(walk, source, target, max_hops=store.node_count())
    if nodes is None:
        raise NoPathError(source, target)
    return _to_path(store, nodes, walk)


PATH_SECONDS = 1.0
"""Time budget of one k-paths query (seconds of wall time, checked before each search)."""
PATH_SEARCHES = 5_000
"""Budget of breadth-first searches (Yen's spur searches) in one k-paths query."""
PATH_RECORDS = 2_000
"""Size budget of one k-paths answer: nodes and edges (each hop's parallel edges) summed over
its paths; about 2 MB of JSON on the seed graph."""

BudgetName = Literal["time", "searches", "size"]


@dataclass(frozen=True)
class PathBudget:
    """What one k-paths search may spend; the defaults are the documented bounds.

    Tests and callers with other needs pass their own (a small ``searches`` budget cuts a
    query at the same place on every run, unlike a time budget).
    """

    seconds: float = PATH_SECONDS
    searches: int = PATH_SEARCHES
    records: int = PATH_RECORDS
    clock: Callable[[], float] = time.monotonic
    """Where the seconds are read (tests give a clock of their own)."""


class PathSet(BaseModel):
    """The k shortest paths found, shortest first, and whether a budget cut the search."""

    paths: list[Path] = Field(description="Simple paths, shortest first; never empty.")
    truncated: bool = Field(
        default=False,
        description="True if a budget ended the search before `limit` paths or the last one: "
        "the paths answered are still the shortest ones, in order.",
    )
    truncated_by: BudgetName | None = Field(
        default=None,
        description="Which budget ended it: `time`, `searches` (the search's work) or `size` "
        "(the answer's nodes and edges); see `GET /limits`.",
    )


class _OutOfBudgetError(Exception):
    def __init__(self, budget: BudgetName) -> None:
        self.budget = budget


class _Spending:
    """Counts the searches of one k-paths query and watches its clock."""

    def __init__(self, budget: PathBudget) -> None:
        self.budget = budget
        self.searches = 0
        self.deadline = budget.clock() + budget.seconds

    def __call__(self) -> None:
        """Spend one breadth-first search, or raise if a budget is used up."""
        if self.searches >= self.budget.searches:
            raise _OutOfBudgetError("searches")
        if self.budget.clock() >= self.deadline:
            raise _OutOfBudgetError("time")
        self.searches += 1


def _records(path: Path) -> int:
    return len(path.nodes) + sum(map(len, path.hops))


def k_shortest_paths(
    store: GraphStore,
    source: str,
    target: str,
    *,
    max_length: int = 4,
    limit: int = 10,
    flt: PathFilter | None = None,
    budget: PathBudget | None = None,
) -> PathSet:
    """Up to ``limit`` shortest simple paths of at most ``max_length`` hops, shortest first.

    Yen's algorithm over node sequences; each step is a bounded breadth-first search that
    skips the nodes and hops already used, so it explores only what it reaches.

    The search is bounded by ``budget`` (:class:`PathBudget`: wall time, breadth-first
    searches, and the answer's size in nodes and edges). When a budget ends it, the paths
    already found are answered with ``truncated`` set and ``truncated_by`` naming the budget:
    they are the shortest ones, in order, each a valid path (a path whose alternatives were not
    all searched is never answered).

    Raises
    ------
    NoPathError
        As :func:`shortest_path` does, if no path of at most ``max_length`` hops joins the two
        nodes under the filter (never an empty list).
    PathBudgetError
        If the time or searches budget ran out before any path was found.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> for i in "abcd":
    ...     store.put_node(Entity(id=i, kind="place", label=i.upper()))
    >>> for u, v in ["ab", "bd", "ac", "cd"]:
    ...     store.put_edge(Edge(id=u + v, category="relation", type="located_in",
    ...                         source=u, target=v))
    >>> found = k_shortest_paths(store, "a", "d")
    >>> [[n.id for n in p.nodes] for p in found.paths], found.truncated
    ([['a', 'b', 'd'], ['a', 'c', 'd']], False)
    >>> cut = k_shortest_paths(store, "a", "d", budget=PathBudget(records=5))
    >>> len(cut.paths), cut.truncated_by
    (1, 'size')
    """
    _check_bound("max_length", max_length, 1, MAX_PATH_LENGTH)
    _check_bound("limit", limit, 1, MAX_LIMIT)
    flt = flt or PathFilter()
    budget = budget or PathBudget()
    _check_window(flt.start, flt.end)
    store.node(source)
    store.node(target)
    walk = _Walk(store, (source, target), flt)
    found = _yen(walk, source, target, max_length=max_length, spend=_Spending(budget))
    paths: list[Path] = []
    size = 0
    truncated_by: BudgetName | None = None
    try:
        for nodes in islice(found, limit):
            path = _to_path(store, nodes, walk)
            size += _records(path)
            if paths and size > budget.records:
                truncated_by = "size"
                break
            paths.append(path)
    except _OutOfBudgetError as out:
        truncated_by = out.budget
    if not paths:
        if truncated_by is None:
            raise NoPathError(source, target)
        bound = f"{budget.seconds} s" if truncated_by == "time" else budget.searches
        raise PathBudgetError(source, target, truncated_by, bound)
    return PathSet(paths=paths, truncated=truncated_by is not None, truncated_by=truncated_by)


def _yen(
    walk: _Walk, source: str, target: str, *, max_length: int, spend: Callable[[], None]
) -> Iterator[list[str]]:
    """The simple paths of at most ``max_length`` hops, shortest first, found one by one.

    ``spend`` is called before each breadth-first search (it raises to stop). Equal-length
    paths come in the order they were found, so answers repeat exactly. A path is yielded only
    once every search that could find a shorter one has ended, so a caller that stops early (a
    limit, a budget) has the shortest paths, in order.
    """
    spend()
    first = _bfs(walk, source, target, max_hops=max_length)
    if first is None:
        return
    yield first
    # For each root (a prefix of accepted paths), the nodes accepted paths go to next: Yen's
    # banned hops, kept as the paths are accepted rather than recomputed for every spur.
    next_of: dict[tuple[str, ...], set[str]] = {}
    candidates: list[tuple[int, int, list[str]]] = []  # (hops, order found, nodes): a heap
    known: set[tuple[str, ...]] = {tuple(first)}
    last = first
    while True:
        for i in range(len(last) - 1):
            next_of.setdefault(tuple(last[: i + 1]), set()).add(last[i + 1])
        for i in range(len(last) - 1):
            root = last[: i + 1]
            spend()
            spur = _bfs(
                walk,
                root[-1],
                target,
                max_hops=max_length - i,
                banned_nodes=frozenset(root[:-1]),
                banned_hops=frozenset((root[-1], n) for n in next_of[tuple(root)]),
            )
            if spur is None:
                continue
            candidate = root[:-1] + spur
            if tuple(candidate) not in known:
                known.add(tuple(candidate))
                heapq.heappush(candidates, (len(candidate), len(known), candidate))
        if not candidates:
            return
        last = heapq.heappop(candidates)[2]
        yield last


def _a(noun: str | None) -> str:
    """The noun with its indefinite article ("an event", "a source")."""
    text = noun or "node"
    return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
