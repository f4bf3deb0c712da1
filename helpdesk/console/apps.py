"""Settings » Remote access » Applications (permission ``remote_apps.manage``); the
Download tab shows the app's public link (``helpdesk.services.downloads``), which works
as soon as the app is saved."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from helpdesk.console.auth import ConsoleDb, ConsoleUser, require_permission
from helpdesk.console.web import PREFIX, ConsoleRoute, gettext_for, render
from helpdesk.errors import InvalidInput
from helpdesk.services import access, app_settings, downloads
from helpdesk.services.app_settings import AppForm

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
TABS = ("main", "parameters", "appearance", "administrators", "agents", "download")


def download_url(request: Request, app_id: str) -> str:
    """The app's public download page, ``/download/{app_id}`` (also what the ticket
    page's "Send the download link" inserts)."""
    return downloads.download_url(str(request.base_url), app_id)


def published_builds(request: Request, db: ConsoleDb, app_id: str) -> list[str]:
    """What the link offers now, e.g. ``["Linux 0.1.0"]`` (empty: nothing published)."""
    _, offers = downloads.offers(db, request.app.state.settings.data_dir, app_id)
    return [f"{offer.label} {offer.version}" for offer in offers]


@router.get("/settings/apps")
def app_list(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.REMOTE_APPS)
    return render(request, "apps/list.html", {"apps": app_settings.list_apps(db)})


def _edit_page(
    request: Request,
    db: ConsoleDb,
    form: AppForm,
    *,
    create: bool,
    logo: str | None,
    error: str | None = None,
    tab: str = "main",
    status: int = 200,
    remove_logo: bool = False,
) -> Response:
    return render(
        request,
        "apps/edit.html",
        {
            "form": form,
            "create": create,
            "logo": logo,
            "remove_logo": remove_logo,
            "error": error,
            "tab": tab if tab in TABS else "main",
            "users": access.users(db),
            "standard_fields": app_settings.STANDARD_FIELDS,
            "max_custom": app_settings.MAX_CUSTOM,
            "max_logo_bytes": app_settings.MAX_LOGO_BYTES,
            "regions": app_settings.known_regions(db),
            "download": None if create else download_url(request, form.app_id),
            "builds": [] if create else published_builds(request, db, form.app_id),
            "saved": request.query_params.get("saved"),
        },
        status_code=status,
    )


@router.get("/settings/apps/new")
def new_app(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.REMOTE_APPS)
    return _edit_page(request, db, AppForm(), create=True, logo=None)


@router.get("/settings/apps/{app_id}")
def edit_app(
    user: ConsoleUser, request: Request, db: ConsoleDb, app_id: str, tab: str = "main"
) -> Response:
    require_permission(user, access.REMOTE_APPS)
    app = app_settings.get(db, app_id)
    return _edit_page(request, db, AppForm.of(app), create=False, logo=app.logo, tab=tab)


@router.post("/settings/apps")
async def create_app(user: ConsoleUser, request: Request, db: ConsoleDb) -> Response:
    require_permission(user, access.REMOTE_APPS)
    return await _save(request, db, None)


@router.post("/settings/apps/{app_id}")
async def update_app(user: ConsoleUser, request: Request, db: ConsoleDb, app_id: str) -> Response:
    require_permission(user, access.REMOTE_APPS)
    app_settings.get(db, app_id)
    return await _save(request, db, app_id)


async def _save(request: Request, db: ConsoleDb, app_id: str | None) -> Response:
    post = await request.form()  # read, bounded and checked once already (web.check_form)
    create = app_id is None
    form = app_settings.form_from_post(
        post, post.getlist, app_id or str(post.get("app_id") or "").strip()
    )
    upload = post.get("logo")
    logo = None
    if isinstance(upload, UploadFile) and upload.filename:
        logo = await upload.read(app_settings.MAX_LOGO_BYTES + 1)
    tab = str(post.get("tab") or "main")
    remove_logo = not create and post.get("remove_logo") == "1"

    def store() -> Response:  # database work and the logo's re-encoding: off the event loop
        try:
            saved = app_settings.save(db, form, create=create, logo=logo, remove_logo=remove_logo)
        except InvalidInput as exc:
            db.rollback()
            current = None if create else app_settings.get(db, form.app_id).logo
            return _edit_page(
                request,
                db,
                form,
                create=create,
                logo=current,
                error=gettext_for(request)(exc.message),
                tab=tab,
                status=422,
                remove_logo=remove_logo,
            )
        return RedirectResponse(
            f"{PREFIX}/settings/apps/{saved.id}?saved=1&tab={tab}", status_code=303
        )

    return await run_in_threadpool(store)


@router.get("/download/{app_id}")
def download_page(request: Request, app_id: str) -> Response:
    """The link this console showed before the real one: sent links keep working."""
    return RedirectResponse(download_url(request, app_id), status_code=308)
