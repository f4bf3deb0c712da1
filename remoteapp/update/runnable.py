"""Could this signed build start here?  TUF proves who published a file, not that it is
the right one: a zip published as the Linux build, or a bundle without its executable,
verifies and would replace a working app by one that cannot start (and so can never
update itself again).  So before anything is replaced the build must look like a
program of this OS: its first bytes (ELF, PE's ``MZ``, Mach-O) and, for a macOS
bundle, ``Contents/MacOS/<executable>`` as an executable file inside the bundle.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from remoteapp.update.errors import NotRunnable

MAGICS: dict[str, tuple[bytes, ...]] = {
    "linux": (b"\x7fELF",),
    "windows": (b"MZ",),
    "macos": tuple(  # Mach-O 32/64-bit either byte order, and universal ("fat") files
        bytes.fromhex(magic)
        for magic in (
            "feedface",
            "cefaedfe",
            "feedfacf",
            "cffaedfe",
            "cafebabe",
            "bebafeca",
            "cafebabf",
            "bfbafeca",
        )
    ),
}


def this_os() -> str:
    """``linux``, ``windows`` or ``macos``: the repository's name for this OS."""
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


def check_executable(path: Path, os_name: str) -> None:
    """NotRunnable unless ``path`` starts like an executable of ``os_name``."""
    try:
        with open(path, "rb") as file:
            head = file.read(4)
    except OSError as exc:
        raise NotRunnable(f"cannot read the new build {path.name}: {exc}") from exc
    if not head.startswith(MAGICS[os_name]):
        raise NotRunnable(
            f"the new build is not a {os_name} program (it starts with {head.hex() or 'nothing'})"
        )


def check_bundle(app: Path, executable_name: str) -> None:
    """NotRunnable unless ``app`` is a folder whose ``Contents/MacOS/<executable_name>``
    is an executable Mach-O file inside it (what the relaunch will start)."""
    if app.is_symlink() or not app.is_dir():
        raise NotRunnable(f"the new build's {app.name} is not a folder")
    exe = app / "Contents" / "MacOS" / executable_name
    try:
        if not exe.resolve().is_relative_to(app.resolve()):
            raise NotRunnable(f"the new build's executable leads outside it: {executable_name}")
        mode = exe.stat().st_mode
    except (OSError, RuntimeError) as exc:  # missing, or a loop of links
        raise NotRunnable(f"the new build has no Contents/MacOS/{executable_name}") from exc
    if not stat.S_ISREG(mode) or not mode & 0o111:
        raise NotRunnable(f"the new build's Contents/MacOS/{executable_name} is not executable")
    check_executable(exe, "macos")
