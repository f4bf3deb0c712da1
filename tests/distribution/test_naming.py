"""The download's file name carries the slug; the app reads it back whatever a browser
or a person did to the name."""

from __future__ import annotations

import pytest

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
        ("remoteapp", None),
        ("remoteapp.exe", None),
        ("suporte (1).exe", None),
        ("x_ra-.exe", None),
    ],
)
def test_slug_from_file_name(name: str, slug: str | None) -> None:
    assert slug_from_file_name(name) == slug
