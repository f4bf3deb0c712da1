"""An app's relay region set in the console (issue 13's placement by region): the form
offers the regions of the relays the server knows, stores what is chosen, and refuses a
malformed region with a clear message, keeping what was typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode, RemoteApp
from tests.helpdesk.server_process import Server


def _database(server: Server) -> str:
    return server.db_url or f"sqlite:///{server.data_dir / 'helpdesk.sqlite3'}"


def test_an_apps_relay_region_is_chosen_in_the_console(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    engine = make_engine(_database(console_server))
    sessions = db_factory(engine)
    try:
        with sessions() as db:
            db.add(
                RelayNode(
                    id="relay-sp",
                    address="10.0.0.9:7001",
                    region="sa-east",
                    last_seen=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            db.commit()
        page = login_as("manager")
        page.goto("/console/settings/apps/new")
        options = page.locator("#relay-regions option")
        expect(options).to_have_count(2)
        assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == [
            "default",
            "sa-east",
        ]
        expect(page.locator("input[name=region]")).to_have_value("default")
        page.fill("input[name=app_id]", "regionco")
        page.fill("input[name=name]", "Region Co")
        page.fill("input[name=region]", "sa-east")
        page.click("#save-app")
        expect(page.locator("#saved")).to_be_visible()
        expect(page.locator("input[name=region]")).to_have_value("sa-east")
        with sessions() as db:
            assert db.scalar(select(RemoteApp.region).where(RemoteApp.id == "regionco")) == (
                "sa-east"
            )
        # the browser checks the pattern; the server checks it too
        page.locator("input[name=region]").evaluate("e => e.removeAttribute('pattern')")
        page.fill("input[name=region]", "São Paulo!")
        page.click("#save-app")
        expect(page.locator("#form-error")).to_have_text(
            "A região do relay tem letras minúsculas, dígitos e traços, como br ou eu-west."
        )
        expect(page.locator("input[name=region]")).to_have_value("São Paulo!")
        with sessions() as db:
            assert db.scalar(select(RemoteApp.region).where(RemoteApp.id == "regionco")) == (
                "sa-east"
            )
            db.delete(db.get(RelayNode, "relay-sp"))
            db.commit()
    finally:
        engine.dispose()
