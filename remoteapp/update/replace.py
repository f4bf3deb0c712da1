"""Put a verified new build in place of the running executable, and start it.

POSIX: the new file is written beside the old one, made executable and renamed over it
in one step (``os.replace``); the running process keeps its already-open old inode.

Windows cannot replace a running ``.exe`` but can rename it: the running one becomes
``<name>.old-<pid>``, the new one moves to ``<name>``; if that move fails the old one is
renamed back.  The next start deletes leftover ``.old-*`` files (``remove_leftovers``).

Either way the file keeps its name, so the relaunched app reads the same slug from it
and keeps its branding.  A failure raises ``ReplaceFailed`` with the old file in place;
a build that is not a program of this OS (``runnable``) is ``NotRunnable`` before
anything is written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from remoteapp.update.errors import ReplaceFailed
from remoteapp.update.runnable import check_executable, this_os

log = logging.getLogger("remoteapp.update")


def replace_executable(
    current: Path, new_build: Path, *, os_name: str | None = None, windows: bool | None = None
) -> None:
    """Swap ``current`` for ``new_build`` (a verified download) if it is a program of
    ``os_name``; ``windows`` picks the rename-away strategy (defaults: this OS's)."""
    os_name = this_os() if os_name is None else os_name
    windows = os_name == "windows" if windows is None else windows
    check_executable(new_build, os_name)
    staged = current.with_name(f".{current.name}.new-{os.getpid()}")
    try:
        shutil.copyfile(new_build, staged)
        os.chmod(staged, 0o755)
        with open(staged, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise ReplaceFailed(f"cannot write the new build beside {current}: {exc}") from exc
    if not windows:
        try:
            os.replace(staged, current)
        except OSError as exc:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise ReplaceFailed(f"cannot replace {current}: {exc}") from exc
        return
    old = current.with_name(f"{current.name}.old-{os.getpid()}")
    try:
        os.replace(current, old)
    except OSError as exc:
        with contextlib.suppress(OSError):
            staged.unlink()
        raise ReplaceFailed(f"cannot move the running {current} away: {exc}") from exc
    try:
        os.replace(staged, current)
    except OSError as exc:
        os.replace(old, current)  # the old one back where it was
        with contextlib.suppress(OSError):
            staged.unlink()
        raise ReplaceFailed(f"cannot move the new build to {current}: {exc}") from exc


def remove_leftovers(current: Path) -> list[Path]:
    """Delete what earlier updates left beside ``current`` (Windows' renamed-away old
    executables, staged files of an update that died); what is still running stays."""
    removed = []
    for leftover in [
        *current.parent.glob(f"{current.name}.old-*"),
        *current.parent.glob(f".{current.name}.new-*"),
    ]:
        with contextlib.suppress(OSError):  # still running (Windows): next time
            if leftover.is_dir() and not leftover.is_symlink():  # a macOS bundle's
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            removed.append(leftover)
    return removed


def relaunch(executable: Path, args: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``executable`` again with ``args``, detached from this process.

    ``PYINSTALLER_RESET_ENVIRONMENT`` makes a PyInstaller onefile child unpack itself
    afresh instead of reusing this process's (soon deleted) unpacked directory."""
    env = {**os.environ, "PYINSTALLER_RESET_ENVIRONMENT": "1"}
    log.info("update event=relaunch executable=%s", executable)
    command = [str(executable), *args]
    if sys.platform == "win32":
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen(command, env=env, close_fds=True, creationflags=flags)
    return subprocess.Popen(command, env=env, close_fds=True, start_new_session=True)
