"""Settings » Remote access » Applications: create and edit a remote app (its name, the
customer fields, its appearance, its administrators and agents).

Logos: PNG or JPEG only, at most ``MAX_LOGO_BYTES`` and ``MAX_LOGO_PIXELS``, decoded and
re-encoded by Pillow as a PNG no larger than ``MAX_LOGO_SIDE`` pixels a side (so nothing
but pixels from the upload reaches a customer's app, and what is stored is small whatever
a company's logo file weighs); anything else, SVG included, is refused with a message.
A saved change reaches a running customer app at its next start (it reads
``GET /api/apps/{id}`` then).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.db import lock_row
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.inputs import parse_id
from helpdesk.models import RelayNode, RemoteApp, User
from helpdesk.services.relay_fleet import DEFAULT_REGION, REGION
from remotewire.error_codes import ErrorCode

STANDARD_FIELDS = ("name", "email", "phone", "organization")
MODES = {"required": (True, True), "optional": (True, False), "hidden": (False, False)}
MAX_LOGO_BYTES = 4 * 1024 * 1024
"""An upload's bound: a company's logo as exported (1-2 MB is common), sent within the
request body's 15 s at 2.3 Mbit/s."""
MAX_LOGO_PIXELS = 40_000_000
"""Decoded, 160 MB of RGBA at most (Pillow refuses past 179 million on its own)."""
MAX_LOGO_SIDE = 512
MAX_CUSTOM = 8
MAX_LABEL = 100  #: a custom field's label (the form's maxlength)
APP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass
class AppForm:
    """What the form holds, as typed: a refused save shows it again unchanged."""

    app_id: str = ""
    name: str = ""
    title: str = ""
    modes: dict[str, str] = field(
        default_factory=lambda: {
            "name": "required",
            "email": "required",
            "phone": "optional",
            "organization": "optional",
        }
    )
    custom: list[dict[str, str]] = field(default_factory=list)
    """[{"key", "label", "mode"}]; mode is required or optional."""
    admins: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    region: str = DEFAULT_REGION
    """The relay region of the app's sessions (``relay_fleet``)."""

    @classmethod
    def of(cls, app: RemoteApp) -> AppForm:
        fields = app.fields or {}
        modes = {}
        for name in STANDARD_FIELDS:
            spec = fields.get(name) or {"shown": True, "required": False}
            modes[name] = _mode(bool(spec.get("shown")), bool(spec.get("required")))
        custom = [
            {
                "key": str(c.get("key", "")),
                "label": str(c.get("label", "")),
                "mode": "required" if c.get("required") else "optional",
            }
            for c in fields.get("custom") or []
        ]
        return cls(
            app.id,
            app.name,
            app.title,
            modes,
            custom,
            [u.id for u in app.admins],
            [u.id for u in app.agents],
            app.region,
        )


def _mode(shown: bool, required: bool) -> str:
    return "required" if required else "optional" if shown else "hidden"


def list_apps(db: Db) -> list[RemoteApp]:
    return list(db.scalars(select(RemoteApp).order_by(RemoteApp.name)))


def known_regions(db: Db) -> list[str]:
    """Regions of the relays the server has heard of, and the default: the form's choices
    (a region with no relay yet may still be typed: its sessions go to any live relay)."""
    found = set(db.scalars(select(RelayNode.region).distinct())) | {DEFAULT_REGION}
    return sorted(found)


def get(db: Db, app_id: str) -> RemoteApp:
    app = db.get(RemoteApp, app_id)
    if app is None:
        raise NotFound(ErrorCode.UNKNOWN_APP, N_("No such application."))
    return app


