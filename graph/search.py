"""Name search over labels and aliases: case- and accent-insensitive, best match first.

Layout
------
Every distinct normalised name (:func:`normalise`) is kept once, in one string where each name
ends with ``"\\x00"``, ordered by length and then alphabetically; a name's place in that order
is its *index*, so reading the string from the start meets shorter names first. Numpy arrays
hold the rest:

- where each name starts in the string;
- the name indexes in alphabetical order (a name prefix is two binary searches);
- the word starts (each position after a space), ordered by the text from there to the end of
  the name (a word prefix is two binary searches too);
- which nodes hold each name, as node slots grouped by name (CSR);
- the node ids, once each, in one string with their offsets and an alphabetical order (finding
  a node's slot from its id is a binary search).

Nothing holds a Python object per name or per node: the memory is the text of the names and
of the ids plus about 25 bytes per name and 8 per node (32-bit integers), and
:meth:`NameIndex.state` hands these arrays to a snapshot file as they are. The arrays are
sorted in numpy (a radix sort on 64-bit slices of the strings), never by comparing Python
strings.

Writes go to an overlay (names of nodes added or renamed since the last rebuild, and the
slots of removed nodes); :meth:`NameIndex.flush` folds the overlay into fresh arrays once it
has grown to a quarter of the index, so a single write stays cheap and the cost of a rebuild is
shared by the many writes before it. Meanwhile the overlay is searched through arrays of its
own, of the same layout, built again (at a cost in proportion to the overlay) once a quarter of
it is newer than they are; only those newest names are scanned one by one.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["SEARCH_LIMIT", "Match", "NameIndex", "NameMerge", "normalise"]

Ints = npt.NDArray[np.signedinteger[Any]]
Codes = npt.NDArray[np.unsignedinteger[Any]]

_SEP = "\x00"  # ends each name in the text; :func:`normalise` never keeps it
_STATE_VERSION = 2
"""The layout of :meth:`NameIndex.state`. 2: names normalised by decomposing before case
folding; a state of version 1 may hold names that :func:`normalise` no longer makes (capitals
from mathematical letters), so it is refused and the index is built again."""
_OVERLAY_LIMIT = 2048  # names in the overlay before a flush rebuilds the arrays...
_OVERLAY_SHARE = 4
"""... or one name for every this many nodes, if more: a rebuild costs about as much as the
whole index (0.8 s at 280,000 nodes), and each replica rebuilds its own. At one name per 32
nodes, a replica applying a thousand writes a second rebuilt all the time and its apply lag's
p99 doubled; the overlay is kept sorted in arrays of its own (below), so searches do not scan
it, and it can hold a quarter of the nodes' names."""
_TAIL_LIMIT = 2048
"""Names in the overlay past its own sorted arrays (which searches scan one by one) before
those arrays are built again: a quarter of the overlay, at least this many and at most four
times as many. Building them costs in proportion to the overlay, not to the whole index."""

# The block of combining diacritical marks: removed before the character table is applied, so
# that accented Latin text becomes ASCII and takes str.translate's fast path. The table would
# drop them anyway (they are all of category Mn).
_LATIN_MARKS = re.compile("[\u0300-\u036f]+")


