"""The app's cap on glibc malloc arenas, in a real process: six threads alive at once,
each allocating in C, get at most two arenas with the cap and one each without it (the
same program, the control); never set where the user chose (``MALLOC_ARENA_MAX``) or
off Linux."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from remoteapp.platform import malloc_arenas

PROGRAM = r"""
import ctypes, re, sys, tempfile, threading
from remoteapp.platform import malloc_arenas
if sys.argv[1] == "capped":
    assert malloc_arenas.limit(), "not capped"
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
alive = threading.Barrier(7)
def thread():
    libc.malloc(1 << 20)  # a thread's first allocation picks (or makes) its arena
    alive.wait(30)  # all alive at once: none hands its arena back before the count
    alive.wait(30)
threads = [threading.Thread(target=thread) for _ in range(6)]
for t in threads:
    t.start()
alive.wait(30)
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    fp = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    print(len(re.findall(r"<heap nr=", open(out.name).read())))
alive.wait(30)
for t in threads:
    t.join()
"""

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"),
    reason="mallopt and malloc_info are glibc's",
)


def arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(done.stdout)


@glibc_only
def test_capped_threads_share_two_arenas() -> None:
    assert arenas("capped") <= malloc_arenas.ARENAS


@glibc_only
def test_without_the_cap_each_thread_gets_its_own() -> None:
    assert arenas("default") >= 7  # the main arena and one per thread: the test can see


def test_the_users_setting_wins() -> None:
    assert not malloc_arenas.limit(environ={"MALLOC_ARENA_MAX": "8"})


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_nothing_changes_off_linux(platform: str) -> None:
    assert not malloc_arenas.limit(environ={}, platform=platform)
