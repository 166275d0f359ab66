"""`geokg import`: round trips through files, dry runs, one-line errors, progress on terminals."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from graph.formats import FORMATS as EXPORT_FORMATS
from graph.storage import open_record_store
from tests.conftest import MINI
from tests.graph.test_imports import _same


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store of record that is not seeded."""
    monkeypatch.setenv("GEOKG_SEEDS", str(tmp_path / "no-seeds"))
    return tmp_path / "store.sqlite3"


def _position(db: Path) -> int:
    records = open_record_store(str(db))
    try:
        return records.position()
    finally:
        records.close()


def _export_mini(tmp_path: Path, fmt: str) -> Path:
    target = tmp_path / f"mini.{EXPORT_FORMATS[fmt].extension}"
    assert main(["export", "-f", fmt, "-o", str(target), "--seeds", str(MINI)]) == 0
    return target


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_import_a_file_and_export_it_again(
    fmt: str, tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export_mini(tmp_path, fmt)
    capsys.readouterr()
    assert main(["import", str(source), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert f"geokg: imported {source} ({fmt}, 21 records): 21 added, 0 changed" in err
    again = tmp_path / f"again.{EXPORT_FORMATS[fmt].extension}"
    assert main(["export", "-f", fmt, "-o", str(again), "--db", str(db)]) == 0
    assert _same(fmt, source.read_bytes(), again.read_bytes())
    assert main(["import", str(source), "--db", str(db)]) == 0
    assert "0 added, 0 changed, 21 unchanged" in capsys.readouterr().err


def test_dry_run_writes_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export_mini(tmp_path, "ntriples")
    assert main(["import", str(source), "--dry-run", "--db", str(db)]) == 0
    assert "would import" in capsys.readouterr().err
    assert _position(db) == 0


def test_format_can_be_given(tmp_path: Path, db: Path) -> None:
    source = _export_mini(tmp_path, "turtle")
    renamed = source.rename(tmp_path / "mini.data")
    assert main(["import", str(renamed), "--db", str(db)]) == 1
    assert main(["import", str(renamed), "--format", "turtle", "--db", str(db)]) == 0
    assert _position(db) == 21


def test_an_error_is_one_line_naming_file_line_and_field(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export_mini(tmp_path, "ntriples")
    lines = source.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines, 1) if '#label> "Alpha Land"' in line)
    lines[n - 1] = lines[n - 1].replace("Alpha Land", "Alpha\\u0001Land")
    source.write_text("\n".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(source), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"geokg: error: {source}:{n}: <https://geokg.example.org/id/alpha-land>.label: "
        "Value error, control character U+0001"
    )
    assert _position(db) == 0


def test_a_json_error_names_its_path(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export_mini(tmp_path, "json")
    dump = json.loads(source.read_bytes())
    dump["nodes"][0]["kind"] = "planet"
    source.write_text(json.dumps(dump), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(source), "--db", str(db)]) == 1
    assert capsys.readouterr().err.startswith(f"geokg: error: {source}: $.nodes[0].kind: ")


def test_a_hostile_file_is_refused(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "evil.rdf"
    source.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>')
    assert main(["import", str(source), "--db", str(db)]) == 1
    assert capsys.readouterr().err.startswith(f"geokg: error: {source}:1: a DOCTYPE is not allowed")


def test_missing_file_and_unknown_extension_are_clear_errors(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nothing.nt"), "--db", str(db)]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "x.csv"), "--db", str(db)]) == 1
    assert "cannot tell the format" in capsys.readouterr().err


def test_progress_shows_on_a_terminal_only(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _export_mini(tmp_path, "graphml")
    assert "\r" not in capsys.readouterr().err  # export -o into a pipe: quiet
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["import", str(source), "--db", str(db)]) == 0
    shown = terminal.getvalue()
    assert "\rreading mini.graphml: " in shown and " items, " in shown and "/s" in shown
    terminal.truncate(0)
    assert main(["export", "-f", "turtle", "-o", str(tmp_path / "x.ttl"), "--db", str(db)]) == 0
    assert "\rwriting x.ttl: " in terminal.getvalue()