def save(
    db: Db,
    form: AppForm,
    *,
    create: bool,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> RemoteApp:
    """Validate everything first, then write: a refusal changes nothing. ``remove_logo``
    takes the stored logo away (the app then shows none); a logo uploaded with it wins."""
    name, title = form.name.strip(), form.title.strip()
    if create and not APP_ID.match(form.app_id):
        raise InvalidInput(
            ErrorCode.INVALID_INPUT,
            N_("The app ID has 2 to 40 lowercase letters, digits or dashes."),
        )
    if not name:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Give the application a name."))
    if len(name) > 200:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("The name has at most 200 characters."))
    if len(title) > 200:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("The title has at most 200 characters."))
    spec: dict[str, Any] = {}
    for field_name in STANDARD_FIELDS:
        mode = form.modes.get(field_name, "hidden")
        if mode not in MODES:
            raise InvalidInput(  # (only a crafted form: the page offers these three)
                ErrorCode.INVALID_INPUT, N_("A field is required, shown or hidden.")
            )
        shown, required = MODES[mode]
        spec[field_name] = {"shown": shown, "required": required}
    custom = []
    seen: set[str] = set()
    for row in form.custom[:MAX_CUSTOM]:
        key, label = row.get("key", "").strip(), row.get("label", "").strip()
        if not key and not label:
            continue
        if not CUSTOM_KEY.match(key) or key in seen or key in STANDARD_FIELDS:
            raise InvalidInput(
                ErrorCode.INVALID_INPUT,
                N_("A custom field's key is unique and has lowercase letters, digits or _."),
            )
        if len(label) > MAX_LABEL:
            raise InvalidInput(
                ErrorCode.INVALID_INPUT,
                N_("A custom field's label has at most 100 characters."),
            )
        seen.add(key)
        custom.append(
            {"key": key, "label": label or key, "required": row.get("mode") == "required"}
        )
    spec["custom"] = custom
    region = form.region.strip() or DEFAULT_REGION
    if not REGION.fullmatch(region):
        raise InvalidInput(
            ErrorCode.INVALID_INPUT,
            N_("A relay region has lowercase letters, digits and dashes, like br or eu-west."),
        )
    encoded = reencode_logo(logo) if logo else None
    admins, agents = _users(db, form.admins), _users(db, form.agents)
    taken = InvalidInput(ErrorCode.INVALID_INPUT, N_("An application with this ID exists."))
    if create:
        if db.get(RemoteApp, form.app_id) is not None:
            raise taken
        app = RemoteApp(id=form.app_id, name=name, title=title or name, fields=spec, logo=None)
        db.add(app)
    else:
        _take_app(db, form.app_id)
        app = get(db, form.app_id)
        db.expire(app)  # (its admins and agents as of the lock, not as read before it)
    app.name, app.title, app.fields, app.region = name, title or name, spec, region
    if encoded is not None:
        app.logo = encoded
    elif remove_logo:
        app.logo = None
    app.admins, app.agents = admins, agents
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        if not create:
            raise
        raise taken from exc  # the same ID, created by a concurrent save since the check
    return app


def _take_app(db: Db, app_id: str) -> None:
    """Saves of one app take turns, up to commit: two at once (a double click on Save)
    both wrote its admins and agents from the lists read before either committed, and
    the second failed on a row the first had added (IntegrityError) or removed
    (StaleDataError): a 500. A no-op UPDATE of the app's row is the lock on both
    databases, as it is for a customer's sessions."""
    lock_row(db, RemoteApp, app_id)


def _users(db: Db, ids: Iterable[int]) -> list[User]:
    wanted = sorted(set(ids))
    found = list(db.scalars(select(User).where(User.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("One of the chosen users does not exist."))
    return found


def reencode_logo(data: bytes) -> str:
    """A ``data:image/png`` URI of the upload, re-encoded; refuses anything but PNG/JPEG."""
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(ErrorCode.INVALID_LOGO, N_("The logo is too large (at most 4 MiB)."))
    too_many = N_("The logo has too many pixels (at most 40 megapixels).")
    try:
        # Pillow refuses past 179 million pixels on opening (DecompressionBombError), and
        # past 89 million warns first (an error where warnings are: the tests), before our
        # own bound is looked at; either is our bound's refusal. (No catch_warnings here:
        # it swaps the process's filters, and uploads run in several threads at once.)
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise InvalidInput(
                    ErrorCode.INVALID_LOGO, N_("The logo must be a PNG or JPEG image (not SVG).")
                )
            if image.width * image.height > MAX_LOGO_PIXELS:
                raise InvalidInput(ErrorCode.INVALID_LOGO, too_many)
            image.load()
            pixels = image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(ErrorCode.INVALID_LOGO, too_many) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            ErrorCode.INVALID_LOGO, N_("The logo must be a PNG or JPEG image (not SVG).")
        ) from exc
    pixels.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE))
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def form_from_post(post: Mapping[str, Any], getlist: Any, app_id: str) -> AppForm:
    """An ``AppForm`` from the posted form (``getlist(name)`` returns all values)."""
    custom = []
    for index in range(MAX_CUSTOM):
        key = str(post.get(f"custom_key_{index}") or "")
        label = str(post.get(f"custom_label_{index}") or "")
        mode = str(post.get(f"custom_mode_{index}") or "optional")
        if key or label:
            custom.append({"key": key, "label": label, "mode": mode})
    return AppForm(
        app_id=app_id,
        name=str(post.get("name") or ""),
        title=str(post.get("title") or ""),
        modes={f: str(post.get(f"mode_{f}") or "hidden") for f in STANDARD_FIELDS},
        custom=custom,
        admins=[n for v in getlist("admins") if (n := parse_id(str(v))) is not None],
        agents=[n for v in getlist("agents") if (n := parse_id(str(v))) is not None],
        region=str(post.get("region") or ""),
    )
