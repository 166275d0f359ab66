"""Ids of a million nodes or edges, kept compact: slots by id and ids by slot.

A Python list of ids and a dict from id to slot cost about 150 bytes an id (the string object,
the list slot, the dict entry and an int object). :class:`IdTable` keeps the ids loaded in bulk
as one UTF-8 byte string with an offset per slot, and finds a slot by id through a sorted array
of the ids' hashes (binary search, then a comparison of the one or two candidates): about the
id's length plus 20 bytes. Ids added later go to a small list and dict until :meth:`IdTable.
consolidate` folds them into the compact part; removed slots are remembered in a set. Slots
never move: a slot named by a search stays the same id (or becomes None when removed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

__all__ = ["IdIndex", "IdTable"]

_SEPARATOR = "\x00"
_RECENT = 65_536
"""Lookups remembered in a plain dict (a few MB at most): hot ids cost a dict lookup."""


class IdTable:
    """Ids by slot (``table[slot]``, None once removed) and slots by id (``table.index``).

    Examples
    --------
    >>> table = IdTable.build(["kyiv", "moscow"])
    >>> table.append("warsaw")
    2
    >>> table.index["moscow"], table[2], len(table), len(table.index)
    (1, 'warsaw', 3, 3)
    >>> table.remove("kyiv")
    0
    >>> table[0] is None, "kyiv" in table.index, list(table)
    (True, False, [None, 'moscow', 'warsaw'])
    """

    def __init__(self) -> None:
        self._blob = b""  # the compact ids, each followed by a NUL byte
        self._offsets: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._hashes: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)  # sorted
        self._order: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)  # slot of each hash
        self._base = 0
        self._removed: set[int] = set()  # compact slots removed since
        self._extra: list[str | None] = []  # slots from _base on
        self._extra_index: dict[str, int] = {}
        self._live = 0
        self._recent: dict[str, int] = {}  # slots of ids looked up lately (cleared on removal)
        self.index = IdIndex(self)

    @classmethod
    def build(cls, ids: Iterable[str | None]) -> IdTable:
        """A table of these ids in these slots (None for a removed slot); ``ValueError`` if
        an id repeats or holds a NUL character."""
        table = cls()
        items = list(ids)
        if not items:
            return table
        joined = _SEPARATOR.join(i or "" for i in items) + _SEPARATOR
        blob = joined.encode()
        ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 0)
        if len(ends) != len(items):
            raise ValueError("an id holds a NUL character")
        table._blob = blob
        table._offsets = np.zeros(len(items) + 1, dtype=np.int64)
        table._offsets[1:] = ends + 1
        table._base = len(items)
        table._removed = {slot for slot, i in enumerate(items) if not i}
        live = [slot for slot, i in enumerate(items) if i]
        hashes = np.fromiter((hash(items[s]) for s in live), dtype=np.int64, count=len(live))
        order = np.argsort(hashes, kind="stable")
        table._hashes = hashes[order]
        table._order = np.asarray(live, dtype=np.int32)[order]
        table._live = len(live)
        repeats = np.flatnonzero(table._hashes[1:] == table._hashes[:-1])
        for i in repeats.tolist():  # equal hashes: the same id, or (rarely) a collision
            group = {table[int(s)] for s in table._order[i : i + 2].tolist()}
            if len(group) == 1:
                raise ValueError(f"id {group.pop()!r} repeats")
        return table

    def __len__(self) -> int:
        """Number of slots (removed ones included)."""
        return self._base + len(self._extra)

    @property
    def live(self) -> int:
        """Number of ids not removed."""
        return self._live

    def __getitem__(self, slot: int) -> str | None:
        if slot < self._base:
            if slot < 0 or slot in self._removed:
                return None
            start, end = self._offsets[slot], self._offsets[slot + 1] - 1
            return self._blob[start:end].decode()
        return self._extra[slot - self._base]

    def __iter__(self) -> Iterator[str | None]:
        if self._base:
            removed = self._removed
            for slot, found in enumerate(self._blob.decode().split(_SEPARATOR)[:-1]):
                yield None if slot in removed else found
        yield from self._extra

    def slot(self, item: str) -> int | None:
        """The slot of an id, or None."""
        found = self._extra_index.get(item)
        if found is not None or not self._base:
            return found
        found = self._recent.get(item)
        if found is not None:
            return found
        hashes, code = self._hashes, hash(item)
        i = int(hashes.searchsorted(code))
        while i < len(hashes) and hashes[i] == code:
            slot = int(self._order[i])
            if slot not in self._removed and self[slot] == item:
                if len(self._recent) >= _RECENT:
                    self._recent.clear()
                self._recent[item] = slot
                return slot
            i += 1
        return None

    def append(self, item: str) -> int:
        """Give a new id the next slot (the caller makes sure it is new)."""
        slot = len(self)
        self._extra.append(item)
        self._extra_index[item] = slot
        self._live += 1
        return slot

    def remove(self, item: str) -> int:
        """Remove an id; return the slot it had. ``KeyError`` if unknown."""
        slot = self.slot(item)
        if slot is None:
            raise KeyError(item)
        self._recent.pop(item, None)
        if slot < self._base:
            self._removed.add(slot)
        else:
            self._extra[slot - self._base] = None
            del self._extra_index[item]
        self._live -= 1
        return slot

    def needs_consolidation(self) -> bool:
        """Whether enough ids were added since to fold them into the compact part."""
        return len(self._extra) > max(4096, self._base // 8)

    def consolidate(self) -> None:
        """Fold the ids added since into the compact part (slots do not change)."""
        rebuilt = IdTable.build(list(self))
        self.__dict__.update({k: v for k, v in rebuilt.__dict__.items() if k != "index"})
        self._recent = {}


class IdIndex:
    """The slot of each id, as a read-only mapping (``get``, ``in``, ``[]``, ``len``)."""

    def __init__(self, table: IdTable) -> None:
        self._table = table

    def get(self, item: str) -> int | None:
        return self._table.slot(item)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self._table.slot(item) is not None

    def __getitem__(self, item: str) -> int:
        found = self._table.slot(item)
        if found is None:
            raise KeyError(item)
        return found

    def __len__(self) -> int:
        return self._table.live

    def __iter__(self) -> Iterator[str]:
        """The live ids, in slot order."""
        return (i for i in self._table if i is not None)

    def pop(self, item: str) -> int:
        """Remove an id; return its slot."""
        return self._table.remove(item)
