"""The documentation pages, served with no outside requests (assets ship with the package).

Swagger UI (``/docs``) and ReDoc (``/redoc``) load their scripts, styles and favicon from
``fastapi-offline``'s bundled files. Two defaults would still reach the internet, so both are
switched off where they start: Swagger UI's online validator badge (``validatorUrl``), and the
Redocly logo that ReDoc's sidebar footer loads from ``cdn.redoc.ly`` with no option to stop it
(the bundle is served with that URL replaced). A strict ``Content-Security-Policy`` on both pages
blocks anything that slips through.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["install_docs"]

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSET_URL = "/docs-assets"
REDOC_JS_URL = f"{ASSET_URL}/redoc.standalone.js"

# ReDoc 2.x's sidebar footer shows this image and drops it when it fails to load. `data:,` fails
# at once without a request, so the footer looks as it does offline.
REDOC_LOGO_URL = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_LOGO_REPLACEMENT = b"data:,"

# Everything from this server, nothing from anywhere else, no fonts at all. Swagger UI's CSS embeds
# its icons as data: URIs; both UIs set inline styles; ReDoc runs its search index in a blob:
# worker. Inline scripts are allowed by hash only (FastAPI's Swagger UI page starts the UI inline).
CSP_TEMPLATE = (
    "default-src 'none'; "
    "script-src 'self'{script_hashes}; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "worker-src blob:; "
    "base-uri 'none'; "
    "form-action 'self'"
)

# FastAPI's doc pages write their inline scripts as bare `<script>...</script>`.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _content_security_policy(html: str) -> str:
    """The page's policy, allowing exactly the inline scripts ``html`` contains."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return CSP_TEMPLATE.format(script_hashes=hashes)


@cache
def _redoc_bundle() -> bytes:
    """ReDoc's standalone bundle with the CDN logo URL replaced (read once, on first use)."""
    bundle = (ASSETS / "redoc.standalone.js").read_bytes()
    return bundle.replace(REDOC_LOGO_URL, REDOC_LOGO_REPLACEMENT)


def _page(template: HTMLResponse) -> tuple[str, dict[str, str]]:
    html = bytes(template.body).decode()
    return html, {"Content-Security-Policy": _content_security_policy(html)}


def install_docs(app: FastAPI) -> None:
    """Mount Swagger UI at ``/docs`` and ReDoc at ``/redoc`` from local assets."""
    openapi_url = app.openapi_url
    if openapi_url is None:  # no schema to show: FastAPI serves no docs then either
        return
    swagger_html, swagger_headers = _page(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSET_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSET_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSET_URL}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc_html, redoc_headers = _page(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=REDOC_JS_URL,
            redoc_favicon_url=f"{ASSET_URL}/favicon.png",
            with_google_fonts=False,
        )
    )

    # Registered before the mount so that it, not the unpatched file, answers this URL.
    @app.api_route(REDOC_JS_URL, methods=["GET", "HEAD"], include_in_schema=False)
    def redoc_js() -> Response:
        return Response(_redoc_bundle(), media_type="text/javascript")

    app.mount(ASSET_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_html, headers=swagger_headers)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_html, headers=redoc_headers)
