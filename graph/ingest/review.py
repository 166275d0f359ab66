"""A reviewer's decisions on a proposal set, as one write to the store of record.

Accepted items (as proposed, or edited) become records and go through the import planner
(:func:`graph.imports.plan.plan_import`): the rules of every write, every quote checked again
against the article's text, references to nodes that exist in the graph or in the same
decision. The article's source is registered with the first accepted item. Everything a
request accepts is committed in one transaction, with the new state of the proposal set and
the reviewer's token name in the change log; a rejection changes only the proposal set, and a
rejected item may be decided again later.

What an edit may change:

- a proposed entity, event or relation: any field of its record (``record``, merged over the
  proposed one) and an event's role edges (``roles``, replacing them); or, with
  ``existing``, say which node of the graph it is: its quotes become evidence on that node,
  and every item that refers to it refers to that node;
- an item that adds evidence to a node of the graph: its ``evidence`` only.

Quotes always come from the article: an edited quote without offsets is found in the text,
one with offsets is checked, and one from another source is refused. Ids follow edits: an
item that refers to another by the id it was proposed with refers to its final id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from graph.changes import record_json
from graph.errors import ConflictError, Problem, RecordValidationError
from graph.imports._items import Item, Where
from graph.imports.plan import ImportReport, plan_import
from graph.ingest.proposals import (
    Decision,
    DecisionIn,
    DecisionsIn,
    ProposalItem,
    ProposalSet,
    ProposalSummary,
)
from graph.ontology import Role
from graph.storage.base import ProposalUpdate
from graph.store import GraphStore
from graph.validation import LIMITS, locate_quote, mint_id
from graph.writes import Plan

__all__ = ["DecisionReport", "dumps", "plan_decisions", "summary_of"]

METADATA_ORIGIN = "Given with the article at ingestion (POST /ingest or geokg ingest)."


class DecisionReport(BaseModel):
    """What a round of decisions did."""

    proposal_set: str
    accepted: list[str] = Field(description="Items accepted (as proposed or edited).")
    rejected: list[str]
    position: int = Field(description="The change-log position after the commit.")
    source: str = Field(description="The article's source id in the graph.")
    evidence_not_added: dict[str, int] = Field(
        default={},
        description="Quotes left out, by item, because the node already holds as many pieces "
        "of evidence as a record may (`record_list_items` at /limits).",
    )
    report: ImportReport | None = Field(
        default=None, description="The records written, by type (as an import reports them)."
    )


def dumps(pset: ProposalSet) -> str:
    """The proposal set as stored."""
    return json.dumps(pset.model_dump(mode="json"), ensure_ascii=False)


def summary_of(pset: ProposalSet) -> str:
    """The set's summary as stored (what ``GET /proposals`` lists)."""
    return json.dumps(
        {
            k: v
            for k, v in pset.model_dump(mode="json").items()
            if k in ProposalSummary.model_fields
        },
        ensure_ascii=False,
    )


def _key(item_id: str) -> int:
    return int(item_id[1:]) if item_id[1:].isdigit() else 0


