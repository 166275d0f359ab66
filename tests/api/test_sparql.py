"""The SPARQL endpoint: the examples answer what the seed says, REST and SPARQL agree, the
replica follows every write, and what is refused or bounded gets its documented problem."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from graph import DEFAULT_SEEDS
from graph.errors import SparqlServiceError, StoreUnreachableError
from graph.service import KnowledgeGraph
from graph.sparql import EXAMPLES, PreparedQuery, SparqlEngine, prepare, result_format
from tests.api.conftest import TOKENS, WRITE, client_for

EXAMPLE = {example.name: example.query for example in EXAMPLES}
RESULTS_JSON = "application/sparql-results+json"


def _select(client: TestClient, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT, each variable's value as text."""
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == RESULTS_JSON
    body = response.json()
    return [{k: v["value"] for k, v in row.items()} for row in body["results"]["bindings"]]


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/problems/{slug}"), body
    return body


def _triples(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    """The triples of a document, each written as N-Triples (blank nodes never occur)."""
    return {str(t) for t in ox.parse(data, format=fmt)}


def _all_rest(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = client.get(path, params={**params, "limit": 1000}).json()
    items += page["items"]
    assert page.get("next_cursor") is None
    return items


# -- the examples, and the same questions through REST -------------------------------------


def test_who_met_whom_answers_what_the_seed_says_and_what_rest_says(
    seed_client: TestClient,
) -> None:
    rows = _select(seed_client, EXAMPLE["who-met-whom"])
    assert {
        "event": "scholz-putin-meeting-in-moscow",
        "actor": "Olaf Scholz",
        "participant": "Vladimir Putin",
        "place": "Moscow",
        "day": "2022-02-15",
    } in rows
    sparql = {(r["event"], r["actor"], r["participant"]) for r in rows}
    rest = set()
    for event in _all_rest(seed_client, "/events", kind="meeting"):
        detail = seed_client.get(f"/events/{event['id']}").json()
        actors = [p["label"] for p in detail["participants"] if p["role"] == "actor"]
        others = [p["label"] for p in detail["participants"] if p["role"] == "participant"]
        rest |= {(event["id"], a, o) for a in actors for o in others}
    assert sparql == rest
    assert len(sparql) >= 5


def test_events_by_cameo_root_match_rest_counts(seed_client: TestClient) -> None:
    rows = _select(seed_client, EXAMPLE["events-by-cameo-root"])
    assert rows, "the seed has coded events"
    for row in rows:
        rest = seed_client.get("/events", params={"cameo": row["root"], "limit": 1}).json()
        assert rest["total"] == int(row["events"]), row
    uncoded = seed_client.get("/events", params={"limit": 1}).json()["total"]
    assert sum(int(r["events"]) for r in rows) < uncoded  # the seed has events with no code


def test_disputed_claims_match_the_disputes_relations(seed_client: TestClient) -> None:
    rows = _select(seed_client, EXAMPLE["disputed-claims"])
    labels = {}
    relations = _all_rest(seed_client, "/relations", type="disputes")
    for edge in relations:
        for end in (edge["source"], edge["target"]):
            labels[end] = seed_client.get(f"/events/{end}").json()["label"]
    rest = {(labels[e["target"]], labels[e["source"]]) for e in relations}
    assert {(r["claim"], r["disputedBy"]) for r in rows} == rest
    kuleba = [r for r in rows if r["disputedBy"].startswith("Kuleba")]
    assert kuleba and kuleba[0]["actors"] == "Dmytro Kuleba"


def test_the_quotes_of_an_event_are_the_rest_evidence(seed_client: TestClient) -> None:
    rows = _select(seed_client, EXAMPLE["quotes-of-an-event"])
    evidence = seed_client.get("/events/scholz-putin-meeting-in-moscow").json()["evidence"]
    assert [(r["quote"], int(r["start"]), int(r["end"])) for r in rows] == sorted(
        ((e["quote"], e["start"], e["end"]) for e in evidence), key=lambda q: q[1]
    )
    source = rows[0]["source"].rsplit("/", 1)[1]
    text = seed_client.get(f"/sources/{source}/text").text
    assert all(text[int(r["start"]) : int(r["end"])] == r["quote"] for r in rows)


def test_describe_gives_the_node_as_the_export_does(seed_client: TestClient) -> None:
    described = seed_client.get(
        "/sparql", params={"query": EXAMPLE["describe-scholz"], "format": "ntriples"}
    )
    assert described.status_code == 200
    assert described.headers["content-type"] == "application/n-triples"
    scholz = "<https://geokg.example.org/id/olaf-scholz> "
    expected = {t for t in _export_graph(seed_client) if t.startswith(scholz)}
    assert _triples(described.content, ox.RdfFormat.N_TRIPLES) == expected
    assert len(expected) > 10


# -- the same graph as the export, kept in step with writes --------------------------------

EVERYTHING = "CONSTRUCT WHERE { ?s ?p ?o }"


def _sparql_graph(client: TestClient) -> set[str]:
    response = client.get("/sparql", params={"query": EVERYTHING, "format": "ntriples"})
    assert response.status_code == 200, response.text
    return _triples(response.content, ox.RdfFormat.N_TRIPLES)


def _export_graph(client: TestClient) -> set[str]:
    """The export's triples as Oxigraph holds them: it keeps a typed literal by its value, so
    the export's ``"4.0"^^xsd:decimal`` answers as ``"4"^^xsd:decimal`` (the same number)."""
    export = client.get("/export", params={"format": "ntriples"})
    assert export.status_code == 200
    store = ox.Store()
    store.bulk_load(export.content, format=ox.RdfFormat.N_TRIPLES)
    return {str(quad.triple) for quad in store}


@pytest.fixture
def writable() -> Iterator[TestClient]:
    yield from client_for(DEFAULT_SEEDS, tokens=TOKENS)


def test_the_replica_follows_every_write_without_a_reload(writable: TestClient) -> None:
    client = writable
    assert _sparql_graph(client) == _export_graph(client)
    engine = client.app.state.sparql  # type: ignore[attr-defined]
    process = engine._process
    text = "Joe Biden said on Wednesday that Russia could still invade Ukraine."
    source = client.post(
        "/sources",
        json={"title": "Biden", "published": "2022-02-16", "url": "https://e.org/b", "text": text},
        headers=WRITE,
    ).json()["id"]
    biden = client.post(
        "/entities",
        json={
            "kind": "person",
            "label": "Joe Biden",
            "evidence": [{"source": source, "quote": "Joe Biden"}],
        },
        headers=WRITE,
    ).json()["id"]
    event = client.post(
        "/events",
        json={
            "kind": "statement",
            "label": "Biden says Russia could still invade",
            "cameo": "013",
            "modality": "asserted",
            "date": {"rule": "publication_day", "expression": "on Wednesday"},
            "participants": [
                {"entity": biden, "role": "actor"},
                {"entity": "russia", "role": "target"},
            ],
            "evidence": [{"source": source, "quote": "Russia could still invade Ukraine"}],
        },
        headers=WRITE,
    )
    assert event.status_code == 201, event.text
    asked = f"SELECT ?label WHERE {{ ?e sem:hasActor id:{biden} ; rdfs:label ?label }}"
    assert _select(client, asked) == [{"label": "Biden says Russia could still invade"}]
    assert _sparql_graph(client) == _export_graph(client)

    patched = client.patch(f"/entities/{biden}", json={"aliases": ["Biden"]}, headers=WRITE)
    assert patched.status_code == 200
    alias = f"SELECT ?a WHERE {{ id:{biden} skos:altLabel ?a }}"
    assert _select(client, alias) == [{"a": "Biden"}]
    assert _sparql_graph(client) == _export_graph(client)

    gone = client.delete(f"/entities/{biden}", params={"cascade": "true"}, headers=WRITE)
    assert gone.status_code in (200, 204), gone.text
    assert _select(client, asked) == []
    assert _sparql_graph(client) == _export_graph(client)
    assert engine._process is process  # followed the log: the same replica throughout
    answer = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert int(answer.headers["x-geokg-position"]) == int(
        client.get("/changes", params={"limit": 1}).json()["position"]
    )


# -- formats -------------------------------------------------------------------------------

SELECT = 'SELECT ?e ?label WHERE { ?e geokg:kind "meeting" ; rdfs:label ?label } ORDER BY ?e'


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("json", RESULTS_JSON),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_select_in_every_results_format(seed_client: TestClient, fmt: str, media_type: str) -> None:
    by_name = seed_client.get("/sparql", params={"query": SELECT, "format": fmt})
    by_accept = seed_client.get("/sparql", params={"query": SELECT}, headers={"Accept": media_type})
    for response in (by_name, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media_type
    assert by_name.content == by_accept.content
    if fmt == "csv":  # lossy (terms as bare text): read as a table
        rows = list(csv.DictReader(io.StringIO(by_name.text)))
        labels = sorted(row["label"] for row in rows)
    else:
        parsed = ox.parse_query_results(by_name.content, format=_RESULTS_FORMATS[fmt])
        labels = sorted(str(row["label"].value) for row in parsed)  # type: ignore[union-attr]
    assert "Scholz to meet Putin in Moscow" in labels and len(labels) == 5


_RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}


def test_ask_answers_true_and_false(seed_client: TestClient) -> None:
    yes = seed_client.get("/sparql", params={"query": "ASK { id:olaf-scholz ?p ?o }"})
    no = seed_client.get("/sparql", params={"query": "ASK { id:joe-biden ?p ?o }"})
    assert yes.json() == {"head": {}, "boolean": True}
    assert no.json() == {"head": {}, "boolean": False}
    xml = seed_client.get("/sparql", params={"query": "ASK {?s ?p ?o}", "format": "xml"})
    assert b"<boolean>true</boolean>" in xml.content


@pytest.mark.parametrize(
    ("fmt", "media_type", "engine"),
    [
        ("turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("ntriples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("nquads", "application/n-quads", ox.RdfFormat.N_QUADS),
        ("trig", "application/trig", ox.RdfFormat.TRIG),
        ("rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("n3", "text/n3", ox.RdfFormat.N3),
    ],
)
def test_construct_in_every_rdf_format_gives_the_same_triples(
    seed_client: TestClient, fmt: str, media_type: str, engine: ox.RdfFormat
) -> None:
    query = "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e geokg:kind 'meeting' ; rdfs:label ?l }"
    expected = seed_client.get("/sparql", params={"query": query, "format": "ntriples"})
    by_name = seed_client.get("/sparql", params={"query": query, "format": fmt})
    by_accept = seed_client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    assert by_name.headers["content-type"].split(";")[0] == media_type
    assert by_accept.headers["content-type"].split(";")[0] == media_type
    want = _triples(expected.content, ox.RdfFormat.N_TRIPLES)
    assert len(want) == 5
    assert {str(q.triple) for q in ox.parse(by_name.content, format=engine)} == want


def test_defaults_and_format_errors(seed_client: TestClient) -> None:
    construct = seed_client.get("/sparql", params={"query": EVERYTHING + " LIMIT 1"})
    assert construct.headers["content-type"].startswith("text/turtle")
    select = seed_client.get("/sparql", params={"query": SELECT}, headers={"Accept": "*/*"})
    assert select.headers["content-type"] == RESULTS_JSON
    body = _problem(
        seed_client.get("/sparql", params={"query": SELECT, "format": "turtle"}),
        400,
        "unsupported-format",
    )
    assert body["supported"] == ["json", "xml", "csv", "tsv"]
    body = _problem(
        seed_client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/turtle"}),
        406,
        "not-acceptable",
    )
    assert "application/sparql-results+json" in body["supported"]
    _problem(
        seed_client.get("/sparql", params={"query": "ASK {?s ?p ?o}", "format": "csv"}),
        400,
        "unsupported-format",
    )


def test_post_takes_a_form_or_the_query_itself(seed_client: TestClient) -> None:
    direct = seed_client.post(
        "/sparql",
        content=SELECT.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    form = seed_client.post("/sparql", data={"query": SELECT})
    got = seed_client.get("/sparql", params={"query": SELECT})
    assert direct.status_code == form.status_code == 200
    assert direct.content == form.content == got.content
    csv = seed_client.post("/sparql", data={"query": SELECT, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    _problem(
        seed_client.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    _problem(
        seed_client.post("/sparql", data={"query": SELECT, "qurey": "x"}), 422, "invalid-query"
    )
    _problem(seed_client.post("/sparql", data={"format": "json"}), 400, "sparql-syntax-error")
    twice = seed_client.post(
        "/sparql",
        content=b"query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D&format=json&format=xml",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "format" in _problem(twice, 422, "invalid-query")["detail"]
    latin = seed_client.post(
        "/sparql",
        content="ASK { ?s ?p 'é' }".encode("latin-1"),
        headers={"Content-Type": "application/sparql-query; charset=latin1"},
    )
    _problem(latin, 415, "unsupported-media-type")
    utf8 = seed_client.post(
        "/sparql",
        content=b"ASK { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query; charset=UTF-8"},
    )
    assert utf8.status_code == 200
    _problem(
        seed_client.post(
            "/sparql", content=b"\xff", headers={"Content-Type": "application/sparql-query"}
        ),
        400,
        "bad-request",
    )


# -- what is refused -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "delete where { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/x.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <a:g>",
        "PREFIX ex: <http://e/> WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <a:b> <a:c> <a:d> }",
    ],
)
def test_updates_are_refused(seed_client: TestClient, query: str) -> None:
    _problem(seed_client.get("/sparql", params={"query": query}), 400, "sparql-update-refused")
    _problem(seed_client.post("/sparql", data={"update": query}), 400, "sparql-update-refused")
    refused = seed_client.post(
        "/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-update"}
    )
    _problem(refused, 400, "sparql-update-refused")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that would see any connection the server made."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    yield server
    server.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o # SERVICE in a comment is fine\n SERVICE <{url}> {{}} }}",
        "PREFIX : <{url}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
        "PREFIX e: <{url}> SELECT * WHERE {{ SERVICEe:g {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ OPTIONAL {{ ?s geokg:a\\' ?o }} SERVICE <{url}> {{ ?x ?y ?z }} }}",
        # A second review's: a keyword glued after true, false or a number, or after a dot,
        # and a comparison read as an IRI by the first scan.
        "SELECT * {{ ?s ?p trueSERVICE<{url}>{{}} }}",
        "SELECT * {{ ?s ?p 1e0SERVICE<{url}>{{}} }}",
        "PREFIX : <{url}> SELECT * {{ ?s ?p false.SERVICE:x{{}} }}",
        "PREFIX : <{url}> SELECT * {{ FILTER(1<0)SERVICE:x#>\n{{}} }}",
    ],
)
def test_service_is_refused_and_nothing_is_fetched(
    seed_client: TestClient, listener: socket.socket, template: str
) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    query = template.format(url=url)
    _problem(seed_client.get("/sparql", params={"query": query}), 400, "sparql-service-refused")
    with pytest.raises(TimeoutError):
        listener.accept()


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?service WHERE { ?service rdfs:label "SERVICE" }',
        "SELECT * WHERE { ?s <http://e/SERVICE> ?o } # SERVICE <http://x/>",
        "PREFIX ex: <http://e/> ASK { ?s ex:delete ex:service }",
        "SELECT (COUNT(*) AS ?insert) WHERE { ?s ?p 'DROP'@en }",
    ],
)
def test_keywords_inside_names_strings_and_comments_are_not_refused(
    seed_client: TestClient, query: str
) -> None:
    assert seed_client.get("/sparql", params={"query": query}).status_code == 200


def test_a_dataset_of_the_callers_is_refused(seed_client: TestClient) -> None:
    for query in ("SELECT * FROM <a:g> WHERE { ?s ?p ?o }", "ASK FROM NAMED <a:g> { ?s ?p ?o }"):
        _problem(seed_client.get("/sparql", params={"query": query}), 400, "sparql-dataset-refused")
    params = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": "a:g"}
    _problem(seed_client.get("/sparql", params=params), 400, "sparql-dataset-refused")


def test_named_graphs_are_not_visible(seed_client: TestClient) -> None:
    assert _select(seed_client, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1") == []


def test_syntax_errors_are_400_saying_where(seed_client: TestClient) -> None:
    body = _problem(
        seed_client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"}),
        400,
        "sparql-syntax-error",
    )
    assert "1:" in body["detail"]
    _problem(seed_client.get("/sparql", params={"query": "hello"}), 400, "sparql-syntax-error")
    _problem(seed_client.get("/sparql", params={"query": ""}), 400, "sparql-syntax-error")
    long = "ASK { ?s ?p ?o }" + " " * 100_001  # (too long for a URL: by POST)
    posted = seed_client.post(
        "/sparql", content=long.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    _problem(posted, 400, "sparql-syntax-error")


# -- time and size limits ------------------------------------------------------------------

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_query_past_the_time_limit_is_stopped_with_a_422_and_the_graph_stays_loaded() -> None:
    for client in client_for(DEFAULT_SEEDS, sparql_timeout=1.0):
        limits = client.get("/limits").json()
        assert limits["sparql_query_time"]["value"] == 1.0
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        engine = client.app.state.sparql  # type: ignore[attr-defined]
        replica, executor = engine._process, engine._executor_pid
        started = time.monotonic()
        body = _problem(client.get("/sparql", params={"query": HEAVY}), 422, "sparql-timeout")
        assert time.monotonic() - started < 10
        assert "1-second limit" in body["detail"]
        deadline = time.monotonic() + 60
        while True:  # a new replica loads in the background: 503 with Retry-After meanwhile
            again = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
            if again.status_code == 200 or time.monotonic() > deadline:
                break
            assert again.status_code == 503 and again.headers["retry-after"]
            time.sleep(0.2)
        assert again.json()["boolean"] is True
        # The query's executor ended (its process is gone); the replica that holds the graph
        # did not, and forked the next executor.
        assert engine._process is replica and engine._executor_pid != executor
        with pytest.raises(ProcessLookupError):
            os.kill(executor, 0)


def test_a_result_past_the_size_limit_is_a_422_with_nothing_sent() -> None:
    for client in client_for(DEFAULT_SEEDS, sparql_max_bytes=4096):
        assert client.get("/limits").json()["sparql_result_bytes"]["value"] == 4096
        _problem(
            client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}),
            422,
            "sparql-result-too-large",
        )
        _problem(
            client.get("/sparql", params={"query": EVERYTHING, "format": "jsonld"}),
            422,
            "sparql-result-too-large",
        )
        small = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
        assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 3


def test_limits_lists_the_sparql_bounds(seed_client: TestClient) -> None:
    limits = seed_client.get("/limits").json()
    for name in ("sparql_query_time", "sparql_result_bytes", "sparql_query_length"):
        assert name in limits
    assert limits["sparql_query_time"]["value"] == 10.0
    assert "sparql-timeout" in limits["sparql_query_time"]["when_reached"]


# -- the query page ------------------------------------------------------------------------


def test_the_query_page_is_served_with_a_strict_policy(seed_client: TestClient) -> None:
    page = seed_client.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "<script>" not in page.text  # no inline script
    for example in EXAMPLES:
        assert example.title in page.text
    script = seed_client.get("/sparql-assets/sparql.js")
    assert script.status_code == 200 and "fetch(" in script.text
    assert seed_client.get("/sparql-assets/sparql.css").status_code == 200


# -- the README's queries ------------------------------------------------------------------

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
_README_QUERY = re.compile(
    r"curl -s http://127\.0\.0\.1:8000/sparql -G -H 'Accept: text/csv' "
    r"--data-urlencode 'query=(.*?)'\n```\n```\n(.*?)```",
    re.DOTALL,
)


def test_the_readme_queries_answer_what_the_readme_shows(seed_client: TestClient) -> None:
    shown = _README_QUERY.findall(README)
    assert len(shown) == 2
    for query, output in shown:
        answer = seed_client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
        assert answer.status_code == 200, answer.text
        assert answer.text.replace("\r\n", "\n") == output


def test_a_replica_far_behind_is_loaded_afresh(
    writable: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = writable
    engine = client.app.state.sparql  # type: ignore[attr-defined]
    assert _sparql_graph(client) == _export_graph(client)
    first = engine._process
    monkeypatch.setattr("graph.sparql.engine.RELOAD_AFTER", 0)
    added = client.post(
        "/entities",
        json={"kind": "place", "label": "Odesa", "analyst_assertion": True},
        headers=WRITE,
    )
    assert added.status_code == 201, added.text
    assert _select(client, "SELECT ?l WHERE { id:odesa rdfs:label ?l }") == [{"l": "Odesa"}]
    assert engine._process is not first
    assert _sparql_graph(client) == _export_graph(client)


def test_a_lost_executor_or_replica_is_replaced_without_an_error(writable: TestClient) -> None:
    client = writable
    ask = {"query": "ASK { id:olaf-scholz ?p ?o }"}
    assert client.get("/sparql", params=ask).json()["boolean"] is True
    engine = client.app.state.sparql  # type: ignore[attr-defined]
    replica, executor = engine._process, engine._executor_pid
    os.kill(executor, signal.SIGKILL)
    time.sleep(0.2)
    assert client.get("/sparql", params=ask).json()["boolean"] is True
    assert engine._process is replica and engine._executor_pid != executor
    replica.kill()  # the replica itself: the graph is loaded again
    replica.wait()
    assert client.get("/sparql", params=ask).json()["boolean"] is True
    assert engine._process is not replica
    assert _sparql_graph(client) == _export_graph(client)


def test_the_executor_can_open_no_socket_even_past_the_scan(
    seed_client: TestClient, listener: socket.socket
) -> None:
    """The second line of defence: a SERVICE query handed to the engine as if the scan had
    missed it fails in the executor, which may open no file or socket."""
    engine = seed_client.app.state.sparql  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    smuggled = PreparedQuery(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "SELECT")
    with pytest.raises(SparqlServiceError, match="reach another server"):
        engine.answer(smuggled, result_format("json", "SELECT"))
    with pytest.raises(TimeoutError):
        listener.accept()
    assert seed_client.get("/sparql", params={"query": "ASK {?s ?p ?o}"}).json()["boolean"]


EXPLODING = (
    "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?a ?b ?c ?d ?e ?f WHERE "
    "{ ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f } }"
)


def test_a_query_past_the_memory_limit_is_stopped_with_a_422() -> None:
    for client in client_for(DEFAULT_SEEDS, sparql_max_memory=64 * 1024 * 1024):
        limits = client.get("/limits").json()
        assert limits["sparql_query_memory"]["value"] == 64 * 1024 * 1024
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        engine = client.app.state.sparql  # type: ignore[attr-defined]
        replica = engine._process
        started = time.monotonic()
        body = _problem(
            client.get("/sparql", params={"query": EXPLODING}), 422, "sparql-query-aborted"
        )
        assert time.monotonic() - started < 10  # well before the 10-second time limit
        assert "64 MiB" in body["detail"]
        again = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert again.status_code == 200 and again.json()["boolean"] is True
        assert engine._process is replica


def test_the_replica_outlives_the_thread_that_started_it() -> None:
    """PR_SET_PDEATHSIG ends a child with the *thread* that started it: the replica must not
    use it (it ended with the thread that loaded it in the background)."""
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    engine = SparqlEngine(graph.records)
    try:
        engine.warm_in_background().join(60)
        replica = engine._process
        assert replica is not None
        time.sleep(0.5)
        assert replica.poll() is None
        answer = engine.answer(prepare("ASK { ?s ?p ?o }"), result_format("json", "ASK"))
        assert b"true" in answer.body and engine._process is replica
    finally:
        engine.close()
        graph.close()


def test_an_executor_killed_between_a_write_and_a_query_is_replaced_at_once(
    writable: TestClient,
) -> None:
    client = writable
    assert client.get("/sparql", params={"query": "ASK {?s ?p ?o}"}).status_code == 200
    engine = client.app.state.sparql  # type: ignore[attr-defined]
    added = client.post(
        "/entities",
        json={"kind": "place", "label": "Odesa", "analyst_assertion": True},
        headers=WRITE,
    )
    assert added.status_code == 201
    os.kill(engine._executor_pid, signal.SIGKILL)
    rows = _select(client, "SELECT ?l WHERE { id:odesa rdfs:label ?l }")
    assert rows == [{"l": "Odesa"}]
    # An executor whose connection fails on the way (it ended after the engine looked) is
    # replaced within the same request, not answered with a 503.
    first = engine._executor_pid
    engine._executor.close()
    assert _select(client, "SELECT ?l WHERE { id:odesa rdfs:label ?l }") == [{"l": "Odesa"}]
    assert engine._executor_pid != first


@pytest.mark.parametrize("warm", [True, False])
def test_a_served_store_loads_the_replica_at_start_unless_told_not_to(
    tmp_path: Path, warm: bool
) -> None:
    from app.config import Settings
    from app.main import create_app

    settings = Settings(db=str(tmp_path / "s.sqlite3"), seeds=DEFAULT_SEEDS, sparql_warm=warm)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.sparql  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while warm and engine._process is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (engine._process is not None) is warm
        answer = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert answer.status_code == 200 and answer.json()["boolean"] is True


def test_a_store_out_of_reach_while_warming_is_one_warning_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    engine = SparqlEngine(graph.records)

    def unreachable() -> None:
        raise StoreUnreachableError("server closed the connection\n\tunexpectedly")

    monkeypatch.setattr(engine, "_ready", unreachable)
    try:
        with caplog.at_level(logging.WARNING, logger="graph.sparql.engine"):
            engine.warm_in_background().join(60)
        (line,) = caplog.records
        assert line.exc_info is None and "Traceback" not in caplog.text
        assert "cannot be reached (server closed the connection unexpectedly)" in line.message
    finally:
        engine.close()
        graph.close()
