"""Ingestion: from the text of a new article to proposals a reviewer accepts, edits or
rejects before anything enters the graph (issue #7; rules in ``docs/codebook.md``).

:func:`read_article` reads an article into a :class:`ProposalSet` (nothing is written);
:mod:`graph.ingest.review` turns a reviewer's decisions into one write to the store of record.
"""

from graph.ingest.pipeline import read_article
from graph.ingest.proposals import (
    Decision,
    DecisionIn,
    DecisionsIn,
    ProposalItem,
    ProposalSet,
    ProposalSummary,
)

__all__ = [
    "Decision",
    "DecisionIn",
    "DecisionsIn",
    "ProposalItem",
    "ProposalSet",
    "ProposalSummary",
    "read_article",
]
