"""The explorer (`/explore`) in a real browser: search, neighbourhood, expansion, paths with their
quotes, the source reader, the timeline, filters, the node cap and the exports, from the server
alone and without a console error. Each step leaves a screenshot in ``tests/e2e/artefacts/``."""

from __future__ import annotations

import io
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
)

pytestmark = pytest.mark.e2e

log = logging.getLogger(__name__)

ARTEFACTS = Path(__file__).parent / "artefacts"
LAPTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000
SCHOLZ_NEIGHBOURS = [
    "Olaf Scholz",
    "Germany",
    "Scholz to meet Putin in Moscow",
    "Scholz sits down with Ukraine's leader, Zelenskyy, in Kyiv",
]
FIRST_QUOTE = (
    "German Chancellor Olaf Scholz planned to meet with Russian President Vladimir Putin in Moscow"
)


class Watched:
    """A page whose requests and console errors are kept, for the checks at the end."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.origin = origin
        self.requested: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.requested.append(request.url))
        context.on("page", self._watch)
        self.page = context.new_page()

    def _watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._error(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        # A Content-Security-Policy violation or a failed load shows up here as an error.
        if message.type == "error":
            self._error(message.text)

    def _error(self, text: str) -> None:
        log.warning("browser error: %s", text)
        self.errors.append(text)

    def elsewhere(self) -> list[str]:
        """Requests to any other origin than the server's (data: URLs stay in the page)."""
        return [
            url
            for url in self.requested
            if not url.startswith("data:") and not url.startswith(f"{self.origin}/")
        ]


@pytest.fixture
def watched(browser: Browser, server_url: str) -> Iterator[Watched]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(TIMEOUT_MS)
    watched = Watched(context, server_url)
    yield watched
    context.close()


def _shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTEFACTS / f"{name}.png")


