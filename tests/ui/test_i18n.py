"""Every UI string has a pt_BR translation, the shipped .qm files match their .ts, and
the language follows the locale or --lang."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from remoteapp.branding.resources import resource_dir
from remoteapp.ui import i18n
from remoteapp.ui.qt import QtWidgets

I18N = resource_dir() / "i18n"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_code_strings_are_all_translated_and_compiled(lang: str, tmp_path: Path) -> None:
    ts = tmp_path / f"remoteapp_{lang}.ts"
    shutil.copy(I18N / ts.name, ts)
    sources = sorted(str(p) for p in i18n.UI_DIR.glob("*.py"))
    subprocess.run(
        [i18n._tool("lupdate"), *sources, "-no-obsolete", "-ts", str(ts)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    messages = list(ET.parse(ts).iter("message"))
    assert messages, "lupdate found no strings"
    untranslated = [
        m.findtext("source")
        for m in messages
        if (m.find("translation") is None)
        or m.find("translation").get("type") == "unfinished"  # type: ignore[union-attr]
        or not m.findtext("translation")
    ]
    assert untranslated == [], f"run: python -m remoteapp.ui.i18n and translate {untranslated}"
    qm = tmp_path / f"remoteapp_{lang}.qm"
    subprocess.run(
        [i18n._tool("lrelease"), str(ts), "-qm", str(qm)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert qm.read_bytes() == (I18N / qm.name).read_bytes(), "the shipped .qm is stale"


def test_portuguese_uses_the_vendors_words(qapp: QtWidgets.QApplication) -> None:
    lang, translators = i18n.install(qapp, "pt_BR")
    try:
        assert lang == "pt_BR" and len(translators) == 2
        assert i18n.tr("End session") == "Encerrar sessão"
        assert i18n.tr("Remote access - {customer}") == "Acesso remoto - {customer}"
    finally:
        i18n.uninstall(qapp, translators)
    assert i18n.tr("End session") == "End session"


@pytest.mark.parametrize(
    ("requested", "lang"), [("pt_BR", "pt_BR"), ("pt_PT", "pt_BR"), ("en_US", "en"), ("de", "en")]
)
def test_language_choice(requested: str, lang: str) -> None:
    assert i18n.choose_language(requested) == lang


def test_qts_own_buttons_speak_portuguese(qapp: QtWidgets.QApplication) -> None:
    """The standard buttons of Qt's dialogs come from Qt's own catalogue: the new-ticket
    confirmation's Yes/No and the partner password's Cancel were English in pt_BR."""
    buttons = QtWidgets.QMessageBox.StandardButton
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        box = QtWidgets.QMessageBox()
        box.setStandardButtons(buttons.Yes | buttons.No | buttons.Cancel)
        texts = [box.button(b).text().replace("&", "") for b in (buttons.Yes, buttons.No)]
        assert texts == ["Sim", "Não"]
        assert box.button(buttons.Cancel).text() == "Cancelar"
        prompt = QtWidgets.QInputDialog()
        assert prompt.cancelButtonText().replace("&", "") == "Cancelar"
    finally:
        i18n.uninstall(qapp, translators)
    box = QtWidgets.QMessageBox()
    box.setStandardButtons(buttons.Yes)
    assert box.button(buttons.Yes).text().replace("&", "") == "Yes"
