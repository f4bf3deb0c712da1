"""Monitoring (the sidebar icon): waiting customers and sessions in progress for agents,
plus indicators and the customers' IDs and passwords for administrators. Live over
server-sent events; the page polls the fragment instead when the stream cannot stay
open. The ID column's copy icon asks for a connect code (helpdesk.services.connect_codes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sse_starlette.sse import EventSourceResponse

from helpdesk.console.auth import ConsoleDb, ConsoleUser, StreamDb, StreamUser
from helpdesk.console.i18n import N_
from helpdesk.console.tickets import NOT_WAITING
from helpdesk.console.web import PREFIX, ConsoleRoute, gettext_for, render, render_text
from helpdesk.errors import NotAllowed
from helpdesk.inputs import Id
from helpdesk.services import connect_codes, monitoring, online_watch
from helpdesk.services.apps import member_app
from helpdesk.services.presence import by_queue_ref
from remotewire.error_codes import ErrorCode

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
CHECK_EVERY_S = 0.25
"""How often a live stream looks for changes: well inside the 1 s the page promises."""
REFRESH_EVERY_S = 15.0
"""Re-render even without change, so waiting times and durations move on."""
POLL_EVERY_S = 2
"""The htmx polling fallback's period, when the page cannot keep the stream open."""
LOGGED_OUT = "\0logged-out"
STREAM_LIFETIME_S = 300.0
"""A stream ends after this (the browser reconnects): every wait has a bound."""


@router.get("/monitoring")
def monitoring_home(user: ConsoleUser, request: Request) -> Response:
    apps = request.state.nav.member_of
    if not apps:
        raise NotAllowed(
            ErrorCode.NOT_APP_MEMBER,
            N_("Monitoring is for the agents and administrators of a remote-access app."),
        )
    return RedirectResponse(f"{PREFIX}/monitoring/{apps[0].app.id}", status_code=303)


def _context(
    request: Request, db: ConsoleDb, user: ConsoleUser, app_id: str, page: int
) -> dict[str, Any]:
    membership = member_app(db, app_id, user)
    board = monitoring.board(db, request.app.state.settings, membership, user, page)
    return {
        "board": board,
        "app": membership.app,
        "apps": request.state.nav.member_of,
        "page": max(1, page),  # the stream follows the asked page as the queue grows
    }


@router.get("/monitoring/{app_id}")
def monitoring_page(
    user: ConsoleUser, request: Request, db: ConsoleDb, app_id: str, page: Id = 1
) -> Response:
    context = {**_context(request, db, user, app_id, page), "poll_every_s": POLL_EVERY_S}
    return render(request, "monitoring/page.html", context)


@router.get("/monitoring/{app_id}/live")
def monitoring_fragment(
    user: ConsoleUser, request: Request, db: ConsoleDb, app_id: str, page: Id = 1
) -> Response:
    """The live parts alone: the htmx polling fallback."""
    return render(request, "monitoring/_live.html", _context(request, db, user, app_id, page))


@router.get("/monitoring/{app_id}/stream")
async def monitoring_stream(
    user: StreamUser, request: Request, db: StreamDb, app_id: str, page: Id = 1
) -> Response:
    """Server-sent events: an ``update`` with the live parts' HTML whenever they change."""
    member_app(db, app_id, user)  # refuse before streaming
    settings, factory = request.app.state.settings, request.app.state.db_factory
    user_id, epoch = user.id, user.session_epoch

    def snapshot(
        previous: tuple[Any, ...] | None, force: bool
    ) -> tuple[tuple[Any, ...], str | None]:
        with factory() as fresh:
            mark = monitoring.fingerprint(fresh, settings, app_id)
            if mark == previous and not force:
                return mark, None
            fresh_user = fresh.get(type(user), user_id)
            if fresh_user is None or fresh_user.session_epoch != epoch:
                return mark, LOGGED_OUT
            membership = member_app(fresh, app_id, fresh_user)
            board = monitoring.board(fresh, settings, membership, fresh_user, page)
            return mark, render_text(
                request, "monitoring/_live.html", {"board": board, "app": membership.app}
            )

    async def events() -> AsyncIterator[dict[str, str]]:
        loop = asyncio.get_running_loop()
        started = last_sent = loop.time()
        mark: tuple[Any, ...] | None = None
        while loop.time() - started < STREAM_LIFETIME_S:
            force = loop.time() - last_sent > REFRESH_EVERY_S
            mark, html = await asyncio.to_thread(snapshot, mark, force)
            if html is LOGGED_OUT:
                return
            if html is not None:
                last_sent = loop.time()
                yield {"event": "update", "data": html}
            await asyncio.sleep(CHECK_EVERY_S)

    return EventSourceResponse(events(), ping=10, headers={"Cache-Control": "no-store"})


@router.post("/monitoring/{app_id}/connect-code/{queue_ref}")
def connect_code(
    user: ConsoleUser, request: Request, db: ConsoleDb, app_id: str, queue_ref: str
) -> Response:
    """The copy icon: a short-lived code the agent app's partner-ID field accepts. A
    refusal's ``detail`` is in the page's language: the icon shows it as a toast."""
    _ = gettext_for(request)
    membership = member_app(db, app_id, user)
    presence = by_queue_ref(db, queue_ref)
    if presence is None or presence.app_id != membership.app.id:
        body = {"detail": _(NOT_WAITING), "code": ErrorCode.UNKNOWN_PERSON.value}
        return JSONResponse(body, status_code=404)
    try:
        code = connect_codes.issue(request.app.state.settings, user, presence)
    except NotAllowed as exc:
        return JSONResponse({"detail": _(exc.message), "code": str(exc.code)}, status_code=403)
    return JSONResponse({"text": code, "expires_in_s": connect_codes.TTL_S})


@router.get("/events")
async def user_events(user: StreamUser, request: Request) -> Response:
    """Per-user events on every console page: "online" when a watched client's app
    comes online (Notify me when the customer is available for connection)."""
    factory, settings, user_id = request.app.state.db_factory, request.app.state.settings, user.id

    def due() -> list[dict[str, Any]]:
        with factory() as fresh:
            return online_watch.fire(fresh, settings, user_id)

    async def events() -> AsyncIterator[dict[str, str]]:
        import json

        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < STREAM_LIFETIME_S:
            for item in await asyncio.to_thread(due):
                yield {"event": "online", "data": json.dumps(item)}
            await asyncio.sleep(0.5)

    return EventSourceResponse(events(), ping=10, headers={"Cache-Control": "no-store"})
