"""bench.copy_follow run for real on a small Xvfb (short windows: the table's shape and
that both captures end exact, not the figures), and its table from a given result."""

from __future__ import annotations

import json

import pytest

from bench import copy_follow


def test_the_table_sets_xvfbs_extra_load_beside_the_pixels_read() -> None:
    def w(xvfb: float, mpx: float, **extra: float) -> dict[str, float]:
        return {"xvfb_pct": xvfb, "self_pct": 1.0, "grabs_per_s": 30.0, "read_mpx_s": mpx, **extra}

    result = {"seconds": 8.0, "repeats": 1, "fps": 30.0, "modes": {
        "none": [w(3.0, 0.0)],
        "damage": [w(20.0, 56.0, exact=1.0)],
        "follow": [w(4.5, 3.0, exact=1.0, trusted=140, untrusted=3, mismatches=0)],
    }}  # fmt: skip
    lines = copy_follow.table(result).splitlines()
    assert lines[3].split("|")[:4] == ["damage  ", "   20.00 ", "      17.00 ", "      56.00 "]
    assert lines[4].split("|")[2].strip() == "1.50" and lines[4].endswith("140/3")


@pytest.mark.display
def test_a_short_run_ends_exact_in_both_captures(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--seconds", "0.5", "--width", "640", "--height", "480", "--json"]
    assert copy_follow.main(argv) == 0
    modes = json.loads(capsys.readouterr().out)["modes"]
    assert modes["damage"][0]["exact"] == 1.0 and modes["follow"][0]["exact"] == 1.0
    assert modes["follow"][0]["trusted"] > 0 and modes["follow"][0]["mismatches"] == 0
