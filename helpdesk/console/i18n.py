"""The console's languages: Brazilian Portuguese and English, from Babel catalogs.

Messages are English msgids marked ``_("...")`` in templates and ``N_("...")`` in code.
The catalogs live in ``locale/<lang>/LC_MESSAGES/console.po`` and are compiled in memory
at first use (no .mo files to keep in step). ``python -m helpdesk.console.i18n`` extracts
the messages from the sources and updates both catalogs, keeping what is translated;
tests/console/test_i18n.py fails when a catalog is out of step or a pt_BR message lacks
its translation. The pt_BR words follow the vendor's product description ("Acesso
remoto", "Aplicativos", "Definições de aparência", "Administradores", "Atendentes").
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

LANGUAGES = ("pt_BR", "en")
DEFAULT = "pt_BR"
DOMAIN = "console"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCES = Path(__file__).resolve().parent.parent  # helpdesk/: console code and templates
METHOD_MAP = [
    ("console/**.py", "python"),
    ("services/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English msgids fall through untranslated)."""
    if lang not in LANGUAGES:
        return gettext.NullTranslations()
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The switch (cookie) wins; else the first Accept-Language we speak; else pt_BR."""
    if cookie in LANGUAGES:
        return str(cookie)
    ranked: list[tuple[float, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality + position * 1e-6, tag.strip().replace("-", "_").lower()))
    for _, tag in sorted(ranked):
        if tag.startswith("pt"):
            return "pt_BR"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def extract() -> Catalog:
    """Every message marked in the console's code and templates, as a fresh template."""
    catalog = Catalog(domain=DOMAIN, project="remoteapp console", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCES), METHOD_MAP, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> list[str]:
    """Bring both catalogs in step with the sources; returns the pt_BR msgids to translate."""
    template = extract()
    untranslated: list[str] = []
    for lang in LANGUAGES:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as source:
                catalog = read_po(source, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as target:
            write_po(target, catalog, width=100, omit_header=True, sort_output=True)
        if lang == "pt_BR":
            untranslated = [str(m.id) for m in catalog if m.id and not m.string]
    return untranslated


if __name__ == "__main__":
    missing = update()
    print("\n".join(f"untranslated (pt_BR): {m}" for m in missing) or "all translated")
