"""The lossy path measured (issue 12): video and photo workloads, our lossless encoder and
a TigerVNC-Tight-JPEG-like baseline in the same run.

Per workload and coder: Mbit/s at the workload's frame rate (over the whole workload, and
steady: its second half, after a video region has started), encode ms (p50/p95: the
customer's CPU per frame), PSNR and SSIM of the lossy area against the captured frames,
whether the text outside it was exact in every update, and after the workload the bytes
and time until the viewer's framebuffer is bit-exact again (the lossless refresh).

    python -m bench.lossy                       # every workload, table
    python -m bench.lossy --workloads video --frames 90 --json

Coders:
- ``lossless``: ``ScreenEncoder()`` as every session used before issue 12;
- ``lossy``: ``ScreenEncoder(lossy_codecs={"vp8", "jpeg"})`` with a clock that advances
  one frame period per frame (the region, refresh and frame-rate decisions are timed);
- ``tight-jpeg``: JPEG quality 80 on every changed 64x64 tile, each on its own (what a
  TigerVNC viewer's Tight+JPEG asks for, without its zlib for low-colour tiles).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import simplejpeg
from PIL import ImageDraw

from bench.desktop import _font, base_desktop, draw_window, scroll, to_bgra, typing
from bench.desktop_photo import drag_photo
from bench.pipeline import _pin_one_core
from remoteapp.codec import Pixels, Rect, ScreenDecoder, ScreenEncoder
from remoteapp.codec.tiles import TILE
from remoteapp.codec.update_format import PixelsOp, parse_header, parse_ops

FPS = 30
LOSSY = frozenset({"vp8", "jpeg"})
PLAYER = Rect(576, 352, 640, 360)  #: the video inside the 1080p desktop
CAPTION = Rect(576, PLAYER.bottom + 16, 640, 24)


@dataclass(frozen=True)
class Workload:
    frames: list[Pixels]
    lossy_area: Rect | None  #: where quality is measured (None: the whole frame)
    text_area: Rect | None  #: must stay exact in every update (None: not checked)


def _texture(height: int, width: int, seed: int) -> np.ndarray:
    """A natural-looking picture: soft shapes at several scales, edges, some texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((height, width, 3), np.float32)
    for c in range(3):
        layer = 110 + 60 * np.sin(x / (90 + 25 * c) + c) * np.cos(y / (70 + 20 * c))
        for _ in range(10):
            cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(20, 160)
            layer += rng.uniform(-70, 70) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        for _ in range(6):  # hard-edged objects
            x0, y0 = rng.integers(0, width - 40), rng.integers(0, height - 40)
            layer[y0 : y0 + rng.integers(20, 120), x0 : x0 + rng.integers(20, 160)] += rng.uniform(
                -60, 60
            )
        out[..., c] = layer
    out += rng.normal(0, 4, out.shape).astype(np.float32)  # film grain
    return out


def _movie(n: int, height: int, width: int, seed: int = 5) -> Iterator[np.ndarray]:
    """A camera pan over a larger scene, a ball moving across it, fresh grain each frame."""
    scene = _texture(height + 200, width + 400, seed)
    rng = np.random.default_rng(seed + 1)
    grain = [rng.normal(0, 1.0, (height, width, 3)).astype(np.float32) for _ in range(5)]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    for i in range(n):
        ox, oy = int(200 + 180 * np.sin(i / 40)), int(100 + 90 * np.cos(i / 55))
        frame = scene[oy : oy + height, ox : ox + width] + grain[i % len(grain)]
        bx, by = (i * 9) % width, height / 2 + height / 4 * np.sin(i / 9)
        ball = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * 30.0**2))
        frame += ball[..., None] * np.array([60, 40, -50], np.float32)
        yield frame[..., ::-1].clip(0, 255).astype(np.uint8)  # BGR


