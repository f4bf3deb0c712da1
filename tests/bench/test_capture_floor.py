"""bench.capture_floor: both per-update floors follow real X damage on a real Xvfb and send
sealed records over real TCP; the lines bench.capture_cpu prints from them."""

from __future__ import annotations

import shutil
from collections.abc import Generator
from pathlib import Path

import pytest

from bench import capture_floor, capture_report

from .test_capture_cpu_bench import result as vnc_result
from .test_capture_cpu_bench import window


def typed(display: str) -> Generator[None, None, None]:
    """Characters drawn into a window, one more each time the generator is advanced."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        screen = d.screen()
        win = screen.root.create_window(
            40, 40, 400, 100, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            background_pixel=0xFFFFFF, override_redirect=True,
        )  # fmt: skip
        ink = win.create_gc(foreground=0x202020, background=0xFFFFFF, font=d.open_font("fixed"))
        win.map()
        d.sync()
        column = 0
        while True:
            win.image_text(ink, 6 + column * 6, 20, b"typed"[column % 5 : column % 5 + 1])
            d.sync()
            column += 1
            yield
    finally:
        d.close()


def sends_records_as_keys_come(name: str, display: str) -> None:
    keys = typed(display)
    next(keys)  # the window is mapped before the floor starts: its damage is not ours
    with capture_floor.running(name, display) as (_, sink):
        next(keys)
        assert sink.first_bytes.wait(20), f"{name} sent nothing for a typed key"
        # ChaCha20-Poly1305 records of one flushed zstd block of a 64x64 box: each carries
        # at least the 4-byte length and the 16-byte tag
        assert sink.received > 20
    keys.close()


def test_the_python_floor_follows_typing(xvfb_display: str) -> None:
    sends_records_as_keys_come("floor-py", xvfb_display)


def test_the_c_floor_builds_and_follows_typing(xvfb_display: str) -> None:
    binary, why = capture_floor.build_c()
    if binary is None:  # ./dev test installs the compiler and headers; elsewhere, say so
        pytest.skip(why)
    sends_records_as_keys_come("floor-c", xvfb_display)


@pytest.mark.parametrize("name", capture_floor.HOSTED)
def test_the_c_floor_runs_inside_a_python_process_and_follows_typing(
    name: str, xvfb_display: str
) -> None:
    library, why = capture_floor.build_c(library=True)
    if library is None:
        pytest.skip(why)
    sends_records_as_keys_come(name, xvfb_display)


def test_a_missing_compiler_is_said_with_the_packages_to_install(tmp_path: Path) -> None:
    binary, why = capture_floor.build_c(tmp_path, compiler="no-such-cc")
    assert binary is None
    assert "no C compiler" in why and "libxcb-damage0-dev" in why


def test_a_failed_build_is_the_compilers_first_line(tmp_path: Path) -> None:
    false = shutil.which("false")
    assert false is not None
    binary, why = capture_floor.build_c(tmp_path, compiler=false)
    assert binary is None
    assert why.startswith("the C floor does not build") and "apt install" in why
    assert not list(tmp_path.iterdir())  # no half-built binary left to be taken later


def test_the_floor_lines_say_how_many_times_the_floor_the_customer_spends() -> None:
    r = vnc_result(0.6, 1.6)
    r["floor"] = ["floor-py", "floor-c", "floor-c-hosted"]
    typing = r["workloads"]["typing"]  # type: ignore[index]
    typing["floor-py"] = [window(0.3, 1.2, mbit_s=0.018)] * 2
    typing["floor-c"] = [window(0.15, 1.1, mbit_s=0.012)] * 2
    typing["floor-c-hosted"] = [window(0.2, 1.1, mbit_s=0.012)] * 2
    text = capture_report.table(r)
    line = next(ln for ln in text.splitlines() if ln.startswith("  typing: floor-py"))
    assert "floor-py 0.300 | 0.10 | 0.018" in line
    assert "damage 0.600 = x2.00 of floor-py, x4.00 of floor-c, x3.00 of floor-c-hosted" in line
