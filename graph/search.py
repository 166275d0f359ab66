"""Name search over labels and aliases: case- and accent-insensitive, prefix or substring.

The index keeps every suffix of every normalised name in one sorted list, so a substring query
is a binary search plus a walk over the matches: it never scans the whole graph.
"""

from __future__ import annotations

import bisect
import heapq
import unicodedata
from collections.abc import Iterator

__all__ = ["SEARCH_LIMIT", "NameIndex", "normalise"]

SEARCH_LIMIT = 1000
"""Most matches one search answers: the best ones, chosen with a heap, not by sorting every
match (a query such as "a" matches most names)."""


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


def _suffixes(norm: str, node_id: str) -> Iterator[tuple[str, str, str]]:
    for i in range(len(norm)):
        if i == 0 or norm[i - 1] == " " or norm[i] != " ":
            yield norm[i:], norm, node_id


class NameIndex:
    """Suffix index over the names (label and aliases) of nodes.

    Examples
    --------
    >>> index = NameIndex()
    >>> index.add("olaf-scholz", ["Olaf Scholz", "Scholz"])
    >>> index.add("poland", ["Poland"])
    >>> index.flush()
    >>> index.search("scho")
    ['olaf-scholz']
    >>> index.search("LAND")
    ['poland']
    """

    def __init__(self) -> None:
        self._suffixes: list[tuple[str, str, str]] = []  # (suffix, normalised name, node id)
        self._pending: set[tuple[str, str, str]] = set()
        self._exact: dict[str, dict[str, None]] = {}  # normalised name -> ids
        self._names_of: dict[str, dict[str, None]] = {}  # id -> its normalised names

    def add(self, node_id: str, names: list[str] | tuple[str, ...]) -> None:
        """Index ``names`` for ``node_id`` (adding a name twice is harmless)."""
        for name in names:
            norm = normalise(name)
            if not norm or node_id in self._exact.get(norm, {}):
                continue
            self._exact.setdefault(norm, {})[node_id] = None
            self._names_of.setdefault(node_id, {})[norm] = None
            self._pending.update(_suffixes(norm, node_id))

    def remove(self, node_id: str) -> None:
        """Forget every name of ``node_id`` (a no-op for an unknown id).

        Examples
        --------
        >>> index = NameIndex()
        >>> index.add("kyiv", ["Kyiv", "Kiev"])
        >>> index.flush()
        >>> index.remove("kyiv")
        >>> index.search("ky"), index.exact("Kiev")
        ([], [])
        """
        for norm in self._names_of.pop(node_id, {}):
            ids = self._exact[norm]
            del ids[node_id]
            if not ids:
                del self._exact[norm]
            for entry in _suffixes(norm, node_id):
                if entry in self._pending:
                    self._pending.discard(entry)
                    continue
                i = bisect.bisect_left(self._suffixes, entry)
                if i < len(self._suffixes) and self._suffixes[i] == entry:
                    del self._suffixes[i]

    def flush(self) -> None:
        """Merge pending names into the index (writers call it; searches see only merged names)."""
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

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[str]:
        """Return the ids whose names contain ``query``, best match first: at most ``limit``.

        Exact name, then name prefix, then word prefix, then any substring; shorter names
        first within a rank, then by name and id. The cost is one pass over the matching names
        and a heap of ``limit`` (never a sort of every match). Names added since the last
        :meth:`flush` are not seen: a search never changes the index, so readers can search
        while nothing else writes.

        Examples
        --------
        >>> index = NameIndex()
        >>> for i, name in enumerate(["Kyiv residents", "Kyiv", "Greater Kyiv", "Nikyiv"]):
        ...     index.add(f"e{i}", [name])
        >>> index.flush()
        >>> index.search("kyiv")
        ['e1', 'e0', 'e2', 'e3']
        >>> index.search("kyiv", limit=2)
        ['e1', 'e0']
        """
        q = normalise(query)
        if not q:
            return []
        best: dict[str, tuple[int, int, str, str]] = {}
        suffixes = self._suffixes
        i = bisect.bisect_left(suffixes, (q, "", ""))
        while i < len(suffixes) and suffixes[i][0].startswith(q):
            suffix, name, node_id = suffixes[i]
            start = len(name) - len(suffix)
            if name == q:
                rank = 0
            elif start == 0:
                rank = 1
            elif name[start - 1] == " ":
                rank = 2
            else:
                rank = 3
            match = (rank, len(name), name, node_id)
            known = best.get(node_id)
            if known is None or match < known:
                best[node_id] = match
            i += 1
        return [m[3] for m in heapq.nsmallest(limit, best.values())]

    def pairs(self) -> Iterator[tuple[str, list[str]]]:
        """Every (id, normalised names) in the index, to rebuild it elsewhere with :meth:`add`."""
        return ((node_id, list(names)) for node_id, names in self._names_of.items())
