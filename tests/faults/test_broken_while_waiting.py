"""A C object that breaks while another call waits for its lock: the waiting call looks
again once it has the lock, and refuses (the zstd stream, ``_zstream.Stream``, and the
record layer's direction, ``_records.Direction``).

Without that second look, the waiting call would compress on a stream the viewer can no
longer follow, or seal with a key half rekeyed.  The order is forced, not hoped for: a
shim (``libfail.c``, LD_PRELOAD in a child process) makes libzstd or libcrypto fail on
cue while the first call holds the lock, and says when the second call starts to wait.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from remoteapp.codec import zstd_stream
from remoteapp.secure import channel
from tests.native import built

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# The child: call A holds the object's lock inside the library, which fails once call B
# is waiting for that lock; B must then refuse with the "while this call waited" error.
CHILD = r"""
import ctypes, json, os, select, sys, threading
shim = ctypes.CDLL(None)  # (LD_PRELOAD: its symbols are global)
def wait_byte(fd, what):
    if not select.select([fd], [], [], 20)[0]:
        sys.exit(f"the shim never said {what} (no interposition here?)")
    os.read(fd, 1)
kind = sys.argv[1]
if kind == "zstd":
    from remoteapp.codec import _zstream
    obj = _zstream.Stream(1, 24)
    first, second, which = (lambda: obj.compress([os.urandom(1 << 17)]),
                            lambda: obj.compress([b"k" * 100]), 1)
else:
    from remoteapp.secure import _records
    obj = _records.Direction(os.urandom(32), 1 << 20)
    first, second, which = (lambda: obj.seal(bytes(1 << 16), 1 << 20),
                            lambda: obj.seal(b"k" * 100, 1 << 20), 2)
inside, go, waits = os.pipe(), os.pipe(), os.pipe()
out = {}
def run(name, call):
    try:
        call()
        out[name] = "ok"
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
shim.fail_next(which, inside[1], go[0])
a = threading.Thread(target=run, args=("a", first))
a.start()
wait_byte(inside[0], "A is inside")  # A is in the library, with the lock (and without the GIL)
shim.tell_next_wait(waits[1])
b = threading.Thread(target=run, args=("b", second))
b.start()
wait_byte(waits[0], "B waits")  # B looked (not broken yet) and now waits for the lock
os.write(go[1], b"g")  # the library fails A's call now
a.join(30)
b.join(30)
out["later"] = "ok"
try:
    second()
except Exception as exc:
    out["later"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        if os.environ.get("CI"):
            pytest.fail("no C compiler: ./dev test installs gcc")
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("shim") / "libfail.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(out), str(HERE / "libfail.c"), "-ldl"],
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.parametrize(
    ("kind", "failed", "refused"),
    [
        (
            "zstd",
            "libzstd failed",
            "the stream broke while this call waited for it: reset() it (a key frame)",
        ),
        (
            "crypto",
            "libcrypto failed to seal",
            "libcrypto failed on this direction while this call waited for it",
        ),
    ],
)
def test_a_call_waiting_for_the_lock_refuses_what_broke_meanwhile(
    shim: Path, kind: str, failed: str, refused: str
) -> None:
    """(Without the second look the waiting call goes on: it compresses or seals on an
    object that is no longer the peer's.)"""
    built(zstd_stream.native if kind == "zstd" else channel.native, kind)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, kind],
        check=False,
        cwd=ROOT,
        env={**os.environ, "LD_PRELOAD": str(shim)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert out["a"].startswith(f"RuntimeError: {failed}")
    assert out["b"] == f"RuntimeError: {refused}"
    assert out["later"].startswith("RuntimeError: ")  # (and every call after it)
