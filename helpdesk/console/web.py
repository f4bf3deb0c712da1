"""Rendering the console: one Jinja2 environment (autoescaped), the page context, and a
route class that turns every refusal into a page.

Every customer-supplied value reaches HTML through Jinja2's autoescaping (never
``|safe``); data for scripts goes through ``|tojson`` into ``<script type=
"application/json">`` blocks, which escapes ``<``, ``>`` and ``&`` as well.

Errors: ``ConsoleRoute`` catches the domain errors of ``helpdesk.errors``, HTTP errors and
request validation errors and renders ``error.html`` with the right status (htmx requests
get the same page as a fragment); an unexpected exception is logged and shown as a 500
page rather than a bare traceback. ``LoginRequired`` redirects to the login page.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from helpdesk.console import i18n
from helpdesk.console.i18n import N_
from helpdesk.errors import (
    DomainError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
)

HELPDESK = Path(__file__).resolve().parent.parent
TEMPLATES = HELPDESK / "templates"
STATIC = HELPDESK / "static"
PREFIX = "/console"
log = logging.getLogger("helpdesk.console")


class LoginRequired(Exception):
    """Raised by the console's user dependency for anonymous callers."""


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["duration"] = duration
    return env


@cache
def _static_digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A cache-busting URL of a file under helpdesk/static."""
    return f"{PREFIX}/static/{name}?v={_static_digest(name)}"


def duration(seconds: float | int | None) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour) for tables and cards."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def language(request: Request) -> str:
    return i18n.choose(request.cookies.get("console_lang"), request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the page context: ``_``/``ngettext`` in the request's
    language, the user and what the navigation may show (``request.state.nav``), the
    CSRF token."""
    lang = language(request)
    body = render_text(request, template, context)
    response = HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
    response.headers["Content-Language"] = lang.replace("_", "-")
    response.headers["Cache-Control"] = "no-store"
    return response


def render_text(request: Request, template: str, context: Mapping[str, Any] | None = None) -> str:
    """The HTML of a template in the request's language (pages and streamed fragments)."""
    lang = language(request)
    translations = i18n.translations(lang)
    full: dict[str, Any] = {
        "_": translations.gettext,
        "ngettext": translations.ngettext,
        "lang": lang,
        "html_lang": lang.replace("_", "-"),
        "request_path": request.url.path,
        "user": getattr(request.state, "console_user", None),
        "nav": getattr(request.state, "nav", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "htmx": request.headers.get("hx-request") == "true",
    }
    full.update(context or {})
    return environment().get_template(template).render(full)


def gettext_for(request: Request) -> Callable[[str], str]:
    return i18n.translations(language(request)).gettext


def _status_of(exc: DomainError) -> int:
    for kind, status in (
        (RateLimited, 429),
        (InvalidInput, 422),
        (NotAuthenticated, 401),
        (NotAllowed, 403),
        (NotFound, 404),
    ):
        if isinstance(exc, kind):
            return status
    return 409


def error_page(request: Request, status: int, message: str, code: str) -> HTMLResponse:
    _ = gettext_for(request)
    titles = {
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Not possible now"),
        422: _("Please check what you typed"),
        429: _("Too many attempts"),
    }
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": titles.get(status, _("Something went wrong")),
            "message": _(message),
            "code": code,
        },
        status_code=status,
    )


class ConsoleRoute(APIRoute):
    """Every console endpoint answers with a page, whatever goes wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = f"{PREFIX}/login?next={request.url.path}"
                if request.headers.get("hx-request") == "true":
                    return Response(status_code=401, headers={"HX-Redirect": target})
                if request.method == "GET":
                    return RedirectResponse(target, status_code=303)
                return error_page(
                    request, 401, N_("Your session has ended. Please log in."), "login-required"
                )
            except DomainError as exc:
                response = error_page(request, _status_of(exc), exc.message, str(exc.code))
                if isinstance(exc, RateLimited):
                    response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except RequestValidationError as exc:
                where = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
                    for e in exc.errors()
                )
                return error_page(request, 422, where or "invalid request", "invalid-input")
            except HTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail), "http-error")
            except ClientDisconnect:  # gone, or cut off by helpdesk.middleware (413/400)
                return Response(status_code=400)
            except Exception:  # a bug: log it, and still answer with a page
                log.exception("console event=error path=%s", request.url.path)
                return error_page(
                    request, 500, N_("The server failed; it has been logged."), "internal-error"
                )

        return guarded
