"""Settings » Access profiles, Settings » Users and Settings » API tokens (permission
``settings.access_profiles``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from helpdesk.console.auth import ConsoleDb, ConsoleUser, require_permission
from helpdesk.console.i18n import N_
from helpdesk.console.web import PREFIX, ConsoleRoute, field_labels, gettext_for, render
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.inputs import Id, parse_id
from helpdesk.models import RemoteApp
from helpdesk.services import access, api_tokens

router = APIRouter(prefix=f"{PREFIX}/settings", route_class=ConsoleRoute, include_in_schema=False)


def _profiles_page(
    request: Request,
    db: ConsoleDb,
    *,
    editing: int | None = None,
    typed: dict[str, object] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = access.profiles(db)
    current = next((p for p in found if p.id == editing), None)
    form = typed or {
        "name": current.name if current else "",
        "permissions": list(current.permissions) if current else [],
    }
    return render(
        request,
        "settings/profiles.html",
        {
            "profiles": found,
            "editing": current,
            "form": form,
            "error": error,
            "permissions": access.PERMISSIONS,
            "saved": request.query_params.get("saved"),
        },
        status_code=status,
    )


@router.get("/profiles")
def profiles(
    user: ConsoleUser, request: Request, db: ConsoleDb, edit: Id | None = None
) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _profiles_page(request, db, editing=edit)


@router.post("/profiles")
@field_labels(name=N_("Name"))
async def save_profile(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    name: Annotated[str, Form(max_length=200)] = "",
    profile_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    form = await request.form()  # read and checked once already (web.check_form)
    chosen = [p for p in form.getlist("permissions") if isinstance(p, str)]  # no files
    editing = parse_id(profile_id)
    try:
        saved = access.save_profile(db, editing, name, chosen)
    except InvalidInput as exc:
        return _profiles_page(
            request,
            db,
            editing=editing,
            typed={"name": name, "permissions": chosen},
            error=gettext_for(request)(exc.message),
            status=422,
        )
    return RedirectResponse(f"{PREFIX}/settings/profiles?edit={saved.id}&saved=1", status_code=303)


def _users_page(
    request: Request,
    db: ConsoleDb,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "settings/users.html",
        {
            "users": access.users(db),
            "profiles": access.profiles(db),
            "error": error,
            "form": typed or {"email": "", "name": "", "profile_id": ""},
            "saved": request.query_params.get("saved"),
        },
        status_code=status,
    )


@router.get("/users")
def users(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _users_page(request, db)


@router.post("/users")
@field_labels(
    email=N_("Email"),
    name=N_("Name"),
    password=N_("Initial password"),
    profile_id=N_("Access profile"),
)
def create_user(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    email: Annotated[str, Form(max_length=400)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    profile_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    try:
        access.create_user(db, email, name, password, parse_id(profile_id))
    except InvalidInput as exc:
        return _users_page(
            request,
            db,
            typed={"email": email, "name": name, "profile_id": profile_id},
            error=gettext_for(request)(exc.message),
            status=422,
        )
    return RedirectResponse(f"{PREFIX}/settings/users?saved=1", status_code=303)


@router.post("/users/{user_id}/profile")
@field_labels(profile_id=N_("Access profile"))
def set_profile(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    user_id: Id,
    profile_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    access.set_user_profile(db, user_id, parse_id(profile_id))
    return RedirectResponse(f"{PREFIX}/settings/users?saved=1", status_code=303)


# ---- Settings » API tokens (helpdesk.services.api_tokens) ---------------------------


def _tokens_page(
    request: Request,
    db: ConsoleDb,
    *,
    created: str | None = None,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "settings/tokens.html",
        {
            "tokens": api_tokens.tokens(db),
            "apps": db.scalars(select(RemoteApp).order_by(RemoteApp.name)).all(),
            "created": created,
            "revoked": request.query_params.get("revoked"),
            "error": error,
            "form": typed or {"name": "", "organization": "", "app_id": ""},
        },
        status_code=status,
    )


@router.get("/tokens")
def tokens(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _tokens_page(request, db)


@router.post("/tokens")
@field_labels(name=N_("Name"), organization=N_("Organization"), app_id=N_("App"))
def create_token(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    name: Annotated[str, Form(max_length=400)] = "",
    organization: Annotated[str, Form(max_length=400)] = "",
    app_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Answered with the page itself (not a redirect), so the token, shown this once,
    never sits in a URL or the browser history."""
    require_permission(user, access.ACCESS_PROFILES)
    try:
        _, token = api_tokens.create(db, request.app.state.settings, name, organization, app_id)
    except (InvalidInput, NotFound) as exc:
        return _tokens_page(
            request,
            db,
            typed={"name": name, "organization": organization, "app_id": app_id},
            error=gettext_for(request)(exc.message),
            status=422,
        )
    response = _tokens_page(request, db, created=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke_token(user: ConsoleUser, request: Request, db: ConsoleDb, token_id: Id) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    api_tokens.revoke(db, request.app.state.settings, token_id)
    return RedirectResponse(f"{PREFIX}/settings/tokens?revoked=1", status_code=303)
