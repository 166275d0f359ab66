"""A real uvicorn process serving ``--factory app.main:create_app`` on 127.0.0.1, shared by the
end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from bench.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.serving import APP_FACTORY, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_health(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:  # refused, reset or timed out while uvicorn is still starting
        return False


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a uvicorn process serving the seed graph; stopped at the end of the session.

    The process inherits the environment, so ``GEOKG_SEEDS`` picks another seed directory.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: nobody reads the log while tests run, and a full pipe would block uvicorn.
    folder = tmp_path_factory.mktemp("uvicorn")
    log_path = folder / "stderr.log"
    env = {**os.environ, "GEOKG_DB": str(folder / "geokg.sqlite3")}
    uvicorn_args = ["--factory", "app.main:create_app", "--host", "127.0.0.1", "--port", str(port)]
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *uvicorn_args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        ) as process,
    ):
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers_health(url):
                if process.poll() is not None:
                    pytest.fail(
                        f"uvicorn exited with {process.returncode} before answering /health:\n"
                        + log_path.read_text(errors="replace")
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"uvicorn did not answer /health within {STARTUP_TIMEOUT:g} s:\n"
                        + log_path.read_text(errors="replace")
                    )
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Makes server processes (not yet started) over ``tmp_path/geokg.sqlite3`` or a given file,
    with a write token (``serving.WRITE``); every one still running is killed at the end.
    ``factory`` names another application factory than geokg's own."""
    made: list[ServerProcess] = []

    def make(db: Path | None = None, factory: str = APP_FACTORY, **env: str) -> ServerProcess:
        log = tmp_path / f"uvicorn-{len(made)}.log"
        server = ServerProcess(db or tmp_path / "geokg.sqlite3", log, env, factory)
        made.append(server)
        return server

    yield make
    for server in made:
        server.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for one module's page tests (started and stopped with the module, so
    Playwright's event loop never outlives the page tests)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
