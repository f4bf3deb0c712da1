"""``/download/{slug}``: the app's download page (it picks the visitor's OS and offers
every build) and ``/download/{slug}/{os}``, the generic build under the app's file name.
Both answer HEAD too (download managers and link checkers ask it first)."""

from __future__ import annotations

import base64
import hashlib
import html

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from helpdesk.deps import AppSettings, Db
from helpdesk.file_responses import CodedFileResponse
from helpdesk.services import downloads

router = APIRouter(prefix="/download", tags=["downloads"])

_STYLE = """body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
a.build{display:block;margin:.6rem 0;padding:.8rem;border:1px solid #ccc;border-radius:6px;
text-decoration:none} a.build.mine{border:2px solid #1a5fb4;font-weight:bold}"""
_SCRIPT = """
(function () {
  var ua = navigator.userAgent, os = /Windows/.test(ua) ? "windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macos" : /Linux|X11/.test(ua) ? "linux" : "";
  var mine = document.querySelector('a.build[data-os="' + os + '"]');
  if (mine) { mine.classList.add("mine"); mine.parentNode.insertBefore(mine,
    document.querySelector("a.build")); }
})();
"""
_PAGE = """<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head><body><h1>{title}</h1>
<p id="hint">{hint}</p>{links}
<script>{script}</script></body></html>
"""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CSP = (  # the page's own inline style and script, by hash; nothing else inline
    f"default-src 'none'; style-src {_sha256(_STYLE)}; script-src {_sha256(_SCRIPT)}; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def visitor_os(user_agent: str) -> str:
    """The same guess the page's script makes, for browsers without JavaScript."""
    if "Windows" in user_agent:
        return "windows"
    if "Macintosh" in user_agent or "Mac OS X" in user_agent:
        return "macos"
    return "linux" if "Linux" in user_agent or "X11" in user_agent else ""


@router.head("/{slug}", include_in_schema=False)
@router.get("/{slug}", response_class=HTMLResponse)
def page(slug: str, request: Request, db: Db, settings: AppSettings) -> HTMLResponse:
    title, offers = downloads.offers(db, settings.data_dir, slug)
    mine = visitor_os(request.headers.get("user-agent", ""))
    offers.sort(key=lambda o: o.os_name != mine)
    links = "".join(
        f'<a class="build{" mine" if o.os_name == mine else ""}" data-os="{o.os_name}" '
        f'href="{html.escape(slug)}/{o.os_name}" download="{html.escape(o.file_name)}">'
        f"{o.label} — {html.escape(o.file_name)} "
        f"({o.size_text}, v{html.escape(o.version)})</a>"
        for o in offers
    )
    hint = (
        "Baixe o arquivo, abra-o com um duplo clique; nada a instalar. "
        "/ Download the file and double-click it; nothing to install."
        if offers
        else "O download deste aplicativo ainda não está disponível. "
        "/ The download of this app is not available yet."
    )
    body = _PAGE.format(
        title=html.escape(title), hint=hint, links=links, style=_STYLE, script=_SCRIPT
    )
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": CSP}
    return HTMLResponse(body, headers=headers)


@router.head("/{slug}/{os_name}", include_in_schema=False)
@router.get("/{slug}/{os_name}")
def build(slug: str, os_name: str, db: Db, settings: AppSettings) -> FileResponse:
    found, path, file_name = downloads.build_for(db, settings.data_dir, slug, os_name)
    return CodedFileResponse(
        path,
        media_type="application/octet-stream",
        filename=file_name,
        headers={"Cache-Control": "no-cache", "X-Remoteapp-Version": found.version},
    )
