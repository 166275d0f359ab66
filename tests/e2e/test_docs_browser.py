"""Swagger UI and ReDoc render every operation in a real browser without leaving the server."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, expect

pytestmark = pytest.mark.e2e

log = logging.getLogger(__name__)

RENDER_TIMEOUT_MS = 15_000
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Source expressions that name no other host.
LOCAL_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}


@dataclass(frozen=True)
class DocsPage:
    path: str
    operation_selector: str
    # Maps the matched elements to [method, path] pairs.
    operations_js: str


SWAGGER_UI = DocsPage(
    path="/docs",
    operation_selector=".opblock",
    operations_js="""ops => ops.map(op => [
        op.querySelector('.opblock-summary-method').textContent,
        op.querySelector('.opblock-summary-path').dataset.path,
    ])""",
)
REDOC = DocsPage(
    path="/redoc",
    operation_selector="[data-section-id^='operation/']",
    operations_js="""ops => ops.map(op => {
        const verb = op.querySelector('.http-verb');
        return [verb.textContent, verb.nextElementSibling.textContent];
    })""",
)
PAGES = [pytest.param(SWAGGER_UI, id="swagger-ui"), pytest.param(REDOC, id="redoc")]


def _get(url: str) -> tuple[Message, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return response.headers, response.read()


def _is_local(url: str, origin: str) -> bool:
    scheme, _, rest = url.partition(":")
    if scheme == "data":
        return True
    parts = urlsplit(rest if scheme == "blob" else url)
    return f"{parts.scheme}://{parts.netloc}" == origin


@pytest.fixture(scope="module")
def operations(server_url: str) -> list[tuple[str, str]]:
    _, body = _get(f"{server_url}/openapi.json")
    paths = json.loads(body)["paths"]
    return sorted(
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in HTTP_METHODS
    )


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


@pytest.mark.parametrize("docs", PAGES)
def test_docs_page_renders_every_operation_from_the_server_alone(
    server_url: str, operations: list[tuple[str, str]], context: BrowserContext, docs: DocsPage
) -> None:
    requested: list[str] = []
    errors: list[str] = []

    def on_error(text: str) -> None:
        log.warning("browser error: %s", text)  # in the report if a wait below times out
        errors.append(text)

    def on_console(message: ConsoleMessage) -> None:
        # A Content-Security-Policy violation or a failed load shows up here as an error.
        if message.type == "error":
            on_error(message.text)

    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: on_error(str(error)))

    page.goto(f"{server_url}{docs.path}")
    rendered = page.locator(docs.operation_selector)
    expect(rendered).to_have_count(len(operations), timeout=RENDER_TIMEOUT_MS)
    # Late loads (images, workers) start after the first render: let them happen before judging.
    page.wait_for_load_state("networkidle")

    shown = sorted(
        (method.upper(), path) for method, path in rendered.evaluate_all(docs.operations_js)
    )
    assert shown == operations
    assert f"{server_url}/openapi.json" in requested
    assert [url for url in requested if not _is_local(url, server_url)] == []
    assert errors == []


@pytest.mark.parametrize("docs", PAGES)
def test_docs_page_references_only_local_assets_under_a_strict_csp(
    server_url: str, docs: DocsPage
) -> None:
    headers, body = _get(f"{server_url}{docs.path}")
    policy = {
        name: sources.split()
        for name, _, sources in (
            d.strip().partition(" ") for d in headers["content-security-policy"].split(";")
        )
    }
    assert policy["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert all(
        source in LOCAL_SOURCES or source.startswith("'sha256-")
        for sources in policy.values()
        for source in sources
    ), policy
    assets = re.findall(r'(?:src|href)="([^"]*)"', body.decode())
    assert assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        _get(f"{server_url}{asset}")


def test_redoc_bundle_does_not_fetch_the_redocly_logo(server_url: str) -> None:
    _, bundle = _get(f"{server_url}/docs-assets/redoc.standalone.js")
    assert b"API docs by Redocly" in bundle  # the footer the logo sat in is still there
    assert b"cdn.redoc.ly" not in bundle


def test_swagger_ui_online_validator_is_off(server_url: str, context: BrowserContext) -> None:
    # Swagger UI never validates specs served from 127.0.0.1, so the test above cannot see the
    # request; on any other host its default would load a badge from validator.swagger.io.
    page = context.new_page()
    page.goto(f"{server_url}/docs")
    assert page.evaluate("() => ui.getConfigs().validatorUrl") is None
