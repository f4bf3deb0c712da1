"""bench.agent_memory runs real sessions from a real agent window for both variants and
reports each beside the other (figures are not asserted: they belong to bench/)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_the_agent_memory_bench_reports_both_variants() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.agent_memory", "--json", "--sessions", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["sessions"] == 2
    assert list(result["variants"]) == ["glibc default", "2 arenas (app)"]
    for row in result["variants"].values():
        assert len(row["rss_mb"]) == 3 and row["start_mb"] > 0 and row["end_mb"] > 0
