"""The password rules for console users (and so the agents' logins), after NIST SP 800-63B
§5.1.1.2 rather than composition rules, which push people to ``Password1!``:

- at least ``MIN_LENGTH`` (12) characters: these accounts open customers' computers, so
  more than NIST's floor of 8; at most 200 (the forms' cap; argon2 hashes any length);
- not a commonly used password: the embedded list below, compared after lower-casing,
  undoing the usual look-alike digits (``P@ssw0rd``) and dropping the digits and symbols
  people append (``Senha2024!``);
- not a run of one key, a keyboard row or a counting sequence (``aaaaaaaaaaaa``,
  ``qwertyuiopas``, ``123456789012``): at least ``MIN_DISTINCT`` different characters and
  not a piece of a sequence;
- not the user's own email name or name, nor the product's name (context-specific words).

The list is short on purpose: with 12 characters the common passwords that remain are
those built from a common word or sequence plus digits and symbols, which the folding
above catches. Messages are English msgids that the console translates.
"""

from __future__ import annotations

import re
from typing import Final

from helpdesk.console.i18n import N_
from helpdesk.errors import InvalidInput
from remotewire.error_codes import ErrorCode

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 200
MIN_DISTINCT: Final = 5

COMMON_WORDS: Final = frozenset(
    [
        "password",
        "passw0rd",
        "passwort",
        "motdepasse",
        "contrasena",
        "senha",
        "minhasenha",
        "senhasenha",
        "mudar",
        "mudarsenha",
        "trocar",
        "trocarsenha",
        "alterar",
        "segredo",
        "secreto",
        "secret",
        "qwerty",
        "qwertyuiop",
        "azerty",
        "asdfgh",
        "asdfghjkl",
        "zxcvbn",
        "zxcvbnm",
        "admin",
        "administrator",
        "administrador",
        "root",
        "toor",
        "master",
        "welcome",
        "bemvindo",
        "letmein",
        "iloveyou",
        "teamo",
        "amor",
        "love",
        "princess",
        "princesa",
        "dragon",
        "monkey",
        "football",
        "futebol",
        "soccer",
        "baseball",
        "superman",
        "batman",
        "shadow",
        "sunshine",
        "flamengo",
        "corinthians",
        "palmeiras",
        "saopaulo",
        "vasco",
        "gremio",
        "santos",
        "brasil",
        "brazil",
        "portugal",
        "abc",
        "abcd",
        "abcdef",
        "abcabc",
        "test",
        "teste",
        "testing",
        "user",
        "usuario",
        "login",
        "acesso",
        "access",
        "support",
        "suporte",
        "helpdesk",
        "remote",
        "remoteapp",
        "movidesk",
        "changeme",
        "default",
        "guest",
        "visitante",
        "qazwsx",
        "trustno",
        "whatever",
        "freedom",
        "starwars",
        "pokemon",
        "naruto",
        "jesus",
        "deus",
        "deusefiel",
        "familia",
        "family",
    ]
)
"""Common passwords (their letters, lower-cased): English and Brazilian favourites, from
the public top-password lists, plus this product's own words."""

SEQUENCES: Final = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
LOOKALIKES: Final = str.maketrans("0134579@$!", "oieastgasi")


def check(password: str, *, email: str = "", name: str = "") -> None:
    """``InvalidInput`` with the first rule ``password`` breaks (``email`` and ``name``
    are the account's, for the context rule)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(ErrorCode.WEAK_PASSWORD, N_("A password has at least 12 characters."))
    if len(password) > MAX_LENGTH:
        raise InvalidInput(ErrorCode.WEAK_PASSWORD, N_("A password has at most 200 characters."))
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT or _in_sequence(lowered):
        raise InvalidInput(
            ErrorCode.WEAK_PASSWORD,
            N_("This password is too easy to guess: use at least 5 different characters."),
        )
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)  # what people prepend or append
    if _common(re.sub(r"[^a-z]", "", core.translate(LOOKALIKES))):
        raise InvalidInput(
            ErrorCode.WEAK_PASSWORD,
            N_("This password is too common. Choose a longer phrase of unusual words."),
        )
    personal = [email.split("@", maxsplit=1)[0].lower(), *name.lower().split()]
    if any(len(word) >= 4 and word in lowered for word in personal):
        raise InvalidInput(
            ErrorCode.WEAK_PASSWORD, N_("A password must not contain your name or email.")
        )


def _common(letters: str) -> bool:
    """Letters that are a common word, a repeat of one, or a word plus a little."""
    if not letters:
        return False
    if letters in COMMON_WORDS:
        return True
    for word in COMMON_WORDS:
        if len(word) >= 5 and word in letters and len(letters) - len(word) <= 2:
            return True
    return any(letters == word * (len(letters) // len(word)) for word in COMMON_WORDS)


def _in_sequence(lowered: str) -> bool:
    """The whole password is a piece of a sequence (forwards or backwards), repeated."""
    for sequence in SEQUENCES:
        doubled = sequence * 2
        if lowered in doubled or lowered[::-1] in doubled:
            return True
    return False
