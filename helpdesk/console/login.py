"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from helpdesk.console import bounds, i18n
from helpdesk.console.auth import ConsoleDb, ConsoleUser, anonymous_ok, cross_site
from helpdesk.console.forms import Refused, field_labels, refills
from helpdesk.console.i18n import N_
from helpdesk.console.web import PREFIX, ConsoleRoute, error_page, render
from helpdesk.deps import get_limiter
from helpdesk.errors import DomainError, RateLimited
from helpdesk.services import access

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/monitoring"


@router.get("")
@router.get("/")
def index(user: ConsoleUser, request: Request) -> Response:
    nav = request.state.nav
    if nav.monitoring:
        target = "/monitoring"
    elif nav.apps:
        target = "/settings/apps"
    else:
        target = "/tickets"
    return RedirectResponse(PREFIX + target, status_code=303)


@router.get("/login", dependencies=[Depends(anonymous_ok)])
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


def _login_refill(request: Request, refused: Refused) -> Response:
    """The login form again: the email typed, never the password."""
    return render(
        request,
        "login.html",
        {
            "next": safe_next(refused.text("next")),
            "email": refused.text("email"),
            "error": None,
            "refused": refused.fields,
        },
        status_code=422,
    )


@router.post("/login", dependencies=[Depends(anonymous_ok)])
@field_labels(email=N_("Email"), password=N_("Password"))
@refills(_login_refill)
def login(
    request: Request,
    db: ConsoleDb,
    email: Annotated[str, Form(max_length=bounds.EMAIL)] = "",
    password: Annotated[str, Form(max_length=bounds.PASSWORD)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        user = access.console_login(
            db, request.app.state.settings, get_limiter(request), email, password
        )
    except DomainError as exc:
        _ = i18n.translations(render_lang(request)).gettext
        if isinstance(exc, RateLimited):
            message = _("Too many failed logins. Try again in {seconds} s.").format(
                seconds=exc.retry_after
            )
            status = 429
        else:
            message, status = _(exc.message), 401
        response = render(
            request,
            "login.html",
            {"next": safe_next(next), "email": email, "error": message},
            status_code=status,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    request.session.clear()
    request.session.update({"uid": user.id, "epoch": user.session_epoch})
    return RedirectResponse(safe_next(next), status_code=303)


def render_lang(request: Request) -> str:
    return i18n.choose(request.cookies.get("console_lang"), request.headers.get("accept-language"))


@router.post("/logout")
def logout(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    """Ends every browser session of the user (the epoch moves on), not only this one."""
    access.end_browser_sessions(db, user)
    request.session.clear()
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


@router.post("/language")
def switch_language(
    request: Request,
    lang: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The switch overrides Accept-Language; a cookie, so it works before login too."""
    if cross_site(request):
        return error_page(request, 403, "cross-site request refused", "cross-site-request")
    if lang not in i18n.LANGUAGES:
        return error_page(request, 422, "unknown language", "invalid-input")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        "console_lang",
        lang,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=PREFIX,
    )
    return response
