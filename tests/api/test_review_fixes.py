"""Cases a hostile review of the store of record found: each was a 500, a traceback, a silent
choice or lost data before its fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth import TokenError, parse_tokens
from app.cli import main
from graph.errors import StoreError
from graph.storage import SQLiteRecordStore
from graph.storage.sqlite import restore_backup
from tests.api.conftest import WRITE

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_restore_refuses_a_store_a_running_service_holds_open(tmp_path: Path) -> None:
    live = SQLiteRecordStore(tmp_path / "live.sqlite3")
    live.backup(tmp_path / "backup.sqlite3")
    with pytest.raises(StoreError, match="open in a running geokg"):
        restore_backup(tmp_path / "backup.sqlite3", tmp_path / "live.sqlite3", force=True)
    live.close()
    restore_backup(tmp_path / "backup.sqlite3", tmp_path / "live.sqlite3", force=True)


@pytest.mark.parametrize("fmt", ["json", "jsonld"])
def test_deeply_nested_imports_are_422_not_500(writable_client: TestClient, fmt: str) -> None:
    response = writable_client.post(
        f"/import?format={fmt}&dry_run=true", content=DEEP, headers=WRITE
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/invalid-record")


def test_deeply_nested_import_file_is_one_line_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(DEEP)
    assert main(["import", str(deep), "--dry-run", "--db", str(tmp_path / "s.sqlite3")]) == 1
    err = capsys.readouterr().err.strip()
    assert "nested too deeply" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_two_tokens_cannot_share_a_secret() -> None:
    with pytest.raises(TokenError, match="same secret"):
        parse_tokens("ana:write:shared-secret-0123456789,bob:read:shared-secret-0123456789", None)


def test_a_chunked_body_over_the_limit_is_413(writable_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "t", "published": "2022-02-16", "text": "'
        for _ in range(18):
            yield b"a" * (1024 * 1024)
        yield b'"}'

    response = writable_client.post(
        "/sources", content=chunks(), headers={**WRITE, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


def test_a_body_that_is_not_utf8_is_a_bad_request_problem(writable_client: TestClient) -> None:
    response = writable_client.post(
        "/entities",
        content=b'{"label": "\xe9"}',
        headers={**WRITE, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] != "about:blank"
