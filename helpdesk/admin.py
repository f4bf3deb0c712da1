"""Administration from the command line (``python -m helpdesk.admin``), for scripts (the
web console at ``/console`` does the same by hand): add remote apps, access profiles, and
users as agents and/or app administrators with a profile.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.errors import InvalidInput
from helpdesk.models import AccessProfile, Person, RemoteApp, User
from helpdesk.security import hash_password
from helpdesk.services import password_policy, relay_fleet


def add_user(
    db_factory: sessionmaker[Session],
    email: str,
    name: str,
    password: str,
    *,
    agent_of: Sequence[str] = (),
    admin_of: Sequence[str] = (),
    profile: str | None = None,
) -> int:
    """Create a user (with its Movidesk person record), give it roles on apps and
    optionally an access profile (by name)."""
    with db_factory() as db:
        email = email.strip().lower()
        if db.scalar(select(User).where(User.email == email)) is not None:
            raise ValueError(f"user {email} exists")
        user = User(
            email=email,
            name=name,
            password_hash=hash_password(password),
            person=Person(business_name=name, email=email, profile_type=1),
        )
        if profile is not None:
            found = db.scalar(select(AccessProfile).where(AccessProfile.name == profile))
            if found is None:
                raise ValueError(f"no access profile {profile}")
            user.profile = found
        for app_id in {*agent_of, *admin_of}:
            app = db.get(RemoteApp, app_id)
            if app is None:
                raise ValueError(f"no app {app_id}")
            if app_id in agent_of:
                app.agents.append(user)
            if app_id in admin_of:
                app.admins.append(user)
        db.add(user)
        db.commit()
        return user.id


def add_profile(db_factory: sessionmaker[Session], name: str, permissions: Sequence[str]) -> int:
    """Create an access profile (Settings » Access profiles) with these permissions."""
    from helpdesk.services.access import PERMISSIONS

    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValueError(
            f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(PERMISSIONS)}"
        )
    with db_factory() as db:
        if db.scalar(select(AccessProfile).where(AccessProfile.name == name)) is not None:
            raise ValueError(f"access profile {name} exists")
        found = AccessProfile(name=name, permissions=sorted(set(permissions)))
        db.add(found)
        db.commit()
        return found.id


FIELD_MODES = {"required": (True, True), "optional": (True, False), "hidden": (False, False)}


def add_app(
    db_factory: sessionmaker[Session],
    app_id: str,
    name: str,
    *,
    title: str | None = None,
    logo: str | None = None,
    fields: dict[str, str] | None = None,
    custom: Sequence[tuple[str, str, bool]] = (),
) -> None:
    """Create a remote app. ``fields`` maps name/email/phone/organization to
    required|optional|hidden (default: name and email required, the rest optional);
    ``custom`` holds (key, label, required) of extra fields."""
    modes = {"name": "required", "email": "required", "phone": "optional"}
    modes |= {"organization": "optional"} | (fields or {})
    spec: dict[str, Any] = {}
    for field_name, mode in modes.items():
        if mode not in FIELD_MODES:
            raise ValueError(f"{field_name}: mode must be one of {', '.join(FIELD_MODES)}")
        shown, required = FIELD_MODES[mode]
        spec[field_name] = {"shown": shown, "required": required}
    spec["custom"] = [{"key": k, "label": lbl, "required": req} for k, lbl, req in custom]
    with db_factory() as db:
        if db.get(RemoteApp, app_id) is not None:
            raise ValueError(f"app {app_id} exists")
        db.add(RemoteApp(id=app_id, name=name, title=title or name, logo=logo, fields=spec))
        db.commit()


def set_region(db_factory: sessionmaker[Session], app_id: str, region: str) -> None:
    """Place the app's sessions on relays of ``region`` (``relay_fleet``; docs/deploy.md)."""
    try:
        relay_fleet.check_region(region)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    with db_factory() as db:
        app = db.get(RemoteApp, app_id)
        if app is None:
            raise ValueError(f"no app {app_id}")
        app.region = region
        db.commit()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpdesk.admin", description=__doc__)
    parser.add_argument("--db")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(platformdirs.user_data_dir("remoteapp-server"))
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-user")
    add.add_argument("email")
    add.add_argument("name")
    add.add_argument("password")
    add.add_argument("--agent-of", action="append", default=[])
    add.add_argument("--admin-of", action="append", default=[])
    add.add_argument("--profile", help="access profile name")
    prof = sub.add_parser("add-profile")
    prof.add_argument("name")
    prof.add_argument("--permission", action="append", default=[])
    app = sub.add_parser("add-app")
    app.add_argument("app_id")
    app.add_argument("name")
    app.add_argument("--title")
    app.add_argument("--logo", help="URL or data: URI")
    app.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=MODE",
        help="MODE is required|optional|hidden",
    )
    app.add_argument("--custom", action="append", default=[], metavar="KEY:LABEL[:required]")
    region = sub.add_parser("set-region", help="the relay region of an app's sessions")
    region.add_argument("app_id")
    region.add_argument("region")
    args = parser.parse_args(argv)
    engine = make_engine(args.db or f"sqlite:///{args.data_dir / 'helpdesk.sqlite3'}")
    migrate(engine)
    if args.command == "add-app":
        custom = []
        for item in args.custom:
            key, _, rest = item.partition(":")
            label, _, required = rest.partition(":")
            custom.append((key, label or key, required == "required"))
        add_app(
            db_factory(engine),
            args.app_id,
            args.name,
            title=args.title,
            logo=args.logo,
            fields=dict(f.split("=", 1) for f in args.field),
            custom=custom,
        )
        print(f"app {args.app_id} created")
        return
    if args.command == "set-region":
        try:
            set_region(db_factory(engine), args.app_id, args.region)
        except ValueError as exc:
            raise SystemExit(f"set-region: {exc}") from exc
        print(f"app {args.app_id}: region {args.region}")
        return
    if args.command == "add-profile":
        profile_id = add_profile(db_factory(engine), args.name, args.permission)
        print(f"access profile {profile_id} created")
        return
    try:  # people type these: the console's password policy holds here too
        password_policy.check(args.password, email=args.email, name=args.name)
    except InvalidInput as exc:
        raise SystemExit(f"add-user: {exc.message}") from exc
    user_id = add_user(
        db_factory(engine),
        args.email,
        args.name,
        args.password,
        agent_of=args.agent_of,
        admin_of=args.admin_of,
        profile=args.profile,
    )
    print(f"user {user_id} created")


if __name__ == "__main__":
    main()
