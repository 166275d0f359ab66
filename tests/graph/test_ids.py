"""The compact id table against a plain list and dict, through adds, removals and folds."""

from __future__ import annotations

import random

import pytest

from graph.ids import IdTable


def _check(table: IdTable, slots: list[str | None]) -> None:
    assert list(table) == slots
    assert len(table) == len(slots)
    live = {i: s for s, i in enumerate(slots) if i is not None}
    assert len(table.index) == len(live)
    assert list(table.index) == list(live)
    for item, slot in live.items():
        assert table.index[item] == slot and table[slot] == item
    for slot, item in enumerate(slots):
        assert table[slot] == item
    assert "missing" not in table.index and table.index.get("missing") is None


@pytest.mark.parametrize("seed", [1, 2])
def test_ids_behave_like_a_list_and_a_dict(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"id-{rng.randrange(10**9)}-é{i}" for i in range(3000)]
    slots: list[str | None] = list(names[:2000])
    table = IdTable.build(slots)
    _check(table, slots)
    for name in names[2000:]:
        assert table.append(name) == len(slots)
        slots.append(name)
    for name in rng.sample(names, 500):
        slot = slots.index(name)
        assert table.remove(name) == slot
        slots[slot] = None
    _check(table, slots)
    table.consolidate()
    _check(table, slots)
    with pytest.raises(KeyError):
        table.remove(next(n for n in names if n not in table.index))


def test_repeated_ids_and_nul_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats"):
        IdTable.build(["a", "b", "a"])
    with pytest.raises(ValueError, match="NUL"):
        IdTable.build(["a\x00b"])
    assert list(IdTable.build([])) == []
