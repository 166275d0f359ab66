"""Name search over labels and aliases: case- and accent-insensitive, prefix or substring.

The index keeps every suffix of every normalised name in one sorted list, so a substring query
is a binary search plus a walk over the matches: it never scans the whole graph.
"""

from __future__ import annotations

import bisect
import heapq
import unicodedata
from dataclasses import dataclass

__all__ = ["NameIndex", "normalise"]


def normalise(text: str) -> str:
    """Fold case and accents, drop punctuation, collapse spaces.

    Examples
    --------
    >>> normalise("Zelenskyy’s  U.S. Kyïv")
    'zelenskyys us kyiv'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        category = unicodedata.category(ch)
        if category[0] in "LN":
            kept.append(ch)
        elif category[0] == "Z" or ch in "-/":
            kept.append(" ")
    return " ".join("".join(kept).split())


@dataclass(frozen=True, order=True)
class _Match:
    rank: int
    length: int
    name: str
    node_id: str


class NameIndex:
    """Suffix index over the names (label and aliases) of nodes.

    Examples
    --------
    >>> index = NameIndex()
    >>> index.add("olaf-scholz", ["Olaf Scholz", "Scholz"])
    >>> index.add("poland", ["Poland"])
    >>> index.search("scho")
    ['olaf-scholz']
    >>> index.search("LAND")
    ['poland']
    """

    def __init__(self) -> None:
        self._suffixes: list[tuple[str, str, str]] = []  # (suffix, normalised name, node id)
        self._pending: set[tuple[str, str, str]] = set()
        self._exact: dict[str, dict[str, None]] = {}  # normalised name -> ids

    def add(self, node_id: str, names: list[str] | tuple[str, ...]) -> None:
        """Index ``names`` for ``node_id`` (adding a name twice is harmless)."""
        for name in names:
            norm = normalise(name)
            if not norm or node_id in self._exact.get(norm, {}):
                continue
            self._exact.setdefault(norm, {})[node_id] = None
            for i in range(len(norm)):
                if i == 0 or norm[i - 1] == " " or norm[i] != " ":
                    self._pending.add((norm[i:], norm, node_id))

    def flush(self) -> None:
        """Merge pending names into the index now (a search does it too, when needed)."""
        if self._pending:
            self._flush()

    def _flush(self) -> None:
        # Writes batch up; a search merges them in: a few by binary insertion, many by one
        # linear merge of two sorted lists (never a re-sort of the whole index).
        if len(self._pending) <= 64:
            for entry in self._pending:
                bisect.insort(self._suffixes, entry)
        else:
            self._suffixes = list(heapq.merge(self._suffixes, sorted(self._pending)))
        self._pending = set()

    def exact(self, name: str) -> list[str]:
        """The ids with ``name`` as label or alias (after :func:`normalise`), in load order.

        Examples
        --------
        >>> index = NameIndex()
        >>> index.add("moscow", ["Moscow"])
        >>> index.add("russia", ["Russia", "Moscow"])
        >>> index.exact("MOSCOW")
        ['moscow', 'russia']
        """
        return list(self._exact.get(normalise(name), {}))

    def search(self, query: str) -> list[str]:
        """Return the ids whose names contain ``query``, best match first.

        Exact name, then name prefix, then word prefix, then any substring; shorter names
        first within a rank.
        """
        self.flush()
        q = normalise(query)
        if not q:
            return []
        best: dict[str, _Match] = {}
        i = bisect.bisect_left(self._suffixes, (q, "", ""))
        while i < len(self._suffixes) and self._suffixes[i][0].startswith(q):
            suffix, name, node_id = self._suffixes[i]
            start = len(name) - len(suffix)
            if name == q:
                rank = 0
            elif start == 0:
                rank = 1
            elif name[start - 1] == " ":
                rank = 2
            else:
                rank = 3
            match = _Match(rank, len(name), name, node_id)
            if node_id not in best or match < best[node_id]:
                best[node_id] = match
            i += 1
        return [m.node_id for m in sorted(best.values())]
