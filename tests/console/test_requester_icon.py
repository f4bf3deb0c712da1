"""The remote-access icon beside a ticket's requester (the vendor's description: "à
direita do nome do cliente do ticket, o sistema trará o mesmo ícone apresentado na barra
lateral"): for an agent, while the client is offline, the icon itself asks to be
notified when the client is available for connection and sends the app's download link,
which goes into the action's text field to be completed and added. By keyboard as by
mouse, and the menu stays open across the block's 3-second polls."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import Person, User
from helpdesk.services import online_watch
from tests.console.conftest import credentials, waiting_customer
from tests.helpdesk.server_process import Server

WHO = "agentonly"  # an agent of the demo app, whom no other test makes watch anyone


@pytest.fixture
def no_watch_left(console_server: Server) -> Iterator[None]:
    """The watch a test asks for is taken back: the package's other tests find the
    requester with no watch."""
    yield
    engine = make_engine(console_server.db_url)
    with db_factory(engine)() as db:
        user_id = db.scalars(
            select(User.id).where(User.email == credentials(console_server, WHO)[0])
        ).one()
        for person_id in db.scalars(select(Person.id)):
            online_watch.unwatch(db, user_id, person_id)
    engine.dispose()


def active_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def wait_for_a_poll(page: Page) -> None:
    """Until the polled block has been swapped for a new one (htmx, every 3 s)."""
    page.evaluate("document.getElementById('remote-access').dataset.old = '1'")
    page.wait_for_function(
        "() => document.getElementById('remote-access') && "
        "!document.getElementById('remote-access').dataset.old",
        timeout=8000,
    )


def test_the_icon_beside_the_requester_sends_the_download_link_by_keyboard(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as(WHO)
    page.goto("/console/tickets/1")
    expect(page.locator("#remote-offline")).to_be_visible()
    # the sidebar's icon, to the right of the client's name; nothing by the action form
    icon = page.locator(".requester #remote-menu-button")
    expect(icon).to_have_accessible_name("Acesso remoto")
    assert (
        icon.locator("svg").inner_html() == page.locator("#sidebar-remote-access svg").inner_html()
    )
    name_box, icon_box = page.locator("#requester-name").bounding_box(), icon.bounding_box()
    assert name_box and icon_box and icon_box["x"] >= name_box["x"] + name_box["width"]
    expect(page.locator("#action-form [data-insert-link]")).to_have_count(0)
    expect(page.get_by_role("button", name="Enviar o link de download")).to_be_hidden()

    icon.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    expect(icon).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    expect(items).to_have_text(
        [
            "Notificar-me quando o cliente estiver disponível para conexão",
            "Enviar o link de download",
        ]
    )
    assert active_id(page) == "notify-online"
    page.keyboard.press("ArrowDown")
    assert active_id(page) == "send-download-link"
    wait_for_a_poll(page)  # the block is redrawn: the menu and the focus stay
    expect(menu).to_be_visible()
    page.wait_for_function("() => document.activeElement.id === 'send-download-link'")
    page.keyboard.press("Escape")  # closes, back on the icon
    expect(menu).to_be_hidden()
    assert active_id(page) == "remote-menu-button"
    page.keyboard.press("ArrowUp")  # opens on the last item
    assert active_id(page) == "send-download-link"
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    link = f"{console_server.http_url}/download/demo"
    area = page.locator("#action-text")
    expect(area).to_have_value(link)
    expect(area).to_be_focused()
    page.keyboard.type(" — instale e abra o aplicativo.")
    expect(area).to_have_value(f"{link} — instale e abra o aplicativo.")
    page.click("#add-action")
    expect(page.locator(".action", has_text=f"{link} — instale e abra")).to_have_count(1)


def test_the_icon_asks_to_be_notified_and_says_so(
    console_server: Server, login_as: Callable[..., Page], no_watch_left: None
) -> None:
    page = login_as(WHO, locale="en-US")
    page.goto("/console/tickets/1")
    page.click("#remote-menu-button")
    page.get_by_role("menuitem", name="Notify me when the customer is available").click()
    expect(page.locator("#remote-watching")).to_have_text(
        "You will be notified as soon as the customer is available for connection."
    )
    # the icon still offers the link, no longer the notification
    page.click("#remote-menu-button")
    expect(page.get_by_role("menuitem")).to_have_text(["Send the download link"])
    page.mouse.click(5, 800)  # a click elsewhere closes the menu
    expect(page.get_by_role("menu")).to_be_hidden()
    with waiting_customer(console_server, "Ana Souza", email="ana@acme.example"):
        expect(page.locator(".toast", has_text="Ana Souza")).to_be_visible(timeout=6000)
        # online: the icon is no menu (nothing to wait for, no link to send): Connect
        expect(page.locator("#remote-online")).to_be_visible(timeout=6000)
        expect(page.locator("#remote-menu-button")).to_have_count(0)
        expect(page.locator("#remote-connect")).to_have_attribute("href", re.compile("ticket=1"))
