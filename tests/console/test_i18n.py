"""The console's catalogs are in step with the sources, and every message has pt_BR."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from helpdesk.console import i18n


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalog_matches_the_sources(lang: str) -> None:
    wanted = {str(m.id) for m in i18n.extract() if m.id}
    with i18n.po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang)
    have = {str(m.id) for m in catalog if m.id}
    assert wanted - have == set(), "new messages: run python -m helpdesk.console.i18n"
    assert have - wanted == set(), "stale messages: run python -m helpdesk.console.i18n"


def test_every_message_has_a_portuguese_translation() -> None:
    with i18n.po_path("pt_BR").open("rb") as source:
        catalog = read_po(source, locale="pt_BR")
    missing = [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == [], "translate in helpdesk/console/locale/pt_BR/LC_MESSAGES/console.po"


def test_portuguese_uses_the_vendors_words() -> None:
    _ = i18n.translations("pt_BR").gettext
    assert _("Remote access") == "Acesso remoto"
    assert _("Applications") == "Aplicativos"
    assert _("Appearance settings") == "Definições de aparência"
    assert _("Administrators") == "Administradores"
    assert _("Agents") == "Atendentes"
    assert _("Access profiles") == "Perfis de acesso"
    assert _("Settings") == "Configurações"
    assert (
        _("Allow registering remote-access apps")
        == "Permitir o cadastramento de aplicativos para acesso remoto"
    )


@pytest.mark.parametrize(
    ("cookie", "accept", "lang"),
    [
        (None, "pt-BR,pt;q=0.9,en;q=0.8", "pt_BR"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "de-DE, en;q=0.5", "en"),
        (None, "fr", "pt_BR"),
        (None, None, "pt_BR"),
        ("en", "pt-BR", "en"),
        ("pt_BR", "en", "pt_BR"),
        ("xx", "en", "en"),
    ],
)
def test_language_choice(cookie: str | None, accept: str | None, lang: str) -> None:
    assert i18n.choose(cookie, accept) == lang
