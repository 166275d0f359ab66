"""The controlled vocabularies, with a definition of each term."""

from __future__ import annotations

from fastapi import APIRouter

from graph.ontology import vocabularies

router = APIRouter(tags=["vocabulary"])

_EXAMPLE = {"role": {"according_to": "On whose word the article gives it."}}


@router.get(
    "/vocabulary",
    summary="Kinds, roles, relation types and modalities",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def get_vocabulary() -> dict[str, dict[str, str]]:
    """Every entity kind, event kind, role, relation type and modality, with its definition."""
    return vocabularies()
