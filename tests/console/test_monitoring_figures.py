"""The monitoring page as a Brazilian administrator reads it, in Chromium (helper-103's
review): spans in units ("14:04" next to "1:24:26" read as 14 hours), the chart's days
as pt-BR writes them ("12-06" read as 12 June), waiting since on the desk's clock (it
said UTC), a dash for an average of nothing, an offered session listed as connecting
(it was in neither list), and the in-progress count past the listing's cap."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.admin import add_app, add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.security import sha256_hex
from tests.console.conftest import screenshot, waiting_customer
from tests.helpdesk.server_process import Server

BRAZIL = ZoneInfo("America/Sao_Paulo")  # the server's default REMOTEAPP_TIME_ZONE


@pytest.fixture
def factory(console_server: Server) -> Iterator[sessionmaker[Db]]:
    engine = make_engine(console_server.db_url)
    try:
        yield db_factory(engine)
    finally:
        engine.dispose()


def _add(db: Db, agent: int, name: str, connected: datetime | None, ended: datetime | None) -> str:
    now = datetime.now(UTC).replace(tzinfo=None)
    tag = secrets.token_hex(4)
    customer = Presence(
        device_id=f"fig-{tag}", partner_id=f"9{int(tag, 16) % 10**8:08d}", app_id="other",
        key_hash=sha256_hex(tag), password="abcdef", failures=0, filled={"name": name},
        waiting_since=now - timedelta(hours=1), last_seen=now - timedelta(hours=1),
    )  # fmt: skip
    db.add(customer)
    db.flush()
    state = State.ENDED if ended else State.CONNECTED if connected else State.OFFERED
    offered = connected or now
    db.add(
        RemoteSession(
            id=f"fig-{tag}", app_id="other", presence_id=customer.id, agent_id=agent,
            via="password", state=state.value, relay_address="127.0.0.1:1",
            customer_token="t", expires_at=now + timedelta(minutes=30),
            waiting_since=offered - timedelta(seconds=30), offered_at=offered,
            connected_at=connected, ended_at=ended, end_reason="agent-left" if ended else None,
        )
    )  # fmt: skip
    return f"fig-{tag}"


@pytest.fixture
def sessions(factory: sessionmaker[Db]) -> Iterator[None]:
    """On the app "other": one session ended after 10 minutes, one offered (connecting);
    both taken away afterwards. (A connected one no relay runs, the server's sweeper
    would end at once.)"""
    now = datetime.now(UTC).replace(tzinfo=None)
    with factory() as db:
        agent = db.scalar(select(User.id).where(User.email == "other@example.com"))
        assert agent is not None
        ids = [
            _add(db, agent, "Eva Encerrada", now - timedelta(hours=1), now - timedelta(minutes=50)),
            _add(db, agent, "Otávio Oferecido", None, None),
        ]
        db.commit()
    yield
    with factory() as db:
        presences = select(RemoteSession.presence_id).where(RemoteSession.id.in_(ids))
        found = list(db.scalars(presences))
        db.execute(delete(RemoteSession).where(RemoteSession.id.in_(ids)))
        db.execute(delete(Presence).where(Presence.id.in_(found)))
        db.commit()


def test_the_figures_read_as_a_brazilian_desk_reads_them(
    console_server: Server,
    login_as: Callable[..., Page],
    factory: sessionmaker[Db],
    sessions: None,
) -> None:
    page = login_as("other")
    page.goto("/console/monitoring/other")
    cards = page.locator("#indicators .card")
    expect(cards.filter(has_text="Duração média").locator(".value")).to_have_text("10\u00a0min")
    expect(cards.filter(has_text="Duração total").locator(".value")).to_have_text("10\u00a0min")
    progress = page.locator("#in-progress")
    expect(progress.locator("tr", has_text="Otávio Oferecido")).to_contain_text("Conectando…")
    expect(page.locator("#in-progress-count")).to_have_text("1")
    today = datetime.now(BRAZIL).strftime("%d/%m")
    labels = page.evaluate("Chart.getChart(document.getElementById('daily-chart')).data.labels")
    assert labels[-1] == today and len(labels) == 30
    with waiting_customer(console_server, "Wanda Waiting", app_id="other") as customer:
        row = page.locator("#waiting-table tr", has_text="Wanda Waiting")
        expect(row).to_be_visible()
        with factory() as db:
            since = db.scalar(
                select(Presence.waiting_since).where(Presence.partner_id == customer["partner_id"])
            )
        assert since is not None
        local = since.replace(tzinfo=UTC).astimezone(BRAZIL).strftime("%d/%m/%Y %H:%M:%S")
        waited = row.locator("td").nth(3)
        expect(waited).to_have_attribute("title", f"Aguardando desde {local}")
        expect(waited).to_have_text(re.compile(r"^\d+\u00a0s$"))
        screenshot(page, "monitoring-figures")


def test_an_app_with_no_session_averages_nothing(
    login_as: Callable[..., Page], factory: sessionmaker[Db]
) -> None:
    """A dash, not "0:00": nothing ended yet is no average of zero."""
    add_app(factory, "fig-empty", "Empty Support")
    add_user(factory, "figempty@example.com", "Fig Empty", "figempty-pass1", admin_of=["fig-empty"])
    page = login_as("figempty", "en-US")
    page.goto("/console/monitoring/fig-empty")
    cards = page.locator("#indicators .card")
    for label in ("Average duration", "Average wait in the queue"):
        expect(cards.filter(has_text=label).locator(".value")).to_have_text("—")
    expect(cards.filter(has_text="Total duration").locator(".value")).to_have_text("0\u00a0s")
