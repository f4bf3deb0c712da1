"""Rendering the console: one Jinja2 environment (autoescaped), the page context, and a
route class that turns every refusal into a page.

Every customer-supplied value reaches HTML through Jinja2's autoescaping (never
``|safe``); data for scripts goes through ``|tojson`` into ``<script type=
"application/json">`` blocks, which escapes ``<``, ``>`` and ``&`` as well.

Errors: ``ConsoleRoute`` catches the domain errors of ``helpdesk.errors``, HTTP errors
(Starlette's, which FastAPI's subclass: a broken multipart body is one) and request
validation errors and renders ``error.html`` with the right status (htmx requests get the
same page as a fragment), except a form field refused at validation: its form is shown
again with what was typed (``helpdesk.console.forms``). An unexpected exception is
logged, the request's database session rolled back, and a 500 page shown rather than a
bare traceback. ``LoginRequired`` redirects to the login page.

Raw forms: before any dependency runs (so before a database slot is taken), a form post's
every field is read once and checked with ``helpdesk.inputs.is_clean``: a NUL or a lone
surrogate (``charset=utf-7`` makes Starlette decode ``+2AA-`` to one) is refused with 422
``invalid-input`` whatever the route does with the value later.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from helpdesk.console import bounds, forms, i18n
from helpdesk.console.i18n import N_
from helpdesk.errors import (
    DomainError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from helpdesk.http_errors import FRAMEWORK_CODES
from helpdesk.inputs import is_clean
from helpdesk.services import password_policy
from helpdesk.services.app_settings import MAX_LOGO_BYTES
from remotewire.error_codes import ErrorCode

HELPDESK = Path(__file__).resolve().parent.parent
TEMPLATES = HELPDESK / "templates"
STATIC = HELPDESK / "static"
PREFIX = "/console"
log = logging.getLogger("helpdesk.console")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
FORM_LIMITS: dict[str, Any] = {
    "max_files": 1,  # the app's logo; no other console form uploads
    "max_fields": 1000,  # (Starlette's: an app's form has a field per ticked user)
    "max_part_size": MAX_LOGO_BYTES + 1024,
}
"""Read once for every console form (Starlette keeps the parsed form, so these are the
limits that hold): the largest form, an app's settings with its logo, fits."""


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
    # the password fields' bounds come from the policy that checks them (a second number
    # in a template drifted: the users form said 8 while the policy wants 12)
    env.globals["min_password"] = password_policy.MIN_LENGTH
    env.globals["max_password"] = password_policy.MAX_LENGTH
    env.globals["bounds"] = bounds  # every other field's, as the routes take them
    env.filters["duration"] = duration
    env.filters["desk_time"] = desk_time
    return env


@cache
def _static_digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A cache-busting URL of a file under helpdesk/static."""
    return f"{PREFIX}/static/{name}?v={_static_digest(name)}"


def duration(seconds: float | int | None) -> str:
    """A span read at a glance, in its two largest units (``42 s``, ``14 min 4 s``,
    ``1 h 24 min``, ``70 d 13 h``; the same in both languages): ``14:04`` next to
    ``1:24:26`` read as 14 hours. None (nothing to average yet): a dash."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), len(parts) - 1)
    shown = [p for i, p in enumerate(parts[first : first + 2]) if i == 0 or p[0]]
    return " ".join(f"{n}\u00a0{unit}" for n, unit in shown)


def desk_time(moment: datetime, zone: tzinfo | None, lang: str) -> str:
    """A stored (naive UTC) time on the desk's clock (``Settings.time_zone``), as the
    page's language writes dates."""
    local = moment.replace(tzinfo=UTC).astimezone(zone or UTC)
    return local.strftime("%d/%m/%Y %H:%M:%S" if lang == "pt_BR" else "%Y-%m-%d %H:%M:%S")


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
    # A lone surrogate (stored before input was checked, or quoted in a refusal) shows as
    # an escape instead of failing to encode: a refusal must not become a 500.
    body = render_text(request, template, context).encode("utf-8", "backslashreplace")
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
        "desk_zone": _desk_zone(request),
        "refused": {},  # a form's refused fields (helpdesk.console.forms): none
    }
    full.update(context or {})
    return environment().get_template(template).render(full)


