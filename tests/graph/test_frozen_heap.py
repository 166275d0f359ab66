"""A serving process leaves its heap out of the cyclic collector's passes once the read model
is built (:func:`graph.service.freeze_heap`); freezing again first thaws, so that garbage in
cycles left by a model replaced whole is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from graph.service import freeze_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def thawed_after() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()  # the rest of the tests run with the collector as usual


@pytest.mark.usefixtures("thawed_after")
def test_frozen_objects_are_left_alone_and_a_new_freeze_collects_their_cycles() -> None:
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    gone = weakref.ref(a)
    freeze_heap()
    assert gc.get_freeze_count() > 0
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: the collector does not walk it
    freeze_heap()
    assert gone() is None  # thawed, collected, and the heap frozen again
    assert gc.get_freeze_count() > 0
