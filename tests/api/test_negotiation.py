"""`Accept` negotiation over the format registry (app/negotiation.py)."""

from __future__ import annotations

import pytest

from app.negotiation import NotAcceptableError, choose_format, format_for_media_type
from graph.errors import UnsupportedFormatError


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("application/json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/n-quads", "nquads"),
        ("application/graphml+xml", "graphml"),
        ("*/*", "turtle"),
        ("", "turtle"),
        ("text/*", "turtle"),
        ("application/*", "ntriples"),
        ("APPLICATION/LD+JSON; charset=utf-8", "jsonld"),
        ("application/ld+json, text/turtle", "jsonld"),
        ("text/turtle;q=0.5, application/n-triples", "ntriples"),
        ("text/turtle;q=0.5, application/n-quads;q=0.9", "nquads"),
        ("text/turtle;q=0, */*", "ntriples"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "turtle"),
        ("application/graphml+xml, */*;q=0.1", "graphml"),
        ("application/graphml+xml;q=bogus, text/turtle", "turtle"),
        ("image/png", None),
        ("text/html, image/*", None),
        ("text/turtle;q=0", None),
    ],
)
def test_accept_header_chooses_a_registry_row(accept: str, expected: str | None) -> None:
    chosen = format_for_media_type(accept)
    assert (chosen.name if chosen else None) == expected


def test_a_format_name_wins_over_accept_and_no_accept_is_the_default() -> None:
    assert choose_format("graphml", "text/turtle").name == "graphml"
    assert choose_format(None, None).name == "turtle"
    with pytest.raises(UnsupportedFormatError):
        choose_format("csv", None)
    with pytest.raises(NotAcceptableError) as caught:
        choose_format(None, "text/csv")
    assert "text/turtle" in caught.value.supported
