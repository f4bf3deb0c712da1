"""bench.id_lists runs on both databases and reports both variants per size."""

from __future__ import annotations

from tests.bench import bench_json


def test_the_id_lists_bench_reports_both_variants_on_both_databases() -> None:
    result = bench_json("id_lists", "--sizes", "10,70000", "--rounds", "1")
    assert set(result) == {"sqlite", "postgresql"}
    for database, sizes in result.items():
        assert set(sizes) == {"10", "70000"}
        for size, row in sizes.items():
            assert row["one_of_ms"] is not None and row["one_of_ms"] > 0
            if database == "postgresql" and size == "70000":
                assert row["in_ms"] is None  # (past 65,535 parameters)
            else:
                assert row["in_ms"] is not None
