"""A reviewer's decisions on a proposal set, as one write to the store of record.

Accepted items (as proposed, or edited) become records and go through the import planner
(:func:`graph.imports.plan.plan_import`): the rules of every write, every quote checked again
against the article's text, references to nodes that exist in the graph or in the same
decision. The article's source is registered with the first accepted item. Everything a
request accepts is committed in one transaction, with the new state of the proposal set and
the reviewer's token name in the change log; a rejection changes only the proposal set.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, Field

from graph.changes import record_json
from graph.errors import ConflictError, Problem, RecordValidationError
from graph.imports._items import Item, Where
from graph.imports.plan import ImportReport, plan_import
from graph.ingest.proposals import Decision, DecisionsIn, ProposalItem, ProposalSet
from graph.storage.base import ProposalUpdate
from graph.store import GraphStore
from graph.writes import Plan

__all__ = ["DecisionReport", "plan_decisions"]

METADATA_ORIGIN = "Given with the article at ingestion (POST /ingest or geokg ingest)."


class DecisionReport(BaseModel):
    """What a round of decisions did."""

    proposal_set: str
    accepted: list[str] = Field(description="Items accepted (as proposed or edited).")
    rejected: list[str]
    position: int = Field(description="The change-log position after the commit.")
    source: str = Field(description="The article's source id in the graph.")
    report: ImportReport | None = Field(
        default=None, description="The records written, by type (as an import reports them)."
    )


def _merge_evidence(held: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {(e["source"], e["start"], e["end"]) for e in held}
    return held + [e for e in new if (e["source"], e["start"], e["end"]) not in seen]


def _source_record(pset: ProposalSet, text: str) -> dict[str, Any]:
    return {
        "node_type": "source",
        "id": pset.source,
        "kind": "news_article",
        "label": pset.title,
        "published": pset.published.isoformat(),
        "url": pset.url,
        "language": "en",
        "contributors": [],
        "publisher": None,
        "text_length": len(text),
        "metadata_origin": METADATA_ORIGIN,
        "text": text,
    }


def _edited(
    item: ProposalItem, record: dict[str, Any] | None, roles: list[dict[str, Any]] | None
) -> ProposalItem:
    changed: dict[str, Any] = {}
    if record is not None:
        changed["record"] = {**item.record, **record}
    if roles is not None:
        changed["roles"] = roles
    return item.model_copy(update=changed)


def plan_decisions(  # noqa: PLR0917 - the set as stored, read together by the caller
    store: GraphStore,
    pset: ProposalSet,
    text: str,
    version: int,
    body: DecisionsIn,
    reviewer: str,
) -> Plan:
    """Plan a round of decisions against the graph as it stands.

    Returns a :class:`~graph.writes.Plan` whose changes write the accepted items (and the
    source, the first time), whose ``proposals`` is the set's new state, and whose result is
    a :class:`DecisionReport`. Raises :class:`RecordValidationError` (every problem, located as
    ``decisions[i]`` or ``items[pN].field``) or :class:`ConflictError` (an item decided
    already, an id taken since ingestion).
    """
    items = {i.id: i for i in pset.items}
    problems: list[Problem] = []
    decided: dict[str, tuple[int, Any]] = {}
    for n, d in enumerate(body.decisions):
        where = f"decisions[{n}]"
        item = items.get(d.item)
        if item is None:
            problems.append(Problem(f"{where}.item", f"no item {d.item!r} in {pset.id!r}"))
            continue
        if d.item in decided:
            problems.append(
                Problem(f"{where}.item", f"{d.item!r} is decided twice in this request")
            )
            continue
        if item.status != "pending":
            by = item.decision.by if item.decision else "?"
            raise ConflictError(f"item {d.item!r} was {item.status} already (by {by})", [d.item])
        if d.decision == "edit" and d.record is None and d.roles is None:
            problems.append(Problem(f"{where}.record", "an edit needs the fields it changes"))
            continue
        if d.decision != "edit" and (d.record is not None or d.roles is not None):
            problems.append(Problem(f"{where}.record", "fields come only with decision 'edit'"))
            continue
        decided[d.item] = (n, d)
    accepted = {k for k, (_, d) in decided.items() if d.decision in ("accept", "edit")}
    for key in accepted:
        n, _ = decided[key]
        for need in items[key].needs:
            if need not in accepted and items[need].status != "accepted":
                problems.append(
                    Problem(
                        f"decisions[{n}].item",
                        f"{key!r} needs {need!r} ({_describe(items[need])}), which is "
                        f"{items[need].status}: accept it in the same request",
                    )
                )
    if problems:
        raise RecordValidationError(problems)

    records: list[Item] = []
    if accepted and store.type_of(pset.source) is None:
        records.append(Item("node", _source_record(pset, text), Where("$.source", json_path=True)))
    elif accepted and store.type_of(pset.source) != "source":
        raise ConflictError(
            f"the source id {pset.source!r} is taken by another node", [pset.source]
        )
    elif accepted and store.source_text(pset.source) != text:
        raise ConflictError(f"a source {pset.source!r} with another text exists", [pset.source])
    final: dict[str, ProposalItem] = {}
    for key in sorted(accepted, key=lambda k: int(k[1:])):
        _, d = decided[key]
        item = _edited(items[key], d.record, d.roles) if d.decision == "edit" else items[key]
        final[key] = item
        records.extend(_records(store, item, Where(f"$.items[{key}]", json_path=True)))
    report: ImportReport | None = None
    changes = []
    if records:
        planned = plan_import(store, records, "json")
        changes = planned.changes
        assert isinstance(planned.result, ImportReport)
        report = planned.result
    position = (store.position or 0) + len(changes)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    new_items = []
    for held in pset.items:
        item = held
        if held.id in decided:
            _, d = decided[held.id]
            status = "rejected" if d.decision == "reject" else "accepted"
            base = final.get(held.id, held)
            item = base.model_copy(
                update={
                    "status": status,
                    "decision": Decision(
                        by=reviewer,
                        at=now,
                        decision=d.decision,
                        position=position if status == "accepted" else None,
                        note=d.note,
                    ),
                }
            )
        new_items.append(item)
    counts = {
        s: sum(1 for i in new_items if i.status == s) for s in ("pending", "accepted", "rejected")
    }
    updated = pset.model_copy(update={"items": new_items, "counts": counts})
    result = DecisionReport(
        proposal_set=pset.id,
        accepted=sorted(accepted, key=lambda k: int(k[1:])),
        rejected=sorted(set(decided) - accepted, key=lambda k: int(k[1:])),
        position=position,
        source=pset.source,
        report=report,
    )
    plan = Plan(changes, result)
    plan.proposals = ProposalUpdate(pset.id, updated.model_dump_json(), version)
    return plan


def _describe(item: ProposalItem) -> str:
    label = item.record.get("label") or item.existing or item.record.get("id")
    return f"{item.type} {label!r}"


def _records(store: GraphStore, item: ProposalItem, where: Where) -> list[Item]:
    new_evidence = item.record.get("evidence", [])
    if item.action == "add_evidence":
        if item.existing is None or store.type_of(item.existing) != item.type:
            raise ConflictError(
                f"item {item.id}: the graph no longer holds {item.type} {item.existing!r}",
                [item.existing or item.id],
            )
        held = record_json(store.node(item.existing))
        held["evidence"] = _merge_evidence(held.get("evidence", []), new_evidence)
        return [Item("node", held, where)]
    record = dict(item.record)
    if item.type == "relation":
        if store.has_edge(str(record.get("id"))):
            raise ConflictError(
                f"item {item.id}: relation {record.get('id')!r} exists already", [item.id]
            )
        return [Item("edge", record, where)]
    if store.type_of(str(record.get("id"))) is not None:
        raise ConflictError(
            f"item {item.id}: the id {record.get('id')!r} was taken since ingestion; edit the "
            "item's id",
            [item.id],
        )
    out = [Item("node", record, where)]
    for n, role in enumerate(item.roles):
        out.append(Item("edge", role, Where(f"$.items[{item.id}].roles[{n}]", json_path=True)))
    return out


def dumps(pset: ProposalSet) -> str:
    """The proposal set as stored."""
    return json.dumps(pset.model_dump(mode="json"), ensure_ascii=False)
