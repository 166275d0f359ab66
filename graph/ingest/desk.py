"""The review desk: ingest an article into a proposal set, list and read sets, decide items.

Proposal sets live in the store of record beside the records but outside them and outside
the change log (:meth:`~graph.storage.base.RecordStore.add_ingest`): nothing reaches the graph
without a decision, and a decision's accepted items are one ordinary write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from graph.errors import ConflictError, IdempotencyKeyReusedError, NodeNotFoundError
from graph.ingest.pipeline import read_article
from graph.ingest.proposals import DecisionsIn, ProposalSet, ProposalSummary
from graph.ingest.review import DecisionReport, dumps, plan_decisions, summary_of
from graph.service import KnowledgeGraph
from graph.storage.base import NewIngest
from graph.store import GraphStore
from graph.validation import Label, Url, check_text, mint_id
from graph.writes import Plan

__all__ = [
    "MAX_ARTICLE_CHARS",
    "IngestIn",
    "decide",
    "decision_plan",
    "ingest",
    "proposal_set",
    "proposal_sets",
]

MAX_ARTICLE_CHARS = 100_000
"""The longest article ingestion reads (about 15,000 words; a wire story is 500 to 2,000):
reading takes about 0.1 s for the seed's 6,800 characters, and a few seconds for 100,000 of
the worst text tried (a short sentence repeated, each an event), so a bound keeps one request
from holding a worker for long."""


def _has_words(text: str) -> str:
    if not any(c.isalpha() for c in text):
        raise ValueError("the article has no words")
    return text


ArticleText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ARTICLE_CHARS),
    AfterValidator(check_text),
    AfterValidator(_has_words),
]


class IngestIn(BaseModel):
    """An article to read: its text and the metadata that comes with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: ArticleText = Field(description="The article's text, as published (UTF-8).")
    title: Label
    published: dt.date = Field(description="The publication date: dates resolve against it.")
    url: Url | None = None


def _fingerprint(body: IngestIn) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def ingest(
    kg: KnowledgeGraph, body: IngestIn, actor: str, idempotency_key: str | None = None
) -> tuple[ProposalSet, bool]:
    """Read an article against the graph as it stands and keep its proposal set; return it,
    and whether it is the answer to an earlier request with the same ``idempotency_key``
    (then nothing new is kept; the same key with another article raises
    :class:`~graph.errors.IdempotencyKeyReusedError`).

    The ids the set proposes are reserved: no other set proposes them, so accepting one set
    never overwrites what another set added.

    Examples
    --------
    >>> from graph.storage import SQLiteRecordStore
    >>> kg = KnowledgeGraph(SQLiteRecordStore(":memory:"))
    >>> text = "Talks\\n\\nForeign Minister Anna Berg of Norland visited Varnia on Monday.\\n"
    >>> found, _ = ingest(kg, IngestIn(text=text, title="Talks", published="2023-05-03"), "ann")
    >>> found.id, found.counts["pending"] > 0
    ('2023-05-03-talks', True)
    >>> proposal_set(kg, found.id).items == found.items
    True
    >>> again, _ = ingest(kg, IngestIn(text=text, title="Talks", published="2023-05-03"), "ann")
    >>> ids = [{i.proposed_id for i in s.items} - {None} for s in (found, again)]
    >>> again.id, ids[0] & ids[1]
    ('2023-05-03-talks-2', set())
    >>> kg.close()
    """
    records = kg.records
    fingerprint = _fingerprint(body)
    if idempotency_key is not None:
        earlier = records.ingest_by_key(actor, idempotency_key)
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(idempotency_key)
            return ProposalSet.model_validate_json(earlier.body), True
    for attempt in range(20):
        with kg.reading() as store:

            def taken(node_id: str) -> bool:
                return store.type_of(node_id) is not None or records.id_reserved(node_id)

            def free_set(node_id: str) -> bool:
                return taken(node_id) or records.ingest(node_id) is not None

            base = f"{body.published.isoformat()} {body.title}"[:80]
            if attempt >= 5:  # many sets of one title at once: make the id unique outright
                base = f"{base[:70]} {uuid.uuid4().hex[:8]}"
            ingest_id = mint_id(base, free_set, "article")
            pset = read_article(
                body.text,
                ingest_id=ingest_id,
                title=body.title,
                published=body.published,
                url=body.url,
                source=ingest_id,
                actor=actor,
                store=store,
                taken=taken,
            )
        reserved = tuple(
            i.proposed_id for i in pset.items if i.proposed_id and i.type != "relation"
        )
        new = NewIngest(
            ingest_id,
            body.text,
            dumps(pset),
            summary_of(pset),
            (ingest_id, *reserved),
            (actor, idempotency_key, fingerprint) if idempotency_key is not None else None,
        )
        try:
            records.add_ingest(new)
        except ConflictError:
            if idempotency_key is not None and records.ingest_by_key(actor, idempotency_key):
                return ingest(kg, body, actor, idempotency_key)
            continue
        return pset, False
    raise ConflictError("could not find free ids for the proposal set; try again")


def proposal_sets(
    kg: KnowledgeGraph, after: int = 0, limit: int = 100
) -> tuple[list[ProposalSummary], int | None]:
    """Proposal sets after the ``after``-th, oldest first, and where the next page starts."""
    rows = kg.records.ingests(after, limit + 1)
    out = [ProposalSummary.model_validate_json(row.summary) for row in rows[:limit]]
    return out, rows[limit - 1].seq if len(rows) > limit else None


def _stored(kg: KnowledgeGraph, ingest_id: str) -> tuple[ProposalSet, str, int]:
    row = kg.records.ingest(ingest_id)
    if row is None:
        raise NodeNotFoundError(ingest_id, "proposal set")
    return ProposalSet.model_validate_json(row.body), row.text, row.version


def proposal_set(kg: KnowledgeGraph, ingest_id: str) -> ProposalSet:
    """One proposal set in full (raises :class:`NodeNotFoundError` if unknown)."""
    return _stored(kg, ingest_id)[0]


def decision_plan(
    kg: KnowledgeGraph, ingest_id: str, body: DecisionsIn, reviewer: str
) -> Callable[[GraphStore], Plan]:
    """The plan of a round of decisions, for :meth:`KnowledgeGraph.write`: it reads the set
    when it runs, so a write retried after another decision (a stale version) plans from the
    set as that decision left it. Raises :class:`NodeNotFoundError` for an unknown set."""
    if kg.records.ingest(ingest_id) is None:  # not parsed here: the plan reads it
        raise NodeNotFoundError(ingest_id, "proposal set")

    def plan(store: GraphStore) -> Plan:
        pset, text, version = _stored(kg, ingest_id)
        return plan_decisions(store, pset, text, version, body, reviewer, kg.records.id_reserved)

    return plan


def decide(kg: KnowledgeGraph, ingest_id: str, body: DecisionsIn, reviewer: str) -> DecisionReport:
    """Apply a reviewer's decisions: accepted items committed in one write (with the set's
    new state), rejected ones marked. All or nothing."""
    plan = decision_plan(kg, ingest_id, body, reviewer)
    outcome = kg.write(plan, actor=reviewer)  # the plan names the source it registers
    assert isinstance(outcome.result, DecisionReport)
    return outcome.result
