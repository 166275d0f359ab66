"""What a change log in PostgreSQL has to reckon with (issue 9), on a real server: a follower
that reads a log table by ``seq > last`` loses rows when two writers commit out of the order
their sequence numbers were drawn in, and one that reads only below the oldest transaction
still open (``pg_snapshot_xmin``) does not."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest


@pytest.fixture
def db(postgres_url: str) -> Iterator[str]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS log")
        conn.execute(
            "CREATE TABLE log (seq bigserial PRIMARY KEY, body text NOT NULL,"
            " xid xid8 NOT NULL DEFAULT pg_current_xact_id())"
        )
    yield postgres_url


def test_the_cluster_is_ready_for_logical_decoding(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SHOW wal_level").fetchone() == ("logical",)
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 130000  # pg_snapshot_xmin is 13+


def test_reading_by_seq_loses_a_row_that_commits_late(db: str) -> None:
    with (
        psycopg.connect(db) as first,
        psycopg.connect(db) as second,
        psycopg.connect(db, autocommit=True) as reader,
    ):
        first.execute("INSERT INTO log (body) VALUES ('first')")  # draws seq 1, not committed
        second.execute("INSERT INTO log (body) VALUES ('second')")  # draws seq 2
        second.commit()
        seen = reader.execute("SELECT seq, body FROM log WHERE seq > 0 ORDER BY seq").fetchall()
        assert seen == [(2, "second")]
        last = seen[-1][0]
        first.commit()
        later = reader.execute("SELECT seq, body FROM log WHERE seq > %s", (last,)).fetchall()
        assert later == []  # 'first' is committed, and this follower never sees it


def test_reading_below_the_oldest_open_transaction_loses_nothing(db: str) -> None:
    """The follower reads rows whose writing transaction is older than every transaction
    still open: such rows can no longer appear behind it."""
    follow = (
        "SELECT seq, body, xid FROM log WHERE xid::text::numeric"
        " < pg_snapshot_xmin(pg_current_snapshot())::text::numeric"
        " AND seq NOT IN (SELECT unnest(%s::bigint[])) ORDER BY xid::text::numeric, seq"
    )
    with (
        psycopg.connect(db) as first,
        psycopg.connect(db) as second,
        psycopg.connect(db, autocommit=True) as reader,
    ):
        applied: list[int] = []
        first.execute("INSERT INTO log (body) VALUES ('first')")
        second.execute("INSERT INTO log (body) VALUES ('second')")
        second.commit()
        rows = reader.execute(follow, (applied,)).fetchall()
        assert rows == []  # 'second' waits: an older transaction ('first') is still open
        first.commit()
        rows = reader.execute(follow, (applied,)).fetchall()
        assert [body for _, body, _ in rows] == ["first", "second"]
        applied += [seq for seq, _, _ in rows]
        assert reader.execute(follow, (applied,)).fetchall() == []
