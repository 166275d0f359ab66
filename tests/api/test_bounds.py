"""Every answer bounded in cost, over HTTP: k-paths under budgets."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph import queries

PROBLEMS = "https://geokg.example.org/problems/"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_k_paths_between_hubs_answer_within_the_size_budget(seed_client: TestClient) -> None:
    params = {"source": "russia", "target": "united-states", "max_length": 6, "limit": 1000}
    response = seed_client.get("/paths", params=params)
    assert response.status_code == 200
    body = response.json()
    assert body["truncated"] is True and body["truncated_by"] in {"size", "time"}
    records = sum(len(p["nodes"]) + sum(map(len, p["hops"])) for p in body["paths"])
    assert 0 < records <= queries.PATH_RECORDS
    assert len(response.content) < 3_000_000  # 7.2 MB before the budgets


def test_k_paths_out_of_budget_before_any_path_is_a_problem_naming_it(
    seed_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    spent = queries.PathBudget(searches=0)
    monkeypatch.setattr(queries, "PathBudget", lambda: spent)
    body = _problem(seed_client.get("/paths", params={"source": "russia", "target": "nato"}), 422)
    assert body["type"] == f"{PROBLEMS}path-budget-exhausted"
    assert body["budget"] == "searches" and "searches budget" in body["detail"]
    assert seed_client.get("/problems/path-budget-exhausted").status_code == 200
