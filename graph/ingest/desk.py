"""The review desk: ingest an article into a proposal set, list and read sets, decide items.

Proposal sets live in the store of record beside the records but outside them and outside
the change log (:meth:`~graph.storage.base.RecordStore.add_ingest`): nothing reaches the graph
without a decision, and a decision's accepted items are one ordinary write.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from graph.errors import ConflictError, NodeNotFoundError
from graph.ingest.pipeline import read_article
from graph.ingest.proposals import DecisionsIn, ProposalSet, ProposalSummary
from graph.ingest.review import DecisionReport, dumps, plan_decisions
from graph.service import KnowledgeGraph
from graph.validation import Label, Url, check_text, mint_id

__all__ = [
    "MAX_ARTICLE_CHARS",
    "IngestIn",
    "decide",
    "ingest",
    "proposal_set",
    "proposal_sets",
]

MAX_ARTICLE_CHARS = 100_000
"""The longest article ingestion reads (about 15,000 words; a wire story is 500 to 2,000):
reading takes about 0.1 s for the seed's 6,800 characters and 0.8 s for 100,000 on this
machine, and a bound keeps one request from holding a worker for long."""


ArticleText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ARTICLE_CHARS),
    AfterValidator(check_text),
]


class IngestIn(BaseModel):
    """An article to read: its text and the metadata that comes with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: ArticleText = Field(description="The article's text, as published (UTF-8).")
    title: Label
    published: dt.date = Field(description="The publication date: dates resolve against it.")
    url: Url | None = None


def ingest(kg: KnowledgeGraph, body: IngestIn, actor: str) -> ProposalSet:
    """Read an article against the graph as it stands and keep its proposal set.

    Examples
    --------
    >>> from graph.storage import SQLiteRecordStore
    >>> kg = KnowledgeGraph(SQLiteRecordStore(":memory:"))
    >>> text = "Talks\\n\\nForeign Minister Anna Berg of Norland visited Varnia on Monday.\\n"
    >>> found = ingest(kg, IngestIn(text=text, title="Talks", published="2023-05-03"), "ann")
    >>> found.id, found.counts["pending"] > 0
    ('2023-05-03-talks', True)
    >>> proposal_set(kg, found.id).items == found.items
    True
    >>> kg.close()
    """
    records = kg.records
    for _ in range(5):
        with kg.reading() as store:

            def free(node_id: str) -> bool:
                return store.type_of(node_id) is not None or records.ingest(node_id) is not None

            ingest_id = mint_id(f"{body.published.isoformat()} {body.title}"[:80], free, "article")
            pset = read_article(
                body.text,
                ingest_id=ingest_id,
                title=body.title,
                published=body.published,
                url=body.url,
                source=ingest_id,
                actor=actor,
                store=store,
                taken=lambda node_id: store.type_of(node_id) is not None,
            )
        try:
            records.add_ingest(ingest_id, body.text, dumps(pset))
        except ConflictError:
            continue
        return pset
    raise ConflictError("could not find a free id for the proposal set; try again")


def proposal_sets(
    kg: KnowledgeGraph, after: int = 0, limit: int = 100
) -> tuple[list[ProposalSummary], int | None]:
    """Proposal sets after the ``after``-th, oldest first, and where the next page starts."""
    rows = kg.records.ingests(after, limit + 1)
    out = []
    for row in rows[:limit]:
        data = json.loads(row.body)
        out.append(
            ProposalSummary.model_validate({k: data[k] for k in ProposalSummary.model_fields})
        )
    return out, rows[limit - 1].seq if len(rows) > limit else None


def _stored(kg: KnowledgeGraph, ingest_id: str) -> tuple[ProposalSet, str, int]:
    row = kg.records.ingest(ingest_id)
    if row is None:
        raise NodeNotFoundError(ingest_id, "proposal set")
    return ProposalSet.model_validate_json(row.body), row.text, row.version


def proposal_set(kg: KnowledgeGraph, ingest_id: str) -> ProposalSet:
    """One proposal set in full (raises :class:`NodeNotFoundError` if unknown)."""
    return _stored(kg, ingest_id)[0]


def decide(kg: KnowledgeGraph, ingest_id: str, body: DecisionsIn, reviewer: str) -> DecisionReport:
    """Apply a reviewer's decisions: accepted items committed in one write (with the set's
    new state), rejected ones marked. All or nothing."""
    _stored(kg, ingest_id)

    def plan(store):  # type: ignore[no-untyped-def]
        pset, text, version = _stored(kg, ingest_id)
        return plan_decisions(store, pset, text, version, body, reviewer)

    outcome = kg.write(plan, actor=reviewer, source=proposal_set(kg, ingest_id).source)
    assert isinstance(outcome.result, DecisionReport)
    return outcome.result
