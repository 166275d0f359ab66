"""A bad setting is a one-line error from every entry point; importing the app builds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What Kubernetes injects for a Service named geokg, and a plain typo.
BAD_PORTS = ["tcp://10.0.0.1:8000", "abc"]

ENTRY_POINTS = [
    pytest.param(["-m", "app.cli", "serve"], id="geokg serve"),
    pytest.param(["-m", "app.cli", "export", "-f", "turtle"], id="geokg export"),
    pytest.param(["-m", "app.cli", "path", "kyiv", "moscow"], id="geokg path"),
    pytest.param(["-m", "app.cli", "validate"], id="geokg validate"),
    pytest.param(
        ["-m", "uvicorn", "--factory", "app.main:create_app", "--port", "0"],
        id="uvicorn --factory",
        marks=pytest.mark.e2e,
    ),
]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("port", BAD_PORTS)
@pytest.mark.parametrize("args", ENTRY_POINTS)
def test_a_bad_port_setting_is_one_line_naming_the_variable(args: list[str], port: str) -> None:
    proc = _run(args, GEOKG_PORT=port)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "geokg: error: invalid setting: GEOKG_PORT: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_importing_the_app_reads_no_setting_and_builds_nothing() -> None:
    code = "import app.main; assert not hasattr(app.main, 'app'); print('ok')"
    proc = _run(["-c", code], GEOKG_PORT="abc", GEOKG_SEEDS="/nonexistent")
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "ok", "")


def test_a_flag_overrides_a_bad_environment_value() -> None:
    proc = _run(["-m", "app.cli", "validate", "--help"], GEOKG_PORT="abc")
    assert proc.returncode == 0
    proc = _run(
        ["-m", "app.cli", "serve", "--port", "0", "--seeds", "/nonexistent"], GEOKG_PORT="x"
    )
    assert "GEOKG_PORT" not in proc.stderr
