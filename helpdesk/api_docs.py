"""``/docs``: the interactive OpenAPI page, served from our own files.

FastAPI's built-in page loads swagger-ui from a CDN (a third party's script running with
the API's origin) and starts it with an inline script, which the Content-Security-Policy
(``helpdesk.middleware``) refuses. Here the page takes swagger-ui-dist from
``helpdesk/static/vendor`` (version and hashes in its ``VENDOR.json``, refreshed by
``./dev vendor``) and its start-up from ``static/api_docs.js``; ``/openapi.json`` stays
where it was. ReDoc is off (it would need its own vendored bundle).
"""

from __future__ import annotations

import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from helpdesk.console.web import static_url

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API</title>
<link rel="stylesheet" href="{css}">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{bundle}"></script>
<script src="{start}"></script>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Needs ``FastAPI(docs_url=None, redoc_url=None)``: this replaces the built-in page."""
    page = _PAGE.format(
        title=html.escape(app.title),
        css=static_url("vendor/swagger-ui.css"),
        bundle=static_url("vendor/swagger-ui-bundle.js"),
        start=static_url("api_docs.js"),
        openapi=html.escape(app.openapi_url or "/openapi.json"),
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
