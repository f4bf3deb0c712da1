"""Tests that each bench runs and reports what it promises (figures are not asserted:
they belong to bench/, and the machine is shared)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT


def bench_json(module: str, *args: str, timeout: float = 300) -> Any:
    """``python -m bench.<module> --json *args`` from the repository; its one JSON object."""
    out = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout
    return json.loads(out)
