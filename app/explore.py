"""The pages an analyst opens in a browser: the landing page (``/``), the explorer
(``/explore``) and the source reader (``/explore/sources/{id}``).

The explorer is one HTML page and our own script (``app/static/explore/``) over the REST API;
its third-party libraries (cytoscape.js and the fCoSE layout) are fetched at install time by
:mod:`app.vendor` and served from the package, so the pages send no request to another host. A
strict ``Content-Security-Policy`` holds them to that: scripts, styles and data from this server
only, no inline script or style. A vendored file missing at serve time is a 503 problem that
says how to install it, never a traceback.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

from app import vendor
from app.deps import StoreDep, get_reader
from app.params import check_query_parameters
from graph import queries
from graph.errors import InvalidQueryError
from graph.ontology import EntityKind, EventKind, Modality
from graph.queries import MAX_EXPORT_NODES
from graph.reference import cameo_codes
from graph.store import GraphStore

__all__ = ["ASSET_URL", "CSP", "MAX_NODES_ON_SCREEN", "install_explorer"]

STATIC = Path(__file__).resolve().parent / "static" / "explore"
TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSET_URL = "/explore-assets"
MAX_NODES_ON_SCREEN = 3000
"""Most nodes the explorer draws at once; past it, it says so and adds no more."""

OWN_ASSETS = {
    "explore.js": "text/javascript",
    "explore.css": "text/css",
}

# Everything from this server, nothing inline: cytoscape.js would add a <style> element, but
# not when the page already has one with the id it looks for (our stylesheet has it).
CSP = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}


def _vendored_scripts() -> list[tuple[str, Path]]:
    """URL and file of each vendored script, in the order the page loads them."""
    return [
        (f"{ASSET_URL}/vendor/{package.name}/{path.name}", path)
        for package in vendor.load_lock()
        for path in package.targets
        if path.suffix == ".js"
    ]


def _check_vendored() -> None:
    missing = vendor.missing_files()
    if missing:
        raise vendor.MissingFilesError(missing)


def _checkboxes(name: str, values: list[tuple[str, str]]) -> str:
    """One checked box per value: (value, label)."""
    return "\n".join(
        f'<label><input type="checkbox" name="{name}" value="{html.escape(v)}" checked> '
        f"{html.escape(label)}</label>"
        for v, label in values
    )


@cache
def _explore_html() -> str:
    roots = sorted((c, f"{c} {code.name}") for c, code in cameo_codes().items() if len(c) == 2)
    scripts = "\n".join(f'<script src="{url}"></script>' for url, _ in _vendored_scripts())
    page = Template((TEMPLATES / "explore.html").read_text(encoding="utf-8"))
    return page.substitute(
        assets=ASSET_URL,
        vendor_scripts=scripts,
        node_cap=MAX_NODES_ON_SCREEN,
        export_cap=MAX_EXPORT_NODES,
        entity_kinds=_checkboxes("entity-kind", [(k.value, k.value) for k in EntityKind]),
        event_kinds=_checkboxes("event-kind", [(k.value, k.value) for k in EventKind]),
        cameo_roots=_checkboxes("cameo-root", [*roots, ("none", "no CAMEO code")]),
        modalities=_checkboxes("modality", [(m.value, m.value) for m in Modality]),
    )


@cache
def _landing_html() -> str:
    return (TEMPLATES / "index.html").read_text(encoding="utf-8").replace("$assets", ASSET_URL)


def _reader_html(store: GraphStore, source_id: str, start: int | None, end: int | None) -> str:
    """The source's text, HTML-escaped, with ``text[start:end]`` marked (offsets checked as
    ``GET /sources/{id}/text`` checks them)."""
    if (start is None) != (end is None):
        raise InvalidQueryError("end" if end is None else "start", "give both start and end")
    source = store.source(source_id)
    text = queries.source_text(store, source_id)
    if start is not None and end is not None:
        queries.source_text(store, source_id, start, end)  # the same bounds, the same errors
        body = (
            f'{html.escape(text[:start])}<mark id="quote">{html.escape(text[start:end])}</mark>'
            f"{html.escape(text[end:])}"
        )
        where = f"characters {start}–{end}, marked below"
    else:
        body, where = html.escape(text), "the whole text"
    page = Template((TEMPLATES / "source.html").read_text(encoding="utf-8"))
    return page.substitute(
        assets=ASSET_URL,
        title=html.escape(source.label),
        id=html.escape(source.id),
        publisher=html.escape(source.publisher or "unknown publisher"),
        published=source.published.isoformat(),
        where=where,
        text=body,
    )


def install_explorer(app: FastAPI) -> None:
    """Serve ``/``, ``/explore``, ``/explore/sources/{id}`` and the explorer's assets."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(check_query_parameters)])

    @router.get("/")
    def landing_page() -> HTMLResponse:
        return HTMLResponse(_landing_html(), headers=_HEADERS)

    @router.get("/explore")
    def explore_page() -> HTMLResponse:
        _check_vendored()
        return HTMLResponse(_explore_html(), headers=_HEADERS)

    @router.get("/explore/sources/{id}", dependencies=[Depends(get_reader)])
    def source_page(
        store: StoreDep,
        id: Annotated[str, PathParam(max_length=200)],
        start: Annotated[int | None, Query(ge=0)] = None,
        end: Annotated[int | None, Query(ge=0)] = None,
    ) -> HTMLResponse:
        return HTMLResponse(_reader_html(store, id, start, end), headers=_HEADERS)

    @router.get(f"{ASSET_URL}/{{name}}")
    def own_asset(name: str) -> Response:
        if name not in OWN_ASSETS:
            raise _not_found()
        return FileResponse(STATIC / name, media_type=OWN_ASSETS[name], headers=_HEADERS)

    @router.get(f"{ASSET_URL}/vendor/{{package}}/{{name}}")
    def vendored_asset(package: str, name: str) -> Response:
        files = {url: path for url, path in _vendored_scripts()}
        path = files.get(f"{ASSET_URL}/vendor/{package}/{name}")
        if path is None:
            raise _not_found()
        if not path.is_file():
            raise vendor.MissingFilesError([path])
        return FileResponse(path, media_type="text/javascript", headers=_HEADERS)

    app.include_router(router)


def _not_found() -> HTTPException:
    return HTTPException(404, "no such explorer asset")