def video_in_desktop(n: int) -> Workload:
    """A 640x360 player playing, a caption under it that changes every 2 s, text around."""
    img = base_desktop()
    draw_window(
        img,
        (PLAYER.x - 10, PLAYER.y - 50, PLAYER.right + 10, CAPTION.bottom + 10),
        "Training video - Player",
        [],
    )
    captions = []
    for k, line in enumerate(("Step 1: open the printer queue", "Step 2: cancel the stuck job")):
        cap = img.copy()
        ImageDraw.Draw(cap).text(
            (CAPTION.x + 8, CAPTION.y + 2), line, font=_font(16), fill=(20, 20, 30 + k)
        )
        captions.append(to_bgra(cap))
    frames = []
    for i, px in enumerate(_movie(n + 1, PLAYER.h, PLAYER.w)):
        frame = captions[(i // (2 * FPS)) % 2].copy()
        frame[PLAYER.y : PLAYER.bottom, PLAYER.x : PLAYER.right, :3] = px
        frames.append(frame)
    return Workload(frames, PLAYER, CAPTION)


def video_full(n: int) -> Workload:
    frames = []
    for px in _movie(n + 1, 1080, 1920, seed=9):
        frame = np.full((1080, 1920, 4), 255, np.uint8)
        frame[..., :3] = px
        frames.append(frame)
    return Workload(frames, Rect(0, 0, 1920, 1080), None)


def photo_drag(n: int) -> Workload:
    return Workload(list(drag_photo(n)), None, None)


def text_typing(n: int) -> Workload:
    return Workload(list(typing(n)), None, Rect(0, 0, 1920, 1080))


def text_scroll(n: int) -> Workload:
    return Workload(list(scroll(n)), None, Rect(0, 0, 1920, 1080))


WORKLOADS: dict[str, Callable[[int], Workload]] = {
    "video": video_in_desktop,
    "video_full": video_full,
    "drag_photo": photo_drag,
    "typing": text_typing,
    "scroll": text_scroll,
}


# -- quality


def _luma(bgra: Pixels) -> np.ndarray:
    p = bgra[..., :3].astype(np.float32)
    return np.asarray(0.114 * p[..., 0] + 0.587 * p[..., 1] + 0.299 * p[..., 2])


def _blur(img: np.ndarray) -> np.ndarray:
    """Gaussian, sigma 1.5, 11 taps, separable, 'valid' borders (as Wang et al.)."""
    k = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2)).astype(np.float32)
    k /= k.sum()
    rows = np.zeros((img.shape[0], img.shape[1] - 10), np.float32)
    for i in range(11):
        rows += k[i] * img[:, i : img.shape[1] - 10 + i]
    out = np.zeros((rows.shape[0] - 10, rows.shape[1]), np.float32)
    for i in range(11):
        out += k[i] * rows[i : rows.shape[0] - 10 + i]
    return out


def ssim(a: Pixels, b: Pixels) -> float:
    """Mean SSIM of the luma planes (Wang, Bovik et al. 2004: K1 .01, K2 .03, L 255)."""
    x, y = _luma(a), _luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _blur(x), _blur(y)
    sxx, syy, sxy = _blur(x * x) - mx * mx, _blur(y * y) - my * my, _blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    return float(np.mean(num / ((mx * mx + my * my + c1) * (sxx + syy + c2))))


def psnr(a: Pixels, b: Pixels) -> float:
    err = float(np.mean((a[..., :3].astype(np.float32) - b[..., :3].astype(np.float32)) ** 2))
    return 99.0 if err == 0 else 10 * np.log10(255**2 / err)


# -- coders


