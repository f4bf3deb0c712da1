"""Remembered agent logins in the OS keyring, with a clear message where there is none.

Every call here may block (a D-Bus round trip, an unlock prompt): run them through
``remoteapp.ui.operations``, never on the GUI thread.
"""

from __future__ import annotations

import json
import logging

from remoteapp.ui.i18n import tr

log = logging.getLogger("remoteapp.ui")
SERVICE = "remoteapp"
KEY = "agent-login"


def keyring_status() -> str | None:
    """None when a real keyring is available, else why remembering will not work."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return tr("the keyring package is not installed")
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or backend.priority <= 0:
        return tr("this system has no keyring (secret service) to keep the password in")
    return None


def load() -> dict[str, str] | None:
    if keyring_status() is not None:
        return None
    import keyring

    try:
        raw = keyring.get_password(SERVICE, KEY)
        data = json.loads(raw) if raw else None
    except Exception as exc:  # a broken backend must not stop the login dialog
        log.warning("ui event=keyring-read-failed reason=%r", str(exc))
        return None
    return data if isinstance(data, dict) else None


def saved_login() -> tuple[str | None, dict[str, str] | None]:
    """(why remembering will not work, or None; the saved login, if any)."""
    why_not = keyring_status()
    return why_not, (load() if why_not is None else None)


def save(server: str, email: str, password: str) -> bool:
    if keyring_status() is not None:
        return False
    import keyring

    try:
        keyring.set_password(
            SERVICE, KEY, json.dumps({"server": server, "email": email, "password": password})
        )
    except Exception as exc:
        log.warning("ui event=keyring-write-failed reason=%r", str(exc))
        return False
    return True


def forget() -> None:
    """Never raises: logging out must work even when the keyring is locked or broken."""
    if keyring_status() is not None:
        return
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, KEY)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing was saved
    except Exception as exc:  # locked (the unlock prompt was dismissed), D-Bus gone, ...
        log.warning("ui event=keyring-delete-failed reason=%r", str(exc))
