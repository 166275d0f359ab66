"""Requests generated from the OpenAPI document, writes included, never get a server error.

Schemathesis turns each operation of ``/openapi.json`` into a Hypothesis strategy: valid
requests (positive) and requests that break the schema (negative). Every one is sent with a
write token to an app over a fresh store of the real seed, in process; any 5xx is a bug. The
run is bounded (a few examples per operation) and repeats exactly (``derandomize``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation, BaseSchema

from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS
from graph.service import KnowledgeGraph
from tests.api.conftest import TOKENS, WRITE

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 5}
"""Examples per operation and mode, to stay within twenty seconds (100 of each take five
minutes, and found nothing more)."""
TIMEOUT = {"/changes/stream": 0.1}
"""Seconds to wait for an answer: a stream that is up to date never ends by itself."""


@pytest.fixture
def schema() -> Iterator[BaseSchema]:
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    try:
        app = create_app(Settings(db=":memory:", tokens=TOKENS), graph)
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        graph.close()


def _server_errors(operation: APIOperation, mode: GenerationMode) -> tuple[int, list[str]]:
    """Send ``EXAMPLES[mode]`` generated requests; return how many, and the 5xx answers."""
    errors: list[str] = []
    sent = 0
    timeout = TIMEOUT.get(operation.path, 10)

    # A negative request breaks its query, headers or body against a valid id: breaking the id
    # too costs Hypothesis much time for little (positive requests already try many ids).
    negative = mode == GenerationMode.NEGATIVE and "{id}" in operation.path
    pinned = {"id": "russia"} if negative else None

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=pinned))
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Case) -> None:
        nonlocal sent
        sent += 1
        response = case.call(headers=WRITE, timeout=timeout)
        if response.status_code >= 500:
            errors.append(f"{response.status_code}: {case.as_curl_command()}")

    with contextlib.suppress(Unsatisfiable):  # nothing to break in an operation without input
        send()
    return sent, errors


def test_generated_requests_with_a_write_token_get_no_server_error(
    schema: BaseSchema,
) -> None:
    errors: list[str] = []
    sent = 0
    for mode in EXAMPLES:
        for result in schema.get_all_operations():
            count, found = _server_errors(result.ok(), mode)
            sent += count
            errors += found
    assert not errors, "\n".join(errors)
    assert sent > 300


@pytest.mark.parametrize("path", ["/changes", "/changes/stream"])
def test_a_position_past_the_end_of_the_log_is_refused_naming_since(
    writable_client: TestClient, path: str
) -> None:
    position = writable_client.get("/changes", params={"limit": 1}).json()["position"]
    at_end = writable_client.get("/changes", params={"since": position})
    assert at_end.status_code == 200 and at_end.json()["items"] == []
    for since in (position + 1, 2**63):
        params = {"since": since, **({"follow": "false"} if path.endswith("stream") else {})}
        response = writable_client.get(path, params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "since"
