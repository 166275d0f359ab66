"""What a reader hands the import planner: records as JSON dicts, each with where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Item", "ItemKind", "Where"]

ItemKind = Literal["node", "edge"]


@dataclass(frozen=True)
class Where:
    """Where an item is in the input, to name it in problems.

    ``name`` is the item's JSON path (``json_path``), or its id or IRI; ``line`` is the line it
    starts on and ``lines`` the line of each of its top-level fields, where the format has lines.

    Examples
    --------
    >>> Where("$.nodes[3]", json_path=True).at(".label")
    '$.nodes[3].label'
    >>> Where("kyiv", line=7, lines={"label": 9}).at(".label")
    'line 9: kyiv.label'
    >>> Where("<https://geokg.example.org/id/kyiv>").at()
    '<https://geokg.example.org/id/kyiv>'
    """

    name: str
    line: int | None = None
    lines: Mapping[str, int] = field(default_factory=dict)
    json_path: bool = False

    def at(self, path: str = "") -> str:
        """The location of a field of the item (``path`` like ``.evidence[0].quote``)."""
        if self.json_path:
            return f"{self.name}{path}"
        top = path.lstrip(".").split(".")[0].split("[")[0]
        line = self.lines.get(top, self.line)
        here = f"{self.name}{path}"
        return here if line is None else f"line {line}: {here}"


@dataclass(frozen=True)
class Item:
    """One record read from an import: a node or an edge, as :func:`record_json` shapes it.

    A node's dict has ``node_type``; a source's may carry its text under ``"text"``.
    """

    kind: ItemKind
    data: dict[str, Any]
    where: Where
