"""``install(app)``: the web console on the server's FastAPI app, under ``/console``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from helpdesk.console import account, apps, login, monitoring, settings_pages, tickets
from helpdesk.console.auth import ConsoleSessions
from helpdesk.console.web import PREFIX, STATIC
from helpdesk.routers import connect_codes


def install(app: FastAPI) -> None:
    """Sessions (cookie only on console responses that change it), static files, pages."""
    settings = app.state.settings
    app.add_middleware(ConsoleSessions, key=settings.keys.console)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    for module in (login, account, settings_pages, apps, monitoring, tickets):
        app.include_router(module.router)
    app.include_router(connect_codes.router)  # the agent app redeems the console's codes
