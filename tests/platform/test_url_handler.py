"""The remoteapp:// handler's registration: the Linux .desktop file and a real xdg-mime,
the Windows registry keys (against a fake winreg: this runs on Linux), the macOS
Info.plist entry."""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from remoteapp.platform import url_handler
from remoteapp.platform.url_handler import (
    DESKTOP_FILE,
    MIME_TYPE,
    BundleHandler,
    DesktopEntryHandler,
    RegistrationFailed,
    RegistryHandler,
    desktop_entry,
    for_this_os,
)


def exec_args(entry: str) -> list[str]:
    """The Exec key read back as the Desktop Entry spec says a desktop does: the string
    escapes, then the arguments (in double quotes, a backslash escapes ``"`$\\``), then
    ``%%`` -> ``%``."""
    parser = configparser.RawConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(entry)
    raw = parser["Desktop Entry"]["Exec"].replace("\\\\", "\\")
    args: list[str] = []
    current, quoted, escaped, started = "", False, False, False
    for c in raw:
        if escaped:
            assert c in '"`$\\', f"{c!r} may not be escaped"
            current, escaped = current + c, False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + c, True
    assert not quoted and not escaped
    args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def test_the_desktop_file_names_the_scheme_and_quotes_the_command() -> None:
    command = ["/opt/Acme Help/$HOME`x`/remote\\app", "-m", "100%"]
    entry = desktop_entry(command, "Acme\nremote  help")
    lines = entry.splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "MimeType=x-scheme-handler/remoteapp;" in lines
    assert "NoDisplay=true" in lines and "Type=Application" in lines
    assert "Name=Acme remote help" in lines  # no line break smuggled into a key
    assert exec_args(entry) == [*command, "%u"]
    plain = desktop_entry(["/usr/bin/python3", "-m", "remoteapp"], "x")
    assert "Exec=/usr/bin/python3 -m remoteapp %u" in plain.splitlines()
    with pytest.raises(RegistrationFailed, match="line break"):
        desktop_entry(["/tmp/a\nExec=evil"], "x")


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in (
        "XDG_CURRENT_DESKTOP",
        "DESKTOP_SESSION",
        "KDE_FULL_SESSION",
        "GNOME_DESKTOP_SESSION_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_linux_registration_writes_the_file_and_xdg_mime_makes_it_the_default(
    user_home: Path,
) -> None:
    if shutil.which("xdg-mime") is None:
        pytest.skip("xdg-mime is missing (./dev test installs xdg-utils)")
    command = ["/opt/acme/Acme Help", "--flag"]
    DesktopEntryHandler("Acme Help").register(command)
    written = user_home / "data" / "applications" / DESKTOP_FILE
    assert written.read_text(encoding="utf-8") == desktop_entry(command, "Acme Help")
    query = subprocess.run(
        ["xdg-mime", "query", "default", MIME_TYPE],
        check=True,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert query.stdout.strip() == DESKTOP_FILE
    assert MIME_TYPE in (user_home / "config" / "mimeapps.list").read_text(encoding="utf-8")
    DesktopEntryHandler("Acme Help").register(command)  # again, at the next login: same
    assert written.read_text(encoding="utf-8") == desktop_entry(command, "Acme Help")


def test_a_failing_tool_is_a_registration_failure(user_home: Path) -> None:
    def missing(args: list[str]) -> None:
        url_handler._run_tool(["remoteapp-no-such-tool", *args])

    with pytest.raises(RegistrationFailed, match="not installed"):
        DesktopEntryHandler("x", run=missing).register(["/bin/true"])
    with pytest.raises(RegistrationFailed, match="false failed"):
        url_handler._run_tool(["false"])
    (user_home / "blocked").write_text("a file where the folder should be")
    with pytest.raises(RegistrationFailed, match="cannot write"):
        DesktopEntryHandler("x", user_home / "blocked").register(["/bin/true"])


class FakeWinreg:
    """The part of ``winreg`` the handler uses: keys are paths, values a dict."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_WRITE = 0x20006
    REG_SZ = 1

    def __init__(self, fail: bool = False) -> None:
        self.values: dict[str, dict[str, tuple[int, str]]] = {}
        self.fail = fail

    @contextmanager
    def CreateKeyEx(self, root: str, path: str, reserved: int, access: int) -> Any:
        assert (root, reserved, access) == ("HKCU", 0, self.KEY_WRITE)
        if self.fail:
            raise PermissionError(5, "Access is denied")
        yield self.values.setdefault(path, {})

    def SetValueEx(
        self, key: dict[str, tuple[int, str]], name: str, reserved: int, kind: int, value: str
    ) -> None:
        key[name] = (kind, value)


def test_windows_registry_keys_under_hkcu() -> None:
    registry = FakeWinreg()
    RegistryHandler(registry).register([r"C:\Users\Ana\AppData\Acme Help_ra-acme.exe"])
    exe = r"C:\Users\Ana\AppData\Acme Help_ra-acme.exe"
    assert registry.values == {
        r"Software\Classes\remoteapp": {"": (1, "URL:remoteapp Protocol"), "URL Protocol": (1, "")},
        r"Software\Classes\remoteapp\DefaultIcon": {"": (1, f'"{exe}",0')},
        r"Software\Classes\remoteapp\shell\open\command": {"": (1, f'"{exe}" "%1"')},
    }
    with pytest.raises(RegistrationFailed, match="Access is denied"):
        RegistryHandler(FakeWinreg(fail=True)).register(["x.exe"])


def test_macos_declares_the_scheme_in_info_plist() -> None:
    plist = plistlib.loads(plistlib.dumps({"CFBundleURLTypes": url_handler.URL_TYPES}))
    assert plist["CFBundleURLTypes"][0]["CFBundleURLSchemes"] == ["remoteapp"]
    BundleHandler().register(["/Applications/Acme.app/Contents/MacOS/Acme"])  # nothing to do


def test_the_handler_per_os() -> None:
    assert isinstance(for_this_os("x", "linux"), DesktopEntryHandler)
    assert isinstance(for_this_os("x", "freebsd14"), DesktopEntryHandler)
    assert isinstance(for_this_os("x", "darwin"), BundleHandler)
    assert url_handler.launch_command()[1:] == ["-m", "remoteapp"]
