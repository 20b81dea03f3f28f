"""HTML pages of the dashboard: one static shell per page, rendered in the browser by ``/static/app.js``.

The shells embed no data and no path parameter: the script reads ``location`` and asks the JSON API, so
nothing a report says ever passes through an HTML template. No inline script or style (the API's CSP
forbids both); every asset is served from the installed package, so the dashboard works offline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).parent / "static"

NAV = (("overview", "/", "Overview"), ("map", "/map", "Map"), ("stories", "/stories", "Stories"),
       ("hypotheses", "/hypotheses", "Hypotheses"), ("search", "/search", "Search"))

TITLES = {"overview": "Overview", "map": "Map", "stories": "Stories", "story": "Story", "report": "Report",
          "hypotheses": "Hypotheses", "search": "Search"}

SECTION = {"story": "stories", "report": "stories"}


def shell(page: str) -> str:
    """The HTML of one page: nav bar, an empty ``<main>`` that app.js fills, no inline code."""
    active = SECTION.get(page, page)
    current = ' aria-current="page"'
    links = "".join(f'<li><a href="{href}"{current if key == active else ""}>{escape(label)}</a></li>'
                    for key, href, label in NAV)
    title = escape(TITLES[page])
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · escwatch</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body data-page="{escape(page)}">
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">escwatch</a>
<nav aria-label="Main"><ul>{links}</ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>{title}</h1>
<p class="loading" role="status">Loading…</p>
<noscript><p class="error">This dashboard needs JavaScript (served locally; nothing is fetched from the
internet).</p></noscript>
</main>
<footer class="foot">escwatch · every figure links to the reports behind it</footer>
</body>
</html>
"""


def mount_pages(app: Any) -> None:
    """Serve ``/static`` from the package and the HTML shells of the dashboard's pages on ``app``."""
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(name: str) -> Any:
        body = shell(name)

        async def handler() -> HTMLResponse:
            return HTMLResponse(body, headers={"Cache-Control": "no-store"})

        handler.__name__ = f"page_{name}"
        return handler

    async def with_id(_id: str, name: str) -> HTMLResponse:  # the id is read by app.js from location
        return HTMLResponse(shell(name), headers={"Cache-Control": "no-store"})

    async def story_page(story_id: str) -> HTMLResponse:
        return await with_id(story_id, "story")

    async def report_page(report_id: str) -> HTMLResponse:
        return await with_id(report_id, "report")

    for name, path in (("overview", "/"), ("map", "/map"), ("stories", "/stories"),
                       ("hypotheses", "/hypotheses"), ("search", "/search")):
        app.add_api_route(path, page(name), methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
    app.add_api_route("/stories/{story_id}", story_page, methods=["GET"], response_class=HTMLResponse,
                      include_in_schema=False)
    app.add_api_route("/reports/{report_id}", report_page, methods=["GET"], response_class=HTMLResponse,
                      include_in_schema=False)
