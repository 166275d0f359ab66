"""The background task that renders missing export views: a store that goes away meanwhile
is one warning line and a later try, never a traceback or a task that gives up for good."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from app import deps
from graph.errors import StoreUnreachableError
from graph.storage import Filled


class _Flaky:
    """A graph whose store answers ``outcomes`` in turn, one per call of ``fill_views``."""

    def __init__(self, *outcomes: Filled | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def fill_views(self) -> Filled:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _fill(graph: Any) -> None:
    asyncio.run(deps.fill_views(graph, retry_s=0.01))


def test_a_lost_store_is_one_warning_and_the_views_are_rendered_when_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph = _Flaky(
        Filled(rendered=3, done=False),
        StoreUnreachableError("server closed the connection\n\tunexpectedly"),
        StoreUnreachableError("connection refused"),
        Filled(rendered=2, done=True),
    )
    with caplog.at_level(logging.INFO, logger="app.deps"):
        _fill(graph)
    assert graph.calls == 4 and not graph.outcomes  # tried again until done
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(r.exc_info is None for r in warnings)
    assert "server closed the connection unexpectedly" in warnings[0].getMessage()
    assert "trying again" in warnings[0].getMessage()
    assert "rendered the export views of 5 nodes" in caplog.text
    assert "Traceback" not in caplog.text


def test_any_other_failure_ends_the_task_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph = _Flaky(ValueError("a bug"), Filled(rendered=1, done=True))
    with caplog.at_level(logging.INFO, logger="app.deps"):
        _fill(graph)
    assert graph.calls == 1  # not tried again: a bug does not mend itself
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info is not None and "could not render" in error.getMessage()