class _Decisions:
    """One round of decisions being planned against the graph."""

    def __init__(
        self,
        store: GraphStore,
        pset: ProposalSet,
        text: str,
        reserved: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.pset = pset
        self.text = text
        self.reserved = reserved
        self.items = {i.id: i for i in pset.items}
        self.problems: list[Problem] = []
        self.source = pset.source
        self.dropped: dict[str, int] = {}
        self.committed: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        """Accepted items as committed (references followed), to keep in the set."""

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason))

    def check(self, body: DecisionsIn) -> dict[str, DecisionIn]:
        decided: dict[str, DecisionIn] = {}
        for n, d in enumerate(body.decisions):
            where = f"decisions[{n}]"
            item = self.items.get(d.item)
            if item is None:
                self.problem(f"{where}.item", f"no item {d.item!r} in {self.pset.id!r}")
                continue
            if d.item in decided:
                self.problem(f"{where}.item", f"{d.item!r} is decided twice in this request")
                continue
            if item.status == "accepted":
                by = item.decision.by if item.decision else "?"
                raise ConflictError(f"item {d.item!r} was accepted already (by {by})", [d.item])
            changes = (d.record, d.roles, d.existing)
            if d.decision == "edit" and all(c is None for c in changes):
                self.problem(f"{where}.record", "an edit needs the fields it changes")
                continue
            if d.decision != "edit" and any(c is not None for c in changes):
                self.problem(f"{where}.record", "fields come only with decision 'edit'")
                continue
            if d.existing is not None and (item.action != "create" or item.type == "relation"):
                self.problem(
                    f"{where}.existing",
                    "only a proposed entity or event can be a node of the graph",
                )
                continue
            if d.existing is not None and self.store.type_of(d.existing) != item.type:
                self.problem(f"{where}.existing", f"the graph holds no {item.type} {d.existing!r}")
                continue
            if d.existing is not None and (
                d.roles is not None or set(d.record or {}) - {"evidence"}
            ):
                self.problem(
                    f"{where}.existing",
                    "an item that is a node of the graph adds quotes to it: only its evidence "
                    "may change with it",
                )
                continue
            if item.action == "add_evidence" and (
                d.roles is not None or set(d.record or {}) - {"evidence"}
            ):
                self.problem(
                    f"{where}.record",
                    f"only the evidence of {d.item!r} can change: it adds quotes to "
                    f"{item.existing!r}, which the graph holds",
                )
                continue
            if item.type != "event" and d.roles is not None:
                self.problem(f"{where}.roles", f"{d.item!r} is no event: it has no roles")
                continue
            decided[d.item] = d
        return decided

    def check_needs(self, decided: dict[str, DecisionIn], accepted: set[str]) -> None:
        for n, key in enumerate(decided):
            if key not in accepted:
                continue
            for need in self.items[key].needs:
                status = self.items[need].status
                if need in accepted or status == "accepted":
                    continue
                self.problem(
                    f"decisions[{n}].item",
                    f"{key!r} needs {need!r} ({_describe(self.items[need])}), which is {status}: "
                    "accept it in the same request (a rejected item can be decided again)",
                )

    @staticmethod
    def final(item: ProposalItem, d: DecisionIn) -> ProposalItem:
        """The item as the decision leaves it."""
        if d.decision != "edit":
            return item
        changed: dict[str, Any] = {}
        if d.record is not None:
            changed["record"] = {**item.record, **d.record}
        if d.roles is not None:
            changed["roles"] = d.roles
        if d.existing is not None:
            changed.update(action="add_evidence", existing=d.existing, roles=[])
        return item.model_copy(update=changed)

    def register_source(self, accepting: bool) -> list[Item]:
        """The source record, the first time an item is accepted; a new id for it if
        another node took its id meanwhile."""
        if not accepting:
            return []
        held = self.store.type_of(self.source)
        if held == "source" and self.store.source_text(self.source) == self.text:
            return []
        if held is not None:
            self.source = mint_id(
                self.source,
                lambda i: self.store.type_of(i) is not None or self.reserved(i),
                "source",
            )
        record: dict[str, Any] = {
            "node_type": "source",
            "id": self.source,
            "kind": "news_article",
            "label": self.pset.title,
            "published": self.pset.published.isoformat(),
            "url": self.pset.url,
            "language": "en",
            "contributors": [],
            "publisher": None,
            "text_length": len(self.text),
            "metadata_origin": METADATA_ORIGIN,
            "text": self.text,
        }
        return [Item("node", record, Where("$.source", json_path=True))]

    def evidence(self, items: Any, where: str) -> list[dict[str, Any]]:
        """Quotes of this article, offsets found or checked, under the source's id."""
        if not isinstance(items, list):
            self.problem(where, "must be a list of quotes")
            return []
        out = []
        ours = {self.pset.source, self.pset.id, self.source}
        for i, ev in enumerate(items):
            here = f"{where}[{i}]"
            if not isinstance(ev, dict) or not isinstance(ev.get("quote"), str):
                self.problem(here, "a quote is {quote, start, end} of this article")
                continue
            if ev.get("source", self.source) not in ours:
                self.problem(f"{here}.source", f"quotes come from this article ({self.source!r})")
                continue
            start, end = ev.get("start"), ev.get("end")
            if not all(x is None or isinstance(x, int) for x in (start, end)):
                self.problem(here, "start and end are character offsets")
                continue
            try:
                start, end = locate_quote(self.text, ev["quote"], start, end)
            except ValueError as exc:
                self.problem(f"{here}.quote", f"{exc}: {ev['quote'][:80]!r}")
                continue
            out.append({**ev, "source": self.source, "start": start, "end": end})
        return out

    def role(
        self, proposed: Any, event_id: str, remap: dict[str, str], where: str
    ) -> dict[str, Any]:
        role, problem = _role_of(proposed, event_id, remap)
        if role is None:
            self.problem(where, str(problem))
            return {}
        if self.store.has_edge(role["id"]):
            raise ConflictError(f"{where}: the graph holds the role {role['id']!r} already", [])
        role["evidence"] = self.evidence(role["evidence"], f"{where}.evidence")
        return role

    def records(self, final: dict[str, ProposalItem], remap: dict[str, str]) -> list[Item]:
        out: list[Item] = []
        adding: dict[str, tuple[dict[str, Any], str]] = {}
        for key in sorted(final, key=_key):
            item = final[key]
            where = f"$.items[{key}]"
            evidence = self.evidence(item.record.get("evidence", []), f"{where}.evidence")
            if item.action == "add_evidence":
                node_id = str(item.existing)
                if node_id not in adding:
                    if self.store.type_of(node_id) != item.type:
                        raise ConflictError(
                            f"item {key}: the graph no longer holds {item.type} {node_id!r}",
                            [key],
                        )
                    adding[node_id] = (record_json(self.store.node(node_id)), key)
                held = adding[node_id][0]
                if not evidence:
                    self.problem(f"{where}.evidence", "no quotes to add")
                merged = _merge_evidence(held.get("evidence", []), evidence)
                room = LIMITS["list_items"]
                if len(merged) > room:
                    self.dropped[key] = self.dropped.get(key, 0) + len(merged) - room
                    merged = merged[:room]
                held["evidence"] = merged
                continue
            if not evidence and not item.record.get("analyst_assertion"):
                self.problem(f"{where}.evidence", "needs at least one quote of the article")
            record = _remapped(dict(item.record), remap)
            record["evidence"] = evidence
            for q, quantity in enumerate(record.get("quantities") or []):
                if isinstance(quantity, dict):
                    quantity["evidence"] = self.evidence(
                        quantity.get("evidence", []), f"{where}.quantities[{q}].evidence"
                    )
            if item.type == "relation":
                record["category"] = "relation"
                if record.get("source") == record.get("target"):
                    self.problem(f"{where}.target", "a relation joins two different nodes")
                record["id"] = ".".join(str(record.get(k)) for k in ("source", "type", "target"))
                if self.store.has_edge(record["id"]):
                    raise ConflictError(
                        f"item {key}: relation {record['id']!r} exists already", [key]
                    )
                self.committed[key] = (record, [])
                out.append(Item("edge", record, Where(where, json_path=True)))
                continue
            record_id = str(record.get("id"))
            if self.store.type_of(record_id) is not None:
                raise ConflictError(
                    f"item {key}: the graph holds a node {record_id!r} already: edit the item's "
                    "id, or say with 'existing' that it is that node",
                    [key],
                )
            if record_id != item.proposed_id and self.reserved(record_id):
                raise ConflictError(
                    f"item {key}: the id {record_id!r} is proposed by another proposal set: "
                    "choose another",
                    [key],
                )
            roles = [
                self.role(proposed, record_id, remap, f"{where}.roles[{n}]")
                for n, proposed in enumerate(item.roles)
            ]
            self.committed[key] = (record, roles)
            out.append(Item("node", record, Where(where, json_path=True)))
            out.extend(
                Item("edge", role, Where(f"{where}.roles[{n}]", json_path=True))
                for n, role in enumerate(roles)
            )
        for held, key in adding.values():
            out.append(Item("node", held, Where(f"$.items[{key}]", json_path=True)))
        return out


