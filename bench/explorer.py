"""How the explorer draws near its node cap: ``python -m bench.explorer``.

Generates a graph (``bench/generate.py``, ``--edges`` edges, into a temporary folder, so the
cached stores under ``bench/data`` are neither used nor touched), serves it with ``geokg serve``
on 127.0.0.1 and drives ``/explore`` in Debian's Chromium (headless, software rendering, as the
browser tests do) at 1366x768. It opens the neighbourhood of the hub whose neighbourhood is
nearest 500 nodes, then expands entities on screen, clicking them in *Nodes in view* and
pressing *Expand* as a user does, until about each of ``--sizes`` nodes are on screen. At each
size it measures:

- **the step that reached it**: from the click to the end of the layout (the page's
  ``geokg:layoutstop`` event, split into the request and the layout) and to the first frame
  drawn after it (two animation frames later), and the longest task that blocked the page;
- **one more click**: expanding an event already on screen (it adds its few participants),
  the cost of a click at that size;
- **a filter**: a date window set (a ``change`` event, as the date inputs send it) until the
  next frame, and cleared again;
- **pan and zoom**: the intervals between animation frames while the mouse drags the graph
  and turns the wheel, and until it has settled;
- **the JS heap** after a garbage collection (``Runtime.getHeapUsage``).

Every request the page makes is recorded; any to another host is reported (there should be
none). Prints one JSON document (and writes it to ``--out`` when given). The machine's load
average is recorded at the start and end: the browser, the server and anything else running
share its cores.

Needs Playwright (``pip install -e '.[dev]'``) and ``/usr/bin/chromium`` (``make browser``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.__main__ import _git, _loadavg, _machine
from bench.chromium import CHROMIUM, CHROMIUM_ARGS
from bench.generate import dataset
from bench.server import Server
from graph.ontology import EntityKind

__all__ = ["main", "measure"]

VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
SIZES = (500, 1000, 2000, 3000)
PAGE_LIMIT = 1000
"""The page asks for at most this many nodes per neighbourhood (explore.js)."""
ENTITY_KINDS = {kind.value for kind in EntityKind}
DATE_WINDOW = ("2023-03-01", "2023-08-31")
"""Half of the generated year (bench/generate.py): about half the events are hidden."""

# Installed in the page once it is ready: the time of the last click, every finished layout
# (with the first frame drawn after it) and every long task, all on the page's own clock.
PROBE = """() => {
  const b = window.__bench = { click: null, layouts: [], errors: [], tasks: [], frames: null };
  document.addEventListener("click", () => { b.click = performance.now(); }, true);
  // An action that fails says so in the status line (in red), without a layout.
  const status = document.getElementById("view-status");
  new MutationObserver(() => {
    if (status.classList.contains("alert") && !status.textContent.includes("The cap of")) {
      b.errors.push({ text: status.textContent, at: performance.now(), click: b.click });
    }
  }).observe(status, { childList: true, characterData: true, subtree: true, attributes: true });
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  window.__benchFrames = async () => { await frame(); await frame(); return performance.now(); };
  window.addEventListener("geokg:layoutstop", (event) => {
    const at = performance.now();
    // The answer the layout drew: the last neighbourhood request since the click.
    const answer = performance.getEntriesByType("resource")
      .filter((r) => r.name.includes("/neighbors") && r.startTime >= b.click).pop();
    const record = { ...event.detail, at, click: b.click, drawn: null,
                     answered: answer ? answer.responseEnd : null };
    b.layouts.push(record);
    window.__benchFrames().then((t) => { record.drawn = t; });
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.tasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
}"""

FILTER = """async ([from, to]) => {
  const $ = (id) => document.getElementById(id);
  const started = performance.now();
  $("filter-from").value = from;
  $("filter-to").value = to;
  $("filter-to").dispatchEvent(new Event("change", { bubbles: true }));
  const applied = performance.now();
  const drawn = await window.__benchFrames();
  return { applied_ms: applied - started, drawn_ms: drawn - started,
           status: $("view-status").textContent };
}"""

CLEAR = """async () => {
  const started = performance.now();
  document.querySelector("#filters button[type=reset]").click();
  // The page applies a reset on the next task (the inputs change after the event).
  await new Promise((done) => setTimeout(done, 0));
  const drawn = await window.__benchFrames();
  return { drawn_ms: drawn - started, status: document.getElementById("view-status").textContent };
}"""

RECORD_FRAMES = """() => {
  const b = window.__bench;
  b.frames = [];
  const tick = (t) => { if (b.frames) { b.frames.push(t); requestAnimationFrame(tick); } };
  requestAnimationFrame(tick);
}"""

STOP_FRAMES = (
    """() => { const f = window.__bench.frames; window.__bench.frames = null; return f; }"""
)


class StalledError(RuntimeError):
    """The page did not finish an action within the time allowed."""


def _get(base: str, path: str, **params: Any) -> Any:
    query = f"?{urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=120) as answer:
        return json.load(answer)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _frames(times: list[float]) -> dict[str, Any]:
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    if not gaps:
        return {"frames": len(times)}
    return {
        "frames": len(times),
        "frame_ms_median": _ms(statistics.median(gaps)),
        "frame_ms_p95": _ms(gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))]),
        "frame_ms_max": _ms(gaps[-1]),
        "frames_over_50ms": sum(1 for g in gaps if g > 50),
    }


class Explorer:
    """One page of ``/explore`` driven as a user drives it, with the probe installed."""

    def __init__(self, page: Page, base: str, timeout_s: float) -> None:
        self.page = page
        self.base = base
        self.timeout_ms = timeout_s * 1000
        self.expanded: set[str] = set()
        self._neighbours: dict[str, set[str]] = {}
        page.goto(f"{base}/explore")
        page.wait_for_selector("body[data-ready=true]")
        page.evaluate(PROBE)
        self.cdp = page.context.new_cdp_session(page)

    # -- what is on screen ---------------------------------------------------------------------

    def on_screen(self) -> list[tuple[str, str]]:
        """(id, kind) of every node in view, in the order the page added them."""
        rows: list[list[str]] = self.page.evaluate(
            """() => [...document.querySelectorAll("#node-list button")]
                 .map((b) => [b.dataset.id, b.querySelector(".kind").textContent])"""
        )
        return [(i, k) for i, k in rows]

    def neighbours(self, node: str) -> set[str]:
        """Ids of a node's neighbourhood, as the page asks for it (cached, read untimed)."""
        if node not in self._neighbours:
            answer = _get(
                self.base, f"/entities/{quote(node, safe='')}/neighbors", depth=1, limit=PAGE_LIMIT
            )
            self._neighbours[node] = {n["id"] for n in answer["nodes"]}
        return self._neighbours[node]

    # -- timed actions -------------------------------------------------------------------------

    def _layout_after(self, act: Any) -> dict[str, Any]:
        """Runs ``act`` (which clicks) and times it until the layout it causes is drawn."""
        index, errors = self.page.evaluate(
            "() => [window.__bench.layouts.length, window.__bench.errors.length]"
        )
        act()
        try:
            self.page.wait_for_function(
                """([n, e]) => window.__bench.errors.length > e
                   || (window.__bench.layouts.length > n && window.__bench.layouts[n].drawn)""",
                arg=[index, errors],
                timeout=self.timeout_ms,
                polling=100,
            )
        except PlaywrightTimeout as error:
            raise StalledError(f"no layout drawn within {self.timeout_ms / 1000:g} s") from error
        failed: dict[str, Any] | None = self.page.evaluate(f"() => window.__bench.errors[{errors}]")
        if failed is not None:
            return {
                "nodes": len(self.on_screen()),
                "error": failed["text"],
                "click_to_error_ms": _ms(failed["at"] - failed["click"]),
            }
        record: dict[str, Any] = self.page.evaluate(f"() => window.__bench.layouts[{index}]")
        click, at, drawn, answered = (record[k] for k in ("click", "at", "drawn", "answered"))
        tasks: list[list[float]] = self.page.evaluate("() => window.__bench.tasks")
        during = [d for s, d in tasks if s + d >= click and s <= drawn]
        return {
            "nodes": record["nodes"],
            "edges": record["edges"],
            "click_to_answer_ms": _ms(None if answered is None else answered - click),
            "click_to_layout_start_ms": _ms(at - record["ms"] - click),
            "layout_ms": _ms(record["ms"]),
            "click_to_drawn_ms": _ms(drawn - click),
            "longest_task_ms": _ms(max(during, default=0.0)),
        }

    def open(self, label: str, node: str) -> dict[str, Any]:
        """Search ``label`` and open ``node``'s neighbourhood."""
        page = self.page
        page.fill("#search-q", label)
        page.press("#search-q", "Enter")
        button = page.locator(f'#search-results button:has-text("{label}")').first
        button.wait_for()
        self.expanded.add(node)
        return {"action": f"open {node}", **self._layout_after(button.click)}

    def expand(self, node: str) -> dict[str, Any]:
        """Select ``node`` in *Nodes in view*, close the list, press *Expand*."""
        page = self.page
        box = page.locator("#node-list-box")
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        page.locator(f'#node-list button[data-id="{node}"]').click()
        page.locator("#details dd", has_text=node).first.wait_for(timeout=self.timeout_ms)
        box.locator("summary").click()  # closed again, as the page starts
        self.expanded.add(node)
        return {
            "action": f"expand {node}",
            **self._layout_after(lambda: page.click("#expand-button")),
        }

    def filter_and_clear(self) -> dict[str, Any]:
        window = list(DATE_WINDOW)
        applied: dict[str, Any] = self.page.evaluate(FILTER, window)
        cleared: dict[str, Any] = self.page.evaluate(CLEAR)
        return {
            "date_window": window,
            "apply_ms": _ms(applied["applied_ms"]),
            "apply_to_drawn_ms": _ms(applied["drawn_ms"]),
            "status": applied["status"],
            "clear_to_drawn_ms": _ms(cleared["drawn_ms"]),
        }

    def pan_and_zoom(self) -> dict[str, Any]:
        """Drags the graph across 300 px in 30 moves, then turns the wheel 10 notches in and
        10 out, 16 ms apart; frames are recorded until 1 s after the last input."""
        page = self.page
        box = page.locator("#graph").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.evaluate(RECORD_FRAMES)
        started = time.perf_counter()
        page.mouse.down()
        for step in range(1, 31):
            page.mouse.move(x + 10 * step, y + 4 * step)
            page.wait_for_timeout(16)
        page.mouse.up()
        for delta in [-100] * 10 + [100] * 10:
            page.mouse.wheel(0, delta)
            page.wait_for_timeout(16)
        inputs_s = time.perf_counter() - started
        page.wait_for_timeout(1000)
        frames: list[float] = page.evaluate(STOP_FRAMES)
        return {"inputs_s": round(inputs_s, 2), **_frames(frames)}

    def heap_mib(self) -> dict[str, float]:
        self.cdp.send("HeapProfiler.collectGarbage")
        usage = self.cdp.send("Runtime.getHeapUsage")
        return {
            "used": round(usage["usedSize"] / 2**20, 1),
            "total": round(usage["totalSize"] / 2**20, 1),
        }


def _next_step(explorer: Explorer, target: int, cap: int) -> str | None:
    """The entity on screen, not yet expanded, whose expansion brings the view nearest
    ``target`` nodes (None when none adds any)."""
    view = explorer.on_screen()
    ids = {i for i, _ in view}
    room = cap - len(ids)
    best: tuple[int, str] | None = None
    for node, kind in view:
        if kind not in ENTITY_KINDS or node in explorer.expanded:
            continue
        gain = min(len(explorer.neighbours(node) - ids), room)
        if gain == 0:
            continue
        miss = abs(len(ids) + gain - target)
        if best is None or miss < best[0]:
            best = (miss, node)
        if miss <= 0.03 * target:
            break
    return None if best is None else best[1]


def _event_to_expand(explorer: Explorer) -> str | None:
    for node, kind in reversed(explorer.on_screen()):
        if kind not in ENTITY_KINDS and node not in explorer.expanded:
            return node
    return None


def measure(browser: Browser, base: str, hubs: list[dict[str, Any]], args: Any) -> dict[str, Any]:
    """Every figure of one run, on one page."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(args.timeout * 1000)
    elsewhere: list[str] = []
    console: dict[str, int] = {}

    def on_request(url: str) -> None:
        if not url.startswith(f"{base}/") and not url.startswith("data:"):
            elsewhere.append(url)

    def on_console(kind: str, text: str) -> None:
        key = f"{kind}: {text[:200]}"
        console[key] = console.get(key, 0) + 1

    context.on("request", lambda request: on_request(request.url))
    page = context.new_page()
    page.on("console", lambda message: on_console(message.type, message.text))
    page.on("pageerror", lambda error: on_console("pageerror", str(error)))
    explorer = Explorer(page, base, args.timeout)
    cap = int(page.evaluate("() => Number(document.body.dataset.nodeCap)"))
    sizes: list[dict[str, Any]] = []
    result: dict[str, Any] = {"node_cap": cap, "sizes": sizes}
    try:
        first = args.sizes[0]
        hub = min(hubs, key=lambda h: abs(len(explorer.neighbours(h["id"])) - first))
        steps = [explorer.open(hub["label"], hub["id"])]
        result["opened"] = hub
        for target in args.sizes:
            while steps[-1]["nodes"] < 0.95 * target and steps[-1]["nodes"] < cap:
                node = _next_step(explorer, target, cap)
                if node is None:
                    break
                steps.append(explorer.expand(node))
            at: dict[str, Any] = {"target": target, "steps": steps}
            steps = [steps[-1]]
            event = _event_to_expand(explorer)
            if event is not None:
                at["expand_one_event"] = explorer.expand(event)
            at["filter"] = explorer.filter_and_clear()
            at["pan_zoom"] = explorer.pan_and_zoom()
            at["heap_mib"] = explorer.heap_mib()
            at["status"] = page.locator("#view-status").text_content()
            if args.screenshots is not None:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.screenshots / f"explorer-{target}.png")
            sizes.append(at)
            print(json.dumps({k: at[k] for k in ("target", "status")}), file=sys.stderr)
    except StalledError as stalled:
        result["stalled"] = str(stalled)
        shot = Path(tempfile.gettempdir()) / "bench-explorer-stalled.png"
        page.screenshot(path=shot)
        result["stalled_screenshot"] = str(shot)
    finally:
        result["requests_elsewhere"] = elsewhere
        result["console"] = console
        context.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explorer", description=__doc__)
    parser.add_argument("--edges", type=int, default=40_000, help="edges of the graph")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(s) for s in text.split(",")],
        default=list(SIZES),
        help="node counts to reach, comma-separated",
    )
    parser.add_argument("--timeout", type=float, default=180, help="seconds one action may take")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--screenshots", type=Path, help="a folder for a screenshot per size")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "bench.explorer", *sys.argv[1:]]),
        "git": _git(),
        "machine": _machine(),
        "loadavg_at_start": _loadavg(),
        "viewport": VIEWPORT,
    }
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as folder:
        made = dataset("small", args.seed, Path(folder), edges=args.edges)
        report["dataset"] = {"edges": args.edges, "seed": args.seed, "counts": made.counts}
        server = Server(made.path, Path(folder) / "serve.log")
        try:
            report["server"] = server.start("/entities?q=state", timeout=300)
            base = f"http://127.0.0.1:{server.port}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                report["machine"]["chromium"] = browser.version
                try:
                    report.update(measure(browser, base, made.hubs, args))
                finally:
                    browser.close()
        finally:
            server.stop()
    report["loadavg_at_end"] = _loadavg()
    text = json.dumps(report, indent=1)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
