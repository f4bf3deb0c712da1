"""The benchmark runs and reports what it promises (figures are not asserted: bench/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bench.pipeline import WORKLOADS
from tests.bench import bench_json
from tests.conftest import ROOT, client_env

KEYS = {
    "encode_ms_p50",
    "encode_ms_p95",
    "decode_ms_p50",
    "bytes_per_frame",
    "mbit_s_30fps",
    "baseline_bytes_per_frame",
    "baseline_ms_p50",
    "floor_ms",
    "exact",
    "moves_found",
}


def run_bench(*args: str) -> dict:
    result: dict = bench_json("pipeline", *args)
    return result


def test_every_workload_reports_every_figure_and_is_exact() -> None:
    result = run_bench("--count", "3")
    assert set(result["workloads"]) == set(WORKLOADS)
    for name, figures in result["workloads"].items():
        assert set(figures) == KEYS, name
        assert figures["exact"] is True, name


def test_recorded_png_frames_are_measured_too(tmp_path: Path) -> None:
    frames = tmp_path / "session"
    frames.mkdir()
    for i in range(3):
        img = Image.new("RGB", (97, 61), (10 * i, 200, 30))
        img.putpixel((i, i), (255, 255, 255))
        img.save(frames / f"{i:03d}.png")
    result = run_bench("--frames", str(frames))
    assert result["workloads"]["session"]["exact"] is True


@pytest.mark.display
def test_record_then_measure_the_recording(xvfb_display: str, tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    subprocess.run(
        [sys.executable, "-m", "bench.pipeline", "--record", str(rec), "--seconds", "0.5"],
        cwd=ROOT,
        env=client_env(xvfb_display),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pngs = sorted(rec.glob("*.png"))
    assert len(pngs) >= 2
    with Image.open(pngs[0]) as img:
        assert img.size == (1280, 800)
    assert run_bench("--frames", str(rec))["workloads"]["rec"]["exact"] is True
