"""The HTTP application: collaborators on ``app.state``, error handlers, routers, and the
sweeper that runs while the app lives.

Roles, per remote app: an *agent* may connect to its customers; an *administrator* sees
indicators and the customers' IDs and passwords in the queue. Being one does not imply
the other. Customers authenticate their presence with the key returned at registration.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import Engine

from helpdesk import api_docs, http_errors
from helpdesk.console import app as console
from helpdesk.console.web import PREFIX
from helpdesk.db import RequestSessions, db_factory
from helpdesk.limits import AttemptLimits
from helpdesk.middleware import (
    LOOPBACK_NAMES,
    MAX_BODY,
    BodyBound,
    CatchAll,
    HostCheck,
    RequestLimits,
    SecurityHeaders,
)
from helpdesk.notify import Notifier
from helpdesk.pg_listen import Listener
from helpdesk.routers import ROUTERS
from helpdesk.services.app_settings import MAX_LOGO_BYTES
from helpdesk.services.relay_events import sweep_forever
from helpdesk.settings import Settings
from remotewire.address import parse_relay_address


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """Build the whole HTTP application (this API plus the Movidesk-shaped one)."""
    factory = db_factory(engine)
    notifier = Notifier()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notifier.bind(asyncio.get_running_loop())
        tasks = [asyncio.create_task(sweep_forever(factory, settings))]
        if engine.dialect.name == "postgresql":  # wake-ups from the other processes
            tasks.append(asyncio.create_task(app.state.listener.listen_forever()))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # /docs comes from our own files (helpdesk.api_docs), not FastAPI's CDN page.
    app = FastAPI(
        title="remoteapp helpdesk",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=http_errors.SafeJSONResponse,
    )
    app.state.db_factory = factory
    app.state.request_sessions = RequestSessions(factory)
    app.state.settings = settings
    app.state.notifier = notifier
    app.state.listener = Listener(engine.url, notifier)
    app.state.limits = AttemptLimits(settings.clock)  # in the database (helpdesk.limits)
    http_errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    console.install(app)  # the web console (/console) and its connect-code endpoint
    api_docs.install(app)
    install_middleware(app, settings)
    return app


MAX_RELAY_REPORT_BYTES = 6 * 1024 * 1024
"""A relay's heartbeat names every session it carries (``RelayEventIn.sessions``, at most
100,000 ids of up to 40 characters): the only request bigger than ``MAX_BODY`` by design."""


def allowed_hosts(settings: Settings) -> tuple[str, ...]:
    """What ``Host`` may name: loopback, the public host the relay is announced under
    (what the apps are configured with), and ``settings.allowed_hosts``."""
    try:
        public = parse_relay_address(settings.relay_address).host
    except ValueError:
        public = ""
    return (*LOOPBACK_NAMES, public, *settings.allowed_hosts)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost last: headers on every answer, then the catch-all, the Host check and
    the request limits (helpdesk.middleware)."""
    logo_upload = BodyBound(  # the logo (its own bound) and the app's form fields
        "POST", re.compile(rf"{PREFIX}/settings/apps(/[^/]+)?"), MAX_LOGO_BYTES + MAX_BODY
    )
    relay_report = BodyBound(  # a heartbeat lists up to 100,000 running sessions
        "POST", re.compile(r"/relay/events"), MAX_RELAY_REPORT_BYTES
    )
    app.add_middleware(
        RequestLimits,
        exceptions=(logo_upload, relay_report),
        timeout_s=settings.body_timeout_s,
    )
    app.add_middleware(HostCheck, allowed=lambda: allowed_hosts(settings), exempt=("/relay/",))
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders)