def _role_of(
    proposed: Any, event_id: str, remap: dict[str, str]
) -> tuple[dict[str, Any] | None, str | None]:
    """A role edge of the event, built from what a role names (its type, its entity, its
    quotes): an edit can neither point it at another event nor give it another id."""
    if not isinstance(proposed, dict):
        return None, "a role is {type, target, evidence}"
    role_type, target = proposed.get("type"), proposed.get("target")
    if role_type not in {r.value for r in Role}:
        return None, f"type must be one of {', '.join(r.value for r in Role)}"
    if not isinstance(target, str):
        return None, "target must be an entity id"
    target = remap.get(target, target)
    return {
        "id": f"{event_id}.{role_type}.{target}",
        "category": "role",
        "type": role_type,
        "source": event_id,
        "target": target,
        "attributes": {},
        "evidence": proposed.get("evidence", []),
        "analyst_assertion": bool(proposed.get("analyst_assertion", False)),
    }, None


def _remapped(record: dict[str, Any], remap: dict[str, str]) -> dict[str, Any]:
    """A record whose references to proposed ids point at their final ids (a relation's id
    is made from its ends afterwards, and roles are rebuilt by :func:`_role_of`)."""
    for field in ("source", "target", "place"):
        value = record.get(field)
        if isinstance(value, str) and value in remap:
            record[field] = remap[value]
    return record


