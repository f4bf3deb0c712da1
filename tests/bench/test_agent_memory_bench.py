"""bench.agent_memory runs real sessions from a real agent window for both variants and
reports each beside the other (figures are not asserted: they belong to bench/)."""

from __future__ import annotations

from tests.bench import bench_json


def test_the_agent_memory_bench_reports_both_variants() -> None:
    result = bench_json("agent_memory", "--sessions", "2")
    assert result["sessions"] == 2
    assert list(result["variants"]) == ["glibc default", "2 arenas (app)"]
    for row in result["variants"].values():
        assert len(row["rss_mb"]) == 3 and row["start_mb"] > 0 and row["end_mb"] > 0
