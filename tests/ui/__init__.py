"""Tests of the desktop app's windows and its way to the GUI thread."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def offscreen_program(source: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a Python process of its own on Qt's offscreen platform: what
    crashes or aborts there (a binding's bug, a teardown race) fails a test, not the run."""
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", source],
        check=False,
        cwd=ROOT,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
