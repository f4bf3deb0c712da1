"""The interactive benchmark runs end to end and reports every figure beside its baseline
(figures are not asserted: bench/).  Tiny sizes: a few samples, half-second windows."""

from __future__ import annotations

import math

import pytest

from tests.bench import bench_json

SAMPLES = 2


@pytest.mark.display
def test_every_figure_comes_with_its_baseline() -> None:
    result = bench_json(
        "interactive",
        *("--screen", "640x400", "--samples", str(SAMPLES), "--seconds", "0.5"),
        *("--timeout", "100"),
        timeout=110,
    )
    assert result["transport"] == "relay"
    assert set(result["latency_ms"]) == {"key", "click"}
    assert "agent's screen" in result["latency_session_ends"]  # the viewer painted it
    for kind, paths in result["latency_ms"].items():
        assert set(paths) == {"session", "floor", "decoded"}, kind
        for figures in paths.values():
            assert set(figures) == {"p50", "p95", "max", "n", "lost"}
            assert figures["n"] + figures["lost"] == SAMPLES
    scroll = result["scroll"]
    for key in ("session_fps", "viewer_paint_fps", "client_paint_fps", "capture_alone_fps"):
        assert isinstance(scroll[key], float) and math.isfinite(scroll[key]), key
    assert {t["met"] for t in result["targets"].values()} <= {True, False}
    cpu = result["idle_cpu_pct"]
    keys = ("customer_session", "customer_no_session", "gui_app_no_session", "xvfb_session")
    for key in keys:
        assert isinstance(cpu[key], float) and cpu[key] >= 0, key