def _desk_zone(request: Request) -> tzinfo | None:
    """The desk's time zone; None where the request has no app (an error page drawn
    outside one: tests/console/test_console_bad_input_forms.py)."""
    state = getattr(request.scope.get("app"), "state", None)
    zone: tzinfo | None = getattr(getattr(state, "settings", None), "zone", None)
    return zone


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


FRAMEWORK_MESSAGES: Final = {
    400: forms.RESEND,
    404: N_("There is no such page."),
    405: N_("This page does not take that kind of request."),
}
"""Starlette's and FastAPI's own refusals (a multipart body it cannot parse, a route or
method that does not exist), said in the page's language; their English goes to the log."""


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


async def check_form(request: Request) -> None:
    """Read a form post once and refuse it when any name or value is not clean text."""
    if request.method not in UNSAFE:
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        return
    form = await request.form(**FORM_LIMITS)
    for name, value in form.multi_items():
        text = value.filename or "" if isinstance(value, UploadFile) else value
        if not (is_clean(name) and is_clean(text)):
            # The error page's own title, so already in both catalogs.
            raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Please check what you typed"))


def failure_page(request: Request) -> HTMLResponse:
    """The 500 page after a bug. The request's database session is rolled back first: a
    failed flush leaves it unusable, and the page's navigation may load the user's rows
    (PendingRollbackError turned the page itself into the generic JSON 500). Runs on a
    thread: both may do database work."""
    db = getattr(request.state, "console_db", None)
    message = N_("The server failed; it has been logged.")
    try:
        if db is not None:
            db.rollback()
        return error_page(request, 500, message, "internal-error")
    except Exception:  # the database is gone too: the page without the user's parts
        log.exception("console event=error-page-failed path=%s", request.url.path)
        request.state.console_user = request.state.nav = None
        return error_page(request, 500, message, "internal-error")


class ConsoleRoute(APIRoute):
    """Every console endpoint answers with a page, whatever goes wrong."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                await check_form(request)
                try:
                    return await handler(request)
                except RequestValidationError as exc:
                    return await self.refill(request, exc)
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
                labels = forms.labels_of(self.endpoint)
                said = forms.invalid_message(gettext_for(request), exc, labels)
                return error_page(request, 422, said, "invalid-input")
            except HTTPException as exc:  # Starlette's and FastAPI's (a subclass)
                if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI's wrapping
                    return Response(status_code=400)
                code = FRAMEWORK_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
                log.info(
                    "console event=http-error status=%d detail=%r", exc.status_code, exc.detail
                )
                said = FRAMEWORK_MESSAGES.get(
                    exc.status_code, N_("The request could not be handled.")
                )
                return error_page(request, exc.status_code, said, str(code))
            except ClientDisconnect:  # gone, or cut off by helpdesk.middleware (413/408/400)
                return Response(status_code=400)
            except Exception:  # a bug: log it, and still answer with a page
                log.exception("console event=error path=%s", request.url.path)
                return await run_in_threadpool(failure_page, request)

        return guarded

    async def refill(self, request: Request, exc: RequestValidationError) -> Response:
        """The form's page again for a refused field it shows (``helpdesk.console.forms``);
        re-raises ``exc`` for the error page otherwise. The refill checks the route's rights
        again: a refusal never shows a page the route would not."""
        refill = forms.refill_of(self.endpoint)
        labels = forms.labels_of(self.endpoint)
        fields = forms.refused_fields(gettext_for(request), exc, labels)
        if refill is None or fields is None:
            raise exc
        form = await request.form(**FORM_LIMITS)  # read and checked already: the same
        return await run_in_threadpool(refill, request, forms.Refused(form, fields))
