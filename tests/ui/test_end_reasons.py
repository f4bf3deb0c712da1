"""Why a session ended, as people read it: every reason the apps give and the server
records has its sentence, in English and in pt_BR (the viewer's badge and the ticket's
action said "customer ended the session" in a Portuguese app); a reason this app does not
know is shown as it came."""

from __future__ import annotations

import pytest

from helpdesk.lifecycle import END_REASONS
from remoteapp.ui import i18n
from remoteapp.ui.end_reasons import end_reason_text
from remoteapp.ui.qt import QtWidgets

APP_REASONS = (  # remoteapp.session's and remoteapp.ui's own
    "agent ended the session",
    "customer ended the session",
    "customer closed the app",
    "the agent closed the app",
    "agent closed the viewer",
    "ended by the other side",
    "internal error",
    "connection lost",
    "connection lost: [Errno 104] Connection reset by peer",
    "peer silent for 15 s",
    "the other side took no data for 2.5 s",
)


@pytest.mark.parametrize("reason", [*APP_REASONS, *END_REASONS])
def test_every_known_reason_has_its_sentence(reason: str) -> None:
    said = end_reason_text(reason)
    assert not said.startswith("Session ended")
    assert said.endswith(".") and said[0].isupper()


def test_the_sentences_in_english_and_portuguese(qapp: QtWidgets.QApplication) -> None:
    cases = {
        "customer ended the session": (
            "The customer ended the session.",
            "O cliente encerrou a sessão.",
        ),
        "connection lost: [Errno 32] Broken pipe": (
            "The connection was lost.",
            "A conexão foi perdida.",
        ),
        "peer silent for 15 s": (
            "Nothing came from the other side for 15 s.",
            "Nada chegou do outro lado por 15 s.",
        ),
        "relay-lost": (
            "The relay serving the session stopped answering.",
            "O relay do atendimento parou de responder.",
        ),
        "": ("Session ended.", "Sessão encerrada."),
        "a newer peer's words": (
            "Session ended: a newer peer's words",
            "Sessão encerrada: a newer peer's words",
        ),
    }
    assert {r: end_reason_text(r) for r in cases} == {r: en for r, (en, _) in cases.items()}
    everything = (*APP_REASONS, *END_REASONS)
    english = {end_reason_text(r) for r in everything}
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        assert {r: end_reason_text(r) for r in cases} == {r: pt for r, (_, pt) in cases.items()}
        untranslated = [r for r in everything if end_reason_text(r) in english]
        assert untranslated == []
    finally:
        i18n.uninstall(qapp, translators)
