"""The screen pipeline run live: capture -> encode -> decode -> verify, with figures.

It is what ``remoteapp pipeline`` (and, until the desktop app lands, the README's run
command) shows: real captures of this display through the real codec, checked bit-exact
every frame, one line of figures per second and a JSON summary line at the end.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from remoteapp.capture import ScreenGrabber
from remoteapp.codec import ScreenDecoder, ScreenEncoder

log = logging.getLogger("remoteapp.pipeline")


@dataclass
class Window:
    """Figures collected over one reporting interval."""

    grab_ms: list[float] = field(default_factory=list)
    encode_ms: list[float] = field(default_factory=list)
    decode_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    copies: int = 0

    def line(self, seconds: float) -> str:
        n = len(self.sizes)
        kbytes = statistics.fmean(self.sizes) / 1000 if n else 0.0
        return (
            f"fps {n / seconds:5.1f}  grab {_p50(self.grab_ms):5.2f} ms  "
            f"encode {_p50(self.encode_ms):5.2f} ms  decode {_p50(self.decode_ms):5.2f} ms  "
            f"{kbytes:8.1f} kB/frame  {sum(self.sizes) * 8 / seconds / 1e6:7.3f} Mbit/s  "
            f"copies {self.copies}  exact yes"
        )


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def run(
    seconds: float, fps: float, monitor: int = 1, display: str | None = None
) -> dict[str, float]:
    """Run the pipeline for ``seconds`` at up to ``fps``; raise if a frame is not exact."""
    encoder, decoder = ScreenEncoder(), ScreenDecoder()
    total = Window()
    with ScreenGrabber(display=display) as grabber:
        mon = grabber.monitors()[monitor]
        grabber.grab(mon)  # the first grab sets up shared memory and reports the backend
        backend = "; ".join(grabber.backend_status) or "no backend notes"
        print(
            f"capturing {mon.name} {mon.width}x{mon.height} at up to {fps:g} fps for "
            f"{seconds:g} s (capture: {backend})",
            flush=True,
        )
        start = last_report = time.monotonic()
        window = Window()
        frames = 0
        while (now := time.monotonic()) - start < seconds:
            t0 = time.perf_counter()
            shot = grabber.grab(mon)
            t1 = time.perf_counter()
            update = encoder.encode(shot.pixels, shot.cursor)
            t2 = time.perf_counter()
            decoder.decode(update)
            t3 = time.perf_counter()
            fb = decoder.framebuffer
            if fb is None or not np.array_equal(fb, shot.pixels):
                raise AssertionError(f"frame {frames} did not survive the round trip")
            stats = encoder.last_stats
            for w in (window, total):
                w.grab_ms.append((t1 - t0) * 1e3)
                w.encode_ms.append((t2 - t1) * 1e3)
                w.decode_ms.append((t3 - t2) * 1e3)
                w.sizes.append(len(update))
                w.copies += stats.copies if stats else 0
            frames += 1
            if now - last_report >= 1.0:
                print(window.line(now - last_report), flush=True)
                window, last_report = Window(), now
            time.sleep(max(0.0, 1 / fps - (time.perf_counter() - t0)))
        elapsed = time.monotonic() - start
    summary = {
        "frames": float(frames),
        "fps": frames / elapsed,
        "grab_ms_p50": _p50(total.grab_ms),
        "encode_ms_p50": _p50(total.encode_ms),
        "decode_ms_p50": _p50(total.decode_ms),
        "bytes_per_frame": statistics.fmean(total.sizes[1:]) if frames > 1 else 0.0,
        "mbit_s": sum(total.sizes) * 8 / elapsed / 1e6,
    }
    print("pipeline summary " + json.dumps(summary), flush=True)
    return summary
