"""Why an update failed, as people read it: every ``why`` the update's errors carry has
its sentence, in English and in pt_BR (the status line said the exception's English
after "A atualização falhou:"); an error of no known kind is said as unexpected."""

from __future__ import annotations

import pytest

from remoteapp.ui import i18n
from remoteapp.ui.qt import QtWidgets
from remoteapp.ui.update_texts import update_failure_text
from remoteapp.update.errors import (
    DOWNLOAD_WHYS,
    NotRunnable,
    ReplaceFailed,
    UpdateDownloadFailed,
    UpdateError,
)

ERRORS = [
    *(UpdateDownloadFailed("detail", why=why) for why in DOWNLOAD_WHYS),
    UpdateDownloadFailed("detail"),
    ReplaceFailed("cannot replace /opt/x: [Errno 13] Permission denied"),
    ReplaceFailed("detail", why="cannot-start"),
    NotRunnable("the new build is not a linux program"),
]
UNEXPECTED = "The update failed. An unexpected error occurred (see the log)."


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: f"{type(e).__name__}-{e.why}")
def test_every_failure_has_its_sentence_without_the_detail(error: UpdateError) -> None:
    said = update_failure_text(error)
    assert said.startswith("The update failed. ") and said != UNEXPECTED
    assert "detail" not in said and "Errno" not in said and said.endswith(".")


def test_an_unknown_failure_is_said_as_unexpected() -> None:
    assert update_failure_text(RuntimeError("boom")) == UNEXPECTED
    assert update_failure_text(UpdateError("x", why="a newer kind")) == UNEXPECTED


def test_the_sentences_in_english_and_portuguese(qapp: QtWidgets.QApplication) -> None:
    cases = {
        "unverified": (
            "The update failed. The downloaded version did not pass the signature check; "
            "nothing was changed.",
            "A atualização falhou. A versão baixada não passou na verificação de "
            "assinatura; nada foi alterado.",
        ),
        "network": (
            "The update failed. The update server could not be reached or refused the "
            "download; try again later with the update icon.",
            "A atualização falhou. Não foi possível conectar ao servidor de atualização, "
            "ou ele recusou o download; tente de novo mais tarde pelo ícone de atualização.",
        ),
    }

    def said(why: str) -> str:
        return update_failure_text(UpdateDownloadFailed("detail", why=why))

    assert {w: said(w) for w in cases} == {w: en for w, (en, _) in cases.items()}
    english = {update_failure_text(e) for e in ERRORS} | {UNEXPECTED}
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        assert {w: said(w) for w in cases} == {w: pt for w, (_, pt) in cases.items()}
        untranslated = [e for e in ERRORS if update_failure_text(e) in english]
        assert untranslated == []
        assert update_failure_text(RuntimeError()) not in english
    finally:
        i18n.uninstall(qapp, translators)
