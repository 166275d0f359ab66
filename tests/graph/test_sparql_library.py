"""The SPARQL library: the scan that refuses queries before they run, and the replica that
keeps each node's rendering in a graph of its own."""

from __future__ import annotations

import socket
import threading
from multiprocessing.connection import Connection

import pytest

from graph.errors import (
    SparqlDatasetError,
    SparqlError,
    SparqlServiceError,
    SparqlSyntaxError,
    SparqlUpdateError,
)
from graph.export.prerendered import encode
from graph.sparql import prepare
from graph.sparql.replica import Replica, serve


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", SparqlServiceError),
        ("SELECT * { sErViCe <http://x/> { } }", SparqlServiceError),
        ("SELECT * { \\u0053ERVICE <http://x/> { } }", SparqlServiceError),
        ("SELECT * { \\U00000053ERVICE <http://x/> { } }", SparqlServiceError),
        ("SELECT * {?s ?p ?o FILTER(?a<3)SERVICE<http://x/>{}}", SparqlServiceError),
        ('SELECT * { ?s ?p "a\\"b" . SERVICE <http://x/> { } }', SparqlServiceError),
        ("SELECT * { ?s ?p '''x\n''' SERVICE <http://x/> { } }", SparqlServiceError),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", SparqlUpdateError),
        ("LOAD <http://x/>", SparqlUpdateError),
        ("ADD DEFAULT TO <a:g>", SparqlUpdateError),
        ("SELECT * FROM <a:g> { ?s ?p ?o }", SparqlDatasetError),
        # Oxigraph reads a keyword glued to what follows it (found by a review: each of these
        # made the engine fetch the URL).
        ("PREFIX : <http://x/> SELECT * { SERVICE:x { ?s ?p ?o } }", SparqlServiceError),
        ("PREFIX e: <http://x/> SELECT * { SERVICEe:g { ?s ?p ?o } }", SparqlServiceError),
        ("SELECT * { OPTIONAL { ?s e:a\\' ?o } SERVICE <http://x/> { } }", SparqlServiceError),
        ('SELECT * { ?s e:a\\" ?o . SERVICE <http://x/> { } }', SparqlServiceError),
        ("PREFIX service: <http://e/> ASK { ?s service:x ?o }", SparqlServiceError),
        ("PREFIX : <urn:x:> SELECT * FROM:russia WHERE { ?s ?p ?o }", SparqlDatasetError),
        ("SELECT * { ſervice <http://x/> { } }", SparqlServiceError),
        ("SELECT * { ?s ?p trueSERVICE<http://x/>{} }", SparqlServiceError),
        ("SELECT * { ?s ?p 1e0SERVICE<http://x/>{} }", SparqlServiceError),
        ("PREFIX : <http://x/> SELECT * { ?s ?p false.SERVICE:x{} }", SparqlServiceError),
        ("PREFIX : <http://x/> SELECT * { FILTER(1<0)SERVICE:x#>\n{} }", SparqlServiceError),
        ("PREFIX : <http://x/> SELECT * { FILTER(?a<=?b)SERVICE:x#>\n{} }", SparqlServiceError),
        ("ASKFROM<urn:none>{?s ?p ?o}", SparqlDatasetError),
        ("", SparqlSyntaxError),
        ("# SELECT in a comment only", SparqlSyntaxError),
        ("'SELECT'", SparqlSyntaxError),
    ],
)
def test_the_scan_refuses(query: str, error: type[SparqlError]) -> None:
    with pytest.raises(error):
        prepare(query)


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT ?service { ?service ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://e/> ASK { ?s ex:delete ?o . ?o ex:service ex:from }", "ASK"),
        ("CONSTRUCT WHERE { ?s <http://e/SERVICE> ?o }", "CONSTRUCT"),
        ("describe <http://e/x> # SERVICE <http://x/>", "DESCRIBE"),
        ("SELECT * { ?s ?p 'load'@en-GB }", "SELECT"),
        ("BASE <http://e/> PREFIX : <http://e/> SELECT * { :a :drop ?o }", "SELECT"),
        ('ASK { ?s ?p """SERVICE <http://x/> { }""" }', "ASK"),
        ("SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }", "SELECT"),
        ("SELECT * { ?s a <http://schema.org/Service> }", "SELECT"),
    ],
)
def test_the_scan_lets_names_strings_and_comments_be(query: str, form: str) -> None:
    assert prepare(query).form == form


def _view(*lines: str, keyed: dict[str, str] | None = None) -> bytes:
    segments = [("", "".join(f"{line} .\n" for line in lines))]
    segments += [(key, f"{text} .\n") for key, text in (keyed or {}).items()]
    return encode(segments)


def _rows(replica: Replica, query: str) -> bytes:
    return replica.answer(query, "CSV", 1 << 20)


def test_a_shared_description_is_held_once_and_dropped_with_its_last_citer() -> None:
    replica = Replica()
    quote = '<https://e/q> <https://e/text> "said"'
    replica.put(
        [
            ("a", _view("<https://e/a> <https://e/p> <https://e/b>", keyed={"qq": quote})),
            ("b", _view("<https://e/b> <https://e/p> <https://e/a>", keyed={"qq": quote})),
        ]
    )
    assert replica.triples() == 3
    assert _rows(replica, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == b"n\r\n3\r\n"
    replica.put([("a", None)])
    assert replica.triples() == 2  # b still cites the quote
    replica.put([("b", _view("<https://e/b> <https://e/p> <https://e/c>"))])
    assert replica.triples() == 1  # nobody cites it now
    assert _rows(replica, "SELECT ?o { ?s ?p ?o }") == b"o\r\nhttps://e/c\r\n"


def test_a_node_put_again_replaces_its_graph() -> None:
    replica = Replica()
    replica.put([("a", _view('<https://e/a> <https://e/label> "old"'))])
    replica.put([("a", _view('<https://e/a> <https://e/label> "new"'))])
    assert _rows(replica, "SELECT ?l { ?s ?p ?l }") == b"l\r\nnew\r\n"
    assert _rows(replica, "SELECT ?g { GRAPH ?g { ?s ?p ?o } }") == b"g\r\n"


def test_an_executor_starts_without_counting_the_graph() -> None:
    """Counting every triple takes seconds at a million edges: an executor's loop must not
    (an earlier version did, by asking ``replica or Replica()``: 10 s per fork)."""

    class Uncountable(Replica):
        def triples(self) -> int:
            raise AssertionError("counted")

        def __len__(self) -> int:
            raise AssertionError("counted")

    ours, theirs = socket.socketpair()
    engine_end = Connection(ours.detach())
    loop = threading.Thread(target=serve, args=(Connection(theirs.detach()), Uncountable()))
    loop.start()
    engine_end.send(("ping",))
    assert engine_end.poll(5) and engine_end.recv() == ("pong",)
    engine_end.close()
    loop.join(5)
    assert not loop.is_alive()
