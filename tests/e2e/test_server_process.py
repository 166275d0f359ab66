"""A real uvicorn process on 127.0.0.1: the seed graph served, a broken seed refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["content-type"], json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, err.headers["content-type"], json.load(err)


def test_served_seed_answers_health_and_a_path(server_url: str) -> None:
    status, _, health = _get(f"{server_url}/health")
    assert status == 200 and health["status"] == "ok"
    assert health["counts"]["entities"] > 50 and health["counts"]["sources"] >= 1
    status, _, path = _get(f"{server_url}/paths/shortest?source=olaf-scholz&target=dmytro-kuleba")
    assert status == 200
    assert path["nodes"][0]["id"] == "olaf-scholz" and path["nodes"][-1]["id"] == "dmytro-kuleba"
    assert all(e["evidence"] for e in path["edges"])


def test_served_errors_are_problem_json(server_url: str) -> None:
    status, content_type, body = _get(f"{server_url}/entities/no-such-entity")
    assert (status, content_type) == (404, "application/problem+json")
    assert body["status"] == 404


@pytest.mark.parametrize("path", ["/health", "/export", "/docs", "/openapi.json"])
def test_served_head_answers_like_get_without_a_body(server_url: str, path: str) -> None:
    request = urllib.request.Request(f"{server_url}{path}", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_service_refuses_to_start_on_a_broken_seed(tmp_path: Path) -> None:
    broken = tmp_path / "seeds"
    broken.mkdir()
    (broken / "bad.json").write_text('{"format": "geokg-seed/1", "source": {}}', encoding="utf-8")
    env = {**os.environ, "GEOKG_SEEDS": str(broken)}
    proc = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1",
         "--port", str(_free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "bad.json: $.source.id: Field required" in proc.stderr


def test_cli_serve_refuses_a_broken_seed_with_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "seeds"
    broken.mkdir()
    (broken / "bad.json").write_text("{", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--seeds", str(broken), "--port", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "bad.json: $: invalid JSON at line 1 column 2" in proc.stderr
    assert "Traceback" not in proc.stderr
