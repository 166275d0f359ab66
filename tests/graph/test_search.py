"""The name index answers exactly as ranking every name by the rules would.

A plain reference written here ranks every name of every node for each query; the compact
index must give the same ids in the same order, built at once or write by write, after
removals and rebuilds, after a trip through its saved state, and with a limit.
"""

from __future__ import annotations

import functools
import io
import itertools
import random
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from graph import search
from graph.search import NameIndex, normalise

# -- the reference -----------------------------------------------------------------------------


@functools.cache
def reference_normalise(text: str) -> str:
    """What :func:`normalise` means, one character at a time."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
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


def reference_search(names_of: dict[str, list[str]], query: str) -> list[str]:
    """Rank every name of every node: exact, name prefix, word prefix, substring; then
    shorter names, then the name, then the id; each id at its best match."""
    q = reference_normalise(query)
    if not q:
        return []
    best: dict[str, tuple[int, int, str, str]] = {}
    for node_id, names in names_of.items():
        for raw in names:
            name = reference_normalise(raw)
            if q not in name:
                continue
            if name == q:
                rank = 0
            elif name.startswith(q):
                rank = 1
            elif f" {q}" in name:
                rank = 2
            else:
                rank = 3
            match = (rank, len(name), name, node_id)
            if node_id not in best or match < best[node_id]:
                best[node_id] = match
    return [match[3] for match in sorted(best.values())]


class Model:
    """What an index should hold after a sequence of writes: the names searches see, the
    names exact look-ups see, and the order in which live ids were indexed."""

    def __init__(self) -> None:
        self.flushed: dict[str, list[str]] = {}
        self.written: dict[str, list[str]] = {}
        self.order: dict[str, int] = {}
        self._next = 0

    def add(self, node_id: str, names: list[str]) -> None:
        if node_id not in self.order:
            self.order[node_id] = self._next
            self._next += 1
        self.written.setdefault(node_id, []).extend(names)

    def remove(self, node_id: str) -> None:
        self.order.pop(node_id, None)
        self.flushed.pop(node_id, None)
        self.written.pop(node_id, None)

    def flush(self) -> None:
        for node_id, names in self.written.items():
            self.flushed.setdefault(node_id, []).extend(names)
        self.written = {}

    def exact(self, name: str) -> list[str]:
        norm = reference_normalise(name)
        holders = {
            node_id
            for held in (self.flushed, self.written)
            for node_id, names in held.items()
            if norm and norm in map(reference_normalise, names)
        }
        return sorted(holders, key=self.order.__getitem__)


# -- random names --------------------------------------------------------------------------------

SYLLABLES = [
    "ka", "lo", "mir", "ze", "len", "sky", "ol", "af", "sch", "olz", "ku", "le", "ba", "an",
    "na", "ber", "bock", "ma", "cron", "vo", "dy", "ser", "gey", "lav", "rov", "xi", "ping",
    "ić", "é", "ø", "ü", "ş", "ça", "ğı", "ñe", "ård", "ß", "Ω", "ж", "ev", "a", "o",
]  # fmt: skip
WORDS = ["Ministry", "of", "Foreign", "Affairs", "Armed", "Forces", "the", "U.S.", "Kyïv"]


def random_name(rng: random.Random) -> str:
    words = []
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3, 4])):
        if rng.random() < 0.2:
            words.append(rng.choice(WORDS))
        else:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
            words.append(word.capitalize() if rng.random() < 0.7 else word)
    separator = rng.choice([" ", " ", " ", "-", "  ", " / ", "’s "])
    name = separator.join(words)
    return rng.choice(["", "", "", " ", "(", "“"]) + name + rng.choice(["", "", ".", " "])


def random_pairs(rng: random.Random, n: int) -> list[tuple[str, list[str]]]:
    pairs: list[tuple[str, list[str]]] = []
    for i in range(n):
        names = [random_name(rng) for _ in range(rng.choice([1, 1, 2, 3]))]
        if pairs and rng.random() < 0.1:  # a name another node has too
            names.append(rng.choice(rng.choice(pairs)[1]))
        if rng.random() < 0.05:
            names.append(names[0].upper())  # the same name twice, once normalised
        if rng.random() < 0.02:
            names.append("?!")  # nothing left once normalised
        pairs.append((f"{random_name(rng)[:6].strip().lower() or 'x'}-{i}", names))
    return pairs


def queries_for(rng: random.Random, names_of: dict[str, list[str]], n: int) -> Iterator[str]:
    every = [name for names in names_of.values() for name in names]
    for _ in range(n):
        name = reference_normalise(rng.choice(every)) if every else "ka"
        kind = rng.randrange(8)
        if kind == 0:
            yield name[: rng.randint(1, 2)]
        elif kind == 1:
            yield name[: rng.randint(3, 8)]
        elif kind == 2:
            yield rng.choice(every) if every else "ka"  # raw: case, accents, punctuation
        elif kind == 3:
            start = rng.randrange(max(len(name) - 2, 1))
            yield name[start : start + rng.randint(1, 5)]
        elif kind == 4 and " " in name:
            yield name[name.index(" ") + 1 :][: rng.randint(2, 12)]
        elif kind == 5:
            yield rng.choice(SYLLABLES) + rng.choice(["", " ", "-"]) + rng.choice(SYLLABLES)
        else:
            yield rng.choice(["a", "ka", "of", "of the", "s", "zz", "", "?", "ZE ", "é", "ж"])


def check_same_answers(
    index: NameIndex, names_of: dict[str, list[str]], queries: list[str], limits: bool = True
) -> None:
    for query in queries:
        expected = reference_search(names_of, query)
        assert index.search(query) == expected, query
        if limits:
            for limit in (1, 2, 5, 20):
                assert index.search(query, limit=limit) == expected[:limit], (query, limit)


# -- normalisation -------------------------------------------------------------------------------


def test_normalise_folds_every_character_as_the_reference_does() -> None:
    # One string per thousand code points: the folding is per character, so a difference in
    # any character shows. Planes 4 to 13 hold no assigned character (all are dropped).
    unassigned = range(0x40000, 0xE0000)
    assert {unicodedata.category(chr(code)) for code in unassigned} == {"Cn"}
    every = [chr(code) for code in range(0x110000) if code not in unassigned]
    for start in range(0, len(every), 1000):
        text = " ".join(every[start : start + 1000])
        assert normalise(text) == reference_normalise(text), hex(ord(every[start]))


def test_every_character_of_a_normalised_name_normalises_to_itself() -> None:
    """What a saved index is checked against: decomposing before folding leaves no capital
    (casefolding first left "𝐀" as "A", a name that could not be found nor saved)."""
    made: set[str] = set()
    for start in range(0, 0x110000, 4096):
        made.update(normalise(" ".join(map(chr, range(start, start + 4096)))))
    assert {ch for ch in made if normalise(ch) not in ("", ch)} == set()
    assert {ch for ch in made if normalise(ch) == ""} == {" "}


def test_a_name_in_mathematical_letters_is_found_and_its_state_accepted() -> None:
    pairs = [("alex", ["𝐀𝐥𝐞𝐱 𝔅𝔯𝔬𝔴𝔫"]), ("circle", ["Ⓚⓨⓘⓥ"]), ("plain", ["Alex Brown"])]
    index = NameIndex.build(pairs)
    assert index.search("ALEX") == ["alex", "plain"]
    assert index.exact("alex brown") == ["alex", "plain"]
    assert index.search("kyiv") == ["circle"]
    loaded = NameIndex.from_state(saved_and_loaded(index.state()))
    assert loaded.search("brown") == ["alex", "plain"]
    one_by_one = NameIndex()
    for node_id, names in pairs:
        one_by_one.add(node_id, names)
    one_by_one.flush()
    assert one_by_one.search("alex") == index.search("alex")


def test_a_state_of_the_first_version_is_refused() -> None:
    """Version 1 normalised by folding before decomposing: such a state is built again."""
    state = dict(NameIndex.build([("alex", ["Alex"])]).state())
    state["version"] = np.array([1])
    with pytest.raises(ValueError, match="version"):
        NameIndex.from_state(state)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_normalisation_equals_one_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    pool = [chr(rng.randrange(0x30000)) for _ in range(500)] + list(" \t-/.’ ̈ÄßİıǅẞᾳΩж\x00")
    texts = [random_name(rng) for _ in range(300)]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randrange(8))) for _ in range(300)]
    texts += ["", " ", "  a  b  ", "-"]
    for sample in (texts, [t for t in texts if t.isascii() and "\x00" not in t], texts[:1]):
        strings, which = search._normalised(sample)
        got = [
            search._text(strings.codes[start : start + strings.lengths[w]])
            for w, start in zip(which.tolist(), strings.starts[which].tolist(), strict=True)
        ]
        assert got == [reference_normalise(t) for t in sample]


@pytest.mark.parametrize("letters", ["abz", "ab ", "aé", "aж", "a\U0001f600", "a\uffff"])
def test_strings_sort_and_compare_as_python_strings(letters: str) -> None:
    rng = random.Random(letters)
    for _ in range(50):
        words = ["".join(rng.choice(letters) for _ in range(rng.randrange(30))) for _ in range(40)]
        alphabet = search._Alphabet(search._codes("".join(words)))
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        starts = search._offsets(lengths)[:-1]
        order, same = search._sort_strings(alphabet, starts, lengths)
        assert [words[i] for i in order] == sorted(words)
        assert same.tolist() == [
            i > 0 and words[order[i]] == words[order[i - 1]] for i in range(len(words))
        ]
        shuffled = np.array(rng.sample(range(40), k=40))
        compared = search._compare_neighbours(alphabet, starts[shuffled], lengths[shuffled])
        assert compared.tolist() == [
            (words[i] > words[j]) - (words[i] < words[j])
            for i, j in itertools.pairwise(shuffled.tolist())
        ]


# -- search against the reference ----------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_built_index_answers_as_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    pairs = random_pairs(rng, 400)
    names_of = dict(pairs)
    index = NameIndex.build(pairs)
    check_same_answers(index, names_of, list(queries_for(rng, names_of, 300)))
    for _, names in pairs[:50]:
        name = rng.choice(names)
        expected = [
            i for i, held in pairs if reference_normalise(name) in map(reference_normalise, held)
        ]
        assert index.exact(name) == (expected if reference_normalise(name) else []), name


def test_names_added_one_by_one_answer_as_a_bulk_build() -> None:
    rng = random.Random(7)
    pairs = random_pairs(rng, 300)
    one_by_one = NameIndex()
    for node_id, names in pairs:
        one_by_one.add(node_id, names)
    one_by_one.flush()
    built = NameIndex.build(pairs)
    for query in queries_for(rng, dict(pairs), 300):
        assert one_by_one.search(query) == built.search(query), query
    assert one_by_one.state().keys() == built.state().keys()
    for key, value in built.state().items():
        assert np.array_equal(one_by_one.state()[key], value), key


def _half_built(rng: random.Random) -> tuple[NameIndex, Model, list[str]]:
    """An index built from 100 of 200 random nodes, the reference holding the same, and the
    ids of all 200 (writes pick among them)."""
    pairs = random_pairs(rng, 200)
    index = NameIndex.build(pairs[:100])
    model = Model()
    for node_id, names in pairs[:100]:
        model.add(node_id, names)
    model.flush()
    return index, model, [node_id for node_id, _ in pairs]


def _write(rng: random.Random, index: NameIndex, model: Model, node_id: str, kind: str) -> None:
    """One write to both: names added, a rename (as the read model writes one), a removal."""
    if kind == "add":
        names = [random_name(rng) for _ in range(rng.randrange(3))]
    elif kind == "rename":
        names = [random_name(rng)]
    if kind != "add":
        index.remove(node_id)
        model.remove(node_id)
    if kind != "remove":
        # As the read model does: an id it does not hold is not looked up (``new``).
        index.add(node_id, names, new=node_id not in model.order)
        model.add(node_id, names)


def _check_step(
    rng: random.Random, index: NameIndex, model: Model, n: int, *, limits: bool
) -> None:
    """After a step: ``n`` searches answer as the reference does, and the first three as
    exact look-ups too."""
    queries = list(queries_for(rng, {**model.flushed, **model.written}, n))
    check_same_answers(index, model.flushed, queries, limits=limits)
    for query in queries[:3]:
        assert index.exact(query) == model.exact(query), query


@pytest.mark.parametrize(("overlay_limit", "tail_limit"), [(3, 3), (40, 2), (10_000, 10_000)])
@pytest.mark.parametrize("seed", [1, 2])
def test_writes_removals_and_flushes_answer_as_the_reference(
    seed: int, overlay_limit: int, tail_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small overlay limit rebuilds the arrays often; a large one keeps every write in it.
    # A small tail limit sorts the overlay into arrays of its own often.
    monkeypatch.setattr(search, "_OVERLAY_LIMIT", overlay_limit)
    monkeypatch.setattr(search, "_TAIL_LIMIT", tail_limit)
    rng = random.Random(seed)
    index, model, ids = _half_built(rng)
    sorted_overlays = set()
    for step in range(150):
        action = rng.random()
        node_id = rng.choice(ids)
        if action < 0.75:
            _write(rng, index, model, node_id, "add" if action < 0.4 else
                   "rename" if action < 0.55 else "remove")  # fmt: skip
        else:
            index.flush()
            model.flush()
        _check_step(rng, index, model, 8, limits=step % 10 == 0)
        sorted_overlays.add(id(index._sorted) if index._sorted is not None else None)
    if tail_limit < 10:  # the overlay's own arrays were built, and searched, several times
        assert len(sorted_overlays - {None}) > 3
    else:
        assert sorted_overlays == {None}
    index.flush()
    model.flush()
    check_same_answers(index, model.flushed, list(queries_for(rng, model.flushed, 200)))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_merges_in_the_background_answer_as_the_reference(seed: int) -> None:
    """The arrays rebuilt from a copy while writes, removals, renames and flushes go on (as the
    service does off its lock): the index answers as the reference before, during and after
    each merge is put in place; a merge of arrays replaced meanwhile is dropped."""
    rng = random.Random(seed)
    index, model, ids = _half_built(rng)
    merge: search.NameMerge | None = None
    finished = sorted_overlays = 0
    for step in range(300):
        action = rng.random()
        node_id = rng.choice(ids)
        if action < 0.65:
            _write(rng, index, model, node_id, "add" if action < 0.35 else
                   "rename" if action < 0.5 else "remove")  # fmt: skip
        elif action < 0.8:
            index.flush(merge=False)
            model.flush()
        elif merge is None:  # a full rebuild, or the overlay's own arrays
            merge = index.start_merge(full=rng.random() < 0.5)
        else:
            merge.run()
            if rng.random() < 0.1:  # the arrays were replaced meanwhile: this merge is stale
                index._install(index._merged(include_pending=True))  # flushes too
                model.flush()
            elif not merge.full:
                sorted_overlays += 1
            index.finish_merge(merge)
            if not merge.full:
                assert index._next_tail is None
            merge, finished = None, finished + 1
        _check_step(rng, index, model, 6, limits=step % 10 == 0)
        assert len(index) == len(model.flushed.keys() | model.written.keys())
    assert finished > 10 and sorted_overlays > 3
    index.flush(merge=False)
    model.flush()
    check_same_answers(index, model.flushed, list(queries_for(rng, model.flushed, 200)))


def test_a_search_changes_nothing_and_sees_no_unflushed_name() -> None:
    index = NameIndex.build([("kyiv", ["Kyiv"])])
    index.add("kyivstar", ["Kyivstar"])
    before = index.state()
    assert index.search("kyiv") == ["kyiv"]
    assert index.exact("Kyivstar") == ["kyivstar"]
    assert index._pending
    after = index.state()
    for key, value in before.items():
        assert np.array_equal(after[key], value), key
    index.flush()
    assert index.search("kyiv") == ["kyiv", "kyivstar"]


def test_a_removed_node_is_gone_at_once_and_can_come_back() -> None:
    index = NameIndex.build([("kyiv", ["Kyiv", "Kiev"]), ("kyivstar", ["Kyivstar"])])
    index.remove("kyiv")
    assert index.search("ky") == ["kyivstar"]
    assert index.exact("kiev") == []
    index.add("kyiv", ["Kyiv"])
    index.flush()
    assert index.search("ky") == ["kyiv", "kyivstar"]
    assert index.exact("kiev") == []
    index.remove("unknown")  # a no-op


# -- limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [5, 6])
def test_a_limited_search_is_the_head_of_the_full_answer(seed: int) -> None:
    rng = random.Random(seed)
    pairs = random_pairs(rng, 500)
    index = NameIndex.build(pairs)
    names_of = dict(pairs)
    for node_id, names in random_pairs(rng, 30):  # some in the overlay too
        index.add(f"new-{node_id}", names)
        names_of[f"new-{node_id}"] = names
    index.flush()
    for query in [*queries_for(rng, names_of, 100), "a", "e", "o", " "]:
        full = index.search(query)
        assert full == reference_search(names_of, query), query
        for limit in {*range(12), len(full) // 2, len(full) - 1, len(full), len(full) + 1}:
            assert index.search(query, limit=limit) == full[:limit], (query, limit)


def test_a_limited_search_of_a_common_letter_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    index = NameIndex.build((f"n{i}", [f"name {i}", f"alias {i}"]) for i in range(5000))
    emitted = 0
    emit = NameIndex._emit

    def counting(self: NameIndex, rank: int, indexes: Any) -> Iterator[search._Match]:
        nonlocal emitted
        emitted += len(indexes)
        return emit(self, rank, indexes)

    monkeypatch.setattr(NameIndex, "_emit", counting)
    assert index.search("a", limit=10) == [f"n{i}" for i in range(10)]  # "alias 0" to "alias 9"
    assert emitted < 100


# -- state ---------------------------------------------------------------------------------------


def saved_and_loaded(state: dict[str, Any]) -> dict[str, Any]:
    """Through an .npz file without pickle, as a snapshot file would hold it."""
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        return {key: loaded[key] for key in loaded.files}


@pytest.mark.parametrize("seed", [1, 2])
def test_an_index_loaded_from_its_state_answers_the_same(seed: int) -> None:
    rng = random.Random(seed)
    pairs = random_pairs(rng, 300)
    index = NameIndex.build(pairs[:250])
    for node_id, names in pairs[250:]:
        index.add(node_id, names)
    index.remove(pairs[0][0])
    index.flush()
    state = index.state()
    assert all(isinstance(value, np.ndarray) for value in state.values())
    loaded = NameIndex.from_state(saved_and_loaded(state))
    names_of = {node_id: names for node_id, names in pairs if node_id != pairs[0][0]}
    check_same_answers(loaded, names_of, list(queries_for(rng, names_of, 200)))
    check_same_answers(index, names_of, list(queries_for(rng, names_of, 50)))
    for key, value in loaded.state().items():
        assert np.array_equal(value, state[key]), key
    loaded.add("later", ["Later Name"])
    loaded.flush()
    assert loaded.search("later") == ["later"]


def test_the_state_includes_names_not_flushed_yet() -> None:
    index = NameIndex()
    index.add("kyiv", ["Kyiv"])
    assert NameIndex.from_state(index.state()).search("kyiv") == ["kyiv"]


def test_an_empty_index_round_trips() -> None:
    loaded = NameIndex.from_state(saved_and_loaded(NameIndex().state()))
    assert loaded.search("a") == []
    assert loaded.exact("a") == []


def _corrupt(key: str, change: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def apply(state: dict[str, Any]) -> None:
        state[key] = change(state[key])

    return apply


def _replace(utf8: Any, old: str, new: str) -> Any:
    text = utf8.tobytes().decode().replace(old, new, 1)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _swap_first(array: Any) -> Any:
    out = np.array(array)
    out[[0, 1]] = out[[1, 0]]
    return out


def _swap_last(array: Any) -> Any:
    out = np.array(array)
    out[[-2, -1]] = out[[-1, -2]]
    return out


CORRUPTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "missing key": lambda state: state.pop("owners"),
    "other version": _corrupt("version", lambda v: v + 1),
    "names not bytes": _corrupt("names", lambda v: v.astype(np.int64)),
    "names not UTF-8": _corrupt("names", lambda v: np.concatenate([[0xFF], v]).astype(np.uint8)),
    "names cut short": _corrupt("names", lambda v: v[:-3]),
    "a name unnormalised": _corrupt("names", lambda v: _replace(v, "a", "A")),
    "names out of order": _corrupt("names", lambda v: _replace(v, "ab", "ba")),
    "2-d array": _corrupt("owners", lambda v: v.reshape(1, -1)),
    "float array": _corrupt("lex_order", lambda v: v.astype(float)),
    "lex_order too short": _corrupt("lex_order", lambda v: v[:-1]),
    "lex_order not a permutation": _corrupt("lex_order", np.zeros_like),
    "lex_order swapped": _corrupt("lex_order", _swap_first),
    "word_starts shifted": _corrupt("word_starts", lambda v: v + 1),
    "word_starts swapped": _corrupt("word_starts", _swap_last),
    "owner out of range": _corrupt("owners", lambda v: v + 10_000),
    "owners cut": _corrupt("owners", lambda v: v[:-1]),
    "owner_starts shifted": _corrupt("owner_starts", lambda v: v + 1),
    "ids cut": _corrupt("ids", lambda v: v[:-1]),
    "id_order swapped": _corrupt("id_order", _swap_first),
    "id_starts descending": _corrupt("id_starts", lambda v: v[::-1].copy()),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_an_inconsistent_state_is_refused(corruption: str) -> None:
    pairs = [
        ("ab-1", ["Ab Ac"]),
        ("ab-2", ["Ba ab", "Abc"]),
        ("c", ["ab ba ab", "Ab Ac"]),
        ("d", ["Ministry of Ab"]),
    ]
    state = dict(NameIndex.build(pairs).state())
    assert NameIndex.from_state(state).search("ab") == ["ab-2", "ab-1", "c", "d"]
    CORRUPTIONS[corruption](state)
    with pytest.raises(ValueError, match="name index state"):
        NameIndex.from_state(state)


def test_of_two_sorts_of_the_overlay_begun_in_turn_the_older_one_is_dropped() -> None:
    """Each sort's arrays lack the names flushed after it began: the older one finishing
    first must not take the newer one's tail (those names would drop out of searches)."""
    index = NameIndex.build([("kyiv", ["Kyiv"])])
    index.add("lviv", ["Lviv"])
    index.flush(merge=False)
    first = index.start_merge(full=False)
    index.add("odesa", ["Odesa"])
    index.flush(merge=False)
    second = index.start_merge(full=False)
    index.add("kharkiv", ["Kharkiv"])
    index.flush(merge=False)
    second.run()
    first.run()
    index.finish_merge(first)
    assert index._sorted is None  # dropped
    index.finish_merge(second)
    assert index._sorted is not None
    for name in ("lviv", "odesa", "kharkiv", "kyiv"):
        assert index.search(name) == [name] == index.exact(name), name
