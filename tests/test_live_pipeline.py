"""End to end: the real ``remoteapp pipeline`` process captures a busy Xvfb display,
encodes, decodes and checks every frame, and ends with its structured summary line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, LineReader, client_env, stop


@pytest.mark.display
def test_pipeline_runs_live_on_a_busy_display(xvfb_display: str) -> None:
    env = client_env(xvfb_display)
    demo = subprocess.Popen(
        [sys.executable, "-m", "remoteapp.ui.activity_demo", "--seconds", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        pipe = subprocess.Popen(
            [sys.executable, "-m", "remoteapp", "pipeline", "--seconds", "3", "--fps", "20"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        reader = LineReader(pipe)
        reader.wait_for("capturing", timeout=30)
        summary = json.loads(reader.wait_for("pipeline summary ", timeout=30).split(" ", 2)[2])
        assert pipe.wait(10) == 0
        assert summary["frames"] >= 10
        assert any("exact yes" in line for line in reader.seen)
    finally:
        stop(demo)


def test_pipeline_without_display_says_why() -> None:
    env = {k: v for k, v in client_env(":0").items() if k not in ("DISPLAY", "XDG_SESSION_TYPE")}
    result = subprocess.run(
        [sys.executable, "-m", "remoteapp", "pipeline", "--seconds", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "DISPLAY is not set" in result.stderr
