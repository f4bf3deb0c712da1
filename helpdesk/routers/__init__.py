"""HTTP routers, one per resource; thin: parse, call a service, shape the answer.

``ROUTERS`` is what ``helpdesk.app.create_app`` mounts, in this order. A new resource
(e.g. the web console) adds its module here.
"""

from __future__ import annotations

from fastapi import APIRouter

from helpdesk.routers import (
    apps,
    auth,
    downloads,
    presence,
    profiles,
    relay_events,
    sessions,
    tickets,
    updates,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    apps.router,
    presence.router,
    sessions.router,
    relay_events.router,
    tickets.router,
    downloads.router,
    profiles.router,
    updates.router,
)
