"""Stand-ins for the codec libraries PyAV's wheel links but the app never opens (Linux).

The app uses libavcodec for VP8 only (its libvpx encoder and FFmpeg's own vp8 decoder);
JPEG goes through simplejpeg.  PyAV's manylinux wheel links libavcodec against x265,
x264, SVT-AV1, dav1d, opus, LAME and opencore-AMR: 8.9 MB of the onefile build
(compressed; x265 and SVT-AV1 alone 6.5 MB).  They cannot simply be left out: libavcodec
names them (DT_NEEDED) and binds every symbol it takes from them when it loads
("undefined symbol: x264_levels").  So each is replaced by a small library of the same
name that defines exactly those symbols: functions that return 0 (NULL, "no such
encoder") and zeroed data.  Loading and the codec list are unchanged (``import av``,
557 codecs); opening one of these codecs would fail or worse, so the app must not
(it opens ``libvpx`` to encode and FFmpeg's own ``vp8`` to decode, nothing else).
``remoteapp codecs`` checks VP8 and JPEG in the built binary
(tests/distribution/test_codecs.py).

Made with the build machine's C compiler and ``nm``; without them, or if anything
fails, the real libraries stay (a larger build that works the same).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

#: name prefixes (before the auditwheel hash) of the libraries replaced
UNUSED = (
    "libx265-",
    "libx264-",
    "libSvtAv1Enc-",
    "libdav1d-",
    "libopus-",
    "libmp3lame-",
    "libopencore-amrnb-",
    "libopencore-amrwb-",
)


def _symbols(path: str, *flags: str) -> list[tuple[str, str]]:
    """(name, nm type letter) of ``path``'s dynamic symbols, without version suffixes."""
    out = subprocess.run(
        ["nm", "-D", *flags, path], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            found.append((parts[-1].split("@")[0], parts[-2]))
    return found


def _stub(lib: str, wanted: set[str], work: Path, name: str) -> Path:
    defined = {sym: kind for sym, kind in _symbols(lib, "--defined-only") if sym in wanted}
    lines = [
        f"long {sym}(void) {{ return 0; }}" if kind in "TWi" else f"char {sym}[4096];"
        for sym, kind in sorted(defined.items())
    ]
    folder = work / "av-stubs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stub.c").write_text("\n".join(lines) + "\n")
    subprocess.run(
        ["cc", "-shared", "-O2", "-fPIC", f"-Wl,-soname,{name}", "-o", name, "stub.c"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder / name


def replace_unused(binaries: list[tuple[str, str, str]], work: str) -> list[tuple[str, str, str]]:
    """``binaries`` (an Analysis TOC) with the unused codec libraries stubbed out."""
    if not sys.platform.startswith("linux") or not (shutil.which("cc") and shutil.which("nm")):
        print("av_stubs: no cc/nm here; the codec libraries stay whole")
        return binaries
    avcodec = next(
        (src for dest, src, _ in binaries if Path(dest).name.startswith("libavcodec-")), None
    )
    if avcodec is None:
        return binaries
    try:
        wanted = {sym for sym, kind in _symbols(avcodec, "--undefined-only") if kind in "Uw"}
        out = []
        for dest, src, kind in binaries:
            name = Path(dest).name
            stubbed = name.startswith(UNUSED) and kind == "BINARY"
            out.append((dest, str(_stub(src, wanted, Path(work), name)) if stubbed else src, kind))
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"av_stubs: {exc}; the codec libraries stay whole")
        return binaries
    return out
