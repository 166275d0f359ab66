"""Read, change, write back with ``If-Match``: no update is lost, across two server processes.

Clients of two servers on one store file each read an entity (its ``ETag``), add an alias of
their own and write the whole list back with ``If-Match``; a refusal (412) sends them back to
read again. Every change the servers acknowledged must be in the final entity, on both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.e2e.serving import WRITE, ServerProcess

pytestmark = pytest.mark.e2e

CLIENTS = 6
CHANGES_EACH = 10
TRIES = 200
"""A bound on one client's reads and writes for one change."""


def _client(server: ServerProcess, name: str, acked: list[str], refused: list[int]) -> None:
    with server.client(headers=WRITE) as client:
        for i in range(CHANGES_EACH):
            alias = f"Alias {name} {i}"
            for _ in range(TRIES):
                read = client.get("/entities/nato")
                assert read.status_code == 200
                aliases = [*read.json()["aliases"], alias]
                headers = {"If-Match": read.headers["ETag"]}
                written = client.patch("/entities/nato", json={"aliases": aliases}, headers=headers)
                if written.status_code == 200:
                    assert alias in written.json()["aliases"]
                    acked.append(alias)
                    break
                assert written.status_code == 412, written.text
                refused.append(written.status_code)


def test_no_acknowledged_update_is_lost_between_two_servers(
    launch: Callable[..., ServerProcess],
) -> None:
    first = launch()
    first.start()
    second = launch(first.db)
    second.start()
    acked: list[str] = []
    refused: list[int] = []
    clients = [
        threading.Thread(target=_client, args=((first, second)[n % 2], f"c{n}", acked, refused))
        for n in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=60)
    assert len(acked) == CLIENTS * CHANGES_EACH
    assert refused, "no two clients ever wrote the same version: nothing was tested"
    etags = set()
    for server in (first, second):
        with server.client() as client:
            deadline = time.monotonic() + 10
            while True:
                read = client.get("/entities/nato")
                aliases = [a for a in read.json()["aliases"] if a.startswith("Alias ")]
                if len(aliases) == len(acked) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)  # the other server's last writes are still on their way
            assert sorted(aliases) == sorted(acked)
            etags.add(read.headers["ETag"])
    assert len(etags) == 1, "the two servers answer the same entity differently"
