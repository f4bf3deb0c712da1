"""Why a first start could not learn whose app it is, as the customer reads it: every
``why`` of the identity's errors has its sentence, in English and in pt_BR (the window
said urllib3's English after "Este aplicativo não pode iniciar:"), with no detail."""

from __future__ import annotations

import pytest

from remoteapp.branding.identity import IdentityError, ProfileRefused, ProfileUnavailable
from remoteapp.ui import i18n
from remoteapp.ui.identity_texts import identity_failure_text, worth_retrying
from remoteapp.ui.qt import QtWidgets

DETAIL = "cannot reach https://h: HTTPSConnectionPool(host='h', port=443)"
ERRORS = [
    *(
        ProfileUnavailable(DETAIL, why=why)
        for why in ("unknown-app", "unreachable", "not-trusted", "insecure", "server-error")
    ),
    ProfileUnavailable(DETAIL),
    ProfileRefused("the app profile's signature does not check"),
]
UNEXPECTED = "An unexpected error occurred (see the log)."


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.why)
def test_every_failure_has_its_sentence_without_the_detail(error: IdentityError) -> None:
    said = identity_failure_text(error)
    assert said != UNEXPECTED and "HTTPS" not in said and "signature" not in said
    assert said.endswith(".") and said[0].isupper()


def test_only_the_links_the_servers_and_certificates_failures_are_tried_again() -> None:
    again = [e.why for e in ERRORS if worth_retrying(e)]
    assert again == ["unreachable", "not-trusted", "server-error", "unreachable"]
    assert not worth_retrying(RuntimeError("boom"))
    assert identity_failure_text(RuntimeError("boom")) == UNEXPECTED


def test_the_sentences_in_english_and_portuguese(qapp: QtWidgets.QApplication) -> None:
    cases = {
        "unreachable": (
            "The support server cannot be reached. Check this computer's internet connection.",
            "Não foi possível conectar ao servidor de suporte. Verifique a conexão deste "
            "computador com a internet.",
        ),
        "unknown-app": ("No company has this code.", "Nenhuma empresa tem este código."),
    }

    def said(why: str) -> str:
        return identity_failure_text(ProfileUnavailable(DETAIL, why=why))

    assert {w: said(w) for w in cases} == {w: en for w, (en, _) in cases.items()}
    english = {identity_failure_text(e) for e in ERRORS}
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        assert {w: said(w) for w in cases} == {w: pt for w, (_, pt) in cases.items()}
        assert [e.why for e in ERRORS if identity_failure_text(e) in english] == []
    finally:
        i18n.uninstall(qapp, translators)
