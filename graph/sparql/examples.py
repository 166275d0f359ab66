"""Example queries over the seed, shown on the query page and run by the tests.

Every prefix of the RDF export (``geokg:``, ``sem:``, ``rdfs:``, ``skos:``, ``id:``, ...) is
predefined, so the examples name none.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXAMPLES", "Example"]


@dataclass(frozen=True)
class Example:
    """A named example query, with what it asks."""

    name: str
    title: str
    query: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "who-met-whom",
        "Who met whom, where and when",
        """SELECT ?event ?actor ?participant ?place ?day WHERE {
  ?e geokg:kind "meeting" ;
     dcterms:identifier ?event ;
     sem:hasActor/rdfs:label ?actor ;
     geokg:hasParticipant/rdfs:label ?participant .
  OPTIONAL { ?e sem:hasPlace/rdfs:label ?place }
  OPTIONAL { ?e sem:hasBeginTimeStamp ?day }
}
ORDER BY ?event ?participant""",
    ),
    Example(
        "events-by-cameo-root",
        "Events by CAMEO root code",
        """SELECT ?root (COUNT(?e) AS ?events)
       (GROUP_CONCAT(DISTINCT ?code; separator=" ") AS ?codes) WHERE {
  ?e sem:eventType/skos:notation ?code .
  BIND (SUBSTR(?code, 1, 2) AS ?root)
}
GROUP BY ?root
ORDER BY ?root""",
    ),
    Example(
        "disputed-claims",
        "Claims disputed, and by whom",
        """SELECT ?claim ?disputedBy (GROUP_CONCAT(DISTINCT ?who; separator=", ") AS ?actors)
WHERE {
  ?d geokg:disputes ?c .
  ?c rdfs:label ?claim .
  ?d rdfs:label ?disputedBy .
  OPTIONAL { ?d sem:hasActor/rdfs:label ?who }
}
GROUP BY ?claim ?disputedBy
ORDER BY ?claim ?disputedBy""",
    ),
    Example(
        "quotes-of-an-event",
        "The quotes an event was read from",
        """SELECT ?quote ?source ?start ?end WHERE {
  id:scholz-putin-meeting-in-moscow prov:wasDerivedFrom ?q .
  ?q schema:text ?quote ; prov:wasQuotedFrom ?source ;
     geokg:startOffset ?start ; geokg:endOffset ?end .
}
ORDER BY ?start""",
    ),
    Example(
        "describe-scholz",
        "Everything said of Olaf Scholz (DESCRIBE, as RDF)",
        "DESCRIBE id:olaf-scholz",
    ),
)
"""The examples, in the order the page lists them."""
