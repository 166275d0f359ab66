"""The SPARQL query page in a real browser: an example runs and shows its rows, an error shows
its problem, and the page asks nothing of any other host."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.e2e.test_docs_browser import RENDER_TIMEOUT_MS, _is_local

pytestmark = pytest.mark.e2e

ARTEFACTS = Path(__file__).parent / "artefacts"


def _watched(browser: Browser) -> tuple[Page, list[str], list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    requested: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, requested, errors


def test_an_example_query_runs_and_shows_its_rows(server_url: str, browser: Browser) -> None:
    page, requested, errors = _watched(browser)
    page.goto(f"{server_url}/sparql")
    page.get_by_role("button", name="Who met whom, where and when").click()
    page.keyboard.press("Tab")  # from the query to the format, then to the button
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    table = page.locator("#result table")
    expect(table).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.locator("#status")).to_contain_text("rows")
    row = table.locator("tr", has_text="scholz-putin-meeting-in-moscow")
    expect(row).to_contain_text("Vladimir Putin")
    expect(row).to_contain_text("Moscow")
    expect(row).to_contain_text("2022-02-15")
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTEFACTS / "sparql-who-met-whom.png", full_page=True)

    page.locator("#query").fill("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    page.locator("#query").press("Control+Enter")
    expect(page.locator("#result .problem")).to_contain_text("400 SPARQL SERVICE refused")

    page.wait_for_load_state("networkidle")
    assert [url for url in requested if not _is_local(url, server_url)] == []
    # The refused query's 400 is the one console error a browser logs for a failed fetch.
    assert [e for e in errors if "status of 400" not in e] == []