def _open(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/explore")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def _node_list(page: Page) -> Locator:
    box = page.locator("#node-list-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return page.locator("#node-list li:not([hidden]) button")


def _labels(page: Page) -> list[str]:
    return [
        text.rsplit(" ", 1)[0] for text in _node_list(page).all_inner_texts()
    ]  # each ends with the kind


def _open_scholz(page: Page) -> None:
    page.fill("#search-q", "Scholz")
    page.press("#search-q", "Enter")
    result = page.locator("#search-results button", has_text="Olaf Scholz")
    expect(result).to_have_count(1)
    result.click()
    expect(page.locator("#details h2")).to_have_text("Olaf Scholz")


def test_scholz_to_kuleba_then_russia_from_the_server_alone(
    watched: Watched, server_url: str
) -> None:
    page = watched.page
    _open(page, server_url)
    _shot(page, "01-explorer")

    # Search and open the neighbourhood (Enter submits; the result is a button).
    _open_scholz(page)
    expect(page.locator("#node-count")).to_have_text("4")
    assert _labels(page) == SCHOLZ_NEIGHBOURS
    assert page.locator("#graph canvas").count() > 0
    expect(page.locator("#details")).to_contain_text("Q61053")  # his Wikidata identifier
    _shot(page, "02-scholz-neighbourhood")

    # Expand a node: the meeting in Moscow brings Putin and Moscow.
    _node_list(page).filter(has_text="Scholz to meet Putin in Moscow").click()
    expect(page.locator("#details h2")).to_have_text("Scholz to meet Putin in Moscow")
    expect(page.locator("#details")).to_contain_text("036 Express intent to meet or negotiate")
    expect(page.locator("#details")).to_contain_text("QuadClass 1")
    expect(page.locator("#details")).to_contain_text("publication_day")
    page.click("#expand-button")
    expect(page.locator("#node-count")).to_have_text("7")
    assert {
        "Vladimir Putin",
        "Moscow",
        "An explosion of diplomacy accompanies the renewed hope",
    } < set(_labels(page))
    _shot(page, "03-expanded")

    # The path to Kuleba, each hop with its quotes.
    page.fill("#path-from", "Olaf Scholz")
    page.fill("#path-to", "Kuleba")
    page.press("#path-to", "Enter")
    first = page.locator(".path").first
    expect(first.locator("h3")).to_contain_text("Path 1: 4 hop(s)")
    expect(first.locator(".hop")).to_have_count(4)
    expect(first.locator("blockquote").first).to_have_text(FIRST_QUOTE)
    assert "Dmytro Kuleba" in _labels(page)
    _shot(page, "04-path-to-kuleba")

    # Its source link opens the text with exactly that quote marked and scrolled into view.
    link = first.locator(".source-link").first
    query = parse_qs(urlsplit(link.get_attribute("href") or "").query)
    assert (query["start"], query["end"]) == (["1592"], ["1685"])
    with page.context.expect_page() as opened:
        link.click()
    reader = opened.value
    mark = reader.locator("mark#quote")
    expect(mark).to_have_text(FIRST_QUOTE)
    expect(mark).to_be_in_viewport()
    _shot(reader, "05-source-quote")
    reader.close()

    # Russia's timeline: three dated events on the axis, fourteen listed apart.
    page.fill("#timeline-entity", "Russia")
    page.press("#timeline-entity", "Enter")
    expect(page.locator("#timeline-title")).to_have_text(
        "Timeline of Russia: 17 events, 3 dated, 14 undated"
    )
    points = page.locator("#timeline-chart .point")
    expect(points).to_have_count(3)
    expect(page.locator("#undated li")).to_have_count(14)
    expect(page.locator("#undated")).to_contain_text("Russia may invade Ukraine")
    points.last.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details h2")).to_have_text(
        "Russia says certain units involved in military drills will return to bases"
    )
    expect(page.locator("#details")).to_contain_text("Goldstein 7")
    _shot(page, "06-russia-timeline")

    page.wait_for_load_state("networkidle")
    assert watched.elsewhere() == []
    assert watched.errors == []


def test_filters_hide_what_is_on_screen(watched: Watched, server_url: str) -> None:
    page = watched.page
    _open(page, server_url)
    _open_scholz(page)
    page.locator("summary", has_text="Event kinds").click()
    page.check("input[name=event-kind][value=meeting]")
    page.uncheck("input[name=event-kind][value=meeting]")
    assert _labels(page) == ["Olaf Scholz", "Germany"]
    expect(page.locator("#view-status")).to_contain_text("2 nodes hidden by the filters")
    page.click("#filters button[type=reset]")
    expect(_node_list(page)).to_have_count(4)
    # A date window keeps the meetings dated within it and hides what it cannot place.
    page.fill("#filter-from", "2022-02-15")
    page.fill("#filter-to", "2022-02-15")
    page.locator("#filter-to").dispatch_event("change")
    assert _labels(page) == ["Olaf Scholz", "Germany", "Scholz to meet Putin in Moscow"]
    assert watched.errors == []


def test_the_node_cap_is_kept_and_said(watched: Watched, server_url: str) -> None:
    page = watched.page
    _open(page, server_url)
    page.evaluate("() => { document.body.dataset.nodeCap = '3'; }")
    _open_scholz(page)
    expect(page.locator("#node-count")).to_have_text("3")
    expect(page.locator("#view-status")).to_contain_text("The cap of 3 nodes was reached")
    assert watched.errors == []


def test_export_buttons_export_the_view(watched: Watched, server_url: str) -> None:
    page = watched.page
    _open(page, server_url)
    expect(page.locator("#export-graphml")).to_have_attribute("aria-disabled", "true")
    _open_scholz(page)
    hrefs = {
        fmt: page.locator(f"#export-{fmt}").get_attribute("href")
        for fmt in ("graphml", "turtle", "jsonld")
    }
    for fmt, href in hrefs.items():
        assert href is not None and f"format={fmt}" in href
    with urllib.request.urlopen(f"{server_url}{hrefs['graphml']}", timeout=10) as response:
        graph = nx.read_graphml(io.BytesIO(response.read()), force_multigraph=True)
    assert set(graph.nodes) == {
        "olaf-scholz",
        "germany",
        "scholz-putin-meeting-in-moscow",
        "scholz-meets-ukraine-leader-in-kyiv",
    }
    with urllib.request.urlopen(f"{server_url}{hrefs['turtle']}", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/turtle")
        assert b'rdfs:label "Olaf Scholz"' in response.read()
