"""Names resolve the same way wherever a request names a node (tests on the seed graph)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli import main

# (route, parameter naming a node, the other parameters)
NAMED = [
    ("/paths/shortest", "source", {"target": "olaf-scholz"}),
    ("/paths/shortest", "target", {"source": "olaf-scholz"}),
    ("/paths", "source", {"target": "olaf-scholz", "limit": "3"}),
    ("/paths", "target", {"source": "olaf-scholz", "limit": "3"}),
    ("/events", "actor", {}),
    ("/relations", "source", {}),
    ("/relations", "target", {"source": "kuleba-hosts-italian-counterpart"}),
    ("/export", "root", {"format": "ntriples"}),
]


def _answer(client: TestClient, url: str, params: dict[str, str]) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, (url, params, response.text)
    return response.content


@pytest.mark.parametrize(("url", "param", "others"), NAMED)
@pytest.mark.parametrize("name", ["Kuleba", "kuleba", "Dmytro Kuleba", "KULÉBA"])
def test_a_surname_or_name_answers_as_the_id_does(
    seed_client: TestClient, url: str, param: str, others: dict[str, str], name: str
) -> None:
    by_id = _answer(seed_client, url, {**others, param: "dmytro-kuleba"})
    assert _answer(seed_client, url, {**others, param: name}) == by_id


def test_scholz_and_kuleba_are_connected_by_surnames(seed_client: TestClient) -> None:
    body = seed_client.get("/paths/shortest", params={"source": "Scholz", "target": "Kuleba"})
    ids = [n["id"] for n in body.json()["nodes"]]
    assert (ids[0], ids[-1]) == ("olaf-scholz", "dmytro-kuleba")


@pytest.mark.parametrize(("url", "param", "others"), NAMED)
def test_a_name_several_people_share_is_422_with_candidates(
    seed_client: TestClient, url: str, param: str, others: dict[str, str]
) -> None:
    response = seed_client.get(url, params={**others, param: "Sylvie"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "https://geokg.example.org/problems/ambiguous-name"
    assert body["candidates"] == ["sylvie-corbet", "sylvie-moulson"]


def test_part_of_a_word_is_not_a_name(seed_client: TestClient) -> None:
    response = seed_client.get("/events", params={"actor": "Kule"})
    assert response.status_code == 404
    assert response.json()["type"] == "https://geokg.example.org/problems/node-not-found"


def test_the_command_line_resolves_names_the_same_way(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["path", "Scholz", "kuleba"]) == 0
    assert capsys.readouterr().out.startswith("4 hop(s) from olaf-scholz to dmytro-kuleba")
    assert main(["path", "Sylvie", "kuleba"]) == 1
    assert "'Sylvie' names 2 entities (sylvie-corbet, sylvie-moulson)" in capsys.readouterr().err
