"""The `geokg` command line: validate, export, path (serve is covered in tests/e2e)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.cli import main
from graph.service import KnowledgeGraph
from tests.conftest import MINI


def test_validate_ok_prints_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(MINI)]) == 0
    assert "6 entities, 3 events, 1 sources, 11 edges" in capsys.readouterr().out


def test_validate_broken_names_file_path_and_reason(
    mini_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = mini_copy / "mini.json"
    data = json.loads(seed.read_text(encoding="utf-8"))
    data["events"][0]["participants"][0]["entity"] = "ghost"
    seed.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(seed)]) == 1
    err = capsys.readouterr().err
    assert f"{seed}: $.events[0].participants[0].entity: unknown entity 'ghost'" in err
    assert "Traceback" not in err


def test_path_prints_hops_with_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["path", "Délia Quux", "gamma-city", "--seeds", str(MINI)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 hop(s) from delia-quux to gamma-city")
    assert "--[holds_position (officer): delia-quux -> alpha-land]--" in out
    assert '      "Officer Délia Quux of Alpha Land"  (test-mini 104..136)' in out
    assert "[alpha-beta-meeting] (event: meeting, 2022-02-15, CAMEO 036 " in out


def test_path_types_are_comma_separated(capsys: pytest.CaptureFixture[str]) -> None:
    types = "holds_position, actor,participant"
    assert main(["path", "delia-quux", "beta-land", "--types", types, "--seeds", str(MINI)]) == 0
    assert capsys.readouterr().out.startswith("3 hop(s) from delia-quux to beta-land")
    assert main(["path", "delia-quux", "beta-land", "--kinds", "planet", "--seeds", str(MINI)]) == 1
    assert "kinds: unknown node kind 'planet'" in capsys.readouterr().err


def test_path_unknown_name_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["path", "Nobody", "gamma-city", "--seeds", str(MINI)]) == 1
    assert "no node with id 'Nobody'" in capsys.readouterr().err


def test_export_to_file_and_stdout(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = tmp_path / "mini.graphml"
    assert main(["export", "--format", "graphml", "-o", str(target), "--seeds", str(MINI)]) == 0
    assert b"<graphml" in target.read_bytes()
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    assert main(["export", "-f", "ntriples", "--root", "gamma-city", "--seeds", str(MINI)]) == 0
    out = capsysbinary.readouterr().out
    assert b"gamma-city" in out and b"delia-quux" not in out


def test_export_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["export", "--format", "csv", "--seeds", str(MINI)])
    assert caught.value.code == 2
    assert "invalid choice: 'csv'" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["directory", "missing/parent.ttl"])
def test_export_to_an_unwritable_target_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    target = tmp_path if where == "directory" else tmp_path / where
    assert main(["export", "-f", "turtle", "-o", str(target), "--seeds", str(MINI)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("geokg: error: ") and str(target) in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_exported_file_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "mini.ttl"
    assert main(["export", "-f", "turtle", "-o", str(target), "--seeds", str(MINI)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_invalid_setting_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEOKG_PORT", "abc")
    assert main(["validate"]) == 1
    assert "geokg: error: invalid setting: GEOKG_PORT" in capsys.readouterr().err


def test_validating_a_file_twice_counts_it_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(MINI), str(MINI / "mini.json")]) == 0
    assert "6 entities" in capsys.readouterr().out


def test_export_through_a_symlink_replaces_the_file_not_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.ttl"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.ttl"
    link.symlink_to(real)
    assert main(["export", "-f", "turtle", "-o", str(link), "--seeds", str(MINI)]) == 0
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("@prefix")


def test_export_into_a_fifo_writes_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert main(["export", "-f", "ntriples", "-o", str(fifo), "--seeds", str(MINI)]) == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert b"alpha-land" in received[0]


def test_bad_flag_is_named_as_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000", "--seeds", str(MINI)]) == 1
    assert "geokg: error: invalid setting: --port: " in capsys.readouterr().err


def test_depth_without_root_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "-f", "turtle", "--depth", "3", "--seeds", str(MINI)]) == 1
    assert "--depth needs --root" in capsys.readouterr().err


def test_export_root_takes_a_name_as_the_api_does(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    assert main(["export", "-f", "ntriples", "--root", "gamma-city", "--seeds", str(MINI)]) == 0
    by_id = capsysbinary.readouterr().out
    assert main(["export", "-f", "ntriples", "--root", "Gamma", "--seeds", str(MINI)]) == 0
    assert capsysbinary.readouterr().out == by_id


def _geokg(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: its real stderr, logging set up as it sets it."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_reading_commands_write_no_model_beside_the_store_and_log_no_noise(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.sqlite3"
    KnowledgeGraph.open(db, MINI).close()  # a store and its saved model, as a service leaves them
    model = Path(f"{db}.model")
    saved = model.read_bytes()
    done = _geokg("path", "delia-quux", "gamma-city", "--db", str(db))  # loads the model
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("3 hop(s)") and model.read_bytes() == saved
    model.unlink()
    for args in (["path", "delia-quux", "gamma-city"], ["export", "-f", "ntriples"]):
        done = _geokg(*args, "--db", str(db))  # builds the model from the store
        assert (done.returncode, done.stderr) == (0, ""), args
        assert "gamma-city" in done.stdout
        assert not model.exists(), args
    # A model that cannot be used still says so (and is left alone).
    model.write_bytes(b"not a model")
    done = _geokg("path", "delia-quux", "gamma-city", "--db", str(db))
    assert done.returncode == 0 and done.stdout.startswith("3 hop(s)")
    assert done.stderr.startswith("WARNING graph.store: saved read model")
    assert model.read_bytes() == b"not a model"


@pytest.mark.parametrize("command", [["backup", "out.dump"], ["restore", "in.dump"]])
def test_backup_and_restore_of_postgresql_point_to_pg_dump(
    command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = "postgresql://geokg@127.0.0.1:1/geokg"  # never reached
    assert main([*command[:1], str(tmp_path / command[1]), "--db", url]) != 0
    assert "pg_dump" in capsys.readouterr().err
    assert not (tmp_path / command[1]).exists()