def _merge_evidence(held: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {(e["source"], e["start"], e["end"]) for e in held}
    out = list(held)
    for e in new:
        if (e["source"], e["start"], e["end"]) not in seen:
            seen.add((e["source"], e["start"], e["end"]))
            out.append(e)
    return out


def _describe(item: ProposalItem) -> str:
    label = item.record.get("label") or item.existing or item.record.get("id")
    return f"{item.type} {label!r}"


def _final_id(item: ProposalItem) -> str | None:
    if item.action == "add_evidence":
        return item.existing
    value = item.record.get("id")
    return value if isinstance(value, str) else None


def plan_decisions(  # noqa: PLR0917 - the set as stored, read together by the caller
    store: GraphStore,
    pset: ProposalSet,
    text: str,
    version: int,
    body: DecisionsIn,
    reviewer: str,
    reserved: Callable[[str], bool] = lambda _: False,
) -> Plan:
    """Plan a round of decisions against the graph as it stands.

    Returns a :class:`~graph.writes.Plan` whose changes write the accepted items (and the
    source, the first time), whose ``proposals`` is the set's new state, and whose result is
    a :class:`DecisionReport`. Raises :class:`RecordValidationError` (every problem, located as
    ``decisions[i]`` or ``$.items[pN].field``) or :class:`ConflictError` (an item accepted
    already, an id the graph holds).
    """
    round_ = _Decisions(store, pset, text, reserved)
    decided = round_.check(body)
    accepted = {k for k, d in decided.items() if d.decision in ("accept", "edit")}
    round_.check_needs(decided, accepted)
    if round_.problems:
        raise RecordValidationError(round_.problems)
    final = {k: round_.final(round_.items[k], decided[k]) for k in accepted}
    remap: dict[str, str] = {}
    for item in [*pset.items, *final.values()]:
        done = item.id in final or item.status == "accepted"
        now = final.get(item.id, item)
        target = _final_id(now)
        if done and item.proposed_id and target and target != item.proposed_id:
            remap[item.proposed_id] = target
    records = round_.register_source(bool(accepted))
    records += round_.records(final, remap)
    if round_.problems:
        raise RecordValidationError(round_.problems)
    report: ImportReport | None = None
    changes = []
    if records:
        planned = plan_import(store, records, "json")
        changes = planned.changes
        assert isinstance(planned.result, ImportReport)
        report = planned.result
    position = (store.position or 0) + len(changes)
    decided_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    new_items = []
    for held in pset.items:
        item = held
        if held.id in decided:
            d = decided[held.id]
            status = "rejected" if d.decision == "reject" else "accepted"
            committed = round_.committed.get(held.id)
            kept = final.get(held.id, held)
            if committed is not None:
                kept = kept.model_copy(update={"record": committed[0], "roles": committed[1]})
            item = kept.model_copy(
                update={
                    "status": status,
                    "decision": Decision(
                        by=reviewer,
                        at=decided_at,
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
    updated = pset.model_copy(
        update={"items": new_items, "counts": counts, "source": round_.source}
    )
    result = DecisionReport(
        proposal_set=pset.id,
        accepted=sorted(accepted, key=_key),
        rejected=sorted(set(decided) - accepted, key=_key),
        position=position,
        source=round_.source,
        evidence_not_added=round_.dropped,
        report=report,
    )
    plan = Plan(changes, result)
    plan.proposals = ProposalUpdate(pset.id, dumps(updated), summary_of(updated), version)
    plan.source = round_.source
    return plan