class TightJpeg:
    """JPEG q80 per changed 64x64 tile against the previous frame; keeps what it shows."""

    def __init__(self) -> None:
        self.fb: Pixels | None = None
        self._prev: Pixels | None = None

    def encode(self, frame: Pixels) -> int:
        if self._prev is None or self.fb is None:
            self._prev, self.fb = frame.copy(), frame.copy()
            return frame.nbytes
        total = 0
        height, width = frame.shape[:2]
        for y in range(0, height, TILE):
            band, before = frame[y : y + TILE], self._prev[y : y + TILE]
            if np.array_equal(band, before):
                continue
            for x in range(0, width, TILE):
                tile = band[:, x : x + TILE]
                if np.array_equal(tile, before[:, x : x + TILE]):
                    continue
                data = simplejpeg.encode_jpeg(
                    np.ascontiguousarray(tile),
                    quality=80,
                    colorspace="BGRA",
                    colorsubsampling="420",
                )
                total += len(data) + 12
                self.fb[y : y + TILE, x : x + TILE] = simplejpeg.decode_jpeg(data, "BGRA")
        self._prev = frame.copy()
        return total


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(work: Workload, coder: str, ssim_every: int = 6) -> dict[str, float | bool | str]:
    clock = Clock()
    tight = TightJpeg() if coder == "tight-jpeg" else None
    enc = ScreenEncoder(lossy_codecs=LOSSY if coder == "lossy" else frozenset(), clock=clock)
    dec = ScreenDecoder()
    sizes: list[int] = []
    ms: list[float] = []
    psnrs: list[float] = []
    ssims: list[float] = []
    lossy_ops = 0
    text_exact = True
    for i, frame in enumerate(work.frames):
        t0 = time.perf_counter()
        if tight is not None:
            size = tight.encode(frame)
            fb = tight.fb
        else:
            update = enc.encode(frame)
            size = len(update)
        dt = time.perf_counter() - t0
        if tight is None:
            dec.decode(update)
            fb = dec.framebuffer
            lossy_ops += sum(
                1
                for op in parse_ops(update, parse_header(update))
                if isinstance(op, PixelsOp) and op.codec != 0
            )
        assert fb is not None
        if i:
            sizes.append(size)
            ms.append(dt * 1e3)
            area = work.lossy_area or Rect(0, 0, frame.shape[1], frame.shape[0])
            a, b = (f[area.y : area.bottom, area.x : area.right] for f in (fb, frame))
            psnrs.append(psnr(a, b))
            if i % ssim_every == 0:
                ssims.append(ssim(a, b))
        if work.text_area is not None:
            t = work.text_area
            text_exact &= np.array_equal(
                fb[t.y : t.bottom, t.x : t.right], frame[t.y : t.bottom, t.x : t.right]
            )
        clock.now += 1 / FPS
    # the picture stops: how long and how many bytes until the viewer is exact again
    refresh_bytes, exact_after = 0, None
    last = work.frames[-1]
    for k in range(int(FPS * 1.5)):
        if tight is not None:
            break
        update = enc.encode(last)
        dec.decode(update)
        refresh_bytes += len(update)
        if dec.framebuffer is not None and np.array_equal(dec.framebuffer, last):
            exact_after = k / FPS * 1e3
            break
        clock.now += 1 / FPS
    mean = statistics.fmean(sizes)
    steady = statistics.fmean(sizes[len(sizes) // 2 :])
    return {
        "mbit_s": mean * 8 * FPS / 1e6,
        "steady_mbit_s": steady * 8 * FPS / 1e6,
        "enc_ms_p50": statistics.median(ms),
        "enc_ms_p95": float(np.percentile(ms, 95)),
        "fps_one_core": 1000 / max(1e-3, statistics.median(ms)),
        "psnr": statistics.fmean(psnrs),
        "ssim": statistics.fmean(ssims) if ssims else float("nan"),
        "lossy_ops": lossy_ops,
        "text_exact": text_exact if work.text_area is not None else "-",
        "refresh_kb": refresh_bytes / 1e3 if tight is None else float("nan"),
        "exact_after_ms": "-" if exact_after is None else round(exact_after),
    }


def table(results: dict[str, dict[str, dict[str, float | bool | str]]]) -> str:
    cols = [
        "mbit_s",
        "steady_mbit_s",
        "enc_ms_p50",
        "enc_ms_p95",
        "fps_one_core",
        "psnr",
        "ssim",
        "lossy_ops",
        "text_exact",
        "refresh_kb",
        "exact_after_ms",
    ]
    lines = ["workload    coder      " + "".join(c.rjust(15) for c in cols)]
    for name, coders in results.items():
        for coder, r in coders.items():
            cells = []
            for c in cols:
                v = r[c]
                cells.append((f"{v:.3f}" if isinstance(v, float) else str(v)).rjust(15))
            lines.append(f"{name:<11} {coder:<10} " + "".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--coders", default="lossless,lossy,tight-jpeg")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    _pin_one_core()
    random.seed(0)
    results: dict[str, dict[str, dict[str, float | bool | str]]] = {}
    for name in args.workloads.split(","):
        work = WORKLOADS[name](args.frames)
        results[name] = {coder: run(work, coder) for coder in args.coders.split(",")}
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
