"""A throwaway PostgreSQL cluster for the tests and the benchmark: ``initdb`` and ``pg_ctl`` from
Debian's ``postgresql`` package (``make postgres`` installs it when missing), in a folder of its
own, on a free port, stopped (and the folder removed) afterwards.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user and
every command runs through ``runuser``; as anyone else it belongs to that user.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "PostgresCluster",
    "copy_sqlite_store",
    "create_database",
    "database_bytes",
    "database_url",
    "drop_database",
    "postgres_bin",
]

STARTUP_TIMEOUT = 30.0


def postgres_bin() -> Path | None:
    """The newest installed server's ``bin`` directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(found[-1]).parent if found else None


def _major(path: str) -> int:
    return int(Path(path).parents[1].name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One cluster: :meth:`start`, :attr:`url`, :meth:`stop`."""

    def __init__(self, folder: Path, settings: dict[str, str] | None = None) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is missing: `make postgres` installs Debian's package")
        self.bin = bin_dir
        self.folder = folder
        self.data = folder / "data"
        self.sockets = folder / "sockets"
        self.port = _free_port()
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.sockets),
            "fsync": "off",  # a test cluster: speed over durability
            "wal_level": "logical",
            "max_connections": "100",
            **(settings or {}),
        }
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        """A connection URL of the ``geokg`` database, as ``GEOKG_DB`` would take it."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/geokg"

    @property
    def user(self) -> str:
        return "postgres" if self._as_postgres else os.environ.get("USER", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.sockets, "postgres")
            self.folder.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        options = " ".join(f"-c {name}={value}" for name, value in self.settings.items())
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", f"-p {self.port} {options}", "-w", "-t", str(int(STARTUP_TIMEOUT)), "start",
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                          "geokg")  # fmt: skip
                return self
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# -- a store of record copied from SQLite -------------------------------------------------

_RECORD_TABLES = ("nodes", "edges", "texts", "changes", "quotes", "render_dirty", "render_deps")
"""The SQLite store's tables copied as they are (then the export views, when the renderer that
made them is this one)."""


def copy_sqlite_store(
    source: Path, url: str, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Copy a SQLite store of record into an empty PostgreSQL database, table by table, with
    ``COPY``: the same records, log positions, quotes index and (when this geokg's renderer
    made them) pre-rendered export views, so the copy is the same store in another engine.

    The schema is geokg's own (:class:`~graph.storage.postgres.PostgresRecordStore` makes it);
    the rows go in one transaction under the store's write lock, with the tables' triggers off
    (``session_replication_role = replica``: the quotes index and the stale marks are copied,
    not derived again, so this needs a superuser, as a throwaway cluster's owner is). The
    SQLite store is only read (:func:`bench.generate.immutable`). Returns rows and bytes per
    table and the time taken.
    """
    import psycopg

    from bench.generate import immutable
    from graph.export.prerendered import ExportRenderer
    from graph.storage.postgres import WRITE_LOCK, PostgresRecordStore

    started = time.perf_counter()
    PostgresRecordStore(url, renderer=ExportRenderer()).close()  # the schema and view tables
    tables: dict[str, dict[str, Any]] = {}
    with contextlib.closing(immutable(source)) as lite, psycopg.connect(url) as conn:
        meta = dict(lite.execute("SELECT key, value FROM meta").fetchall())
        row = conn.execute("SELECT value FROM meta WHERE key = 'render_views'").fetchone()
        assert row is not None  # the renderer's views were just made
        kept = row[0]
        same_views = meta.get("render_views") == kept
        views = [f"render_view_{v}" for v in json.loads(kept)["views"]] if same_views else []
        if conn.execute("SELECT 1 FROM changes LIMIT 1").fetchone() is not None:
            raise RuntimeError(f"{url}: not an empty store")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in (*_RECORD_TABLES, *views):
            took = time.perf_counter()
            columns = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            rows = nbytes = 0
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                read = lite.execute(f"SELECT {', '.join(columns)} FROM {table}")
                while batch := read.fetchmany(5000):
                    for row in batch:
                        copy.write_row(row)
                    rows += len(batch)
                    nbytes += sum(
                        len(v) for row in batch for v in row if isinstance(v, str | bytes)
                    )
            seconds = time.perf_counter() - took
            tables[table] = {"rows": rows, "bytes": nbytes, "seconds": round(seconds, 3)}
            if progress is not None:
                progress(f"copied {table}: {rows:,} rows in {seconds:.1f} s")
        if same_views:
            conn.execute(
                "UPDATE meta SET value = %s WHERE key = 'render_complete'",
                (meta.get("render_complete", "0"),),
            )
        conn.commit()
    copied_s = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        took = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        analyse_s = time.perf_counter() - took
    rows = sum(t["rows"] for t in tables.values())
    nbytes = sum(t["bytes"] for t in tables.values())
    return {
        "method": "bench.postgres.copy_sqlite_store: table by table from SQLite, with COPY",
        "tables": tables,
        "views_copied": same_views,
        "rows": rows,
        "bytes": nbytes,
        "seconds": round(copied_s, 3),
        "rows_per_s": round(rows / copied_s, 1) if copied_s else None,
        "bytes_per_s": round(nbytes / copied_s, 1) if copied_s else None,
        "vacuum_analyze_s": round(analyse_s, 3),
        "database_bytes": database_bytes(url),
    }


def database_bytes(url: str) -> int:
    """The size of the database ``url`` names, on disk (``pg_database_size``)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0])


def database_url(url: str, name: str) -> str:
    """The URL of another database on the same server.

    Examples
    --------
    >>> database_url("postgresql://postgres@127.0.0.1:5433/geokg", "imports")
    'postgresql://postgres@127.0.0.1:5433/imports'
    """
    return url.rsplit("/", 1)[0] + f"/{name}"


def create_database(url: str, name: str) -> str:
    """Create an empty database on the server of ``url`` (dropping one of that name)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(url, name)


def drop_database(url: str, name: str) -> None:
    """Drop a database of the server of ``url`` (with any connection still open to it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