class _Fold(dict[int, str | None]):
    """What each character of NFKD-decomposed, casefolded text becomes (filled as met)."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        category = unicodedata.category(ch)
        if unicodedata.combining(ch):
            kept: str | None = None
        elif category[0] in "LN":
            kept = ch
        elif category[0] == "Z" or ch in "-/":
            kept = " "
        else:
            kept = None
        self[code] = kept
        return kept


_FOLD = _Fold()
_FOLD_KEEPING_SEP = _Fold({ord(_SEP): _SEP})


SEARCH_LIMIT = 1000
"""Most matches a name search answers (the best ones): the read model asks for no more."""


def normalise(text: str) -> str:
    """Fold case and accents, drop punctuation, collapse spaces.

    Letters and digits are kept (after compatibility decomposition, then case folding, without
    their combining marks); spaces, ``-`` and ``/`` separate words; everything else is dropped.

    Decomposition comes first because it can make capitals: a mathematical or circled letter
    ("𝐀", "Ⓐ") has no case mapping of its own and decomposes to a plain capital, which the
    case folding after it lowers. (``NFKC`` and casefolding in one step is not what is wanted:
    composing again would keep an accented letter whole, and the accents are to be dropped.)
    Folding after decomposing leaves nothing that a second pass would change: every character
    of a normalised name normalises to itself.

    Examples
    --------
    >>> normalise("Zelenskyy’s  U.S. Kyïv")
    'zelenskyys us kyiv'
    >>> normalise("𝐀𝐥𝐞𝐱 Ⓚ")
    'alex k'
    """
    folded = unicodedata.normalize("NFKD", text).casefold()
    if not folded.isascii():
        folded = _LATIN_MARKS.sub("", folded)
    return " ".join(folded.translate(_FOLD).split())


# -- strings held in one text, ordered with numpy ----------------------------------------------


def _codes(text: str) -> Codes:
    """The code points of ``text`` as the narrowest unsigned array that holds them."""
    try:
        return np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        pass
    utf16 = text.encode("utf-16-le", "surrogatepass")
    if len(utf16) == 2 * len(text):  # no character past U+FFFF: code units are code points
        return np.frombuffer(utf16, dtype="<u2").astype(np.uint16, copy=False)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(
        np.uint32, copy=False
    )


def _text(codes: Codes) -> str:
    """The string of these code points (the inverse of :func:`_codes`), which are no
    surrogates (normalised names hold none)."""
    if codes.dtype == np.uint8:
        return codes.tobytes().decode("latin-1")
    if codes.dtype == np.uint16:
        return codes.astype("<u2").tobytes().decode("utf-16-le")
    return codes.astype("<u4").tobytes().decode("utf-32-le")


def _stable_argsort(values: Ints) -> Ints:
    """``np.argsort(values, kind="stable")``: a radix sort for values that fit in 16 bits."""
    if values.size and int(values.min()) >= 0 and int(values.max()) < 1 << 16:
        return np.argsort(values.astype(np.uint16), kind="stable")
    return np.argsort(values, kind="stable")


class _Strings(NamedTuple):
    """Strings held in one array of code points, each followed by a zero."""

    codes: Codes
    starts: Ints
    lengths: Ints

    @classmethod
    def of(cls, codes: Codes) -> _Strings:
        """The strings of ``codes``, which ends with a zero (or is empty)."""
        ends = np.flatnonzero(codes == 0).astype(np.int64)
        starts = np.zeros(ends.size, dtype=np.int64)
        starts[1:] = ends[:-1] + 1
        return cls(codes, starts, ends - starts)


def _fold_ascii(joined: str) -> Codes:
    """:func:`normalise` of each ASCII text in ``joined`` (separated by ``_SEP``), as codes:
    case folding is ``lower`` and decomposition changes nothing in ASCII."""
    kept = joined.lower().translate(_FOLD_KEEPING_SEP)
    while "  " in kept:
        kept = kept.replace("  ", " ")
    kept = kept.replace(_SEP + " ", _SEP).replace(" " + _SEP, _SEP).strip(" ")
    return np.frombuffer((kept + _SEP).encode("ascii"), dtype=np.uint8)


def _fold_wide(joined: str) -> Codes:
    """:func:`normalise` of each text in ``joined`` (separated by ``_SEP``), as codes: the
    same steps over the whole text, the table applied to each distinct character once, and
    spaces collapsed with masks."""
    codes = _codes(unicodedata.normalize("NFKD", joined).casefold() + _SEP)
    distinct = np.flatnonzero(np.bincount(codes))
    kind = np.zeros(int(distinct[-1]) + 1, dtype=np.uint8)  # 0: drop, 1: keep, 2: space
    for code in distinct.tolist():
        folded = _FOLD[code]
        kind[code] = 2 if folded == " " else int(folded is not None or code == 0)
    kinds = kind[codes]
    kept: Codes = np.where(kinds == 2, ord(" "), codes)[kinds != 0].astype(codes.dtype)
    # A space stays if a letter comes before it and after it: first drop those after a space,
    # a separator or the start, then those before a separator.
    after_letter = np.zeros(kept.size, dtype=bool)
    after_letter[1:] = (kept[:-1] != ord(" ")) & (kept[:-1] != 0)
    kept = kept[(kept != ord(" ")) | after_letter]
    before_end = np.zeros(kept.size, dtype=bool)
    before_end[:-1] = (kept[:-1] == ord(" ")) & (kept[1:] == 0)
    kept = kept[~before_end]
    if kept.dtype == np.uint32 and int(kept.max()) < 1 << 16:
        kept = kept.astype(np.uint16)
    return kept


def _normalised(texts: list[str]) -> tuple[_Strings, Ints]:
    """:func:`normalise` of each of ``texts``, computed for all of them at once, and where each
    text's normalised name is among the strings (one each, in order, unless a text holds the
    separator; ASCII takes a faster path)."""
    which = np.arange(len(texts), dtype=np.int64)
    joined = _SEP.join(texts)
    if not texts or joined.count(_SEP) != len(texts) - 1:  # a separator inside a text
        return _Strings.of(_codes("".join(normalise(t) + _SEP for t in texts))), which
    if joined.isascii():
        return _Strings.of(_fold_ascii(joined)), which
    return _Strings.of(_fold_wide(joined)), which


class _Alphabet:
    """The characters of a text as one byte each where possible (ranked among those present
    when the text is wider than Latin-1), so that 64-bit keys hold as many of them as can be:
    strings of the text are sorted and compared a key at a time."""

    def __init__(self, codes: Codes, *, counts: Ints | None = None) -> None:
        """The alphabet of the text ``codes`` (``counts``: ``np.bincount(codes)``, if known)."""
        units: npt.NDArray[Any] = codes
        if codes.dtype != np.uint8:
            counts = np.bincount(codes) if counts is None else counts
            rank = np.cumsum(counts > 0)  # from 1: 0 pads the end of a string
            size = int(rank[-1]) + 1
            dtype = np.uint8 if size <= 1 << 8 else np.uint16 if size <= 1 << 16 else np.uint32
            units = rank.astype(dtype)[codes]
        self.width = 8 // units.itemsize  # characters per key
        padded = np.zeros(units.size + self.width, dtype=units.dtype.newbyteorder(">"))
        padded[: units.size] = units
        # The 8 bytes from each character on, read as one big-endian number (unaligned reads).
        self._words = np.ndarray(
            (units.size + 1,), dtype=">u8", buffer=padded, strides=(units.itemsize,)
        )
        self._last = units.size  # past the end of the text: only zeros from there
        bits = 8 * units.itemsize
        self._masks = np.array(
            [
                0,
                *(
                    ((1 << 64) - 1) ^ ((1 << (bits * (self.width - r))) - 1)
                    for r in range(1, 1 + self.width)
                ),
            ],
            dtype=np.uint64,
        )

    def keys(self, starts: Ints, lengths: Ints, depth: int) -> npt.NDArray[np.uint64]:
        """Characters ``depth`` onwards of each string, ``width`` of them, zero past the end of
        the string: comparing these keys compares those slices of the strings."""
        key = self._words[np.minimum(starts + depth, self._last)].astype(np.uint64)
        return key & self._masks[np.clip(lengths - depth, 0, self.width)]


def _sort_strings(
    alphabet: _Alphabet, starts: Ints, lengths: Ints
) -> tuple[Ints, npt.NDArray[np.bool_]]:
    """Order the strings ``text[starts[i]:starts[i] + lengths[i]]`` as Python orders ``str``.

    Returns the order (equal strings in no particular order) and, for each place in it,
    whether that string equals the one before. A radix sort on 64-bit slices of the
    strings: each round re-sorts only the groups still tied, one slice further in.
    """
    n = starts.size
    order = np.arange(n, dtype=np.int64)
    same = np.zeros(n, dtype=bool)
    active = order.copy()  # places in `order` whose group is still tied, whole groups
    group = np.zeros(n, dtype=np.int64)  # each active place's group, named by its first place
    depth = 0
    while active.size:
        members = order[active]
        key = alphabet.keys(starts[members], lengths[members], depth)
        perm = np.argsort(key) if depth == 0 else np.lexsort((key, group))
        members, key = members[perm], key[perm]
        order[active] = members
        first = np.ones(active.size, dtype=bool)
        first[1:] = (group[1:] != group[:-1]) | (key[1:] != key[:-1])
        run = np.cumsum(first) - 1
        depth += alphabet.width
        # A run whose strings all end within this slice holds equal strings; in a run where
        # only some end (exactly at the slice's end), the next slice sorts those first.
        ended = np.bincount(run, weights=lengths[members] > depth)[run] == 0
        same[active[~first & ended]] = True
        keep = (np.bincount(run)[run] > 1) & ~ended
        group = active[first][run][keep]
        active = active[keep]
    return order, same


def _compare_neighbours(alphabet: _Alphabet, starts: Ints, lengths: Ints) -> npt.NDArray[np.int8]:
    """-1, 0 or 1 for each string of a sequence against the next one (as Python compares
    ``str``): all negative if the sequence is in strictly increasing order."""
    result = np.zeros(max(starts.size - 1, 0), dtype=np.int8)
    if not result.size:
        return result
    key = alphabet.keys(starts, lengths, 0)  # every string's first key, once
    result[key[:-1] < key[1:]] = -1
    result[key[:-1] > key[1:]] = 1
    depth = alphabet.width
    longer = np.maximum(lengths[:-1], lengths[1:]) > depth
    pending = np.flatnonzero((key[:-1] == key[1:]) & longer)
    while pending.size:
        a = alphabet.keys(starts[pending], lengths[pending], depth)
        b = alphabet.keys(starts[pending + 1], lengths[pending + 1], depth)
        result[pending[a < b]] = -1
        result[pending[a > b]] = 1
        depth += alphabet.width
        longer = np.maximum(lengths[pending], lengths[pending + 1]) > depth
        pending = pending[(a == b) & longer]
    return result


def _ends_of(codes: Codes) -> Ints:
    return np.flatnonzero(codes == 0).astype(np.int64)


# -- one immutable generation of the arrays ----------------------------------------------------


@dataclass(frozen=True)
class _Arrays:
    """The arrays of one build; never changed once made."""

    text: str  # the names by index, each ended by _SEP
    starts: Ints  # starts[i]: where name i starts; starts[-1] == len(text)
    lex_order: Ints  # name indexes in alphabetical order
    lex_rank: Ints  # lex_rank[i]: place of name i in lex_order
    word_starts: Ints  # positions after a space, ordered by the text from there to the name's end
    owner_starts: Ints  # owners[owner_starts[i]:owner_starts[i + 1]]: slots holding name i
    owners: Ints  # node slots, ascending within each name
    ids: str  # node ids by slot, concatenated
    id_starts: Ints  # ids[id_starts[s]:id_starts[s + 1]] is the id of slot s
    id_order: Ints  # slots in the alphabetical order of their ids

    @functools.cached_property
    def n_names(self) -> int:
        return int(self.lex_order.size)

    @functools.cached_property
    def n_slots(self) -> int:
        return int(self.id_order.size)

    def node_id(self, slot: int) -> str:
        return self.ids[int(self.id_starts[slot]) : int(self.id_starts[slot + 1])]

    def _bounds(self, sequence: Ints, key_at: Any, q: str) -> tuple[int, int]:
        """The places in ``sequence`` whose key starts with ``q``."""
        m = len(q)

        def head(place: int) -> str:
            start = key_at(sequence[place])
            return self.text[start : start + m]

        places = range(sequence.size)
        lo = bisect.bisect_left(places, q, key=head)
        hi = bisect.bisect_right(places, q, lo=lo, key=head)
        return lo, hi

    def prefix_range(self, q: str) -> tuple[int, int]:
        """Places in lex_order of the names that start with ``q``."""
        return self._bounds(self.lex_order, lambda i: int(self.starts[i]), q)

    def word_range(self, q: str) -> tuple[int, int]:
        """Places in word_starts where a word starting with ``q`` starts."""
        return self._bounds(self.word_starts, int, q)

    def find_name(self, name: str) -> int | None:
        lo, hi = self.prefix_range(name)
        if lo < hi:
            index = int(self.lex_order[lo])
            if self.starts[index + 1] - self.starts[index] - 1 == len(name):
                return index
        return None

    def find_slot(self, node_id: str) -> int | None:
        def id_at(place: int) -> str:
            return self.node_id(int(self.id_order[place]))

        place = bisect.bisect_left(range(self.n_slots), node_id, key=id_at)
        if place < self.n_slots and id_at(place) == node_id:
            return int(self.id_order[place])
        return None

    def owners_of(self, index: int) -> Ints:
        return self.owners[int(self.owner_starts[index]) : int(self.owner_starts[index + 1])]

    def state(self) -> dict[str, Any]:
        return {
            "version": np.array([_STATE_VERSION], dtype=np.int64),
            "names": _utf8(self.text),
            "lex_order": self.lex_order,
            "word_starts": self.word_starts,
            "owner_starts": self.owner_starts,
            "owners": self.owners,
            "ids": _utf8(self.ids),
            "id_starts": self.id_starts,
            "id_order": self.id_order,
        }


def _utf8(text: str) -> npt.NDArray[np.uint8]:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _frozen(array: Ints) -> Ints:
    """A read-only copy in 32 bits where the values fit (half the memory of 64)."""
    fits = array.size == 0 or (int(array.min()) >= 0 and int(array.max()) < 1 << 31)
    out: Ints = array.astype(np.int32) if fits else array.astype(np.int64)
    out.flags.writeable = False
    return out


def _normalised_char(ch: str) -> bool:
    """Whether ``ch`` can be in the text of the names (as :func:`normalise` leaves it)."""
    return ch in (_SEP, " ") or normalise(ch) == ch


_NORMALISED_ASCII = bytes(code for code in range(128) if _normalised_char(chr(code)))


def _all_distinct(values: Ints, bound: int) -> bool:
    """Whether ``values`` (all in ``range(bound)``) are distinct."""
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    return int(np.count_nonzero(seen)) == values.size


def _is_permutation(values: Ints, size: int) -> bool:
    return (
        values.shape == (size,)
        and bool(np.all((values >= 0) & (values < size)))
        and _all_distinct(values, size)
    )


def _inverse(permutation: Ints) -> Ints:
    inverse = np.empty_like(permutation)
    inverse[permutation] = np.arange(permutation.size, dtype=permutation.dtype)
    return inverse


def _offsets(lengths: Ints) -> Ints:
    """Where each of consecutive pieces of these lengths starts, and the total at the end."""
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _distinct(values: Ints) -> Ints:
    """The distinct values, ascending (a sort; numpy's unique may hash, which is slower here)."""
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _build(ids: list[str], names: _Strings, entry_name: Ints, entry_slot: Ints) -> _Arrays:
    """The arrays for nodes ``ids`` (by slot), where entry ``e`` says that slot
    ``entry_slot[e]`` holds the name ``entry_name[e]`` of ``names``.

    Names are normalised already; empty ones are skipped. An id given twice is one node (its
    first slot), and a name held twice by a node counts once.
    """
    # Ids: one slot per distinct id, in the order the ids first appear.
    id_starts = _offsets(np.fromiter(map(len, ids), dtype=np.int64, count=len(ids)))
    id_text = "".join(ids)
    id_order, id_same = _sort_strings(
        _Alphabet(_codes(id_text)), id_starts[:-1], np.diff(id_starts)
    )
    if id_same.any():
        run = np.cumsum(~id_same) - 1
        first = np.minimum.reduceat(id_order, np.flatnonzero(~id_same))  # of each equal run
        canonical = np.empty(len(ids), dtype=np.int64)
        canonical[id_order] = first[run]
        kept = canonical == np.arange(len(ids))
        renumber = np.cumsum(kept) - 1
        entry_slot = renumber[canonical[entry_slot]]
        id_order = renumber[first]
        ids = [node_id for node_id, k in zip(ids, kept.tolist(), strict=True) if k]
        id_starts = _offsets(np.fromiter(map(len, ids), dtype=np.int64, count=len(ids)))
        id_text = "".join(ids)

    # Names held by some node: distinct, not empty, ordered by length then alphabetically.
    codes, starts, lengths = names
    held = _distinct(entry_name[lengths[entry_name] > 0])
    alphabet = _Alphabet(codes)
    order, same = _sort_strings(alphabet, starts[held], lengths[held])
    lex_of_name = np.full(lengths.size, -1, dtype=np.int64)
    lex_of_name[held[order]] = np.cumsum(~same) - 1
    representative = held[order[~same]]  # one name per alphabetical place
    by_length = _stable_argsort(lengths[representative])  # index -> alphabetical place
    lex_order = _inverse(by_length)  # alphabetical place -> index
    in_text = representative[by_length]
    name_starts = _offsets(lengths[in_text] + 1)
    text = _text(codes[_ranges(starts[in_text], lengths[in_text] + 1)])

    # Word starts: every position after a space (names have single inner spaces only), sorted
    # where the names are now, then placed in the text.
    after_space = np.flatnonzero(codes == ord(" ")) + 1
    name_of = np.searchsorted(starts, after_space, side="right") - 1
    index_of = np.full(lengths.size, -1, dtype=np.int64)
    index_of[in_text] = np.arange(in_text.size)
    kept = index_of[name_of] >= 0
    after_space, name_of = after_space[kept], name_of[kept]
    word_lengths = starts[name_of] + lengths[name_of] - after_space
    word_order, same_word = _sort_strings(alphabet, after_space, word_lengths)
    word_starts = (name_starts[index_of[name_of]] + after_space - starts[name_of])[word_order]
    # Equal words in text order: the same names give the same arrays however they came.
    word_starts = word_starts[np.lexsort((word_starts, np.cumsum(~same_word)))]

    # Owners: the distinct (name index, slot) pairs, grouped by name, slots ascending.
    named = lex_of_name[entry_name] >= 0
    entry_index = lex_order[lex_of_name[entry_name[named]]]
    n_slots = max(len(ids), 1)
    pairs = _distinct(entry_index * n_slots + entry_slot[named])
    owner_counts = np.bincount(pairs // n_slots, minlength=lex_order.size)
    return _Arrays(
        text=text,
        starts=_frozen(name_starts),
        lex_order=_frozen(lex_order),
        lex_rank=_frozen(by_length),
        word_starts=_frozen(word_starts),
        owner_starts=_frozen(_offsets(owner_counts)),
        owners=_frozen(pairs % n_slots),
        ids=id_text,
        id_starts=_frozen(id_starts),
        id_order=_frozen(id_order),
    )


def _ranges(first: Ints, counts: Ints) -> Ints:
    """The positions ``first[i], first[i] + 1, ...`` (``counts[i]`` of them), one after another
    (in 32 bits where they fit: these arrays can be as long as all the names)."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.size else 0
    dtype = np.int32 if total + int(first.max(initial=0)) < 1 << 31 else np.int64
    return np.repeat((first - ends + counts).astype(dtype), counts) + np.arange(total, dtype=dtype)


def _ascending(values: Ints, size: int) -> Iterator[Ints]:
    """The distinct ``values`` in ascending order, in chunks of at most ``size`` then four times
    more each time: the first chunk costs one partition, not a sort of everything."""
    while values.size:
        if size >= values.size:
            yield _distinct(values)
            return
        head = _distinct(np.partition(values, size - 1)[:size])
        yield head
        values = values[values > head[-1]]
        size *= 4


_ARRAY_KEYS = ("lex_order", "word_starts", "owner_starts", "owners", "id_starts", "id_order")


def _arrays_from_state(state: Mapping[str, Any]) -> _Arrays:
    """Check a :meth:`NameIndex.state` and make arrays of it; ``ValueError`` if inconsistent."""
    missing = {"version", "names", "ids", *_ARRAY_KEYS} - set(state)
    if missing:
        raise ValueError(f"name index state lacks {', '.join(sorted(missing))}")

    def text_of(key: str) -> str:
        value = np.asarray(state[key])
        if value.ndim != 1 or value.dtype != np.uint8:
            raise ValueError(f"name index state: {key} is not a one-dimensional uint8 array")
        try:
            return value.tobytes().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as error:
            raise ValueError(f"name index state: {key} is not UTF-8 ({error})") from None

    def ints(key: str) -> Ints:
        value = np.asarray(state[key])
        if value.ndim != 1 or value.dtype.kind not in "iu":
            raise ValueError(f"name index state: {key} is not a one-dimensional integer array")
        return value.astype(np.int64, copy=False)

    def check(ok: bool | np.bool_, what: str) -> None:
        if not ok:
            raise ValueError(f"name index state: {what}")

    version = ints("version")
    check(version.tolist() == [_STATE_VERSION], f"version {version.tolist()} is not supported")
    text, ids = text_of("names"), text_of("ids")
    lex_order, word_starts, owner_starts, owners, id_starts, id_order = map(ints, _ARRAY_KEYS)

    # The names: each ended by the separator, normalised, by length then alphabetically.
    check(not text or text[-1] == _SEP, "names do not end with the separator")
    codes = _codes(text)
    ends = _ends_of(codes)
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    lengths = ends - starts[:-1]
    n_names = lengths.size
    check(bool(np.all(lengths > 0)), "an empty name")
    space = ord(" ")
    check(
        not np.any(codes[starts[:-1]] == space)
        and not np.any(codes[np.maximum(ends - 1, 0)] == space)
        and not np.any((codes[1:] == space) & (codes[:-1] == space)),
        "a name with spaces at an end or twice",
    )
    counts = None
    if text.isascii():
        unexpected = text.encode("ascii").translate(None, _NORMALISED_ASCII)
        check(not unexpected, f"{unexpected[:1]!r} cannot be in a normalised name")
    else:
        counts = np.bincount(codes)
        for code in np.flatnonzero(counts).tolist():
            ch = chr(code)
            check(_normalised_char(ch), f"{ch!r} cannot be in a normalised name")
    check(_is_permutation(lex_order, n_names), "lex_order is not a permutation of the names")
    lex_rank = _inverse(lex_order)
    check(bool(np.all(np.diff(lengths) >= 0)), "names are not ordered by length")
    check(
        bool(np.all(np.diff(lex_rank)[np.diff(lengths) == 0] > 0)),
        "names of one length are not in alphabetical order",
    )
    alphabet = _Alphabet(codes, counts=counts)
    in_order = _compare_neighbours(alphabet, starts[lex_order], lengths[lex_order])
    check(bool(np.all(in_order < 0)), "lex_order is not alphabetical, or a name is there twice")

    # Word starts: every position after a space, once each, ordered by the text from there.
    after_space = np.flatnonzero(codes == space) + 1  # ascending
    check(
        word_starts.size == after_space.size
        and bool(np.all((word_starts > 0) & (word_starts < codes.size)))
        and bool(np.all(codes[word_starts - 1] == space))
        and _all_distinct(word_starts, codes.size),
        "word_starts are not the positions after the spaces",
    )
    place = np.empty(codes.size, dtype=np.int32)  # of each word start in after_space
    place[after_space] = np.arange(after_space.size, dtype=np.int32)
    word_ends = ends[np.searchsorted(ends, after_space)][place[word_starts]]
    in_order = _compare_neighbours(alphabet, word_starts, word_ends - word_starts)
    check(bool(np.all(in_order <= 0)), "word_starts are not in the order of their words")

    # The ids: by slot, with an alphabetical order; the owners of each name.
    n_slots = id_starts.size - 1
    check(
        n_slots >= 0
        and int(id_starts[0]) == 0
        and int(id_starts[-1]) == len(ids)
        and bool(np.all(np.diff(id_starts) >= 0)),
        "id_starts do not cut the ids",
    )
    check(_is_permutation(id_order, n_slots), "id_order is not a permutation of the slots")
    id_lengths = np.diff(id_starts)
    in_order = _compare_neighbours(
        _Alphabet(_codes(ids)), id_starts[id_order], id_lengths[id_order]
    )
    check(bool(np.all(in_order < 0)), "id_order is not alphabetical, or an id is there twice")
    check(
        owner_starts.shape == (n_names + 1,)
        and int(owner_starts[0]) == 0
        and int(owner_starts[-1]) == owners.size
        and bool(np.all(np.diff(owner_starts) > 0)),
        "owner_starts do not give each name its owners",
    )
    ascending = np.diff(owners) > 0
    ascending[owner_starts[1:-1] - 1] = True
    check(
        bool(np.all((owners >= 0) & (owners < n_slots))) and bool(np.all(ascending)),
        "owners are not ascending slots",
    )
    return _Arrays(
        text=text,
        starts=_frozen(starts),
        lex_order=_frozen(lex_order),
        lex_rank=_frozen(lex_rank),
        word_starts=_frozen(word_starts),
        owner_starts=_frozen(owner_starts),
        owners=_frozen(owners),
        ids=ids,
        id_starts=_frozen(id_starts),
        id_order=_frozen(id_order),
    )


_NONE = np.zeros(0, dtype=np.int64)
_EMPTY = _build([], _Strings.of(np.zeros(0, dtype=np.uint8)), _NONE, _NONE)

_Match = tuple[int, int, str, str]  # (rank, length of the name, name, id): how matches sort
_Emit = Callable[[int, Ints], Iterator[_Match]]  # (rank, name indexes) -> their matches


class Match(NamedTuple):
    """A search match, as matches sort: the kind of match (0 exact name, 1 name prefix, 2 word
    prefix, 3 substring), the length of the matched name, the name (normalised), the id."""

    rank: int
    length: int
    name: str
    id: str


def _merge(
    arrays: _Arrays,
    dead: Iterable[int],
    new_ids: Sequence[str | None],
    written: Sequence[tuple[str, Iterable[int]]],
) -> tuple[_Arrays, Ints]:
    """Arrays holding the live nodes of ``arrays`` and ``new_ids`` (slots after the arrays'),
    with the names of both and the ``written`` (name, slots) pairs; and where each slot went
    (-1: a removed node). Slots keep their order."""
    n_slots = arrays.n_slots
    live = np.ones(n_slots + len(new_ids), dtype=bool)
    live[list(dead)] = False
    live[n_slots:] = [node_id is not None for node_id in new_ids]
    new_slot = np.cumsum(live) - 1
    new_slot[~live] = -1
    starts = arrays.id_starts.tolist()
    ids = [arrays.ids[starts[s] : starts[s + 1]] for s in np.flatnonzero(live[:n_slots]).tolist()]
    ids += [node_id for node_id in new_ids if node_id is not None]
    slot_lists = [list(slots) for _, slots in written]
    counts = [len(slots) for slots in slot_lists]
    entry_name = np.concatenate(
        [
            np.repeat(np.arange(arrays.n_names), np.diff(arrays.owner_starts)),
            np.repeat(np.arange(arrays.n_names, arrays.n_names + len(written)), counts),
        ]
    )
    written_slots = itertools.chain.from_iterable(slot_lists)
    entry_slot = np.concatenate(
        [arrays.owners, np.fromiter(written_slots, dtype=np.int64, count=sum(counts))]
    )
    extra = _SEP.join([name for name, _ in written]) + _SEP if written else ""
    names = _Strings.of(np.concatenate([_codes(arrays.text), _codes(extra)]))
    slots = new_slot[entry_slot]
    keep = slots >= 0
    return _build(ids, names, entry_name[keep], slots[keep]), new_slot


def _overlay_arrays(written: Sequence[tuple[str, Sequence[int]]]) -> tuple[_Arrays, Ints]:
    """Arrays of the overlay's (name, slots) pairs alone, for searching it as the main arrays
    are searched; their "ids" are the slots' numbers in decimal, and the slot of each of their
    own slots is returned beside them."""
    counts = [len(slots) for _, slots in written]
    slots = np.fromiter(
        itertools.chain.from_iterable(s for _, s in written), dtype=np.int64, count=sum(counts)
    )
    distinct = _distinct(slots)
    entry_name = np.repeat(np.arange(len(written), dtype=np.int64), counts)
    text = _SEP.join([name for name, _ in written]) + _SEP if written else ""
    names = _Strings.of(_codes(text))
    ids = [str(slot) for slot in distinct.tolist()]
    return _build(ids, names, entry_name, np.searchsorted(distinct, slots)), distinct


@dataclass
class NameMerge:
    """A rebuild of a :class:`NameIndex`'s arrays from a copy of what it held when the merge
    began (see :meth:`NameIndex.start_merge`): :meth:`run` needs no lock. A ``full`` merge
    folds the overlay into the arrays; otherwise only the overlay's own arrays are built."""

    arrays: _Arrays
    dead: frozenset[int]
    new_ids: tuple[str | None, ...]
    written: tuple[tuple[str, tuple[int, ...]], ...]
    full: bool = True
    next_tail: dict[str, dict[int, None]] | None = None  # a sort's: the pairs flushed since
    result: tuple[_Arrays, Ints] | None = None

    def run(self) -> None:
        if self.full:
            self.result = _merge(self.arrays, self.dead, self.new_ids, self.written)
        else:
            self.result = _overlay_arrays(self.written)


class NameIndex:
    """Index of the names (label and aliases) of nodes, for exact look-up and ranked search.

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

    Many nodes at once, and an index saved as arrays and loaded back:

    >>> index = NameIndex.build([("kyiv", ["Kyiv", "Kiev"]), ("kyiv-oblast", ["Kyiv Oblast"])])
    >>> index.search("ky")
    ['kyiv', 'kyiv-oblast']
    >>> NameIndex.from_state(index.state()).search("oblast")
    ['kyiv-oblast']
    """

    def __init__(self) -> None:
        self._install(_EMPTY)

    def _install(self, arrays: _Arrays) -> None:
        self._arrays = arrays
        self._dead: set[int] = set()  # slots of the arrays whose node was removed
        self._new_ids: list[str | None] = []  # ids of slots past the arrays' (None: removed)
        self._new_slots: dict[str, int] = {}  # id -> slot, for those
        # name -> slots holding it (a dict for order and O(1) membership): flushed names that
        # are not in the arrays yet, and names not flushed yet
        self._overlay: dict[str, dict[int, None]] = {}
        self._overlay_size = 0
        self._pending: dict[str, dict[int, None]] = {}
        self._pending_size = 0
        # The overlay kept sorted: arrays of the (name, slot) pairs it held when they were
        # built (their own slots map to the index's through _sorted_slots), and the pairs
        # flushed since (the tail, which searches scan); _next_tail: the pairs flushed since
        # a build of those arrays began, the tail once it is put in place.
        self._sorted: _Arrays | None = None
        self._sorted_slots: Ints = _NONE
        self._tail: dict[str, dict[int, None]] = {}
        self._tail_size = 0
        self._next_tail: dict[str, dict[int, None]] | None = None

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, Iterable[str]]]) -> NameIndex:
        """An index of ``(node id, names)`` pairs, built at once: the same index as
        :meth:`add` for each pair and :meth:`flush` give, in numpy rather than name by name
        (under a second for 250,000 nodes with 400,000 names).

        Examples
        --------
        >>> index = NameIndex.build([("moscow", ["Moscow"]), ("russia", ["Russia", "Moscow"])])
        >>> index.exact("moscow")
        ['moscow', 'russia']
        """
        ids: list[str] = []
        texts: list[str] = []
        counts: list[int] = []
        for node_id, names in pairs:
            ids.append(node_id)
            before = len(texts)
            texts.extend(names)
            counts.append(len(texts) - before)
        slots = np.repeat(np.arange(len(ids), dtype=np.int64), counts)
        strings, entries = _normalised(texts)
        index = cls()
        index._install(_build(ids, strings, entries, slots))
        return index

    def state(self) -> dict[str, Any]:
        """The index as numpy arrays, for a snapshot file (see :meth:`from_state`).

        Integer arrays, plus the names and the ids as UTF-8 bytes (``uint8`` arrays): nothing
        needs pickle, and ``numpy.savez`` writes them as they are. Names added since the last
        :meth:`flush` are included. The integer arrays are the index's own and read-only;
        they are rebuilt only if writes changed the index since it was built.
        """
        if self._pending or self._overlay or self._dead or self._new_ids:
            return self._merged(include_pending=True).state()
        return self._arrays.state()

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NameIndex:
        """The index a :meth:`state` describes; ``ValueError`` if the state is inconsistent.

        Every array is checked against the names (shapes, bounds, orders), in numpy: no
        Python object is made per name or per node.
        """
        index = cls()
        index._install(_arrays_from_state(state))
        return index

    # -- writes ---------------------------------------------------------------------------

    def _slot(self, node_id: str) -> int | None:
        slot = self._new_slots.get(node_id)
        if slot is None:
            slot = self._arrays.find_slot(node_id)
            if slot is not None and slot in self._dead:
                return None
        return slot

    def __len__(self) -> int:
        """Number of nodes with names in the index (names not yet flushed included)."""
        new = sum(1 for node_id in self._new_ids if node_id is not None)
        return self._arrays.n_slots - len(self._dead) + new

    def _alive(self, slot: int) -> bool:
        n_slots = self._arrays.n_slots
        if slot < n_slots:
            return slot not in self._dead
        return self._new_ids[slot - n_slots] is not None

    def _id(self, slot: int) -> str:
        n_slots = self._arrays.n_slots
        if slot < n_slots:
            return self._arrays.node_id(slot)
        node_id = self._new_ids[slot - n_slots]
        assert node_id is not None
        return node_id

    def _holds(self, slot: int, name: str) -> bool:
        if slot in self._pending.get(name, ()) or slot in self._overlay.get(name, ()):
            return True
        index = self._arrays.find_name(name) if slot < self._arrays.n_slots else None
        if index is None:
            return False
        owners = self._arrays.owners_of(index)
        place = int(np.searchsorted(owners, slot))
        return place < owners.size and int(owners[place]) == slot

    def add(self, node_id: str, names: Iterable[str], *, new: bool = False) -> None:
        """Index ``names`` for ``node_id`` (adding a name twice is harmless).

        :meth:`exact` sees them at once, :meth:`search` after the next :meth:`flush`. With
        ``new``, the caller knows that ``node_id`` holds no names here (a node just created,
        or removed since): its slot is not looked up (a binary search over every id).
        """
        slot = None if new else self._slot(node_id)
        if slot is None:
            slot = self._arrays.n_slots + len(self._new_ids)
            self._new_ids.append(node_id)
            self._new_slots[node_id] = slot
        for name in names:
            norm = normalise(name)
            if norm and not self._holds(slot, norm):
                self._pending.setdefault(norm, {})[slot] = None
                self._pending_size += 1

    def remove(self, node_id: str) -> None:
        """Forget every name of ``node_id`` (a no-op for an unknown id); seen at once.

        Examples
        --------
        >>> index = NameIndex()
        >>> index.add("kyiv", ["Kyiv", "Kiev"])
        >>> index.flush()
        >>> index.remove("kyiv")
        >>> index.search("ky"), index.exact("Kiev")
        ([], [])
        """
        slot = self._slot(node_id)
        if slot is None:
            return
        n_slots = self._arrays.n_slots
        if slot < n_slots:
            self._dead.add(slot)
        else:
            self._new_ids[slot - n_slots] = None
            del self._new_slots[node_id]

    def flush(self, *, merge: bool = True) -> None:
        """Make names added since the last flush searchable (writers call it; searches see only
        flushed names).

        The names go to the overlay; once it holds more names than a quarter of the nodes (at
        least 2,048), or a quarter of the nodes were removed, the arrays are rebuilt with it:
        that flush costs about as much as :meth:`build` of the whole index (under a second
        for 250,000 nodes), shared by the many writes since the last rebuild. Before that, once
        a quarter of the overlay is newer than its own sorted arrays, those are built again.
        With ``merge=False`` it never rebuilds: the owner does it in the background
        (:meth:`needs_merge`, :meth:`start_merge`).
        """
        if merge and self._full_merge_due():
            self._install(self._merged(include_pending=True))
            return
        for name, slots in self._pending.items():
            alive = dict.fromkeys(slot for slot in slots if self._alive(slot))
            if alive:
                self._overlay.setdefault(name, {}).update(alive)
                self._overlay_size += len(alive)
                self._tail.setdefault(name, {}).update(alive)
                self._tail_size += len(alive)
                if self._next_tail is not None:
                    self._next_tail.setdefault(name, {}).update(alive)
        self._pending = {}
        self._pending_size = 0
        if merge and self.needs_merge():  # the overlay's own arrays, built now
            sort = self.start_merge(full=False)
            sort.run()
            self.finish_merge(sort)

    def needs_merge(self) -> bool:
        """Whether the overlay (or the removed nodes) grew enough to rebuild the arrays, or
        the names flushed since the overlay's own arrays were built grew enough to build
        those again."""
        return self._full_merge_due() or self._tail_size > min(
            4 * _TAIL_LIMIT, max(_TAIL_LIMIT, self._overlay_size // 4)
        )

    def _full_merge_due(self) -> bool:
        n_slots = self._arrays.n_slots
        limit = max(_OVERLAY_LIMIT, n_slots // _OVERLAY_SHARE)
        return self._overlay_size + self._pending_size > limit or len(self._dead) > max(
            _OVERLAY_LIMIT, n_slots // 4
        )

    def start_merge(self, full: bool | None = None) -> NameMerge:
        """Begin a rebuild of the arrays with the overlay (call it with writes excluded): the
        merge's :meth:`~NameMerge.run` needs no lock, as it reads only what this copies or
        never changes; :meth:`finish_merge` (writes and reads excluded) puts it in place with
        what was written meanwhile. Searches and writes go on against this index meanwhile.

        ``full=False`` builds the overlay's own sorted arrays instead (which cost in proportion
        to the overlay); by default, a full rebuild when one is due, else those.

        Examples
        --------
        >>> index = NameIndex.build([("kyiv", ["Kyiv"]), ("lviv", ["Lviv"])])
        >>> index.add("odesa", ["Odesa"]); index.flush(merge=False)
        >>> merge = index.start_merge()
        >>> index.add("kharkiv", ["Kharkiv"]); index.remove("lviv"); index.flush(merge=False)
        >>> merge.run()
        >>> index.finish_merge(merge)
        >>> index.search("lviv"), index.search("odesa"), index.search("kharkiv")
        ([], ['odesa'], ['kharkiv'])
        """
        if full is None:
            full = self._full_merge_due()
        if not full:
            self._next_tail = {}
        return NameMerge(
            arrays=self._arrays,
            dead=frozenset(self._dead),
            new_ids=tuple(self._new_ids),
            written=tuple((name, tuple(slots)) for name, slots in self._overlay.items()),
            full=full,
            next_tail=None if full else self._next_tail,
        )

    def finish_merge(self, merge: NameMerge) -> None:
        """Put a merge's arrays in place, with the names added and the nodes removed since it
        started; a merge of arrays this index no longer holds is dropped."""
        if not merge.full:
            self._finish_sorting(merge)
            return
        if merge.arrays is not self._arrays or merge.result is None:
            return
        arrays, new_slot = merge.result
        old = self._arrays.n_slots + len(merge.new_ids)  # slots the merge knew
        added = self._new_ids[len(merge.new_ids) :]

        def moved(slot: int) -> int:
            return int(new_slot[slot]) if slot < old else arrays.n_slots + slot - old

        dead = {moved(slot) for slot in self._dead - merge.dead}
        dead.update(
            moved(self._arrays.n_slots + i)
            for i, node_id in enumerate(merge.new_ids)
            if node_id is not None and self._new_ids[i] is None
        )

        def carried(
            entries: dict[str, dict[int, None]], merged: Mapping[str, set[int]]
        ) -> dict[str, dict[int, None]]:
            """The (name, slot) entries the merge did not take, in the new slots."""
            kept: dict[str, dict[int, None]] = {}
            for name, slots in entries.items():
                taken = merged.get(name, set())
                for slot in slots:
                    to = moved(slot)
                    if to >= 0 and slot not in taken:
                        kept.setdefault(name, {})[to] = None
            return kept

        overlay = carried(self._overlay, {name: set(slots) for name, slots in merge.written})
        pending = carried(self._pending, {})
        self._install(arrays)
        self._dead = {slot for slot in dead if slot >= 0}
        self._new_ids = list(added)
        self._new_slots = {
            node_id: arrays.n_slots + i for i, node_id in enumerate(added) if node_id is not None
        }
        self._overlay, self._overlay_size = overlay, sum(map(len, overlay.values()))
        self._tail = {name: dict(slots) for name, slots in overlay.items()}
        self._tail_size = self._overlay_size
        self._pending, self._pending_size = pending, sum(map(len, pending.values()))

    def _finish_sorting(self, merge: NameMerge) -> None:
        """Put the overlay's own arrays in place: the names flushed since they began to be
        built are the tail now. Dropped if the arrays were rebuilt meanwhile (the overlay's
        slots were numbered anew) or a later sort began (its own tail is kept)."""
        next_tail = merge.next_tail
        if next_tail is None or next_tail is not self._next_tail:
            return
        self._next_tail = None
        if merge.arrays is not self._arrays or merge.result is None:
            return
        self._sorted, self._sorted_slots = merge.result
        self._tail, self._tail_size = next_tail, sum(map(len, next_tail.values()))

    def _merged(self, *, include_pending: bool) -> _Arrays:
        """Arrays holding the live nodes and names of the arrays, the overlay and, if asked,
        the pending names; slots keep their order."""
        written = [*self._overlay.items(), *(self._pending.items() if include_pending else ())]
        return _merge(self._arrays, self._dead, self._new_ids, written)[0]

    # -- reads ----------------------------------------------------------------------------

    def exact(self, name: str) -> list[str]:
        """The ids with ``name`` as label or alias (after :func:`normalise`), in the order
        their ids were first indexed (an id removed and added again comes last). Names added
        since the last :meth:`flush` count.

        Examples
        --------
        >>> index = NameIndex()
        >>> index.add("moscow", ["Moscow"])
        >>> index.add("russia", ["Russia", "Moscow"])
        >>> index.exact("MOSCOW")
        ['moscow', 'russia']
        """
        norm = normalise(name)
        if not norm:
            return []
        index = self._arrays.find_name(norm)
        slots = set() if index is None else set(self._arrays.owners_of(index).tolist())
        slots.update(self._overlay.get(norm, ()), self._pending.get(norm, ()))
        return [self._id(slot) for slot in sorted(slots) if self._alive(slot)]

    def search(self, query: str, limit: int | None = None) -> list[str]:
        """The ids whose names contain ``query`` (after :func:`normalise`), best match first.

        Exact name, then name prefix, then word prefix, then any substring; shorter names
        first within a rank, then alphabetical, then by id. Each id comes once, at its best
        match. Names added since the last :meth:`flush` are not seen: a search never changes
        the index, so readers can search while nothing else writes.

        With a ``limit``, the best ``limit`` ids are found without ranking every match. The
        exact name and the name and word prefixes take binary searches over the sorted names
        and word starts, then a partial sort in numpy (linear in the names with that prefix)
        picks the best of them. Substrings are looked for only if those ranks give fewer than
        ``limit`` ids, with ``str.find`` over the one string of all names: it lists the
        shortest names first, so the search stops at the ``limit``-th new id. Bounds: the
        Python work is for about ``limit`` times the most names one node has, plus the names
        of removed nodes the arrays still hold (fewer than a quarter of them) and the names
        written since the overlay's own arrays were built (at most 8,192, checked one by
        one). The worst case is a query that fewer than ``limit`` ids match: it reads the
        whole string once, at C speed (about 1 ns a character; 5 million characters for
        250,000 nodes with 1.6 names each). Without a limit, every match is ranked, in
        Python: about a microsecond per matching node.

        Examples
        --------
        >>> index = NameIndex.build(
        ...     [("kyiv", ["Kyiv"]), ("kyivstar", ["Kyivstar"]), ("oblast", ["Kyiv Oblast"])]
        ... )
        >>> index.search("kyiv")
        ['kyiv', 'kyivstar', 'oblast']
        >>> index.search("kyiv", limit=2)
        ['kyiv', 'kyivstar']
        """
        return [match.id for match in self.matches(query, limit)]

    def matches(self, query: str, limit: int | None = None) -> list[Match]:
        """:meth:`search`, with each id's best match: its sort key, which a page of the answer
        can resume after.

        Examples
        --------
        >>> NameIndex.build([("kyiv", ["Kyiv", "Kiev"])]).matches("ki")
        [Match(rank=1, length=4, name='kiev', id='kyiv')]
        """
        q = normalise(query)
        if not q or (limit is not None and limit <= 0):
            return []
        matches: Iterator[_Match] = self._array_matches(self._arrays, self._emit, q, limit)
        if self._sorted is not None:
            sorted_overlay = self._array_matches(self._sorted, self._emit_sorted, q, limit)
            matches = heapq.merge(matches, sorted_overlay)
        written = self._overlay_matches(q)
        if written:
            matches = heapq.merge(matches, written)
        seen: set[str] = set()
        found: list[Match] = []
        for match in matches:
            if match[3] not in seen:
                seen.add(match[3])
                found.append(Match(*match))
                if len(found) == limit:
                    break
        return found

    def _overlay_matches(self, q: str) -> list[_Match]:
        """The matches among the names flushed since the overlay's arrays were built (all of
        the overlay's if there are none), one by one."""
        found: list[_Match] = []
        spaced = " " + q
        for name, slots in self._tail.items():
            at = name.find(q)
            if at < 0:
                continue
            if at == 0:
                rank = 0 if len(name) == len(q) else 1
            elif name[at - 1] == " " or name.find(spaced, at) >= 0:
                rank = 2
            else:
                rank = 3
            found.extend((rank, len(name), name, self._id(s)) for s in slots if self._alive(s))
        found.sort()
        return found

    def _array_matches(
        self, arrays: _Arrays, emit: _Emit, q: str, limit: int | None
    ) -> Iterator[_Match]:
        """The matches in ``arrays`` (their live owners as ``emit`` tells them), in order,
        computed a chunk at a time."""
        size = arrays.n_names if limit is None else max(limit, 8)
        lo, hi = arrays.prefix_range(q)
        first = lo
        if lo < hi:
            index = int(arrays.lex_order[lo])
            if arrays.starts[index + 1] - arrays.starts[index] - 1 == len(q):
                yield from emit(0, arrays.lex_order[lo : lo + 1])
                first += 1
        for chunk in _ascending(arrays.lex_order[first:hi], size):
            yield from emit(1, chunk)
        word_lo, word_hi = arrays.word_range(q)
        if word_lo < word_hi:
            words = arrays.word_starts[word_lo:word_hi]
            names = np.searchsorted(arrays.starts, words, side="right") - 1
            place = arrays.lex_rank[names]
            for chunk in _ascending(names[(place < lo) | (place >= hi)], size):
                yield from emit(2, chunk)
        # Substrings: the names are in the text shortest first, so the first names found are
        # the best; they are emitted in batches, each four times larger than the one before.
        text = arrays.text
        spaced = " " + q
        found: list[int] = []
        at = text.find(q)
        while at >= 0:
            start = text.rfind(_SEP, 0, at) + 1
            end = text.find(_SEP, at)
            # ``at`` is the first place in this name that holds q: the name ranks 3 unless q
            # starts the name or a word of it.
            if at > start and text[at - 1] != " " and text.find(spaced, at, end) < 0:
                found.append(start)
                if len(found) == size:
                    yield from emit(3, np.searchsorted(arrays.starts, found))
                    found, size = [], size * 4
            at = text.find(q, end + 1)
        if found:
            yield from emit(3, np.searchsorted(arrays.starts, found))

    def _emit(self, rank: int, indexes: Ints) -> Iterator[_Match]:
        """The live owners of names ``indexes`` (ascending), as matches of ``rank``."""
        arrays = self._arrays
        counts = arrays.owner_starts[indexes + 1] - arrays.owner_starts[indexes]
        slots = arrays.owners[_ranges(arrays.owner_starts[indexes], counts)]
        id_from = arrays.id_starts[slots].tolist()
        id_to = arrays.id_starts[slots + 1].tolist()
        slot_list = slots.tolist()
        text, ids, dead = arrays.text, arrays.ids, self._dead
        name_from = arrays.starts[indexes].tolist()
        name_to = (arrays.starts[indexes + 1] - 1).tolist()
        k = 0
        for start, end, count in zip(name_from, name_to, counts.tolist(), strict=True):
            name = text[start:end]
            live = [
                ids[id_from[j] : id_to[j]] for j in range(k, k + count) if slot_list[j] not in dead
            ]
            k += count
            for node_id in sorted(live) if count > 1 else live:
                yield rank, end - start, name, node_id

    def _emit_sorted(self, rank: int, indexes: Ints) -> Iterator[_Match]:
        """The live owners of names ``indexes`` (ascending) of the overlay's own arrays, as
        matches of ``rank``."""
        arrays = self._sorted
        assert arrays is not None
        counts = arrays.owner_starts[indexes + 1] - arrays.owner_starts[indexes]
        slots = self._sorted_slots[arrays.owners[_ranges(arrays.owner_starts[indexes], counts)]]
        slot_list = slots.tolist()
        text = arrays.text
        name_from = arrays.starts[indexes].tolist()
        name_to = (arrays.starts[indexes + 1] - 1).tolist()
        k = 0
        for start, end, count in zip(name_from, name_to, counts.tolist(), strict=True):
            name = text[start:end]
            live = [self._id(slot) for slot in slot_list[k : k + count] if self._alive(slot)]
            k += count
            for node_id in sorted(live) if count > 1 else live:
                yield rank, end - start, name, node_id
