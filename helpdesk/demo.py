"""First-start data: the first administrator of a real install, or (``--demo``) demo data
so that a fresh install can be tried end to end at once.

Passwords are never printed: they go to owner-only files in the data directory (the
server runs with umask 077, so the files are 0600 from the moment they exist), and the
server prints only the path.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.db import startup_lock
from helpdesk.errors import InvalidInput
from helpdesk.models import (
    AccessProfile,
    Person,
    RemoteApp,
    Ticket,
    TicketAction,
    User,
    utcnow,
)
from helpdesk.security import hash_password
from helpdesk.services import password_policy
from helpdesk.services.access import PERMISSIONS
from helpdesk.services.api_tokens import add_token

ADMIN_EMAIL_ENV = "REMOTEAPP_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "REMOTEAPP_ADMIN_PASSWORD"
INITIAL_ADMIN_FILE = "initial-admin.json"

DEMO_APP_ID = "demo"
DEMO_FIELDS: dict[str, Any] = {
    "name": {"shown": True, "required": True},
    "email": {"shown": True, "required": True},
    "phone": {"shown": True, "required": False},
    "organization": {"shown": True, "required": False},
    "custom": [],
}
DEMO_ADMIN_PERMISSIONS = ("remote_apps.manage", "settings.access_profiles")
CLIENTS = [
    ("Ana Souza", "ana@acme.example", "Acme Ltda", "Gold"),
    ("Bruno Lima", "bruno@acme.example", "Acme Ltda", "Silver"),
    ("Carla Dias", "carla@globex.example", "Globex SA", "Bronze"),
]


def seed(db_factory: sessionmaker[Session]) -> dict[str, Any] | None:
    """Create demo users, app, clients and tickets if the database has no user yet.

    Returns the credentials (passwords in clear, only now), or None when data existed.
    """
    with db_factory() as db:
        startup_lock(db)  # servers starting together: one seeds
        if db.scalar(select(func.count()).select_from(User)):
            return None
        admin_password, agent_password = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
        admin_person = Person(business_name="Demo Admin", email="admin@example.com", profile_type=1)
        agent_person = Person(business_name="Demo Agent", email="agent@example.com", profile_type=1)
        # Settings » Access profiles: the admin may register remote-access apps and
        # manage profiles and users; the agent's profile has no such permission.
        managers = AccessProfile(name="Administradores", permissions=list(DEMO_ADMIN_PERMISSIONS))
        agents = AccessProfile(name="Atendentes", permissions=[])
        admin = User(
            email="admin@example.com",
            name="Demo Admin",
            person=admin_person,
            password_hash=hash_password(admin_password),
            profile=managers,
        )
        agent = User(
            email="agent@example.com",
            name="Demo Agent",
            person=agent_person,
            password_hash=hash_password(agent_password),
            profile=agents,
        )
        app = RemoteApp(
            id=DEMO_APP_ID,
            name="Demo Support",
            fields=DEMO_FIELDS,
            title="Demo Support — remote help",
            logo=None,
            admins=[admin],
            agents=[agent],
        )
        clients = [
            Person(business_name=n, email=e, organization=o, classification=c, profile_type=2)
            for n, e, o, c in CLIENTS
        ]
        token = secrets.token_hex(16)
        db.add_all([admin, agent, app, *clients])
        db.flush()  # the app first: the token refers to it
        # the tickets API token sees the demo app's tickets (those its staff own)
        add_token(db, token, "demo", app_id=DEMO_APP_ID)
        now = utcnow()
        for number, (client, subject) in enumerate(
            [(clients[0], "Printer does not print"), (clients[2], "VPN drops at noon")]
        ):
            ticket = Ticket(
                subject=subject,
                owner=agent_person,
                created_by=client,
                clients=[client],
                created_date=now,
                last_update=now,
            )
            ticket.actions.append(
                TicketAction(
                    number=1,
                    type=2,
                    origin=9,
                    description=f"Demo ticket {number + 1}: {subject}",
                    created_by=client,
                    created_date=now,
                    time_appointments=[],
                )
            )
            db.add(ticket)
        db.commit()
        return {
            "admin": {"email": admin.email, "password": admin_password},
            "agent": {"email": agent.email, "password": agent_password},
            "token": token,
            "app_id": DEMO_APP_ID,
        }


def first_admin(db_factory: sessionmaker[Session]) -> dict[str, Any] | None:
    """Without ``--demo``: the first administrator (every permission), if the database has
    no user yet. Email and password from ``REMOTEAPP_ADMIN_EMAIL`` / ``_PASSWORD`` when
    set, else ``admin@localhost`` and a random password; returns the credentials (the
    password in clear, only now) or None when users existed."""
    with db_factory() as db:
        startup_lock(db)  # servers starting together: one seeds
        if db.scalar(select(func.count()).select_from(User)):
            return None
        email = (os.environ.get(ADMIN_EMAIL_ENV) or "admin@localhost").strip().lower()
        password = os.environ.get(ADMIN_PASSWORD_ENV) or secrets.token_urlsafe(15)
        try:  # a password given to us must meet the console's policy too
            password_policy.check(password, email=email, name="Administrator")
        except InvalidInput as exc:
            raise SystemExit(f"remoteapp-server: {ADMIN_PASSWORD_ENV}: {exc.message}") from exc
        profile = db.scalar(select(AccessProfile).where(AccessProfile.name == "Administradores"))
        admin = User(
            email=email,
            name="Administrator",
            person=Person(business_name="Administrator", email=email, profile_type=1),
            password_hash=hash_password(password),
            profile=profile or AccessProfile(name="Administradores", permissions=list(PERMISSIONS)),
        )
        db.add(admin)
        db.commit()
        return {"admin": {"email": email, "password": password}}


def write_credentials(path: Path, credentials: dict[str, Any]) -> None:
    """Written once, owner-readable only from its creation (``O_EXCL``, mode 0600, whatever
    the umask); an existing file is never replaced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(json.dumps(credentials, indent=2) + "\n")
