r"""Registering this app as the handler of ``remoteapp://`` links, per OS, no admin rights.

The console's Connect button opens ``remoteapp://connect?...``; the OS starts the handler
registered for the scheme with the link as its argument (``remoteapp.cli``)::

    UrlHandler (Protocol)       register(command): make ``command <link>`` the handler
     ├── DesktopEntryHandler    Linux/BSD: a .desktop file with MimeType=x-scheme-handler/
     │                          remoteapp; in the user's applications folder + xdg-mime default
     ├── RegistryHandler        Windows: HKCU\Software\Classes\remoteapp (winreg)
     └── BundleHandler          macOS: the bundle's Info.plist declares the scheme when the
                                app is built (URL_TYPES); Qt delivers links as QFileOpenEvent

    RegistrationFailed (RemoteappError)   the OS tool failed; the reason says why

Every call may block (files, a subprocess, the registry): never on the GUI thread.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from remoteapp.errors import RemoteappError
from remotewire.connect_codes import SCHEME

MIME_TYPE: Final = f"x-scheme-handler/{SCHEME}"
DESKTOP_FILE: Final = "remoteapp-url-handler.desktop"
REGISTRY_KEY: Final = rf"Software\Classes\{SCHEME}"
#: the Info.plist entry of the macOS bundle (PyInstaller BUNDLE(info_plist=...))
URL_TYPES: Final = [
    {"CFBundleURLName": "com.remoteapp.connect", "CFBundleURLSchemes": [SCHEME]},
]
TOOL_TIMEOUT_S: Final = 20.0


class RegistrationFailed(RemoteappError):
    """The link handler could not be registered; links will not open this app."""


class UrlHandler(Protocol):
    def register(self, command: Sequence[str]) -> None: ...


def launch_command() -> list[str]:
    """How the OS starts this program: the executable of a build, else this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "remoteapp"]


# -- Linux and other freedesktop.org systems

_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_argument(arg: str) -> str:
    """One argument of an Exec key (Desktop Entry spec): quoted if needed, then the
    string-value escapes; ``%`` doubled so it is not a field code."""
    if any(c in arg for c in "\n\r\0"):
        raise RegistrationFailed(f"a line break in the program's path: {arg!r}")
    if arg and not (_RESERVED & set(arg)):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return quoted.replace("%", "%%").replace("\\", "\\\\")


def desktop_entry(command: Sequence[str], name: str) -> str:
    """The .desktop file: hidden from menus, it only says which links the app opens."""
    title = " ".join(name.split()) or "remoteapp"
    exec_line = " ".join(_exec_argument(arg) for arg in command) + " %u"
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={title}\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        f"MimeType={MIME_TYPE};\n"
    )


def applications_dir() -> Path:
    """``$XDG_DATA_HOME/applications`` (default ``~/.local/share/applications``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "applications"


Runner = Callable[[list[str]], None]


def _run_tool(args: list[str]) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=TOOL_TIMEOUT_S)
    except FileNotFoundError as exc:
        raise RegistrationFailed(f"{args[0]} is not installed (xdg-utils)") from exc
    except subprocess.CalledProcessError as exc:
        why = exc.stderr.decode(errors="replace").strip() or f"exit status {exc.returncode}"
        raise RegistrationFailed(f"{args[0]} failed: {why}") from exc
    except subprocess.TimeoutExpired as exc:
        raise RegistrationFailed(f"{args[0]} did not finish in {TOOL_TIMEOUT_S:.0f} s") from exc


class DesktopEntryHandler:
    def __init__(self, name: str, directory: Path | None = None, run: Runner = _run_tool) -> None:
        self.name, self.directory, self.run = name, directory or applications_dir(), run

    def register(self, command: Sequence[str]) -> None:
        path = self.directory / DESKTOP_FILE
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".tmp")
            partial.write_text(desktop_entry(command, self.name), encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise RegistrationFailed(f"cannot write {path}: {exc}") from exc
        if shutil.which("update-desktop-database"):
            self.run(["update-desktop-database", str(self.directory)])
        self.run(["xdg-mime", "default", DESKTOP_FILE, MIME_TYPE])


# -- Windows


class RegistryHandler:
    """``registry`` is the ``winreg`` module (a fake in tests: this runs on Windows only)."""

    def __init__(self, registry: Any = None) -> None:
        self.reg = registry if registry is not None else importlib.import_module("winreg")

    def register(self, command: Sequence[str]) -> None:
        reg = self.reg
        line = subprocess.list2cmdline(list(command)) + ' "%1"'
        values = {
            REGISTRY_KEY: {"": f"URL:{SCHEME} Protocol", "URL Protocol": ""},
            REGISTRY_KEY + r"\DefaultIcon": {"": f'"{command[0]}",0'},
            REGISTRY_KEY + r"\shell\open\command": {"": line},
        }
        try:
            for path, named in values.items():
                with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, path, 0, reg.KEY_WRITE) as key:
                    for value_name, value in named.items():
                        reg.SetValueEx(key, value_name, 0, reg.REG_SZ, value)
        except OSError as exc:
            raise RegistrationFailed(f"cannot write HKCU\\{REGISTRY_KEY}: {exc}") from exc


# -- macOS


class BundleHandler:
    """Nothing to do at run time: Launch Services reads ``URL_TYPES`` from Info.plist."""

    def register(self, command: Sequence[str]) -> None:
        return None


def for_this_os(name: str, platform: str = sys.platform) -> UrlHandler:
    """The handler for ``platform``; ``name`` is what a Linux desktop may show."""
    if platform == "win32":
        return RegistryHandler()
    if platform == "darwin":
        return BundleHandler()
    return DesktopEntryHandler(name)


__all__ = [
    "DESKTOP_FILE",
    "MIME_TYPE",
    "REGISTRY_KEY",
    "URL_TYPES",
    "BundleHandler",
    "DesktopEntryHandler",
    "RegistrationFailed",
    "RegistryHandler",
    "UrlHandler",
    "desktop_entry",
    "for_this_os",
    "launch_command",
]
