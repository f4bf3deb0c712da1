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
    lang, translator = i18n.install(qapp, "pt_BR")
    try:
        assert lang == "pt_BR" and translator is not None
        assert i18n.tr("End session") == "Encerrar sessão"
        assert i18n.tr("Remote access - {customer}") == "Acesso remoto - {customer}"
    finally:
        qapp.removeTranslator(translator)
    assert i18n.tr("End session") == "End session"


@pytest.mark.parametrize(
    ("requested", "lang"), [("pt_BR", "pt_BR"), ("pt_PT", "pt_BR"), ("en_US", "en"), ("de", "en")]
)
def test_language_choice(requested: str, lang: str) -> None:
    assert i18n.choose_language(requested) == lang
