"""Cursor pages: every list covered exactly once, in order, at a bounded cost per page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from graph import queries
from graph.errors import InvalidCursorError, InvalidQueryError
from graph.model import Edge, Entity
from graph.paging import encode_cursor
from graph.store import GraphStore

Query = Callable[..., Any]

LISTS: list[tuple[str, Query, dict[str, Any]]] = [
    ("entities", queries.find_entities, {}),
    ("entities of a kind", queries.find_entities, {"kind": "organisation"}),
    ("entity search", queries.find_entities, {"q": "in"}),
    ("events", queries.find_events, {}),
    ("events of a kind", queries.find_events, {"kind": "statement"}),
    ("events of a CAMEO prefix", queries.find_events, {"cameo": "0"}),
    ("events of an actor", queries.find_events, {"actor": "russia"}),
    ("events in a window", queries.find_events, {"start": dt.date(2022, 2, 15)}),
    ("events of a kind in a window", queries.find_events,
     {"kind": "statement", "end": dt.date(2022, 2, 14)}),
    ("relations", queries.find_relations, {}),
    ("relations of a type", queries.find_relations, {"type": "actor"}),
    ("relations into a node", queries.find_relations, {"target": "russia"}),
    ("relations of a node", lambda s, **kw: queries.entity_relations(s, "russia", **kw), {}),
    ("in-relations of a type",
     lambda s, **kw: queries.entity_relations(s, "russia", "in", "actor", **kw), {}),
]  # fmt: skip


def _ids(page: Any) -> list[str]:
    return [item.id for item in page.items]


def _follow(run: Callable[..., Any], limit: int, cursor: str | None = None) -> list[str]:
    """Every id of a list, page by page along the cursors (from ``cursor``, or the start)."""
    seen: list[str] = []
    for _ in range(1000):
        page = run(limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        seen += _ids(page)
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the cursors never ended")


@pytest.mark.parametrize(("name", "query", "filters"), LISTS, ids=[n for n, _, _ in LISTS])
@pytest.mark.parametrize("limit", [1, 7])
def test_cursor_pages_cover_the_list_exactly_once_in_order(
    seed_store: GraphStore, name: str, query: Query, filters: dict[str, Any], limit: int
) -> None:
    whole = query(seed_store, **filters, limit=1000)
    assert whole.next_cursor is None and len(whole.items) > 4, name
    paged = _follow(lambda **kw: query(seed_store, **filters, **kw), limit)
    assert paged == _ids(whole)
    assert whole.total in (None, len(paged))


@pytest.mark.parametrize(("name", "query", "filters"), LISTS, ids=[n for n, _, _ in LISTS])
def test_offset_pages_are_the_cursor_pages(
    seed_store: GraphStore, name: str, query: Query, filters: dict[str, Any]
) -> None:
    first = query(seed_store, **filters, limit=2)
    second = query(seed_store, **filters, limit=2, offset=2)
    assert _ids(second) == _ids(query(seed_store, **filters, limit=2, cursor=first.next_cursor))


def test_counts_of_a_kind_a_cameo_prefix_or_a_type_cost_no_walk(
    seed_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "EVENT_SCAN_LIMIT", 3)  # kind and CAMEO lists are walked now
    statements = queries.find_events(seed_store, kind="statement", limit=2)
    assert statements.total == len(seed_store.ids_of_kind("statement")) > 3
    consults = queries.find_events(seed_store, cameo="04", limit=2)
    codes = [c for c in seed_store.cameo_codes_in_use() if c.startswith("04")]
    assert consults.total == sum(len(seed_store.ids_of_cameo(c)) for c in codes) > 3
    assert queries.find_relations(seed_store, type="actor", limit=1).total == len(
        seed_store.edge_ids_of_type("actor")
    )


def test_a_walk_stops_at_its_bound_and_its_cursor_goes_on_from_there(
    seed_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = {"kind": "statement", "start": dt.date(2022, 2, 1)}
    whole = _ids(queries.find_events(seed_store, **window, limit=1000))
    monkeypatch.setattr(queries, "EVENT_SCAN_LIMIT", 4)
    first = queries.find_events(seed_store, **window, limit=50)
    assert len(first.items) < len(whole) and first.next_cursor and first.total is None
    assert _follow(lambda **kw: queries.find_events(seed_store, **window, **kw), 50) == whole
    with pytest.raises(InvalidQueryError) as caught:
        queries.find_events(seed_store, **window, offset=len(whole) - 1)
    assert caught.value.field == "offset"


def _places(count: int) -> GraphStore:
    store = GraphStore()
    for i in range(count):
        store.put_node(Entity(id=f"place-{i:02}", kind="place", label=f"Place {i}"))
    store.settle()
    return store


def test_a_cursor_page_is_stable_under_writes() -> None:
    store = _places(20)
    first = queries.find_entities(store, limit=5)
    store.put_node(Entity(id="place-new", kind="place", label="Place New"))  # goes to the end
    store.delete_node("place-02")  # before the cursor: nothing shifts into the next page
    second = queries.find_entities(store, limit=5, cursor=first.next_cursor)
    assert _ids(second) == [f"place-{i:02}" for i in range(5, 10)]
    store.delete_node("place-09")  # the last item seen is gone: the next page starts at its place
    third = queries.find_entities(store, limit=5, cursor=second.next_cursor)
    assert _ids(third) == [f"place-{i:02}" for i in range(10, 15)]
    store.delete_node("place-12")  # the last one moves back two places: found again
    store.delete_node("place-05")
    fourth = queries.find_entities(store, limit=5, cursor=third.next_cursor)
    assert _ids(fourth) == ["place-15", "place-16", "place-17", "place-18", "place-19"]
    rest = _follow(lambda **kw: queries.find_entities(store, **kw), 5)
    assert rest[-1] == "place-new" and len(rest) == len(set(rest)) == 17


def _organisations() -> GraphStore:
    """Organisations of three kinds, all named "Org ...", and places joined by edges of three
    types: lists made of groups (kinds, edge types, kinds of search match)."""
    store = GraphStore()
    for kind in ("media_outlet", "company", "government_body"):
        for i in range(3):
            label = f"Org {kind[:3]} {i}"
            store.put_node(Entity(id=f"{kind[:3]}-{i}", kind=kind, label=label))
    for i in range(5):
        store.put_node(Entity(id=f"place-{i}", kind="place", label=f"Place {i}"))
    for type_ in ("located_in", "part_of", "member_of"):
        for i in range(1, 5):
            _link(store, type_, f"place-{i}", "place-0")
    store.settle()
    return store


def _link(store: GraphStore, type_: str, source: str, target: str) -> None:
    edge_id = f"{source}.{type_}.{target}"
    store.put_edge(Edge(id=edge_id, category="relation", type=type_, source=source, target=target))


GROUPED: list[tuple[str, Query, dict[str, Any], Callable[[GraphStore], None]]] = [
    ("entities of several kinds", queries.find_entities, {"kind": "organisation"},
     lambda s: s.put_node(Entity(id="com-new", kind="company", label="Org com new"))),
    ("relations of every type", queries.find_relations, {},
     lambda s: _link(s, "member_of", "place-0", "place-1")),
    ("entity search", queries.find_entities, {"q": "org"},
     lambda s: s.put_node(Entity(id="org", kind="company", label="Org"))),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "query", "filters", "insert"), GROUPED, ids=[g[0] for g in GROUPED]
)
def test_an_item_inserted_before_the_cursor_repeats_nothing(
    name: str, query: Query, filters: dict[str, Any], insert: Callable[[GraphStore], None]
) -> None:
    store = _organisations()
    whole = _ids(query(store, **filters, limit=100))
    first = query(store, **filters, limit=5)  # ends in the second group
    insert(store)  # sorts before the last item seen, in an earlier group or rank of match
    store.settle()
    assert _ids(query(store, **filters, limit=100)) != whole
    rest = _follow(lambda **kw: query(store, **filters, **kw), 5, first.next_cursor)
    assert _ids(first) + rest == whole


DELETABLE: list[tuple[str, Query, dict[str, Any]]] = [
    ("entities", queries.find_entities, {}),
    ("entities of several kinds", queries.find_entities, {"kind": "organisation"}),
    ("entity search", queries.find_entities, {"q": "org"}),
    ("relations of every type", queries.find_relations, {}),
    ("relations of a type", queries.find_relations, {"type": "part_of"}),
]


@pytest.mark.parametrize(("name", "query", "filters"), DELETABLE, ids=[d[0] for d in DELETABLE])
def test_deleting_the_last_item_seen_and_an_earlier_one_skips_nothing(
    name: str, query: Query, filters: dict[str, Any]
) -> None:
    store = _organisations()
    whole = _ids(query(store, **filters, limit=100))
    first = query(store, **filters, limit=3)
    seen = _ids(first)
    for gone in (seen[-1], seen[0]):
        if "." in gone:
            store.delete_edge(gone)
        else:
            store.delete_node(gone)
    store.settle()
    rest = _follow(lambda **kw: query(store, **filters, **kw), 3, first.next_cursor)
    assert seen + rest == whole


def test_the_edges_of_a_node_are_a_page_in_load_order_with_their_total() -> None:
    store = _places(30)
    for i in range(1, 30):
        store.put_edge(
            Edge(
                id=f"e{i}",
                category="relation",
                type="located_in",
                source=f"place-{i:02}",
                target="place-00",
            )
        )
    page = queries.entity_relations(store, "place-00", limit=10)
    assert (len(page.items), page.total) == (10, 29)
    assert _ids(page) == [f"e{i}" for i in range(1, 11)]
    store.put_edge(Edge(id="e0", category="relation", type="located_in", source="place-00",
                        target="place-29"))  # fmt: skip
    rest = _follow(lambda **kw: queries.entity_relations(store, "place-00", **kw), 10)
    assert rest == [f"e{i}" for i in range(1, 30)] + ["e0"]
    with pytest.raises(InvalidQueryError) as caught:
        queries.entity_relations(store, "place-00", limit=queries.MAX_LIMIT + 1)
    assert caught.value.field == "limit"


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@pytest.mark.parametrize(
    "bad",
    [
        "not a cursor!",
        "e30",  # base64 of '{}', no checksum
        "",
        "x" * 2000,
        _tampered(encode_cursor("entities", [5, "place-04"])),
        encode_cursor("events", [5, "place-04"]),  # another list
        encode_cursor("entities kind='place'", [5, "place-04"]),  # other filters
        encode_cursor("entities", ["5", "place-04"]),  # a well-made cursor with a bad key
        encode_cursor("entities", [0, "place-04"]),
        encode_cursor("entities", [5]),
        encode_cursor("entities", ["entity", -1]),  # a group and a rank, but out of range
        encode_cursor("entities", ["person", 3]),  # a group this list does not have
        encode_cursor("entities", ["entity", 2.5]),
    ],
)
def test_a_bad_cursor_is_refused_naming_it(bad: str) -> None:
    store = _places(10)
    if not bad:  # an empty cursor is no cursor, as an empty filter is no filter
        assert _ids(queries.find_entities(store, limit=3, cursor=bad))[0] == "place-00"
        return
    with pytest.raises(InvalidCursorError) as caught:
        queries.find_entities(store, limit=3, cursor=bad)
    assert caught.value.field == "cursor"


@pytest.mark.parametrize(
    "key", [["2022-02-31", 1, "x"], ["2022-02-15", "1", "x"], [None, 1, "x"], [1]]
)
def test_a_bad_event_key_is_refused(seed_store: GraphStore, key: list[Any]) -> None:
    with pytest.raises(InvalidCursorError):
        queries.find_events(seed_store, cursor=encode_cursor("events", key))


@pytest.mark.parametrize(
    "key", [[1, 8, "place 04"], [1, -8, "place 04", "place-04"], [1, 8, 8, "place-04"], ["1"]]
)
def test_a_bad_search_key_is_refused(key: list[Any]) -> None:
    with pytest.raises(InvalidCursorError):
        queries.find_entities(
            _places(10), q="place", cursor=encode_cursor("entities q='place'", key)
        )


def test_a_search_cursor_after_a_long_name_resumes_after_it() -> None:
    """A cursor keeps a long name cut short, and finds the rest in the match of its id."""
    store = GraphStore()
    stem = "Org " + "x" * 150
    for i in range(6):
        store.put_node(Entity(id=f"org-{i}", kind="company", label=f"{stem} {i}"))
    store.settle()
    first = queries.find_entities(store, q="org", limit=2)
    assert len(first.next_cursor or "") < 400
    store.put_node(Entity(id="org-0b", kind="company", label=f"{stem} 0"))  # before the cursor
    store.settle()
    rest = _follow(lambda **kw: queries.find_entities(store, q="org", **kw), 2, first.next_cursor)
    assert _ids(first) + rest == [f"org-{i}" for i in range(6)]


def test_a_cursor_and_an_offset_together_are_refused() -> None:
    store = _places(10)
    first = queries.find_entities(store, limit=3)
    with pytest.raises(InvalidQueryError) as caught:
        queries.find_entities(store, limit=3, offset=3, cursor=first.next_cursor)
    assert caught.value.field == "offset"
    with pytest.raises(InvalidQueryError):
        queries.find_entities(store, offset=queries.MAX_OFFSET + 1)


def test_a_search_past_its_bound_says_its_total_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _places(30)
    monkeypatch.setattr(queries, "SEARCH_LIMIT", 30)  # the search answered exactly its bound
    assert queries.find_entities(store, q="place").total is None
    monkeypatch.setattr(queries, "SEARCH_LIMIT", 31)
    assert queries.find_entities(store, q="place").total == 30


EVENT_LISTS = [entry for entry in LISTS if entry[1] is queries.find_events]


@pytest.mark.parametrize(
    ("name", "query", "filters"), EVENT_LISTS, ids=[n for n, _, _ in EVENT_LISTS]
)
def test_walked_event_pages_cover_the_list_exactly_once(
    seed_store: GraphStore,
    name: str,
    query: Query,
    filters: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = _ids(query(seed_store, **filters, limit=1000))
    monkeypatch.setattr(queries, "EVENT_SCAN_LIMIT", 2)  # walk, and stop every two events
    assert _follow(lambda **kw: query(seed_store, **filters, **kw), 3) == whole
