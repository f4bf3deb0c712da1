"""Why a session ended, as people read it: every reason the apps give and the server
records has its sentence, in English and in pt_BR (the viewer's badge and the ticket's
action said "customer ended the session" in a Portuguese app); a reason this app does not
know is shown as it came. Every reason the code gives is found by walking its source (the
wrong password's reached the ticket as "Sessão encerrada: the password does not match")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpdesk.lifecycle import END_REASONS
from remoteapp.secure import Channel, ChannelBroken
from remoteapp.secure.channel import NEED_DATA
from remoteapp.secure.handshake import AGENT_MISMATCH, CUSTOMER_MISMATCH
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


CALLS = {"end", "close", "_finish", "session_ended", "HandshakeFailed", "PasswordMismatch"}
NOT_AN_END = {  # raised only when the handshake object is misused: a bug, not a session's end
    "the handshake already failed",
    "the handshake is over: records go to the channel",
}


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's ``NAME: Final = "words"`` (or ``= (...)``) constants."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found[node.target.id] = node.value.value
    return found


def _words(node: ast.expr, constants: dict[str, str]) -> str | None:
    """A reason as the code writes it; an f-string's values become "15"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.IfExp):
        return _words(node.body, constants)  # (orelse: walked as its own call too)
    if isinstance(node, ast.BoolOp):  # ``event.reason or "ended by the other side"``
        return _words(node.values[-1], constants)
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "15" for v in node.values)
    return None


def reasons_in_the_code() -> set[str]:
    """Every end reason ``remoteapp`` writes: the words given to a session's end, close
    or finish, the presence's ``session_ended``, a failed handshake's; and those the
    server ends an offer with (``end_session``'s reason)."""
    constants: dict[str, str] = {}
    trees = [ast.parse(p.read_text()) for p in sorted(Path("remoteapp").rglob("*.py"))]
    for tree in trees:
        constants.update(_constants(tree))
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            args = node.args[1:2] if name == "end_session" else node.args[:1]
            if name in CALLS | {"end_session"} and args:
                choices = [args[0], *([args[0].orelse] if isinstance(args[0], ast.IfExp) else [])]
                found |= {w for c in choices if (w := _words(c, constants))}
    return found - NOT_AN_END


def test_the_walk_finds_the_reasons_it_must() -> None:
    found = reasons_in_the_code()
    assert {AGENT_MISMATCH, CUSTOMER_MISMATCH, "agent ended the session"} <= found
    assert "the other side did not complete the secure handshake in 15 s" in found
    assert len(found) > 20


@pytest.mark.parametrize("reason", sorted(reasons_in_the_code()))
def test_every_reason_the_code_gives_has_its_sentence(reason: str) -> None:
    said = end_reason_text(reason)
    assert not said.startswith("Session ended"), reason
    assert said.endswith(".") and said[0].isupper()


def test_every_reason_the_code_gives_is_translated(qapp: QtWidgets.QApplication) -> None:
    everything = sorted(reasons_in_the_code())
    english = {r: end_reason_text(r) for r in everything}
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        untranslated = [r for r in everything if end_reason_text(r) == english[r]]
    finally:
        i18n.uninstall(qapp, translators)
    assert untranslated == []
    assert english[AGENT_MISMATCH] == (
        "The password does not match: check its last characters with the customer."
    )


def _broken(damage: str) -> str:
    """The end reason a real channel gives (``str(ChannelBroken)``, as the transport ends
    the session with) when its records are damaged on the way in one way."""
    forward, back = bytes(range(32)), bytes(range(32, 64))
    agent, customer = Channel(forward, back), Channel(back, forward)
    first, second = bytes(agent.seal(b"one")), bytes(agent.seal(b"two"))
    arriving = {
        "altered": first[:-1] + bytes([first[-1] ^ 1]),
        "replayed": first + first,
        "reordered": second + first,
        "cut": first[:-3] + b"",
    }[damage]
    customer.receive_data(arriving)
    if damage == "cut":
        customer.receive_data(b"")  # the stream ends inside the record
    with pytest.raises(ChannelBroken) as broken:
        while customer.next_record() is not NEED_DATA:
            pass
    return str(broken.value)


@pytest.mark.parametrize("damage", ["altered", "replayed", "reordered", "cut"])
def test_a_broken_secure_channel_is_said_in_a_sentence(
    damage: str, qapp: QtWidgets.QApplication
) -> None:
    """The secure channel's end reasons (the OS's bytes or a record's number follow) had
    no sentence: the badge and the ticket said "Session ended: the encrypted stream
    broke: record 1 failed authentication (altered in transit)"."""
    reason = _broken(damage)
    said = end_reason_text(reason)
    assert not said.startswith("Session ended"), reason
    if damage == "cut":
        assert said == "The connection was lost."
    else:
        assert said.startswith("The session's encrypted data was altered or lost on the way")
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        assert end_reason_text(reason) != said
    finally:
        i18n.uninstall(qapp, translators)
