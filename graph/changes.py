"""Changes: what one write does to one object, as the store of record logs it.

A write (an API call, an import, a seed load) is one transaction of changes. Each change names
one object (an entity, event or source node, or an edge) with its record before and after, as
JSON-ready dicts: the log can be shipped, stored and replayed without this process's classes.
A source's dict carries its text under ``"text"``. Followers of the log (the in-memory read
model now, replicas later) apply changes in log order with :meth:`Change.apply_to`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter

from graph.model import AnyNode, Edge, Node

if TYPE_CHECKING:
    from graph.store import GraphStore

__all__ = [
    "Change",
    "LoggedChange",
    "ObjectType",
    "Operation",
    "RenderedChange",
    "edge_record",
    "node_record",
    "record_json",
]

Operation = Literal["create", "update", "delete"]
ObjectType = Literal["entity", "event", "source", "edge"]

_NODE = TypeAdapter[Node](AnyNode)


def record_json(record: Node | Edge, text: str | None = None) -> dict[str, Any]:
    """The JSON-ready dict of a record (a source's text under ``"text"``).

    Examples
    --------
    >>> from graph.model import Entity
    >>> record_json(Entity(id="kyiv", kind="place", label="Kyiv"))["label"]
    'Kyiv'
    """
    body: dict[str, Any] = record.model_dump(mode="json")
    if text is not None:
        body["text"] = text
    return body


def node_record(body: dict[str, Any]) -> Node:
    """The record of a node from its JSON dict (a ``"text"`` key is ignored)."""
    return _NODE.validate_python({k: v for k, v in body.items() if k != "text"})


def edge_record(body: dict[str, Any]) -> Edge:
    """The record of an edge from its JSON dict."""
    return Edge.model_validate(body)


@dataclass(frozen=True)
class Change:
    """One object created, updated or deleted."""

    op: Operation
    object_type: ObjectType
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def put(
        cls, record: Node | Edge, before: dict[str, Any] | None, text: str | None = None
    ) -> Change:
        """A change that writes ``record`` (create when ``before`` is None, else update)."""
        object_type: ObjectType = "edge" if isinstance(record, Edge) else record.node_type
        return cls(
            "create" if before is None else "update",
            object_type,
            record.id,
            before,
            record_json(record, text),
        )

    @classmethod
    def delete(cls, object_type: ObjectType, object_id: str, before: dict[str, Any]) -> Change:
        """A change that deletes an object whose last state was ``before``."""
        return cls("delete", object_type, object_id, before, None)

    def apply_to(self, store: GraphStore) -> None:
        """Make the same change to an in-memory read model."""
        if self.object_type == "edge":
            if self.after is None:
                store.delete_edge(self.id)
            else:
                store.put_edge(edge_record(self.after))
            return
        if self.after is None:
            store.delete_node(self.id)
            return
        store.put_node(node_record(self.after))
        if "text" in self.after:
            store.put_text(self.id, self.after["text"])


@dataclass(frozen=True, slots=True)
class RenderedChange:
    """A create or update whose record is already rendered as JSON, for bulk writes (imports).

    ``record`` is the record's JSON as :func:`record_json` gives it, without a source's text
    (``text``); ``before`` is the JSON of the record it replaces (an update); ``ends`` are an
    edge's source and target. The change it stands for is :meth:`change`.

    Examples
    --------
    >>> rendered = RenderedChange("create", "entity", "kyiv", '{"id": "kyiv"}')
    >>> rendered.change().after
    {'id': 'kyiv'}
    """

    op: Operation
    object_type: ObjectType
    id: str
    record: str
    text: str | None = None
    before: str | None = None
    ends: tuple[str, str] | None = None

    def after(self) -> str:
        """The JSON the log keeps as the object after the change (with a source's text)."""
        if self.text is None:
            return self.record
        body = json.loads(self.record)
        body["text"] = self.text
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    def change(self) -> Change:
        """The same change with its records as dicts."""
        before = json.loads(self.before) if self.before is not None else None
        return Change(self.op, self.object_type, self.id, before, json.loads(self.after()))


@dataclass(frozen=True)
class LoggedChange:
    """A change as the log holds it: its position, commit, time, writer and source."""

    position: int
    commit: int
    at: dt.datetime
    actor: str
    source: str | None
    change: Change

    def as_json(self) -> dict[str, Any]:
        """The entry as ``GET /changes`` shows it."""
        return {
            "position": self.position,
            "commit": self.commit,
            "at": self.at.isoformat(),
            "operation": self.change.op,
            "object_type": self.change.object_type,
            "object_id": self.change.id,
            "actor": self.actor,
            "source": self.source,
            "before": self.change.before,
            "after": self.change.after,
        }
