"""A throwaway PostgreSQL cluster for the tests and the benchmark: ``initdb`` and ``pg_ctl`` from
Debian's ``postgresql`` package (``make postgres`` installs it when missing), in a folder of its
own, on a free port, stopped (and the folder removed) afterwards.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user and
every command runs through ``runuser``; as anyone else it belongs to that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["PostgresCluster", "postgres_bin"]

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
