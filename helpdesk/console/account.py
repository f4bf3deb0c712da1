"""The user's own account: Change password (the user menu on every page).

On success the user's session epoch moves on (``access.change_password``), so every
other browser session of the user ends; this browser is logged in again with the new
epoch and told so. Password fields are never sent back, whatever went wrong.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from helpdesk.console import bounds
from helpdesk.console.auth import ConsoleDb, ConsoleUser, refused_form_user
from helpdesk.console.forms import Refused, field_labels, refills
from helpdesk.console.i18n import N_
from helpdesk.console.web import PREFIX, ConsoleRoute, gettext_for, render
from helpdesk.deps import get_limiter
from helpdesk.errors import DomainError, RateLimited
from helpdesk.services import access

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
PAGE = f"{PREFIX}/account/password"


@router.get("/account/password")
def password_page(user: ConsoleUser, request: Request) -> Response:
    changed = request.query_params.get("changed") == "1"
    return render(
        request,
        "account/password.html",
        {"error": None, "changed": changed, "min_password": access.MIN_PASSWORD},
    )


def _password_refill(request: Request, refused: Refused) -> Response:
    """The form again, the refused field marked; the passwords typed are not sent back."""
    refused_form_user(request)
    context = {"error": None, "changed": False, "min_password": access.MIN_PASSWORD}
    return render(
        request, "account/password.html", {**context, "refused": refused.fields}, status_code=422
    )


@router.post("/account/password")
@refills(_password_refill)
@field_labels(
    current=N_("Current password"), new=N_("New password"), again=N_("New password again")
)
def change_password(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    current: Annotated[str, Form(max_length=bounds.PASSWORD)] = "",
    new: Annotated[str, Form(max_length=bounds.PASSWORD)] = "",
    again: Annotated[str, Form(max_length=bounds.PASSWORD)] = "",
) -> Response:
    _ = gettext_for(request)
    if new != again:
        return _refused(request, _("The two new passwords differ."), 422)
    settings = request.app.state.settings
    try:
        access.change_password(db, settings, get_limiter(request), user, current, new)
    except RateLimited as exc:
        message = _("Too many wrong passwords. Try again in {seconds} s.").format(
            seconds=exc.retry_after
        )
        response = _refused(request, message, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        return _refused(request, _(exc.message), 422)
    # this browser goes on with the new epoch; every other session of the user has ended
    request.session.clear()
    request.session.update({"uid": user.id, "epoch": user.session_epoch})
    return RedirectResponse(f"{PAGE}?changed=1", status_code=303)


def _refused(request: Request, message: str, status: int) -> Response:
    return render(
        request,
        "account/password.html",
        {"error": message, "changed": False, "min_password": access.MIN_PASSWORD},
        status_code=status,
    )
