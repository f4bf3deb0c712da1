"""The download's file name carries the slug; the app reads it back whatever a browser,
Finder or a person did to the name (on macOS, from the ``.app`` folder's name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from remoteapp.branding.identity import named_path
from remotewire.distribution import download_file_name, slug_from_file_name


def test_file_names_per_os() -> None:
    assert download_file_name("Suporte Remoto ACME", "acme", "windows") == (
        "Suporte-Remoto-ACME_ra-acme.exe"
    )
    assert (
        download_file_name("Suporte Remoto ACME", "acme", "linux") == "Suporte-Remoto-ACME_ra-acme"
    )
    assert download_file_name("Ação & Cia!", "acao", "macos") == "Acao-Cia_ra-acao.zip"
    assert download_file_name("???", "x1", "linux") == "remoteapp_ra-x1"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Suporte-Remoto-ACME_ra-acme.exe", "acme"),
        ("Suporte-Remoto-ACME_ra-acme (1).exe", "acme"),
        ("Suporte-Remoto-ACME_ra-acme(2).exe", "acme"),
        ("Suporte-Remoto-ACME_ra-acme", "acme"),
        ("Suporte-Remoto-ACME_ra-acme (1)", "acme"),
        ("  Suporte Remoto ACME ra-acme-2 .exe", "acme-2"),
        ("Suporte-Remoto-ACME_ra-acme.EXE", "acme"),
        ("Suporte-Remoto-ACME_ra-acme.app", "acme"),
        ("Suporte-Remoto-ACME_ra-acme 2.app", "acme"),  # Finder's second copy
        ("Suporte-Remoto-ACME_ra-acme-2.app", "acme-2"),
        ("remoteapp", None),
        ("remoteapp.exe", None),
        ("suporte (1).exe", None),
        ("x_ra-.exe", None),
    ],
)
def test_slug_from_file_name(name: str, slug: str | None) -> None:
    assert slug_from_file_name(name) == slug


@pytest.mark.parametrize(
    ("executable", "named"),
    [
        (
            "/Applications/Suporte-Remoto-ACME_ra-acme.app/Contents/MacOS/remoteapp",
            "/Applications/Suporte-Remoto-ACME_ra-acme.app",
        ),
        (
            "/Users/a/Downloads/X_ra-x 2.app/Contents/MacOS/remoteapp",
            "/Users/a/Downloads/X_ra-x 2.app",
        ),
        ("/home/a/Suporte-Remoto-ACME_ra-acme", "/home/a/Suporte-Remoto-ACME_ra-acme"),
        ("C:/Users/a/Downloads/X_ra-x.exe", "C:/Users/a/Downloads/X_ra-x.exe"),
        ("/opt/Contents/MacOS/remoteapp", "/opt/Contents/MacOS/remoteapp"),  # not in a .app
    ],
)
def test_the_name_that_carries_the_slug(executable: str, named: str) -> None:
    assert named_path(Path(executable)) == Path(named)
    if named.endswith(".app"):
        assert slug_from_file_name(Path(named).name) is not None
