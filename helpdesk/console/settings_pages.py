"""Settings » Access profiles, Settings » Users and Settings » API tokens (permission
``settings.access_profiles``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from helpdesk.console import bounds
from helpdesk.console.auth import ConsoleDb, ConsoleUser, refused_form_user, require_permission
from helpdesk.console.forms import Refused, field_labels, refills
from helpdesk.console.i18n import N_
from helpdesk.console.web import PREFIX, ConsoleRoute, gettext_for, render
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
    refused: Mapping[str, str] | None = None,
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
            "refused": refused or {},
        },
        status_code=status,
    )


def _profile_refill(request: Request, refused: Refused) -> Response:
    _, db = refused_form_user(request, access.ACCESS_PROFILES)
    typed: dict[str, object] = {
        "name": refused.text("name"),
        "permissions": refused.texts("permissions"),
    }
    editing = parse_id(refused.text("profile_id"))
    return _profiles_page(
        request, db, editing=editing, typed=typed, status=422, refused=refused.fields
    )


@router.get("/profiles")
def profiles(
    user: ConsoleUser, request: Request, db: ConsoleDb, edit: Id | None = None
) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _profiles_page(request, db, editing=edit)


@router.post("/profiles")
@field_labels(name=N_("Name"))
@refills(_profile_refill)
async def save_profile(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    name: Annotated[str, Form(max_length=bounds.PROFILE_NAME)] = "",
    profile_id: Annotated[str, Form(max_length=bounds.SELECT)] = "",
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
    refused: Mapping[str, str] | None = None,
    row: tuple[int, str] | None = None,
) -> Response:
    """``refused``: the new user form's refused fields; ``row``: a user whose profile
    was refused, and why."""
    return render(
        request,
        "settings/users.html",
        {
            "users": access.users(db),
            "profiles": access.profiles(db),
            "error": error,
            "form": typed or {"email": "", "name": "", "profile_id": ""},
            "saved": request.query_params.get("saved"),
            "refused": refused or {},
            "row_refused": row,
        },
        status_code=status,
    )


@router.get("/users")
def users(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _users_page(request, db)


def _user_refill(request: Request, refused: Refused) -> Response:
    _, db = refused_form_user(request, access.ACCESS_PROFILES)
    typed = {name: refused.text(name) for name in ("email", "name", "profile_id")}
    return _users_page(request, db, typed=typed, status=422, refused=refused.fields)


def _user_profile_refill(request: Request, refused: Refused) -> Response:
    _, db = refused_form_user(request, access.ACCESS_PROFILES)
    user_id = parse_id(str(request.path_params.get("user_id", "")))
    said = " ".join(refused.fields.values())
    return _users_page(request, db, status=422, row=(user_id or 0, said))


@router.post("/users")
@refills(_user_refill)
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
    email: Annotated[str, Form(max_length=bounds.EMAIL)] = "",
    name: Annotated[str, Form(max_length=bounds.USER_NAME)] = "",
    password: Annotated[str, Form(max_length=bounds.PASSWORD)] = "",
    profile_id: Annotated[str, Form(max_length=bounds.SELECT)] = "",
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
@refills(_user_profile_refill)
def set_profile(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    user_id: Id,
    profile_id: Annotated[str, Form(max_length=bounds.SELECT)] = "",
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
    refused: Mapping[str, str] | None = None,
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
            "refused": refused or {},
        },
        status_code=status,
    )


@router.get("/tokens")
def tokens(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.ACCESS_PROFILES)
    return _tokens_page(request, db)


def _token_refill(request: Request, refused: Refused) -> Response:
    _, db = refused_form_user(request, access.ACCESS_PROFILES)
    typed = {name: refused.text(name) for name in ("name", "organization", "app_id")}
    return _tokens_page(request, db, typed=typed, status=422, refused=refused.fields)


@router.post("/tokens")
@field_labels(name=N_("Name"), organization=N_("Organization"), app_id=N_("App"))
@refills(_token_refill)
def create_token(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    name: Annotated[str, Form(max_length=bounds.TOKEN_NAME)] = "",
    organization: Annotated[str, Form(max_length=bounds.TOKEN_ORGANIZATION)] = "",
    app_id: Annotated[str, Form(max_length=bounds.SELECT)] = "",
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
