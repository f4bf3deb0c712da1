"""Translations: every user-visible string goes through ``tr`` and Qt's translator.

Sources are English; ``resources/i18n/remoteapp_<lang>.ts`` hold the translations and
the compiled ``.qm`` files ship beside them.  ``lupdate`` gives every ``tr("...")`` call
the empty context, so ``tr`` looks strings up there too.

    python -m remoteapp.ui.i18n      # refresh the .ts files from the code, compile .qm
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from remoteapp.branding.resources import resource_dir
from remoteapp.ui.qt import QtCore

LANGUAGES = ("pt_BR", "en")
UI_DIR = Path(__file__).resolve().parent


def tr(text: str) -> str:
    """Translate ``text`` (a literal, so lupdate finds it) for the installed language."""
    return QtCore.QCoreApplication.translate("", text)


def choose_language(requested: str | None = None) -> str:
    """``--lang`` if given, else the system locale: Portuguese -> pt_BR, others -> en."""
    name = requested or QtCore.QLocale.system().name()
    return "pt_BR" if name.lower().startswith("pt") else "en"


def install(
    app: QtCore.QCoreApplication, requested: str | None = None
) -> tuple[str, list[QtCore.QTranslator]]:
    """Install the translators for the chosen language: (language, those installed).

    Ours, and Qt's own (``qtbase_<lang>``, shipped with PySide6 and collected into the
    builds): the standard buttons of Qt's dialogs (Yes, No, Cancel) and its line
    edits' menu were English in pt_BR without it."""
    lang = choose_language(requested)
    wanted = [(resource_dir() / "i18n", f"remoteapp_{lang}")]
    if lang != "en":
        qt_dir = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
        wanted.append((Path(qt_dir), f"qtbase_{lang}"))
    installed = []
    for directory, name in wanted:
        translator = QtCore.QTranslator(app)
        if translator.load(name, str(directory)):
            app.installTranslator(translator)
            installed.append(translator)
    return lang, installed


def uninstall(app: QtCore.QCoreApplication, translators: list[QtCore.QTranslator]) -> None:
    """Back to the sources' English (tests that switch languages)."""
    for translator in translators:
        app.removeTranslator(translator)


def _tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}") or shutil.which(
        f"pyside6-{name}", path=str(Path(sys.executable).parent)
    )
    if not found:
        raise SystemExit(f"pyside6-{name} not found (it comes with PySide6-Essentials)")
    return found


def update() -> None:
    sources = sorted(str(p) for p in UI_DIR.glob("*.py"))
    out = resource_dir() / "i18n"
    for lang in LANGUAGES:
        ts = out / f"remoteapp_{lang}.ts"
        subprocess.run([_tool("lupdate"), *sources, "-no-obsolete", "-ts", str(ts)], check=True)
        subprocess.run([_tool("lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


if __name__ == "__main__":
    update()
