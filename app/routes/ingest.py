"""Ingestion and review: an article in, proposals out, decisions committed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.deps import GraphDep, ReaderDep, WriterDep, run_heavy
from app.problems import PROBLEM_RESPONSES
from app.writing import IdempotencyKey, run_write
from graph.ingest import DecisionsIn, ProposalSet, ProposalSummary
from graph.ingest.desk import IngestIn, decision_plan, ingest, proposal_set, proposal_sets
from graph.ingest.review import DecisionReport

router = APIRouter(tags=["ingest"], responses=PROBLEM_RESPONSES)

SetId = Annotated[
    str,
    Path(max_length=200, description="The proposal set's id.", examples=["2022-02-16-talks"]),
]


_ARTICLE = {
    "title": "Ukraine doubts Russian pullback",
    "published": "2022-02-16",
    "text": "Ukraine doubts Russian pullback\n\nKIEV, Ukraine (AP) — U.S. officials said "
    "Wednesday that Russian troops were moving toward the border.\nShow More\n",
}
_DECISIONS = {
    "decisions": [
        {"item": "p3", "decision": "accept"},
        {"item": "p6", "decision": "edit", "record": {"label": "Russian troops move to border"}},
        {"item": "p7", "decision": "reject", "note": "one report is not enough"},
    ]
}
Article = Annotated[IngestIn, Body(examples=[_ARTICLE])]
Decisions = Annotated[DecisionsIn, Body(examples=[_DECISIONS])]
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The proposal set, kept for review (nothing is in the graph yet).",
        "content": {
            "application/json": {
                "example": {
                    "id": "2022-02-16-ukraine-doubts-russian-pullback",
                    "counts": {"pending": 7, "accepted": 0, "rejected": 0},
                    "items": ["... (see GET /proposals/{set_id})"],
                }
            }
        },
    }
}


class ProposalPage(BaseModel):
    """Proposal sets, oldest first."""

    items: list[ProposalSummary]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


@router.post(
    "/ingest",
    status_code=201,
    response_model=ProposalSet,
    responses=_CREATED,
    summary="Read an article into proposals",
)
async def ingest_article(
    request: Request,
    graph: GraphDep,
    writer: WriterDep,
    body: Article,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ProposalSet:
    """Read an article's text into proposed entities, events and relations, kept for review."""
    found, replayed = await run_heavy(
        request, lambda: ingest(graph, body, writer.name, idempotency_key)
    )
    response.headers["Location"] = f"/proposals/{found.id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return found


@router.get("/proposals", response_model=ProposalPage, summary="List proposal sets")
def list_proposal_sets(
    graph: GraphDep,
    _reader: ReaderDep,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="Start after this set.", examples=[0])
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Sets per page.", examples=[50])] = 50,
) -> ProposalPage:
    """Ingested articles and how many of their proposals are pending, accepted, rejected."""
    items, nxt = proposal_sets(graph, after, limit)
    return ProposalPage(items=items, next_after=nxt)


@router.get("/proposals/{set_id}", response_model=ProposalSet, summary="Read a proposal set")
def get_proposal_set(graph: GraphDep, _reader: ReaderDep, set_id: SetId) -> ProposalSet:
    """Every proposal of one article, with its evidence, confidence, rule and status."""
    return proposal_set(graph, set_id)


@router.post(
    "/proposals/{set_id}/decisions",
    response_model=DecisionReport,
    summary="Accept, edit or reject proposals",
)
def decide_proposals(
    request: Request,
    graph: GraphDep,
    writer: WriterDep,
    set_id: SetId,
    body: Decisions,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Commit accepted items in one write (quotes checked again), mark rejected ones."""
    plan = decision_plan(graph, set_id, body, writer.name)
    return run_write(
        graph,
        writer,
        request,
        None,
        plan,
        payload=body.model_dump(mode="json"),
        idempotency_key=idempotency_key,
    )
