"""`geokg ingest`: an article file read into a proposal set, and bad files named clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import MINI


def _run(tmp_path: Path, content: bytes, *extra: str) -> int:
    article = tmp_path / "article.txt"
    article.write_bytes(content)
    db = str(tmp_path / "store.sqlite3")
    return main(["ingest", str(article), "--published", "2023-05-03", "--db", db, *extra])


def test_an_article_becomes_a_proposal_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOKG_SEEDS", str(MINI))
    text = "\ufeffTalks\n\nForeign Minister Anna Berg of Norland met Ivo Tamm on Monday.\n"
    assert _run(tmp_path, text.encode(), "--json") == 0
    found = json.loads(capsys.readouterr().out)
    assert found["title"] == "Talks"  # the byte-order mark is no part of the title
    assert found["skipped"][0]["reason"] == "title"
    meeting = next(i for i in found["items"] if i["record"].get("kind") == "meeting")
    assert meeting["record"]["date"]["value"] == "2023-05-01"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"T\n\nab\xffcd\n", "article.txt:3:3: text: not UTF-8"),
        (b"T\n\nbad \x01 here\n", "article.txt:3:5: text:"),
        (b" \n\t\n", "article.txt: text: Value error, the article has no words"),
        (b"x" * 400_001, "article.txt: text: longer than an article may be"),
    ],
)
def test_a_bad_article_is_one_line_naming_file_and_place(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    message: str,
) -> None:
    monkeypatch.setenv("GEOKG_SEEDS", str(MINI))
    assert _run(tmp_path, content) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
