"""The records the graph holds: entities, events, sources (nodes) and edges.

These are the store's own records, built by the seed loader (:mod:`graph.seed`) from the
reviewable seed files and, later, by importers. They are plain pydantic models: JSON answers,
RDF and GraphML are all projections of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from graph.ontology import EntityKind, EventKind, Granularity, Modality, QuantityQualifier

__all__ = [
    "ID_PATTERN",
    "AnyNode",
    "CameoCode",
    "Edge",
    "EdgeCategory",
    "Entity",
    "Event",
    "EventDate",
    "Evidence",
    "Identifier",
    "Node",
    "NodeId",
    "Quantity",
    "Source",
    "check_cameo_note",
]

ID_PATTERN = r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$"
"""Ids are lowercase slugs: letters, digits, single hyphens or dots between them."""

NodeId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=200)]

EdgeCategory = Literal["relation", "role"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Record):
    """A verbatim quote from a source, with its character offsets in the source text."""

    source: NodeId = Field(description="Id of the source document the quote comes from.")
    quote: str = Field(description="The verbatim text, exactly as in the source.")
    start: int = Field(ge=0, description="Offset of the first character (Python str index).")
    end: int = Field(ge=0, description="Offset one past the last character.")


class Identifier(_Record):
    """An identifier from outside the article, with where it came from."""

    scheme: str = Field(description="e.g. `iso3166-1-alpha2`, `wikidata`.")
    value: str
    origin: str = Field(description="Where the value came from (never the article).")


class Entity(_Record):
    """A state, person, organisation, place, force or group."""

    node_type: Literal["entity"] = "entity"
    id: NodeId
    kind: EntityKind
    label: str
    aliases: tuple[str, ...] = ()
    unnamed: bool = Field(
        default=False, description="True for actors the article refers to without a name."
    )
    description: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    analyst_assertion: bool = Field(
        default=False, description="True if an analyst asserts it without a quote."
    )


class CameoCode(_Record):
    """A CAMEO event code with its codebook name, Goldstein score and QuadClass."""

    code: str = Field(pattern=r"^[0-9]{2,4}$", description="Kept as a string: '036', '0311'.")
    name: str = Field(description="The CAMEO manual's name for the code.")
    goldstein: float | None = Field(description="Goldstein score (GDELT's table); None if unset.")
    quad_class: int = Field(ge=1, le=4)
    origin: str


def check_cameo_note(code: str | None, note: str | None) -> None:
    """Check that an event has a CAMEO code or a note saying why none fits, never both.

    Raises ``ValueError`` saying what is wrong.

    Examples
    --------
    >>> check_cameo_note("036", None)
    >>> check_cameo_note(None, "a market movement, not an interaction between political actors")
    >>> check_cameo_note(None, None)
    Traceback (most recent call last):
    ...
    ValueError: an event without a CAMEO code needs a cameo_note saying why no code fits
    >>> check_cameo_note("010", "filler")
    Traceback (most recent call last):
    ...
    ValueError: cameo_note is only for an event without a CAMEO code (this one has '010')
    """
    if code is None and (note is None or not note.strip()):
        raise ValueError("an event without a CAMEO code needs a cameo_note saying why no code fits")
    if code is not None and note is not None:
        raise ValueError(
            f"cameo_note is only for an event without a CAMEO code (this one has {code!r})"
        )


class EventDate(_Record):
    """When an event happened, resolved from the article's own expression."""

    expression: str | None = Field(description="The article's words, e.g. 'Monday evening'.")
    value: dt.date | None = Field(description="The resolved day (start of a week or period).")
    start: dt.date | None
    end: dt.date | None
    granularity: Granularity | None
    rule: str = Field(description="The rule that resolved the expression (see graph.dates).")
    note: str | None = None


class Quantity(_Record):
    """A number in the text with its hedge and unit: 'more than 130,000 soldiers'."""

    value: float | None = Field(
        description="The number; None only where the text gives none ('small numbers')."
    )
    unit: str
    qualifier: QuantityQualifier
    measure: str = Field(description="What is counted: count, duration, ...")
    text: str = Field(description="The article's words for the quantity.")
    evidence: tuple[Evidence, ...]


class Event(_Record):
    """Something that happened, was claimed, planned, proposed, denied or warned of."""

    node_type: Literal["event"] = "event"
    id: NodeId
    kind: EventKind
    label: str
    cameo: CameoCode | None = Field(
        description="The most specific CAMEO code that fits, with its name, Goldstein score and "
        "QuadClass; null where no code fits (then `cameo_note` says why, and the event has no "
        "Goldstein score or QuadClass)."
    )
    cameo_note: str | None = Field(
        default=None,
        description="Why no CAMEO code fits, given exactly when `cameo` is null "
        "(e.g. 'a market movement, not an interaction between political actors').",
    )
    modality: Modality
    date: EventDate
    place: NodeId | None = None
    quantities: tuple[Quantity, ...] = ()
    evidence: tuple[Evidence, ...]
    analyst_assertion: bool = Field(
        default=False, description="True if an analyst asserts it without a quote."
    )

    @model_validator(mode="after")
    def _code_or_note(self) -> Event:
        check_cameo_note(None if self.cameo is None else self.cameo.code, self.cameo_note)
        return self


class Source(_Record):
    """A source document: the text that every quote points into, with its metadata."""

    node_type: Literal["source"] = "source"
    id: NodeId
    kind: Literal["news_article"] = "news_article"
    label: str = Field(description="The title.")
    publisher: NodeId | None = None
    published: dt.date
    contributors: tuple[NodeId, ...] = ()
    language: str = "en"
    url: str | None = Field(default=None, description="Where the document was published.")
    text_file: str | None = Field(
        default=None, description="File name of the text, relative to the seed directory."
    )
    text_length: int
    metadata_origin: str = Field(
        description="Where title, date and publisher come from: metadata, not the text."
    )


Node = Entity | Event | Source


class Edge(_Record):
    """A directed, typed edge: a binary relation, or an event's role edge to a participant."""

    id: str = Field(description="Unique edge id (stable across loads).")
    category: EdgeCategory
    type: str = Field(description="A RelationType for relations, a Role for role edges.")
    source: NodeId
    target: NodeId
    attributes: dict[str, Any] = Field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    analyst_assertion: bool = Field(
        default=False, description="True if an analyst asserts it without a quote."
    )


AnyNode = Annotated[Entity | Event | Source, Field(discriminator="node_type")]
"""Any node record, told apart by its ``node_type``."""
