"""The SPARQL query page (``GET /sparql`` in a browser): a form, the example queries, the
predefined prefixes and the limits, with its script and styles served from the package
(``app/static/sparql``), under the explorer's strict ``Content-Security-Policy`` (nothing
inline, nothing from another host).

Without scripts, the form still works: it sends the query to ``/sparql`` and the browser
shows the answer as the format chosen writes it.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from app.explore import CSP
from graph.export.rdf import PREFIXES
from graph.sparql import EXAMPLES, RESULT_FORMATS

__all__ = ["PAGES", "PAGES_URL", "sparql_page"]

PAGES = Path(__file__).parent / "static" / "sparql"
"""The page's own script and style (ours; nothing vendored)."""

PAGES_URL = "/sparql-assets"


@cache
def sparql_page() -> tuple[str, dict[str, str]]:
    """The page's HTML and headers (built once)."""
    examples = "\n".join(
        f'<li><button type="button" class="example" data-query="{escape(ex.query)}">'
        f"{escape(ex.title)}</button></li>"
        for ex in EXAMPLES
    )
    formats = "\n".join(
        f'<option value="{row.name}">{row.name} ({escape(row.media_type)})</option>'
        for row in RESULT_FORMATS.values()
    )
    prefixes = "\n".join(
        f"<li><code>{escape(name)}:</code> <code>{escape(iri)}</code></li>"
        for name, iri in PREFIXES.items()
    )
    first = escape(EXAMPLES[0].query)
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geokg - SPARQL</title>
<link rel="stylesheet" href="{PAGES_URL}/sparql.css">
<link rel="icon" href="/docs-assets/favicon.png">
<script src="{PAGES_URL}/sparql.js" defer></script>
</head>
<body>
<header>
<h1>geokg SPARQL</h1>
<nav><a href="/">home</a> <a href="/explore">explorer</a> <a href="/docs">API docs</a>
<a href="/limits">limits</a></nav>
</header>
<main>
<section id="ask">
<form id="query-form" method="get" action="/sparql">
<label for="query">Query (read-only SPARQL 1.1; the prefixes below are predefined;
Ctrl+Enter runs it)</label>
<textarea id="query" name="query" rows="14" spellcheck="false">{first}</textarea>
<div class="row">
<label for="format">Answer as</label>
<select id="format" name="format">
<option value="">table (JSON results, or Turtle)</option>
{formats}
</select>
<button type="submit" id="run">Run query</button>
<span id="status" role="status" aria-live="polite"></span>
</div>
</form>
<div id="result" tabindex="-1"></div>
</section>
<aside>
<h2>Examples</h2>
<ul id="examples">
{examples}
</ul>
<h2>Prefixes</h2>
<ul class="prefixes">
{prefixes}
</ul>
<p>Updates, <code>SERVICE</code> and <code>FROM</code> are refused; the time and size limits
are listed at <a href="/limits">/limits</a> (<code>sparql_query_time</code>,
<code>sparql_result_bytes</code>).</p>
</aside>
</main>
</body>
</html>
"""
    return html, {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
