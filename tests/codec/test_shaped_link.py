"""A video session over a 5 Mbit/s, 40 ms link (bench.shaped_link: real TCP, the real
session protocol, encoder with rate control, decoder in another process): the agent's
key presses are answered, the video keeps playing lossy, and nothing queues without
bound.  The bounds here are loose: on the shared 2-core test machine the CPU, not the
link, sets the frame rate and the latency (p95 went from ~0.2 s at load 8 to 1.7 s at
load 28); the issue's targets (p95 <= 150 ms, >= 15 fps) are measured by the bench."""

from __future__ import annotations

from bench.link_shaper import QUEUE_LIMIT
from bench.shaped_link import run


def test_video_over_a_shaped_link_stays_interactive_and_bounded() -> None:
    r = run(6.0, 5.0, 40.0)
    assert r["decode_errors"] == 0
    assert isinstance(r["keys_answered"], int) and r["keys_answered"] >= 3
    assert isinstance(p95 := r["input_to_pixel_ms_p95"], float) and 0 < p95 < 5000
    assert isinstance(fps := r["video_fps_2nd_half"], float) and fps > 0
    assert isinstance(q := r["link_queue_max_kb"], float) and q * 1e3 <= QUEUE_LIMIT + 16384
    assert isinstance(rtt := r["update_rtt_ms_p95"], float) and rtt < 5000
