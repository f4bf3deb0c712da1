"""bench.secure runs and reports every figure beside its same-run baseline (figures are
not asserted: they belong to bench/, and the machine is shared)."""

from __future__ import annotations

from tests.bench import bench_json


def test_the_encryption_bench_reports_cost_next_to_its_baseline() -> None:
    result = bench_json("secure", "--pings", "20", "--repeats", "2")
    assert [row["size"] for row in result["cpu_per_frame"]] == [1024, 65536, 1 << 20]
    for row in result["cpu_per_frame"]:
        assert row["framing_us"] > 0 and row["seal_open_us"] > 0
    latency = result["latency"]
    for path in ("clear", "sealed", "transport"):
        assert latency[path]["median_us"] > 0
    assert "added_median_us" in latency
    assert result["handshake"]["password_ms"] > 0 and result["handshake"]["vouched_ms"] > 0
