"""A proposal set: what ingestion read from one article, waiting for a reviewer.

An ingested article is kept apart from the committed graph with its text and its proposals.
Each proposal is one item a reviewer accepts, edits or rejects:

- ``entity``, action ``create``: a new entity (its record as the dump writes records);
- ``entity``, action ``add_evidence``: a mention of an entity the graph holds (``existing``),
  to be added to its evidence;
- ``event``, action ``create``: a new event with its role edges (``record`` and ``roles``);
- ``event``, action ``add_evidence``: a second report of an event the graph holds: its quote
  becomes new evidence on it, not a duplicate event;
- ``relation``, action ``create``: a relation (``holds_position``, ``disputes``...).

Every item carries its evidence: ``[start, end)`` slices of the original text equal to the
quote, a confidence, the rule that produced it, and ``needs``: the items it refers to (an
event's new actor), which must be accepted with it or before it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from graph.model import NodeId
from graph.validation import check_text

__all__ = [
    "Decision",
    "DecisionIn",
    "DecisionsIn",
    "ProposalItem",
    "ProposalSet",
    "ProposalSummary",
    "SkippedSpan",
    "Span",
]

ItemType = Literal["entity", "event", "relation"]
Action = Literal["create", "add_evidence"]
Status = Literal["pending", "accepted", "rejected"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Model):
    """A quote: the ``[start, end)`` slice of the original text, and the slice itself."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str


class SkippedSpan(_Model):
    """Text that ingestion did not read for facts (title, markup, captions, bylines...)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    reason: str
    text: str


class Decision(_Model):
    """Who decided an item, when, and how."""

    by: str = Field(description="The reviewer's token name.")
    at: dt.datetime
    decision: Literal["accept", "edit", "reject"]
    position: int | None = Field(
        default=None, description="The change-log position of the commit that accepted it."
    )
    note: str | None = None


class ProposalItem(_Model):
    """One proposed entity, event or relation."""

    id: str = Field(description="The item's id within its set: p1, p2, ...")
    type: ItemType
    action: Action
    existing: str | None = Field(
        default=None, description="For add_evidence: the id of the graph's entity or event."
    )
    record: dict[str, Any] = Field(
        description="For create: the record as geokg's JSON dump writes it (an event's role "
        "edges under roles); for add_evidence: {evidence: [...]}."
    )
    roles: list[dict[str, Any]] = Field(default=[], description="An event's role edges.")
    confidence: float = Field(ge=0, le=1)
    rule: str = Field(description="The rule that produced it.")
    evidence: list[Span]
    needs: list[str] = Field(default=[], description="Items that must be accepted with it.")
    proposed_id: str | None = Field(
        default=None,
        description="The id the item was proposed with (for create): references from other "
        "items use it, and follow the item if an edit changes its id.",
    )
    status: Status = "pending"
    decision: Decision | None = None


class ProposalSummary(_Model):
    """A proposal set as listed: its id, article and counts."""

    id: str
    title: str
    published: dt.date
    url: str | None = None
    source: str = Field(description="The id the article's source gets when first accepted.")
    ingested_by: str
    ingested_at: dt.datetime
    counts: dict[str, int] = Field(description="Items by status.")


class ProposalSet(ProposalSummary):
    """Everything read from one article: its proposals and the spans it skipped."""

    text_length: int
    sentences: int
    skipped: list[SkippedSpan]
    items: list[ProposalItem]
    left_out: int = Field(
        default=0,
        description="Items not proposed: a set holds at most 3,000 (`proposals_per_set`).",
    )
    timings_ms: dict[str, float] = Field(default={}, description="Time spent in each stage.")


Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(check_text)]
MAX_DEPTH = 16
"""How deep an edit's JSON may nest: records nest a few levels (a quantity's quotes)."""


def _shallow(value: Any) -> Any:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return value


class DecisionIn(_Model):
    """A reviewer's decision on one item: accept it, accept it edited, or reject it."""

    item: str = Field(description="The item's id (p1, p2...).")
    decision: Literal["accept", "edit", "reject"]
    record: Annotated[dict[str, Any], AfterValidator(_shallow)] | None = Field(
        default=None,
        description="For edit: fields of the record to replace (top-level keys, as in the "
        "item's record).",
    )
    roles: Annotated[list[dict[str, Any]], AfterValidator(_shallow)] | None = Field(
        default=None,
        description="For edit of an event: its roles ({type, target, evidence}), replacing them.",
    )
    existing: NodeId | None = Field(
        default=None,
        description="For edit of a proposed entity or event: the graph's node it is. Its quotes "
        "become evidence on that node instead of a new one, and the items that refer to it "
        "refer to that node.",
    )
    note: Note | None = None


class DecisionsIn(_Model):
    """Decisions on items of one proposal set, applied together: all or none."""

    decisions: list[DecisionIn] = Field(min_length=1, max_length=10_000)
