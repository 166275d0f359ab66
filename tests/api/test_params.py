"""Query-parameter shapes that belong to HTTP: comma-separated lists."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.params import comma_separated


@pytest.mark.parametrize(
    ("value", "items"),
    [
        (None, []),
        ("", []),
        ("actor", ["actor"]),
        ("actor, holds_position", ["actor", "holds_position"]),
        (" actor,,participant ,", ["actor", "participant"]),
    ],
)
def test_comma_separated_values_are_split_and_stripped(value: str | None, items: list[str]) -> None:
    assert comma_separated(value) == items


def test_comma_separated_types_filter_a_path(mini_client: TestClient) -> None:
    params = {
        "source": "delia-quux",
        "target": "beta-land",
        "types": "holds_position, actor,participant",
    }
    body = mini_client.get("/paths/shortest", params=params).json()
    assert {e["type"] for e in body["edges"]} <= {"holds_position", "actor", "participant"}
    refused = mini_client.get("/paths/shortest", params={**params, "kinds": "person,planet"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "kinds"
