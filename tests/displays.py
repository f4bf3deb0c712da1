"""Real X servers for tests: Xvfb for one screen, Xorg with the dummy driver for two
monitors (Xvfb's RandR ignores ``--setmonitor``; the dummy driver has 16 CRTCs)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DUMMY_CONF = """\
Section "ServerFlags"
    Option "AutoAddDevices" "false"
    Option "AutoEnableDevices" "false"
EndSection
Section "Device"
    Identifier "d"
    Driver "dummy"
    VideoRam 64000
EndSection
Section "Monitor"
    Identifier "m"
    HorizSync 5.0 - 1000.0
    VertRefresh 5.0 - 200.0
EndSection
Section "Screen"
    Identifier "s"
    Device "d"
    Monitor "m"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Modes "800x600"
    EndSubSection
EndSection
"""


def _read_display_number(read_fd: int, proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The display number an X server writes to ``-displayfd`` once it accepts clients."""
    deadline = time.monotonic() + timeout
    buf = b""
    os.set_blocking(read_fd, False)
    while not buf.endswith(b"\n"):
        if proc.poll() is not None:
            raise RuntimeError(f"X server exited with {proc.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise TimeoutError("X server did not report its display within the time limit")
        try:
            chunk = os.read(read_fd, 64)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if not chunk:
            time.sleep(0.02)
        buf += chunk
    return ":" + buf.decode().strip()


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork, see die_with_parent
_KEPT: list[subprocess.Popen[bytes]] = []  # servers kept to the end of the test process


def die_with_parent() -> None:
    """In a child process: get SIGTERM when the test process goes away (even if it crashed).
    One prctl through an already-loaded libc: nothing here can wait on a lock."""
    _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def x_server(argv: list[str], timeout: float = 15.0, until_exit: bool = False) -> Iterator[str]:
    """Run an X server; ``until_exit`` keeps it to the end of the test process (for the
    in-process QApplication, which must never see its display vanish)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [*argv, "-displayfd", str(write_fd)],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - async-signal-safe enough, see above
    )
    os.close(write_fd)
    try:
        yield _read_display_number(read_fd, proc, timeout)
    finally:
        os.close(read_fd)
        if until_exit:
            _KEPT.append(proc)
        else:
            _end(proc)


def _end(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextmanager
def xvfb(width: int = 1280, height: int = 800, until_exit: bool = False) -> Iterator[str]:
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is not installed (./dev test installs it)")
    # -noreset: without it Xvfb resets when its last client leaves, and a client that
    # connects during the reset is dropped (a flaky first connection of the next test).
    argv = ["Xvfb", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"]
    with x_server(argv, until_exit=until_exit) as display:
        yield display


def xorg_binary() -> str | None:
    for path in ("/usr/lib/xorg/Xorg", shutil.which("Xorg")):
        if path and Path(path).exists():
            return path
    return None


@contextmanager
def dual_monitor_xorg() -> Iterator[str]:
    """Xorg + dummy driver: DUMMY0 800x600 at +0+0 and DUMMY1 640x480 at +800+0."""
    xorg = xorg_binary()
    if xorg is None:
        raise RuntimeError("Xorg is not installed (./dev test installs xserver-xorg-core)")
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp, "xorg.conf")
        conf.write_text(DUMMY_CONF)
        argv = [
            xorg,
            "-noreset",
            "-nolisten",
            "tcp",
            "-config",
            str(conf),
            "-logfile",
            str(Path(tmp, "Xorg.log")),
        ]
        with x_server(argv) as display:
            env = {**os.environ, "DISPLAY": display}
            for cmd in (
                ["xrandr", "--addmode", "DUMMY1", "640x480"],
                ["xrandr", "--output", "DUMMY1", "--mode", "640x480", "--right-of", "DUMMY0"],
            ):
                subprocess.run(cmd, env=env, check=True, timeout=10, capture_output=True)
            yield display


class InputReset:
    """What a test left held on a shared X server, let go before the next test uses it:
    keys and buttons down, Caps Lock and Num Lock on (Xvfb runs with ``-noreset``, so
    its input state carries from test to test: a key a test left down once made the
    next test's typed text wrong).  Keys only pynput borrowed stay remapped (no test
    types their old symbols), and the pointer stays where it is (tests put it where they
    need it)."""

    def __init__(self, name: str) -> None:
        from Xlib import XK, X, display
        from Xlib.ext import xinput, xtest

        self._d, self._X, self._fake = display.Display(name), X, xtest.fake_input
        self._xi = xinput
        self._d.xinput_query_version()  # (XI2: buttons past 5, back and forward, too)
        self._locks = [
            (mask, code)
            for mask, keysym in ((X.LockMask, XK.XK_Caps_Lock), (X.Mod2Mask, XK.XK_Num_Lock))
            if (code := self._d.keysym_to_keycode(keysym))
        ]

    def __call__(self) -> list[str]:
        """Let go of what is held; what was, for the log."""
        X, d, undone = self._X, self._d, []
        for index, byte in enumerate(d.query_keymap()):
            for bit in range(8):
                if byte >> bit & 1:
                    self._fake(d, X.KeyRelease, index * 8 + bit)
                    undone.append(f"key {index * 8 + bit}")
        xi = self._xi
        for device in d.xinput_query_device(xi.AllMasterDevices).devices:
            for held in (c.state for c in device.classes if c.type == xi.ButtonClass):
                for button in (n for n in range(1, len(held) + 1) if held[n - 1]):
                    self._fake(d, X.ButtonRelease, button)
                    undone.append(f"button {button}")
        mask = d.screen().root.query_pointer().mask
        for lock, code in self._locks:
            if mask & lock:
                self._fake(d, X.KeyPress, code)
                self._fake(d, X.KeyRelease, code)
                undone.append(f"lock {code}")
        d.sync()
        return undone

    def close(self) -> None:
        self._d.close()
