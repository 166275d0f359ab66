"""``geokg migrate`` and what the other commands and the service say of a schema they do not
read, on a SQLite file and a PostgreSQL database (``--db`` or ``GEOKG_DB``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from app.cli import main
from app.config import load_settings
from app.main import create_app
from graph.storage import is_postgres_location, open_record_store, postgres, sqlite
from tests.conftest import MINI

REPO = Path(__file__).resolve().parents[2]


def _shown(location: str) -> str:
    return postgres._redacted(location) if is_postgres_location(location) else location


def _set_version(location: str, version: int) -> None:
    sql = f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version'"
    if is_postgres_location(location):
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute(sql)
        return
    conn = sqlite3.connect(location)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _version_1_store(location: str) -> None:
    """A store made by a geokg that knew only schema version 1 (this one knows 2)."""
    engine = postgres if is_postgres_location(location) else sqlite
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "MIGRATIONS", engine.MIGRATIONS[:1])
        open_record_store(location).close()


def test_migrate_creates_then_says_it_is_current(
    store_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _shown(store_location)
    assert main(["migrate", "--status", "--db", store_location]) == 1
    assert capsys.readouterr().out.startswith(f"store {shown}: no ")
    assert main(["migrate", "--db", store_location]) == 0
    assert capsys.readouterr().out == f"store {shown}: created at schema version 2 (2 migrations)\n"
    assert main(["migrate", "--db", store_location]) == 0
    assert capsys.readouterr().out == f"store {shown}: already at schema version 2\n"
    assert main(["migrate", "--status", "--db", store_location]) == 0
    assert capsys.readouterr().out == f"store {shown}: schema version 2, this geokg's\n"


def test_migrate_upgrades_the_store_geokg_db_names(
    store_location: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _version_1_store(store_location)
    monkeypatch.setenv("GEOKG_DB", store_location)
    shown = _shown(store_location)
    assert main(["migrate", "--status"]) == 1
    assert capsys.readouterr().out == (
        f"store {shown}: schema version 1, this geokg's is 2: run geokg migrate\n"
    )
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == f"store {shown}: schema version 1 → 2 (1 migration)\n"


def test_commands_on_an_older_store_say_to_migrate_in_one_line(
    store_location: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _version_1_store(store_location)
    assert main(["path", "a", "b", "--db", store_location]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"geokg: error: store {_shown(store_location)}: schema version 1 is older than this "
        "geokg's 2: run geokg migrate (with the same GEOKG_DB or --db) to upgrade it\n"
    )
    settings = load_settings(db=store_location, seeds=MINI)
    with pytest.raises(SystemExit) as stopped:  # geokg serve, uvicorn --factory
        create_app(settings)
    assert stopped.value.code == err.rstrip("\n")


def test_serve_refuses_a_store_written_by_a_newer_geokg(store_location: str) -> None:
    open_record_store(store_location).close()
    _set_version(store_location, 5)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--db", store_location, "--port", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"geokg: error: store {_shown(store_location)}: schema version 5 was written by a newer "
        "geokg (this one knows versions up to 2)\n"
    )
    assert main(["migrate", "--status", "--db", store_location]) == 1


def test_a_postgresql_password_is_never_shown(
    postgres_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    user, rest = postgres_db.split("://", 1)[1].split("@", 1)
    with_password = f"postgresql://{user}:hunter2-secret@{rest}"  # the test cluster trusts
    assert main(["migrate", "--db", with_password]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and ":***@" in out


def test_migrating_a_throwaway_store_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--db", ":memory:"]) == 1
    assert "throwaway" in capsys.readouterr().err
